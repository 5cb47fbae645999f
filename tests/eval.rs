//! Evaluator, input validation and report tests on hand-built programs (the IR is the contract
//! between the checker and the evaluator), plus golden reports of whole policies under
//! `tests/eval/`.

use std::sync::Arc;

use procura::ast::{Decision, Outcome, Verdict};
use procura::date::{Date, Duration};
use procura::limits::{Limits, MAX_EVAL_STEPS};
use procura::policy::ReferenceData;
use procura::program::{
    BinOp, Builtin, ComponentDef, Expr, InputDef, Key, LetDef, Program, QuantifierKind, RuleDef,
    ScoreDef, Slot, SmolStr, TableDef, TableEntries, TableId, TemplatePart, Value,
};
use procura::report::format_number;
use procura::types::{FieldType, RecordType, Type};
use procura::{eval, input};
use serde_json::json;

// ---------------------------------------------------------------- building programs by hand

fn record(name: &str, fields: &[(&str, Type)]) -> Arc<RecordType> {
    Arc::new(RecordType {
        name: Some(name.to_owned()),
        fields: fields
            .iter()
            .map(|(n, ty)| FieldType {
                name: (*n).into(),
                ty: ty.clone(),
            })
            .collect(),
    })
}

fn union(members: &[&str]) -> Type {
    Type::Union(members.iter().map(SmolStr::new).collect())
}

fn list(ty: Type) -> Type {
    Type::List(Box::new(ty))
}

fn ecovadis_type() -> Arc<RecordType> {
    record(
        "Ecovadis",
        &[("environment", Type::Number), ("ethics", Type::Number)],
    )
}

fn smelter_type() -> Arc<RecordType> {
    record(
        "Smelter",
        &[
            ("id", Type::Text),
            ("metal", Type::Text.optional()),
            ("status", union(&["conformant", "active", "not_enrolled"])),
        ],
    )
}

/// Field positions of the test input record.
const NAME: u32 = 0;
const COUNTRY: u32 = 1;
const SPEND: u32 = 2;
const ECOVADIS: u32 = 3;
const SMELTERS: u32 = 4;
const FLAGS: u32 = 5;
const CMRT: u32 = 6;
const SCORES: u32 = 7;

fn supplier_type() -> Arc<RecordType> {
    record(
        "supplier",
        &[
            ("name", Type::Text),
            ("country", Type::Text),
            ("spend", Type::Number.optional()),
            ("ecovadis", Type::Record(ecovadis_type()).optional()),
            ("smelters", list(Type::Record(smelter_type()))),
            ("flags", list(Type::Text)),
            ("cmrt_date", Type::Date.optional()),
            ("scores", list(Type::Number.optional())),
            (
                "category",
                union(&["manufacturing", "chemicals", "logistics"]),
            ),
        ],
    )
}

fn field(base: Expr, index: u32, name: &str) -> Expr {
    Expr::Field {
        base: Box::new(base),
        index,
        name: name.into(),
    }
}

fn sup(index: u32) -> Expr {
    let name = supplier_type().fields[index as usize].name.to_string();
    field(Expr::Input, index, &name)
}

fn eco(index: u32) -> Expr {
    field(
        sup(ECOVADIS),
        index,
        ["environment", "ethics"][index as usize],
    )
}

fn num(n: f64) -> Expr {
    Expr::Const(Value::Number(n))
}

fn text(s: &str) -> Expr {
    Expr::Const(Value::Text(s.into()))
}

fn boolean(b: bool) -> Expr {
    Expr::Const(Value::Bool(b))
}

fn date(s: &str) -> Expr {
    Expr::Const(Value::Date(Date::parse(s).unwrap()))
}

