//! Remedies (`procura eval --remedies`): for a supplier that is not approved, the smallest
//! changes of input that would make each rule pass that keeps the decision from `approve`.
//!
//! Computed from the rule's compiled condition, the program the evaluator runs, with the values
//! the evaluation saw: the engine walks the condition and asks the evaluator (through
//! [`Probe`]) for the truth and value of each part, on the same record, with quantifier
//! variables bound to the elements it is looking at. It never re-implements an operator:
//! whether a list already holds a member is the evaluator's membership, and the bound of a
//! threshold is the value the evaluator computed for the other side. A call of a function of
//! the policy is walked into, its parameters bound to the arguments as the evaluator binds
//! them. What it cannot invert (a built-in function, a regular expression, arithmetic, a table
//! lookup), or changes that would undo another part of the condition, it says so as a
//! [`Remedy::NoSimpleChange`] rather than guess. `docs/remedies.md` lists what is inverted.

use std::fmt::Write as _;

use crate::ast::{Outcome, Verdict};
use crate::date::Date;
use crate::eval::{EvalError, Probe, empty_slots};
use crate::input::ReferenceData;
use crate::program::{BinOp, Expr, Place, Program, QuantifierKind, Root, RuleDef, Value};
use crate::report::{self, Report};
use crate::types::Type;

/// The remedy of one rule that keeps the decision from `approve`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRemedy {
    /// The rule's index in the program (and in the report's `rules`).
    pub rule: usize,
    pub remedy: Remedy,
}

/// What would make a condition pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Remedy {
    /// One change of one input value.
    Change(Change),
    /// Every part is needed (the parts of an `and`, each failing element of an `all`).
    All(Vec<Remedy>),
    /// Any one part will do (the parts of an `or`, the elements of an `any`).
    Any(Vec<Remedy>),
    /// The change of an element of an input list (`supplier.smelters[3]`), found by the
    /// quantifier's evidence; the paths of the remedy are inside it.
    Element {
        element: String,
        remedy: Box<Remedy>,
    },
    /// No simple change exists, and why.
    NoSimpleChange(String),
}

/// A change of the value at an input path.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The input path (`supplier.ecovadis.ethics`).
    pub path: String,
    pub kind: ChangeKind,
    /// The value now (missing when absent).
    pub now: Value,
    /// The path's static type, which the values are written with.
    pub ty: Option<Type>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChangeKind {
    AtLeast(Value),
    MoreThan(Value),
    AtMost(Value),
    LessThan(Value),
    Equal(Value),
    NotEqual(Value),
    OneOf(Vec<Value>),
    NoneOf(Vec<Value>),
    /// A list must hold one of these (`contains_any`, `contains`).
    AddOneOf(Vec<Value>),
    /// A list must hold each of these (`contains_all`): the ones it lacks now.
    AddAll(Vec<Value>),
    /// A list must hold none of these.
    Remove(Vec<Value>),
    /// Any value will do (`is present`).
    Supply,
    /// The value must be absent (`is missing`).
    Clear,
}

impl ChangeKind {
    /// The name of the change in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::AtLeast(_) => "at_least",
            ChangeKind::MoreThan(_) => "more_than",
            ChangeKind::AtMost(_) => "at_most",
            ChangeKind::LessThan(_) => "less_than",
            ChangeKind::Equal(_) => "equal",
            ChangeKind::NotEqual(_) => "not_equal",
            ChangeKind::OneOf(_) => "one_of",
            ChangeKind::NoneOf(_) => "none_of",
            ChangeKind::AddOneOf(_) => "add_one_of",
            ChangeKind::AddAll(_) => "add_all",
            ChangeKind::Remove(_) => "remove",
            ChangeKind::Supply => "supply",
            ChangeKind::Clear => "clear",
        }
    }
}

impl Remedy {
    /// Every part, flattened: an `All` in an `All` (an `Any` in an `Any`) is one, a single
    /// part is itself; alternatives without a simple change are dropped while another remains.
    fn all(parts: Vec<Remedy>) -> Remedy {
        Remedy::join(parts, true)
    }

    fn any(parts: Vec<Remedy>) -> Remedy {
        let simple = parts.iter().any(|part| !part.is_unsimple());
        let parts = parts
            .into_iter()
            .filter(|part| !simple || !part.is_unsimple())
            .collect();
        Remedy::join(parts, false)
    }

