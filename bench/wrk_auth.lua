-- wrk script for the HTTP bench: adds "Authorization: Bearer $WRK_TOKEN" when the
-- variable is set, and prints one machine-readable summary line at the end:
--   WRK_RESULT requests=N duration_s=S rps=R p50_us=U p99_us=U errors=E non2xx=N
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "WRK_RESULT requests=%d duration_s=%.3f rps=%.1f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, s, summary.requests / s, latency:percentile(50),
    latency:percentile(99), errors, e.status))
end