fn texts(items: &[&str]) -> Expr {
    Expr::Const(Value::List(
        items.iter().map(|s| Value::Text((*s).into())).collect(),
    ))
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

fn call(builtin: Builtin, args: Vec<Expr>) -> Expr {
    Expr::Call(builtin, args)
}

fn quant(kind: QuantifierKind, depth: u32, list: Expr, body: Expr) -> Expr {
    Expr::Quantifier {
        kind,
        depth,
        list: Box::new(list),
        body: Box::new(body),
    }
}

fn let_def(name: &str, ty: Type, expr: Expr) -> LetDef {
    LetDef {
        name: name.to_owned(),
        ty,
        expr,
    }
}

fn rule(name: &str, condition: Expr, verdict: Verdict, message: Vec<TemplatePart>) -> RuleDef {
    RuleDef {
        name: name.to_owned(),
        title: Some(format!("Rule {name}")),
        line: 10,
        when: None,
        condition,
        verdict,
        message,
    }
}

fn cpi_table() -> TableDef {
    let entries: TableEntries = [("DK", 90.0), ("CN", 42.0)]
        .into_iter()
        .map(|(k, v)| (Key::Text(k.into()), Value::Number(v)))
        .collect();
    TableDef {
        name: "cpi".to_owned(),
        key_type: Type::Text,
        value_type: Type::Number,
        entries: Some(entries),
    }
}

fn program(lets: Vec<LetDef>, scores: Vec<ScoreDef>, rules: Vec<RuleDef>) -> Program {
    let eval_order = (0..lets.len() + scores.len())
        .map(|i| Slot(i as u32))
        .collect();
    Program {
        title: Some("Test policy".to_owned()),
        version: None,
        input: InputDef {
            name: "supplier".to_owned(),
            record: supplier_type(),
        },
        tables: vec![
            cpi_table(),
            TableDef {
                name: "sanctioned".to_owned(),
                key_type: Type::Text,
                value_type: Type::Bool,
                entries: None,
            },
            TableDef {
                name: "rating".to_owned(),
                key_type: Type::Number,
                value_type: Type::Text,
                entries: Some(TableEntries::new()),
            },
        ],
        lets,
        scores,
        eval_order,
        rules,
        examples: Vec::new(),
        slot_reads: Vec::new(),
    }
}

fn base_input() -> serde_json::Value {
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
fn input_with(changes: serde_json::Value) -> serde_json::Value {
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

fn today() -> Date {
    Date::parse("2025-06-01").unwrap()
}

fn run<'p>(
    program: &'p Program,
    input: &serde_json::Value,
    data: serde_json::Value,
) -> procura::Report<'p> {
    let value = input::validate_input(program, input, &Limits::default()).unwrap();
    let data = input::validate_data(program, Some(&data), &Limits::default()).unwrap();
    eval::evaluate(program, &value, &data, today(), MAX_EVAL_STEPS).unwrap()
}

/// The result of evaluating one expression: its JSON value, the paths that made it missing
/// (empty when present or when nothing explains it) and the notes.
#[derive(Debug)]
struct Probe {
    value: String,
    missing: Vec<String>,
    notes: Vec<String>,
}

fn probe_with(expr: Expr, input: serde_json::Value) -> Probe {
    // `x == x` is missing exactly when `x` is, with its causes.
    let condition = bin(BinOp::Eq, Expr::Slot(Slot(0)), Expr::Slot(Slot(0)));
    let program = program(
        vec![let_def("x", Type::Error, expr)],
        vec![],
        vec![rule("probe", condition, Verdict::Reject, vec![])],
    );
    let report = run(&program, &input, json!({"sanctioned": {"XX": true}}));
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    Probe {
        value: json["values"]["x"].to_string(),
        missing: report.rules[0].missing.clone(),
        notes: report.notes,
    }
}

fn probe(expr: Expr) -> Probe {
    probe_with(expr, base_input())
}

/// The value as JSON text, asserting that it is present.
fn value(expr: Expr) -> String {
    let p = probe(expr);
    assert_ne!(p.value, "null", "{p:?}");
    p.value
}

/// Asserts that `expr` is missing because of exactly `paths` and returns the notes.
fn missing(expr: Expr, input: serde_json::Value, paths: &[&str]) -> Vec<String> {
    let p = probe_with(expr, input);
    assert_eq!(p.value, "null", "{p:?}");
    assert_eq!(p.missing, paths, "{p:?}");
    p.notes
}

/// An input where `spend`, `ecovadis` and `cmrt_date` are absent.
fn sparse() -> serde_json::Value {
    input_with(json!({"spend": null, "ecovadis": null, "cmrt_date": null}))
}

// ---------------------------------------------------------------- three-valued logic

#[test]
fn kleene_and_or_not() {
    // `spend > 0` is missing in `sparse()`.
    let m = || bin(BinOp::Gt, sup(SPEND), num(0.0));
    let t = || boolean(true);
    let f = || boolean(false);
    let cases: Vec<(Expr, &str)> = vec![
        (bin(BinOp::And, f(), m()), "false"),
        (bin(BinOp::And, m(), f()), "false"),
        (bin(BinOp::And, t(), m()), "null"),
        (bin(BinOp::And, m(), t()), "null"),
        (bin(BinOp::And, m(), m()), "null"),
        (bin(BinOp::And, t(), t()), "true"),
        (bin(BinOp::Or, t(), m()), "true"),
        (bin(BinOp::Or, m(), t()), "true"),
        (bin(BinOp::Or, f(), m()), "null"),
        (bin(BinOp::Or, m(), f()), "null"),
        (bin(BinOp::Or, f(), f()), "false"),
        (Expr::Not(Box::new(m())), "null"),
        (Expr::Not(Box::new(f())), "true"),
    ];
    for (expr, expected) in cases {
        let p = probe_with(expr, sparse());
        assert_eq!(p.value, expected, "{p:?}");
        if expected == "null" {
            assert_eq!(p.missing, ["supplier.spend"]);
        }
    }
}

#[test]
fn combining_two_missing_operands_unions_their_causes() {
    let both = bin(
        BinOp::And,
        bin(BinOp::Gt, sup(SPEND), num(0.0)),
        bin(BinOp::Gt, eco(1), num(0.0)),
    );
    missing(both, sparse(), &["supplier.ecovadis", "supplier.spend"]);
    let sum = bin(BinOp::Add, sup(SPEND), eco(0));
    missing(sum, sparse(), &["supplier.ecovadis", "supplier.spend"]);
}

#[test]
fn every_strict_operator_propagates_missing() {
    let m = || sup(SPEND);
    let d = || sup(CMRT);
    let ops: Vec<Expr> = vec![
        bin(BinOp::Eq, m(), num(1.0)),
        bin(BinOp::Ne, num(1.0), m()),
        bin(BinOp::Lt, m(), num(1.0)),
        bin(BinOp::Le, m(), num(1.0)),
        bin(BinOp::Gt, num(1.0), m()),
        bin(BinOp::Ge, m(), num(1.0)),
        bin(BinOp::Add, m(), num(1.0)),
        bin(BinOp::Sub, m(), num(1.0)),
        bin(BinOp::Mul, num(0.0), m()),
        bin(BinOp::Div, m(), num(1.0)),
        bin(BinOp::Rem, m(), num(1.0)),
        Expr::Neg(Box::new(m())),
        bin(BinOp::In, m(), Expr::Const(Value::List(Arc::from([])))),
        bin(BinOp::NotIn, m(), Expr::Const(Value::List(Arc::from([])))),
        call(Builtin::Abs, vec![m()]),
        call(Builtin::Round, vec![m(), num(2.0)]),
        call(Builtin::Round, vec![num(2.0), m()]),
        bin(BinOp::Lt, d(), date("2025-01-01")),
        bin(
            BinOp::DatePlus,
            d(),
            Expr::Const(Value::Duration(Duration::Days(1))),
        ),
        bin(
            BinOp::DateMinus,
            d(),
            Expr::Const(Value::Duration(Duration::Months(1))),
        ),
        call(Builtin::DaysBetween, vec![d(), date("2025-01-01")]),
        call(Builtin::Year, vec![d()]),
        Expr::Choose {
            arms: vec![(bin(BinOp::Gt, m(), num(0.0)), num(1.0))],
            otherwise: Box::new(num(2.0)),
        },
        Expr::Template(vec![
            TemplatePart::Text("spend ".into()),
            TemplatePart::Expr(m()),
        ]),
    ];
    for (i, op) in ops.into_iter().enumerate() {
        let p = probe_with(op, input_with(json!({"spend": null, "cmrt_date": null})));
        assert_eq!(p.value, "null", "case {i}: {p:?}");
        assert!(!p.missing.is_empty(), "case {i}: {p:?}");
        assert!(p.notes.is_empty(), "case {i}: {p:?}");
    }
}

#[test]
fn coalesce_and_presence_decide_on_absence() {
    let sparse_value = |expr| probe_with(expr, sparse()).value;
    assert_eq!(
        sparse_value(Expr::Coalesce(Box::new(sup(SPEND)), Box::new(num(7.0)))),
        "7"
    );
    assert_eq!(
        value(Expr::Coalesce(Box::new(sup(SPEND)), Box::new(num(7.0)))),
        "800000"
    );
    assert_eq!(sparse_value(Expr::IsMissing(Box::new(eco(1)))), "true");
    assert_eq!(sparse_value(Expr::IsPresent(Box::new(eco(1)))), "false");
    assert_eq!(value(Expr::IsPresent(Box::new(eco(1)))), "true");
}

#[test]
fn choose_takes_the_first_true_arm_and_stops_at_a_missing_condition() {
    let choose = |first: Expr| Expr::Choose {
        arms: vec![(first, text("a")), (boolean(true), text("b"))],
        otherwise: Box::new(text("c")),
    };
    assert_eq!(value(choose(boolean(true))), "\"a\"");
    assert_eq!(value(choose(boolean(false))), "\"b\"");
    missing(
        choose(bin(BinOp::Gt, eco(1), num(1.0))),
        sparse(),
        &["supplier.ecovadis"],
    );
    let none_true = Expr::Choose {
        arms: vec![(boolean(false), text("a"))],
        otherwise: Box::new(text("c")),
    };
    assert_eq!(value(none_true), "\"c\"");
}

// ---------------------------------------------------------------- equality and membership

#[test]
fn equality_is_structural_and_unknown_with_a_missing_part() {
    assert_eq!(
        value(bin(BinOp::Eq, texts(&["a", "b"]), texts(&["a", "b"]))),
        "true"
    );
    assert_eq!(
        value(bin(BinOp::Eq, texts(&["a", "b"]), texts(&["b", "a"]))),
        "false"
    );
    assert_eq!(value(bin(BinOp::Ne, num(-0.0), num(0.0))), "false");
    assert_eq!(
        value(bin(BinOp::Eq, date("2025-01-01"), date("2025-01-01"))),
        "true"
    );
    let with_missing = Expr::List(vec![num(1.0), sup(SPEND)]);
    let same = Expr::Const(Value::List(Arc::from([
        Value::Number(1.0),
        Value::Number(2.0),
    ])));
    missing(
        bin(BinOp::Eq, with_missing, same),
        sparse(),
        &["supplier.spend"],
    );
    // Two absent values are not known to be equal.
    missing(
        bin(BinOp::Eq, sup(SPEND), sup(CMRT)),
        sparse(),
        &["supplier.cmrt_date", "supplier.spend"],
    );
}

#[test]
fn comparisons_order_numbers_dates_and_texts() {
    assert_eq!(value(bin(BinOp::Lt, text("apple"), text("banana"))), "true");
    assert_eq!(value(bin(BinOp::Lt, text("Zebra"), text("apple"))), "true");
    assert_eq!(value(bin(BinOp::Lt, text("z"), text("é"))), "true");
    assert_eq!(
        value(bin(BinOp::Ge, date("2025-01-02"), date("2025-01-01"))),
        "true"
    );
    assert_eq!(value(bin(BinOp::Le, num(2.0), num(2.0))), "true");
    assert_eq!(value(bin(BinOp::Gt, num(2.0), num(2.0))), "false");
}

#[test]
fn membership_is_a_kleene_any() {
    // `scores` is [1, null, 3] here: element 1 is missing.
    let input = || input_with(json!({"scores": [1, null, 3]}));
    let scores = || sup(SCORES);
    let is = |expr: Expr| probe_with(expr, input()).value;
    assert_eq!(is(bin(BinOp::In, num(3.0), scores())), "true");
    assert_eq!(is(bin(BinOp::ListContains, scores(), num(1.0))), "true");
    assert_eq!(is(bin(BinOp::NotIn, num(3.0), scores())), "false");
    missing(
        bin(BinOp::In, num(2.0), scores()),
        input(),
        &["supplier.scores[1]"],
    );
    missing(
        bin(BinOp::NotIn, num(2.0), scores()),
        input(),
        &["supplier.scores[1]"],
    );
    assert_eq!(
        value(bin(BinOp::In, text("DK"), texts(&["DK", "SE"]))),
        "true"
    );
    assert_eq!(
        value(bin(BinOp::In, text("NO"), texts(&["DK", "SE"]))),
        "false"
    );
    assert_eq!(
        value(bin(BinOp::NotIn, text("NO"), texts(&["DK", "SE"]))),
        "true"
    );
}

#[test]
fn contains_any_and_all() {
    let flags = |list: &[&str]| input_with(json!({"flags": list}));
    let any = || {
        bin(
            BinOp::ListContainsAny,
            sup(FLAGS),
            texts(&["bribery", "fraud"]),
        )
    };
    let all = || {
        bin(
            BinOp::ListContainsAll,
            sup(FLAGS),
            texts(&["bribery", "fraud"]),
        )
    };
    let is = |expr: Expr, input| probe_with(expr, input).value;
    assert_eq!(is(any(), flags(&["fraud"])), "true");
    assert_eq!(is(any(), flags(&["late"])), "false");
    assert_eq!(is(all(), flags(&["fraud"])), "false");
    assert_eq!(is(all(), flags(&["fraud", "x", "bribery"])), "true");
    let empty = || Expr::Const(Value::List(Arc::from([])));
    assert_eq!(
        value(bin(BinOp::ListContainsAny, sup(FLAGS), empty())),
        "false"
    );
    assert_eq!(
        value(bin(BinOp::ListContainsAll, sup(FLAGS), empty())),
        "true"
    );
    // A missing member decides nothing when another member is found.
    let members = || Expr::List(vec![text("fraud"), field(sup(ECOVADIS), 0, "environment")]);
    let with_missing = |op| bin(op, sup(FLAGS), members());
    let sparse_flags = || input_with(json!({"flags": ["fraud"], "ecovadis": null}));
    assert_eq!(
        is(with_missing(BinOp::ListContainsAny), sparse_flags()),
        "true"
    );
    missing(
        with_missing(BinOp::ListContainsAll),
        sparse_flags(),
        &["supplier.ecovadis"],
    );
}

#[test]
fn text_contains_family() {
    let name = || sup(NAME);
    assert_eq!(
        value(bin(BinOp::TextContains, name(), text("Komponent"))),
        "true"
    );
    assert_eq!(
        value(bin(BinOp::TextContains, name(), text("komponent"))),
        "false"
    );
    assert_eq!(
        value(bin(BinOp::TextContainsAny, name(), texts(&["x", "A/S"]))),
        "true"
    );
    assert_eq!(
        value(bin(BinOp::TextContainsAll, name(), texts(&["x", "A/S"]))),
        "false"
    );
    assert_eq!(
        value(bin(
            BinOp::TextContainsAll,
            name(),
            texts(&["Nordisk", "A/S"])
        )),
        "true"
    );
    assert_eq!(value(bin(BinOp::Concat, text("a"), text("b"))), "\"ab\"");
}

// ---------------------------------------------------------------- arithmetic and notes

#[test]
fn arithmetic_and_its_failures() {
    assert_eq!(
        value(bin(BinOp::Add, num(0.1), num(0.2))),
        "0.30000000000000004"
    );
    assert_eq!(value(bin(BinOp::Rem, num(-7.0), num(3.0))), "-1");
    assert_eq!(value(bin(BinOp::Rem, num(25.0), num(3.0))), "1");
    assert_eq!(value(Expr::Neg(Box::new(num(4.0)))), "-4");
    let notes = missing(bin(BinOp::Div, num(1.0), num(0.0)), base_input(), &[]);
    assert_eq!(notes, ["division by zero in let `x`: its value is missing"]);
    let notes = missing(bin(BinOp::Rem, num(1.0), num(0.0)), base_input(), &[]);
    assert_eq!(
        notes,
        ["remainder of division by zero in let `x`: its value is missing"]
    );
    let notes = missing(bin(BinOp::Mul, num(1e300), num(1e300)), base_input(), &[]);
    assert_eq!(
        notes,
        ["arithmetic overflow in let `x`: its value is missing"]
    );
}

#[test]
fn notes_name_where_and_appear_once() {
    let ratio = || {
        bin(
            BinOp::Div,
            num(1.0),
            bin(BinOp::Sub, sup(SPEND), sup(SPEND)),
        )
    };
    let program = program(
        vec![let_def("ratio", Type::Number.optional(), ratio())],
        vec![ScoreDef {
            name: "s".to_owned(),
            title: None,
            components: vec![ComponentDef {
                name: "c".to_owned(),
                weight: 1.0,
                expr: ratio(),
            }],
        }],
        vec![
            rule(
                "a",
                bin(BinOp::Gt, ratio(), num(0.0)),
                Verdict::Review,
                vec![],
            ),
            rule(
                "b",
                bin(BinOp::Gt, Expr::Slot(Slot(0)), num(0.0)),
                Verdict::Review,
                vec![],
            ),
        ],
    );
    let report = run(&program, &base_input(), json!({"sanctioned": {}}));
    assert_eq!(
        report.notes,
        [
            "division by zero in let `ratio`: its value is missing",
            "division by zero in score `s`, component `c`: its value is missing",
            "division by zero in rule `a`: the result is missing",
        ]
    );
    // Missing for no input reason: the outcome is missing, with no path to supply.
    assert_eq!(report.rules[1].outcome, Outcome::Missing);
    assert!(report.rules[1].missing.is_empty());
    assert_eq!(report.decision, Decision::Incomplete);
    assert_eq!(report.scores[0].value, None);
}

#[test]
fn eval_const_folds_and_reports_bare_notes() {
    let (v, notes) = eval::eval_const(&bin(BinOp::Mul, num(6.0), num(7.0)));
    assert_eq!(v, Value::Number(42.0));
    assert!(notes.is_empty());
    let (v, notes) = eval::eval_const(&bin(BinOp::Div, num(6.0), num(0.0)));
    assert!(v.is_missing());
    assert_eq!(notes, ["division by zero"]);
    let (v, _) = eval::eval_const(&Expr::Today);
    assert!(v.is_missing());
}

// ---------------------------------------------------------------- quantifiers and comprehensions

fn smelter(field_index: u32) -> Expr {
    field(
        Expr::Local(0),
        field_index,
        ["id", "metal", "status"][field_index as usize],
    )
}

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
    let is_tin = || bin(BinOp::Eq, smelter(1), text("tin"));
    let is_metal = |m: &str| bin(BinOp::Eq, smelter(1), text(m));
    let q = |kind, body| quant(kind, 0, sup(SMELTERS), body);
    let is = |expr| probe_with(expr, input()).value;
    // all: a false element decides.
    assert_eq!(is(q(QuantifierKind::All, is_tin())), "false");
    missing(
        q(
            QuantifierKind::All,
            bin(BinOp::Ne, smelter(1), text("lead")),
        ),
        input(),
        &["supplier.smelters[1].metal"],
    );
    assert_eq!(is(q(QuantifierKind::Any, is_tin())), "true");
    missing(
        q(QuantifierKind::Any, is_metal("lead")),
        input(),
        &["supplier.smelters[1].metal"],
    );
    assert_eq!(is(q(QuantifierKind::None, is_tin())), "false");
    missing(
        q(QuantifierKind::None, is_metal("lead")),
        input(),
        &["supplier.smelters[1].metal"],
    );
    // Empty lists.
    let empty = input_with(json!({"smelters": []}));
    assert_eq!(
        probe_with(q(QuantifierKind::All, is_tin()), empty.clone()).value,
        "true"
    );
    assert_eq!(
        probe_with(q(QuantifierKind::Any, is_tin()), empty.clone()).value,
        "false"
    );
    assert_eq!(
        probe_with(q(QuantifierKind::None, is_tin()), empty).value,
        "true"
    );
}

