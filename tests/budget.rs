//! The evaluation step budget (`limits::MAX_EVAL_STEPS`): work that grows faster than the input
//! is stopped with a structured error on every host, and work just under the budget is not.
//! The command line's errors, for one record and in a batch, are checked by `tests/hostile.rs`.

use procura::abi::{Status, evaluate_bytes};
use procura::limits::MAX_EVAL_STEPS;
use procura::{Date, EvalError, EvaluateError, Policy};
use serde_json::{Value, json};

/// The hostile corpus's reproducer: each smelter id is compared with every other one.
const QUADRATIC: &str = include_str!("hostile/policy/quadratic.policy");

fn today() -> Date {
    Date::parse("2025-06-01").unwrap()
}

fn smelters(count: usize) -> Value {
    json!({ "smelters": (0..count).map(|i| i.to_string()).collect::<Vec<_>>() })
}

/// The largest list the reproducer evaluates within the budget: for `n` ids it spends `n`
/// steps on the quantifier, `n` on each of its `n` comprehensions and one on each `count`.
fn largest_within_budget() -> usize {
    let steps = |n: u64| n * (n + 2);
    let mut n = (MAX_EVAL_STEPS as f64).sqrt() as u64;
    while steps(n + 1) <= MAX_EVAL_STEPS {
        n += 1;
    }
    while steps(n) > MAX_EVAL_STEPS {
        n -= 1;
    }
    n as usize
}

fn quadratic() -> Policy {
    procura::compile(QUADRATIC).unwrap()
}

/// Asserts that `error` is the reproducer's: out of steps in rule `unique`, in a
/// comprehension (which the help names).
fn assert_budget_error(error: &EvalError) {
    let EvalError::BudgetExceeded { limit, place, .. } = error;
    assert_eq!((*limit, place.as_str()), (MAX_EVAL_STEPS, "rule `unique`"));
    assert!(
        error.help().starts_with("the list comprehension"),
        "{}",
        error.help()
    );
}

/// The error of a native evaluation of the reproducer on 8,000 smelters.
fn native_error() -> EvalError {
    let policy = quadratic();
    let input = policy.input(&smelters(8_000)).unwrap();
    policy
        .evaluate(&input, &Default::default(), today())
        .unwrap_err()
}

#[test]
fn a_quadratic_rule_over_a_long_list_is_stopped() {
    let error = native_error();
    assert_budget_error(&error);
    assert_eq!(
        error.to_string(),
        format!(
            "the evaluation needed more than {MAX_EVAL_STEPS} steps and was stopped in rule \
             `unique`"
        )
    );
}

#[test]
fn the_budget_is_exact() {
    let policy = quadratic();
    let n = largest_within_budget();
    let within = policy.evaluate_json(&smelters(n), None, today()).unwrap();
    assert_eq!(within.decision.as_str(), "approve");
    match policy.evaluate_json(&smelters(n + 1), None, today()) {
        Err(EvaluateError::Eval(error)) => assert_budget_error(&error),
        other => panic!("{other:?}"),
    }
}

#[test]
fn examples_report_the_error() {
    let ids: Vec<String> = (0..8_000).map(|i| format!("\"{i}\"")).collect();
    let source = format!(
        "{QUADRATIC}\nexample \"many smelters\" {{\n  given {{ \"smelters\": [{}] }}\n  expect \
         approve\n}}\n",
        ids.join(", ")
    );
    let policy = procura::compile(&source).unwrap();
    let results = policy.run_examples(today());
    let failure = &results[0].failures[0];
    assert_eq!(failure.subject, "evaluation");
    let actual: Value = serde_json::from_str(&failure.actual).unwrap();
    assert_eq!(actual, native_error().to_json());
}

#[test]
fn the_abi_returns_an_evaluation_error() {
    let input = smelters(8_000).to_string();
    let (status, json) = evaluate_bytes(
        &quadratic(),
        input.as_bytes(),
        br#"{"as_of": "2025-06-01"}"#,
    );
    assert_eq!(status, Status::Evaluation);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["error"], "evaluation");
    let error = native_error();
    assert_budget_error(&error);
    assert_eq!(json["message"], error.to_string());
    assert_eq!(json["help"], error.help());
}
