//! A batch of records from a workbook sheet (`--input suppliers.xlsx [--sheet NAME]`): the
//! first non-empty row is the header and every later non-empty row a record, with the CSV
//! conventions (`cli::csv`). Cells become the text a CSV cell would hold: numbers as Excel
//! shows them, dates as `YYYY-MM-DD`, `TRUE`/`FALSE` as booleans.

use std::io::Read;
use std::path::Path;

use procura::import::excel_date;
use procura::import::xlsx::{Value, Workbook, format_number};
use procura::limits::MAX_WORKBOOK_BYTES;

use super::CliError;

/// Columns read from a batch sheet.
const COLUMNS: u32 = 512;

/// A sheet's header and its records, each with its row number.
pub struct Rows {
    pub header: csv::StringRecord,
    pub records: Vec<(u64, csv::StringRecord)>,
}

pub fn read(path: &Path, sheet: Option<&str>) -> Result<Rows, CliError> {
    let file = std::fs::File::open(path).map_err(|error| CliError::io(path, &error))?;
    let mut bytes = Vec::new();
    file.take(MAX_WORKBOOK_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| CliError::io(path, &error))?;
    let name = path.display().to_string();
    let error = |error: procura::import::ImportError| CliError(error.to_string());
    let mut workbook = Workbook::open(&name, &bytes).map_err(error)?;
    let grid = workbook.sheet_or_first(sheet, COLUMNS).map_err(error)?;
    let mut header = None;
    let mut records = Vec::new();
    for row in 1..=grid.last_row {
        if !grid.row_has_any(row, 0..COLUMNS) {
            continue;
        }
        let width = match &header {
            Some(header) => csv::StringRecord::len(header),
            None => COLUMNS as usize,
        };
        let mut cells: Vec<String> = (0..width as u32)
            .map(|column| grid.get(row, column).map(cell).unwrap_or_default())
            .collect();
        match header {
            None => {
                while cells.last().is_some_and(String::is_empty) {
                    cells.pop();
                }
                header = Some(csv::StringRecord::from(cells));
            }
            Some(_) => records.push((u64::from(row), csv::StringRecord::from(cells))),
        }
    }
    let header =
        header.ok_or_else(|| CliError(format!("sheet `{}` of `{name}` is empty", grid.name)))?;
    Ok(Rows { header, records })
}

/// A cell as the text of a CSV cell.
fn cell(value: &Value) -> String {
    match value {
        Value::Text(text) => text.trim().to_owned(),
        Value::Number(number) => format_number(*number),
        Value::Bool(true) => "true".to_owned(),
        Value::Bool(false) => "false".to_owned(),
        Value::Date(serial) => {
            excel_date(*serial).map_or_else(|| format_number(*serial), |date| date.to_string())
        }
        Value::Error(error) => error.clone(),
    }
}
