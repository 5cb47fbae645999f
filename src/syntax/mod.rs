//! The parser stage: source text → [`ast::PolicyFile`] and syntax diagnostics.
//!
//! Architecture invariants:
//! - This is the only module that knows pest; the grammar is `grammar/policy.pest`.
//! - pest decides every parse: there is no second parser to keep in step with the grammar.
//!   The JSON object of an example's `given` or `data` is one pest token (`json_block`); the
//!   pre-scan finds where each starts, serde_json checks it, and where one is not JSON the
//!   grammar's own JSON rules give the item's diagnostic (`not_json`).
//! - Parsing never fails and never panics: it returns the items that parsed and every syntax
//!   error found. After an error it resynchronises at the next line that starts an item.
//! - Comments are whitespace to the grammar; the pre-scan, which lexes them anyway, records
//!   them in [`ast::PolicyFile::comments`](crate::ast::PolicyFile) for the formatter.
//! - Parsing never overflows the stack: a linear pre-scan ([`scan`]) refuses nesting deeper
//!   than [`MAX_NESTING`] before pest runs, and expression trees are at most
//!   [`MAX_EXPR_DEPTH`] deep, so that later recursive passes (and `Drop`) are bounded too.
//!
//! Syntax diagnostic codes:
//! `E0001` unexpected input, `E0002` unterminated string, `E0003` unclosed bracket or block,
//! `E0004` reserved word used as a name, `E0005` chained comparison, `E0006` impossible date,
//! `E0007` unknown escape, `E0008` interpolation where a plain string is required,
//! `E0009` weight with more than two decimals, `E0010` number too large,
//! `E0011` nesting too deep, `E0012` expression too deep or too long, `E0013` source too large,
//! `E0014` missing `else` verdict, `E0015` `match` used as an operand without parentheses,
//! `E0016` unmatched `}` in a string, `E0017` repeated `?` in a type, `E0018` misspelt verdict
//! or expectation (with "did you mean"), `E0019` an operator of another language (`=`, `&&`,
//! `||`, `!`), `E0099` internal error.

mod build;
mod errors;
mod scan;

use pest::Parser;
use pest_derive::Parser;

use crate::ast::{Comment, ExprKind, PolicyFile, UnaryOp};
use crate::diagnostic::{self, Diagnostic};
pub use crate::limits::{MAX_EXPR_DEPTH, MAX_NESTING, MAX_SOURCE_BYTES};
use crate::span::{LineIndex, Span};
pub use build::Fixity;

#[derive(Parser)]
#[grammar = "grammar/policy.pest"]
struct PolicyParser;

/// Parses a whole source. Never fails and never panics: returns what parsed and every syntax
/// error found.
pub fn parse(source: &str) -> (PolicyFile, Vec<Diagnostic>) {
    parse_at(source, 0)
}

