//! Turns pest pairs into the AST, checking what the grammar leaves open: reserved escapes,
//! impossible dates, weights, chained comparisons and the depth of expressions.
//!
//! Every sub-part is built even after an earlier one failed, so that one item reports all of
//! its errors; an item with an error is left out of the tree.

use std::cell::RefCell;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::{MAX_EXPR_DEPTH, Rule};
use crate::ast::*;
use crate::date::{Date, days_in_month};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// An error that has already been recorded as a diagnostic.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reported;

type Build<T> = Result<T, Reported>;

/// An expression under construction.
struct Built {
    expr: Expr,
    /// Height of the tree, checked against `MAX_EXPR_DEPTH`.
    depth: usize,
    shape: Shape,
    /// The span including surrounding parentheses.
    outer: Span,
}

/// What matters about the top of an expression for the operators around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Plain,
    /// A bare level-6 operator: comparisons do not chain.
    Comparison,
    /// A bare `match`: a level-1 construct, not an operand.
    Match,
}

enum Prefix {
    If(Built, Built),
    Quantifier(Quantifier, Ident, Built),
    Not,
    Neg,
}

enum Postfix {
    Missing,
    Present,
    Field(Ident),
    Index(Built),
}

/// What an operator or operand of a flat expression holds, built before the Pratt pass so
/// that the pass never recurses into nested expressions.
enum Part {
    Operand(Built),
    Prefix(Prefix),
    Postfix(Postfix),
}

/// Where an operator stands: every infix operator associates to the left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixity {
    Prefix,
    Infix,
    Postfix,
}

/// The operators by precedence level, loosest first: the one place precedence is written.
/// The Pratt parser is built from it, and the printer reads each operator's level from it
/// (`syntax::binding`).
pub(super) const OPERATORS: &[&[(Rule, Fixity)]] = &[
    &[
        (Rule::if_prefix, Fixity::Prefix),
        (Rule::quantifier_prefix, Fixity::Prefix),
    ],
    &[(Rule::op_coalesce, Fixity::Infix)],
    &[(Rule::op_or, Fixity::Infix)],
    &[(Rule::op_and, Fixity::Infix)],
    &[(Rule::op_not, Fixity::Prefix)],
    &[
        (Rule::op_eq, Fixity::Infix),
        (Rule::op_ne, Fixity::Infix),
        (Rule::op_lt, Fixity::Infix),
        (Rule::op_le, Fixity::Infix),
        (Rule::op_gt, Fixity::Infix),
        (Rule::op_ge, Fixity::Infix),
        (Rule::op_in, Fixity::Infix),
        (Rule::op_not_in, Fixity::Infix),
        (Rule::op_contains, Fixity::Infix),
        (Rule::op_contains_any, Fixity::Infix),
        (Rule::op_contains_all, Fixity::Infix),
        (Rule::op_is_missing, Fixity::Postfix),
        (Rule::op_is_present, Fixity::Postfix),
    ],
    &[(Rule::op_add, Fixity::Infix), (Rule::op_sub, Fixity::Infix)],
    &[
        (Rule::op_mul, Fixity::Infix),
        (Rule::op_div, Fixity::Infix),
        (Rule::op_rem, Fixity::Infix),
    ],
    &[(Rule::op_neg, Fixity::Prefix)],
    &[
        (Rule::field_access, Fixity::Postfix),
        (Rule::index_access, Fixity::Postfix),
    ],
];

pub(super) struct Builder {
    /// Where the file starts in the span space of the policy's files.
    base: usize,
    /// Where the text handed to pest starts in `source`.
    offset: std::cell::Cell<usize>,
    diagnostics: RefCell<Vec<Diagnostic>>,
    pratt: PrattParser<Rule>,
}

impl Builder {
    pub fn new(base: usize) -> Builder {
        let pratt = OPERATORS.iter().fold(PrattParser::new(), |pratt, level| {
            let ops = level.iter().map(|&(rule, fixity)| match fixity {
                Fixity::Prefix => Op::prefix(rule),
                Fixity::Infix => Op::infix(rule, Assoc::Left),
                Fixity::Postfix => Op::postfix(rule),
            });
            match ops.reduce(|a, b| a | b) {
                Some(op) => pratt.op(op),
                None => pratt,
            }
        });
        Builder {
            base,
            offset: std::cell::Cell::new(0),
            diagnostics: RefCell::new(Vec::new()),
            pratt,
        }
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics.into_inner()
    }

    fn report(&self, diagnostic: Diagnostic) -> Reported {
        self.diagnostics.borrow_mut().push(diagnostic);
        Reported
    }

    fn span(&self, span: pest::Span<'_>) -> Span {
        let offset = self.base + self.offset.get();
        Span::new(offset + span.start(), offset + span.end())
    }

    /// The grammar guarantees the shape of every pair; this is the way out if it does not.
    fn internal(&self, pair: &Pair<'_, Rule>) -> Reported {
        self.report(
            Diagnostic::error(
                "E0099",
                self.span(pair.as_span()),
                format!("internal parser error at {:?}", pair.as_rule()),
            )
            .with_help("please report this policy to the Procura maintainers"),
        )
    }

