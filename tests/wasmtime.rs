//! The `abi` module under wasmtime gives byte for byte the native reports and errors, and its
//! limits stop runaway evaluations without harming the next one.
//!
//! Needs the built module: `scripts/build-abi.sh` (or `PROCURA_ABI_WASM=path`).

#[path = "server_support/spin.rs"]
mod spin;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use procura::policy::Sources;
use procura::server::{Fuel, GuestError, Host, Limits, Pool, STATUS_REPORT, Version, Worker};
use procura::{Date, EvaluateError};

/// The server's defaults: deadlines, no fuel.
const LIMITS: Limits = Limits {
    timeout: Duration::from_secs(2),
    compile_timeout: Duration::from_secs(20),
    fuel: None,
    memory_bytes: 64 << 20,
};

/// The module, compiled once for all tests (and once more, metered, for the fuel tests).
fn host() -> Arc<Host> {
    static HOST: OnceLock<Arc<Host>> = OnceLock::new();
    HOST.get_or_init(|| load(false)).clone()
}

fn load(fuel: bool) -> Arc<Host> {
    let host = procura::server::load_host(None, fuel).unwrap_or_else(|error| panic!("{error}"));
    Arc::new(host)
}

fn worker() -> Worker {
    host().worker(LIMITS).expect("an instance")
}

fn version(source: &str) -> Version {
    Version {
        id: 1,
        source: source.into(),
        files: None,
    }
}

/// The `.policy` files under `dir`, by path from it: what a policy there may import
/// (LANGUAGE.md §9.1), as `procura_compile_files` takes them.
fn libraries(dir: &Path) -> serde_json::Map<String, serde_json::Value> {
    fn visit(dir: &Path, prefix: &str, files: &mut serde_json::Map<String, serde_json::Value>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let (path, name) = (entry.path(), entry.file_name());
            let name = format!("{prefix}{}", name.to_string_lossy());
            if path.is_dir() {
                visit(&path, &format!("{name}/"), files);
            } else if name.ends_with(".policy") {
                files.insert(name, read(&path).into());
            }
        }
    }
    let mut files = serde_json::Map::new();
    visit(dir, "", &mut files);
    files
}

/// One evaluation request, as the native API and the module each take it.
struct Case {
    label: String,
    input: String,
    data: Option<serde_json::Value>,
    as_of: Date,
}

/// What the native crate answers, in the module's terms: the status and the JSON text. The
/// record goes in as bytes, like the module's, so malformed records are compared too.
fn native(policy: &procura::Policy, case: &Case) -> (u32, String) {
    let input = policy.input_from_bytes(case.input.as_bytes());
    let data = policy.reference_data(case.data.as_ref());
    match policy.evaluate_validated(input, data.as_ref(), case.as_of) {
        Ok(report) => (STATUS_REPORT, report.to_json()),
        Err(error @ EvaluateError::Input(_)) => (1, error.to_json().to_string()),
        Err(error @ EvaluateError::Eval(_)) => (4, error.to_json().to_string()),
    }
}

fn options(case: &Case) -> String {
    let mut options = serde_json::json!({"as_of": case.as_of.to_string()});
    if let Some(data) = &case.data {
        options["data"] = data.clone();
    }
    options.to_string()
}

