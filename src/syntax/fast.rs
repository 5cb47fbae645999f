//! A hand-written fast path for the items that are mostly literal data: `example` blocks (JSON
//! records) and `table`s whose rows are plain literals. pest spends most of a typical policy's
//! parse on these, one rule call per JSON token.
//!
//! Architecture invariant: the fast path accepts a subset of what the grammar accepts and builds
//! exactly the tree the pest path builds, spans included. On anything else (every error, every
//! construct it does not know) it declines and pest parses the item, so the grammar stays the
//! definition of the language and every diagnostic comes from one place. It never recurses:
//! JSON nesting is tracked on a heap stack.

use super::is_reserved;
use super::scan::{is_word_byte, word_end};
use crate::ast::*;
use crate::date::Date;
use crate::span::Span;

/// Parses the item at `start` (after trivia) if it is one the fast path knows; returns the item
/// and where it ends. `end` is the end of the item's region.
pub(super) fn item(source: &str, start: usize, end: usize) -> Option<(Item, usize)> {
    let text = source.get(..end)?;
    let mut cursor = Cursor {
        text,
        bytes: text.as_bytes(),
        at: start,
    };
    let item = match cursor.bytes.get(start)? {
        b'e' => cursor.example()?,
        b't' => cursor.table()?,
        _ => return None,
    };
    Some((item, cursor.at))
}

