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

use smol_str::SmolStr;

use crate::program::{BinOp, Expr, Place, Root, Value};
use crate::types::{RecordType, Type};

/// The warnings' codes (`docs/diagnostics.md`).
const RULE_NEVER_FAILS: &str = "W0101";
const RULE_NEVER_PASSES: &str = "W0102";
const WHEN_NEVER_TRUE: &str = "W0103";
const ARM_NEVER_CHOSEN: &str = "W0104";

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
        RULE_NEVER_FAILS,
        RULE_NEVER_PASSES,
        WHEN_NEVER_TRUE,
        ARM_NEVER_CHOSEN,
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
    let given: Vec<(Node, Option<bool>)> = (given.iter())
        .map(|(condition, wanted)| (atoms.node(condition), *wanted))
        .collect();
    let target = atoms.node(target);
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
        let values: Vec<&Value> = chosen.iter().zip(&samples).map(|(i, s)| &s[*i]).collect();
        if given
            .iter()
            .all(|(condition, wanted)| condition.truth(&values) == *wanted)
        {
            match target.truth(&values) {
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

/// A condition as the analysis reads it, its atoms numbered (an index into the samples).
enum Node<'e> {
    Not(Box<Node<'e>>),
    And(Box<[Node<'e>; 2]>),
    Or(Box<[Node<'e>; 2]>),
    Coalesce(Box<[Node<'e>; 2]>),
    Constant(&'e Value),
    /// `term is missing` (`present: false`) or `term is present`.
    Missingness {
        term: usize,
        present: bool,
    },
    /// A comparison of a term with a constant, either way round.
    Compare(BinOp, Operand<'e>, Operand<'e>),
    /// `term in list` (`not in` when `negated`) of constants.
    Member {
        term: usize,
        list: &'e Value,
        negated: bool,
    },
    Choose(Vec<(Node<'e>, Node<'e>)>, Box<Node<'e>>),
    /// A condition the analysis does not look into: true, false or missing.
    Atom(usize),
}

enum Operand<'e> {
    Term(usize),
    Constant(&'e Value),
}

/// The terms of the conditions analysed together.
#[derive(Default)]
struct Atoms<'e> {
    terms: Vec<Term<'e>>,
    /// The conditions' nodes, as evaluating them visits them.
    nodes: u64,
}

/// A term, or a condition not looked into (`truth`), with the constants it is compared with.
struct Term<'e> {
    expr: &'e Expr,
    truth: bool,
    constants: Vec<&'e Value>,
}

impl<'e> Atoms<'e> {
    /// The condition read as a node; its terms and their constants are noted.
    fn node(&mut self, condition: &'e Expr) -> Node<'e> {
        self.nodes += 1;
        let mut pair = |left, right| Box::new([self.node(left), self.node(right)]);
        match condition {
            Expr::Not(operand) => Node::Not(Box::new(self.node(operand))),
            Expr::Binary(BinOp::And, left, right) => Node::And(pair(left, right)),
            Expr::Binary(BinOp::Or, left, right) => Node::Or(pair(left, right)),
            Expr::Coalesce(left, right) => Node::Coalesce(pair(left, right)),
            Expr::Const(value) => Node::Constant(value),
            Expr::IsMissing(term) | Expr::IsPresent(term) => Node::Missingness {
                term: self.term(term, false, &[]),
                present: matches!(condition, Expr::IsPresent(_)),
            },
            Expr::Binary(op @ (BinOp::Eq | BinOp::Ne), left, right) => self
                .compare(*op, left, right)
                .unwrap_or_else(|| self.atom(condition)),
            // Texts are ordered, but one sample text cannot stand for every text between
            // literals.
            Expr::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), left, right)
                if ![left, right]
                    .iter()
                    .any(|side| matches!(&***side, Expr::Const(Value::Text(_)))) =>
            {
                self.compare(*op, left, right)
                    .unwrap_or_else(|| self.atom(condition))
            }
            Expr::Binary(op @ (BinOp::In | BinOp::NotIn), term, list) => match &**list {
                Expr::Const(list @ Value::List(items)) if !matches!(&**term, Expr::Const(_)) => {
                    let members: Vec<&Value> = items.iter().collect();
                    Node::Member {
                        term: self.term(term, false, &members),
                        list,
                        negated: *op == BinOp::NotIn,
                    }
                }
                _ => self.atom(condition),
            },
            Expr::InTexts {
                negated,
                operand,
                texts,
            } => {
                let members: Vec<&Value> = match &texts.list {
                    Value::List(items) => items.iter().collect(),
                    _ => Vec::new(),
                };
                Node::Member {
                    term: self.term(operand, false, &members),
                    list: &texts.list,
                    negated: *negated,
                }
            }
            Expr::Choose {
                arms, otherwise, ..
            } => {
                let arms = (arms.iter())
                    .map(|(condition, value)| (self.node(condition), self.node(value)))
                    .collect();
                Node::Choose(arms, Box::new(self.node(otherwise)))
            }
            _ => self.atom(condition),
        }
    }

    /// A comparison of a term with a constant, either way round; `None` for any other.
    fn compare(&mut self, op: BinOp, left: &'e Expr, right: &'e Expr) -> Option<Node<'e>> {
        let (term, constant) = match (left, right) {
            (Expr::Const(left), Expr::Const(right)) => {
                return Some(Node::Compare(
                    op,
                    Operand::Constant(left),
                    Operand::Constant(right),
                ));
            }
            (term, Expr::Const(constant)) | (Expr::Const(constant), term) => (term, constant),
            _ => return None,
        };
        let term = Operand::Term(self.term(term, false, &[constant]));
        let constant = Operand::Constant(constant);
        Some(match left {
            Expr::Const(_) => Node::Compare(op, constant, term),
            _ => Node::Compare(op, term, constant),
        })
    }

    fn atom(&mut self, condition: &'e Expr) -> Node<'e> {
        Node::Atom(self.term(condition, true, &[]))
    }

    /// The index of a term, added if new, with more constants it is compared with.
    fn term(&mut self, expr: &'e Expr, truth: bool, constants: &[&'e Value]) -> usize {
        let found = (self.terms.iter()).position(|term| term.truth == truth && term.expr == expr);
        let index = found.unwrap_or_else(|| {
            self.terms.push(Term {
                expr,
                truth,
                constants: Vec::new(),
            });
            self.terms.len() - 1
        });
        if let Some(term) = self.terms.get_mut(index) {
            term.constants.extend_from_slice(constants);
        }
        index
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
        let mut texts: Vec<&SmolStr> = Vec::new();
        let mut bools = false;
        for constant in &self.constants {
            match constant {
                Value::Number(n) if n.is_finite() => numbers.push(*n),
                Value::Date(date) => dates.push(date.0),
                Value::Text(text) if !texts.contains(&text) => texts.push(text),
                Value::Text(_) => {}
                Value::Bool(_) => bools = true,
                _ => return None,
            }
        }
        let numbers = regions(numbers, |n| [n.next_down(), n.next_up()]);
        samples.extend(numbers.into_iter().map(Value::Number));
        let days = regions(dates, |day| [day.saturating_sub(1), day.saturating_add(1)]);
        samples.extend(
            days.into_iter()
                .map(|day| Value::Date(crate::date::Date(day))),
        );
        if !texts.is_empty() {
            // A text equal to none of the literals.
            let mut other = String::from("other");
            while texts.iter().any(|text| **text == other) {
                other.push('_');
            }
            samples.extend(texts.into_iter().map(|text| Value::Text(text.clone())));
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

/// A point in each region the points cut their line into: each point and its two neighbours
/// (the next number down and up, the day before and after), which lie below the lowest point,
/// above the highest and between any two points with room between them.
fn regions<T: Copy + PartialEq>(points: Vec<T>, neighbours: impl Fn(T) -> [T; 2]) -> Vec<T> {
    let mut samples: Vec<T> = Vec::with_capacity(3 * points.len());
    for point in points {
        let [down, up] = neighbours(point);
        for sample in [down, point, up] {
            if !samples.contains(&sample) {
                samples.push(sample);
            }
        }
    }
    samples
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

impl Node<'_> {
    /// The condition's truth (`None`: missing) when each term has the value of its index, with
    /// Kleene logic as the evaluator has it.
    fn truth(&self, values: &[&Value]) -> Option<bool> {
        let value = |term: &usize| values.get(*term).copied().unwrap_or(&Value::MISSING);
        match self {
            Node::Not(operand) => operand.truth(values).map(|truth| !truth),
            Node::And(pair) => match (pair[0].truth(values), pair[1].truth(values)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Node::Or(pair) => match (pair[0].truth(values), pair[1].truth(values)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Node::Coalesce(pair) => pair[0].truth(values).or_else(|| pair[1].truth(values)),
            Node::Constant(Value::Bool(truth)) => Some(*truth),
            Node::Constant(_) => None,
            Node::Missingness { term, present } => Some(value(term).is_missing() != *present),
            Node::Compare(op, left, right) => {
                let [left, right] = [left, right].map(|side| match side {
                    Operand::Term(term) => value(term),
                    Operand::Constant(constant) => constant,
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
            Node::Member {
                term,
                list,
                negated,
            } => {
                let value = value(term);
                let Value::List(items) = list else {
                    return None;
                };
                (!value.is_missing())
                    .then(|| items.iter().any(|item| item.equal(value)) != *negated)
            }
            Node::Choose(arms, otherwise) => {
                for (condition, value) in arms {
                    if condition.truth(values)? {
                        return value.truth(values);
                    }
                }
                otherwise.truth(values)
            }
            Node::Atom(term) => match value(term) {
                Value::Bool(truth) => Some(*truth),
                _ => None,
            },
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
                        WHEN_NEVER_TRUE,
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
                RULE_NEVER_FAILS,
                decl.condition.span,
                format!("rule `{name}` can never fail: this condition is never {fail} where the rule applies"),
                "no input of the declared types makes the rule fail; check its comparisons and constants",
            );
        } else if !truths.can_be_true {
            self.warn(
                RULE_NEVER_PASSES,
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
                self.warn(ARM_NEVER_CHOSEN, condition.span, message, help);
            }
        }
    }

    fn warn(&mut self, code: &'static str, span: crate::span::Span, message: String, help: &str) {
        self.diagnostics
            .push(crate::diagnostic::Diagnostic::warning(code, span, message).with_help(help));
    }
}
