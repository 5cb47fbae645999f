//! Readers of the files a compliance team really holds (`import` feature): suppliers' RMI
//! reporting templates (CMRT, EMRT) and the public reference lists. Each takes the file's
//! bytes and its name (for messages) and returns JSON and warnings: no file system, no
//! clock, so the same readers can serve the command line and a WebAssembly host.
//! `docs/data.md` documents every format and the JSON it gives.

pub mod cmrt;
pub mod cpi;
pub mod eu;
pub mod iso3166;
pub mod ofac;
pub mod rmi;
pub mod svhc;
pub mod table;
pub mod xlsx;

use std::fmt;

use crate::Date;
use crate::limits;

/// What an importer gives: the JSON, and what it noticed without stopping (blank or incomplete
/// rows, values outside the template's choices), in the order found.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub json: serde_json::Value,
    pub warnings: Vec<Warning>,
}

/// The JSON of an import as text, the same bytes on every host (`procura import` prints them,
/// the browser's reader module returns them): indented by two spaces, keys sorted, a final
/// newline.
pub fn json_text(json: &serde_json::Value) -> String {
    format!("{json:#}\n")
}

/// Something worth a person's attention, at a place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The sheet (workbooks), or `None` for a text file.
    pub sheet: Option<String>,
    /// The row (1-based, as a spreadsheet numbers it), or `None` for the whole sheet.
    pub row: Option<u32>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.sheet, self.row) {
            (Some(sheet), Some(row)) => write!(f, "`{sheet}` row {row}: {}", self.message),
            (Some(sheet), None) => write!(f, "`{sheet}`: {}", self.message),
            (None, Some(row)) => write!(f, "row {row}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// What a reference-list importer may be told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferenceOptions {
    /// The table the JSON is for (each importer has a default: `cpi`, `rmap`, `sdn`,
    /// `eu_sanctions`, `svhc_candidates`).
    pub table: Option<String>,
    /// The sheet of a workbook (default: the first).
    pub sheet: Option<String>,
    /// The CPI year whose score column is read (default: the first score column).
    pub year: Option<u32>,
    /// The status of the smelters of an RMI list without a status column (default:
    /// `conformant`).
    pub status: Option<String>,
}

/// Why a file could not be imported. Every variant names the file; those about a place in it
/// name the sheet, row and column too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("`{file}`: the {what} is larger than the limit of {limit}")]
    TooLarge {
        file: String,
        what: String,
        limit: u64,
    },
    #[error("`{file}`: cannot read the workbook: {message}")]
    Workbook { file: String, message: String },
    #[error("`{file}`: cannot read sheet `{sheet}`: {message}")]
    Sheet {
        file: String,
        sheet: String,
        message: String,
    },
    #[error("`{file}`: no sheet `{sheet}`{hint}")]
    MissingSheet {
        file: String,
        sheet: String,
        hint: String,
    },
    /// The file is readable but is not what the importer reads.
    #[error("`{file}`: {message}")]
    NotTemplate { file: String, message: String },
    /// A value at a place in the file that the importer cannot use.
    #[error("`{file}`{place}: {message}")]
    Invalid {
        file: String,
        /// ` sheet `S` row R column C`, or as much of it as applies.
        place: String,
        message: String,
    },
}

impl ImportError {
    /// An error at a cell, row or column of a file (empty parts are left out).
    pub fn at(
        file: &str,
        sheet: Option<&str>,
        row: Option<u64>,
        column: Option<&str>,
        message: String,
    ) -> ImportError {
        let mut place = String::new();
        if let Some(sheet) = sheet {
            place.push_str(&format!(", sheet `{sheet}`"));
        }
        if let Some(row) = row {
            place.push_str(&format!(", row {row}"));
        }
        if let Some(column) = column {
            place.push_str(&format!(", column `{column}`"));
        }
        ImportError::Invalid {
            file: file.to_owned(),
            place,
            message,
        }
    }
}

/// Refuses a text file (CSV, XML) over [`limits::MAX_IMPORT_TEXT_BYTES`].
pub fn check_text_size(file: &str, bytes: &[u8]) -> Result<(), ImportError> {
    if bytes.len() as u64 > limits::MAX_IMPORT_TEXT_BYTES {
        return Err(ImportError::TooLarge {
            file: file.to_owned(),
            what: "file".to_owned(),
            limit: limits::MAX_IMPORT_TEXT_BYTES,
        });
    }
    Ok(())
}

/// The date of an Excel serial number (days since 1899-12-30 in the 1900 date system, whose
/// invented 1900-02-29 is serial 60); `None` outside years 1900 to 9999.
pub fn excel_date(serial: f64) -> Option<Date> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let mut days = serial.floor() as i64;
    // Serials before the invented leap day count one day too many.
    if days < 61 {
        days += 1;
    }
    let date = Date(i32::try_from(days - 25_569).ok()?);
    (1900..=limits::MAX_YEAR)
        .contains(&date.year())
        .then_some(date)
}

/// A date written as text: `YYYY-MM-DD` (a time after it is ignored), or `DD-MMM-YYYY` with
/// an English month abbreviation, the form the RMI templates ask for (`05-Mar-2025`).
pub fn text_date(text: &str) -> Option<Date> {
    let text = text.trim();
    if let Some(date) = text.get(..10).and_then(Date::parse) {
        return Some(date);
    }
    let mut parts = text.split(['-', ' ', '/']);
    let day: u32 = parts.next()?.parse().ok()?;
    let month = parts.next()?.to_ascii_lowercase();
    let year: i32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = MONTHS.iter().position(|name| month.starts_with(name))?;
    Date::from_ymd(year, month as u32 + 1, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials_are_dates() {
        let date = |serial| excel_date(serial).map(|d| d.to_string());
        assert_eq!(date(45717.0).as_deref(), Some("2025-03-01"));
        assert_eq!(date(45717.75).as_deref(), Some("2025-03-01"));
        assert_eq!(date(61.0).as_deref(), Some("1900-03-01"));
        assert_eq!(date(1.0).as_deref(), Some("1900-01-01"));
        assert_eq!(date(0.0), None);
        assert_eq!(date(f64::NAN), None);
    }

    #[test]
    fn dates_as_text() {
        let date = |text| text_date(text).map(|d| d.to_string());
        assert_eq!(date("2025-03-01").as_deref(), Some("2025-03-01"));
        assert_eq!(date("2025-03-01T00:00:00").as_deref(), Some("2025-03-01"));
        assert_eq!(date("05-Mar-2025").as_deref(), Some("2025-03-05"));
        assert_eq!(date("5 March 2025").as_deref(), Some("2025-03-05"));
        assert_eq!(date("31-Feb-2025"), None);
        assert_eq!(date("next week"), None);
    }
}
