#!/usr/bin/env bash
# Walks through the demo against a server started by `make run` (demo mode):
# sign in, add the demo base playlist, two children, sync, print the event.
set -euo pipefail
API=${1:-http://127.0.0.1:8080}
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }
TOKEN=$(curl -sfL "$API/api/auth/login" | json 'd["token"]')
auth=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
BASE=$(curl -sf "${auth[@]}" -d '{"spotify_playlist_id":"fdvaiSC7EBuaE29215mRQE"}' "$API/api/base-playlists" | json 'd["id"]')
echo "base playlist: $BASE"
curl -sf "${auth[@]}" -d '{"name":"90s","filter":{"field":"release_year","op":"between","value":[1990,1999]}}' \
  "$API/api/base-playlists/$BASE/child-playlists" | json '"child: %s -> spotify %s" % (d["name"], d["spotify_playlist_id"])'
curl -sf "${auth[@]}" -d '{"name":"Short and clean","filter":{"all":[{"field":"duration_ms","op":"lt","value":240000},{"field":"explicit","op":"eq","value":false}]}}' \
  "$API/api/base-playlists/$BASE/child-playlists" | json '"child: %s -> spotify %s" % (d["name"], d["spotify_playlist_id"])'
echo "sync:"
curl -sf -X POST "${auth[@]}" "$API/api/base-playlists/$BASE/sync" | python3 -m json.tool
