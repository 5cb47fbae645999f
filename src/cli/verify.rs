//! `procura verify REPORT --policy FILE --input FILE [--data FILE]`: re-runs the decision a
//! report records and confirms it gives the same bytes, or names what differs: the policy (its
//! SHA-256 against the report's `policy.sha256`), the reference data (`data_sha256`), or the
//! first field of the report that the re-run does not reproduce.
//!
//! The report does not hold the record (a decision log keeps only its digest), so the record
//! is given again with `--input`; the date is the report's own `as_of`.

use std::path::PathBuf;

use procura::{Date, EvaluateError};
use serde_json::Value;

use super::{
    CliError, CliResult, Exit, Format, compile, print_input_errors, read_data, read_json, read_text,
};

pub struct Options {
    pub report: PathBuf,
    pub policy: PathBuf,
    pub input: PathBuf,
    pub data: Option<PathBuf>,
}

pub fn run(options: &Options) -> CliResult {
    let recorded_text = read_text(&options.report)?;
    let recorded: Value = serde_json::from_str(&recorded_text).map_err(|error| {
        CliError(format!(
            "`{}` is not a report: {error}",
            options.report.display()
        ))
    })?;
    let field = |pointer: &str| recorded.pointer(pointer).cloned().unwrap_or(Value::Null);
    let as_of = field("/as_of");
    let Some(today) = as_of.as_str().and_then(Date::parse) else {
        return Err(CliError(format!(
            "`{}` has no `as_of` date: it is not a report of this version, or not a report",
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
            "the policy differs from the one the report was made with: `{}` has SHA-256 {}, the report's `policy.sha256` is {}",
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
    let input =
        read_json(&options.input, "$", limits)?.and_then(|text| policy.input_from_bytes(&text));
    let input = match input {
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
            "the reference data differs from what the report used: {given} has SHA-256 {data_sha256}, the report's `data_sha256` is {}",
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
    let (recorded_body, rerun_body) = (without_digests(&recorded), without_digests(&rerun_value));
    if let Some(difference) = first_difference("", &recorded_body, &rerun_body) {
        differences.push(format!("the re-run differs from the report {difference}"));
    }
    if differences.is_empty() {
        let layout = if recorded_text.trim_end() == rerun {
            "the same bytes"
        } else {
            "the same report (laid out differently)"
        };
        println!(
            "verified: {} on {} gives {layout} as `{}`",
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

/// Where two JSON values first differ, objects' fields taken in the order of their names (`at
/// rules[3].outcome: the report has "failed", the re-run gives "passed"`).
fn first_difference(path: &str, recorded: &Value, rerun: &Value) -> Option<String> {
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
                        if let Some(found) = first_difference(&path, recorded, value) {
                            return Some(found);
                        }
                    }
                    None => return Some(format!("at `{path}`: the report has no such field")),
                }
            }
            a.keys()
                .find(|key| !b.contains_key(*key))
                .map(|key| format!("at `{}`: the re-run has no such field", join(path, key)))
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if let Some(found) = first_difference(&format!("{}[{i}]", here()), x, y) {
                    return Some(found);
                }
            }
            (a.len() != b.len()).then(|| {
                format!(
                    "at `{}`: the report has {} entries, the re-run {}",
                    here(),
                    a.len(),
                    b.len()
                )
            })
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "at `{}`: the report has {a}, the re-run gives {b}",
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
