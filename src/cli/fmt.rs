//! `procura fmt FILE... [--check]`: the canonical layout of `procura::format` (`docs/fmt.md`).
//!
//! Without `--check`, each file that changes is rewritten in place, atomically: the new text is
//! written to a temporary file beside it, which then replaces it. With `--check`, nothing is
//! written and the files that would change are listed on stdout. A file that does not parse is
//! reported with its diagnostics and left untouched. Exit 1 when a file would change (`--check`)
//! or does not parse, 2 when one cannot be read or written.

use std::io::Write;
use std::path::{Path, PathBuf};

use procura::policy::Sources;

use super::diagnostics::{self, FileDiagnostics};
use super::{CliError, CliResult, Exit, Format, read_text};

pub fn run(paths: &[PathBuf], check: bool) -> CliResult {
    let mut exit = Exit::Success;
    for path in paths {
        match one(path, check) {
            Ok(outcome) => exit = exit.max(outcome),
            // One unreadable file must not stop the others.
            Err(error) => {
                eprintln!("error: {error}");
                exit = Exit::Usage;
            }
        }
    }
    Ok(exit)
}

fn one(path: &Path, check: bool) -> CliResult {
    let source = read_text(path)?;
    let formatted = match procura::format(&source) {
        Ok(formatted) => formatted,
        Err(found) => {
            let sources = Sources::root(&source);
            let file = FileDiagnostics {
                path,
                sources: &sources,
                diagnostics: &found,
            };
            diagnostics::print(&[file], Format::Text, false)?;
            return Ok(Exit::Failure);
        }
    };
    if formatted == source {
        return Ok(Exit::Success);
    }
    if check {
        println!("{}", path.display());
        return Ok(Exit::Failure);
    }
    replace(path, &formatted)?;
    Ok(Exit::Success)
}

/// Writes `text` to a temporary file in `path`'s directory, with `path`'s permissions, and
/// renames it over `path`: a reader sees the old file or the new one, never half of one.
fn replace(path: &Path, text: &str) -> Result<(), CliError> {
    let failed =
        |error: std::io::Error| CliError(format!("cannot write `{}`: {error}", path.display()));
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = directory.join(format!(".{name}.{}.fmt", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(error));
    }
    Ok(())
}
