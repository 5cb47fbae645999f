//! The hostile-input corpus of `tests/hostile/` (its README describes the format) through
//! `procura serve`, at the server's default body limit: every record and every reference-data
//! case against `supplier.policy`, and every policy case dropped into the served directory.
//! Driven by the files, so new cases are picked up as they are added.
//!
//! How the HTTP API answers each kind of expectation:
//! - a decision: 200 with that decision;
//! - input errors: 422 `input` with the same errors (the listed fields match);
//! - malformed JSON (a record or data that is not JSON, not UTF-8 or nested too deeply): the
//!   request body, which embeds it, is not JSON either: 400 `request`;
//! - any case whose request is over the body limit: 413 `too_large`, whatever its expectation;
//! - a policy: listed with `status` `error` (or `ok` when its codes are empty), its error
//!   diagnostics of the expected codes; a file that is not UTF-8 is refused with the code
//!   `utf8` instead (the module never sees it).

mod server_support;

use std::path::{Path, PathBuf};

use procura::server::DEFAULT_MAX_BODY_KB;
use serde_json::{Value, json};
use std::net::SocketAddr;

use server_support::{Connection, call, defaults, start_with, temp_dir};

const AS_OF: &str = "2025-06-01";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// The cases of a corpus folder, in name order: name, bytes (committed or generated) and what
/// must come out.
fn cases(folder: &str) -> Vec<(String, Vec<u8>, Value)> {
    let dir = corpus().join(folder);
    let mut cases: Vec<(String, Vec<u8>, Value)> = std::fs::read_dir(&dir)
        .expect("the corpus")
        .filter_map(|file| {
            let file = file.expect("a corpus file").path();
            let name = file.file_name()?.to_str()?.strip_suffix(".expect.json")?;
            let sibling = |extension: &str| dir.join(format!("{name}.{extension}"));
            let bytes = match ["json", "policy", "bin"]
                .map(sibling)
                .iter()
                .find(|p| p.exists())
            {
                Some(path) => std::fs::read(path).expect("a case"),
                None => generate(&parse(&std::fs::read(sibling("gen.json")).expect("a case"))),
            };
            let expect = parse(&std::fs::read(&file).expect("an expectation"));
            Some((name.to_owned(), bytes, expect))
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    cases
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("corpus JSON")
}

/// A generated case: its parts in order, `{"repeat": S, "times": N}` written N times with `$i`
/// the repetition's index and `$next` the index plus one.
fn generate(spec: &Value) -> Vec<u8> {
    let mut out = String::new();
    for part in spec["parts"].as_array().expect("parts") {
        if let Some(text) = part.as_str() {
            out.push_str(text);
            continue;
        }
        let text = part["repeat"].as_str().expect("a repeated string");
        for i in 0..part["times"].as_u64().expect("a count") {
            let text = text.replace("$next", &(i + 1).to_string());
            out.push_str(&text.replace("$i", &i.to_string()));
        }
    }
    out.into_bytes()
}

/// Posts `{"input": record, "data": data, "as_of"}` with both embedded byte for byte, and
/// checks the answer against the expectation.
fn post_case(
    addr: SocketAddr,
    connection: &mut Connection,
    name: &str,
    record: &[u8],
    data: &[u8],
    expect: &Value,
) {
    let mut body = b"{\"input\": ".to_vec();
    body.extend_from_slice(record);
    body.extend_from_slice(b", \"data\": ");
    body.extend_from_slice(data);
    body.extend_from_slice(format!(", \"as_of\": \"{AS_OF}\"}}").as_bytes());
    let path = "/v1/policies/supplier/evaluate";
    let over_limit = body.len() > DEFAULT_MAX_BODY_KB * 1024;
    let response = if over_limit {
        connection.send_expecting_continue("POST", path, &body)
    } else {
        connection.send("POST", path, Some(&body))
    }
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let answer = response.json();
    let malformed = expect["errors"][0]["expected"] == "JSON";
    let (status, code) = if over_limit {
        (413, json!("too_large"))
    } else if malformed && response.status == 400 {
        // The server's reader refuses what is not JSON text at all; what it passes on (the
        // values are handed to the module as sent, so nesting deeper than the input limits)
        // gets the module's input error, the one every host gives (checked below).
        (400, json!("request"))
    } else if expect.get("decision").is_some() {
        (200, Value::Null)
    } else {
        (422, json!("input"))
    };
    assert_eq!(
        (response.status, &answer["error"]),
        (status, &code),
        "{name}: {}",
        response.body.chars().take(500).collect::<String>()
    );
    if status == 200 {
        assert_eq!(answer["decision"], expect["decision"], "{name}");
    }
    if status == 422 {
        let (found, wanted) = (&answer["errors"], &expect["errors"]);
        let count = wanted.as_array().map(Vec::len);
        assert_eq!(found.as_array().map(Vec::len), count, "{name}: {found}");
        for (got, want) in found
            .as_array()
            .into_iter()
            .flatten()
            .zip(wanted.as_array().into_iter().flatten())
        {
            for (key, value) in want.as_object().into_iter().flatten() {
                assert_eq!(&got[key], value, "{name}: `{key}` of {got}");
            }
        }
    }
    // A case over the limit ends its connection; the next case gets a fresh one.
    if response.header("connection") == Some("close") {
        *connection = Connection::open(addr).expect("connects");
    }
}

/// Posts every case of `folder` (records, or reference data) with the corpus file `other` in
/// the other place, to a server of `supplier.policy`.
fn post_folder(folder: &str, other: &str) {
    let dir = temp_dir(&format!("hostile-{folder}"));
    std::fs::copy(
        corpus().join("supplier.policy"),
        dir.join("supplier.policy"),
    )
    .expect("copies");
    let server = start_with(defaults(&dir));
    let mut connection = Connection::open(server.addr).expect("connects");
    let other = std::fs::read(corpus().join(other)).expect("a corpus file");
    for (name, case, expect) in cases(folder) {
        let (record, data) = if folder == "data" {
            (&other, &case)
        } else {
            (&case, &other)
        };
        let name = format!("{folder}/{name}");
        post_case(server.addr, &mut connection, &name, record, data, &expect);
    }
}

#[test]
fn hostile_records_through_the_server() {
    post_folder("input", "data.json");
}

#[test]
fn hostile_reference_data_through_the_server() {
    post_folder("data", "valid.json");
}

#[test]
fn hostile_policies_in_the_served_directory() {
    let dir = temp_dir("hostile-policy");
    let cases = cases("policy");
    for (name, bytes, _) in &cases {
        std::fs::write(dir.join(format!("{name}.policy")), bytes).expect("writes");
    }
    let server = start_with(defaults(&dir));
    for (name, bytes, expect) in &cases {
        let (status, shown) = call(server.addr, "GET", &format!("/v1/policies/{name}"), None);
        // A file whose only fault is that it declares no input is a library (LANGUAGE.md
        // §9.1), which the server does not serve.
        if expect["codes"] == serde_json::json!(["E0300"]) {
            assert_eq!(status, 404, "{name}: {shown}");
            continue;
        }
        assert_eq!(status, 200, "{name}: {shown}");
        let mut codes: Vec<&str> = shown["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["severity"] == "error")
            .filter_map(|d| d["code"].as_str())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let expected: Vec<&str> = if std::str::from_utf8(bytes).is_ok() {
            expect["codes"]
                .as_array()
                .expect("codes")
                .iter()
                .filter_map(Value::as_str)
                .collect()
        } else {
            vec!["utf8"]
        };
        assert_eq!(codes, expected, "{name}: {}", shown["diagnostics"]);
        let ok = expected.is_empty();
        assert_eq!(shown["status"], if ok { "ok" } else { "error" }, "{name}");
        assert_eq!(shown["serving"], ok, "{name}");
    }
}
