//! `procura check FILE...`

use std::path::PathBuf;

use super::diagnostics::{self, FileDiagnostics};
use super::{CliResult, Exit, Format, read_text};

pub fn run(paths: &[PathBuf], format: Format) -> CliResult {
    let mut exit = Exit::Success;
    let mut checked = Vec::with_capacity(paths.len());
    for path in paths {
        match read_text(path) {
            Ok(source) => {
                let found = procura::check(&source);
                if found.iter().any(procura::Diagnostic::is_error) {
                    exit = exit.max(Exit::Failure);
                }
                checked.push((path, source, found));
            }
            // One unreadable file must not hide the diagnostics of the others.
            Err(error) => {
                eprintln!("error: {error}");
                exit = Exit::Usage;
            }
        }
    }
    let files: Vec<FileDiagnostics<'_>> = checked
        .iter()
        .map(|(path, source, found)| FileDiagnostics {
            path,
            source,
            diagnostics: found,
        })
        .collect();
    if !files.is_empty() {
        diagnostics::print(&files, format, paths.len() > 1)?;
    }
    Ok(exit)
}
