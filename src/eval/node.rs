//! The rules' decision plans compiled once more, into nodes: each node of a plan becomes a
//! value of a type made for its kind and generic over how it reads its place (a field of the
//! input, a field of a quantifier's element, a let, any path). A decision then runs, per node,
//! a small function that knows what it reads and what it tests, rather than matching on the
//! condition, the operand, the root and the value at every step; such dispatch was most of a
//! decision's instructions. Kinds no type is made for run the plan itself (`Evaluator::cond`).
//!
//! Every node calls the functions the plan arm it stands for calls (`Evaluator::logic`,
//! `quantify`, `vs_constant`, `read_in_texts`, ...), so a node means and costs what its plan
//! does.

use super::plan::{Read, field, holds, truth_of_read};
use super::{Construct, Evaluator, MISSING, Truth, decision_order, operand_construct};
use crate::date::Duration;
use crate::limits::TEXT_STEP_BYTES;
use crate::plan::{Cond, DayMemo, Operand, Place, Root, RulePlan, TextSet};
use crate::program::{BinOp, MissingCause, Program, QuantifierKind, Slot, SmolStr, TableId, Value};

/// The plans of a program compiled to nodes: every rule's, let's and score's; none for the
/// tree walk. A function of the plans, which `Plans` keeps beside them.
#[derive(Default)]
pub struct Nodes {
    /// In declaration order.
    rules: Vec<RuleNode>,
    /// The rules' indices in decision order (`decision_order`), computed once.
    order: Vec<usize>,
    lets: Vec<Option<Box<dyn OperandNode>>>,
    /// A score's components; `None` when the tree walk computes one of them.
    scores: Vec<Option<Operands>>,
}

type Operands = Box<[Box<dyn OperandNode>]>;

/// A rule's `when` and condition.
pub(super) struct RuleNode {
    pub(super) when: Option<Box<dyn Node>>,
    pub(super) condition: Box<dyn Node>,
}

impl Nodes {
    pub const NONE: Nodes = Nodes {
        rules: Vec::new(),
        order: Vec::new(),
        lets: Vec::new(),
        scores: Vec::new(),
    };

    pub fn new(
        program: &Program,
        rules: &[RulePlan],
        lets: &[Option<Operand>],
        scores: &[Option<Box<[Operand]>>],
    ) -> Nodes {
        Nodes {
            rules: (rules.iter())
                .map(|rule| RuleNode {
                    when: rule.when.as_ref().map(node),
                    condition: node(&rule.condition),
                })
                .collect(),
            order: decision_order(&program.rules).collect(),
            lets: (lets.iter())
                .map(|plan| plan.as_ref().map(operand))
                .collect(),
            scores: (scores.iter())
                .map(|plan| {
                    plan.as_ref()
                        .map(|components| components.iter().map(operand).collect())
                })
                .collect(),
        }
    }

    pub(super) fn rule(&self, index: usize) -> Option<&RuleNode> {
        self.rules.get(index)
    }

    /// The rules in decision order, when there are nodes.
    pub(super) fn order(&self) -> Option<&[usize]> {
        (!self.rules.is_empty()).then_some(&self.order)
    }

    pub(super) fn let_value(&self, index: usize) -> Option<&dyn OperandNode> {
        self.lets.get(index)?.as_deref()
    }

    pub(super) fn score_components(&self, index: usize) -> Option<&[Box<dyn OperandNode>]> {
        self.scores.get(index)?.as_deref()
    }
}

impl std::fmt::Debug for Nodes {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "Nodes({} rules)", self.rules.len())
    }
}

/// A condition, compiled.
pub(super) trait Node: Send + Sync {
    fn truth<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Truth;
}

/// `Evaluator::cond` on a node, for `Evaluator::outcome`.
pub(super) fn truth<'a>(evaluator: &mut Evaluator<'a>, node: &'a dyn Node) -> Truth {
    node.truth(evaluator)
}

