//! Prints an AST back as policy source that parses to the same tree (spans aside): the
//! formatter (`procura fmt`, [`format`]) and the printer of the round-trip tests and of `diff`.
//!
//! One printer, one layout (`docs/fmt.md`): two spaces of indentation, one entry a line in
//! blocks, score weights and table rows aligned, an expression on one line when it fits in
//! [`WIDTH`] columns and otherwise broken at its operators, arguments, elements, arms and
//! clauses. Parentheses stand only where precedence needs them, read from the parser's own
//! table (`syntax::binding`); [`print_expr_parenthesised`] puts them around every compound
//! subexpression, for the tests of precedence.
//!
//! Comments are kept in order: each one is printed at the first line break after the code
//! before it, at the end of that line when it followed code in the source (a trailing comment),
//! otherwise on a line of its own. An expression with a comment between its parts is broken.
//! With the source at hand, literals keep their spelling (`500_000`, `r"raw"`), blank lines
//! between items and entries are kept (one at most), and the JSON of examples keeps its layout
//! with its lines re-indented to the block's indentation.

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::syntax::{Binding, Fixity, binding, is_comparison};

/// The column an expression must fit in to stay on one line.
pub const WIDTH: usize = 100;

const INDENT: &str = "  ";

/// A policy source in the canonical layout; the syntax diagnostics when it does not parse.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diagnostics) = crate::syntax::parse(source);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let mut printer = Printer::new(Some(source), &file.comments, Parens::Needed);
    printer.file(&file);
    Ok(align_comments(&printer.out, &printer.trailing))
}

/// Aligns the comments at the ends of lines: in each run of lines of one indentation (a blank
/// line, a line of another indentation or a comment on its own line ends a run), they start
/// two columns after the longest code that has one.
fn align_comments(text: &str, trailing: &[usize]) -> String {
    // Each line: its code, and its comment if one was printed at its end.
    let mut lines: Vec<(&str, Option<&str>)> = Vec::new();
    let mut start = 0;
    let mut comments = trailing.iter().peekable();
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let line = line.strip_suffix('\n').unwrap_or(line);
        match comments.next_if(|&&at| at < end) {
            Some(&at) => {
                let (code, comment) = line.split_at(at - start);
                lines.push((code.trim_end(), Some(comment)));
            }
            None => lines.push((line, None)),
        }
        start = end;
    }
    let indentation = |code: &str| code.len() - code.trim_start().len();
    let mut out = String::with_capacity(text.len() + 64);
    let mut run_start = 0;
    while run_start < lines.len() {
        let depth = lines
            .get(run_start)
            .map_or(0, |(code, _)| indentation(code));
        let same = |(code, _): &(&str, Option<&str>)| {
            !code.trim().is_empty()
                && !code.trim_start().starts_with('#')
                && indentation(code) == depth
        };
        let run_end = run_start
            + lines
                .get(run_start..)
                .unwrap_or_default()
                .iter()
                .take_while(|l| same(l))
                .count()
                .max(1);
        let run = lines.get(run_start..run_end).unwrap_or_default();
        let column = (run.iter())
            .filter(|(_, comment)| comment.is_some())
            .map(|(code, _)| code.chars().count() + 2)
            .max()
            .unwrap_or(0);
        for (code, comment) in run {
            out.push_str(code);
            if let Some(comment) = comment {
                let pad = column.saturating_sub(code.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(comment);
            }
            out.push('\n');
        }
        run_start = run_end;
    }
    out
}

/// The source of a whole file, without the original text: literals in their plain spelling, a
/// blank line between items, and every comment on a line of its own.
#[cfg(feature = "internals")]
pub fn print_file(file: &PolicyFile) -> String {
    let mut printer = Printer::new(None, &file.comments, Parens::Needed);
    printer.file(file);
    printer.out
}

/// One item, without comments (how `diff` compares items).
pub fn print_item(out: &mut String, item: &Item) {
    let mut printer = Printer::new(None, &[], Parens::Needed);
    printer.item(item);
    printer.end_line();
    out.push_str(&printer.out);
}

/// An expression on one line, with parentheses only where precedence needs them.
pub fn print_expr(expr: &Expr) -> String {
    flat(Parens::Needed, |p| p.expr(expr, Context::Free))
}

