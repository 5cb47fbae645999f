//! Remedies (`procura eval --remedies`, `procura::remedy`).
//!
//! - A property over random records and every policy of `rules/`: each rule that keeps the
//!   decision from `approve` gets a remedy, no other rule does, and applying the changes of a
//!   remedy (each choice of alternatives tried in turn) to the record and evaluating it again
//!   makes that rule pass (or no longer apply, for a remedy that makes its `when` false).
//!   A remedy with no simple change is allowed and counted; `remedies_share` prints the share.
//! - Golden files: `tests/golden/remedies/NAME.policy` with `NAME.input.json` (and optional
//!   `NAME.data.json`), evaluated as of 2025-06-01 with `--remedies`: the report's `remedies`
//!   in `NAME.remedies.json` (one rule a line) and the text report in `NAME.txt`.
//!   `UPDATE_GOLDEN=1` rewrites them; review them with `git diff`.

#[path = "support/policies.rs"]
mod policies;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use procura::{Date, Policy};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};
use serde_json::{Value as Json, json};

fn today() -> Date {
    Date::parse("2025-06-01").unwrap()
}

/// A policy of `rules/` with the texts its source writes, which records are made of.
struct Bundled {
    name: String,
    policy: Policy,
    schema: Json,
    texts: Vec<String>,
}

static BUNDLED: LazyLock<Vec<Bundled>> = LazyLock::new(|| {
    let mut paths: Vec<PathBuf> = std::fs::read_dir("rules")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "policy"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let files = policies::sources(path);
            let policy = procura::policy::compile_sources(&files).unwrap();
            let mut texts = string_literals(files.root_text());
            for (_, library) in files.libraries() {
                texts.extend(string_literals(library));
            }
            texts.extend(["", "XX", "DK", "ISO9001", "CID000001"].map(str::to_owned));
            texts.sort();
            texts.dedup();
            Bundled {
                name: path.display().to_string(),
                schema: policy.input_schema(),
                policy,
                texts,
            }
        })
        .collect()
});

static DATA: LazyLock<Json> = LazyLock::new(|| {
    serde_json::from_str(&std::fs::read_to_string("rules/data/reference.json").unwrap()).unwrap()
});

/// The short string literals of a source, without interpolations.
fn string_literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let text = &after[..end];
        if text.len() <= 40 && !text.contains(['{', '\\', '\n']) {
            out.push(text.to_owned());
        }
        rest = &after[end + 1..];
    }
    out
}

/// The generator of one record: proptest's, seeded, so that proptest shrinks seeds.
fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// A number below `n`.
fn below(rng: &mut TestRng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

const NUMBERS: &[f64] = &[
    0.0,
    1.0,
    2.5,
    10.0,
    39.0,
    40.0,
    45.0,
    50.0,
    60.0,
    75.0,
    99.0,
    250.0,
    1000.0,
    100_000.0,
    500_000.0,
    1_500_000.0,
    -3.0,
];
const DATES: &[&str] = &[
    "2023-02-28",
    "2024-05-31",
    "2024-06-01",
    "2025-01-15",
    "2025-06-01",
    "2026-12-31",
];

/// A field of the schema type `ty`, left out (`None`) one time in eight, optional or not: the
/// record is then incomplete.
fn generate(ty: &Json, texts: &[String], rng: &mut TestRng) -> Option<Json> {
    (below(rng, 8) != 0).then(|| value(ty, texts, rng))
}

/// A value of the schema type `ty` (list elements cannot be null).
fn value(ty: &Json, texts: &[String], rng: &mut TestRng) -> Json {
    match ty["kind"].as_str().unwrap_or("") {
        "number" => json!(NUMBERS[below(rng, NUMBERS.len())]),
        "text" => json!(texts[below(rng, texts.len())]),
        "bool" => json!(below(rng, 2) == 0),
        "date" => json!(DATES[below(rng, DATES.len())]),
        "union" => {
            let values = ty["values"].as_array().unwrap();
            values[below(rng, values.len())].clone()
        }
        "list" => Json::Array(
            (0..below(rng, 4))
                .map(|_| value(&ty["element"], texts, rng))
                .collect(),
        ),
        "record" => record(&ty["fields"], texts, rng),
        other => panic!("no generator for {other}"),
    }
}

fn record(fields: &Json, texts: &[String], rng: &mut TestRng) -> Json {
    let mut out = serde_json::Map::new();
    for field in fields.as_array().unwrap() {
        if let Some(value) = generate(&field["type"], texts, rng) {
            out.insert(field["name"].as_str().unwrap().to_owned(), value);
        }
    }
    Json::Object(out)
}

/// The report of `record` with its remedies, as JSON.
fn report(policy: &Policy, record: &Json) -> Json {
    let data = policy.reference_data(Some(&DATA));
    let report = policy
        .evaluate_with_remedies(policy.input(record), data.as_ref(), today())
        .unwrap();
    serde_json::from_str(&report.to_json()).unwrap()
}

/// What a remedy asks, as the steps of a path below the input's name.
#[derive(Debug)]
enum Step {
    Field(String),
    Index(usize),
}

/// `supplier.smelters[1]["Smelter Name"]` without `supplier`.
fn steps(path: &str, input: &str) -> Vec<Step> {
    let mut rest = path
        .strip_prefix(input)
        .expect("paths start with the input");
    let mut out = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            out.push(Step::Field(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]").unwrap();
            out.push(Step::Field(after[..end].to_owned()));
            rest = &after[end + 2..];
        } else {
            let after = rest.strip_prefix('[').unwrap();
            let end = after.find(']').unwrap();
            out.push(Step::Index(after[..end].parse().unwrap()));
            rest = &after[end + 1..];
        }
    }
    out
}

