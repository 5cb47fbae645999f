//! Batch results for analysts (`procura eval POLICY --input BATCH --output results.csv` or
//! `results.xlsx`): one row per supplier (its line in the input, its `name`, the decision, the
//! failed rules with their messages, the missing fields, an input error), and in a workbook a
//! `Summary` sheet with the counts per decision and the most frequent failing rules and
//! missing fields. The batch's JSON Lines are read back as they are written, so the output is
//! the same reports, only laid out for a spreadsheet.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::rc::Rc;

use serde_json::Value;

use super::CliError;
use super::batch::{Kind, Rows, most_frequent, row_field};
use procura::limits::Limits;

/// The format of `--output`, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn of(path: &Path) -> Result<Format, CliError> {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            _ => Err(CliError(format!(
                "`--output {}`: the results are written as `.csv` or `.xlsx`",
                path.display()
            ))),
        }
    }
}

/// One evaluated record.
struct Row {
    decision: String,
    /// `rule (verdict): message` of each failed rule.
    failed: Vec<String>,
    failed_names: Vec<String>,
    /// Failed rules with verdict `warn`.
    warnings: u64,
    missing: Vec<String>,
    error: Option<String>,
}

/// Collects the batch's JSON Lines as they are written.
#[derive(Clone, Default)]
pub struct Sink(Rc<RefCell<Collected>>);

