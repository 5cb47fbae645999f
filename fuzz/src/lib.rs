//! Shared code of the fuzz targets: the properties each target checks, and the generator of
//! well-typed policies used by `generated`.

pub mod fmt;
pub mod generate;
mod spans;

use procura::{Date, Policy};
use spans::erase_spans;

/// A fixed evaluation date, so that a crash reproduces on any day.
pub fn fixed_today() -> Date {
    Date::from_ymd(2025, 6, 1).unwrap_or(Date(0))
}

/// Checks a source; when it parses cleanly, the printed tree must parse to the same tree, and
/// when it compiles, its examples must run.
pub fn check_source(source: &str) {
    let diagnostics = procura::check(source);
    for diagnostic in &diagnostics {
        // Hosts slice the source with spans (codespan-reporting, the playground's editor).
        let span = diagnostic.span.range();
        assert!(
            source.get(span).is_some(),
            "diagnostic span outside the source or inside a character: {diagnostic:?}"
        );
    }
    let (file, syntax) = procura::syntax::parse(source);
    if syntax.is_empty() {
        assert_round_trip(&file);
    }
    if let Ok(policy) = procura::compile(source) {
        let _ = policy.run_examples(fixed_today());
    }
}

/// parse(print(tree)) is the tree again, spans aside.
pub fn assert_round_trip(file: &procura::ast::PolicyFile) {
    let printed = procura::print::print_file(file);
    let (reparsed, diagnostics) = procura::syntax::parse(&printed);
    assert!(
        diagnostics.is_empty(),
        "the printed tree does not parse:\n{printed}\n{diagnostics:#?}"
    );
    assert_eq!(
        erase_spans(file),
        erase_spans(&reparsed),
        "the printed tree parses differently:\n{printed}"
    );
}

/// The sample policies of the repository with their reference data.
pub const RULES: [&str; 10] = [
    include_str!("../../rules/onboarding.policy"),
    include_str!("../../rules/conflict-minerals.policy"),
    include_str!("../../rules/green-procurement.policy"),
    include_str!("../../rules/strategic-supplier.policy"),
    include_str!("../../rules/cmrt-quality.policy"),
    include_str!("../../rules/social-audit.policy"),
    include_str!("../../rules/chemical-substances.policy"),
    include_str!("../../rules/certificates.policy"),
    include_str!("../../rules/ecovadis-scorecard.policy"),
    include_str!("../../rules/fair-transactions.policy"),
];

/// The libraries the sample policies import, by their path from `rules/` (LANGUAGE.md §9.1).
pub const LIBRARIES: [(&str, &str); 5] = [
    (
        "lib/audits.policy",
        include_str!("../../rules/lib/audits.policy"),
    ),
    (
        "lib/certificates.policy",
        include_str!("../../rules/lib/certificates.policy"),
    ),
    (
        "lib/ecovadis.policy",
        include_str!("../../rules/lib/ecovadis.policy"),
    ),
    (
        "lib/minerals.policy",
        include_str!("../../rules/lib/minerals.policy"),
    ),
    (
        "lib/substances.policy",
        include_str!("../../rules/lib/substances.policy"),
    ),
];

/// A sample policy compiled with the libraries it imports.
pub fn compile_rule(source: &str) -> procura::Policy {
    let sources = procura::policy::Sources::load(source, |path| {
        (LIBRARIES.iter().find(|(name, _)| *name == path))
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| format!("no library `{path}` in rules/lib"))
    });
    procura::policy::compile_sources(&sources).expect("the sample policies compile")
}
pub const REFERENCE_DATA: &str = include_str!("../../rules/data/reference.json");

/// Evaluates fuzzed input against one of the sample policies.
///
/// Layout: byte 0 picks the policy (low two bits) and where the data comes from (next two
/// bits: none, the repository's reference data, or the bytes after the first 0xFF, which
/// never occurs in UTF-8); bytes 1..3 pick the date; the rest is the input record. Bytes that
/// are not JSON become a JSON string, so the input still goes through validation.
/// `Policy::decide` (which runs the rules' decision plans) gives the report's decision. A
/// decision runs fewer rules and lets than a report, so it may finish where the report runs out
/// of steps: only decisions whose report exists are compared.
pub fn assert_decide_agrees(
    policy: &Policy,
    record: &serde_json::Value,
    data: Option<&serde_json::Value>,
    today: Date,
) {
    let (Ok(input), Ok(data)) = (policy.input(record), policy.reference_data(data)) else {
        return;
    };
    if let Ok(report) = policy.evaluate(&input, &data, today) {
        assert_eq!(
            policy.decide(&input, &data, today),
            Ok(report.decision),
            "decide disagrees with the report on {record} (today {today})"
        );
    }
}

pub fn evaluate_bytes(policies: &[Policy], data: &[u8]) {
    let [selector, d0, d1, rest @ ..] = data else {
        return;
    };
    let Some(policy) = policies.get(usize::from(*selector) % policies.len().max(1)) else {
        return;
    };
    let (record, fuzzed_data) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let as_json = |bytes: &[u8]| {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into()))
    };
    let record = as_json(record);
    let data = match (selector >> 2) & 3 {
        0 => None,
        1 => serde_json::from_str(REFERENCE_DATA).ok(),
        _ => fuzzed_data.map(as_json),
    };
    // Every date from 1970 to about 2149, and the extremes of the calendar.
    let today = match u16::from_le_bytes([*d0, *d1]) {
        0 => Date::from_ymd(1, 1, 1),
        u16::MAX => Date::from_ymd(9999, 12, 31),
        days => Some(Date(i32::from(days))),
    }
    .unwrap_or(Date(0));
    let first = policy.evaluate_json(&record, data.as_ref(), today);
    let second = policy.evaluate_json(&record, data.as_ref(), today);
    match (first, second) {
        (Ok(a), Ok(b)) => {
            assert_decide_agrees(policy, &record, data.as_ref(), today);
            let report = a.to_json();
            assert_eq!(report, b.to_json(), "evaluation is not deterministic");
            if let Err(error) = serde_json::from_str::<serde_json::Value>(&report) {
                panic!("the report is not JSON ({error}): {report}");
            }
        }
        (Err(a), Err(b)) => {
            if let procura::EvaluateError::Input(errors) = &a {
                assert!(!errors.errors.is_empty(), "an input error without errors");
            }
            assert_eq!(a, b, "validation is not deterministic");
        }
        _ => panic!("validation is not deterministic"),
    }
}
