//! What an editor asks about a policy: the thing a name at a position denotes (hover,
//! definition, references), what may be written at a position (completion), and the outline.
//!
//! One pass over the syntax tree of a policy's files (`Sources`, so a name is followed into
//! the libraries the policy imports) resolves every name the way the checker does: variables
//! of quantifiers, comprehensions and function parameters first, innermost first, then items.
//! Fields are followed through the declared types (the input, `type` declarations, typed
//! parameters and the elements of the lists quantifiers range over); the types the checker
//! infers for `let`s come from the compiled program when the policy compiles. Positions are
//! byte offsets into the root file; hosts convert them (`procura lsp` to UTF-16 lines and
//! columns).

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::*;
use crate::builtins::{BUILTINS, Builtin};
use crate::diagnostic::Diagnostic;
use crate::policy::{Policy, compile_sources};
use crate::print::{print_expr, print_type};
use crate::program::Program;
use crate::sources::Sources;
use crate::span::Span;
use crate::syntax::RESERVED;

/// What a name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Input,
    Field,
    Type,
    Const,
    Table,
    Let,
    Function,
    Parameter,
    Score,
    Component,
    Rule,
    /// A variable of a quantifier or comprehension.
    Variable,
    Builtin,
    Keyword,
    /// A member of a literal union, offered inside a string.
    Member,
}

impl SymbolKind {
    /// The kind's name in JSON (the WebAssembly API's `Completion.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            SymbolKind::Input => "input",
            SymbolKind::Field => "field",
            SymbolKind::Type => "type",
            SymbolKind::Const => "const",
            SymbolKind::Table => "table",
            SymbolKind::Let => "let",
            SymbolKind::Function => "function",
            SymbolKind::Parameter => "parameter",
            SymbolKind::Score => "score",
            SymbolKind::Component => "component",
            SymbolKind::Rule => "rule",
            SymbolKind::Variable => "variable",
            SymbolKind::Builtin => "builtin",
            SymbolKind::Keyword => "keyword",
            SymbolKind::Member => "member",
        }
    }
}

/// A place in one of the policy's files: `file` is the library's path from the root's
/// directory, `None` for the root; `span` is within that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Option<Arc<str>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    /// The name hovered, in the root.
    pub span: Span,
    /// Markdown: the declaration in a code block, then what it is.
    pub markdown: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: SymbolKind,
    pub detail: String,
}

/// An entry of the outline of the root file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The whole declaration.
    pub span: Span,
    /// Its name.
    pub name_span: Span,
    pub children: Vec<Symbol>,
}

#[derive(Debug, Clone)]
struct Def {
    name: String,
    kind: SymbolKind,
    name_span: Span,
    span: Span,
    /// The declaration as an editor shows it (`const floor: number`).
    signature: String,
    /// A title or what the thing is.
    doc: Option<String>,
    /// The declared type of a field, parameter or variable, for following fields.
    ty: Option<TypeExpr>,
    /// For a variable or parameter, where it can be read.
    scope: Option<Span>,
    /// The definition whose part this is (an input's field, a score's component).
    parent: Option<usize>,
}

/// The analysis of a policy: build it once per change of the text, then ask it.
pub struct Analysis {
    sources: Sources,
    names: Names,
    /// `procura check`'s diagnostics, in the shared span space's files.
    diagnostics: Vec<Diagnostic>,
}

