//! Translates pest errors into diagnostics in plain words: users never see a rule name.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::Rule;
use super::scan::{ITEM_KEYWORDS, is_word_byte, word_end};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::span::{LineIndex, Span};

/// What the parser was looking for when it tried a rule, in the user's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// Inner parts of tokens and silent rules: never worth naming.
    Nothing,
    Item,
    Name,
    Expression,
    Operator,
    Type,
    Json,
    /// A token or phrase, already in backticks where it is source text.
    Words(&'static str),
    /// A closing bracket: the token, the opening bracket and what it closes.
    Close(&'static str, u8, &'static str),
    /// A string: a title, a message, a literal-union member.
    Str,
    ElseClause,
    Verdict,
    /// What follows `expect`: a decision or the kind of expectation.
    Expectation,
    StringEnd,
}

/// The verdicts, which a misspelt one is compared with.
const VERDICTS: &[&str] = &["reject", "review", "warn"];

/// The words that may follow `expect`, which a misspelt one is compared with.
const EXPECTATIONS: &[&str] = &[
    "approve",
    "review",
    "reject",
    "incomplete",
    "rule",
    "score",
    "value",
    "message",
    "evidence",
    "missing",
];

/// Every grammar rule's human name. Exhaustive, so that a new rule must be named.
fn expected(rule: Rule) -> Expected {
    use Expected::*;
    match rule {
        Rule::WHITESPACE
        | Rule::blank
        | Rule::word_char
        | Rule::reserved
        | Rule::item
        | Rule::item_entry
        | Rule::item_keyword
        | Rule::type_atom
        | Rule::prefix
        | Rule::prefix_l2
        | Rule::prefix_start
        | Rule::infix
        | Rule::postfix
        | Rule::primary
        | Rule::row_literal
        | Rule::integer
        | Rule::unit
        | Rule::paren_unit
        | Rule::str_text
        | Rule::str_escape
        | Rule::str_stray
        | Rule::raw_text
        | Rule::json_ws
        | Rule::json_member
        | Rule::policy_item
        | Rule::input_item
        | Rule::type_item
        | Rule::const_item
        | Rule::let_item
        | Rule::table_item
        | Rule::score_item
        | Rule::rule_item
        | Rule::example_item
        | Rule::import_item => Nothing,
        Rule::kw_policy
        | Rule::kw_input
        | Rule::kw_type
        | Rule::kw_const
        | Rule::kw_table
        | Rule::kw_let
        | Rule::kw_score
        | Rule::kw_rule
        | Rule::kw_example
        | Rule::kw_import => Item,
        Rule::name
        | Rule::field_decl
        | Rule::field_keyword
        | Rule::field_word
        | Rule::parameter
        | Rule::score_component => Name,
        Rule::parameters => Words("`(`"),
        Rule::ident
        | Rule::expr
        | Rule::expr_l2
        | Rule::if_prefix
        | Rule::quantifier_prefix
        | Rule::op_not
        | Rule::op_neg
        | Rule::paren
        | Rule::call
        | Rule::match_expr
        | Rule::match_arm
        | Rule::list
        | Rule::date
        | Rule::duration
        | Rule::number
        | Rule::literal_word
        | Rule::kw_if
        | Rule::kw_match
        | Rule::quantifier
        | Rule::table_row => Expression,
        Rule::op_coalesce
        | Rule::op_or
        | Rule::op_and
        | Rule::op_not_in
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_lt
        | Rule::op_ge
        | Rule::op_gt
        | Rule::op_in
        | Rule::op_contains_any
        | Rule::op_contains_all
        | Rule::op_contains
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_rem
        | Rule::op_is_missing
        | Rule::op_is_present
        | Rule::field_access
        | Rule::index_access
        | Rule::kw_is
        | Rule::infix_start
        | Rule::postfix_start => Operator,
        Rule::type_expr | Rule::type_union | Rule::type_list | Rule::type_record => Type,
        Rule::type_paren => Words("`(`"),
        Rule::type_question => Words("`?`"),
        Rule::json_object | Rule::json_block => Words("a JSON object"),
        Rule::json_value
        | Rule::json_array
        | Rule::json_string
        | Rule::json_number
        | Rule::json_literal => Json,
        Rule::json_colon => Words("`:`"),
        Rule::kw_version => Words("`version`"),
        Rule::kw_when | Rule::when_clause => Words("`when`"),
        Rule::check_kind | Rule::rule_check => Words("`require` or `forbid`"),
        Rule::else_clause | Rule::kw_else => ElseClause,
        Rule::verdict => Verdict,
        Rule::kw_given | Rule::given_clause => Words("`given` and a JSON object"),
        Rule::kw_data | Rule::data_clause => Words("`data`"),
        Rule::kw_as_of | Rule::as_of_clause => Words("`as_of`"),
        Rule::kw_expect | Rule::expectation => Words("`expect`"),
        Rule::expect_decision
        | Rule::expect_rule
        | Rule::expect_score
        | Rule::expect_value
        | Rule::kw_value
        | Rule::expect_message
        | Rule::kw_message
        | Rule::expect_evidence
        | Rule::kw_evidence
        | Rule::expect_missing => Expectation,
        Rule::outcome => Words("an outcome (`passed`, `failed`, `missing` or `not_applicable`)"),
        Rule::kw_missing | Rule::kw_present => Words("`missing` or `present`"),
        Rule::kw_in => Words("`in`"),
        Rule::kw_then | Rule::if_then => Words("`then`"),
        Rule::if_else => Words("`else`"),
        Rule::kw_for | Rule::comprehension | Rule::comprehension_clause => Words("`for`"),
        Rule::comprehension_if => Words("`if`"),
        Rule::quantifier_colon => Words("`:` after the list"),
        Rule::colon => Words("`:`"),
        Rule::comma => Words("`,`"),
        Rule::equals => Words("`=`"),
        Rule::arrow => Words("`->`"),
        Rule::fat_arrow => Words("`=>`"),
        Rule::block_open | Rule::table_body => Words("`{`"),
        Rule::weight => Words("a weight such as `25%`"),
        Rule::match_else => Words("`else`"),
        Rule::input_close => Close("`}`", b'{', "the `input` block"),
        Rule::table_close => Close("`}`", b'{', "the `table` block"),
        Rule::score_close => Close("`}`", b'{', "the `score` block"),
        Rule::rule_close => Close("`}`", b'{', "the `rule` block"),
        Rule::example_close => Close("`}`", b'{', "the `example` block"),
        Rule::record_close => Close("`}`", b'{', "the record type"),
        Rule::match_close => Close("`}`", b'{', "the `match` block"),
        Rule::json_object_close => Close("`}`", b'{', "the JSON object"),
        Rule::json_array_close => Close("`]`", b'[', "the JSON array"),
        Rule::list_close => Close("`]`", b'[', "the list"),
        Rule::index_close => Close("`]`", b'[', "the index"),
        Rule::paren_close => Close("`)`", b'(', "the parenthesis"),
        // Its `{` is inside a string, which the search for openers skips.
        Rule::interpolation | Rule::interpolation_close => Close("`}`", 0, "the interpolation"),
        Rule::string | Rule::raw_string => Str,
        Rule::string_close => StringEnd,
    }
}

