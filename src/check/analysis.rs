//! What a condition can come to over every input the declared types allow: the static analysis
//! behind the warnings `W0101`–`W0105` (a rule that can never fail or never pass, a `when` that
//! is never true, an `if`/`match` arm that is never chosen, a score whose components are never
//! all present).
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
//!
//! Whether a value is present is read the same way (`Atoms::presence`): as a condition on the
//! terms it needs (each input path it reads is present; a table with a body has a row for the
//! key; the branch an `if` or `match` takes is present; ...), looking through lets, scores and
//! the bodies of functions with their arguments. Where it does not look, a value counts as
//! possibly present, so "never present" too holds for every input.

use smol_str::SmolStr;

use crate::program::{BinOp, Expr, Place, Program, Root, Slot, Value};
use crate::types::{RecordType, Type};

/// The warnings' codes (`docs/diagnostics.md`).
const RULE_NEVER_FAILS: &str = "W0101";
const RULE_NEVER_PASSES: &str = "W0102";
const WHEN_NEVER_TRUE: &str = "W0103";
const ARM_NEVER_CHOSEN: &str = "W0104";
const SCORE_NEVER_PRESENT: &str = "W0105";

/// The most combinations of samples evaluated for one question; past it, nothing is claimed.
const MAX_COMBINATIONS: usize = 4096;

/// The most terms of one question: more would exceed `MAX_COMBINATIONS` anyway.
const MAX_TERMS: usize = 12;

/// The expression nodes one policy's analysis may visit in all (collecting the atoms visits
/// every node of the conditions once, and so does each combination evaluated): bounds compile
/// time on hostile policies (a few milliseconds); past it, the rest of the policy is not
/// analysed. The policies of `rules/` use a few thousand.
const MAX_WORK: u64 = 2_000_000;

/// The most nodes the presence of one score's components may be read into (lets, scores and
/// function bodies are read where they are used); past it, what is left counts as present.
const MAX_PRESENCE_NODES: u64 = 10_000;

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
        SCORE_NEVER_PRESENT,
    ]
    .contains(&code)
}

/// The program whose lets, scores, functions and tables a score's components read.
struct Definitions<'e> {
    program: &'e Program,
    /// For each table with a body, its keys as a list.
    keys: Vec<Option<Value>>,
}

/// The arguments of a function call whose body is being read, and the frame they are read in.
struct Frame<'f, 'e> {
    args: &'e [Expr],
    outer: Option<&'f Frame<'f, 'e>>,
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
    let mut truths = Truths::default();
    atoms.each_combination(input, budget, |values| {
        if given
            .iter()
            .all(|(condition, wanted)| condition.truth(values) == *wanted)
        {
            match target.truth(values) {
                Some(true) => truths.can_be_true = true,
                Some(false) => truths.can_be_false = true,
                None => {}
            }
        }
    })?;
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
    /// True or false whatever the input.
    Known(bool),
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
    /// Calls `visit` with each combination of the terms' samples; `None` (nothing visited)
    /// when there are too many to tell.
    fn each_combination(
        &self,
        input: &RecordType,
        budget: &mut Budget,
        mut visit: impl FnMut(&[&Value]),
    ) -> Option<()> {
        budget.0 = budget.0.saturating_sub(self.nodes);
        if self.terms.len() > MAX_TERMS {
            return None;
        }
        let samples: Vec<Vec<Value>> = (self.terms.iter())
            .map(|term| term.samples(input))
            .collect::<Option<_>>()?;
        let mut combinations = 1usize;
        for sample in &samples {
            combinations = combinations.checked_mul(sample.len())?;
        }
        let work = (combinations as u64).saturating_mul(self.nodes);
        if combinations > MAX_COMBINATIONS || work > budget.0 {
            return None;
        }
        budget.0 -= work;
        let mut chosen = vec![0usize; samples.len()];
        for _ in 0..combinations {
            let values: Vec<&Value> = chosen.iter().zip(&samples).map(|(i, s)| &s[*i]).collect();
            visit(&values);
            // The next combination, as an odometer.
            for (digit, sample) in chosen.iter_mut().zip(&samples) {
                *digit += 1;
                if *digit < sample.len() {
                    break;
                }
                *digit = 0;
            }
        }
        Some(())
    }

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

