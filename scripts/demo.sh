#!/usr/bin/env bash
# The demo walk-through against a running `make run` (see scripts/demo.py): sign in,
# the demo base playlist, two children, a sync. Safe to run again.
exec python3 "$(dirname "$0")/demo.py" "$@"
