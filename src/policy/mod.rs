//! The narrow API every host uses: compile a source once, evaluate many records.

use std::sync::Arc;

use crate::ast::Decision;
use crate::date::Date;
use crate::diagnostic::{self, Diagnostic, did_you_mean};
use crate::eval::EvalError;
mod examples;

use crate::input::{self, InputErrors};
pub use crate::input::{ReferenceData, parse_json};
use crate::limits::Limits;
use crate::program as p;
pub use crate::program::ExampleDef;
use crate::program::Program;
use crate::report::Report;
pub use crate::sources::Sources;
pub use crate::value::Value;
use crate::{check as checker, eval, lower, remedy};
pub use examples::{
    BranchCoverage, Coverage, ExampleResult, ExpectationFailure, RuleCoverage, percent,
    summary_json,
};

/// All diagnostics (errors and warnings) of a source, sorted by position.
pub fn check(source: &str) -> Vec<Diagnostic> {
    check_sources(&Sources::root(source))
}

/// All diagnostics (errors and warnings) of a policy's files, sorted by file and position.
pub fn check_sources(sources: &Sources) -> Vec<Diagnostic> {
    match compile_sources(sources) {
        Ok(policy) => policy.warnings,
        Err(diagnostics) => diagnostics,
    }
}

/// Compiles a policy; on failure returns every diagnostic found (errors and warnings).
pub fn compile(source: &str) -> Result<Policy, Vec<Diagnostic>> {
    compile_sources(&Sources::root(source))
}

/// Compiles a policy of several files (LANGUAGE.md §9.1); diagnostics name their file.
pub fn compile_sources(sources: &Sources) -> Result<Policy, Vec<Diagnostic>> {
    let mut diagnostics = sources.diagnostics().to_vec();
    let localize = |mut diagnostics: Vec<Diagnostic>| {
        diagnostic::sort(&mut diagnostics);
        diagnostics
            .into_iter()
            .map(|d| sources.localize(d))
            .collect()
    };
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(localize(diagnostics));
    }
    let (program, check_diagnostics) = checker::check(sources);
    diagnostics.extend(check_diagnostics);
    match program {
        Some(mut program) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(Policy {
            program: Arc::new(lower::lower(p::Program {
                sha256: sources.sha256(),
                branches: place_branches(std::mem::take(&mut program.branches), sources),
                ..program
            })),
            warnings: localize(diagnostics),
            limits: Limits::default(),
        }),
        _ => Err(localize(diagnostics)),
    }
}

/// `branches` with the file and line each is written at.
fn place_branches(mut branches: Vec<p::Branch>, sources: &Sources) -> Vec<p::Branch> {
    let lines = sources.lines();
    for branch in &mut branches {
        let (file, line) = lines(branch.span);
        (branch.file, branch.line) = (file.map(str::to_owned), line);
    }
    branches
}

/// A compiled policy. Cheap to clone; evaluation never mutates it.
#[derive(Debug, Clone)]
pub struct Policy {
    program: Arc<Program>,
    warnings: Vec<Diagnostic>,
    /// What an evaluation may receive and do; [`Limits::default`] unless set.
    limits: Limits,
}

