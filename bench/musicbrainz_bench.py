"""Scenario S1 with MusicBrainz (issue 13): genres in development mode. Called by
sync_bench.py (run_musicbrainz), which owns the catalogue, the processes and the report;
Python standard library only.

On the sync bench's catalogue (base 1: 5,000 tracks, 2,500 artists) it starts the
Spotify emulator in development mode (20 ms a request), the MusicBrainz emulator over the
same catalogue with MusicBrainz's own limit (1 request per rolling second, else 503) and
LATENCY_MS per answer, and one playrouter at PLAYROUTER_MUSICBRAINZ_RATE=1:

  M1 cold       base 1, five children on genre + release year (the values picked as the
                sync bench picks them), nothing known yet
  M2 no change  re-sync
  M3 half       a second base of 2,500 of base 1's tracks and 2,500 of base 2's
  M4 re-eval    a child's rule changed: evaluated again, MusicBrainz is not asked

MusicBrainz requests are the emulator's counters (checked against the SyncEvent's
metadata_requests and against 503s: there must be none); the physical minimum of a
case is ceil(R/100) + ceil(M/100) (+1 for the genre list when it is not known yet),
R the distinct recordings of the ISRCs asked and M their distinct credited artists
that were not known (docs/musicbrainz.md §6), from the emulator's ground truth.
"""
import math
import os
import sys
import time

LATENCY_MS = 100  # MusicBrainz answers in 100-500 ms; the lower end, to be fair to the bar
CONTACT = "bench@playrouter.invalid"


