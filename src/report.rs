//! The decision report of LANGUAGE.md §8 and the one way values are printed.
//!
//! Architecture invariant: every number the engine prints, in JSON or in a rule message, goes
//! through [`format_number`], which follows JavaScript's `Number.prototype.toString`, so the
//! native CLI, the browser and wasmtime produce the same bytes.

use std::fmt::Write as _;
use std::sync::Arc;

pub use crate::ast::{Decision, Outcome, Verdict};
use crate::builtins::round_significant;
use crate::date::Date;
use crate::program::{Program, ProgramJson, RuleDef, Value};
use crate::remedy::{self, RuleRemedy};
use crate::types::Type;

/// The outcome of one evaluation. Names, titles, weights and types stay in the program and are
/// rendered by [`Report::to_json`]: a decision copies no text it does not compute.
#[derive(Debug, Clone, PartialEq)]
pub struct Report<'p> {
    pub(crate) program: &'p Program,
    /// The evaluation date (`today`), an audit field (LANGUAGE.md §9.10).
    pub as_of: Date,
    /// The SHA-256 of the reference data the evaluation used, written canonically; `None`
    /// when the policy uses none (LANGUAGE.md §9.10).
    pub data_sha256: Option<Arc<str>>,
    pub decision: Decision,
    /// In declaration order, one per `Program::rules`.
    pub rules: Vec<RuleReport>,
    /// In declaration order, one per `Program::scores`.
    pub scores: Vec<ScoreReport>,
    /// The value of every `let`, in declaration order; missing values are `Value::Missing`.
    pub values: Vec<Value>,
    /// Sorted, deduplicated union of the rules' missing paths.
    pub missing: Vec<String>,
    pub notes: Vec<String>,
    /// The remedies (`crate::remedy`), computed only when asked: a report without them is
    /// written as if the field did not exist.
    pub remedies: Option<Vec<RuleRemedy>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleReport {
    pub outcome: Outcome,
    /// Set when the outcome is `failed`.
    pub verdict: Option<Verdict>,
    /// The rendered message, set when the outcome is `failed`.
    pub message: Option<String>,
    /// Sorted, deduplicated input paths, set when the outcome is `missing`.
    pub missing: Vec<String>,
    /// The input elements that made the rule fail (LANGUAGE.md §9.8), set when the outcome is
    /// `failed` and only in a report.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreReport {
    pub value: Option<f64>,
    /// One per component of the score's definition.
    pub components: Vec<ComponentReport>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComponentReport {
    pub value: Option<f64>,
    pub contribution: Option<f64>,
}

impl<'p> Report<'p> {
    /// A summary for people (`procura eval --format text`): the decision and what led to it.
    pub fn to_text(&self) -> String {
        let program = self.program;
        let mut out = String::new();
        if let Some(title) = &program.title {
            let version = program
                .version
                .as_deref()
                .map(|v| format!(" (version {v})"));
            let _ = writeln!(out, "policy: {title}{}", version.unwrap_or_default());
        }
        let _ = writeln!(out, "decision: {}", self.decision.as_str());
        let rules = || program.rules.iter().zip(&self.rules);
        let failed = |warnings: bool| {
            rules().filter(move |(_, rule)| {
                rule.verdict
                    .is_some_and(|verdict| (verdict == Verdict::Warn) == warnings)
            })
        };
        section(&mut out, "failed rules", failed(false), write_failed_rule);
        let missing = rules().filter(|(_, rule)| !rule.missing.is_empty());
        section(&mut out, "missing data", missing, |out, (def, rule)| {
            let _ = writeln!(
                out,
                "  {} (line {}): {}",
                def.name,
                def.line,
                rule.missing.join(", ")
            );
        });
        section(&mut out, "warnings", failed(true), write_failed_rule);
        let scores = program.scores.iter().zip(&self.scores);
        section(&mut out, "scores", scores, |out, (def, score)| {
            let _ = writeln!(out, "  {} = {}", def.name, number_or_missing(score.value));
            for (def, component) in def.components.iter().zip(&score.components) {
                let percent = (def.weight * 10_000.0).round() / 100.0;
                let _ = writeln!(
                    out,
                    "    {} {percent}% of {} = {}",
                    def.name,
                    number_or_missing(component.value),
                    number_or_missing(component.contribution)
                );
            }
        });
        let values = (program.lets.iter().zip(&self.values)).filter(|(def, _)| !def.is_private());
        section(&mut out, "values", values, |out, (def, value)| {
            let _ = write!(out, "  {} = ", def.name);
            if value.is_missing() {
                out.push_str("missing");
            } else {
                write_value(out, value, Some(&def.ty));
            }
            out.push('\n');
        });
        section(&mut out, "notes", self.notes.iter(), |out, note| {
            let _ = writeln!(out, "  {note}");
        });
        if let Some(remedies) = self.remedies.as_deref().filter(|r| !r.is_empty()) {
            out.push_str("\nto become eligible:\n");
            remedy::write_text(&mut out, program, remedies);
        }
        out
    }

    /// The report as compact, deterministic JSON text (keys in the order of LANGUAGE.md §8).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(1024);
        self.write_json(&mut out);
        out
    }

    /// [`Report::to_json`] appended to a buffer, which a batch reuses from record to record.
    pub fn write_json(&self, out: &mut String) {
        let program = self.program;
        let json = &program.json;
        out.push_str(&json.head);
        // A date needs no escape.
        out.push('"');
        self.as_of.write_iso(out);
        out.push('"');
        out.push_str(",\"data_sha256\":");
        write_opt_str(out, self.data_sha256.as_deref());
        out.push_str(",\"decision\":");
        write_str(out, self.decision.as_str());
        out.push_str(",\"rules\":[");
        for (i, ((head, tail), rule)) in json.rules.iter().zip(&self.rules).enumerate() {
            comma(out, i);
            out.push_str(head);
            let plain = RuleReport {
                outcome: Outcome::Passed,
                verdict: None,
                message: None,
                missing: Vec::new(),
                evidence: Vec::new(),
            };
            if *rule == plain {
                // Most rules pass: their fixed fields are one copy.
                out.push_str(
                    ",\"outcome\":\"passed\",\"verdict\":null,\"message\":null,\"missing\":[],\"evidence\":[]",
                );
            } else {
                out.push_str(",\"outcome\":");
                write_str(out, rule.outcome.as_str());
                out.push_str(",\"verdict\":");
                write_opt_str(out, rule.verdict.map(Verdict::as_str));
                out.push_str(",\"message\":");
                write_opt_str(out, rule.message.as_deref());
                out.push_str(",\"missing\":");
                write_str_list(out, &rule.missing);
                out.push_str(",\"evidence\":");
                write_str_list(out, &rule.evidence);
            }
            out.push_str(tail);
        }
        out.push_str("],\"scores\":{");
        for (i, ((name, components), score)) in json.scores.iter().zip(&self.scores).enumerate() {
            comma(out, i);
            out.push_str(name);
            out.push_str(":{\"value\":");
            write_opt_number(out, score.value);
            out.push_str(",\"components\":[");
            for (j, (head, component)) in components.iter().zip(&score.components).enumerate() {
                comma(out, j);
                out.push_str(head);
                out.push_str(",\"value\":");
                write_opt_number(out, component.value);
                out.push_str(",\"contribution\":");
                write_opt_number(out, component.contribution);
                out.push('}');
            }
            out.push_str("]}");
        }
        out.push_str("},\"values\":{");
        let lets = program.lets.iter().zip(&json.lets).zip(&self.values);
        let public = lets.filter(|((def, _), _)| !def.is_private());
        for (i, ((def, name), value)) in public.enumerate() {
            comma(out, i);
            out.push_str(name);
            out.push(':');
            write_value(out, value, Some(&def.ty));
        }
        out.push_str("},\"missing\":");
        write_str_list(out, &self.missing);
        out.push_str(",\"notes\":");
        write_str_list(out, &self.notes);
        if let Some(remedies) = &self.remedies {
            out.push_str(",\"remedies\":");
            remedy::write_json(out, program, remedies);
        }
        out.push('}');
    }
}