/// A leaf of `tail` on the value of `place`, read the way its shape allows, boxed as the node
/// (condition or operand) the context expects.
macro_rules! on_place {
    ($place:expr, $tail:expr $(,)?) => {{
        let (place, tail): (&Place, _) = ($place, $tail);
        match (place.root, &place.fields[..]) {
            (Root::Input, &[index]) => Box::new(Leaf {
                read: InputField(index),
                tail,
            }) as _,
            (Root::Element(depth), &[index]) => Box::new(Leaf {
                read: ElementField {
                    depth: depth as usize,
                    index,
                },
                tail,
            }) as _,
            (Root::Slot(slot), []) => Box::new(Leaf {
                read: Let(slot),
                tail,
            }) as _,
            (Root::Input, fields) => Box::new(Leaf {
                read: InputPath(fields.into()),
                tail,
            }) as _,
            _ => Box::new(Leaf {
                read: AnyPlace(place.clone()),
                tail,
            }) as _,
        }
    }};
}

fn node(cond: &Cond) -> Box<dyn Node> {
    match cond {
        Cond::Logic { or, operands } => match &operands[..] {
            [left, right] => Box::new(Logic {
                or: *or,
                operands: [node(left), node(right)],
            }),
            _ => Box::new(Logic {
                or: *or,
                operands: operands.iter().map(node).collect::<Box<_>>(),
            }),
        },
        Cond::PlaceVsConstant {
            op,
            place,
            constant,
        } => {
            let general = VsConstant {
                op: *op,
                constant: constant.clone(),
            };
            match constant {
                Value::Text(text)
                    if matches!(op, BinOp::Eq | BinOp::Ne) && text.len() < TEXT_STEP_BYTES =>
                {
                    let text = text.clone();
                    on_place!(place, IsText { text, general })
                }
                &Value::Number(number) => on_place!(place, VsNumber { number, general }),
                _ => on_place!(place, general),
            }
        }
        Cond::InTexts {
            negated,
            operand: Operand::Path(place),
            texts,
        } => on_place!(
            place,
            InTexts {
                negated: *negated,
                texts: texts.clone(),
            },
        ),
        Cond::ContainsTexts {
            negated,
            all,
            list: Operand::Path(place),
            texts,
        } => on_place!(
            place,
            ContainsTexts {
                negated: *negated,
                all: *all,
                texts: texts.clone(),
            },
        ),
        Cond::Truth {
            operand: Operand::Path(place),
            negated,
        } => on_place!(place, IsTrue { negated: *negated }),
        Cond::Quantifier {
            kind,
            depth,
            element: true,
            list: Operand::Path(place),
            body,
        } => on_place!(
            place,
            Quantify {
                kind: *kind,
                depth: *depth as usize,
                body: node(body),
            },
        ),
        Cond::Truth { operand, negated } => Box::new(TruthOf {
            operand: self::operand(operand),
            negated: *negated,
        }),
        Cond::Binary { op, left, right } => Box::new(Compare {
            op: *op,
            left: self::operand(left),
            right: self::operand(right),
        }),
        Cond::IsMissing { operand, missing } => Box::new(IsMissing {
            operand: self::operand(operand),
            missing: *missing,
        }),
        other => Box::new(Planned(other.clone())),
    }
}

fn operand(operand: &Operand) -> Box<dyn OperandNode> {
    match operand {
        Operand::Const(value) => Box::new(Constant(value.clone())),
        Operand::Path(place) => on_place!(place, Whole),
        Operand::Count(place) => on_place!(place, CountOf),
        Operand::Lookup { table, key } => Box::new(Lookup {
            table: *table,
            key: self::operand(key),
        }),
        Operand::Coalesce(operands) => {
            let [left, right] = &**operands;
            Box::new(Coalesce([self::operand(left), self::operand(right)]))
        }
        Operand::ShiftedToday {
            duration,
            sign,
            memo: _,
        } => Box::new(ShiftedToday {
            duration: *duration,
            sign: *sign,
            memo: DayMemo::default(),
        }),
        other => Box::new(PlannedOperand(other.clone())),
    }
}

/// A plan node run as it is.
struct Planned(Cond);

impl Node for Planned {
    fn truth<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Truth {
        evaluator.cond(&self.0)
    }
}

/// `Cond::Logic`, with its operands in a fixed array when there are two (the usual case: the
/// loop unrolls) or a slice.
struct Logic<O> {
    or: bool,
    operands: O,
}

impl<O: AsRef<[Box<dyn Node>]> + Send + Sync> Node for Logic<O> {
    fn truth<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Truth {
        evaluator.logic(self.or, self.operands.as_ref(), |evaluator, operand| {
            operand.truth(evaluator)
        })
    }
}