#[test]
fn nested_quantifiers_name_nested_elements() {
    // all s in smelters: any f in flags: s.id == f   (flags hold ids here)
    let body = quant(
        QuantifierKind::Any,
        1,
        sup(FLAGS),
        bin(BinOp::Eq, smelter(1), Expr::Local(1)),
    );
    let expr = quant(QuantifierKind::All, 0, sup(SMELTERS), body);
    let input = input_with(json!({
        "flags": ["tin"],
        "smelters": [{"id": "A", "metal": "tin", "status": "active"}, {"id": "B", "status": "active"}]
    }));
    missing(expr, input, &["supplier.smelters[1].metal"]);
}

fn comprehension(element: Expr, filter: Option<Expr>) -> Expr {
    Expr::Comprehension {
        depth: 0,
        list: Box::new(sup(SMELTERS)),
        element: Box::new(element),
        filter: filter.map(Box::new),
    }
}

#[test]
fn comprehensions_are_missing_as_a_whole() {
    let open = || {
        comprehension(
            smelter(0),
            Some(bin(BinOp::Ne, smelter(2), text("conformant"))),
        )
    };
    assert_eq!(value(open()), "[\"CID002\"]");
    assert_eq!(value(comprehension(smelter(1), None)), "[\"tin\",\"gold\"]");
    let two_absent = input_with(json!({"smelters": [
        {"id": "A", "status": "active"},
        {"id": "B", "metal": "tin", "status": "active"},
        {"id": "C", "status": "active"}
    ]}));
    missing(
        comprehension(smelter(1), None),
        two_absent.clone(),
        &["supplier.smelters[0].metal", "supplier.smelters[2].metal"],
    );
    missing(
        comprehension(smelter(0), Some(bin(BinOp::Eq, smelter(1), text("tin")))),
        two_absent.clone(),
        &["supplier.smelters[0].metal", "supplier.smelters[2].metal"],
    );
    // The filter decides first: excluded elements are never read.
    let only_b = comprehension(smelter(1), Some(bin(BinOp::Eq, smelter(0), text("B"))));
    assert_eq!(probe_with(only_b, two_absent).value, "[\"tin\"]");
}

