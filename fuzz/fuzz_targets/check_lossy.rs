//! The parser and checker on arbitrary bytes, invalid UTF-8 replaced by U+FFFD: they must
//! return diagnostics, never panic, hang or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    procura_fuzz::check_source(&String::from_utf8_lossy(data));
});
