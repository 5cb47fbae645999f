//! Evaluator, input validation and report tests through the public API only: each test is
//! policy source text, an input record and reference data, checked against the report's JSON
//! (LANGUAGE.md §8), plus golden reports of whole policies under `tests/eval/`.
//!
//! Most tests probe one expression: `check`-style helpers put it in `let x = ...` of a small
//! policy (`BASE`) guarded by a rule `require x == x` (missing exactly when `x` is, with its
//! causes), and read `values.x`, the rule's `missing` paths and the report's `notes`. Every
//! evaluation also asserts that `Policy::decide` agrees with the report's decision.

#[path = "support/policies.rs"]
mod policies;

use procura::{Date, Policy};
use serde_json::{Value as Json, json};

// ---------------------------------------------------------------- policies and evaluation

/// The declarations every probe shares: a supplier record, its named types and three tables
/// (`cpi` with rows, `sanctioned` as reference data, `rating` with an empty body).
const BASE: &str = r#"policy "Test policy"
input supplier {
  name: text
  country: text
  spend: number?
  ecovadis: Ecovadis?
  smelters: [Smelter]
  flags: [text]
  cmrt_date: date?
  scores: [number?]
  category: "manufacturing" | "chemicals" | "logistics"
  website: text?
}
type Ecovadis = { environment: number, ethics: number }
type Smelter = { id: text, metal: text?, status: "conformant" | "active" | "not_enrolled" }
table cpi: text -> number { "DK": 90, "CN": 42 }
table sanctioned: text -> bool
table rating: number -> text {}
"#;

fn base_input() -> Json {
    json!({
        "name": "Nordisk \"Komponent\" A/S",
        "country": "DK",
        "spend": 800000,
        "ecovadis": {"environment": 70, "ethics": 55},
        "smelters": [
            {"id": "CID001", "metal": "tin", "status": "conformant"},
            {"id": "CID002", "metal": "gold", "status": "active"}
        ],
        "flags": [],
        "cmrt_date": "2025-03-01",
        "scores": [1, 2, 3],
        "category": "manufacturing"
    })
}

/// `base_input` with some fields replaced (`null` makes them absent).
fn input_with(changes: Json) -> Json {
    let mut input = base_input();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            input.as_object_mut().unwrap().remove(k);
        } else {
            input[k] = v.clone();
        }
    }
    input
}

/// An input where `spend`, `ecovadis` and `cmrt_date` are absent.
fn sparse() -> Json {
    input_with(json!({"spend": null, "ecovadis": null, "cmrt_date": null}))
}

fn today() -> Date {
    Date::parse("2025-06-01").unwrap()
}

fn compile(source: &str) -> Policy {
    procura::compile(source).unwrap_or_else(|d| panic!("{source}\ndoes not compile: {d:#?}"))
}

/// The report of `input` as JSON text, asserting that `Policy::decide` gives its decision.
fn report_text(policy: &Policy, input: &Json, data: &Json, today: Date) -> String {
    let record = policy
        .input(input)
        .unwrap_or_else(|e| panic!("{input}: {e:?}"));
    let data = policy.reference_data(Some(data)).unwrap();
    let report = policy.evaluate(&record, &data, today).unwrap();
    let decision = policy.decide(&record, &data, today).unwrap();
    assert_eq!(decision, report.decision, "decide disagrees on {input}");
    report.to_json()
}

/// [`report_text`] parsed, for a policy `BASE` + `items`.
fn report(items: &str, input: &Json) -> Json {
    let policy = compile(&format!("{BASE}{items}"));
    let text = report_text(&policy, input, &json!({"sanctioned": {}}), today());
    serde_json::from_str(&text).unwrap()
}

/// The JSON text of the first value of `json` after `key`, exactly as the report printed it.
fn raw_after<'a>(json: &'a str, key: &str) -> &'a str {
    let start = json
        .find(key)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + key.len();
    let mut values = serde_json::Deserializer::from_str(&json[start..]).into_iter::<Json>();
    values.next().unwrap().unwrap();
    &json[start..start + values.byte_offset()]
}

/// The result of evaluating one expression: its JSON value as printed in the report, the
/// paths that made it missing (empty when present or when nothing explains it) and the notes.
#[derive(Debug)]
struct Probe {
    value: String,
    missing: Vec<String>,
    notes: Vec<String>,
}

fn probe_with(expr: &str, input: Json) -> Probe {
    let source = format!(
        "{BASE}let x = {expr}\nrule probe \"Rule probe\" {{ require x == x else reject \"probe\" }}\n"
    );
    let policy = compile(&source);
    let text = report_text(
        &policy,
        &input,
        &json!({"sanctioned": {"XX": true}}),
        today(),
    );
    let json: Json = serde_json::from_str(&text).unwrap();
    let strings = |v: &Json| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    Probe {
        value: raw_after(&text, "\"values\":{\"x\":").to_owned(),
        missing: strings(&json["rules"][0]["missing"]),
        notes: strings(&json["notes"]),
    }
}

fn probe(expr: &str) -> Probe {
    probe_with(expr, base_input())
}

/// The value as JSON text, asserting that it is present.
fn value(expr: &str) -> String {
    let p = probe(expr);
    assert_ne!(p.value, "null", "{expr}: {p:?}");
    p.value
}

/// Asserts that `expr` is missing because of exactly `paths` and returns the notes.
fn missing(expr: &str, input: Json, paths: &[&str]) -> Vec<String> {
    let p = probe_with(expr, input);
    assert_eq!(p.value, "null", "{expr}: {p:?}");
    assert_eq!(p.missing, paths, "{expr}: {p:?}");
    p.notes
}

/// Asserts each `(expression, JSON value)` on `input`.
fn values_on(input: Json, cases: &[(&str, &str)]) {
    for (expr, expected) in cases {
        assert_eq!(probe_with(expr, input.clone()).value, *expected, "{expr}");
    }
}

/// Asserts each `(expression, JSON value)` on `base_input()`.
fn values(cases: &[(&str, &str)]) {
    values_on(base_input(), cases);
}

// ---------------------------------------------------------------- three-valued logic

#[test]
fn kleene_and_or_not() {
    // `supplier.spend > 0` is missing in `sparse()`.
    let cases = [
        ("false and supplier.spend > 0", "false"),
        ("supplier.spend > 0 and false", "false"),
        ("true and supplier.spend > 0", "null"),
        ("supplier.spend > 0 and true", "null"),
        ("supplier.spend > 0 and supplier.spend > 1", "null"),
        ("true and true", "true"),
        ("true or supplier.spend > 0", "true"),
        ("supplier.spend > 0 or true", "true"),
        ("false or supplier.spend > 0", "null"),
        ("supplier.spend > 0 or false", "null"),
        ("false or false", "false"),
        ("not (supplier.spend > 0)", "null"),
        ("not false", "true"),
    ];
    for (expr, expected) in cases {
        let p = probe_with(expr, sparse());
        assert_eq!(p.value, expected, "{expr}: {p:?}");
        if expected == "null" {
            assert_eq!(p.missing, ["supplier.spend"], "{expr}");
        }
    }
}

#[test]
fn combining_two_missing_operands_unions_their_causes() {
    let both = "supplier.spend > 0 and supplier.ecovadis.ethics > 0";
    missing(both, sparse(), &["supplier.ecovadis", "supplier.spend"]);
    let sum = "supplier.spend + supplier.ecovadis.environment";
    missing(sum, sparse(), &["supplier.ecovadis", "supplier.spend"]);
}