    fn join(parts: Vec<Remedy>, all: bool) -> Remedy {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Remedy::All(inner) if all => flat.extend(inner),
                Remedy::Any(inner) if !all => flat.extend(inner),
                part => {
                    if !flat.contains(&part) {
                        flat.push(part);
                    }
                }
            }
        }
        if all && let Some(path) = contradiction(&flat) {
            return Remedy::NoSimpleChange(format!(
                "the changes it needs of `{path}` contradict each other"
            ));
        }
        match flat.len() {
            1 => flat.pop().unwrap_or(Remedy::All(Vec::new())),
            _ if all => Remedy::All(flat),
            _ => Remedy::Any(flat),
        }
    }

    /// Every change it names, in any part.
    fn changes<'r>(&'r self, out: &mut Vec<&'r Change>) {
        match self {
            Remedy::Change(change) => out.push(change),
            Remedy::All(parts) | Remedy::Any(parts) => {
                parts.iter().for_each(|part| part.changes(out));
            }
            Remedy::Element { remedy, .. } => remedy.changes(out),
            Remedy::NoSimpleChange(_) => {}
        }
    }

    /// Whether no simple change exists: the remedy itself, or a part every choice needs.
    pub fn is_unsimple(&self) -> bool {
        match self {
            Remedy::NoSimpleChange(_) => true,
            Remedy::Change(_) => false,
            Remedy::All(parts) => parts.iter().any(Remedy::is_unsimple),
            Remedy::Any(parts) => parts.iter().all(Remedy::is_unsimple),
            Remedy::Element { remedy, .. } => remedy.is_unsimple(),
        }
    }
}

/// The remedies of every rule of `report` that keeps its decision from `approve`: failed with
/// verdict `reject` or `review`, or missing. `report` is the evaluation of `input`.
pub fn remedies(
    program: &Program,
    report: &Report<'_>,
    input: &Value,
    data: &ReferenceData,
    today: Date,
    max_steps: u64,
) -> Result<Vec<RuleRemedy>, EvalError> {
    let slots = empty_slots(program);
    let mut engine = Engine {
        program,
        probe: Probe::new(program, input, data, today, &slots, max_steps),
        calls: Vec::new(),
    };
    let mut out = Vec::new();
    for (index, (rule, outcome)) in program.rules.iter().zip(&report.rules).enumerate() {
        let blocking = match outcome.outcome {
            Outcome::Failed => rule.verdict != Verdict::Warn,
            Outcome::Missing => true,
            _ => false,
        };
        if blocking && let Some(remedy) = engine.rule(rule) {
            out.push(RuleRemedy {
                rule: index,
                remedy,
            });
        }
    }
    engine.probe.finish(out)
}

struct Engine<'a> {
    program: &'a Program,
    probe: Probe<'a>,
    /// For each function call the walk is inside, innermost last: the top-level input
    /// fields each argument reads (`input_fields`), where the call was made.
    calls: Vec<Vec<Vec<u32>>>,
}

impl<'a> Engine<'a> {
    /// What makes the rule pass: its condition, once its `when` is known to hold; a `when`
    /// that is missing may instead be made false (a rule that does not apply needs nothing).
    fn rule(&mut self, rule: &'a RuleDef) -> Option<Remedy> {
        let Some(when) = &rule.when else {
            return self.fix(&rule.condition, true);
        };
        match self.probe.truth(when) {
            Some(false) => None,
            Some(true) => self.fix(&rule.condition, true),
            None => {
                let applies = [self.fix(when, true), self.fix(&rule.condition, true)];
                let applies = Remedy::all(applies.into_iter().flatten().collect());
                let exempt = self.fix(when, false);
                Some(Remedy::any(
                    [Some(applies), exempt].into_iter().flatten().collect(),
                ))
            }
        }
    }

    /// `None` when `expr` is `want` already, else what makes it so.
    fn fix(&mut self, expr: &'a Expr, want: bool) -> Option<Remedy> {
        if self.probe.truth(expr) == Some(want) {
            return None;
        }
        Some(self.remedy(expr, want))
    }

