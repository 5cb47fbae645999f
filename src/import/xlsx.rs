//! `.xlsx` workbooks as bytes: the zip container checked against the import limits before
//! anything is decompressed for real, then sheets read as a stream of cells (calamine's cell
//! reader, never a dense range sized by the sheet's own claims), keeping only the columns the
//! caller asks for.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use super::{ImportError, limits};

/// One value of a cell: what Excel shows, formula cells by their cached value. Empty cells and
/// cells whose value is the empty text are not stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    /// A date or time cell: the serial number, days since the workbook's epoch (1899-12-30
    /// in the 1900 system, corrected for its leap-year bug).
    Date(f64),
    /// A formula whose cached value is an error such as `#N/A`.
    Error(String),
}

impl Value {
    /// The value as text, as Excel would print it (numbers without a needless fraction); an
    /// error is not text.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Text(text) => Some(text.trim().to_owned()).filter(|text| !text.is_empty()),
            Value::Number(number) | Value::Date(number) => Some(format_number(*number)),
            Value::Bool(true) => Some("TRUE".to_owned()),
            Value::Bool(false) => Some("FALSE".to_owned()),
            Value::Error(_) => None,
        }
    }
}

/// A number as Excel shows it in a General cell: whole numbers without a fraction.
pub fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{number:.0}")
    } else {
        number.to_string()
    }
}

/// A workbook opened from bytes. Nothing here touches the file system, so the same reader
/// serves the command line and, later, WebAssembly.
pub struct Workbook<'a> {
    xlsx: Xlsx<Cursor<&'a [u8]>>,
    /// The file's name, for errors.
    file: String,
}

impl<'a> Workbook<'a> {
    /// Opens a workbook after checking its container: the size of the file, the number of
    /// parts, and the real (not the declared) decompressed size of every XML part.
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<Workbook<'a>, ImportError> {
        if bytes.len() as u64 > limits::MAX_WORKBOOK_BYTES {
            return Err(ImportError::TooLarge {
                file: file.to_owned(),
                what: "workbook".to_owned(),
                limit: limits::MAX_WORKBOOK_BYTES,
            });
        }
        check_container(file, bytes)?;
        let xlsx = Xlsx::new(Cursor::new(bytes)).map_err(|error| ImportError::Workbook {
            file: file.to_owned(),
            message: error.to_string(),
        })?;
        Ok(Workbook {
            xlsx,
            file: file.to_owned(),
        })
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// The names of the sheets, in workbook order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.xlsx.sheet_names()
    }

    /// The sheet names as a message lists them: `` `A`, `B` ``.
    pub fn sheet_list(&self) -> String {
        let names: Vec<String> = self
            .sheet_names()
            .iter()
            .map(|name| format!("`{name}`"))
            .collect();
        names.join(", ")
    }

    /// Reads the sheet `name`, or the first sheet (see [`Workbook::sheet`]); an error names
    /// the sheets there are when there is no such sheet.
    pub fn sheet_or_first(
        &mut self,
        name: Option<&str>,
        columns: u32,
    ) -> Result<Sheet, ImportError> {
        let name = match name {
            Some(name) => name.to_owned(),
            None => self.sheet_names().first().cloned().unwrap_or_default(),
        };
        self.sheet(&name, columns)?
            .ok_or_else(|| ImportError::MissingSheet {
                file: self.file.clone(),
                sheet: name,
                hint: format!(" (its sheets are {})", self.sheet_list()),
            })
    }

    /// Whether the workbook has a sheet of that name.
    pub fn has_sheet(&self, name: &str) -> bool {
        self.xlsx.sheet_names().iter().any(|sheet| sheet == name)
    }

    /// Reads a sheet's cells in columns `0..columns` (A is 0); `None` when there is no such
    /// sheet. At most [`limits::MAX_SHEET_CELLS`] non-empty cells are kept.
    pub fn sheet(&mut self, name: &str, columns: u32) -> Result<Option<Sheet>, ImportError> {
        if !self.has_sheet(name) {
            return Ok(None);
        }
        let file = self.file.clone();
        let error = |error: calamine::XlsxError| ImportError::Sheet {
            file: file.clone(),
            sheet: name.to_owned(),
            message: error.to_string(),
        };
        let is_1904 = self.xlsx.has_1904_epoch();
        let mut reader = self.xlsx.worksheet_cells_reader(name).map_err(error)?;
        let mut sheet = Sheet {
            name: name.to_owned(),
            cells: HashMap::new(),
            uncached: HashSet::new(),
            last_row: 0,
        };
        while let Some(cell) = reader.next_cell_with_formula_metadata().map_err(error)? {
            let (row, column) = cell.pos;
            if column >= columns {
                continue;
            }
            let kept = sheet.cells.len() + sheet.uncached.len();
            let Some(value) = value(&cell.value, is_1904) else {
                // A formula saved without its value (by a program that does not calculate):
                // the cell is there, its value is not.
                if cell.formula.is_some()
                    && cell.value == DataRef::Empty
                    && (kept as u64) < limits::MAX_SHEET_CELLS
                {
                    sheet.uncached.insert((row.saturating_add(1), column));
                }
                continue;
            };
            if kept as u64 >= limits::MAX_SHEET_CELLS {
                return Err(ImportError::TooLarge {
                    file: self.file.clone(),
                    what: format!("sheet `{name}`"),
                    limit: limits::MAX_SHEET_CELLS,
                });
            }
            let row = row.saturating_add(1);
            sheet.last_row = sheet.last_row.max(row);
            sheet.cells.insert((row, column), value);
        }
        Ok(Some(sheet))
    }
}

