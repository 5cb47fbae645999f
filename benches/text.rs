//! `matches` (LANGUAGE.md §9.4) over long texts: its time must grow linearly with the text
//! (the 1 MiB text takes about four times the 256 KiB one), also for a pattern that would
//! backtrack exponentially in a backtracking engine.
//! Run: `cargo bench --bench text`.

use procura::limits::Limits;
use procura::{Date, Policy};
use serde_json::json;

fn main() {
    divan::main();
}

/// A policy whose one rule matches the supplier's `notes` against `pattern`.
fn policy(pattern: &str) -> Policy {
    let source = format!(
        "input supplier {{ notes: text }}\n\
         rule shape \"Notes\" {{ require matches(supplier.notes, r\"{pattern}\") else warn \"no\" }}\n"
    );
    // A 1 MiB text is over the default input limit for one string (64 KiB).
    let limits = Limits {
        max_input_string_bytes: 2 << 20,
        ..Limits::default()
    };
    procura::compile(&source).unwrap().with_limits(limits)
}

/// `kib` KiB of `a`s ending in `b`, so that no pattern below matches before the end.
fn text(kib: usize) -> String {
    let mut text = "a".repeat(kib * 1024 - 1);
    text.push('b');
    text
}

fn bench_matches(bencher: divan::Bencher, pattern: &str, kib: usize) {
    let policy = policy(pattern);
    let record = policy.input(&json!({ "notes": text(kib) })).unwrap();
    let data = policy.reference_data(None).unwrap();
    let today = Date::parse("2025-06-01").unwrap();
    bencher.bench(|| {
        policy
            .decide(divan::black_box(&record), &data, today)
            .unwrap()
    });
}

/// A character class, and `(a|aa)*c`: exponential for a backtracking engine on a text of
/// `a`s, linear here.
const PATTERNS: [&str; 2] = ["[a-z]+", "(a|aa)*c"];

// One function per size, so that an instruction count (callgrind, filtered by name) can
// compare the sizes.

#[divan::bench(args = PATTERNS)]
fn matches_256_kib(bencher: divan::Bencher, pattern: &str) {
    bench_matches(bencher, pattern, 256);
}

#[divan::bench(args = PATTERNS)]
fn matches_1_mib(bencher: divan::Bencher, pattern: &str) {
    bench_matches(bencher, pattern, 1024);
}
