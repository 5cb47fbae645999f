//! One decision of `rules/onboarding.policy`, JSON text in and report JSON out: natively, and
//! through the `abi` module under wasmtime with the policy compiled once per instance.
//! Run: `scripts/build-abi.sh && cargo bench --features serve --bench abi`.

use std::path::Path;

use procura::server::{Limits, Version, Worker};

fn main() {
    divan::main();
}

const SOURCE: &str = include_str!("../rules/onboarding.policy");
const INPUT: &str = include_str!("../rules/data/onboarding-supplier.json");
const DATA: &str = include_str!("../rules/data/reference.json");

#[divan::bench]
fn native(bencher: divan::Bencher) {
    let policy = procura::compile(SOURCE)
        .map_err(|d| d.len())
        .expect("compiles");
    let today = procura::Date::parse("2025-06-01").expect("a date");
    // Parsing both texts every time, as the module must.
    bencher.bench_local(|| {
        let input: serde_json::Value = serde_json::from_str(divan::black_box(INPUT)).expect("JSON");
        let data: serde_json::Value = serde_json::from_str(divan::black_box(DATA)).expect("JSON");
        policy
            .evaluate_json(&input, Some(&data), today)
            .map(|r| r.to_json())
    });
}

#[divan::bench]
fn wasmtime(bencher: divan::Bencher) {
    let module = procura::server::default_module();
    let host = procura::server::load_host(Path::new(&module)).unwrap_or_else(|e| panic!("{e}"));
    let limits = Limits {
        fuel: 1_000_000_000,
        compile_fuel: 10_000_000_000,
        memory_bytes: 64 << 20,
    };
    let mut worker: Worker = host.worker(limits).expect("an instance");
    let version = Version {
        id: 1,
        source: SOURCE.into(),
    };
    let data: serde_json::Value = serde_json::from_str(DATA).expect("JSON");
    let options = serde_json::json!({"as_of": "2025-06-01", "data": data}).to_string();
    assert!(worker.compile(&version).expect("compiles").ok);
    bencher.bench_local(|| {
        worker
            .evaluate(
                &version,
                divan::black_box(INPUT).as_bytes(),
                options.as_bytes(),
            )
            .expect("evaluates")
    });
}
