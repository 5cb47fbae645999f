//! `procura import KIND FILE [--into RECORD --field NAME] [--output FILE]`: a supplier's
//! reporting template as a JSON record, or a public reference list as the `--data` JSON of a
//! table. The readers are the library's (`procura::import`); this module reads the file,
//! prints the warnings on stderr and writes the JSON.

use std::io::Read;
use std::path::{Path, PathBuf};

use procura::import::cmrt::{self, Template};
use procura::import::{self, Import, ImportError, ReferenceOptions};
use procura::limits::MAX_IMPORT_TEXT_BYTES;

use super::diagnostics::write_stdout;
use super::{CliError, CliResult, Exit};

/// What to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cmrt,
    Emrt,
    Cpi,
    Rmi,
    Ofac,
    EuSanctions,
    Svhc,
}

pub struct Options {
    pub kind: Kind,
    pub file: PathBuf,
    /// A JSON record to place the import in, at `field`, instead of printing it alone.
    pub into: Option<(PathBuf, String)>,
    /// Where to write the JSON; stdout when `None`.
    pub output: Option<PathBuf>,
    /// What a reference list's importer is told.
    pub reference: ReferenceOptions,
}

pub fn run(options: &Options) -> CliResult {
    let bytes = read_bytes(&options.file)?;
    let name = options.file.display().to_string();
    let import = read(options.kind, &name, &bytes, &options.reference)
        .map_err(|error| CliError(error.to_string()))?;
    for warning in &import.warnings {
        eprintln!("warning: {warning}");
    }
    let json = match &options.into {
        Some((record, field)) => place(record, field, import.json)?,
        None => import.json,
    };
    let text = import::json_text(&json);
    match &options.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|error| CliError(format!("cannot write `{}`: {error}", path.display())))?,
        None => write_stdout(text.as_bytes())?,
    }
    Ok(Exit::Success)
}

/// Runs the library's reader of `kind` on the bytes of a file.
pub fn read(
    kind: Kind,
    name: &str,
    bytes: &[u8],
    reference: &ReferenceOptions,
) -> Result<Import, ImportError> {
    match kind {
        Kind::Cmrt => cmrt::read(name, bytes, Template::Cmrt),
        Kind::Emrt => cmrt::read(name, bytes, Template::Emrt),
        Kind::Cpi => import::cpi::read(name, bytes, reference),
        Kind::Rmi => import::rmi::read(name, bytes, reference),
        Kind::Ofac => import::ofac::read(name, bytes, reference),
        Kind::EuSanctions => import::eu::read(name, bytes, reference),
        Kind::Svhc => import::svhc::read(name, bytes, reference),
    }
}

/// The bytes of a file to import, refused over [`MAX_IMPORT_TEXT_BYTES`] without reading it
/// all (the workbook readers apply their own, smaller limit).
fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    let file = std::fs::File::open(path).map_err(|error| CliError::io(path, &error))?;
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| CliError::io(path, &error))?;
    if bytes.len() as u64 > MAX_IMPORT_TEXT_BYTES {
        return Err(CliError(format!(
            "`{}` is larger than the limit of {MAX_IMPORT_TEXT_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The JSON object in `record` with `value` at its field `field` (replacing what was there).
fn place(
    record: &Path,
    field: &str,
    value: serde_json::Value,
) -> Result<serde_json::Value, CliError> {
    let text = super::read_text(record)?;
    let mut json: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
        CliError(format!(
            "cannot read `{}`: not JSON: {error}",
            record.display()
        ))
    })?;
    let Some(object) = json.as_object_mut() else {
        return Err(CliError(format!(
            "`{}` is not a JSON object: `--into` needs a record",
            record.display()
        )));
    };
    object.insert(field.to_owned(), value);
    Ok(json)
}
