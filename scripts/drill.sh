#!/usr/bin/env bash
# Resilience drills against real Herald processes (see docs/benchmarks.md):
#   kill -9 five times while publishing and delivering (SQLite), misbehaving receivers beside a healthy one,
#   and two PostgreSQL nodes with one killed (when HERALD_TEST_POSTGRES or --postgres gives a server); storage faults
#   with publishing running: a full disk (SQLite on a 16 MiB tmpfs; needs root to mount), a stopped and a frozen (SIGSTOP)
#   throwaway PostgreSQL cluster (initdb on a spare port); delivery in the wild (issue 14): a bad-endpoint population beside
#   an all-healthy baseline (50 destinations; 200 with --events 2000 or more), SIGTERM with sends in flight then a restart,
#   and erasure under delivery (SQLite, and PostgreSQL with a server). HERALD_DRILL_ONLY=text runs only the drills whose name has it ("a|b": a or b).
# Usage: scripts/drill.sh [--events N] [--postgres "Host=...;Database=postgres"]
# Ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
events=300
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
dotnet build -c Release bench/Herald.Bench -v quiet -nologo >/dev/null
exec dotnet run -c Release --no-build --project bench/Herald.Bench -- --drill --events "$events" "${args[@]}"
