#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each (default 60), at the lowest CPU
# priority, and prints libFuzzer's final statistics. Crashes are written to
# fuzz/artifacts/TARGET/; each one found must become a test in tests/regressions.rs.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_JOBS=4 scripts/fuzz.sh 660      # every target at once, 11 minutes each
#
# Targets: check_lossy, check_utf8 (parser and checker on bytes), eval_json (evaluation of
# arbitrary JSON against rules/*.policy), generated (well-typed generated policies: compile,
# print round trip, evaluation), fmt (the formatter keeps tree and comments, and is idempotent),
# import_workbook, import_xml (the importers on bytes). Installs
# cargo-fuzz if missing; needs the nightly toolchain.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(check_lossy check_utf8 eval_json generated fmt import_workbook import_xml)

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "installing the nightly toolchain (cargo fuzz needs it)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz
fi

"$root/fuzz/seed-corpus.sh"
cd "$root/fuzz"
echo "building the fuzz targets"
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" nice -n 19 cargo +nightly fuzz build -O
mkdir -p logs
jobs="${FUZZ_JOBS:-1}"

fuzz_one() { # TARGET: run it, then print libFuzzer's last statistics line
    local target="$1"
    mkdir -p "artifacts/$target"
    echo "fuzzing $target for ${seconds}s (log: fuzz/logs/$target.log)"
    # -timeout: an input that runs longer than 60 s counts as a hang (generous: the fuzzers
    # run at the lowest priority on shared machines).
    local status=0
    nice -n 19 cargo +nightly fuzz run -O "$target" -- \
        -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
        >"logs/$target.log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+DONE' "logs/$target.log" | sed "s/^/$target: /" || true
    if [ "$status" -ne 0 ]; then
        echo "$target FAILED: see fuzz/logs/$target.log and fuzz/artifacts/$target/"
    fi
    return "$status"
}

status=0
running=()
for target in "${targets[@]}"; do
    fuzz_one "$target" &
    running+=($!)
    if [ ${#running[@]} -ge "$jobs" ]; then
        wait "${running[0]}" || status=1
        running=("${running[@]:1}")
    fi
done
for pid in "${running[@]}"; do
    wait "$pid" || status=1
done
exit $status
