//! Runs decision plans (`crate::plan`) in decide mode, where no missing value keeps a cause.
//!
//! Each arm has the meaning of the tree walk over the expression its plan was built from and
//! charges the same steps to the same constructs in the same order: the elements of list
//! operands an operator reads (not those of constants), one per element a loop visits, one
//! per 64 bytes of equal-length texts compared. A loop whose body charges nothing (membership
//! in constant texts) charges the elements it visited at once when it ends. So a decision
//! exceeds the budget exactly when the tree walk would, in the same construct.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{Construct, Evaluator, MISSING, Truth, operand_construct};
use crate::date::{Date, Duration};
use crate::plan::{Cond, DayMemo, Operand, Place, Root, TextSet};
use crate::program::{
    BinOp, Builtin, Expr, MissingCause, QuantifierKind, ScoreDef, SmolStr, TableId, Value,
};

/// An operand's value: a place, by reference, or a scalar the tree walk computed. Nothing to
/// drop, unlike the tree walk's `Cow<Value>`.
#[derive(Clone, Copy)]
pub(super) enum Read<'a> {
    Place(&'a Value),
    Number(f64),
    Date(Date),
    Bool(bool),
    Missing,
}

impl<'a> Read<'a> {
    fn of(value: Cow<'a, Value>) -> Read<'a> {
        match value {
            Cow::Borrowed(value) => Read::Place(value),
            Cow::Owned(Value::Number(n)) => Read::Number(n),
            Cow::Owned(Value::Date(d)) => Read::Date(d),
            Cow::Owned(Value::Bool(b)) => Read::Bool(b),
            // Plans read only expressions whose values are scalars (`plan::is_scalar`).
            Cow::Owned(_) => Read::Missing,
        }
    }

    pub(super) fn value(self) -> Cow<'a, Value> {
        match self {
            Read::Place(value) => Cow::Borrowed(value),
            Read::Number(n) => Cow::Owned(Value::Number(n)),
            Read::Date(d) => Cow::Owned(Value::Date(d)),
            Read::Bool(b) => Cow::Owned(Value::Bool(b)),
            Read::Missing => Cow::Borrowed(&MISSING),
        }
    }

    pub(super) fn is_missing(self) -> bool {
        matches!(self, Read::Missing | Read::Place(Value::Missing(_)))
    }

    fn number(self) -> Option<f64> {
        match self {
            Read::Number(n) | Read::Place(&Value::Number(n)) => Some(n),
            _ => None,
        }
    }

    fn date(self) -> Option<Date> {
        match self {
            Read::Date(d) | Read::Place(&Value::Date(d)) => Some(d),
            _ => None,
        }
    }
}

impl<'a> Evaluator<'a> {
    // `cond` and `read` run the plan nodes that have no node type of their own (`eval::node`)
    // and everything below them: their arms are functions of their own, so that the two stay
    // jump tables that need no registers saved (a call that returns through them costs a
    // handful of instructions, not the frame of their largest arm).

    pub(super) fn cond(&mut self, cond: &'a Cond) -> Truth {
        match cond {
            Cond::Tree(expr) => self.truth(expr),
            Cond::Truth { operand, negated } => self.truth_of(operand, *negated),
            Cond::Not(operand) => self.not(operand),
            Cond::Logic { or, operands } => self.planned_logic(*or, operands),
            Cond::Binary { op, left, right } => self.binary(*op, left, right),
            Cond::PlaceVsConstant {
                op,
                place,
                constant,
            } => self.place_vs_constant(*op, place, constant),
            Cond::InConstant {
                negated,
                operand,
                list,
            } => self.in_constant(*negated, operand, list),
            Cond::InTexts {
                negated,
                operand,
                texts,
            } => self.in_texts(*negated, operand, texts),
            Cond::ContainsTexts {
                negated,
                all,
                list,
                texts,
            } => self.contains_texts(*negated, *all, list, texts),
            Cond::Quantifier {
                kind,
                depth,
                element,
                list,
                body,
            } => self.planned_quantifier(*kind, *depth as usize, *element, list, body),
            Cond::IsMissing { operand, missing } => self.is_missing(operand, *missing),
        }
    }

