//! Operators: which operand types each binary operator accepts, what it computes, and the
//! comparisons of literals against unions and of list elements.

use crate::ast;
use crate::program::{BinOp, Expr};
use crate::span::Span;
use crate::types::Type;

use super::{Checker, Context, Typed, codes, keep_optional};

impl<'a> Checker<'a> {
    pub(super) fn expect_operand(
        &mut self,
        ty: &Type,
        expected: &Type,
        span: Span,
        op: &str,
    ) -> Type {
        if ty.is_error() {
            Type::Error
        } else if ty.required().fits(expected) {
            keep_optional(expected.clone(), ty)
        } else {
            self.error(
                codes::BAD_OPERANDS,
                span,
                format!("{op} expects `{expected}`, but this is `{ty}`"),
            );
            Type::Error
        }
    }

    /// Checks a binary operation. An operand that already had an error makes the result an
    /// error too, so the mistake is reported once, where it happened.
    pub(super) fn binary(
        &mut self,
        op: ast::BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        cx: Context,
    ) -> Typed {
        let left = self.expr(lhs, cx);
        let right = self.expr(rhs, cx);
        if left.ty.is_error() || right.ty.is_error() {
            let typed = self.operator(op, left, lhs, right, rhs, span);
            return Typed {
                ty: Type::Error,
                ..typed
            };
        }
        self.operator(op, left, lhs, right, rhs, span)
    }