/// An expression on one line with parentheses around every compound subexpression.
#[cfg(feature = "internals")]
pub fn print_expr_parenthesised(expr: &Expr) -> String {
    flat(Parens::All, |p| p.expr(expr, Context::Free))
}

pub fn print_type(ty: &TypeExpr) -> String {
    flat(Parens::Needed, |p| p.ty(ty))
}

pub fn print_template(template: &Template) -> String {
    flat(Parens::Needed, |p| p.template(template))
}

fn flat(parens: Parens, print: impl FnOnce(&mut Printer<'_>)) -> String {
    let mut printer = Printer::new(None, &[], parens);
    printer.flat = true;
    print(&mut printer);
    printer.out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parens {
    /// Where precedence needs them.
    Needed,
    /// Around every compound subexpression.
    All,
}

/// Where an expression stands, for its parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Delimited on both sides: a whole expression, an argument, an element, a key.
    Free,
    /// The left operand of an infix operator of this level.
    Left(usize),
    /// The right operand of an infix operator of this level.
    Right(usize),
    /// The operand of `not` or `-`.
    Prefix(usize),
    /// The operand of `.field`, `[key]` or `is missing`.
    Postfix(usize),
    /// The list of a quantifier or comprehension, which ends at `:` or `if` (`expr_l2`).
    List,
}

struct Printer<'a> {
    out: String,
    source: Option<&'a str>,
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next: usize,
    depth: usize,
    parens: Parens,
    /// Everything on one line: inside strings, while measuring, and for `print_expr`.
    flat: bool,
    /// Set when a `match` is printed flat: it never stays on one line in a file.
    flat_match: bool,
    /// Where each comment printed at the end of a line starts in `out`.
    trailing: Vec<usize>,
}

