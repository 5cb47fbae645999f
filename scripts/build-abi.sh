#!/usr/bin/env bash
# Builds the plain WebAssembly module (`--features abi`, docs/abi.md) that `procura serve` and
# `tests/wasmtime.rs` host, and copies it to target/procura-abi.wasm. Idempotent.
#
# The copy exists because cargo writes every wasm32 build of this crate to the same
# target/wasm32-unknown-unknown/wasm-release/procura.wasm, so the wasm-bindgen build
# (scripts/build-wasm.sh) would otherwise overwrite this one.
set -euo pipefail
cd "$(dirname "$0")/.."

target=wasm32-unknown-unknown
if ! rustup target list --installed | grep -qx "$target"; then
  echo "build-abi: installing the Rust target $target"
  rustup target add "$target"
fi

echo "build-abi: cargo build --target $target --profile wasm-release --no-default-features --features abi"
cargo build -j "${CARGO_BUILD_JOBS:-2}" --lib --target "$target" --profile wasm-release \
  --no-default-features --features abi

target_dir="${CARGO_TARGET_DIR:-target}"
built="$target_dir/$target/wasm-release/procura.wasm"
out="$target_dir/procura-abi.wasm"
cp "$built" "$out"
echo "build-abi: $out ($(wc -c <"$out") bytes, $(gzip -9 -c "$out" | wc -c) gzipped)"
