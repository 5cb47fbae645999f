//! Functions (LANGUAGE.md §9.2): a body checked once against its parameters' types, and calls
//! checked against the signature.

use crate::ast::{self, Ident};
use crate::program::{self as p, Expr, FunctionId, Place, Root};
use crate::span::Span;
use crate::types::Type;

use super::{Checker, Context, Global, Signature, State, Typed, codes, to_u32};
use crate::limits::MAX_EXPR_DEPTH;

impl<'a> Checker<'a> {
    /// The signature of function `index`, its body checked on first use; `None` when the
    /// body is part of a cycle (reported) or too deep.
    pub(super) fn function(&mut self, index: usize, use_span: Span) -> Option<Signature> {
        match self.function_state.get(index)? {
            State::Done(signature) => return Some(signature.clone()),
            State::Todo | State::InProgress => {}
        }
        let decl = self.function_decls[index];
        if !self.enter(Global::Function(index), &decl.name.name, use_span) {
            return None;
        }
        let declared = decl.params.as_deref().unwrap_or_default();
        let mut params: Vec<(String, Type)> = Vec::with_capacity(declared.len());
        for param in declared {
            let ty = self.resolve_type(&param.ty);
            self.refuse_hiding(&param.name, "parameter");
            if params.iter().any(|(name, _)| *name == param.name.name) {
                self.error(
                    codes::DUPLICATE_NAME,
                    param.name.span,
                    format!("parameter `{}` is declared twice", param.name.name),
                );
            }
            params.push((param.name.name.clone(), ty));
        }
        self.params = params;
        let body = self.expr(&decl.value, Context::Evaluation);
        let params: Vec<Type> = std::mem::take(&mut self.params)
            .into_iter()
            .map(|(_, ty)| ty)
            .collect();
        self.leave();
        let depth = self.call_depth(&body.expr);
        let signature = Signature {
            params: params.clone(),
            result: body.ty,
            constant: !self.reads_evaluation(&body.expr),
            depth,
        };
        self.functions[index] = p::FunctionDef {
            name: decl.name.name.clone(),
            params,
            body: body.expr,
        };
        self.function_state[index] = State::Done(signature.clone());
        Some(signature)
    }

    /// A call of function `index`: as many arguments as parameters, each fitting its
    /// parameter's type once required (a missing argument makes the result missing).
    pub(super) fn call_function(
        &mut self,
        index: usize,
        function: &Ident,
        args: &[ast::Expr],
        span: Span,
        cx: Context,
    ) -> Typed {
        let typed: Vec<Typed> = args.iter().map(|a| self.expr(a, cx)).collect();
        let Some(signature) = self.function(index, function.span) else {
            return Typed::error();
        };
        if cx == Context::Constant && !signature.constant {
            self.error(
                codes::NOT_CONSTANT,
                function.span,
                format!("a constant cannot call `{}`, which reads the input, a table, a `let`, a score or `today`", function.name),
            )
            .help = Some("constants are computed before any supplier is seen; use `let` for values derived from the input".into());
            return Typed::error();
        }
        if signature.params.len() != args.len() {
            let count = signature.params.len();
            self.error(
                codes::WRONG_ARGUMENT_COUNT,
                span,
                format!(
                    "`{}` takes {count} argument{}, but {} {} given",
                    function.name,
                    if count == 1 { "" } else { "s" },
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            );
            return Typed::error();
        }
        let mut optional = false;
        for ((param, typed), arg) in signature.params.iter().zip(&typed).zip(args) {
            // An argument may be optional, at any depth, where the parameter is not (a
            // `[number?]` for a `[number]`): the missing part propagates through the body, so
            // the call may be missing.
            let (ty, relaxed) = if *param == param.deep_required() {
                let ty = typed.ty.deep_required();
                let relaxed = ty != typed.ty;
                (ty, relaxed)
            } else if param.is_optional() {
                (typed.ty.clone(), false)
            } else {
                (typed.ty.required().clone(), typed.ty.is_optional())
            };
            optional |= relaxed;
            let required = Typed {
                ty,
                expr: typed.expr.clone(),
            };
            let what = format!("this argument of `{}`", function.name);
            self.expect_fits(&required, param, arg, &what);
        }
        let result = if optional && !signature.result.is_error() {
            signature.result.optional()
        } else {
            signature.result
        };
        let expr = Expr::CallFunction(
            FunctionId(to_u32(index)),
            typed.into_iter().map(|t| t.expr).collect(),
        );
        // The evaluator nests a body, and the arguments it reads, as deeply as it is written.
        let depth = self.call_depth(&expr);
        if depth > MAX_EXPR_DEPTH {
            self.error(
                codes::TOO_DEEP,
                span,
                format!("this call nests {depth} expressions, function bodies included, more than {MAX_EXPR_DEPTH}"),
            )
            .help = Some("compute intermediate results in `let`s instead of nesting calls".into());
            return Typed::error();
        }
        Typed { ty: result, expr }
    }

    /// A parameter of the function being checked, by name.
    pub(super) fn param(&self, name: &str) -> Option<Typed> {
        let position = self.params.iter().position(|(n, _)| n == name)?;
        Some(Typed {
            ty: self.params[position].1.clone(),
            expr: Place::root(Root::Param(to_u32(position))),
        })
    }

    /// Whether `expr` reads anything but constants and parameters: the input, a table, a
    /// `let`, a score, `today` or a function that does.
    fn reads_evaluation(&self, expr: &Expr) -> bool {
        let reads = match expr {
            Expr::Place(Place { root, .. }) => matches!(root, Root::Input | Root::Slot(_)),
            Expr::Today | Expr::ShiftedToday { .. } | Expr::Lookup { .. } => true,
            Expr::CallFunction(function, _) => !matches!(
                self.function_state.get(function.0 as usize),
                Some(State::Done(Signature { constant: true, .. }))
            ),
            _ => false,
        };
        let mut children = false;
        expr.for_each_child(|child| children = children || self.reads_evaluation(child));
        reads || children
    }

    /// How deeply evaluating `expr` nests, function bodies included: a call nests its body
    /// and, read from inside it, its arguments.
    pub(super) fn call_depth(&self, expr: &Expr) -> usize {
        let mut deepest = 0;
        expr.for_each_child(|child| deepest = deepest.max(self.call_depth(child)));
        let body = match expr {
            Expr::CallFunction(function, _) => match self.function_state.get(function.0 as usize) {
                Some(State::Done(signature)) => signature.depth,
                _ => 0,
            },
            _ => 0,
        };
        1 + deepest + body
    }
}
