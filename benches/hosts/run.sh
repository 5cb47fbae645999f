#!/usr/bin/env bash
# The per-host harness: one decision of `rules/onboarding.policy` (every supplier of
# `rules/data/suppliers.jsonl` in turn, with `rules/data/reference.json`), JSON text in and
# report JSON text out, natively, in wasmtime on the plain `abi` module and in Node on the
# wasm-bindgen build, in one run. Prints the median ns/decision of each host and the ratios to
# native.
#
#   benches/hosts/run.sh [ROUNDS]    # rounds of 12,000 decisions per host, default 7
#
# Builds both WebAssembly modules first (idempotent). Native and wasmtime alternate round by
# round in one process (`benches/abi.rs`); Node runs next (`benches/hosts/node.mjs`). All
# three must produce the same reports (compared byte for byte, and by checksum with Node).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}

scripts/build-abi.sh >&2
scripts/build-wasm.sh >&2
export PROCURA_ABI_WASM="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/abi-release/procura.wasm"
rust=$(cargo bench -j 2 --features serve --bench abi -- --rounds "$rounds" | tail -n 1)
node benches/hosts/node.mjs --rounds "$rounds" --compare "$rust"
