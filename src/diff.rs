//! What changed between two versions of a policy (`procura diff`): items added, removed or
//! changed, part by part, and the rules each change can alter.
//!
//! Two versions of an item are the same when they print the same (`print`, spans and layout
//! aside), so moving an item, re-indenting it or editing its comments changes nothing. A change
//! shows the author's own source text of the parts that differ. The rules a change can alter
//! are those whose `when`, condition or message read the changed item, directly or through
//! lets, scores, constants, tables, the input and its types, in either version.

use std::collections::{BTreeSet, HashMap};

use crate::ast::{
    Expr, ExprKind, Item, PolicyFile, ScoreComponent, Template, TemplatePart, TypeExpr,
    TypeExprKind,
};
use crate::diagnostic::Diagnostic;
use crate::print::{print_expr, print_template, print_type};
use crate::syntax;

/// The changes from one version of a policy to another.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDiff {
    pub old: Header,
    pub new: Header,
    /// In the order of the new version's items, then the removed items in the old order.
    pub changes: Vec<Change>,
}

/// A version's `policy` line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header {
    pub title: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub item: ItemKind,
    /// The item's name; an example's title.
    pub name: String,
    pub kind: ChangeKind,
    /// The parts that differ; for an added or removed item, its whole text (`definition`).
    pub parts: Vec<PartChange>,
    /// The rules whose outcome this change can alter, by name, sorted.
    pub affects: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    Input,
    Type,
    Const,
    Table,
    Let,
    Score,
    Rule,
    Example,
    Import,
}

impl ItemKind {
    /// The keyword that declares the item.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Input => "input",
            ItemKind::Type => "type",
            ItemKind::Const => "const",
            ItemKind::Table => "table",
            ItemKind::Let => "let",
            ItemKind::Score => "score",
            ItemKind::Rule => "rule",
            ItemKind::Example => "example",
            ItemKind::Import => "import",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One part of an item in both versions (`condition`, `verdict`, `row "DE"`, `weight of
/// environment`, ...): its source text, `None` where the version has no such part.
#[derive(Debug, Clone, PartialEq)]
pub struct PartChange {
    pub part: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Which version did not parse, with its syntax errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiffError {
    #[error("the old policy has syntax errors")]
    Old(Vec<Diagnostic>),
    #[error("the new policy has syntax errors")]
    New(Vec<Diagnostic>),
}

/// The changes from `old` to `new` (policy sources).
pub fn diff(old: &str, new: &str) -> Result<PolicyDiff, DiffError> {
    let parse = |source| {
        let (file, diagnostics) = syntax::parse(source);
        let errors: Vec<Diagnostic> = diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        if errors.is_empty() {
            Ok(file)
        } else {
            Err(errors)
        }
    };
    let old_file = parse(old).map_err(DiffError::Old)?;
    let new_file = parse(new).map_err(DiffError::New)?;
    let old = Version::new(&old_file, old);
    let new = Version::new(&new_file, new);
    let mut changes = Vec::new();
    for (key, item) in &new.items {
        let parts = match old.find(key) {
            Some(before) => parts(&old, before, &new, item),
            None => vec![definition(None, Some(new.text(item)))],
        };
        if !parts.is_empty() {
            let kind = match old.find(key) {
                Some(_) => ChangeKind::Changed,
                None => ChangeKind::Added,
            };
            changes.push(change(key, kind, parts, &old, &new));
        }
    }
    for (key, item) in &old.items {
        if new.find(key).is_none() {
            let parts = vec![definition(Some(old.text(item)), None)];
            changes.push(change(key, ChangeKind::Removed, parts, &old, &new));
        }
    }
    Ok(PolicyDiff {
        old: header(&old_file),
        new: header(&new_file),
        changes,
    })
}

fn header(file: &PolicyFile) -> Header {
    let meta = file.items.iter().find_map(|item| match item {
        Item::Policy(meta) => Some(meta),
        _ => None,
    });
    Header {
        title: meta.map(|meta| meta.title.value.clone()),
        version: meta.and_then(|meta| meta.version.as_ref().map(|v| v.value.clone())),
    }
}

/// An item's kind and name; the `n`-th example of a title is paired with the `n`-th of the
/// other version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    kind: ItemKind,
    name: String,
    occurrence: usize,
}

/// One version: its items by key, and what each value name reads.
struct Version<'a> {
    source: &'a str,
    items: Vec<(Key, &'a Item)>,
    /// The names each item reads.
    reads: HashMap<Key, BTreeSet<Name<'a>>>,
}

impl<'a> Version<'a> {
    fn new(file: &'a PolicyFile, source: &'a str) -> Version<'a> {
        let mut seen: HashMap<(ItemKind, String), usize> = HashMap::new();
        let mut items = Vec::new();
        let mut reads = HashMap::new();
        for item in &file.items {
            let Some((kind, name)) = identify(item) else {
                continue;
            };
            let occurrence = seen.entry((kind, name.clone())).or_default();
            let key = Key {
                kind,
                name,
                occurrence: *occurrence,
            };
            *occurrence += 1;
            reads.insert(key.clone(), item_reads(item));
            items.push((key, item));
        }
        Version {
            source,
            items,
            reads,
        }
    }

