//! Every limit on what the engine accepts, in one place (SECURITY.md explains each).
//!
//! Policies and inputs come from people we do not control. Each limit turns a hostile input
//! into an ordinary error instead of a crash, a stack overflow or an unbounded amount of work;
//! the constants live next to the code that enforces them and are gathered here.
//!
//! Enforced today:
//! - policy source: [`MAX_SOURCE_BYTES`], [`MAX_NESTING`], [`MAX_EXPR_DEPTH`] (parser,
//!   diagnostics `E0013`, `E0011`, `E0012`); [`MAX_DEPENDENCY_DEPTH`], [`MAX_DIAGNOSTICS`]
//!   (checker, `E0311`, `E0312`);
//! - dates, in policies and inputs: years [`MIN_YEAR`] to [`MAX_YEAR`]; date arithmetic that
//!   leaves them is missing with a note;
//! - JSON input and reference data: [`MAX_JSON_DEPTH`], serde_json's recursion limit, which
//!   every host inherits by parsing with serde_json (deeper text is malformed JSON at `$`);
//! - evaluation: [`MAX_EVAL_STEPS`] per evaluated record (`EvalError::BudgetExceeded`).
//!
//! Not enforced yet (inputs are bounded only by what the host accepts: `procura serve` refuses
//! bodies over 1 MiB, the command line reads any file):
//! - the total size of an input record or of reference data;
//! - the length of one list and of one string in an input.

pub use crate::check::{MAX_DEPENDENCY_DEPTH, MAX_DIAGNOSTICS};
pub use crate::date::{MAX_YEAR, MIN_YEAR};
pub use crate::syntax::{MAX_EXPR_DEPTH, MAX_NESTING, MAX_SOURCE_BYTES};

/// How deeply JSON input and reference data may nest (arrays and objects, the outermost
/// included): serde_json's recursion limit refuses 128 levels. Hosts keep it by parsing with
/// serde_json; the engine receives parsed values, so it cannot enforce this itself.
pub const MAX_JSON_DEPTH: usize = 127;

/// The work one evaluation may do, in steps: the evaluator spends a step on each list element
/// a quantifier, comprehension, membership test (`in`, `contains*`), list comparison or builtin
/// visits, and on each [`TEXT_STEP_BYTES`] of text it compares, searches, builds or hashes.
/// Work that does not grow with the input (operators on numbers, field reads) is free.
///
/// Going over it ends the evaluation with `EvalError::BudgetExceeded` instead of a report,
/// on every host. Single passes over input lists stay far below it (the bundled policies
/// spend under a thousand steps on a record; a rule over a 100,000-element list spends
/// 100,000 per pass), but a loop over a list inside a loop over the same list spends the
/// square of its length: the budget stops one over 8,000 elements after about a tenth of a
/// second instead of several seconds (release build; 25 minutes for 100,000 elements).
pub const MAX_EVAL_STEPS: u64 = 10_000_000;

/// How many bytes of text one evaluation step pays for (see [`MAX_EVAL_STEPS`]).
pub const TEXT_STEP_BYTES: usize = 64;
