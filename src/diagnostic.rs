//! The one diagnostic type shared by the CLI, the playground and the server.
//!
//! Diagnostics are plain data with a byte span; rendering (text with carets, JSON) is done by
//! the host. Codes are stable: tests and users may rely on them. Messages follow Cedar's style:
//! lowercase, no trailing period, user text in backticks; details go into `help`.

use std::sync::Arc;

pub use crate::span::{LineCol, LineIndex, Span, Unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A secondary location that explains the primary one ("first defined here").
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    /// The library the span is in (its path from the root's directory); `None` for the root.
    pub file: Option<Arc<str>>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code such as `E0101`; see `docs/diagnostics.md`.
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// The library the span is in (its path from the root's directory, LANGUAGE.md §9.1);
    /// `None` for the file that was compiled.
    pub file: Option<Arc<str>>,
    pub help: Option<String>,
    pub labels: Vec<Label>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            file: None,
            help: None,
            labels: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            file: None,
            message: message.into(),
        });
        self
    }

    /// Adds a secondary location in place (for diagnostics already pushed to a list).
    pub fn label(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.labels.push(Label {
            span,
            file: None,
            message: message.into(),
        });
        self
    }

    /// The diagnostic with its spans moved `by` bytes later.
    pub(crate) fn shifted(mut self, by: usize) -> Diagnostic {
        let shift = |span: Span| Span::new(span.start as usize + by, span.end as usize + by);
        self.span = shift(self.span);
        for label in &mut self.labels {
            label.span = shift(label.span);
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The JSON object of LANGUAGE.md §8: `{severity, code, message, line, column, end_line,
    /// end_column, help, file}`; the end position is exclusive (just past the last character);
    /// `source` and `index` are those of the diagnostic's file.
    pub fn to_json(&self, source: &str, index: &LineIndex) -> serde_json::Value {
        let start = index.line_col(source, self.span.start as usize);
        let end = index.line_col(source, self.span.end as usize);
        serde_json::json!({
            "severity": self.severity.as_str(),
            "code": self.code,
            "message": self.message,
            "line": start.line,
            "column": start.column,
            "end_line": end.line,
            "end_column": end.column,
            "help": self.help,
            "file": self.file.as_deref(),
        })
    }
}

/// The diagnostics of `source` as a JSON array of [`Diagnostic::to_json`] objects, as every
/// JSON host lists them.
pub fn list_json(source: &str, diagnostics: &[Diagnostic]) -> serde_json::Value {
    let index = LineIndex::new(source);
    serde_json::Value::Array(
        diagnostics
            .iter()
            .map(|d| d.to_json(source, &index))
            .collect(),
    )
}

/// Sorts diagnostics by position, then code, so that every host lists them identically.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.span.end, a.code).cmp(&(b.span.start, b.span.end, b.code))
    });
}

/// The closest candidate to `name` by edit distance, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name && c.len().abs_diff(name.len()) <= limit * 4)
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["manufacturing", "chemicals", "logistics"];
        assert_eq!(did_you_mean("manufactring", names), Some("manufacturing"));
        assert_eq!(did_you_mean("banana", names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
