//! A hand-written fast path for the items pest is slowest on, which are nearly all of a
//! policy: `input`, `type`, `const`, `let`, `score`, `rule` and `example` items and `table`s whose
//! rows are literals (strings, numbers, dates, durations, `true` and `false`). pest makes one
//! rule call per token (per JSON token in examples).
//!
//! Architecture invariant: the fast path accepts a subset of what the grammar accepts and builds
//! exactly the tree the pest path builds, spans included. On anything else (every error, every
//! construct it does not know) it declines and pest parses the item, so the grammar stays the
//! definition of the language and every diagnostic comes from one place. Expressions are scanned
//! into the grammar's flat sequence and folded by a re-implementation of pest's Pratt algorithm
//! whose binding powers (`PREC_*`) mirror the table in `build.rs`; both paths make their nodes
//! and weights in `node.rs`, so they share the builder's checks (depth, chained comparisons,
//! bare `match`, decimals). The two tables must change together; the both-paths tests in
//! `tests/syntax.rs` fail when they differ.
//!
//! Stack: JSON nesting is tracked on a heap stack; brackets, interpolations, clauses and nested
//! types recurse at most [`MAX_FAST_NESTING`] levels before the fast path declines (types never
//! recurse into expressions: a string in a type may not interpolate), and the Pratt fold at
//! most `MAX_EXPR_DEPTH` operators, the bound pest's fold has too.

use super::is_reserved;
use super::node::{Built, Postfix, Prefix, Shape, weight_hundredths, without_underscores};
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
        b't' if cursor.bytes.get(start + 1) == Some(&b'y') => cursor.type_item()?,
        b't' => cursor.table()?,
        b'l' | b'c' => cursor.named_value()?,
        b'r' => cursor.rule()?,
        b's' => cursor.score()?,
        b'i' => cursor.input()?,
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
        self.at = super::skip_trivia(self.text, self.at, self.bytes.len());
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

    /// The first of `words` that is here, as a keyword.
    fn one_of<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<T> {
        words
            .iter()
            .find(|(word, _)| self.keyword(word))
            .map(|&(_, value)| value)
    }

    /// A keyword and the trivia after it.
    fn keyword_token(&mut self, word: &str) -> Option<()> {
        self.keyword(word).then(|| self.trivia())
    }

    /// An optional clause: its keyword and `body`, each with the trivia after it; `Some(None)`
    /// when the keyword is not here.
    fn clause<T>(
        &mut self,
        keyword: &str,
        body: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<Option<T>> {
        if !self.keyword(keyword) {
            return Some(None);
        }
        self.trivia();
        let value = body(self)?;
        self.trivia();
        Some(Some(value))
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
        let data = self.clause("data", Self::json_object)?;
        let as_of = self.clause("as_of", Self::date)?;
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
            let outcome = self.one_of(&[
                ("passed", Outcome::Passed),
                ("failed", Outcome::Failed),
                ("missing", Outcome::Missing),
                ("not_applicable", Outcome::NotApplicable),
            ])?;
            ExpectationKind::Rule(name, outcome)
        } else if self.keyword("score") {
            let (name, value) = self.named_json()?;
            ExpectationKind::Score(name, value)
        } else if self.keyword("value") {
            let (name, value) = self.named_json()?;
            ExpectationKind::Value(name, value)
        } else {
            let decision = self.one_of(&[
                ("approve", Decision::Approve),
                ("review", Decision::Review),
                ("reject", Decision::Reject),
                ("incomplete", Decision::Incomplete),
            ])?;
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
        let (start, name) = self.head("table")?;
        self.expect(b':')?;
        self.trivia();
        let (key_ty, _) = self.type_expr(0)?;
        if !(self.eat(b'-') && self.eat(b'>')) {
            return None;
        }
        self.trivia();
        // pest's spans of a rule that ends in an optional or repeated part include the trivia
        // skipped before trying it: a table without a body ends after its trailing trivia,
        // and so does a row.
        let (value_ty, _) = self.type_expr(0)?;
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

    /// A string, a number, a date, a duration or `true`/`false` whose next token cannot
    /// continue it as an expression (the callers check that token).
    fn literal(&mut self) -> Option<Expr> {
        let start = self.at;
        let literal = matches!(self.peek()?, b'"' | b'0'..=b'9')
            || self.keyword("true")
            || self.keyword("false");
        self.at = start;
        literal.then_some(())?;
        Some(self.operand(0)?.expr)
    }

    fn number_digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit() || b == b'_') {
            self.at += 1;
        }
    }
}