/// Every definition and every name that refers to one.
#[derive(Default)]
struct Names {
    defs: Vec<Def>,
    /// Every name that refers to a definition, in source order.
    uses: Vec<(Span, usize)>,
    /// Calls of built-in functions by their name's span.
    builtin_calls: Vec<(Span, &'static Builtin)>,
    items: HashMap<String, usize>,
    types: HashMap<String, usize>,
    rules: HashMap<String, usize>,
    /// Field definitions by the start of their name (unique in the shared span space).
    fields: HashMap<u32, usize>,
}

impl Analysis {
    pub fn new(sources: Sources) -> Analysis {
        let (policy, diagnostics) = match compile_sources(&sources) {
            Ok(policy) => {
                let warnings = policy.warnings().to_vec();
                (Some(policy), warnings)
            }
            Err(errors) => (None, errors),
        };
        let items = &sources.items().items;
        let mut names = Names::default();
        let program = policy.as_ref().map(Policy::program);
        for item in items {
            names.declare(item, program);
        }
        for item in items {
            names.resolve_item(item);
        }
        names.uses.sort_by_key(|(span, _)| span.start);
        Analysis {
            sources,
            names,
            diagnostics,
        }
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// Every error and warning, as `procura check` reports them (spans within their files).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The `import` of the root through which a library is read: where its errors are shown
    /// in the root (a library imported by another library is shown on the root's first import).
    pub fn import_of(&self, library: &str) -> Span {
        let imports = (self.sources.items().items.iter()).filter_map(|item| match item {
            Item::Import(import) if self.sources.in_root(import.span) => Some(import),
            _ => None,
        });
        let imports: Vec<&ImportDecl> = imports.collect();
        let named = imports
            .iter()
            .find(|i| i.path.value.trim_start_matches("./") == library);
        named
            .or(imports.first())
            .map_or(Span::new(0, 0), |i| i.span)
    }

    /// The definition a name at `offset` of the root denotes.
    pub fn definition(&self, offset: usize) -> Option<Location> {
        let (_, def) = self.def_at(offset)?;
        Some(self.location(self.names.defs[def].name_span))
    }

    /// Every mention of what the name at `offset` denotes, its declaration first.
    pub fn references(&self, offset: usize) -> Vec<Location> {
        match self.def_at(offset) {
            Some((_, def)) => self.mentions(def),
            None => Vec::new(),
        }
    }

    /// Every mention of what is declared at `declaration` (the location of its name, as
    /// `definition` gives it), its declaration first; none when no name is declared there. For
    /// the names of a library as a policy that imports it uses them.
    pub fn references_to(&self, declaration: &Location) -> Vec<Location> {
        let declared = (0..self.names.defs.len())
            .find(|&def| self.location(self.names.defs[def].name_span) == *declaration);
        declared.map_or_else(Vec::new, |def| self.mentions(def))
    }

    /// The declaration of `def`, then every name that refers to it, in source order.
    fn mentions(&self, def: usize) -> Vec<Location> {
        let declaration = self.names.defs[def].name_span;
        let mentions = (self.names.uses.iter())
            .filter(|(_, d)| *d == def)
            .map(|(s, _)| *s);
        std::iter::once(declaration)
            .chain(mentions)
            .map(|span| self.location(span))
            .collect()
    }

    pub fn hover(&self, offset: usize) -> Option<Hover> {
        if let Some((span, builtin)) =
            (self.names.builtin_calls.iter()).find(|(s, _)| contains(*s, offset))
        {
            return Some(Hover {
                span: *span,
                markdown: format!("```procura\n{}\n```\nbuilt-in function", builtin.signature),
            });
        }
        let (span, def) = self.def_at(offset)?;
        let def = &self.names.defs[def];
        let mut markdown = format!("```procura\n{}\n```", def.signature);
        if let Some(doc) = &def.doc {
            markdown.push('\n');
            markdown.push_str(doc);
        }
        Some(Hover { span, markdown })
    }

    /// What may be written at `offset` of the root: the fields of a record after `.`, the
    /// members of a literal union inside a string compared with it, else the names in scope,
    /// the built-ins and the keywords.
    pub fn completions(&self, offset: usize) -> Vec<Completion> {
        let text = self.sources.root_text();
        let before = text.get(..offset.min(text.len())).unwrap_or("");
        let line = before.rsplit('\n').next().unwrap_or("");
        if let Some((path, _partial)) = path_before_dot(line) {
            return match self.path_type(&path, offset) {
                Some(ty) => self.fields_of(&ty),
                None => Vec::new(),
            };
        }
        if let Some(path) = path_compared_with_string(line) {
            return match self
                .path_type(&path, offset)
                .map(|t| self.names.resolve(&t))
            {
                Some(TypeExpr {
                    kind: TypeExprKind::Union(members),
                    ..
                }) => members
                    .iter()
                    .map(|m| Completion {
                        label: m.value.clone(),
                        kind: SymbolKind::Member,
                        detail: path.join("."),
                    })
                    .collect(),
                _ => Vec::new(),
            };
        }
        let mut found: Vec<Completion> = Vec::new();
        for def in &self.names.defs {
            let in_scope = match def.scope {
                Some(scope) => contains(scope, offset),
                None => def.parent.is_none() && !matches!(def.kind, SymbolKind::Rule),
            };
            if in_scope && !found.iter().any(|c| c.label == def.name) {
                found.push(Completion {
                    label: def.name.clone(),
                    kind: def.kind,
                    detail: def.signature.clone(),
                });
            }
        }
        found.extend(BUILTINS.iter().map(|b| Completion {
            label: b.name.to_string(),
            kind: SymbolKind::Builtin,
            detail: b.signature.to_string(),
        }));
        let keywords = RESERVED.iter().chain(&CONTEXTUAL_KEYWORDS);
        found.extend(keywords.map(|k| Completion {
            label: k.to_string(),
            kind: SymbolKind::Keyword,
            detail: String::new(),
        }));
        found
    }

    /// The items of the root file, with the fields of its input and records and the
    /// components of its scores.
    pub fn symbols(&self) -> Vec<Symbol> {
        let symbol = |index: usize| {
            let def = &self.names.defs[index];
            Symbol {
                name: def.name.clone(),
                kind: def.kind,
                span: def.span,
                name_span: def.name_span,
                children: Vec::new(),
            }
        };
        let mut symbols: Vec<Symbol> = Vec::new();
        let mut top: HashMap<usize, usize> = HashMap::new();
        for (index, def) in self.names.defs.iter().enumerate() {
            if !self.sources.in_root(def.name_span) || def.scope.is_some() {
                continue;
            }
            match def.parent.and_then(|p| top.get(&p)) {
                Some(&at) => symbols[at].children.push(symbol(index)),
                None if def.parent.is_none() => {
                    top.insert(index, symbols.len());
                    symbols.push(symbol(index));
                }
                None => {}
            }
        }
        symbols
    }

    fn location(&self, span: Span) -> Location {
        let (file, span) = self.sources.locate(span);
        Location { file, span }
    }

    /// The name at `offset` (a mention or a declaration) and what it denotes.
    fn def_at(&self, offset: usize) -> Option<(Span, usize)> {
        let mention = self
            .names
            .uses
            .iter()
            .find(|(span, _)| contains(*span, offset));
        if let Some(&(span, def)) = mention {
            return Some((span, def));
        }
        (self.names.defs.iter().enumerate())
            .find(|(_, d)| self.sources.in_root(d.name_span) && contains(d.name_span, offset))
            .map(|(index, d)| (d.name_span, index))
    }

    fn fields_of(&self, record: &TypeExpr) -> Vec<Completion> {
        let TypeExprKind::Record(fields) = self.names.resolve(record).kind else {
            return Vec::new();
        };
        (fields.iter())
            .map(|f| Completion {
                label: f.name.name.clone(),
                kind: SymbolKind::Field,
                detail: print_type(&f.ty),
            })
            .collect()
    }

    /// The declared type of a path of names (`supplier.ecovadis`) as read at `offset`.
    fn path_type(&self, path: &[String], offset: usize) -> Option<TypeExpr> {
        let (first, rest) = path.split_first()?;
        let local = (self.names.defs.iter())
            .find(|d| &d.name == first && d.scope.is_some_and(|scope| contains(scope, offset)));
        let def = match local {
            Some(def) => def,
            None => &self.names.defs[*self.names.items.get(first)?],
        };
        let mut ty = def.ty.clone()?;
        for name in rest {
            ty = self.names.field(&ty, name)?.1;
        }
        Some(ty)
    }
}

impl Names {
    fn add(&mut self, def: Def) -> usize {
        self.defs.push(def);
        self.defs.len() - 1
    }

