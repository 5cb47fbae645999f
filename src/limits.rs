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
//! - input records: [`MAX_INPUT_BYTES`] of JSON text, [`MAX_INPUT_LIST_LEN`] elements in one
//!   list, [`MAX_INPUT_STRING_BYTES`] in one string; reference data, larger because a table
//!   may hold a whole smelter list: [`MAX_DATA_BYTES`], [`MAX_DATA_LIST_LEN`] rows of a table or
//!   elements of a list, [`MAX_DATA_STRING_BYTES`]. Input validation enforces them as it
//!   converts (an input error at the list's or string's path, or at `$`/`$data` for the size),
//!   so every host gets the same errors; sizes are checked where text is parsed
//!   (`input::parse_json`, `input::input_from_str`), for reference data inside the options of
//!   the WebAssembly hosts on its own text;
//! - options of the WebAssembly hosts (`abi`, `wasm`): [`MAX_OPTIONS_BYTES`] of JSON text.
//! - evaluation: [`MAX_EVAL_STEPS`] per evaluated record (`EvalError::BudgetExceeded`).

pub use crate::check::{MAX_DEPENDENCY_DEPTH, MAX_DIAGNOSTICS};
pub use crate::date::{MAX_YEAR, MIN_YEAR};
pub use crate::input::{
    MAX_DATA_BYTES, MAX_DATA_LIST_LEN, MAX_DATA_STRING_BYTES, MAX_INPUT_BYTES, MAX_INPUT_LIST_LEN,
    MAX_INPUT_STRING_BYTES, MAX_OPTIONS_BYTES,
};
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
/// on every host. Single passes over input lists stay far below it (the bundled policies and
/// the 100,000-supplier batches read lists of tens of elements a few times per record; a
/// rule over a 100,000-element list spends 100,000 steps per pass), and a loop inside a loop
/// over the same list fits up to about 2,200 elements.
/// Over 8,000 elements such a loop took 9 s natively (25 minutes over 100,000); the budget
/// stops it after about a third of a second of CPU on a loaded machine (release build, about
/// 70 ns a step) and proportionally later in WebAssembly.
pub const MAX_EVAL_STEPS: u64 = 5_000_000;

/// How many bytes of text one evaluation step pays for (see [`MAX_EVAL_STEPS`]).
pub const TEXT_STEP_BYTES: usize = 64;