impl<'a> Printer<'a> {
    fn new(source: Option<&'a str>, comments: &'a [Comment], parens: Parens) -> Printer<'a> {
        Printer {
            out: String::new(),
            source,
            comments,
            next: 0,
            depth: 0,
            parens,
            flat: false,
            flat_match: false,
            trailing: Vec::new(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Lines and comments

    fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Ends the current line (without trailing blanks); nothing at the start of the output.
    fn end_line(&mut self) {
        let kept = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(kept);
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str(INDENT);
        }
    }

    fn column(&self) -> usize {
        let line = self.out.rsplit('\n').next().unwrap_or_default();
        line.chars().count()
    }

    /// Starts a line for the code at `at`, after the comments before it; between the entries
    /// of a block or file (`keep_blank`), one blank line stays where the source had one.
    fn line(&mut self, at: u32, keep_blank: bool) {
        self.comments_before(at, keep_blank);
        self.end_line();
        if keep_blank && self.blank_before(at) {
            self.out.push('\n');
        }
        self.indent();
    }

    /// Prints the comments before `at`.
    fn comments_before(&mut self, at: u32, keep_blank: bool) {
        let mut first = true;
        while let Some(comment) = self.comments.get(self.next).filter(|c| c.span.start < at) {
            self.next += 1;
            if first && self.trailing(comment) && self.line_has_code() {
                self.push("  ");
                self.trailing.push(self.out.len());
            } else {
                self.end_line();
                if keep_blank && self.blank_before(comment.span.start) {
                    self.out.push('\n');
                }
                self.indent();
            }
            self.push(&comment.text);
            first = false;
        }
    }

    /// Whether code comes before `comment` on its line in the source.
    fn trailing(&self, comment: &Comment) -> bool {
        let Some(before) = self
            .source
            .and_then(|s| s.get(..comment.span.start as usize))
        else {
            return false;
        };
        let line = before.rsplit('\n').next().unwrap_or_default();
        !line.trim().is_empty()
    }

    fn line_has_code(&self) -> bool {
        let line = self.out.rsplit('\n').next().unwrap_or_default();
        !line.trim().is_empty() && !line.trim_start().starts_with('#')
    }

    /// Whether an empty line comes right before `to` in the source (only blanks between).
    /// Without the source, items are separated by one blank line and nothing else is.
    fn blank_before(&self, to: u32) -> bool {
        let Some(before) = self.source.and_then(|s| s.get(..to as usize)) else {
            return false;
        };
        let blanks = before.trim_end_matches([' ', '\t', '\r', '\n']);
        let run = before.get(blanks.len()..).unwrap_or_default();
        !blanks.is_empty() && run.matches('\n').count() >= 2
    }

    /// A literal as written when the source is at hand, else as `print` spells it.
    fn literal(&mut self, span: Span, print: impl FnOnce() -> String) {
        match self.source.and_then(|s| s.get(span.range())) {
            Some(text) => self.out.push_str(text),
            None => {
                let text = print();
                self.out.push_str(&text);
            }
        }
    }

    /// ` {`, one level deeper.
    fn open(&mut self) {
        if !self.out.ends_with([' ', '[', '(']) {
            self.push(" ");
        }
        self.push("{");
        self.depth += 1;
    }

    /// The comments before the `}` at `at`, then `}` on its own line (`{}` when nothing came
    /// between).
    fn close(&mut self, at: u32, keep_blank: bool) {
        let before = self.out.len();
        self.comments_before(at, keep_blank);
        self.depth -= 1;
        if self.out.len() == before && self.out.ends_with('{') {
            self.push("}");
            return;
        }
        self.end_line();
        self.indent();
        self.push("}");
    }

    /// A block of entries, each on its own line: `span` tells where one is, `print` prints it.
    fn block<T>(
        &mut self,
        close: u32,
        entries: &[T],
        span: impl Fn(&T) -> Span,
        mut print: impl FnMut(&mut Self, &T),
    ) {
        self.open();
        for (i, entry) in entries.iter().enumerate() {
            self.line(span(entry).start, i > 0);
            print(self, entry);
        }
        self.close(close, !entries.is_empty());
    }

    // -----------------------------------------------------------------------------------------
    // Items

    fn file(&mut self, file: &PolicyFile) {
        for (i, item) in file.items.iter().enumerate() {
            if i > 0 && self.source.is_none() {
                self.end_line();
                self.out.push('\n');
            }
            self.line(item_span(item).start, true);
            self.item(item);
        }
        self.comments_before(u32::MAX, true);
        self.end_line();
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Policy(meta) => {
                self.push("policy ");
                self.str_lit(&meta.title);
                if let Some(version) = &meta.version {
                    self.push(" version ");
                    self.str_lit(version);
                }
            }
            Item::Import(decl) => {
                self.push("import ");
                self.str_lit(&decl.path);
            }
            Item::Input(input) => {
                self.push("input ");
                self.push(&input.name.name);
                self.fields(&input.fields, input.span.end - 1);
            }
            Item::Type(decl) => {
                self.push(&format!("type {} = ", decl.name.name));
                self.ty(&decl.ty);
            }
            Item::Const(decl) => {
                self.push(&format!("const {}", decl.name.name));
                if let Some(ty) = &decl.ty {
                    self.push(": ");
                    self.ty(ty);
                }
                self.push(" = ");
                self.expr(&decl.value, Context::Free);
            }
            Item::Let(decl) => {
                self.push(&format!("let {}", decl.name.name));
                if let Some(params) = &decl.params {
                    self.push("(");
                    self.declarations(params);
                    self.push(")");
                }
                self.push(" = ");
                self.expr(&decl.value, Context::Free);
            }
            Item::Table(table) => self.table(table),
            Item::Score(score) => self.score(score),
            Item::Rule(rule) => self.rule(rule),
            Item::Example(example) => self.example(example),
        }
    }

    fn str_lit(&mut self, lit: &StrLit) {
        self.literal(lit.span, || quote(&lit.value));
    }

    fn title(&mut self, title: &Option<StrLit>) {
        if let Some(title) = title {
            self.push(" ");
            self.str_lit(title);
        }
    }

    fn table(&mut self, table: &TableDecl) {
        self.push(&format!("table {}: ", table.name.name));
        self.ty(&table.key_ty);
        self.push(" -> ");
        self.ty(&table.value_ty);
        let Some(rows) = &table.rows else { return };
        // Values aligned after the widest key that is printed on one line.
        let keys: Vec<String> = rows.iter().map(|row| self.measure(&row.key)).collect();
        let width = (keys.iter())
            .filter(|key| !key.contains('\n'))
            .map(|key| key.chars().count())
            .max()
            .unwrap_or(0);
        let mut next_keys = keys.iter().skip(1);
        self.block(
            table.span.end - 1,
            rows,
            |row| row.span,
            |p, row| {
                let start = p.column();
                p.expr(&row.key, Context::Free);
                p.push(":");
                let used = p.column().saturating_sub(start + 1);
                p.push(&" ".repeat(width.saturating_sub(used) + 1));
                p.expr(&row.value, Context::Free);
                p.separate(next_keys.next());
            },
        );
    }

