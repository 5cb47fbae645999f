//! Input validation (LANGUAGE.md §8): JSON in, typed values out, or every error at once.
//!
//! Architecture invariant: this is the only place where evaluation input meets JSON. Errors
//! come in the order of the declared types (fields in declaration order, list elements by
//! index), then reference data by table declaration order and key; object keys are visited in
//! sorted order because JSON objects carry no order we keep.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::date::Date;
use crate::diagnostic::did_you_mean;
use crate::limits::Limits;
use crate::program::{Key, Program, TableEntries, Value};
use crate::report::{format_number, write_str};
use crate::types::Type;
use crate::value::SmolStr;

/// What one list and one string may hold: records and reference data have their own limits.
#[derive(Clone, Copy)]
struct Sizes {
    list: usize,
    string: usize,
}

impl Sizes {
    fn record(limits: &Limits) -> Sizes {
        Sizes {
            list: limits.max_input_list_len,
            string: limits.max_input_string_bytes,
        }
    }

    fn data(limits: &Limits) -> Sizes {
        Sizes {
            list: limits.max_data_list_len,
            string: limits.max_data_string_bytes,
        }
    }
}

/// One input error of LANGUAGE.md §8.
/// Validated reference data: one entry per table of the program (`None` where the table has a
/// body, which needs no data).
#[derive(Debug, Clone, Default)]
pub struct ReferenceData {
    pub tables: Vec<Option<Arc<TableEntries>>>,
    /// The SHA-256 of the data, written canonically (`audit::data_sha256`); `None` when the
    /// program has no table without a body.
    pub sha256: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// `$.smelters[2].rmap_status`, or `$data.cpi.DK` for reference data.
    pub path: String,
    pub expected: String,
    pub found: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {} error(s)", .errors.len())]
pub struct InputErrors {
    pub errors: Vec<InputError>,
}

impl InputErrors {
    /// Text that is not JSON at all: one input error at `root` (`$` for the record, `$data` for
    /// reference data), worded the same on every host.
    pub fn malformed_json(root: &str, error: &serde_json::Error) -> InputErrors {
        InputErrors {
            errors: vec![InputError {
                path: root.to_owned(),
                expected: "JSON".to_owned(),
                found: "malformed JSON".to_owned(),
                message: format!("malformed JSON: {error}"),
            }],
        }
    }

    /// JSON text over the size limit of what is read at `root` (see [`parse_json`]).
    pub fn too_large(root: &str, bytes: u64, limits: &Limits) -> InputErrors {
        let limit = limits.json_bytes(root);
        let what = match root {
            "$" => "the record is",
            OPTIONS => "the options are",
            _ => "the reference data is",
        };
        InputErrors {
            errors: vec![InputError {
                path: root.to_owned(),
                expected: format!("at most {} bytes of JSON", grouped(limit as u64)),
                found: format!("{} bytes", grouped(bytes)),
                message: format!(
                    "{what} {} bytes of JSON, more than the limit of {}",
                    grouped(bytes),
                    mebibytes(limit)
                ),
            }],
        }
    }

    pub fn merge(mut self, other: InputErrors) -> InputErrors {
        self.errors.extend(other.errors);
        self
    }

    /// `{"error": "input", "errors": [{path, expected, found, message}]}`
    pub fn to_json(&self) -> serde_json::Value {
        let errors = self
            .errors
            .iter()
            .map(|e| {
                serde_json::json!({
                    "path": e.path,
                    "expected": e.expected,
                    "found": e.found,
                    "message": e.message,
                })
            })
            .collect();
        serde_json::json!({"error": "input", "errors": serde_json::Value::Array(errors)})
    }
}

pub use crate::limits::OPTIONS;

/// `4 MiB` for whole mebibytes, else `1,000 bytes`: a limit in a message.
fn mebibytes(limit: usize) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{} bytes", grouped(limit as u64))
    }
}

/// Parses JSON text read at `root` (`$` for a record, `$data` for reference data): text over
/// its size limit ([`Limits::json_bytes`]), not JSON or not UTF-8 is one input error at
/// `root`, worded the same on every host.
pub fn parse_json(
    root: &str,
    text: &[u8],
    limits: &Limits,
) -> Result<serde_json::Value, InputErrors> {
    check_size(root, text, limits)?;
    serde_json::from_slice(text).map_err(|error| InputErrors::malformed_json(root, &error))
}