    /// What makes `expr`, which is not `want`, so.
    fn remedy(&mut self, expr: &'a Expr, want: bool) -> Remedy {
        match expr {
            Expr::Binary(op @ (BinOp::And | BinOp::Or), left, right) => {
                // The whole chain of `and`s (`or`s) at once, so that a part that holds is kept
                // by the changes of every other.
                let mut operands = Vec::new();
                chain(*op, left, &mut operands);
                chain(*op, right, &mut operands);
                let mut parts = Vec::new();
                let mut kept = Vec::new();
                for part in operands {
                    match self.fix(part, want) {
                        Some(remedy) => parts.push(remedy),
                        None => kept.push(part),
                    }
                }
                if (*op == BinOp::And) != want {
                    return Remedy::any(parts);
                }
                let remedy = Remedy::all(parts);
                // A part that holds already must still hold after the changes.
                for part in kept {
                    if let Some(path) = self.undoes(&remedy, part, want) {
                        return Remedy::NoSimpleChange(format!(
                            "changing `{path}` would undo another part of the condition"
                        ));
                    }
                }
                remedy
            }
            Expr::Not(operand) => self.fix(operand, !want).unwrap_or_else(inconsistent),
            Expr::Place(place) if place.fields.is_empty() && self.let_of(place.root).is_some() => {
                let Some(def) = self.let_of(place.root) else {
                    return inconsistent();
                };
                self.probe.enter_let();
                let remedy = self.fix(&def.expr, want);
                self.probe.leave();
                remedy.unwrap_or_else(inconsistent)
            }
            Expr::Place(_) | Expr::Field { .. } | Expr::Element { .. } => {
                self.change(expr, |_| ChangeKind::Equal(Value::Bool(want)))
            }
            // The body, its parameters bound to the arguments: a change the body needs of a
            // parameter is a change of the input place the argument names.
            Expr::CallFunction(function, args) => {
                let Some(def) = self.program.functions.get(function.0 as usize) else {
                    return inconsistent();
                };
                let arguments = (args.iter())
                    .map(|arg| {
                        let mut fields = Vec::new();
                        self.input_fields(arg, false, &mut fields);
                        fields
                    })
                    .collect();
                self.calls.push(arguments);
                self.probe.enter_call(def, args);
                let remedy = self.fix(&def.body, want);
                self.probe.leave();
                self.calls.pop();
                remedy.unwrap_or_else(inconsistent)
            }
            Expr::Binary(op, left, right) if op.opposite().is_some() => {
                let op = if want { Some(*op) } else { op.opposite() };
                match op {
                    Some(BinOp::In) => self.membership(left, right, true),
                    Some(BinOp::NotIn) => self.membership(left, right, false),
                    Some(op) => self.comparison(op, left, right),
                    None => inconsistent(),
                }
            }
            Expr::InTexts {
                negated,
                operand,
                texts,
            } => {
                let values = list_values(&texts.list);
                self.member_of(operand, values, want != *negated)
            }
            Expr::ContainsTexts {
                negated,
                all,
                list,
                texts,
            } => self.containment(list, list_values(&texts.list), *all, want != *negated),
            Expr::Binary(BinOp::ListContains, list, member) if self.depends(member, list) => {
                no_simple_change("the member looked for depends on the list")
            }
            Expr::Binary(
                BinOp::ListContains | BinOp::ListContainsAny | BinOp::ListContainsAll,
                list,
                members,
            ) if self.depends(members, list) => {
                no_simple_change("the members looked for depend on the list")
            }
            Expr::Binary(BinOp::ListContains, list, member) => {
                let member = self.probe.value(member);
                if member.is_missing() {
                    return no_simple_change("the member looked for is missing");
                }
                self.containment(list, vec![member], true, want)
            }
            Expr::Binary(op @ (BinOp::ListContainsAny | BinOp::ListContainsAll), list, members) => {
                match self.probe.value(members) {
                    Value::List(items) => {
                        let all = *op == BinOp::ListContainsAll;
                        self.containment(list, items.to_vec(), all, want)
                    }
                    _ => no_simple_change("the members looked for are missing"),
                }
            }
            Expr::IsMissing(operand) | Expr::IsPresent(operand) => {
                let present = want == matches!(expr, Expr::IsPresent(_));
                self.change(operand, |_| match present {
                    true => ChangeKind::Supply,
                    false => ChangeKind::Clear,
                })
            }
            Expr::Coalesce(left, right) => {
                if !self.probe.value(left).is_missing() {
                    return self.fix(left, want).unwrap_or_else(inconsistent);
                }
                let parts = [self.fix(left, want), self.fix(right, want)];
                Remedy::any(parts.into_iter().flatten().collect())
            }
            Expr::Quantifier {
                kind,
                depth,
                list,
                body,
            } => self.quantifier(*kind, *depth, list, body, want),
            other => no_simple_change(&describe(other, self.program)),
        }
    }

    /// The path of a change of `remedy` that may make `kept`, which is `want` now, no longer
    /// so: a change of a path that a change making `kept` the opposite also names, unless the
    /// value the change asks for (its bound, for a threshold) rules that out.
    fn undoes(&mut self, remedy: &Remedy, kept: &'a Expr, want: bool) -> Option<String> {
        let mut changes = Vec::new();
        remedy.changes(&mut changes);
        if changes.is_empty() {
            return None;
        }
        let undoing = self.remedy(kept, !want);
        let mut threats = Vec::new();
        undoing.changes(&mut threats);
        changes.iter().find_map(|change| {
            (threats.iter())
                .any(|threat| threat.path == change.path && !excludes(&change.kind, &threat.kind))
                .then(|| change.path.clone())
        })
    }

    /// Whether `expr` reads a field of the input that the place `changed` lies in: then a
    /// change of the place may change `expr` too, and what it is compared with is no bound.
    /// Conservative: fields are told apart at the input's top level only.
    fn depends(&self, expr: &'a Expr, changed: &'a Expr) -> bool {
        let (mut read, mut written) = (Vec::new(), Vec::new());
        self.input_fields(expr, false, &mut read);
        self.input_fields(changed, false, &mut written);
        read.iter()
            .any(|field| *field == WHOLE_INPUT || written.contains(field))
            || (written.contains(&WHOLE_INPUT) && !read.is_empty())
    }