    fn find(&self, key: &Key) -> Option<&'a Item> {
        self.items
            .iter()
            .find(|(candidate, _)| candidate == key)
            .map(|(_, item)| *item)
    }

    /// The source of a span, on one line.
    fn slice(&self, span: crate::span::Span) -> String {
        let text = self.source.get(span.range()).unwrap_or_default();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn text(&self, item: &Item) -> String {
        self.slice(span_of(item))
    }

    /// The item that defines a name.
    fn definition_of(&self, name: Name) -> Option<&Key> {
        let defines = |key: &Key| match name {
            Name::Type(name) => key.kind == ItemKind::Type && key.name == name,
            Name::Value(name) => {
                !matches!(
                    key.kind,
                    ItemKind::Type | ItemKind::Rule | ItemKind::Example
                ) && key.name == name
            }
        };
        self.items
            .iter()
            .map(|(key, _)| key)
            .find(|key| defines(key))
    }

    /// The rules that read `target`, directly or through other items.
    fn rules_reading(&self, target: &Key) -> BTreeSet<String> {
        let mut rules = BTreeSet::new();
        for (key, _) in &self.items {
            if key.kind == ItemKind::Rule && (key == target || self.reaches(key, target)) {
                rules.insert(key.name.clone());
            }
        }
        rules
    }

    /// Whether `from` reads `target`, following what each item reads (each item once).
    fn reaches(&self, from: &Key, target: &Key) -> bool {
        let mut visited = BTreeSet::new();
        let mut pending: Vec<Name> = self
            .reads
            .get(from)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        while let Some(name) = pending.pop() {
            if !visited.insert(name) {
                continue;
            }
            let Some(key) = self.definition_of(name) else {
                continue;
            };
            if key == target {
                return true;
            }
            pending.extend(self.reads.get(key).into_iter().flatten().copied());
        }
        false
    }
}

fn identify(item: &Item) -> Option<(ItemKind, String)> {
    Some(match item {
        Item::Policy(_) => return None,
        Item::Input(input) => (ItemKind::Input, input.name.name.clone()),
        Item::Type(decl) => (ItemKind::Type, decl.name.name.clone()),
        Item::Const(decl) => (ItemKind::Const, decl.name.name.clone()),
        Item::Table(decl) => (ItemKind::Table, decl.name.name.clone()),
        Item::Let(decl) => (ItemKind::Let, decl.name.name.clone()),
        Item::Score(decl) => (ItemKind::Score, decl.name.name.clone()),
        Item::Rule(decl) => (ItemKind::Rule, decl.name.name.clone()),
        Item::Example(decl) => (ItemKind::Example, decl.title.value.clone()),
        Item::Import(decl) => (ItemKind::Import, decl.path.value.clone()),
    })
}

fn span_of(item: &Item) -> crate::span::Span {
    match item {
        Item::Policy(meta) => meta.span,
        Item::Input(input) => input.span,
        Item::Type(decl) => decl.span,
        Item::Const(decl) => decl.span,
        Item::Table(decl) => decl.span,
        Item::Let(decl) => decl.span,
        Item::Score(decl) => decl.span,
        Item::Rule(decl) => decl.span,
        Item::Example(decl) => decl.span,
        Item::Import(decl) => decl.span,
    }
}

