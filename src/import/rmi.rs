//! The RMI facility lists (Active and Conformant smelters and refiners), as exported from the
//! RMI's web table (spreadsheet or CSV with the smelter identification number, name, metal,
//! country and audit dates), as the table `rmap`: smelter identification (`CID...`) →
//! `{name, metal, country, status, last_audit, audit_cycle}`. Columns are found by their
//! header; a list without a status column is the conformant list (`--status` says otherwise).

use serde_json::{Map, Value as Json};

use super::cmrt::is_cid;
use super::table::{Table, cell_text, column, data, number};
use super::xlsx::Value;
use super::{Import, ImportError, ReferenceOptions, Warning, excel_date, text_date};

pub fn read(file: &str, bytes: &[u8], options: &ReferenceOptions) -> Result<Import, ImportError> {
    let table = Table::read(file, bytes, options.sheet.as_deref())?;
    let is_id = |name: &str| {
        (name.contains("smelter") || name.contains("facility"))
            && (name.contains(" id") || name.contains("identification"))
    };
    let is_metal = |name: &str| name.contains("metal") || name.contains("mineral");
    let (header_index, header) = table
        .header("a smelter identification and a metal column", |cells| {
            column(cells, is_id).is_some() && column(cells, is_metal).is_some()
        })?;
    let (Some(id), Some(metal)) = (column(&header, is_id), column(&header, is_metal)) else {
        return Err(table.error(
            None,
            None,
            "no smelter identification or metal column".to_owned(),
        ));
    };
    let name = column(&header, |name| {
        name.contains("standard") && name.contains("name")
    })
    .or_else(|| column(&header, |name| name.contains("name")));
    let country = column(&header, |name| {
        name.contains("country") || name.contains("location")
    });
    let status = column(&header, |name| name.contains("status"));
    let last_audit = column(&header, |name| {
        name.contains("audit") && name.contains("date")
    });
    let cycle = column(&header, |name| name.contains("cycle"));
    let default_status = options.status.as_deref().unwrap_or("conformant");
    let mut entries = Map::new();
    let mut warnings = Vec::new();
    for (row, cells) in table.rows.iter().skip(header_index + 1) {
        let Some(cid) = cell_text(cells, id) else {
            return Err(table.error(
                Some(*row),
                Some(id),
                "no smelter identification number".to_owned(),
            ));
        };
        if !is_cid(&cid) {
            warnings.push(Warning {
                sheet: table.sheet.clone(),
                row: Some(*row),
                message: format!(
                    "smelter identification `{cid}` is not of the form CID and six digits"
                ),
            });
        }
        let mut entry = Map::new();
        let mut text = |field: &str, column: Option<usize>| {
            if let Some(value) = column.and_then(|column| cell_text(cells, column)) {
                entry.insert(field.to_owned(), Json::String(value));
            }
        };
        text("name", name);
        text("country", country);
        let Some(metal) = cell_text(cells, metal) else {
            return Err(table.error(Some(*row), Some(metal), format!("`{cid}` has no metal")));
        };
        entry.insert("metal".to_owned(), metal.to_lowercase().into());
        let status = status
            .and_then(|column| cell_text(cells, column))
            .map_or_else(|| default_status.to_owned(), |status| status.to_lowercase());
        entry.insert("status".to_owned(), status.into());
        if let Some(column) = last_audit {
            let date = match cells.get(column).and_then(Option::as_ref) {
                None => None,
                Some(Value::Date(serial) | Value::Number(serial)) => Some(excel_date(*serial)),
                Some(Value::Text(text)) => Some(text_date(text)),
                Some(_) => Some(None),
            };
            match date {
                Some(Some(date)) => {
                    entry.insert("last_audit".to_owned(), date.to_string().into());
                }
                Some(None) => {
                    let shown = cell_text(cells, column).unwrap_or_default();
                    return Err(table.error(
                        Some(*row),
                        Some(column),
                        format!("`{shown}` is not a date"),
                    ));
                }
                None => {}
            }
        }
        // The audit cycle in years: a number, or text that starts with one (`3 years`).
        if let Some(column) = cycle {
            let years = match cells.get(column).and_then(Option::as_ref) {
                Some(Value::Text(text)) => {
                    let digits: String = text
                        .trim()
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    Some(digits.parse::<u32>().map(Json::from).map_err(|_| {
                        table.error(
                            Some(*row),
                            Some(column),
                            format!("audit cycle `{}` is not a number of years", text.trim()),
                        )
                    })?)
                }
                _ => number(&table, *row, cells, column)?,
            };
            if let Some(years) = years {
                entry.insert("audit_cycle".to_owned(), years);
            }
        }
        if entries.contains_key(&cid) {
            warnings.push(Warning {
                sheet: table.sheet.clone(),
                row: Some(*row),
                message: format!("`{cid}` appears again: the first entry is kept"),
            });
            continue;
        }
        entries.insert(cid, Json::Object(entry));
    }
    Ok(Import {
        json: data(options.table.as_deref().unwrap_or("rmap"), entries),
        warnings,
    })
}