    fn child<'i>(&self, parent: &Pair<'i, Rule>, rule: Rule) -> Build<Pair<'i, Rule>> {
        parent
            .clone()
            .into_inner()
            .find(|p| p.as_rule() == rule)
            .ok_or_else(|| self.internal(parent))
    }

    /// The first child that is one of `rules`.
    fn child_of<'i>(&self, parent: &Pair<'i, Rule>, rules: &[Rule]) -> Build<Pair<'i, Rule>> {
        parent
            .clone()
            .into_inner()
            .find(|p| rules.contains(&p.as_rule()))
            .ok_or_else(|| self.internal(parent))
    }

    fn children<'i>(&self, parent: &Pair<'i, Rule>, rule: Rule) -> Vec<Pair<'i, Rule>> {
        parent
            .clone()
            .into_inner()
            .filter(|p| p.as_rule() == rule)
            .collect()
    }

    fn optional<'i>(&self, parent: &Pair<'i, Rule>, rule: Rule) -> Option<Pair<'i, Rule>> {
        parent.clone().into_inner().find(|p| p.as_rule() == rule)
    }

    // -----------------------------------------------------------------------------------------
    // Items

    /// Builds one item parsed from the text at `offset`.
    pub fn item(&self, pair: Pair<'_, Rule>, offset: usize) -> Build<Item> {
        self.offset.set(offset);
        let span = self.span(pair.as_span());
        Ok(match pair.as_rule() {
            Rule::policy_item => {
                let strings = self.children(&pair, Rule::string);
                let title = strings.first().map(|s| self.str_lit(s, "a title"));
                let version = strings.get(1).map(|s| self.str_lit(s, "a version"));
                Item::Policy(PolicyMeta {
                    title: title.ok_or_else(|| self.internal(&pair))??,
                    version: version.transpose()?,
                    span,
                })
            }
            Rule::input_item => {
                let name = self.name(&pair);
                let fields = self.fields(&pair);
                Item::Input(InputDecl {
                    name: name?,
                    fields: fields?,
                    span,
                })
            }
            Rule::type_item => {
                let name = self.name(&pair);
                let ty = self.child(&pair, Rule::type_expr).and_then(|t| self.ty(&t));
                Item::Type(TypeDecl {
                    name: name?,
                    ty: ty?,
                    span,
                })
            }
            Rule::const_item => {
                let (name, value) = self.named_value(&pair);
                let ty = self.optional(&pair, Rule::type_expr).map(|t| self.ty(&t));
                Item::Const(ConstDecl {
                    name: name?,
                    ty: ty.transpose()?,
                    value: value?,
                    span,
                })
            }
            Rule::let_item => {
                let (name, value) = self.named_value(&pair);
                let params = self
                    .optional(&pair, Rule::parameters)
                    .map(|p| self.declarations(&p, Rule::parameter));
                Item::Let(LetDecl {
                    name: name?,
                    params: params.transpose()?,
                    value: value?,
                    span,
                })
            }
            Rule::table_item => self.table(&pair, span)?,
            Rule::score_item => self.score(&pair, span)?,
            Rule::rule_item => self.rule(&pair, span)?,
            Rule::example_item => self.example(&pair, span)?,
            Rule::import_item => {
                let path = self.child(&pair, Rule::string)?;
                Item::Import(ImportDecl {
                    path: self.str_lit(&path, "an import path")?,
                    span,
                })
            }
            _ => return Err(self.internal(&pair)),
        })
    }

    fn name(&self, parent: &Pair<'_, Rule>) -> Build<Ident> {
        self.child(parent, Rule::name).map(|p| self.ident(&p))
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair.as_span()),
        }
    }

    /// The name of a field or parameter: a name, a reserved word or a quoted key.
    fn field_name(&self, parent: &Pair<'_, Rule>) -> Build<Ident> {
        let pair = self.child_of(parent, &[Rule::name, Rule::field_keyword, Rule::string])?;
        if pair.as_rule() != Rule::string {
            return Ok(self.ident(&pair));
        }
        let quoted = self.str_lit(&pair, "a field name")?;
        Ok(Ident {
            name: quoted.value,
            span: quoted.span,
        })
    }

    fn named_value(&self, pair: &Pair<'_, Rule>) -> (Build<Ident>, Build<Expr>) {
        let name = self.name(pair);
        let value = self.child(pair, Rule::expr).and_then(|e| self.expr(&e));
        (name, value)
    }

    fn fields(&self, parent: &Pair<'_, Rule>) -> Build<Vec<FieldDecl>> {
        self.declarations(parent, Rule::field_decl)
    }

    /// The `name: Type` children of `parent` that are `rule`s: fields or parameters.
    fn declarations(&self, parent: &Pair<'_, Rule>, rule: Rule) -> Build<Vec<FieldDecl>> {
        all(self
            .children(parent, rule)
            .iter()
            .map(|field| {
                let name = self.field_name(field);
                let ty = self.child(field, Rule::type_expr).and_then(|t| self.ty(&t));
                Ok(FieldDecl {
                    name: name?,
                    ty: ty?,
                })
            })
            .collect())
    }

    fn table(&self, pair: &Pair<'_, Rule>, span: Span) -> Build<Item> {
        let name = self.name(pair);
        let types: Vec<Build<TypeExpr>> = self
            .children(pair, Rule::type_expr)
            .iter()
            .map(|t| self.ty(t))
            .collect();
        let rows = self.optional(pair, Rule::table_body).map(|body| {
            all(self
                .children(&body, Rule::table_row)
                .iter()
                .map(|row| {
                    // Two expressions, or two literals (`row_literal`) taken as operands.
                    let mut parts = row
                        .clone()
                        .into_inner()
                        .filter(|p| p.as_rule() != Rule::colon);
                    let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
                        return Err(self.internal(row));
                    };
                    let part = |pair: &Pair<'_, Rule>| match pair.as_rule() {
                        Rule::expr => self.expr(pair),
                        _ => self.operand(pair).map(|built| built.expr),
                    };
                    // A literal row's pair also holds the blanks before the row after it.
                    let span = key.as_span().start_pos().span(&value.as_span().end_pos());
                    // Both are built before either fails, so that each reports its errors.
                    let (key, value) = (part(&key), part(&value));
                    Ok(TableRow {
                        key: key?,
                        value: value?,
                        span: self.span(span),
                    })
                })
                .collect())
        });
        let mut types = types.into_iter();
        let key_ty = types.next().ok_or_else(|| self.internal(pair))?;
        let value_ty = types.next().ok_or_else(|| self.internal(pair))?;
        Ok(Item::Table(TableDecl {
            name: name?,
            key_ty: key_ty?,
            value_ty: value_ty?,
            rows: rows.transpose()?,
            span,
        }))
    }

    fn score(&self, pair: &Pair<'_, Rule>, span: Span) -> Build<Item> {
        let name = self.name(pair);
        let title = self
            .optional(pair, Rule::string)
            .map(|s| self.str_lit(&s, "a title"));
        let components = all(self
            .children(pair, Rule::score_component)
            .iter()
            .map(|component| {
                let name = self.name(component);
                let weight = self.child(component, Rule::weight);
                let weight_hundredths = weight.clone().and_then(|w| self.weight(&w));
                let value = self
                    .child(component, Rule::expr)
                    .and_then(|e| self.expr(&e));
                Ok(ScoreComponent {
                    name: name?,
                    weight_hundredths: weight_hundredths?,
                    weight_span: self.span(weight?.as_span()),
                    value: value?,
                    span: self.span(component.as_span()),
                })
            })
            .collect());
        Ok(Item::Score(ScoreDecl {
            name: name?,
            title: title.transpose()?,
            components: components?,
            span,
        }))
    }

    /// `12.5%` is 1250 hundredths of a percent: the digits with the fraction padded to two,
    /// read as one number. More than two decimals cannot be exact.
    fn weight(&self, pair: &Pair<'_, Rule>) -> Build<u64> {
        let span = self.span(pair.as_span());
        let digits = pair.as_str().trim_end_matches('%');
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let number = |text: &str| text.parse::<u64>().ok();
        let fraction = match fraction.len() {
            0 => Some(0),
            1 => number(fraction).map(|tenths| tenths * 10),
            2 => number(fraction),
            _ => {
                return Err(self.report(
                    Diagnostic::error(
                        "E0009",
                        span,
                        format!("the weight `{}` has more than two decimals", pair.as_str()),
                    )
                    .with_help("weights are exact to a hundredth of a percent, such as `12.25%`"),
                ));
            }
        };
        let hundredths = number(whole)
            .and_then(|whole| whole.checked_mul(100))
            .zip(fraction)
            .and_then(|(whole, fraction)| whole.checked_add(fraction));
        hundredths.ok_or_else(|| {
            self.report(
                Diagnostic::error(
                    "E0010",
                    span,
                    format!("the weight `{}` is too large", pair.as_str()),
                )
                .with_help("the weights of a score total 100%"),
            )
        })
    }

    fn rule(&self, pair: &Pair<'_, Rule>, span: Span) -> Build<Item> {
        let name = self.name(pair);
        let title = self
            .optional(pair, Rule::string)
            .map(|s| self.str_lit(&s, "a title"));
        let when = self
            .optional(pair, Rule::when_clause)
            .map(|w| self.child(&w, Rule::expr).and_then(|e| self.expr(&e)));
        let check = self.child(pair, Rule::rule_check)?;
        let kind = match self.child(&check, Rule::check_kind)?.as_str() {
            "forbid" => RuleKind::Forbid,
            _ => RuleKind::Require,
        };
        let condition = self.child(&check, Rule::expr).and_then(|e| self.expr(&e));
        let else_clause = self.child(pair, Rule::else_clause)?;
        let verdict_pair = self.child(&else_clause, Rule::verdict)?;
        let verdict = match verdict_pair.as_str() {
            "reject" => Verdict::Reject,
            "review" => Verdict::Review,
            "warn" => Verdict::Warn,
            _ => return Err(self.internal(&verdict_pair)),
        };
        let message = self
            .child(&else_clause, Rule::string)
            .and_then(|s| self.template(&s));
        Ok(Item::Rule(RuleDecl {
            name: name?,
            title: title.transpose()?,
            when: when.transpose()?,
            kind,
            condition: condition?,
            verdict,
            verdict_span: self.span(verdict_pair.as_span()),
            message: message?.0,
            span,
        }))
    }

    fn example(&self, pair: &Pair<'_, Rule>, span: Span) -> Build<Item> {
        let title = self
            .child(pair, Rule::string)
            .and_then(|s| self.str_lit(&s, "a title"));
        let json = |clause: &Pair<'_, Rule>| {
            self.child_of(clause, &[Rule::json_block, Rule::json_object])
                .map(|j| self.json(&j))
        };
        let given = self.child(pair, Rule::given_clause).and_then(|c| json(&c));
        let data = self.optional(pair, Rule::data_clause).map(|c| json(&c));
        let as_of = self.optional(pair, Rule::as_of_clause).map(|c| {
            let date = self.child(&c, Rule::date)?;
            Ok((self.date(&date)?, self.span(date.as_span())))
        });
        let expectations = all(self
            .children(pair, Rule::expectation)
            .iter()
            .map(|e| self.expectation(e))
            .collect());
        Ok(Item::Example(ExampleDecl {
            title: title?,
            given: given?,
            data: data.transpose()?,
            as_of: as_of.transpose()?,
            expectations: expectations?,
            span,
        }))
    }

    fn json(&self, pair: &Pair<'_, Rule>) -> JsonText {
        JsonText {
            text: pair.as_str().to_string(),
            span: self.span(pair.as_span()),
        }
    }

    fn expectation(&self, pair: &Pair<'_, Rule>) -> Build<Expectation> {
        let span = self.span(pair.as_span());
        let body = pair
            .clone()
            .into_inner()
            .find(|p| p.as_rule() != Rule::kw_expect)
            .ok_or_else(|| self.internal(pair))?;
        let kind = match body.as_rule() {
            Rule::expect_decision => ExpectationKind::Decision(match body.as_str() {
                "approve" => Decision::Approve,
                "review" => Decision::Review,
                "reject" => Decision::Reject,
                "incomplete" => Decision::Incomplete,
                _ => return Err(self.internal(&body)),
            }),
            Rule::expect_rule => {
                let outcome = self.child(&body, Rule::outcome)?;
                let outcome = match outcome.as_str() {
                    "passed" => Outcome::Passed,
                    "failed" => Outcome::Failed,
                    "missing" => Outcome::Missing,
                    "not_applicable" => Outcome::NotApplicable,
                    _ => return Err(self.internal(&outcome)),
                };
                ExpectationKind::Rule(self.name(&body)?, outcome)
            }
            Rule::expect_score | Rule::expect_value => {
                let name = self.name(&body)?;
                let value = self.json(&self.child(&body, Rule::json_value)?);
                if body.as_rule() == Rule::expect_score {
                    ExpectationKind::Score(name, value)
                } else {
                    ExpectationKind::Value(name, value)
                }
            }
            Rule::expect_message => {
                let text = self.child(&body, Rule::string)?;
                ExpectationKind::Message(self.name(&body)?, self.str_lit(&text, "a message")?)
            }
            Rule::expect_evidence => {
                let paths = self.json(&self.child(&body, Rule::json_value)?);
                ExpectationKind::Evidence(self.name(&body)?, paths)
            }
            Rule::expect_missing => {
                ExpectationKind::Missing(self.json(&self.child(&body, Rule::json_value)?))
            }
            _ => return Err(self.internal(&body)),
        };
        Ok(Expectation { kind, span })
    }

    // -----------------------------------------------------------------------------------------
    // Types

    fn ty(&self, pair: &Pair<'_, Rule>) -> Build<TypeExpr> {
        let span = self.span(pair.as_span());
        let mut inner = pair.clone().into_inner();
        let atom = inner.next().ok_or_else(|| self.internal(pair))?;
        let atom = self.type_atom(&atom);
        let questions: Vec<Pair<'_, Rule>> = inner.collect();
        if let Some(second) = questions.get(1) {
            return Err(self.report(
                Diagnostic::error("E0017", self.span(second.as_span()), "`?` is repeated")
                    .with_help("a type is optional or not: write a single `?`"),
            ));
        }
        let atom = atom?;
        Ok(if questions.is_empty() {
            atom
        } else {
            TypeExpr {
                kind: TypeExprKind::Optional(Box::new(atom)),
                span,
            }
        })
    }

    fn type_atom(&self, pair: &Pair<'_, Rule>) -> Build<TypeExpr> {
        let span = self.span(pair.as_span());
        let kind = match pair.as_rule() {
            Rule::name => TypeExprKind::Named(self.ident(pair)),
            Rule::type_union => TypeExprKind::Union(all(self
                .children(pair, Rule::string)
                .iter()
                .map(|s| self.str_lit(s, "a type"))
                .collect())?),
            Rule::type_list => {
                TypeExprKind::List(Box::new(self.ty(&self.child(pair, Rule::type_expr)?)?))
            }
            Rule::type_record => TypeExprKind::Record(self.fields(pair)?),
            Rule::type_paren => return self.ty(&self.child(pair, Rule::type_expr)?),
            _ => return Err(self.internal(pair)),
        };
        Ok(TypeExpr { kind, span })
    }

    // -----------------------------------------------------------------------------------------
    // Strings

    /// A string without interpolation.
    fn str_lit(&self, pair: &Pair<'_, Rule>, what: &str) -> Build<StrLit> {
        let (template, _) = self.template(pair)?;
        let mut value = String::new();
        for part in &template.parts {
            match part {
                TemplatePart::Text(text) => value.push_str(text),
                TemplatePart::Expr(expr) => {
                    return Err(self.report(
                        Diagnostic::error(
                            "E0008",
                            expr.span,
                            format!("interpolation is not allowed in {what}"),
                        )
                        .with_help("write `\\{` and `\\}` for literal braces"),
                    ));
                }
            }
        }
        Ok(StrLit {
            value,
            span: template.span,
        })
    }

    fn template(&self, pair: &Pair<'_, Rule>) -> Build<(Template, usize)> {
        let mut parts: Vec<Build<TemplatePart>> = Vec::new();
        let mut depth = 0;
        for part in pair.clone().into_inner() {
            let piece = match part.as_rule() {
                Rule::str_text => Ok(TemplatePart::Text(part.as_str().to_string())),
                Rule::str_escape => self
                    .escape(&part)
                    .map(|c| TemplatePart::Text(c.to_string())),
                Rule::str_stray => Err(self.report(
                    Diagnostic::error(
                        "E0016",
                        self.span(part.as_span()),
                        "unmatched `}` in a string",
                    )
                    .with_help("write `\\}` for a literal brace"),
                )),
                Rule::interpolation => self.child(&part, Rule::expr).and_then(|e| {
                    let built = self.expr_built(&e)?;
                    depth = depth.max(built.depth);
                    Ok(TemplatePart::Expr(built.expr))
                }),
                _ => continue,
            };
            match (parts.last_mut(), piece) {
                (Some(Ok(TemplatePart::Text(previous))), Ok(TemplatePart::Text(text))) => {
                    previous.push_str(&text)
                }
                (_, piece) => parts.push(piece),
            }
        }
        let parts = all(parts)?;
        Ok((
            Template {
                parts,
                span: self.span(pair.as_span()),
            },
            depth,
        ))
    }

    fn escape(&self, pair: &Pair<'_, Rule>) -> Build<char> {
        match pair.as_str() {
            "\\\"" => Ok('"'),
            "\\\\" => Ok('\\'),
            "\\n" => Ok('\n'),
            "\\t" => Ok('\t'),
            "\\{" => Ok('{'),
            "\\}" => Ok('}'),
            other => Err(self.report(
                Diagnostic::error(
                    "E0007",
                    self.span(pair.as_span()),
                    format!("unknown escape `{other}`"),
                )
                .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\{` and `\\}`"),
            )),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Expressions

    fn expr(&self, pair: &Pair<'_, Rule>) -> Build<Expr> {
        self.expr_built(pair).map(|b| b.expr)
    }

    /// An `expr` or `expr_l2`: a flat sequence of operands and operators.
    fn expr_built(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let mut inner = pair.clone().into_inner();
        if let (Some(operand), None) = (inner.next(), inner.peek()) {
            // Most expressions are a single operand: no operators to order.
            if is_operand(operand.as_rule()) {
                return self.operand(&operand);
            }
        }
        let sequence: Vec<Pair<'_, Rule>> = pair.clone().into_inner().collect();
        if !well_formed(&sequence) {
            // pest's Pratt parser panics on a sequence the grammar should never produce.
            return Err(self.internal(pair));
        }
        let operators = sequence.iter().filter(|p| !is_operand(p.as_rule())).count();
        if operators > MAX_EXPR_DEPTH {
            return Err(self.too_deep(self.span(pair.as_span())));
        }
        // Parts are built first, in source order, so that the Pratt pass below recurses only
        // as deep as the operators of this one sequence. They are found again by where they
        // start.
        let parts: Vec<(usize, Option<Build<Part>>)> = sequence
            .iter()
            .filter_map(|p| Some((p.as_span().start(), Some(self.part(p)?))))
            .collect();
        let parts = RefCell::new(parts);
        let take = |p: &Pair<'_, Rule>| -> Build<Part> {
            let mut parts = parts.borrow_mut();
            parts
                .binary_search_by_key(&p.as_span().start(), |(start, _)| *start)
                .ok()
                .and_then(|i| parts.get_mut(i)?.1.take())
                .unwrap_or_else(|| Err(self.internal(p)))
        };
        self.pratt
            .map_primary(|p| match take(&p)? {
                Part::Operand(built) => Ok(built),
                _ => Err(self.internal(&p)),
            })
            .map_prefix(|op, operand| match take(&op)? {
                Part::Prefix(prefix) => {
                    let op_span = self.span(op.as_span());
                    self.prefix(prefix, op_span, operand?)
                }
                _ => Err(self.internal(&op)),
            })
            .map_postfix(|operand, op| match take(&op)? {
                Part::Postfix(postfix) => {
                    let op_span = self.span(op.as_span());
                    self.postfix(operand?, postfix, op_span)
                }
                _ => Err(self.internal(&op)),
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let binary = binary_op(op.as_rule()).ok_or_else(|| self.internal(&op))?;
                self.infix(lhs, binary, rhs, self.span(op.as_span()))
            })
            .parse(sequence.into_iter())
    }

    /// The pre-built content of one element of a flat sequence, `None` for infix operators.
    fn part(&self, pair: &Pair<'_, Rule>) -> Option<Build<Part>> {
        Some(match pair.as_rule() {
            Rule::if_prefix => self.if_part(pair),
            Rule::quantifier_prefix => self.quantifier_part(pair),
            Rule::op_not => Ok(Part::Prefix(Prefix::Not)),
            Rule::op_neg => Ok(Part::Prefix(Prefix::Neg)),
            Rule::op_is_missing => Ok(Part::Postfix(Postfix::Missing)),
            Rule::op_is_present => Ok(Part::Postfix(Postfix::Present)),
            Rule::index_access => self.index_part(pair),
            Rule::field_access => self
                .child(pair, Rule::field_word)
                .map(|name| Part::Postfix(Postfix::Field(self.ident(&name)))),
            rule if is_operand(rule) => self.operand(pair).map(Part::Operand),
            _ => return None,
        })
    }

    fn if_part(&self, pair: &Pair<'_, Rule>) -> Build<Part> {
        let mut exprs = self.children(pair, Rule::expr).into_iter();
        match (exprs.next(), exprs.next()) {
            (Some(condition), Some(then)) => {
                let condition = self.expr_built(&condition);
                let then = self.expr_built(&then);
                Ok(Part::Prefix(Prefix::If(condition?, then?)))
            }
            _ => Err(self.internal(pair)),
        }
    }

    fn quantifier_part(&self, pair: &Pair<'_, Rule>) -> Build<Part> {
        let kind = match self.child(pair, Rule::quantifier)?.as_str() {
            "all" => Quantifier::All,
            "any" => Quantifier::Any,
            "none" => Quantifier::None,
            _ => return Err(self.internal(pair)),
        };
        let var = self.name(pair);
        let list = self.list_operand(pair);
        Ok(Part::Prefix(Prefix::Quantifier(kind, var?, list?)))
    }

    fn index_part(&self, pair: &Pair<'_, Rule>) -> Build<Part> {
        let key = self.expr_built(&self.child(pair, Rule::expr)?)?;
        Ok(Part::Postfix(Postfix::Index(key)))
    }

    /// The list of a quantifier or comprehension.
    fn list_operand(&self, parent: &Pair<'_, Rule>) -> Build<Built> {
        let list = self.expr_built(&self.child(parent, Rule::expr_l2)?)?;
        if list.shape == Shape::Match {
            return Err(self.bare_match(list.outer));
        }
        Ok(list)
    }

    /// Each kind of operand has a function of its own: this one is on the recursion path of
    /// nested expressions, and a small frame here is what lets deep nesting fit the stack.
    fn operand(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        match pair.as_rule() {
            Rule::paren => self.paren(pair),
            Rule::string => self.string(pair),
            Rule::raw_string => self.raw_string(pair),
            Rule::call => self.call(pair),
            Rule::list => self.list(pair),
            Rule::match_expr => self.match_expr(pair),
            _ => self.leaf(pair),
        }
    }

    fn leaf(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let span = self.span(pair.as_span());
        let kind = match pair.as_rule() {
            Rule::literal_word => match pair.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                _ => ExprKind::Today,
            },
            Rule::ident => ExprKind::Name(self.ident(pair)),
            Rule::number => match without_underscores(pair.as_str()).parse::<f64>() {
                Ok(n) if n.is_finite() => ExprKind::Number(n),
                _ => return Err(self.too_large(span, pair.as_str())),
            },
            Rule::duration => self.duration(pair)?,
            Rule::date => ExprKind::Date(self.date(pair)?),
            _ => return Err(self.internal(pair)),
        };
        self.node(kind, span, 0)
    }

    fn duration(&self, pair: &Pair<'_, Rule>) -> Build<ExprKind> {
        let amount = self.child(pair, Rule::integer)?;
        let unit = self.unit(pair)?;
        match without_underscores(amount.as_str()).parse::<i64>() {
            Ok(n) => Ok(ExprKind::Duration(n, unit)),
            Err(_) => Err(self.too_large(self.span(pair.as_span()), amount.as_str())),
        }
    }

    /// The `unit` child of a duration.
    fn unit(&self, pair: &Pair<'_, Rule>) -> Build<DurationUnit> {
        let unit = self.child(pair, Rule::unit)?;
        Ok(match unit.as_str().trim_end_matches('s') {
            "day" => DurationUnit::Day,
            "week" => DurationUnit::Week,
            "month" => DurationUnit::Month,
            "year" => DurationUnit::Year,
            _ => return Err(self.internal(&unit)),
        })
    }

    /// `(E)`, or `(E) days` when a unit follows.
    fn paren(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let inner = self.expr_built(&self.child(pair, Rule::expr)?)?;
        if let Some(unit) = self.optional(pair, Rule::paren_unit) {
            let kind = ExprKind::ComputedDuration(Box::new(inner.expr), self.unit(&unit)?);
            return self.node(kind, self.span(pair.as_span()), inner.depth);
        }
        Ok(Built {
            shape: Shape::Plain,
            outer: self.span(pair.as_span()),
            ..inner
        })
    }

    fn string(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let (template, depth) = self.template(pair)?;
        self.node(ExprKind::Str(template), self.span(pair.as_span()), depth)
    }

    /// A raw string is an ordinary string of text alone: wherever a string literal is taken
    /// (a pattern, a field name in brackets), a raw one is too.
    fn raw_string(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let span = self.span(pair.as_span());
        let text = (pair.clone().into_inner())
            .find(|part| part.as_rule() == Rule::raw_text)
            .map_or("", |part| part.as_str());
        let parts = if text.is_empty() {
            Vec::new()
        } else {
            vec![TemplatePart::Text(text.to_string())]
        };
        self.node(ExprKind::Str(Template { parts, span }), span, 0)
    }

    fn call(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let name = self.child(pair, Rule::ident).map(|i| self.ident(&i));
        let (args, depth) = self.exprs(pair)?;
        self.node(
            ExprKind::Call(name?, args),
            self.span(pair.as_span()),
            depth,
        )
    }

    fn match_expr(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let mut arms = Vec::new();
        let mut failed = false;
        let mut depth = 0;
        for arm in self.children(pair, Rule::match_arm) {
            match self.exprs(&arm) {
                Ok((exprs, d)) => {
                    let mut exprs = exprs.into_iter();
                    match (exprs.next(), exprs.next()) {
                        (Some(condition), Some(value)) => {
                            arms.push(MatchArm { condition, value });
                            depth = depth.max(d);
                        }
                        _ => return Err(self.internal(&arm)),
                    }
                }
                Err(Reported) => failed = true,
            }
        }
        let otherwise = match self.optional(pair, Rule::match_else) {
            Some(e) => Some(self.expr_built(&self.child(&e, Rule::expr)?)?),
            None => None,
        };
        if failed {
            return Err(Reported);
        }
        let depth = depth.max(otherwise.as_ref().map_or(0, |b| b.depth));
        let span = self.span(pair.as_span());
        let otherwise = otherwise.map(|b| Box::new(b.expr));
        let kind = ExprKind::Match { arms, otherwise };
        Ok(self.node(kind, span, depth)?.with_shape(Shape::Match))
    }

    /// `[a, b]` or `[E for x in L if C ...]`.
    fn list(&self, pair: &Pair<'_, Rule>) -> Build<Built> {
        let span = self.span(pair.as_span());
        let Some(comprehension) = self.optional(pair, Rule::comprehension) else {
            let (elements, depth) = self.exprs(pair)?;
            return self.node(ExprKind::List(elements), span, depth);
        };
        let element = self
            .child(pair, Rule::expr)
            .and_then(|e| self.expr_built(&e));
        let clauses = all(self
            .children(&comprehension, Rule::comprehension_clause)
            .iter()
            .map(|clause| self.clause(clause))
            .collect());
        let (element, clauses) = (element?, clauses?);
        // Each clause counts as a level: the checker and the evaluator nest one level deeper
        // for each, so their number is bounded like any other nesting.
        let depth = clauses
            .iter()
            .map(|(_, depth)| depth)
            .fold(element.depth, |deepest, &depth| deepest.max(depth))
            + clauses.len().saturating_sub(1);
        let kind = ExprKind::Comprehension {
            element: Box::new(element.expr),
            clauses: clauses.into_iter().map(|(clause, _)| clause).collect(),
        };
        self.node(kind, span, depth)
    }

    /// `for x in L if C` and its depth.
    fn clause(&self, pair: &Pair<'_, Rule>) -> Build<(ComprehensionClause, usize)> {
        let var = self.name(pair);
        let list = self.list_operand(pair);
        let filter = self
            .optional(pair, Rule::comprehension_if)
            .map(|f| self.expr_built(&self.child(&f, Rule::expr)?));
        let (var, list, filter) = (var?, list?, filter.transpose()?);
        let depth = list.depth.max(filter.as_ref().map_or(0, |f| f.depth));
        let clause = ComprehensionClause {
            var,
            list: list.expr,
            filter: filter.map(|f| f.expr),
        };
        Ok((clause, depth))
    }

    /// The `expr` children of a pair and their greatest depth.
    fn exprs(&self, pair: &Pair<'_, Rule>) -> Build<(Vec<Expr>, usize)> {
        let mut exprs = Vec::new();
        let mut depth = 0;
        let mut failed = false;
        for e in pair.clone().into_inner() {
            if e.as_rule() != Rule::expr {
                continue;
            }
            match self.expr_built(&e) {
                Ok(built) => {
                    depth = depth.max(built.depth);
                    exprs.push(built.expr);
                }
                Err(Reported) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        Ok((exprs, depth))
    }

    /// A node one level above children of depth `depth`.
    #[inline]
    fn node(&self, kind: ExprKind, span: Span, depth: usize) -> Build<Built> {
        if depth + 1 > MAX_EXPR_DEPTH {
            return Err(self.too_deep(span));
        }
        Ok(Built {
            expr: Expr { kind, span },
            depth: depth + 1,
            shape: Shape::Plain,
            outer: span,
        })
    }

    /// The node of a prefix operator at `op_span` over its operand.
    #[inline]
    fn prefix(&self, prefix: Prefix, op_span: Span, operand: Built) -> Build<Built> {
        let span = op_span.to(operand.outer);
        let (kind, depth) = match prefix {
            Prefix::If(condition, then) => {
                let depth = condition.depth.max(then.depth).max(operand.depth);
                let kind = ExprKind::If {
                    condition: Box::new(condition.expr),
                    then: Box::new(then.expr),
                    otherwise: Box::new(operand.expr),
                };
                (kind, depth)
            }
            Prefix::Quantifier(kind, var, list) => {
                let depth = list.depth.max(operand.depth);
                let kind = ExprKind::Quantifier {
                    kind,
                    var,
                    list: Box::new(list.expr),
                    body: Box::new(operand.expr),
                };
                (kind, depth)
            }
            Prefix::Not => (
                ExprKind::Unary(UnaryOp::Not, Box::new(operand.expr)),
                operand.depth,
            ),
            Prefix::Neg => (
                ExprKind::Unary(UnaryOp::Neg, Box::new(operand.expr)),
                operand.depth,
            ),
        };
        self.node(kind, span, depth)
    }

    /// The node of a postfix operator ending at `op_span` over its operand.
    #[inline]
    fn postfix(&self, operand: Built, postfix: Postfix, op_span: Span) -> Build<Built> {
        if operand.shape == Shape::Match {
            return Err(self.bare_match(operand.outer));
        }
        let span = operand.outer.to(op_span);
        let negated = match postfix {
            Postfix::Field(name) => {
                let kind = ExprKind::Field(Box::new(operand.expr), name);
                return self.node(kind, span, operand.depth);
            }
            Postfix::Index(key) => {
                let depth = operand.depth.max(key.depth);
                let kind = ExprKind::Index(Box::new(operand.expr), Box::new(key.expr));
                return self.node(kind, span, depth);
            }
            Postfix::Missing => false,
            Postfix::Present => true,
        };
        if operand.shape == Shape::Comparison {
            return Err(self.chained(op_span));
        }
        let kind = ExprKind::IsMissing {
            operand: Box::new(operand.expr),
            negated,
        };
        Ok(self
            .node(kind, span, operand.depth)?
            .with_shape(Shape::Comparison))
    }

    /// The node of a binary operator at `op_span`.
    #[inline]
    fn infix(&self, lhs: Built, op: BinaryOp, rhs: Built, op_span: Span) -> Build<Built> {
        if lhs.shape == Shape::Match {
            return Err(self.bare_match(lhs.outer));
        }
        let comparison = is_comparison(op);
        if comparison && (lhs.shape == Shape::Comparison || rhs.shape == Shape::Comparison) {
            return Err(self.chained(op_span));
        }
        let span = lhs.outer.to(rhs.outer);
        let depth = lhs.depth.max(rhs.depth);
        let kind = ExprKind::Binary(op, Box::new(lhs.expr), Box::new(rhs.expr));
        let shape = if comparison {
            Shape::Comparison
        } else {
            Shape::Plain
        };
        Ok(self.node(kind, span, depth)?.with_shape(shape))
    }

    fn date(&self, pair: &Pair<'_, Rule>) -> Build<DateLit> {
        let text = pair.as_str();
        let field = |range: std::ops::Range<usize>| {
            text.get(range)
                .and_then(|t| t.parse::<u32>().ok())
                .unwrap_or(0)
        };
        let (year, month, day) = (field(0..4), field(5..7), field(8..10));
        let year_i32 = i32::try_from(year).unwrap_or(0);
        if Date::from_ymd(year_i32, month, day).is_some() {
            return Ok(DateLit {
                year: year_i32,
                month,
                day,
            });
        }
        let help = if year == 0 {
            "years run from 0001 to 9999".to_string()
        } else if !(1..=12).contains(&month) {
            "months run from 01 to 12".to_string()
        } else {
            format!(
                "{}-{month:02} has {} days",
                year,
                days_in_month(year_i32, month)
            )
        };
        Err(self.report(
            Diagnostic::error(
                "E0006",
                self.span(pair.as_span()),
                format!("`{text}` is not a valid date"),
            )
            .with_help(help),
        ))
    }

    fn too_deep(&self, span: Span) -> Reported {
        self.report(
            Diagnostic::error("E0012", span, "this expression is too deeply nested").with_help(
                format!(
                    "an expression may nest at most {MAX_EXPR_DEPTH} operations; \
                     split it with `let` definitions"
                ),
            ),
        )
    }

    fn too_large(&self, span: Span, text: &str) -> Reported {
        self.report(Diagnostic::error(
            "E0010",
            span,
            format!("the number `{text}` is too large"),
        ))
    }

    fn chained(&self, span: Span) -> Reported {
        self.report(
            Diagnostic::error(
                "E0005",
                span,
                "comparison operators cannot be chained; add parentheses",
            )
            .with_help("for a range, write `a < b and b < c`"),
        )
    }

    fn bare_match(&self, span: Span) -> Reported {
        self.report(
            Diagnostic::error(
                "E0015",
                span,
                "a `match` must be in parentheses to be used as an operand",
            )
            .with_help("write `(match { ... })`"),
        )
    }
}

impl Built {
    fn with_shape(self, shape: Shape) -> Built {
        Built { shape, ..self }
    }
}

/// The level-6 operators, which do not chain.
pub(super) fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In
            | BinaryOp::NotIn
            | BinaryOp::Contains
            | BinaryOp::ContainsAny
            | BinaryOp::ContainsAll
    )
}

/// Digits with their `_` separators removed, copied only when there are any.
fn without_underscores(digits: &str) -> std::borrow::Cow<'_, str> {
    if digits.contains('_') {
        std::borrow::Cow::Owned(digits.replace('_', ""))
    } else {
        std::borrow::Cow::Borrowed(digits)
    }
}

/// Whether a flat sequence reads `prefix* operand postfix* (infix prefix* operand postfix*)*`.
fn well_formed(sequence: &[Pair<'_, Rule>]) -> bool {
    let mut after_operand = false;
    for pair in sequence {
        let rule = pair.as_rule();
        after_operand = match (after_operand, rule) {
            (false, rule) if is_prefix(rule) => false,
            (false, rule) if is_operand(rule) => true,
            (
                true,
                Rule::op_is_missing | Rule::op_is_present | Rule::field_access | Rule::index_access,
            ) => true,
            (true, rule) if binary_op(rule).is_some() => false,
            _ => return false,
        };
    }
    after_operand
}

fn is_prefix(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::if_prefix | Rule::quantifier_prefix | Rule::op_not | Rule::op_neg
    )
}

/// Collects every result, so that each error has been reported, and fails if one failed.
fn all<T>(results: Vec<Build<T>>) -> Build<Vec<T>> {
    let mut values = Vec::with_capacity(results.len());
    let mut failed = false;
    for result in results {
        match result {
            Ok(value) => values.push(value),
            Err(Reported) => failed = true,
        }
    }
    if failed { Err(Reported) } else { Ok(values) }
}

fn is_operand(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::paren
            | Rule::match_expr
            | Rule::list
            | Rule::string
            | Rule::raw_string
            | Rule::date
            | Rule::duration
            | Rule::number
            | Rule::literal_word
            | Rule::call
            | Rule::ident
    )
}

pub(super) fn binary_op(rule: Rule) -> Option<BinaryOp> {
    Some(match rule {
        Rule::op_coalesce => BinaryOp::Coalesce,
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::Ne,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::Le,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::Ge,
        Rule::op_in => BinaryOp::In,
        Rule::op_not_in => BinaryOp::NotIn,
        Rule::op_contains => BinaryOp::Contains,
        Rule::op_contains_any => BinaryOp::ContainsAny,
        Rule::op_contains_all => BinaryOp::ContainsAll,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        Rule::op_rem => BinaryOp::Rem,
        _ => return None,
    })
}
