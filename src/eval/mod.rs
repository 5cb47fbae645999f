//! The evaluator (LANGUAGE.md §5, §6): runs a lowered [`Program`] on one validated record.
//!
//! One evaluator, two modes. A report (*explain*) computes every let and score, every rule in
//! declaration order, gives each missing value its cause and each failed rule its message and
//! evidence (LANGUAGE.md §9.8); a decision runs the rules in verdict order until the decision
//! is known, computes a let or score only when a rule it runs reads it, and keeps no causes,
//! paths or notes. Both run the same code for every construct, so both mean and cost the same;
//! only messages and evidence, which a decision does without, cost a report more.
//!
//! Architecture invariants:
//! - No string lookups and no panics: names were resolved to indices by the checker; an index
//!   that is somehow out of range reads as missing.
//! - Missing values carry a [`MissingCause`], an index into this evaluation's cause arena.
//!   Paths are rendered only when a value turns out missing: a present value costs nothing.
//!   The input tree stores absent fields as `Value::MISSING`; the path is attached when the
//!   field is read, from the place that read it.
//! - Places (the input, slots, constants, table rows, elements of those) are read by
//!   reference, never cloned.
//! - Every element a loop visits, and every [`TEXT_STEP_BYTES`] of text compared or built,
//!   costs a step, charged in one place per construct.

mod error;
mod probe;

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashSet;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::ast::{Decision, Outcome, Verdict};
use crate::builtins::MAX_PARAMS;
use crate::date::{Date, Duration};
use crate::input::ReferenceData;
use crate::limits::TEXT_STEP_BYTES;
use crate::program::{
    BinOp, Builtin, Clause, ComponentDef, Expr, FunctionDef, LetDef, MissingCause, Place, Program,
    QuantifierKind, Root, RuleDef, RuleKind, ScoreDef, Slot, SmolStr, TableDef, TableEntries,
    TemplatePart, TextSet, Value,
};
use crate::report::{self, ComponentReport, Report, RuleReport, ScoreReport};
use crate::types::Type;

pub use error::{Construct, EvalError};
pub(crate) use probe::Probe;

/// The let and score values of one evaluation, each computed when first read.
pub(crate) fn empty_slots(program: &Program) -> Vec<OnceCell<Value>> {
    (0..program.slot_count()).map(|_| OnceCell::new()).collect()
}

/// Evaluates one validated input record within `max_steps` and explains the result.
pub fn evaluate<'p>(
    program: &'p Program,
    input: &Value,
    data: &ReferenceData,
    today: Date,
    max_steps: u64,
) -> Result<Report<'p>, EvalError> {
    evaluate_reaching(program, input, data, today, max_steps, &mut [])
}

/// [`evaluate`], setting `reached[id]` for each branch (`Program::branches`) it takes, for
/// coverage; a `reached` too short for an id records nothing of it.
pub fn evaluate_reaching<'p>(
    program: &'p Program,
    input: &Value,
    data: &ReferenceData,
    today: Date,
    max_steps: u64,
    reached: &mut [bool],
) -> Result<Report<'p>, EvalError> {
    let slots = empty_slots(program);
    let mut evaluator = Evaluator::<true>::new(program, input, data, today, &slots, max_steps);
    evaluator.reached = reached;
    let report = evaluator.run(program);
    let report = evaluator.finish(report);
    drop(evaluator);
    report.map(|mut report| {
        report.data_sha256.clone_from(&data.sha256);
        // Score slots follow the lets: the report's values are the lets'.
        report.values = (slots.into_iter().take(program.lets.len()))
            .map(|slot| slot.into_inner().unwrap_or(Value::MISSING))
            .collect();
        report
    })
}

/// The decision of [`evaluate`] without the report: rules run in verdict precedence order and
/// stop as soon as the decision is known, and nothing is rendered (no paths, messages or
/// notes). It may succeed where [`evaluate`] exceeds the budget, never the other way round.
pub fn decide(
    program: &Program,
    input: &Value,
    data: &ReferenceData,
    today: Date,
    max_steps: u64,
) -> Result<Decision, EvalError> {
    // On the stack for the usual handful of lets and scores.
    let inline: [OnceCell<Value>; 8] = [const { OnceCell::new() }; 8];
    let heap: Vec<OnceCell<Value>>;
    let slots = match inline.get(..program.slot_count()) {
        Some(slots) => slots,
        None => {
            heap = empty_slots(program);
            &heap
        }
    };
    let mut evaluator = Evaluator::<false>::new(program, input, data, today, slots, max_steps);
    let decision = evaluator.decide(program);
    evaluator.finish(decision)
}

/// Evaluates an expression that reads no input, table or `today` (constants, folding), and
/// may call `functions` that read none either. Returns the value and the runtime notes
/// (`division by zero`, `arithmetic overflow`, ...), which name no place: the caller knows
/// where the expression stands.
pub fn eval_const(expr: &Expr, functions: &[FunctionDef]) -> (Value, Vec<String>) {
    let mut evaluator = Evaluator::<true>::empty();
    evaluator.functions = functions;
    let value = evaluator.eval(expr).into_owned();
    if let Err(error) = evaluator.finish(()) {
        // Not folded: evaluation stops at the same construct and reports where it stands.
        evaluator.notes.push(error.to_string());
    }
    // Causes index this evaluator's arena, which is about to go away.
    let value = if value.is_missing() {
        Value::MISSING
    } else {
        value
    };
    (value, evaluator.notes)
}

/// Where the evaluator stands, for notes and the budget's error. The definitions, not their
/// names: a decision sets this for every rule and score component it runs, and thin
/// references make it three words where names made it five.
#[derive(Clone, Copy)]
enum Context<'a> {
    Const,
    Let(&'a LetDef),
    Score(&'a ScoreDef),
    Component(&'a ScoreDef, &'a ComponentDef),
    Rule(&'a RuleDef),
}

impl Context<'_> {
    fn describe(self) -> String {
        match self {
            Context::Const => "a constant".to_owned(),
            Context::Let(def) => format!("let `{}`", def.name),
            Context::Score(score) => format!("score `{}`", score.name),
            Context::Component(score, component) => {
                format!("score `{}`, component `{}`", score.name, component.name)
            }
            Context::Rule(rule) => format!("rule `{}`", rule.name),
        }
    }
}

/// An entry of the cause arena; `MissingCause(i)` is entry `i - 1` (0 is `NONE`), so an
/// evaluation where nothing is missing allocates no arena.
enum Cause {
    /// A rendered input path (`supplier.ecovadis`).
    Path(Box<str>),
    /// An absent row of table `0` (`cpi["XX"]`), rendered only if a rule reports it: most are
    /// defaulted (`sanctioned[c] ?? false`).
    Entry(usize, Value),
    Union(MissingCause, MissingCause),
}

/// A bound quantifier or comprehension variable: element `index` of `elements`. The list is
/// bound once per loop and each element by its index, so that binding one costs a store; the
/// place of an element of an input list is kept as the list expression and the index, and
/// rendered only if needed. Elements of a list that outlives the evaluation (the input, a slot,
/// a constant) are borrowed, not cloned.
#[derive(Clone)]
struct Frame<'a> {
    elements: Elements<'a>,
    list: &'a Expr,
    index: usize,
}

/// Where the names of an expression are read: its variables are `locals[base..]`, its
/// parameters those of `calls[call]`.
#[derive(Clone, Copy)]
struct Scope {
    base: usize,
    call: Option<usize>,
}

impl Scope {
    /// Where lets and scores are read: outside every quantifier and function.
    const OUTSIDE: Scope = Scope {
        base: 0,
        call: None,
    };
}

/// A call of a function of the policy, while its body is evaluated.
struct Call<'a> {
    args: &'a [Expr],
    params: &'a [Type],
    /// The value of each argument once the body has read it: an argument is evaluated at
    /// most once, and only if it is read.
    values: SmallVec<[Option<Cow<'a, Value>>; 4]>,
    /// Where the arguments are evaluated.
    caller: Scope,
    /// Where the body's own variables start in `locals`.
    base: usize,
}

/// A condition's value: `Err` carries the cause when it is missing.
type Truth = Result<bool, MissingCause>;

/// Why a place could not be read by reference.
enum Unread {
    /// Its root and the first `n` fields name the shallowest absent part.
    Absent(usize),
    /// Its root is an element of a list computed during the evaluation.
    Owned,
}

/// Read through a reference that outlives the evaluator (`&'a Value`) where a place is absent.
static MISSING: Value = Value::MISSING;

/// The elements of a list operand: borrowed when the list outlives the evaluation.
#[derive(Clone)]
enum Elements<'a> {
    Borrowed(&'a [Value]),
    Owned(Arc<[Value]>),
}

