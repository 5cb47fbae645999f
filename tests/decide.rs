//! `Policy::decide` gives the decision `Policy::evaluate` reports, through the public API only.
//! It computes a `let` only when a rule it runs reads it, at most once, and without nesting on
//! the machine stack however long a chain of lets is; and where it must run the same work as
//! the report, it runs out of steps exactly where the report does. The step budget
//! (`limits::MAX_EVAL_STEPS`) makes each of these observable: work that is skipped or shared
//! costs no steps.

use procura::limits::MAX_EVAL_STEPS;
use procura::{Date, EvalError, Policy, ReferenceData};
use serde_json::json;

fn today() -> Date {
    Date::parse("2025-06-01").unwrap()
}

/// A policy whose let `pairs` compares every id with every other one: `n * (n + 1)` steps.
fn quadratic(rules: &str) -> Policy {
    let source = format!(
        "input supplier {{ ids: [text] }}\n\
         let pairs = count([s for s in supplier.ids if count([t for t in supplier.ids if t == s]) > 1])\n\
         {rules}"
    );
    procura::compile(&source).unwrap()
}

/// Ids for which one computation of `pairs` fits the budget and two do not.
fn ids_for_one_computation() -> serde_json::Value {
    let n = ((MAX_EVAL_STEPS as f64 * 0.6).sqrt()) as usize;
    json!({ "ids": (0..n).map(|i| i.to_string()).collect::<Vec<_>>() })
}

/// The decision as its JSON name (`"approve"`, ...).
fn decide(policy: &Policy, input: &serde_json::Value) -> Result<&'static str, EvalError> {
    let input = policy.input(input).unwrap();
    let decision = policy.decide(&input, &ReferenceData::default(), today())?;
    Ok(decision.as_str())
}

/// The report's decision as its JSON name.
fn evaluate(policy: &Policy, input: &serde_json::Value) -> Result<&'static str, EvalError> {
    let input = policy
        .input(input)
        .unwrap_or_else(|e| panic!("{input}: {e:?}"));
    let report = policy.evaluate(&input, &ReferenceData::default(), today())?;
    Ok(report.decision.as_str())
}

#[test]
fn a_let_only_a_message_reads_is_not_computed_for_a_decision() {
    let policy = quadratic(
        "rule few \"At most 5,000 ids\" {\n\
           require count(supplier.ids) <= 5000\n\
           else review \"{pairs} duplicated ids\"\n\
         }",
    );
    let n = 3_000;
    let input = json!({ "ids": (0..n).map(|i| i.to_string()).collect::<Vec<_>>() });
    assert!(n * (n + 1) > MAX_EVAL_STEPS as usize);
    // The report computes every let and runs out of steps; the decision never reads `pairs`.
    assert!(matches!(
        evaluate(&policy, &input),
        Err(EvalError::BudgetExceeded { .. })
    ));
    assert_eq!(decide(&policy, &input), Ok("approve"));
}

#[test]
fn a_let_two_rules_read_is_computed_once() {
    let policy = quadratic(
        "rule unique \"Ids are unique\" { require pairs == 0 else review \"duplicates\" }\n\
         rule still_unique \"Ids are still unique\" { require pairs < 1 else review \"duplicates\" }",
    );
    assert_eq!(decide(&policy, &ids_for_one_computation()), Ok("approve"));
}

#[test]
fn a_let_read_by_a_score_and_a_rule_is_computed_once() {
    let policy = quadratic(
        "score uniqueness \"Uniqueness\" { duplicates 100% = pairs }\n\
         rule unique \"Ids are unique\" { require uniqueness == 0 and pairs == 0 else review \"duplicates\" }",
    );
    assert_eq!(decide(&policy, &ids_for_one_computation()), Ok("approve"));
}

#[test]
fn a_long_chain_of_lets_is_computed_without_deep_recursion() {
    let length = 20_000;
    let mut source = String::from("input supplier { spend: number }\nlet step0 = supplier.spend\n");
    for i in 1..length {
        source.push_str(&format!("let step{i} = step{} + 1\n", i - 1));
    }
    source.push_str(&format!(
        "rule high \"Spend\" {{ require step{} < 100000 else review \"too high\" }}\n",
        length - 1
    ));
    let policy = procura::compile(&source).unwrap();
    // A thread with a small stack: one machine frame per let of the chain would overflow it.
    let decisions = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let low = decide(&policy, &json!({ "spend": 1000 }));
            let high = decide(&policy, &json!({ "spend": 90000 }));
            let absent = decide(&policy, &json!({}));
            (low, high, absent)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(decisions, (Ok("approve"), Ok("review"), Ok("incomplete")));
}

