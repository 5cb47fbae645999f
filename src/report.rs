//! The decision report of LANGUAGE.md §8 and the one way values are printed.
//!
//! Architecture invariant: every number the engine prints, in JSON or in a rule message, goes
//! through [`format_number`], which follows JavaScript's `Number.prototype.toString`, so the
//! native CLI, the browser and wasmtime produce the same bytes.

use std::fmt::Write as _;

use crate::ast::{Decision, Outcome, Verdict};
use crate::program::Value;
use crate::types::Type;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: Option<String>,
    pub version: Option<String>,
    pub decision: Decision,
    /// In declaration order.
    pub rules: Vec<RuleReport>,
    /// In declaration order.
    pub scores: Vec<ScoreReport>,
    /// Every `let`, in declaration order; missing values are `Value::MISSING`.
    pub values: Vec<(String, Value)>,
    /// The declared type of each of `values` (it names the fields of records).
    pub value_types: Vec<Type>,
    /// Sorted, deduplicated union of the rules' missing paths.
    pub missing: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleReport {
    pub name: String,
    pub title: Option<String>,
    pub outcome: Outcome,
    /// Set when the outcome is `failed`.
    pub verdict: Option<Verdict>,
    /// The rendered message, set when the outcome is `failed`.
    pub message: Option<String>,
    /// Sorted, deduplicated input paths, set when the outcome is `missing`.
    pub missing: Vec<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreReport {
    pub name: String,
    pub value: Option<f64>,
    pub components: Vec<ComponentReport>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComponentReport {
    pub name: String,
    pub weight: f64,
    pub value: Option<f64>,
    pub contribution: Option<f64>,
}

impl Report {
    /// The report as compact, deterministic JSON text (keys in the order of LANGUAGE.md §8).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("{\"policy\":{\"title\":");
        write_opt_str(&mut out, self.title.as_deref());
        out.push_str(",\"version\":");
        write_opt_str(&mut out, self.version.as_deref());
        out.push_str("},\"decision\":");
        write_str(&mut out, self.decision.as_str());
        out.push_str(",\"rules\":[");
        for (i, rule) in self.rules.iter().enumerate() {
            comma(&mut out, i);
            out.push_str("{\"name\":");
            write_str(&mut out, &rule.name);
            out.push_str(",\"title\":");
            write_opt_str(&mut out, rule.title.as_deref());
            out.push_str(",\"outcome\":");
            write_str(&mut out, rule.outcome.as_str());
            out.push_str(",\"verdict\":");
            write_opt_str(&mut out, rule.verdict.map(Verdict::as_str));
            out.push_str(",\"message\":");
            write_opt_str(&mut out, rule.message.as_deref());
            out.push_str(",\"missing\":");
            write_str_list(&mut out, &rule.missing);
            let _ = write!(out, ",\"line\":{}}}", rule.line);
        }
        out.push_str("],\"scores\":{");
        for (i, score) in self.scores.iter().enumerate() {
            comma(&mut out, i);
            write_str(&mut out, &score.name);
            out.push_str(":{\"value\":");
            write_opt_number(&mut out, score.value);
            out.push_str(",\"components\":[");
            for (j, component) in score.components.iter().enumerate() {
                comma(&mut out, j);
                out.push_str("{\"name\":");
                write_str(&mut out, &component.name);
                out.push_str(",\"weight\":");
                write_opt_number(&mut out, Some(component.weight));
                out.push_str(",\"value\":");
                write_opt_number(&mut out, component.value);
                out.push_str(",\"contribution\":");
                write_opt_number(&mut out, component.contribution);
                out.push('}');
            }
            out.push_str("]}");
        }
        out.push_str("},\"values\":{");
        for (i, (name, value)) in self.values.iter().enumerate() {
            comma(&mut out, i);
            write_str(&mut out, name);
            out.push(':');
            write_value(&mut out, value, self.value_types.get(i));
        }
        out.push_str("},\"missing\":");
        write_str_list(&mut out, &self.missing);
        out.push_str(",\"notes\":");
        write_str_list(&mut out, &self.notes);
        out.push('}');
        out
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

/// Renders a value into a rule message: texts unquoted, lists as `a, b, c`, records as
/// `{name: value, ...}` (positional `{value, ...}` when the record type is unknown).
pub fn render_text(out: &mut String, value: &Value, ty: Option<&Type>) {
    match value {
        Value::Missing(_) => out.push_str("missing"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, *n),
        Value::Text(t) => out.push_str(t),
        Value::Date(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Duration(d) => {
            let _ = write!(out, "{d}");
        }
        Value::List(items) => {
            let element = ty.and_then(Type::list_element);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_text(out, item, element);
            }
        }
        Value::Record(fields) => {
            out.push('{');
            for (i, (name, ty, field)) in record_fields(fields, ty).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if let Some(name) = name {
                    let _ = write!(out, "{name}: ");
                }
                render_text(out, field, ty);
            }
            out.push('}');
        }
    }
}

/// Writes a value as JSON: missing is `null`, dates and durations are strings, records are
/// objects when their type is known (else arrays).
pub fn write_value(out: &mut String, value: &Value, ty: Option<&Type>) {
    match value {
        Value::Missing(_) => out.push_str("null"),
        Value::Bool(_) | Value::Number(_) => render_text(out, value, ty),
        Value::Text(t) => write_str(out, t),
        Value::Date(_) | Value::Duration(_) => {
            let mut text = String::new();
            render_text(&mut text, value, ty);
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

/// A JSON string literal, escaped exactly as serde_json escapes it.
pub fn write_str(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
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
