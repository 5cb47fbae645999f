//! The JavaScript host (browsers and Node) through wasm-bindgen.
//!
//! Every structured value leaves Rust as the same `serde_json` value the CLI prints, so a
//! report, a diagnostic or an input error has one shape on every host. Reports go further:
//! `evaluateJson` returns the very bytes of `Report::to_json`, and `evaluate` is `JSON.parse` of
//! them. Thrown values are `Error`s whose `name` tells them apart (`CompileError` with
//! `diagnostics`, `InvalidInputError` with `errors`).

use std::cell::RefCell;

use serde_json::{Value as Json, json};
use wasm_bindgen::prelude::*;

use crate::date::Date;
use crate::eval::EvalError;
use crate::input::{InputError, InputErrors};
use crate::policy::{EvaluateError, ExampleResult, LastOptions, Options, Sources, as_of_from_str};
use crate::span::{LineCol, Span};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A compile error or warning; lines and columns are 1-based, columns count Unicode characters,
 * and the end position is just past the last character. */
export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  message: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  help: string | null;
  /** The library the diagnostic is in, as a key of `CompileOptions.files`; `null` for the
   * compiled source itself. Lines and columns are within that file. */
  file: string | null;
}

/** Options of `compile` and `check`. */
export interface CompileOptions {
  /** The libraries the policy imports (LANGUAGE.md §9.1), by path from the compiled source's
   * directory, `/`-separated, without `.` or `..` (`{"common/minerals.policy": "..."}`). */
  files?: { [path: string]: string } | null;
}

/** Thrown by `compile`: `diagnostics` lists every error and warning found. */
export interface CompileError extends Error {
  name: "CompileError";
  diagnostics: Diagnostic[];
}

/** One invalid value of the input, the reference data or the options, by JSON path
 * (`$.smelters[2].rmap_status`, `$data.cpi.DK`, `$options.as_of`). */
export interface InputError {
  path: string;
  expected: string;
  found: string;
  message: string;
}

/** Thrown by `evaluate`, `evaluateJson` and `runExamples`: `errors` lists every problem found. */
export interface InvalidInputError extends Error {
  name: "InvalidInputError";
  errors: InputError[];
}

/** Thrown by `evaluate` and `evaluateJson` when the record needs more evaluation steps than
 * the engine allows (a loop over a list inside a loop over a long list). */