#[test]
fn a_null_list_element_is_named_by_its_index() {
    let input = input_with(json!({"scores": [4, null]}));
    missing(
        call(Builtin::Sum, vec![sup(SCORES)]),
        input.clone(),
        &["supplier.scores[1]"],
    );
    missing(
        call(Builtin::Count, vec![sup(SCORES)]),
        input.clone(),
        &["supplier.scores[1]"],
    );
    let doubled = Expr::Comprehension {
        depth: 0,
        list: Box::new(sup(SCORES)),
        element: Box::new(bin(BinOp::Mul, Expr::Local(0), num(2.0))),
        filter: None,
    };
    missing(doubled, input, &["supplier.scores[1]"]);
}

// ---------------------------------------------------------------- builtins

#[test]
fn aggregates() {
    let numbers =
        |ns: &[f64]| Expr::Const(Value::List(ns.iter().map(|n| Value::Number(*n)).collect()));
    assert_eq!(value(call(Builtin::Count, vec![sup(SMELTERS)])), "2");
    assert_eq!(value(call(Builtin::Sum, vec![sup(SCORES)])), "6");
    assert_eq!(value(call(Builtin::Sum, vec![numbers(&[])])), "0");
    assert_eq!(value(call(Builtin::Count, vec![numbers(&[])])), "0");
    assert_eq!(
        value(call(Builtin::Min, vec![numbers(&[3.0, -1.5, 2.0])])),
        "-1.5"
    );
    assert_eq!(
        value(call(Builtin::Max, vec![numbers(&[3.0, -1.5, 2.0])])),
        "3"
    );
    assert_eq!(value(call(Builtin::Avg, vec![numbers(&[1.0, 2.0])])), "1.5");
    let dates = Expr::List(vec![date("2025-01-02"), date("2024-12-31")]);
    assert_eq!(value(call(Builtin::Min, vec![dates])), "\"2024-12-31\"");
    for builtin in [Builtin::Min, Builtin::Max, Builtin::Avg] {
        let notes = missing(call(builtin, vec![numbers(&[])]), base_input(), &[]);
        assert!(notes.is_empty());
    }
    let notes = missing(
        call(Builtin::Sum, vec![numbers(&[1e308, 1e308])]),
        base_input(),
        &[],
    );
    assert_eq!(notes.len(), 1);
    missing(
        call(Builtin::Count, vec![sup(SMELTERS)]),
        input_with(json!({"smelters": null})),
        &["supplier.smelters"],
    );
}

