//! Decision plans: the rules' conditions, the lets and the score components lowered once more,
//! for `Policy::decide`, into conditions over operands that are read without building values.
//!
//! The expression tree serves reports, which explain every missing value by its path, and so
//! passes values around as `Cow<Value>`. A decision needs no paths. Its operands are places
//! read by reference (a root and field positions: `s.metal` or `supplier.ecovadis.ethics` in
//! one step; constants; table rows) or expressions whose values are bools, numbers or dates,
//! which need no allocation; `x in [texts]` and `list contains_any [texts]` compare only the
//! texts of an element's length (`TextSet`); `count(place)` reads the list in place; `and`/`or`
//! chains are one n-ary node; a quantifier whose body needs no tree walk binds bare elements
//! rather than evaluator frames; `today ± duration` is computed once a day; truths never
//! become `Value`s. A condition with any other operand (a computed text or list) stays an
//! expression for the tree walk. `Plans::new` also compiles the plans to nodes
//! (`eval::Nodes`), which a decision runs.
//!
//! Architecture invariant: a plan has the meaning of the expressions it was built from and
//! costs the same evaluation steps for the same constructs (see `eval::plan`), so `decide`
//! equals `evaluate(..).decision`, and exceeds the budget exactly when the tree walk would,
//! whether or not a rule has a plan.

use std::sync::atomic::{AtomicU64, Ordering};

use smallvec::SmallVec;

use crate::date::{Date, Duration};
use crate::eval::Nodes;
use crate::limits::TEXT_STEP_BYTES;
use crate::program::{
    BinOp, Builtin, Expr, Program, QuantifierKind, RuleDef, Slot, SmolStr, TableId, Value,
};

/// The plans of a program's rules, lets and scores, in declaration order.
#[derive(Debug, Default)]
pub struct Plans {
    pub rules: Vec<RulePlan>,
    /// `None` for a let whose value the tree walk computes.
    pub lets: Vec<Option<Operand>>,
    /// A score's components; `None` when the tree walk computes one of them.
    pub scores: Vec<Option<Box<[Operand]>>>,
    /// All of the above compiled to nodes, which a decision runs (`eval::node`).
    pub nodes: Nodes,
}

impl Plans {
    pub fn new(program: &Program) -> Plans {
        let rules: Vec<RulePlan> = program.rules.iter().map(RulePlan::new).collect();
        let lets: Vec<Option<Operand>> =
            program.lets.iter().map(|def| operand(&def.expr)).collect();
        let scores: Vec<Option<Box<[Operand]>>> = (program.scores.iter())
            .map(|score| {
                (score.components.iter())
                    .map(|component| operand(&component.expr))
                    .collect()
            })
            .collect();
        Plans {
            nodes: Nodes::new(program, &rules, &lets, &scores),
            rules,
            lets,
            scores,
        }
    }
}

/// A rule's `when` and condition.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePlan {
    pub when: Option<Cond>,
    pub condition: Cond,
}

impl RulePlan {
    fn new(rule: &RuleDef) -> RulePlan {
        RulePlan {
            when: rule.when.as_ref().map(condition),
            condition: condition(&rule.condition),
        }
    }
}