export interface EvaluationError extends Error {
  name: "EvaluationError";
  help: string;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Options of `evaluate`; `evaluateJson` takes the same object as JSON text. Spelt as on every
 * host (LANGUAGE.md §8, `procura serve`, the `abi` module); other keys are errors. */
export interface EvaluateOptions {
  /** The evaluation date (`today` in the policy) as `YYYY-MM-DD`; defaults to today in UTC. */
  as_of?: string | null;
  /** Reference data for the tables without a body: `{table: {key: value}}`, or that object
   * as JSON text (as read from a file; its errors are then at `$data`, as in the CLI). */
  data?: { [table: string]: { [key: string]: JsonValue } } | string | null;
  /** The evaluation step budget (a whole number, at least 1); defaults to 5,000,000. */
  max_steps?: number | null;
  /** Whether the report gives `remedies`: for each rule that keeps the decision from
   * `approve`, the changes of input that would make it pass (docs/remedies.md). */
  remedies?: boolean | null;
}

/** A change of the value at an input path (`supplier.ecovadis.ethics`); `now` is its value
 * now (`null` when missing). */
export type Change =
  | { change: "at_least" | "more_than" | "at_most" | "less_than" | "equal" | "not_equal";
      path: string; value: JsonValue; now: JsonValue }
  | { change: "one_of" | "none_of" | "add_one_of" | "add_all" | "remove";
      path: string; values: JsonValue[]; now: JsonValue }
  | { change: "supply" | "clear"; path: string; now: JsonValue };

/** What would make a rule pass: one change, every part (`all`), any one part (`any`), the
 * change of an element of an input list, or no simple change and why. */
export type Remedy =
  | Change
  | { all: Remedy[] }
  | { any: Remedy[] }
  | { element: string; remedy: Remedy }
  | { no_simple_change: string };

export interface RuleReport {
  name: string;
  title: string | null;
  outcome: "passed" | "failed" | "missing" | "not_applicable";
  verdict: "reject" | "review" | "warn" | null;
  message: string | null;
  missing: string[];
  /** The input elements that made a failed rule's quantifiers fail (LANGUAGE.md §9.8). */
  evidence: string[];
  line: number;
}

export interface ScoreReport {
  value: number | null;
  components: { name: string; weight: number; value: number | null; contribution: number | null }[];
}

/** The decision report of LANGUAGE.md §8. */
export interface Report {
  /** `sha256`: of the policy's source and libraries, lowercase hex (LANGUAGE.md §9.10). */
  policy: { title: string | null; version: string | null; sha256: string };
  /** The evaluation date, `YYYY-MM-DD`. */
  as_of: string;
  /** Of the reference data, written canonically; `null` when the policy uses none. */
  data_sha256: string | null;
  decision: "approve" | "review" | "incomplete" | "reject";
  rules: RuleReport[];
  scores: { [name: string]: ScoreReport };
  values: { [name: string]: JsonValue };
  missing: string[];
  notes: string[];
  /** Only with the option `remedies`: one per rule that keeps the decision from `approve`. */
  remedies?: { rule: string; remedy: Remedy }[];
}

/** The declared type of an input field; `optional` is true for `T?`. */
export type FieldType =
  | { kind: "number" | "text" | "bool" | "date"; optional: boolean }
  | { kind: "union"; optional: boolean; values: string[] }
  | { kind: "list"; optional: boolean; element: FieldType }
  | { kind: "record"; optional: boolean; name: string | null; fields: InputField[] };

export interface InputField {
  name: string;
  type: FieldType;
}

/** The `input` declaration: its name (the root of paths) and its fields in declaration order. */
export interface InputSchema {
  name: string;
  fields: InputField[];
}

export interface Example {
  title: string;
  line: number;
  given: JsonValue;
  data: JsonValue;
  /** The example's `as_of`, or null when it uses the evaluation date. */
  as_of: string | null;
}

export interface ExampleResult {
  title: string;
  line: number;
  passed: boolean;
  failures: { line: number; subject: string; expected: string; actual: string }[];
}

/** A range of text: in the analysed source when `file` is `null`, else in that library (a key
 * of `CompileOptions.files`). Lines and columns as in `Diagnostic`. */
export interface Range {
  file: string | null;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
}

/** What `Analysis.hover` shows: the name hovered (in the analysed source) and, as Markdown, its
 * declaration in a `procura` code block followed by what it is (a rule's title, ...). */
export interface Hover extends Range {
  file: null;
  markdown: string;
}

/** What may be written at a position; `detail` is the declaration or signature ("" for a
 * keyword; for a union member, the path compared with the string). */
export interface Completion {
  label: string;
  kind: "input" | "field" | "type" | "const" | "table" | "let" | "function" | "parameter" | "score"
    | "component" | "rule" | "variable" | "builtin" | "keyword" | "member";
  detail: string;
}

/** What the examples cover (docs/coverage.md): two items per rule (made to pass, made to
 * fail), one per `if` branch and `match` arm; `percent` is covered / items, one decimal. */
export interface Coverage {
  items: number;
  covered: number;
  percent: number;
  rules: {
    name: string;
    line: number;
    /** How many examples gave each outcome. */
    outcomes: { passed: number; failed: number; missing: number; not_applicable: number };
    /** The items no example covers. */
    uncovered: ("passed" | "failed")[];
  }[];
  branches: {
    /** The library it is written in, as a key of `CompileOptions.files`; `null` in the policy. */
    file: string | null;
    line: number;
    /** `if then`, `if else`, `match arm N`, `match else`. */
    branch: string;
    /** The item that evaluates it: `let NAME`, `rule NAME`, `function NAME`, ... */
    in: string;
    /** How many examples reached it. */
    reached: number;
  }[];
}
"#;

#[wasm_bindgen]
extern "C" {
    /// An imported type only so that the declaration can mark the argument optional.
    #[wasm_bindgen(typescript_type = "EvaluateOptions")]
    pub type EvaluateOptions;

    #[wasm_bindgen(typescript_type = "CompileOptions")]
    pub type CompileOptions;
}

/// All diagnostics of a source and its libraries, errors and warnings, sorted by file and
/// position.
#[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
pub fn check(source: &str, options: Option<CompileOptions>) -> Result<JsValue, JsValue> {
    let sources = sources(source, options)?;
    to_js(&sources.diagnostics_json(&crate::policy::check_sources(&sources)))
}

/// Compiles a policy, or throws a `CompileError` carrying every diagnostic.
#[wasm_bindgen]
pub fn compile(source: &str, options: Option<CompileOptions>) -> Result<Policy, JsValue> {
    let sources = sources(source, options)?;
    match crate::policy::compile_sources(&sources) {
        Ok(policy) => Ok(Policy {
            policy,
            sources,
            options: RefCell::default(),
        }),
        Err(diagnostics) => {
            let first = diagnostics.iter().find(|d| d.is_error());
            let message = match first {
                Some(d) => {
                    let at = match sources.text_and_lines(d.file.as_deref()) {
                        Some((text, lines)) => lines.line_col(text, d.span.start as usize),
                        None => LineCol { line: 0, column: 0 },
                    };
                    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                    let file = d
                        .file
                        .as_deref()
                        .map(|f| format!(" in {f}"))
                        .unwrap_or_default();
                    format!(
                        "policy does not compile: {}{file} at line {}, column {}{}",
                        d.message,
                        at.line,
                        at.column,
                        more(errors)
                    )
                }
                None => "policy does not compile".to_owned(),
            };
            Err(error(
                "CompileError",
                &message,
                "diagnostics",
                &sources.diagnostics_json(&diagnostics),
            ))
        }
    }
}

/// Analyses a policy for an editor, whether or not it compiles (docs/lsp.md: the analysis
/// `procura lsp` answers from).
#[wasm_bindgen]
pub fn analyze(source: &str, options: Option<CompileOptions>) -> Result<Analysis, JsValue> {
    let sources = sources(source, options)?;
    Ok(Analysis {
        analysis: crate::ide::Analysis::new(sources),
    })
}

/// The policy's files: `source` and the libraries of `options.files`. A value of `files` that
/// is not a string is a library that cannot be read (a diagnostic of its `import`).
fn sources(source: &str, options: Option<CompileOptions>) -> Result<Sources, JsValue> {
    let files = match options {
        Some(options) => js_sys::Reflect::get(&options, &JsValue::from_str("files"))?,
        None => JsValue::NULL,
    };
    if files.is_null() || files.is_undefined() {
        return Ok(Sources::root(source));
    }
    if !files.is_object() {
        return Err(js_sys::TypeError::new("`files` must be an object of path: text").into());
    }
    Ok(Sources::load(source, |path| {
        match js_sys::Reflect::get(&files, &JsValue::from_str(path)) {
            Ok(text) if text.is_undefined() => Err(format!("`files` has no `{path}`")),
            Ok(text) => text
                .as_string()
                .ok_or_else(|| format!("`files[\"{path}\"]` is not a string")),
            Err(_) => Err(format!("`files[\"{path}\"]` cannot be read")),
        }
    }))
}

/// A compiled policy. Evaluation never changes it; evaluate as many records as needed.
#[wasm_bindgen]
pub struct Policy {
    policy: crate::Policy,
    /// Kept to turn the spans of warnings into lines and columns.
    sources: Sources,
    /// What the options of the last evaluation gave: a form or a batch sends the same reference
    /// data with every record.
    options: RefCell<LastOptions<Result<Options, InputErrors>>>,
}

#[wasm_bindgen]
impl Policy {
    /// The title of the `policy` line, if any.
    #[wasm_bindgen(getter)]
    pub fn title(&self) -> Option<String> {
        self.policy.program().title.clone()
    }

