#!/usr/bin/env bash
# Installs what Procura needs and builds the release binary. Idempotent: every step says what
# it does and skips itself when its work is already done, so CI may run it on every job.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/features.sh

step() { printf '==> %s\n' "$*"; }
skip() { printf '    (already done) %s\n' "$*"; }

require_cargo() {
  step "checking for the Rust toolchain"
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: \`cargo\` is not installed; install Rust 1.95 or newer from https://rustup.rs" >&2
    exit 1
  fi
  skip "$(cargo --version)"
}

build_release() {
  # Cargo itself skips the work when nothing changed. The features are the test script's
  # (scripts/features.sh): the Node and browser tests run this binary. The Rust tests are built
  # by scripts/test.sh in the `ci` profile (Cargo.toml: release without link-time optimisation).
  step "building the release binary (${CARGO_TARGET_DIR:-target}/release/procura; link-time optimised, a few minutes)"
  cargo build --release --bin procura --features "$NATIVE_FEATURES" -j 2
}

build_wasm() {
  step "building the WebAssembly packages (www/pkg for browsers, pkg-node for Node, www/pkg-reader the template reader)"
  scripts/build-wasm.sh
}

build_abi() {
  step "building the plain WebAssembly module for wasmtime (procura serve)"
  scripts/build-abi.sh
}

install_browser_tools() {
  step "installing the browser test tools (Debian Chromium, www/ npm packages)"
  www/scripts/install.sh
}

install_editor_tools() {
  step "checking the npm packages of editors/vscode/ (the grammar's tokenizer, for its test)"
  # npm writes node_modules/.package-lock.json on every install: older than the lockfile means stale.
  if [ -f editors/vscode/node_modules/.package-lock.json ] &&
    [ ! editors/vscode/package-lock.json -nt editors/vscode/node_modules/.package-lock.json ]; then
    skip "editors/vscode/node_modules is up to date with package-lock.json"
  else
    (cd editors/vscode && npm ci --no-audit --no-fund)
  fi
}

require_cargo
# The module first: the release binary embeds it (build.rs), so that `procura serve` needs no
# file beside it.
build_abi
build_release
build_wasm
install_browser_tools
install_editor_tools
step "setup complete"
