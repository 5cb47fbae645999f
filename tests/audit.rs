//! The audit fields of a report (LANGUAGE.md §9.10): `as_of`, `policy.sha256` and
//! `data_sha256`, checked against digests of texts written out here by hand.

use serde_json::{Value, json};

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn audited(source: &str, data: &Value, as_of: &str) -> Value {
    let policy = procura::compile(source).unwrap();
    let today = procura::Date::parse(as_of).unwrap();
    let report = policy
        .evaluate_json(&json!({"n": 1}), Some(data), today)
        .unwrap();
    serde_json::from_str(&report.to_json()).unwrap()
}

const TABLES: &str = r#"policy "Audit" version "1"
input s { n: number }
table by_number: number -> text
table by_date: date -> number
table flags: text -> bool
table inline: text -> number { "a": 1 }
let x = s.n
"#;

#[test]
fn the_data_digest_covers_the_bodyless_tables_written_canonically() {
    let data = json!({
        "flags": {"b": true, "a": false, "é": true, "B": null},
        "by_number": {"10": "ten", "2.50": "two and a half", "-0": "zero", "1e3": "quote \" and \\ and \u{8}\u{c}\n\t\u{1}"},
        "by_date": {"2025-06-01": 1.5, "2024-12-31": 2},
        "unused": {"x": 1},
    });
    let report = audited(TABLES, &data, "2025-06-01");
    // Tables and keys sorted by code point; keys written as the report writes values of the
    // key type (`2.50` → `2.5`, `1e3` → `1000`, `-0` → `0`); a null entry is no entry; data for
    // tables the policy does not declare, and the inline table, are left out.
    let canonical = concat!(
        r#"{"by_date":{"2024-12-31":2,"2025-06-01":1.5},"#,
        r#""by_number":{"0":"zero","10":"ten","1000":"quote \" and \\ and \u0008\u000c\n\t\u0001","2.5":"two and a half"},"#,
        r#""flags":{"a":false,"b":true,"é":true}}"#,
    );
    assert_eq!(report["data_sha256"], sha256(canonical.as_bytes()));
    assert_eq!(report["policy"]["sha256"], sha256(TABLES.as_bytes()));
    assert_eq!(report["as_of"], "2025-06-01");
    // The same data in another order and layout has the same digest; other data does not.
    let reordered: Value =
        serde_json::from_str(&data.to_string().replace("\"flags\"", " \"flags\" ")).unwrap();
    assert_eq!(
        audited(TABLES, &reordered, "2025-06-01")["data_sha256"],
        report["data_sha256"]
    );
    let mut changed = data.clone();
    changed["flags"]["a"] = json!(true);
    assert_ne!(
        audited(TABLES, &changed, "2025-06-01")["data_sha256"],
        report["data_sha256"]
    );
}

#[test]
fn a_policy_without_bodyless_tables_uses_no_data() {
    let source = "input s { n: number }\ntable t: text -> number { \"a\": 1 }\nlet x = s.n\n";
    let report = audited(source, &json!({"t": {"b": 2}}), "2024-02-29");
    assert_eq!(report["data_sha256"], Value::Null);
    assert_eq!(report["as_of"], "2024-02-29");
    assert_eq!(report["policy"]["sha256"], sha256(source.as_bytes()));
    // The audit fields come first, after the policy's name.
    let policy = procura::compile(source).unwrap();
    let today = procura::Date::parse("2024-02-29").unwrap();
    let text = (policy.evaluate_json(&json!({"n": 1}), None, today).unwrap()).to_json();
    let head = format!(
        r#"{{"policy":{{"title":null,"version":null,"sha256":"{}"}},"as_of":"2024-02-29","data_sha256":null,"decision":"#,
        sha256(source.as_bytes())
    );
    assert!(text.starts_with(&head), "{text}");
}
