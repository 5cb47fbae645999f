//! Evaluation speed of the onboarding baseline (`rules/onboarding.policy`).
//! Run: `cargo bench --features cli --bench eval`.
//!
//! - `decide_validated`: one decision and its full report on an input already validated and
//!   converted; `decide_only_validated`: the same decision through `Policy::decide`;
//! - `decide_from_json_text`: parse the JSON text, validate, evaluate and write the report;
//! - `decide_from_json_text_fused`: the same through `Policy::input_from_str` (no JSON tree)
//!   and `Report::write_json` into a reused buffer;
//! - `parse_json_value_only`: `serde_json::from_str::<Value>` of the same text, the yardstick;
//! - `screen_csv`: the `procura eval --input suppliers.csv --jobs 1` command on the bundled
//!   `rules/data/suppliers.csv` (1,200 suppliers), end to end, output discarded;
//! - `screen_100k`: the same command on 100,000 generated suppliers (`workloads::suppliers`,
//!   about 5 smelters each) as JSON Lines and as CSV, written once to the target directory,
//!   with `--jobs` 1 and 2 (the `JOBS` constant); divan reports suppliers per second;
//! - `diff_100k`: `procura diff` of the onboarding policy against a copy with the CPI floor at
//!   45 on the same JSON Lines suppliers, `--jobs 1`.

#[path = "workloads.rs"]
mod workloads;

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

/// The policy with the bench reference data, validated. Each bench validates the record
/// itself (`Policy::input(&supplier())`): its type is the engine's own.
fn policy_and_data() -> (Policy, procura::ReferenceData) {
    let policy = policy();
    let data = policy
        .reference_data(Some(&serde_json::from_str(REFERENCE).unwrap()))
        .unwrap();
    (policy, data)
}

/// The bench record as JSON.
fn supplier() -> serde_json::Value {
    serde_json::from_str(SUPPLIER).unwrap()
}

#[divan::bench]
fn decide_validated(bencher: divan::Bencher) {
    let (policy, data) = policy_and_data();
    let input = policy.input(&supplier()).unwrap();
    bencher.bench(|| {
        policy
            .evaluate(divan::black_box(&input), &data, today())
            .unwrap()
            .decision
    });
}

/// `Policy::decide`: the same decision as `decide_validated` without the report.
#[divan::bench]
fn decide_only_validated(bencher: divan::Bencher) {
    let (policy, data) = policy_and_data();
    let input = policy.input(&supplier()).unwrap();
    bencher.bench(|| {
        policy
            .decide(divan::black_box(&input), &data, today())
            .unwrap()
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
        policy.evaluate(&input, &data, today()).unwrap().to_json()
    });
}

/// The fused path of hosts that receive text: JSON text straight to a value, evaluate, and
/// write the report into a reused buffer.
#[divan::bench]
fn decide_from_json_text_fused(bencher: divan::Bencher) {
    let policy = policy();
    let data = policy
        .reference_data(Some(&serde_json::from_str(REFERENCE).unwrap()))
        .unwrap();
    let mut json = String::new();
    bencher.bench_local(|| {
        let input = policy.input_from_str(divan::black_box(SUPPLIER)).unwrap();
        json.clear();
        policy
            .evaluate(&input, &data, today())
            .unwrap()
            .write_json(&mut json);
        json.len()
    });
}

/// The yardstick of the JSON figures: parsing the same record into a `serde_json::Value`.
#[divan::bench]
fn parse_json_value_only() -> serde_json::Value {
    serde_json::from_str(divan::black_box(SUPPLIER)).unwrap()
}

#[divan::bench(sample_count = 20)]
fn screen_csv() {
    screen("rules/data/suppliers.csv", 1);
}

const BATCH: usize = 100_000;

#[divan::bench(args = ["jsonl", "csv"], consts = [1, 2], sample_count = 5)]
fn screen_100k<const JOBS: usize>(bencher: divan::Bencher, format: &str) {
    let path = batch_file(format);
    bencher
        .counter(divan::counter::ItemsCount::new(BATCH))
        .bench(|| screen(&path, JOBS));
}

/// The generated suppliers in `format`, written once under the target directory.
fn batch_file(format: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let path = dir.join(format!("bench-suppliers-{BATCH}.{format}"));
    if !path.exists() {
        let suppliers = workloads::suppliers(BATCH, 2025);
        let mut text = String::new();
        if format == "csv" {
            text.push_str(workloads::CSV_HEADER);
            text.push('\n');
        }
        for supplier in &suppliers {
            match format {
                "csv" => text.push_str(&workloads::csv_row(supplier)),
                _ => text.push_str(&supplier.to_string()),
            }
            text.push('\n');
        }
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    path.to_string_lossy().into_owned()
}

/// `procura diff` of the onboarding policy against a copy with the CPI floor at 45.
#[divan::bench(sample_count = 5)]
fn diff_100k(bencher: divan::Bencher) {
    let input = batch_file("jsonl");
    let raised =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-onboarding-45.policy");
    std::fs::write(
        &raised,
        POLICY.replacen("const CPI_FLOOR = 40", "const CPI_FLOOR = 45", 1),
    )
    .unwrap();
    let raised = raised.to_string_lossy().into_owned();
    bencher
        .counter(divan::counter::ItemsCount::new(BATCH))
        .bench(|| {
            procura(&[
                "diff",
                "rules/onboarding.policy",
                &raised,
                "--input",
                &input,
                "--jobs",
                "1",
            ])
        });
}

fn screen(input: &str, jobs: usize) {
    procura(&[
        "eval",
        "rules/onboarding.policy",
        "--input",
        input,
        "--jobs",
        &jobs.to_string(),
    ]);
}

/// Runs the binary with `args`, the bench reference data and date; its output is discarded.
fn procura(args: &[&str]) {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_procura"))
        .args(args)
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