    /// A comma after an entry of a block when the next one starts with what would continue
    /// this one's expression (`(`, `[`, `-`).
    fn separate(&mut self, next: Option<&String>) {
        if next.is_some_and(|next| next.starts_with(['(', '[', '-'])) {
            self.push(",");
        }
    }

    fn score(&mut self, score: &ScoreDecl) {
        self.push(&format!("score {}", score.name.name));
        self.title(&score.title);
        let components = &score.components;
        let name_width = (components.iter())
            .map(|c| c.name.name.chars().count())
            .max()
            .unwrap_or(0);
        let weight_width = (components.iter())
            .map(|c| weight(c.weight_hundredths).len())
            .max()
            .unwrap_or(0);
        self.block(
            score.span.end - 1,
            components,
            |component| component.span,
            |p, component| {
                let (name, weight) = (&component.name.name, weight(component.weight_hundredths));
                p.push(&format!("{name:<name_width$} {weight:>weight_width$} = "));
                p.expr(&component.value, Context::Free);
            },
        );
    }

    fn rule(&mut self, rule: &RuleDecl) {
        self.push(&format!("rule {}", rule.name.name));
        self.title(&rule.title);
        self.open();
        if let Some(when) = &rule.when {
            self.line(when.span.start, false);
            self.push("when ");
            self.expr(when, Context::Free);
        }
        self.line(rule.condition.span.start, false);
        self.push(match rule.kind {
            RuleKind::Require => "require ",
            RuleKind::Forbid => "forbid ",
        });
        self.expr(&rule.condition, Context::Free);
        self.line(rule.verdict_span.start, false);
        self.push(&format!("else {} ", rule.verdict.as_str()));
        self.template(&rule.message);
        self.close(rule.span.end - 1, false);
    }

    fn example(&mut self, example: &ExampleDecl) {
        self.push("example ");
        self.str_lit(&example.title);
        self.open();
        self.line(example.given.span.start, false);
        self.push("given ");
        self.json(&example.given);
        if let Some(data) = &example.data {
            self.line(data.span.start, true);
            self.push("data ");
            self.json(data);
        }
        if let Some((date, span)) = &example.as_of {
            self.line(span.start, true);
            self.push(&format!("as_of {}", print_date(date)));
        }
        for expectation in &example.expectations {
            self.line(expectation.span.start, true);
            self.push("expect ");
            let (what, json) = match &expectation.kind {
                ExpectationKind::Decision(decision) => (decision.as_str().to_owned(), None),
                ExpectationKind::Rule(name, outcome) => {
                    (format!("rule {} {}", name.name, outcome.as_str()), None)
                }
                ExpectationKind::Score(name, json) => {
                    (format!("score {} = ", name.name), Some(json))
                }
                ExpectationKind::Value(name, json) => {
                    (format!("value {} = ", name.name), Some(json))
                }
                ExpectationKind::Evidence(name, json) => {
                    (format!("evidence {} = ", name.name), Some(json))
                }
                ExpectationKind::Missing(json) => ("missing = ".to_owned(), Some(json)),
                ExpectationKind::Message(name, text) => {
                    self.push(&format!("message {} = ", name.name));
                    self.str_lit(text);
                    (String::new(), None)
                }
            };
            self.push(&what);
            if let Some(json) = json {
                self.json(json);
            }
        }
        self.close(example.span.end - 1, true);
    }