/// JSON text read at `root` over its size limit ([`Limits::json_bytes`]) is one input error
/// there.
pub fn check_size(root: &str, text: &[u8], limits: &Limits) -> Result<(), InputErrors> {
    if text.len() > limits.json_bytes(root) {
        return Err(InputErrors::too_large(root, text.len() as u64, limits));
    }
    Ok(())
}

/// The members of the JSON object in `text`, each as its own JSON text (so that reference data
/// among them can be held to its own limit, see [`parse_data`]); `None` when `text` is JSON
/// but not an object. Keys given twice keep their last value, as in a `serde_json` object.
pub fn object_members(
    text: &[u8],
) -> serde_json::Result<Option<BTreeMap<String, &serde_json::value::RawValue>>> {
    let value: &serde_json::value::RawValue = serde_json::from_slice(text)?;
    if value.get().starts_with('{') {
        serde_json::from_str(value.get()).map(Some)
    } else {
        Ok(None)
    }
}

/// Reference data written as a value inside host options: read like a data file (its own text
/// over [`Limits::max_data_bytes`] is an error at `$data`); `None` for `null`.
pub fn parse_data(
    value: &serde_json::value::RawValue,
    limits: &Limits,
) -> Result<Option<serde_json::Value>, InputErrors> {
    let data = parse_json("$data", value.get().as_bytes(), limits)?;
    Ok(Some(data).filter(|data| !data.is_null()))
}

/// The `input` declaration as JSON, the one description every host gives of it (the
/// wasm-bindgen API's `inputSchema`, the `abi` module's compile summary, `procura serve`'s
/// `GET /v1/policies/NAME`): `{"name": NAME, "fields": [{"name", "type"}]}`, fields in
/// declaration order. A type is `{"kind", "optional"}` with `kind` one of `"number"`,
/// `"text"`, `"bool"`, `"date"`, `"union"` (with `"values"`), `"list"` (with `"element"`, a
/// type) and `"record"` (with `"name"`, a name or `null`, and `"fields"`); `optional` is true
/// for `T?`. Types are finite trees (the checker rejects recursive types), their depth bounded
/// by the parser's nesting limit.
pub fn schema_json(input: &crate::program::InputDef) -> serde_json::Value {
    serde_json::json!({"name": input.name, "fields": fields_json(&input.record)})
}

fn fields_json(record: &crate::types::RecordType) -> serde_json::Value {
    serde_json::Value::Array(
        (record.fields.iter())
            .map(|field| serde_json::json!({"name": &*field.name, "type": type_json(&field.ty)}))
            .collect(),
    )
}

fn type_json(ty: &Type) -> serde_json::Value {
    use serde_json::json;
    let optional = ty.is_optional();
    match ty.required() {
        Type::Union(values) => json!({
            "kind": "union",
            "optional": optional,
            "values": values.iter().map(|v| &**v).collect::<Vec<_>>(),
        }),
        Type::List(element) => {
            json!({"kind": "list", "optional": optional, "element": type_json(element)})
        }
        Type::Record(record) => json!({
            "kind": "record",
            "optional": optional,
            "name": record.name,
            "fields": fields_json(record),
        }),
        other => json!({"kind": other.to_string(), "optional": optional}),
    }
}

/// `1,048,576`: limits and sizes in errors, readable at a glance.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// An input error for a list, string or table (`kind`) over its limit; `unit` is what is
/// counted. The path is the caller's.
fn too_long(kind: &str, unit: &str, limit: usize, len: usize) -> InputError {
    let found = format!("{kind} of {} {unit}", grouped(len as u64));
    InputError {
        path: String::new(),
        expected: format!("at most {} {unit}", grouped(limit as u64)),
        message: format!("{found}, more than the limit of {}", grouped(limit as u64)),
        found,
    }
}

/// Converts the input record, reporting every error found with its path; lists and strings are
/// held to the record limits of `limits`. The one visitor that reads JSON text
/// ([`input_from_str`]) reads the `serde_json::Value` here, collecting every error in one pass.
pub fn validate_input(
    program: &Program,
    json: &serde_json::Value,
    limits: &Limits,
) -> Result<Value, InputErrors> {
    let root = Type::Record(program.input.record.clone());
    let mut errors = Vec::new();
    let value = convert(&root, json, "$", Sizes::record(limits), &mut errors);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(InputErrors { errors })
    }
}

