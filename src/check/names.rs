//! Names (LANGUAGE.md §9.3): fields read by a quoted name, and variables that would hide an
//! item.

use crate::ast::{self, ExprKind, Ident};
use crate::program::{Expr, Place, Root, Value};

use super::{Checker, Typed, codes};

impl<'a> Checker<'a> {
    /// `record["Smelter Name"]`: on a record, brackets take a string literal without
    /// interpolation that names a declared field.
    pub(super) fn quoted_field(
        &mut self,
        typed: Typed,
        base: &ast::Expr,
        key: &ast::Expr,
    ) -> Typed {
        let name = match &key.kind {
            ExprKind::Str(template) => match template.parts.as_slice() {
                [] => Some(String::new()),
                [ast::TemplatePart::Text(text)] => Some(text.clone()),
                _ => None,
            },
            _ => None,
        };
        let Some(name) = name else {
            self.error(
                codes::BAD_FIELD_KEY,
                key.span,
                format!(
                    "`{}` is a record: brackets read a field named by a string literal",
                    self.text(base.span)
                ),
            )
            .help = Some(
                "write the field's name in quotes, without interpolation: `x[\"Smelter Name\"]`"
                    .into(),
            );
            return Typed::error();
        };
        let field = Ident {
            name,
            span: key.span,
        };
        self.read_field(typed, base, &field)
    }

    /// A variable or parameter may not be named like the input or an item: it would hide it.
    pub(super) fn refuse_hiding(&mut self, var: &Ident, what: &str) {
        let Some((global, first)) = self.lookup(&var.name, var.span) else {
            return;
        };
        self.error(
            codes::HIDES_ITEM,
            var.span,
            format!(
                "{what} `{}` is named like {}, which it would hide",
                var.name,
                global.describe()
            ),
        )
        .label(first, format!("`{}` is defined here", var.name))
        .help = Some(format!("rename the {what}"));
    }

    /// Notes that the variable at `depth` ranges over `list`, when that is a constant.
    pub(super) fn know_variable(&mut self, depth: u32, list: &Typed) {
        if let Some(values) = list.constant() {
            self.known_variables.insert(depth, values.clone());
        }
    }

    /// The constant list a bare variable ranges over, if it does (LANGUAGE.md §9.7).
    pub(super) fn known_variable(&self, typed: &Typed) -> Option<&Value> {
        match &typed.expr {
            Expr::Place(Place {
                root: Root::Local(depth),
                fields,
            }) if fields.is_empty() => self.known_variables.get(depth),
            _ => None,
        }
    }

    /// Whether `typed`'s texts are known at compile time: a constant, or a variable that
    /// ranges over a constant list.
    pub(super) fn is_known(&self, typed: &Typed) -> bool {
        typed.constant().is_some() || self.known_variable(typed).is_some()
    }
}
