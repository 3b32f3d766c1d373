-- wrk script of the soak (tests/soak/soak.py): cycles through SOAK_PATHS (comma-separated
-- read routes) with "Authorization: Bearer $SOAK_TOKEN", tallies every answer by status
-- and API error code, and prints one machine-readable line at the end:
--   SOAK_READ requests=N p50_us=U p99_us=U max_us=U sock_connect=N sock_read=N sock_write=N sock_timeout=N status:200=N status:503:unavailable=N ...
local token = os.getenv("SOAK_TOKEN")
local paths = {}
for p in string.gmatch(os.getenv("SOAK_PATHS") or "/healthz", "[^,]+") do
  paths[#paths + 1] = p
end
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  counts = {}
  n = id
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {["Authorization"] = "Bearer " .. token})
end

function response(status, headers, body)
  local key = "status:" .. status
  if status >= 300 then
    local code = body and string.match(body, '"code":"([%w_]+)"')
    key = key .. ":" .. (code or "-")
  end
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do
      all[k] = (all[k] or 0) + v
    end
  end
  local e = summary.errors
  local line = string.format(
    "SOAK_READ requests=%d p50_us=%d p99_us=%d max_us=%d sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d",
    summary.requests, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout)
  for k, v in pairs(all) do
    line = line .. " " .. k .. "=" .. v
  end
  io.write(line .. "\n")
end