/// A failed rule in [`Report::to_text`]: its name, title and verdict, the message, and the
/// evidence (LANGUAGE.md §9.8) under it.
fn write_failed_rule(out: &mut String, (def, rule): (&RuleDef, &RuleReport)) {
    let _ = write!(out, "  {}", def.name);
    if let Some(title) = &def.title {
        out.push(' ');
        write_str(out, title);
    }
    let verdict = rule.verdict.map_or("", Verdict::as_str);
    let _ = writeln!(out, " (line {}): {verdict}", def.line);
    let _ = writeln!(out, "    {}", rule.message.as_deref().unwrap_or_default());
    if !rule.evidence.is_empty() {
        let _ = writeln!(out, "    evidence: {}", rule.evidence.join(", "));
    }
}

/// The JSON text of `program`'s names and titles that every report writes ([`ProgramJson`]).
pub(crate) fn program_json(program: &Program) -> ProgramJson {
    let string = |text: &str| {
        let mut out = String::new();
        write_str(&mut out, text);
        out
    };
    let mut head = String::from("{\"policy\":{\"title\":");
    write_opt_str(&mut head, program.title.as_deref());
    head.push_str(",\"version\":");
    write_opt_str(&mut head, program.version.as_deref());
    head.push_str(",\"sha256\":");
    write_str(&mut head, &program.sha256);
    head.push_str("},\"as_of\":");
    let rules = (program.rules.iter())
        .map(|rule| {
            let mut out = String::from("{\"name\":");
            write_str(&mut out, &rule.name);
            out.push_str(",\"title\":");
            write_opt_str(&mut out, rule.title.as_deref());
            let mut tail = String::from(",\"line\":");
            write_integer(&mut tail, i64::from(rule.line));
            tail.push('}');
            (out, tail)
        })
        .collect();
    let scores = (program.scores.iter())
        .map(|score| {
            let components = (score.components.iter())
                .map(|component| {
                    let mut out = String::from("{\"name\":");
                    write_str(&mut out, &component.name);
                    out.push_str(",\"weight\":");
                    write_opt_number(&mut out, Some(component.weight));
                    out
                })
                .collect();
            (string(&score.name), components)
        })
        .collect();
    let lets = program.lets.iter().map(|def| string(&def.name)).collect();
    ProgramJson {
        head,
        rules,
        scores,
        lets,
    }
}