/// Compiles the policy at `path` (with the libraries beside it) natively and in the module and
/// compares the diagnostics of a source that does not compile, or else every case; returns how
/// many reports (not errors) were compared.
fn compare(worker: &mut Worker, path: &Path, cases: &[Case]) -> usize {
    let source = read(path);
    let files = libraries(path.parent().unwrap_or(Path::new("")));
    let version = Version {
        files: Some(serde_json::Value::Object(files.clone()).to_string().into()),
        ..version(&source)
    };
    let compiled = worker.compile(&version).expect("compiles in the module");
    let sources = Sources::load(&source, |library| match files.get(library) {
        Some(serde_json::Value::String(text)) => Ok(text.clone()),
        _ => Err(format!("no `{library}`")),
    });
    let policy = match procura::policy::compile_sources(&sources) {
        Ok(policy) => policy,
        Err(diagnostics) => {
            let diagnostics = sources.diagnostics_json(&diagnostics);
            let expected = serde_json::json!({"error": "compile", "diagnostics": diagnostics});
            assert!(!compiled.ok);
            assert_eq!(compiled.json, expected.to_string());
            return 0;
        }
    };
    assert!(compiled.ok, "{}", compiled.json);
    let mut reports = 0;
    for case in cases {
        let expected = native(&policy, case);
        let actual = worker
            .evaluate(&version, case.input.as_bytes(), options(case).as_bytes())
            .unwrap_or_else(|error| panic!("{}: {error}", case.label));
        assert_eq!(actual, expected, "{}", case.label);
        reports += usize::from(actual.0 == STATUS_REPORT);
    }
    reports
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|e| e == extension));
    files.sort();
    files
}

const AS_OF: &str = "2025-06-01";

fn date(text: &str) -> Date {
    Date::parse(text).expect("a date")
}

#[test]
fn rules_examples_and_sample_suppliers_match_native() {
    let policies = files("rules", "policy");
    assert!(!policies.is_empty(), "no rules/*.policy");
    let reference = json(Path::new("rules/data/reference.json"));
    let mut reports = 0;
    for path in policies {
        let source = read(&path);
        let sources = Sources::load(&source, |library| {
            std::fs::read_to_string(Path::new("rules").join(library)).map_err(|e| e.to_string())
        });
        let policy = procura::policy::compile_sources(&sources).expect("a rules policy compiles");
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let mut cases: Vec<Case> = policy
            .examples()
            .iter()
            .map(|example| Case {
                label: format!("{}: example `{}`", path.display(), example.title),
                input: example.given.to_string(),
                data: example.data.clone(),
                as_of: example.as_of.unwrap_or(date(AS_OF)),
            })
            .collect();
        let sample = PathBuf::from(format!("rules/data/{stem}-supplier.json"));
        if sample.exists() {
            cases.push(Case {
                label: sample.display().to_string(),
                input: read(&sample),
                data: Some(reference.clone()),
                as_of: date(AS_OF),
            });
        }
        if stem == "onboarding" {
            let lines = read(Path::new("rules/data/suppliers.jsonl"));
            cases.extend(lines.lines().enumerate().map(|(i, line)| Case {
                label: format!("suppliers.jsonl line {}", i + 1),
                input: line.to_owned(),
                data: Some(reference.clone()),
                as_of: date(AS_OF),
            }));
        }
        let mut worker = worker();
        reports += compare(&mut worker, &path, &cases);
    }
    assert!(reports > 1000, "only {reports} reports compared");
}

/// `tests/eval/NAME.policy` with cases `NAME.CASE.input.json` [+ `.data.json`] [+ `.options.json`],
/// and `tests/golden/eval/NAME.policy` with `NAME.input.json` [+ `.data.json`] [+ `.args`
/// holding `--as-of YYYY-MM-DD`].
#[test]
fn golden_evaluation_cases_match_native() {
    let mut compared = 0;
    for dir in ["tests/eval", "tests/golden/eval"] {
        for path in files(dir, "policy") {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let mut cases = Vec::new();
            for input in files(dir, "json") {
                let name = input
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let Some(case) = name.strip_suffix(".input.json") else {
                    continue;
                };
                if case != stem && !case.starts_with(&format!("{stem}.")) {
                    continue;
                }
                let sibling = |suffix: &str| Path::new(dir).join(format!("{case}{suffix}"));
                let data = sibling(".data.json");
                let mut as_of = date(AS_OF);
                let options = sibling(".options.json");
                if options.exists()
                    && let Some(text) = json(&options)["as_of"].as_str()
                {
                    as_of = date(text);
                }
                if let Some(args) = Some(sibling(".args")).filter(|p| p.exists()) {
                    let args = read(&args);
                    let mut words = args.split_whitespace();
                    while let Some(word) = words.next() {
                        if word == "--as-of" {
                            as_of = date(words.next().expect("a date after --as-of"));
                        }
                    }
                }
                cases.push(Case {
                    label: input.display().to_string(),
                    input: read(&input),
                    data: data.exists().then(|| json(&data)),
                    as_of,
                });
            }
            let mut worker = worker();
            compare(&mut worker, &path, &cases);
            compared += cases.len();
        }
    }
    assert!(compared > 0, "no golden evaluation cases found");
}