/// A condition: its value is a truth (true, false or missing).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// A condition with an operand that is no `Operand`, for the tree walk.
    Tree(Expr),
    /// An operand whose value is a `bool` (negated when `negated`).
    Truth {
        operand: Operand,
        negated: bool,
    },
    Not(Box<Cond>),
    /// `and` (`or` false) or `or` of two or more conditions, in Kleene logic, left to right:
    /// `a and (b and c)` and `(a and b) and c` are `and` of `[a, b, c]`.
    Logic {
        or: bool,
        operands: Box<[Cond]>,
    },
    /// Equality, membership, containment or comparison (`op.is_condition()`, not `and`/`or`).
    Binary {
        op: BinOp,
        left: Operand,
        right: Operand,
    },
    /// `place op constant` for a comparison or equality (`Eq`, `Ne`, `Lt`, `Le`, `Gt`, `Ge`)
    /// with a constant bool, number, text or date.
    PlaceVsConstant {
        op: BinOp,
        place: Place,
        constant: Value,
    },
    /// `x in list` (`x not in list` when `negated`) where `list` is a constant `Value::List`.
    InConstant {
        negated: bool,
        operand: Operand,
        list: Value,
    },
    /// `x in texts` (`x not in texts` when `negated`) on constant texts.
    InTexts {
        negated: bool,
        operand: Operand,
        texts: TextSet,
    },
    /// `list contains_any texts` (`contains_all` when `all`) with constant texts, negated
    /// when `negated`.
    ContainsTexts {
        negated: bool,
        all: bool,
        list: Operand,
        texts: TextSet,
    },
    /// The variable is `Local(depth)` inside `body`, or `Element(depth)` when `element`.
    Quantifier {
        kind: QuantifierKind,
        depth: u32,
        element: bool,
        list: Operand,
        body: Box<Cond>,
    },
    /// `x is missing` (`missing` true) or `x is present`.
    IsMissing {
        operand: Operand,
        missing: bool,
    },
}

/// A value a plan reads: a place, by reference, or a scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Const(Value),
    Path(Place),
    Lookup {
        table: TableId,
        key: Box<Operand>,
    },
    /// `left ?? right`.
    Coalesce(Box<[Operand; 2]>),
    Today,
    /// Arithmetic on numbers, or a date plus or minus a duration (not `Concat`).
    Arithmetic {
        op: BinOp,
        operands: Box<[Operand; 2]>,
    },
    /// `today + duration` (`sign` 1) or `today - duration` (`sign` -1).
    ShiftedToday {
        duration: Duration,
        sign: i64,
        memo: DayMemo,
    },
    /// `count(place)`, the commonest builtin, read without building its argument's value.
    Count(Place),
    /// A builtin whose value is a scalar (`is_scalar`).
    Call {
        builtin: Builtin,
        args: Box<[Operand]>,
    },
    /// An expression whose value is a bool, a number or a date (or missing), for the tree walk.
    Scalar(Expr),
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
    pub(crate) fn new(list: &Value) -> Option<TextSet> {
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
        by_length.sort_by_key(|(text, position)| (text.len(), *position));
        let starts =
            std::array::from_fn(|n| by_length.partition_point(|(text, _)| text.len() < n) as u16);
        Some(TextSet {
            list: list.clone(),
            by_length: by_length.into(),
            starts,
        })
    }

    /// How many texts there are.
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

/// A place: the root's value, then the field at each position in turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub root: Root,
    pub fields: SmallVec<[u32; 3]>,
}

/// The last day a `today ± duration` was computed for, and its value: a decision reads it for
/// every record, and a batch decides many records on one day. A cache, not part of the plan's
/// meaning: clones start empty and all memos are equal.
#[derive(Debug, Default)]
pub struct DayMemo(AtomicU64);

/// Days are stored offset by this, so that every day a memo keeps is positive and 0 is empty.
const DAY_OFFSET: i64 = 1 << 30;

impl DayMemo {
    /// The value memoised for `today`, if any: `Some(None)` for a day out of range.
    pub fn get(&self, today: Date) -> Option<Option<Date>> {
        let entry = self.0.load(Ordering::Relaxed);
        let day = (entry >> 32) as i64 - DAY_OFFSET;
        if entry == 0 || day != i64::from(today.0) {
            return None;
        }
        let value = (entry & 0xffff_ffff) as i64;
        Some((value != 0).then(|| Date((value - DAY_OFFSET) as i32)))
    }