    /// Declares an item and its parts; `program`, when the policy compiles, gives the types
    /// the checker inferred for `let`s.
    fn declare(&mut self, item: &Item, program: Option<&Program>) {
        match item {
            Item::Input(input) => {
                let record = TypeExpr {
                    kind: TypeExprKind::Record(input.fields.clone()),
                    span: input.span,
                };
                let index = self.add(Def {
                    name: input.name.name.clone(),
                    kind: SymbolKind::Input,
                    name_span: input.name.span,
                    span: input.span,
                    signature: format!("input {}", input.name.name),
                    doc: Some(format!(
                        "the record evaluated: {} fields",
                        input.fields.len()
                    )),
                    ty: Some(record),
                    scope: None,
                    parent: None,
                });
                self.items.insert(input.name.name.clone(), index);
                self.declare_fields(&input.fields, index);
            }
            Item::Type(decl) => {
                let index = self.add(Def {
                    name: decl.name.name.clone(),
                    kind: SymbolKind::Type,
                    name_span: decl.name.span,
                    span: decl.span,
                    signature: format!("type {} = {}", decl.name.name, print_type(&decl.ty)),
                    doc: None,
                    ty: Some(decl.ty.clone()),
                    scope: None,
                    parent: None,
                });
                self.types.insert(decl.name.name.clone(), index);
                self.declare_type_fields(&decl.ty, index);
            }
            Item::Const(decl) => {
                let signature = match &decl.ty {
                    Some(ty) => format!("const {}: {}", decl.name.name, print_type(ty)),
                    None => format!("const {} = {}", decl.name.name, print_expr(&decl.value)),
                };
                let index = self.add(item_def(
                    &decl.name,
                    SymbolKind::Const,
                    decl.span,
                    signature,
                ));
                self.defs[index].ty = decl.ty.clone();
                self.items.insert(decl.name.name.clone(), index);
            }
            Item::Table(decl) => {
                let signature = format!(
                    "table {}: {} -> {}",
                    decl.name.name,
                    print_type(&decl.key_ty),
                    print_type(&decl.value_ty)
                );
                let index = self.add(item_def(
                    &decl.name,
                    SymbolKind::Table,
                    decl.span,
                    signature,
                ));
                if decl.rows.is_none() {
                    self.defs[index].doc = Some("reference data, supplied at evaluation".into());
                }
                self.items.insert(decl.name.name.clone(), index);
            }
            Item::Let(decl) => {
                let (kind, signature) = match &decl.params {
                    Some(params) => {
                        let params: Vec<String> = (params.iter())
                            .map(|p| format!("{}: {}", p.name.name, print_type(&p.ty)))
                            .collect();
                        let signature = format!("let {}({})", decl.name.name, params.join(", "));
                        (SymbolKind::Function, signature)
                    }
                    None => {
                        let inferred =
                            program.and_then(|p| p.lets.iter().find(|l| l.name == decl.name.name));
                        let signature = match inferred.map(|l| &l.ty) {
                            Some(ty) => format!("let {}: {ty}", decl.name.name),
                            None => format!("let {} = {}", decl.name.name, print_expr(&decl.value)),
                        };
                        (SymbolKind::Let, signature)
                    }
                };
                let index = self.add(item_def(&decl.name, kind, decl.span, signature));
                self.items.insert(decl.name.name.clone(), index);
            }
            Item::Score(decl) => {
                let index = self.add(item_def(
                    &decl.name,
                    SymbolKind::Score,
                    decl.span,
                    format!("score {}", decl.name.name),
                ));
                self.defs[index].doc = decl.title.as_ref().map(|t| t.value.clone());
                self.items.insert(decl.name.name.clone(), index);
                for component in &decl.components {
                    let weight = component.weight_hundredths as f64 / 100.0;
                    let mut def = item_def(
                        &component.name,
                        SymbolKind::Component,
                        component.span,
                        format!("{} {weight}%", component.name.name),
                    );
                    def.doc = Some(format!("a component of score `{}`", decl.name.name));
                    def.parent = Some(index);
                    self.add(def);
                }
            }
            Item::Rule(decl) => {
                let verb = match decl.kind {
                    RuleKind::Require => "require",
                    RuleKind::Forbid => "forbid",
                };
                let mut def = item_def(
                    &decl.name,
                    SymbolKind::Rule,
                    decl.span,
                    format!(
                        "rule {} ({verb} … else {})",
                        decl.name.name,
                        decl.verdict.as_str()
                    ),
                );
                def.doc = decl.title.as_ref().map(|t| t.value.clone());
                let index = self.add(def);
                self.rules.insert(decl.name.name.clone(), index);
            }
            Item::Policy(_) | Item::Example(_) | Item::Import(_) => {}
        }
    }

