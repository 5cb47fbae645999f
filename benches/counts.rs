//! The workloads whose instruction counts BENCHMARKS.md records, for callgrind (deterministic on
//! a loaded machine, unlike wall-clock time): `counts WORKLOAD ROUNDS` runs WORKLOAD ROUNDS
//! times, and `benches/counts.sh` takes the difference between ROUNDS = N and ROUNDS = 0, so that
//! the setup (generating suppliers, compiling the policy they are read by) cancels out.
//!
//! Workloads: `compile` (`rules/onboarding.policy`), `compile-2000` (the generated 2,000-line
//! policy), and, over 1,000 generated suppliers, `input` (`Policy::input` of each
//! `serde_json::Value`), `serde` (serde's derived deserialisation of the same `Value` into the
//! typed structs of `workloads::Supplier`) and `input-text` (`Policy::input_from_str`).

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
        eprintln!("usage: counts compile|compile-2000|input|serde|input-text ROUNDS");
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