#[test]
fn text_functions() {
    assert_eq!(value(call(Builtin::Len, vec![text("Zürich")])), "6");
    assert_eq!(value(call(Builtin::Lower, vec![text("ÄBC")])), "\"äbc\"");
    assert_eq!(
        value(call(Builtin::Upper, vec![text("straße")])),
        "\"STRASSE\""
    );
    assert_eq!(
        value(call(Builtin::Trim, vec![text("  a b \n")])),
        "\"a b\""
    );
    assert_eq!(
        value(call(
            Builtin::StartsWith,
            vec![text("ISO14001"), text("ISO")]
        )),
        "true"
    );
    assert_eq!(
        value(call(Builtin::EndsWith, vec![text("ISO14001"), text("ISO")])),
        "false"
    );
}

#[test]
fn rounding_and_numbers() {
    let round = |n: f64, d: f64| value(call(Builtin::Round, vec![num(n), num(d)]));
    assert_eq!(round(1.005, 2.0), "1.01");
    assert_eq!(round(2.675, 2.0), "2.68");
    assert_eq!(round(-2.5, 0.0), "-3");
    assert_eq!(round(1234.5678, -2.0), "1200");
    assert_eq!(round(58.75, 1.0), "58.8");
    for digits in [0.5, 16.0, -16.0] {
        let notes = missing(
            call(Builtin::Round, vec![num(1.0), num(digits)]),
            base_input(),
            &[],
        );
        assert_eq!(notes.len(), 1, "{digits}");
    }
    assert_eq!(value(call(Builtin::Abs, vec![num(-3.5)])), "3.5");
}

