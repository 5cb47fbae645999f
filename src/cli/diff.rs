//! `procura diff OLD NEW [--input FILE] [--data FILE] [--as-of DATE] [--key FIELD]
//! [--format text|json] [--jobs N]`: what changed between two versions of a policy and, with a
//! batch, which records change decision and through which rules.
//!
//! Both policies are compiled once and the batch is read once; each record is decided by both
//! (converted once when both declare the same input), and only a record whose decision changes
//! is evaluated in full to find the rules whose outcome changed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use procura::diff::{Change, ChangeKind, PolicyDiff};
use procura::report::{Decision, Outcome};
use procura::{Date, InputErrors, Policy, ReferenceData};
use serde_json::json;

use super::batch::{self, Chunk, Parser, RowText, Rows, pipeline};
use super::diagnostics::write_stdout;
use super::{CliError, CliResult, Exit, Format, compile, print_input_errors, read_data, read_text};

pub struct Options {
    pub old: PathBuf,
    pub new: PathBuf,
    pub input: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub today: Date,
    /// The field that names a record in the list of changed decisions (`--key`).
    pub key: Option<String>,
    pub format: Format,
    pub limits: procura::limits::Limits,
    pub jobs: usize,
}

pub fn run(options: &Options) -> CliResult {
    let (Some(old), Some(new)) = (
        compile(&options.old, options.format)?,
        compile(&options.new, options.format)?,
    ) else {
        return Ok(Exit::Failure);
    };
    let (old, new) = (
        old.with_limits(options.limits),
        new.with_limits(options.limits),
    );
    let changes = procura::diff::diff(&read_text(&options.old)?, &read_text(&options.new)?)
        .map_err(|error| CliError(error.to_string()))?;
    let impact = match &options.input {
        Some(path) => match impact(options, path, [&old, &new])? {
            Some(impact) => Some(impact),
            None => return Ok(Exit::Usage),
        },
        None => None,
    };
    let text = match options.format {
        Format::Text => text(&changes, impact.as_ref(), options),
        Format::Json => format!("{}\n", to_json(&changes, impact.as_ref())),
    };
    write_stdout(text.as_bytes())?;
    Ok(Exit::Success)
}

/// What a record came to under one policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disposition {
    Decision(Decision),
    /// The record is not a valid input of the policy.
    InputError,
    /// The evaluation stopped (the step budget).
    EvalError,
}

/// The columns and rows of the matrix: the decisions, then the errors.
const RESULTS: [Disposition; 6] = [
    Disposition::Decision(Decision::Approve),
    Disposition::Decision(Decision::Review),
    Disposition::Decision(Decision::Incomplete),
    Disposition::Decision(Decision::Reject),
    Disposition::InputError,
    Disposition::EvalError,
];

impl Disposition {
    fn as_str(self) -> &'static str {
        match self {
            Disposition::Decision(decision) => decision.as_str(),
            Disposition::InputError => "input error",
            Disposition::EvalError => "evaluation error",
        }
    }

    fn index(self) -> usize {
        RESULTS
            .iter()
            .position(|result| *result == self)
            .unwrap_or(0)
    }
}

/// A record whose decision changes.
struct Changed {
    line: u64,
    key: Option<String>,
    before: Disposition,
    after: Disposition,
    /// The rules whose outcome changes: name, outcome before and after (`None`: no such rule
    /// in that version, or no report).
    rules: Vec<(String, Option<Outcome>, Option<Outcome>)>,
}

/// A batch under both policies.
#[derive(Default)]
struct Impact {
    records: u64,
    /// `matrix[before][after]`, indexed like `RESULTS`.
    matrix: [[u64; RESULTS.len()]; RESULTS.len()],
    changed: Vec<Changed>,
}

impl Impact {
    fn add(&mut self, other: Impact) {
        self.records += other.records;
        for (row, more) in self.matrix.iter_mut().zip(other.matrix) {
            for (count, more) in row.iter_mut().zip(more) {
                *count += more;
            }
        }
        self.changed.extend(other.changed);
    }
}

/// What deciding a record under both policies needs, shared by every thread.
struct Judge<'a> {
    policies: [&'a Policy; 2],
    parsers: [Parser; 2],
    references: [ReferenceData; 2],
    /// Whether both policies declare the same input, so that a record is converted once.
    same_input: bool,
    today: Date,
    header: Option<csv::StringRecord>,
    key: Option<&'a str>,
}