    fn operator(
        &mut self,
        op: ast::BinaryOp,
        left: Typed,
        lhs: &ast::Expr,
        right: Typed,
        rhs: &ast::Expr,
        span: Span,
    ) -> Typed {
        use ast::BinaryOp as A;
        let optional = left.ty.is_optional() || right.ty.is_optional();
        let (l, r) = (left.ty.required().clone(), right.ty.required().clone());
        // `nothing` (the element type of `[]`, so the type of `max([])`) fits every type: the
        // operator is the one the other side asks for, and the value is missing at run time.
        // Both `nothing` (`min([]) <= max([])`) read as numbers, which every operator but
        // `contains` and `in` accepts.
        let (l, r) = match (l, r) {
            (Type::Nothing, Type::Nothing) => (Type::Number, Type::Number),
            (Type::Nothing, other) | (other, Type::Nothing) => (other.clone(), other),
            pair => pair,
        };
        let either_error = l.is_error() || r.is_error();
        let build = |op: BinOp, left: Typed, right: Typed| {
            Expr::Binary(op, Box::new(left.expr), Box::new(right.expr))
        };
        let with_optional = |ty: Type| if optional { ty.optional() } else { ty };
        match op {
            A::Coalesce => {
                let ty = match left.ty.required().join(&right.ty) {
                    Some(joined) => {
                        if right.ty.is_optional() {
                            joined.optional()
                        } else {
                            joined.required().clone()
                        }
                    }
                    None => {
                        self.error(codes::BAD_OPERANDS, span, format!("both sides of `??` must have the same type, but they are `{}` and `{}`", left.ty, right.ty));
                        Type::Error
                    }
                };
                Typed {
                    ty,
                    expr: Expr::Coalesce(Box::new(left.expr), Box::new(right.expr)),
                }
            }
            A::And | A::Or => {
                self.expect_bool(&left.ty, lhs.span, &format!("`{}`", op.symbol()));
                self.expect_bool(&right.ty, rhs.span, &format!("`{}`", op.symbol()));
                let op = if op == A::And { BinOp::And } else { BinOp::Or };
                Typed {
                    ty: with_optional(Type::Bool),
                    expr: build(op, left, right),
                }
            }
            A::Eq | A::Ne => {
                self.comparable(&left, lhs, &right, rhs, op);
                let op = if op == A::Eq { BinOp::Eq } else { BinOp::Ne };
                Typed {
                    ty: with_optional(Type::Bool),
                    expr: build(op, left, right),
                }
            }
            A::Lt | A::Le | A::Gt | A::Ge => {
                let ordered = matches!(
                    (&l, &r),
                    (Type::Number, Type::Number) | (Type::Date, Type::Date)
                ) || (l.is_textual() && r.is_textual());
                if !ordered && !either_error {
                    let help = match (&l, &r) {
                        (Type::Date, Type::Number) | (Type::Number, Type::Date) => {
                            "compare a date with a date, e.g. `supplier.cmrt_date >= today - 12 months`"
                        }
                        _ => "`<`, `<=`, `>` and `>=` compare two numbers, two dates or two texts",
                    };
                    self.error(
                        codes::BAD_OPERANDS,
                        span,
                        format!(
                            "cannot compare `{}` with `{}` using `{}`",
                            left.ty,
                            right.ty,
                            op.symbol()
                        ),
                    )
                    .help = Some(help.into());
                }
                if !either_error {
                    self.literal_against_union(&left, lhs, &right, rhs);
                }
                let op = match op {
                    A::Lt => BinOp::Lt,
                    A::Le => BinOp::Le,
                    A::Gt => BinOp::Gt,
                    _ => BinOp::Ge,
                };
                Typed {
                    ty: with_optional(Type::Bool),
                    expr: build(op, left, right),
                }
            }
            A::In | A::NotIn => {
                match &r {
                    Type::List(element) => {
                        self.member_comparable(&left, lhs, element, &right, rhs, op)
                    }
                    Type::Error => {}
                    other => {
                        let help = if other.is_textual() {
                            "to look for a substring, write `TEXT contains PART`"
                        } else {
                            "the right side of `in` is a list, e.g. `x in [\"a\", \"b\"]`"
                        };
                        self.error(
                            codes::BAD_OPERANDS,
                            rhs.span,
                            format!(
                                "`{}` needs a list on its right, but this is `{}`",
                                op.symbol(),
                                right.ty
                            ),
                        )
                        .help = Some(help.into());
                    }
                }
                let op = if op == A::In { BinOp::In } else { BinOp::NotIn };
                Typed {
                    ty: with_optional(Type::Bool),
                    expr: build(op, left, right),
                }
            }
            A::Contains | A::ContainsAny | A::ContainsAll => {
                let list_op = match op {
                    A::Contains => BinOp::ListContains,
                    A::ContainsAny => BinOp::ListContainsAny,
                    _ => BinOp::ListContainsAll,
                };
                let text_op = match op {
                    A::Contains => BinOp::TextContains,
                    A::ContainsAny => BinOp::TextContainsAny,
                    _ => BinOp::TextContainsAll,
                };
                let needs_list = op != A::Contains;
                let chosen = match &l {
                    Type::List(element) => {
                        if needs_list {
                            match &r {
                                Type::List(wanted) => {
                                    self.list_elements_comparable(element, &right, rhs, wanted, op)
                                }
                                Type::Error => {}
                                other => self.needs_list_on_right(op, rhs.span, other),
                            }
                        } else {
                            self.member_comparable(&right, rhs, element, &left, lhs, op);
                        }
                        list_op
                    }
                    t if t.is_textual() => {
                        let fits = if needs_list {
                            matches!(&r, Type::List(e) if e.is_textual() || matches!(**e, Type::Nothing))
                                || r.is_error()
                        } else {
                            r.is_textual()
                        };
                        if !fits {
                            let expected = if needs_list {
                                "a list of texts"
                            } else {
                                "a text"
                            };
                            self.error(codes::BAD_OPERANDS, rhs.span, format!("`{}` on a text needs {expected} on its right, but this is `{}`", op.symbol(), right.ty));
                        }
                        text_op
                    }
                    _ => {
                        self.error(
                            codes::BAD_OPERANDS,
                            lhs.span,
                            format!(
                                "`{}` needs a list or a text on its left, but this is `{}`",
                                op.symbol(),
                                left.ty
                            ),
                        );
                        list_op
                    }
                };
                Typed {
                    ty: with_optional(Type::Bool),
                    expr: build(chosen, left, right),
                }
            }
            A::Add if matches!((&l, &r), (Type::List(_), Type::List(_))) => {
                let ty = self.concatenated(&l, &r, span);
                Typed {
                    ty: with_optional(ty),
                    expr: build(BinOp::ListConcat, left, right),
                }
            }
            A::Add | A::Sub => {
                let (chosen, ty) = match (&l, &r, op) {
                    (Type::Number, Type::Number, A::Add) => (BinOp::Add, Type::Number),
                    (Type::Number, Type::Number, _) => (BinOp::Sub, Type::Number),
                    (Type::Date, Type::Duration, A::Add) => (BinOp::DatePlus, Type::Date),
                    (Type::Date, Type::Duration, _) => (BinOp::DateMinus, Type::Date),
                    (a, b, A::Add) if a.is_textual() && b.is_textual() => {
                        (BinOp::Concat, Type::Text)
                    }
                    _ if either_error => (BinOp::Add, Type::Error),
                    _ => {
                        let help = match (&l, &r) {
                            (Type::Date, Type::Date) => {
                                "the days between two dates are `days_between(first, second)`"
                            }
                            (Type::Date, Type::Number) => {
                                "add a duration with a unit: `d + 30 days`"
                            }
                            (Type::Duration, Type::Date) => "write the date first: `d + 12 months`",
                            _ => {
                                "`+` adds numbers, joins texts and moves a date by a duration; `-` subtracts numbers or a duration from a date"
                            }
                        };
                        self.error(
                            codes::BAD_OPERANDS,
                            span,
                            format!(
                                "cannot apply `{}` to `{}` and `{}`",
                                op.symbol(),
                                left.ty,
                                right.ty
                            ),
                        )
                        .help = Some(help.into());
                        (BinOp::Add, Type::Error)
                    }
                };
                Typed {
                    ty: with_optional(ty),
                    expr: build(chosen, left, right),
                }
            }
            A::Mul | A::Div | A::Rem => {
                let ty_left = self.expect_operand(
                    &left.ty,
                    &Type::Number,
                    lhs.span,
                    &format!("`{}`", op.symbol()),
                );
                let ty_right = self.expect_operand(
                    &right.ty,
                    &Type::Number,
                    rhs.span,
                    &format!("`{}`", op.symbol()),
                );
                let ty = if ty_left.is_error() || ty_right.is_error() {
                    Type::Error
                } else {
                    with_optional(Type::Number)
                };
                let op = match op {
                    A::Mul => BinOp::Mul,
                    A::Div => BinOp::Div,
                    _ => BinOp::Rem,
                };
                Typed {
                    ty,
                    expr: build(op, left, right),
                }
            }
        }
    }