    #[inline(always)]
    pub(super) fn read(&mut self, operand: &'a Operand) -> Read<'a> {
        match operand {
            Operand::Const(value) => Read::Place(value),
            Operand::Path(place) => Read::Place(self.read_place(place)),
            Operand::Lookup { table, key } => self.read_lookup(*table, key),
            Operand::Coalesce(operands) => self.coalesce(operands),
            Operand::Today => self.today.map_or(Read::Missing, Read::Date),
            Operand::Arithmetic { op, operands } => self.planned_arithmetic(*op, operands),
            Operand::ShiftedToday {
                duration,
                sign,
                memo,
            } => self.shifted_today(*duration, *sign, memo),
            Operand::Count(place) => self.count(place),
            Operand::Call { builtin, args } => self.planned_call(*builtin, args),
            Operand::Scalar(expr) => self.scalar(expr),
        }
    }

    #[inline(never)]
    fn planned_arithmetic(&mut self, op: BinOp, operands: &'a [Operand; 2]) -> Read<'a> {
        let [left, right] = operands;
        let left = self.read(left).value();
        let right = self.read(right).value();
        Read::of(Cow::Owned(self.arithmetic_values(op, &left, &right)))
    }

    /// `arithmetic_values` on `today` and a constant duration, once a day.
    #[inline(never)]
    pub(super) fn shifted_today(
        &mut self,
        duration: Duration,
        sign: i64,
        memo: &DayMemo,
    ) -> Read<'a> {
        let Some(today) = self.today else {
            return Read::Missing;
        };
        let shifted = memo.get(today).unwrap_or_else(|| {
            let shifted = today.shift(duration, sign);
            memo.set(today, shifted);
            shifted
        });
        shifted.map_or(Read::Missing, Read::Date)
    }

    /// `planned_call` of `count` on a place: its elements cost a step each.
    #[inline(never)]
    fn count(&mut self, place: &'a Place) -> Read<'a> {
        let list = self.read_place(place);
        self.count_of(list)
    }

    /// `count` on the place's value.
    #[inline(always)]
    pub(super) fn count_of(&mut self, list: &'a Value) -> Read<'a> {
        match list {
            Value::List(items) => {
                let construct = Construct::Builtin(Builtin::Count);
                if !self.charge(items.len(), construct) || items.iter().any(Value::is_missing) {
                    return Read::Missing;
                }
                Read::Number(items.len() as f64)
            }
            Value::Missing(_) => Read::Missing,
            // `builtin` counts no elements in what is not a list (the checker allows none).
            _ => Read::Number(0.0),
        }
    }

    /// A builtin's arguments are read as `call` reads them: their elements cost a step each.
    #[inline(never)]
    fn planned_call(&mut self, builtin: Builtin, args: &'a [Operand]) -> Read<'a> {
        let construct = Construct::Builtin(builtin);
        let mut values = args
            .iter()
            .map(|arg| self.read_elements(arg, construct).value());
        let first = values.next().unwrap_or(Cow::Borrowed(&MISSING));
        let second = values.next();
        drop(values);
        Read::of(Cow::Owned(self.call_values(
            builtin,
            &first,
            second.as_deref(),
        )))
    }

    #[inline(never)]
    fn truth_of(&mut self, operand: &'a Operand, negated: bool) -> Truth {
        let value = self.read(operand);
        truth_of_read(value, negated)
    }

    #[inline(never)]
    fn not(&mut self, operand: &'a Cond) -> Truth {
        self.cond(operand).map(|b| !b)
    }

    #[inline(never)]
    fn planned_logic(&mut self, or: bool, operands: &'a [Cond]) -> Truth {
        self.logic(or, operands, Self::cond)
    }

    #[inline(never)]
    fn is_missing(&mut self, operand: &'a Operand, missing: bool) -> Truth {
        Ok(self.read(operand).is_missing() == missing)
    }

    #[inline(never)]
    fn read_lookup(&mut self, table: TableId, key: &'a Operand) -> Read<'a> {
        let key = self.read(key);
        self.lookup_read(table, key)
    }

    /// `read_lookup` on the key's value.
    #[inline(always)]
    pub(super) fn lookup_read(&mut self, table: TableId, key: Read<'a>) -> Read<'a> {
        // `lookup` on a text key, the usual kind, without building values.
        if let Read::Place(Value::Text(text)) = key {
            self.charge_text(text.len());
            return match self
                .entries(table.0 as usize)
                .and_then(|e| e.get_text(text))
            {
                Some(value) if !value.is_missing() => Read::Place(value),
                _ => Read::Missing,
            };
        }
        Read::of(self.lookup(table.0 as usize, &key.value()))
    }

    #[inline(never)]
    fn coalesce(&mut self, operands: &'a [Operand; 2]) -> Read<'a> {
        self.coalesce_of(operands, Self::read)
    }

    /// `left ?? right` of two operands that `read` reads.
    #[inline(always)]
    pub(super) fn coalesce_of<T>(
        &mut self,
        [left, right]: &'a [T; 2],
        read: impl Fn(&mut Self, &'a T) -> Read<'a>,
    ) -> Read<'a> {
        match read(self, left) {
            value if value.is_missing() => read(self, right),
            value => value,
        }
    }

    #[inline(never)]
    fn scalar(&mut self, expr: &'a Expr) -> Read<'a> {
        Read::of(self.eval(expr))
    }

    /// An operand of an operator that reads its elements, which cost a step each (constants
    /// are charged as the operator visits them), as `eval_list_elements` does. Constants and
    /// places are read in line.
    #[inline(always)]
    fn read_elements(&mut self, operand: &'a Operand, construct: Construct) -> Read<'a> {
        let value = match operand {
            Operand::Const(value) => return Read::Place(value),
            Operand::Path(place) => Read::Place(self.read_place(place)),
            other => self.read_computed(other),
        };
        self.listed(value, construct)
    }

    /// `value` as an operand of an operator that reads its elements: a list costs a step per
    /// element, and is missing once the budget runs out.
    #[inline(always)]
    pub(super) fn listed(&mut self, value: Read<'a>, construct: Construct) -> Read<'a> {
        if let Read::Place(Value::List(items)) = value
            && !self.charge(items.len(), construct)
        {
            return Read::Missing;
        }
        value
    }

    /// `read` out of line, so that `read_elements` keeps only the two common arms in line.
    #[inline(never)]
    fn read_computed(&mut self, operand: &'a Operand) -> Read<'a> {
        self.read(operand)
    }

    #[inline(always)]
    pub(super) fn read_place(&mut self, place: &Place) -> &'a Value {
        let mut value: &'a Value = match place.root {
            Root::Input => self.input,
            Root::Slot(slot) => self.slot(slot),
            Root::Local(depth) => match self.locals.get(depth as usize).map(|f| &f.value) {
                Some(Cow::Borrowed(value)) => value,
                // Planned quantifiers bind elements of places only.
                _ => &MISSING,
            },
            Root::Element(depth) => self
                .elements
                .get(depth as usize)
                .copied()
                .unwrap_or(&MISSING),
        };
        for &index in &place.fields {
            value = field(value, index);
        }
        value
    }

    #[inline(never)]
    fn binary(&mut self, op: BinOp, left: &'a Operand, right: &'a Operand) -> Truth {
        let construct = operand_construct(op);
        let left = self.read_elements(left, construct);
        let right = self.read_elements(right, construct);
        self.compare_reads(op, left, right)
    }

    /// `binary` on its operands as `read_elements` read them.
    #[inline(always)]
    pub(super) fn compare_reads(&mut self, op: BinOp, left: Read<'a>, right: Read<'a>) -> Truth {
        if let Some(truth) = self.compare_scalars(op, left, right) {
            return truth;
        }
        self.compare_values(op, &left.value(), &right.value())
    }

    /// `binary` for a place and a constant scalar: the operands in the order written, since
    /// only texts of equal length cost steps and `mirrored` keeps their comparison.
    #[inline(never)]
    fn place_vs_constant(&mut self, op: BinOp, place: &'a Place, constant: &'a Value) -> Truth {
        let value = self.read_place(place);
        self.vs_constant(op, value, constant)
    }

    /// `place_vs_constant` on the place's value: `binary`, whose constant costs no steps.
    /// The nodes compare texts and numbers in line first (`node::IsText`, `node::VsNumber`).
    #[inline(always)]
    pub(super) fn vs_constant(
        &mut self,
        op: BinOp,
        value: &'a Value,
        constant: &'a Value,
    ) -> Truth {
        let value = self.listed(Read::Place(value), operand_construct(op));
        self.compare_reads(op, value, Read::Place(constant))
    }

    /// `compare_values` on two numbers, two dates or two texts for equality and order, without
    /// building values; `None` for anything else.
    fn compare_scalars(&mut self, op: BinOp, left: Read<'a>, right: Read<'a>) -> Option<Truth> {
        let order = if let (Some(a), Some(b)) = (left.number(), right.number()) {
            a.partial_cmp(&b)?
        } else if let (Some(a), Some(b)) = (left.date(), right.date()) {
            a.cmp(&b)
        } else if let (Read::Place(a @ Value::Text(_)), Read::Place(b @ Value::Text(_))) =
            (left, right)
            && let BinOp::Eq | BinOp::Ne = op
        {
            return Some(self.equal(a, b).map(|same| same == (op == BinOp::Eq)));
        } else {
            return None;
        };
        match op {
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                Some(Ok(holds(op, order)))
            }
            _ => None,
        }
    }

    /// `x in list` (`not in` when `negated`) on a constant list.
    #[inline(never)]
    fn in_constant(&mut self, negated: bool, operand: &'a Operand, list: &'a Value) -> Truth {
        let x = self.read_elements(operand, Construct::Membership);
        self.member(&x.value(), list).map(|b| b != negated)
    }

    /// `x in texts` (`not in` when `negated`) on constant texts: `member` with the steps of
    /// its loop, one per text visited, charged at once.
    #[inline(never)]
    fn in_texts(&mut self, negated: bool, operand: &'a Operand, texts: &'a TextSet) -> Truth {
        let x = self.read_elements(operand, Construct::Membership);
        self.read_in_texts(x, negated, texts)
    }

    /// `in_texts` on the operand as `read_elements` read it.
    #[inline(always)]
    pub(super) fn read_in_texts(
        &mut self,
        x: Read<'a>,
        negated: bool,
        texts: &'a TextSet,
    ) -> Truth {
        let Read::Place(Value::Text(text)) = x else {
            return self.member(&x.value(), &texts.list).map(|b| b != negated);
        };
        let found = texts.position(text);
        let visited = found.map_or(texts.len(), |i| i + 1);
        if !self.charge(visited, Construct::Membership) {
            return Err(MissingCause::NONE);
        }
        Ok(found.is_some() != negated)
    }

    /// `list contains_any texts` (`contains_all` when `all`; negated when `negated`) on
    /// constant texts: `Evaluator::each` over the texts of "the list holds the text", with
    /// the steps of both loops charged at once. A list with an element that is not a text
    /// (a missing one) goes the general way.
    #[inline(never)]
    fn contains_texts(
        &mut self,
        negated: bool,
        all: bool,
        list: &'a Operand,
        texts: &'a TextSet,
    ) -> Truth {
        let list = self.read_elements(list, Construct::Membership);
        self.read_contains_texts(list, negated, all, texts)
    }

    /// `contains_texts` on the list as `read_elements` read it.
    #[inline(always)]
    pub(super) fn read_contains_texts(
        &mut self,
        list: Read<'a>,
        negated: bool,
        all: bool,
        texts: &'a TextSet,
    ) -> Truth {
        let Read::Place(list @ Value::List(items)) = list else {
            return Err(MissingCause::NONE);
        };
        let found = match all {
            false => contains_any(items, texts),
            true => contains_all(items, texts),
        };
        let Some((holds, steps)) = found else {
            let op = if all {
                BinOp::ListContainsAll
            } else {
                BinOp::ListContainsAny
            };
            return self
                .compare_values(op, list, &texts.list)
                .map(|b| b != negated);
        };
        if !self.charge(steps, Construct::Membership) {
            return Err(MissingCause::NONE);
        }
        Ok(holds != negated)
    }

    #[inline(never)]
    fn planned_quantifier(
        &mut self,
        kind: QuantifierKind,
        depth: usize,
        element: bool,
        list: &'a Operand,
        body: &'a Cond,
    ) -> Truth {
        // `Evaluator::quantifier` with the element bound in place: a plan's list is a place,
        // whose elements outlive the evaluation, and nothing reads an element's index or list
        // but paths.
        let Read::Place(Value::List(items)) = self.read(list) else {
            return Err(MissingCause::NONE);
        };
        if !element && self.locals.len() <= depth {
            self.bind(depth, None, 0, Cow::Borrowed(&MISSING));
        }
        self.quantify(kind, depth, element, items, body, Self::cond)
    }

    /// The quantifier `kind` over `items`, each bound at `depth` (as a bare element when
    /// `element`, else in the evaluator's frame, which must exist), deciding `body` with
    /// `test`.
    #[inline(always)]
    pub(super) fn quantify<T: ?Sized>(
        &mut self,
        kind: QuantifierKind,
        depth: usize,
        element: bool,
        items: &'a [Value],
        body: &'a T,
        test: impl Fn(&mut Self, &'a T) -> Truth,
    ) -> Truth {
        let all = kind == QuantifierKind::All;
        let any = self.kleene(
            items.iter(),
            all,
            Construct::Quantifier(kind),
            |this, item| {
                if element {
                    if let Some(bound) = this.elements.get_mut(depth) {
                        *bound = item;
                    }
                } else if let Some(frame) = this.locals.get_mut(depth) {
                    frame.value = Cow::Borrowed(item);
                }
                test(this, body)
            },
        );
        if kind == QuantifierKind::None {
            any.map(|b| !b)
        } else {
            any
        }
    }

    /// A score's value from the plans of its components: `Evaluator::score` without reports.
    pub(super) fn planned_score<T>(
        &mut self,
        score: &'a ScoreDef,
        components: &'a [T],
        read: impl Fn(&mut Self, &'a T) -> Read<'a>,
    ) -> Value {
        let mut total = Some(0.0);
        for (component, operand) in score.components.iter().zip(components) {
            self.context = super::Context::Component(&score.name, &component.name);
            match read(self, operand) {
                value if value.is_missing() => total = None,
                value => {
                    if let (Some(sum), Some(n)) = (&mut total, value.number()) {
                        *sum += n * component.weight;
                    }
                }
            }
        }
        self.context = super::Context::Score(&score.name);
        match total {
            Some(sum) => self.finite(sum, "arithmetic overflow"),
            None => Value::MISSING,
        }
    }
}

/// A field of a record value, as a place reads it: missing stays itself (with its cause).
#[inline(always)]
pub(super) fn field(value: &Value, index: u32) -> &Value {
    match value {
        Value::Record(values) => values.get(index as usize).unwrap_or(&MISSING),
        Value::Missing(_) => value,
        _ => &MISSING,
    }
}

/// A condition that is an operand's value: its bool, negated when `negated`.
#[inline(always)]
pub(super) fn truth_of_read(value: Read, negated: bool) -> Truth {
    match value {
        Read::Bool(b) | Read::Place(&Value::Bool(b)) => Ok(b != negated),
        _ => Err(MissingCause::NONE),
    }
}

/// `items contains_any texts` and the steps of `Evaluator::each`'s loops: one per text
/// visited, and one per element compared with it; the first text (in list order) that some
/// element equals decides, found in one pass over the elements. `None` when an element is no
/// text.
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

/// Whether the comparison `op` (`Eq`, `Ne`, `Lt`, `Le`, `Gt` or `Ge`) holds for `order`.
pub(super) fn holds(op: BinOp, order: Ordering) -> bool {
    match op {
        BinOp::Eq => order == Ordering::Equal,
        BinOp::Ne => order != Ordering::Equal,
        BinOp::Lt => order == Ordering::Less,
        BinOp::Le => order != Ordering::Greater,
        BinOp::Gt => order == Ordering::Greater,
        _ => order != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::super::{Evaluator, NO_PLANS};
    use super::*;
    use crate::limits::MAX_EVAL_STEPS;
    use crate::input::ReferenceData;
    use crate::program::Program;

    /// What `run` makes of a fresh decide-mode evaluator, and the steps it charged.
    fn charged<'a>(
        program: &'a Program,
        data: &'a ReferenceData,
        run: impl FnOnce(&mut Evaluator<'a>) -> Truth,
    ) -> (Truth, u64) {
        let today = Date::parse("2025-06-01").unwrap();
        let mut evaluator = Evaluator::new(program, &NO_PLANS, &MISSING, data, today, &[], false);
        let truth = run(&mut evaluator);
        (truth, MAX_EVAL_STEPS - evaluator.steps)
    }

    fn element() -> impl Strategy<Value = Value> {
        prop_oneof![
            9 => "[abc]{0,2}".prop_map(|text| Value::Text(text.into())),
            1 => Just(Value::MISSING),
        ]
    }

    proptest! {
        /// `in_texts` and `contains_texts` against the tree walk's `member` and `each`, which
        /// charge a step per element they visit: the same truth and the same steps, for texts
        /// that repeat, are absent from the list, or stand beside missing elements.
        #[test]
        fn text_sets_cost_what_the_walk_costs(
            items in vec(element(), 0..8),
            texts in vec("[abc]{0,2}", 0..6),
            negated: bool,
        ) {
            let program = crate::compile("input x { a: text }").unwrap().program().clone();
            let data = ReferenceData::default();
            let constants = Value::List(texts.iter().map(|t| Value::Text(t.into())).collect());
            let set = TextSet::new(&constants).unwrap();
            let list = Value::List(items.iter().cloned().collect());
            for all in [false, true] {
                let op = if all { BinOp::ListContainsAll } else { BinOp::ListContainsAny };
                let walked = charged(&program, &data, |this| {
                    this.compare_values(op, &list, &constants).map(|b| b != negated)
                });
                let planned = charged(&program, &data, |this| {
                    this.read_contains_texts(Read::Place(&list), negated, all, &set)
                });
                prop_assert_eq!(walked, planned, "all: {}", all);
            }
            for x in &items {
                let walked = charged(&program, &data, |this| {
                    this.member(x, &constants).map(|b| b != negated)
                });
                let planned = charged(&program, &data, |this| {
                    this.read_in_texts(Read::Place(x), negated, &set)
                });
                prop_assert_eq!(walked, planned, "{:?}", x);
            }
        }
    }
}