/// The value at `steps` of `value`, made (as objects) where it is absent.
fn place<'v>(value: &'v mut Json, steps: &[Step]) -> &'v mut Json {
    let Some((step, rest)) = steps.split_first() else {
        return value;
    };
    if !value.is_object() && matches!(step, Step::Field(_)) {
        *value = json!({});
    }
    let inner = match step {
        Step::Field(name) => value
            .as_object_mut()
            .unwrap()
            .entry(name.clone())
            .or_insert(Json::Null),
        Step::Index(index) => &mut value.as_array_mut().expect("an element of a list")[*index],
    };
    place(inner, rest)
}

/// The schema type at `steps`.
fn type_at<'s>(schema: &'s Json, steps: &[Step]) -> &'s Json {
    let mut ty = schema;
    for step in steps {
        ty = match step {
            Step::Field(name) => {
                let fields = ty["fields"].as_array().unwrap();
                let field = fields.iter().find(|f| f["name"] == name.as_str()).unwrap();
                &field["type"]
            }
            Step::Index(_) => &ty["element"],
        };
    }
    ty
}

fn shift_date(value: &Json, days: i32) -> Json {
    let date = Date::parse(value.as_str().unwrap()).unwrap();
    json!(Date(date.0 + days).to_string())
}

/// A value that is none of `values`, of their kind.
fn outside(values: &[Json]) -> Json {
    match values.first() {
        Some(Json::Number(_)) => {
            let max = values
                .iter()
                .filter_map(Json::as_f64)
                .fold(f64::MIN, f64::max);
            json!(max.floor() + 1.0)
        }
        Some(Json::String(s)) if Date::parse(s).is_some() => {
            let latest = values.iter().max_by_key(|v| v.as_str().map(str::to_owned));
            shift_date(latest.unwrap(), 1)
        }
        Some(Json::Bool(b)) => json!(!b),
        _ => {
            let joined: String = values.iter().filter_map(Json::as_str).collect();
            json!(format!("{joined}~other"))
        }
    }
}

/// A value of the schema type `ty`, for `supply`.
fn any_value(ty: &Json) -> Json {
    match ty["kind"].as_str().unwrap_or("") {
        "number" => json!(1),
        "text" => json!("x"),
        "bool" => json!(true),
        "date" => json!("2025-01-01"),
        "union" => ty["values"][0].clone(),
        "list" => json!([]),
        _ => json!({}),
    }
}

/// Applies one change of a remedy to `record`.
fn apply(change: &Json, record: &mut Json, schema: &Json, input: &str) {
    let steps = steps(change["path"].as_str().unwrap(), input);
    let ty = type_at(schema, &steps).clone();
    let target = place(record, &steps);
    let value = &change["value"];
    let values = change["values"].as_array().cloned().unwrap_or_default();
    let beyond = |value: &Json, up: bool| match value {
        Json::Number(n) => {
            let n = n.as_f64().unwrap();
            json!(if up { n.floor() + 1.0 } else { n.ceil() - 1.0 })
        }
        date => shift_date(date, if up { 1 } else { -1 }),
    };
    let list = |target: &Json| target.as_array().cloned().unwrap_or_default();
    *target = match change["change"].as_str().unwrap() {
        "at_least" | "at_most" | "equal" => value.clone(),
        "more_than" => beyond(value, true),
        "less_than" => beyond(value, false),
        "not_equal" => outside(std::slice::from_ref(value)),
        "one_of" => values[0].clone(),
        "none_of" => outside(&values),
        "add_one_of" => {
            let mut items = list(target);
            items.push(values[0].clone());
            Json::Array(items)
        }
        "add_all" => Json::Array(list(target).into_iter().chain(values).collect()),
        "remove" => Json::Array(
            list(target)
                .into_iter()
                .filter(|item| !values.contains(item))
                .collect(),
        ),
        "supply" => any_value(&ty),
        "clear" => Json::Null,
        other => panic!("unknown change {other}"),
    };
}