/// The cells of one sheet that hold something, by 1-based row (as Excel numbers them) and
/// 0-based column (A is 0).
#[derive(Debug)]
pub struct Sheet {
    pub name: String,
    cells: HashMap<(u32, u32), Value>,
    /// Formula cells saved without a value.
    uncached: HashSet<(u32, u32)>,
    /// The last row that holds a value (0 for an empty sheet).
    pub last_row: u32,
}

impl Sheet {
    pub fn get(&self, row: u32, column: u32) -> Option<&Value> {
        self.cells.get(&(row, column))
    }

    /// The cell as trimmed text; `None` when it is empty or an error.
    pub fn text(&self, row: u32, column: u32) -> Option<String> {
        self.get(row, column).and_then(Value::text)
    }

    /// Whether the cell holds a value, or a formula saved without one.
    pub fn is_filled(&self, row: u32, column: u32) -> bool {
        self.cells.contains_key(&(row, column)) || self.uncached.contains(&(row, column))
    }

    /// How many formula cells were saved without their value.
    pub fn uncached(&self) -> usize {
        self.uncached.len()
    }

    /// Whether any of `columns` of `row` holds a value (an error included).
    pub fn row_has_any(&self, row: u32, columns: std::ops::Range<u32>) -> bool {
        columns
            .into_iter()
            .any(|column| self.cells.contains_key(&(row, column)))
    }
}

/// A cell's value; `None` for an empty cell or empty text.
fn value(data: &DataRef<'_>, is_1904: bool) -> Option<Value> {
    let text = |text: &str| {
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| Value::Text(text.to_owned()))
    };
    match data {
        DataRef::Empty => None,
        DataRef::String(string) => text(string),
        DataRef::SharedString(string) => text(string),
        DataRef::DateTimeIso(string) | DataRef::DurationIso(string) => text(string),
        DataRef::Int(number) => Some(Value::Number(*number as f64)),
        DataRef::Float(number) => Some(Value::Number(*number)),
        DataRef::Bool(boolean) => Some(Value::Bool(*boolean)),
        DataRef::DateTime(date) => {
            // calamine keeps the serial as stored; the 1904 system counts from 1904-01-01.
            let offset = if is_1904 { 1462.0 } else { 0.0 };
            Some(Value::Date(date.as_f64() + offset))
        }
        DataRef::Error(error) => Some(Value::Error(error.to_string())),
    }
}

