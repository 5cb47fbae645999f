//! The compiled program: what `check` produces (and `lower` folds) and `eval` runs.
//!
//! Architecture invariant: nothing in here is looked up by string at evaluation time. Names
//! are resolved to indices (`Slot`, `Local`, field positions, `TableId`), operators are chosen
//! for their operand types, constants are values. Names survive only for reports and paths.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

pub use smol_str::SmolStr;

/// The quantifiers after checking are the syntax's own.
pub use crate::ast::Quantifier as QuantifierKind;
use crate::ast::{Decision, Outcome, Verdict};
use crate::date::{Date, Duration};
use crate::types::{RecordType, Type};

/// A runtime value. Records hold their fields in the declared order of their record type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unknown value and why it is unknown (an index into the evaluator's cause arena;
    /// `MissingCause::NONE` when no input path explains it).
    Missing(MissingCause),
    Bool(bool),
    Number(f64),
    Text(SmolStr),
    Date(Date),
    Duration(Duration),
    List(Arc<[Value]>),
    Record(Arc<[Value]>),
}

/// Why a value is missing, as an index into the current evaluation's cause arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MissingCause(pub u32);

impl MissingCause {
    /// Missing for a reason no input can fix (division by zero, an empty `min`): no path.
    pub const NONE: MissingCause = MissingCause(0);
}

// Texts live inside values of the size they had as `Arc<str>`s: 24 bytes.
const _: () = assert!(size_of::<Value>() == 24);

impl Value {
    pub const MISSING: Value = Value::Missing(MissingCause::NONE);

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing(_))
    }
}

/// A table key: the hashable values (`text`, literal unions, `number`, `date`, `bool`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Text(SmolStr),
    /// The bits of a finite f64 with `-0.0` normalised to `0.0`.
    Number(u64),
    Date(Date),
    Bool(bool),
}

impl Key {
    /// `None` for values that cannot be keys (missing, lists, records, NaN).
    pub fn from_value(value: &Value) -> Option<Key> {
        match value {
            Value::Text(t) => Some(Key::Text(t.clone())),
            Value::Number(n) if n.is_finite() => Some(Key::Number((n + 0.0).to_bits())),
            Value::Date(d) => Some(Key::Date(*d)),
            Value::Bool(b) => Some(Key::Bool(*b)),
            _ => None,
        }
    }
}

/// The rows of a table. Keys are few and short and come from the policy and its reference
/// data, so a simple FNV-1a hash serves lookups better than SipHash (a fifth of a lookup).
/// Text keys, by far the most common, have a map of their own so that a lookup hashes the
/// text it is given, without building a `Key`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableEntries {
    texts: HashMap<SmolStr, Value, BuildHasherDefault<Fnv>>,
    others: HashMap<Key, Value, BuildHasherDefault<Fnv>>,
}

impl TableEntries {
    pub fn new() -> TableEntries {
        TableEntries::default()
    }

    /// Room for `capacity` text keys.
    pub fn with_capacity(capacity: usize) -> TableEntries {
        TableEntries {
            texts: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            others: HashMap::default(),
        }
    }

    pub fn insert(&mut self, key: Key, value: Value) -> Option<Value> {
        match key {
            Key::Text(text) => self.texts.insert(text, value),
            key => self.others.insert(key, value),
        }
    }

