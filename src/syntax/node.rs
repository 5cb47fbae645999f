//! The expression nodes and weights `build` makes, with their depth, shape and precision rules.
//! A [`Fault`] is what `build` reports as a diagnostic.

use super::MAX_EXPR_DEPTH;
use crate::ast::*;
use crate::span::Span;

/// An expression under construction.
pub(super) struct Built {
    pub expr: Expr,
    /// Height of the tree, checked against `MAX_EXPR_DEPTH`.
    pub depth: usize,
    pub shape: Shape,
    /// The span including surrounding parentheses.
    pub outer: Span,
}

/// What matters about the top of an expression for the operators around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Plain,
    /// A bare level-6 operator: comparisons do not chain.
    Comparison,
    /// A bare `match`: a level-1 construct, not an operand.
    Match,
}

/// Why a node cannot be built.
pub(super) enum Fault {
    /// The tree would be higher than `MAX_EXPR_DEPTH` (E0012), at the node's span.
    TooDeep(Span),
    /// A comparison of a comparison (E0005), at the operator the caller holds.
    Chained,
    /// A bare `match` as an operand (E0015), at the `match`.
    BareMatch(Span),
}

pub(super) enum Prefix {
    If(Built, Built),
    Quantifier(Quantifier, Ident, Built),
    Not,
    Neg,
}

pub(super) enum Postfix {
    Missing,
    Present,
    Field(Ident),
    Index(Built),
}

impl Built {
    /// A node one level above children of depth `depth`.
    #[inline]
    pub fn node(kind: ExprKind, span: Span, depth: usize) -> Result<Built, Fault> {
        if depth + 1 > MAX_EXPR_DEPTH {
            return Err(Fault::TooDeep(span));
        }
        Ok(Built {
            expr: Expr { kind, span },
            depth: depth + 1,
            shape: Shape::Plain,
            outer: span,
        })
    }

    #[inline]
    fn with_shape(self, shape: Shape) -> Built {
        Built { shape, ..self }
    }

    /// The node of a prefix operator at `op_span` over its operand.
    #[inline]
    pub fn prefix(prefix: Prefix, op_span: Span, operand: Built) -> Result<Built, Fault> {
        let span = op_span.to(operand.outer);
        let (kind, depth) = match prefix {
            Prefix::If(condition, then) => {
                let depth = condition.depth.max(then.depth).max(operand.depth);
                let kind = ExprKind::If {
                    condition: Box::new(condition.expr),
                    then: Box::new(then.expr),
                    otherwise: Box::new(operand.expr),
                };
                (kind, depth)
            }
            Prefix::Quantifier(kind, var, list) => {
                let depth = list.depth.max(operand.depth);
                let kind = ExprKind::Quantifier {
                    kind,
                    var,
                    list: Box::new(list.expr),
                    body: Box::new(operand.expr),
                };
                (kind, depth)
            }
            Prefix::Not => (
                ExprKind::Unary(UnaryOp::Not, Box::new(operand.expr)),
                operand.depth,
            ),
            Prefix::Neg => (
                ExprKind::Unary(UnaryOp::Neg, Box::new(operand.expr)),
                operand.depth,
            ),
        };
        Built::node(kind, span, depth)
    }

    /// The node of a postfix operator ending at `op_span` over its operand.
    #[inline]
    pub fn postfix(operand: Built, postfix: Postfix, op_span: Span) -> Result<Built, Fault> {
        if operand.shape == Shape::Match {
            return Err(Fault::BareMatch(operand.outer));
        }
        let span = operand.outer.to(op_span);
        let negated = match postfix {
            Postfix::Field(name) => {
                return Built::node(
                    ExprKind::Field(Box::new(operand.expr), name),
                    span,
                    operand.depth,
                );
            }
            Postfix::Index(key) => {
                let depth = operand.depth.max(key.depth);
                let kind = ExprKind::Index(Box::new(operand.expr), Box::new(key.expr));
                return Built::node(kind, span, depth);
            }
            Postfix::Missing => false,
            Postfix::Present => true,
        };
        if operand.shape == Shape::Comparison {
            return Err(Fault::Chained);
        }
        let kind = ExprKind::IsMissing {
            operand: Box::new(operand.expr),
            negated,
        };
        Ok(Built::node(kind, span, operand.depth)?.with_shape(Shape::Comparison))
    }

    /// The node of a binary operator.
    #[inline]
    pub fn infix(lhs: Built, op: BinaryOp, rhs: Built) -> Result<Built, Fault> {
        if lhs.shape == Shape::Match {
            return Err(Fault::BareMatch(lhs.outer));
        }
        let comparison = is_comparison(op);
        if comparison && (lhs.shape == Shape::Comparison || rhs.shape == Shape::Comparison) {
            return Err(Fault::Chained);
        }
        let span = lhs.outer.to(rhs.outer);
        let depth = lhs.depth.max(rhs.depth);
        let kind = ExprKind::Binary(op, Box::new(lhs.expr), Box::new(rhs.expr));
        let shape = if comparison {
            Shape::Comparison
        } else {
            Shape::Plain
        };
        Ok(Built::node(kind, span, depth)?.with_shape(shape))
    }

    /// `[element for var in list if filter]`.
    pub fn comprehension(
        element: Built,
        var: Ident,
        list: Built,
        filter: Option<Built>,
        span: Span,
    ) -> Result<Built, Fault> {
        let depth = element
            .depth
            .max(list.depth)
            .max(filter.as_ref().map_or(0, |f| f.depth));
        let kind = ExprKind::Comprehension {
            element: Box::new(element.expr),
            var,
            list: Box::new(list.expr),
            filter: filter.map(|f| Box::new(f.expr)),
        };
        Built::node(kind, span, depth)
    }

    /// `match { arms else => otherwise }` of depth `depth` below it.
    pub fn match_node(
        arms: Vec<MatchArm>,
        otherwise: Option<Expr>,
        span: Span,
        depth: usize,
    ) -> Result<Built, Fault> {
        let kind = ExprKind::Match {
            arms,
            otherwise: otherwise.map(Box::new),
        };
        Ok(Built::node(kind, span, depth)?.with_shape(Shape::Match))
    }
}

/// The level-6 operators, which do not chain.
pub(super) fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In
            | BinaryOp::NotIn
            | BinaryOp::Contains
            | BinaryOp::ContainsAny
            | BinaryOp::ContainsAll
    )
}

/// Why a weight cannot be exact.
pub(super) enum WeightFault {
    /// More than two decimals (E0009).
    TooPrecise,
    /// More hundredths than a `u64` holds (E0010).
    TooLarge,
}

/// `12.5` (a weight's digits, without its `%`) is 1250 hundredths of a percent: the digits
/// with the fraction padded to two, read as one number.
pub(super) fn weight_hundredths(digits: &str) -> Result<u64, WeightFault> {
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let number = |text: &str| text.parse::<u64>().ok();
    let fraction = match fraction.len() {
        0 => Some(0),
        1 => number(fraction).map(|tenths| tenths * 10),
        2 => number(fraction),
        _ => return Err(WeightFault::TooPrecise),
    };
    number(whole)
        .and_then(|whole| whole.checked_mul(100))
        .zip(fraction)
        .and_then(|(whole, fraction)| whole.checked_add(fraction))
        .ok_or(WeightFault::TooLarge)
}

/// Digits with their `_` separators removed, copied only when there are any.
pub(super) fn without_underscores(digits: &str) -> std::borrow::Cow<'_, str> {
    if digits.contains('_') {
        std::borrow::Cow::Owned(digits.replace('_', ""))
    } else {
        std::borrow::Cow::Borrowed(digits)
    }
}