/// A place's value and what is done with it: a condition when `tail` is a `Test`, an operand
/// when it is a `Get`.
struct Leaf<R, T> {
    read: R,
    tail: T,
}

impl<R: Reader, T: Test> Node for Leaf<R, T> {
    fn truth<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Truth {
        let value = self.read.read(evaluator);
        self.tail.test(evaluator, value)
    }
}

impl<R: Reader, G: Get> OperandNode for Leaf<R, G> {
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Read<'a> {
        let value = self.read.read(evaluator);
        self.tail.get(evaluator, value)
    }
}

/// How a leaf reads its place: `Evaluator::read_place` for one shape of place.
trait Reader: Send + Sync + 'static {
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> &'a Value;
}

/// A field of the input record.
struct InputField(u32);

impl Reader for InputField {
    #[inline(always)]
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> &'a Value {
        field(evaluator.input, self.0)
    }
}

/// A field of a field (of a field...) of the input record.
struct InputPath(Box<[u32]>);

impl Reader for InputPath {
    #[inline(always)]
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> &'a Value {
        (self.0.iter()).fold(evaluator.input, |value, &index| field(value, index))
    }
}

/// A field of the element bound by an enclosing quantifier.
struct ElementField {
    depth: usize,
    index: u32,
}

impl Reader for ElementField {
    #[inline(always)]
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> &'a Value {
        let element = evaluator.elements.get(self.depth).copied();
        field(element.unwrap_or(&MISSING), self.index)
    }
}

/// A let or score, computed on first read.
struct Let(Slot);

impl Reader for Let {
    #[inline(always)]
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> &'a Value {
        evaluator.slot(self.0)
    }
}

/// Any other place.
struct AnyPlace(Place);

impl Reader for AnyPlace {
    #[inline(always)]
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> &'a Value {
        evaluator.read_place(&self.0)
    }
}

/// What a leaf tests of its place's value: the second half of a plan arm.
trait Test: Send + Sync + 'static {
    fn test<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth;
}

/// `Cond::PlaceVsConstant`.
struct VsConstant {
    op: BinOp,
    constant: Value,
}

impl Test for VsConstant {
    #[inline(always)]
    fn test<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        evaluator.vs_constant(self.op, value, &self.constant)
    }
}

impl VsConstant {
    /// `test` out of line, for the fast arms' other cases: a leaf that never calls it in
    /// line saves no registers.
    #[cold]
    #[inline(never)]
    fn otherwise<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        self.test(evaluator, value)
    }
}

/// `Cond::PlaceVsConstant` for `==` or `!=` and a text shorter than [`TEXT_STEP_BYTES`]: a text
/// of its length costs no steps to compare (`Evaluator::equal`), so comparing a text is a bare
/// comparison (two short texts compare as fixed-size arrays).
struct IsText {
    text: SmolStr,
    general: VsConstant,
}

impl Test for IsText {
    #[inline(always)]
    fn test<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        match value {
            Value::Text(text) => Ok((*text == self.text) == (self.general.op == BinOp::Eq)),
            _ => self.general.otherwise(evaluator, value),
        }
    }
}

/// `Cond::PlaceVsConstant` for a number: two numbers compare in line, as `compare_scalars`
/// compares them.
struct VsNumber {
    number: f64,
    general: VsConstant,
}

impl Test for VsNumber {
    #[inline(always)]
    fn test<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        match value {
            Value::Number(n) if let Some(order) = n.partial_cmp(&self.number) => {
                Ok(holds(self.general.op, order))
            }
            _ => self.general.otherwise(evaluator, value),
        }
    }
}

/// `Cond::InTexts` on a place.
struct InTexts {
    negated: bool,
    texts: TextSet,
}

impl Test for InTexts {
    #[inline(always)]
    fn test<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        let x = evaluator.listed(Read::Place(value), Construct::Membership);
        evaluator.read_in_texts(x, self.negated, &self.texts)
    }
}

/// `Cond::ContainsTexts` on a place.
struct ContainsTexts {
    negated: bool,
    all: bool,
    texts: TextSet,
}

impl Test for ContainsTexts {
    #[inline(always)]
    fn test<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        let list = evaluator.listed(Read::Place(value), Construct::Membership);
        evaluator.read_contains_texts(list, self.negated, self.all, &self.texts)
    }
}

/// `Cond::Truth` on a place.
struct IsTrue {
    negated: bool,
}