    /// JSON as written; formatting a file re-indents the lines after the first so that the
    /// least indented of them starts at the clause's indentation (JSON strings cannot span
    /// lines, so no string changes).
    fn json(&mut self, json: &JsonText) {
        if self.source.is_none() {
            self.push(&json.text);
            return;
        }
        let mut lines = json.text.split('\n');
        self.push(lines.next().unwrap_or_default());
        let rest: Vec<&str> = lines.collect();
        let margin = (rest.iter())
            .filter(|line| !line.trim().is_empty())
            .map(|line| line.len() - line.trim_start_matches([' ', '\t']).len())
            .min()
            .unwrap_or(0);
        for line in rest {
            self.end_line();
            if line.trim().is_empty() {
                self.out.push('\n');
            } else {
                self.indent();
                self.push(line.get(margin..).unwrap_or_default());
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Types

    fn fields(&mut self, fields: &[FieldDecl], close: u32) {
        let span = |field: &FieldDecl| field.name.span.to(field.ty.span);
        self.block(close, fields, span, |p, field| p.declaration(field));
    }

    fn ty(&mut self, ty: &TypeExpr) {
        match &ty.kind {
            TypeExprKind::Named(name) => self.push(&name.name),
            TypeExprKind::List(element) => {
                self.push("[");
                self.ty(element);
                self.push("]");
            }
            TypeExprKind::Record(fields) => {
                let flat = self.measure_with(|p| p.record_flat(fields));
                if self.flat
                    || (!flat.contains('\n')
                        && self.column() + flat.chars().count() <= WIDTH
                        && !self.comment_within(ty.span))
                {
                    self.push(&flat);
                } else {
                    self.fields(fields, ty.span.end - 1);
                }
            }
            TypeExprKind::Optional(inner) => match inner.kind {
                // `T??` is refused by the parser; `(T?)?` is the same tree.
                TypeExprKind::Optional(_) => {
                    self.push("(");
                    self.ty(inner);
                    self.push(")?");
                }
                _ => {
                    self.ty(inner);
                    self.push("?");
                }
            },
            TypeExprKind::Union(members) => {
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        self.push(" | ");
                    }
                    self.str_lit(member);
                }
            }
        }
    }

    fn record_flat(&mut self, fields: &[FieldDecl]) {
        self.push("{ ");
        self.declarations(fields);
        self.push(" }");
    }

    /// Fields or parameters on one line, separated by commas.
    fn declarations(&mut self, fields: &[FieldDecl]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.declaration(field);
        }
    }