    /// The top-level input fields `expr` reads, directly or through lets, functions, the
    /// lists the engine's quantifier variables are bound to and the arguments of the call the
    /// walk is inside; [`WHOLE_INPUT`] for the input itself. `inside`: in a let or function,
    /// whose variables are all its own.
    fn input_fields(&self, expr: &'a Expr, inside: bool, out: &mut Vec<u32>) {
        match expr {
            Expr::Place(place) => match place.root {
                Root::Input => out.push(place.fields.first().map_or(WHOLE_INPUT, |f| f.0)),
                Root::Slot(slot) => {
                    if let Some(def) = self.program.lets.get(slot.0 as usize) {
                        self.input_fields(&def.expr, true, out);
                    } else if let Some(score) = (slot.0 as usize)
                        .checked_sub(self.program.lets.len())
                        .and_then(|index| self.program.scores.get(index))
                    {
                        for component in &score.components {
                            self.input_fields(&component.expr, true, out);
                        }
                    }
                }
                Root::Local(depth) if !inside => match self.probe.variable_list(depth) {
                    Some(list) => self.input_fields(list, false, out),
                    None => out.push(WHOLE_INPUT),
                },
                // A parameter of the call the walk is inside reads what its argument reads.
                Root::Param(index) if !inside => {
                    let argument = (self.calls.last()).and_then(|call| call.get(index as usize));
                    match argument {
                        Some(fields) => out.extend_from_slice(fields),
                        None => out.push(WHOLE_INPUT),
                    }
                }
                Root::Local(_) | Root::Param(_) => {}
            },
            Expr::CallFunction(function, args) => {
                if let Some(def) = self.program.functions.get(function.0 as usize) {
                    self.input_fields(&def.body, true, out);
                }
                for arg in args {
                    self.input_fields(arg, inside, out);
                }
            }
            other => other.for_each_child(|child| self.input_fields(child, inside, out)),
        }
    }