impl<'a> Elements<'a> {
    fn of(list: Cow<'a, Value>) -> Result<Elements<'a>, MissingCause> {
        match list {
            Cow::Borrowed(Value::List(items)) => Ok(Elements::Borrowed(items)),
            Cow::Owned(Value::List(items)) => Ok(Elements::Owned(items)),
            other => Err(cause_of(&other)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Elements::Borrowed(items) => items.len(),
            Elements::Owned(items) => items.len(),
        }
    }

    /// Element `index`, by reference; missing past the end.
    fn get(&self, index: usize) -> &Value {
        let items = match self {
            Elements::Borrowed(items) => items,
            Elements::Owned(items) => &items[..],
        };
        items.get(index).unwrap_or(&MISSING)
    }
}

struct Evaluator<'a, const EXPLAIN: bool> {
    input_name: &'a str,
    /// The input record's type, built once so that messages borrow it.
    input_type: Option<Type>,
    input: &'a Value,
    lets: &'a [LetDef],
    scores: &'a [ScoreDef],
    functions: &'a [FunctionDef],
    /// The functions being called, innermost last.
    calls: Vec<Call<'a>>,
    /// The call whose body is being evaluated, whose parameters `Root::Param` reads.
    call: Option<usize>,
    /// The slots each slot's expression reads (`Program::slot_reads`).
    slot_reads: &'a [Vec<Slot>],
    tables: &'a [TableDef],
    data: &'a [Option<Arc<TableEntries>>],
    today: Option<Date>,
    /// The let and score values, each computed at most once. They live outside the evaluator
    /// so that reads borrow them for the whole evaluation.
    slots: &'a [OnceCell<Value>],
    /// The slots being computed on demand, innermost last (see `force`).
    pending: Vec<usize>,
    /// Inline up to four nested quantifiers and comprehensions.
    locals: SmallVec<[Frame<'a>; 4]>,
    /// Where the variables of the expression being evaluated start in `locals`: a slot
    /// computed on demand, inside a quantifier, binds its own above the reader's.
    local_base: usize,
    causes: Vec<Cause>,
    notes: Vec<String>,
    /// Where `path_cause` renders paths.
    path: String,
    /// When explaining, the index each `list[index]` read last, so that the paths of what
    /// was read from it (`supplier.smelters[0].metal`) can name the element.
    element_reads: Vec<(&'a Expr, usize)>,
    context: Context<'a>,
    /// What remains of the step budget.
    steps: u64,
    /// The budget this evaluation started with.
    limit: u64,
    /// Set when the budget ran out: every loop then stops at once and the report is dropped.
    exceeded: Option<(Construct, Context<'a>)>,
    /// When explaining, the branches taken (`evaluate_reaching`); empty records nothing.
    reached: &'a mut [bool],
}

/// `EXPLAIN`: whether missing values get their causes and problems their notes; a bare
/// decision needs neither. A parameter of the type, not a field, so that each mode is compiled
/// from the same code with its own branches folded away.
impl<'a, const EXPLAIN: bool> Evaluator<'a, EXPLAIN> {
    fn new(
        program: &'a Program,
        input: &'a Value,
        data: &'a ReferenceData,
        today: Date,
        slots: &'a [OnceCell<Value>],
        max_steps: u64,
    ) -> Evaluator<'a, EXPLAIN> {
        Evaluator {
            input_name: &program.input.name,
            input_type: EXPLAIN.then(|| Type::Record(program.input.record.clone())),
            input,
            lets: &program.lets,
            scores: &program.scores,
            functions: &program.functions,
            slot_reads: &program.slot_reads,
            tables: &program.tables,
            data: &data.tables,
            today: Some(today),
            slots,
            steps: max_steps,
            limit: max_steps,
            ..Evaluator::empty()
        }
    }

    /// An evaluator of no program, input, table or date: what constants are evaluated with.
    fn empty() -> Evaluator<'a, EXPLAIN> {
        Evaluator {
            input_name: "",
            input_type: None,
            input: &MISSING,
            lets: &[],
            scores: &[],
            functions: &[],
            calls: Vec::new(),
            call: None,
            slot_reads: &[],
            tables: &[],
            data: &[],
            today: None,
            slots: &[],
            pending: Vec::new(),
            // Grown by `bind` past four nested variables.
            locals: SmallVec::new(),
            local_base: 0,
            causes: Vec::new(),
            notes: Vec::new(),
            path: String::new(),
            element_reads: Vec::new(),
            context: Context::Const,
            steps: crate::limits::MAX_EVAL_STEPS,
            limit: crate::limits::MAX_EVAL_STEPS,
            exceeded: None,
            reached: &mut [],
        }
    }

    /// `result`, unless the budget ran out while computing it.
    fn finish<T>(&self, result: T) -> Result<T, EvalError> {
        match self.exceeded {
            Some((construct, context)) => Err(EvalError::BudgetExceeded {
                limit: self.limit,
                place: context.describe(),
                construct,
            }),
            None => Ok(result),
        }
    }

    // ------------------------------------------------------------------ lets and scores

    /// Computes one slot, whose own reads are computed already or are computed on demand;
    /// `components` receives a score's component reports when explaining.
    fn compute_slot(&mut self, index: usize, components: &mut [Vec<ComponentReport>]) {
        let value = if let Some(def) = self.lets.get(index) {
            self.context = Context::Let(def);
            self.eval(&def.expr).into_owned()
        } else if let Some(score_index) = index.checked_sub(self.lets.len())
            && let Some(score) = self.scores.get(score_index)
        {
            let (value, reports) = self.score(score);
            if let Some(slot) = components.get_mut(score_index) {
                *slot = reports;
            }
            value
        } else {
            return;
        };
        if let Some(cell) = self.slots.get(index) {
            // Set at most once: a slot is computed only while it is unset.
            let _ = cell.set(value);
        }
    }

    /// A let or score value, computed on first read (a decision reads only what its rules
    /// need; a report computes every slot first, in `run`).
    fn slot(&mut self, slot: Slot) -> &'a Value {
        let slots = self.slots;
        let Some(cell) = slots.get(slot.0 as usize) else {
            return &MISSING;
        };
        if cell.get().is_none() {
            self.force(slot.0 as usize);
        }
        cell.get().unwrap_or(&MISSING)
    }

    /// Computes a slot and, first, the unset slots it reads, depth first with an explicit
    /// stack: a chain of thousands of lets must not nest as deeply on the machine stack.
    ///
    /// A slot's expression stands outside every quantifier: its own variables must not
    /// overwrite those of the rule (or slot) that is reading it, so they are bound above them.
    #[inline(never)]
    fn force(&mut self, index: usize) {
        let context = self.context;
        let local_base = std::mem::replace(&mut self.local_base, self.locals.len());
        let base = self.pending.len();
        let mut top = index;
        loop {
            match self.unset_read(top) {
                // Deeper than there are slots: a cycle, which the checker rules out; the
                // slots stay unset and read as missing.
                Some(_) if self.pending.len() - base >= self.slots.len() => break,
                Some(read) => {
                    self.pending.push(top);
                    top = read;
                }
                None => {
                    self.compute_slot(top, &mut []);
                    if self.pending.len() == base {
                        break;
                    }
                    top = self.pending.pop().unwrap_or(index);
                }
            }
        }
        self.pending.truncate(base);
        self.context = context;
        self.locals.truncate(self.local_base);
        self.local_base = local_base;
    }

    /// The first slot that `slot` reads and that is not computed yet.
    fn unset_read(&self, slot: usize) -> Option<usize> {
        let reads = self.slot_reads.get(slot).map_or(&[][..], Vec::as_slice);
        reads
            .iter()
            .map(|read| read.0 as usize)
            .find(|&read| self.is_unset(read))
    }

    fn is_unset(&self, slot: usize) -> bool {
        self.slots
            .get(slot)
            .is_some_and(|cell| cell.get().is_none())
    }

    /// A score's value (never renormalised: any missing component makes it missing) and, when
    /// explaining, the report of its components.
    fn score(&mut self, score: &'a ScoreDef) -> (Value, Vec<ComponentReport>) {
        let mut total = Ok(0.0);
        let mut reports = Vec::new();
        if EXPLAIN {
            reports.reserve_exact(score.components.len());
        }
        for component in &score.components {
            self.context = Context::Component(score, component);
            let number = match *self.eval(&component.expr) {
                Value::Number(n) => Some(n),
                Value::Missing(cause) => {
                    total = Err(self.union(total.err().unwrap_or(MissingCause::NONE), cause));
                    None
                }
                _ => None,
            };
            let contribution = number.map(|n| n * component.weight);
            if let (Ok(sum), Some(c)) = (&mut total, contribution) {
                *sum += c;
            }
            if EXPLAIN {
                reports.push(ComponentReport {
                    value: number,
                    contribution,
                });
            }
        }
        self.context = Context::Score(score);
        let value = match total {
            Ok(sum) => self.finite(sum, "arithmetic overflow"),
            Err(cause) => Value::Missing(cause),
        };
        (value, reports)
    }

    // ------------------------------------------------------------------ rules and decisions

    /// `not_applicable` when `when` is false, else whether the condition holds; `Err` carries
    /// the cause when it is missing.
    #[inline(always)]
    fn rule_outcome(&mut self, rule: &'a RuleDef) -> Result<Outcome, MissingCause> {
        self.context = Context::Rule(rule);
        if let Some(when) = &rule.when
            && !self.truth(when)?
        {
            return Ok(Outcome::NotApplicable);
        }
        Ok(if self.truth(&rule.condition)? {
            Outcome::Passed
        } else {
            Outcome::Failed
        })
    }

    /// LANGUAGE.md's decision by precedence, over the rules in decision order, reject rules
    /// first: a failed `reject` rule decides at once, then a missing outcome, then a failed
    /// `review` rule.
    fn decide(&mut self, program: &'a Program) -> Decision {
        let mut missing = false;
        let mut review = false;
        for &index in &program.decision_order {
            let Some(rule) = program.rules.get(index) else {
                continue;
            };
            let reject = rule.verdict == Verdict::Reject;
            // Past the reject rules, none of which failed.
            if missing && !reject {
                return Decision::Incomplete;
            }
            match self.rule_outcome(rule) {
                Ok(Outcome::Failed) if reject => return Decision::Reject,
                Ok(Outcome::Failed) => review |= rule.verdict == Verdict::Review,
                Err(_) if reject => missing = true,
                Err(_) => return Decision::Incomplete,
                Ok(_) => {}
            }
        }
        if missing {
            Decision::Incomplete
        } else if review {
            Decision::Review
        } else {
            Decision::Approve
        }
    }

    /// The report: every slot in dependency order (so that notes come in that order), then
    /// every rule in declaration order.
    fn run<'p: 'a>(&mut self, program: &'p Program) -> Report<'p> {
        let mut components: Vec<Vec<ComponentReport>> = vec![Vec::new(); program.scores.len()];
        for slot in &program.eval_order {
            let index = slot.0 as usize;
            if self.is_unset(index) {
                self.compute_slot(index, &mut components);
            }
        }

        let mut rules = Vec::with_capacity(program.rules.len());
        let mut missing: Vec<String> = Vec::new();
        for rule in &program.rules {
            let mut report = RuleReport {
                outcome: Outcome::Passed,
                verdict: None,
                message: None,
                missing: Vec::new(),
                evidence: Vec::new(),
            };
            match self.rule_outcome(rule) {
                Ok(Outcome::Failed) => {
                    report.outcome = Outcome::Failed;
                    report.verdict = Some(rule.verdict);
                    report.message = Some(self.render(&rule.message));
                    // The evidence runs quantifiers past the element that decided them: what
                    // it meets there (a division by zero) is not the outcome's note.
                    let notes = self.notes.len();
                    report.evidence = self.evidence(rule);
                    self.notes.truncate(notes);
                }
                Ok(outcome) => report.outcome = outcome,
                Err(cause) => {
                    report.outcome = Outcome::Missing;
                    report.missing = self.paths(cause);
                    missing.extend(report.missing.iter().cloned());
                }
            }
            rules.push(report);
        }

        let failed = |verdict| {
            rules
                .iter()
                .any(|r| r.outcome == Outcome::Failed && r.verdict == Some(verdict))
        };
        let decision = if failed(Verdict::Reject) {
            Decision::Reject
        } else if rules.iter().any(|r| r.outcome == Outcome::Missing) {
            Decision::Incomplete
        } else if failed(Verdict::Review) {
            Decision::Review
        } else {
            Decision::Approve
        };
        // Unstable: equal texts are indistinguishable, and the stable sort's code would be a
        // second copy in the browser module (BENCHMARKS.md).
        missing.sort_unstable();
        missing.dedup();

        let scores = components
            .into_iter()
            .enumerate()
            .map(|(i, components)| ScoreReport {
                value: match self
                    .slots
                    .get(program.lets.len() + i)
                    .and_then(OnceCell::get)
                {
                    Some(Value::Number(n)) => Some(*n),
                    _ => None,
                },
                components,
            })
            .collect();
        Report {
            program,
            // The date is known here; the reference data's digest is set by `evaluate`, which
            // has the data.
            as_of: self.today.unwrap_or(Date(0)),
            data_sha256: None,
            decision,
            rules,
            scores,
            // Filled from the slots by `evaluate`, which owns them.
            values: Vec::new(),
            missing,
            notes: std::mem::take(&mut self.notes),
            remedies: None,
        }
    }

    /// A rule's message; missing values render as `missing`.
    fn render(&mut self, parts: &'a [TemplatePart]) -> String {
        // Room for a typical message, so that it is not regrown piece by piece.
        let mut text = String::with_capacity(128);
        for part in parts {
            match part {
                TemplatePart::Text(t) => text.push_str(t),
                TemplatePart::Expr(e) => {
                    let value = self.eval(e);
                    let ty = self.type_of(e);
                    report::render_text(&mut text, &value, ty);
                }
            }
        }
        self.charge_text(text.len());
        text
    }

    /// The evidence of a failed rule (LANGUAGE.md §9.8): the input elements on which its
    /// quantifiers failed. The quantifiers are the operands of the chain of `and`s of a
    /// `require` (of `or`s of a `forbid`, whose condition is compiled as `not` of it) that
    /// range over an input path; each is run again over every element, as the first run
    /// stopped at the first that decided, and each element costs a step.
    fn evidence(&mut self, rule: &'a RuleDef) -> Vec<String> {
        let (chain, link) = match (rule.kind, &rule.condition) {
            (RuleKind::Require, condition) => (condition, BinOp::And),
            (RuleKind::Forbid, Expr::Not(written)) => (&**written, BinOp::Or),
            // A `forbid` of a comparison, lowered to its opposite: no quantifier.
            (RuleKind::Forbid, _) => return Vec::new(),
        };
        let mut evidence = Vec::new();
        let mut seen = HashSet::new();
        // The operands left to right, without recursion: a chain nests as deep as it is long.
        let mut operands = vec![chain];
        while let Some(operand) = operands.pop() {
            let Expr::Quantifier {
                kind,
                depth,
                list,
                body,
            } = operand
            else {
                if let Expr::Binary(op, left, right) = operand
                    && *op == link
                {
                    operands.extend([&**right, &**left]);
                }
                continue;
            };
            // The truth of the body that makes an element evidence.
            let failing = match (rule.kind, kind) {
                (RuleKind::Require, QuantifierKind::All) => false,
                (RuleKind::Require, QuantifierKind::None)
                | (RuleKind::Forbid, QuantifierKind::Any) => true,
                _ => continue,
            };
            let mut path = String::new();
            if !self.write_place(list, Scope::OUTSIDE, &mut path) {
                continue;
            }
            let Ok(items) = Elements::of(self.eval(list)) else {
                continue;
            };
            let (len, depth) = (items.len(), *depth as usize);
            self.bind(depth, list, items);
            for index in 0..len {
                if !self.charge(1, Construct::Quantifier(*kind)) {
                    return evidence;
                }
                self.bind_index(depth, index);
                if self.truth(body) == Ok(failing) {
                    let element = format!("{path}[{index}]");
                    if seen.insert(element.clone()) {
                        evidence.push(element);
                    }
                }
            }
        }
        evidence
    }

    // ------------------------------------------------------------------ expressions

    /// Records that branch `id` was taken, when explaining for coverage: a decision compiles
    /// this away, and a report without coverage compares with an empty slice's length.
    #[inline(always)]
    fn reach(&mut self, id: usize) {
        if EXPLAIN && let Some(reached) = self.reached.get_mut(id) {
            *reached = true;
        }
    }

    /// The value of `expr`, borrowed when it is a place in something that outlives the
    /// evaluation (the input, a slot, a constant, a table) so that reading costs no clone.
    ///
    /// In line where it is called: constants and places, which most expressions read, are
    /// then borrowed without a call, and the caller sees that there is nothing to drop.
    #[inline(always)]
    fn eval(&mut self, expr: &'a Expr) -> Cow<'a, Value> {
        match expr {
            Expr::Const(value) => Cow::Borrowed(value),
            Expr::Place(place) => self.place(place),
            _ => self.eval_computed(expr),
        }
    }

    /// `eval` of what is neither a constant nor a place.
    #[inline(never)]
    fn eval_computed(&mut self, expr: &'a Expr) -> Cow<'a, Value> {
        match expr {
            Expr::Const(value) => Cow::Borrowed(value),
            Expr::Place(place) => self.place(place),
            Expr::Today => Cow::Owned(self.today.map_or(Value::MISSING, Value::Date)),
            Expr::ShiftedToday {
                duration,
                sign,
                memo,
            } => {
                let shifted = self.today.and_then(|today| {
                    let shifted = memo.shift(today, *duration, *sign);
                    if shifted.is_none() {
                        self.note("date out of range");
                    }
                    shifted
                });
                Cow::Owned(shifted.map_or(Value::MISSING, Value::Date))
            }
            Expr::Field { base, index, .. } => self.field_of_value(base, *index as usize, expr),
            Expr::Lookup { table, key } => {
                let key = self.eval(key);
                self.lookup(table.0 as usize, &key)
            }
            Expr::Neg(operand) => Cow::Owned(match &*self.eval(operand) {
                Value::Number(n) => Value::Number(-n),
                other => Value::Missing(cause_of(other)),
            }),
            Expr::Binary(BinOp::ListConcat, left, right) => Cow::Owned(self.concat(left, right)),
            Expr::Binary(op, left, right) if !op.is_condition() => {
                Cow::Owned(self.arithmetic(*op, left, right))
            }
            Expr::Element { list, index } => self.element(expr, list, index),
            Expr::Duration { count, unit } => Cow::Owned(self.duration(count, *unit)),
            Expr::Coalesce(left, right) => match self.eval(left) {
                value if value.is_missing() => self.eval(right),
                value => value,
            },
            Expr::Call(builtin, args) => Cow::Owned(self.call(builtin, args)),
            Expr::CallFunction(function, args) => self.call_function(function.0 as usize, args),
            Expr::List(_)
            | Expr::Choose { .. }
            | Expr::Comprehension { .. }
            | Expr::Template(_) => self.eval_compound(expr),
            // Conditions.
            Expr::Binary(..)
            | Expr::Not(_)
            | Expr::Quantifier { .. }
            | Expr::IsMissing(_)
            | Expr::IsPresent(_)
            | Expr::InTexts { .. }
            | Expr::ContainsTexts { .. }
            | Expr::Matches(..) => Cow::Owned(match self.truth(expr) {
                Ok(b) => Value::Bool(b),
                Err(cause) => Value::Missing(cause),
            }),
        }
    }

    /// A condition's value, computed without building a `Value` where the expression is a
    /// condition itself.
    ///
    /// In line where a condition is asked for: most are comparisons, memberships and places,
    /// and evaluating those there saves a call each. `and`, `or`, `not` and quantifiers go out
    /// of line, which also ends the inlining of this function into itself.
    #[inline(always)]
    fn truth(&mut self, expr: &'a Expr) -> Truth {
        // Operands that are places or constants are read by reference; the others, which
        // hold computed values, are left to `computed_truth`, out of line.
        match expr {
            Expr::Binary(op @ (BinOp::And | BinOp::Or), left, right) => {
                self.logic(*op == BinOp::Or, left, right)
            }
            Expr::Binary(op, left, right) if op.is_condition() => {
                let construct = operand_construct(*op);
                match self.operand_ref(left, construct) {
                    Some(l) => match self.operand_ref(right, construct) {
                        Some(r) => self.compare(*op, l, r),
                        None => self.compare_computed(*op, Some(l), left, right),
                    },
                    None => self.compare_computed(*op, None, left, right),
                }
            }
            Expr::Not(operand) => self.negation(operand),
            Expr::Quantifier {
                kind,
                depth,
                list,
                body,
            } => self.quantifier(*kind, *depth as usize, list, body),
            Expr::InTexts {
                negated,
                operand,
                texts,
            } => match self.operand_ref(operand, Construct::Membership) {
                Some(x) => self.in_texts(x, texts).map(|b| b != *negated),
                None => self.computed_truth(expr),
            },
            Expr::ContainsTexts {
                negated,
                all,
                list,
                texts,
            } => match self.operand_ref(list, Construct::Membership) {
                Some(list) => self
                    .contains_texts(list, *all, texts)
                    .map(|b| b != *negated),
                None => self.computed_truth(expr),
            },
            Expr::Place(place) => match self.read_place(place) {
                Ok(value) => truth_of(value),
                Err(_) => self.computed_truth(expr),
            },
            _ => self.computed_truth(expr),
        }
    }

    /// `truth` of a condition whose operands are computed, or are places that cannot be read
    /// by reference.
    #[inline(never)]
    fn computed_truth(&mut self, expr: &'a Expr) -> Truth {
        match expr {
            Expr::InTexts {
                negated,
                operand,
                texts,
            } => {
                let x = self.operand(operand, Construct::Membership);
                self.in_texts(&x, texts).map(|b| b != *negated)
            }
            Expr::ContainsTexts {
                negated,
                all,
                list,
                texts,
            } => {
                let list = self.operand(list, Construct::Membership);
                self.contains_texts(&list, *all, texts)
                    .map(|b| b != *negated)
            }
            // The truth of the value `eval` would give. The right operand is most often a
            // constant default (`sanctioned[c] ?? false`), which `eval` reads in line where
            // `truth` would call this function again.
            Expr::Coalesce(left, right) => match self.eval(left) {
                value if value.is_missing() => truth_of(&self.eval(right)),
                value => truth_of(&value),
            },
            Expr::IsMissing(operand) => Ok(self.eval(operand).is_missing()),
            Expr::IsPresent(operand) => Ok(!self.eval(operand).is_missing()),
            // Linear in the text, so it costs what comparing the text would.
            Expr::Matches(text, pattern) => match &*self.eval(text) {
                Value::Text(text) => Ok(self.charge_text(text.len()) && pattern.0.is_match(text)),
                other => Err(cause_of(other)),
            },
            _ => truth_of(&self.eval(expr)),
        }
    }

    /// A comparison of which an operand is computed; `left` is the left operand when it was
    /// read (and charged) already.
    #[inline(never)]
    fn compare_computed(
        &mut self,
        op: BinOp,
        left: Option<&'a Value>,
        left_expr: &'a Expr,
        right: &'a Expr,
    ) -> Truth {
        let construct = operand_construct(op);
        let left = match left {
            Some(left) => Cow::Borrowed(left),
            None => self.operand(left_expr, construct),
        };
        let right = self.operand(right, construct);
        self.compare(op, &left, &right)
    }

    /// `not operand`.
    #[inline(never)]
    fn negation(&mut self, operand: &'a Expr) -> Truth {
        self.truth(operand).map(|b| !b)
    }

    /// `and` (`or` false) or `or` in Kleene logic, left to right: a decisive left operand
    /// decides and the right one is not evaluated; otherwise a missing one makes it missing,
    /// with the causes of both.
    #[inline(never)]
    fn logic(&mut self, or: bool, left: &'a Expr, right: &'a Expr) -> Truth {
        let mut cause = None;
        // A loop, so that `truth` is in line once: twice, its registers spilled around both.
        for operand in [left, right] {
            match self.truth(operand) {
                Ok(b) if b == or => return Ok(b),
                Ok(_) => {}
                Err(c) => cause = Some(cause.map_or(c, |a| self.union(a, c))),
            }
        }
        cause.map_or(Ok(!or), Err)
    }

    /// Reads a place. In line: it is most of what conditions read.
    #[inline(always)]
    fn place(&mut self, place: &'a Place) -> Cow<'a, Value> {
        match self.read_place(place) {
            Ok(value) => Cow::Borrowed(value),
            Err(unread) => self.unread_place(place, unread),
        }
    }

    /// A place by reference: the root, then each field.
    #[inline(always)]
    fn read_place(&mut self, place: &'a Place) -> Result<&'a Value, Unread> {
        let root: &'a Value = match place.root {
            Root::Input => self.input,
            Root::Slot(slot) => self.slot(slot),
            Root::Local(depth) => match self.local(depth) {
                Some(Frame {
                    elements: Elements::Borrowed(items),
                    index,
                    ..
                }) => match items.get(*index) {
                    Some(value) if !is_absent(value) => value,
                    _ => return Err(Unread::Absent(0)),
                },
                Some(_) => return Err(Unread::Owned),
                None => &MISSING,
            },
            Root::Param(index) => self.argument(index as usize)?,
        };
        walk(root, &place.fields).map_err(Unread::Absent)
    }

    /// A place that could not be read by reference: missing for its path, or a field of an
    /// element of a computed list, cloned.
    #[cold]
    fn unread_place(&mut self, place: &'a Place, unread: Unread) -> Cow<'a, Value> {
        let depth = match (unread, place.root) {
            (Unread::Absent(fields), _) => return Cow::Owned(self.absent(place, fields)),
            (Unread::Owned, Root::Local(depth)) => depth,
            (Unread::Owned, Root::Param(index)) => {
                let read = (self.call.and_then(|call| self.calls.get(call)))
                    .and_then(|call| call.values.get(index as usize)?.as_deref())
                    .map(|value| walk(value, &place.fields).cloned());
                return Cow::Owned(match read {
                    Some(Ok(value)) => value,
                    Some(Err(fields)) => self.absent(place, fields),
                    None => Value::MISSING,
                });
            }
            (Unread::Owned, _) => return Cow::Borrowed(&MISSING),
        };
        let Some(frame) = self.local(depth) else {
            return Cow::Borrowed(&MISSING);
        };
        match walk(frame.elements.get(frame.index), &place.fields) {
            Ok(value) => Cow::Owned(value.clone()),
            Err(fields) => Cow::Owned(self.absent(place, fields)),
        }
    }

    /// A field of a record that is no place (a table row, a computed value).
    #[inline(never)]
    fn field_of_value(&mut self, base: &'a Expr, index: usize, expr: &'a Expr) -> Cow<'a, Value> {
        fn field(value: &Value, index: usize) -> Result<&Value, ()> {
            match value {
                Value::Record(fields) => fields.get(index).filter(|v| !is_absent(v)).ok_or(()),
                Value::Missing(_) => Ok(value),
                _ => Ok(&MISSING),
            }
        }
        match self.eval(base) {
            Cow::Borrowed(value) => match field(value, index) {
                Ok(value) => Cow::Borrowed(value),
                Err(()) => Cow::Owned(self.place_cause(expr)),
            },
            Cow::Owned(value) => match field(&value, index) {
                Ok(value) => Cow::Owned(value.clone()),
                Err(()) => Cow::Owned(self.place_cause(expr)),
            },
        }
    }

    /// The expressions that build values, out of line so that `eval`, which recurses for
    /// every place and operator, keeps a small frame.
    #[inline(never)]
    fn eval_compound(&mut self, expr: &'a Expr) -> Cow<'a, Value> {
        match expr {
            Expr::List(items) => {
                let items: Vec<Value> = items.iter().map(|i| self.eval(i).into_owned()).collect();
                Cow::Owned(Value::List(items.into()))
            }
            Expr::Choose {
                arms,
                otherwise,
                branch,
            } => {
                let mut taken = branch.0 as usize;
                for (condition, value) in arms {
                    match self.truth(condition) {
                        Ok(true) => {
                            self.reach(taken);
                            return self.eval(value);
                        }
                        Ok(false) => taken += 1,
                        Err(cause) => return Cow::Owned(Value::Missing(cause)),
                    }
                }
                self.reach(taken);
                self.eval(otherwise)
            }
            Expr::Comprehension { clauses, element } => {
                Cow::Owned(self.comprehension(clauses, element))
            }
            Expr::Template(parts) => {
                let mut cause = None;
                let mut text = String::new();
                for part in parts {
                    match part {
                        TemplatePart::Text(t) => text.push_str(t),
                        TemplatePart::Expr(e) => {
                            let value = self.eval(e);
                            if let Value::Missing(c) = *value {
                                cause = Some(self.union(cause.unwrap_or(c), c));
                            } else {
                                let ty = self.type_of(e);
                                report::render_text(&mut text, &value, ty);
                            }
                        }
                    }
                }
                self.charge_text(text.len());
                Cow::Owned(match cause {
                    Some(cause) => Value::Missing(cause),
                    None => Value::Text(text.into()),
                })
            }
            // `eval` answers the others itself.
            _ => Cow::Borrowed(&MISSING),
        }
    }

    /// What `operand` gives for a constant or a present place, by reference, with its
    /// elements charged; `None`, with nothing charged, for anything else.
    #[inline(always)]
    fn operand_ref(&mut self, expr: &'a Expr, construct: Construct) -> Option<&'a Value> {
        let value = match expr {
            Expr::Const(value) => return Some(value),
            Expr::Place(place) => self.read_place(place).ok()?,
            _ => return None,
        };
        let Value::List(items) = value else {
            return Some(value);
        };
        // Absent elements get their paths in `operand`.
        if EXPLAIN && items.iter().any(is_absent) {
            return None;
        }
        Some(if self.charge(items.len(), construct) {
            value
        } else {
            &MISSING
        })
    }

    /// An operand of an operator that reads its elements: a list costs a step per element
    /// (constants are charged as the operator visits them), and absent elements of an input
    /// list get their paths (`supplier.scores[1]`) when explaining.
    ///
    /// In line natively: for the comparisons with a computed operand (`count(list) > 0`,
    /// `date >= today - 12 months`) the call cost more than what it does (`decide` −1.2 %
    /// instructions). Not in WebAssembly, where its seven copies cost the browser module
    /// 750 bytes gzipped.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn operand(&mut self, expr: &'a Expr, construct: Construct) -> Cow<'a, Value> {
        let value = match expr {
            Expr::Const(value) => return Cow::Borrowed(value),
            _ => self.eval(expr),
        };
        let Value::List(items) = &*value else {
            return value;
        };
        if !self.charge(items.len(), construct) {
            return Cow::Borrowed(&MISSING);
        }
        if !EXPLAIN || !items.iter().any(is_absent) {
            return value;
        }
        let items = items.clone();
        self.with_element_paths(expr, value, &items)
    }

    /// `items` with each absent element missing for its path (`supplier.scores[1]`).
    #[cold]
    fn with_element_paths(
        &mut self,
        expr: &'a Expr,
        list: Cow<'a, Value>,
        items: &[Value],
    ) -> Cow<'a, Value> {
        let mut place = String::new();
        if !self.write_place(expr, self.scope(), &mut place) {
            return list;
        }
        let items: Vec<Value> = items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Missing(MissingCause::NONE) => {
                    let path = format!("{place}[{i}]");
                    Value::Missing(self.cause(Cause::Path(path.into())))
                }
                item => item.clone(),
            })
            .collect();
        Cow::Owned(Value::List(items.into()))
    }

    /// A table's row. In line in `eval_computed`, its one caller: most records look a
    /// country up twice, and the call cost about 8 instructions of each.
    #[inline(always)]
    fn lookup(&mut self, table: usize, key: &Value) -> Cow<'a, Value> {
        if let Value::Missing(cause) = key {
            return Cow::Owned(Value::Missing(*cause));
        }
        if let Value::Text(t) = key {
            self.charge_text(t.len());
        }
        let (tables, data) = (self.tables, self.data);
        let Some(def) = tables.get(table) else {
            return Cow::Borrowed(&MISSING);
        };
        // The policy's own rows, or the reference data's.
        let entries = (def.entries.as_ref()).or_else(|| data.get(table).and_then(|d| d.as_deref()));
        match entries.and_then(|entries| entries.get_value(key)) {
            Some(value) if !value.is_missing() => Cow::Borrowed(value),
            _ if !EXPLAIN => Cow::Borrowed(&MISSING),
            _ => Cow::Owned(Value::Missing(self.cause(Cause::Entry(table, key.clone())))),
        }
    }

    // ------------------------------------------------------------------ operators

    /// Equality, membership, containment or comparison of two operand values.
    #[inline(always)]
    fn compare(&mut self, op: BinOp, left: &Value, right: &Value) -> Truth {
        match op {
            BinOp::Eq => self.equal(left, right),
            BinOp::Ne => self.equal(left, right).map(|b| !b),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                self.present(left, right)?;
                let order = left.compare(right).ok_or(MissingCause::NONE)?;
                Ok(match op {
                    BinOp::Lt => order.is_lt(),
                    BinOp::Le => order.is_le(),
                    BinOp::Gt => order.is_gt(),
                    _ => order.is_ge(),
                })
            }
            _ => self.containment(op, left, right),
        }
    }

    /// Membership and containment, out of line: the loops would weigh on every comparison.
    #[inline(never)]
    fn containment(&mut self, op: BinOp, left: &Value, right: &Value) -> Truth {
        match op {
            BinOp::In => self.member(left, right),
            BinOp::NotIn => self.member(left, right).map(|b| !b),
            BinOp::ListContains => self.member(right, left),
            BinOp::ListContainsAny | BinOp::ListContainsAll => {
                let all = op == BinOp::ListContainsAll;
                self.each(left, right, all, |this, l, m| this.member(m, l))
            }
            BinOp::TextContainsAny | BinOp::TextContainsAll => {
                let all = op == BinOp::TextContainsAll;
                self.each(left, right, all, |this, t, s| {
                    let (t, s) = this.texts(t, s)?;
                    this.charge_text(t.len());
                    Ok(t.contains(s))
                })
            }
            _ => {
                self.present(left, right)?;
                match (op, left, right) {
                    (BinOp::TextContains, Value::Text(t), Value::Text(s)) => Ok(t.contains(&**s)),
                    _ => Err(MissingCause::NONE),
                }
            }
        }
    }

    /// Structural equality; a missing part anywhere in either side makes it unknown.
    #[inline(always)]
    fn equal(&mut self, left: &Value, right: &Value) -> Truth {
        if is_scalar(left) && is_scalar(right) {
            if let (Value::Text(a), Value::Text(b)) = (left, right) {
                // Texts of different lengths differ at once.
                if a.len() != b.len() {
                    return Ok(false);
                }
                self.charge_text(a.len());
                return Ok(a == b);
            }
            return Ok(left.equal(right));
        }
        self.equal_parts(left, right)
    }

    /// `equal` of values with parts, which may hide missing ones.
    #[inline(never)]
    fn equal_parts(&mut self, left: &Value, right: &Value) -> Truth {
        let mut cause = None;
        self.collect_missing(left, &mut cause);
        self.collect_missing(right, &mut cause);
        match cause {
            Some(cause) => Err(cause),
            None => Ok(left.equal(right)),
        }
    }

    fn collect_missing(&mut self, value: &Value, cause: &mut Option<MissingCause>) {
        match value {
            Value::Missing(c) => *cause = Some(self.union(cause.unwrap_or(*c), *c)),
            Value::List(items) | Value::Record(items) => {
                for item in items.iter() {
                    if !self.charge(1, Construct::Equality) {
                        return;
                    }
                    self.collect_missing(item, cause);
                }
            }
            _ => {}
        }
    }

    /// `x in list`: Kleene "any element equals x".
    fn member(&mut self, x: &Value, list: &Value) -> Truth {
        match list {
            Value::List(items) if !x.is_missing() => {
                self.kleene(items.iter(), false, Construct::Membership, |this, item| {
                    this.equal(item, x)
                })
            }
            _ => Err(self.union(cause_of(x), cause_of(list))),
        }
    }

    /// `member` of constant texts, comparing only the texts of `x`'s length, with the steps
    /// of its loop (one per text visited) charged at once.
    fn in_texts(&mut self, x: &Value, texts: &'a TextSet) -> Truth {
        let Value::Text(text) = x else {
            return self.member(x, &texts.list);
        };
        let found = texts.position(text);
        if !self.charge(found.map_or(texts.len(), |i| i + 1), Construct::Membership) {
            return Err(MissingCause::NONE);
        }
        Ok(found.is_some())
    }

    /// `list contains_any texts` (`contains_all` when `all`) on constant texts: `each` over the
    /// texts of "the list holds the text", with the steps of both loops charged at once. A list
    /// with an element that is no text (a missing one) goes the general way.
    fn contains_texts(&mut self, list: &Value, all: bool, texts: &'a TextSet) -> Truth {
        let Value::List(items) = list else {
            return Err(cause_of(list));
        };
        let found = match all {
            false => contains_any(items, texts),
            true => contains_all(items, texts),
        };
        let Some((holds, steps)) = found else {
            return self.each(list, &texts.list, all, |this, l, m| this.member(m, l));
        };
        if !self.charge(steps, Construct::Membership) {
            return Err(MissingCause::NONE);
        }
        Ok(holds)
    }

    /// Kleene any (or all) of `test(container, m)` over the list `members`.
    fn each(
        &mut self,
        container: &Value,
        members: &Value,
        all: bool,
        mut test: impl FnMut(&mut Self, &Value, &Value) -> Truth,
    ) -> Truth {
        let Value::List(items) = members else {
            return Err(self.union(cause_of(container), cause_of(members)));
        };
        if let Value::Missing(cause) = container {
            return Err(*cause);
        }
        self.kleene(items.iter(), all, Construct::Membership, |this, m| {
            test(this, container, m)
        })
    }

    /// Kleene `all` (when `all`) or `any` over the truths of `items`: the first decisive truth
    /// wins; otherwise any missing makes it missing, with the causes of all missing items.
    fn kleene<T>(
        &mut self,
        items: impl Iterator<Item = T>,
        all: bool,
        construct: Construct,
        mut test: impl FnMut(&mut Self, T) -> Truth,
    ) -> Truth {
        let mut cause = None;
        for item in items {
            if !self.charge(1, construct) {
                return Err(MissingCause::NONE);
            }
            match test(self, item) {
                Ok(b) if b != all => return Ok(b),
                Ok(_) => {}
                Err(c) => cause = Some(self.union(cause.unwrap_or(c), c)),
            }
        }
        cause.map_or(Ok(all), Err)
    }

    /// The variable `Root::Local(depth)`.
    #[inline(always)]
    fn local(&self, depth: u32) -> Option<&Frame<'a>> {
        self.locals.get(self.local_base + depth as usize)
    }