def run_musicbrainz(sb, args, world, catalog_path, work, log_dir):
    """sb: the sync_bench module. Returns {"cases": {...}, "minimum": {...}} or {"error"}."""
    b = sb.Bench(args.build, "development", world, work, None, log_dir)
    out = {"cases": {}, "notes": []}
    mb = None
    try:
        b.start_emulator(catalog_path)
        port = sb.free_port()
        mb = sb.Proc("musicbrainz-emulator", [
            os.path.join(args.build, "musicbrainz-emulator"), "--port", str(port),
            "--catalog", catalog_path, "--rate", "1", "--latency-ms", str(LATENCY_MS)],
            log_dir=log_dir)
        mb_url = mb.start("listening on ", timeout=120).rstrip("/")

        def mb_admin(method, path, body=None):
            st, _, got = sb.call(mb_url, method, "/__admin" + path, body=body)
            sb.expect(st, 200, "musicbrainz admin %s %s" % (method, path), got)
            return got

        extra = {"PLAYROUTER_MUSICBRAINZ_BASE": mb_url + "/ws/2",
                 "PLAYROUTER_MUSICBRAINZ_RATE": "1", "PLAYROUTER_CONTACT": CONTACT}
        env = b.server_env(os.path.join(work, "musicbrainz"), extra=extra)
        env.pop("PLAYROUTER_REDIS_URL")  # development mode fetches no artists from Spotify
        data = os.path.join(work, "musicbrainz")
        os.makedirs(data, exist_ok=True)
        srv = sb.Proc("server-musicbrainz", [os.path.join(args.build, "playrouter")], env=env,
                      log_dir=log_dir)
        b.procs.append(srv)
        srv.url = srv.start("listening on ", timeout=60).rstrip("/")
        tok = b.sign_in(srv)

        known_recs, known_arts = set(), set()

        def minimum(track_ids, genre_list):
            """ceil(R/100) + ceil(M/100) (+1): what no plan can go below."""
            isrcs = {t["isrc"] for t in world.cat.tracks if t["id"] in set(track_ids)}
            recs, arts = set(), set()
            for code in isrcs:
                tr = mb_admin("GET", "/truth/isrc/" + code)
                for r in tr.get("recordings") or []:
                    recs.add(r["id"])
                    arts.update(r.get("artists") or [])
            new_recs, new_arts = recs - known_recs, arts - known_arts
            known_recs.update(recs)
            known_arts.update(arts)
            return (math.ceil(len(new_recs) / 100) + math.ceil(len(new_arts) / 100) +
                    (1 if genre_list else 0), len(isrcs), len(new_recs), len(new_arts))

        def measure(base_id):
            mb_admin("DELETE", "/counters")
            mb_admin("DELETE", "/requests")
            res = b.measure_sync(srv, tok, base_id)
            counts = mb_admin("GET", "/counters")
            by = {k: sum(v.values()) for k, v in counts.items() if k.startswith("GET /ws/2")}
            res["mb_requests"] = sum(by.values())
            res["mb_by_endpoint"] = by
            res["mb_503"] = sum(v.get("503", 0) for k, v in counts.items()
                                if k.startswith("GET /ws/2"))
            ev = res.get("event") or {}
            res["mb_event"] = (ev.get("metadata_requests") or {}).get("musicbrainz")
            log = mb_admin("GET", "/requests").get("requests", [])
            res["mb_user_agents"] = sorted({r.get("user_agent") for r in log})
            return res

        def children_for(base_id, track_ids, tag):
            rules = sb.make_rules(world, track_ids, "extended")  # genre values + year windows
            kids = []
            for k, (rule, _) in enumerate(rules):
                pid = b.admin("POST", "/playlists", {"owner": sb.USER, "name": "mb %s %d" % (tag, k),
                                                     "size": 0}, want=201)["id"]
                st, _, ch = sb.call(srv.url, "POST",
                                    "/api/base-playlists/%s/child-playlists" % base_id,
                                    {"name": "mb child %d" % k, "filter": rule,
                                     "spotify_playlist_id": pid}, token=tok)
                sb.expect(st, 201, "POST child-playlists", ch)
                kids.append(ch)
            return kids

        def case(name, fn):
            try:
                res = fn()
                out["cases"][name] = res
                print("  [musicbrainz] %-10s %4d MusicBrainz requests (minimum %s)  %4d Spotify"
                      "  %6.1f s wall" % (name, res["mb_requests"], res.get("minimum", ["-"])[0],
                                         res["requests"], res["wall_s"]), file=sys.stderr)
            except Exception as e:
                out["cases"][name] = {"error": "%s: %s" % (type(e).__name__, e)}
                print("  [musicbrainz] %s FAILED: %s" % (name, e), file=sys.stderr)

        state = {}

        def cold():
            st, _, base = sb.call(srv.url, "POST", "/api/base-playlists",
                                  {"spotify_playlist_id": world.p_base1}, token=tok)
            sb.expect(st, 201, "POST /api/base-playlists", base)
            state["base1"] = base["id"]
            state["kids"] = children_for(base["id"], world.base1, "cold")
            res = measure(base["id"])
            res["minimum"] = minimum(world.base1, True)
            return res

        def nochange():
            return measure(state["base1"])

        def half():
            ids = world.base1[:2500] + world.base2[:2500]
            pid = b.admin("POST", "/playlists", {"owner": sb.USER, "name": "mb half",
                                                 "uris": ["spotify:track:" + t for t in ids]},
                          want=201)["id"]
            st, _, base = sb.call(srv.url, "POST", "/api/base-playlists",
                                  {"spotify_playlist_id": pid}, token=tok)
            sb.expect(st, 201, "POST /api/base-playlists", base)
            children_for(base["id"], ids, "half")
            res = measure(base["id"])
            res["minimum"] = minimum(ids, False)
            return res

        def reeval():
            kid = state["kids"][0]
            rule = {"all": [{"field": "genre", "op": "exists"},
                            {"field": "release_year", "op": "lt", "value": 1990}]}
            st, _, ch = sb.call(srv.url, "PATCH", "/api/child-playlists/%s" % kid["id"],
                                {"filter": rule}, token=tok)
            sb.expect(st, 200, "PATCH child", ch)
            return measure(state["base1"])

        case("cold", cold)
        if "base1" in state:
            case("nochange", nochange)
        case("half", half)
        if "base1" in state:
            case("reeval", reeval)
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
        print("  [musicbrainz] FAILED: %s" % e, file=sys.stderr)
    finally:
        b.stop()
        if mb:
            mb.stop()
    return out