#[test]
fn date_arithmetic_clamps_to_month_end() {
    let months = |n| Expr::Const(Value::Duration(Duration::Months(n)));
    let days = |n| Expr::Const(Value::Duration(Duration::Days(n)));
    assert_eq!(
        value(bin(BinOp::DateMinus, date("2024-03-31"), months(1))),
        "\"2024-02-29\""
    );
    assert_eq!(
        value(bin(BinOp::DatePlus, date("2025-01-31"), months(1))),
        "\"2025-02-28\""
    );
    assert_eq!(
        value(bin(BinOp::DatePlus, date("2025-06-01"), days(14))),
        "\"2025-06-15\""
    );
    assert_eq!(
        value(call(
            Builtin::DaysBetween,
            vec![date("2025-06-01"), date("2025-05-30")]
        )),
        "-2"
    );
    assert_eq!(value(call(Builtin::Year, vec![date("2025-06-01")])), "2025");
    let notes = missing(
        bin(BinOp::DatePlus, date("9999-12-31"), days(1)),
        base_input(),
        &[],
    );
    assert_eq!(
        notes,
        ["date out of range in let `x`: its value is missing"]
    );

    // `today - 1 month` on 2024-03-31.
    let program = program(
        vec![let_def(
            "cutoff",
            Type::Date,
            bin(BinOp::DateMinus, Expr::Today, months(1)),
        )],
        vec![],
        vec![],
    );
    let input = input::validate_input(&program, &base_input(), &Limits::default()).unwrap();
    let data = input::validate_data(
        &program,
        Some(&json!({"sanctioned": {}})),
        &Limits::default(),
    )
    .unwrap();
    let report = eval::evaluate(
        &program,
        &input,
        &data,
        Date::parse("2024-03-31").unwrap(),
        MAX_EVAL_STEPS,
    )
    .unwrap();
    assert!(
        report
            .to_json()
            .contains("\"values\":{\"cutoff\":\"2024-02-29\"}"),
        "{}",
        report.to_json()
    );
}

// ---------------------------------------------------------------- causes

#[test]
fn paths_name_the_shallowest_absent_part() {
    missing(eco(1), sparse(), &["supplier.ecovadis"]);
    let no_ethics = input_with(json!({"ecovadis": {"environment": 70}}));
    missing(eco(1), no_ethics, &["supplier.ecovadis.ethics"]);
    let null_ethics = input_with(json!({"ecovadis": {"environment": 70, "ethics": null}}));
    missing(eco(1), null_ethics, &["supplier.ecovadis.ethics"]);
    missing(sup(SPEND), sparse(), &["supplier.spend"]);
}

#[test]
fn lets_that_read_input_keep_its_place() {
    // let e = supplier.ecovadis; let ok = e.ethics > 40
    let program = program(
        vec![
            let_def("e", Type::Record(ecovadis_type()).optional(), sup(ECOVADIS)),
            let_def("list", list(Type::Record(smelter_type())), sup(SMELTERS)),
        ],
        vec![],
        vec![
            rule(
                "ethics",
                bin(
                    BinOp::Gt,
                    field(Expr::Slot(Slot(0)), 1, "ethics"),
                    num(40.0),
                ),
                Verdict::Review,
                vec![],
            ),
            rule(
                "metals",
                quant(
                    QuantifierKind::All,
                    0,
                    Expr::Slot(Slot(1)),
                    bin(
                        BinOp::And,
                        Expr::IsPresent(Box::new(smelter(1))),
                        bin(BinOp::Ne, smelter(1), text("x")),
                    ),
                ),
                Verdict::Review,
                vec![],
            ),
        ],
    );
    let input = input_with(json!({
        "ecovadis": {"environment": 1},
        "smelters": [{"id": "A", "status": "active"}]
    }));
    let report = run(&program, &input, json!({"sanctioned": {}}));
    assert_eq!(report.rules[0].missing, ["supplier.ecovadis.ethics"]);
    // `is present` decides: false, not missing.
    assert_eq!(report.rules[1].outcome, Outcome::Failed);
}

#[test]
fn table_lookups_name_the_absent_entry() {
    let lookup = |table: u32, key: Expr| Expr::Lookup {
        table: TableId(table),
        key: Box::new(key),
    };
    assert_eq!(value(lookup(0, sup(COUNTRY))), "90");
    missing(
        lookup(0, sup(COUNTRY)),
        input_with(json!({"country": "X\"Y"})),
        &["cpi[\"X\\\"Y\"]"],
    );
    missing(
        lookup(0, sup(COUNTRY)),
        input_with(json!({"country": null})),
        &["supplier.country"],
    );
    missing(lookup(2, num(5.0)), base_input(), &["rating[5]"]);
    missing(lookup(2, num(0.5)), base_input(), &["rating[0.5]"]);
    // Reference data: `sanctioned` has only XX.
    assert_eq!(value(lookup(1, text("XX"))), "true");
    missing(
        lookup(1, sup(COUNTRY)),
        base_input(),
        &["sanctioned[\"DK\"]"],
    );
    let coalesced = Expr::Coalesce(Box::new(lookup(1, sup(COUNTRY))), Box::new(boolean(false)));
    assert_eq!(value(coalesced), "false");
}

// ---------------------------------------------------------------- rules, scores, decision

#[test]
fn rule_outcomes_and_messages() {
    let t = |s: &str| TemplatePart::Text(s.into());
    let e = TemplatePart::Expr;
    let mut when_false = rule("nope", boolean(false), Verdict::Reject, vec![]);
    when_false.when = Some(boolean(false));
    let mut when_missing = rule("unknown", boolean(true), Verdict::Reject, vec![]);
    when_missing.when = Some(bin(BinOp::Gt, sup(SPEND), num(1.0)));
    let program = program(
        vec![],
        vec![],
        vec![
            rule("ok", boolean(true), Verdict::Reject, vec![]),
            rule(
                "msg",
                boolean(false),
                Verdict::Warn,
                vec![
                    t("{"),
                    e(sup(NAME)),
                    t("} "),
                    e(sup(SCORES)),
                    t(" / "),
                    e(sup(SPEND)),
                    t(" / "),
                    e(sup(CMRT)),
                    t(" / "),
                    e(Expr::Const(Value::Duration(Duration::Months(12)))),
                    t(" / "),
                    e(sup(SMELTERS)),
                    t(" / "),
                    e(Expr::Const(Value::Bool(true))),
                    t(" / "),
                    e(num(58.75)),
                ],
            ),
            when_false,
            when_missing,
        ],
    );
    let input = input_with(json!({"spend": null, "smelters": [{"id": "A", "status": "active"}]}));
    let report = run(&program, &input, json!({"sanctioned": {}}));
    let outcomes: Vec<Outcome> = report.rules.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Passed,
            Outcome::Failed,
            Outcome::NotApplicable,
            Outcome::Missing
        ]
    );
    assert_eq!(
        report.rules[1].message.as_deref(),
        Some(
            "{Nordisk \"Komponent\" A/S} 1, 2, 3 / missing / 2025-03-01 / 12 months / {id: A, metal: missing, status: active} / true / 58.75"
        )
    );
    assert_eq!(report.rules[1].verdict, Some(Verdict::Warn));
    assert_eq!(report.rules[3].missing, ["supplier.spend"]);
    assert_eq!(report.missing, ["supplier.spend"]);
    assert_eq!(report.decision, Decision::Incomplete);
}