    /// Binds `Root::Local(depth)` to the elements of `list`, at its first element; a loop
    /// then moves it on with `bind_index`.
    fn bind(&mut self, depth: usize, list: &'a Expr, elements: Elements<'a>) {
        let frame = Frame {
            elements,
            list,
            index: 0,
        };
        match self.locals.get_mut(self.local_base + depth) {
            Some(bound) => *bound = frame,
            None => self.bind_first(depth, frame),
        }
    }

    /// `bind` at a depth bound for the first time in this evaluation.
    #[cold]
    fn bind_first(&mut self, depth: usize, frame: Frame<'a>) {
        while self.locals.len() < self.local_base + depth {
            self.locals.push(Frame {
                elements: Elements::Borrowed(&[]),
                list: frame.list,
                index: 0,
            });
        }
        self.locals.push(frame);
    }

    /// Binds `Root::Local(depth)` to element `index` of the list `bind` bound it to.
    #[inline(always)]
    fn bind_index(&mut self, depth: usize, index: usize) {
        if let Some(frame) = self.locals.get_mut(self.local_base + depth) {
            frame.index = index;
        }
    }

    #[inline(never)]
    fn quantifier(
        &mut self,
        kind: QuantifierKind,
        depth: usize,
        list: &'a Expr,
        body: &'a Expr,
    ) -> Truth {
        let items = Elements::of(self.eval(list))?;
        let all = kind == QuantifierKind::All;
        let construct = Construct::Quantifier(kind);
        let len = items.len();
        self.bind(depth, list, items);
        let any = self.kleene(0..len, all, construct, |this, i| {
            this.bind_index(depth, i);
            this.truth(body)
        });
        if kind == QuantifierKind::None {
            any.map(|b| !b)
        } else {
            any
        }
    }

