//! The narrow API every host uses: compile a source once, evaluate many records.

use std::sync::Arc;

use crate::ast::Decision;
use crate::date::Date;
use crate::diagnostic::{self, Diagnostic};
use crate::eval::EvalError;
use crate::examples::{self, ExampleResult};
pub use crate::input::ReferenceData;
use crate::input::{self, InputErrors};
use crate::program::{Program, Value};
use crate::report::Report;
use crate::{check as checker, eval, lower, syntax};

/// All diagnostics (errors and warnings) of a source, sorted by position.
pub fn check(source: &str) -> Vec<Diagnostic> {
    match compile(source) {
        Ok(policy) => policy.warnings,
        Err(diagnostics) => diagnostics,
    }
}

/// Compiles a policy; on failure returns every diagnostic found (errors and warnings).
pub fn compile(source: &str) -> Result<Policy, Vec<Diagnostic>> {
    let (file, mut diagnostics) = syntax::parse(source);
    if diagnostics.iter().any(Diagnostic::is_error) {
        diagnostic::sort(&mut diagnostics);
        return Err(diagnostics);
    }
    let (program, check_diagnostics) = checker::check(&file, source);
    diagnostics.extend(check_diagnostics);
    diagnostic::sort(&mut diagnostics);
    match program {
        Some(program) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Policy {
            program: Arc::new(lower::lower(program)),
            warnings: diagnostics,
        }),
        _ => Err(diagnostics),
    }
}

/// A compiled policy. Cheap to clone; evaluation never mutates it.
#[derive(Debug, Clone)]
pub struct Policy {
    program: Arc<Program>,
    warnings: Vec<Diagnostic>,
}

impl Policy {
    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Validates and converts an input record.
    pub fn input(&self, json: &serde_json::Value) -> Result<Value, InputErrors> {
        input::validate_input(&self.program, json)
    }

    /// Converts input JSON text directly, the fast path for valid records (no intermediate
    /// `serde_json::Value`). `None` when the text is not valid JSON or not a valid input: parse
    /// it and call [`Policy::input`] for the errors, or call [`Policy::input_from_bytes`].
    pub fn input_from_str(&self, json: &str) -> Option<Value> {
        input::input_from_str(&self.program, json)
    }

    /// Converts a record given as JSON text in bytes, as every host receives it: valid records
    /// take the fast path of [`Policy::input_from_str`]; any other is parsed again by the
    /// validating path, which explains every error. Text over
    /// [`crate::limits::MAX_INPUT_BYTES`], not JSON or not UTF-8 is one error at `$`.
    pub fn input_from_bytes(&self, json: &[u8]) -> Result<Value, InputErrors> {
        let fast = std::str::from_utf8(json)
            .ok()
            .and_then(|text| self.input_from_str(text));
        match fast {
            Some(value) => Ok(value),
            None => input::parse_json("$", json).and_then(|json| self.input(&json)),
        }
    }

    /// Validates reference data (`{"table": {key: value}}`); `None` when none was supplied.
    pub fn reference_data(
        &self,
        json: Option<&serde_json::Value>,
    ) -> Result<ReferenceData, InputErrors> {
        input::validate_data(&self.program, json)
    }

