//! Trees compared modulo positions. One file for the fuzz targets' round trip and the main
//! crate's parser tests (`tests/syntax.rs` includes it with `#[path]`), so that neither the
//! library's API nor its dependencies grow for a test helper.

/// The `Debug` text of a value with every `Span { start: .., end: .. }` removed.
pub fn erase_spans(value: &impl std::fmt::Debug) -> String {
    let text = format!("{value:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("Span { start: ") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        out.push_str("Span");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
