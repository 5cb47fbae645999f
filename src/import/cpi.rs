//! Transparency International's Corruption Perceptions Index: the results workbook
//! (`CPI2024_Global_Results__Trends.xlsx`, one sheet a year) or its CSV export, as the table
//! `cpi`: ISO 3166-1 alpha-2 code → score (0 to 100). The header row is found by its `ISO3`
//! column and a `CPI score YEAR` column, wherever it is (TI puts a title above it and renames
//! the columns from year to year).

use serde_json::Map;

use super::table::number;
use super::table::{Table, cell_text, column, data};
use super::{Import, ImportError, ReferenceOptions, Warning, iso3166};

pub fn read(file: &str, bytes: &[u8], options: &ReferenceOptions) -> Result<Import, ImportError> {
    let table = Table::read(file, bytes, options.sheet.as_deref())?;
    let year = options.year.map(|year| year.to_string());
    let is_score = |name: &str| {
        name.contains("cpi")
            && name.contains("score")
            && year.as_deref().is_none_or(|year| name.contains(year))
    };
    let what = match &year {
        Some(year) => format!("`ISO3` and `CPI score {year}` columns"),
        None => "`ISO3` and `CPI score` columns".to_owned(),
    };
    let is_iso3 = |name: &str| name == "iso3";
    let (header_index, header) = table.header(&what, |cells| {
        column(cells, is_iso3).is_some() && column(cells, is_score).is_some()
    })?;
    let (Some(iso3), Some(score)) = (column(&header, is_iso3), column(&header, is_score)) else {
        return Err(table.error(None, None, format!("no {what}")));
    };
    let mut entries = Map::new();
    let mut warnings = Vec::new();
    let mut left_out = |row: u32, message: String| {
        warnings.push(Warning {
            sheet: table.sheet.clone(),
            row: Some(row),
            message: format!("{message}: the row is left out"),
        });
    };
    for (row, cells) in table.rows.iter().skip(header_index + 1) {
        let Some(code) = cell_text(cells, iso3) else {
            left_out(*row, "no ISO3 code".to_owned());
            continue;
        };
        let code = code.to_uppercase();
        let Some(alpha2) = iso3166::alpha2(&code) else {
            let message = format!("`{code}` is not an ISO 3166-1 alpha-3 country code");
            return Err(table.error(Some(*row), Some(iso3), message));
        };
        let Some(value) = number(&table, *row, cells, score)? else {
            left_out(*row, format!("`{code}` has no score"));
            continue;
        };
        if entries.insert(alpha2.to_owned(), value).is_some() {
            return Err(table.error(Some(*row), Some(iso3), format!("`{code}` appears twice")));
        }
    }
    Ok(Import {
        json: data(options.table.as_deref().unwrap_or("cpi"), entries),
        warnings,
    })
}
