//! The OFAC Specially Designated Nationals list as `sdn.csv` (no header row; `-0-` for
//! nothing), as the table `sdn`: the listed name → `{id, type, programs, remarks}`. The type
//! is `individual`, `vessel`, `aircraft` or, where OFAC leaves it empty, `entity`; programs
//! come as `SDGT] [IRGC` and are split.

use serde_json::{Map, Value as Json};

use super::table::{Lines, data};
use super::{Import, ImportError, ReferenceOptions, Warning};

/// Columns of `sdn.csv`: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
/// Tonnage, GRT, Vess_flag, Vess_owner, Remarks.
const COLUMNS: usize = 12;

pub fn read(file: &str, bytes: &[u8], options: &ReferenceOptions) -> Result<Import, ImportError> {
    super::check_text_size(file, bytes)?;
    let error = |line: u64, column: Option<&str>, message: String| {
        ImportError::at(file, None, Some(line), column, message)
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut entries = Map::new();
    let mut warnings = Vec::new();
    let mut lines = Lines::new(bytes);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(csv_error) => {
                let line = lines.at(csv_error.position().map_or(0, csv::Position::byte));
                return Err(error(
                    line,
                    None,
                    format!("not OFAC's sdn.csv: {csv_error}"),
                ));
            }
        }
        let line = lines.at(record.position().map_or(0, csv::Position::byte));
        // OFAC ends the file with a DOS end-of-file character on a line of its own.
        if record
            .iter()
            .all(|field| field.trim().trim_matches('\u{1a}').is_empty())
        {
            continue;
        }
        if record.len() != COLUMNS {
            return Err(error(
                line,
                None,
                format!("{} columns where sdn.csv has {COLUMNS}", record.len()),
            ));
        }
        let field = |index: usize| {
            record
                .get(index)
                .map(str::trim)
                .filter(|value| !value.is_empty() && *value != "-0-")
        };
        let id: u64 = field(0).and_then(|id| id.parse().ok()).ok_or_else(|| {
            error(
                line,
                Some("A"),
                format!(
                    "entry number `{}` is not a number",
                    field(0).unwrap_or_default()
                ),
            )
        })?;
        let Some(name) = field(1) else {
            return Err(error(line, Some("B"), format!("entry {id} has no name")));
        };
        let kind = field(2).map_or_else(|| "entity".to_owned(), str::to_lowercase);
        let programs: Vec<Json> = field(3)
            .unwrap_or_default()
            .split(['[', ']'])
            .map(str::trim)
            .filter(|program| !program.is_empty())
            .map(Json::from)
            .collect();
        let mut entry = Map::new();
        entry.insert("id".to_owned(), id.into());
        entry.insert("type".to_owned(), kind.into());
        entry.insert("programs".to_owned(), programs.into());
        if let Some(remarks) = field(11) {
            entry.insert("remarks".to_owned(), remarks.into());
        }
        if entries.contains_key(name) {
            warnings.push(Warning {
                sheet: None,
                row: Some(u32::try_from(line).unwrap_or(u32::MAX)),
                message: format!("`{name}` is listed again (entry {id}): the first entry is kept"),
            });
            continue;
        }
        entries.insert(name.to_owned(), Json::Object(entry));
    }
    Ok(Import {
        json: data(options.table.as_deref().unwrap_or("sdn"), entries),
        warnings,
    })
}
