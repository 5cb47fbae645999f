//! `procura test [--coverage [--min-coverage PCT]] [--format text|json] FILE...`: runs every
//! `example` block and, with `--coverage`, says what the examples exercise (docs/coverage.md).
//!
//! JSON shape: `{"files": [{"file", "examples": [{"title", "line", "passed", "failures":
//! [{"line", "subject", "expected", "actual"}]}], "coverage": COVERAGE}], "passed", "failed",
//! "coverage": {"items", "covered", "percent"}}`, where a file that does not compile has
//! `"diagnostics"` instead of its examples, and the coverage members are there only with
//! `--coverage` (`COVERAGE` is `procura::policy::Coverage::to_json`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use procura::Date;
use procura::limits::Limits;
use procura::policy::{Coverage, ExampleResult, Policy, percent, summary_json};
use procura::report::Outcome;

use super::diagnostics::write_stdout;
use super::{CliError, CliResult, Exit, Format, compile, read_sources};

/// What `procura test` was asked for.
pub struct TestOptions {
    pub today: Date,
    pub limits: Limits,
    pub format: Format,
    pub coverage: bool,
    /// The total coverage, in percent, below which the command fails.
    pub min_coverage: Option<f64>,
}

pub fn run(paths: &[PathBuf], options: &TestOptions) -> CliResult {
    let mut exit = Exit::Success;
    let (mut passed, mut failed) = (0, 0);
    let (mut covered, mut items) = (0, 0);
    let mut out = String::new();
    let mut files = Vec::new();
    for path in paths {
        let policy = match compile_file(path, options.format) {
            Ok(Compiled::Policy(policy)) => policy.with_limits(options.limits),
            Ok(Compiled::Errors(diagnostics)) => {
                exit = exit.max(Exit::Failure);
                files.extend(diagnostics);
                continue;
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit = Exit::Usage;
                continue;
            }
        };
        let (results, coverage) = policy.run_examples_with_coverage(options.today);
        let failed_here = results.iter().filter(|r| !r.passed()).count();
        (passed, failed) = (passed + results.len() - failed_here, failed + failed_here);
        let coverage = options.coverage.then_some(coverage);
        if let Some(coverage) = &coverage {
            (covered, items) = (covered + coverage.covered(), items + coverage.items());
        }
        match options.format {
            Format::Text => {
                write_results(&mut out, path, &results);
                if let Some(coverage) = &coverage {
                    write_coverage(&mut out, path, coverage);
                }
                // Each file as soon as it ran: a long run shows progress.
                write_stdout(std::mem::take(&mut out).as_bytes())?;
            }
            Format::Json => files.push(file_json(path, &results, coverage.as_ref())),
        }
    }
    if failed > 0 {
        exit = exit.max(Exit::Failure);
    }
    let below = (options.min_coverage).filter(|&min| percent(covered, items) < min);
    if below.is_some() {
        exit = exit.max(Exit::Failure);
    }
    match options.format {
        Format::Text => {
            let _ = writeln!(out, "{passed} passed, {failed} failed");
            if options.coverage {
                write_total(&mut out, covered, items, options.min_coverage, below);
            }
        }
        Format::Json => {
            let mut json = serde_json::json!({"files": files, "passed": passed, "failed": failed});
            if options.coverage {
                json["coverage"] = summary_json(covered, items);
                if let Some(min) = options.min_coverage {
                    json["coverage"]["minimum"] = min.into();
                }
            }
            out = json.to_string();
            out.push('\n');
        }
    }
    write_stdout(out.as_bytes())?;
    Ok(exit)
}

enum Compiled {
    Policy(Policy),
    /// It did not compile: its diagnostics were printed (text), or are this JSON.
    Errors(Option<serde_json::Value>),
}

/// Compiles a file; in JSON its diagnostics become part of the one JSON document printed.
fn compile_file(path: &Path, format: Format) -> Result<Compiled, CliError> {
    if format == Format::Text {
        return Ok(match compile(path, format)? {
            Some(policy) => Compiled::Policy(policy),
            None => Compiled::Errors(None),
        });
    }
    let sources = read_sources(path)?;
    Ok(match procura::policy::compile_sources(&sources) {
        Ok(policy) => Compiled::Policy(policy),
        Err(found) => Compiled::Errors(Some(serde_json::json!({
            "file": path.display().to_string(),
            "diagnostics": sources.diagnostics_json(&found),
        }))),
    })
}

fn write_results(out: &mut String, path: &Path, results: &[ExampleResult]) {
    for example in results {
        let status = if example.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{status} {}:{} {}",
            path.display(),
            example.line,
            example.title
        );
        for failure in &example.failures {
            let _ = writeln!(
                out,
                "    line {}: {}: expected {}, actual {}",
                failure.line, failure.subject, failure.expected, failure.actual
            );
        }
    }
}

/// The coverage of one file: the summary, a line per rule and per branch, what is not
/// covered said at the end of its line.
fn write_coverage(out: &mut String, path: &Path, coverage: &Coverage) {
    let _ = writeln!(
        out,
        "coverage of {}: {}",
        path.display(),
        summary(coverage.covered(), coverage.items())
    );
    for rule in &coverage.rules {
        let [passed, failed, missing, not_applicable] = rule.outcomes;
        let _ = write!(
            out,
            "  rule {} (line {}): passed {passed}, failed {failed}, missing {missing}, not_applicable {not_applicable}",
            rule.name, rule.line
        );
        let never: Vec<&str> = rule.uncovered().map(Outcome::as_str).collect();
        if !never.is_empty() {
            let _ = write!(out, "; never {}", never.join(" nor "));
        }
        out.push('\n');
    }
    for branch in &coverage.branches {
        let at = match &branch.file {
            Some(file) => format!("{file} line {}", branch.line),
            None => format!("line {}", branch.line),
        };
        let _ = write!(out, "  {} in {} ({at}): ", branch.branch, branch.owner);
        let _ = match branch.reached {
            0 => writeln!(out, "never reached"),
            1 => writeln!(out, "reached by 1 example"),
            n => writeln!(out, "reached by {n} examples"),
        };
    }
}

fn write_total(
    out: &mut String,
    covered: usize,
    items: usize,
    min: Option<f64>,
    below: Option<f64>,
) {
    let _ = write!(out, "coverage: {}", summary(covered, items));
    let _ = match (below, min) {
        (Some(min), _) => writeln!(out, ", below the minimum of {min}%"),
        (None, Some(min)) => writeln!(out, ", minimum {min}%"),
        (None, None) => writeln!(out),
    };
}

/// `14 of 16 items (87.5%)`
fn summary(covered: usize, items: usize) -> String {
    format!(
        "{covered} of {items} items ({:.1}%)",
        percent(covered, items)
    )
}

fn file_json(
    path: &Path,
    results: &[ExampleResult],
    coverage: Option<&Coverage>,
) -> serde_json::Value {
    let examples: Vec<serde_json::Value> = results.iter().map(ExampleResult::to_json).collect();
    let mut json = serde_json::json!({"file": path.display().to_string(), "examples": examples});
    if let Some(coverage) = coverage {
        json["coverage"] = coverage.to_json();
    }
    json
}
