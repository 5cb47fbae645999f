//! The streaming XML reader of `procura import eu-sanctions` on arbitrary bytes: a table or an
//! `ImportError` (DTDs refused, entities never expanded), never a panic, a hang or memory out
//! of proportion to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procura::import::{ReferenceOptions, eu};

fuzz_target!(|data: &[u8]| {
    let _ = eu::read("fuzz.xml", data, &ReferenceOptions::default());
});
