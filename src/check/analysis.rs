//! What a condition can come to over every input the declared types allow: the static analysis
//! behind the warnings `W0101`–`W0104` (a rule that can never fail or never pass, a `when` that
//! is never true, an `if`/`match` arm that is never chosen).
//!
//! A condition is split into *atoms*: terms compared with constants (`x >= 40`, `x == "a"`,
//! `x in ["a", "b"]`, `x is missing`) and conditions the analysis does not look into (a
//! quantifier, a comparison of two computed values), which may be true, false or missing. Each
//! term is given one sample value from every region its constants cut its type into (below,
//! at and between numbers or dates; each literal and one other text, or the members of its
//! literal union; missing), and the condition is evaluated with Kleene logic on every
//! combination. The samples cover every behaviour of the real inputs and more (atoms vary
//! independently, even where the real values are related), so "never" is only claimed when it
//! holds for every input; where there are too many combinations, nothing is claimed.

use std::collections::HashMap;

use smol_str::SmolStr;

use super::codes;
use crate::program::{BinOp, Expr, Place, Root, Value};
use crate::types::{RecordType, Type};

/// The most combinations of samples evaluated for one question; past it, nothing is claimed.
const MAX_COMBINATIONS: usize = 4096;

/// The most terms of one question: more would exceed `MAX_COMBINATIONS` anyway.
const MAX_TERMS: usize = 12;

/// The expression nodes one policy's analysis may visit in all (collecting the atoms visits
/// every node of the conditions once, and so does each combination evaluated): bounds compile
/// time on hostile policies (a few milliseconds); past it, the rest of the policy is not
/// analysed. The policies of `rules/` use a few thousand.
const MAX_WORK: u64 = 2_000_000;

/// What the analysis of one policy may still visit.
pub struct Budget(u64);

impl Default for Budget {
    fn default() -> Budget {
        Budget(MAX_WORK)
    }
}

/// Whether a diagnostic code is one of this analysis's warnings.
pub fn is_analysis_warning(code: &str) -> bool {
    [
        codes::RULE_NEVER_FAILS,
        codes::RULE_NEVER_PASSES,
        codes::WHEN_NEVER_TRUE,
        codes::ARM_NEVER_CHOSEN,
    ]
    .contains(&code)
}

/// What a condition can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Truths {
    pub can_be_true: bool,
    pub can_be_false: bool,
}

/// The truths `target` can take on the inputs where each condition of `given` has its wanted
/// truth (`Some(bool)`, or `None` for missing): neither where `given` never holds; `None` when
/// there are too many combinations to tell.
pub fn truths(
    input: &RecordType,
    given: &[(&Expr, Option<bool>)],
    target: &Expr,
    budget: &mut Budget,
) -> Option<Truths> {
    if budget.0 == 0 {
        return None;
    }
    let mut atoms = Atoms::default();
    for (condition, _) in given {
        atoms.collect(condition);
    }
    atoms.collect(target);
    budget.0 = budget.0.saturating_sub(atoms.nodes);
    if atoms.terms.len() > MAX_TERMS {
        return None;
    }
    let samples: Vec<Vec<Value>> = (atoms.terms.iter())
        .map(|term| term.samples(input))
        .collect::<Option<_>>()?;
    let mut combinations = 1usize;
    for sample in &samples {
        combinations = combinations.checked_mul(sample.len())?;
    }
    let work = (combinations as u64).saturating_mul(atoms.nodes);
    if combinations > MAX_COMBINATIONS || work > budget.0 {
        return None;
    }
    budget.0 -= work;
    let mut truths = Truths::default();
    let mut chosen = vec![0usize; samples.len()];
    for _ in 0..combinations {
        let assignment = Assignment {
            atoms: &atoms,
            values: chosen.iter().zip(&samples).map(|(i, s)| &s[*i]).collect(),
        };
        if given
            .iter()
            .all(|(condition, wanted)| assignment.truth(condition) == *wanted)
        {
            match assignment.truth(target) {
                Some(true) => truths.can_be_true = true,
                Some(false) => truths.can_be_false = true,
                None => {}
            }
        }
        // The next combination, as an odometer.
        for (digit, sample) in chosen.iter_mut().zip(&samples) {
            *digit += 1;
            if *digit < sample.len() {
                break;
            }
            *digit = 0;
        }
    }
    Some(truths)
}