/// [`parse`] of a file whose spans start at `base`: the files of a policy share one span space
/// (`sources::Sources`), so that a span alone tells which file it is in.
pub(crate) fn parse_at(source: &str, base: usize) -> (PolicyFile, Vec<Diagnostic>) {
    let mut file = PolicyFile::default();
    if source.len() > MAX_SOURCE_BYTES {
        let diagnostic = Diagnostic::error(
            "E0013",
            Span::new(0, 0),
            format!(
                "the policy is too large ({} bytes; the limit is {MAX_SOURCE_BYTES})",
                source.len()
            ),
        )
        .with_help("split the policy or move large tables into reference data");
        return (file, vec![diagnostic.shifted(base)]);
    }
    // Only errors need line numbers.
    let lines = std::cell::OnceCell::new();
    let lines = || lines.get_or_init(|| LineIndex::new(source));
    let builder = build::Builder::new(base);
    let mut diagnostics = Vec::new();
    let scan = scan::scan(source);
    file.comments = (scan.comments.iter())
        .map(|&(start, end)| Comment {
            text: source.get(start..end).unwrap_or_default().to_owned(),
            span: Span::new(base + start, base + end),
        })
        .collect();
    for region in scan.regions {
        if let Some(at) = region.too_deep {
            diagnostics.push(
                Diagnostic::error("E0011", Span::new(at, at + 1), "this is nested too deeply")
                    .with_help(format!(
                        "brackets, interpolations and `if` conditions may nest at most \
                         {MAX_NESTING} levels deep"
                    ))
                    .shifted(base),
            );
            continue;
        }
        let syntax_error = |at, error: &pest::error::Error<Rule>| {
            errors::diagnostic(source, lines(), at, region.end, error).shifted(base)
        };
        // The first JSON object in `source[from..to]` that is not JSON: pest's error on it.
        let json_error = |from: usize, to: usize| {
            let objects = &scan.json_objects;
            let first = objects.partition_point(|&at| at < from);
            objects
                .get(first..)?
                .iter()
                .take_while(|&&at| at < to)
                .find_map(|&at| {
                    let error = not_json(source.get(at..region.end)?)?;
                    Some(syntax_error(at, &error))
                })
        };
        let mut position = region.start;
        loop {
            position = skip_trivia(source, position, region.end);
            let Some(text) = source.get(position..region.end).filter(|t| !t.is_empty()) else {
                break;
            };
            match PolicyParser::parse(item_rule(source, position), text) {
                Ok(mut pairs) => {
                    let Some(pair) = pairs.next() else { break };
                    let end = pair.as_span().end();
                    if let Some(diagnostic) = json_error(position, position + end) {
                        diagnostics.push(diagnostic);
                        break;
                    }
                    let items_before = file.items.len();
                    if let Ok(item) = builder.item(pair, position) {
                        file.items.push(item);
                    }
                    let next = skip_trivia(source, position + end, region.end);
                    if next < region.end && !starts_item(source, next) {
                        // Something follows that is no item: most likely the item was cut
                        // short (`let a = 1 +`). Parsing it again with what may follow an
                        // item finds the furthest point that went wrong.
                        if let Err(error) = PolicyParser::parse(Rule::item_entry, text) {
                            if position + errors::position(&error) > next {
                                file.items.truncate(items_before);
                            }
                            diagnostics.push(syntax_error(position, &error));
                        }
                        break;
                    }
                    position = next;
                }
                Err(error) => {
                    // A JSON object pest went past without looking inside is where the
                    // grammar's JSON rules would have stopped, if it is not JSON.
                    let at = position + errors::position(&error);
                    diagnostics.push(
                        json_error(position, at).unwrap_or_else(|| syntax_error(position, &error)),
                    );
                    break;
                }
            }
        }
    }
    diagnostics.extend(builder.into_diagnostics());
    diagnostic::sort(&mut diagnostics);
    (file, diagnostics)
}

/// pest's error on the JSON object that `text` starts with, when it is not JSON. serde_json
/// tells first, quickly; the grammar's JSON rules (`json_object`) have the last word and the
/// diagnostic.
fn not_json(text: &str) -> Option<pest::error::Error<Rule>> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    if let Some(Ok(_)) = values.next() {
        return None;
    }
    PolicyParser::parse(Rule::json_object, text).err()
}

/// The grammar rule of the item whose keyword is at `at`, so that pest does not try the others
/// first (an item keyword starts exactly one of them); `item` for anything else.
fn item_rule(source: &str, at: usize) -> Rule {
    let bytes = source.as_bytes();
    match bytes.get(at..scan::word_end(bytes, at)).unwrap_or_default() {
        b"policy" => Rule::policy_item,
        b"input" => Rule::input_item,
        b"type" => Rule::type_item,
        b"const" => Rule::const_item,
        b"table" => Rule::table_item,
        b"let" => Rule::let_item,
        b"score" => Rule::score_item,
        b"rule" => Rule::rule_item,
        b"example" => Rule::example_item,
        // `import` is contextual: an item only when a string follows.
        b"import"
            if source
                .get(skip_trivia(source, at + 6, source.len())..)
                .is_some_and(|rest| rest.starts_with('"')) =>
        {
            Rule::import_item
        }
        _ => Rule::item,
    }
}

