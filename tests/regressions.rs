//! Bugs found by fuzzing (`scripts/fuzz.sh`), each reduced to the smallest input that showed
//! it. The fuzz target that found it is named in each test.

use procura::Date;
use serde_json::json;

fn today() -> Date {
    Date::parse("2025-06-01").unwrap()
}

/// The report of `record` under a policy that must compile, as JSON; `Policy::decide` must
/// give its decision.
fn report_of(source: &str, record: &serde_json::Value) -> serde_json::Value {
    let policy = procura::compile(source).unwrap_or_else(|d| panic!("{d:#?}"));
    let report = policy.evaluate_json(record, None, today()).unwrap();
    let input = policy.input(record).unwrap();
    let data = policy.reference_data(None).unwrap();
    let decision = policy.decide(&input, &data, today()).unwrap();
    assert_eq!(decision, report.decision, "{source}");
    serde_json::from_str(&report.to_json()).unwrap()
}

/// `generated`: `max([])` has type `nothing?`, which every operator should take like the type
/// of its other side; `+`, `-` and `<` refused it (`cannot apply `+` to `nothing?` and
/// `number``), so a generated policy did not compile.
#[test]
fn operators_take_the_type_of_an_empty_list_element() {
    let source = r#"
input s { a: number, t: text }
let sum_ = max([]) + 1
let difference = 1 - min([])
let less = max([]) < s.a
let joined = max([]) + s.t
"#;
    let values = report_of(source, &json!({"a": 1, "t": "x"}));
    assert_eq!(
        values["values"],
        json!({"sum_": null, "difference": null, "less": null, "joined": null})
    );
}

/// `generated`: a score component, a condition and a list argument take `nothing` too
/// (`a score component must be a number, but this is `nothing?``).
#[test]
fn every_typed_position_takes_the_type_of_an_empty_list_element() {
    let source = r#"
input s { a: number }
score total "Total" {
  empty 50% = min([])
  a     50% = s.a
}
let counted = count(max([]))
let summed = sum(max([]))
rule r "R" {
  when max([])
  require min([])
  else review "m"
}
"#;
    let report = report_of(source, &json!({"a": 1}));
    assert_eq!(report["scores"]["total"]["value"], json!(null));
    assert_eq!(report["rules"][0]["outcome"], "missing");
    assert_eq!(report["values"], json!({"counted": null, "summed": null}));
}

/// `generated`: the same operators still refuse mismatched types when neither side is empty.
#[test]
fn operators_still_refuse_mismatched_types() {
    let source = "input s { a: number, t: text }\nlet x = s.a + s.t\nlet y = s.a < s.t\n";
    let diagnostics = procura::compile(source).unwrap_err();
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0202", "E0202"], "{diagnostics:#?}");
}

/// `generated`: with `nothing` on both sides (`min([...]) <= min([...])`) no side gave the other
/// its type, and the comparison was refused (`cannot compare `nothing?` with `nothing?``).
#[test]
fn operators_take_an_empty_list_element_on_both_sides() {
    let source = r#"
input s { a: number }
let compared = min([min([])]) <= min([])
let added = max([]) + min([])
let equal = max([]) == min([])
"#;
    let report = report_of(source, &json!({"a": 1}));
    assert_eq!(
        report["values"],
        json!({"compared": null, "added": null, "equal": null})
    );
}
