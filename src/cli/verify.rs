//! `procura verify RECORD --policy FILE --input FILE [--data FILE] [--line N]`: re-runs the
//! decision that a report, or a line of `procura serve --decision-log`, records and confirms
//! it gives the same result, or names what differs: the policy (its SHA-256 against the
//! record's `policy.sha256`), the reference data (`data_sha256`), the record evaluated (a log
//! line's `input_sha256`), or the first field that the re-run does not reproduce.
//!
//! Neither holds the record evaluated (a decision log keeps only its digest), so the record is
//! given again with `--input`; the date is the recorded `as_of`. A report is re-run to the
//! byte; a log line holds the report's audit fields and its decision, and those are compared.

use std::path::PathBuf;

use procura::{Date, EvaluateError, sha256_hex};
use serde_json::Value;

use super::{
    CliError, CliResult, Exit, Format, compile, print_input_errors, read_data, read_json, read_text,
};

pub struct Options {
    /// A report, or a decision log (one line of it with `line`, or a file of one line).
    pub report: PathBuf,
    pub policy: PathBuf,
    pub input: PathBuf,
    pub data: Option<PathBuf>,
    /// The line (from 1) of a decision log to verify.
    pub line: Option<usize>,
}

/// The fields of a decision-log line that are about the request, not the decision: nothing
/// re-runs them.
const REQUEST_FIELDS: [&str; 4] = ["time", "request_id", "index", "input_sha256"];

pub fn run(options: &Options) -> CliResult {
    let file_text = read_text(&options.report)?;
    let recorded_text = match options.line {
        None => file_text.as_str(),
        Some(line) => (line.checked_sub(1))
            .and_then(|index| file_text.lines().nth(index))
            .ok_or_else(|| {
                CliError(format!("`{}` has no line {line}", options.report.display()))
            })?,
    };
    let recorded: Value = serde_json::from_str(recorded_text).map_err(|error| {
        let lines = recorded_text.trim().lines().count();
        let first = recorded_text.lines().next().unwrap_or_default();
        if options.line.is_none() && lines > 1 && serde_json::from_str::<Value>(first).is_ok() {
            return CliError(format!(
                "`{}` holds {lines} lines: give the one to verify with `--line N` (a decision log has one decision a line)",
                options.report.display()
            ));
        }
        CliError(format!(
            "`{}` is not a report or a decision-log line: {error}",
            options.report.display()
        ))
    })?;
    // A line of the decision log digests the record it decided; a report does not.
    let log_line = recorded.get("input_sha256").is_some();
    let what = if log_line { "line" } else { "report" };
    let field = |pointer: &str| recorded.pointer(pointer).cloned().unwrap_or(Value::Null);
    let as_of = field("/as_of");
    let Some(today) = as_of.as_str().and_then(Date::parse) else {
        return Err(CliError(format!(
            "`{}` has no `as_of` date: it is not a report or decision-log line of this version",
            options.report.display()
        )));
    };
    let Some(policy) = compile(&options.policy, Format::Text)? else {
        return Ok(Exit::Failure);
    };
    let mut differences = Vec::new();
    let policy_sha256 = Value::String(policy.sha256().to_owned());
    if field("/policy/sha256") != policy_sha256 {
        differences.push(format!(
            "the policy differs from the one the {what} was made with: `{}` has SHA-256 {}, the {what}'s `policy.sha256` is {}",
            options.policy.display(),
            policy_sha256,
            field("/policy/sha256")
        ));
    }
    let limits = policy.limits();
    let reference = read_data(options.data.as_deref(), limits)?
        .and_then(|data| policy.reference_data(data.as_ref()));
    let reference = match reference {
        Ok(reference) => reference,
        Err(errors) => {
            print_input_errors("reference data", &errors);
            return Ok(Exit::Usage);
        }
    };
    let input_bytes = match read_json(&options.input, "$", limits)? {
        Ok(bytes) => bytes,
        Err(errors) => {
            print_input_errors("input", &errors);
            return Ok(Exit::Usage);
        }
    };
    if log_line {
        // The server digests the `input` value from its first to its last character: a file
        // holding it may end in a newline.
        let value = input_bytes.trim_ascii();
        let input_sha256 = Value::String(sha256_hex(value));
        if field("/input_sha256") != input_sha256 {
            differences.push(format!(
                "the input differs from the record the decision was made for: `{}` has SHA-256 {input_sha256} (of its bytes without surrounding whitespace), the line's `input_sha256` is {}",
                options.input.display(),
                field("/input_sha256")
            ));
        }
    }
    let input = match policy.input_from_bytes(&input_bytes) {
        Ok(input) => input,
        Err(errors) => {
            print_input_errors("input", &errors);
            return Ok(Exit::Usage);
        }
    };
    let rerun = match policy.evaluate(&input, &reference, today) {
        Ok(report) => report.to_json(),
        Err(error) => return Err(CliError(EvaluateError::Eval(error).to_string())),
    };
    let rerun_value: Value = serde_json::from_str(&rerun)
        .map_err(|error| CliError(format!("internal error: the report is not JSON: {error}")))?;
    let data_sha256 = rerun_value["data_sha256"].clone();
    if field("/data_sha256") != data_sha256 {
        let given = options
            .data
            .as_ref()
            .map_or("no reference data".to_owned(), |path| {
                format!("the reference data of `{}`", path.display())
            });
        differences.push(format!(
            "the reference data differs from what the {what} used: {given} has SHA-256 {data_sha256}, the {what}'s `data_sha256` is {}",
            field("/data_sha256")
        ));
    }
    // The digests are compared above, each with what it is a digest of.
    let without_digests = |report: &Value| {
        let mut report = report.clone();
        for (object, key) in [("/policy", "sha256"), ("", "data_sha256")] {
            if let Some(Value::Object(fields)) = report.pointer_mut(object) {
                fields.remove(key);
            }
        }
        report
    };
    let (mut recorded_body, mut rerun_body) =
        (without_digests(&recorded), without_digests(&rerun_value));
    if log_line {
        // The line copies some of the report's fields: those are compared.
        if let Value::Object(fields) = &mut recorded_body {
            for key in REQUEST_FIELDS {
                fields.remove(key);
            }
        }
        if let Some(Value::Object(fields)) = recorded_body.pointer_mut("/policy") {
            fields.remove("name");
        }
        rerun_body = only_fields_of(&recorded_body, &rerun_body);
    }
    if let Some(difference) = first_difference("", &recorded_body, &rerun_body, what) {
        differences.push(format!("the re-run differs from the {what} {difference}"));
    }
    if differences.is_empty() {
        let result = if log_line {
            format!("the decision {} recorded by", rerun_value["decision"])
        } else if recorded_text.trim_end() == rerun {
            "the same bytes as".to_owned()
        } else {
            "the same report (laid out differently) as".to_owned()
        };
        let line = options
            .line
            .map(|line| format!(" line {line} of"))
            .unwrap_or_default();
        println!(
            "verified: {} on {} gives {result}{line} `{}`",
            options.policy.display(),
            as_of.as_str().unwrap_or_default(),
            options.report.display()
        );
        return Ok(Exit::Success);
    }
    for difference in differences {
        println!("mismatch: {difference}");
    }
    Ok(Exit::Failure)
}

