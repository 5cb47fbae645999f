//! Types and expressions: type expressions resolved to types, and every expression checked
//! to its type and compiled to IR.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{self, ExprKind, Ident};
use crate::builtins::{BUILTINS, Builtin, Misuse, Param, Returns};
use crate::date::{Date, Duration};
use crate::program::{self as p, Expr, Place, Root, Slot, SmolStr, TableId, Value};
use crate::span::Span;
use crate::types::{FieldType, RecordType, Type};

use super::{
    Checker, Context, Frame, Global, MAX_DEPENDENCY_DEPTH, State, Typed, codes, is_value,
    keep_optional, to_u32,
};

impl<'a> Checker<'a> {
    // ----- types -------------------------------------------------------------------------

    pub(super) fn named_type(&mut self, index: usize, use_span: Span) -> Type {
        match &self.type_state[index] {
            State::Done(ty) => return ty.clone(),
            State::InProgress => {
                let name = self.type_decls[index].name.name.clone();
                self.error(
                    codes::RECURSIVE_TYPE,
                    use_span,
                    format!("type `{name}` contains itself"),
                )
                .help = Some(
                    "a record cannot contain itself; use a list of ids or a separate type".into(),
                );
                return Type::Error;
            }
            State::Todo => {}
        }
        let decl = self.type_decls[index];
        if self.stack.len() >= MAX_DEPENDENCY_DEPTH {
            self.error(codes::TOO_DEEP, use_span, format!("type `{}` is at the end of a chain of more than {MAX_DEPENDENCY_DEPTH} type definitions", decl.name.name));
            return Type::Error;
        }
        self.stack.push(Frame {
            global: Global::Type(index),
            name: decl.name.name.clone(),
        });
        self.type_state[index] = State::InProgress;
        let ty = match self.resolve_type(&decl.ty) {
            Type::Record(record) => Type::Record(Arc::new(RecordType {
                name: Some(decl.name.name.clone()),
                ..(*record).clone()
            })),
            other => other,
        };
        self.stack.pop();
        self.type_state[index] = State::Done(ty.clone());
        ty
    }

    pub(super) fn resolve_type(&mut self, ty: &ast::TypeExpr) -> Type {
        match &ty.kind {
            ast::TypeExprKind::Named(name) => match name.name.as_str() {
                "number" => Type::Number,
                "text" => Type::Text,
                "bool" => Type::Bool,
                "date" => Type::Date,
                other => match self.lookup(other, name.span) {
                    Some((global @ Global::Type(index), _)) => {
                        self.mark_used(global, name.span);
                        self.named_type(index, name.span)
                    }
                    Some((global, _)) => {
                        self.error(
                            codes::WRONG_KIND_OF_NAME,
                            name.span,
                            format!("`{other}` is {}, not a type", global.describe()),
                        );
                        Type::Error
                    }
                    None => {
                        let candidates = ["number", "text", "bool", "date"]
                            .into_iter()
                            .chain(self.type_decls.iter().map(|d| d.name.name.as_str()));
                        let suggestion = self.suggest(other, candidates);
                        let diagnostic = self.error(
                            codes::UNKNOWN_TYPE,
                            name.span,
                            format!("unknown type `{other}`"),
                        );
                        diagnostic.help = Some(match suggestion {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "the built-in types are `number`, `text`, `bool` and `date`; declare others with `type Name = ...`".into(),
                        });
                        Type::Error
                    }
                },
            },
            ast::TypeExprKind::List(element) => Type::List(Box::new(self.resolve_type(element))),
            ast::TypeExprKind::Record(fields) => Type::Record(Arc::new(RecordType {
                name: None,
                fields: self.fields(fields),
            })),
            ast::TypeExprKind::Optional(inner) => self.resolve_type(inner).optional(),
            ast::TypeExprKind::Union(members) => {
                let mut values: Vec<SmolStr> = Vec::new();
                for member in members {
                    if values.iter().any(|v| **v == *member.value) {
                        self.error(
                            codes::DUPLICATE_KEY,
                            member.span,
                            format!("`\"{}\"` appears twice in this union", member.value),
                        );
                    } else {
                        values.push(member.value.as_str().into());
                    }
                }
                Type::Union(values.into())
            }
        }
    }

    pub(super) fn fields(&mut self, fields: &[ast::FieldDecl]) -> Vec<FieldType> {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut result = Vec::with_capacity(fields.len());
        for field in fields {
            if let Some(first) = seen.insert(&field.name.name, field.name.span) {
                self.error(
                    codes::DUPLICATE_NAME,
                    field.name.span,
                    format!("field `{}` is declared twice", field.name.name),
                )
                .label(first, "first declared here");
                continue;
            }
            let ty = self.resolve_type(&field.ty);
            result.push(FieldType {
                name: field.name.name.as_str().into(),
                ty,
            });
        }
        result
    }