#[test]
fn malformed_input_and_options_are_errors_not_traps() {
    let mut worker = worker();
    let source = read(Path::new("rules/onboarding.policy"));
    let version = version(&source);
    assert!(worker.compile(&version).expect("compiles").ok);
    let good_options = br#"{"as_of": "2025-06-01", "data": {"sanctioned": {}}}"#;
    let cases: [(&[u8], &[u8], u32, &str); 5] = [
        (b"{\"name\": ", good_options, 1, r#""path":"$""#),
        (b"\xff\xfe", good_options, 1, r#""error":"input""#),
        (b"[1, 2]", good_options, 1, r#""error":"input""#),
        (
            b"{}",
            b"{\"as_of\": \"2025-13-01\"}",
            2,
            r#""error":"options""#,
        ),
        (b"{}", b"", 2, r#""error":"options""#),
    ];
    for (input, options, status, needle) in cases {
        let (actual, json) = worker.evaluate(&version, input, options).expect("no trap");
        assert_eq!(actual, status, "{json}");
        assert!(json.contains(needle), "{json}");
    }
    let broken = worker.compile(&Version {
        id: 2,
        source: "input supplier { name: txt }".into(),
        files: None,
    });
    let broken = broken.expect("no trap");
    assert!(!broken.ok);
    assert!(
        broken.json.contains(r#""error":"compile""#),
        "{}",
        broken.json
    );
}

/// Every pair of a few thousand numbers, twice: far more work than a decision needs.
const HEAVY: &str = r#"
input supplier { values: [number] }
let pairs = count([x for x in supplier.values if any y in supplier.values: x + y == -1])
let grid = [[x + y for y in supplier.values] for x in supplier.values]
rule bounded "Bounded" { require pairs == 0 and count(grid) > 0 else review "too many" }
"#;

fn heavy_input(n: usize) -> String {
    serde_json::json!({"values": (0..n).collect::<Vec<_>>()}).to_string()
}

fn assert_limit_then_recovery(
    host: Arc<Host>,
    limits: Limits,
    n: usize,
    expected: fn(&GuestError) -> bool,
) {
    let pool = Pool::new(host, limits);
    let version = version(HEAVY);
    let options = br#"{"as_of": "2025-06-01"}"#;
    let live = |_| true;
    let heavy = pool.with_worker(0, &live, |w| {
        w.evaluate(&version, heavy_input(n).as_bytes(), options)
    });
    match heavy {
        Err(error) => assert!(expected(&error), "unexpected error: {error}"),
        Ok((status, json)) => panic!("the limit did not stop it: {status} {json}"),
    }
    let light = pool.with_worker(0, &live, |w| {
        w.evaluate(&version, heavy_input(3).as_bytes(), options)
    });
    let (status, json) = light.expect("the next evaluation succeeds");
    assert_eq!(status, STATUS_REPORT, "{json}");
    assert!(json.contains(r#""decision":"approve""#), "{json}");
}

#[test]
fn running_out_of_fuel_is_an_error_and_the_next_call_succeeds() {
    let limits = Limits {
        fuel: Some(Fuel {
            evaluate: 5_000_000,
            compile: 2_000_000_000,
        }),
        ..LIMITS
    };
    let expected = |e: &GuestError| matches!(e, GuestError::Fuel(5_000_000));
    assert_limit_then_recovery(load(true), limits, 3_000, expected);
}

#[test]
fn running_out_of_memory_is_an_error_and_the_next_call_succeeds() {
    let limits = Limits {
        memory_bytes: 8 << 20,
        ..LIMITS
    };
    let expected = |e: &GuestError| matches!(e, GuestError::Memory(_));
    assert_limit_then_recovery(host(), limits, 1_000, expected);
}

/// Without fuel the evaluator's own step budget stops a runaway policy, on this host as on
/// every other: an ordinary error (status 4), not a trap.
#[test]
fn the_step_budget_stops_a_runaway_evaluation_without_a_trap() {
    let mut worker = worker();
    let version = version(HEAVY);
    let (status, json) = worker
        .evaluate(
            &version,
            heavy_input(3_000).as_bytes(),
            br#"{"as_of": "2025-06-01"}"#,
        )
        .expect("no trap");
    assert_eq!(status, 4, "{json}");
    assert!(json.contains(r#""error":"evaluation""#), "{json}");
}

/// A module that spins (`server_support/spin.rs`) is stopped at the deadline, never before
/// it; so is one metered with fuel, by its fuel. Either way the next call on a fresh instance
/// succeeds.
#[test]
fn a_call_past_its_deadline_or_fuel_is_stopped_and_the_next_call_succeeds() {
    let path = std::env::temp_dir().join(format!("procura-spin-{}.wasm", std::process::id()));
    std::fs::write(&path, spin::module()).expect("writes");
    let limits = Limits {
        timeout: Duration::from_millis(30),
        ..LIMITS
    };
    let metered = Limits {
        fuel: Some(Fuel {
            evaluate: 1_000_000,
            compile: 1_000_000,
        }),
        ..LIMITS
    };
    let hosts = [(false, limits), (true, metered)].map(|(fuel, limits)| {
        let host = Host::load(&path, fuel).unwrap_or_else(|e| panic!("{e}"));
        Pool::new(Arc::new(host), limits)
    });
    let _ = std::fs::remove_file(&path);
    let version = version("short");
    let live = |_| true;
    for (pool, expected) in hosts
        .iter()
        .zip([GuestError::Deadline(30), GuestError::Fuel(1_000_000)])
    {
        let started = Instant::now();
        let spun = pool.with_worker(0, &live, |w| w.evaluate(&version, b"[1]", b"{}"));
        assert_eq!(spun, Err(expected.clone()));
        if expected == GuestError::Deadline(30) {
            assert!(started.elapsed() >= Duration::from_millis(30));
        }
        let answered = pool.with_worker(0, &live, |w| w.evaluate(&version, b"{}", b"{}"));
        assert_eq!(answered, Ok((STATUS_REPORT, spin::REPORT.to_owned())));
    }
}

#[test]
fn fuel_limits_need_a_metered_host() {
    let metered = Limits {
        fuel: Some(Fuel {
            evaluate: 1,
            compile: 1,
        }),
        ..LIMITS
    };
    let error = host().worker(metered).err().map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.contains("fuel")));
}

/// Records that are not JSON, not an object or not valid, each alone and with valid, invalid
/// and no reference data: the module reports the same errors, combined the same way.
#[test]
fn malformed_and_invalid_records_with_any_data_match_native() {
    let policy = Path::new("rules/onboarding.policy");
    let valid = json(Path::new("rules/data/reference.json"));
    let invalid = serde_json::json!({"sanctioned": {"RU": "yes"}});
    let records = [
        "{",
        "not json",
        "[1, 2]",
        "{\"name\": 3, \"country\": \"DE\"}",
        "{}",
        &read(Path::new("rules/data/onboarding-supplier.json")),
    ];
    let mut cases = Vec::new();
    for (i, record) in records.iter().enumerate() {
        for (kind, data) in [
            ("no", None),
            ("valid", Some(&valid)),
            ("invalid", Some(&invalid)),
        ] {
            cases.push(Case {
                label: format!("record {i} with {kind} data"),
                input: (*record).to_owned(),
                data: data.cloned(),
                as_of: date(AS_OF),
            });
        }
    }
    let reports = compare(&mut worker(), policy, &cases);
    // The sample supplier and the empty record (every field missing) with valid data evaluate;
    // every other case is an error.
    assert_eq!(reports, 2);
}