    /// `name: Type` of a field or parameter; a name that is no identifier is quoted.
    fn declaration(&mut self, field: &FieldDecl) {
        let name = &field.name.name;
        if crate::report::is_identifier(name) {
            self.push(name);
        } else {
            self.literal(field.name.span, || quote(name));
        }
        self.push(": ");
        self.ty(&field.ty);
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    /// What `print` writes when everything stays on one line.
    fn measure_with(&mut self, print: impl FnOnce(&mut Self)) -> String {
        let (start, flat, flat_match) = (self.out.len(), self.flat, self.flat_match);
        self.flat = true;
        self.flat_match = false;
        print(self);
        let text = self.out.split_off(start);
        let text = if self.flat_match && !flat {
            text + "\n"
        } else {
            text
        };
        (self.flat, self.flat_match) = (flat, flat_match || self.flat_match);
        text
    }

    fn measure(&mut self, expr: &Expr) -> String {
        self.measure_with(|p| p.expr(expr, Context::Free))
    }

    /// Whether a comment not printed yet starts inside `span`.
    fn comment_within(&self, span: Span) -> bool {
        (self.comments.get(self.next..).unwrap_or_default())
            .iter()
            .take_while(|c| c.span.start < span.end)
            .any(|c| c.span.start >= span.start)
    }

    fn expr(&mut self, expr: &Expr, context: Context) {
        let parens = self.parenthesised(expr, context);
        if parens {
            self.push("(");
        }
        self.group(expr);
        if parens {
            self.push(")");
        }
    }

    /// An expression on one line when it fits and no comment stands between its parts;
    /// otherwise broken at its own parts, each of which decides again.
    fn group(&mut self, expr: &Expr) {
        if self.flat {
            self.parts(expr, false);
            return;
        }
        if !matches!(expr.kind, ExprKind::Match { .. }) && !self.comment_between_parts(expr) {
            let text = self.measure_with(|p| p.parts(expr, false));
            if !text.contains('\n') && self.column() + text.chars().count() <= WIDTH {
                self.push(&text);
                return;
            }
        }
        self.parts(expr, true);
    }

    /// Whether a comment comes before the last place where `expr` itself would break.
    fn comment_between_parts(&self, expr: &Expr) -> bool {
        let last_break = match &expr.kind {
            ExprKind::Binary(..) => self.chain(expr).1.last().map(|(_, e)| e.span.start),
            ExprKind::List(_) | ExprKind::Call(..) | ExprKind::Comprehension { .. } => {
                Some(expr.span.end.saturating_sub(1))
            }
            ExprKind::If { otherwise, .. } => Some(otherwise.span.start),
            ExprKind::Quantifier { body, .. } => Some(body.span.start),
            _ => None,
        };
        last_break.is_some_and(|at| {
            self.comment_within(Span {
                start: expr.span.start,
                end: at,
            })
        })
    }

    /// A line break inside an expression, before the part at `at`, one level deeper.
    fn break_before(&mut self, at: u32) {
        self.line(at, false);
    }

    fn parts(&mut self, expr: &Expr, broken: bool) {
        match &expr.kind {
            ExprKind::Number(n) => self.literal(expr.span, || format!("{n}")),
            ExprKind::Str(template) => {
                if template
                    .parts
                    .iter()
                    .all(|p| matches!(p, TemplatePart::Text(_)))
                {
                    self.literal(template.span, || print_template(template));
                } else {
                    self.template(template);
                }
            }
            ExprKind::Bool(b) => self.push(if *b { "true" } else { "false" }),
            ExprKind::Date(date) => self.push(&print_date(date)),
            ExprKind::Duration(n, unit) => {
                let plural = if *n == 1 { "" } else { "s" };
                self.push(&format!("{n} {}{plural}", unit_name(*unit)));
            }
            // The unit right after `)`, plural: `(n) days` whatever `n` comes to.
            ExprKind::ComputedDuration(count, unit) => {
                self.push("(");
                self.expr(count, Context::Free);
                self.push(&format!(") {}s", unit_name(*unit)));
            }
            ExprKind::Today => self.push("today"),
            ExprKind::Name(name) => self.push(&name.name),
            ExprKind::List(elements) => {
                self.sequence("[", elements, "]", expr.span, broken);
            }
            ExprKind::Call(name, args) => {
                self.push(&name.name);
                self.sequence("(", args, ")", expr.span, broken);
            }
            ExprKind::Comprehension { element, clauses } => {
                self.push("[");
                self.depth += usize::from(broken);
                if broken {
                    self.break_before(element.span.start);
                }
                self.expr(element, Context::Free);
                for clause in clauses {
                    self.space_or_break(broken, clause.var.span.start);
                    self.push(&format!("for {} in ", clause.var.name));
                    self.expr(&clause.list, Context::List);
                    if let Some(filter) = &clause.filter {
                        self.space_or_break(broken, filter.span.start);
                        self.push("if ");
                        self.expr(filter, Context::Free);
                    }
                }
                self.depth -= usize::from(broken);
                if broken {
                    self.break_before(expr.span.end.saturating_sub(1));
                }
                self.push("]");
            }
            ExprKind::Field(base, field) => {
                self.expr(base, self.postfix_context(expr));
                self.push(".");
                self.push(&field.name);
            }
            ExprKind::Index(base, key) => {
                self.expr(base, self.postfix_context(expr));
                self.push("[");
                self.expr(key, Context::Free);
                self.push("]");
            }
            ExprKind::IsMissing { operand, negated } => {
                self.expr(operand, self.postfix_context(expr));
                self.push(if *negated {
                    " is present"
                } else {
                    " is missing"
                });
            }
            ExprKind::Unary(op, operand) => {
                self.push(match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "not ",
                });
                let level = level(expr).unwrap_or(0);
                self.expr(operand, Context::Prefix(level));
            }
            ExprKind::Binary(..) => {
                let level = level(expr).unwrap_or(0);
                let (first, rest) = self.chain(expr);
                self.expr(first, Context::Left(level));
                self.depth += usize::from(broken);
                for (op, operand) in rest {
                    self.space_or_break(broken, operand.span.start);
                    self.push(op.symbol());
                    self.push(" ");
                    self.expr(operand, Context::Right(level));
                }
                self.depth -= usize::from(broken);
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                self.push("if ");
                self.expr(condition, Context::Free);
                self.depth += usize::from(broken);
                self.space_or_break(broken, then.span.start);
                self.push("then ");
                self.expr(then, Context::Free);
                self.space_or_break(broken, otherwise.span.start);
                self.push("else ");
                self.expr(otherwise, Context::Free);
                self.depth -= usize::from(broken);
            }
            ExprKind::Quantifier {
                kind,
                var,
                list,
                body,
            } => {
                self.push(&format!("{} {} in ", kind.keyword(), var.name));
                self.expr(list, Context::List);
                self.push(":");
                self.depth += usize::from(broken);
                self.space_or_break(broken, body.span.start);
                self.expr(body, Context::Free);
                self.depth -= usize::from(broken);
            }
            ExprKind::Match { arms, otherwise } => {
                if self.flat {
                    self.flat_match = true;
                    self.push("match { ");
                    for arm in arms {
                        self.expr(&arm.condition, Context::Free);
                        self.push(" => ");
                        self.expr(&arm.value, Context::Free);
                        self.push(", ");
                    }
                    if let Some(otherwise) = otherwise {
                        self.push("else => ");
                        self.expr(otherwise, Context::Free);
                        self.push(" ");
                    }
                    self.push("}");
                    return;
                }
                self.push("match {");
                self.depth += 1;
                for (i, arm) in arms.iter().enumerate() {
                    self.break_before(arm.condition.span.start);
                    self.expr(&arm.condition, Context::Free);
                    self.push(" => ");
                    self.expr(&arm.value, Context::Free);
                    let next = arms.get(i + 1).map(|next| self.measure(&next.condition));
                    self.separate(next.as_ref());
                }
                if let Some(otherwise) = otherwise {
                    self.break_before(otherwise.span.start);
                    self.push("else => ");
                    self.expr(otherwise, Context::Free);
                }
                self.depth -= 1;
                self.break_before(expr.span.end.saturating_sub(1));
                self.push("}");
            }
        }
    }

