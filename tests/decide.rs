//! `Policy::decide` computes a `let` only when a rule it runs reads it, at most once, and
//! without nesting on the machine stack however long a chain of lets is. The step budget makes
//! each of these observable: work that is skipped or shared costs no steps.

use procura::ast::Decision;
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
