//! The command-line host: file handling, rendering and exit codes around the library API.

pub mod batch;
pub mod check;
pub mod csv;
pub mod diagnostics;
pub mod diff;
pub mod eval;
pub mod fmt;
pub mod import;
pub mod lsp;
pub mod results;
pub mod sheet;
pub mod test;
pub mod verify;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use procura::limits::Limits;
use procura::policy::Sources;
use procura::{Date, InputErrors};

/// Process exit codes; when several outcomes occur the largest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Success = 0,
    /// Compile errors, failed examples.
    Failure = 1,
    /// Usage, I/O and input errors.
    Usage = 2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// An error that stops a command: printed as one `error:` line, exit code 2.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl CliError {
    pub fn io(path: &Path, error: &io::Error) -> CliError {
        let reason = match error.kind() {
            io::ErrorKind::NotFound => "no such file or directory".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            io::ErrorKind::IsADirectory => "is a directory".to_owned(),
            _ => error.to_string(),
        };
        CliError(format!("cannot read `{}`: {reason}", path.display()))
    }
}

pub type CliResult = Result<Exit, CliError>;

/// Reads a whole file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|error| CliError::io(path, &error))?;
    String::from_utf8(bytes)
        .map_err(|_| CliError(format!("cannot read `{}`: not valid UTF-8", path.display())))
}

/// Today's date in UTC from the system clock.
pub fn today() -> Date {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
    Date::from_unix_seconds(seconds)
}

/// Reads a policy file and the libraries it imports, relative to its directory
/// (LANGUAGE.md §9.1); a library that cannot be read is a diagnostic of the `import`.
pub fn read_sources(path: &Path) -> Result<Sources, CliError> {
    let source = read_text(path)?;
    let directory = path.parent().unwrap_or(Path::new(""));
    Ok(Sources::load(&source, |library| {
        read_text(&directory.join(library)).map_err(|error| error.0)
    }))
}

/// Compiles a policy file; `None` when it does not compile, after printing its diagnostics.
pub fn compile(path: &Path, format: Format) -> Result<Option<procura::Policy>, CliError> {
    let sources = read_sources(path)?;
    match procura::policy::compile_sources(&sources) {
        Ok(policy) => Ok(Some(policy)),
        Err(found) => {
            let file = diagnostics::FileDiagnostics {
                path,
                sources: &sources,
                diagnostics: &found,
            };
            diagnostics::print(&[file], format, false)?;
            Ok(None)
        }
    }
}

/// Whether a path names standard input (`-`).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads the bytes of a JSON file (`-`: standard input); a file over the size limit of what is read at `root` (`$`
/// for the record, `$data` for reference data) is an input error there, as on every host; an
/// unreadable file is not.
pub fn read_json(
    path: &Path,
    root: &str,
    limits: &Limits,
) -> Result<Result<Vec<u8>, InputErrors>, CliError> {
    let limit = limits.json_bytes(root);
    // Read no more than one byte over the limit: a huge file is refused without loading it.
    let mut text = Vec::new();
    let read = if is_stdin(path) {
        io::stdin()
            .lock()
            .take(limit as u64 + 1)
            .read_to_end(&mut text)
    } else {
        let file = File::open(path).map_err(|error| CliError::io(path, &error))?;
        file.take(limit as u64 + 1).read_to_end(&mut text)
    };
    read.map_err(|error| CliError::io(path, &error))?;
    if text.len() > limit {
        let size = std::fs::metadata(path).map_or(text.len() as u64, |meta| meta.len());
        return Ok(Err(InputErrors::too_large(root, size, limits)));
    }
    Ok(Ok(text))
}

/// The reference data of `--data`, if given: its size, JSON and UTF-8 problems are input
/// errors at `$data`, as on every host.
pub fn read_data(
    path: Option<&Path>,
    limits: &Limits,
) -> Result<Result<Option<serde_json::Value>, InputErrors>, CliError> {
    let Some(path) = path else {
        return Ok(Ok(None));
    };
    let text = read_json(path, "$data", limits)?;
    Ok(text
        .and_then(|text| procura::policy::parse_json("$data", &text, limits))
        .map(Some))
}

/// Input errors for a person: one `path: message` line each, on stderr.
pub fn print_input_errors(what: &str, errors: &InputErrors) {
    eprintln!("error: invalid {what}");
    for error in &errors.errors {
        eprintln!(
            "  {}: {} (expected {}, found {})",
            error.path, error.message, error.expected, error.found
        );
    }
}