    /// The let a place names, when it names one whole.
    fn let_of(&self, root: Root) -> Option<&'a crate::program::LetDef> {
        match root {
            Root::Slot(slot) => self.program.lets.get(slot.0 as usize),
            _ => None,
        }
    }

    /// A change of the input place `expr` names, `kind` made from its type; no simple change
    /// when it names none.
    fn change(&mut self, expr: &'a Expr, kind: impl FnOnce(Option<&Type>) -> ChangeKind) -> Remedy {
        let now = self.probe.value(expr);
        let Some(path) = self.probe.path(expr) else {
            return no_simple_change(&describe(expr, self.program));
        };
        let ty = self.probe.type_of(expr);
        let kind = kind(ty.as_ref());
        Remedy::Change(Change {
            path,
            kind,
            now,
            ty,
        })
    }

    /// `left op right` made true: the side that is an input place changes, to meet the value
    /// the evaluation computed for the other side.
    fn comparison(&mut self, op: BinOp, left: &'a Expr, right: &'a Expr) -> Remedy {
        if let Some(remedy) = self.count_of_filter(op, left, right) {
            return remedy;
        }
        let (place, other, op) = match (self.probe.path(left), self.probe.path(right)) {
            (Some(_), Some(_)) if self.probe.value(left).is_missing() => (left, right, op),
            (Some(_), Some(_)) if self.probe.value(right).is_missing() => (right, left, mirror(op)),
            (Some(_), _) => (left, right, op),
            (None, Some(_)) => (right, left, mirror(op)),
            (None, None) => {
                let unsimple = [left, right].into_iter().find(|e| !is_fixed(e));
                return no_simple_change(&describe(unsimple.unwrap_or(left), self.program));
            }
        };
        if self.depends(other, place) {
            return no_simple_change("the value it is compared with depends on it");
        }
        let bound = self.probe.value(other);
        if bound.is_missing() {
            return no_simple_change("the value it is compared with is missing");
        }
        let ordered = matches!(bound, Value::Number(_) | Value::Date(_));
        let kind = match op {
            BinOp::Eq => ChangeKind::Equal(bound),
            BinOp::Ne => ChangeKind::NotEqual(bound),
            _ if !ordered => return no_simple_change("an order of texts"),
            BinOp::Ge => ChangeKind::AtLeast(bound),
            BinOp::Gt => ChangeKind::MoreThan(bound),
            BinOp::Le => ChangeKind::AtMost(bound),
            _ => ChangeKind::LessThan(bound),
        };
        self.change(place, |ty| simplify(kind, ty))
    }

    /// `count([E for x in L if C]) == 0` made true, as `none x in L: C` is (and `> 0` as
    /// `any x in L: C`): the comprehension of one clause, written in place or held by a let.
    /// `None` for any other comparison.
    fn count_of_filter(&mut self, op: BinOp, left: &'a Expr, right: &'a Expr) -> Option<Remedy> {
        let (count, zero, op) = match (left, right) {
            (Expr::Call(builtin, args), Expr::Const(Value::Number(n))) => (builtin, args, (op, *n)),
            (Expr::Const(Value::Number(n)), Expr::Call(builtin, args)) => {
                (builtin, args, (mirror(op), *n))
            }
            _ => return None,
        };
        let kind = match op {
            (BinOp::Eq | BinOp::Le, 0.0) | (BinOp::Lt, 1.0) => QuantifierKind::None,
            (BinOp::Ne | BinOp::Gt, 0.0) | (BinOp::Ge, 1.0) => QuantifierKind::Any,
            _ => return None,
        };
        let [argument] = &zero[..] else {
            return None;
        };
        if count.name != "count" {
            return None;
        }
        let (list, in_let) = match argument {
            Expr::Place(place) if place.fields.is_empty() => match self.let_of(place.root) {
                Some(def) => (&def.expr, true),
                None => return None,
            },
            other => (other, false),
        };
        let Expr::Comprehension { clauses, element } = list else {
            return None;
        };
        let [clause] = &clauses[..] else {
            return None;
        };
        // An element kept must also be present: so it is when it is the variable itself (a
        // list holds no absent elements); none is kept when `none` holds.
        let variable = Place {
            root: Root::Local(clause.depth),
            fields: Vec::new(),
        };
        if kind == QuantifierKind::Any && **element != Expr::Place(variable) {
            return None;
        }
        let filter = clause.filter.as_ref()?;
        if in_let {
            self.probe.enter_let();
        }
        let remedy = self.quantifier(kind, clause.depth, &clause.list, filter, true);
        if in_let {
            self.probe.leave();
        }
        Some(remedy)
    }

    /// `x in list` (`not in` when `!inside`) made true.
    fn membership(&mut self, x: &'a Expr, list: &'a Expr, inside: bool) -> Remedy {
        if self.probe.path(x).is_none() && self.probe.path(list).is_some() {
            if self.depends(x, list) {
                return no_simple_change("the member looked for depends on the list");
            }
            let member = self.probe.value(x);
            if member.is_missing() {
                return no_simple_change("the member looked for is missing");
            }
            return self.containment(list, vec![member], true, inside);
        }
        if self.depends(list, x) {
            return no_simple_change("the list it is looked for in depends on it");
        }
        match self.probe.value(list) {
            Value::List(items) => self.member_of(x, items.to_vec(), inside),
            _ => no_simple_change("the list it is looked for in is missing"),
        }
    }

    /// The place `x` made one of `values` (none of them when `!inside`).
    fn member_of(&mut self, x: &'a Expr, values: Vec<Value>, inside: bool) -> Remedy {
        let kind = if inside {
            ChangeKind::OneOf(values)
        } else {
            ChangeKind::NoneOf(values)
        };
        self.change(x, |ty| simplify(kind, ty))
    }

    /// The list at `list` made to hold one of `members` (all of them when `all`), or, when
    /// `!holds`, the opposite: none of them (not all of them).
    fn containment(
        &mut self,
        list: &'a Expr,
        members: Vec<Value>,
        all: bool,
        holds: bool,
    ) -> Remedy {
        let now = self.probe.value(list);
        // The evaluator's membership decides which members the list holds now.
        let mut held = Vec::new();
        let mut lacking = Vec::new();
        for member in members {
            match self.probe.compare(BinOp::In, &member, &now) {
                Some(true) => held.push(member),
                _ => lacking.push(member),
            }
        }
        let kind = match (holds, all) {
            (true, false) => ChangeKind::AddOneOf(lacking),
            (true, true) => ChangeKind::AddAll(lacking),
            (false, false) if now.is_missing() => ChangeKind::Remove(lacking),
            (false, false) => ChangeKind::Remove(held),
            (false, true) if now.is_missing() => ChangeKind::Remove(lacking),
            (false, true) => {
                let parts = held
                    .into_iter()
                    .map(|member| self.change(list, |_| ChangeKind::Remove(vec![member])))
                    .collect();
                return Remedy::any(parts);
            }
        };
        self.change(list, |_| kind)
    }

    /// A quantifier made `want`, element by element: the elements that must change are those
    /// whose body is not what the quantifier needs of them.
    fn quantifier(
        &mut self,
        kind: QuantifierKind,
        depth: u32,
        list: &'a Expr,
        body: &'a Expr,
        want: bool,
    ) -> Remedy {
        // What each element's body must be, and whether every element must be so (else one).
        let (body_want, every) = match (kind, want) {
            (QuantifierKind::All, want) => (want, want),
            (QuantifierKind::Any, want) => (want, !want),
            (QuantifierKind::None, want) => (!want, want),
        };
        let Some(len) = self.probe.bind(depth, list) else {
            // A missing list: an empty one passes where every element must.
            if every {
                return self.change(list, |_| ChangeKind::Supply);
            }
            return no_simple_change("the list is missing: it needs an element that passes");
        };
        let mut parts = Vec::new();
        for index in 0..len {
            self.probe.bind_index(depth, index);
            let Some(remedy) = self.fix(body, body_want) else {
                continue;
            };
            parts.push(match self.probe.variable_path(depth) {
                Some(element) => Remedy::Element {
                    element,
                    remedy: Box::new(remedy),
                },
                None => no_simple_change("an element of a computed list"),
            });
        }
        if parts.is_empty() {
            return no_simple_change("the list has no element: it needs one that passes");
        }
        if every {
            Remedy::all(parts)
        } else {
            Remedy::any(parts)
        }
    }
}