impl Judge<'_> {
    fn chunk(&self, chunk: Chunk) -> Impact {
        let mut impact = Impact::default();
        for (line, row) in &chunk.rows {
            let old = self.parsers[0].parse(self.policies[0], row);
            let new = match (&old, self.same_input) {
                (Ok(value), true) => Ok(value.clone()),
                _ => self.parsers[1].parse(self.policies[1], row),
            };
            let inputs = [old, new];
            let [before, after] = [0, 1].map(|i| self.decide(i, &inputs[i]));
            impact.records += 1;
            impact.matrix[before.index()][after.index()] += 1;
            if before != after {
                impact.changed.push(Changed {
                    line: *line,
                    key: self.key_of(row),
                    before,
                    after,
                    rules: self.rule_changes(inputs),
                });
            }
        }
        impact
    }

    fn decide(
        &self,
        policy: usize,
        input: &Result<procura::policy::Value, InputErrors>,
    ) -> Disposition {
        let Ok(input) = input else {
            return Disposition::InputError;
        };
        match self.policies[policy].decide(input, &self.references[policy], self.today) {
            Ok(decision) => Disposition::Decision(decision),
            Err(_) => Disposition::EvalError,
        }
    }

    /// The rules, of either version, whose outcome differs between the two full reports.
    fn rule_changes(
        &self,
        inputs: [Result<procura::policy::Value, InputErrors>; 2],
    ) -> Vec<(String, Option<Outcome>, Option<Outcome>)> {
        let [old, new] = [0, 1].map(|i| {
            let report = inputs[i].as_ref().ok().and_then(|input| {
                let policy = self.policies[i];
                let report = policy
                    .evaluate(input, &self.references[i], self.today)
                    .ok()?;
                let outcomes = report.rules.iter().map(|rule| rule.outcome);
                Some(
                    policy
                        .rule_names()
                        .map(str::to_owned)
                        .zip(outcomes)
                        .collect::<Vec<_>>(),
                )
            });
            report.unwrap_or_default()
        });
        let outcome = |rules: &[(String, Outcome)], name: &str| {
            rules
                .iter()
                .find(|(rule, _)| rule == name)
                .map(|(_, outcome)| *outcome)
        };
        let mut names: Vec<&str> = old.iter().map(|(name, _)| name.as_str()).collect();
        names.extend(
            new.iter()
                .map(|(name, _)| name.as_str())
                .filter(|name| outcome(&old, name).is_none()),
        );
        names
            .into_iter()
            .map(|name| (name.to_owned(), outcome(&old, name), outcome(&new, name)))
            .filter(|(_, before, after)| before != after)
            .collect()
    }

    /// The value of the `--key` field of a record, as text.
    fn key_of(&self, row: &Result<RowText, InputErrors>) -> Option<String> {
        batch::row_field(self.header.as_ref(), row, self.key?)
    }
}

/// Decides the batch under both policies; `None` when the reference data is invalid (after
/// printing why).
fn impact(
    options: &Options,
    path: &Path,
    policies: [&Policy; 2],
) -> Result<Option<Impact>, CliError> {
    let Some(kind) = batch::Kind::of(path) else {
        return Err(CliError(format!(
            "`{}`: `--input` takes a batch (`.jsonl`, `.ndjson`, `.csv` or `.xlsx`)",
            path.display()
        )));
    };
    let limits = policies[1].limits();
    let data = match read_data(options.data.as_deref(), limits)? {
        Ok(data) => data,
        Err(errors) => {
            print_input_errors("reference data", &errors);
            return Ok(None);
        }
    };
    let references = match policies.map(|policy| policy.reference_data(data.as_ref())) {
        [Ok(old), Ok(new)] => [old, new],
        results => {
            for (result, which) in results.iter().zip(["old", "new"]) {
                if let Err(errors) = result {
                    let what = format!("reference data for the {which} policy");
                    print_input_errors(&what, errors);
                }
            }
            return Ok(None);
        }
    };
    let mut rows = Rows::open(path, kind, None, limits)?;
    let key = options.key.clone().or_else(|| default_key(policies[1]));
    let judge = Judge {
        policies,
        parsers: [rows.parser(policies[0]), rows.parser(policies[1])],
        references,
        same_input: policies[0].input_schema() == policies[1].input_schema(),
        today: options.today,
        header: rows.header().cloned(),
        key: key.as_deref(),
    };
    let mut total = Impact::default();
    pipeline(
        options.jobs,
        || rows.chunk(),
        |chunk| judge.chunk(chunk),
        |impact| {
            total.add(impact);
            Ok(())
        },
    )?;
    Ok(Some(total))
}

/// The field that names a record when `--key` is not given: `id`, else `name`, if the input
/// declares it.
fn default_key(policy: &Policy) -> Option<String> {
    let schema = policy.input_schema();
    let fields = schema["fields"].as_array()?;
    ["id", "name"]
        .into_iter()
        .find(|key| fields.iter().any(|field| field["name"] == *key))
        .map(str::to_owned)
}

fn text(diff: &PolicyDiff, impact: Option<&Impact>, options: &Options) -> String {
    let mut out = String::new();
    let version = |header: &procura::diff::Header| match &header.version {
        Some(version) => format!("version {version}"),
        None => "no version".to_owned(),
    };
    let _ = writeln!(
        out,
        "{} ({}) → {} ({})",
        options.old.display(),
        version(&diff.old),
        options.new.display(),
        version(&diff.new)
    );
    if diff.changes.is_empty() {
        out.push_str("no changes\n");
    }
    for change in &diff.changes {
        write_change(&mut out, change);
    }
    if let (Some(impact), Some(input)) = (impact, &options.input) {
        write_impact(&mut out, impact, input);
    }
    out
}