/// How deeply the fast path follows brackets, interpolations, nested clauses and nested types
/// before it declines: deeper sources go to pest, whose limits and diagnostics stay the only
/// ones. `docs/language.md` states this number.
const MAX_FAST_NESTING: usize = 32;

/// One element of an expression's flat sequence, as the grammar's `expr` rule matches it.
enum Element {
    Prefix(Prefix, Span),
    Operand(Built),
    Postfix(Postfix, Span),
    Infix(BinaryOp),
}

/// The binding powers of `build::Builder::new`'s Pratt table, in pest's steps of 10.
const PREC_IF: u32 = 10;
const PREC_NOT: u32 = 50;
const PREC_COMPARISON: u32 = 60;
const PREC_NEG: u32 = 90;
const PREC_ACCESS: u32 = 100;

fn infix_precedence(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Coalesce => 20,
        BinaryOp::Or => 30,
        BinaryOp::And => 40,
        BinaryOp::Add | BinaryOp::Sub => 70,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 80,
        _ => PREC_COMPARISON,
    }
}

/// A node one level above children of depth `depth`; `None` where the builder reports E0012.
fn node(kind: ExprKind, span: Span, depth: usize) -> Option<Built> {
    Built::node(kind, span, depth).ok()
}

/// pest's `PrattParser` over a well-formed sequence (the same algorithm, so the same tree),
/// with the builder's checks; recursion is bounded by the sequence's operator count.
struct Pratt {
    elements: std::iter::Peekable<std::vec::IntoIter<Element>>,
}

impl Pratt {
    fn expr(&mut self, rbp: u32) -> Option<Built> {
        let mut lhs = self.nud()?;
        while rbp < self.lbp() {
            lhs = self.led(lhs)?;
        }
        Some(lhs)
    }

    fn lbp(&mut self) -> u32 {
        match self.elements.peek() {
            Some(Element::Infix(op)) => infix_precedence(*op),
            Some(Element::Postfix(Postfix::Missing | Postfix::Present, _)) => PREC_COMPARISON,
            Some(Element::Postfix(..)) => PREC_ACCESS,
            _ => 0,
        }
    }

    fn nud(&mut self) -> Option<Built> {
        match self.elements.next()? {
            Element::Operand(built) => Some(built),
            Element::Prefix(prefix, op_span) => {
                let precedence = match prefix {
                    Prefix::If(..) | Prefix::Quantifier(..) => PREC_IF,
                    Prefix::Not => PREC_NOT,
                    Prefix::Neg => PREC_NEG,
                };
                let operand = self.expr(precedence - 1)?;
                Built::prefix(prefix, op_span, operand).ok()
            }
            Element::Postfix(..) | Element::Infix(..) => None,
        }
    }

    fn led(&mut self, lhs: Built) -> Option<Built> {
        match self.elements.next()? {
            Element::Infix(op) => {
                let rhs = self.expr(infix_precedence(op))?;
                Built::infix(lhs, op, rhs).ok()
            }
            Element::Postfix(postfix, op_span) => Built::postfix(lhs, postfix, op_span).ok(),
            Element::Prefix(..) | Element::Operand(_) => None,
        }
    }
}

/// The infix operators in the grammar's order of trial (`infix`), words marked.
const INFIX: [(&str, BinaryOp, bool); 18] = [
    ("??", BinaryOp::Coalesce, false),
    ("or", BinaryOp::Or, true),
    ("and", BinaryOp::And, true),
    ("==", BinaryOp::Eq, false),
    ("!=", BinaryOp::Ne, false),
    ("<=", BinaryOp::Le, false),
    ("<", BinaryOp::Lt, false),
    (">=", BinaryOp::Ge, false),
    (">", BinaryOp::Gt, false),
    ("in", BinaryOp::In, true),
    ("contains_any", BinaryOp::ContainsAny, true),
    ("contains_all", BinaryOp::ContainsAll, true),
    ("contains", BinaryOp::Contains, true),
    ("+", BinaryOp::Add, false),
    ("-", BinaryOp::Sub, false),
    ("*", BinaryOp::Mul, false),
    ("/", BinaryOp::Div, false),
    ("%", BinaryOp::Rem, false),
];