    fn declare_fields(&mut self, fields: &[FieldDecl], parent: usize) {
        for field in fields {
            let mut def = item_def(
                &field.name,
                SymbolKind::Field,
                field.name.span.to(field.ty.span),
                format!("{}: {}", field.name.name, print_type(&field.ty)),
            );
            def.ty = Some(field.ty.clone());
            def.parent = Some(parent);
            let index = self.add(def);
            self.fields.insert(field.name.span.start, index);
            self.declare_type_fields(&field.ty, index);
        }
    }

    /// The fields of records nested in a type, as parts of `parent`.
    fn declare_type_fields(&mut self, ty: &TypeExpr, parent: usize) {
        match &ty.kind {
            TypeExprKind::Record(fields) => self.declare_fields(fields, parent),
            TypeExprKind::List(inner) | TypeExprKind::Optional(inner) => {
                self.declare_type_fields(inner, parent)
            }
            TypeExprKind::Named(_) | TypeExprKind::Union(_) => {}
        }
    }

    fn resolve_item(&mut self, item: &Item) {
        let mut scopes = Vec::new();
        match item {
            Item::Input(input) => self.type_uses_in_fields(&input.fields),
            Item::Type(decl) => self.type_uses(&decl.ty),
            Item::Const(decl) => {
                if let Some(ty) = &decl.ty {
                    self.type_uses(ty);
                }
                self.expr(&decl.value, &mut scopes);
            }
            Item::Table(decl) => {
                self.type_uses(&decl.key_ty);
                self.type_uses(&decl.value_ty);
                for row in decl.rows.iter().flatten() {
                    self.expr(&row.key, &mut scopes);
                    self.expr(&row.value, &mut scopes);
                }
            }
            Item::Let(decl) => {
                for param in decl.params.iter().flatten() {
                    self.type_uses(&param.ty);
                    let mut def = item_def(
                        &param.name,
                        SymbolKind::Parameter,
                        param.name.span,
                        format!("{}: {}", param.name.name, print_type(&param.ty)),
                    );
                    def.ty = Some(param.ty.clone());
                    def.scope = Some(decl.value.span);
                    scopes.push(self.add(def));
                }
                self.expr(&decl.value, &mut scopes);
            }
            Item::Score(decl) => {
                for component in &decl.components {
                    self.expr(&component.value, &mut scopes);
                }
            }
            Item::Rule(decl) => {
                if let Some(when) = &decl.when {
                    self.expr(when, &mut scopes);
                }
                self.expr(&decl.condition, &mut scopes);
                self.template(&decl.message, &mut scopes);
            }
            Item::Example(example) => {
                for expectation in &example.expectations {
                    let (name, names) = match &expectation.kind {
                        ExpectationKind::Rule(name, _)
                        | ExpectationKind::Message(name, _)
                        | ExpectationKind::Evidence(name, _) => (name, &self.rules),
                        ExpectationKind::Score(name, _) | ExpectationKind::Value(name, _) => {
                            (name, &self.items)
                        }
                        ExpectationKind::Decision(_) | ExpectationKind::Missing(_) => continue,
                    };
                    if let Some(&def) = names.get(&name.name) {
                        self.uses.push((name.span, def));
                    }
                }
            }
            Item::Policy(_) | Item::Import(_) => {}
        }
    }