impl Policy {
    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    /// The policy with other limits on inputs and evaluation (builder style):
    /// `compile(source)?.with_limits(Limits { max_steps: 10_000, ..Limits::default() })`.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Policy {
        self.limits = limits;
        self
    }

    /// The limits every validation and evaluation of this policy applies.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The `input` declaration as JSON, for building a form or documenting an API (the same on
    /// every host): `{"name", "fields": [{"name", "type"}]}`, fields in declaration order; see
    /// [`input::schema_json`] for the types.
    pub fn input_schema(&self) -> serde_json::Value {
        input::schema_json(&self.program.input)
    }

    /// The policy's `example` blocks, in declaration order.
    pub fn examples(&self) -> &[ExampleDef] {
        &self.program.examples
    }

    /// The names of the rules, in declaration order (the order of a report's `rules`).
    pub fn rule_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.program.rules.iter().map(|rule| rule.name.as_str())
    }

    /// The SHA-256 of the policy's source in lowercase hex, as its reports give it
    /// (`policy.sha256`, LANGUAGE.md §9.10).
    pub fn sha256(&self) -> &str {
        &self.program.sha256
    }

    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Validates and converts an input record.
    pub fn input(&self, json: &serde_json::Value) -> Result<Value, InputErrors> {
        input::validate_input(&self.program, json, &self.limits)
    }

    /// Converts input JSON text directly, the fast path for valid records (no intermediate
    /// `serde_json::Value`). `None` when the text is not valid JSON or not a valid input: parse
    /// it and call [`Policy::input`] for the errors, or call [`Policy::input_from_bytes`].
    pub fn input_from_str(&self, json: &str) -> Option<Value> {
        input::input_from_str(&self.program, json, &self.limits)
    }

    /// Converts a record given as JSON text in bytes, as every host receives it: valid records
    /// take the fast path of [`Policy::input_from_str`]; any other is parsed again by the
    /// validating path, which explains every error. Text over
    /// [`Limits::max_input_bytes`], not JSON or not UTF-8 is one error at `$`.
    pub fn input_from_bytes(&self, json: &[u8]) -> Result<Value, InputErrors> {
        let fast = std::str::from_utf8(json)
            .ok()
            .and_then(|text| self.input_from_str(text));
        match fast {
            Some(value) => Ok(value),
            None => input::parse_json("$", json, &self.limits).and_then(|json| self.input(&json)),
        }
    }

    /// Validates reference data (`{"table": {key: value}}`); `None` when none was supplied.
    pub fn reference_data(
        &self,
        json: Option<&serde_json::Value>,
    ) -> Result<ReferenceData, InputErrors> {
        input::validate_data(&self.program, json, &self.limits)
    }

    /// Evaluates an already validated record; `Err` when it needs more than
    /// [`Limits::max_steps`].
    pub fn evaluate(
        &self,
        input: &Value,
        data: &ReferenceData,
        today: Date,
    ) -> Result<Report<'_>, EvalError> {
        eval::evaluate(&self.program, input, data, today, self.limits.max_steps)
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
        eval::decide(&self.program, input, data, today, self.limits.max_steps)
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
        self.evaluate_reaching(input, data, today, self.limits.max_steps, false, &mut [])
    }

    /// [`Policy::evaluate_validated`], the report with its `remedies` (`crate::remedy`): for
    /// each rule that keeps the decision from `approve`, the changes of input that would make
    /// it pass. Computed within the same step budget as the evaluation, and again as much.
    pub fn evaluate_with_remedies(
        &self,
        input: Result<Value, InputErrors>,
        data: Result<&ReferenceData, &InputErrors>,
        today: Date,
    ) -> Result<Report<'_>, EvaluateError> {
        self.evaluate_reaching(input, data, today, self.limits.max_steps, true, &mut [])
    }

    /// [`Policy::evaluate_validated`] with the reference data and step limit of options read
    /// by [`Options::from_json_bytes`]; `today` is their `as_of` or the host's date.
    pub fn evaluate_with_options(
        &self,
        input: Result<Value, InputErrors>,
        options: &Options,
        today: Date,
    ) -> Result<Report<'_>, EvaluateError> {
        let data = options.data.as_ref();
        let (max_steps, remedies) = (options.max_steps, options.remedies);
        self.evaluate_reaching(input, data, today, max_steps, remedies, &mut [])
    }

    /// [`Policy::evaluate_validated`] within `max_steps`, with the remedies when asked, that
    /// sets `reached[id]` for each branch it takes (`Program::branches`, what coverage counts;
    /// an empty `reached` records nothing).
    pub(crate) fn evaluate_reaching(
        &self,
        input: Result<Value, InputErrors>,
        data: Result<&ReferenceData, &InputErrors>,
        today: Date,
        max_steps: u64,
        remedies: bool,
        reached: &mut [bool],
    ) -> Result<Report<'_>, EvaluateError> {
        match (input, data) {
            (Ok(input), Ok(data)) => {
                let mut report = eval::evaluate_reaching(
                    &self.program,
                    &input,
                    data,
                    today,
                    max_steps,
                    reached,
                )?;
                if remedies {
                    let found =
                        remedy::remedies(&self.program, &report, &input, data, today, max_steps)?;
                    report.remedies = Some(found);
                }
                Ok(report)
            }
            (Err(errors), Ok(_)) => Err(errors.into()),
            (Ok(_), Err(errors)) => Err(errors.clone().into()),
            (Err(a), Err(b)) => Err(a.merge(b.clone()).into()),
        }
    }

    /// Runs every `example` block; `today` is used by examples without `as_of`.
    pub fn run_examples(&self, today: Date) -> Vec<ExampleResult> {
        examples::run(self, today)
    }

    /// [`Policy::run_examples`], and what the examples cover: each rule's outcomes, each
    /// `if` branch and `match` arm reached (docs/coverage.md).
    pub fn run_examples_with_coverage(&self, today: Date) -> (Vec<ExampleResult>, Coverage) {
        examples::run_with_coverage(self, today)
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

/// The options of an evaluation on the JSON-text hosts (the wasm-bindgen API, the `abi`
/// module and through it `procura serve`), one spelling everywhere (LANGUAGE.md §8):
/// `{"as_of": "YYYY-MM-DD", "data": {...}, "max_steps": N}`, every member optional; `null`
/// is no options. Read by [`Options::from_json_bytes`], the one reader every host uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// `as_of`, the value of `today`; `None` when absent or `null` (the host then supplies its
    /// own date, or refuses the options when it has no clock).
    pub as_of: Option<Date>,
    /// `data`, reference data for the tables without a body: an object, or that object as JSON
    /// text (as read from a file); validated against the policy, its errors at `$data` (none
    /// supplied is validated as `null`).
    pub data: Result<ReferenceData, InputErrors>,
    /// `max_steps`, the step budget of this evaluation: a whole number from 1 to 2^53; the
    /// policy's [`Limits::max_steps`] when absent or `null`.
    pub max_steps: u64,
    /// `remedies`: whether the report gives the remedies of the rules that keep the decision
    /// from `approve` (`crate::remedy`); `false` when absent or `null`.
    pub remedies: bool,
}

