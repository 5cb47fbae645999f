//! The compiled program: what `check` produces (and `lower` folds) and `eval` runs.
//!
//! Architecture invariant: nothing in here is looked up by string at evaluation time. Names
//! are resolved to indices (`Slot`, `Local`, field positions, `TableId`), operators are chosen
//! for their operand types, constants are values. Names survive only for reports and paths.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::value::{Key, MissingCause, SmolStr, TableEntries, Value};

/// The quantifiers after checking are the syntax's own.
pub use crate::ast::Quantifier as QuantifierKind;
pub use crate::ast::RuleKind;
use crate::ast::{Decision, Outcome, Verdict};
pub use crate::builtins::Builtin;
use crate::date::{Date, Duration};
use crate::limits::TEXT_STEP_BYTES;
use crate::span::Span;
use crate::types::{RecordType, Type};

/// Index of a table in `Program::tables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableId(pub u32);

/// Index of a function in `Program::functions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FunctionId(pub u32);

/// Index of a branch in `Program::branches`: the arms of one `if` or `match` are consecutive,
/// the first arm's id is in its `Expr::Choose`, the `else` follows the last arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BranchId(pub u32);

/// Index of a `let` or `score` value in the evaluation's slot array: lets take slots
/// `0..lets.len()` in declaration order, scores follow in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot(pub u32);

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub title: Option<String>,
    pub version: Option<String>,
    /// The SHA-256 of the policy's source, in lowercase hex (LANGUAGE.md §9.10); set by
    /// `policy::compile` before lowering, which writes it into `json`.
    pub sha256: String,
    pub input: InputDef,
    pub tables: Vec<TableDef>,
    /// In declaration order (the order of `values` in a report).
    pub lets: Vec<LetDef>,
    /// In declaration order (the order of `scores` in a report).
    pub scores: Vec<ScoreDef>,
    /// The functions (`let NAME(param: Type) = ...`), in declaration order.
    pub functions: Vec<FunctionDef>,
    /// Every let and score slot, ordered so that each is computed after what it reads.
    pub eval_order: Vec<Slot>,
    /// In declaration order (the order of `rules` in a report).
    pub rules: Vec<RuleDef>,
    pub examples: Vec<ExampleDef>,
    /// Every `if` branch and `match` arm the checker met, by `BranchId`, for coverage
    /// (`procura test --coverage`). Lowering names the item that evaluates each one it kept;
    /// the others (folded away, in a constant or in a function never called) have no `owner`.
    pub branches: Vec<Branch>,
    /// For each slot, the slots its expression reads directly, so that a decision computes a
    /// let or score only when a rule needs it. Filled by `lower`; a slot without an entry is
    /// computed when first read.
    pub slot_reads: Vec<Vec<Slot>>,
    /// The indices of `rules` in the order a decision runs them: reject rules first (the first
    /// to fail decides), then the others; in each group, rules with fewer quantifiers and
    /// comprehensions in their own `when` and condition first, then in declaration order.
    /// Filled by `lower`.
    pub decision_order: Vec<usize>,
    /// The parts of a report's JSON text that only the program decides, escaped once. Filled
    /// by `lower` (`report::program_json`).
    pub json: ProgramJson,
}

/// An `if` branch or a `match` arm as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub kind: BranchKind,
    /// The arm's condition (`match`), or the branch's value (`if`, and every `else`).
    pub span: Span,
    /// The item whose evaluation reaches it (`rule prompt_payment`, `function medal`); set by
    /// `lower` for the branches the lowered program holds.
    pub owner: Option<String>,
    /// Where it is written, set when compiled: the library's path (`None` in the root) and
    /// the 1-based line.
    pub file: Option<String>,
    pub line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchKind {
    /// `if C then V`: `V`.
    Then,
    /// `if C then V else W`: `W`.
    Else,
    /// Arm `n` (from 1) of a `match`.
    Arm(u32),
    /// The `else` arm of a `match`.
    Otherwise,
}

