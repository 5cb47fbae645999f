//! The evaluation step budget (`limits::MAX_EVAL_STEPS`): work that grows faster than the input
//! is stopped with a structured error on every host, and work just under the budget is not.
//! The command line's errors, for one record and in a batch, are checked by `tests/hostile.rs`,
//! its `--max-steps` by `tests/cli.rs`. A policy carries its own budget (`limits::Limits`), and
//! the JSON-text hosts take it as the option `max_steps`.

use procura::abi::{Status, evaluate_bytes};
use procura::limits::{Limits, MAX_EVAL_STEPS};
use procura::policy::Options;
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

/// A policy with a budget of `max_steps` and the default limits otherwise.
fn with_steps(max_steps: u64) -> Policy {
    quadratic().with_limits(Limits {
        max_steps,
        ..Limits::default()
    })
}

/// Ten ids cost 10 × 12 = 120 steps: over a budget of 100, well within the default.
#[test]
fn a_policy_carries_its_own_step_budget() {
    assert_eq!(quadratic().limits(), &Limits::default());
    let small = with_steps(100);
    assert_eq!(small.limits().max_steps, 100);
    let input = small.input(&smelters(10)).unwrap();
    let data = Default::default();
    let over = |result: Result<_, EvalError>| {
        assert!(
            matches!(result, Err(EvalError::BudgetExceeded { .. })),
            "{result:?}"
        );
    };
    over(small.evaluate(&input, &data, today()).map(|r| r.decision));
    over(small.decide(&input, &data, today()));
    assert!(matches!(
        small.evaluate_json(&smelters(10), None, today()),
        Err(EvaluateError::Eval(EvalError::BudgetExceeded { .. }))
    ));
    assert!(with_steps(120).decide(&input, &data, today()).is_ok());
    assert!(quadratic().evaluate(&input, &data, today()).is_ok());
    // A policy's limits are copied with it.
    over(
        quadratic()
            .with_limits(*small.limits())
            .decide(&input, &data, today()),
    );
}

/// A comprehension's clauses cost a step per element each visits (so their product), and `+`
/// of lists a step per element copied: 10 ids cost 10 + 10 × 10 for the pairs, 100 for
/// counting them, 10 + 10 to join the ids with themselves and 20 to count the result.
#[test]
fn clauses_and_concatenation_cost_a_step_per_element() {
    let source = "input supplier { smelters: [text] }\n\
                  let pairs = [a + b for a in supplier.smelters for b in supplier.smelters]\n\
                  let both = supplier.smelters + supplier.smelters\n\
                  rule sizes { require count(pairs) >= count(both) else review \"small\" }\n";
    let policy = |max_steps| {
        procura::compile(source).unwrap().with_limits(Limits {
            max_steps,
            ..Limits::default()
        })
    };
    let steps = 10 + 10 * 10 + 100 + 20 + 20;
    let input = policy(steps).input(&smelters(10)).unwrap();
    let data = Default::default();
    assert!(policy(steps).evaluate(&input, &data, today()).is_ok());
    assert!(policy(steps).decide(&input, &data, today()).is_ok());
    assert!(policy(steps - 1).evaluate(&input, &data, today()).is_err());
    assert!(policy(steps - 1).decide(&input, &data, today()).is_err());
}

