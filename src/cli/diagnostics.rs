//! Prints compile diagnostics: source excerpts with carets (text) or JSON.
//!
//! JSON shape: for one file, exactly the array of LANGUAGE.md §8; for several files, an array
//! of `{"file": PATH, "diagnostics": [...]}` in argument order.

use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::path::Path;

use codespan_reporting::diagnostic::{Diagnostic as Rendered, Label, Severity as RenderedSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};
use procura::Severity;
use procura::diagnostic::Diagnostic;
use procura::diagnostic::Span;
use procura::policy::Sources;

use super::{CliError, Format};

pub struct FileDiagnostics<'a> {
    pub path: &'a Path,
    /// The policy's files: the diagnostics are in the root (`path`) or name their library.
    pub sources: &'a Sources,
    pub diagnostics: &'a [Diagnostic],
}

/// Prints the diagnostics of files; `per_file` selects the JSON shape for several files (it
/// depends on what was asked, not on how many files could be read).
pub fn print(
    files: &[FileDiagnostics<'_>],
    format: Format,
    per_file: bool,
) -> Result<(), CliError> {
    let output = match format {
        Format::Json => {
            let mut json = match files {
                [file] if !per_file => to_json(file),
                _ => files
                    .iter()
                    .map(|file| {
                        serde_json::json!({
                            "file": file.path.display().to_string(),
                            "diagnostics": to_json(file),
                        })
                    })
                    .collect(),
            }
            .to_string()
            .into_bytes();
            json.push(b'\n');
            json
        }
        Format::Text => {
            let mut buffer = if std::io::stdout().is_terminal() {
                Buffer::ansi()
            } else {
                Buffer::no_color()
            };
            for file in files {
                render(file, &mut buffer);
            }
            buffer.into_inner()
        }
    };
    write_stdout(&output)
}

pub fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|error| CliError(format!("cannot write output: {error}")))
}

fn to_json(file: &FileDiagnostics<'_>) -> serde_json::Value {
    file.sources.diagnostics_json(file.diagnostics)
}

fn render(file: &FileDiagnostics<'_>, buffer: &mut Buffer) {
    // Libraries are named as they are read: from the root's directory.
    let directory = file.path.parent().unwrap_or(Path::new(""));
    let mut files = SimpleFiles::new();
    let root = files.add(file.path.display().to_string(), file.sources.root_text());
    let libraries: Vec<(&str, usize)> = (file.sources.libraries())
        .map(|(path, text)| {
            (
                path,
                files.add(directory.join(path).display().to_string(), text),
            )
        })
        .collect();
    let id = |library: Option<&str>| {
        library
            .and_then(|library| libraries.iter().find(|(path, _)| *path == library))
            .map_or(root, |(_, id)| *id)
    };
    let text = |id: usize| files.get(id).map_or("", |file| *file.source());
    let config = term::Config::default();
    for diagnostic in file.diagnostics {
        let severity = match diagnostic.severity {
            Severity::Error => RenderedSeverity::Error,
            Severity::Warning => RenderedSeverity::Warning,
        };
        let mut rendered = Rendered::new(severity)
            .with_code(diagnostic.code)
            .with_message(&diagnostic.message)
            .with_label(Label::primary(
                id(diagnostic.file.as_deref()),
                range(text(id(diagnostic.file.as_deref())), diagnostic.span),
            ));
        for label in &diagnostic.labels {
            let file = id(label.file.as_deref());
            rendered = rendered.with_label(
                Label::secondary(file, range(text(file), label.span)).with_message(&label.message),
            );
        }
        if let Some(help) = &diagnostic.help {
            rendered = rendered.with_note(format!("help: {help}"));
        }
        if term::emit_to_write_style(buffer, &config, &files, &rendered).is_err() {
            // Rendering only fails on a span outside the source; the message still matters.
            let _ = writeln!(
                buffer,
                "{}[{}]: {}",
                diagnostic.severity.as_str(),
                diagnostic.code,
                diagnostic.message
            );
        }
    }
}

/// The span as a byte range that lies inside the source and on character boundaries.
fn range(source: &str, span: Span) -> Range<usize> {
    let floor = |mut offset: usize| {
        offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    };
    floor(span.start as usize)..floor(span.end as usize)
}
