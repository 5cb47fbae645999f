//! Evaluation speed of the onboarding baseline (`rules/onboarding.policy`).
//! Run: `cargo bench --bench eval`.
//!
//! - `decide_validated`: one decision on an input already validated and converted;
//! - `decide_from_json_text`: parse the JSON text, validate, evaluate and write the report;
//! - `screen_csv`: the `procura eval --input suppliers.csv` command on the bundled
//!   `rules/data/suppliers.csv` (1,200 suppliers), end to end, output discarded.

use procura::{Date, Policy};

fn main() {
    divan::main();
}

const POLICY: &str = include_str!("../rules/onboarding.policy");
const SUPPLIER: &str = include_str!("../rules/data/onboarding-supplier.json");
const REFERENCE: &str = include_str!("../rules/data/reference.json");

fn policy() -> Policy {
    procura::compile(POLICY).expect("the onboarding policy compiles")
}

fn today() -> Date {
    Date::parse("2025-06-01").expect("a valid date")
}

#[divan::bench]
fn decide_validated(bencher: divan::Bencher) {
    let policy = policy();
    let input = policy
        .input(&serde_json::from_str(SUPPLIER).unwrap())
        .unwrap();
    let data = policy
        .reference_data(Some(&serde_json::from_str(REFERENCE).unwrap()))
        .unwrap();
    bencher.bench(|| {
        policy
            .evaluate(divan::black_box(&input), &data, today())
            .decision
    });
}

#[divan::bench]
fn decide_from_json_text(bencher: divan::Bencher) {
    let policy = policy();
    let data = policy
        .reference_data(Some(&serde_json::from_str(REFERENCE).unwrap()))
        .unwrap();
    bencher.bench(|| {
        let json: serde_json::Value = serde_json::from_str(divan::black_box(SUPPLIER)).unwrap();
        let input = policy.input(&json).unwrap();
        policy.evaluate(&input, &data, today()).to_json()
    });
}

#[divan::bench(sample_count = 20)]
fn screen_csv() {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_procura"))
        .args([
            "eval",
            "rules/onboarding.policy",
            "--input",
            "rules/data/suppliers.csv",
        ])
        .args([
            "--data",
            "rules/data/reference.json",
            "--as-of",
            "2025-06-01",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the procura binary runs");
    assert!(status.success());
}