#[test]
fn a_let_computed_inside_a_quantifier_leaves_its_variable_alone() {
    // The decision computes `ids` when the quantifier's body first reads it, at the first
    // smelter; its comprehension must not rebind `s`, which still names that first smelter.
    let source = "type Smelter = { id: text, metal: text }\n\
                  input supplier { smelters: [Smelter] }\n\
                  let ids = [t.id for t in supplier.smelters]\n\
                  rule gold \"A gold smelter\" {\n\
                    require any s in supplier.smelters: s.id in ids and s.metal == \"gold\"\n\
                    else review \"no gold\"\n\
                  }\n";
    let smelters = json!({ "smelters": [
        { "id": "CID1", "metal": "gold" },
        { "id": "CID2", "metal": "tin" },
    ] });
    assert_eq!(assert_agree(source, &[smelters]), ["approve"]);
}

/// Asserts that `decide` gives the report's decision on each record; returns the decisions.
fn assert_agree(source: &str, records: &[serde_json::Value]) -> Vec<&'static str> {
    let policy = procura::compile(source).unwrap();
    records
        .iter()
        .map(|record| {
            let reported = evaluate(&policy, record).unwrap();
            assert_eq!(decide(&policy, record), Ok(reported), "{record}\n{source}");
            reported
        })
        .collect()
}

