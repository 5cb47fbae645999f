# The one feature set of every native build, check and test (sourced by setup.sh and test.sh):
# the command line, the server, the `abi` code (whose tests run natively) and the internals the
# syntax tests read. Building, testing
# and linting with the same features lets cargo reuse every artifact, wasmtime included,
# instead of compiling twice. The library's own default is no feature at all.
# shellcheck disable=SC2034
NATIVE_FEATURES=abi,cli,import,serve,internals