/// `value` with only the fields `shape` has, object by object: what a log line copies of a
/// report.
fn only_fields_of(shape: &Value, value: &Value) -> Value {
    match (shape, value) {
        (Value::Object(shape), Value::Object(fields)) => Value::Object(
            (fields.iter())
                .filter_map(|(key, field)| {
                    let inner = shape.get(key)?;
                    Some((key.clone(), only_fields_of(inner, field)))
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// Where two JSON values first differ, objects' fields taken in the order of their names (`at
/// rules[3].outcome: the report has "failed", the re-run gives "passed"`); `what` names the
/// record (`report`, `line`).
fn first_difference(path: &str, recorded: &Value, rerun: &Value, what: &str) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "$".to_owned()
        } else {
            path.to_owned()
        }
    };
    match (recorded, rerun) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                let path = join(path, key);
                match a.get(key) {
                    Some(recorded) => {
                        if let Some(found) = first_difference(&path, recorded, value, what) {
                            return Some(found);
                        }
                    }
                    None => return Some(format!("at `{path}`: the {what} has no such field")),
                }
            }
            a.keys()
                .find(|key| !b.contains_key(*key))
                .map(|key| format!("at `{}`: the re-run has no such field", join(path, key)))
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if let Some(found) = first_difference(&format!("{}[{i}]", here()), x, y, what) {
                    return Some(found);
                }
            }
            (a.len() != b.len()).then(|| {
                format!(
                    "at `{}`: the {what} has {} entries, the re-run {}",
                    here(),
                    a.len(),
                    b.len()
                )
            })
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "at `{}`: the {what} has {a}, the re-run gives {b}",
            here()
        )),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