fn write_change(out: &mut String, change: &Change) {
    let sign = match change.kind {
        ChangeKind::Added => '+',
        ChangeKind::Removed => '-',
        ChangeKind::Changed => '~',
    };
    let _ = writeln!(
        out,
        "\n{sign} {} {} {}",
        change.item.as_str(),
        change.name,
        change.kind.as_str()
    );
    for part in &change.parts {
        match (&part.old, &part.new) {
            (Some(old), Some(new)) => {
                let _ = writeln!(out, "    {}: {old}  →  {new}", part.part);
            }
            (None, Some(new)) => {
                let _ = writeln!(out, "    {}: added: {new}", part.part);
            }
            (Some(old), None) => {
                let _ = writeln!(out, "    {}: removed: {old}", part.part);
            }
            (None, None) => {}
        }
    }
    if !change.affects.is_empty() {
        let _ = writeln!(out, "    can change rules: {}", change.affects.join(", "));
    }
}

fn write_impact(out: &mut String, impact: &Impact, input: &Path) {
    let _ = writeln!(
        out,
        "\nimpact on {} records of {}: {} change decision",
        impact.records,
        input.display(),
        impact.changed.len()
    );
    // Only the results that occur, as rows (before) and columns (after).
    let occurs: Vec<usize> = (0..RESULTS.len())
        .filter(|&i| (0..RESULTS.len()).any(|j| impact.matrix[i][j] + impact.matrix[j][i] > 0))
        .collect();
    let width = occurs
        .iter()
        .map(|&i| RESULTS[i].as_str().len())
        .max()
        .unwrap_or(0)
        .max(16);
    let _ = write!(out, "  {:<width$}", "before \\ after");
    for &j in &occurs {
        let _ = write!(
            out,
            "  {:>w$}",
            RESULTS[j].as_str(),
            w = RESULTS[j].as_str().len().max(7)
        );
    }
    out.push('\n');
    for &i in &occurs {
        let _ = write!(out, "  {:<width$}", RESULTS[i].as_str());
        for &j in &occurs {
            let w = RESULTS[j].as_str().len().max(7);
            let _ = write!(out, "  {:>w$}", impact.matrix[i][j]);
        }
        out.push('\n');
    }
    for changed in &impact.changed {
        let key = changed
            .key
            .as_ref()
            .map(|key| format!(" ({key})"))
            .unwrap_or_default();
        let rules: Vec<String> = changed
            .rules
            .iter()
            .map(|(name, before, after)| {
                format!(
                    "{name} {} → {}",
                    outcome_text(*before),
                    outcome_text(*after)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  line {}{key}: {} → {}; {}",
            changed.line,
            changed.before.as_str(),
            changed.after.as_str(),
            if rules.is_empty() {
                "no rule outcome changed".to_owned()
            } else {
                rules.join(", ")
            }
        );
    }
}

fn outcome_text(outcome: Option<Outcome>) -> &'static str {
    outcome.map_or("(none)", Outcome::as_str)
}

fn to_json(diff: &PolicyDiff, impact: Option<&Impact>) -> serde_json::Value {
    let header =
        |header: &procura::diff::Header| json!({"title": header.title, "version": header.version});
    let changes: Vec<serde_json::Value> = diff
        .changes
        .iter()
        .map(|change| {
            let parts: Vec<serde_json::Value> = change
                .parts
                .iter()
                .map(|part| json!({"part": part.part, "old": part.old, "new": part.new}))
                .collect();
            json!({
                "item": change.item.as_str(),
                "name": change.name,
                "change": change.kind.as_str(),
                "parts": parts,
                "affects": change.affects,
            })
        })
        .collect();
    let mut out = json!({"old": header(&diff.old), "new": header(&diff.new), "changes": changes});
    if let Some(impact) = impact {
        let matrix: serde_json::Map<String, serde_json::Value> = RESULTS
            .iter()
            .enumerate()
            .map(|(i, before)| {
                let row: serde_json::Map<String, serde_json::Value> = RESULTS
                    .iter()
                    .enumerate()
                    .map(|(j, after)| (after.as_str().to_owned(), impact.matrix[i][j].into()))
                    .collect();
                (before.as_str().to_owned(), row.into())
            })
            .collect();
        let changed: Vec<serde_json::Value> = impact
            .changed
            .iter()
            .map(|changed| {
                let rules: Vec<serde_json::Value> = changed
                    .rules
                    .iter()
                    .map(|(name, before, after)| {
                        json!({
                            "name": name,
                            "before": before.map(Outcome::as_str),
                            "after": after.map(Outcome::as_str),
                        })
                    })
                    .collect();
                json!({
                    "line": changed.line,
                    "key": changed.key,
                    "before": changed.before.as_str(),
                    "after": changed.after.as_str(),
                    "rules": rules,
                })
            })
            .collect();
        out["impact"] = json!({
            "records": impact.records,
            "matrix": matrix,
            "changed": changed,
        });
    }
    out
}
