//! Tabular reference lists, from a workbook (`.xlsx`: the first sheet, or a named one) or a
//! CSV file alike: rows of cells with their spreadsheet row numbers, a header row found by
//! what its cells say, and errors that name the file, sheet, row and column.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::ImportError;
use super::xlsx::{Value, Workbook, column_name};

/// Columns read from a reference list's sheet.
const COLUMNS: u32 = 64;

/// How many rows from the top may come before the header (titles, notes, blank rows).
const HEADER_SEARCH_ROWS: usize = 30;

/// A reference list as rows of cells.
pub struct Table {
    pub file: String,
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
    /// Non-empty rows in order: the row number (1-based) and its cells from column A.
    pub rows: Vec<(u32, Vec<Option<Value>>)>,
}

/// Whether the bytes are a zip container (an `.xlsx` workbook) rather than text.
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

impl Table {
    /// Reads a workbook's sheet (`sheet`, else the first) or, when the bytes are not a
    /// workbook, a CSV file.
    pub fn read(file: &str, bytes: &[u8], sheet: Option<&str>) -> Result<Table, ImportError> {
        if is_workbook(bytes) {
            Table::from_workbook(file, bytes, sheet)
        } else {
            Table::from_csv(file, bytes)
        }
    }

    fn from_workbook(file: &str, bytes: &[u8], sheet: Option<&str>) -> Result<Table, ImportError> {
        let mut workbook = Workbook::open(file, bytes)?;
        let grid = workbook.sheet_or_first(sheet, COLUMNS)?;
        let name = grid.name.clone();
        let mut rows = BTreeMap::new();
        for row in 1..=grid.last_row {
            if !grid.row_has_any(row, 0..COLUMNS) {
                continue;
            }
            let cells = (0..COLUMNS).map(|column| grid.get(row, column).cloned());
            let mut cells: Vec<Option<Value>> = cells.collect();
            while cells.last().is_some_and(Option::is_none) {
                cells.pop();
            }
            rows.insert(row, cells);
        }
        Ok(Table {
            file: file.to_owned(),
            sheet: Some(name),
            rows: rows.into_iter().collect(),
        })
    }

    fn from_csv(file: &str, bytes: &[u8]) -> Result<Table, ImportError> {
        super::check_text_size(file, bytes)?;
        // A byte order mark is not part of the first cell.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut rows = Vec::new();
        let mut lines = Lines::new(bytes);
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(error) => {
                    let line = error.position().map(|at| lines.at(at.byte()));
                    return Err(ImportError::at(
                        file,
                        None,
                        line,
                        None,
                        format!("not CSV: {error}"),
                    ));
                }
            }
            let line = lines.at(record.position().map_or(0, csv::Position::byte));
            let row = u32::try_from(line).unwrap_or(u32::MAX);
            let mut cells = Vec::with_capacity(record.len());
            for (column, field) in (0u32..).zip(record.iter()) {
                let text = String::from_utf8(field.to_vec()).map_err(|_| {
                    ImportError::at(
                        file,
                        None,
                        Some(line),
                        Some(&column_name(column)),
                        "not UTF-8 text".to_owned(),
                    )
                })?;
                let trimmed = text.trim();
                cells.push((!trimmed.is_empty()).then(|| Value::Text(trimmed.to_owned())));
            }
            if cells.iter().any(Option::is_some) {
                rows.push((row, cells));
            }
        }
        Ok(Table {
            file: file.to_owned(),
            sheet: None,
            rows,
        })
    }

    /// The index (in `rows`) and the cells of the first row among the top ones for which
    /// `is_header` holds, given its cells in lower case.
    pub fn header(
        &self,
        what: &str,
        is_header: impl Fn(&[String]) -> bool,
    ) -> Result<(usize, Vec<String>), ImportError> {
        for (index, (_, cells)) in self.rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
            let texts: Vec<String> = cells
                .iter()
                .map(|cell| {
                    cell.as_ref()
                        .and_then(Value::text)
                        .unwrap_or_default()
                        .to_lowercase()
                })
                .collect();
            if is_header(&texts) {
                return Ok((index, texts));
            }
        }
        Err(self.error(
            None,
            None,
            format!("no header row with {what} in the first {HEADER_SEARCH_ROWS} rows"),
        ))
    }

    /// An error at a row and column of the list.
    pub fn error(&self, row: Option<u32>, column: Option<usize>, message: String) -> ImportError {
        let column = column.map(|column| column_name(u32::try_from(column).unwrap_or(u32::MAX)));
        ImportError::at(
            &self.file,
            self.sheet.as_deref(),
            row.map(u64::from),
            column.as_deref(),
            message,
        )
    }
}

/// The column whose header satisfies `matches`, first one first.
pub fn column(header: &[String], matches: impl Fn(&str) -> bool) -> Option<usize> {
    header.iter().position(|name| matches(name))
}

/// The text of a cell of a row, trimmed; `None` when empty.
pub fn cell_text(cells: &[Option<Value>], column: usize) -> Option<String> {
    cells.get(column)?.as_ref()?.text()
}

/// The `--data` JSON of one table: `{"NAME": {key: value, ...}}`.
pub fn data(table: &str, entries: Map<String, Json>) -> Json {
    let mut data = Map::new();
    data.insert(table.to_owned(), Json::Object(entries));
    Json::Object(data)
}

/// The number in a cell (a number cell, or text that reads as one); `None` when empty.
pub fn number(
    table: &Table,
    row: u32,
    cells: &[Option<Value>],
    column: usize,
) -> Result<Option<Json>, ImportError> {
    let value = match cells.get(column).and_then(Option::as_ref) {
        None => return Ok(None),
        Some(Value::Number(number)) => Some(*number),
        Some(Value::Text(text)) => text.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    // Whole numbers print without a fraction, as the engine prints them.
    let whole = |n: f64| n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0;
    let json = value.and_then(|n| {
        if whole(n) {
            Some(Json::from(n as i64))
        } else {
            serde_json::Number::from_f64(n).map(Json::Number)
        }
    });
    match json {
        Some(number) => Ok(Some(number)),
        None => {
            let shown = cells
                .get(column)
                .and_then(Option::as_ref)
                .and_then(Value::text)
                .unwrap_or_default();
            Err(table.error(
                Some(row),
                Some(column),
                format!("`{shown}` is not a number"),
            ))
        }
    }
}

/// Line numbers of positions in a text, asked in increasing order: the csv crate counts a
/// record of a CRLF file from the line before it, so lines are counted here, once.
pub struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    pub fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the content at or after byte `offset` (line breaks at it are skipped).
    pub fn at(&mut self, offset: u64) -> u64 {
        let mut target = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while self
            .bytes
            .get(target)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            target += 1;
        }
        if target > self.offset {
            let between = self.bytes.get(self.offset..target).unwrap_or_default();
            self.line += between.iter().filter(|b| **b == b'\n').count() as u64;
            self.offset = target;
        }
        self.line
    }
}
