//! `procura eval POLICY --input FILE [--data FILE] [--as-of DATE] [--format json|text] [--jobs N]
//! [--remedies]`
//!
//! `-` as a file reads one JSON record (or the reference data) from standard input, so that
//! `procura import cmrt FILE.xlsx | procura eval POLICY --input -` works.

use std::path::PathBuf;

use procura::limits::Limits;
use procura::{Date, EvaluateError};

use super::diagnostics::write_stdout;
use super::{
    CliError, CliResult, Exit, Format, batch, compile, is_stdin, print_input_errors, read_data,
    read_json,
};

pub struct Options {
    pub policy: PathBuf,
    pub input: PathBuf,
    pub data: Option<PathBuf>,
    pub today: Date,
    pub format: Format,
    /// The limits on the record, the reference data and the evaluation (`--max-steps`).
    pub limits: Limits,
    /// Threads evaluating a batch (`--jobs`).
    pub jobs: usize,
    /// The sheet of an `.xlsx` batch (`--sheet`; default: the first).
    pub sheet: Option<String>,
    /// Where a batch's results go as a spreadsheet (`--output results.csv|xlsx`).
    pub output: Option<PathBuf>,
    /// Whether the report gives the remedies of a record (`--remedies`, `procura::remedy`).
    pub remedies: bool,
}

pub fn run(options: &Options) -> CliResult {
    if options.data.as_deref().is_some_and(is_stdin) && is_stdin(&options.input) {
        return Err(CliError(
            "`--input -` and `--data -` cannot both read standard input".to_owned(),
        ));
    }
    let batch = batch::Kind::of(&options.input);
    if options.output.is_some() && batch.is_none() {
        return Err(CliError(
            "`--output` writes the results of a batch (`.jsonl`, `.ndjson`, `.csv`, `.xlsx`)"
                .to_owned(),
        ));
    }
    if options.sheet.is_some() && batch != Some(batch::Kind::Xlsx) {
        return Err(CliError(
            "`--sheet` needs an `.xlsx` workbook as `--input`".to_owned(),
        ));
    }
    if batch.is_some() && options.format == Format::Text {
        return Err(CliError(
            "`--format text` needs a single `.json` record: a batch prints JSON Lines".to_owned(),
        ));
    }
    if batch.is_some() && options.remedies {
        return Err(CliError(
            "`--remedies` needs a single `.json` record: a batch prints decisions".to_owned(),
        ));
    }
    let Some(policy) = compile(&options.policy, options.format)? else {
        return Ok(Exit::Failure);
    };
    let policy = policy.with_limits(options.limits);
    let limits = policy.limits();
    let data = read_data(options.data.as_deref(), limits)?;
    if let Some(kind) = batch {
        let input = batch::Input {
            path: &options.input,
            kind,
            sheet: options.sheet.as_deref(),
            results: options.output.as_deref(),
        };
        return batch::run(&policy, &input, data, options.today, options.jobs);
    }
    // Validated apart so that a malformed file does not hide the other file's errors.
    let input =
        read_json(&options.input, "$", limits)?.and_then(|text| policy.input_from_bytes(&text));
    let data = data.and_then(|json| policy.reference_data(json.as_ref()));
    let result = match options.remedies {
        true => policy.evaluate_with_remedies(input, data.as_ref(), options.today),
        false => policy.evaluate_validated(input, data.as_ref(), options.today),
    };
    // Input errors are the caller's mistake, like a bad argument; so is a record too large for
    // the policy to decide within the step budget.
    let exit = if result.is_ok() {
        Exit::Success
    } else {
        Exit::Usage
    };
    match (result, options.format) {
        (Ok(report), Format::Json) => write_stdout(format!("{}\n", report.to_json()).as_bytes())?,
        (Ok(report), Format::Text) => write_stdout(report.to_text().as_bytes())?,
        (Err(error), Format::Json) => write_stdout(format!("{}\n", error.to_json()).as_bytes())?,
        (Err(EvaluateError::Input(errors)), Format::Text) => print_input_errors("input", &errors),
        (Err(EvaluateError::Eval(error)), Format::Text) => {
            eprintln!("error: {error}\nhelp: {}", error.help());
        }
    }
    Ok(exit)
}
