//! The evaluator on arbitrary JSON input (and reference data and dates) against every policy
//! of `rules/`: validation errors or a report, never a panic, and `Policy::decide` gives the
//! report's decision.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use procura::Policy;

static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let policies = POLICIES.get_or_init(|| {
        procura_fuzz::RULES
            .iter()
            .map(|source| procura_fuzz::compile_rule(source))
            .collect()
    });
    procura_fuzz::evaluate_bytes(policies, data);
});