/// The operands of a chain of `op` (`a and b and c`), in order.
fn chain<'e>(op: BinOp, expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match expr {
        Expr::Binary(inner, left, right) if *inner == op => {
            chain(op, left, out);
            chain(op, right, out);
        }
        other => out.push(other),
    }
}

/// Whether a value that `change` asks for (the bound itself, for `at least` and `at most`)
/// never meets `threat`.
fn excludes(change: &ChangeKind, threat: &ChangeKind) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let value = match change {
        ChangeKind::Equal(value) | ChangeKind::AtLeast(value) | ChangeKind::AtMost(value) => value,
        _ => return contradicts(change, threat) || contradicts(threat, change),
    };
    let order = |bound: &Value| value.compare(bound);
    match threat {
        ChangeKind::AtLeast(bound) => order(bound) == Some(Less),
        ChangeKind::MoreThan(bound) => matches!(order(bound), Some(Less | Equal)),
        ChangeKind::AtMost(bound) => order(bound) == Some(Greater),
        ChangeKind::LessThan(bound) => matches!(order(bound), Some(Greater | Equal)),
        _ => never_equals(value, threat),
    }
}

/// Whether no value meets both changes (only for those of equality and membership).
fn contradicts(a: &ChangeKind, b: &ChangeKind) -> bool {
    match (a, b) {
        (ChangeKind::Equal(x), _) => never_equals(x, b),
        (ChangeKind::OneOf(values), ChangeKind::OneOf(_) | ChangeKind::NoneOf(_)) => {
            values.iter().all(|value| never_equals(value, b))
        }
        (ChangeKind::Supply, ChangeKind::Clear) => true,
        _ => false,
    }
}

/// Whether `value` fails a change of equality or membership (false for the others), values
/// compared as the language compares them (`Value::equal`).
fn never_equals(value: &Value, change: &ChangeKind) -> bool {
    let among = |values: &[Value]| values.iter().any(|other| other.equal(value));
    match change {
        ChangeKind::Equal(other) => !value.equal(other),
        ChangeKind::NotEqual(other) => value.equal(other),
        ChangeKind::OneOf(values) => !among(values),
        ChangeKind::NoneOf(values) => among(values),
        _ => false,
    }
}

/// The path of two changes among `parts`, all needed, that no value meets at once (a text
/// that must be `EMAS` and one of `ISO45001`): a condition that reads one input twice, through
/// a function or a let, may ask for both.
fn contradiction(parts: &[Remedy]) -> Option<&str> {
    let changes: Vec<&Change> = (parts.iter())
        .filter_map(|part| match part {
            Remedy::Change(change) => Some(change),
            _ => None,
        })
        .collect();
    changes.iter().enumerate().find_map(|(i, a)| {
        changes.get(i + 1..)?.iter().find_map(|b| {
            let both = a.path == b.path
                && (contradicts(&a.kind, &b.kind) || contradicts(&b.kind, &a.kind));
            both.then_some(a.path.as_str())
        })
    })
}

/// What [`Engine::input_fields`] gives for a read of the whole input.
const WHOLE_INPUT: u32 = u32::MAX;

/// A condition that is not what the evaluator said it was: never expected, and no guess.
fn inconsistent() -> Remedy {
    no_simple_change("the condition could not be inverted")
}

fn no_simple_change(reason: &str) -> Remedy {
    Remedy::NoSimpleChange(reason.to_owned())
}

/// `a op b` as `b op' a`.
fn mirror(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Gt => BinOp::Lt,
        BinOp::Le => BinOp::Ge,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

/// Whether an expression computes a value that no input changes directly: a constant or the
/// date.
fn is_fixed(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Const(_) | Expr::Today | Expr::ShiftedToday { .. }
    )
}

/// A change written the plainest way the place's type allows: a literal union or a bool that
/// must not be some values must be one of the others.
fn simplify(kind: ChangeKind, ty: Option<&Type>) -> ChangeKind {
    let excluded = match &kind {
        ChangeKind::NotEqual(value) => std::slice::from_ref(value),
        ChangeKind::NoneOf(values) => &values[..],
        _ => return kind,
    };
    let others: Vec<Value> = match ty.map(Type::required) {
        Some(Type::Union(members)) => members
            .iter()
            .map(|member| Value::Text(member.clone()))
            .collect(),
        Some(Type::Bool) => vec![Value::Bool(true), Value::Bool(false)],
        _ => return kind,
    };
    let others: Vec<Value> = others
        .into_iter()
        .filter(|value| !excluded.iter().any(|e| e.equal(value)))
        .collect();
    match others.len() {
        0 => kind,
        1 => ChangeKind::Equal(others.into_iter().next().unwrap_or(Value::MISSING)),
        _ => ChangeKind::OneOf(others),
    }
}

