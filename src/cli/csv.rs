//! CSV rows as input records, typed by the policy's `input` declaration.
//!
//! Conventions: the header names input fields, nested record fields as dotted columns
//! (`ecovadis.environment`); an empty cell is absent; numbers and `true`/`false` (any case,
//! as Excel's `TRUE`/`FALSE`) are parsed;
//! lists of scalars are `;`-separated (`[]` is the empty list); any other list or record is
//! JSON in the cell. A cell that does not parse stays text, so the library's validation
//! reports it with its path like any other type mismatch.

use serde_json::{Map, Value};

/// What each column of a header feeds; `None` for a column that names no input field.
pub struct Columns(Vec<Option<Column>>);

struct Column {
    path: Vec<String>,
    /// The field's type as the input schema describes it (`{"kind": "number", ...}`).
    ty: Value,
}

impl Columns {
    /// Resolves the header once per file against the policy's input schema
    /// (`Policy::input_schema`); also returns the columns that were not recognised.
    pub fn new(schema: &Value, header: &csv::StringRecord) -> (Columns, Vec<String>) {
        let mut unknown = Vec::new();
        let columns = header
            .iter()
            .map(|name| {
                let column = resolve(schema, name);
                if column.is_none() {
                    unknown.push(name.to_owned());
                }
                column
            })
            .collect();
        (Columns(columns), unknown)
    }

    pub fn record(&self, row: &csv::StringRecord) -> Value {
        let mut root = Map::new();
        for (column, cell) in self.0.iter().zip(row) {
            let Some(column) = column else { continue };
            if cell.trim().is_empty() {
                continue;
            }
            insert(&mut root, &column.path, cell_value(cell, &column.ty));
        }
        Value::Object(root)
    }
}

/// The field a dotted column name (`ecovadis.environment`) names, through nested records.
fn resolve(schema: &Value, name: &str) -> Option<Column> {
    let mut record = schema;
    let mut ty: Option<&Value> = None;
    let mut path = Vec::new();
    for part in name.trim().split('.') {
        if let Some(nested) = ty {
            if nested["kind"] != "record" {
                return None;
            }
            record = nested;
        }
        let fields = record["fields"].as_array()?;
        ty = Some(&fields.iter().find(|field| field["name"] == part)?["type"]);
        path.push(part.to_owned());
    }
    ty.map(|ty| Column {
        path,
        ty: ty.clone(),
    })
}

fn insert(root: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = root;
    for part in parents {
        let entry = map
            .entry(part.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        // A record given both as a JSON cell and as dotted columns: the JSON cell wins.
        let Some(nested) = entry.as_object_mut() else {
            return;
        };
        map = nested;
    }
    map.insert(last.clone(), value);
}

fn cell_value(cell: &str, ty: &Value) -> Value {
    let text = || Value::String(cell.to_owned());
    match ty["kind"].as_str().unwrap_or_default() {
        "number" => cell
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(text, Value::Number),
        // Excel writes `TRUE` and `FALSE`.
        "bool" => match cell.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text(),
        },
        "list" if is_scalar(&ty["element"]) && !cell.trim_start().starts_with('[') => Value::Array(
            cell.split(';')
                .map(|item| cell_value(item.trim(), &ty["element"]))
                .collect(),
        ),
        "list" | "record" => serde_json::from_str(cell).unwrap_or_else(|_| text()),
        _ => text(),
    }
}

fn is_scalar(ty: &Value) -> bool {
    matches!(
        ty["kind"].as_str(),
        Some("number" | "text" | "bool" | "date" | "union")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn supplier() -> Value {
        let source = "input supplier {
          name: text, spend: number, ok: bool, certifications: [text]
          ecovadis: Ecovadis?, smelters: [Smelter]
        }
        type Ecovadis = { environment: number }
        type Smelter = { id: text }";
        procura::compile(source).unwrap().input_schema()
    }

    const HEADER: [&str; 7] = [
        "name",
        "spend",
        "ok",
        "certifications",
        "ecovadis.environment",
        "smelters",
        "colour",
    ];

    fn convert(row: [&str; 7]) -> (Value, Vec<String>) {
        let (columns, unknown) = Columns::new(&supplier(), &csv::StringRecord::from(&HEADER[..]));
        (columns.record(&csv::StringRecord::from(&row[..])), unknown)
    }

    #[test]
    fn cells_are_typed_by_the_input_declaration() {
        let (record, unknown) = convert([
            "ACME",
            "1200.5",
            "true",
            "ISO14001; EMAS",
            "70",
            r#"[{"id": "CID1"}]"#,
            "red",
        ]);
        assert_eq!(
            record,
            json!({
                "name": "ACME", "spend": 1200.5, "ok": true,
                "certifications": ["ISO14001", "EMAS"],
                "ecovadis": {"environment": 70.0},
                "smelters": [{"id": "CID1"}],
            })
        );
        assert_eq!(unknown, ["colour"]);
    }

    #[test]
    fn empty_cells_are_absent_and_bad_cells_stay_text() {
        let (record, _) = convert(["", "12", "FALSE", "[]", " ", "", ""]);
        assert_eq!(
            record,
            json!({"spend": 12.0, "ok": false, "certifications": []})
        );
        let (record, _) = convert(["", "lots", "yes", "[]", " ", "", ""]);
        assert_eq!(
            record,
            json!({"spend": "lots", "ok": "yes", "certifications": []})
        );
    }
}
