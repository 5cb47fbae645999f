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
//!   every host inherits by parsing with serde_json (deeper text is malformed JSON at `$`).
//!
//! Not enforced yet (inputs are bounded only by what the host accepts: `procura serve` refuses
//! bodies over 1 MiB, the command line reads any file):
//! - the total size of an input record or of reference data;
//! - the length of one list and of one string in an input;
//! - the number of evaluation steps: quantifiers and comprehensions over input lists are
//!   linear in the list, but nested ones over the same list are quadratic; under wasmtime
//!   fuel bounds them, natively and in browsers nothing does.

pub use crate::check::{MAX_DEPENDENCY_DEPTH, MAX_DIAGNOSTICS};
pub use crate::date::{MAX_YEAR, MIN_YEAR};
pub use crate::syntax::{MAX_EXPR_DEPTH, MAX_NESTING, MAX_SOURCE_BYTES};

/// How deeply JSON input and reference data may nest (arrays and objects, the outermost
/// included): serde_json's recursion limit refuses 128 levels. Hosts keep it by parsing with
/// serde_json; the engine receives parsed values, so it cannot enforce this itself.
pub const MAX_JSON_DEPTH: usize = 127;