    fn type_uses_in_fields(&mut self, fields: &[FieldDecl]) {
        for field in fields {
            self.type_uses(&field.ty);
        }
    }

    fn type_uses(&mut self, ty: &TypeExpr) {
        match &ty.kind {
            TypeExprKind::Named(name) => {
                if let Some(&def) = self.types.get(&name.name) {
                    self.uses.push((name.span, def));
                }
            }
            TypeExprKind::List(inner) | TypeExprKind::Optional(inner) => self.type_uses(inner),
            TypeExprKind::Record(fields) => self.type_uses_in_fields(fields),
            TypeExprKind::Union(_) => {}
        }
    }

    fn template(&mut self, template: &Template, scopes: &mut Vec<usize>) {
        for part in &template.parts {
            if let TemplatePart::Expr(expr) = part {
                self.expr(expr, scopes);
            }
        }
    }

    /// Records the names of `expr` and returns its declared type where one is known.
    fn expr(&mut self, expr: &Expr, scopes: &mut Vec<usize>) -> Option<TypeExpr> {
        match &expr.kind {
            ExprKind::Name(name) => {
                let local = scopes
                    .iter()
                    .rev()
                    .find(|&&d| self.defs[d].name == name.name);
                let def = local.or_else(|| self.items.get(&name.name)).copied()?;
                self.uses.push((name.span, def));
                self.defs[def].ty.clone()
            }
            ExprKind::Field(base, field) => {
                let base = self.expr(base, scopes)?;
                let (def, ty) = self.field(&base, &field.name)?;
                self.uses.push((field.span, def));
                Some(ty)
            }
            ExprKind::Index(base, key) => {
                self.expr(key, scopes);
                let base = self.expr(base, scopes)?;
                element(&self.resolve(&base))
            }
            ExprKind::Call(name, args) => {
                match (self.items.get(&name.name), Builtin::named(&name.name)) {
                    (Some(&def), _) => self.uses.push((name.span, def)),
                    (None, Some(builtin)) => self.builtin_calls.push((name.span, builtin)),
                    (None, None) => {}
                }
                for arg in args {
                    self.expr(arg, scopes);
                }
                None
            }
            ExprKind::Str(template) => {
                self.template(template, scopes);
                None
            }
            ExprKind::List(elements) => {
                for element in elements {
                    self.expr(element, scopes);
                }
                None
            }
            ExprKind::Unary(_, operand)
            | ExprKind::IsMissing { operand, .. }
            | ExprKind::ComputedDuration(operand, _) => {
                self.expr(operand, scopes);
                None
            }
            ExprKind::Binary(_, left, right) => {
                let left = self.expr(left, scopes);
                let right = self.expr(right, scopes);
                left.or(right)
            }
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                self.expr(condition, scopes);
                let then = self.expr(then, scopes);
                let otherwise = self.expr(otherwise, scopes);
                then.or(otherwise)
            }
            ExprKind::Match { arms, otherwise } => {
                for arm in arms {
                    self.expr(&arm.condition, scopes);
                    self.expr(&arm.value, scopes);
                }
                if let Some(otherwise) = otherwise {
                    self.expr(otherwise, scopes);
                }
                None
            }
            ExprKind::Quantifier {
                kind,
                var,
                list,
                body,
            } => {
                let binder = format!("`{} {} in …`", kind.keyword(), var.name);
                self.bind(var, list, body.span, &binder, scopes);
                self.expr(body, scopes);
                scopes.pop();
                None
            }
            ExprKind::Comprehension { element, clauses } => {
                let depth = scopes.len();
                for clause in clauses {
                    let scope = expr.span;
                    self.bind(&clause.var, &clause.list, scope, "a comprehension", scopes);
                    if let Some(filter) = &clause.filter {
                        self.expr(filter, scopes);
                    }
                }
                self.expr(element, scopes);
                scopes.truncate(depth);
                None
            }
            ExprKind::Number(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Duration(..)
            | ExprKind::Today => None,
        }
    }