/// A number as JavaScript's `Number.prototype.toString` prints it: whole numbers without a
/// fraction, the shortest decimal that reads back as the same f64, and exponent form only below
/// 1e-6 or from 1e21 in magnitude (`1e+21`, `1.5e-7`). `-0` prints `0`.
pub fn format_number(n: f64) -> String {
    let mut out = String::new();
    write_number(&mut out, n);
    out
}

/// [`format_number`] into a buffer.
pub fn write_number(out: &mut String, n: f64) {
    if n == 0.0 {
        out.push('0');
        return;
    }
    if !n.is_finite() {
        out.push_str(if n.is_nan() {
            "NaN"
        } else if n > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        });
        return;
    }
    // Whole numbers print as integers; formatting an integer is far cheaper than finding the
    // shortest digits of a float. (A round trip through `i64` tells a whole number without
    // the call to `trunc` that `fract` makes.)
    if n.abs() < 1e15 && (n as i64) as f64 == n {
        write_integer(out, n as i64);
        return;
    }
    if write_short_decimal(out, n) {
        return;
    }
    // In this range Rust's `{}` already prints the shortest round-trip digits without an
    // exponent, exactly as JavaScript does.
    if (1e-6..1e21).contains(&n.abs()) {
        let _ = write!(out, "{n}");
        return;
    }
    let scientific = format!("{:e}", n.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let (first, rest) = mantissa.split_at(1.min(mantissa.len()));
    if n < 0.0 {
        out.push('-');
    }
    out.push_str(first);
    let rest = rest.trim_start_matches('.');
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out.push('e');
    if !exponent.starts_with('-') {
        out.push('+');
    }
    out.push_str(exponent);
}

/// Powers of ten up to the most fraction digits [`write_short_decimal`] tries.
const TENS: [f64; 5] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0];

/// Whether `digits / 10^places` reads back as exactly `n`: both operands are exact, so the
/// division rounds once, as parsing the decimal does.
fn reads_back(digits: i64, places: usize, n: f64) -> bool {
    TENS.get(places).is_some_and(|ten| digits as f64 / ten == n)
}