    /// A condition true wherever `expr` is present (and perhaps elsewhere): what its value
    /// needs, by LANGUAGE.md §5. `frame` holds the arguments of the function calls whose body
    /// `expr` is in.
    fn presence(
        &mut self,
        expr: &'e Expr,
        program: &'e Definitions<'e>,
        frame: Option<&Frame<'_, 'e>>,
    ) -> Node<'e> {
        self.nodes += 1;
        if self.nodes > MAX_PRESENCE_NODES {
            return Node::Known(true);
        }
        let both = |atoms: &mut Atoms<'e>, left: &'e Expr, right: &'e Expr| {
            let pair = [
                atoms.presence(left, program, frame),
                atoms.presence(right, program, frame),
            ];
            Node::And(Box::new(pair))
        };
        match expr {
            Expr::Const(value) => Node::Known(!value.is_missing()),
            Expr::Place(place) => match place.root {
                Root::Input => Node::Missingness {
                    term: self.term(expr, false, &[]),
                    present: true,
                },
                Root::Slot(slot) => self.slot_presence(slot, program),
                // An argument is evaluated in the caller's scope.
                Root::Param(index) => {
                    match frame.and_then(|f| Some((f.args.get(index as usize)?, f.outer))) {
                        Some((argument, outer)) => self.presence(argument, program, outer),
                        None => Node::Known(true),
                    }
                }
                Root::Local(_) => Node::Known(true),
            },
            Expr::Field { base: operand, .. }
            | Expr::Neg(operand)
            | Expr::Duration { count: operand, .. }
            | Expr::Matches(operand, _)
            | Expr::InTexts { operand, .. }
            | Expr::ContainsTexts { list: operand, .. } => self.presence(operand, program, frame),
            // Kleene logic: `false and missing` is present.
            Expr::Binary(BinOp::And | BinOp::Or, ..) => Node::Known(true),
            Expr::Binary(BinOp::Div | BinOp::Rem, _, divisor) if matches!(&**divisor, Expr::Const(Value::Number(n)) if *n == 0.0) => {
                Node::Known(false)
            }
            Expr::Binary(_, left, right)
            | Expr::Element {
                list: left,
                index: right,
            } => both(self, left, right),
            Expr::Coalesce(left, right) => {
                let pair = [
                    self.presence(left, program, frame),
                    self.presence(right, program, frame),
                ];
                Node::Or(Box::new(pair))
            }
            Expr::Lookup { table, key } => {
                let key_present = self.presence(key, program, frame);
                let index = table.0 as usize;
                let (Some(Some(rows)), Some(Some(keys))) = (
                    program
                        .program
                        .tables
                        .get(index)
                        .map(|t| t.entries.as_ref()),
                    program.keys.get(index),
                ) else {
                    // Reference data may hold any key.
                    return key_present;
                };
                let (key, key_frame) = argument_of(key, frame);
                match key {
                    Expr::Const(key) => Node::Known(rows.get_value(key).is_some()),
                    // A term read in a function's body stands for a different value in each
                    // call.
                    key if key_frame.is_some() && reads_param(key) => key_present,
                    key => {
                        let members: Vec<&Value> = match keys {
                            Value::List(items) => items.iter().collect(),
                            _ => Vec::new(),
                        };
                        let row = Node::Member {
                            term: self.term(key, false, &members),
                            list: keys,
                            negated: false,
                        };
                        Node::And(Box::new([key_present, row]))
                    }
                }
            }
            // A built-in gives missing when any argument is missing.
            Expr::Call(_, args) => {
                let nodes = args
                    .iter()
                    .map(|arg| self.presence(arg, program, frame))
                    .collect();
                all(nodes)
            }
            Expr::CallFunction(function, args) => {
                match program.program.functions.get(function.0 as usize) {
                    Some(definition) => {
                        let call = Frame { args, outer: frame };
                        self.presence(&definition.body, program, Some(&call))
                    }
                    None => Node::Known(true),
                }
            }
            Expr::Choose {
                arms, otherwise, ..
            } => {
                let arms = (arms.iter())
                    .map(|(condition, value)| {
                        let guard = match frame {
                            Some(_) if reads_param(condition) => {
                                self.terms.push(Term {
                                    expr: condition,
                                    truth: true,
                                    constants: Vec::new(),
                                });
                                Node::Atom(self.terms.len() - 1)
                            }
                            _ => self.node(condition),
                        };
                        (guard, self.presence(value, program, frame))
                    })
                    .collect();
                Node::Choose(arms, Box::new(self.presence(otherwise, program, frame)))
            }
            // Present, or not looked into (quantifiers, comprehensions, texts, lists).
            _ => Node::Known(true),
        }
    }

    /// What a let's or score's value needs to be present.
    fn slot_presence(&mut self, slot: Slot, program: &'e Definitions<'e>) -> Node<'e> {
        let lets = &program.program.lets;
        let index = slot.0 as usize;
        if let Some(definition) = lets.get(index) {
            return self.presence(&definition.expr, program, None);
        }
        match (index.checked_sub(lets.len())).and_then(|score| program.program.scores.get(score)) {
            Some(score) => {
                let nodes = (score.components.iter())
                    .map(|component| self.presence(&component.expr, program, None))
                    .collect();
                all(nodes)
            }
            None => Node::Known(true),
        }
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