fn change(
    key: &Key,
    kind: ChangeKind,
    parts: Vec<PartChange>,
    old: &Version,
    new: &Version,
) -> Change {
    let mut affects = old.rules_reading(key);
    affects.extend(new.rules_reading(key));
    Change {
        item: key.kind,
        name: key.name.clone(),
        kind,
        parts,
        affects: affects.into_iter().collect(),
    }
}

/// Declared fields or parameters: name, printed type and the type's span.
fn declared(fields: &[crate::ast::FieldDecl]) -> Vec<(String, String, crate::span::Span)> {
    fields
        .iter()
        .map(|field| {
            (
                field.name.name.clone(),
                print_type(&field.ty),
                field.ty.span,
            )
        })
        .collect()
}

fn definition(old: Option<String>, new: Option<String>) -> PartChange {
    PartChange {
        part: "definition".to_owned(),
        old,
        new,
    }
}

/// The parts of an item that differ between the versions; empty when the item is the same.
fn parts(old: &Version, before: &Item, new: &Version, after: &Item) -> Vec<PartChange> {
    let mut parts = Parts {
        old,
        new,
        changes: Vec::new(),
    };
    match (before, after) {
        (Item::Input(a), Item::Input(b)) => {
            parts.keyed("field", &declared(&a.fields), &declared(&b.fields));
        }
        (Item::Type(a), Item::Type(b)) => parts.types("type", &a.ty, &b.ty),
        (Item::Const(a), Item::Const(b)) => {
            let printed = |ty: Option<&TypeExpr>| ty.map_or(String::new(), print_type);
            if printed(a.ty.as_ref()) != printed(b.ty.as_ref()) {
                parts.differ("type", printed(a.ty.as_ref()), printed(b.ty.as_ref()));
            }
            parts.exprs("value", Some(&a.value), Some(&b.value));
        }
        (Item::Let(a), Item::Let(b)) => {
            let params =
                |decl: &crate::ast::LetDecl| declared(decl.params.as_deref().unwrap_or_default());
            parts.keyed("parameter", &params(a), &params(b));
            parts.exprs("value", Some(&a.value), Some(&b.value));
        }
        (Item::Table(a), Item::Table(b)) => {
            parts.types("key type", &a.key_ty, &b.key_ty);
            parts.types("value type", &a.value_ty, &b.value_ty);
            let rows = |table: &crate::ast::TableDecl| -> Vec<(String, String, crate::span::Span)> {
                let rows = table.rows.iter().flatten();
                rows.map(|row| (print_expr(&row.key), print_expr(&row.value), row.value.span))
                    .collect()
            };
            match (&a.rows, &b.rows) {
                (Some(_), Some(_)) => parts.keyed("row", &rows(a), &rows(b)),
                (None, None) => {}
                _ => parts.differ("rows", old.text(before), new.text(after)),
            }
        }
        (Item::Score(a), Item::Score(b)) => {
            parts.titles(a.title.as_ref(), b.title.as_ref());
            let weights =
                |components: &[ScoreComponent]| -> Vec<(String, String, crate::span::Span)> {
                    components
                        .iter()
                        .map(|c| {
                            (
                                c.name.name.clone(),
                                c.weight_hundredths.to_string(),
                                c.weight_span,
                            )
                        })
                        .collect()
                };
            parts.keyed(
                "weight of",
                &weights(&a.components),
                &weights(&b.components),
            );
            for component in &b.components {
                let earlier = a
                    .components
                    .iter()
                    .find(|c| c.name.name == component.name.name);
                if let Some(earlier) = earlier {
                    let part = format!("component {}", component.name.name);
                    parts.exprs(&part, Some(&earlier.value), Some(&component.value));
                }
            }
        }
        (Item::Rule(a), Item::Rule(b)) => {
            parts.titles(a.title.as_ref(), b.title.as_ref());
            parts.exprs("when", a.when.as_ref(), b.when.as_ref());
            let check = |rule: &crate::ast::RuleDecl| match rule.kind {
                crate::ast::RuleKind::Require => "require",
                crate::ast::RuleKind::Forbid => "forbid",
            };
            if check(a) != check(b) || print_expr(&a.condition) != print_expr(&b.condition) {
                parts.differ(
                    "condition",
                    format!("{} {}", check(a), old.slice(a.condition.span)),
                    format!("{} {}", check(b), new.slice(b.condition.span)),
                );
            }
            if a.verdict != b.verdict {
                parts.differ(
                    "verdict",
                    a.verdict.as_str().to_owned(),
                    b.verdict.as_str().to_owned(),
                );
            }
            if print_template(&a.message) != print_template(&b.message) {
                parts.differ(
                    "message",
                    old.slice(a.message.span),
                    new.slice(b.message.span),
                );
            }
        }
        (Item::Example(_), Item::Example(_)) => {
            let print = |item| {
                let mut text = String::new();
                crate::print::print_item(&mut text, item);
                text
            };
            if print(before) != print(after) {
                parts.differ("definition", old.text(before), new.text(after));
            }
        }
        _ => parts.differ("definition", old.text(before), new.text(after)),
    }
    parts.changes
}