    /// The version of the `policy` line, if any.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> Option<String> {
        self.policy.program().version.clone()
    }

    /// The warnings found while compiling.
    #[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
    pub fn warnings(&self) -> Result<JsValue, JsValue> {
        to_js(&self.sources.diagnostics_json(self.policy.warnings()))
    }

    /// Evaluates a record (any JSON-serialisable object: declared as `object` so that
    /// TypeScript interfaces fit); throws an `InvalidInputError` listing every invalid value.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "object")] input: JsValue,
        options: Option<EvaluateOptions>,
    ) -> Result<JsValue, JsValue> {
        let input = stringify("$", &input)?;
        let options = options.map(|o| stringify("$options", &o)).transpose()?;
        let report = self.evaluate_json(&input, options)?;
        js_sys::JSON::parse(&report)
    }

    /// `evaluate` on JSON text: the record and the options (`{"as_of", "data", "max_steps"}`)
    /// in, the report's
    /// JSON text out, byte for byte what `procura eval --format json` prints.
    #[wasm_bindgen(js_name = evaluateJson)]
    pub fn evaluate_json(&self, input: &str, options: Option<String>) -> Result<String, JsValue> {
        self.evaluate_bytes(input.as_bytes(), options)
    }

    /// `evaluateJson` on the record's bytes as read from a file or a request, without decoding
    /// them first: bytes that are not UTF-8 are malformed JSON, as on every other host.
    #[wasm_bindgen(js_name = evaluateBytes)]
    pub fn evaluate_bytes(&self, input: &[u8], options: Option<String>) -> Result<String, JsValue> {
        let input = self.policy.input_from_bytes(input);
        let mut last = self.options.borrow_mut();
        // Omitted options read as `null` does.
        let text = options.as_deref().unwrap_or("null");
        let options = last.get(text.as_bytes(), |text| {
            Options::from_json_bytes(text, &self.policy)
        });
        let result = match options {
            Ok(options) => {
                let today = options.as_of.unwrap_or_else(today);
                self.policy.evaluate_with_options(input, options, today)
            }
            // Invalid options stand where the reference data would: their errors follow the
            // record's, and nothing is evaluated.
            Err(errors) => self.policy.evaluate_validated(input, Err(errors), today()),
        };
        match result {
            Ok(report) => Ok(report.to_json()),
            Err(EvaluateError::Input(errors)) => Err(invalid_input(&errors)),
            Err(EvaluateError::Eval(error)) => Err(evaluation_error(&error)),
        }
    }

    /// The `input` declaration, for building a form.
    #[wasm_bindgen(js_name = inputSchema, unchecked_return_type = "InputSchema")]
    pub fn input_schema(&self) -> Result<JsValue, JsValue> {
        to_js(&self.policy.input_schema())
    }

    /// The `example` blocks with their records, for trying them out.
    #[wasm_bindgen(unchecked_return_type = "Example[]")]
    pub fn examples(&self) -> Result<JsValue, JsValue> {
        let examples: Vec<Json> = (self.policy.program().examples.iter())
            .map(|example| {
                json!({
                    "title": example.title,
                    "line": example.line,
                    "given": example.given,
                    "data": example.data,
                    "as_of": example.as_of.map(|date| date.to_string()),
                })
            })
            .collect();
        to_js(&Json::Array(examples))
    }

    /// Runs every `example` block; `as_of` (`YYYY-MM-DD`, default today) is the date of
    /// examples without `as_of`.
    #[wasm_bindgen(js_name = runExamples, unchecked_return_type = "ExampleResult[]")]
    pub fn run_examples(&self, as_of: Option<String>) -> Result<JsValue, JsValue> {
        let today = examples_date(as_of)?;
        let results = self.policy.run_examples(today);
        let results: Vec<Json> = results.iter().map(ExampleResult::to_json).collect();
        to_js(&Json::Array(results))
    }

    /// What the `example` blocks cover (docs/coverage.md): each rule's outcomes, each `if`
    /// branch and `match` arm reached; `as_of` as for `runExamples`.
    #[wasm_bindgen(unchecked_return_type = "Coverage")]
    pub fn coverage(&self, as_of: Option<String>) -> Result<JsValue, JsValue> {
        let today = examples_date(as_of)?;
        to_js(&self.policy.run_examples_with_coverage(today).1.to_json())
    }
}

