//! Every limit on what the engine accepts, in one place (SECURITY.md explains each).
//!
//! Policies and inputs come from people we do not control. Each limit turns a hostile input
//! into an ordinary error instead of a crash, a stack overflow or an unbounded amount of work;
//! the constants live next to the code that enforces them and are gathered here.
//!
//! Enforced today:
//! - policy source: [`MAX_SOURCE_BYTES`], [`MAX_NESTING`], [`MAX_EXPR_DEPTH`] (parser,
//!   diagnostics `E0013`, `E0011`, `E0012`); [`MAX_DEPENDENCY_DEPTH`], [`MAX_DIAGNOSTICS`]
//!   (checker, `E0311`, `E0312`); [`MAX_POLICY_FILES`], [`MAX_POLICY_BYTES`] (imports,
//!   `E0405`);
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
//! - options of the JSON-text hosts (`abi`, `wasm`, read by `policy::Options`):
//!   [`MAX_OPTIONS_BYTES`] of JSON text.
//! - evaluation: [`MAX_EVAL_STEPS`] per evaluated record (`EvalError::BudgetExceeded`).
//!
//! The limits on inputs and evaluation are also a value, [`Limits`], as in rhai: a
//! [`crate::Policy`] carries one (the constants above by default, on every host) and everything
//! that enforces them reads them from it. Limits on policy source are not in it: they protect
//! the parser and checker before there is a policy to carry anything.

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

/// The longest text `replace` builds: its result is measured first, so that a short pattern
/// and a long replacement cannot multiply a text past what the step budget would pay for.
pub const MAX_BUILT_TEXT_BYTES: usize = 16 << 20;

/// The limits on what one evaluation may receive and do, carried by a [`crate::Policy`]
/// ([`crate::Policy::with_limits`], [`crate::Policy::limits`]). Every field defaults to the
/// constant of the same name, on every host (SECURITY.md, "Limits"); a host may lower them
/// for untrusted callers or raise them for a trusted batch.
///
/// ```
/// use procura::limits::{Limits, MAX_EVAL_STEPS};
/// let limits = Limits { max_steps: 10_000, ..Limits::default() };
/// assert_eq!(Limits::default().max_steps, MAX_EVAL_STEPS);
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Evaluation steps per record ([`MAX_EVAL_STEPS`], 5,000,000): past it an evaluation is
    /// `EvalError::BudgetExceeded` instead of a report. Hosts set it with `--max-steps` (the
    /// command line, `procura serve`) or the option `max_steps` (the JSON-text hosts).
    pub max_steps: u64,
    /// Bytes of JSON text of one input record ([`MAX_INPUT_BYTES`], 4 MiB): an input error at
    /// `$`.
    pub max_input_bytes: usize,
    /// Elements of one list of an input record ([`MAX_INPUT_LIST_LEN`], 10,000): an input error
    /// at the list.
    pub max_input_list_len: usize,
    /// Bytes of UTF-8 of one string of an input record ([`MAX_INPUT_STRING_BYTES`], 64 KiB): an
    /// input error at the string.
    pub max_input_string_bytes: usize,
    /// Bytes of JSON text of reference data ([`MAX_DATA_BYTES`], 16 MiB): an input error at
    /// `$data`.
    pub max_data_bytes: usize,
    /// Rows of one table, or elements of one list, of reference data ([`MAX_DATA_LIST_LEN`],
    /// 100,000): an input error at the table or list.
    pub max_data_list_len: usize,
    /// Bytes of UTF-8 of one string of reference data ([`MAX_DATA_STRING_BYTES`], 1 MiB): an
    /// input error at the string.
    pub max_data_string_bytes: usize,
    /// Bytes of JSON text of the options of the JSON-text hosts, reference data included
    /// ([`MAX_OPTIONS_BYTES`], 32 MiB): an input error at `$options`.
    pub max_options_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: MAX_EVAL_STEPS,
            max_input_bytes: MAX_INPUT_BYTES,
            max_input_list_len: MAX_INPUT_LIST_LEN,
            max_input_string_bytes: MAX_INPUT_STRING_BYTES,
            max_data_bytes: MAX_DATA_BYTES,
            max_data_list_len: MAX_DATA_LIST_LEN,
            max_data_string_bytes: MAX_DATA_STRING_BYTES,
            max_options_bytes: MAX_OPTIONS_BYTES,
        }
    }
}

/// The root of the options of the JSON-text hosts in paths and errors.
pub const OPTIONS: &str = "$options";