impl Test for IsTrue {
    #[inline(always)]
    fn test<'a>(&'a self, _: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        truth_of_read(Read::Place(value), self.negated)
    }
}

/// `Cond::Quantifier` over a place, binding bare elements.
struct Quantify {
    kind: QuantifierKind,
    depth: usize,
    body: Box<dyn Node>,
}

impl Test for Quantify {
    #[inline(always)]
    fn test<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Truth {
        let Value::List(items) = value else {
            return Err(MissingCause::NONE);
        };
        evaluator.quantify(self.kind, self.depth, true, items, &*self.body, truth)
    }
}

/// An operand, compiled: `Evaluator::read`.
pub(super) trait OperandNode: Send + Sync {
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Read<'a>;

    /// `Evaluator::read_elements`: a list's elements cost a step each.
    fn read_elements<'a>(
        &'a self,
        evaluator: &mut Evaluator<'a>,
        construct: Construct,
    ) -> Read<'a> {
        let value = self.read(evaluator);
        evaluator.listed(value, construct)
    }
}

/// A plan operand read as it is.
struct PlannedOperand(Operand);

impl OperandNode for PlannedOperand {
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Read<'a> {
        evaluator.read(&self.0)
    }
}

/// `Operand::Const`.
struct Constant(Value);

impl OperandNode for Constant {
    fn read<'a>(&'a self, _: &mut Evaluator<'a>) -> Read<'a> {
        Read::Place(&self.0)
    }

    /// Constants are charged as the operator visits them.
    fn read_elements<'a>(&'a self, _: &mut Evaluator<'a>, _: Construct) -> Read<'a> {
        Read::Place(&self.0)
    }
}

/// What an operand makes of a place's value: the second half of `Evaluator::read`.
trait Get: Send + Sync + 'static {
    fn get<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Read<'a>;
}

/// `Operand::Path`.
struct Whole;

impl Get for Whole {
    #[inline(always)]
    fn get<'a>(&'a self, _: &mut Evaluator<'a>, value: &'a Value) -> Read<'a> {
        Read::Place(value)
    }
}

/// `Operand::Count`.
struct CountOf;

impl Get for CountOf {
    #[inline(always)]
    fn get<'a>(&'a self, evaluator: &mut Evaluator<'a>, value: &'a Value) -> Read<'a> {
        evaluator.count_of(value)
    }
}

/// `Operand::Lookup`.
struct Lookup {
    table: TableId,
    key: Box<dyn OperandNode>,
}

impl OperandNode for Lookup {
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Read<'a> {
        let key = self.key.read(evaluator);
        evaluator.lookup_read(self.table, key)
    }
}

/// `Operand::Coalesce`.
struct Coalesce([Box<dyn OperandNode>; 2]);

impl OperandNode for Coalesce {
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Read<'a> {
        evaluator.coalesce_of(&self.0, |evaluator, operand| operand.read(evaluator))
    }
}

/// `Operand::ShiftedToday`, with a memo of its own.
struct ShiftedToday {
    duration: Duration,
    sign: i64,
    memo: DayMemo,
}

impl OperandNode for ShiftedToday {
    fn read<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Read<'a> {
        evaluator.shifted_today(self.duration, self.sign, &self.memo)
    }
}

/// `Cond::Truth` on an operand other than a place.
struct TruthOf {
    operand: Box<dyn OperandNode>,
    negated: bool,
}

impl Node for TruthOf {
    fn truth<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Truth {
        let value = self.operand.read(evaluator);
        truth_of_read(value, self.negated)
    }
}

/// `Cond::Binary`.
struct Compare {
    op: BinOp,
    left: Box<dyn OperandNode>,
    right: Box<dyn OperandNode>,
}

impl Node for Compare {
    fn truth<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Truth {
        let construct = operand_construct(self.op);
        let left = self.left.read_elements(evaluator, construct);
        let right = self.right.read_elements(evaluator, construct);
        evaluator.compare_reads(self.op, left, right)
    }
}

/// `Cond::IsMissing`.
struct IsMissing {
    operand: Box<dyn OperandNode>,
    missing: bool,
}

impl Node for IsMissing {
    fn truth<'a>(&'a self, evaluator: &mut Evaluator<'a>) -> Truth {
        Ok(self.operand.read(evaluator).is_missing() == self.missing)
    }
}