/// Where a pest error lies in the text handed to pest.
pub(super) fn position(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    }
}

/// The diagnostic for a pest error on the text that starts at `offset` in `source`.
pub(super) fn diagnostic(
    source: &str,
    lines: &LineIndex,
    offset: usize,
    end: usize,
    error: &Error<Rule>,
) -> Diagnostic {
    let position = offset + position(error);
    let mut found = Found::at(source, position);
    // At the end of the text handed to pest stands the next item, not a misused word.
    found.reserved &= position < end;
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        // pest's own guards ("stack limit reached"): the pre-scan should have caught this.
        ErrorVariant::CustomError { .. } => {
            return Diagnostic::error("E0011", found.span, "this item is nested too deeply")
                .with_help("split it into smaller definitions");
        }
    };
    let mut wanted: Vec<Expected> = Vec::new();
    for rule in positives {
        let e = expected(*rule);
        if e != Expected::Nothing && !wanted.contains(&e) {
            wanted.push(e);
        }
    }
    let has = |e: Expected| wanted.contains(&e);

    // A string left open swallows what follows; pest then fails further on, on a later line.
    let unterminated = match lex(source, offset, position).unterminated_string {
        Some(at) => Some(at),
        None => has(Expected::StringEnd).then(|| string_start(source, position)),
    };
    if let Some(at) = unterminated {
        return Diagnostic::error("E0002", char_span(source, at), "unterminated string")
            .with_help("end the string with `\"` on the same line (write `\\n` for a line break)");
    }
    if let Some(diagnostic) = foreign_operator(source, &found, &wanted) {
        return diagnostic;
    }
    if let Some(diagnostic) = misspelt_word(&found, &wanted) {
        return diagnostic;
    }
    if has(Expected::ElseClause) {
        return Diagnostic::error(
            "E0014",
            found.span,
            format!(
                "expected `else` and a verdict (`reject`, `review` or `warn`) after the \
                 condition, found {}",
                found.text
            ),
        )
        .with_help("for example: `else review \"the reason\"`");
    }
    if has(Expected::Verdict) {
        return Diagnostic::error(
            "E0014",
            found.span,
            format!(
                "expected a verdict (`reject`, `review` or `warn`) after `else`, found {}",
                found.text
            ),
        );
    }
    if has(Expected::Name) && found.reserved {
        return Diagnostic::error(
            "E0004",
            found.span,
            format!("{} is a reserved word", found.text),
        )
        .with_help("reserved words cannot name anything; choose another name");
    }
    if let Some(Expected::Close(token, opener, what)) = wanted
        .iter()
        .copied()
        .find(|e| matches!(e, Expected::Close(..)))
    {
        let mut message = format!("expected {token} to close {what}");
        let opened = (opener != 0)
            .then(|| unclosed_opener(source, offset, position, opener))
            .flatten();
        if let Some(at) = opened {
            message.push_str(&format!(" opened on line {}", lines.line(at)));
        }
        let diagnostic = Diagnostic::error("E0003", found.span, message);
        return match opened {
            Some(at) => diagnostic.with_label(Span::new(at, at + 1), "opened here"),
            None => diagnostic,
        };
    }
    let message = format!("expected {}, found {}", describe(&wanted), found.text);
    let diagnostic = Diagnostic::error("E0001", found.span, message);
    let suggestion = match did_you_mean(&found.word, ITEM_KEYWORDS) {
        Some(keyword) if has(Expected::Item) => Some(format!("did you mean `{keyword}`?")),
        _ if wanted == [Expected::Item] => Some(
            "a policy is made of `policy`, `input`, `type`, `const`, `table`, `let`, `score`, \
             `rule` and `example` items"
                .to_string(),
        ),
        _ => found.character.and_then(character_help),
    };
    match suggestion {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// `=`, `&&`, `||` or `!` where an expression goes on (E0019): operators of other languages,
/// whose help names the policy language's own.
fn foreign_operator(source: &str, found: &Found, wanted: &[Expected]) -> Option<Diagnostic> {
    if !wanted
        .iter()
        .any(|e| matches!(e, Expected::Operator | Expected::Expression))
    {
        return None;
    }
    let at = found.span.start as usize;
    let rest = source.get(at..)?;
    let (operator, instead, meaning) = if rest.starts_with("&&") {
        ("&&", "and", "both conditions hold")
    } else if rest.starts_with("||") {
        ("||", "or", "either condition holds")
    } else if rest.starts_with('!') && !rest.starts_with("!=") {
        ("!", "not", "the condition does not hold")
    } else if rest.starts_with('=')
        && !rest.starts_with("==")
        && !rest.starts_with("=>")
        // Where `:` (a table row) or `=>` (a `match` arm) may follow, `=` is no comparison.
        && !wanted
            .iter()
            .any(|e| matches!(e, Expected::Words("`:`" | "`=>`")))
    {
        ("=", "==", "two values are equal")
    } else {
        return None;
    };
    let span = Span::new(at, at + operator.len());
    let message = if operator == "=" {
        "`=` is not a comparison".to_owned()
    } else {
        format!("`{operator}` is not an operator of the policy language")
    };
    Some(
        Diagnostic::error("E0019", span, message)
            .with_help(format!("write `{instead}` to say that {meaning}")),
    )
}

/// A misspelt verdict after `else`, or a misspelt decision or expectation after `expect`
/// (E0018), with "did you mean".
fn misspelt_word(found: &Found, wanted: &[Expected]) -> Option<Diagnostic> {
    // After `expect`, `review` and `reject` are expected too, as decisions.
    let (what, words) = if wanted.contains(&Expected::Expectation) {
        ("expectation", EXPECTATIONS)
    } else if wanted.contains(&Expected::Verdict) {
        ("verdict", VERDICTS)
    } else {
        return None;
    };
    let suggestion = did_you_mean(&found.word, words.iter().copied())?;
    Some(
        Diagnostic::error(
            "E0018",
            found.span,
            format!("unknown {what} {}", found.text),
        )
        .with_help(format!("did you mean `{suggestion}`?")),
    )
}

/// Help for characters that documents pasted from word processors bring along.
fn character_help(c: char) -> Option<String> {
    let ascii = match c {
        '“' | '”' | '„' | '«' | '»' => "\"",
        '≥' => ">=",
        '≤' => "<=",
        '≠' => "!=",
        '–' | '—' | '−' => "-",
        '×' => "*",
        '÷' => "/",
        c if c.is_alphabetic() => {
            return Some("names are made of ASCII letters, digits and `_`".to_string());
        }
        _ => return None,
    };
    Some(format!("write `{ascii}` instead of `{c}`"))
}

fn describe(wanted: &[Expected]) -> String {
    let mut names: Vec<&str> = wanted
        .iter()
        .filter(|e| **e != Expected::Operator)
        .map(|e| match e {
            Expected::Item => "an item",
            Expected::Name => "a name",
            Expected::Expression => "an expression",
            Expected::Type => "a type",
            Expected::Json => "a JSON value",
            // Where an expression would do, a string is one.
            Expected::Str if wanted.contains(&Expected::Expression) => "",
            Expected::Str => "a string",
            Expected::Words(words) => words,
            Expected::Expectation => {
                "a decision (`approve`, `review`, `reject`, `incomplete`), `rule`, `score`, \
                 `value`, `message`, `evidence` or `missing`"
            }
            _ => "",
        })
        .filter(|name| !name.is_empty())
        .collect();
    if wanted.contains(&Expected::Operator) {
        names.push("an operator");
    }
    match names.split_last() {
        None => "something else".to_string(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The token at an error position, for "found ..." and the primary span.
struct Found {
    text: String,
    word: String,
    /// The character found, when it is not part of a word.
    character: Option<char>,
    reserved: bool,
    span: Span,
}

impl Found {
    fn at(source: &str, position: usize) -> Found {
        let bytes = source.as_bytes();
        let Some(c) = source.get(position..).and_then(|rest| rest.chars().next()) else {
            return Found {
                text: "the end of the file".to_string(),
                word: String::new(),
                character: None,
                reserved: false,
                span: Span::new(source.len(), source.len()),
            };
        };
        if c.is_ascii() && is_word_byte(c as u8) {
            let end = word_end(bytes, position).min(position + 40);
            let word = source.get(position..end).unwrap_or_default().to_string();
            return Found {
                text: format!("`{word}`"),
                reserved: super::is_reserved(&word),
                word,
                character: None,
                span: Span::new(position, end),
            };
        }
        let text = match c {
            '\n' | '\r' => "the end of the line".to_string(),
            c if c.is_control() => format!("the control character `{}`", c.escape_unicode()),
            c => format!("`{c}`"),
        };
        Found {
            text,
            word: String::new(),
            character: Some(c),
            reserved: false,
            span: char_span(source, position),
        }
    }
}

/// What a plain lexer finds in `source[start..end]`: the brackets still open, and the first
/// string that runs into the end of its line.
struct Lexed {
    open: Vec<(u8, usize)>,
    unterminated_string: Option<usize>,
    /// The string still open at the end.
    open_string: Option<usize>,
}

/// Skips strings (a line break ends one) and comments; interpolations count as string text.
fn lex(source: &str, start: usize, end: usize) -> Lexed {
    let mut lexed = Lexed {
        open: Vec::new(),
        unterminated_string: None,
        open_string: None,
    };
    let bytes = source.as_bytes().get(start..end).unwrap_or_default();
    let mut string_start = None;
    // Whether the open string is raw (`r"`): a backslash in it is text.
    let mut raw = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match (string_start, b) {
            (Some(_), b'\\') if !raw => i += 1,
            (Some(_), b'"') => string_start = None,
            (Some(at), b'\n') => {
                lexed.unterminated_string = Some(at);
                return lexed;
            }
            (Some(_), _) => {}
            (None, b'"') => {
                string_start = Some(start + i);
                raw = i.checked_sub(1).and_then(|r| bytes.get(r)) == Some(&b'r')
                    && !i
                        .checked_sub(2)
                        .and_then(|w| bytes.get(w))
                        .is_some_and(|&w| is_word_byte(w));
            }
            (None, b'#') => {
                while bytes.get(i + 1).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            (None, b'(' | b'[' | b'{') => lexed.open.push((b, start + i)),
            (None, b')' | b']' | b'}') => {
                lexed.open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    lexed.open_string = string_start;
    lexed
}

/// The character at `at`; an empty span at the end of the source. Where no opening quote is
/// found (a string inside an interpolation, which the plain lexer reads as two), `at` is where
/// pest stopped, which may be the end.
fn char_span(source: &str, at: usize) -> Span {
    let width = (source.get(at..).and_then(|rest| rest.chars().next())).map_or(0, char::len_utf8);
    Span::new(at, at + width)
}

/// The opening quote of the string that is open at `position`, on the same line.
fn string_start(source: &str, position: usize) -> usize {
    let line_start = source
        .get(..position)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |n| n + 1);
    lex(source, line_start, position)
        .open_string
        .unwrap_or(position)
}

/// The innermost bracket still open at `end` that is an `opener`.
fn unclosed_opener(source: &str, start: usize, end: usize, opener: u8) -> Option<usize> {
    lex(source, start, end)
        .open
        .iter()
        .rev()
        .find(|(b, _)| *b == opener)
        .map(|(_, at)| *at)
}