impl Limits {
    /// The size limit of JSON text read at `root`: [`Limits::max_input_bytes`] for the record
    /// (`$`), [`Limits::max_options_bytes`] for options (`$options`),
    /// [`Limits::max_data_bytes`] for reference data (`$data`).
    pub fn json_bytes(&self, root: &str) -> usize {
        match root {
            "$" => self.max_input_bytes,
            OPTIONS => self.max_options_bytes,
            _ => self.max_data_bytes,
        }
    }
}

/// The largest input record, in bytes of JSON text. A record with the longest list of the
/// longest smelter entries seen in practice (a CMRT of a few hundred smelters) is under 100 KiB.
pub const MAX_INPUT_BYTES: usize = 4 << 20;

/// The most elements one list of an input record may hold.
pub const MAX_INPUT_LIST_LEN: usize = 10_000;

/// The longest string of an input record, in bytes of UTF-8.
pub const MAX_INPUT_STRING_BYTES: usize = 64 << 10;

/// The largest reference data, in bytes of JSON text: the full RMAP smelter list (a few
/// thousand smelters) is about 1 MiB.
pub const MAX_DATA_BYTES: usize = 16 << 20;

/// The largest options of an evaluation on the JSON-text hosts (`{"as_of", "data",
/// "max_steps"}`, `policy::Options`), in bytes of JSON text: room for reference data of [`MAX_DATA_BYTES`]
/// written as a JSON string, whose quotes are escaped. The reference data inside is held to
/// [`MAX_DATA_BYTES`] of its own text, at `$data`, as a data file is.
pub const MAX_OPTIONS_BYTES: usize = 2 * MAX_DATA_BYTES;

/// The most rows one table, or elements one list, of reference data may hold.
pub const MAX_DATA_LIST_LEN: usize = 100_000;

/// The longest string of reference data, in bytes of UTF-8.
pub const MAX_DATA_STRING_BYTES: usize = 1 << 20;

/// The largest source accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 4 * 1024 * 1024;

/// The most files a policy may have: the root and the libraries it imports (LANGUAGE.md §9.1).
pub const MAX_POLICY_FILES: usize = 100;

/// The most bytes all the files of a policy may hold together (spans count them in 32 bits).
pub const MAX_POLICY_BYTES: usize = 4 * MAX_SOURCE_BYTES;

/// How deeply brackets, string interpolations and `if` conditions may nest.
pub const MAX_NESTING: usize = 64;

/// The greatest height of an expression tree, and the most operators in one expression
/// outside brackets.
pub const MAX_EXPR_DEPTH: usize = 2 * MAX_NESTING;

/// The supported range keeps every intermediate in `i32` days and four-digit years.
pub const MIN_YEAR: i32 = 1;

pub const MAX_YEAR: i32 = 9999;

/// How deeply definitions may depend on each other (`let a = b`, `let b = c`, ...). Checking
/// recurses along such chains, and WebAssembly has a small stack.
pub const MAX_DEPENDENCY_DEPTH: usize = 200;

/// At most this many diagnostics are reported; past it, checking stops suggesting names, which
/// costs time proportional to the number of names.
pub const MAX_DIAGNOSTICS: usize = 200;

// Imported files (`procura import`, the `import` feature): workbooks, CSV and XML from
// suppliers and publishers. Each gives an `ImportError` naming the file and what was too large.

/// The largest workbook (`.xlsx`) read, in bytes of the file. A real CMRT or EMRT is about
/// 1.5 MiB; the TI CPI workbook under 1 MiB.
pub const MAX_WORKBOOK_BYTES: u64 = 32 << 20;

/// The most parts (zip entries) a workbook may have; a real template has under 100.
pub const MAX_WORKBOOK_PARTS: u64 = 10_000;

/// The largest XML part of a workbook once decompressed, counted as it is decompressed (a zip
/// bomb's headers lie): a real template's smelter list, 2,500 rows of formulas, is about
/// 6 MiB.
pub const MAX_PART_BYTES: u64 = 64 << 20;

/// All XML parts of a workbook together, decompressed; a real template is about 12 MiB.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 256 << 20;

/// The most non-empty cells kept from one sheet, in the columns a reader asks for.
pub const MAX_SHEET_CELLS: u64 = 2_000_000;

/// The most smelter (or mine) rows read from one reporting template; the template prepares
/// 2,500.
pub const MAX_TEMPLATE_ROWS: u64 = 10_000;

/// The largest CSV or XML file an importer reads, in bytes (the EU consolidated sanctions XML
/// is about 25 MiB, OFAC's `sdn.csv` about 5 MiB).
pub const MAX_IMPORT_TEXT_BYTES: u64 = 256 << 20;