    // ----- expressions -------------------------------------------------------------------

    pub(super) fn expr(&mut self, expr: &ast::Expr, cx: Context) -> Typed {
        match &expr.kind {
            ExprKind::Number(n) => Typed {
                ty: Type::Number,
                expr: Expr::Const(Value::Number(*n)),
            },
            ExprKind::Bool(b) => Typed {
                ty: Type::Bool,
                expr: Expr::Const(Value::Bool(*b)),
            },
            ExprKind::Date(d) => match Date::from_ymd(d.year, d.month, d.day) {
                Some(date) => Typed {
                    ty: Type::Date,
                    expr: Expr::Const(Value::Date(date)),
                },
                None => Typed::error(),
            },
            ExprKind::Duration(amount, unit) => Typed {
                ty: Type::Duration,
                expr: Expr::Const(Value::Duration(unit_duration(*unit).times(*amount))),
            },
            ExprKind::Str(template) => self.string(template, cx),
            ExprKind::Today => {
                if cx == Context::Constant {
                    self.not_constant(expr.span, "`today`");
                    return Typed::error();
                }
                Typed {
                    ty: Type::Date,
                    expr: Expr::Today,
                }
            }
            ExprKind::Name(ident) => self.name(ident, cx),
            ExprKind::List(elements) => self.list(elements, cx),
            ExprKind::Field(base, field) => self.field(base, field, cx),
            ExprKind::Index(base, key) => self.index(base, key, cx),
            ExprKind::Call(function, args) => self.call(function, args, expr.span, cx),
            ExprKind::Unary(ast::UnaryOp::Neg, operand) => {
                let typed = self.expr(operand, cx);
                let ty = self.expect_operand(&typed.ty, &Type::Number, operand.span, "`-`");
                Typed {
                    ty,
                    expr: Expr::Neg(Box::new(typed.expr)),
                }
            }
            ExprKind::Unary(ast::UnaryOp::Not, operand) => {
                let typed = self.expr(operand, cx);
                self.expect_bool(&typed.ty, operand.span, "`not`");
                Typed {
                    ty: keep_optional(Type::Bool, &typed.ty),
                    expr: Expr::Not(Box::new(typed.expr)),
                }
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, expr.span, cx),
            ExprKind::IsMissing { operand, negated } => {
                let typed = self.expr(operand, cx);
                let operand = Box::new(typed.expr);
                let expr = if *negated {
                    Expr::IsPresent(operand)
                } else {
                    Expr::IsMissing(operand)
                };
                Typed {
                    ty: Type::Bool,
                    expr,
                }
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                let arms = [(condition.as_ref(), then.as_ref())];
                self.choose(&arms, Some(otherwise), "if", cx)
            }
            ExprKind::Match { arms, otherwise } => {
                let arms: Vec<(&ast::Expr, &ast::Expr)> =
                    arms.iter().map(|a| (&a.condition, &a.value)).collect();
                if otherwise.is_none() {
                    self.error(
                        codes::MATCH_WITHOUT_ELSE,
                        expr.span,
                        "this `match` has no `else` arm",
                    )
                    .help = Some(
                        "add `else => VALUE` as the last arm so that every supplier gets a value"
                            .into(),
                    );
                }
                self.choose(&arms, otherwise.as_deref(), "match", cx)
            }
            ExprKind::Quantifier {
                kind,
                var,
                list,
                body,
            } => {
                let list = self.expr(list, cx);
                let element = self.element_type(&list.ty, expr.span);
                let depth = self.push_local(var, element);
                self.know_variable(depth, &list);
                let typed_body = self.expr(body, cx);
                self.locals.pop();
                self.expect_bool(&typed_body.ty, body.span, "a quantifier");
                let ty = keep_optional(Type::Bool, &list.ty);
                Typed {
                    ty,
                    expr: Expr::Quantifier {
                        kind: *kind,
                        depth,
                        list: Box::new(list.expr),
                        body: Box::new(typed_body.expr),
                    },
                }
            }
            ExprKind::Comprehension { element, clauses } => {
                self.comprehension(element, clauses, cx)
            }
            ExprKind::ComputedDuration(count, unit) => {
                let typed = self.expr(count, cx);
                let ty = self.expect_operand(
                    &typed.ty,
                    &Type::Number,
                    count.span,
                    "the count of a duration",
                );
                Typed {
                    ty: keep_optional(Type::Duration, &ty),
                    expr: Expr::Duration {
                        count: Box::new(typed.expr),
                        unit: unit_duration(*unit),
                    },
                }
            }
        }
    }