    /// Remembers `value` for `today`, when both fit.
    pub fn set(&self, today: Date, value: Option<Date>) {
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

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Root {
    Input,
    Slot(Slot),
    /// The variable of an enclosing planned quantifier, by depth, bound in the evaluator's
    /// frames: always an element of a place, since a quantifier is planned only over an
    /// `Operand`.
    Local(u32),
    /// The same, bound as a bare element (`Cond::Quantifier::element`), for the first
    /// [`ELEMENTS`] depths.
    Element(u32),
}

/// How many nested quantifiers may bind bare elements.
pub const ELEMENTS: usize = 4;

impl Cond {
    /// Whether the tree walk evaluates any part of this condition (a `Tree` condition or a
    /// `Scalar` operand).
    pub fn is_walked(&self) -> bool {
        match self {
            Cond::Tree(_) => true,
            Cond::Not(operand) => operand.is_walked(),
            Cond::Logic { operands, .. } => operands.iter().any(Cond::is_walked),
            Cond::Quantifier { list, body, .. } => list.is_walked() || body.is_walked(),
            Cond::Truth { operand, .. }
            | Cond::InConstant { operand, .. }
            | Cond::InTexts { operand, .. }
            | Cond::IsMissing { operand, .. }
            | Cond::ContainsTexts { list: operand, .. } => operand.is_walked(),
            Cond::Binary { left, right, .. } => left.is_walked() || right.is_walked(),
            Cond::PlaceVsConstant { .. } => false,
        }
    }

    /// Calls `visit` on every place this condition reads.
    fn for_each_place(&mut self, visit: &mut impl FnMut(&mut Place)) {
        match self {
            Cond::Tree(_) => {}
            Cond::Not(operand) => operand.for_each_place(visit),
            Cond::Logic { operands, .. } => {
                operands.iter_mut().for_each(|c| c.for_each_place(visit));
            }
            Cond::Quantifier { list, body, .. } => {
                list.for_each_place(visit);
                body.for_each_place(visit);
            }
            Cond::Truth { operand, .. }
            | Cond::InConstant { operand, .. }
            | Cond::InTexts { operand, .. }
            | Cond::IsMissing { operand, .. }
            | Cond::ContainsTexts { list: operand, .. } => operand.for_each_place(visit),
            Cond::Binary { left, right, .. } => {
                left.for_each_place(visit);
                right.for_each_place(visit);
            }
            Cond::PlaceVsConstant { place, .. } => visit(place),
        }
    }
}

impl Operand {
    /// Whether the tree walk evaluates any part of this operand.
    pub fn is_walked(&self) -> bool {
        match self {
            Operand::Scalar(_) => true,
            Operand::Lookup { key, .. } => key.is_walked(),
            Operand::Coalesce(operands) => operands.iter().any(Operand::is_walked),
            Operand::Arithmetic { operands, .. } => operands.iter().any(Operand::is_walked),
            Operand::Call { args, .. } => args.iter().any(Operand::is_walked),
            Operand::Const(_)
            | Operand::Path(_)
            | Operand::Count(_)
            | Operand::Today
            | Operand::ShiftedToday { .. } => false,
        }
    }

    fn for_each_place(&mut self, visit: &mut impl FnMut(&mut Place)) {
        match self {
            Operand::Path(place) => visit(place),
            Operand::Lookup { key, .. } => key.for_each_place(visit),
            Operand::Coalesce(operands) => {
                operands.iter_mut().for_each(|o| o.for_each_place(visit))
            }
            Operand::Arithmetic { operands, .. } => {
                operands.iter_mut().for_each(|o| o.for_each_place(visit));
            }
            Operand::Call { args, .. } => args.iter_mut().for_each(|o| o.for_each_place(visit)),
            Operand::Count(place) => visit(place),
            Operand::Const(_)
            | Operand::Today
            | Operand::ShiftedToday { .. }
            | Operand::Scalar(_) => {}
        }
    }
}

fn condition(expr: &Expr) -> Cond {
    planned_condition(expr).unwrap_or_else(|| Cond::Tree(expr.clone()))
}

/// The plan of a condition, if its operands are all `Operand`s.
fn planned_condition(expr: &Expr) -> Option<Cond> {
    Some(match expr {
        Expr::Not(operand) => negation(condition(operand)),
        Expr::Binary(op @ (BinOp::And | BinOp::Or), left, right) => {
            let or = *op == BinOp::Or;
            let mut operands = Vec::new();
            for side in [left, right] {
                match condition(side) {
                    Cond::Logic {
                        or: same,
                        operands: inner,
                    } if same == or => operands.extend(inner),
                    other => operands.push(other),
                }
            }
            Cond::Logic {
                or,
                operands: operands.into(),
            }
        }
        Expr::Binary(op, left, right) if op.is_condition() => binary(*op, left, right)?,
        Expr::Quantifier {
            kind,
            depth,
            list,
            body,
        } => {
            let mut body = condition(body);
            // Without the tree walk in the body, nothing but its places reads the variable:
            // they can read the element itself rather than the evaluator's frames.
            let element = (*depth as usize) < ELEMENTS && !body.is_walked();
            if element {
                body.for_each_place(&mut |place| {
                    if place.root == Root::Local(*depth) {
                        place.root = Root::Element(*depth);
                    }
                });
            }
            Cond::Quantifier {
                kind: *kind,
                depth: *depth,
                element,
                list: operand(list)?,
                body: Box::new(body),
            }
        }
        Expr::IsMissing(operand_expr) | Expr::IsPresent(operand_expr) => Cond::IsMissing {
            operand: operand(operand_expr)?,
            missing: matches!(expr, Expr::IsMissing(_)),
        },
        other => Cond::Truth {
            operand: operand(other)?,
            negated: false,
        },
    })
}

/// `not condition`, folded into the condition where it has a negated form of the same cost.
fn negation(condition: Cond) -> Cond {
    match condition {
        Cond::Not(operand) => *operand,
        Cond::Truth { operand, negated } => Cond::Truth {
            operand,
            negated: !negated,
        },
        Cond::ContainsTexts {
            negated,
            all,
            list,
            texts,
        } => Cond::ContainsTexts {
            negated: !negated,
            all,
            list,
            texts,
        },
        Cond::InConstant {
            negated,
            operand,
            list,
        } => Cond::InConstant {
            negated: !negated,
            operand,
            list,
        },
        Cond::InTexts {
            negated,
            operand,
            texts,
        } => Cond::InTexts {
            negated: !negated,
            operand,
            texts,
        },
        Cond::PlaceVsConstant {
            op,
            place,
            constant,
        } if let Some(op) = negated(op) => Cond::PlaceVsConstant {
            op,
            place,
            constant,
        },
        Cond::Binary { op, left, right } if let Some(op) = negated(op) => {
            Cond::Binary { op, left, right }
        }
        other => Cond::Not(Box::new(other)),
    }
}

/// The operator that holds exactly when `op` does not, with the same operands and cost:
/// `==` and `!=`, `in` and `not in`.
fn negated(op: BinOp) -> Option<BinOp> {
    match op {
        BinOp::Eq => Some(BinOp::Ne),
        BinOp::Ne => Some(BinOp::Eq),
        BinOp::In => Some(BinOp::NotIn),
        BinOp::NotIn => Some(BinOp::In),
        _ => None,
    }
}

/// A condition operator other than `and` and `or`.
fn binary(op: BinOp, left: &Expr, right: &Expr) -> Option<Cond> {
    let constant = match right {
        Expr::Const(list @ Value::List(_)) => Some(list),
        _ => None,
    };
    let texts = constant.and_then(TextSet::new);
    Some(match (op, constant) {
        (BinOp::In | BinOp::NotIn, Some(list)) => match texts {
            Some(texts) => Cond::InTexts {
                negated: op == BinOp::NotIn,
                operand: operand(left)?,
                texts,
            },
            None => Cond::InConstant {
                negated: op == BinOp::NotIn,
                operand: operand(left)?,
                list: list.clone(),
            },
        },
        (BinOp::ListContainsAny | BinOp::ListContainsAll, Some(_)) if let Some(texts) = texts => {
            Cond::ContainsTexts {
                negated: false,
                all: op == BinOp::ListContainsAll,
                list: operand(left)?,
                texts,
            }
        }
        _ => match (operand(left)?, operand(right)?) {
            (Operand::Path(place), Operand::Const(constant)) if is_comparable(op, &constant) => {
                Cond::PlaceVsConstant {
                    op,
                    place,
                    constant,
                }
            }
            (Operand::Const(constant), Operand::Path(place)) if is_comparable(op, &constant) => {
                Cond::PlaceVsConstant {
                    op: mirrored(op),
                    place,
                    constant,
                }
            }
            (left, right) => Cond::Binary { op, left, right },
        },
    })
}

/// Whether `op` compares a place with `constant` as `PlaceVsConstant` does.
fn is_comparable(op: BinOp, constant: &Value) -> bool {
    let scalar = matches!(
        constant,
        Value::Bool(_) | Value::Number(_) | Value::Text(_) | Value::Date(_)
    );
    let comparison = matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    );
    scalar && comparison
}

/// The operator with its operands swapped: `a < b` is `b > a`.
fn mirrored(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

/// `expr` as an operand: `None` when its value may be a text, list or record computed during
/// the evaluation, which cannot be read by reference.
fn operand(expr: &Expr) -> Option<Operand> {
    Some(match expr {
        Expr::Const(value) => Operand::Const(value.clone()),
        Expr::Lookup { table, key } => Operand::Lookup {
            table: *table,
            key: Box::new(operand(key)?),
        },
        Expr::Coalesce(left, right) => {
            Operand::Coalesce(Box::new([operand(left)?, operand(right)?]))
        }
        Expr::Today => Operand::Today,
        Expr::Binary(op @ (BinOp::DatePlus | BinOp::DateMinus), left, right)
            if let (Expr::Today, Expr::Const(Value::Duration(duration))) = (&**left, &**right) =>
        {
            Operand::ShiftedToday {
                duration: *duration,
                sign: if *op == BinOp::DatePlus { 1 } else { -1 },
                memo: DayMemo::default(),
            }
        }
        Expr::Binary(op, left, right)
            if is_scalar(expr)
                && !op.is_condition()
                && let (Some(left), Some(right)) = (operand(left), operand(right)) =>
        {
            Operand::Arithmetic {
                op: *op,
                operands: Box::new([left, right]),
            }
        }
        Expr::Call(Builtin::Count, args)
            if let [list] = &args[..]
                && let Some(Operand::Path(place)) = path(list) =>
        {
            Operand::Count(place)
        }
        Expr::Call(builtin, args)
            if is_scalar(expr)
                && let Some(args) = args.iter().map(operand).collect::<Option<Box<[_]>>>() =>
        {
            Operand::Call {
                builtin: *builtin,
                args,
            }
        }
        _ if is_scalar(expr) => Operand::Scalar(expr.clone()),
        _ => path(expr)?,
    })
}

/// Whether the value of `expr` is always a bool, a number or a date (or missing).
fn is_scalar(expr: &Expr) -> bool {
    match expr {
        Expr::Today
        | Expr::Neg(_)
        | Expr::Not(_)
        | Expr::IsMissing(_)
        | Expr::IsPresent(_)
        | Expr::Quantifier { .. } => true,
        Expr::Binary(op, ..) => *op != BinOp::Concat,
        // `min` and `max` take numbers or dates.
        Expr::Call(builtin, _) => {
            !matches!(builtin, Builtin::Lower | Builtin::Upper | Builtin::Trim)
        }
        Expr::Choose { arms, otherwise } => {
            is_scalar(otherwise) && arms.iter().all(|(_, value)| is_scalar(value))
        }
        _ => false,
    }
}

/// The place `expr` names, if it is one: a root and field positions.
fn path(expr: &Expr) -> Option<Operand> {
    let mut fields = SmallVec::new();
    let mut place = expr;
    while let Expr::Field { base, index, .. } = place {
        fields.push(*index);
        place = base;
    }
    let root = match place {
        Expr::Input => Root::Input,
        Expr::Slot(slot) => Root::Slot(*slot),
        Expr::Local(depth) => Root::Local(*depth),
        _ => return None,
    };
    fields.reverse();
    Some(Operand::Path(Place { root, fields }))
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