/// Converts reference data (`{"table": {key: value}}`) for the tables without a body; tables,
/// lists and strings are held to the reference data limits of `limits`.
pub fn validate_data(
    program: &Program,
    json: Option<&serde_json::Value>,
    limits: &Limits,
) -> Result<ReferenceData, InputErrors> {
    let data = Sizes::data(limits);
    let mut errors = Vec::new();
    let root = match json {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(root)) => Some(root),
        Some(other) => {
            errors.push(error(
                "$data".to_owned(),
                "object".to_owned(),
                other,
                "reference data must be an object keyed by table name".to_owned(),
            ));
            return Err(InputErrors { errors });
        }
    };
    let mut tables = Vec::with_capacity(program.tables.len());
    for table in &program.tables {
        if table.entries.is_some() {
            tables.push(None);
            continue;
        }
        let path = format!("$data{}", field_path(&table.name));
        let expected = format!("{{{}: {}}}", table.key_type, table.value_type);
        let rows = match root.and_then(|root| root.get(&table.name)) {
            Some(serde_json::Value::Object(rows)) if rows.len() > data.list => {
                let error = too_long("object", "rows", data.list, rows.len());
                errors.push(InputError { path, ..error });
                tables.push(None);
                continue;
            }
            Some(serde_json::Value::Object(rows)) => rows,
            found => {
                let message = match found {
                    None | Some(serde_json::Value::Null) => {
                        format!("no reference data for table `{}`", table.name)
                    }
                    Some(_) => format!(
                        "reference data for table `{}` must be an object",
                        table.name
                    ),
                };
                errors.push(InputError {
                    path,
                    expected,
                    found: found.map_or_else(|| "nothing".to_owned(), summary),
                    message,
                });
                tables.push(None);
                continue;
            }
        };
        let mut entries = TableEntries::with_capacity(rows.len());
        for (key, value) in rows {
            let path = format!("{path}{}", field_path(key));
            let key_value = convert_key(&table.key_type, key, &path, data, &mut errors);
            if value.is_null() {
                continue;
            }
            let value = convert(&table.value_type, value, &path, data, &mut errors);
            if let Some(key) = key_value.as_ref().and_then(Key::from_value) {
                entries.insert(key, value);
            }
        }
        tables.push(Some(Arc::new(entries)));
    }
    if errors.is_empty() {
        let sha256 = crate::audit::data_sha256(program, &tables);
        Ok(ReferenceData { tables, sha256 })
    } else {
        Err(InputErrors { errors })
    }
}

/// A table key from a JSON object key, converted to the table's key type.
fn convert_key(
    ty: &Type,
    key: &str,
    path: &str,
    sizes: Sizes,
    errors: &mut Vec<InputError>,
) -> Option<Value> {
    let json = match ty.required() {
        Type::Number => match key.parse::<f64>() {
            Ok(n) if n.is_finite() => return Some(Value::Number(n)),
            _ => serde_json::Value::String(key.to_owned()),
        },
        Type::Bool => match key {
            "true" => return Some(Value::Bool(true)),
            "false" => return Some(Value::Bool(false)),
            _ => serde_json::Value::String(key.to_owned()),
        },
        _ => serde_json::Value::String(key.to_owned()),
    };
    let before = errors.len();
    let value = convert(ty, &json, path, sizes, errors);
    (errors.len() == before).then_some(value)
}

/// Converts `json` to a value of type `ty`, pushing every error, its path below `path`, to
/// `errors` (what does not fit reads as missing).
fn convert(
    ty: &Type,
    json: &serde_json::Value,
    path: &str,
    sizes: Sizes,
    errors: &mut Vec<InputError>,
) -> Value {
    let before = errors.len();
    let seed = Seed::<true> {
        ty,
        null: Null::Mismatch,
        sizes,
        errors: Some(&mut *errors),
    };
    // Reading a `serde_json::Value` fails only where the visitor fails, which a collecting
    // visitor never does; an error is still an error rather than a wrong value.
    let value = serde::de::DeserializeSeed::deserialize(seed, json).unwrap_or_else(|e| {
        errors.push(error(String::new(), ty.to_string(), json, e.to_string()));
        Value::MISSING
    });
    for error in &mut errors[before..] {
        error.path.insert_str(0, path);
    }
    value
}

/// An input error at `path`; what was found is summarised from `json`, as everywhere.
pub(crate) fn error(
    path: String,
    expected: String,
    json: &serde_json::Value,
    message: String,
) -> InputError {
    InputError {
        path,
        expected,
        found: summary(json),
        message,
    }
}

