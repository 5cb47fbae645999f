//! Prints an AST back as policy source that parses to the same tree (spans aside).
//!
//! Expressions are printed with full parentheses: simple to trust, and what the round-trip
//! tests compare against.

use std::fmt::Write;

use crate::ast::*;

/// The source of a whole file, one item after another.
#[cfg(feature = "internals")]
pub fn print_file(file: &PolicyFile) -> String {
    let mut out = String::new();
    for item in &file.items {
        print_item(&mut out, item);
        out.push('\n');
    }
    out
}

pub fn print_item(out: &mut String, item: &Item) {
    match item {
        Item::Policy(meta) => {
            out.push_str(&format!("policy {}", quote(&meta.title.value)));
            if let Some(version) = &meta.version {
                out.push_str(&format!(" version {}", quote(&version.value)));
            }
            out.push('\n');
        }
        Item::Input(input) => {
            out.push_str(&format!("input {} {{\n", input.name.name));
            for field in &input.fields {
                out.push_str(&format!("  {}\n", print_declaration(field)));
            }
            out.push_str("}\n");
        }
        Item::Type(decl) => {
            out.push_str(&format!(
                "type {} = {}\n",
                decl.name.name,
                print_type(&decl.ty)
            ));
        }
        Item::Const(decl) => {
            let ty = (decl.ty.as_ref()).map_or(String::new(), |ty| format!(": {}", print_type(ty)));
            out.push_str(&format!(
                "const {}{ty} = {}\n",
                decl.name.name,
                print_expr(&decl.value)
            ));
        }
        Item::Let(decl) => {
            let params = decl.params.as_ref().map_or(String::new(), |params| {
                let params: Vec<String> = params.iter().map(print_declaration).collect();
                format!("({})", params.join(", "))
            });
            out.push_str(&format!(
                "let {}{params} = {}\n",
                decl.name.name,
                print_expr(&decl.value)
            ));
        }
        Item::Table(table) => {
            out.push_str(&format!(
                "table {}: {} -> {}",
                table.name.name,
                print_type(&table.key_ty),
                print_type(&table.value_ty)
            ));
            if let Some(rows) = &table.rows {
                out.push_str(" {\n");
                for row in rows {
                    let (key, value) = (print_expr(&row.key), print_expr(&row.value));
                    out.push_str(&format!("  {key}: {value},\n"));
                }
                out.push('}');
            }
            out.push('\n');
        }
        Item::Score(score) => {
            out.push_str(&format!(
                "score {}{} {{\n",
                score.name.name,
                title(&score.title)
            ));
            for component in &score.components {
                out.push_str(&format!(
                    "  {} {} = {},\n",
                    component.name.name,
                    weight(component.weight_hundredths),
                    print_expr(&component.value)
                ));
            }
            out.push_str("}\n");
        }
        Item::Rule(rule) => {
            out.push_str(&format!(
                "rule {}{} {{\n",
                rule.name.name,
                title(&rule.title)
            ));
            if let Some(when) = &rule.when {
                out.push_str(&format!("  when {}\n", print_expr(when)));
            }
            let check = match rule.kind {
                RuleKind::Require => "require",
                RuleKind::Forbid => "forbid",
            };
            out.push_str(&format!("  {check} {}\n", print_expr(&rule.condition)));
            out.push_str(&format!(
                "  else {} {}\n}}\n",
                rule.verdict.as_str(),
                print_template(&rule.message)
            ));
        }
        Item::Example(example) => print_example(out, example),
        Item::Import(decl) => out.push_str(&format!("import {}\n", quote(&decl.path.value))),
    }
}

fn print_example(out: &mut String, example: &ExampleDecl) {
    out.push_str(&format!("example {} {{\n", quote(&example.title.value)));
    out.push_str(&format!("  given {}\n", example.given.text));
    if let Some(data) = &example.data {
        out.push_str(&format!("  data {}\n", data.text));
    }
    if let Some((date, _)) = &example.as_of {
        out.push_str(&format!("  as_of {}\n", print_date(date)));
    }
    for expectation in &example.expectations {
        let text = match &expectation.kind {
            ExpectationKind::Decision(decision) => decision.as_str().to_string(),
            ExpectationKind::Rule(name, outcome) => {
                format!("rule {} {}", name.name, outcome.as_str())
            }
            ExpectationKind::Score(name, json) => format!("score {} = {}", name.name, json.text),
            ExpectationKind::Value(name, json) => format!("value {} = {}", name.name, json.text),
            ExpectationKind::Message(name, text) => {
                format!("message {} = {}", name.name, quote(&text.value))
            }
            ExpectationKind::Evidence(name, json) => {
                format!("evidence {} = {}", name.name, json.text)
            }
            ExpectationKind::Missing(json) => format!("missing = {}", json.text),
        };
        out.push_str(&format!("  expect {text}\n"));
    }
    out.push_str("}\n");
}

fn title(title: &Option<StrLit>) -> String {
    title
        .as_ref()
        .map(|t| format!(" {}", quote(&t.value)))
        .unwrap_or_default()
}

