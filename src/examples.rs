//! STUB (owned by the CLI/examples work): runs `example` blocks.
use crate::date::Date;
use crate::policy::Policy;

#[derive(Debug, Clone, PartialEq)]
pub struct ExampleResult {
    pub title: String,
    pub line: u32,
    /// Empty when the example passed.
    pub failures: Vec<ExpectationFailure>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectationFailure {
    pub line: u32,
    /// What was checked, e.g. `decision`, `rule cmrt_fresh`, `score sustainability`.
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

pub fn run(_policy: &Policy, _today: Date) -> Vec<ExampleResult> {
    unimplemented!()
}