    /// `[E for a in A if C ...]`: each clause's variable is visible to the clauses after it
    /// and to the element; a list that may be missing makes the result optional.
    fn comprehension(
        &mut self,
        element: &ast::Expr,
        clauses: &[ast::ComprehensionClause],
        cx: Context,
    ) -> Typed {
        let outer = self.locals.len();
        let mut lists = Vec::with_capacity(clauses.len());
        let mut typed_clauses = Vec::with_capacity(clauses.len());
        for clause in clauses {
            let list = self.expr(&clause.list, cx);
            let element_type = self.element_type(&list.ty, clause.list.span);
            let depth = self.push_local(&clause.var, element_type);
            self.know_variable(depth, &list);
            let filter = clause.filter.as_ref().map(|f| {
                let typed = self.expr(f, cx);
                self.expect_bool(&typed.ty, f.span, "the `if` filter of a comprehension");
                typed.expr
            });
            lists.push(list.ty);
            typed_clauses.push(p::Clause {
                depth,
                list: list.expr,
                filter,
            });
        }
        let element = self.expr(element, cx);
        self.locals.truncate(outer);
        let ty = (lists.iter()).fold(Type::List(Box::new(element.ty)), keep_optional);
        Typed {
            ty,
            expr: Expr::Comprehension {
                clauses: typed_clauses,
                element: Box::new(element.expr),
            },
        }
    }

    /// A name of an item that is no value, read as one (E0105).
    fn not_a_value(&mut self, ident: &Ident, message: String, help: Option<String>) -> Typed {
        self.error(codes::WRONG_KIND_OF_NAME, ident.span, message)
            .help = help;
        Typed::error()
    }

    fn push_local(&mut self, var: &Ident, ty: Type) -> u32 {
        self.refuse_hiding(var, "variable");
        let depth = to_u32(self.locals.len());
        // Until `know_variable` says otherwise, nothing is known of the values it takes.
        self.known_variables.remove(&depth);
        self.locals.push((var.name.clone(), ty));
        depth
    }

    fn element_type(&mut self, list: &Type, span: Span) -> Type {
        match list.required() {
            Type::List(element) => (**element).clone(),
            Type::Error => Type::Error,
            other => {
                self.error(
                    codes::TYPE_MISMATCH,
                    span,
                    format!("expected a list to iterate over, but found `{other}`"),
                );
                Type::Error
            }
        }
    }

    fn not_constant(&mut self, span: Span, what: &str) {
        self.error(codes::NOT_CONSTANT, span, format!("a constant cannot read {what}"))
            .help = Some("constants are computed before any supplier is seen; use `let` for values derived from the input".into());
    }

    fn string(&mut self, template: &ast::Template, cx: Context) -> Typed {
        let has_expressions = template
            .parts
            .iter()
            .any(|p| matches!(p, ast::TemplatePart::Expr(_)));
        if !has_expressions {
            let text: String = template
                .parts
                .iter()
                .filter_map(|p| match p {
                    ast::TemplatePart::Text(t) => Some(t.as_str()),
                    ast::TemplatePart::Expr(_) => None,
                })
                .collect();
            let text: SmolStr = text.into();
            // A string literal has the singleton literal-union type, so it fits both `text`
            // and any union that lists it.
            return Typed {
                ty: Type::Union(Arc::new([text.clone()]) as Arc<[SmolStr]>),
                expr: Expr::Const(Value::Text(text)),
            };
        }
        let parts = template
            .parts
            .iter()
            .map(|part| match part {
                ast::TemplatePart::Text(text) => p::TemplatePart::Text(text.as_str().into()),
                ast::TemplatePart::Expr(expr) => p::TemplatePart::Expr(self.expr(expr, cx).expr),
            })
            .collect();
        Typed {
            ty: Type::Text,
            expr: Expr::Template(parts),
        }
    }