#[test]
fn every_strict_operator_propagates_missing() {
    let m = "supplier.spend";
    let d = "supplier.cmrt_date";
    let ops = [
        format!("{m} == 1"),
        format!("1 != {m}"),
        format!("{m} < 1"),
        format!("{m} <= 1"),
        format!("1 > {m}"),
        format!("{m} >= 1"),
        format!("{m} + 1"),
        format!("{m} - 1"),
        format!("0 * {m}"),
        format!("{m} / 1"),
        format!("{m} % 1"),
        format!("-{m}"),
        format!("{m} in []"),
        format!("{m} not in []"),
        format!("abs({m})"),
        format!("round({m}, 2)"),
        format!("round(2, {m})"),
        format!("{d} < 2025-01-01"),
        format!("{d} + 1 day"),
        format!("{d} - 1 month"),
        format!("days_between({d}, 2025-01-01)"),
        format!("year({d})"),
        format!("match {{ {m} > 0 => 1 else => 2 }}"),
        format!("\"spend {{{m}}}\""),
    ];
    for op in ops {
        let p = probe_with(&op, input_with(json!({"spend": null, "cmrt_date": null})));
        assert_eq!(p.value, "null", "{op}: {p:?}");
        assert!(!p.missing.is_empty(), "{op}: {p:?}");
        assert!(p.notes.is_empty(), "{op}: {p:?}");
    }
}

#[test]
fn coalesce_and_presence_decide_on_absence() {
    let sparse_value = |expr: &str| probe_with(expr, sparse()).value;
    assert_eq!(sparse_value("supplier.spend ?? 7"), "7");
    assert_eq!(value("supplier.spend ?? 7"), "800000");
    assert_eq!(sparse_value("supplier.ecovadis.ethics is missing"), "true");
    assert_eq!(sparse_value("supplier.ecovadis.ethics is present"), "false");
    assert_eq!(value("supplier.ecovadis.ethics is present"), "true");
}

#[test]
fn match_takes_the_first_true_arm_and_stops_at_a_missing_condition() {
    let choose =
        |first: &str| format!("match {{ {first} => \"a\"\n true => \"b\"\n else => \"c\" }}");
    assert_eq!(value(&choose("true")), "\"a\"");
    assert_eq!(value(&choose("false")), "\"b\"");
    missing(
        &choose("supplier.ecovadis.ethics > 1"),
        sparse(),
        &["supplier.ecovadis"],
    );
    assert_eq!(value("match { false => \"a\" else => \"c\" }"), "\"c\"");
    // `if` reads its condition the same way.
    assert_eq!(
        value("if supplier.spend > 1 then \"a\" else \"b\""),
        "\"a\""
    );
    missing(
        "if supplier.spend > 1 then \"a\" else \"b\"",
        sparse(),
        &["supplier.spend"],
    );
}

// ---------------------------------------------------------------- equality and membership

