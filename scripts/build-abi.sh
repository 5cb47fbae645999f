#!/usr/bin/env bash
# Builds the plain WebAssembly module (`--features abi`, docs/abi.md) that `procura serve` and
# `tests/wasmtime.rs` host: target/wasm32-unknown-unknown/abi-release/procura.wasm. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

target=wasm32-unknown-unknown
if ! rustup target list --installed | grep -qx "$target"; then
  echo "build-abi: installing the Rust target $target"
  rustup target add "$target"
fi

# WebAssembly SIMD (wasmtime compiles it on any x86-64 or aarch64 host) lets LLVM vectorise the
# byte scans of JSON reading and report writing, as it does natively. Inlining far more than
# LLVM's default (threshold 225) matters more in WebAssembly than natively: every function entry
# of the module pays wasmtime's deadline check (epoch interruption) besides the call itself.
# Measured on one decision of `rules/onboarding.policy`: 10 % fewer instructions and about 13 %
# less time in wasmtime, for a module of 2.7 MB instead of 1.0 MB (compiled once, at start).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:--C target-feature=+simd128 -C llvm-args=-inline-threshold=2000}"
echo "build-abi: cargo build --target $target --profile abi-release --no-default-features --features abi"
cargo build -j "${CARGO_BUILD_JOBS:-2}" --lib --target "$target" --profile abi-release \
  --no-default-features --features abi

out="${CARGO_TARGET_DIR:-target}/$target/abi-release/procura.wasm"
echo "build-abi: $out ($(wc -c <"$out") bytes, $(gzip -9 -c "$out" | wc -c) gzipped)"