    fn name(&mut self, ident: &Ident, cx: Context) -> Typed {
        if let Some(position) = self
            .locals
            .iter()
            .rposition(|(name, _)| *name == ident.name)
        {
            return Typed {
                ty: self.locals[position].1.clone(),
                expr: Place::root(Root::Local(to_u32(position))),
            };
        }
        if let Some(param) = self.param(&ident.name) {
            return param;
        }
        let Some((global, _)) = self.lookup(&ident.name, ident.span) else {
            let suggestion = self.suggest(
                &ident.name,
                (self.locals.iter().chain(&self.params))
                    .map(|(n, _)| n.as_str())
                    .chain(
                        self.names
                            .iter()
                            .filter(|(_, (g, s))| {
                                is_value(*g) && self.sources.visible(ident.span, *s)
                            })
                            .map(|(n, _)| *n),
                    ),
            );
            self.unknown_name(ident, "name", suggestion);
            return Typed::error();
        };
        self.mark_used(global, ident.span);
        let readable_in_constants = matches!(global, Global::Const(_));
        if cx == Context::Constant && !readable_in_constants && is_value(global) {
            self.not_constant(
                ident.span,
                &format!("{} `{}`", global.describe(), ident.name),
            );
            return Typed::error();
        }
        match global {
            Global::Input => Typed {
                ty: Type::Record(self.input_record.clone()),
                expr: Place::root(Root::Input),
            },
            Global::Const(index) => {
                let (ty, value) = self.constant(index, ident.span);
                Typed {
                    ty,
                    expr: Expr::Const(value),
                }
            }
            Global::Let(index) => {
                let ty = self.let_value(index, ident.span);
                Typed {
                    ty,
                    expr: Place::root(Root::Slot(Slot(to_u32(index)))),
                }
            }
            Global::Score(index) => {
                let ty = self.score(index, ident.span);
                Typed {
                    ty,
                    expr: Place::root(Root::Slot(Slot(to_u32(self.let_decls.len() + index)))),
                }
            }
            Global::Table(_) => self.not_a_value(
                ident,
                format!("table `{}` must be looked up with a key", ident.name),
                Some(format!("write `{}[key]`", ident.name)),
            ),
            Global::Function(_) => self.not_a_value(
                ident,
                format!("`{}` is a function: it needs its arguments", ident.name),
                Some(format!("call it: `{}(...)`", ident.name)),
            ),
            Global::Type(_) | Global::Rule(_) => self.not_a_value(
                ident,
                format!("`{}` is {}, not a value", ident.name, global.describe()),
                None,
            ),
        }
    }

    fn list(&mut self, elements: &[ast::Expr], cx: Context) -> Typed {
        let mut element_type = Type::Nothing;
        let mut exprs = Vec::with_capacity(elements.len());
        for element in elements {
            let typed = self.expr(element, cx);
            match element_type.join(&typed.ty) {
                Some(joined) => element_type = joined,
                None => {
                    self.error(codes::MIXED_LIST, element.span, format!("a list holds values of one type, but this is `{}` where `{}` came before", typed.ty, element_type));
                    element_type = Type::Error;
                }
            }
            exprs.push(typed.expr);
        }
        let ty = Type::List(Box::new(element_type));
        let constants: Option<Vec<Value>> = exprs
            .iter()
            .map(|e| match e {
                Expr::Const(v) => Some(v.clone()),
                _ => None,
            })
            .collect();
        match constants {
            Some(values) => Typed {
                ty,
                expr: Expr::Const(Value::List(values.into())),
            },
            None => Typed {
                ty,
                expr: Expr::List(exprs),
            },
        }
    }

    fn field(&mut self, base: &ast::Expr, field: &Ident, cx: Context) -> Typed {
        let typed = self.expr(base, cx);
        self.read_field(typed, base, field)
    }