    /// `[element for ... in ... if ...]`: missing as a whole when a list, a filter or an
    /// element is missing, with the causes of all of them.
    #[inline(never)]
    fn comprehension(&mut self, clauses: &'a [Clause], element: &'a Expr) -> Value {
        let mut out = Vec::new();
        let mut cause = None;
        if !self.clauses(clauses, element, &mut out, &mut cause) {
            return Value::MISSING;
        }
        match cause {
            Some(cause) => Value::Missing(cause),
            None => Value::List(out.into()),
        }
    }

    /// Runs the first of `clauses` and, for each element it keeps, the rest of them; once
    /// every clause is bound, adds `element` to `out` (or its cause to `cause`). `false` when
    /// the budget ran out. Recursion is as deep as there are clauses, which the parser counts
    /// as nesting.
    fn clauses(
        &mut self,
        clauses: &'a [Clause],
        element: &'a Expr,
        out: &mut Vec<Value>,
        cause: &mut Option<MissingCause>,
    ) -> bool {
        let Some((clause, rest)) = clauses.split_first() else {
            let value = self.eval(element);
            match *value {
                Value::Missing(c) => *cause = Some(self.union(cause.unwrap_or(c), c)),
                _ if cause.is_none() => out.push(value.into_owned()),
                _ => {}
            }
            return true;
        };
        let items = match Elements::of(self.eval(&clause.list)) {
            Ok(items) => items,
            Err(c) => {
                *cause = Some(self.union(cause.unwrap_or(c), c));
                return true;
            }
        };
        let depth = clause.depth as usize;
        let len = items.len();
        self.bind(depth, &clause.list, items);
        for i in 0..len {
            if !self.charge(1, Construct::Comprehension) {
                return false;
            }
            self.bind_index(depth, i);
            let keep = match &clause.filter {
                Some(filter) => self.truth(filter),
                None => Ok(true),
            };
            match keep {
                Ok(false) => {}
                Ok(true) => {
                    if !self.clauses(rest, element, out, cause) {
                        return false;
                    }
                }
                Err(c) => *cause = Some(self.union(cause.unwrap_or(c), c)),
            }
        }
        true
    }