    /// Declares the variable `var` over the elements of `list`, readable in `scope`.
    fn bind(
        &mut self,
        var: &Ident,
        list: &Expr,
        scope: Span,
        binder: &str,
        scopes: &mut Vec<usize>,
    ) {
        let ty = self
            .expr(list, scopes)
            .and_then(|t| element(&self.resolve(&t)));
        let signature = match &ty {
            Some(ty) => format!("{}: {}", var.name, print_type(ty)),
            None => var.name.clone(),
        };
        let mut def = item_def(var, SymbolKind::Variable, var.span, signature);
        def.doc = Some(format!(
            "an element of `{}`, bound by {binder}",
            print_expr(list)
        ));
        def.ty = ty;
        def.scope = Some(scope);
        scopes.push(self.add(def));
    }

    /// A type with `type` names and optionals looked through.
    fn resolve(&self, ty: &TypeExpr) -> TypeExpr {
        let mut ty = ty.clone();
        // A bound on the aliases followed: `type A = B`, `type B = A` is the checker's error.
        for _ in 0..=self.types.len() {
            ty = match &ty.kind {
                TypeExprKind::Optional(inner) => (**inner).clone(),
                TypeExprKind::Named(name) => match self.types.get(&name.name) {
                    Some(&def) => match &self.defs[def].ty {
                        Some(aliased) => aliased.clone(),
                        None => return ty,
                    },
                    None => return ty,
                },
                _ => return ty,
            };
        }
        ty
    }