const UNITS: [(&str, DurationUnit); 8] = [
    ("days", DurationUnit::Day),
    ("day", DurationUnit::Day),
    ("weeks", DurationUnit::Week),
    ("week", DurationUnit::Week),
    ("months", DurationUnit::Month),
    ("month", DurationUnit::Month),
    ("years", DurationUnit::Year),
    ("year", DurationUnit::Year),
];

impl Cursor<'_> {
    // -----------------------------------------------------------------------------------------
    // Items with expressions

    /// `let` or `const`: the item ends where pest's `expr` ends, trailing trivia included when
    /// the grammar's last repetition was tried after it.
    fn named_value(&mut self) -> Option<Item> {
        let start = self.at;
        let is_let = self.keyword("let");
        if !is_let {
            self.keyword("const").then_some(())?;
        }
        self.trivia();
        let name = self.name()?;
        self.trivia();
        self.expect(b'=')?;
        self.trivia();
        let (value, end) = self.expr(0, false)?;
        self.at = end;
        let span = self.span_from(start);
        let value = value.expr;
        Some(if is_let {
            Item::Let(LetDecl { name, value, span })
        } else {
            Item::Const(ConstDecl { name, value, span })
        })
    }

    /// An item's keyword and name, the cursor after the trivia that follows; returns where the
    /// item starts.
    fn head(&mut self, keyword: &str) -> Option<(usize, Ident)> {
        let start = self.at;
        self.keyword_token(keyword)?;
        let name = self.name()?;
        self.trivia();
        Some((start, name))
    }

    /// A title string if one follows, then the block's `{`.
    fn title_and_open(&mut self) -> Option<Option<StrLit>> {
        let title = if self.peek() == Some(b'"') {
            let title = self.str_lit()?;
            self.trivia();
            Some(title)
        } else {
            None
        };
        self.expect(b'{')?;
        self.trivia();
        Some(title)
    }

    fn rule(&mut self) -> Option<Item> {
        let (start, name) = self.head("rule")?;
        let title = self.title_and_open()?;
        let when = self.clause("when", |cursor| Some(cursor.expr(0, false)?.0.expr))?;
        let kind = if self.keyword("require") {
            RuleKind::Require
        } else if self.keyword("forbid") {
            RuleKind::Forbid
        } else {
            return None;
        };
        self.trivia();
        let condition = self.expr(0, false)?.0.expr;
        self.keyword_token("else")?;
        let verdict_start = self.at;
        let verdict = self.one_of(&[
            ("reject", Verdict::Reject),
            ("review", Verdict::Review),
            ("warn", Verdict::Warn),
        ])?;
        let verdict_span = self.span_from(verdict_start);
        self.trivia();
        let (message, _) = self.template(Some(0))?;
        self.trivia();
        self.expect(b'}')?;
        Some(Item::Rule(RuleDecl {
            name,
            title,
            when,
            kind,
            condition,
            verdict,
            verdict_span,
            message,
            span: self.span_from(start),
        }))
    }

    fn score(&mut self) -> Option<Item> {
        let (start, name) = self.head("score")?;
        let title = self.title_and_open()?;
        let mut components = Vec::new();
        while !self.eat(b'}') {
            let component_start = self.at;
            let name = self.name()?;
            self.trivia();
            let (weight_hundredths, weight_span) = self.weight()?;
            self.trivia();
            self.expect(b'=')?;
            self.trivia();
            let (value, end) = self.expr(0, false)?;
            components.push(ScoreComponent {
                name,
                weight_hundredths,
                weight_span,
                value: value.expr,
                span: Span::new(component_start, end),
            });
            if self.eat(b',') {
                self.trivia();
            }
        }
        Some(Item::Score(ScoreDecl {
            name,
            title,
            components,
            span: self.span_from(start),
        }))
    }

    /// The grammar's `weight`, exact to a hundredth (the builder reports anything else).
    fn weight(&mut self) -> Option<(u64, Span)> {
        let start = self.at;
        self.digits();
        if self.at == start {
            return None;
        }
        if self.peek() == Some(b'.') && self.next_is_digit() {
            self.at += 1;
            self.digits();
        }
        let hundredths = weight_hundredths(self.slice(start)?).ok()?;
        self.expect(b'%')?;
        Some((hundredths, self.span_from(start)))
    }

    // -----------------------------------------------------------------------------------------
    // `input`, `type` and type expressions

    fn input(&mut self) -> Option<Item> {
        let (start, name) = self.head("input")?;
        self.expect(b'{')?;
        let fields = self.fields(0)?;
        Some(Item::Input(InputDecl {
            name,
            fields,
            span: self.span_from(start),
        }))
    }

    fn type_item(&mut self) -> Option<Item> {
        let (start, name) = self.head("type")?;
        self.expect(b'=')?;
        self.trivia();
        let (ty, end) = self.type_expr(0)?;
        Some(Item::Type(TypeDecl {
            name,
            ty,
            span: Span::new(start, end),
        }))
    }

    /// `(field_decl ~ comma?)*` and the closing `}`, after the opening one.
    fn fields(&mut self, nesting: usize) -> Option<Vec<FieldDecl>> {
        let mut fields = Vec::new();
        self.trivia();
        while !self.eat(b'}') {
            let name = self.name()?;
            self.trivia();
            self.expect(b':')?;
            self.trivia();
            let (ty, _) = self.type_expr(nesting + 1)?;
            fields.push(FieldDecl { name, ty });
            if self.eat(b',') {
                self.trivia();
            }
        }
        Some(fields)
    }

    /// The grammar's `type_expr`, the cursor after the trivia that follows it, and where
    /// pest's pair ends: after that trivia unless a `?` ends it.
    fn type_expr(&mut self, nesting: usize) -> Option<(TypeExpr, usize)> {
        if nesting > MAX_FAST_NESTING {
            return None;
        }
        let start = self.at;
        let atom_start = self.at;
        let (kind, exact) = match self.peek()? {
            b'"' => {
                let mut members = vec![self.str_lit()?];
                self.trivia();
                while self.eat(b'|') {
                    self.trivia();
                    members.push(self.str_lit()?);
                    self.trivia();
                }
                let end = members.last().map(|m| m.span.end as usize)?;
                let exact = if members.len() > 1 { end } else { self.at };
                (TypeExprKind::Union(members), exact)
            }
            b'[' => {
                self.at += 1;
                self.trivia();
                let (inner, _) = self.type_expr(nesting + 1)?;
                self.expect(b']')?;
                (TypeExprKind::List(Box::new(inner)), self.at)
            }
            b'{' => {
                self.at += 1;
                (TypeExprKind::Record(self.fields(nesting)?), self.at)
            }
            b'(' => {
                self.at += 1;
                self.trivia();
                let (inner, _) = self.type_expr(nesting + 1)?;
                self.expect(b')')?;
                self.trivia();
                return self.type_question(start, inner);
            }
            _ => {
                let name = self.name()?;
                (TypeExprKind::Named(name), self.at)
            }
        };
        let atom = TypeExpr {
            kind,
            span: Span::new(atom_start, exact),
        };
        self.trivia();
        self.type_question(start, atom)
    }

    /// An optional single `?` after a type atom, the cursor after the atom's trivia.
    fn type_question(&mut self, start: usize, atom: TypeExpr) -> Option<(TypeExpr, usize)> {
        if !self.eat(b'?') {
            return Some((atom, self.at));
        }
        let span = self.span_from(start);
        let after = self.at;
        self.trivia();
        if self.peek() == Some(b'?') {
            return None;
        }
        let ty = TypeExpr {
            kind: TypeExprKind::Optional(Box::new(atom)),
            span,
        };
        Some((ty, after))
    }

    // -----------------------------------------------------------------------------------------
    // Strings

    /// A string without interpolation, escapes decoded.
    fn str_lit(&mut self) -> Option<StrLit> {
        let (template, _) = self.template(None)?;
        let mut value = String::new();
        for part in template.parts {
            match part {
                TemplatePart::Text(text) => value.push_str(&text),
                TemplatePart::Expr(_) => return None,
            }
        }
        Some(StrLit {
            value,
            span: template.span,
        })
    }

    /// The grammar's `string`, with the depth of its interpolations. Where interpolation is
    /// an error (titles, members of a union type), `nesting` is `None` and the fast path
    /// declines at the first `{`, so that no type or title recurses into an expression.
    fn template(&mut self, nesting: Option<usize>) -> Option<(Template, usize)> {
        let start = self.at;
        self.expect(b'"')?;
        // Most strings are one run of text: one part, allocated at its size.
        let mut parts = Vec::with_capacity(1);
        let mut text = String::new();
        let mut depth = 0;
        loop {
            let from = self.at;
            match self.peek()? {
                b'"' => break,
                b'\n' | b'}' => return None,
                b'\\' => {
                    self.at += 1;
                    text.push(match self.peek()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'n' => '\n',
                        b't' => '\t',
                        b'{' => '{',
                        b'}' => '}',
                        _ => return None,
                    });
                    self.at += 1;
                }
                b'{' => {
                    self.at += 1;
                    self.trivia();
                    let (built, _) = self.expr(nesting? + 1, false)?;
                    self.expect(b'}')?;
                    depth = depth.max(built.depth);
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(TemplatePart::Expr(built.expr));
                }
                _ => {
                    while self
                        .peek()
                        .is_some_and(|b| !matches!(b, b'"' | b'\\' | b'{' | b'}' | b'\n'))
                    {
                        self.at += 1;
                    }
                    let run = self.text.get(from..self.at)?;
                    if text.is_empty() {
                        text = run.to_owned();
                    } else {
                        text.push_str(run);
                    }
                }
            }
        }
        self.at += 1;
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Some((
            Template {
                parts,
                span: self.span_from(start),
            },
            depth,
        ))
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    /// The grammar's `expr` (or `expr_l2`, without `if` and quantifier prefixes), the cursor
    /// after the trivia that follows it. Also returns where pest's `expr` pair ends: after
    /// that trivia, except when an infix was matched and the last operand has a postfix
    /// (pest gives back the trivia of a failed repetition, not that of the first try).
    fn expr(&mut self, nesting: usize, list_only: bool) -> Option<(Built, usize)> {
        if nesting > MAX_FAST_NESTING {
            return None;
        }
        let mut elements = Vec::new();
        let mut has_infix = false;
        let mut operators = 0;
        let exact_end = loop {
            while let Some(prefix) = self.prefix(nesting, list_only)? {
                elements.push(prefix);
                operators += 1;
            }
            elements.push(Element::Operand(self.operand(nesting)?));
            let mut last_postfix_end = None;
            self.trivia();
            while let Some(postfix) = self.postfix(nesting)? {
                operators += 1;
                last_postfix_end = Some(self.at);
                elements.push(postfix);
                self.trivia();
            }
            let Some(op) = self.infix() else {
                break last_postfix_end.filter(|_| has_infix);
            };
            has_infix = true;
            operators += 1;
            elements.push(op);
            self.trivia();
        };
        if operators > super::MAX_EXPR_DEPTH {
            return None;
        }
        let mut pratt = Pratt {
            elements: elements.into_iter().peekable(),
        };
        let built = pratt.expr(0)?;
        if pratt.elements.next().is_some() {
            return None;
        }
        Some((built, exact_end.unwrap_or(self.at)))
    }

    /// A prefix operator and the trivia after it; `Some(None)` when none starts here.
    fn prefix(&mut self, nesting: usize, list_only: bool) -> Option<Option<Element>> {
        let start = self.at;
        let quantifier = [
            ("all", Quantifier::All),
            ("any", Quantifier::Any),
            ("none", Quantifier::None),
        ];
        let prefix = if !list_only && self.keyword("if") {
            self.trivia();
            let (condition, _) = self.expr(nesting + 1, false)?;
            self.keyword_token("then")?;
            let (then, _) = self.expr(nesting + 1, false)?;
            self.keyword("else").then_some(())?;
            Prefix::If(condition, then)
        } else if let Some(kind) = quantifier
            .into_iter()
            .find(|(word, _)| !list_only && self.keyword(word))
            .map(|(_, kind)| kind)
        {
            let (var, list) = self.binding(nesting)?;
            self.expect(b':')?;
            Prefix::Quantifier(kind, var, list)
        } else if self.keyword("not") {
            Prefix::Not
        } else if self.eat(b'-') {
            Prefix::Neg
        } else {
            return Some(None);
        };
        let span = self.span_from(start);
        self.trivia();
        Some(Some(Element::Prefix(prefix, span)))
    }

    /// A postfix operator, the cursor at its end; `Some(None)` when none starts here.
    fn postfix(&mut self, nesting: usize) -> Option<Option<Element>> {
        let start = self.at;
        let postfix = if self.keyword("is") {
            self.trivia();
            if self.keyword("missing") {
                Postfix::Missing
            } else if self.keyword("present") {
                Postfix::Present
            } else {
                return None;
            }
        } else if self.eat(b'.') {
            self.trivia();
            Postfix::Field(self.name()?)
        } else if self.eat(b'[') {
            self.trivia();
            let (key, _) = self.expr(nesting + 1, false)?;
            self.expect(b']')?;
            Postfix::Index(key)
        } else {
            return Some(None);
        };
        Some(Some(Element::Postfix(postfix, self.span_from(start))))
    }

    /// An infix operator, in the grammar's order of trial.
    fn infix(&mut self) -> Option<Element> {
        let start = self.at;
        if self.keyword("not") {
            let after_not = self.at;
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                self.at += 1;
            }
            if self.at > after_not && self.keyword("in") {
                return Some(Element::Infix(BinaryOp::NotIn));
            }
            self.at = start;
            return None;
        }
        for (symbol, op, word) in INFIX {
            let found = if word {
                self.keyword(symbol)
            } else if self.bytes.get(start..start + symbol.len()) == Some(symbol.as_bytes()) {
                self.at += symbol.len();
                true
            } else {
                false
            };
            if found {
                if op == BinaryOp::Sub && self.peek() == Some(b'>') {
                    self.at = start;
                    return None;
                }
                return Some(Element::Infix(op));
            }
        }
        None
    }

    /// The grammar's `primary`, in its order of trial.
    fn operand(&mut self, nesting: usize) -> Option<Built> {
        let start = self.at;
        let leaf = |cursor: &Self, kind| node(kind, cursor.span_from(start), 0);
        match self.peek()? {
            b'(' => {
                self.at += 1;
                self.trivia();
                let (inner, _) = self.expr(nesting + 1, false)?;
                self.expect(b')')?;
                Some(Built {
                    shape: Shape::Plain,
                    outer: self.span_from(start),
                    ..inner
                })
            }
            b'[' => self.list(nesting),
            b'"' => {
                let (template, depth) = self.template(Some(nesting))?;
                node(ExprKind::Str(template), self.span_from(start), depth)
            }
            b'0'..=b'9' => {
                let kind = self.number_like()?;
                leaf(self, kind)
            }
            _ if self.keyword("match") => self.match_expr(start, nesting),
            _ if self.keyword("true") => leaf(self, ExprKind::Bool(true)),
            _ if self.keyword("false") => leaf(self, ExprKind::Bool(false)),
            _ if self.keyword("today") => leaf(self, ExprKind::Today),
            _ => {
                let name = self.name()?;
                let after_name = self.at;
                self.trivia();
                if !self.eat(b'(') {
                    self.at = after_name;
                    return leaf(self, ExprKind::Name(name));
                }
                self.trivia();
                let (args, depth) = self.exprs_until(b')', nesting)?;
                node(ExprKind::Call(name, args), self.span_from(start), depth)
            }
        }
    }

    /// `(expr ~ (comma ~ expr)* ~ comma?)?` and the closing byte, the cursor after trivia.
    fn exprs_until(&mut self, close: u8, nesting: usize) -> Option<(Vec<Expr>, usize)> {
        let mut exprs = Vec::new();
        let mut depth = 0;
        while !self.eat(close) {
            let (built, _) = self.expr(nesting + 1, false)?;
            depth = depth.max(built.depth);
            exprs.push(built.expr);
            if self.eat(b',') {
                self.trivia();
            } else {
                self.expect(close)?;
                break;
            }
        }
        Some((exprs, depth))
    }

    /// A date, a duration or a number, tried in the grammar's order.
    fn number_like(&mut self) -> Option<ExprKind> {
        let start = self.at;
        if self.bytes.get(start + 4) == Some(&b'-')
            && self
                .bytes
                .get(start..start + 4)?
                .iter()
                .all(u8::is_ascii_digit)
        {
            // A date, or something pest may read several ways: left to pest.
            return self.date().map(|(date, _)| ExprKind::Date(date));
        }
        self.number_digits();
        let integer_end = self.at;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
        // Every unit starts with a letter: most numbers try none.
        let letter = self.peek().is_some_and(|b| b.is_ascii_lowercase());
        for (word, unit) in UNITS.into_iter().filter(|_| letter) {
            if self.keyword(word) {
                let amount = without_underscores(self.text.get(start..integer_end)?);
                return Some(ExprKind::Duration(amount.parse().ok()?, unit));
            }
        }
        self.at = integer_end;
        if self.peek() == Some(b'.') && self.next_is_digit() {
            self.at += 1;
            self.number_digits();
        }
        let n = without_underscores(self.slice(start)?)
            .parse::<f64>()
            .ok()?;
        n.is_finite().then_some(ExprKind::Number(n))
    }

    /// `x in L` of a quantifier or comprehension, after its keyword: the list is an
    /// `expr_l2`, and a bare `match` there is an error (E0015) left to the builder.
    fn binding(&mut self, nesting: usize) -> Option<(Ident, Built)> {
        self.trivia();
        let var = self.name()?;
        self.trivia();
        self.keyword_token("in")?;
        let (list, _) = self.expr(nesting + 1, true)?;
        (list.shape != Shape::Match).then_some((var, list))
    }

    /// `[a, b]` or `[E for x in L if C]`.
    fn list(&mut self, nesting: usize) -> Option<Built> {
        let start = self.at;
        self.expect(b'[')?;
        self.trivia();
        if self.eat(b']') {
            return node(ExprKind::List(Vec::new()), self.span_from(start), 0);
        }
        let (first, _) = self.expr(nesting + 1, false)?;
        if !self.keyword("for") {
            let mut depth = first.depth;
            let mut elements = vec![first.expr];
            if self.eat(b',') {
                self.trivia();
                let (rest, rest_depth) = self.exprs_until(b']', nesting)?;
                depth = depth.max(rest_depth);
                elements.extend(rest);
            } else {
                self.expect(b']')?;
            }
            return node(ExprKind::List(elements), self.span_from(start), depth);
        }
        let (var, list) = self.binding(nesting)?;
        let filter = self.clause("if", |cursor| Some(cursor.expr(nesting + 1, false)?.0))?;
        self.expect(b']')?;
        Built::comprehension(first, var, list, filter, self.span_from(start)).ok()
    }

    /// `match { C => V, ... else => V }`, after the keyword.
    fn match_expr(&mut self, start: usize, nesting: usize) -> Option<Built> {
        self.trivia();
        self.expect(b'{')?;
        self.trivia();
        let mut arms = Vec::new();
        let mut otherwise = None;
        let mut depth = 0;
        while !self.eat(b'}') {
            if otherwise.is_some() {
                return None;
            }
            let is_else = self.keyword("else");
            let condition = if is_else {
                self.trivia();
                None
            } else {
                Some(self.expr(nesting + 1, false)?.0)
            };
            if !(self.eat(b'=') && self.eat(b'>')) {
                return None;
            }
            self.trivia();
            let (value, _) = self.expr(nesting + 1, false)?;
            depth = depth.max(value.depth);
            match condition {
                Some(condition) => {
                    depth = depth.max(condition.depth);
                    arms.push(MatchArm {
                        condition: condition.expr,
                        value: value.expr,
                    });
                }
                None => otherwise = Some(value.expr),
            }
            if self.eat(b',') {
                self.trivia();
            }
        }
        Built::match_node(arms, otherwise, self.span_from(start), depth).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the fast path takes the whole of `source` as one item.
    fn takes(source: &str) -> bool {
        item(source, 0, source.len()).is_some_and(|(_, end)| end == source.len())
    }

    /// `open` repeated `levels` times around `inner`, then `close` as often.
    fn nested(prefix: &str, open: &str, inner: &str, close: &str, levels: usize) -> String {
        format!(
            "{prefix}{}{inner}{}",
            open.repeat(levels),
            close.repeat(levels)
        )
    }

    #[test]
    fn follows_exactly_max_fast_nesting_levels_of_every_kind() {
        let kinds = [
            ("let a = ", "(", "1", ")"),
            ("let a = ", "[", "1", "]"),
            ("let a = ", "f(", "1", ")"),
            ("let a = ", "x[", "1", "]"),
            ("let a = ", "\"{", "1", "}\""),
            ("let a = ", "if ", "true", " then 1 else 2"),
            ("let a = ", "match { ", "true", " => 1 }"),
            ("type T = ", "[", "text", "]"),
            ("type T = ", "(", "text", ")"),
            ("type T = ", "{ a: ", "text", " }"),
            ("type T = ", "{ a: ", "\"x\" | \"y\"", " }"),
        ];
        for (prefix, open, inner, close) in kinds {
            let at_limit = nested(prefix, open, inner, close, MAX_FAST_NESTING);
            let beyond = nested(prefix, open, inner, close, MAX_FAST_NESTING + 1);
            assert!(takes(&at_limit), "declined at the limit: {at_limit}");
            assert!(!takes(&beyond), "taken beyond the limit: {beyond}");
        }
    }
}