/// `2500` hundredths → `25%`, `1250` → `12.5%`.
fn weight(hundredths: u64) -> String {
    let (whole, fraction) = (hundredths / 100, hundredths % 100);
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

pub fn print_type(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeExprKind::Named(name) => name.name.clone(),
        TypeExprKind::List(element) => format!("[{}]", print_type(element)),
        TypeExprKind::Record(fields) => {
            let fields: Vec<String> = fields.iter().map(print_declaration).collect();
            format!("{{ {} }}", fields.join(", "))
        }
        TypeExprKind::Optional(inner) => match inner.kind {
            // `T??` is refused by the parser; `(T?)?` is the same tree.
            TypeExprKind::Optional(_) => format!("({})?", print_type(inner)),
            _ => format!("{}?", print_type(inner)),
        },
        TypeExprKind::Union(members) => {
            let members: Vec<String> = members.iter().map(|m| quote(&m.value)).collect();
            members.join(" | ")
        }
    }
}

/// `name: Type` of a field or parameter; a name that is no identifier is quoted.
fn print_declaration(field: &FieldDecl) -> String {
    let name = &field.name.name;
    if crate::report::is_identifier(name) {
        format!("{name}: {}", print_type(&field.ty))
    } else {
        format!("{}: {}", quote(name), print_type(&field.ty))
    }
}

/// An expression with parentheses around every compound subexpression.
pub fn print_expr(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

fn write_expr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Number(n) => {
            let _ = write!(out, "{n}");
        }
        ExprKind::Str(template) => out.push_str(&print_template(template)),
        ExprKind::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        ExprKind::Date(date) => out.push_str(&print_date(date)),
        ExprKind::Duration(n, unit) => {
            let plural = if *n == 1 { "" } else { "s" };
            let _ = write!(out, "{n} {}{plural}", unit_name(*unit));
        }
        // The unit right after `)`, plural: `(n) days` whatever `n` comes to.
        ExprKind::ComputedDuration(count, unit) => {
            out.push('(');
            write_expr(out, count);
            let _ = write!(out, ") {}s", unit_name(*unit));
        }
        ExprKind::Today => out.push_str("today"),
        ExprKind::Name(name) => out.push_str(&name.name),
        ExprKind::List(elements) => {
            out.push('[');
            write_list(out, elements);
            out.push(']');
        }
        ExprKind::Call(name, args) => {
            out.push_str(&name.name);
            out.push('(');
            write_list(out, args);
            out.push(')');
        }
        ExprKind::Comprehension { element, clauses } => {
            out.push('[');
            write_expr(out, element);
            for clause in clauses {
                let _ = write!(out, " for {} in ", clause.var.name);
                write_expr(out, &clause.list);
                if let Some(filter) = &clause.filter {
                    out.push_str(" if ");
                    write_expr(out, filter);
                }
            }
            out.push(']');
        }
        _ => {
            out.push('(');
            write_compound(out, expr);
            out.push(')');
        }
    }
}

/// The inside of the parentheses of a compound expression.
fn write_compound(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Field(base, field) => {
            write_expr(out, base);
            let _ = write!(out, ".{}", field.name);
        }
        ExprKind::Index(base, key) => {
            write_expr(out, base);
            out.push('[');
            write_expr(out, key);
            out.push(']');
        }
        ExprKind::Unary(op, operand) => {
            out.push_str(match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "not ",
            });
            write_expr(out, operand);
        }
        ExprKind::Binary(op, lhs, rhs) => {
            write_expr(out, lhs);
            let _ = write!(out, " {} ", op.symbol());
            write_expr(out, rhs);
        }
        ExprKind::IsMissing { operand, negated } => {
            write_expr(out, operand);
            out.push_str(if *negated {
                " is present"
            } else {
                " is missing"
            });
        }
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => {
            out.push_str("if ");
            write_expr(out, condition);
            out.push_str(" then ");
            write_expr(out, then);
            out.push_str(" else ");
            write_expr(out, otherwise);
        }
        ExprKind::Match { arms, otherwise } => {
            out.push_str("match { ");
            for arm in arms {
                write_expr(out, &arm.condition);
                out.push_str(" => ");
                write_expr(out, &arm.value);
                out.push_str(", ");
            }
            if let Some(otherwise) = otherwise {
                out.push_str("else => ");
                write_expr(out, otherwise);
                out.push(' ');
            }
            out.push('}');
        }
        ExprKind::Quantifier {
            kind,
            var,
            list,
            body,
        } => {
            let _ = write!(out, "{} {} in ", kind.keyword(), var.name);
            write_expr(out, list);
            out.push_str(": ");
            write_expr(out, body);
        }
        ExprKind::Number(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::Duration(..)
        | ExprKind::Today
        | ExprKind::Name(_)
        | ExprKind::List(_)
        | ExprKind::Call(..)
        | ExprKind::Comprehension { .. }
        | ExprKind::ComputedDuration(..) => {}
    }
}

fn unit_name(unit: DurationUnit) -> &'static str {
    match unit {
        DurationUnit::Day => "day",
        DurationUnit::Week => "week",
        DurationUnit::Month => "month",
        DurationUnit::Year => "year",
    }
}

fn write_list(out: &mut String, exprs: &[Expr]) {
    for (i, e) in exprs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, e);
    }
}

fn print_date(date: &DateLit) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

pub fn print_template(template: &Template) -> String {
    let mut out = String::from("\"");
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(&escape(text)),
            TemplatePart::Expr(expr) => {
                out.push('{');
                write_expr(&mut out, expr);
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            c => out.push(c),
        }
    }
    out
}