/// How a condition is built, as both passes (collecting atoms, evaluating) read it.
enum Shape<'e> {
    Not(&'e Expr),
    And(&'e Expr, &'e Expr),
    Or(&'e Expr, &'e Expr),
    Coalesce(&'e Expr, &'e Expr),
    Constant(&'e Value),
    /// `term is missing` (`present: false`) or `term is present`.
    Missingness {
        term: &'e Expr,
        present: bool,
    },
    /// A comparison of a term with a constant, either way round.
    Compare(BinOp, Operand<'e>, Operand<'e>),
    /// `term in list` (`not in` when `negated`) of constants.
    Member {
        term: &'e Expr,
        list: &'e Value,
        negated: bool,
    },
    Choose(&'e [(Expr, Expr)], &'e Expr),
    /// A condition the analysis does not look into.
    Atom,
}

#[derive(Clone, Copy)]
enum Operand<'e> {
    Term(&'e Expr),
    Constant(&'e Value),
}

fn shape(expr: &Expr) -> Shape<'_> {
    match expr {
        Expr::Not(operand) => Shape::Not(operand),
        Expr::Binary(BinOp::And, left, right) => Shape::And(left, right),
        Expr::Binary(BinOp::Or, left, right) => Shape::Or(left, right),
        Expr::Coalesce(left, right) => Shape::Coalesce(left, right),
        Expr::Const(value) => Shape::Constant(value),
        Expr::IsMissing(term) => Shape::Missingness {
            term,
            present: false,
        },
        Expr::IsPresent(term) => Shape::Missingness {
            term,
            present: true,
        },
        Expr::Binary(op @ (BinOp::Eq | BinOp::Ne), left, right) => compare(*op, left, right),
        // Texts are ordered, but one sample text cannot stand for every text between literals.
        Expr::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), left, right)
            if ![left, right]
                .iter()
                .any(|side| matches!(&***side, Expr::Const(Value::Text(_)))) =>
        {
            compare(*op, left, right)
        }
        Expr::Binary(op @ (BinOp::In | BinOp::NotIn), term, list) => match &**list {
            Expr::Const(list @ Value::List(_)) if !matches!(&**term, Expr::Const(_)) => {
                Shape::Member {
                    term,
                    list,
                    negated: *op == BinOp::NotIn,
                }
            }
            _ => Shape::Atom,
        },
        Expr::InTexts {
            negated,
            operand,
            texts,
        } => Shape::Member {
            term: operand,
            list: &texts.list,
            negated: *negated,
        },
        Expr::Choose { arms, otherwise } => Shape::Choose(arms, otherwise),
        _ => Shape::Atom,
    }
}

/// A comparison of a term with a constant; any other comparison is an atom.
fn compare<'e>(op: BinOp, left: &'e Expr, right: &'e Expr) -> Shape<'e> {
    let operand = |side: &'e Expr| match side {
        Expr::Const(value) => Operand::Constant(value),
        term => Operand::Term(term),
    };
    match (operand(left), operand(right)) {
        (Operand::Term(_), Operand::Term(_)) => Shape::Atom,
        (left, right) => Shape::Compare(op, left, right),
    }
}

/// The atoms of the conditions analysed together.
#[derive(Default)]
struct Atoms<'e> {
    terms: Vec<Term<'e>>,
    /// The conditions' nodes, as evaluating them visits them.
    nodes: u64,
    /// The term of each occurrence, by the occurrence's address: evaluation finds its term
    /// without comparing trees.
    occurrences: HashMap<*const Expr, usize>,
}

/// A term, or a condition not looked into (`truth`), with the constants it is compared with.
struct Term<'e> {
    expr: &'e Expr,
    truth: bool,
    constants: Vec<&'e Value>,
}

impl<'e> Atoms<'e> {
    fn collect(&mut self, condition: &'e Expr) {
        self.nodes += 1;
        if self.terms.len() > MAX_TERMS {
            return;
        }
        match shape(condition) {
            Shape::Not(operand) => self.collect(operand),
            Shape::And(left, right) | Shape::Or(left, right) | Shape::Coalesce(left, right) => {
                self.collect(left);
                self.collect(right);
            }
            Shape::Constant(_) => {}
            Shape::Missingness { term, .. } => {
                self.term(term, false);
            }
            Shape::Compare(_, left, right) => {
                if let (Operand::Term(term), Operand::Constant(value))
                | (Operand::Constant(value), Operand::Term(term)) = (left, right)
                {
                    self.term(term, false).push(value);
                }
            }
            Shape::Member { term, list, .. } => {
                let members = match list {
                    Value::List(items) => items.iter().collect(),
                    _ => Vec::new(),
                };
                self.term(term, false).extend(members);
            }
            Shape::Choose(arms, otherwise) => {
                for (condition, value) in arms {
                    self.collect(condition);
                    self.collect(value);
                }
                self.collect(otherwise);
            }
            Shape::Atom => {
                self.term(condition, true);
            }
        }
    }

