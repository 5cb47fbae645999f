//! The workloads whose instruction counts BENCHMARKS.md records, for callgrind (deterministic on
//! a loaded machine, unlike wall-clock time): `counts WORKLOAD ROUNDS` runs WORKLOAD ROUNDS
//! times, and `benches/counts.sh` takes the difference between ROUNDS = N and ROUNDS = 0, so that
//! the setup (generating suppliers, compiling the policy they are read by) cancels out.
//!
//! Workloads: `compile` (`rules/onboarding.policy`), `compile-2000` (the generated 2,000-line
//! policy), and, over 1,000 generated suppliers, `input` (`Policy::input` of each
//! `serde_json::Value`), `serde` (serde's derived deserialisation of the same `Value` into the
//! typed structs of `workloads::Supplier`) and `input-text` (`Policy::input_from_str`); and
//! the two workloads of `benches/compare` over 1,000 of its suppliers each, validated before
//! the rounds: `decide` and `report` (`Policy::decide` and `Policy::evaluate` of the onboarding
//! policy), `decide-2` and `report-2` (the policy with `cpi[supplier.country] ?? -1`, suppliers
//! with 0 to 20 smelters).

#[path = "workloads.rs"]
mod workloads;

use std::hint::black_box;

const SUPPLIERS: usize = 1_000;

fn main() {
    // `cargo bench` passes `--bench`; the workload and the rounds are the other arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(workload), Some(Ok(rounds))) = (args.first(), args.get(1).map(|r| r.parse())) else {
        eprintln!(
            "usage: counts compile|compile-2000|input|serde|input-text|decide|report|decide-2|report-2 ROUNDS"
        );
        std::process::exit(2);
    };
    let onboarding = include_str!("../rules/onboarding.policy");
    match workload.as_str() {
        "compile" => repeat(rounds, || compile(onboarding)),
        "compile-2000" => {
            let source = workloads::policy_of_lines(2_000);
            repeat(rounds, || compile(&source));
        }
        "input" | "serde" | "input-text" => {
            let policy = procura::compile(onboarding).expect("the onboarding policy compiles");
            let suppliers = workloads::suppliers(SUPPLIERS, 2025);
            let texts: Vec<String> = suppliers.iter().map(|s| s.to_string()).collect();
            match workload.as_str() {
                "input" => repeat(rounds, || {
                    for supplier in &suppliers {
                        black_box(policy.input(black_box(supplier)).expect("a valid supplier"));
                    }
                }),
                "serde" => repeat(rounds, || {
                    for supplier in &suppliers {
                        let typed = <workloads::Supplier as serde::Deserialize>::deserialize(
                            black_box(supplier),
                        );
                        black_box(typed.expect("a valid supplier"));
                    }
                }),
                _ => repeat(rounds, || {
                    for text in &texts {
                        black_box(
                            policy
                                .input_from_str(black_box(text))
                                .expect("a valid supplier"),
                        );
                    }
                }),
            }
        }
        "decide" | "report" | "decide-2" | "report-2" => {
            let (source, suppliers) = match workload.ends_with("-2") {
                false => (onboarding.to_owned(), workloads::suppliers(SUPPLIERS, 2025)),
                true => (
                    onboarding.replace(
                        "let country_cpi = cpi[supplier.country]\n",
                        "let country_cpi = cpi[supplier.country] ?? -1\n",
                    ),
                    workloads::suppliers_with_smelters(SUPPLIERS, 2026, 20),
                ),
            };
            let policy = procura::compile(&source).expect("the policy compiles");
            let data = (policy.reference_data(Some(&workloads::reference_data())))
                .expect("valid reference data");
            let inputs: Vec<_> = (suppliers.iter())
                .map(|s| policy.input(s).expect("a valid supplier"))
                .collect();
            let today = procura::Date::parse("2025-06-01").expect("a valid date");
            let report = workload.starts_with("report");
            repeat(rounds, || {
                for input in &inputs {
                    let input = black_box(input);
                    let decision = match report {
                        true => policy.evaluate(input, &data, today).map(|r| r.decision),
                        false => policy.decide(input, &data, today),
                    };
                    black_box(decision.expect("within the budget"));
                }
            });
        }
        _ => {
            eprintln!("unknown workload `{workload}`");
            std::process::exit(2);
        }
    }
}

fn compile(source: &str) {
    black_box(procura::compile(black_box(source)).expect("the policy compiles"));
}

fn repeat(rounds: usize, mut run: impl FnMut()) {
    for _ in 0..rounds {
        run();
    }
}
