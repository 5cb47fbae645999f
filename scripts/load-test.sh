#!/usr/bin/env bash
# The load test of `procura serve` (issue 18; tests/server_load.rs) at full length: SECONDS
# (default 60) at capacity on loopback while one policy is rewritten in place every second and
# another broken and repaired, then more connections than the limit, then SIGTERM under load.
# Requires p99 under P99_MS (default 10). Prints the figures with the load average, for
# BENCHMARKS.md ("Session 7 — serve"). CI runs the same test for 5 s (scripts/test.sh).
#
#   scripts/load-test.sh [SECONDS] [P99_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/features.sh
seconds="${1:-60}"
p99="${2:-10}"
scripts/build-abi.sh >/dev/null
echo "load-test: ${seconds}s, p99 limit ${p99} ms; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
output=$(PROCURA_LOAD_SECONDS="$seconds" PROCURA_LOAD_P99_MS="$p99" \
  cargo test --profile ci --features "$NATIVE_FEATURES" -j 2 --test server_load -- --nocapture 2>&1) \
  || status=$?
grep -E '^(load:|test |thread|  left|  right|test result|error)' <<<"$output" || echo "$output" | tail -20
echo "load-test: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
