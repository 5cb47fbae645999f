//! The workbook readers of `procura import` (and of `procura serve`'s `/evaluate-cmrt`) on
//! arbitrary bytes: the CMRT and EMRT readers, and the reference lists that read a workbook or,
//! when the bytes are not one, CSV. Each must return a record or an `ImportError` within the
//! import limits, never panic, hang or exhaust memory (`-rss_limit_mb`).
//!
//! The first byte chooses the reader; the rest is the file. Seeds: the workbooks of
//! `tests/import.rs` (`fuzz/seed-corpus.sh` copies those a test run left behind).
#![no_main]

use libfuzzer_sys::fuzz_target;
use procura::import::cmrt::{self, Template};
use procura::import::{ReferenceOptions, cpi, ofac, rmi, svhc};

fuzz_target!(|data: &[u8]| {
    let Some((&choice, file)) = data.split_first() else {
        return;
    };
    let options = ReferenceOptions::default();
    let _ = match choice % 6 {
        0 => cmrt::read("fuzz.xlsx", file, Template::Cmrt),
        1 => cmrt::read("fuzz.xlsx", file, Template::Emrt),
        2 => cpi::read("fuzz.xlsx", file, &options),
        3 => rmi::read("fuzz.xlsx", file, &options),
        4 => svhc::read("fuzz.xlsx", file, &options),
        _ => ofac::read("fuzz.csv", file, &options),
    };
});