/// For inputs of growing size `n` (each a policy with one rule, which `decide` must run), the
/// report runs out of steps for the first time at a size within `sizes`; there, just below and
/// just above, `decide` agrees with the report: the same decision, or the same budget error.
fn assert_budget_edge_agrees(
    source: &str,
    input: impl Fn(usize) -> serde_json::Value,
    sizes: std::ops::Range<usize>,
) {
    let policy = procura::compile(source).unwrap();
    let within = |n: usize| evaluate(&policy, &input(n)).is_ok();
    let (mut low, mut high) = (sizes.start, sizes.end);
    assert!(within(low) && !within(high), "{source}");
    while high - low > 1 {
        let middle = (low + high) / 2;
        if within(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    for n in [low - 1, low, high] {
        let record = input(n);
        let reported = evaluate(&policy, &record);
        assert_eq!(
            decide(&policy, &record),
            reported,
            "{n} elements:\n{source}"
        );
    }
    match evaluate(&policy, &input(high)) {
        Err(EvalError::BudgetExceeded { limit, .. }) => assert_eq!(limit, MAX_EVAL_STEPS),
        other => panic!("{other:?}"),
    }
}

fn texts(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}")).collect()
}

/// A constant list of 1,000 texts (each a membership step), long ones costing steps to compare.
fn constant_texts(length: usize) -> String {
    let texts: Vec<String> = (0..1000).map(|i| format!("\"{i:0length$}\"")).collect();
    format!("[{}]", texts.join(", "))
}

fn membership_policy(length: usize) -> String {
    format!(
        "input supplier {{ ids: [text?] }}\n\
         const KNOWN = {}\n\
         rule known \"Known ids\" {{ require all s in supplier.ids: s not in KNOWN else review \"unknown\" }}",
        constant_texts(length)
    )
}

#[test]
fn membership_in_a_constant_list_agrees() {
    for length in [4, 70] {
        let source = membership_policy(length);
        let known = format!("{:0length$}", 7);
        let decisions = assert_agree(
            &source,
            &[
                json!({ "ids": [] }),
                json!({ "ids": ["x"] }),
                json!({ "ids": [known.clone(), "y"] }),
                json!({ "ids": ["y", known.clone()] }),
                json!({ "ids": [known.clone(), known.clone()] }),
                json!({ "ids": [null, "y"] }),
                json!({ "ids": [null, known.clone()] }),
                json!({}),
            ],
        );
        assert_eq!(
            decisions,
            [
                "approve",
                "approve",
                "review",
                "review",
                "review",
                "incomplete",
                "review",
                "incomplete"
            ],
            "{length}"
        );
    }
}

#[test]
fn membership_in_a_constant_list_runs_out_of_steps_where_the_report_does() {
    for length in [4, 70] {
        let id = "x".repeat(length);
        assert_budget_edge_agrees(
            &membership_policy(length),
            |n| json!({ "ids": vec![id.clone(); n] }),
            1..10_000,
        );
    }
}

fn containment_policy(op: &str) -> String {
    format!(
        "input supplier {{ flags: [text?] }}\n\
         rule clean \"No known flag\" {{ forbid supplier.flags {op} {} else reject \"flagged\" }}",
        constant_texts(4)
    )
}

#[test]
fn containment_of_constant_texts_agrees() {
    let records = [
        json!({ "flags": [] }),
        json!({ "flags": ["flag"] }),
        json!({ "flags": ["0700"] }),
        json!({ "flags": ["x", "0999", "0000"] }),
        json!({ "flags": [null, "0001"] }),
        json!({ "flags": [null, "x"] }),
        json!({ "flags": (0..1000).map(|i| format!("{i:04}")).collect::<Vec<_>>() }),
    ];
    let any = assert_agree(&containment_policy("contains_any"), &records);
    assert_eq!(
        any,
        [
            "approve",
            "approve",
            "reject",
            "reject",
            "reject",
            "incomplete",
            "reject"
        ]
    );
    let all = assert_agree(&containment_policy("contains_all"), &records);
    assert_eq!(
        all,
        [
            "approve",
            "approve",
            "approve",
            "approve",
            "incomplete",
            "incomplete",
            "reject"
        ]
    );
}

#[test]
fn containment_of_constant_texts_runs_out_of_steps_where_the_report_does() {
    let flags = |found: &[String], n: usize| {
        let mut flags: Vec<String> = texts("flag", n);
        flags.extend_from_slice(found);
        json!({ "flags": flags })
    };
    let constants = |range: std::ops::Range<usize>| range.map(|i| format!("{i:04}")).rev();
    // No text found; the 701st text found after the filler (and the 901st after it); every
    // text found, each after the filler, in reverse order.
    let cases = [
        ("contains_any", Vec::new()),
        (
            "contains_any",
            constants(700..701).chain(constants(900..901)).collect(),
        ),
        ("contains_all", constants(0..1000).collect()),
    ];
    for (op, found) in cases {
        assert_budget_edge_agrees(&containment_policy(op), |n| flags(&found, n), 1..8_000);
    }
}

/// Names of 640 bytes: each comparison with the constant costs 10 steps.
fn rows_policy(name: &str) -> String {
    let long = "y".repeat(640);
    format!(
        "input supplier {{ rows: [{{ name: text, rank: number }}] }}\n\
         rule rows \"Rows\" {{\n\
           require all r in supplier.rows: none x in supplier.rows: {name} == \"{long}\" or x.rank > r.rank\n\
           else review \"bad row\"\n\
         }}"
    )
}

#[test]
fn long_text_comparisons_and_nested_quantifiers_agree() {
    let long = "y".repeat(640);
    for name in ["x.name", "lower(x.name)"] {
        let row = |name: &str, rank: Option<f64>| json!({ "name": name, "rank": rank });
        let decisions = assert_agree(
            &rows_policy(name),
            &[
                json!({ "rows": [] }),
                json!({ "rows": [row("a", Some(1.0)), row("b", Some(1.0))] }),
                json!({ "rows": [row("a", Some(1.0)), row("b", Some(2.0))] }),
                json!({ "rows": [row(&long, Some(1.0))] }),
                json!({ "rows": [row("a", None)] }),
                json!({ "rows": [row(&long, None)] }),
            ],
        );
        assert_eq!(
            decisions,
            [
                "approve",
                "approve",
                "review",
                "review",
                "incomplete",
                "review"
            ],
            "{name}"
        );
    }
}

#[test]
fn long_text_comparisons_and_nested_quantifiers_run_out_of_steps_where_the_report_does() {
    // `lower` computes the compared text: both a field read and a computed text.
    for name in ["x.name", "lower(x.name)"] {
        let row = json!({ "name": "z".repeat(640), "rank": 1 });
        assert_budget_edge_agrees(
            &rows_policy(name),
            |n| json!({ "rows": vec![row.clone(); n] }),
            1..2_000,
        );
    }
}

#[test]
fn comprehensions_agree() {
    let source = "input supplier { smelters: [{ id: text, metal: text?, status: text }] }\n\
         const METALS = [\"tin\", \"gold\"]\n\
         let open = [s.id for s in supplier.smelters if s.metal in METALS and s.status != \"conformant\"]\n\
         rule closed \"No open smelters\" { require count(open) == 0 else review \"open: {open}\" }\n\
         rule ids \"Ids are known\" { forbid [s.id for s in supplier.smelters] contains_any [\"BAD\"] else reject \"bad\" }";
    let smelter = |id: &str, metal: Option<&str>, status: &str| json!({ "id": id, "metal": metal, "status": status });
    let decisions = assert_agree(
        source,
        &[
            json!({ "smelters": [] }),
            json!({ "smelters": [smelter("A", Some("tin"), "conformant")] }),
            json!({ "smelters": [smelter("A", Some("tin"), "active")] }),
            json!({ "smelters": [smelter("A", Some("mica"), "active")] }),
            json!({ "smelters": [smelter("A", None, "active")] }),
            json!({ "smelters": [smelter("BAD", None, "active")] }),
            json!({ "smelters": [smelter("A", None, "conformant"), smelter("B", Some("gold"), "x")] }),
        ],
    );
    assert_eq!(
        decisions,
        [
            "approve",
            "approve",
            "review",
            "approve",
            "incomplete",
            "reject",
            "review"
        ]
    );
}