    /// Evaluates an already validated record; `Err` when it needs more than
    /// [`crate::limits::MAX_EVAL_STEPS`].
    pub fn evaluate(
        &self,
        input: &Value,
        data: &ReferenceData,
        today: Date,
    ) -> Result<Report<'_>, EvalError> {
        eval::evaluate(
            &self.program,
            input,
            data,
            today,
            crate::limits::MAX_EVAL_STEPS,
        )
    }

    /// The decision [`Policy::evaluate`] would report, without the report: faster, as rules
    /// run in verdict precedence order until the decision is known and nothing is rendered.
    /// It may succeed where `evaluate` exceeds the step budget, never the other way round.
    pub fn decide(
        &self,
        input: &Value,
        data: &ReferenceData,
        today: Date,
    ) -> Result<Decision, EvalError> {
        eval::decide(
            &self.program,
            input,
            data,
            today,
            crate::limits::MAX_EVAL_STEPS,
        )
    }

    /// Validates input and reference data together, reporting all their errors at once, then
    /// evaluates.
    pub fn evaluate_json(
        &self,
        input: &serde_json::Value,
        data: Option<&serde_json::Value>,
        today: Date,
    ) -> Result<Report<'_>, EvaluateError> {
        let data = self.reference_data(data);
        self.evaluate_validated(self.input(input), data.as_ref(), today)
    }

    /// Evaluates a record and reference data as validation left them: every error of both at
    /// once (the record's first), or the report. Hosts validate the two apart (the data once for
    /// many records) and meet here, so that they all combine errors alike.
    pub fn evaluate_validated(
        &self,
        input: Result<Value, InputErrors>,
        data: Result<&ReferenceData, &InputErrors>,
        today: Date,
    ) -> Result<Report<'_>, EvaluateError> {
        match (input, data) {
            (Ok(input), Ok(data)) => Ok(self.evaluate(&input, data, today)?),
            (Err(errors), Ok(_)) => Err(errors.into()),
            (Ok(_), Err(errors)) => Err(errors.clone().into()),
            (Err(a), Err(b)) => Err(a.merge(b.clone()).into()),
        }
    }

    /// Runs every `example` block; `today` is used by examples without `as_of`.
    pub fn run_examples(&self, today: Date) -> Vec<ExampleResult> {
        examples::run(self, today)
    }
}

/// Why [`Policy::evaluate_json`] gave no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluateError {
    /// The record or the reference data is invalid: every error found.
    #[error(transparent)]
    Input(#[from] InputErrors),
    #[error(transparent)]
    Eval(#[from] EvalError),
}

impl EvaluateError {
    /// The JSON every host returns: `{"errors": [...]}` or `{"error": "evaluation", ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            EvaluateError::Input(errors) => errors.to_json(),
            EvaluateError::Eval(error) => error.to_json(),
        }
    }
}

/// What a host made of the options it received last (their date and reference data, validated,
/// or their errors), kept with their bytes: hosts send the same reference data with every
/// record, and parsing and validating it again would cost more than the decision itself. Only
/// identical bytes reuse it, whatever it holds: options that were invalid are not read again
/// either.
#[derive(Debug)]
pub struct LastOptions<T> {
    last: Option<(Vec<u8>, T)>,
}

impl<T> Default for LastOptions<T> {
    fn default() -> Self {
        LastOptions { last: None }
    }
}

impl<T> LastOptions<T> {
    /// What `read` makes of `bytes`, read again only when they differ from the last ones.
    pub fn get(&mut self, bytes: &[u8], read: impl FnOnce(&[u8]) -> T) -> &T {
        if !matches!(&self.last, Some((last, _)) if same_bytes(last, bytes)) {
            // Dropped first: two copies of large reference data need not be held at once.
            self.last = None;
        }
        let (_, value) = self
            .last
            .get_or_insert_with(|| (bytes.to_vec(), read(bytes)));
        value
    }
}

/// Byte equality a word at a time: `==` on slices calls WebAssembly's `memcmp`, a byte loop that
/// took a tenth of a decision on a kilobyte of options.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let word = |chunk: &[u8]| <[u8; 8]>::try_from(chunk).map_or(0, u64::from_ne_bytes);
    let (words_a, words_b) = (a.chunks_exact(8), b.chunks_exact(8));
    a.len() == b.len()
        && words_a.remainder() == words_b.remainder()
        && words_a.zip(words_b).all(|(x, y)| word(x) == word(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_options_are_read_again_only_for_other_bytes() {
        let mut last = LastOptions::default();
        let mut reads = Vec::new();
        let mut read = |bytes: &[u8]| {
            reads.push(bytes.to_vec());
            bytes.len()
        };
        // Same length, one byte apart, and a tail shorter than a word.
        let texts: [&[u8]; 5] = [
            b"0123456789",
            b"0123456789",
            b"0123456788",
            b"0123",
            b"0123",
        ];
        for text in texts {
            assert_eq!(*last.get(text, &mut read), text.len());
        }
        assert_eq!(reads, [&b"0123456789"[..], b"0123456788", b"0123"]);
    }
}
