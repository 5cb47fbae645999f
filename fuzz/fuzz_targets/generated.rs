//! Well-typed generated policies: they compile, print back to the same tree, and evaluate on
//! a generated input without panicking, to a report that is valid JSON and the same for the
//! printed policy (line numbers and the source's digest aside); `Policy::decide` (which runs the rules' decision
//! plans) gives the report's decision, and fails only where the report does.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use procura_fuzz::generate;

fuzz_target!(|data: &[u8]| {
    let case = generate::case(&mut Unstructured::new(data));
    let policy = match procura::compile(&case.source) {
        Ok(policy) => policy,
        Err(diagnostics) => panic!(
            "a generated policy does not compile:\n{}\n{diagnostics:#?}",
            case.source
        ),
    };
    let (file, _) = procura::syntax::parse(&case.source);
    procura_fuzz::assert_round_trip(&file);
    let printed = procura::print::print_file(&file);
    let reprinted = match procura::compile(&printed) {
        Ok(policy) => policy,
        Err(diagnostics) => {
            panic!("the printed policy does not compile:\n{printed}\n{diagnostics:#?}")
        }
    };
    let evaluate = |policy: &procura::Policy| {
        policy
            .evaluate_json(&case.input, case.data.as_ref(), case.today)
            .map(|report| without_lines(&report.to_json()))
            .map_err(|errors| errors.to_json())
    };
    let report = evaluate(&policy);
    procura_fuzz::assert_decide_agrees(&policy, &case.input, case.data.as_ref(), case.today);
    assert_eq!(
        report,
        evaluate(&reprinted),
        "the printed policy evaluates differently:\n{}\n{printed}",
        case.source
    );
});

/// The report parsed back, without the `line` of each rule (printing moves rules) and the
/// digest of the source (printing changes its bytes).
fn without_lines(report: &str) -> serde_json::Value {
    let mut value: serde_json::Value = match serde_json::from_str(report) {
        Ok(value) => value,
        Err(error) => panic!("the report is not JSON ({error}):\n{report}"),
    };
    if let Some(policy) = value.get_mut("policy").and_then(|p| p.as_object_mut()) {
        policy.remove("sha256");
    }
    if let Some(rules) = value.get_mut("rules").and_then(|r| r.as_array_mut()) {
        for rule in rules {
            if let Some(rule) = rule.as_object_mut() {
                rule.remove("line");
            }
        }
    }
    value
}