    /// The definition and type of field `name` of a record type.
    fn field(&self, record: &TypeExpr, name: &str) -> Option<(usize, TypeExpr)> {
        let TypeExprKind::Record(fields) = self.resolve(record).kind else {
            return None;
        };
        let field = fields.iter().find(|f| f.name.name == name)?;
        let def = *self.fields.get(&field.name.span.start)?;
        Some((def, field.ty.clone()))
    }
}

fn item_def(name: &Ident, kind: SymbolKind, span: Span, signature: String) -> Def {
    Def {
        name: name.name.clone(),
        kind,
        name_span: name.span,
        span,
        signature,
        doc: None,
        ty: None,
        scope: None,
        parent: None,
    }
}

/// The element type of a list type.
fn element(ty: &TypeExpr) -> Option<TypeExpr> {
    match &ty.kind {
        TypeExprKind::List(inner) => Some((**inner).clone()),
        _ => None,
    }
}

fn contains(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset <= span.end as usize
}

/// Words offered where a name may stand besides the reserved ones (`syntax::RESERVED`): the
/// operators and the item keyword that are not reserved.
const CONTEXTUAL_KEYWORDS: [&str; 4] = ["contains", "contains_any", "contains_all", "import"];

/// `a.b.` (or `a.b.pa`) at the end of a line: the path before the last dot and the part
/// typed after it.
fn path_before_dot(line: &str) -> Option<(Vec<String>, &str)> {
    let partial_start = line.trim_end_matches(is_word).len();
    let (head, partial) = line.split_at(partial_start);
    let head = head.strip_suffix('.')?;
    let path = trailing_path(head)?;
    Some((path, partial))
}

/// The path compared with the string being typed: `a.b == "pa`, `a.b != "`, or
/// `a.b in ["x", "pa`.
fn path_compared_with_string(line: &str) -> Option<Vec<String>> {
    // Inside a string: an odd number of quotes on the line.
    if line.matches('"').count().is_multiple_of(2) {
        return None;
    }
    let open = line.rfind('"')?;
    let mut head = line[..open].trim_end();
    if let Some(list) = head.rfind('[') {
        let inside = &head[list + 1..];
        if inside
            .chars()
            .all(|c| c == '"' || c == ',' || c.is_whitespace() || is_word(c))
        {
            let before = head[..list].trim_end();
            if let Some(rest) = before.strip_suffix("in") {
                head = rest.trim_end().trim_end_matches("not").trim_end();
                return trailing_path(head);
            }
        }
    }
    let head = (head.strip_suffix("==").or_else(|| head.strip_suffix("!=")))?;
    trailing_path(head.trim_end())
}

/// The names of `a.b.c` at the end of a text.
fn trailing_path(text: &str) -> Option<Vec<String>> {
    let start = text
        .trim_end_matches(|c: char| is_word(c) || c == '.')
        .len();
    let path = &text[start..];
    let names: Vec<String> = path.split('.').map(str::to_string).collect();
    let valid = names
        .iter()
        .all(|n| n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
    valid.then_some(names)
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}