    /// The row of a key given as a value; `None` for values that cannot be keys.
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        match key {
            Value::Text(text) => self.get_text(text),
            key => self.others.get(&Key::from_value(key)?),
        }
    }

    /// The row of a text key. A `SmolStr`, not a `str`: two short texts compare without a call.
    #[inline]
    pub fn get_text(&self, key: &SmolStr) -> Option<&Value> {
        self.texts.get(key)
    }

    pub fn len(&self) -> usize {
        self.texts.len() + self.others.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FromIterator<(Key, Value)> for TableEntries {
    fn from_iter<I: IntoIterator<Item = (Key, Value)>>(rows: I) -> TableEntries {
        let mut entries = TableEntries::new();
        for (key, value) in rows {
            entries.insert(key, value);
        }
        entries
    }
}

/// FNV-1a, 64 bits.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Index of a table in `Program::tables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableId(pub u32);

/// Index of a `let` or `score` value in the evaluation's slot array: lets take slots
/// `0..lets.len()` in declaration order, scores follow in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot(pub u32);

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub title: Option<String>,
    pub version: Option<String>,
    pub input: InputDef,
    pub tables: Vec<TableDef>,
    /// In declaration order (the order of `values` in a report).
    pub lets: Vec<LetDef>,
    /// In declaration order (the order of `scores` in a report).
    pub scores: Vec<ScoreDef>,
    /// Every let and score slot, ordered so that each is computed after what it reads.
    pub eval_order: Vec<Slot>,
    /// In declaration order (the order of `rules` in a report).
    pub rules: Vec<RuleDef>,
    pub examples: Vec<ExampleDef>,
    /// For each slot, the slots its expression reads directly, so that a decision computes a
    /// let or score only when a rule needs it. Filled by `lower`; a slot without an entry is
    /// computed when first read.
    pub slot_reads: Vec<Vec<Slot>>,
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
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(Arc<str>),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Const(Value),
    /// The input record.
    Input,
    /// A computed `let` or `score`.
    Slot(Slot),
    /// A variable bound by a quantifier or comprehension: its depth in the locals stack.
    Local(u32),
    Today,
    /// `base.name`, the field at `index` of the base's record type.
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
    Choose {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
    },
    /// The bound variable is `Local(depth)` inside `body`.
    Quantifier {
        kind: QuantifierKind,
        depth: u32,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    /// `[element for x in list if filter]`; the variable is `Local(depth)`.
    Comprehension {
        depth: u32,
        list: Box<Expr>,
        element: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    Call(Builtin, Vec<Expr>),
    /// An interpolated string.
    Template(Vec<TemplatePart>),
}

impl Expr {
    /// Calls `visit` on each direct subexpression, in source order.
    pub fn for_each_child<'e>(&'e self, mut visit: impl FnMut(&'e Expr)) {
        match self {
            Expr::Const(_) | Expr::Input | Expr::Slot(_) | Expr::Local(_) | Expr::Today => {}
            Expr::Field { base: operand, .. }
            | Expr::Lookup { key: operand, .. }
            | Expr::Neg(operand)
            | Expr::Not(operand)
            | Expr::IsMissing(operand)
            | Expr::IsPresent(operand) => visit(operand),
            Expr::Binary(_, left, right) | Expr::Coalesce(left, right) => {
                visit(left);
                visit(right);
            }
            Expr::List(items) | Expr::Call(_, items) => items.iter().for_each(visit),
            Expr::Choose { arms, otherwise } => {
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
            Expr::Comprehension {
                list,
                element,
                filter,
                ..
            } => {
                visit(list);
                if let Some(filter) = filter {
                    visit(filter);
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
    /// `date + duration`
    DatePlus,
    /// `date - duration`
    DateMinus,
}

impl BinOp {
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
                | BinOp::DatePlus
                | BinOp::DateMinus
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Len,
    Lower,
    Upper,
    Trim,
    StartsWith,
    EndsWith,
    Round,
    Abs,
    DaysBetween,
    Year,
}

impl Builtin {
    pub const ALL: [Builtin; 15] = [
        Builtin::Count,
        Builtin::Sum,
        Builtin::Min,
        Builtin::Max,
        Builtin::Avg,
        Builtin::Len,
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Trim,
        Builtin::StartsWith,
        Builtin::EndsWith,
        Builtin::Round,
        Builtin::Abs,
        Builtin::DaysBetween,
        Builtin::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Count => "count",
            Builtin::Sum => "sum",
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::Avg => "avg",
            Builtin::Len => "len",
            Builtin::Lower => "lower",
            Builtin::Upper => "upper",
            Builtin::Trim => "trim",
            Builtin::StartsWith => "starts_with",
            Builtin::EndsWith => "ends_with",
            Builtin::Round => "round",
            Builtin::Abs => "abs",
            Builtin::DaysBetween => "days_between",
            Builtin::Year => "year",
        }
    }

    /// How a call is written, for help lines.
    pub fn signature(self) -> &'static str {
        match self {
            Builtin::Count => "count(list)",
            Builtin::Sum => "sum(numbers)",
            Builtin::Min => "min(numbers or dates)",
            Builtin::Max => "max(numbers or dates)",
            Builtin::Avg => "avg(numbers)",
            Builtin::Len => "len(text)",
            Builtin::Lower => "lower(text)",
            Builtin::Upper => "upper(text)",
            Builtin::Trim => "trim(text)",
            Builtin::StartsWith => "starts_with(text, prefix)",
            Builtin::EndsWith => "ends_with(text, suffix)",
            Builtin::Round => "round(number, digits)",
            Builtin::Abs => "abs(number)",
            Builtin::DaysBetween => "days_between(first_date, second_date)",
            Builtin::Year => "year(date)",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }
}