    /// `list[index]`, by reference when the list is read by reference. Out of range it is
    /// missing for the element's path (when the list is an input list); a negative or
    /// fractional index is missing with a note.
    #[inline(never)]
    fn element(&mut self, expr: &'a Expr, list: &'a Expr, index: &'a Expr) -> Cow<'a, Value> {
        let list = self.eval(list);
        let index = self.eval(index);
        let position = match (&*list, &*index) {
            (Value::List(_), Value::Number(n)) => *n,
            (list, index) => return Cow::Owned(Value::Missing(self.union_of(list, index))),
        };
        if position < 0.0 || position.fract() != 0.0 {
            self.note("a list index is negative or not a whole number");
            return Cow::Borrowed(&MISSING);
        }
        // Saturates: an index past `usize` is out of range like any other.
        let position = position as usize;
        if EXPLAIN {
            match self
                .element_reads
                .iter_mut()
                .find(|(read, _)| std::ptr::eq(*read, expr))
            {
                Some((_, last)) => *last = position,
                None => self.element_reads.push((expr, position)),
            }
        }
        let found = match list {
            Cow::Borrowed(Value::List(items)) => items.get(position).map(Cow::Borrowed),
            Cow::Owned(Value::List(items)) => items.get(position).cloned().map(Cow::Owned),
            _ => None,
        };
        match found {
            Some(value) if !is_absent(&value) => value,
            _ => Cow::Owned(self.place_cause(expr)),
        }
    }

    /// `(count) unit`: missing with a note when the count is not whole.
    #[inline(never)]
    fn duration(&mut self, count: &'a Expr, unit: Duration) -> Value {
        let count = match *self.eval(count) {
            Value::Number(n) => n,
            ref other => return Value::Missing(cause_of(other)),
        };
        if count.fract() != 0.0 {
            self.note("the count of a duration is not a whole number");
            return Value::MISSING;
        }
        // Saturates: a date shifted that far leaves the calendar, which `DatePlus` notes.
        Value::Duration(unit.times(count as i64))
    }

    /// `list + list`: a step per element copied.
    #[inline(never)]
    fn concat(&mut self, left_expr: &'a Expr, right_expr: &'a Expr) -> Value {
        let left = self.operand(left_expr, Construct::Concatenation);
        let right = self.operand(right_expr, Construct::Concatenation);
        let (Value::List(a), Value::List(b)) = (&*left, &*right) else {
            return Value::Missing(self.union_of(&left, &right));
        };
        // `operand` leaves constants to the operator, which copies them like the others.
        let constants = [(left_expr, a.len()), (right_expr, b.len())]
            .iter()
            .filter(|(expr, _)| matches!(expr, Expr::Const(_)))
            .map(|(_, len)| len)
            .sum();
        if !self.charge(constants, Construct::Concatenation) {
            return Value::MISSING;
        }
        Value::List(a.iter().chain(b.iter()).cloned().collect())
    }

    /// A built-in function: missing when an argument is, or holds a missing element; its
    /// list arguments and the list it builds cost a step per element, its first text argument
    /// and the text it builds a step per [`TEXT_STEP_BYTES`].
    #[inline(never)]
    fn call(&mut self, builtin: &'static Builtin, args: &'a [Expr]) -> Value {
        let construct = Construct::Builtin(builtin);
        // An array, not a growable vector: a call has one or two arguments, and building a
        // vector of them cost as much as the rest of the call.
        let mut values = [const { Cow::Borrowed(&MISSING) }; MAX_PARAMS];
        // The checker gives a call as many arguments as its built-in has parameters.
        let Some(values) = values.get_mut(..args.len()) else {
            return Value::MISSING;
        };
        for (value, arg) in values.iter_mut().zip(args) {
            *value = match self.operand_ref(arg, construct) {
                Some(value) => Cow::Borrowed(value),
                None => self.operand(arg, construct),
            };
        }
        let mut cause = None;
        for value in values.iter() {
            let parts = match &**value {
                Value::List(items) => &items[..],
                other => std::slice::from_ref(other),
            };
            for part in parts {
                if let Value::Missing(c) = part {
                    cause = Some(self.union(cause.unwrap_or(*c), *c));
                }
            }
        }
        if let Some(cause) = cause {
            return Value::Missing(cause);
        }
        if let Some(Value::Text(t)) = values.first().map(|value| &**value) {
            self.charge_text(t.len());
        }
        let args: [&Value; MAX_PARAMS] =
            std::array::from_fn(|i| values.get(i).map_or(&MISSING, |value| &**value));
        match (builtin.run)(&args[..values.len()]) {
            Ok(Value::Number(n)) => self.finite(n, "arithmetic overflow"),
            // A list it builds costs a step per element; one that holds a missing element
            // (`flatten` of lists with one) is missing.
            Ok(Value::List(items)) => {
                self.charge(items.len(), construct);
                let mut cause = None;
                for item in items.iter() {
                    if let Value::Missing(c) = item {
                        cause = Some(self.union(cause.unwrap_or(*c), *c));
                    }
                }
                cause.map_or(Value::List(items), Value::Missing)
            }
            // A text it builds as well as the one it reads (`replace` may grow it).
            Ok(Value::Text(text)) => {
                self.charge_text(text.len());
                Value::Text(text)
            }
            Ok(value) => value,
            Err(problem) => {
                self.note(problem);
                Value::MISSING
            }
        }
    }

    /// A call of a function of the policy: its body, in a scope of its own (its variables
    /// bound above the caller's), with the arguments evaluated when it reads them. A call
    /// costs a step, so that calls of calls cannot multiply the work unbounded.
    #[inline(never)]
    fn call_function(&mut self, function: usize, args: &'a [Expr]) -> Cow<'a, Value> {
        let functions = self.functions;
        let Some(def) = functions.get(function) else {
            return Cow::Borrowed(&MISSING);
        };
        if !self.charge(1, Construct::Function) {
            return Cow::Borrowed(&MISSING);
        }
        let base = self.locals.len();
        self.calls.push(Call {
            args,
            params: &def.params,
            values: args.iter().map(|_| None).collect(),
            caller: self.scope(),
            base,
        });
        let caller = self.enter(Scope {
            base,
            call: Some(self.calls.len() - 1),
        });
        let value = self.eval(&def.body);
        self.locals.truncate(base);
        self.enter(caller);
        self.calls.pop();
        value
    }

    /// Parameter `index` of the call being evaluated, by reference (`Unread::Owned` when its
    /// value was computed): its argument is evaluated on first read, in the caller's scope.
    fn argument(&mut self, index: usize) -> Result<&'a Value, Unread> {
        let Some(call) = self.call.and_then(|call| self.calls.get(call)) else {
            return Ok(&MISSING);
        };
        match call.values.get(index) {
            Some(Some(Cow::Borrowed(value))) => return Ok(value),
            Some(Some(Cow::Owned(_))) => return Err(Unread::Owned),
            Some(None) => {}
            None => return Ok(&MISSING),
        }
        let Some(arg) = call.args.get(index) else {
            return Ok(&MISSING);
        };
        let (caller, body_base) = (call.caller, call.base);
        // The caller's variables, copied to the top of the stack: the argument's own
        // variables then bind above those of the body, which is still being evaluated.
        let top = self.locals.len();
        for position in caller.base..body_base {
            if let Some(frame) = self.locals.get(position).cloned() {
                self.locals.push(frame);
            }
        }
        let scope = self.enter(Scope {
            base: top,
            call: caller.call,
        });
        let value = self.eval(arg);
        self.locals.truncate(top);
        self.enter(scope);
        let read = match &value {
            Cow::Borrowed(value) => Ok(*value),
            Cow::Owned(_) => Err(Unread::Owned),
        };
        if let Some(slot) = (self.call.and_then(|call| self.calls.get_mut(call)))
            .and_then(|call| call.values.get_mut(index))
        {
            *slot = Some(value);
        }
        read
    }

    /// Where names are read now.
    fn scope(&self) -> Scope {
        Scope {
            base: self.local_base,
            call: self.call,
        }
    }

    /// Reads names in `scope` from now on; returns the scope it leaves.
    fn enter(&mut self, scope: Scope) -> Scope {
        let left = self.scope();
        self.local_base = scope.base;
        self.call = scope.call;
        left
    }

    /// An operator whose value is a number, a text or a date.
    #[inline(never)]
    fn arithmetic(&mut self, op: BinOp, left: &'a Expr, right: &'a Expr) -> Value {
        let left = self.eval(left);
        let right = self.eval(right);
        if let Err(cause) = self.present(&left, &right) {
            return Value::Missing(cause);
        }
        match (op, &*left, &*right) {
            (BinOp::Concat, Value::Text(a), Value::Text(b)) => {
                let mut text = String::with_capacity(a.len() + b.len());
                text.push_str(a);
                text.push_str(b);
                Value::Text(text.into())
            }
            (BinOp::DatePlus | BinOp::DateMinus, Value::Date(d), Value::Duration(span)) => {
                let sign = if op == BinOp::DatePlus { 1 } else { -1 };
                match d.shift(*span, sign) {
                    Some(date) => Value::Date(date),
                    None => {
                        self.note("date out of range");
                        Value::MISSING
                    }
                }
            }
            (BinOp::Div | BinOp::Rem, Value::Number(_), Value::Number(b)) if *b == 0.0 => {
                self.note(if op == BinOp::Div {
                    "division by zero"
                } else {
                    "remainder of division by zero"
                });
                Value::MISSING
            }
            (_, Value::Number(a), Value::Number(b)) => {
                let n = match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Rem => a % b,
                    _ => return Value::MISSING,
                };
                self.finite(n, "arithmetic overflow")
            }
            _ => Value::MISSING,
        }
    }

