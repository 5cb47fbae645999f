#!/usr/bin/env bash
# Builds the playground for production and runs its browser tests (node --test + playwright-core
# driving Debian's Chromium headless). Screenshots of every tested page state, at 1280x800 and
# 390x844, land in www/test-results/.
#
#   www/scripts/test.sh
#
# Needs the WebAssembly packages in www/pkg and www/pkg-reader: built here by
# scripts/build-wasm.sh when they are missing; run that script first to test a changed evaluator
# or reader. tests/import.test.js also runs the native binary, `$PROCURA_BIN` (by default
# `$CARGO_TARGET_DIR/release/procura`), which scripts/setup.sh builds.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '==> %s\n' "$*"; }

scripts/install.sh

if [ -f pkg/procura.js ] && [ -f pkg/procura_bg.wasm ] && [ -f pkg-reader/procura_reader_bg.wasm ]; then
  step "using the WebAssembly packages in www/pkg and www/pkg-reader"
else
  step "building the WebAssembly package (scripts/build-wasm.sh)"
  ../scripts/build-wasm.sh
fi

step "vite build (www/dist)"
npx vite build --logLevel warn

step "browser tests (node --test www/tests/)"
rm -rf test-results
# One file at a time: the timing test should not share the two cores with the other browser.
node --test --test-concurrency=1 tests/
