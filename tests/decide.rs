//! `Policy::decide` computes a `let` only when a rule it runs reads it, at most once, and
//! without nesting on the machine stack however long a chain of lets is; its plans
//! (`procura::plan`) cost the steps the tree walk would, to the step. The step budget makes
//! each of these observable: work that is skipped or shared costs no steps.

use procura::ast::Decision;
use procura::limits::MAX_EVAL_STEPS;
use procura::plan::{Cond, Operand, Plans};
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

fn decide(policy: &Policy, input: &serde_json::Value) -> Result<Decision, EvalError> {
    let input = policy.input(input).unwrap();
    policy.decide(&input, &ReferenceData::default(), today())
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
    let converted = policy.input(&input).unwrap();
    let report = policy.evaluate(&converted, &ReferenceData::default(), today());
    assert!(matches!(report, Err(EvalError::BudgetExceeded { .. })));
    assert_eq!(decide(&policy, &input), Ok(Decision::Approve));
}

#[test]
fn a_let_two_rules_read_is_computed_once() {
    let policy = quadratic(
        "rule unique \"Ids are unique\" { require pairs == 0 else review \"duplicates\" }\n\
         rule still_unique \"Ids are still unique\" { require pairs < 1 else review \"duplicates\" }",
    );
    assert_eq!(
        decide(&policy, &ids_for_one_computation()),
        Ok(Decision::Approve)
    );
}

#[test]
fn a_let_read_by_a_score_and_a_rule_is_computed_once() {
    let policy = quadratic(
        "score uniqueness \"Uniqueness\" { duplicates 100% = pairs }\n\
         rule unique \"Ids are unique\" { require uniqueness == 0 and pairs == 0 else review \"duplicates\" }",
    );
    assert_eq!(
        decide(&policy, &ids_for_one_computation()),
        Ok(Decision::Approve)
    );
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
    assert_eq!(
        decisions,
        (
            Ok(Decision::Approve),
            Ok(Decision::Review),
            Ok(Decision::Incomplete)
        )
    );
}

/// The decision of `policy` on `input` through its plans and through the tree walk alone.
fn planned_and_walked(
    policy: &Policy,
    input: &serde_json::Value,
) -> (Result<Decision, EvalError>, Result<Decision, EvalError>) {
    let input = policy.input(input).unwrap();
    let data = ReferenceData::default();
    let walked = Plans::default();
    (
        policy.decide(&input, &data, today()),
        procura::eval::decide(
            policy.program(),
            &walked,
            &input,
            &data,
            today(),
            MAX_EVAL_STEPS,
        ),
    )
}

/// For inputs of growing size `n`, the plans and the tree walk agree on every decision and on
/// where the budget runs out; asserts that the largest `n` within the budget lies in `sizes`.
fn assert_plans_cost_what_the_walk_costs(
    source: &str,
    input: impl Fn(usize) -> serde_json::Value,
    sizes: std::ops::Range<usize>,
) {
    let policy = procura::compile(source).unwrap();
    let within = |n: usize| planned_and_walked(&policy, &input(n)).1.is_ok();
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
        let (planned, walked) = planned_and_walked(&policy, &input(n));
        assert_eq!(planned, walked, "{n} elements:\n{source}");
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

#[test]
fn membership_in_a_constant_list_costs_what_the_walk_costs() {
    for length in [4, 70] {
        let source = format!(
            "input supplier {{ ids: [text] }}\n\
             const KNOWN = {}\n\
             rule known \"Known ids\" {{ require all s in supplier.ids: s not in KNOWN else review \"unknown\" }}",
            constant_texts(length)
        );
        let id = "x".repeat(length);
        assert_plans_cost_what_the_walk_costs(
            &source,
            |n| json!({ "ids": vec![id.clone(); n] }),
            1..10_000,
        );
    }
}

#[test]
fn containment_of_constant_texts_costs_what_the_walk_costs() {
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
        let source = format!(
            "input supplier {{ flags: [text] }}\n\
             rule clean \"No known flag\" {{ forbid supplier.flags {op} {} else reject \"flagged\" }}",
            constant_texts(4)
        );
        assert_plans_cost_what_the_walk_costs(&source, |n| flags(&found, n), 1..8_000);
    }
}

#[test]
fn comparisons_and_nested_quantifiers_cost_what_the_walk_costs() {
    // Names of 640 bytes: each comparison with the constant costs 10 steps. `lower` keeps the
    // inner condition for the tree walk, so that both quantifiers bind frames, not elements.
    let long = "y".repeat(640);
    for name in ["x.name", "lower(x.name)"] {
        let source = format!(
            "input supplier {{ rows: [{{ name: text, rank: number }}] }}\n\
             rule rows \"Rows\" {{\n\
               require all r in supplier.rows: none x in supplier.rows: {name} == \"{long}\" or x.rank > r.rank\n\
               else review \"bad row\"\n\
             }}"
        );
        let row = json!({ "name": "z".repeat(640), "rank": 1 });
        assert_plans_cost_what_the_walk_costs(
            &source,
            |n| json!({ "rows": vec![row.clone(); n] }),
            1..2_000,
        );
    }
}

/// A plan with a `Tree` condition or a `Scalar` operand falls back to the tree walk: the
/// onboarding baseline, the benchmarked policy, needs neither.
#[test]
fn the_onboarding_baseline_is_planned_whole() {
    let policy = procura::compile(include_str!("../rules/onboarding.policy")).unwrap();
    let plans = policy.plans();
    assert_eq!(plans.rules.len(), 8);
    for plan in &plans.rules {
        assert!(!plan.when.as_ref().is_some_and(Cond::is_walked), "{plan:?}");
        assert!(!plan.condition.is_walked(), "{plan:?}");
    }
    // `country_cpi`, the only let a rule reads.
    let plan = plans.lets[0].as_ref().unwrap();
    assert!(!plan.is_walked(), "{plan:?}");
    let components = plans.scores[0].as_ref().unwrap();
    assert!(!components.iter().any(Operand::is_walked));
    // The smelters' quantifier binds bare elements.
    let conflict_minerals = &plans.rules[6].condition;
    assert!(
        matches!(conflict_minerals, Cond::Quantifier { element: true, .. }),
        "{conflict_minerals:?}"
    );
}