#[test]
fn decision_precedence() {
    // (condition, verdict) per rule; a `None` condition is missing.
    let decide = |rules: &[(Option<bool>, Verdict)]| {
        let rules = rules
            .iter()
            .enumerate()
            .map(|(i, (value, verdict))| {
                let condition = match value {
                    Some(b) => boolean(*b),
                    None => bin(BinOp::Gt, sup(SPEND), num(0.0)),
                };
                rule(&format!("r{i}"), condition, *verdict, vec![])
            })
            .collect();
        run(
            &program(vec![], vec![], rules),
            &sparse(),
            json!({"sanctioned": {}}),
        )
        .decision
    };
    use Verdict::{Reject, Review, Warn};
    assert_eq!(decide(&[]), Decision::Approve);
    assert_eq!(decide(&[(Some(false), Warn)]), Decision::Approve);
    assert_eq!(
        decide(&[(Some(false), Review), (Some(false), Warn)]),
        Decision::Review
    );
    assert_eq!(
        decide(&[(Some(false), Review), (None, Warn)]),
        Decision::Incomplete
    );
    assert_eq!(
        decide(&[(Some(false), Reject), (None, Review)]),
        Decision::Reject
    );
    assert_eq!(
        decide(&[(Some(true), Reject), (Some(false), Review)]),
        Decision::Review
    );
}

fn eco_score() -> ScoreDef {
    ScoreDef {
        name: "sustainability".to_owned(),
        title: Some("Sustainability".to_owned()),
        components: vec![
            ComponentDef {
                name: "environment".to_owned(),
                weight: 0.25,
                expr: eco(0),
            },
            ComponentDef {
                name: "ethics".to_owned(),
                weight: 0.75,
                expr: eco(1),
            },
        ],
    }
}

#[test]
fn scores_sum_weighted_components_and_never_renormalise() {
    let program = program(
        vec![],
        vec![eco_score()],
        vec![rule(
            "min",
            bin(BinOp::Ge, Expr::Slot(Slot(0)), num(45.0)),
            Verdict::Review,
            vec![],
        )],
    );
    let report = run(&program, &base_input(), json!({"sanctioned": {}}));
    assert_eq!(report.scores[0].value, Some(58.75));
    assert_eq!(report.scores[0].components[1].contribution, Some(41.25));
    let partial = input_with(json!({"ecovadis": {"environment": 70}}));
    let report = run(&program, &partial, json!({"sanctioned": {}}));
    assert_eq!(report.scores[0].value, None);
    assert_eq!(report.scores[0].components[0].contribution, Some(17.5));
    assert_eq!(report.rules[0].missing, ["supplier.ecovadis.ethics"]);
    assert!(report.to_json().contains(
        "\"scores\":{\"sustainability\":{\"value\":null,\"components\":[{\"name\":\"environment\",\"weight\":0.25,\"value\":70,\"contribution\":17.5},{\"name\":\"ethics\",\"weight\":0.75,\"value\":null,\"contribution\":null}]}}"
    ));
}

// ---------------------------------------------------------------- report JSON

#[test]
fn report_json_is_exact() {
    let mut program = program(
        vec![
            let_def(
                "eco",
                Type::Record(ecovadis_type()).optional(),
                sup(ECOVADIS),
            ),
            let_def("ids", list(Type::Text), comprehension(smelter(0), None)),
            let_def("gone", Type::Number.optional(), sup(SPEND)),
        ],
        vec![eco_score()],
        vec![rule(
            "fresh",
            bin(BinOp::Ge, sup(CMRT), date("2025-04-01")),
            Verdict::Review,
            vec![
                TemplatePart::Text("CMRT dated ".into()),
                TemplatePart::Expr(sup(CMRT)),
            ],
        )],
    );
    program.version = Some("2025.1".to_owned());
    let report = run(
        &program,
        &input_with(json!({"spend": null})),
        json!({"sanctioned": {}}),
    );
    let expected = concat!(
        r#"{"policy":{"title":"Test policy","version":"2025.1"},"decision":"review","#,
        r#""rules":[{"name":"fresh","title":"Rule fresh","outcome":"failed","verdict":"review","#,
        r#""message":"CMRT dated 2025-03-01","missing":[],"line":10}],"#,
        r#""scores":{"sustainability":{"value":58.75,"components":["#,
        r#"{"name":"environment","weight":0.25,"value":70,"contribution":17.5},"#,
        r#"{"name":"ethics","weight":0.75,"value":55,"contribution":41.25}]}},"#,
        r#""values":{"eco":{"environment":70,"ethics":55},"ids":["CID001","CID002"],"gone":null},"#,
        r#""missing":[],"notes":[]}"#
    );
    assert_eq!(report.to_json(), expected);
    serde_json::from_str::<serde_json::Value>(&report.to_json()).unwrap();
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
        assert_eq!(format_number(n), text, "{n:e}");
    }
}

#[test]
fn strings_are_escaped_like_serde_json() {
    for s in [
        "plain",
        "quote \" backslash \\",
        "tab\tnew\nline\r",
        "\u{1}\u{8}\u{c}\u{1f}\u{7f}",
        "ünï😀",
        "</script>",
    ] {
        let mut out = String::new();
        procura::report::write_str(&mut out, s);
        assert_eq!(out, serde_json::to_string(s).unwrap());
    }
}

// ---------------------------------------------------------------- input validation