/// The name of a 0-based column: 0 is `A`, 26 is `AA`.
pub fn column_name(column: u32) -> String {
    let mut name = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        name.push(b'A' + rest as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Refuses a container that would make the reader decompress or keep too much: too many
/// parts, or an XML part (what calamine reads) whose real decompressed size is over the
/// limit, whatever its header declares. Decompresses each XML part once into nothing.
fn check_container(file: &str, bytes: &[u8]) -> Result<(), ImportError> {
    let not_xlsx = |message: String| ImportError::Workbook {
        file: file.to_owned(),
        message,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| not_xlsx(format!("not an .xlsx workbook (a zip container): {error}")))?;
    if zip.len() as u64 > limits::MAX_WORKBOOK_PARTS {
        return Err(ImportError::TooLarge {
            file: file.to_owned(),
            what: "workbook's parts".to_owned(),
            limit: limits::MAX_WORKBOOK_PARTS,
        });
    }
    let mut total = 0u64;
    for index in 0..zip.len() {
        let mut part = zip
            .by_index(index)
            .map_err(|error| not_xlsx(format!("part {index}: {error}")))?;
        let name = part
            .name()
            .map_err(|error| not_xlsx(format!("part {index}: {error}")))?
            .into_owned();
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        let too_large = || ImportError::TooLarge {
            file: file.to_owned(),
            what: format!("part `{name}` decompressed"),
            limit: limits::MAX_PART_BYTES,
        };
        if part.size() > limits::MAX_PART_BYTES {
            return Err(too_large());
        }
        let mut limited = (&mut part).take(limits::MAX_PART_BYTES + 1);
        let io = |error: std::io::Error| not_xlsx(format!("part `{name}`: {error}"));
        // The start of the part, where the shared strings declare their count.
        let mut start = Vec::with_capacity(PREFIX_BYTES);
        (&mut limited)
            .take(PREFIX_BYTES as u64)
            .read_to_end(&mut start)
            .map_err(io)?;
        let read =
            start.len() as u64 + std::io::copy(&mut limited, &mut std::io::sink()).map_err(io)?;
        if read > limits::MAX_PART_BYTES {
            return Err(too_large());
        }
        // calamine reserves room for the count of strings the part declares: a count that the
        // part cannot hold (each string takes at least `<si/>`) is refused before it does.
        if let Some(count) = declared_count(&name, &start)
            && count > read / 5
        {
            return Err(not_xlsx(format!(
                "part `{name}` declares {count} strings in {read} bytes"
            )));
        }
        total += read;
        if total > limits::MAX_UNCOMPRESSED_BYTES {
            return Err(ImportError::TooLarge {
                file: file.to_owned(),
                what: "workbook decompressed".to_owned(),
                limit: limits::MAX_UNCOMPRESSED_BYTES,
            });
        }
    }
    Ok(())
}

/// How much of each part is kept to read its declarations.
const PREFIX_BYTES: usize = 4096;

/// The `uniqueCount` the `<sst>` element of a shared-strings part declares, if the part is
/// one and the count is within `start`.
fn declared_count(name: &str, start: &[u8]) -> Option<u64> {
    if !name.ends_with("sharedStrings.xml") {
        return None;
    }
    let text = String::from_utf8_lossy(start);
    let at = text.find("uniqueCount=")? + "uniqueCount=".len();
    let digits: String = text
        .get(at + 1..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // A number too large for u64 is as much a lie as a large one.
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(33), "AH");
    }

    #[test]
    fn numbers_print_as_excel_shows_them() {
        assert_eq!(format_number(45000.0), "45000");
        assert_eq!(format_number(0.5), "0.5");
    }
}