    /// The constants of a term, which is added if new.
    fn term(&mut self, expr: &'e Expr, truth: bool) -> &mut Vec<&'e Value> {
        let found = (self.terms.iter()).position(|term| term.truth == truth && term.expr == expr);
        let index = match found {
            Some(index) => index,
            None => {
                self.terms.push(Term {
                    expr,
                    truth,
                    constants: Vec::new(),
                });
                self.terms.len() - 1
            }
        };
        self.occurrences.insert(std::ptr::from_ref(expr), index);
        &mut self.terms[index].constants
    }
}

impl Term<'_> {
    /// One value from each region the term's constants cut its values into, and missing;
    /// `None` when a constant is of a kind without regions (a list, a record, not a number).
    fn samples(&self, input: &RecordType) -> Option<Vec<Value>> {
        let mut samples = vec![Value::MISSING];
        if self.truth {
            samples.extend([Value::Bool(true), Value::Bool(false)]);
            return Some(samples);
        }
        if let Some(Type::Union(members)) = place_type(self.expr, input).map(Type::required) {
            samples.extend(members.iter().map(|member| Value::Text(member.clone())));
            return Some(samples);
        }
        let mut numbers: Vec<f64> = Vec::new();
        let mut dates: Vec<i32> = Vec::new();
        let mut texts: Vec<SmolStr> = Vec::new();
        let mut bools = false;
        for constant in &self.constants {
            match constant {
                Value::Number(n) if n.is_finite() => numbers.push(*n),
                Value::Date(date) => dates.push(date.0),
                Value::Text(text) => texts.push(text.clone()),
                Value::Bool(_) => bools = true,
                _ => return None,
            }
        }
        numbers.sort_by(f64::total_cmp);
        numbers.dedup();
        dates.sort_unstable();
        dates.dedup();
        texts.sort();
        texts.dedup();
        if let (Some(first), Some(last)) = (numbers.first(), numbers.last()) {
            // Steps that stay steps at any magnitude (`1e300 - 1.0` is `1e300`).
            samples.push(Value::Number(first - first.abs().max(1.0)));
            for pair in numbers.windows(2) {
                samples.push(Value::Number(pair[0] / 2.0 + pair[1] / 2.0));
            }
            samples.extend(numbers.iter().map(|n| Value::Number(*n)));
            samples.push(Value::Number(last + last.abs().max(1.0)));
        }
        if let (Some(first), Some(last)) = (dates.first(), dates.last()) {
            let date = |days: i32| Value::Date(crate::date::Date(days));
            samples.push(date(first.saturating_sub(1)));
            for pair in dates.windows(2) {
                if pair[1] - pair[0] > 1 {
                    samples.push(date(pair[0] + 1));
                }
            }
            samples.extend(dates.iter().map(|days| date(*days)));
            samples.push(date(last.saturating_add(1)));
        }
        if !texts.is_empty() {
            // A text equal to none of the literals.
            let mut other = String::from("other");
            while texts.iter().any(|text| *text == other) {
                other.push('_');
            }
            samples.extend(texts.into_iter().map(Value::Text));
            samples.push(Value::Text(other.into()));
        }
        if bools {
            samples.extend([Value::Bool(true), Value::Bool(false)]);
        }
        if samples.len() == 1 {
            // Only its presence is asked about.
            samples.push(Value::Bool(true));
        }
        Some(samples)
    }
}

/// The declared type of an input place (`supplier.category`), from the input declaration.
fn place_type<'t>(expr: &Expr, input: &'t RecordType) -> Option<&'t Type> {
    let Expr::Place(Place {
        root: Root::Input,
        fields,
    }) = expr
    else {
        return None;
    };
    let mut record = input;
    let mut ty = None;
    for (index, _) in fields {
        if let Some(outer) = ty {
            let Type::Record(nested) = Type::required(outer) else {
                return None;
            };
            record = nested;
        }
        ty = Some(&record.fields.get(*index as usize)?.ty);
    }
    ty
}

/// A sample value for each atom.
struct Assignment<'a, 'e> {
    atoms: &'a Atoms<'e>,
    values: Vec<&'a Value>,
}