/// `a`, `b` and `c`.
fn and_list(items: &[String]) -> String {
    match items {
        [init @ .., last] if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => items.join(""),
    }
}

/// Every condition of `nodes` at once.
fn all(nodes: Vec<Node<'_>>) -> Node<'_> {
    let mut nodes = nodes.into_iter();
    let first = nodes.next().unwrap_or(Node::Known(true));
    nodes.fold(first, |all, node| Node::And(Box::new([all, node])))
}

/// The argument a parameter stands for, through calls that pass it on, and the frame it is
/// read in; any other expression itself.
fn argument_of<'f, 'e>(
    mut expr: &'e Expr,
    mut frame: Option<&'f Frame<'f, 'e>>,
) -> (&'e Expr, Option<&'f Frame<'f, 'e>>) {
    while let (
        Expr::Place(Place {
            root: Root::Param(index),
            fields,
        }),
        Some(call),
    ) = (expr, frame)
    {
        let Some(argument) = call.args.get(*index as usize).filter(|_| fields.is_empty()) else {
            break;
        };
        (expr, frame) = (argument, call.outer);
    }
    (expr, frame)
}

/// Whether an expression reads a parameter of the function whose body it is in.
fn reads_param(expr: &Expr) -> bool {
    let mut found = matches!(
        expr,
        Expr::Place(Place {
            root: Root::Param(_),
            ..
        })
    );
    expr.for_each_child(|child| found = found || reads_param(child));
    found
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
            Node::Known(truth) => Some(*truth),
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

    /// Warns of each score of `program` whose components no input gives values all at once:
    /// the score is always missing. Names a smallest set of components that are never present
    /// together.
    pub(super) fn analyse_scores(&mut self, program: &Program) {
        let definitions = Definitions {
            program,
            keys: (program.tables.iter())
                .map(|table| {
                    let rows = table.entries.as_ref()?;
                    Some(Value::List(
                        rows.iter().map(|(key, _)| key.into_value()).collect(),
                    ))
                })
                .collect(),
        };
        for (score, decl) in program.scores.iter().zip(self.score_decls.clone()) {
            let mut atoms = Atoms::default();
            let components: Vec<Node> = (score.components.iter())
                .map(|component| atoms.presence(&component.expr, &definitions, None))
                .collect();
            // Which components are present together, for each combination of samples.
            let mut together: Vec<Vec<bool>> = Vec::new();
            let visited =
                atoms.each_combination(&self.input_record, &mut self.analysis_budget, |values| {
                    let present: Vec<bool> = (components.iter())
                        .map(|node| node.truth(values) == Some(true))
                        .collect();
                    if !together.contains(&present) {
                        together.push(present);
                    }
                });
            let never_together = |set: &[usize]| {
                !(together.iter()).any(|present| set.iter().all(|&i| present.get(i) == Some(&true)))
            };
            let mut set: Vec<usize> = (0..components.len()).collect();
            if visited.is_none() || !never_together(&set) {
                continue;
            }
            // A smallest set: each component left out in turn, if the rest are still never
            // present together.
            for component in (0..components.len()).rev() {
                let rest: Vec<usize> = set.iter().copied().filter(|&i| i != component).collect();
                if !rest.is_empty() && never_together(&rest) {
                    set = rest;
                }
            }
            let name = &decl.name.name;
            let named: Vec<&crate::ast::ScoreComponent> =
                set.iter().filter_map(|&i| decl.components.get(i)).collect();
            let names: Vec<String> = (named.iter())
                .map(|component| format!("`{}`", component.name.name))
                .collect();
            let diagnostic = match &named[..] {
                [only] => crate::diagnostic::Diagnostic::warning(
                    SCORE_NEVER_PRESENT,
                    only.value.span,
                    format!(
                        "score `{name}` is always missing: its component `{}` is never present",
                        only.name.name
                    ),
                )
                .with_help("no input of the declared types gives this component a value (a table without the key, a guard that never holds, a division by zero), and a score with a missing component is missing"),
                _ => {
                    let mut diagnostic = crate::diagnostic::Diagnostic::warning(
                        SCORE_NEVER_PRESENT,
                        decl.name.span,
                        format!(
                            "score `{name}` is always missing: its components {} are never present together",
                            and_list(&names)
                        ),
                    )
                    .with_help("no input of the declared types gives all of them a value (their guards or table keys exclude each other), and a score with a missing component is missing");
                    for component in &named {
                        let message = match &named[..] {
                            [first, second] => {
                                let other = if std::ptr::eq(*first, *component) { second } else { first };
                                format!("present only where `{}` is missing", other.name.name)
                            }
                            _ => "present only where another of these is missing".to_owned(),
                        };
                        diagnostic.label(component.value.span, message);
                    }
                    diagnostic
                }
            };
            self.diagnostics.push(diagnostic);
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