    /// The type of `A + B` on two lists: their types joined as the branches of an `if` are.
    fn concatenated(&mut self, left: &Type, right: &Type, span: Span) -> Type {
        match left.join(right) {
            Some(joined) => joined,
            None => {
                self.error(
                    codes::BAD_OPERANDS,
                    span,
                    format!("cannot concatenate `{left}` and `{right}` with `+`"),
                )
                .help = Some("the elements of both lists must have the same type".into());
                Type::Error
            }
        }
    }

    fn needs_list_on_right(&mut self, op: ast::BinaryOp, span: Span, found: &Type) {
        self.error(
            codes::BAD_OPERANDS,
            span,
            format!(
                "`{}` needs a list on its right, but this is `{found}`",
                op.symbol()
            ),
        )
        .help = Some(format!("write `L {} [\"a\", \"b\"]`", op.symbol()));
    }

    /// `==`/`!=`: the sides must have a common type; a literal outside a union is a typo.
    fn comparable(
        &mut self,
        left: &Typed,
        lhs: &ast::Expr,
        right: &Typed,
        rhs: &ast::Expr,
        op: ast::BinaryOp,
    ) {
        if left.ty.required().join(right.ty.required()).is_none() {
            self.error(
                codes::BAD_OPERANDS,
                lhs.span.to(rhs.span),
                format!(
                    "cannot compare `{}` with `{}` using `{}`",
                    left.ty,
                    right.ty,
                    op.symbol()
                ),
            )
            .help = Some("both sides of a comparison must have the same type".into());
            return;
        }
        self.literal_against_union(left, lhs, right, rhs);
    }

    /// If one side is a declared literal union and the other a constant, the constant must be
    /// one of its values.
    fn literal_against_union(
        &mut self,
        left: &Typed,
        lhs: &ast::Expr,
        right: &Typed,
        rhs: &ast::Expr,
    ) {
        for (declared, declared_ast, literal, literal_ast) in
            [(left, lhs, right, rhs), (right, rhs, left, lhs)]
        {
            if declared.constant().is_some() || !self.is_known(literal) {
                continue;
            }
            if let Type::Union(members) = declared.ty.required() {
                let what = format!("`{}`", self.text(declared_ast.span));
                self.check_literals(literal, literal_ast, members, &what);
            }
        }
    }

    /// `x in L` / `L contains x`: `x` must be comparable with the elements of `L`.
    fn member_comparable(
        &mut self,
        item: &Typed,
        item_ast: &ast::Expr,
        element: &Type,
        list: &Typed,
        list_ast: &ast::Expr,
        op: ast::BinaryOp,
    ) {
        if element.required().join(item.ty.required()).is_none() {
            self.error(
                codes::BAD_OPERANDS,
                item_ast.span.to(list_ast.span),
                format!(
                    "`{}` compares `{}` with the elements of a `{}`",
                    op.symbol(),
                    item.ty,
                    list.ty
                ),
            )
            .help = Some("the value and the list elements must have the same type".into());
            return;
        }
        if item.constant().is_none() && list.constant().is_some() {
            if let Type::Union(members) = item.ty.required() {
                let what = format!("`{}`", self.text(item_ast.span));
                self.check_literals(list, list_ast, members, &what);
            }
        } else if self.is_known(item)
            && list.constant().is_none()
            && let Type::Union(members) = element.required()
        {
            let what = format!("the elements of `{}`", self.text(list_ast.span));
            self.check_literals(item, item_ast, members, &what);
        }
    }

    /// `L contains_any M` / `contains_all`: element types comparable; literal typos in `M`.
    fn list_elements_comparable(
        &mut self,
        element: &Type,
        wanted_list: &Typed,
        wanted_ast: &ast::Expr,
        wanted: &Type,
        op: ast::BinaryOp,
    ) {
        if element.required().join(wanted.required()).is_none() {
            self.error(
                codes::BAD_OPERANDS,
                wanted_ast.span,
                format!(
                    "`{}` compares elements of type `{element}` with elements of type `{wanted}`",
                    op.symbol()
                ),
            );
            return;
        }
        if wanted_list.constant().is_some()
            && let Type::Union(members) = element.required()
        {
            self.check_literals(
                wanted_list,
                wanted_ast,
                members,
                &format!("the elements of this `[{element}]`"),
            );
        }
    }
}