/// `.name` for identifiers, `["odd key"]` otherwise.
fn field_path(name: &str) -> String {
    let mut path = String::new();
    crate::report::write_field(&mut path, name);
    path
}

/// The JSON kind, for messages (`string`, `number`, ...).
fn kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}

/// What was found: `string "abc"`, `number 12`, `bool true`, `list`, `object`, `null`.
/// Long strings are cut so that an error stays readable.
fn summary(json: &serde_json::Value) -> String {
    const LIMIT: usize = 40;
    match json {
        serde_json::Value::Bool(b) => format!("bool {b}"),
        serde_json::Value::Number(n) => {
            format!(
                "number {}",
                n.as_f64().map_or_else(|| n.to_string(), format_number)
            )
        }
        serde_json::Value::String(s) => {
            let mut out = "string ".to_owned();
            if s.chars().count() > LIMIT {
                let cut: String = s.chars().take(LIMIT).collect();
                write_str(&mut out, &(cut + "…"));
            } else {
                write_str(&mut out, s);
            }
            out
        }
        other => kind(other).to_owned(),
    }
}

/// Converts input JSON text straight to a value, without building a `serde_json::Value`, and
/// stops at the first mismatch: `None` when the text is not JSON or does not fit the input type.
/// [`validate_input`] on the parsed JSON then reports every error, so that a text's errors are
/// those of its `serde_json::Value` (whose repeated keys keep their last value).
pub fn input_from_str(program: &Program, json: &str, limits: &Limits) -> Option<Value> {
    if json.len() > limits.max_input_bytes {
        return None;
    }
    let root = Type::Record(program.input.record.clone());
    let sizes = Sizes::record(limits);
    // A list of n elements takes at least 2n + 1 bytes of JSON, and a string at least its own
    // length plus quotes: shorter texts (every real record) need no limit checks.
    if json.len() <= sizes.list.saturating_mul(2) && json.len() <= sizes.string {
        convert_str::<false>(&root, json, sizes)
    } else {
        convert_str::<true>(&root, json, sizes)
    }
}

fn convert_str<const CHECKED: bool>(root: &Type, json: &str, sizes: Sizes) -> Option<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let seed = Seed::<CHECKED> {
        ty: root,
        null: Null::Mismatch,
        sizes,
        errors: None,
    };
    let value = serde::de::DeserializeSeed::deserialize(seed, &mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(value)
}

/// The value of JSON of type `ty`, read from text or from a `serde_json::Value`: the one
/// conversion of input and reference data. `CHECKED`: whether lists and strings are checked
/// against their limits.
struct Seed<'t, 'e, const CHECKED: bool> {
    ty: &'t Type,
    null: Null,
    sizes: Sizes,
    /// `None`: the first mismatch fails the whole conversion (text, read in one pass, then
    /// parsed again for the errors); `Some`: every mismatch is pushed here, with its path below
    /// this value, and reads as missing.
    errors: Option<&'e mut Vec<InputError>>,
}

/// What `null` reads as where a value is.
#[derive(Clone, Copy, PartialEq)]
enum Null {
    /// A record field: missing, whatever its type.
    Missing,
    /// A list element: missing if its type is optional, else an error of its own.
    ListElement,
    /// Elsewhere: missing if the type is optional, else a mismatch.
    Mismatch,
}

type Visited<E> = Result<Value, E>;

/// A value that is read and dropped (a field the record does not declare, what does not fit),
/// read as a `serde_json::Value` so that text is refused exactly where its `serde_json::Value`
/// is (nesting limit, numbers out of range), which `IgnoredAny` would not check.
type Ignored = serde_json::Value;

impl<'t, 'e, const CHECKED: bool> Seed<'t, 'e, CHECKED> {
    /// A value that does not fit: its error (expected, found and message, made only when
    /// errors are collected, from the required type) is recorded and the value is missing, or
    /// the whole conversion fails. The error's path is made on the way out ([`prefix`]).
    fn reject<E: serde::de::Error>(
        self,
        error: impl FnOnce(&Type) -> (String, serde_json::Value, String),
    ) -> Visited<E> {
        let Some(errors) = self.errors else {
            return Err(E::custom("input mismatch"));
        };
        let (expected, found, message) = error(self.ty.required());
        errors.push(crate::input::error(
            String::new(),
            expected,
            &found,
            message,
        ));
        Ok(Value::MISSING)
    }