impl Options {
    /// The names of the options.
    pub const KEYS: [&'static str; 4] = ["as_of", "data", "max_steps", "remedies"];

    /// Reads options given as JSON text for `policy`, held to its [`Limits`]: text over
    /// [`Limits::max_options_bytes`], not JSON, not an object (or `null`), a member of the
    /// wrong type or an unknown member (a misspelt `as_of` would otherwise silently evaluate
    /// as of another day) is an error at `$options` or `$options.KEY`; every such error is
    /// reported. Errors of the reference data itself are kept in [`Options::data`].
    pub fn from_json_bytes(text: &[u8], policy: &Policy) -> Result<Options, InputErrors> {
        let limits = policy.limits();
        input::check_size(input::OPTIONS, text, limits)?;
        let malformed = |error| InputErrors::malformed_json(input::OPTIONS, &error);
        let members = match input::object_members(text).map_err(malformed)? {
            Some(members) => members,
            None => match serde_json::from_slice(text).map_err(malformed)? {
                serde_json::Value::Null => Default::default(),
                other => {
                    return Err(option_error(
                        input::OPTIONS.to_owned(),
                        "object",
                        &other,
                        "the options must be a JSON object".to_owned(),
                    ));
                }
            },
        };
        let (mut as_of, mut max_steps, mut data) = (None, limits.max_steps, Ok(None));
        let mut remedies = false;
        let mut errors = InputErrors { errors: Vec::new() };
        for (key, raw) in members {
            let path = format!("{}.{key}", input::OPTIONS);
            let value = || serde_json::from_str::<serde_json::Value>(raw.get()).map_err(malformed);
            let read = match key.as_str() {
                "as_of" => value().and_then(|value| {
                    if !value.is_null() {
                        as_of = Some(read_date(&path, &value)?);
                    }
                    Ok(())
                }),
                "max_steps" => value().and_then(|value| {
                    if !value.is_null() {
                        max_steps = read_steps(&path, &value)?;
                    }
                    Ok(())
                }),
                "remedies" => value().and_then(|value| match value {
                    serde_json::Value::Bool(b) => {
                        remedies = b;
                        Ok(())
                    }
                    serde_json::Value::Null => Ok(()),
                    other => Err(option_error(
                        path,
                        "bool",
                        &other,
                        "`remedies` must be true or false".to_owned(),
                    )),
                }),
                // Text is the reference data as JSON, read like the CLI's `--data` file: its
                // errors are at `$data`, and a host need not parse it first. So is an object:
                // its own text is held to the data's size limit.
                "data" => {
                    data = match serde_json::from_str::<String>(raw.get()) {
                        Ok(text) => input::parse_json("$data", text.as_bytes(), limits).map(Some),
                        Err(_) => input::parse_data(raw, limits),
                    };
                    Ok(())
                }
                _ => value().and_then(|value| {
                    let help = did_you_mean(&key, Options::KEYS)
                        .map_or_else(String::new, |name| format!(": did you mean `{name}`?"));
                    Err(option_error(
                        path,
                        "`as_of`, `data`, `max_steps` or `remedies`",
                        &value,
                        format!("unknown option `{key}`{help}"),
                    ))
                }),
            };
            if let Err(more) = read {
                errors = errors.merge(more);
            }
        }
        if !errors.errors.is_empty() {
            return Err(errors);
        }
        Ok(Options {
            as_of,
            data: data.and_then(|json| policy.reference_data(json.as_ref())),
            max_steps,
            remedies,
        })
    }
}

/// A date given as the option `as_of` alone (the wasm-bindgen API's `runExamples(as_of)`),
/// with the error the options would have at `$options.as_of`.
pub fn as_of_from_str(text: &str) -> Result<Date, InputErrors> {
    let value = serde_json::Value::String(text.to_owned());
    read_date(&format!("{}.as_of", input::OPTIONS), &value)
}

fn read_date(path: &str, value: &serde_json::Value) -> Result<Date, InputErrors> {
    let message = match value {
        serde_json::Value::String(text) => match Date::parse(text) {
            Some(date) => return Ok(date),
            None => format!("`{text}` is not a valid date: expected YYYY-MM-DD"),
        },
        _ => "`as_of` must be a date written YYYY-MM-DD".to_owned(),
    };
    Err(option_error(
        path.to_owned(),
        "date (YYYY-MM-DD)",
        value,
        message,
    ))
}

/// The largest `max_steps` option: every whole number up to it is exact in a JSON number.
const MAX_STEPS_OPTION: u64 = 1 << 53;

fn read_steps(path: &str, value: &serde_json::Value) -> Result<u64, InputErrors> {
    let steps = value
        .as_u64()
        .filter(|s| (1..=MAX_STEPS_OPTION).contains(s));
    steps.ok_or_else(|| {
        option_error(
            path.to_owned(),
            "a whole number from 1 to 9,007,199,254,740,992",
            value,
            "`max_steps` must be a whole number of evaluation steps, at least 1".to_owned(),
        )
    })
}

/// An error of the options: one input error, its finding summarised as every input error's.
fn option_error(
    path: String,
    expected: &str,
    found: &serde_json::Value,
    message: String,
) -> InputErrors {
    InputErrors {
        errors: vec![input::error(path, expected.to_owned(), found, message)],
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
