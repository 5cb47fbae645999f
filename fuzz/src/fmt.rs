//! The formatter's properties: one file for the `fmt` fuzz target and `tests/fmt.rs` (which
//! includes it with `#[path]`, beside `spans.rs`).

use procura::ast::{ExpectationKind, Item, PolicyFile};

use crate::spans::erase_spans;

/// For a source that parses: its formatted text parses to the same tree (spans aside) with the
/// same comments in the same order, and formatting it again changes nothing. A source that
/// does not parse is refused with its diagnostics.
pub fn assert_formats(source: &str) {
    let (file, diagnostics) = procura::syntax::parse(source);
    let formatted = match procura::print::format(source) {
        Ok(formatted) => formatted,
        Err(found) => {
            assert!(
                !diagnostics.is_empty(),
                "a policy that parses is refused: {found:#?}"
            );
            return;
        }
    };
    assert!(
        diagnostics.is_empty(),
        "a policy that does not parse is formatted"
    );
    let (again, diagnostics) = procura::syntax::parse(&formatted);
    assert!(
        diagnostics.is_empty(),
        "the formatted policy does not parse:\n{formatted}\n{diagnostics:#?}"
    );
    assert_eq!(
        tree(&file),
        tree(&again),
        "the formatted policy parses differently:\n{formatted}"
    );
    let twice = procura::print::format(&formatted).unwrap_or_default();
    assert_eq!(formatted, twice, "formatting is not idempotent");
}

/// The tree without spans, the JSON of examples without the whitespace between its tokens
/// (the formatter re-indents it).
pub fn tree(file: &PolicyFile) -> String {
    let mut file = file.clone();
    for item in &mut file.items {
        let Item::Example(example) = item else {
            continue;
        };
        example.given.text = compact(&example.given.text);
        if let Some(data) = &mut example.data {
            data.text = compact(&data.text);
        }
        for expectation in &mut example.expectations {
            match &mut expectation.kind {
                ExpectationKind::Score(_, json)
                | ExpectationKind::Value(_, json)
                | ExpectationKind::Evidence(_, json)
                | ExpectationKind::Missing(json) => json.text = compact(&json.text),
                _ => {}
            }
        }
    }
    erase_spans(&file)
}

/// JSON text without whitespace outside its strings.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if c.is_whitespace() {
            continue;
        }
        out.push(c);
    }
    out
}
