//! The audit fields of a report (LANGUAGE.md §9.10): the SHA-256 of the policy's source and of
//! the reference data an evaluation used, so that anyone holding the report, the policy and
//! the data can re-run the decision and get the same bytes (`procura verify`).

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::program::{Program, TableEntries};
use crate::report::{write_plain, write_str, write_value};
use crate::value::{Key, Value};

/// The SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    hex
}

/// The SHA-256 of the reference data of the tables without a body, written canonically:
/// `{"table": {"key": value, ...}, ...}` with tables and keys sorted by code point, keys
/// written as the report writes values of the key type, values as the report writes them,
/// no whitespace. `None` when the program has no table without a body: it uses no data.
pub fn data_sha256(program: &Program, tables: &[Option<Arc<TableEntries>>]) -> Option<Arc<str>> {
    if program.tables.iter().all(|table| table.entries.is_some()) {
        return None;
    }
    let names = (program.tables.iter().enumerate())
        .filter(|(_, table)| table.entries.is_none())
        .map(|(index, table)| (table.name.clone(), index));
    let mut json = String::from("{");
    for (i, (name, index)) in by_text(names).into_iter().enumerate() {
        let (Some(table), Some(Some(entries))) = (program.tables.get(index), tables.get(index))
        else {
            continue;
        };
        if i > 0 {
            json.push(',');
        }
        write_str(&mut json, &name);
        json.push_str(":{");
        let rows: Vec<(Key, &Value)> = entries.iter().collect();
        let keys = rows.iter().enumerate().map(|(row, (key, _))| {
            let mut text = String::new();
            write_plain(&mut text, &key.clone().into_value());
            (text, row)
        });
        for (j, (key, row)) in by_text(keys).into_iter().enumerate() {
            if j > 0 {
                json.push(',');
            }
            write_str(&mut json, &key);
            json.push(':');
            if let Some((_, value)) = rows.get(row) {
                write_value(&mut json, value, Some(&table.value_type));
            }
        }
        json.push('}');
    }
    json.push('}');
    Some(sha256_hex(canonical_escapes(&json).as_bytes()).into())
}

/// Texts with what they name, sorted by code point (one sort for tables and keys alike).
fn by_text(items: impl Iterator<Item = (String, usize)>) -> Vec<(String, usize)> {
    let mut items: Vec<(String, usize)> = items.collect();
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    items
}

/// The report's JSON text with control characters escaped as §9.10 writes them: the report
/// writes backspace and form feed as `\b` and `\f` (as serde_json and JavaScript do), the
/// canonical form as `\u0008` and `\u000c`.
fn canonical_escapes(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("\\u0008"),
            Some('f') => out.push_str("\\u000c"),
            Some(escaped) => {
                out.push('\\');
                out.push(escaped);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_texts() {
        // FIPS 180-2 test vectors.
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