/// Writes `n` when it is a short decimal (`47.5`, `0.25`, `-11.75`) and returns `true`, far
/// cheaper than finding the shortest digits in general; `false` leaves `out` untouched for the
/// general path. The digits are the shortest that read back, and the closest to `n`: the
/// scaled value stays below 2^50, so it is within 1/16 of the integer it rounds to, and only
/// the two neighbours of `digits / 10` could read back with one place fewer.
fn write_short_decimal(out: &mut String, n: f64) -> bool {
    const LIMIT: f64 = (1u64 << 50) as f64;
    for places in 1..TENS.len() {
        let Some(ten) = TENS.get(places) else {
            return false;
        };
        let scaled = n * ten;
        if scaled.abs() >= LIMIT {
            return false;
        }
        let digits = scaled as i64;
        if digits as f64 != scaled {
            continue;
        }
        if !reads_back(digits, places, n) {
            continue;
        }
        let shorter = digits.div_euclid(10);
        if places > 1
            && (reads_back(shorter, places - 1, n) || reads_back(shorter + 1, places - 1, n))
        {
            return false;
        }
        let unit = *ten as u64;
        if n < 0.0 {
            out.push('-');
        }
        let magnitude = digits.unsigned_abs();
        write_digits(out, magnitude / unit, 1);
        out.push('.');
        // With its leading zeros (`0.05`).
        write_digits(out, magnitude % unit, places);
        return true;
    }
    false
}

/// An integer in decimal, without the formatting machinery (reports print many of them).
fn write_integer(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    write_digits(out, n.unsigned_abs(), 1);
}

/// `n` in decimal, zero-padded to at least `width` digits (at most 20), pushed at once: a
/// `char` at a time costs a capacity check and a UTF-8 test each. The one digit writer of
/// reports, for integers and dates.
pub(crate) fn write_digits(out: &mut String, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let (mut rest, mut start) = (n, digits.len());
    loop {
        start -= 1;
        if let Some(digit) = digits.get_mut(start) {
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || start == 0 {
            break;
        }
    }
    let start = start.min(digits.len().saturating_sub(width));
    let text = digits.get(start..).unwrap_or_default();
    out.push_str(std::str::from_utf8(text).unwrap_or_default());
}

/// Renders a value as interpolation prints it (LANGUAGE.md §9.4), in rule messages, every
/// interpolated string and `to_text`: texts unquoted, numbers rounded to 15 significant
/// digits, lists as `a, b, c` (`none` when empty, inner lists in brackets), records as
/// `{name: value, ...}` (positional `{value, ...}` when the record type is unknown).
pub fn render_text(out: &mut String, value: &Value, ty: Option<&Type>) {
    match value {
        Value::Number(n) => write_number(out, round_significant(*n, 15)),
        Value::List(items) if items.is_empty() => out.push_str("none"),
        Value::List(items) => render_elements(out, items, ty.and_then(Type::list_element)),
        Value::Record(fields) => {
            out.push('{');
            for (i, (name, ty, field)) in record_fields(fields, ty).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if let Some(name) = name {
                    let _ = write!(out, "{name}: ");
                }
                render_element(out, field, ty);
            }
            out.push('}');
        }
        other => write_plain(out, other),
    }
}

fn render_elements(out: &mut String, items: &[Value], element: Option<&Type>) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        render_element(out, item, element);
    }
}

/// A value inside a list or record: a list in brackets, so that `[a, b], [c]` keeps its shape.
fn render_element(out: &mut String, value: &Value, ty: Option<&Type>) {
    match value {
        Value::List(items) => {
            out.push('[');
            render_elements(out, items, ty.and_then(Type::list_element));
            out.push(']');
        }
        other => render_text(out, other, ty),
    }
}

/// A scalar as §8 prints it, numbers exactly: JSON values, table keys in paths and audit
/// data. (A list or record renders as interpolation does.)
pub fn write_plain(out: &mut String, value: &Value) {
    match value {
        Value::Missing(_) => out.push_str("missing"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, *n),
        Value::Text(t) => out.push_str(t),
        Value::Date(d) => d.write_iso(out),
        Value::Duration(d) => {
            let _ = write!(out, "{d}");
        }
        Value::List(_) | Value::Record(_) => render_text(out, value, None),
    }
}

/// Writes a value as JSON: missing is `null`, dates and durations are strings, records are
/// objects when their type is known (else arrays).
pub fn write_value(out: &mut String, value: &Value, ty: Option<&Type>) {
    match value {
        Value::Missing(_) => out.push_str("null"),
        Value::Bool(_) | Value::Number(_) => write_plain(out, value),
        Value::Text(t) => write_str(out, t),
        Value::Date(_) | Value::Duration(_) => {
            let mut text = String::new();
            write_plain(&mut text, value);
            write_str(out, &text);
        }
        Value::List(items) => {
            let element = ty.and_then(Type::list_element);
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                comma(out, i);
                write_value(out, item, element);
            }
            out.push(']');
        }
        Value::Record(fields) => {
            let named = record_type(ty).is_some();
            out.push(if named { '{' } else { '[' });
            for (i, (name, ty, field)) in record_fields(fields, ty).enumerate() {
                comma(out, i);
                if let Some(name) = name {
                    write_str(out, name);
                    out.push(':');
                }
                write_value(out, field, ty);
            }
            out.push(if named { '}' } else { ']' });
        }
    }
}

