//! Why an evaluation stopped without a report.

use crate::program::{Builtin, QuantifierKind};

/// An evaluation that could not finish. Unlike a missing value, which is part of a report, this
/// replaces the report: the record cannot be decided within the engine's limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The evaluation took more than its step limit (`limit`).
    #[error("the evaluation needed more than {limit} steps and was stopped in {place}")]
    BudgetExceeded {
        limit: u64,
        /// Where it was stopped: ``rule `unique` ``, ``let `total` ``, ...
        place: String,
        /// The construct that was running when the budget ran out.
        construct: Construct,
    },
}

/// A construct whose work grows with the size of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Construct {
    Quantifier(QuantifierKind),
    Comprehension,
    /// `in`, `not in`, `contains`, `contains_any`, `contains_all`.
    Membership,
    /// `==` or `!=` on lists or records.
    Equality,
    /// `+` of two lists.
    Concatenation,
    Builtin(&'static Builtin),
    /// A call of a function of the policy.
    Function,
    /// Reading or building a long text (comparison, `contains`, `+`, interpolation).
    Text,
}

impl Construct {
    fn describe(self) -> String {
        match self {
            Construct::Quantifier(kind) => {
                format!("the quantifier `{} ... in ...`", kind.keyword())
            }
            Construct::Comprehension => "the list comprehension `[... for ... in ...]`".to_owned(),
            Construct::Membership => "a membership test (`in`, `contains`)".to_owned(),
            Construct::Equality => "a comparison of lists or records".to_owned(),
            Construct::Concatenation => "the concatenation of lists `+`".to_owned(),
            Construct::Builtin(builtin) => format!("the call `{}`", builtin.signature),
            Construct::Text => "an operation on long texts".to_owned(),
            Construct::Function => "a call of a function of the policy".to_owned(),
        }
    }
}

impl EvalError {
    /// What to do about it, for the help line every host prints.
    pub fn help(&self) -> String {
        match self {
            EvalError::BudgetExceeded { construct, .. } => format!(
                "{} was running when the budget ran out; work over a list inside a quantifier \
                 or comprehension over a list grows with the product of their lengths: check \
                 the input's list sizes or compute the inner result once in a `let`",
                construct.describe()
            ),
        }
    }

    /// `{"error": "evaluation", "message": ..., "help": ...}`, the shape of the other errors
    /// the hosts return as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": "evaluation",
            "message": self.to_string(),
            "help": self.help(),
        })
    }
}
