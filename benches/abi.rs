//! The native and wasmtime legs of the per-host harness (`benches/hosts/run.sh`, which adds
//! Node): the same single decision of `rules/onboarding.policy` on every supplier of
//! `rules/data/suppliers.jsonl` with `rules/data/reference.json`, JSON text in and report JSON
//! text out, on each host.
//!
//! - native: the library path of the CLI (`input_from_str`, `evaluate`, `write_json` into a
//!   reused buffer; reference data validated once);
//! - wasmtime: the `abi` module through the `procura serve` worker with the server's default
//!   limits (a deadline per call, no fuel metering; one instance reused, the policy compiled
//!   once, the request's options sent with every record).
//!
//! Before timing, both hosts must give the same bytes for every supplier. Prints one JSON line:
//! `{"decisions", "checksum", "native": [ns/decision per round], "wasmtime": [...]}`.
//! Run alone: `scripts/build-abi.sh && cargo bench --features serve --bench abi -- --rounds 7`;
//! `--fuel N` meters N units of fuel per evaluation, as `procura serve --fuel N` does. Each host's
//! decision is a function of its own (`native_decision`, `wasmtime_decision`), so that
//! `valgrind --tool=callgrind --toggle-collect=abi::wasmtime_decision` counts one host alone.

use std::time::Instant;

use std::time::Duration;

use procura::server::{Fuel, Limits, Version, Worker};
use procura::{Date, Policy, ReferenceData};

const SOURCE: &str = include_str!("../rules/onboarding.policy");
const SUPPLIERS: &str = include_str!("../rules/data/suppliers.jsonl");
const DATA: &str = include_str!("../rules/data/reference.json");
const AS_OF: &str = "2025-06-01";
/// Decisions per timed round: ten passes over the 1,200 suppliers.
const DECISIONS: usize = 12_000;

fn main() {
    let option = |name: &str| {
        let value = std::env::args().skip_while(|arg| arg != name).nth(1)?;
        Some(
            value
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{name} takes a number")),
        )
    };
    let rounds = option("--rounds").map_or(7, |n| n as usize);
    let fuel = option("--fuel");
    let suppliers: Vec<&str> = SUPPLIERS.lines().filter(|l| !l.trim().is_empty()).collect();

    let policy = procura::compile(SOURCE)
        .map_err(|d| d.len())
        .expect("the policy compiles");
    let today = Date::parse(AS_OF).expect("a date");
    let data = policy
        .reference_data(Some(&serde_json::from_str(DATA).expect("JSON")))
        .expect("valid reference data");
    let mut buffer = String::new();
    let native =
        |text: &str, buffer: &mut String| native_decision(&policy, &data, today, text, buffer);

    let host = procura::server::load_host(None, fuel.is_some()).unwrap_or_else(|e| panic!("{e}"));
    let limits = Limits {
        timeout: Duration::from_millis(procura::server::DEFAULT_TIMEOUT_MS),
        compile_timeout: Duration::from_millis(procura::server::DEFAULT_COMPILE_TIMEOUT_MS),
        fuel: fuel.map(|evaluate| Fuel {
            evaluate,
            compile: 10_000_000_000,
        }),
        memory_bytes: procura::server::DEFAULT_MEMORY_MB << 20,
    };
    let mut worker = host.worker(limits).expect("an instance");
    let version = Version {
        id: 1,
        source: SOURCE.into(),
        files: None,
    };
    // Up front, so that no decision pays for it.
    assert!(worker.compile(&version).expect("no trap").ok);
    let data_json: serde_json::Value = serde_json::from_str(DATA).expect("JSON");
    let options = serde_json::json!({"as_of": AS_OF, "data": data_json}).to_string();
    let mut wasm = |text: &str| wasmtime_decision(&mut worker, &version, &options, text);

    // Same workload, same answers; the checksum lets the Node leg prove the same.
    let mut checksum = Checksum::default();
    for text in &suppliers {
        let report = wasm(text);
        native(text, &mut buffer);
        assert_eq!(report, buffer, "wasmtime and native differ on {text}");
        checksum.add(&report);
    }

    let mut times = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        times
            .0
            .push(time(&suppliers, |text| native(text, &mut buffer)));
        times.1.push(time(&suppliers, |text| wasm(text).len()));
    }
    println!(
        "{}",
        serde_json::json!({
            "decisions": DECISIONS,
            "checksum": format!("{:08x}", checksum.0),
            "native": times.0,
            "wasmtime": times.1,
        })
    );
}

#[inline(never)]
fn native_decision(
    policy: &Policy,
    data: &ReferenceData,
    today: Date,
    text: &str,
    buffer: &mut String,
) -> usize {
    let input = policy.input_from_str(text).expect("a valid supplier");
    buffer.clear();
    (policy.evaluate(&input, data, today))
        .expect("within the step budget")
        .write_json(buffer);
    buffer.len()
}

#[inline(never)]
fn wasmtime_decision(worker: &mut Worker, version: &Version, options: &str, text: &str) -> String {
    let (status, json) = worker
        .evaluate(version, text.as_bytes(), options.as_bytes())
        .expect("the module evaluates");
    assert_eq!(status, procura::server::STATUS_REPORT, "{json}");
    json
}

/// Nanoseconds per decision over one round of [`DECISIONS`].
fn time(suppliers: &[&str], mut decide: impl FnMut(&str) -> usize) -> f64 {
    let mut bytes = 0;
    let start = Instant::now();
    for text in suppliers.iter().cycle().take(DECISIONS) {
        bytes += decide(std::hint::black_box(text));
    }
    let elapsed = start.elapsed();
    std::hint::black_box(bytes);
    elapsed.as_nanos() as f64 / DECISIONS as f64
}

/// 32-bit FNV-1a over every report, in order (`benches/hosts/node.mjs` computes the same).
struct Checksum(u32);

impl Default for Checksum {
    fn default() -> Self {
        Checksum(0x811c_9dc5)
    }
}

impl Checksum {
    fn add(&mut self, text: &str) {
        for byte in text.bytes() {
            self.0 = (self.0 ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }
}