impl Assignment<'_, '_> {
    /// The condition's truth (`None`: missing), with Kleene logic as the evaluator has it.
    fn truth(&self, condition: &Expr) -> Option<bool> {
        match shape(condition) {
            Shape::Not(operand) => self.truth(operand).map(|truth| !truth),
            Shape::And(left, right) => match (self.truth(left), self.truth(right)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Shape::Or(left, right) => match (self.truth(left), self.truth(right)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Shape::Coalesce(left, right) => self.truth(left).or_else(|| self.truth(right)),
            Shape::Constant(Value::Bool(truth)) => Some(*truth),
            Shape::Constant(_) => None,
            Shape::Missingness { term, present } => Some(self.value(term).is_missing() != present),
            Shape::Compare(op, left, right) => {
                let [left, right] = [left, right].map(|side| match side {
                    Operand::Term(term) => self.value(term),
                    Operand::Constant(value) => value,
                });
                if left.is_missing() || right.is_missing() {
                    return None;
                }
                let order = left.compare(right);
                Some(match op {
                    BinOp::Eq => left.equal(right),
                    BinOp::Ne => !left.equal(right),
                    BinOp::Lt => order == Some(std::cmp::Ordering::Less),
                    BinOp::Le => order.is_some_and(std::cmp::Ordering::is_le),
                    BinOp::Gt => order == Some(std::cmp::Ordering::Greater),
                    _ => order.is_some_and(std::cmp::Ordering::is_ge),
                })
            }
            Shape::Member {
                term,
                list,
                negated,
            } => {
                let value = self.value(term);
                let Value::List(items) = list else {
                    return None;
                };
                (!value.is_missing()).then(|| items.iter().any(|item| item.equal(value)) != negated)
            }
            Shape::Choose(arms, otherwise) => {
                for (condition, value) in arms {
                    if self.truth(condition)? {
                        return self.truth(value);
                    }
                }
                self.truth(otherwise)
            }
            Shape::Atom => match self.value(condition) {
                Value::Bool(truth) => Some(*truth),
                _ => None,
            },
        }
    }

    fn value(&self, expr: &Expr) -> &Value {
        static MISSING: Value = Value::MISSING;
        match self.atoms.occurrences.get(&std::ptr::from_ref(expr)) {
            Some(index) => self.values[*index],
            None => &MISSING,
        }
    }
}

impl super::Checker<'_> {
    /// Warns of a `when` that is never true and of a condition that is never false or never
    /// true where the rule applies.
    pub(super) fn analyse_rule(
        &mut self,
        decl: &crate::ast::RuleDecl,
        when: Option<&Expr>,
        condition: &Expr,
    ) {
        let name = &decl.name.name;
        let given = match (when, &decl.when) {
            (Some(when), Some(ast_when)) => {
                let truths = truths(&self.input_record, &[], when, &mut self.analysis_budget);
                if truths.is_some_and(|truths| !truths.can_be_true) {
                    self.warn(
                        codes::WHEN_NEVER_TRUE,
                        ast_when.span,
                        format!("this `when` is never true: rule `{name}` never applies"),
                        "no input of the declared types makes it true; check its comparisons and constants",
                    );
                    return;
                }
                vec![(when, Some(true))]
            }
            _ => Vec::new(),
        };
        let Some(truths) = truths(
            &self.input_record,
            &given,
            condition,
            &mut self.analysis_budget,
        ) else {
            return;
        };
        let (pass, fail) = match decl.kind {
            crate::ast::RuleKind::Require => ("true", "false"),
            crate::ast::RuleKind::Forbid => ("false", "true"),
        };
        if !truths.can_be_false {
            self.warn(
                codes::RULE_NEVER_FAILS,
                decl.condition.span,
                format!("rule `{name}` can never fail: this condition is never {fail} where the rule applies"),
                "no input of the declared types makes the rule fail; check its comparisons and constants",
            );
        } else if !truths.can_be_true {
            self.warn(
                codes::RULE_NEVER_PASSES,
                decl.condition.span,
                format!("rule `{name}` can never pass: this condition is never {pass} where the rule applies"),
                "no input of the declared types makes the rule pass; check its comparisons and constants",
            );
        }
    }

    /// Warns of each arm of an `if` or `match` whose condition is never true while every
    /// earlier one is false: it is never chosen.
    pub(super) fn analyse_arms(
        &mut self,
        arms: &[(&crate::ast::Expr, &crate::ast::Expr)],
        typed: &[(Expr, Expr)],
        what: &str,
    ) {
        for (index, ((condition, _), (typed_condition, _))) in arms.iter().zip(typed).enumerate() {
            let earlier: Vec<(&Expr, Option<bool>)> = typed[..index]
                .iter()
                .map(|(earlier, _)| (earlier, Some(false)))
                .collect();
            let truths = truths(
                &self.input_record,
                &earlier,
                typed_condition,
                &mut self.analysis_budget,
            );
            if truths.is_some_and(|truths| !truths.can_be_true) {
                let message = match index {
                    0 => {
                        format!("this `{what}` branch is never chosen: its condition is never true")
                    }
                    _ => format!(
                        "this `{what}` arm is never chosen: its condition is never true where every earlier one is false"
                    ),
                };
                let help = match index {
                    0 => "no input of the declared types makes it true",
                    _ => {
                        "an earlier arm takes every input this one would; reorder the arms or remove this one"
                    }
                };
                self.warn(codes::ARM_NEVER_CHOSEN, condition.span, message, help);
            }
        }
    }

    fn warn(&mut self, code: &'static str, span: crate::span::Span, message: String, help: &str) {
        self.diagnostics
            .push(crate::diagnostic::Diagnostic::warning(code, span, message).with_help(help));
    }
}