    fn space_or_break(&mut self, broken: bool, at: u32) {
        if broken {
            self.break_before(at);
        } else {
            self.push(" ");
        }
    }

    /// `[a, b]` or `f(a, b)`; broken, one element a line, each followed by a comma.
    fn sequence(&mut self, open: &str, exprs: &[Expr], close: &str, span: Span, broken: bool) {
        self.push(open);
        if !broken {
            for (i, e) in exprs.iter().enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                self.expr(e, Context::Free);
            }
            self.push(close);
            return;
        }
        // A lone bracketed argument or element opens and closes with its brackets:
        // `min([` ... `])`.
        if let [only] = exprs
            && matches!(
                only.kind,
                ExprKind::List(_)
                    | ExprKind::Comprehension { .. }
                    | ExprKind::Call(..)
                    | ExprKind::Match { .. }
            )
            && !self.comment_within(span)
        {
            self.expr(only, Context::Free);
            self.push(close);
            return;
        }
        self.depth += 1;
        for e in exprs {
            self.break_before(e.span.start);
            self.expr(e, Context::Free);
            self.push(",");
        }
        self.depth -= 1;
        self.break_before(span.end.saturating_sub(1));
        self.push(close);
    }

    /// A chain of infix operators of one level (`a + b - c`): its first operand, then each
    /// operator and the operand after it, left to right.
    fn chain<'e>(&self, expr: &'e Expr) -> (&'e Expr, Vec<(BinaryOp, &'e Expr)>) {
        let mut rest = Vec::new();
        let mut current = expr;
        while let ExprKind::Binary(op, lhs, rhs) = &current.kind {
            rest.push((*op, &**rhs));
            current = lhs;
            let same = matches!(lhs.kind, ExprKind::Binary(..)) && level(lhs) == level(expr);
            if !same || self.parenthesised(lhs, Context::Left(level(expr).unwrap_or(0))) {
                break;
            }
        }
        rest.reverse();
        (current, rest)
    }

    fn postfix_context(&self, expr: &Expr) -> Context {
        Context::Postfix(level(expr).unwrap_or(0))
    }

    fn template(&mut self, template: &Template) {
        let flat = std::mem::replace(&mut self.flat, true);
        self.push("\"");
        for part in &template.parts {
            match part {
                TemplatePart::Text(text) => self.push(&escape(text)),
                TemplatePart::Expr(expr) => {
                    self.push("{");
                    self.expr(expr, Context::Free);
                    self.push("}");
                }
            }
        }
        self.push("\"");
        self.flat = flat;
    }

    /// Whether `expr` needs parentheses where it stands.
    fn parenthesised(&self, expr: &Expr, context: Context) -> bool {
        if self.parens == Parens::All {
            return is_compound(expr);
        }
        if matches!(expr.kind, ExprKind::Match { .. }) {
            return context != Context::Free;
        }
        let (level, fixity) = match binding(&expr.kind) {
            Binding::Operand => return false,
            Binding::Operator(level, fixity) => (level, fixity),
        };
        let comparison = is_comparison(&expr.kind);
        match context {
            Context::Free => false,
            Context::List => self.bare_level_one(expr),
            Context::Left(outer) => {
                level < outer
                    || (fixity == Fixity::Prefix && level <= outer)
                    || (level == outer && comparison)
                    || self.open_right(expr).is_some_and(|open| open <= outer)
            }
            Context::Right(outer) => level <= outer,
            Context::Prefix(outer) => fixity != Fixity::Prefix && level < outer,
            Context::Postfix(outer) => {
                (fixity != Fixity::Prefix && level < outer)
                    || (level == outer && comparison)
                    || self.open_right(expr).is_some_and(|open| open <= outer)
            }
        }
    }

    /// The loosest prefix operator at the right end of `expr` as printed, which would take in
    /// an operator printed after it.
    fn open_right(&self, expr: &Expr) -> Option<usize> {
        let (level, fixity) = match binding(&expr.kind) {
            Binding::Operand => return None,
            Binding::Operator(level, fixity) => (level, fixity),
        };
        let last = match &expr.kind {
            ExprKind::Unary(_, operand) => (operand, Context::Prefix(level)),
            ExprKind::If { otherwise, .. } => (otherwise, Context::Free),
            ExprKind::Quantifier { body, .. } => (body, Context::Free),
            ExprKind::Binary(_, _, rhs) => (rhs, Context::Right(level)),
            _ => return None,
        };
        let inner = if self.parenthesised(last.0, last.1) {
            None
        } else {
            self.open_right(last.0)
        };
        let own = (fixity == Fixity::Prefix).then_some(level);
        match (own, inner) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `expr` as printed has an `if` or a quantifier outside parentheses, which the
    /// list of a quantifier or comprehension cannot hold.
    fn bare_level_one(&self, expr: &Expr) -> bool {
        let operand = match &expr.kind {
            ExprKind::If { .. } | ExprKind::Quantifier { .. } => return true,
            ExprKind::Unary(_, operand) => operand,
            _ => return false,
        };
        let level = level(expr).unwrap_or(0);
        !self.parenthesised(operand, Context::Prefix(level)) && self.bare_level_one(operand)
    }
}