    fn texts<'v>(
        &mut self,
        t: &'v Value,
        s: &'v Value,
    ) -> Result<(&'v str, &'v str), MissingCause> {
        match (t, s) {
            (Value::Text(t), Value::Text(s)) => Ok((t, s)),
            _ => Err(self.union(cause_of(t), cause_of(s))),
        }
    }

    /// `Err` with the causes of the missing operands of a strict operator; charges the text
    /// it is about to read.
    #[inline(always)]
    fn present(&mut self, left: &Value, right: &Value) -> Result<(), MissingCause> {
        if left.is_missing() || right.is_missing() {
            return Err(self.union_of(left, right));
        }
        if let (Value::Text(a), Value::Text(b)) = (left, right) {
            self.charge_text(a.len() + b.len());
        }
        Ok(())
    }

    /// A number, or missing with a note when arithmetic left the finite numbers.
    fn finite(&mut self, n: f64, problem: &str) -> Value {
        if n.is_finite() {
            Value::Number(n)
        } else {
            self.note(problem);
            Value::MISSING
        }
    }

    // ------------------------------------------------------------------ explanations

    /// Missing, caused by the absence of `place`'s root and first `fields` fields.
    #[cold]
    fn absent(&mut self, place: &'a Place, fields: usize) -> Value {
        self.path_cause(|this, path| this.write_path(place, fields, this.scope(), path))
    }

    /// Missing, caused by the absence of the place `expr` names (`Value::MISSING` when it names
    /// no input place).
    #[cold]
    fn place_cause(&mut self, expr: &'a Expr) -> Value {
        self.path_cause(|this, path| this.write_place(expr, this.scope(), path))
    }

    /// Missing, caused by the path `write` renders, when explaining and it renders one. Paths
    /// are rendered into one buffer kept for the evaluation and copied out at their size:
    /// growing a new string for each cost more than the rest of the report's paths.
    fn path_cause(&mut self, write: impl FnOnce(&Self, &mut String) -> bool) -> Value {
        if !EXPLAIN {
            return Value::MISSING;
        }
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        // Room for a usual path at once: grown piece by piece, the first path of a report was
        // reallocated two or three times.
        path.reserve(64);
        let value = if write(self, &mut path) {
            Value::Missing(self.cause(Cause::Path(path.as_str().into())))
        } else {
            Value::MISSING
        };
        self.path = path;
        value
    }

    /// The path of the place `expr` names, its names read in `scope`.
    fn write_place(&self, expr: &'a Expr, scope: Scope, out: &mut String) -> bool {
        match expr {
            Expr::Place(place) => self.write_path(place, place.fields.len(), scope, out),
            Expr::Field { base, name, .. } => {
                let ok = self.write_place(base, scope, out);
                report::write_field(out, name);
                ok
            }
            Expr::Element { list, .. } => {
                let read = self
                    .element_reads
                    .iter()
                    .find(|(read, _)| std::ptr::eq(*read, expr));
                read.is_some_and(|(_, index)| self.write_element(list, *index, scope, out))
            }
            _ => false,
        }
    }

    /// The path of `place`'s root and its first `fields` fields, its names read in `scope`.
    fn write_path(&self, place: &'a Place, fields: usize, scope: Scope, out: &mut String) -> bool {
        let ok = match place.root {
            Root::Input => {
                out.push_str(self.input_name);
                true
            }
            Root::Local(depth) => (self.locals.get(scope.base + depth as usize))
                .is_some_and(|frame| self.write_element(frame.list, frame.index, scope, out)),
            // A let stands outside every quantifier and function.
            Root::Slot(slot) => (self.lets.get(slot.0 as usize))
                .is_some_and(|def| self.write_place(&def.expr, Scope::OUTSIDE, out)),
            // The argument, where the call was made.
            Root::Param(index) => (scope.call.and_then(|call| self.calls.get(call)))
                .and_then(|call| Some((call.args.get(index as usize)?, call.caller)))
                .is_some_and(|(arg, caller)| self.write_place(arg, caller, out)),
        };
        for (_, name) in place.fields.iter().take(fields) {
            report::write_field(out, name);
        }
        ok
    }

    /// The path of element `index` of what `list` evaluated to: `list[index]` when the list is
    /// a place; for `A + B` (or `A ?? B`, or a let holding one) the element of the operand
    /// it was copied from, found by the length of what the left operand was.
    fn write_element(&self, list: &'a Expr, index: usize, scope: Scope, out: &mut String) -> bool {
        match list {
            Expr::Binary(BinOp::ListConcat, left, right) => match self.peek(left, scope) {
                Some(Value::List(items)) => match index.checked_sub(items.len()) {
                    None => self.write_element(left, index, scope, out),
                    Some(index) => self.write_element(right, index, scope, out),
                },
                _ => false,
            },
            Expr::Coalesce(left, right) => match self.peek(left, scope) {
                Some(value) if !value.is_missing() => self.write_element(left, index, scope, out),
                Some(_) => self.write_element(right, index, scope, out),
                None => false,
            },
            Expr::Place(Place {
                root: Root::Slot(slot),
                fields,
            }) if fields.is_empty() => (self.lets.get(slot.0 as usize))
                .is_some_and(|def| self.write_element(&def.expr, index, Scope::OUTSIDE, out)),
            _ => {
                let ok = self.write_place(list, scope, out);
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
                ok
            }
        }
    }

    /// The value a constant or a place was read as, without evaluating anything (a slot
    /// that is not computed yet is `None`).
    fn peek(&self, expr: &'a Expr, scope: Scope) -> Option<&Value> {
        match expr {
            Expr::Const(value) => Some(value),
            Expr::Place(place) => {
                let root = match place.root {
                    Root::Input => self.input,
                    Root::Slot(slot) => self.slots.get(slot.0 as usize)?.get()?,
                    Root::Local(depth) => {
                        let frame = self.locals.get(scope.base + depth as usize)?;
                        frame.elements.get(frame.index)
                    }
                    // An argument's value is not kept where a path could find it.
                    Root::Param(_) => return None,
                };
                // An absent part reads as missing, as it did when evaluated.
                Some(walk(root, &place.fields).unwrap_or(&MISSING))
            }
            _ => None,
        }
    }

    /// The static type of a place, which names record fields when a message renders a
    /// record; `None` where the evaluator cannot tell.
    fn type_of(&self, expr: &'a Expr) -> Option<&Type> {
        match expr {
            Expr::Place(place) => {
                let mut ty = match place.root {
                    Root::Input => self.input_type.as_ref()?,
                    Root::Slot(slot) => &self.lets.get(slot.0 as usize)?.ty,
                    Root::Local(depth) => {
                        let list = self.local(depth)?.list;
                        self.type_of(list)?.list_element()?
                    }
                    Root::Param(index) => {
                        let call = self.calls.get(self.call?)?;
                        call.params.get(index as usize)?
                    }
                };
                for (index, _) in &place.fields {
                    ty = field_type(ty, *index)?;
                }
                Some(ty)
            }
            Expr::Field { base, index, .. } => field_type(self.type_of(base)?, *index),
            Expr::Element { list, .. } => self.type_of(list)?.list_element(),
            Expr::Lookup { table, .. } => self.tables.get(table.0 as usize).map(|t| &t.value_type),
            Expr::Coalesce(left, _) => self.type_of(left),
            _ => None,
        }
    }

    fn cause(&mut self, cause: Cause) -> MissingCause {
        self.causes.push(cause);
        MissingCause(u32::try_from(self.causes.len()).unwrap_or(0))
    }

    /// The union of the causes of two values.
    #[cold]
    fn union_of(&mut self, a: &Value, b: &Value) -> MissingCause {
        self.union(cause_of(a), cause_of(b))
    }

    fn union(&mut self, a: MissingCause, b: MissingCause) -> MissingCause {
        if a == MissingCause::NONE || a == b {
            b
        } else if b == MissingCause::NONE {
            a
        } else {
            self.cause(Cause::Union(a, b))
        }
    }

    /// The sorted, deduplicated paths a cause names.
    fn paths(&self, cause: MissingCause) -> Vec<String> {
        let mut paths = Vec::new();
        // Unions can be as deep as a list is long: walk them without recursion.
        let mut stack = vec![cause];
        while let Some(cause) = stack.pop() {
            let entry = (cause.0 as usize).checked_sub(1);
            match entry.and_then(|i| self.causes.get(i)) {
                Some(Cause::Path(path)) => paths.push(path.to_string()),
                Some(Cause::Entry(table, key)) => {
                    let mut path =
                        (self.tables.get(*table)).map_or_else(String::new, |def| def.name.clone());
                    path.push('[');
                    match key {
                        Value::Text(t) => report::write_str(&mut path, t),
                        other => report::write_plain(&mut path, other),
                    }
                    path.push(']');
                    paths.push(path);
                }
                Some(Cause::Union(a, b)) => stack.extend([*b, *a]),
                None => {}
            }
        }
        paths.sort_unstable();
        paths.dedup();
        paths
    }

    fn note(&mut self, problem: &str) {
        if !EXPLAIN {
            return;
        }
        let note = match self.context {
            Context::Const => problem.to_owned(),
            Context::Rule(_) => format!(
                "{problem} in {}: the result is missing",
                self.context.describe()
            ),
            _ => format!(
                "{problem} in {}: its value is missing",
                self.context.describe()
            ),
        };
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    // ------------------------------------------------------------------ the budget

    /// Spends `steps` of the budget on `construct`; `false` once it is spent, and from then
    /// on: the caller stops its loop, and the report is replaced by an error.
    fn charge(&mut self, steps: usize, construct: Construct) -> bool {
        match self.steps.checked_sub(steps as u64) {
            Some(left) => {
                self.steps = left;
                true
            }
            None => {
                self.steps = 0;
                self.exceeded.get_or_insert((construct, self.context));
                false
            }
        }
    }

    /// [`Evaluator::charge`] for reading `bytes` of text: a step per [`TEXT_STEP_BYTES`].
    fn charge_text(&mut self, bytes: usize) -> bool {
        self.charge(bytes / TEXT_STEP_BYTES, Construct::Text)
    }
}