fn input_errors(json: serde_json::Value) -> Vec<(String, String, String)> {
    let program = program(vec![], vec![], vec![]);
    input::validate_input(&program, &json, &Limits::default())
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
    let program = program(vec![], vec![], vec![]);
    let errors = input::validate_input(
        &program,
        &input_with(json!({"category": "manufactring"})),
        &Limits::default(),
    )
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
    let root = input::validate_input(&program, &json!([1]), &Limits::default()).unwrap_err();
    assert_eq!(root.errors[0].path, "$");
    assert_eq!(root.errors[0].found, "list");
    // Absent and null fields are missing, not errors.
    let fine = input::validate_input(
        &program,
        &json!({"smelters": [], "flags": [], "scores": [], "spend": null}),
        &Limits::default(),
    );
    assert!(fine.is_ok());
}

#[test]
fn reference_data_is_validated_per_table() {
    let program = program(vec![], vec![], vec![]);
    let none = input::validate_data(&program, None, &Limits::default()).unwrap_err();
    assert_eq!(none.errors[0].path, "$data.sanctioned");
    assert_eq!(none.errors[0].expected, "{text: bool}");
    let bad = input::validate_data(&program, Some(&json!({"sanctioned": {"DK": "yes", "odd key": 1, "SE": null}, "cpi": {"ignored": "x"}})), &Limits::default()).unwrap_err();
    let paths: Vec<&str> = bad.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$data.sanctioned.DK", "$data.sanctioned[\"odd key\"]"]
    );
    let ok = input::validate_data(
        &program,
        Some(&json!({"sanctioned": {"XX": true, "SE": null}})),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(ok.tables.len(), 3);
    assert!(ok.tables[0].is_none());
    assert_eq!(ok.tables[1].as_ref().unwrap().len(), 1);
}

#[test]
fn reference_data_keys_take_the_key_type() {
    let mut program = program(vec![], vec![], vec![]);
    program.tables.push(TableDef {
        name: "by_number".to_owned(),
        key_type: Type::Number,
        value_type: Type::Text,
        entries: None,
    });
    program.tables.push(TableDef {
        name: "by_date".to_owned(),
        key_type: Type::Date,
        value_type: Type::Number,
        entries: None,
    });
    let data = json!({
        "sanctioned": {},
        "by_number": {"1.5": "a", "x": "b"},
        "by_date": {"2025-01-01": 1, "2025-02-30": 2}
    });
    let errors = input::validate_data(&program, Some(&data), &Limits::default()).unwrap_err();
    let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$data.by_number.x", "$data.by_date[\"2025-02-30\"]"]
    );
    let data = json!({"sanctioned": {}, "by_number": {"1.5": "a"}, "by_date": {"2025-01-01": 1}});
    let data: ReferenceData =
        input::validate_data(&program, Some(&data), &Limits::default()).unwrap();
    let entries = data.tables[3].as_ref().unwrap();
    assert_eq!(
        entries.get_value(&Value::Number(1.5)),
        Some(&Value::Text("a".into()))
    );
}

// ---------------------------------------------------------------- golden reports

// Golden reports: every `tests/eval/<policy>.policy` is compiled, and every case
// `tests/eval/<policy>.<case>.input.json` is evaluated against it, with optional reference data
// `<policy>.<case>.data.json` and options `<policy>.<case>.options.json` (`{"as_of": ...}`;
// the evaluation date defaults to 2025-06-01). The report, or the input errors, must equal
// `<policy>.<case>.report.json` byte for byte (plus a final newline).
// `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expectations: review every change.

const DEFAULT_AS_OF: &str = "2025-06-01";

fn read_json_file(path: &std::path::Path) -> Option<serde_json::Value> {
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
        let source = std::fs::read_to_string(&path).unwrap();
        let policy = procura::compile(&source)
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
                Ok(report) => report.to_json(),
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

// ---------------------------------------------------------------- robustness

#[test]
fn out_of_range_indices_read_as_missing_instead_of_panicking() {
    let bogus = [
        Expr::Slot(Slot(99)),
        Expr::Local(99),
        field(Expr::Input, 99, "nope"),
        Expr::Lookup {
            table: TableId(99),
            key: Box::new(text("k")),
        },
        call(Builtin::Round, vec![]),
        Expr::Quantifier {
            kind: QuantifierKind::All,
            depth: 1000,
            list: Box::new(sup(FLAGS)),
            body: Box::new(Expr::Local(1000)),
        },
    ];
    for expr in bogus {
        let p = probe(expr.clone());
        assert!(p.value == "null" || p.value == "true", "{expr:?}: {p:?}");
    }
}

#[test]
fn long_strings_are_cut_in_input_errors() {
    let program = program(vec![], vec![], vec![]);
    let long = "x".repeat(100);
    let errors = input::validate_input(
        &program,
        &input_with(json!({"spend": long})),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        errors.errors[0].found,
        format!("string \"{}…\"", "x".repeat(40))
    );
}

// ---------------------------------------------------------------- properties

proptest::proptest! {
    #[test]
    fn printed_numbers_read_back_exactly(bits in proptest::prelude::any::<u64>()) {
        let n = f64::from_bits(bits);
        proptest::prop_assume!(n.is_finite());
        let text = format_number(n);
        proptest::prop_assert_eq!(text.parse::<f64>().unwrap(), n + 0.0, "{}", text);
        let exponent = text.contains('e');
        let magnitude = n.abs();
        proptest::prop_assert_eq!(exponent, magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude), "{}", text);
        proptest::prop_assert!(!text.ends_with(".0") && !text.starts_with('+'), "{}", text);
    }

    #[test]
    fn rounding_is_idempotent_and_close(n in -1e9f64..1e9, digits in -3i32..6) {
        let once = eval::round(n, digits);
        proptest::prop_assert_eq!(eval::round(once, digits), once);
        let step = 10f64.powi(-digits);
        // Half a step, plus the spacing of f64 near `n` (the rounded decimal is itself rounded).
        let tolerance = step / 2.0 * (1.0 + 1e-9) + 2.0 * f64::EPSILON * n.abs();
        proptest::prop_assert!((once - n).abs() <= tolerance, "{} {} {}", n, digits, once);
    }
}
