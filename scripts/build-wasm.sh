#!/usr/bin/env bash
# Builds the WebAssembly package of the evaluator for browsers (www/pkg, ES module) and Node
# (pkg-node, CommonJS), and the reporting-template reader that the supplier form loads when a
# workbook is dropped (www/pkg-reader, ES module, also loadable in Node with `initSync`),
# installing what it needs first. Idempotent: installed tools are kept.
#
#   scripts/build-wasm.sh
#
# Fails when the browser module exceeds its size budget (gzipped).
set -euo pipefail
cd "$(dirname "$0")/.."

# Issue 15 asks for 250 KiB, which is not met (BENCHMARKS.md, "Browser module size"): language
# v2 brought the module to about 300 KiB, and the remedies of the supplier form and the coverage
# of the playground's examples tab (issues 17 and 19) to 326,395 bytes, the language server's
# analysis for the playground's hover and completion (issue 19) to 343,306, 344,415 in session
# 12. BENCHMARKS.md ("what the 250 KB browser module would take") shows that even a module
# without any of the code that reads source would be about 251 KB. The check is a ratchet set
# just above the module as it is, so that any growth is a decision recorded there.
BUDGET_GZIP_BYTES=$((337 * 1024))
TARGET=wasm32-unknown-unknown
TARGET_DIR=${CARGO_TARGET_DIR:-target}

say() { printf '==> %s\n' "$*" >&2; }

if rustup target list --installed | grep -qx "$TARGET"; then
  say "rust target $TARGET already installed"
else
  say "installing rust target $TARGET"
  rustup target add "$TARGET"
fi

# The CLI must be exactly the version of the wasm-bindgen crate, or it refuses the module.
version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$version" ]; then
  echo "error: no wasm-bindgen in Cargo.lock (run \`cargo generate-lockfile\`)" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $version" ]; then
  say "wasm-bindgen-cli $version already installed"
else
  # No `--locked`: the CLI's own lockfile pins a crate version this registry may lack.
  say "installing wasm-bindgen-cli $version (a few minutes)"
  cargo install wasm-bindgen-cli --version "$version" -j 2
fi

# binaryen from npm: Debian's older wasm-opt breaks wasm-bindgen's externref table.
if [ -x node_modules/.bin/wasm-opt ] && [ -x node_modules/.bin/tsc ]; then
  say "npm tools (binaryen, typescript) already installed"
else
  say "installing npm tools (binaryen, typescript)"
  npm ci --no-audit --no-fund
fi

say "building the wasm-release profile for $TARGET (browsers: optimised for size)"
cargo build --target "$TARGET" --profile wasm-release --no-default-features --features wasm -j 2
module="$TARGET_DIR/$TARGET/wasm-release/procura.wasm"
# Node downloads nothing, so its build is optimised for speed instead: opt-level 3 and
# WebAssembly SIMD (Node 16.4 and later) evaluate about twice as fast as the browser build. A
# target directory of its own keeps both builds cached.
say "building the Node module (opt-level 3, SIMD) for $TARGET"
node_target_dir="$TARGET_DIR/wasm-node"
CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=3 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
  cargo build --target "$TARGET" --profile wasm-release --no-default-features --features wasm -j 2 \
  --target-dir "$node_target_dir"
node_module="$node_target_dir/$TARGET/wasm-release/procura.wasm"
# The template reader (`wasm-reader`: `src/import/` behind `src/wasm_reader.rs`) is a module of
# its own, so that the browser module does not carry calamine, zip and quick-xml; its target
# directory keeps both builds cached (the features differ).
say "building the template reader module (feature wasm-reader) for $TARGET"
reader_target_dir="$TARGET_DIR/wasm-reader"
reader_start=$(date +%s)
cargo build --target "$TARGET" --profile wasm-release --no-default-features --features wasm-reader -j 2 \
  --target-dir "$reader_target_dir"
say "template reader built in $(($(date +%s) - reader_start)) s"
reader_module="$reader_target_dir/$TARGET/wasm-release/procura.wasm"

size_line() {
  printf '%-28s %8d bytes raw %8d bytes gzip\n' "$1" "$(wc -c <"$1")" "$(gzip -9 -c "$1" | wc -c)"
}

# Browser flags beyond -Oz (BENCHMARKS.md, "Browser module size, language v2"):
# `--low-memory-unused` lets wasm-opt fold constant offsets into loads and stores, which holds
# for Rust's layout (the stack sits below 1 MiB and grows down, data and heap above it; nothing
# lives in the first KiB); `--converge` repeats -Oz until the module stops shrinking.
browser_flags="-Oz --converge --low-memory-unused"
for build in "web:www/pkg:procura:$module:$browser_flags" "nodejs:pkg-node:procura:$node_module:-O3" \
  "web:www/pkg-reader:procura_reader:$reader_module:$browser_flags"; do
  IFS=: read -r kind out name input level <<<"$build"
  say "wasm-bindgen --target $kind -> $out/$name.js"
  rm -rf "$out"
  wasm-bindgen "$input" --target "$kind" --out-dir "$out" --out-name "$name" \
    --remove-name-section --remove-producers-section
  say "wasm-opt $level $out/${name}_bg.wasm"
  # shellcheck disable=SC2086 # $level is a list of flags
  node_modules/.bin/wasm-opt $level --enable-simd "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
done

# Makes pkg-node installable as it is (`npm install path/to/pkg-node`).
crate_version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
cat >pkg-node/package.json <<EOF
{
  "name": "procura",
  "version": "$crate_version",
  "description": "Procura policy checker and evaluator (WebAssembly)",
  "license": "MIT OR Apache-2.0",
  "main": "procura.js",
  "types": "procura.d.ts",
  "files": ["procura.js", "procura.d.ts", "procura_bg.wasm", "procura_bg.wasm.d.ts"]
}
EOF

# The browser build is an ES module; this lets Node and bundlers load it without guessing.
printf '{ "type": "module" }\n' | tee www/pkg/package.json >www/pkg-reader/package.json

say "sizes"
size_line "$module" >&2
size_line www/pkg/procura_bg.wasm >&2
size_line pkg-node/procura_bg.wasm >&2
size_line www/pkg-reader/procura_reader_bg.wasm >&2

gzip_bytes=$(gzip -9 -c www/pkg/procura_bg.wasm | wc -c)
if [ "$gzip_bytes" -gt "$BUDGET_GZIP_BYTES" ]; then
  echo "error: www/pkg/procura_bg.wasm is $gzip_bytes bytes gzipped, over the budget of $BUDGET_GZIP_BYTES" >&2
  exit 1
fi
say "done: www/pkg (browsers), pkg-node (Node), www/pkg-reader (the template reader)"