fn list_values(list: &Value) -> Vec<Value> {
    match list {
        Value::List(items) => items.to_vec(),
        _ => Vec::new(),
    }
}

/// Why an expression cannot be inverted, in the words of `docs/remedies.md`.
fn describe(expr: &Expr, program: &Program) -> String {
    match expr {
        Expr::Call(builtin, _) => format!("the built-in function `{}`", builtin.name),
        Expr::CallFunction(function, _) => match program.functions.get(function.0 as usize) {
            Some(def) => format!("the function `{}`", def.name),
            None => "a function".to_owned(),
        },
        Expr::Matches(..) => "a regular expression (`matches`)".to_owned(),
        Expr::Binary(op, ..) if !op.is_condition() => "arithmetic".to_owned(),
        Expr::Neg(_) => "arithmetic".to_owned(),
        Expr::Lookup { table, .. } => match program.tables.get(table.0 as usize) {
            Some(def) => format!("the table `{}`", def.name),
            None => "a table".to_owned(),
        },
        Expr::Binary(op, ..) if is_text_containment(*op) => "a text containment".to_owned(),
        Expr::Choose { .. } => "an `if` or `match`".to_owned(),
        Expr::Comprehension { .. } => "a list comprehension".to_owned(),
        Expr::Const(_) => "a constant condition".to_owned(),
        Expr::Place(place) => match place.root {
            Root::Slot(slot) if slot.0 as usize >= program.lets.len() => {
                let score = program.scores.get(slot.0 as usize - program.lets.len());
                score.map_or("a score".to_owned(), |s| {
                    format!("the score `{}` (a weighted sum of its components)", s.name)
                })
            }
            Root::Slot(slot) => match program.lets.get(slot.0 as usize) {
                Some(def) => format!("{} (let `{}`)", describe(&def.expr, program), def.name),
                None => "a value".to_owned(),
            },
            Root::Param(_) => "a function parameter".to_owned(),
            Root::Local(_) => "an element of a computed list".to_owned(),
            Root::Input => "the input".to_owned(),
        },
        Expr::Field { base, .. } => describe(base, program),
        Expr::Element { list, .. } => describe(list, program),
        _ => "a computed value".to_owned(),
    }
}

fn is_text_containment(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::TextContains | BinOp::TextContainsAny | BinOp::TextContainsAll
    )
}

// ---------------------------------------------------------------------- writing

/// The remedies as a JSON array: `[{"rule": NAME, "remedy": REMEDY}, ...]`, a remedy being
/// `{"change", "path", "value" | "values", "now"}`, `{"all": [...]}`, `{"any": [...]}`,
/// `{"element", "remedy"}` or `{"no_simple_change": REASON}` (`docs/remedies.md`).
pub fn write_json(out: &mut String, program: &Program, remedies: &[RuleRemedy]) {
    out.push('[');
    for (i, rule) in remedies.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"rule\":");
        let name = program.rules.get(rule.rule).map_or("", |r| &r.name);
        report::write_str(out, name);
        out.push_str(",\"remedy\":");
        write_remedy_json(out, &rule.remedy);
        out.push('}');
    }
    out.push(']');
}

fn write_remedy_json(out: &mut String, remedy: &Remedy) {
    match remedy {
        Remedy::Change(change) => {
            out.push_str("{\"change\":");
            report::write_str(out, change.kind.as_str());
            out.push_str(",\"path\":");
            report::write_str(out, &change.path);
            let ty = change.ty.as_ref();
            let element = ty.and_then(|t| t.required().list_element());
            match &change.kind {
                ChangeKind::AtLeast(v)
                | ChangeKind::MoreThan(v)
                | ChangeKind::AtMost(v)
                | ChangeKind::LessThan(v)
                | ChangeKind::Equal(v)
                | ChangeKind::NotEqual(v) => {
                    out.push_str(",\"value\":");
                    report::write_value(out, v, ty);
                }
                ChangeKind::OneOf(values) | ChangeKind::NoneOf(values) => {
                    out.push_str(",\"values\":");
                    write_values(out, values, ty);
                }
                ChangeKind::AddOneOf(values)
                | ChangeKind::AddAll(values)
                | ChangeKind::Remove(values) => {
                    out.push_str(",\"values\":");
                    write_values(out, values, element);
                }
                ChangeKind::Supply | ChangeKind::Clear => {}
            }
            out.push_str(",\"now\":");
            report::write_value(out, &change.now, ty);
            out.push('}');
        }
        Remedy::All(parts) | Remedy::Any(parts) => {
            let key = if matches!(remedy, Remedy::All(_)) {
                "all"
            } else {
                "any"
            };
            let _ = write!(out, "{{\"{key}\":[");
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_remedy_json(out, part);
            }
            out.push_str("]}");
        }
        Remedy::Element { element, remedy } => {
            out.push_str("{\"element\":");
            report::write_str(out, element);
            out.push_str(",\"remedy\":");
            write_remedy_json(out, remedy);
            out.push('}');
        }
        Remedy::NoSimpleChange(reason) => {
            out.push_str("{\"no_simple_change\":");
            report::write_str(out, reason);
            out.push('}');
        }
    }
}