/// The value at `fields` of `value`: `Err(n)` when the `n`th field is absent; a missing value
/// on the way is the value (with its cause).
#[inline(always)]
fn walk<'v>(mut value: &'v Value, fields: &[(u32, Arc<str>)]) -> Result<&'v Value, usize> {
    for (n, (index, _)) in fields.iter().enumerate() {
        value = match value {
            Value::Record(items) => match items.get(*index as usize) {
                Some(field) if !is_absent(field) => field,
                _ => return Err(n + 1),
            },
            Value::Missing(_) => return Ok(value),
            _ => &MISSING,
        };
    }
    Ok(value)
}

/// The type of field `index` of a record type.
fn field_type(ty: &Type, index: u32) -> Option<&Type> {
    match ty.required() {
        Type::Record(record) => record.fields.get(index as usize).map(|f| &f.ty),
        _ => None,
    }
}

/// What reading the elements of a condition operator's list operands costs steps for.
fn operand_construct(op: BinOp) -> Construct {
    match op {
        BinOp::Eq | BinOp::Ne => Construct::Equality,
        _ => Construct::Membership,
    }
}

/// The cause of a missing value; `NONE` (no path) for an ill-typed operand, which the checker
/// rules out.
fn cause_of(value: &Value) -> MissingCause {
    match value {
        Value::Missing(cause) => *cause,
        _ => MissingCause::NONE,
    }
}