struct Cursor<'s> {
    text: &'s str,
    bytes: &'s [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.at)
    }

    fn slice(&self, start: usize) -> Option<&str> {
        self.text.get(start..self.at)
    }

    /// The grammar's implicit `(WHITESPACE | COMMENT)*` between the tokens of a rule.
    fn trivia(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.at += 1,
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.at += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// A keyword: the word itself, not followed by a word character.
    fn keyword(&mut self, word: &str) -> bool {
        let end = self.at + word.len();
        let found = self.bytes.get(self.at..end) == Some(word.as_bytes())
            && !self.bytes.get(end).is_some_and(|&b| is_word_byte(b));
        if found {
            self.at = end;
        }
        found
    }

    /// A keyword and the trivia after it.
    fn keyword_token(&mut self, word: &str) -> Option<()> {
        self.keyword(word).then(|| self.trivia())
    }

    /// The grammar's `name`: a word that starts with a letter or `_` and is not reserved.
    fn name(&mut self) -> Option<Ident> {
        let start = self.at;
        let first = self.peek()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let end = word_end(self.bytes, start);
        let name = self.text.get(start..end)?;
        if is_reserved(name) {
            return None;
        }
        self.at = end;
        Some(Ident {
            name: name.to_owned(),
            span: self.span_from(start),
        })
    }

    /// A string without escapes, braces or interpolation, as a template: no part when empty,
    /// one text part otherwise.
    fn plain_string(&mut self) -> Option<Template> {
        let start = self.at;
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' | b'{' | b'}' | b'\n' => return None,
                _ => self.at += 1,
            }
        }
        let value = self.text.get(start + 1..self.at)?;
        self.at += 1;
        let parts = if value.is_empty() {
            Vec::new()
        } else {
            vec![TemplatePart::Text(value.to_owned())]
        };
        Some(Template {
            parts,
            span: self.span_from(start),
        })
    }

    fn str_lit(&mut self) -> Option<StrLit> {
        let template = self.plain_string()?;
        let value = match template.parts.into_iter().next() {
            Some(TemplatePart::Text(text)) => text,
            Some(TemplatePart::Expr(_)) => return None,
            None => String::new(),
        };
        Some(StrLit {
            value,
            span: template.span,
        })
    }

    // -----------------------------------------------------------------------------------------
    // `example`

    fn example(&mut self) -> Option<Item> {
        let start = self.at;
        self.keyword_token("example")?;
        let title = self.str_lit()?;
        self.trivia();
        self.expect(b'{')?;
        self.trivia();
        self.keyword_token("given")?;
        let given = self.json_object()?;
        self.trivia();
        let data = if self.keyword("data") {
            self.trivia();
            let data = self.json_object()?;
            self.trivia();
            Some(data)
        } else {
            None
        };
        let as_of = if self.keyword("as_of") {
            self.trivia();
            let date = self.date()?;
            self.trivia();
            Some(date)
        } else {
            None
        };
        let mut expectations = Vec::new();
        while self.peek() != Some(b'}') {
            expectations.push(self.expectation()?);
            self.trivia();
        }
        if expectations.is_empty() {
            return None;
        }
        self.at += 1;
        Some(Item::Example(ExampleDecl {
            title,
            given,
            data,
            as_of,
            expectations,
            span: self.span_from(start),
        }))
    }

    fn expectation(&mut self) -> Option<Expectation> {
        let start = self.at;
        self.keyword_token("expect")?;
        let kind = if self.keyword("rule") {
            self.trivia();
            let name = self.name()?;
            self.trivia();
            let outcome = [
                ("passed", Outcome::Passed),
                ("failed", Outcome::Failed),
                ("missing", Outcome::Missing),
                ("not_applicable", Outcome::NotApplicable),
            ]
            .into_iter()
            .find(|(word, _)| self.keyword(word))?
            .1;
            ExpectationKind::Rule(name, outcome)
        } else if self.keyword("score") {
            let (name, value) = self.named_json()?;
            ExpectationKind::Score(name, value)
        } else if self.keyword("value") {
            let (name, value) = self.named_json()?;
            ExpectationKind::Value(name, value)
        } else {
            let decision = [
                ("approve", Decision::Approve),
                ("review", Decision::Review),
                ("reject", Decision::Reject),
                ("incomplete", Decision::Incomplete),
            ]
            .into_iter()
            .find(|(word, _)| self.keyword(word))?
            .1;
            ExpectationKind::Decision(decision)
        };
        Some(Expectation {
            kind,
            span: self.span_from(start),
        })
    }

    /// `NAME = JSON` of `expect score` and `expect value`.
    fn named_json(&mut self) -> Option<(Ident, JsonText)> {
        self.trivia();
        let name = self.name()?;
        self.trivia();
        self.expect(b'=')?;
        self.trivia();
        let start = self.at;
        self.json_value()?;
        Some((name, self.json_text(start)?))
    }

    /// The grammar's `date`, valid as a calendar date (the pest path reports impossible ones).
    fn date(&mut self) -> Option<(DateLit, Span)> {
        let start = self.at;
        let digits = |cursor: &mut Self, n: usize| -> Option<u32> {
            let from = cursor.at;
            let text = cursor.text.get(from..from + n)?;
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            cursor.at += n;
            text.parse().ok()
        };
        let year = digits(self, 4)?;
        self.expect(b'-')?;
        let month = digits(self, 2)?;
        self.expect(b'-')?;
        let day = digits(self, 2)?;
        if self.peek().is_some_and(is_word_byte) {
            return None;
        }
        let year = i32::try_from(year).ok()?;
        Date::from_ymd(year, month, day)?;
        Some((DateLit { year, month, day }, self.span_from(start)))
    }

    // -----------------------------------------------------------------------------------------
    // JSON, as the grammar's `json_*` rules match it

    fn json_object(&mut self) -> Option<JsonText> {
        let start = self.at;
        if self.peek() != Some(b'{') {
            return None;
        }
        self.json_value()?;
        self.json_text(start)
    }

    fn json_text(&self, start: usize) -> Option<JsonText> {
        Some(JsonText {
            text: self.slice(start)?.to_owned(),
            span: self.span_from(start),
        })
    }

    fn json_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    /// One JSON value; containers are tracked on a stack of their closing bytes.
    fn json_value(&mut self) -> Option<()> {
        let mut closers = Vec::new();
        'value: loop {
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    self.at += 1;
                    let close = if open == b'{' { b'}' } else { b']' };
                    self.json_ws();
                    if !self.eat(close) {
                        closers.push(close);
                        if close == b'}' {
                            self.json_key()?;
                        }
                        continue 'value;
                    }
                }
                b'"' => self.json_string()?,
                b't' | b'f' | b'n' => self.json_literal()?,
                _ => self.json_number()?,
            }
            // After a value: the next element, or the end of containers.
            while let Some(&close) = closers.last() {
                self.json_ws();
                if self.eat(b',') {
                    self.json_ws();
                    if close == b'}' {
                        self.json_key()?;
                    }
                    continue 'value;
                }
                self.expect(close)?;
                closers.pop();
            }
            return Some(());
        }
    }

    /// A member's key and colon, up to its value.
    fn json_key(&mut self) -> Option<()> {
        self.json_string()?;
        self.json_ws();
        self.expect(b':')?;
        self.json_ws();
        Some(())
    }

    fn json_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    self.at += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            self.at += 1;
                            for _ in 0..4 {
                                if !self.peek()?.is_ascii_hexdigit() {
                                    return None;
                                }
                                self.at += 1;
                            }
                        }
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        Some(())
    }

    fn json_literal(&mut self) -> Option<()> {
        ["true", "false", "null"]
            .into_iter()
            .any(|word| self.keyword(word))
            .then_some(())
    }

    fn json_number(&mut self) -> Option<()> {
        self.eat(b'-');
        if !self.eat(b'0') {
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if self.peek() == Some(b'.') && self.next_is_digit() {
            self.at += 1;
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mark = self.at;
            self.at += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.digits();
            } else {
                self.at = mark;
            }
        }
        Some(())
    }

    fn next_is_digit(&self) -> bool {
        self.bytes.get(self.at + 1).is_some_and(u8::is_ascii_digit)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    // -----------------------------------------------------------------------------------------
    // `table`

    fn table(&mut self) -> Option<Item> {
        let start = self.at;
        self.keyword_token("table")?;
        let name = self.name()?;
        self.trivia();
        self.expect(b':')?;
        self.trivia();
        let key_ty = self.simple_type()?;
        self.trivia();
        if !(self.eat(b'-') && self.eat(b'>')) {
            return None;
        }
        self.trivia();
        let value_ty = self.simple_type()?;
        // pest's spans of a rule that ends in an optional or repeated part include the trivia
        // skipped before trying it: a table without a body ends after its trailing trivia,
        // and so does a row.
        self.trivia();
        let rows = if self.eat(b'{') {
            Some(self.table_rows()?)
        } else {
            None
        };
        Some(Item::Table(TableDecl {
            name,
            key_ty,
            value_ty,
            rows,
            span: self.span_from(start),
        }))
    }

    /// A type name, optionally followed by one `?`.
    fn simple_type(&mut self) -> Option<TypeExpr> {
        let start = self.at;
        let name = self.name()?;
        let atom = TypeExpr {
            span: name.span,
            kind: TypeExprKind::Named(name),
        };
        let after_name = self.at;
        self.trivia();
        if !self.eat(b'?') {
            self.at = after_name;
            return Some(atom);
        }
        let after_question = self.at;
        self.trivia();
        if self.peek() == Some(b'?') {
            return None;
        }
        self.at = after_question;
        Some(TypeExpr {
            kind: TypeExprKind::Optional(Box::new(atom)),
            span: self.span_from(start),
        })
    }

    /// Rows `literal: literal`, up to and including the closing `}`.
    fn table_rows(&mut self) -> Option<Vec<TableRow>> {
        let mut rows = Vec::new();
        loop {
            self.trivia();
            if self.eat(b'}') {
                return Some(rows);
            }
            let start = self.at;
            let key = self.literal()?;
            self.trivia();
            self.expect(b':')?;
            self.trivia();
            let value = self.literal()?;
            self.trivia();
            let span = self.span_from(start);
            // Anything else could continue the value as an expression.
            if !matches!(self.peek(), Some(b',' | b'}' | b'"')) {
                return None;
            }
            self.eat(b',');
            rows.push(TableRow { key, value, span });
        }
    }

    /// A plain string, a number or `true`/`false` whose next token cannot continue it as an
    /// expression (the callers check that token).
    fn literal(&mut self) -> Option<Expr> {
        let start = self.at;
        let kind = match self.peek()? {
            b'"' => ExprKind::Str(self.plain_string()?),
            b'0'..=b'9' => {
                self.at += 1;
                self.number_digits();
                if self.peek() == Some(b'.') && self.next_is_digit() {
                    self.at += 1;
                    self.number_digits();
                }
                let n = self.slice(start)?.replace('_', "").parse::<f64>().ok()?;
                if !n.is_finite() {
                    return None;
                }
                ExprKind::Number(n)
            }
            _ if self.keyword("true") => ExprKind::Bool(true),
            _ if self.keyword("false") => ExprKind::Bool(false),
            _ => return None,
        };
        Some(Expr {
            kind,
            span: self.span_from(start),
        })
    }

    fn number_digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'_') {
            self.at += 1;
        }
    }
}