/// Whether every choice of the remedy meets a `no_simple_change`.
fn unsimple(remedy: &Json) -> bool {
    if remedy.get("no_simple_change").is_some() {
        true
    } else if let Some(parts) = remedy["all"].as_array() {
        parts.iter().any(unsimple)
    } else if let Some(parts) = remedy["any"].as_array() {
        parts.iter().all(unsimple)
    } else if remedy.get("element").is_some() {
        unsimple(&remedy["remedy"])
    } else {
        false
    }
}

/// The changes of one choice of the remedy: alternative `choice` (modulo their number) of
/// every `any`, among those with a simple change.
fn changes<'r>(remedy: &'r Json, choice: usize, out: &mut Vec<&'r Json>) {
    if let Some(parts) = remedy["all"].as_array() {
        parts.iter().for_each(|part| changes(part, choice, out));
    } else if let Some(parts) = remedy["any"].as_array() {
        let simple: Vec<&Json> = parts.iter().filter(|part| !unsimple(part)).collect();
        changes(simple[choice % simple.len()], choice, out);
    } else if remedy.get("element").is_some() {
        changes(&remedy["remedy"], choice, out);
    } else {
        out.push(remedy);
    }
}

/// The number of alternatives of the remedy's widest `any`.
fn widest(remedy: &Json) -> usize {
    let own = remedy["any"].as_array().map_or(1, Vec::len);
    let parts = (remedy["all"].as_array().or(remedy["any"].as_array()))
        .map_or(1, |parts| parts.iter().map(widest).max().unwrap_or(1));
    own.max(parts).max(widest_element(remedy))
}

fn widest_element(remedy: &Json) -> usize {
    remedy.get("remedy").map_or(1, widest)
}

/// Tallies: rules with a remedy, and those with no simple change.
#[derive(Default, Debug)]
struct Tally {
    remedied: usize,
    unsimple: usize,
    /// How often each reason was given for no simple change.
    reasons: std::collections::BTreeMap<String, usize>,
}

fn reasons(remedy: &Json, out: &mut std::collections::BTreeMap<String, usize>) {
    match remedy {
        Json::Object(members) => {
            if let Some(Json::String(reason)) = members.get("no_simple_change") {
                *out.entry(reason.clone()).or_default() += 1;
            }
            members.values().for_each(|member| reasons(member, out));
        }
        Json::Array(items) => items.iter().for_each(|item| reasons(item, out)),
        _ => {}
    }
}

/// The property for one record of one policy.
fn check_record(bundled: &Bundled, record: &Json, tally: &mut Tally) {
    let input = bundled.schema["name"].as_str().unwrap();
    let report = report(&bundled.policy, record);
    let rules = report["rules"].as_array().unwrap();
    let remedies = report["remedies"].as_array().unwrap();
    let blocking = |rule: &Json| {
        rule["outcome"] == "missing" || (rule["outcome"] == "failed" && rule["verdict"] != "warn")
    };
    let expected: Vec<&Json> = rules
        .iter()
        .filter(|r| blocking(r))
        .map(|r| &r["name"])
        .collect();
    let given: Vec<&Json> = remedies.iter().map(|r| &r["rule"]).collect();
    assert_eq!(
        given, expected,
        "{}: the rules with remedies are not those that block approval, on {record}",
        bundled.name
    );
    for remedy in remedies {
        tally.remedied += 1;
        let name = &remedy["rule"];
        if unsimple(&remedy["remedy"]) {
            tally.unsimple += 1;
            reasons(&remedy["remedy"], &mut tally.reasons);
            continue;
        }
        for choice in 0..widest(&remedy["remedy"]) {
            let mut changes_of = Vec::new();
            changes(&remedy["remedy"], choice, &mut changes_of);
            let mut fixed = record.clone();
            for change in &changes_of {
                apply(change, &mut fixed, &bundled.schema, input);
            }
            let after = crate::report(&bundled.policy, &fixed);
            let rule = after["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| &r["name"] == name)
                .unwrap();
            assert!(
                rule["outcome"] == "passed" || rule["outcome"] == "not_applicable",
                "{}: rule {name} is {} after its remedy (choice {choice}: {}) on {record}, \
                 changed to {fixed}; remedy {}",
                bundled.name,
                rule["outcome"],
                Json::Array(changes_of.into_iter().cloned().collect()),
                remedy["remedy"],
            );
        }
    }
}

fn check_seed(seed: u64, tally: &mut Tally) {
    for bundled in BUNDLED.iter() {
        let mut rng = rng(seed);
        let record = record(&bundled.schema["fields"], &bundled.texts, &mut rng);
        check_record(bundled, &record, tally);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn remedies_make_their_rules_pass(seed in any::<u64>()) {
        check_seed(seed, &mut Tally::default());
    }
}

/// The same property over fixed seeds, with the share of remedies that have no simple change
/// (printed; run with `--nocapture` to read it).
#[test]
fn remedies_share() {
    let mut tally = Tally::default();
    for seed in 1..=400u64 {
        check_seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), &mut tally);
    }
    assert!(tally.remedied > 1000, "{tally:?}");
    println!(
        "remedies: {} rules remedied, {} with no simple change ({:.1}%)",
        tally.remedied,
        tally.unsimple,
        100.0 * tally.unsimple as f64 / tally.remedied as f64
    );
    let mut reasons: Vec<_> = tally.reasons.iter().collect();
    reasons.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
    for (reason, n) in reasons.iter().take(12) {
        println!("  {n:6}  {reason}");
    }
}