    /// Field `field` of `typed`, the checked `base`.
    pub(super) fn read_field(&mut self, typed: Typed, base: &ast::Expr, field: &Ident) -> Typed {
        match typed.ty.required() {
            Type::Record(record) => match record.field(&field.name) {
                Some((index, field_type)) => Typed {
                    ty: keep_optional(field_type.ty.clone(), &typed.ty),
                    expr: field_of(typed.expr, to_u32(index), field_type.name.clone()),
                },
                None => {
                    let suggestion =
                        self.suggest(&field.name, record.fields.iter().map(|f| &*f.name));
                    let owner = match &record.name {
                        Some(name) => format!("`{name}`"),
                        None => format!("`{}`", self.text(base.span)),
                    };
                    let fields: Vec<String> = record
                        .fields
                        .iter()
                        .map(|f| format!("`{}`", f.name))
                        .collect();
                    let diagnostic = self.error(
                        codes::UNKNOWN_FIELD,
                        field.span,
                        format!("{owner} has no field `{}`", field.name),
                    );
                    diagnostic.help = Some(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if fields.is_empty() => "it has no fields".into(),
                        None => format!("its fields are {}", fields.join(", ")),
                    });
                    Typed::error()
                }
            },
            Type::Error => Typed::error(),
            Type::List(element) if matches!(element.required(), Type::Record(_)) => {
                let base_text = self.text(base.span);
                self.error(
                    codes::NOT_A_RECORD,
                    field.span,
                    format!("`{base_text}` is a list; it has no field `{}`", field.name),
                )
                .help = Some(format!(
                    "read the field of each element: `[x.{} for x in {base_text}]`, or use `all x in {base_text}: ...`",
                    field.name
                ));
                Typed::error()
            }
            other => {
                self.error(
                    codes::NOT_A_RECORD,
                    field.span,
                    format!(
                        "cannot read field `{}` of a value of type `{other}`",
                        field.name
                    ),
                );
                Typed::error()
            }
        }
    }

    fn index(&mut self, base: &ast::Expr, key: &ast::Expr, cx: Context) -> Typed {
        let table = match &base.kind {
            ExprKind::Name(ident) => match self.lookup(&ident.name, ident.span) {
                Some((Global::Table(index), _))
                    if !self.locals.iter().any(|(n, _)| *n == ident.name) =>
                {
                    Some(index)
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(index) = table {
            self.mark_used(Global::Table(index), base.span);
        }
        let Some(index) = table else {
            let typed = self.expr(base, cx);
            if let Type::List(element) = typed.ty.required() {
                let element = (**element).clone();
                return self.list_element(typed, element, key, cx);
            }
            if let Type::Record(_) = typed.ty.required() {
                return self.quoted_field(typed, base, key);
            }
            if !typed.ty.is_error() {
                self.error(
                    codes::WRONG_KIND_OF_NAME,
                    base.span,
                    format!(
                        "only tables can be looked up with `[key]`, but `{}` is `{}`",
                        self.text(base.span),
                        typed.ty
                    ),
                )
                .help = Some(
                    "declare a `table NAME: KeyType -> ValueType { ... }` to look values up by key"
                        .into(),
                );
            }
            return Typed::error();
        };
        if cx == Context::Constant {
            self.not_constant(
                base.span,
                &format!("table `{}`", self.table_decls[index].name.name),
            );
            return Typed::error();
        }
        let (key_type, value_type) = self.table_types[index].clone();
        let typed_key = self.expr(key, cx);
        self.check_operands(&typed_key, key, &key_type, "the key of this table");
        Typed {
            ty: value_type.optional(),
            expr: Expr::Lookup {
                table: TableId(to_u32(index)),
                key: Box::new(typed_key.expr),
            },
        }
    }

    /// `list[index]`: the element's type, optional since the index may be out of range.
    fn list_element(
        &mut self,
        list: Typed,
        element: Type,
        index: &ast::Expr,
        cx: Context,
    ) -> Typed {
        let typed_index = self.expr(index, cx);
        let index_type =
            self.expect_operand(&typed_index.ty, &Type::Number, index.span, "a list index");
        let ty = if index_type.is_error() {
            Type::Error
        } else {
            element.optional()
        };
        Typed {
            ty,
            expr: Expr::Element {
                list: Box::new(list.expr),
                index: Box::new(typed_index.expr),
            },
        }
    }

    /// Checks that a value fits an expected type, with the typo check for literal unions.
    pub(super) fn expect_fits(
        &mut self,
        typed: &Typed,
        expected: &Type,
        ast: &ast::Expr,
        what: &str,
    ) {
        if typed.ty.fits(expected) {
            return;
        }
        if let (Type::Union(members), Some(Value::Text(text))) =
            (expected.required(), typed.constant())
        {
            self.not_a_member(text, members, ast.span, &format!("`{expected}`"));
            return;
        }
        // A list of texts where a list of a union's values is expected: name each typo.
        if let (Type::List(element), Type::List(_)) = (expected.required(), typed.ty.required())
            && let Type::Union(members) = element.required()
        {
            let found = self.diagnostics.len();
            self.check_literals(typed, ast, members, &format!("`{element}`"));
            if self.diagnostics.len() > found {
                return;
            }
        }
        self.error(
            codes::TYPE_MISMATCH,
            ast.span,
            format!("{what} should be `{expected}`, but it is `{}`", typed.ty),
        );
    }

    /// A key or compared value against the type it must be comparable with: a constant text
    /// outside a literal union is a typo; otherwise the types must be comparable.
    fn check_operands(&mut self, typed: &Typed, ast: &ast::Expr, against: &Type, what: &str) {
        if let Type::Union(members) = against.required() {
            self.check_literals(typed, ast, members, what);
        }
        if against.required().join(typed.ty.required()).is_none() {
            self.error(
                codes::TYPE_MISMATCH,
                ast.span,
                format!("{what} is `{against}`, but this is `{}`", typed.ty),
            );
        }
    }

    /// Reports every constant text in `typed` (a text or a list of texts) that is not a member.
    pub(super) fn check_literals(
        &mut self,
        typed: &Typed,
        ast: &ast::Expr,
        members: &[SmolStr],
        what: &str,
    ) {
        match (typed.constant(), &ast.kind) {
            (Some(Value::Text(text)), _) => self.not_a_member_if(text, members, ast.span, what),
            (_, ExprKind::List(elements)) => {
                for element in elements {
                    if let ExprKind::Str(template) = &element.kind
                        && let [ast::TemplatePart::Text(text)] = template.parts.as_slice()
                    {
                        self.not_a_member_if(text, members, element.span, what);
                    }
                }
            }
            (Some(Value::List(values)), _) => {
                for value in values.iter() {
                    if let Value::Text(text) = value {
                        self.not_a_member_if(text, members, ast.span, what);
                    }
                }
            }
            _ => {
                // A variable that ranges over a constant list: each of its texts.
                if let Some(Value::List(values)) = self.known_variable(typed).cloned() {
                    for value in values.iter() {
                        if let Value::Text(text) = value {
                            self.not_a_member_if(text, members, ast.span, what);
                        }
                    }
                }
            }
        }
    }

    fn not_a_member_if(&mut self, text: &str, members: &[SmolStr], span: Span, what: &str) {
        if !members.iter().any(|m| **m == *text) {
            self.not_a_member(text, members, span, what);
        }
    }

    fn not_a_member(&mut self, text: &str, members: &[SmolStr], span: Span, what: &str) {
        let suggestion = self.suggest(text, members.iter().map(|m| &**m));
        let listed: Vec<String> = members.iter().map(|m| format!("\"{m}\"")).collect();
        let diagnostic = self.error(
            codes::NOT_IN_UNION,
            span,
            format!("`\"{text}\"` is not a possible value of {what}"),
        );
        diagnostic.help = Some(match suggestion {
            Some(s) => format!(
                "did you mean `\"{s}\"`? the possible values are {}",
                listed.join(", ")
            ),
            None => format!("the possible values are {}", listed.join(", ")),
        });
    }

    /// `if`/`match`: bool conditions, branch values of one type.
    fn choose(
        &mut self,
        arms: &[(&ast::Expr, &ast::Expr)],
        otherwise: Option<&ast::Expr>,
        what: &str,
        cx: Context,
    ) -> Typed {
        let mut ty = Type::Nothing;
        let mut optional = false;
        let mut typed_arms = Vec::with_capacity(arms.len());
        let mut branches: Vec<&ast::Expr> = Vec::new();
        for (condition, value) in arms {
            let typed_condition = self.expr(condition, cx);
            self.expect_bool(&typed_condition.ty, condition.span, &format!("`{what}`"));
            optional |= typed_condition.ty.is_optional();
            let typed_value = self.expr(value, cx);
            ty = self.join_branch(&ty, &typed_value.ty, value, &branches, what);
            branches.push(value);
            typed_arms.push((typed_condition.expr, typed_value.expr));
        }
        // A `match` without `else` is an error: its `else` stands at the last arm.
        let otherwise_span = (otherwise.or(arms.last().map(|arm| arm.1)))
            .map_or(Span::new(0, 0), |value| value.span);
        let otherwise = match otherwise {
            Some(value) => {
                let typed = self.expr(value, cx);
                ty = self.join_branch(&ty, &typed.ty, value, &branches, what);
                typed.expr
            }
            None => Expr::Const(Value::MISSING),
        };
        let ty = if optional { ty.optional() } else { ty };
        #[cfg(feature = "lint")]
        self.analyse_arms(arms, &typed_arms, what);
        let branch = self.record_branches(arms, otherwise_span, what);
        Typed {
            ty,
            expr: Expr::Choose {
                arms: typed_arms,
                otherwise: Box::new(otherwise),
                branch,
            },
        }
    }

    /// Records the branches of an `if`/`match` for coverage (`Program::branches`): each arm at
    /// its condition (an `if`'s at its value), the `else` at its value; returns the first's id.
    fn record_branches(
        &mut self,
        arms: &[(&ast::Expr, &ast::Expr)],
        otherwise: Span,
        what: &str,
    ) -> p::BranchId {
        let first = p::BranchId(to_u32(self.branches.len()));
        let branch = |kind, span| p::Branch {
            kind,
            span,
            owner: None,
            file: None,
            line: 0,
        };
        for (n, (condition, value)) in (1..).zip(arms) {
            self.branches.push(match what {
                "if" => branch(p::BranchKind::Then, value.span),
                _ => branch(p::BranchKind::Arm(n), condition.span),
            });
        }
        self.branches.push(match what {
            "if" => branch(p::BranchKind::Else, otherwise),
            _ => branch(p::BranchKind::Otherwise, otherwise),
        });
        first
    }

    fn join_branch(
        &mut self,
        so_far: &Type,
        next: &Type,
        value: &ast::Expr,
        before: &[&ast::Expr],
        what: &str,
    ) -> Type {
        match so_far.join(next) {
            Some(joined) => joined,
            None => {
                let diagnostic = self.error(codes::BRANCH_TYPES_DIFFER, value.span, format!("the branches of this `{what}` have different types: `{so_far}` and `{next}`"));
                if let Some(first) = before.first() {
                    diagnostic.label(first.span, format!("this branch is `{so_far}`"));
                }
                diagnostic.help = Some("every branch must give a value of the same type".into());
                Type::Error
            }
        }
    }

    fn call(&mut self, function: &Ident, args: &[ast::Expr], span: Span, cx: Context) -> Typed {
        if let Some((global @ Global::Function(index), _)) =
            self.lookup(&function.name, function.span)
        {
            self.mark_used(global, function.span);
            return self.call_function(index, function, args, span, cx);
        }
        let typed: Vec<Typed> = args.iter().map(|a| self.expr(a, cx)).collect();
        let Some(builtin) = Builtin::named(&function.name) else {
            let functions = self.function_decls.iter().map(|d| d.name.name.as_str());
            let suggestion = self.suggest(
                &function.name,
                BUILTINS.iter().map(|b| b.name).chain(functions),
            );
            let diagnostic = self.error(
                codes::UNKNOWN_FUNCTION,
                function.span,
                format!("unknown function `{}`", function.name),
            );
            diagnostic.help = Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
                    let (last, others) = names.split_last().unwrap_or((&"", &[]));
                    format!("the functions are {} and {last}", others.join(", "))
                }
            });
            return Typed::error();
        };
        let parameters = builtin.params;
        let first = typed.first().map(|t| t.ty.required());
        let mut result = match builtin.returns {
            Returns::Number => Type::Number,
            Returns::OptionalNumber => Type::Number.optional(),
            Returns::Text | Returns::Interpolation => Type::Text,
            Returns::Bool => Type::Bool,
            Returns::Texts => Type::List(Box::new(Type::Text)),
            Returns::SameList => first.cloned().unwrap_or(Type::Error),
            Returns::Flattened => first
                .and_then(Type::list_element)
                .map_or(Type::Nothing, |inner| inner.required().clone()),
            // Set from the argument below.
            Returns::Element => Type::Nothing,
        };
        let required = parameters
            .iter()
            .filter(|p| **p != Param::WhenEmpty)
            .count();
        if !(required..=parameters.len()).contains(&args.len()) {
            let plural = if parameters.len() == 1 { "" } else { "s" };
            let takes = if required == parameters.len() {
                required.to_string()
            } else {
                format!("{required} or {}", parameters.len())
            };
            self.error(
                codes::WRONG_ARGUMENT_COUNT,
                span,
                format!(
                    "`{}` takes {takes} argument{plural}, but {} {} given",
                    function.name,
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            )
            .help = Some(format!("write `{}`", builtin.signature));
            return Typed::error();
        }
        let mut optional = false;
        for ((parameter, typed), arg) in parameters.iter().zip(&typed).zip(args) {
            optional |= typed.ty.is_optional();
            let ty = typed.ty.required();
            let fits = match parameter {
                Param::Exactly(expected) => ty.fits(expected),
                Param::Any => true,
                Param::Pattern => ty.fits(&Type::Text),
                Param::AnyList => matches!(ty, Type::List(_) | Type::Nothing | Type::Error),
                Param::NumberList => match ty {
                    Type::List(element) => matches!(
                        element.required(),
                        Type::Number | Type::Nothing | Type::Error
                    ),
                    _ => matches!(ty, Type::Nothing | Type::Error),
                },
                Param::OrderedList => match ty {
                    Type::List(element) => {
                        // min/max give their element type, missing for an empty list.
                        result = element.required().clone().optional();
                        matches!(
                            element.required(),
                            Type::Number | Type::Date | Type::Nothing | Type::Error
                        )
                    }
                    _ => matches!(ty, Type::Nothing | Type::Error),
                },
                Param::SortableList => match ty {
                    Type::List(element) => matches!(
                        element.required(),
                        Type::Number
                            | Type::Text
                            | Type::Union(_)
                            | Type::Date
                            | Type::Nothing
                            | Type::Error
                    ),
                    _ => matches!(ty, Type::Nothing | Type::Error),
                },
                Param::ListOfLists => match ty {
                    Type::List(element) => matches!(
                        element.required(),
                        Type::List(_) | Type::Nothing | Type::Error
                    ),
                    _ => matches!(ty, Type::Nothing | Type::Error),
                },
                // The result for an empty list, so the result is no longer missing for one.
                Param::WhenEmpty => {
                    let element = match result.required() {
                        Type::Nothing => ty.clone(),
                        list_element => list_element.clone(),
                    };
                    let expected = if element.fits(&Type::Number) {
                        Type::Number
                    } else {
                        element
                    };
                    result = expected.clone();
                    ty.fits(&expected)
                }
            };
            if !fits {
                let expected = match parameter {
                    Param::Exactly(t) => format!("`{t}`"),
                    Param::Any => "a value".into(),
                    Param::Pattern => "a pattern (a constant text)".into(),
                    Param::AnyList => "a list".into(),
                    Param::NumberList => "a list of numbers".into(),
                    Param::OrderedList => "a list of numbers or dates".into(),
                    Param::SortableList => "a list of numbers, texts or dates".into(),
                    Param::ListOfLists => "a list of lists".into(),
                    Param::WhenEmpty => format!("`{result}` for an empty list"),
                };
                let help = match (builtin.misuse, ty) {
                    (Some((Misuse::List, help)), Type::List(_))
                    | (Some((Misuse::Text, help)), Type::Text | Type::Union(_)) => Some(help),
                    _ => None,
                };
                let diagnostic = self.error(
                    codes::TYPE_MISMATCH,
                    arg.span,
                    format!(
                        "`{}` expects {expected}, but this is `{}`",
                        function.name, typed.ty
                    ),
                );
                diagnostic.help = help.map(String::from);
            }
        }
        let any_error = typed.iter().any(|t| t.ty.is_error());
        let result = if any_error || matches!(result, Type::Nothing) {
            Type::Error
        } else {
            result
        };
        let ty = if optional { result.optional() } else { result };
        let mut exprs = typed.into_iter().map(|t| t.expr);
        let expr = if builtin.returns == Returns::Interpolation {
            Expr::Template(exprs.map(p::TemplatePart::Expr).collect())
        } else if parameters.contains(&Param::Pattern) {
            let text = exprs.next();
            let pattern = (exprs.next().zip(args.get(1)))
                .filter(|_| !any_error)
                .and_then(|(pattern, arg)| self.pattern(&pattern, arg.span));
            match text.zip(pattern) {
                Some((text, pattern)) => Expr::Matches(Box::new(text), pattern),
                None => return Typed::error(),
            }
        } else {
            Expr::Call(builtin, exprs.collect())
        };
        Typed { ty, expr }
    }

    /// The pattern of `matches`, compiled for a whole-text match: a constant text that is a
    /// valid regular expression (else an error at `span`).
    fn pattern(&mut self, pattern: &Expr, span: Span) -> Option<p::Pattern> {
        let Expr::Const(Value::Text(text)) = pattern else {
            self.error(
                codes::PATTERN_NOT_CONSTANT,
                span,
                "the pattern of `matches` must be constant",
            )
            .help = Some(
                "write it as a string literal, a raw string such as `r\"CID[0-9]{6}\"` or a `const`".into(),
            );
            return None;
        };
        match compile_pattern(text) {
            Ok(regex) => Some(p::Pattern(regex)),
            Err(error) => {
                self.error(codes::INVALID_PATTERN, span, format!("invalid pattern: {error}"))
                    .help = Some("patterns use the syntax of Rust's `regex` crate without look-around, back-references or Unicode classes (`\\p{..}`)".into());
                None
            }
        }
    }
}

