//! `procura check FILE...`

use std::path::PathBuf;

use super::diagnostics::{self, FileDiagnostics};
use super::{CliResult, Exit, Format, read_sources};

pub fn run(paths: &[PathBuf], format: Format) -> CliResult {
    let mut exit = Exit::Success;
    let mut checked = Vec::with_capacity(paths.len());
    for path in paths {
        match read_sources(path) {
            Ok(sources) => {
                let found = procura::policy::check_sources(&sources);
                if found.iter().any(procura::Diagnostic::is_error) {
                    exit = exit.max(Exit::Failure);
                }
                checked.push((path, sources, found));
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
        .map(|(path, sources, found)| FileDiagnostics {
            path,
            sources,
            diagnostics: found,
        })
        .collect();
    if !files.is_empty() {
        diagnostics::print(&files, format, paths.len() > 1)?;
    }
    Ok(exit)
}