/// Bundled examples that are approved get no remedies; the others get one per blocking rule.
#[test]
fn examples_of_the_bundled_policies() {
    for bundled in BUNDLED.iter() {
        for example in bundled.policy.examples() {
            let today = example.as_of.unwrap_or_else(today);
            let data = bundled.policy.reference_data(example.data.as_ref());
            let report = bundled
                .policy
                .evaluate_with_remedies(bundled.policy.input(&example.given), data.as_ref(), today)
                .unwrap();
            let remedies = report.remedies.as_ref().unwrap();
            let approved = report.decision == procura::report::Decision::Approve;
            assert_eq!(
                approved,
                remedies.is_empty(),
                "{}: {}",
                bundled.name,
                example.title
            );
        }
    }
}

// ---------------------------------------------------------------------- golden files

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/remedies")
}

/// The compact JSON array `text`, one element a line.
fn one_a_line(text: &str) -> String {
    let mut out = String::from("[\n");
    let (mut depth, mut in_string, mut escaped) = (0, false, false);
    for c in text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .chars()
    {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' | '[' if !in_string => depth += 1,
            '}' | ']' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                out.push_str(",\n");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out.push_str("\n]\n");
    out
}

#[test]
fn golden_remedies() {
    let dir = golden_dir();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            Some(
                e.ok()?
                    .file_name()
                    .into_string()
                    .ok()?
                    .strip_suffix(".policy")?
                    .to_owned(),
            )
        })
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    let mut failures = Vec::new();
    for name in names {
        let mut args = vec![
            "eval".to_owned(),
            format!("{name}.policy"),
            "--input".to_owned(),
            format!("{name}.input.json"),
            "--as-of".to_owned(),
            "2025-06-01".to_owned(),
            "--remedies".to_owned(),
        ];
        if dir.join(format!("{name}.data.json")).exists() {
            args.extend(["--data".to_owned(), format!("{name}.data.json")]);
        }
        let run = |format: &str| {
            let output = Command::new(env!("CARGO_BIN_EXE_procura"))
                .current_dir(&dir)
                .args(&args)
                .args(["--format", format])
                .output()
                .unwrap();
            assert!(output.status.success(), "{name}: {output:?}");
            String::from_utf8(output.stdout).unwrap()
        };
        let json_out = run("json");
        let report: Json = serde_json::from_str(&json_out).unwrap();
        assert!(report["remedies"].is_array(), "{name}: {json_out}");
        let start = json_out.find(",\"remedies\":").unwrap() + ",\"remedies\":".len();
        let remedies = one_a_line(&json_out.trim_end()[start..json_out.trim_end().len() - 1]);
        for (file, actual) in [
            (format!("{name}.remedies.json"), remedies),
            (format!("{name}.txt"), run("text")),
        ] {
            let path = dir.join(&file);
            if update {
                std::fs::write(&path, &actual).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(actual.as_str()) {
                failures.push(format!("{file}:\n{actual}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "golden remedies differ (UPDATE_GOLDEN=1 rewrites them):\n{}",
        failures.join("\n")
    );
}

/// Without the option, a report has no `remedies` and is the report of before.
#[test]
fn reports_without_the_option_have_no_remedies() {
    for bundled in BUNDLED.iter() {
        let mut rng = rng(7);
        let record = record(&bundled.schema["fields"], &bundled.texts, &mut rng);
        let data = bundled.policy.reference_data(Some(&DATA));
        let plain = bundled
            .policy
            .evaluate_validated(bundled.policy.input(&record), data.as_ref(), today())
            .unwrap();
        assert_eq!(plain.remedies, None);
        let with = bundled
            .policy
            .evaluate_with_remedies(bundled.policy.input(&record), data.as_ref(), today())
            .unwrap();
        let plain = plain.to_json();
        let with = with.to_json();
        assert!(
            with.starts_with(&plain[..plain.len() - 1]),
            "{}",
            bundled.name
        );
        assert!(!plain.contains("\"remedies\""));
    }
}