/// What an editor asks about a policy: hover, completion and definition at a position, given
/// as a diagnostic's is (a 1-based line and a column counting Unicode characters).
#[wasm_bindgen]
pub struct Analysis {
    analysis: crate::ide::Analysis,
}

#[wasm_bindgen]
impl Analysis {
    /// The declaration of the name at a position and what it is, or `null` off a name.
    #[wasm_bindgen(unchecked_return_type = "Hover | null")]
    pub fn hover(&self, line: u32, column: u32) -> Result<JsValue, JsValue> {
        let Some(hover) = self.analysis.hover(self.offset(line, column)) else {
            return Ok(JsValue::NULL);
        };
        let mut json = self.range(None, hover.span);
        json["markdown"] = Json::String(hover.markdown);
        to_js(&json)
    }

    /// What may be written at a position: the fields of a record after `.`, the members of a
    /// literal union inside a string compared with it, else the names in scope, the built-ins
    /// and the keywords.
    #[wasm_bindgen(unchecked_return_type = "Completion[]")]
    pub fn completions(&self, line: u32, column: u32) -> Result<JsValue, JsValue> {
        let completions = self.analysis.completions(self.offset(line, column));
        let json = completions.into_iter().map(|completion| {
            json!({
                "label": completion.label,
                "kind": completion.kind.as_str(),
                "detail": completion.detail,
            })
        });
        to_js(&Json::Array(json.collect()))
    }

