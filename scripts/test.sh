#!/usr/bin/env bash
# Runs every check CI runs. setup.sh builds the binary that ships (release profile, link-time
# optimised); the tests and clippy share the `ci` profile (release without link-time
# optimisation, Cargo.toml), so that their dependencies are compiled once per run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/features.sh

step() { printf '==> %s\n' "$*"; }

scripts/setup.sh
# The server and wasmtime tests host the module that setup built ($PROCURA_ABI_WASM, set by
# scripts/features.sh).
target_dir="${CARGO_TARGET_DIR:-target}"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --profile ci --all-targets --features "$NATIVE_FEATURES" -j 2 -- -D warnings

step "cargo test"
cargo test --profile ci --features "$NATIVE_FEATURES" -j 2

step "cargo clippy for the WebAssembly bindings"
cargo clippy --profile ci --target wasm32-unknown-unknown --no-default-features --features wasm -j 2 -- -D warnings

step "cargo clippy for the template reader module (calamine, zip, quick-xml for WebAssembly)"
cargo clippy --profile ci --target wasm32-unknown-unknown --no-default-features --features wasm-reader --lib -j 2 -- -D warnings

step "cargo clippy for the plain WebAssembly module"
cargo clippy --profile ci --target wasm32-unknown-unknown --no-default-features --features abi --lib -j 2 -- -D warnings

step "node --test tests/node/ (WebAssembly package; differential against the native CLI)"
PROCURA_BIN="$target_dir/release/procura" node --test tests/node/

step "browser tests of www/ (playground, supplier form, the same workbook in the CLI, Node and Chromium)"
www/scripts/test.sh

step "the editor grammar (editors/vscode) against every policy of rules/"
(cd editors/vscode && npm test)

step "procura fmt --check rules/*.policy rules/lib/*.policy"
"$target_dir/release/procura" fmt --check rules/*.policy rules/lib/*.policy

step "procura test --coverage rules/*.policy (every example passes; coverage at least 96%, docs/coverage.md)"
"$target_dir/release/procura" test --coverage --min-coverage 96 rules/*.policy

step "all tests passed"