/// The truth a condition's value holds.
fn truth_of(value: &Value) -> Truth {
    match *value {
        Value::Bool(b) => Ok(b),
        Value::Missing(cause) => Err(cause),
        _ => Err(MissingCause::NONE),
    }
}

/// An absent part of the input (missing with no cause yet): its path is attached when read.
fn is_absent(value: &Value) -> bool {
    matches!(value, Value::Missing(MissingCause::NONE))
}

/// A present value with no parts, which cannot hide a missing one.
fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Missing(_) | Value::List(_) | Value::Record(_))
}

/// `items contains_any texts` and the steps of `Evaluator::each`'s loops: one per text
/// visited, and one per element compared with it; the first text (in list order) that some
/// element equals decides, found in one pass over the elements. `None` when an element is no
/// text. In line in `Evaluator::contains_texts`, its one caller: its lists are short
/// (a supplier's flags and certifications), and in line the pair costs a fifth less.
#[inline(always)]
fn contains_any(items: &[Value], texts: &TextSet) -> Option<(bool, usize)> {
    // The smallest position of a text some element equals, and the first such element.
    let mut first: Option<(usize, usize)> = None;
    for (index, item) in items.iter().enumerate() {
        let Value::Text(item) = item else {
            return None;
        };
        if let Some(position) = texts.position(item)
            && first.is_none_or(|(earliest, _)| position < earliest)
        {
            first = Some((position, index));
        }
    }
    let per_text = 1 + items.len();
    Some(match first {
        Some((position, index)) => (true, position * per_text + 1 + index + 1),
        None => (false, texts.len() * per_text),
    })
}

/// `items contains_all texts` and the steps of `Evaluator::each`'s loops, text by text; `None`
/// when an element before a text's first equal one is no text.
fn contains_all(items: &[Value], texts: &TextSet) -> Option<(bool, usize)> {
    let mut steps = 0;
    for text in texts.texts() {
        let found = first_equal(items, text)?;
        steps += 1 + found.map_or(items.len(), |i| i + 1);
        if found.is_none() {
            return Some((false, steps));
        }
    }
    Some((true, steps))
}

/// The position of the first text in `items` equal to `text`: `None` when an element before
/// it is no text.
fn first_equal(items: &[Value], text: &SmolStr) -> Option<Option<usize>> {
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Text(item) if item == text => return Some(Some(i)),
            Value::Text(_) => {}
            _ => return None,
        }
    }
    Some(None)
}