def report_musicbrainz(sb, r, lines):
    """Appends the MusicBrainz table to lines; returns [(label, ok)] bars."""
    p = lines.append
    bars = []
    p("")
    p("### MusicBrainz: development mode, rules on genre + release year (MusicBrainz genres)")
    p("")
    p("MusicBrainz emulator over the same catalogue: MusicBrainz's own limit (1 request per "
      "rolling second, else 503), %d ms per answer; PLAYROUTER_MUSICBRAINZ_RATE=1. Physical "
      "minimum = ceil(recordings/100) + ceil(artists/100) (+1 genre list), of what was not "
      "known yet (docs/musicbrainz.md)." % LATENCY_MS)
    if r.get("error"):
        p("")
        p("run failed: %s" % r["error"])
    p("")
    p("| case | MusicBrainz requests | physical minimum | by endpoint | 503s | Spotify requests "
      "| wall | bar | |")
    p("|---|---:|---:|---|---:|---:|---:|---|---|")
    c = r.get("cases", {})

    def row(label, key, bar_text, ok_fn):
        res = c.get(key)
        if res is None or "mb_requests" not in res:
            err = (res or {}).get("error", "not run")
            p("| %s | – | | error: %s | | | | %s | **MISS** |" % (label, err.replace("|", "/")[:200],
                                                                bar_text))
            bars.append((label, False))
            return
        ok = ok_fn(res) and not res.get("error") and res["mb_503"] == 0 and \
            res["mb_event"] == res["mb_requests"]
        m = res.get("minimum")
        mtext = ("%d (%d ISRCs; not known yet: %d recordings, %d artists)" % m) if m else "0"
        note = ""
        if res["mb_event"] != res["mb_requests"]:
            note = " [SyncEvent says %s]" % res["mb_event"]
        if res.get("error"):
            note += " (sync %s)" % res["error"]
        p("| %s | %d%s | %s | %s | %d | %d | %.1f s | %s | %s |" % (
            label, res["mb_requests"], note, mtext,
            ", ".join("%s %d" % (k.replace("GET /ws/2", ""), v)
                      for k, v in sorted(res["mb_by_endpoint"].items())) or "none",
            res["mb_503"], res["requests"], res["wall_s"], bar_text, sb.verdict(ok)))
        bars.append((label, ok))

    row("M1 cold, 5,000 tracks", "cold", "≤ 120 requests, wall ≤ 150 s",
        lambda x: x["mb_requests"] <= 120 and x["wall_s"] <= 150)
    row("M2 re-sync, no change", "nochange", "0 requests", lambda x: x["mb_requests"] == 0)
    row("M3 2nd base, half the tracks shared", "half", "≤ 60 requests",
        lambda x: x["mb_requests"] <= 60)
    row("M4 re-sync, a rule changed", "reeval", "0 requests", lambda x: x["mb_requests"] == 0)
    uas = sorted({u for res in c.values() if isinstance(res, dict)
                  for u in res.get("mb_user_agents", []) if u})
    p("")
    p("- User-Agent of every MusicBrainz request: %s" % (", ".join(uas) or "none"))
    cold = c.get("cold") or {}
    if "mb_requests" in cold:
        ev = cold.get("event") or {}
        p("- cold: children matched %s; %.2f s per MusicBrainz request on average (1 s window "
          "from each answer + %d ms latency)" % (
              ", ".join(str(ch.get("matched")) for ch in ev.get("children", [])),
              cold["wall_s"] / max(cold["mb_requests"], 1), LATENCY_MS))
    return bars