    /// Where the name at a position is declared (maybe in a library), or `null` off a name.
    #[wasm_bindgen(unchecked_return_type = "Range | null")]
    pub fn definition(&self, line: u32, column: u32) -> Result<JsValue, JsValue> {
        match self.analysis.definition(self.offset(line, column)) {
            Some(location) => to_js(&self.range(location.file.as_deref(), location.span)),
            None => Ok(JsValue::NULL),
        }
    }
}

impl Analysis {
    fn offset(&self, line: u32, column: u32) -> usize {
        let sources = self.analysis.sources();
        (sources.text_and_lines(None)).map_or(0, |(text, lines)| {
            lines.offset(text, LineCol { line, column })
        })
    }

    /// A `Range` of a span within `file` (`None`: the analysed source).
    fn range(&self, file: Option<&str>, span: Span) -> Json {
        // The analysis names only files of its sources.
        let Some((text, lines)) = self.analysis.sources().text_and_lines(file) else {
            return Json::Null;
        };
        let start = lines.line_col(text, span.start as usize);
        let end = lines.line_col(text, span.end as usize);
        json!({
            "file": file,
            "line": start.line,
            "column": start.column,
            "end_line": end.line,
            "end_column": end.column,
        })
    }
}

/// The date of examples without `as_of`: `as_of` (`YYYY-MM-DD`), else today.
fn examples_date(as_of: Option<String>) -> Result<Date, JsValue> {
    match as_of {
        // Read as the option `as_of` is, with its errors.
        Some(text) => as_of_from_str(&text).map_err(|e| invalid_input(&e)),
        None => Ok(today()),
    }
}

/// `JSON.stringify`, with `undefined` (which it leaves as `undefined`) read as `null`. What it
/// refuses (a cycle, a `BigInt`, nesting deeper than the JavaScript stack) is an input error
/// at `root`, like text that is not JSON.
fn stringify(root: &str, value: &JsValue) -> Result<String, JsValue> {
    match js_sys::JSON::stringify(value) {
        Ok(text) => Ok(text.as_string().unwrap_or_else(|| "null".to_owned())),
        Err(refused) => {
            let reason = (refused.dyn_ref::<js_sys::Error>())
                .and_then(|error| error.message().as_string())
                .unwrap_or_default();
            Err(invalid_input(&InputErrors {
                errors: vec![InputError {
                    path: root.to_owned(),
                    expected: "JSON".to_owned(),
                    found: "a value JSON.stringify refuses".to_owned(),
                    message: format!("cannot be written as JSON: {reason}"),
                }],
            }))
        }
    }
}

fn today() -> Date {
    let seconds = (js_sys::Date::now() / 1000.0).floor();
    // `as` saturates; any clock before 1970 or after 9999 is wrong anyway.
    Date::from_unix_seconds(seconds as i64)
}

fn invalid_input(errors: &InputErrors) -> JsValue {
    let message = match errors.errors.first() {
        Some(first) => format!(
            "invalid input at `{}`: {}{}",
            first.path,
            first.message,
            more(errors.errors.len())
        ),
        None => "invalid input".to_owned(),
    };
    let list = errors.to_json().get("errors").cloned().unwrap_or_default();
    error("InvalidInputError", &message, "errors", &list)
}

fn evaluation_error(evaluation: &EvalError) -> JsValue {
    let help = Json::String(evaluation.help());
    error("EvaluationError", &evaluation.to_string(), "help", &help)
}

fn more(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        2 => " (and 1 more error)".to_owned(),
        n => format!(" (and {} more errors)", n - 1),
    }
}

/// An `Error` named `name` with the list `items` as its property `property`.
fn error(name: &str, message: &str, property: &str, items: &Json) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    if let Ok(items) = to_js(items) {
        // Setting a property on a fresh `Error` cannot fail.
        let _ = js_sys::Reflect::set(&error, &JsValue::from_str(property), &items);
    }
    error.into()
}

/// A JSON value as the JavaScript value `JSON.parse` makes of its text: the engine's own parser
/// builds it in one call, where converting it field by field would cross into JavaScript for
/// every key and value (and would cost the browser module a second serialiser).
fn to_js(value: &Json) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&value.to_string())
}
