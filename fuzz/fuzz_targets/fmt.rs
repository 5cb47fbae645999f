//! The formatter: for any source that parses, the formatted text parses to the same tree
//! (spans aside) with the same comments in the same order, and formatting it again changes
//! nothing (`procura_fuzz::fmt::assert_formats`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        procura_fuzz::fmt::assert_formats(source);
    }
});