    /// A JSON value of the wrong kind; `found` is made only when errors are collected.
    fn mismatch<E: serde::de::Error>(
        self,
        found: impl FnOnce() -> serde_json::Value,
    ) -> Visited<E> {
        self.reject(|ty| {
            let found = found();
            // An anonymous record type (the input's own) would print all its fields.
            let expected = match ty {
                Type::Record(record) if record.name.is_none() => "object".to_owned(),
                _ => ty.to_string(),
            };
            let message = format!("expected {expected}, found {}", kind(&found));
            (expected, found, message)
        })
    }
}

/// Prefixes the paths of the errors pushed since `before` with `segment` (`.name`, `[2]`).
fn prefix(errors: &mut Option<&mut Vec<InputError>>, before: usize, segment: impl Fn() -> String) {
    if let Some(errors) = errors
        && errors.len() > before
    {
        let segment = segment();
        for error in &mut errors[before..] {
            error.path.insert_str(0, &segment);
        }
    }
}

fn count(errors: &Option<&mut Vec<InputError>>) -> usize {
    errors.as_ref().map_or(0, |errors| errors.len())
}

impl<'de, const CHECKED: bool> serde::de::DeserializeSeed<'de> for Seed<'_, '_, CHECKED> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Visited<D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const CHECKED: bool> serde::de::Visitor<'de> for Seed<'_, '_, CHECKED> {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(formatter, "{}", self.ty)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Visited<E> {
        match self.null {
            _ if self.ty.is_optional() => Ok(Value::MISSING),
            Null::Missing => Ok(Value::MISSING),
            Null::ListElement => {
                let element = self.ty;
                self.reject(|_| {
                    let message =
                        format!("expected {element}, found null: list elements cannot be null");
                    (element.to_string(), serde_json::Value::Null, message)
                })
            }
            Null::Mismatch => self.mismatch(|| serde_json::Value::Null),
        }
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Visited<E> {
        match self.ty.required() {
            Type::Bool => Ok(Value::Bool(b)),
            _ => self.mismatch(|| serde_json::Value::Bool(b)),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Visited<E> {
        match self.ty.required() {
            Type::Number if n.is_finite() => Ok(Value::Number(n)),
            _ => self.mismatch(|| serde_json::json!(n)),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Visited<E> {
        self.visit_f64(n as f64)
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Visited<E> {
        self.visit_f64(n as f64)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Visited<E> {
        let found = || serde_json::Value::String(s.to_owned());
        match self.ty.required() {
            Type::Text if !CHECKED || s.len() <= self.sizes.string => Ok(Value::Text(text(s))),
            Type::Text => {
                let limit = self.sizes.string;
                let Some(errors) = self.errors else {
                    return Err(E::custom("input mismatch"));
                };
                errors.push(too_long("string", "bytes", limit, s.len()));
                Ok(Value::MISSING)
            }
            // The union's own member: a long one is shared, not copied.
            Type::Union(members) => match members.iter().find(|m| ***m == *s) {
                Some(member) => Ok(Value::Text(member.clone())),
                None => self.reject(|ty| {
                    let mut message = format!("`{s}` is not one of {ty}");
                    if let Some(close) = did_you_mean(s, members.iter().map(|m| &**m)) {
                        message.push_str(&format!(": did you mean `{close}`?"));
                    }
                    (ty.to_string(), found(), message)
                }),
            },
            Type::Date => match Date::parse(s) {
                Some(date) => Ok(Value::Date(date)),
                None => self.reject(|_| {
                    let message = format!("`{s}` is not a valid date: expected YYYY-MM-DD");
                    ("date (YYYY-MM-DD)".to_owned(), found(), message)
                }),
            },
            _ => self.mismatch(found),
        }
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Visited<A::Error> {
        let Type::List(element) = self.ty.required() else {
            // Read to its end: a `serde_json::Value`'s list must be.
            while seq.next_element::<Ignored>()?.is_some() {}
            return self.mismatch(|| serde_json::Value::Array(Vec::new()));
        };
        let (limit, sizes) = (self.sizes.list, self.sizes);
        let mut errors = self.errors;
        let before = count(&errors);
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(limit));
        loop {
            if CHECKED && values.len() == limit {
                if seq.next_element::<Ignored>()?.is_none() {
                    break;
                }
                // Over the limit: one error for the list, none for its elements.
                let Some(errors) = errors else {
                    return Err(serde::de::Error::custom("input mismatch"));
                };
                let mut len = limit + 1;
                while seq.next_element::<Ignored>()?.is_some() {
                    len += 1;
                }
                errors.truncate(before);
                errors.push(too_long("list", "elements", limit, len));
                return Ok(Value::MISSING);
            }
            let at = count(&errors);
            let seed = Seed::<CHECKED> {
                ty: element,
                null: Null::ListElement,
                sizes,
                errors: errors.as_deref_mut(),
            };
            let Some(value) = seq.next_element_seed(seed)? else {
                break;
            };
            let i = values.len();
            prefix(&mut errors, at, || format!("[{i}]"));
            values.push(value);
        }
        Ok(Value::List(values.into()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Visited<A::Error> {
        let Type::Record(record) = self.ty.required() else {
            while map.next_entry::<Ignored, Ignored>()?.is_some() {}
            return self.mismatch(|| serde_json::Value::Object(serde_json::Map::new()));
        };
        let sizes = self.sizes;
        let mut errors = self.errors;
        // Each field's errors, kept apart when there are any: they are reported in the order
        // of the declared fields, not of the keys.
        let mut by_field: Vec<Vec<InputError>> = Vec::new();
        // Allocated once at its final size (a `Vec` would be copied into the `Arc`).
        let mut record_value: Arc<[Value]> = std::iter::repeat_with(|| Value::MISSING)
            .take(record.fields.len())
            .collect();
        let Some(fields) = Arc::get_mut(&mut record_value) else {
            return Err(serde::de::Error::custom("input mismatch"));
        };
        let mut next = 0;
        while let Some(key) = map.next_key_seed(FieldIndex(&record.fields, next))? {
            match key.and_then(|i| Some((i, record.fields.get(i)?, fields.get_mut(i)?))) {
                // A repeated key keeps its last value, as `serde_json::Value` does.
                Some((i, field, slot)) => {
                    next = i + 1;
                    let at = count(&errors);
                    let seed = Seed::<CHECKED> {
                        ty: field.ty.required(),
                        null: Null::Missing,
                        sizes,
                        errors: errors.as_deref_mut(),
                    };
                    *slot = map.next_value_seed(seed)?;
                    if count(&errors) > at {
                        prefix(&mut errors, at, || field_path(&field.name));
                        by_field.resize_with(record.fields.len(), Vec::new);
                        if let (Some(errors), Some(bucket)) = (&mut errors, by_field.get_mut(i)) {
                            *bucket = errors.split_off(at);
                        }
                    }
                }
                None => {
                    map.next_value::<Ignored>()?;
                }
            }
        }
        if let Some(errors) = errors
            && !by_field.is_empty()
        {
            errors.extend(by_field.into_iter().flatten());
        }
        Ok(Value::Record(record_value))
    }
}

/// `s` as a `SmolStr`: one that fits inside is built by `new_inline`, which copies it without
/// the check for a run of spaces and newlines that `SmolStr::from` makes first.
#[inline(always)]
fn text(s: &str) -> SmolStr {
    match s.len() {
        0..=SmolStr::INLINE_CAP => SmolStr::new_inline(s),
        _ => SmolStr::from(s),
    }
}

/// The position of an object key among a record's fields; `None` for keys it ignores. The
/// field at the second position is tried first: keys mostly come in declaration order.
struct FieldIndex<'t>(&'t [crate::types::FieldType], usize);

impl<'de> serde::de::DeserializeSeed<'de> for FieldIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FieldIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        if self.0.get(self.1).is_some_and(|field| &*field.name == key) {
            return Ok(Some(self.1));
        }
        Ok(self.0.iter().position(|field| &*field.name == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{MAX_INPUT_BYTES, MAX_INPUT_LIST_LEN, MAX_INPUT_STRING_BYTES};

    /// The one visitor reading text and reading the text's `serde_json::Value` accepts the
    /// same records and gives the same values.
    fn agrees(program: &Program, text: &str) {
        let limits = Limits::default();
        let json: Option<serde_json::Value> = serde_json::from_str(text).ok();
        let from_value =
            (json.as_ref()).and_then(|json| validate_input(program, json, &limits).ok());
        assert_eq!(input_from_str(program, text, &limits), from_value, "{text}");
    }

    #[test]
    fn fast_path_agrees_with_validation() {
        let policy = crate::compile(include_str!("../rules/onboarding.policy")).unwrap();
        let program = policy.program();
        let suppliers = include_str!("../rules/data/suppliers.jsonl");
        for line in suppliers.lines().take(200) {
            agrees(program, line);
        }
        let valid = r#"{"name": "A", "country": "DK", "category": "services", "annual_spend": 1,
            "certifications": [], "flags": [], "guidelines_confirmed": true, "smelters": []}"#;
        agrees(program, valid);
        let edits = [
            ("\"services\"", "\"service\""),
            ("\"services\"", "null"),
            ("1,", "-0,"),
            ("1,", "1e400,"),
            ("1,", "\"1\","),
            ("[],", "[null],"),
            ("[],", "[\"x\", 2],"),
            (
                "\"smelters\": []",
                "\"smelters\": [{\"id\": \"C\", \"metal\": \"tin\", \"rmap_status\": \"active\"}]",
            ),
            (
                "\"smelters\": []",
                "\"smelters\": [{\"id\": \"C\", \"metal\": \"tin\", \"rmap_status\": \"gone\"}]",
            ),
            (
                "\"smelters\": []",
                "\"smelters\": [], \"cmrt_date\": \"2025-02-30\"",
            ),
            (
                "\"smelters\": []",
                "\"smelters\": [], \"cmrt_date\": \"2025-02-28\"",
            ),
            (
                "\"smelters\": []",
                "\"smelters\": [], \"ecovadis\": null, \"extra\": {\"a\": [1]}",
            ),
            // Unknown fields get the checks of `serde_json::Value`: nesting limit, number range.
            (
                "\"smelters\": []",
                &format!(
                    "\"smelters\": [], \"extra\": {}1{}",
                    "[".repeat(200),
                    "]".repeat(200)
                ),
            ),
            ("\"smelters\": []", "\"smelters\": [], \"extra\": [1e400]"),
            ("\"smelters\": []", "\"smelters\": [], \"name\": 3"),
            ("\"smelters\": []", "\"smelters\": [], \"name\": \"B\""),
            ("\"name\": \"A\"", "\"name\": \"A\\u00e9\\n\""),
            ("\"name\": \"A\"", "\"na\\u006de\": \"A\""),
            ("{", "["),
            ("}", "} x"),
            ("true", "1"),
        ];
        for (from, to) in edits {
            agrees(program, &valid.replacen(from, to, 1));
        }
        agrees(program, "null");
        agrees(program, "");
    }

    #[test]
    fn limits_hold_on_both_paths() {
        let policy = crate::compile(include_str!("../tests/hostile/supplier.policy")).unwrap();
        let program = policy.program();
        let record = |certifications: usize, name: usize| {
            let list = vec!["\"c\""; certifications].join(",");
            let name = "n".repeat(name);
            format!(
                r#"{{"name": "{name}", "certifications": [{list}], "audits": [[1, 2], [], [3]]}}"#
            )
        };
        let error = |text: &str| {
            let json = parse_json("$", text.as_bytes(), &Limits::default())?;
            validate_input(program, &json, &Limits::default()).map(|_| ())
        };
        let first = |text: &str| error(text).unwrap_err().errors.swap_remove(0);
        for text in [
            record(MAX_INPUT_LIST_LEN, MAX_INPUT_STRING_BYTES),
            record(0, 0),
        ] {
            agrees(program, &text);
            assert!(input_from_str(program, &text, &Limits::default()).is_some());
        }
        let long_list = record(MAX_INPUT_LIST_LEN + 1, 1);
        agrees(program, &long_list);
        let found = first(&long_list);
        assert_eq!(found.path, "$.certifications");
        assert_eq!(found.expected, "at most 10,000 elements");
        assert_eq!(found.found, "list of 10,001 elements");
        let long_name = record(1, MAX_INPUT_STRING_BYTES + 1);
        agrees(program, &long_name);
        let found = first(&long_name);
        assert_eq!(
            (found.path.as_str(), found.found.as_str()),
            ("$.name", "string of 65,537 bytes")
        );
        let padded = format!("{}{}", record(1, 1), " ".repeat(MAX_INPUT_BYTES));
        assert_eq!(input_from_str(program, &padded, &Limits::default()), None);
        let found = first(&padded);
        assert_eq!(
            (found.path.as_str(), found.expected.as_str()),
            ("$", "at most 4,194,304 bytes of JSON")
        );
    }
}