#[test]
fn a_policy_holds_input_to_its_own_limits() {
    let policy = quadratic().with_limits(Limits {
        max_input_list_len: 3,
        max_input_string_bytes: 2,
        max_input_bytes: 40,
        ..Limits::default()
    });
    let paths = |text: &str| -> Vec<(String, String)> {
        let errors = policy.input_from_bytes(text.as_bytes()).unwrap_err();
        (errors.errors.into_iter())
            .map(|e| (e.path, e.expected))
            .collect()
    };
    assert_eq!(
        paths(r#"{"smelters": ["1", "2", "3", "4"]}"#),
        [("$.smelters".to_owned(), "at most 3 elements".to_owned())]
    );
    assert_eq!(
        paths(r#"{"smelters": ["123"]}"#),
        [("$.smelters[0]".to_owned(), "at most 2 bytes".to_owned())]
    );
    assert_eq!(
        paths(&format!(r#"{{"smelters": []}}{}"#, " ".repeat(30))),
        [("$".to_owned(), "at most 40 bytes of JSON".to_owned())]
    );
    assert!(
        policy
            .input_from_bytes(br#"{"smelters": ["1", "22"]}"#)
            .is_ok()
    );
    // The default limits take all three.
    let json = serde_json::json!({"smelters": ["1", "2", "3", "4"]});
    assert!(quadratic().input(&json).is_ok());
    assert!(policy.input(&json).is_err());
}

#[test]
fn the_option_max_steps_sets_the_budget_on_the_json_text_hosts() {
    let input = smelters(10).to_string();
    let evaluate =
        |options: &str| evaluate_bytes(&quadratic(), input.as_bytes(), options.as_bytes());
    let (status, json) = evaluate(r#"{"as_of": "2025-06-01", "max_steps": 100}"#);
    assert_eq!(status, Status::Evaluation, "{json}");
    let (status, json) = evaluate(r#"{"as_of": "2025-06-01", "max_steps": 120}"#);
    assert_eq!(status, Status::Report, "{json}");
    let (status, json) = evaluate(r#"{"as_of": "2025-06-01", "max_steps": null}"#);
    assert_eq!(status, Status::Report, "{json}");
    // The option overrides the policy's own budget, up or down.
    let (status, json) = evaluate_bytes(
        &with_steps(100),
        input.as_bytes(),
        br#"{"as_of": "2025-06-01", "max_steps": 1000}"#,
    );
    assert_eq!(status, Status::Report, "{json}");
    let (status, json) = evaluate_bytes(
        &with_steps(100),
        input.as_bytes(),
        br#"{"as_of": "2025-06-01"}"#,
    );
    assert_eq!(status, Status::Evaluation, "{json}");
}

/// One reader of options for every JSON-text host: each bad option is an error at its path,
/// all reported at once, and the `abi` module returns them with status 2.
#[test]
fn bad_options_are_refused_with_their_paths() {
    let policy = quadratic();
    let cases: [(&str, &[&str]); 10] = [
        ("", &["$options"]),
        ("{", &["$options"]),
        ("[]", &["$options"]),
        (r#"{"as_of": "2025-02-30"}"#, &["$options.as_of"]),
        (r#"{"as_of": 20250601}"#, &["$options.as_of"]),
        (r#"{"asOf": "2025-06-01"}"#, &["$options.asOf"]),
        (
            r#"{"as_of": "2025-06-01", "max_steps": 0}"#,
            &["$options.max_steps"],
        ),
        (
            r#"{"as_of": "2025-06-01", "max_steps": 2.5}"#,
            &["$options.max_steps"],
        ),
        (
            r#"{"as_of": "2025-06-01", "max_steps": "9"}"#,
            &["$options.max_steps"],
        ),
        (
            r#"{"as_of": "x", "max_steps": 1e300, "data": {}, "date": 1}"#,
            &["$options.as_of", "$options.date", "$options.max_steps"],
        ),
    ];
    for (options, expected) in cases {
        let errors = Options::from_json_bytes(options.as_bytes(), &policy).unwrap_err();
        let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, expected, "{options}");
        let (status, json) = evaluate_bytes(&policy, b"{}", options.as_bytes());
        assert_eq!(status, Status::Options, "{options}: {json}");
        let json: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["error"], "options");
        assert_eq!(json["errors"], errors.to_json()["errors"], "{options}");
    }
    let misspelt = Options::from_json_bytes(br#"{"asOf": "2025-06-01"}"#, &policy).unwrap_err();
    assert_eq!(
        misspelt.errors[0].message,
        "unknown option `asOf`: did you mean `as_of`?"
    );
    // Good options: absent members take the policy's defaults; `null` is no options.
    let read =
        Options::from_json_bytes(br#"{"as_of": "2025-06-01", "max_steps": 7}"#, &policy).unwrap();
    assert_eq!((read.as_of, read.max_steps), (Some(today()), 7));
    let none = Options::from_json_bytes(b"null", &policy).unwrap();
    assert_eq!((none.as_of, none.max_steps), (None, MAX_EVAL_STEPS));
    // The `abi` module has no clock: `as_of` is required there.
    let (status, json) = evaluate_bytes(&policy, b"{}", b"{}");
    assert_eq!(status, Status::Options, "{json}");
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["message"],
        "`as_of` is required: the module has no clock"
    );
    assert_eq!(json["errors"][0]["path"], "$options.as_of");
}

#[test]
fn options_are_held_to_the_policy_limits() {
    let policy = quadratic().with_limits(Limits {
        max_options_bytes: 30,
        ..Limits::default()
    });
    let options = br#"{"as_of": "2025-06-01", "data": null}"#;
    let errors = Options::from_json_bytes(options, &policy).unwrap_err();
    assert_eq!(errors.errors[0].path, "$options");
    assert_eq!(errors.errors[0].expected, "at most 30 bytes of JSON");
    assert!(Options::from_json_bytes(options, &quadratic()).is_ok());
}

/// Functions that call each other twice per level: without a step per call, the calls alone
/// would multiply the work by two per level, unbounded by the input.
const DOUBLING_CALLS: &str = r#"
input supplier { n: number }
let f0(x: number) = x + 1
let f1(x: number) = f0(x) + f0(x)
let f2(x: number) = f1(x) + f1(x)
let f3(x: number) = f2(x) + f2(x)
let f4(x: number) = f3(x) + f3(x)
rule calls "calls" {
  require f4(supplier.n) > 0
  else review "no"
}
"#;

#[test]
fn every_call_of_a_function_costs_a_step() {
    // 1 + 2 + 4 + 8 + 16 calls.
    let budget = |max_steps| {
        let policy = procura::compile(DOUBLING_CALLS)
            .unwrap()
            .with_limits(Limits {
                max_steps,
                ..Limits::default()
            });
        let input = policy.input(&json!({"n": 1})).unwrap();
        let report = policy.evaluate(&input, &Default::default(), today());
        let decision = policy.decide(&input, &Default::default(), today());
        assert_eq!(report.is_ok(), decision.is_ok());
        report.map(|_| ())
    };
    assert!(budget(31).is_ok());
    let Err(EvalError::BudgetExceeded { construct, .. }) = budget(30) else {
        panic!("31 calls within a budget of 30 steps");
    };
    assert_eq!(construct, procura::Construct::Function);
}

#[test]
fn an_argument_the_body_does_not_read_costs_nothing() {
    let policy = procura::compile(
        r#"
input supplier { ids: [text] }
let first(a: number, b: number) = a
let unread = first(1, count([x for x in supplier.ids if any y in supplier.ids: y == x]))
let read = first(count([x for x in supplier.ids if any y in supplier.ids: y == x]), 1)
rule r "r" { require unread == 1 else review "no" }
"#,
    )
    .unwrap()
    .with_limits(Limits {
        max_steps: 1_000,
        ..Limits::default()
    });
    let ids: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let input = policy.input(&json!({ "ids": ids })).unwrap();
    // The decision reads only `unread`, whose second argument is never evaluated; the report
    // computes `read` too, whose quadratic argument is.
    assert!(policy.decide(&input, &Default::default(), today()).is_ok());
    assert!(
        policy
            .evaluate(&input, &Default::default(), today())
            .is_err()
    );
}
