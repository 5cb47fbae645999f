//! `procura eval POLICY --input FILE [--data FILE] [--as-of DATE] [--format json|text]`

use std::fmt::Write as _;
use std::path::PathBuf;

use procura::ast::Verdict;
use procura::limits::Limits;
use procura::report::{Report, format_number, write_value};
use procura::{Date, EvaluateError};

use super::diagnostics::write_stdout;
use super::{CliError, CliResult, Exit, Format, batch, compile, print_input_errors, read_json};

pub struct Options {
    pub policy: PathBuf,
    pub input: PathBuf,
    pub data: Option<PathBuf>,
    pub today: Date,
    pub format: Format,
    /// The limits on the record, the reference data and the evaluation (`--max-steps`).
    pub limits: Limits,
}

pub fn run(options: &Options) -> CliResult {
    let batch = batch::Kind::of(&options.input);
    if batch.is_some() && options.format == Format::Text {
        return Err(CliError(
            "`--format text` needs a single `.json` record: a batch prints JSON Lines".to_owned(),
        ));
    }
    let Some(policy) = compile(&options.policy, options.format)? else {
        return Ok(Exit::Failure);
    };
    let policy = policy.with_limits(options.limits);
    let limits = policy.limits();
    let data = match options.data.as_deref() {
        Some(path) => read_json(path, "$data", limits)?
            .and_then(|text| procura::input::parse_json("$data", &text, limits))
            .map(Some),
        None => Ok(None),
    };
    if let Some(kind) = batch {
        return batch::run(&policy, &options.input, kind, data, options.today);
    }
    // Validated apart so that a malformed file does not hide the other file's errors.
    let input =
        read_json(&options.input, "$", limits)?.and_then(|text| policy.input_from_bytes(&text));
    let data = data.and_then(|json| policy.reference_data(json.as_ref()));
    let result = policy.evaluate_validated(input, data.as_ref(), options.today);
    // Input errors are the caller's mistake, like a bad argument; so is a record too large for
    // the policy to decide within the step budget.
    let exit = if result.is_ok() {
        Exit::Success
    } else {
        Exit::Usage
    };
    match (result, options.format) {
        (Ok(report), Format::Json) => write_stdout(format!("{}\n", report.to_json()).as_bytes())?,
        (Ok(report), Format::Text) => write_stdout(text(&report).as_bytes())?,
        (Err(error), Format::Json) => write_stdout(format!("{}\n", error.to_json()).as_bytes())?,
        (Err(EvaluateError::Input(errors)), Format::Text) => print_input_errors("input", &errors),
        (Err(EvaluateError::Eval(error)), Format::Text) => {
            eprintln!("error: {error}\nhelp: {}", error.help());
        }
    }
    Ok(exit)
}

/// A summary for people: the decision and what led to it.
fn text(report: &Report) -> String {
    let program = report.program();
    let mut out = String::new();
    if let Some(title) = &program.title {
        let version = program
            .version
            .as_deref()
            .map(|v| format!(" (version {v})"));
        let _ = writeln!(out, "policy: {title}{}", version.unwrap_or_default());
    }
    let _ = writeln!(out, "decision: {}", report.decision.as_str());
    let rules = || program.rules.iter().zip(&report.rules);
    let failed = |warnings: bool| {
        rules().filter(move |(_, rule)| {
            rule.verdict
                .is_some_and(|verdict| (verdict == Verdict::Warn) == warnings)
        })
    };
    section(
        &mut out,
        "failed rules",
        failed(false),
        |out, (def, rule)| {
            let verdict = rule.verdict.map_or("", Verdict::as_str);
            let _ = writeln!(out, "  {} (line {}): {verdict}", def.name, def.line);
            let _ = writeln!(out, "    {}", rule.message.as_deref().unwrap_or_default());
        },
    );
    let missing = rules().filter(|(_, rule)| !rule.missing.is_empty());
    section(&mut out, "missing data", missing, |out, (def, rule)| {
        let _ = writeln!(
            out,
            "  {} (line {}): {}",
            def.name,
            def.line,
            rule.missing.join(", ")
        );
    });
    section(&mut out, "warnings", failed(true), |out, (def, rule)| {
        let message = rule.message.as_deref().unwrap_or_default();
        let _ = writeln!(out, "  {} (line {}): {message}", def.name, def.line);
    });
    let scores = program.scores.iter().zip(&report.scores);
    section(&mut out, "scores", scores, |out, (def, score)| {
        let _ = writeln!(out, "  {} = {}", def.name, number(score.value));
        for (def, component) in def.components.iter().zip(&score.components) {
            let percent = (def.weight * 10_000.0).round() / 100.0;
            let _ = writeln!(
                out,
                "    {} {percent}% of {} = {}",
                def.name,
                number(component.value),
                number(component.contribution)
            );
        }
    });
    let values = program.lets.iter().zip(&report.values);
    section(&mut out, "values", values, |out, (def, value)| {
        let _ = write!(out, "  {} = ", def.name);
        if value.is_missing() {
            out.push_str("missing");
        } else {
            write_value(out, value, Some(&def.ty));
        }
        out.push('\n');
    });
    section(&mut out, "notes", report.notes.iter(), |out, note| {
        let _ = writeln!(out, "  {note}");
    });
    out
}

/// A titled block of lines, left out when there is nothing to list.
fn section<T>(
    out: &mut String,
    title: &str,
    items: impl Iterator<Item = T>,
    mut line: impl FnMut(&mut String, T),
) {
    let mut items = items.peekable();
    if items.peek().is_some() {
        let _ = writeln!(out, "\n{title}:");
        items.for_each(|item| line(out, item));
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "missing".to_owned(), format_number)
}