/// One `unit`, in the days or months that date arithmetic counts.
fn unit_duration(unit: ast::DurationUnit) -> Duration {
    match unit {
        ast::DurationUnit::Day => Duration::Days(1),
        ast::DurationUnit::Week => Duration::Days(7),
        ast::DurationUnit::Month => Duration::Months(1),
        ast::DurationUnit::Year => Duration::Months(12),
    }
}

/// `pattern` anchored at both ends of the text. Compiled alone first, so that a pattern
/// such as `a)|(b` cannot escape the group that anchors it.
fn compile_pattern(pattern: &str) -> Result<regex_lite::Regex, regex_lite::Error> {
    let build = |pattern: &str| {
        regex_lite::RegexBuilder::new(pattern)
            .nest_limit(crate::limits::MAX_NESTING as u32)
            .build()
    };
    build(pattern)?;
    build(&format!(r"\A(?:{pattern})\z"))
}

/// `base.name`: one field more of a place, or a field of a computed record.
fn field_of(base: Expr, index: u32, name: std::sync::Arc<str>) -> Expr {
    match base {
        Expr::Place(mut place) => {
            place.fields.push((index, name));
            Expr::Place(place)
        }
        base => Expr::Field {
            base: Box::new(base),
            index,
            name,
        },
    }
}
