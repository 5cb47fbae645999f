#!/bin/sh
# Instructions of one round of a `benches/counts.rs` workload under callgrind:
# (I(ROUNDS) - I(0)) / ROUNDS. Usage: benches/counts.sh WORKLOAD [ROUNDS]
# (for `input`, `serde` and `input-text` a round reads 1,000 suppliers).
set -eu
workload=$1
rounds=${2:-10}
cargo bench --bench counts --no-run -j 2 2>/dev/null
binary=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/counts-* | grep -v '\.d$' | head -1)
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$workload" "$1" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
base=$(instructions 0)
total=$(instructions "$rounds")
echo "$workload: $(( (total - base) / rounds )) instructions a round ($rounds rounds)"