/// Whether the word at `at` is an item keyword.
fn starts_item(source: &str, at: usize) -> bool {
    item_rule(source, at) != Rule::item
}

/// Skips whitespace, comments and a byte order mark in `source[at..end]`.
#[inline]
fn skip_trivia(source: &str, mut at: usize, end: usize) -> usize {
    let bytes = source.as_bytes();
    while at < end {
        match bytes.get(at) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => at += 1,
            // Some Windows editors start files with a byte order mark.
            Some(0xEF) if at == 0 && source.starts_with('\u{feff}') => at += '\u{feff}'.len_utf8(),
            Some(b'#') => {
                while at < end && bytes.get(at) != Some(&b'\n') {
                    at += 1;
                }
            }
            _ => break,
        }
    }
    at
}

/// How an expression binds its operands: an operand, or an operator with its precedence level
/// (0 is the loosest), read from the parser's own table (`build::OPERATORS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Operand,
    Operator(usize, Fixity),
}

/// How the top of `expr` binds; the printer places parentheses by it.
pub fn binding(expr: &ExprKind) -> Binding {
    let rule = match expr {
        ExprKind::Binary(op, ..) => {
            let mut infix = build::OPERATORS.iter().flat_map(|level| level.iter());
            match infix.find(|(rule, _)| build::binary_op(*rule) == Some(*op)) {
                Some(&(rule, _)) => rule,
                None => return Binding::Operand,
            }
        }
        ExprKind::Unary(UnaryOp::Not, _) => Rule::op_not,
        ExprKind::Unary(UnaryOp::Neg, _) => Rule::op_neg,
        ExprKind::IsMissing { negated: false, .. } => Rule::op_is_missing,
        ExprKind::IsMissing { negated: true, .. } => Rule::op_is_present,
        ExprKind::Field(..) => Rule::field_access,
        ExprKind::Index(..) => Rule::index_access,
        ExprKind::If { .. } => Rule::if_prefix,
        ExprKind::Quantifier { .. } => Rule::quantifier_prefix,
        _ => return Binding::Operand,
    };
    (build::OPERATORS.iter().enumerate())
        .find_map(|(level, ops)| {
            let &(_, fixity) = ops.iter().find(|(r, _)| *r == rule)?;
            Some(Binding::Operator(level, fixity))
        })
        .unwrap_or(Binding::Operand)
}

/// Whether `expr` is a comparison (or `is missing`), which does not chain with another.
pub fn is_comparison(expr: &ExprKind) -> bool {
    match expr {
        ExprKind::Binary(op, ..) => build::is_comparison(*op),
        ExprKind::IsMissing { .. } => true,
        _ => false,
    }
}

/// The reserved words of LANGUAGE.md §2: the one list. The grammar's `reserved` rule and the
/// playground's highlighting (`www/src/language.js`) name the same words; a test in
/// `tests/syntax.rs` reads both and compares.
pub const RESERVED: &[&str] = &[
    "policy", "input", "type", "const", "table", "let", "score", "rule", "when", "require",
    "forbid", "else", "reject", "review", "warn", "example", "given", "data", "as_of", "expect",
    "all", "any", "none", "in", "not", "and", "or", "if", "then", "match", "is", "missing",
    "present", "for", "true", "false", "today",
];

pub fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word)
}

#[cfg(test)]
mod tests {
    /// Every item keyword the pre-scan knows has its own rule.
    #[test]
    fn every_item_keyword_has_a_rule() {
        for keyword in super::scan::ITEM_KEYWORDS {
            assert!(
                super::starts_item(&format!("{keyword} \"x\""), 0),
                "{keyword}"
            );
        }
        assert!(!super::starts_item("import x", 0));
        assert!(!super::starts_item("rules", 0));
    }
}