#[derive(Default)]
struct Collected {
    pending: Vec<u8>,
    rows: Vec<Row>,
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut collected = self.0.borrow_mut();
        collected.pending.extend_from_slice(bytes);
        while let Some(end) = collected.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = collected.pending.drain(..=end).collect();
            let json: Value = serde_json::from_slice(&line).map_err(io::Error::other)?;
            collected.rows.push(row(&json));
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn row(json: &Value) -> Row {
    let texts = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(error) = json["error"].as_str() {
        let message = match json["errors"].as_array() {
            Some(errors) => errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e["path"].as_str().unwrap_or("$"),
                        e["message"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            None => json["message"].as_str().unwrap_or_default().to_owned(),
        };
        return Row {
            decision: "error".to_owned(),
            failed: Vec::new(),
            failed_names: Vec::new(),
            warnings: 0,
            missing: Vec::new(),
            error: Some(format!("{error}: {message}")),
        };
    }
    let mut failed = Vec::new();
    let mut failed_names = Vec::new();
    let mut warnings = 0;
    for rule in json["rules"].as_array().into_iter().flatten() {
        if rule["outcome"] == "failed" {
            warnings += u64::from(rule["verdict"] == "warn");
            let name = rule["name"].as_str().unwrap_or_default();
            failed.push(format!(
                "{name} ({}): {}",
                rule["verdict"].as_str().unwrap_or_default(),
                rule["message"].as_str().unwrap_or_default()
            ));
            failed_names.push(name.to_owned());
        }
    }
    Row {
        decision: json["decision"].as_str().unwrap_or_default().to_owned(),
        failed,
        failed_names,
        warnings,
        missing: texts(&json["missing"]),
        error: None,
    }
}

impl Sink {
    /// Writes the collected results to `path`, each row with its record's line and name.
    pub fn write_to(
        &self,
        path: &Path,
        format: Format,
        records: &[(u64, String)],
    ) -> Result<(), CliError> {
        let collected = self.0.borrow();
        let rows: Vec<[String; 6]> = collected
            .rows
            .iter()
            .enumerate()
            .map(|(index, row)| {
                let (line, name) = records.get(index).cloned().unwrap_or_default();
                [
                    line.to_string(),
                    name,
                    row.decision.clone(),
                    row.failed.join(" | "),
                    row.missing.join("; "),
                    row.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let failed = |path: &Path, error: String| {
            CliError(format!("cannot write `{}`: {error}", path.display()))
        };
        match format {
            Format::Csv => {
                let mut writer =
                    csv::Writer::from_path(path).map_err(|e| failed(path, e.to_string()))?;
                writer
                    .write_record(HEADER)
                    .map_err(|e| failed(path, e.to_string()))?;
                for row in &rows {
                    writer
                        .write_record(row)
                        .map_err(|e| failed(path, e.to_string()))?;
                }
                writer.flush().map_err(|e| failed(path, e.to_string()))
            }
            Format::Xlsx => self
                .workbook(&rows, &collected.rows)
                .and_then(|mut workbook| workbook.save(path))
                .map_err(|e| failed(path, e.to_string())),
        }
    }

    fn workbook(
        &self,
        rows: &[[String; 6]],
        results: &[Row],
    ) -> Result<rust_xlsxwriter::Workbook, rust_xlsxwriter::XlsxError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let sheet = workbook.add_worksheet().set_name("Results")?;
        for (column, name) in (0u16..).zip(HEADER) {
            sheet.write_string_with_format(0, column, name, &bold)?;
        }
        for (row, cells) in (1u32..).zip(rows) {
            for (column, cell) in (0u16..).zip(cells) {
                match (column, cell.parse::<f64>()) {
                    (0, Ok(number)) => sheet.write_number(row, column, number)?,
                    _ => sheet.write_string(row, column, cell)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, rows.len() as u32, 5)?;
        for (column, width) in [(1, 30.0), (2, 12.0), (3, 80.0), (4, 40.0), (5, 40.0)] {
            sheet.set_column_width(column, width)?;
        }
        let summary = workbook.add_worksheet().set_name("Summary")?;
        let mut row = 0u32;
        let mut table =
            |title: &str, counts: Vec<(String, u64)>| -> Result<(), rust_xlsxwriter::XlsxError> {
                summary.write_string_with_format(row, 0, title, &bold)?;
                summary.write_string_with_format(row, 1, "count", &bold)?;
                row += 1;
                for (name, count) in counts {
                    summary.write_string(row, 0, &name)?;
                    summary.write_number(row, 1, count as f64)?;
                    row += 1;
                }
                row += 1;
                Ok(())
            };
        let decisions = ["approve", "review", "incomplete", "reject", "error"]
            .iter()
            .map(|decision| {
                let count = results.iter().filter(|r| r.decision == *decision).count() as u64;
                ((*decision).to_owned(), count)
            })
            .collect();
        table("decision", decisions)?;
        table(
            "most frequent failing rules",
            most_frequent_names(results.iter().flat_map(|r| r.failed_names.iter())),
        )?;
        table(
            "most frequent missing fields",
            most_frequent_names(results.iter().flat_map(|r| r.missing.iter())),
        )?;
        let warned = |r: &&Row| r.warnings > 0;
        let warnings = vec![
            (
                "failed rules with verdict warn".to_owned(),
                results.iter().map(|r| r.warnings).sum(),
            ),
            (
                "records with a warning".to_owned(),
                results.iter().filter(warned).count() as u64,
            ),
        ];
        table("warnings", warnings)?;
        summary.set_column_width(0, 40.0)?;
        Ok(workbook)
    }
}

const HEADER: [&str; 6] = [
    "line",
    "supplier",
    "decision",
    "failed rules",
    "missing",
    "error",
];

/// The ten most frequent names, most frequent first, then by name.
fn most_frequent_names<'a>(names: impl Iterator<Item = &'a String>) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_default() += 1;
    }
    (most_frequent(counts, 10).into_iter())
        .map(|(name, count)| (name.to_owned(), count))
        .collect()
}

/// The line and `name` of every record of a batch, in order, read again by the batch's own
/// reader (so lines and limits are the evaluation's): the results' first two columns.
pub fn records(
    path: &Path,
    kind: Kind,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Vec<(u64, String)>, CliError> {
    let mut rows = Rows::open(path, kind, sheet, limits)?;
    let header = rows.header().cloned();
    let mut records = Vec::new();
    while let Some(chunk) = rows.chunk()? {
        for (line, row) in &chunk.rows {
            let name = row_field(header.as_ref(), row, "name").unwrap_or_default();
            records.push((*line, name));
        }
    }
    Ok(records)
}