fn write_values(out: &mut String, values: &[Value], ty: Option<&Type>) {
    out.push('[');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        report::write_value(out, value, ty);
    }
    out.push(']');
}

/// The remedies for people, one rule after another, each part on its own line.
pub fn write_text(out: &mut String, program: &Program, remedies: &[RuleRemedy]) {
    for rule in remedies {
        if let Some(def) = program.rules.get(rule.rule) {
            let _ = writeln!(out, "  {} (line {}):", def.name, def.line);
        }
        write_remedy_text(out, &rule.remedy, 2, "");
    }
}

fn write_remedy_text(out: &mut String, remedy: &Remedy, depth: usize, element: &str) {
    let indent = "  ".repeat(depth);
    match remedy {
        Remedy::Change(change) => {
            let _ = writeln!(out, "{indent}{}", change_text(change, element));
        }
        Remedy::All(parts) | Remedy::Any(parts) => {
            let title = match remedy {
                Remedy::All(_) => "all of:",
                _ => "one of:",
            };
            let _ = writeln!(out, "{indent}{title}");
            for part in parts {
                write_remedy_text(out, part, depth + 1, element);
            }
        }
        Remedy::Element {
            element: path,
            remedy,
        } => {
            let _ = writeln!(out, "{indent}`{path}`:");
            write_remedy_text(out, remedy, depth + 1, path);
        }
        Remedy::NoSimpleChange(reason) => {
            let _ = writeln!(out, "{indent}no simple change: {reason}");
        }
    }
}

/// `` `supplier.ecovadis.ethics` at least 40, now 35 ``; inside an element, the path from it.
pub fn change_text(change: &Change, element: &str) -> String {
    let path = match change.path.strip_prefix(element) {
        Some(rest) if !element.is_empty() && !rest.is_empty() => {
            rest.strip_prefix('.').unwrap_or(rest)
        }
        _ => &change.path,
    };
    let ty = change.ty.as_ref();
    let element_ty = ty.and_then(|t| t.required().list_element());
    let one = |value: &Value, ty: Option<&Type>| {
        let mut text = String::new();
        write_quoted(&mut text, value, ty);
        text
    };
    let many = |values: &[Value], ty: Option<&Type>, last: &str| {
        let texts: Vec<String> = values.iter().map(|v| one(v, ty)).collect();
        match texts.split_last() {
            Some((tail, [])) => tail.clone(),
            Some((tail, head)) => format!("{} {last} {tail}", head.join(", ")),
            None => "nothing".to_owned(),
        }
    };
    let what = match &change.kind {
        ChangeKind::AtLeast(v) => format!("at least {}", one(v, ty)),
        ChangeKind::MoreThan(v) => format!("more than {}", one(v, ty)),
        ChangeKind::AtMost(v) => format!("at most {}", one(v, ty)),
        ChangeKind::LessThan(v) => format!("less than {}", one(v, ty)),
        ChangeKind::Equal(v) => format!("must be {}", one(v, ty)),
        ChangeKind::NotEqual(v) => format!("must not be {}", one(v, ty)),
        ChangeKind::OneOf(values) => format!("must be {}", many(values, ty, "or")),
        ChangeKind::NoneOf(values) => format!("must not be {}", many(values, ty, "or")),
        ChangeKind::AddOneOf(values) => format!("must contain {}", many(values, element_ty, "or")),
        ChangeKind::AddAll(values) => format!("must contain {}", many(values, element_ty, "and")),
        ChangeKind::Remove(values) => {
            format!("must not contain {}", many(values, element_ty, "or"))
        }
        ChangeKind::Supply => "must be supplied".to_owned(),
        ChangeKind::Clear => "must be left out".to_owned(),
    };
    let now = if change.now.is_missing() {
        "missing".to_owned()
    } else {
        one(&change.now, ty)
    };
    format!("`{path}` {what}, now {now}")
}

/// A value in a sentence: texts and dates in backticks, lists and records as JSON.
fn write_quoted(out: &mut String, value: &Value, ty: Option<&Type>) {
    match value {
        Value::Text(_) | Value::Date(_) => {
            out.push('`');
            report::write_plain(out, value);
            out.push('`');
        }
        Value::List(_) | Value::Record(_) => report::write_value(out, value, ty),
        other => report::write_plain(out, other),
    }
}