fn record_type(ty: Option<&Type>) -> Option<&crate::types::RecordType> {
    match ty.map(Type::required) {
        Some(Type::Record(record)) => Some(record),
        _ => None,
    }
}

/// The fields of a record value with their names and types when the record type is known.
fn record_fields<'v>(
    fields: &'v [Value],
    ty: Option<&'v Type>,
) -> impl Iterator<Item = (Option<&'v str>, Option<&'v Type>, &'v Value)> {
    let record = record_type(ty);
    fields.iter().enumerate().map(move |(i, value)| {
        let field = record.and_then(|r| r.fields.get(i));
        (field.map(|f| &*f.name), field.map(|f| &f.ty), value)
    })
}

fn comma(out: &mut String, index: usize) {
    if index > 0 {
        out.push(',');
    }
}

fn write_opt_number(out: &mut String, n: Option<f64>) {
    match n {
        Some(n) if n.is_finite() => write_number(out, n),
        _ => out.push_str("null"),
    }
}

fn write_opt_str(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => write_str(out, text),
        None => out.push_str("null"),
    }
}

fn write_str_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        comma(out, i);
        write_str(out, item);
    }
    out.push(']');
}

fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut chunks = bytes.chunks_exact(16);
    // No early exit inside a chunk, so that each chunk is checked in a few vector instructions.
    let chunked = chunks.any(|chunk| chunk.iter().fold(false, |any, b| any | special(*b)));
    chunked || chunks.remainder().iter().any(|b| special(*b))
}

/// Whether `name` is written bare in source and paths (`[A-Za-z_][A-Za-z0-9_]*`).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A field of a path: `.name` for identifiers, `["odd key"]` (JSON-escaped) otherwise.
pub(crate) fn write_field(out: &mut String, name: &str) {
    if is_identifier(name) {
        out.push('.');
        out.push_str(name);
    } else {
        out.push('[');
        write_str(out, name);
        out.push(']');
    }
}

/// A JSON string literal, escaped exactly as serde_json escapes it.
pub fn write_str(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    // Most texts need no escape: a check the compiler vectorises, then a single copy.
    if !needs_escape(text.as_bytes()) {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut plain = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..0x20 => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so these slices fall on character boundaries.
        out.push_str(text.get(plain..i).unwrap_or_default());
        plain = i + 1;
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(text.get(plain..).unwrap_or_default());
    out.push('"');
}

/// A titled block of lines, left out when there is nothing to list.
fn section<T>(
    out: &mut String,
    title: &str,
    items: impl Iterator<Item = T>,
    mut line: impl FnMut(&mut String, T),
) {
    let mut items = items.peekable();
    if items.peek().is_some() {
        let _ = writeln!(out, "\n{title}:");
        items.for_each(|item| line(out, item));
    }
}

fn number_or_missing(value: Option<f64>) -> String {
    value.map_or_else(|| "missing".to_owned(), format_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general path, which the short-decimal path must match byte for byte.
    fn general(n: f64) -> String {
        format!("{n}")
    }

    #[test]
    fn short_decimals_print_as_the_general_path() {
        let mut checked = 0;
        for places in 1..=5 {
            let ten = 10f64.powi(places);
            for digits in (-30_000i64..30_000).chain([(1 << 50) - 1, 999_999_999_999_999]) {
                for n in [digits as f64 / ten, 0.1 + digits as f64 / ten] {
                    if n.fract() != 0.0 && (1e-6..1e21).contains(&n.abs()) {
                        let mut fast = String::new();
                        if write_short_decimal(&mut fast, n) {
                            assert_eq!(fast, general(n), "{n:e}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn long_decimals_take_the_general_path() {
        for n in [
            0.1 + 0.2,
            1.0 / 3.0,
            0.000_01,
            1e15 + 0.5,
            2.0f64.powi(50) + 0.5,
        ] {
            assert!(!write_short_decimal(&mut String::new(), n), "{n:e}");
        }
    }
}
