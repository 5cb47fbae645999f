#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
//! Procura: an embedded rules engine for responsible procurement.
//!
//! Pipeline: source → [`syntax`] (pest) → [`ast`] with spans → [`check`] (names, types) →
//! [`lower`] (constant folding, evaluation order) → [`program`] → [`eval`] → [`report`].
//! Hosts (CLI, WebAssembly bindings, server) use the small API of [`policy`] and nothing deeper.

// pest_derive without `std` (see Cargo.toml) refers to `alloc` by name.
extern crate alloc;

#[cfg(feature = "abi")]
pub mod abi;
pub(crate) mod audit;
pub(crate) mod builtins;
pub(crate) mod check;
pub mod date;
pub mod diagnostic;
pub mod diff;
pub(crate) mod eval;
pub mod ide;
#[cfg(feature = "import")]
pub mod import;
pub(crate) mod input;
pub mod limits;
pub(crate) mod lower;
pub mod policy;
pub(crate) mod program;
pub mod remedy;
pub mod report;
#[cfg(feature = "serve")]
pub mod server;
pub mod sources;
pub(crate) mod span;
pub(crate) mod types;

// The syntax tree, the parser and the printer are the crate's own. The `internals` feature makes
// them public for the syntax tests and the fuzz targets; it is no API and may change any day.
#[cfg(feature = "internals")]
pub mod ast;
#[cfg(not(feature = "internals"))]
pub(crate) mod ast;
#[cfg(feature = "internals")]
pub mod print;
#[cfg(not(feature = "internals"))]
pub(crate) mod print;
#[cfg(feature = "internals")]
pub mod syntax;
#[cfg(not(feature = "internals"))]
pub(crate) mod syntax;
pub(crate) mod value;
#[cfg(feature = "wasm")]
pub mod wasm;
#[cfg(feature = "wasm-reader")]
pub mod wasm_reader;

/// The SHA-256 of bytes in lowercase hex, as the audit fields and the decision log write it.
pub use audit::sha256_hex;
pub use date::Date;
pub use diagnostic::{Diagnostic, Severity};
pub use eval::{Construct, EvalError};
pub use input::{InputError, InputErrors};
pub use policy::{EvaluateError, Policy, ReferenceData, check, compile};
pub use policy::{ExampleResult, ExpectationFailure};
/// The canonical layout of a policy source (`procura fmt`, docs/fmt.md).
pub use print::format;
pub use report::Report;

// The README's Rust examples run as doctests, so that they keep compiling and passing.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