/// The changed parts of one item, collected.
struct Parts<'v, 'a> {
    old: &'v Version<'a>,
    new: &'v Version<'a>,
    changes: Vec<PartChange>,
}

impl Parts<'_, '_> {
    fn differ(&mut self, part: &str, old: String, new: String) {
        self.changes.push(PartChange {
            part: part.to_owned(),
            old: Some(old),
            new: Some(new),
        });
    }

    fn exprs(&mut self, part: &str, old: Option<&Expr>, new: Option<&Expr>) {
        if old.map(print_expr) != new.map(print_expr) {
            self.changes.push(PartChange {
                part: part.to_owned(),
                old: old.map(|expr| self.old.slice(expr.span)),
                new: new.map(|expr| self.new.slice(expr.span)),
            });
        }
    }

    fn types(&mut self, part: &str, old: &TypeExpr, new: &TypeExpr) {
        if print_type(old) != print_type(new) {
            let (old, new) = (self.old.slice(old.span), self.new.slice(new.span));
            self.differ(part, old, new);
        }
    }

    fn titles(&mut self, old: Option<&crate::ast::StrLit>, new: Option<&crate::ast::StrLit>) {
        let text = |title: Option<&crate::ast::StrLit>| title.map(|title| title.value.clone());
        if text(old) != text(new) {
            self.changes.push(PartChange {
                part: "title".to_owned(),
                old: text(old),
                new: text(new),
            });
        }
    }

    /// Entries named by a key (fields, rows, components), compared by their printed value;
    /// each is shown by its source text at `span`.
    fn keyed(
        &mut self,
        what: &str,
        old: &[(String, String, crate::span::Span)],
        new: &[(String, String, crate::span::Span)],
    ) {
        let find = |entries: &[(String, String, crate::span::Span)], key: &str| {
            entries
                .iter()
                .find(|(candidate, ..)| candidate == key)
                .cloned()
        };
        for (key, value, span) in new {
            let before = find(old, key);
            if before
                .as_ref()
                .is_some_and(|(_, earlier, _)| earlier == value)
            {
                continue;
            }
            self.changes.push(PartChange {
                part: format!("{what} {key}"),
                old: before.map(|(_, _, span)| self.old.slice(span)),
                new: Some(self.new.slice(*span)),
            });
        }
        for (key, _, span) in old {
            if find(new, key).is_none() {
                self.changes.push(PartChange {
                    part: format!("{what} {key}"),
                    old: Some(self.old.slice(*span)),
                    new: None,
                });
            }
        }
    }
}