#[test]
fn equality_is_structural_and_unknown_with_a_missing_part() {
    values(&[
        (r#"["a", "b"] == ["a", "b"]"#, "true"),
        (r#"["a", "b"] == ["b", "a"]"#, "false"),
        ("-0 != 0", "false"),
        ("2025-01-01 == 2025-01-01", "true"),
        ("supplier.ecovadis == supplier.ecovadis", "true"),
        ("supplier.smelters == supplier.smelters", "true"),
        (
            "[s.metal for s in supplier.smelters] == [\"tin\", \"gold\"]",
            "true",
        ),
        ("[s.metal for s in supplier.smelters] == [\"tin\"]", "false"),
    ]);
    missing(
        "[1, supplier.spend] == [1, 2]",
        sparse(),
        &["supplier.spend"],
    );
    // Two absent values are not known to be equal.
    missing(
        "supplier.spend == supplier.ecovadis.ethics",
        sparse(),
        &["supplier.ecovadis", "supplier.spend"],
    );
}

#[test]
fn comparisons_order_numbers_dates_and_texts() {
    values(&[
        (r#""apple" < "banana""#, "true"),
        (r#""Zebra" < "apple""#, "true"),
        (r#""z" < "é""#, "true"),
        ("2025-01-02 >= 2025-01-01", "true"),
        ("2 <= 2", "true"),
        ("2 > 2", "false"),
    ]);
}

#[test]
fn membership_is_a_kleene_any() {
    // `scores` is [1, null, 3] here: element 1 is missing.
    let input = || input_with(json!({"scores": [1, null, 3]}));
    values_on(
        input(),
        &[
            ("3 in supplier.scores", "true"),
            ("supplier.scores contains 1", "true"),
            ("3 not in supplier.scores", "false"),
        ],
    );
    missing("2 in supplier.scores", input(), &["supplier.scores[1]"]);
    missing("2 not in supplier.scores", input(), &["supplier.scores[1]"]);
    values(&[
        (r#""DK" in ["DK", "SE"]"#, "true"),
        (r#""NO" in ["DK", "SE"]"#, "false"),
        (r#""NO" not in ["DK", "SE"]"#, "true"),
        (r#"supplier.country in ["DK", "SE"]"#, "true"),
    ]);
}

#[test]
fn contains_any_and_all() {
    let flags = |list: &[&str]| input_with(json!({"flags": list}));
    let any = r#"supplier.flags contains_any ["bribery", "fraud"]"#;
    let all = r#"supplier.flags contains_all ["bribery", "fraud"]"#;
    assert_eq!(probe_with(any, flags(&["fraud"])).value, "true");
    assert_eq!(probe_with(any, flags(&["late"])).value, "false");
    assert_eq!(probe_with(all, flags(&["fraud"])).value, "false");
    assert_eq!(
        probe_with(all, flags(&["fraud", "x", "bribery"])).value,
        "true"
    );
    values(&[
        ("supplier.flags contains_any []", "false"),
        ("supplier.flags contains_all []", "true"),
    ]);
    // A missing member decides nothing when another member is found.
    let sparse_flags = || input_with(json!({"flags": ["fraud"]}));
    let any = r#"supplier.flags contains_any ["fraud", supplier.website]"#;
    assert_eq!(probe_with(any, sparse_flags()).value, "true");
    let all = r#"supplier.flags contains_all ["fraud", supplier.website]"#;
    missing(all, sparse_flags(), &["supplier.website"]);
}

#[test]
fn text_contains_family() {
    values(&[
        (r#"supplier.name contains "Komponent""#, "true"),
        (r#"supplier.name contains "komponent""#, "false"),
        (r#"supplier.name contains_any ["x", "A/S"]"#, "true"),
        (r#"supplier.name contains_all ["x", "A/S"]"#, "false"),
        (r#"supplier.name contains_all ["Nordisk", "A/S"]"#, "true"),
        (r#""a" + "b""#, "\"ab\""),
    ]);
}

// ---------------------------------------------------------------- arithmetic and notes

#[test]
fn arithmetic_and_its_failures() {
    values(&[
        ("0.1 + 0.2", "0.30000000000000004"),
        ("-7 % 3", "-1"),
        ("25 % 3", "1"),
        ("-(4)", "-4"),
    ]);
    let notes = missing("1 / 0", base_input(), &[]);
    assert_eq!(notes, ["division by zero in let `x`: its value is missing"]);
    let notes = missing("1 % 0", base_input(), &[]);
    assert_eq!(
        notes,
        ["remainder of division by zero in let `x`: its value is missing"]
    );
    // The number literal grammar has no exponent: 1e300 comes from the input.
    let huge = input_with(json!({"spend": 1e300}));
    let notes = missing("supplier.spend * supplier.spend", huge, &[]);
    assert_eq!(
        notes,
        ["arithmetic overflow in let `x`: its value is missing"]
    );
}

#[test]
fn notes_name_where_and_appear_once() {
    let ratio = "1 / (supplier.spend - supplier.spend)";
    let report = report(
        &format!(
            "let ratio = {ratio}\n\
             score s \"S\" {{ c 100% = {ratio} }}\n\
             rule a \"Rule a\" {{ require {ratio} > 0 else review \"a\" }}\n\
             rule b \"Rule b\" {{ require ratio > 0 else review \"b\" }}\n"
        ),
        &base_input(),
    );
    assert_eq!(
        report["notes"],
        json!([
            "division by zero in let `ratio`: its value is missing",
            "division by zero in score `s`, component `c`: its value is missing",
            "division by zero in rule `a`: the result is missing",
        ])
    );
    // Missing for no input reason: the outcome is missing, with no path to supply.
    assert_eq!(report["rules"][1]["outcome"], "missing");
    assert_eq!(report["rules"][1]["missing"], json!([]));
    assert_eq!(report["decision"], "incomplete");
    assert_eq!(report["scores"]["s"]["value"], Json::Null);
}

/// Constants are folded at compile time (`eval::eval_const` in the IR tests); one without a
/// value is a compile error whose help is the bare note, and `today` is not a constant.
#[test]
fn constants_fold_at_compile_time() {
    assert_eq!(
        compile_value("const C = 6 * 7\nlet x = C\n"),
        "42",
        "a folded constant"
    );
    let errors = procura::compile(&format!("{BASE}const D = 6 / 0\nlet x = D\n")).unwrap_err();
    let error = errors.iter().find(|d| d.code == "E0307").unwrap();
    assert_eq!(error.message, "`D` has no value at compile time");
    assert_eq!(error.help.as_deref(), Some("division by zero"));
    let errors = procura::compile(&format!("{BASE}const T = today\nlet x = T\n")).unwrap_err();
    assert!(errors.iter().any(|d| d.code == "E0306"), "{errors:#?}");
}

/// `values.x` of a policy `BASE` + `items` on `base_input()`.
fn compile_value(items: &str) -> String {
    let policy = compile(&format!("{BASE}{items}"));
    let text = report_text(&policy, &base_input(), &json!({"sanctioned": {}}), today());
    raw_after(&text, "\"values\":{\"x\":").to_owned()
}

// ---------------------------------------------------------------- quantifiers and comprehensions

#[test]
fn quantifiers_follow_kleene_logic() {
    // Smelter 1 has no metal.
    let input = || {
        input_with(json!({"smelters": [
            {"id": "A", "metal": "tin", "status": "conformant"},
            {"id": "B", "status": "active"},
            {"id": "C", "metal": "gold", "status": "conformant"}
        ]}))
    };
    let q = |kind: &str, body: &str| format!("{kind} s in supplier.smelters: {body}");
    let is_tin = "s.metal == \"tin\"";
    let is_lead = "s.metal == \"lead\"";
    // all: a false element decides.
    assert_eq!(probe_with(&q("all", is_tin), input()).value, "false");
    let metal = ["supplier.smelters[1].metal"];
    missing(&q("all", "s.metal != \"lead\""), input(), &metal);
    assert_eq!(probe_with(&q("any", is_tin), input()).value, "true");
    missing(&q("any", is_lead), input(), &metal);
    assert_eq!(probe_with(&q("none", is_tin), input()).value, "false");
    missing(&q("none", is_lead), input(), &metal);
    // Empty lists.
    let empty = input_with(json!({"smelters": []}));
    values_on(
        empty,
        &[
            (&q("all", is_tin), "true"),
            (&q("any", is_tin), "false"),
            (&q("none", is_tin), "true"),
        ],
    );
}

#[test]
fn nested_quantifiers_name_nested_elements() {
    // The flags hold metals here.
    let expr = "all s in supplier.smelters: any f in supplier.flags: s.metal == f";
    let input = input_with(json!({
        "flags": ["tin"],
        "smelters": [{"id": "A", "metal": "tin", "status": "active"}, {"id": "B", "status": "active"}]
    }));
    missing(expr, input, &["supplier.smelters[1].metal"]);
}

#[test]
fn comprehensions_are_missing_as_a_whole() {
    values(&[
        (
            r#"[s.id for s in supplier.smelters if s.status != "conformant"]"#,
            r#"["CID002"]"#,
        ),
        ("[s.metal for s in supplier.smelters]", r#"["tin","gold"]"#),
    ]);
    let two_absent = || {
        input_with(json!({"smelters": [
            {"id": "A", "status": "active"},
            {"id": "B", "metal": "tin", "status": "active"},
            {"id": "C", "status": "active"}
        ]}))
    };
    let both = ["supplier.smelters[0].metal", "supplier.smelters[2].metal"];
    missing("[s.metal for s in supplier.smelters]", two_absent(), &both);
    missing(
        r#"[s.id for s in supplier.smelters if s.metal == "tin"]"#,
        two_absent(),
        &both,
    );
    // The filter decides first: excluded elements are never read.
    let only_b = r#"[s.metal for s in supplier.smelters if s.id == "B"]"#;
    assert_eq!(probe_with(only_b, two_absent()).value, r#"["tin"]"#);
}

#[test]
fn a_null_list_element_is_named_by_its_index() {
    let input = || input_with(json!({"scores": [4, null]}));
    let element = ["supplier.scores[1]"];
    missing("sum(supplier.scores)", input(), &element);
    missing("count(supplier.scores)", input(), &element);
    missing("[n * 2 for n in supplier.scores]", input(), &element);
}

#[test]
fn comprehension_clauses_read_earlier_variables_and_flatten() {
    values(&[
        (
            "[s.id + n for s in supplier.smelters for n in [\"1\", \"2\"]]",
            r#"["CID0011","CID0012","CID0021","CID0022"]"#,
        ),
        (
            "[n * m for n in supplier.scores if n > 1 for m in [n, 10] if m != 3]",
            "[4,20,30]",
        ),
        ("[v for l in [[1, 2], [], [3]] for v in l]", "[1,2,3]"),
        ("[n for s in supplier.smelters for n in []]", "[]"),
    ]);
    let lists = |a: Json, b: Json| input_with(json!({"scores": a, "flags": b}));
    // A missing element of a later clause's list, a missing filter and a missing element
    // all make the whole result missing, with every cause.
    missing(
        "[m for n in supplier.scores for m in [n]]",
        lists(json!([1, null, 3]), json!([])),
        &["supplier.scores[1]"],
    );
    missing(
        "[f for n in supplier.scores if n > 1 for f in supplier.flags]",
        lists(json!([null, 2]), json!(["a"])),
        &["supplier.scores[0]"],
    );
    // A missing list in a later clause, for one element of the first.
    missing(
        "[v for e in [supplier.ecovadis, supplier.ecovadis] for v in [e.ethics]]",
        sparse(),
        &["supplier.ecovadis"],
    );
}

#[test]
fn lists_concatenate() {
    values(&[
        ("supplier.scores + [4]", "[1,2,3,4]"),
        ("[] + supplier.flags", "[]"),
        ("count(supplier.smelters + supplier.smelters)", "4"),
        (r#"supplier.flags + ["a"] + ["b"]"#, r#"["a","b"]"#),
        // Element types join: a literal union and a text make texts.
        (
            r#"["x"] + [supplier.name]"#,
            r#"["x","Nordisk \"Komponent\" A/S"]"#,
        ),
    ]);
    // A missing operand makes it missing; a missing element is only an element.
    missing(
        "supplier.scores + (if supplier.spend > 0 then [1] else [2])",
        sparse(),
        &["supplier.spend"],
    );
    assert_eq!(
        probe_with("supplier.scores + [supplier.spend]", sparse()).value,
        "[1,2,3,null]"
    );
    // Elements of the joined list keep the paths of the lists they come from.
    let metals = input_with(json!({"smelters": [
        {"id": "A", "status": "active"},
        {"id": "B", "metal": "tin", "status": "active"}
    ]}));
    missing(
        "[s.metal for s in supplier.smelters + supplier.smelters]",
        metals.clone(),
        &["supplier.smelters[0].metal"],
    );
    missing(
        "[s.metal for s in [] + supplier.smelters]",
        metals.clone(),
        &["supplier.smelters[0].metal"],
    );
    missing(
        "(supplier.smelters + supplier.smelters)[2].metal",
        metals,
        &["supplier.smelters[0].metal"],
    );
    // An absent element of an input list is named in the result.
    missing(
        "sum([0] + supplier.scores)",
        input_with(json!({"scores": [4, null]})),
        &["supplier.scores[1]"],
    );
}

#[test]
fn list_elements_are_read_by_index() {
    values(&[
        ("supplier.scores[0]", "1"),
        ("supplier.scores[2]", "3"),
        ("supplier.smelters[1].metal", r#""gold""#),
        ("[10, 20, 30][count(supplier.flags) + 1]", "20"),
        ("(supplier.scores + [9])[3]", "9"),
        ("[[1], [2, 3]][1][0]", "2"),
    ]);
    // Out of range: missing without a note, for the element's path in an input list.
    let notes = missing("supplier.scores[3]", base_input(), &["supplier.scores[3]"]);
    assert!(notes.is_empty(), "{notes:?}");
    missing(
        "supplier.smelters[5].metal",
        base_input(),
        &["supplier.smelters[5]"],
    );
    missing("[1, 2][count(supplier.scores)]", base_input(), &[]);
    // Fields read from an element are named through it.
    let absent_metal = || {
        input_with(json!({"smelters": [
            {"id": "A", "status": "active"},
            {"id": "B", "status": "active"}
        ]}))
    };
    missing(
        "supplier.smelters[1].metal",
        absent_metal(),
        &["supplier.smelters[1].metal"],
    );
    missing(
        "supplier.scores[1]",
        input_with(json!({"scores": [1, null]})),
        &["supplier.scores[1]"],
    );
    // A missing index or list propagates its cause.
    missing(
        "supplier.scores[supplier.spend]",
        sparse(),
        &["supplier.spend"],
    );
    // Negative or fractional: missing with a note and no path.
    for index in ["-1", "0.5"] {
        let notes = missing(&format!("supplier.scores[{index}]"), base_input(), &[]);
        assert_eq!(
            notes,
            ["a list index is negative or not a whole number in let `x`: its value is missing"]
        );
    }
}

#[test]
fn a_let_holding_an_element_keeps_its_place() {
    let input = input_with(json!({"smelters": [{"id": "A", "status": "active"}]}));
    let report = report(
        "let first = supplier.smelters[0]\n\
         rule metal \"Metal\" { require first.metal == \"tin\" else review \"x\" }\n",
        &input,
    );
    assert_eq!(
        report["rules"][0]["missing"],
        json!(["supplier.smelters[0].metal"])
    );
}

#[test]
fn computed_durations() {
    values(&[
        (
            "2025-01-31 + (count(supplier.scores) - 2) month",
            r#""2025-02-28""#,
        ),
        ("today - (supplier.spend / 400000) weeks", r#""2025-05-18""#),
        ("today + (-1) year", r#""2024-06-01""#),
        ("today - (2) days", r#""2025-05-30""#),
        (
            "supplier.cmrt_date + (supplier.scores[0]) day",
            r#""2025-03-02""#,
        ),
    ]);
    missing(
        "today + (supplier.spend) days",
        sparse(),
        &["supplier.spend"],
    );
    let notes = missing("today + (supplier.spend / 3) days", base_input(), &[]);
    assert_eq!(
        notes,
        ["the count of a duration is not a whole number in let `x`: its value is missing"]
    );
    for unit in ["days", "months"] {
        let huge = format!("today + (supplier.spend * 1_000_000_000_000_000) {unit}");
        let notes = missing(&huge, base_input(), &[]);
        assert_eq!(
            notes,
            ["date out of range in let `x`: its value is missing"]
        );
    }
}

// ---------------------------------------------------------------- builtins

#[test]
fn aggregates() {
    values(&[
        ("count(supplier.smelters)", "2"),
        ("sum(supplier.scores)", "6"),
        ("sum([])", "0"),
        ("count([])", "0"),
        ("min([3, -1.5, 2])", "-1.5"),
        ("max([3, -1.5, 2])", "3"),
        ("avg([1, 2])", "1.5"),
        ("min([2025-01-02, 2024-12-31])", "\"2024-12-31\""),
    ]);
    for builtin in ["min", "max", "avg"] {
        let notes = missing(&format!("{builtin}([])"), base_input(), &[]);
        assert!(notes.is_empty(), "{builtin}: {notes:?}");
        // An empty list computed from the input as well.
        let none = "[n for n in supplier.scores if n > 100]";
        let notes = missing(&format!("{builtin}({none})"), base_input(), &[]);
        assert!(notes.is_empty(), "{builtin}: {notes:?}");
    }
    let huge = input_with(json!({"scores": [1e308, 1e308]}));
    let notes = missing("sum(supplier.scores)", huge, &[]);
    assert_eq!(notes.len(), 1, "{notes:?}");
    missing(
        "count(supplier.smelters)",
        input_with(json!({"smelters": null})),
        &["supplier.smelters"],
    );
}

#[test]
fn text_functions() {
    values(&[
        (r#"len("Zürich")"#, "6"),
        (r#"lower("ÄBC")"#, "\"äbc\""),
        (r#"upper("straße")"#, "\"STRASSE\""),
        (r#"trim("  a b \n")"#, "\"a b\""),
        (r#"starts_with("ISO14001", "ISO")"#, "true"),
        (r#"ends_with("ISO14001", "ISO")"#, "false"),
        ("len(supplier.name)", "23"),
    ]);
}

/// LANGUAGE.md §9.4: raw strings, `matches`, `substring`, `split`, `replace`, `to_number`
/// and `to_text`.
#[test]
fn v2_text_functions() {
    values(&[
        (r#"matches("CID001234", r"CID[0-9]{6}")"#, "true"),
        // The whole text, not a part of it.
        (r#"matches("xCID001234", r"CID[0-9]{6}")"#, "false"),
        (r#"matches("CID0012345", r"CID[0-9]{6}")"#, "false"),
        // An alternation is anchored as a whole.
        (r#"matches("ab", "a|ab")"#, "true"),
        (r#"matches("", r"")"#, "true"),
        (r#"matches(supplier.name, r"Nordisk .\w+. A/S")"#, "true"),
        (r#"substring("Zürich AG", 1, 5)"#, "\"ürich\""),
        (r#"substring("abc", 2, 10)"#, "\"c\""),
        (r#"substring("abc", 5, 1)"#, "\"\""),
        (r#"substring("abc", 0, 0)"#, "\"\""),
        (r#"split("a,,b", ",")"#, r#"["a","","b"]"#),
        (r#"split("", ",")"#, r#"[""]"#),
        (r#"split("a->b", "->")"#, r#"["a","b"]"#),
        (r#"replace("a-b-c", "-", "")"#, "\"abc\""),
        (r#"replace("aaa", "aa", "b")"#, "\"ba\""),
        (r#"to_number(" 12.5 ")"#, "12.5"),
        (r#"to_number("-1e3")"#, "-1000"),
        (r#"to_text(0.1 + 0.2 + 0.4)"#, "\"0.7\""),
        (r#"to_text(1 / 3)"#, "\"0.333333333333333\""),
        (r#"to_text(123456789012345678)"#, "\"123456789012346000\""),
        (r#"to_text(0.0000001 / 3)"#, "\"3.33333333333333e-8\""),
        (r#"to_text([[1, 2], [], [3]])"#, "\"[1, 2], [], [3]\""),
        (r#"to_text([])"#, "\"none\""),
        (r#"to_text(supplier.flags)"#, "\"none\""),
        (r#"to_text(2025-06-01)"#, "\"2025-06-01\""),
        (
            r#"to_text(supplier.ecovadis)"#,
            "\"{environment: 70, ethics: 55}\"",
        ),
        (
            r#""{supplier.ecovadis}" == to_text(supplier.ecovadis)"#,
            "true",
        ),
        (r#"to_text(true)"#, "\"true\""),
        (r#"r"a\{" + r"}""#, "\"a\\\\{}\""),
    ]);
    for text in ["1,5", "0x10", ".5", "NaN", "1e400", "", r#"\"1\""#] {
        let notes = missing(&format!("to_number(\"{text}\")"), base_input(), &[]);
        assert!(notes.is_empty(), "{text}: {notes:?}");
    }
    for call in [
        r#"substring("abc", -1, 1)"#,
        r#"substring("abc", 0.5, 1)"#,
        r#"substring("abc", 0, -1)"#,
        r#"split("abc", "")"#,
        r#"replace("abc", "", "x")"#,
    ] {
        let notes = missing(call, base_input(), &[]);
        assert_eq!(notes.len(), 1, "{call}: {notes:?}");
    }
    missing("to_text(supplier.spend)", sparse(), &["supplier.spend"]);
    missing(
        r#"matches(supplier.website, "https://.*")"#,
        base_input(),
        &["supplier.website"],
    );
    missing(
        r#"split(supplier.website, "/")"#,
        base_input(),
        &["supplier.website"],
    );
}

/// Interpolation rounds numbers to 15 significant digits and prints lists as §9.4 says, in
/// messages as in strings; JSON values keep every digit.
#[test]
fn v2_interpolation() {
    let report = report(
        r#"let sum = 0.1 + 0.2
let text = "{sum} {[[1], [2, 3]]} {[]} {[1, 2]}"
rule r "R" { require false else warn "{sum}; {supplier.flags}; {[["a"], []]}" }
"#,
        &base_input(),
    );
    assert_eq!(report["values"]["sum"], json!(0.30000000000000004));
    assert_eq!(report["values"]["text"], "0.3 [1], [2, 3] none 1, 2");
    assert_eq!(report["rules"][0]["message"], "0.3; none; [a], []");
}

/// LANGUAGE.md §9.5: `distinct`, `sort`, `flatten`, and `min`/`max`/`avg` with a default.
#[test]
fn v2_list_functions() {
    values(&[
        ("distinct([3, 1, 3, 2, 1])", "[3,1,2]"),
        ("distinct([[1], [2], [1]])", "[[1],[2]]"),
        ("distinct([0, -0])", "[0]"),
        (r#"distinct(["a", "b", "a"])"#, r#"["a","b"]"#),
        ("distinct([])", "[]"),
        ("sort([3, -1, 2.5])", "[-1,2.5,3]"),
        (r#"sort(["b", "a", "B", "é"])"#, r#"["B","a","b","é"]"#),
        (
            "sort([2025-01-02, 2024-05-01])",
            r#"["2024-05-01","2025-01-02"]"#,
        ),
        (
            "sort([s.status for s in supplier.smelters])",
            r#"["active","conformant"]"#,
        ),
        ("flatten([[1, 2], [], [3]])", "[1,2,3]"),
        ("flatten([[[1]], [[2]]])", "[[1],[2]]"),
        ("flatten([])", "[]"),
        ("min([], 7)", "7"),
        ("max([], 2025-01-01)", "\"2025-01-01\""),
        ("min([3, 1], 7)", "1"),
        ("max([n for n in supplier.scores if n > 100], 0)", "0"),
        ("avg([], 0)", "0"),
        ("avg([1, 2], 0)", "1.5"),
    ]);
    let holes = input_with(json!({"scores": [1, null, 3]}));
    for call in [
        "distinct(supplier.scores)",
        "sort(supplier.scores)",
        "max(supplier.scores, 0)",
        "avg(supplier.scores, 0)",
    ] {
        let notes = missing(call, holes.clone(), &["supplier.scores[1]"]);
        assert!(notes.is_empty(), "{call}: {notes:?}");
    }
    // An element of an inner list that is missing; inside a list literal it names no path.
    missing("flatten([supplier.scores])", holes, &[]);
    missing("min([1], supplier.spend)", sparse(), &["supplier.spend"]);
}

/// LANGUAGE.md §9.6: `months_between`, `years_between`, `month` and `day`.
#[test]
fn v2_date_functions() {
    values(&[
        ("months_between(2024-01-31, 2024-02-29)", "1"),
        ("months_between(2024-01-31, 2024-02-28)", "0"),
        ("months_between(2024-02-29, 2024-03-31)", "1"),
        ("months_between(2024-03-31, 2024-02-29)", "-1"),
        ("months_between(2025-06-01, 2025-06-01)", "0"),
        ("months_between(2025-06-15, 2025-06-14)", "0"),
        ("months_between(2001-01-01, 9999-12-31)", "95987"),
        ("years_between(2020-02-29, 2024-02-28)", "3"),
        ("years_between(2020-02-29, 2024-02-29)", "4"),
        ("years_between(2024-02-29, 2020-03-01)", "-3"),
        ("month(2024-02-29)", "2"),
        ("day(2024-02-29)", "29"),
        ("month(supplier.cmrt_date)", "3"),
    ]);
    missing("day(supplier.cmrt_date)", sparse(), &["supplier.cmrt_date"]);
}

#[test]
fn rounding_and_numbers() {
    values(&[
        ("round(1.005, 2)", "1.01"),
        ("round(2.675, 2)", "2.68"),
        ("round(-2.5, 0)", "-3"),
        ("round(1234.5678, -2)", "1200"),
        ("round(58.75, 1)", "58.8"),
        ("round(0.005, 2)", "0.01"),
        ("round(0.004, 2)", "0"),
        ("round(0.0004, 2)", "0"),
        ("round(1250, -2)", "1300"),
        ("round(99.96, 1)", "100"),
        ("round(9.5, 0)", "10"),
        ("round(2.4, 0)", "2"),
        ("round(0.5, 0)", "1"),
        ("round(0.4, 0)", "0"),
        ("round(58.75, 5)", "58.75"),
        ("abs(-3.5)", "3.5"),
        ("floor(2.7)", "2"),
        ("floor(-2.5)", "-3"),
        ("floor(4)", "4"),
        ("ceil(2.1)", "3"),
        ("ceil(-2.5)", "-2"),
        ("ceil(supplier.spend / 3)", "266667"),
    ]);
    assert_eq!(
        missing(
            "floor(supplier.ecovadis.ethics)",
            sparse(),
            &["supplier.ecovadis"]
        ),
        Vec::<String>::new()
    );
    for digits in ["0.5", "16", "-16"] {
        let notes = missing(&format!("round(1, {digits})"), base_input(), &[]);
        assert_eq!(notes.len(), 1, "{digits}: {notes:?}");
    }
}

#[test]
fn date_arithmetic_clamps_to_month_end() {
    values(&[
        ("2024-03-31 - 1 month", "\"2024-02-29\""),
        ("2025-01-31 + 1 month", "\"2025-02-28\""),
        ("2025-06-01 + 14 days", "\"2025-06-15\""),
        ("2024-02-29 + 1 year", "\"2025-02-28\""),
        ("supplier.cmrt_date + 2 weeks", "\"2025-03-15\""),
        ("days_between(2025-06-01, 2025-05-30)", "-2"),
        ("year(2025-06-01)", "2025"),
    ]);
    let notes = missing("9999-12-31 + 1 day", base_input(), &[]);
    assert_eq!(
        notes,
        ["date out of range in let `x`: its value is missing"]
    );
    // `today - 1 month` on 2024-03-31.
    let policy = compile(&format!("{BASE}let cutoff = today - 1 month\n"));
    let text = report_text(
        &policy,
        &base_input(),
        &json!({"sanctioned": {}}),
        Date::parse("2024-03-31").unwrap(),
    );
    assert!(
        text.contains("\"values\":{\"cutoff\":\"2024-02-29\"}"),
        "{text}"
    );
}

// ---------------------------------------------------------------- causes

#[test]
fn paths_name_the_shallowest_absent_part() {
    let ethics = "supplier.ecovadis.ethics";
    missing(ethics, sparse(), &["supplier.ecovadis"]);
    let no_ethics = input_with(json!({"ecovadis": {"environment": 70}}));
    missing(ethics, no_ethics, &["supplier.ecovadis.ethics"]);
    let null_ethics = input_with(json!({"ecovadis": {"environment": 70, "ethics": null}}));
    missing(ethics, null_ethics, &["supplier.ecovadis.ethics"]);
    missing("supplier.spend", sparse(), &["supplier.spend"]);
}

#[test]
fn lets_that_read_input_keep_its_place() {
    let report = report(
        "let e = supplier.ecovadis\n\
         let listed = supplier.smelters\n\
         rule ethics \"Ethics\" { require e.ethics > 40 else review \"ethics\" }\n\
         rule metals \"Metals\" {\n\
           require all s in listed: s.metal is present and s.metal != \"x\"\n\
           else review \"metals\"\n\
         }\n",
        &input_with(json!({
            "ecovadis": {"environment": 1},
            "smelters": [{"id": "A", "status": "active"}]
        })),
    );
    assert_eq!(
        report["rules"][0]["missing"],
        json!(["supplier.ecovadis.ethics"])
    );
    // `is present` decides: false, not missing.
    assert_eq!(report["rules"][1]["outcome"], "failed");
}

#[test]
fn table_lookups_name_the_absent_entry() {
    let cpi = "cpi[supplier.country]";
    assert_eq!(value(cpi), "90");
    missing(
        cpi,
        input_with(json!({"country": "X\"Y"})),
        &["cpi[\"X\\\"Y\"]"],
    );
    missing(
        cpi,
        input_with(json!({"country": null})),
        &["supplier.country"],
    );
    missing("rating[5]", base_input(), &["rating[5]"]);
    missing("rating[0.5]", base_input(), &["rating[0.5]"]);
    // Reference data: `sanctioned` has only XX.
    assert_eq!(value("sanctioned[\"XX\"]"), "true");
    missing(
        "sanctioned[supplier.country]",
        base_input(),
        &["sanctioned[\"DK\"]"],
    );
    assert_eq!(value("sanctioned[supplier.country] ?? false"), "false");
}

// ---------------------------------------------------------------- rules, scores, decision

#[test]
fn rule_outcomes_and_messages() {
    let report = report(
        r#"rule ok "Rule ok" { require true else reject "never" }
rule msg "Rule msg" {
  require false
  else warn "\{{supplier.name}\} {supplier.scores} / {supplier.spend} / {supplier.cmrt_date} / {12 months} / {supplier.smelters} / {true} / {58.75}"
}
rule nope "Rule nope" { when false require false else reject "never" }
rule unknown "Rule unknown" { when supplier.spend > 1 require true else reject "never" }
"#,
        &input_with(json!({"spend": null, "smelters": [{"id": "A", "status": "active"}]})),
    );
    let outcomes: Vec<&str> = (0..4)
        .map(|i| report["rules"][i]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["passed", "failed", "not_applicable", "missing"]);
    assert_eq!(
        report["rules"][1]["message"],
        "{Nordisk \"Komponent\" A/S} 1, 2, 3 / missing / 2025-03-01 / 12 months / {id: A, metal: missing, status: active} / true / 58.75"
    );
    assert_eq!(report["rules"][1]["verdict"], "warn");
    assert_eq!(report["rules"][0]["verdict"], Json::Null);
    assert_eq!(report["rules"][0]["message"], Json::Null);
    assert_eq!(report["rules"][3]["missing"], json!(["supplier.spend"]));
    assert_eq!(report["missing"], json!(["supplier.spend"]));
    assert_eq!(report["decision"], "incomplete");
}

#[test]
fn decision_precedence() {
    // (condition, verdict) per rule; `supplier.spend > 0` is missing on `sparse()`.
    let decide = |rules: &[(&str, &str)]| {
        let items: String = rules
            .iter()
            .enumerate()
            .map(|(i, (condition, verdict))| {
                format!(
                    "rule r{i} \"Rule {i}\" {{ require {condition} else {verdict} \"r{i}\" }}\n"
                )
            })
            .collect();
        let report = report(&items, &sparse());
        report["decision"].as_str().unwrap().to_owned()
    };
    let m = "supplier.spend > 0";
    assert_eq!(decide(&[]), "approve");
    assert_eq!(decide(&[("false", "warn")]), "approve");
    assert_eq!(decide(&[("false", "review"), ("false", "warn")]), "review");
    assert_eq!(decide(&[("false", "review"), (m, "warn")]), "incomplete");
    assert_eq!(decide(&[(m, "review"), ("false", "review")]), "incomplete");
    assert_eq!(decide(&[("false", "reject"), (m, "review")]), "reject");
    assert_eq!(decide(&[(m, "warn"), ("false", "reject")]), "reject");
    assert_eq!(decide(&[("true", "reject"), ("false", "review")]), "review");
}

const ECO_SCORE: &str = r#"score sustainability "Sustainability" {
  environment 25% = supplier.ecovadis.environment
  ethics      75% = supplier.ecovadis.ethics
}
"#;

#[test]
fn scores_sum_weighted_components_and_never_renormalise() {
    let items = format!(
        "{ECO_SCORE}rule min \"Rule min\" {{ require sustainability >= 45 else review \"low\" }}\n"
    );
    let full = report(&items, &base_input());
    assert_eq!(full["scores"]["sustainability"]["value"], 58.75);
    assert_eq!(
        full["scores"]["sustainability"]["components"][1]["contribution"],
        41.25
    );
    let policy = compile(&format!("{BASE}{items}"));
    let partial = input_with(json!({"ecovadis": {"environment": 70}}));
    let text = report_text(&policy, &partial, &json!({"sanctioned": {}}), today());
    assert!(text.contains(
        "\"scores\":{\"sustainability\":{\"value\":null,\"components\":[{\"name\":\"environment\",\"weight\":0.25,\"value\":70,\"contribution\":17.5},{\"name\":\"ethics\",\"weight\":0.75,\"value\":null,\"contribution\":null}]}}"
    ), "{text}");
    let partial: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(
        partial["rules"][0]["missing"],
        json!(["supplier.ecovadis.ethics"])
    );
}

// ---------------------------------------------------------------- report JSON

#[test]
fn report_json_is_exact() {
    let source = format!(
        "{}{ECO_SCORE}\
         let eco = supplier.ecovadis\n\
         let ids = [s.id for s in supplier.smelters]\n\
         let gone = supplier.spend\n\
         rule fresh \"Rule fresh\" {{\n\
           require supplier.cmrt_date >= 2025-04-01\n\
           else review \"CMRT dated {{supplier.cmrt_date}}\"\n\
         }}\n",
        BASE.replace(
            "policy \"Test policy\"",
            "policy \"Test policy\" version \"2025.1\""
        )
    );
    let policy = compile(&source);
    let actual = report_text(
        &policy,
        &input_with(json!({"spend": null})),
        &json!({"sanctioned": {}}),
        today(),
    );
    // The audit fields (§9.10): the source's digest, the date, and the digest of the data the
    // policy's one body-less table got, written canonically.
    let head = format!(
        r#"{{"policy":{{"title":"Test policy","version":"2025.1","sha256":"{}"}},"as_of":"{}","data_sha256":"{}","#,
        sha256(source.as_bytes()),
        today(),
        sha256(br#"{"sanctioned":{}}"#),
    );
    let expected = head
        + concat!(
            r#""decision":"review","#,
            r#""rules":[{"name":"fresh","title":"Rule fresh","outcome":"failed","verdict":"review","#,
            r#""message":"CMRT dated 2025-03-01","missing":[],"evidence":[],"line":26}],"#,
            r#""scores":{"sustainability":{"value":58.75,"components":["#,
            r#"{"name":"environment","weight":0.25,"value":70,"contribution":17.5},"#,
            r#"{"name":"ethics","weight":0.75,"value":55,"contribution":41.25}]}},"#,
            r#""values":{"eco":{"environment":70,"ethics":55},"ids":["CID001","CID002"],"gone":null},"#,
            r#""missing":[],"notes":[]}"#
        );
    assert_eq!(actual, expected);
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The report's text for `values.x` of a policy reading one number of the input.
fn printed(n: f64) -> String {
    static POLICY: std::sync::LazyLock<Policy> =
        std::sync::LazyLock::new(|| compile("input s { n: number }\nlet x = s.n\n"));
    let text = report_text(&POLICY, &json!({"n": n}), &json!({}), today());
    raw_after(&text, "\"values\":{\"x\":").to_owned()
}

#[test]
fn numbers_print_like_javascript() {
    let cases = [
        (58.75, "58.75"),
        (58.0, "58"),
        (-0.0, "0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1.5e-7, "1.5e-7"),
        (1e-6, "0.000001"),
        (0.0000015, "0.0000015"),
        (-2.5e25, "-2.5e+25"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-1234.5, "-1234.5"),
        (0.25, "0.25"),
    ];
    for (n, text) in cases {
        assert_eq!(printed(n), text, "{n:e}");
    }
}

#[test]
fn strings_are_escaped_like_serde_json() {
    let policy = compile("input s { t: text }\nlet x = s.t\n");
    for s in [
        "plain",
        "quote \" backslash \\",
        "tab\tnew\nline\r",
        "\u{1}\u{8}\u{c}\u{1f}\u{7f}",
        "ünï😀",
        "</script>",
    ] {
        let text = report_text(&policy, &json!({"t": s}), &json!({}), today());
        let printed = raw_after(&text, "\"values\":{\"x\":");
        assert_eq!(printed, serde_json::to_string(s).unwrap());
    }
}

// ---------------------------------------------------------------- input validation

fn base_policy() -> Policy {
    compile(BASE)
}

fn input_errors(json: Json) -> Vec<(String, String, String)> {
    base_policy()
        .input(&json)
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| (e.path, e.expected, e.found))
        .collect()
}

#[test]
fn input_errors_name_paths_expectations_and_findings() {
    let errors = input_errors(input_with(json!({
        "spend": "800k",
        "ecovadis": {"environment": true, "ethics": 3},
        "smelters": [
            {"id": "A", "status": "conformant"},
            null,
            {"id": 7, "metal": "tin", "status": "conformnt"}
        ],
        "cmrt_date": "2025-02-30",
        "scores": [1, null, "x"],
        "category": 12,
        "unknown": {"is": "ignored"}
    })));
    let expected = [
        ("$.spend", "number", "string \"800k\""),
        ("$.ecovadis.environment", "number", "bool true"),
        ("$.smelters[1]", "Smelter", "null"),
        ("$.smelters[2].id", "text", "number 7"),
        (
            "$.smelters[2].status",
            "\"conformant\" | \"active\" | \"not_enrolled\"",
            "string \"conformnt\"",
        ),
        ("$.cmrt_date", "date (YYYY-MM-DD)", "string \"2025-02-30\""),
        ("$.scores[2]", "number", "string \"x\""),
        (
            "$.category",
            "\"manufacturing\" | \"chemicals\" | \"logistics\"",
            "number 12",
        ),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(errors, expected);
}

#[test]
fn input_error_messages_suggest_and_serialise() {
    let policy = base_policy();
    let errors = policy
        .input(&input_with(json!({"category": "manufactring"})))
        .unwrap_err();
    assert_eq!(errors.errors.len(), 1);
    assert!(
        errors.errors[0]
            .message
            .contains("did you mean `manufacturing`"),
        "{:?}",
        errors.errors[0]
    );
    assert_eq!(errors.to_json()["errors"][0]["path"], json!("$.category"));
    assert_eq!(errors.to_json()["error"], json!("input"));
    let root = policy.input(&json!([1])).unwrap_err();
    assert_eq!(root.errors[0].path, "$");
    assert_eq!(root.errors[0].found, "list");
    // Absent and null fields are missing, not errors.
    let fine = policy.input(&json!({"smelters": [], "flags": [], "scores": [], "spend": null}));
    assert!(fine.is_ok());
}

#[test]
fn reference_data_is_validated_per_table() {
    let policy = base_policy();
    let none = policy.reference_data(None).unwrap_err();
    assert_eq!(none.errors[0].path, "$data.sanctioned");
    assert_eq!(none.errors[0].expected, "{text: bool}");
    let bad = policy
        .reference_data(Some(&json!({
            "sanctioned": {"DK": "yes", "odd key": 1, "SE": null},
            "cpi": {"ignored": "x"}
        })))
        .unwrap_err();
    let paths: Vec<&str> = bad.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$data.sanctioned.DK", "$data.sanctioned[\"odd key\"]"]
    );
    // A `null` entry is absent; data for a table with rows is ignored.
    let data = json!({"sanctioned": {"XX": true, "SE": null}, "cpi": {"SE": 88}});
    let policy = compile(&format!(
        "{BASE}let xx = sanctioned[\"XX\"]\nlet se = sanctioned[\"SE\"]\nlet cpi_se = cpi[\"SE\"]\n\
         rule r \"R\" {{ require se and cpi_se > 0 else review \"r\" }}\n"
    ));
    let text = report_text(&policy, &base_input(), &data, today());
    let report: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(
        report["values"],
        json!({"xx": true, "se": null, "cpi_se": null})
    );
    assert_eq!(
        report["rules"][0]["missing"],
        json!(["cpi[\"SE\"]", "sanctioned[\"SE\"]"])
    );
}

#[test]
fn reference_data_keys_take_the_key_type() {
    let policy = compile(&format!(
        "{BASE}table by_number: number -> text\ntable by_date: date -> number\n\
         let a = by_number[1.5]\nlet one = by_date[2025-01-01]\n"
    ));
    let data = json!({
        "sanctioned": {},
        "by_number": {"1.5": "a", "x": "b"},
        "by_date": {"2025-01-01": 1, "2025-02-30": 2}
    });
    let errors = policy.reference_data(Some(&data)).unwrap_err();
    let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$data.by_number.x", "$data.by_date[\"2025-02-30\"]"]
    );
    let data = json!({"sanctioned": {}, "by_number": {"1.5": "a"}, "by_date": {"2025-01-01": 1}});
    let text = report_text(&policy, &base_input(), &data, today());
    assert!(
        text.contains("\"values\":{\"a\":\"a\",\"one\":1}"),
        "{text}"
    );
}

#[test]
fn long_strings_are_cut_in_input_errors() {
    let long = "x".repeat(100);
    let errors = base_policy()
        .input(&input_with(json!({"spend": long})))
        .unwrap_err();
    assert_eq!(
        errors.errors[0].found,
        format!("string \"{}…\"", "x".repeat(40))
    );
}

// ---------------------------------------------------------------- golden reports

// Golden reports: every `tests/eval/<policy>.policy` is compiled, and every case
// `tests/eval/<policy>.<case>.input.json` is evaluated against it, with optional reference data
// `<policy>.<case>.data.json` and options `<policy>.<case>.options.json` (`{"as_of": ...}`;
// the evaluation date defaults to 2025-06-01). The report, or the input errors, must equal
// `<policy>.<case>.report.json` byte for byte (plus a final newline), and `Policy::decide` must
// give the report's decision. A policy's `import`s are read relative to `tests/eval/`.
// `UPDATE_GOLDEN=1 cargo test --test eval golden` rewrites the expectations: review every change.

const DEFAULT_AS_OF: &str = "2025-06-01";

fn read_json_file(path: &std::path::Path) -> Option<Json> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn golden_cases(dir: &std::path::Path, policy: &str) -> Vec<String> {
    let prefix = format!("{policy}.");
    let mut cases: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let case = name.strip_prefix(&prefix)?.strip_suffix(".input.json")?;
            Some(case.to_owned())
        })
        .collect();
    cases.sort();
    cases
}

/// The examples of the evaluation cases' policies pass: `expect message`, `expect evidence`
/// and `expect missing` (§9.11) among them.
#[test]
fn examples_of_the_evaluation_policies_pass() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/eval");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "policy") {
            continue;
        }
        let policy = policies::compile(&path).unwrap();
        for example in policy.run_examples(today()) {
            assert!(example.passed(), "{}: {example:?}", path.display());
        }
    }
}

/// The text report prints each failed rule's title and, under it, its evidence (§9.8), also
/// for warnings.
#[test]
fn text_report_prints_the_evidence_under_each_failed_rule() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/eval");
    let source = std::fs::read_to_string(dir.join("v2-evidence.policy")).unwrap();
    let policy = procura::compile(&source).unwrap();
    let input = read_json_file(&dir.join("v2-evidence.failing.input.json")).unwrap();
    let text = policy
        .evaluate_json(&input, None, today())
        .unwrap()
        .to_text();
    let failed = "  conformant \"Smelters are RMAP conformant\" (line 23): review\n    \
                  not all smelters are conformant\n    \
                  evidence: supplier.smelters[1], supplier.smelters[3]\n";
    assert!(text.contains(failed), "{text}");
    let warning = "\nwarnings:\n  no_expired \"No expired certificate\" (line 35): warn\n    \
                   an expired certificate\n    evidence: supplier.certifications[1]\n";
    assert!(text.contains(warning), "{text}");
    // A failed rule without evidence prints no evidence line.
    assert!(text.contains("    through a let\n  in_or"), "{text}");
}

#[test]
fn golden_reports() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/eval");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut policies: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "policy"))
        .collect();
    policies.sort();
    assert!(!policies.is_empty());
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in policies {
        // Libraries are read relative to the policy's directory (LANGUAGE.md §9.1).
        let policy = policies::compile(&path)
            .unwrap_or_else(|d| panic!("{} does not compile: {d:#?}", path.display()));
        let stem = path.file_stem().unwrap().to_str().unwrap();
        for case in golden_cases(&dir, stem) {
            let file = |kind: &str| dir.join(format!("{stem}.{case}.{kind}.json"));
            let input = read_json_file(&file("input")).unwrap();
            let data = read_json_file(&file("data"));
            let as_of = read_json_file(&file("options"))
                .and_then(|o| o["as_of"].as_str().map(str::to_owned))
                .unwrap_or_else(|| DEFAULT_AS_OF.to_owned());
            let today = Date::parse(&as_of).unwrap();
            let actual = match policy.evaluate_json(&input, data.as_ref(), today) {
                Ok(report) => {
                    let record = policy.input(&input).unwrap();
                    let data = policy.reference_data(data.as_ref()).unwrap();
                    let decision = policy.decide(&record, &data, today).unwrap();
                    assert_eq!(decision, report.decision, "{stem}.{case}: decide disagrees");
                    report.to_json()
                }
                Err(errors) => errors.to_json().to_string(),
            } + "\n";
            let expected_path = file("report");
            if update {
                std::fs::write(&expected_path, &actual).unwrap();
            } else {
                let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
                if expected != actual {
                    failures.push(format!(
                        "{}:\nexpected {expected}\nactual   {actual}",
                        expected_path.display()
                    ));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// The IR tests also fed the evaluator out-of-range slots, locals, fields, tables and calls
// without arguments (read as missing instead of panicking). The checker resolves every name,
// position and arity of a source before anything is evaluated, so no source reaches those
// states: that test is not expressible through the public API and was dropped.

// ---------------------------------------------------------------- properties

/// `values.once` and `values.twice` of `round(n, digits)` and `round(round(n, digits), digits)`.
fn rounded_twice(n: f64, digits: i32) -> (f64, f64) {
    static POLICY: std::sync::LazyLock<Policy> = std::sync::LazyLock::new(|| {
        compile(
            "input s { n: number, d: number }\nlet once = round(s.n, s.d)\nlet twice = round(once, s.d)\n",
        )
    });
    let text = report_text(&POLICY, &json!({"n": n, "d": digits}), &json!({}), today());
    let report: Json = serde_json::from_str(&text).unwrap();
    let read = |name: &str| {
        report["values"][name]
            .as_f64()
            .unwrap_or_else(|| panic!("{text}"))
    };
    (read("once"), read("twice"))
}

proptest::proptest! {
    #[test]
    fn printed_numbers_read_back_exactly(bits in proptest::prelude::any::<u64>()) {
        let n = f64::from_bits(bits);
        proptest::prop_assume!(n.is_finite());
        let text = printed(n);
        proptest::prop_assert_eq!(text.parse::<f64>().unwrap(), n + 0.0, "{}", text);
        let exponent = text.contains('e');
        let magnitude = n.abs();
        proptest::prop_assert_eq!(exponent, magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude), "{}", text);
        proptest::prop_assert!(!text.ends_with(".0") && !text.starts_with('+'), "{}", text);
    }

    #[test]
    fn rounding_is_idempotent_and_close(n in -1e9f64..1e9, digits in -3i32..6) {
        let (once, twice) = rounded_twice(n, digits);
        proptest::prop_assert_eq!(twice, once);
        let step = 10f64.powi(-digits);
        // Half a step, plus the spacing of f64 near `n` (the rounded decimal is itself rounded).
        let tolerance = step / 2.0 * (1.0 + 1e-9) + 2.0 * f64::EPSILON * n.abs();
        proptest::prop_assert!((once - n).abs() <= tolerance, "{} {} {}", n, digits, once);
    }
}

/// `expect value` may name a private let, which the report's `values` leave out.
#[test]
fn examples_read_private_lets() {
    let source = include_str!("eval/v2-functions.policy");
    let results = compile(source).run_examples(today());
    assert!(results.iter().all(|r| r.passed()), "{results:#?}");
    let wrong = source.replace(
        "expect value _spend_per_employee = 50000",
        "expect value _spend_per_employee = 1",
    );
    let results = compile(&wrong).run_examples(today());
    let failure = &results[0].failures[0];
    assert_eq!(
        (failure.subject.as_str(), failure.actual.as_str()),
        ("value _spend_per_employee", "50000")
    );
}