impl BranchKind {
    /// `match arm 2`, `if then`, ...: how coverage names it.
    pub fn describe(self) -> String {
        match self {
            BranchKind::Then => "if then".to_owned(),
            BranchKind::Else => "if else".to_owned(),
            BranchKind::Arm(n) => format!("match arm {n}"),
            BranchKind::Otherwise => "match else".to_owned(),
        }
    }
}

/// JSON text of the program's names and titles, as every report writes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProgramJson {
    /// `{"policy":{"title":...,"version":...,"sha256":...},"as_of":`
    pub head: String,
    /// Per rule: `{"name":...,"title":...` and `,"line":...}`
    pub rules: Vec<(String, String)>,
    /// Per score: its name as a JSON string, and per component `{"name":...,"weight":...`
    pub scores: Vec<(String, Vec<String>)>,
    /// Per let: its name as a JSON string.
    pub lets: Vec<String>,
}

impl Program {
    pub fn slot_count(&self) -> usize {
        self.lets.len() + self.scores.len()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputDef {
    /// The name paths start with (`supplier`).
    pub name: String,
    pub record: Arc<RecordType>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub name: String,
    pub key_type: Type,
    pub value_type: Type,
    /// `None` for reference data supplied at evaluation.
    pub entries: Option<TableEntries>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetDef {
    pub name: String,
    pub ty: Type,
    pub expr: Expr,
}

impl LetDef {
    /// A let named `_...` is private: computed, but not reported in `values`.
    pub fn is_private(&self) -> bool {
        self.name.starts_with('_')
    }
}

/// A function: its body reads its parameters as `Root::Param(index)`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub name: String,
    pub params: Vec<Type>,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDef {
    pub name: String,
    pub title: Option<String>,
    pub components: Vec<ComponentDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComponentDef {
    pub name: String,
    /// The weight as a fraction (`25%` is 0.25).
    pub weight: f64,
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleDef {
    pub name: String,
    pub title: Option<String>,
    /// 1-based line of the `rule` keyword, reported with every outcome.
    pub line: u32,
    pub when: Option<Expr>,
    /// `forbid C` is compiled as `require not C`, so the evaluator sees one form.
    pub condition: Expr,
    /// What was written, `require` or `forbid`: the evidence of a failed rule (LANGUAGE.md
    /// §9.8) depends on it.
    pub kind: RuleKind,
    pub verdict: Verdict,
    pub message: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExampleDef {
    pub title: String,
    pub line: u32,
    pub given: serde_json::Value,
    pub data: Option<serde_json::Value>,
    pub as_of: Option<Date>,
    pub expectations: Vec<ExpectDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectDef {
    pub line: u32,
    pub kind: ExpectKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectKind {
    Decision(Decision),
    /// Index into `Program::rules`.
    Rule(usize, Outcome),
    /// Index into `Program::scores`.
    Score(usize, serde_json::Value),
    /// Index into `Program::lets`.
    Value(usize, serde_json::Value),
    /// Index into `Program::rules`, and the rendered message of the failed rule.
    Message(usize, String),
    /// Index into `Program::rules`, and its evidence, in order.
    Evidence(usize, Vec<String>),
    /// The report's top-level `missing`, sorted and deduplicated: compared as a set.
    Missing(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(Arc<str>),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Const(Value),
    /// The input, a `let` or score, or a bound variable, and the fields read from it.
    Place(Place),
    Today,
    /// `base.name` of a record that is no place (a table row, a computed value): the field at
    /// `index` of the base's record type.
    Field {
        base: Box<Expr>,
        index: u32,
        name: Arc<str>,
    },
    /// `table[key]`.
    Lookup {
        table: TableId,
        key: Box<Expr>,
    },
    List(Vec<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x is missing`
    IsMissing(Box<Expr>),
    /// `x is present`
    IsPresent(Box<Expr>),
    /// `x ?? y`
    Coalesce(Box<Expr>, Box<Expr>),
    /// `if`/`match`: the value of the first arm whose condition is true, else `otherwise`.
    /// `branch` is the first arm's `BranchId`; the evaluator records the branch it takes.
    Choose {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
        branch: BranchId,
    },
    /// The bound variable is `Root::Local(depth)` inside `body`.
    Quantifier {
        kind: QuantifierKind,
        depth: u32,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    /// `[element for x in list if filter ...]`: the clauses in order, each binding its
    /// variable to `Root::Local(depth)` for the clauses after it and the element.
    Comprehension {
        clauses: Vec<Clause>,
        element: Box<Expr>,
    },
    /// `list[index]`: element `index` (from 0) of a list.
    Element {
        list: Box<Expr>,
        index: Box<Expr>,
    },
    /// `(count) unit`: `count` times `unit` (one day, one month, ...).
    Duration {
        count: Box<Expr>,
        unit: Duration,
    },
    Call(&'static Builtin, Vec<Expr>),
    /// A call of a function of the policy; each argument is evaluated when the body first
    /// reads it, in the caller's scope.
    CallFunction(FunctionId, Vec<Expr>),
    /// An interpolated string.
    Template(Vec<TemplatePart>),
    /// `matches(text, pattern)`: the pattern compiled by the checker.
    Matches(Box<Expr>, Pattern),
    // Made by `lower` from the forms above, to be evaluated faster with the same meaning and
    // cost:
    /// `x in [texts]` (`x not in [texts]` when `negated`) on constant texts.
    InTexts {
        negated: bool,
        operand: Box<Expr>,
        texts: TextSet,
    },
    /// `list contains_any [texts]` (`contains_all` when `all`) on constant texts; its opposite
    /// when `negated`.
    ContainsTexts {
        negated: bool,
        all: bool,
        list: Box<Expr>,
        texts: TextSet,
    },
    /// `today + duration` (`sign` 1) or `today - duration` (`sign` -1), computed once a day.
    ShiftedToday {
        duration: Duration,
        sign: i64,
        memo: DayMemo,
    },
}

/// `for x in list if filter` of a comprehension; the variable is `Root::Local(depth)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub depth: u32,
    pub list: Expr,
    pub filter: Option<Expr>,
}

/// A regular expression that matches a whole text, compiled once when the policy is checked
/// (LANGUAGE.md §9.4). Two are equal when written alike.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex_lite::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

/// A place: the root's value, then the field at each position in turn. Reading one borrows
/// the value; an absent part is named by the path of the shallowest absent field.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub root: Root,
    pub fields: Vec<(u32, Arc<str>)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Root {
    Input,
    Slot(Slot),
    /// A variable bound by a quantifier or comprehension: its depth in the locals stack.
    Local(u32),
    /// A parameter of the function whose body is being evaluated: its position.
    Param(u32),
}

impl Place {
    pub fn root(root: Root) -> Expr {
        Expr::Place(Place {
            root,
            fields: Vec::new(),
        })
    }
}

impl Expr {
    /// Calls `visit` on each direct subexpression, in source order.
    pub fn for_each_child<'e>(&'e self, mut visit: impl FnMut(&'e Expr)) {
        match self {
            Expr::Const(_) | Expr::Place(_) | Expr::Today | Expr::ShiftedToday { .. } => {}
            Expr::Field { base: operand, .. }
            | Expr::Lookup { key: operand, .. }
            | Expr::Neg(operand)
            | Expr::Not(operand)
            | Expr::IsMissing(operand)
            | Expr::IsPresent(operand)
            | Expr::InTexts { operand, .. }
            | Expr::ContainsTexts { list: operand, .. }
            | Expr::Duration { count: operand, .. }
            | Expr::Matches(operand, _) => visit(operand),
            Expr::Binary(_, left, right)
            | Expr::Coalesce(left, right)
            | Expr::Element {
                list: left,
                index: right,
            } => {
                visit(left);
                visit(right);
            }
            Expr::List(items) | Expr::Call(_, items) | Expr::CallFunction(_, items) => {
                items.iter().for_each(visit)
            }
            Expr::Choose {
                arms, otherwise, ..
            } => {
                for (condition, value) in arms {
                    visit(condition);
                    visit(value);
                }
                visit(otherwise);
            }
            Expr::Quantifier { list, body, .. } => {
                visit(list);
                visit(body);
            }
            Expr::Comprehension { clauses, element } => {
                for clause in clauses {
                    visit(&clause.list);
                    if let Some(filter) = &clause.filter {
                        visit(filter);
                    }
                }
                visit(element);
            }
            Expr::Template(parts) => {
                for part in parts {
                    if let TemplatePart::Expr(expr) = part {
                        visit(expr);
                    }
                }
            }
        }
    }
}

/// A constant list of texts, each shorter than [`TEXT_STEP_BYTES`], so that comparing them
/// costs no steps: a membership test compares only the texts of the operand's length, and the
/// steps it costs (one per element visited) are known once it is done.
#[derive(Debug, Clone, PartialEq)]
pub struct TextSet {
    /// The list as a value: the texts in list order, and what operands that are not texts
    /// are compared with.
    pub list: Value,
    /// The texts with their positions in the list, by length, then position.
    by_length: Box<[(SmolStr, usize)]>,
    /// `by_length[starts[n]..starts[n + 1]]` are the texts of `n` bytes.
    starts: [u16; TEXT_STEP_BYTES + 1],
}

impl TextSet {
    /// `None` unless `list` is a list of at most `u16::MAX` texts shorter than
    /// [`TEXT_STEP_BYTES`].
    pub fn new(list: &Value) -> Option<TextSet> {
        let Value::List(items) = list else {
            return None;
        };
        u16::try_from(items.len()).ok()?;
        let mut by_length: Vec<(SmolStr, usize)> = (items.iter().zip(0..))
            .map(|(item, position)| match item {
                Value::Text(text) if text.len() < TEXT_STEP_BYTES => Some((text.clone(), position)),
                _ => None,
            })
            .collect::<Option<_>>()?;
        // Positions are unique, so an unstable sort orders exactly as a stable one.
        by_length.sort_unstable_by_key(|(text, position)| (text.len(), *position));
        let starts =
            std::array::from_fn(|n| by_length.partition_point(|(text, _)| text.len() < n) as u16);
        Some(TextSet {
            list: list.clone(),
            by_length: by_length.into(),
            starts,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.by_length.len()
    }

    /// The texts in list order.
    pub fn texts(&self) -> impl Iterator<Item = &SmolStr> {
        let items = match &self.list {
            Value::List(items) => &items[..],
            _ => &[],
        };
        items.iter().filter_map(|item| match item {
            Value::Text(text) => Some(text),
            _ => None,
        })
    }

    /// The position of the first text equal to `text`.
    #[inline(always)]
    pub fn position(&self, text: &SmolStr) -> Option<usize> {
        let n = text.len();
        let (&start, &end) = (self.starts.get(n)?, self.starts.get(n + 1)?);
        // Short texts on both sides compare as fixed-size arrays, without a call.
        let same_length = self.by_length.get(usize::from(start)..usize::from(end))?;
        same_length
            .iter()
            .find_map(|(own, position)| (own == text).then_some(*position))
    }
}

/// The last day a `today ± duration` was computed for, and its value: a decision reads it for
/// every record, and a batch decides many records on one day. A cache, not part of the
/// expression's meaning: clones start empty and all memos are equal.
#[derive(Debug, Default)]
pub struct DayMemo(AtomicU64);

/// Days are stored offset by this, so that every day a memo keeps is positive and 0 is empty.
const DAY_OFFSET: i64 = 1 << 30;

impl DayMemo {
    /// `today` shifted by `duration` times `sign`, from the memo when it holds `today`.
    pub fn shift(&self, today: Date, duration: Duration, sign: i64) -> Option<Date> {
        if let Some(shifted) = self.get(today) {
            return shifted;
        }
        let shifted = today.shift(duration, sign);
        self.set(today, shifted);
        shifted
    }

    /// The value memoised for `today`, if any: `Some(None)` for a day out of range.
    fn get(&self, today: Date) -> Option<Option<Date>> {
        let entry = self.0.load(Ordering::Relaxed);
        let day = (entry >> 32) as i64 - DAY_OFFSET;
        if entry == 0 || day != i64::from(today.0) {
            return None;
        }
        let value = (entry & 0xffff_ffff) as i64;
        Some((value != 0).then(|| Date((value - DAY_OFFSET) as i32)))
    }

    /// Remembers `value` for `today`, when both fit.
    fn set(&self, today: Date, value: Option<Date>) {
        let encode = |date: Date| u32::try_from(i64::from(date.0) + DAY_OFFSET).ok();
        let day = encode(today).filter(|&day| day != 0);
        let value = match value {
            Some(date) => encode(date).filter(|&value| value != 0),
            None => Some(0),
        };
        if let (Some(day), Some(value)) = (day, value) {
            self.0
                .store(u64::from(day) << 32 | u64::from(value), Ordering::Relaxed);
        }
    }
}

impl Clone for DayMemo {
    fn clone(&self) -> DayMemo {
        DayMemo::default()
    }
}

impl PartialEq for DayMemo {
    fn eq(&self, _: &DayMemo) -> bool {
        true
    }
}

/// Operators after type checking. Comparison operators work on two numbers, two dates or two
/// texts (the checker guarantees one of these); `Eq`/`Ne` are structural on any type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `x in list`
    In,
    /// `x not in list`
    NotIn,
    /// `list contains x`
    ListContains,
    /// `text contains substring`
    TextContains,
    /// `list contains_any list`
    ListContainsAny,
    /// `list contains_all list`
    ListContainsAll,
    /// `text contains_any [substrings]`
    TextContainsAny,
    /// `text contains_all [substrings]`
    TextContainsAll,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    /// `text + text`
    Concat,
    /// `list + list`
    ListConcat,
    /// `date + duration`
    DatePlus,
    /// `date - duration`
    DateMinus,
}

impl BinOp {
    /// The operator whose truth is the opposite of this one's on the same operands (with the
    /// same reads and steps), if there is one: `not (a < b)` is `a >= b`, since the operands
    /// the checker allows are totally ordered (numbers are finite) and missing stays missing.
    pub fn opposite(self) -> Option<BinOp> {
        Some(match self {
            BinOp::Eq => BinOp::Ne,
            BinOp::Ne => BinOp::Eq,
            BinOp::Lt => BinOp::Ge,
            BinOp::Ge => BinOp::Lt,
            BinOp::Gt => BinOp::Le,
            BinOp::Le => BinOp::Gt,
            BinOp::In => BinOp::NotIn,
            BinOp::NotIn => BinOp::In,
            _ => return None,
        })
    }

    /// Whether the operator's value is a truth (logic, equality, membership, comparison)
    /// rather than a number, text or date.
    pub fn is_condition(self) -> bool {
        !matches!(
            self,
            BinOp::Add
                | BinOp::Sub
                | BinOp::Mul
                | BinOp::Div
                | BinOp::Rem
                | BinOp::Concat
                | BinOp::ListConcat
                | BinOp::DatePlus
                | BinOp::DateMinus
        )
    }
}

#[cfg(test)]
mod tests {
    use super::DayMemo;
    use crate::date::Date;

    #[test]
    fn a_day_memo_answers_only_for_its_day() {
        let memo = DayMemo::default();
        let day = Date::parse("2025-06-01").unwrap();
        let before = Date::parse("2024-06-01").unwrap();
        assert_eq!(memo.get(day), None);
        memo.set(day, Some(before));
        assert_eq!(memo.get(day), Some(Some(before)));
        assert_eq!(memo.get(before), None);
        // Out of range is remembered too.
        memo.set(before, None);
        assert_eq!(memo.get(before), Some(None));
        assert_eq!(memo.get(day), None);
        // Days that do not fit are not remembered.
        memo.set(Date(i32::MIN), Some(day));
        assert_eq!(memo.get(Date(i32::MIN)), None);
        assert_eq!(memo.get(before), Some(None));
        let earliest = Date(-(1 << 30) + 1);
        memo.set(earliest, Some(earliest));
        assert_eq!(memo.get(earliest), Some(Some(earliest)));
    }
}