/// A name an item reads: types and values (lets, constants, tables, scores, the input) are
/// named apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Name<'a> {
    Type(&'a str),
    Value(&'a str),
}

/// The names an item reads: values in its expressions (bound variables aside) and types in its
/// type expressions.
fn item_reads(item: &Item) -> BTreeSet<Name<'_>> {
    let mut names = BTreeSet::new();
    let expr = |expr, names: &mut _| expr_reads(expr, &mut Vec::new(), names);
    match item {
        Item::Policy(_) | Item::Example(_) | Item::Import(_) => {}
        Item::Input(input) => {
            for field in &input.fields {
                type_reads(&field.ty, &mut names);
            }
        }
        Item::Type(decl) => type_reads(&decl.ty, &mut names),
        Item::Const(decl) => {
            if let Some(ty) = &decl.ty {
                type_reads(ty, &mut names);
            }
            expr(&decl.value, &mut names);
        }
        Item::Let(decl) => {
            let params = decl.params.as_deref().unwrap_or_default();
            for param in params {
                type_reads(&param.ty, &mut names);
            }
            let mut bound: Vec<&str> = params.iter().map(|p| p.name.name.as_str()).collect();
            expr_reads(&decl.value, &mut bound, &mut names);
        }
        Item::Table(decl) => {
            type_reads(&decl.key_ty, &mut names);
            type_reads(&decl.value_ty, &mut names);
            for row in decl.rows.iter().flatten() {
                expr(&row.key, &mut names);
                expr(&row.value, &mut names);
            }
        }
        Item::Score(decl) => {
            for component in &decl.components {
                expr(&component.value, &mut names);
            }
        }
        Item::Rule(rule) => {
            if let Some(when) = &rule.when {
                expr(when, &mut names);
            }
            expr(&rule.condition, &mut names);
            template_reads(&rule.message, &mut Vec::new(), &mut names);
        }
    }
    names
}

fn type_reads<'a>(ty: &'a TypeExpr, names: &mut BTreeSet<Name<'a>>) {
    match &ty.kind {
        TypeExprKind::Named(name) => {
            names.insert(Name::Type(&name.name));
        }
        TypeExprKind::List(inner) | TypeExprKind::Optional(inner) => type_reads(inner, names),
        TypeExprKind::Record(fields) => {
            for field in fields {
                type_reads(&field.ty, names);
            }
        }
        TypeExprKind::Union(_) => {}
    }
}

fn template_reads<'a>(
    template: &'a Template,
    bound: &mut Vec<&'a str>,
    names: &mut BTreeSet<Name<'a>>,
) {
    for part in &template.parts {
        if let TemplatePart::Expr(expr) = part {
            expr_reads(expr, bound, names);
        }
    }
}

/// The names an expression reads that none of its quantifiers or comprehensions binds.
fn expr_reads<'a>(expr: &'a Expr, bound: &mut Vec<&'a str>, names: &mut BTreeSet<Name<'a>>) {
    match &expr.kind {
        ExprKind::Name(name) => {
            if !bound.contains(&name.name.as_str()) {
                names.insert(Name::Value(&name.name));
            }
        }
        ExprKind::Str(template) => template_reads(template, bound, names),
        ExprKind::List(items) | ExprKind::Call(_, items) => {
            // A call may be of a function of the policy.
            if let ExprKind::Call(function, _) = &expr.kind {
                names.insert(Name::Value(&function.name));
            }
            for item in items {
                expr_reads(item, bound, names);
            }
        }
        ExprKind::Field(base, _) => expr_reads(base, bound, names),
        ExprKind::Unary(_, operand) | ExprKind::IsMissing { operand, .. } => {
            expr_reads(operand, bound, names);
        }
        ExprKind::Index(lhs, rhs) | ExprKind::Binary(_, lhs, rhs) => {
            expr_reads(lhs, bound, names);
            expr_reads(rhs, bound, names);
        }
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => {
            for part in [condition, then, otherwise] {
                expr_reads(part, bound, names);
            }
        }
        ExprKind::Match { arms, otherwise } => {
            for arm in arms {
                expr_reads(&arm.condition, bound, names);
                expr_reads(&arm.value, bound, names);
            }
            if let Some(otherwise) = otherwise {
                expr_reads(otherwise, bound, names);
            }
        }
        ExprKind::Quantifier {
            var, list, body, ..
        } => {
            expr_reads(list, bound, names);
            bound.push(&var.name);
            expr_reads(body, bound, names);
            bound.pop();
        }
        ExprKind::Comprehension { element, clauses } => {
            let outer = bound.len();
            for clause in clauses {
                expr_reads(&clause.list, bound, names);
                bound.push(&clause.var.name);
                if let Some(filter) = &clause.filter {
                    expr_reads(filter, bound, names);
                }
            }
            expr_reads(element, bound, names);
            bound.truncate(outer);
        }
        ExprKind::ComputedDuration(count, _) => expr_reads(count, bound, names),
        ExprKind::Number(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::Duration(..)
        | ExprKind::Today => {}
    }
}