/// The level of the operator at the top of `expr`.
fn level(expr: &Expr) -> Option<usize> {
    match binding(&expr.kind) {
        Binding::Operator(level, _) => Some(level),
        Binding::Operand => None,
    }
}

fn is_compound(expr: &Expr) -> bool {
    !matches!(
        expr.kind,
        ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Duration(..)
            | ExprKind::Today
            | ExprKind::Name(_)
            | ExprKind::List(_)
            | ExprKind::Call(..)
            | ExprKind::Comprehension { .. }
            | ExprKind::ComputedDuration(..)
    )
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Policy(meta) => meta.span,
        Item::Input(input) => input.span,
        Item::Type(decl) => decl.span,
        Item::Const(decl) => decl.span,
        Item::Table(table) => table.span,
        Item::Let(decl) => decl.span,
        Item::Score(score) => score.span,
        Item::Rule(rule) => rule.span,
        Item::Example(example) => example.span,
        Item::Import(decl) => decl.span,
    }
}

/// `2500` hundredths → `25%`, `1250` → `12.5%`.
fn weight(hundredths: u64) -> String {
    let (whole, fraction) = (hundredths / 100, hundredths % 100);
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

fn unit_name(unit: DurationUnit) -> &'static str {
    match unit {
        DurationUnit::Day => "day",
        DurationUnit::Week => "week",
        DurationUnit::Month => "month",
        DurationUnit::Year => "year",
    }
}

fn print_date(date: &DateLit) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            c => out.push(c),
        }
    }
    out
}
