# The one feature set of every native build, check and test (sourced by setup.sh and test.sh):
# the command line, the server, the `abi` code (whose tests run natively) and the internals the
# syntax tests read. Building, testing
# and linting with the same features lets cargo reuse every artifact, wasmtime included,
# instead of compiling twice. The library's own default is no feature at all.
# shellcheck disable=SC2034
NATIVE_FEATURES=abi,cli,import,serve,internals

# The abi module that native builds embed (build.rs) and the server tests load, set the same in
# setup.sh and test.sh: a value that changed between them would make cargo rebuild the crate.
export PROCURA_ABI_WASM="${PROCURA_ABI_WASM:-${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/abi-release/procura.wasm}"
