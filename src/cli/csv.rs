//! CSV rows as input records, typed by the policy's `input` declaration.
//!
//! Conventions: the header names input fields, nested record fields as dotted columns
//! (`ecovadis.environment`); an empty cell is absent; numbers and `true`/`false` are parsed;
//! lists of scalars are `;`-separated (`[]` is the empty list); any other list or record is
//! JSON in the cell. A cell that does not parse stays text, so the library's validation
//! reports it with its path like any other type mismatch.

use procura::types::{RecordType, Type};
use serde_json::{Map, Value};

/// What each column of a header feeds; `None` for a column that names no input field.
pub struct Columns(Vec<Option<Column>>);

struct Column {
    path: Vec<String>,
    ty: Type,
}

impl Columns {
    /// Resolves the header once per file; also returns the columns that were not recognised.
    pub fn new(record: &RecordType, header: &csv::StringRecord) -> (Columns, Vec<String>) {
        let mut unknown = Vec::new();
        let columns = header
            .iter()
            .map(|name| {
                let column = resolve(record, name);
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

fn resolve(record: &RecordType, name: &str) -> Option<Column> {
    let mut ty: Option<&Type> = None;
    let mut path = Vec::new();
    for part in name.trim().split('.') {
        let record = match ty.map(Type::required) {
            None => record,
            Some(Type::Record(nested)) => nested,
            Some(_) => return None,
        };
        ty = Some(&record.field(part)?.1.ty);
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

fn cell_value(cell: &str, ty: &Type) -> Value {
    let text = || Value::String(cell.to_owned());
    match ty.required() {
        Type::Number => cell
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(text, Value::Number),
        Type::Bool => match cell.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text(),
        },
        Type::List(element) if is_scalar(element) && !cell.trim_start().starts_with('[') => {
            Value::Array(
                cell.split(';')
                    .map(|item| cell_value(item.trim(), element))
                    .collect(),
            )
        }
        Type::List(_) | Type::Record(_) => serde_json::from_str(cell).unwrap_or_else(|_| text()),
        _ => text(),
    }
}

fn is_scalar(ty: &Type) -> bool {
    matches!(
        ty.required(),
        Type::Number | Type::Text | Type::Bool | Type::Date | Type::Union(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn field(name: &str, ty: Type) -> procura::types::FieldType {
        procura::types::FieldType {
            name: name.into(),
            ty,
        }
    }

    fn supplier() -> RecordType {
        let ecovadis = RecordType {
            name: Some("Ecovadis".to_owned()),
            fields: vec![field("environment", Type::Number)],
        };
        let smelter = RecordType {
            name: None,
            fields: vec![field("id", Type::Text)],
        };
        RecordType {
            name: None,
            fields: vec![
                field("name", Type::Text),
                field("spend", Type::Number),
                field("ok", Type::Bool),
                field("certifications", Type::List(Box::new(Type::Text))),
                field("ecovadis", Type::Record(Arc::new(ecovadis)).optional()),
                field(
                    "smelters",
                    Type::List(Box::new(Type::Record(Arc::new(smelter)))),
                ),
            ],
        }
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
        let (record, _) = convert(["", "lots", "yes", "[]", " ", "", ""]);
        assert_eq!(
            record,
            json!({"spend": "lots", "ok": "yes", "certifications": []})
        );
    }
}
