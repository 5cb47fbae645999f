//! The parser and checker on valid UTF-8 only, so that the fuzzer spends no time on inputs
//! that the lossy target would turn into replacement characters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        procura_fuzz::check_source(source);
    }
});
