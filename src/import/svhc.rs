//! The ECHA REACH Candidate List of substances of very high concern, as exported from ECHA's
//! web table (spreadsheet or CSV: substance name, EC number, CAS number, date of inclusion,
//! reason for inclusion), as the table `svhc_candidates`: CAS number → substance name (the
//! table of `rules/green-procurement.policy`). A substance without a CAS number is keyed by
//! its EC number; a group entry with neither (`-`) cannot be a key and is warned about.

use serde_json::{Map, Value as Json};

use super::table::{Table, cell_text, column, data};
use super::{Import, ImportError, ReferenceOptions, Warning};

pub fn read(file: &str, bytes: &[u8], options: &ReferenceOptions) -> Result<Import, ImportError> {
    let table = Table::read(file, bytes, options.sheet.as_deref())?;
    let is_name = |name: &str| name.contains("name");
    let is_cas = |name: &str| name.starts_with("cas");
    let is_ec = |name: &str| name.starts_with("ec ") || name.starts_with("ec.") || name == "ec";
    let (header_index, header) = table.header(
        "`Substance name`, `EC No.` and `CAS No.` columns",
        |cells| {
            column(cells, is_name).is_some()
                && column(cells, is_cas).is_some()
                && column(cells, is_ec).is_some()
        },
    )?;
    let (Some(name), Some(cas), Some(ec)) = (
        column(&header, is_name),
        column(&header, is_cas),
        column(&header, is_ec),
    ) else {
        return Err(table.error(
            None,
            None,
            "no substance name, EC and CAS columns".to_owned(),
        ));
    };
    let mut entries = Map::new();
    let mut warnings = Vec::new();
    for (row, cells) in table.rows.iter().skip(header_index + 1) {
        let Some(substance) = cell_text(cells, name) else {
            return Err(table.error(Some(*row), Some(name), "no substance name".to_owned()));
        };
        let numbers = |column: usize| -> Vec<String> {
            cell_text(cells, column)
                .unwrap_or_default()
                .split([',', ';', '\n', ' '])
                .map(str::trim)
                .filter(|number| number.contains('-') && number.chars().any(|c| c.is_ascii_digit()))
                .map(str::to_owned)
                .collect()
        };
        let mut keys = numbers(cas);
        if keys.is_empty() {
            keys = numbers(ec);
        }
        if keys.is_empty() {
            warnings.push(Warning {
                sheet: table.sheet.clone(),
                row: Some(*row),
                message: format!("`{substance}` has no CAS or EC number (a group entry): it cannot be a key and is left out"),
            });
        }
        for key in keys {
            if let Some(Json::String(first)) = entries.get(&key)
                && *first != substance
            {
                warnings.push(Warning {
                    sheet: table.sheet.clone(),
                    row: Some(*row),
                    message: format!("number `{key}` is also `{first}`: the first entry is kept"),
                });
                continue;
            }
            entries.insert(key, Json::String(substance.clone()));
        }
    }
    Ok(Import {
        json: data(
            options.table.as_deref().unwrap_or("svhc_candidates"),
            entries,
        ),
        warnings,
    })
}
