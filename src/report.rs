//! STUB (owned by the evaluator work): the decision report of LANGUAGE.md §8.
use crate::ast::{Decision, Outcome, Verdict};
use crate::program::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: Option<String>,
    pub version: Option<String>,
    pub decision: Decision,
    /// In declaration order.
    pub rules: Vec<RuleReport>,
    /// In declaration order.
    pub scores: Vec<ScoreReport>,
    /// Every `let`, in declaration order; missing values are `Value::MISSING`.
    pub values: Vec<(String, Value)>,
    /// Sorted, deduplicated union of the rules' missing paths.
    pub missing: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleReport {
    pub name: String,
    pub title: Option<String>,
    pub outcome: Outcome,
    /// Set when the outcome is `failed`.
    pub verdict: Option<Verdict>,
    /// The rendered message, set when the outcome is `failed`.
    pub message: Option<String>,
    /// Sorted, deduplicated input paths, set when the outcome is `missing`.
    pub missing: Vec<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreReport {
    pub name: String,
    pub value: Option<f64>,
    pub components: Vec<ComponentReport>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComponentReport {
    pub name: String,
    pub weight: f64,
    pub value: Option<f64>,
    pub contribution: Option<f64>,
}

impl Report {
    /// The report as compact, deterministic JSON text (keys in the order of LANGUAGE.md §8).
    pub fn to_json(&self) -> String {
        unimplemented!()
    }
}
