//! The static checker (LANGUAGE.md §3-§5): resolves every name over the whole file, computes
//! the type of every expression, evaluates constants, and emits the program IR.
//!
//! Architecture invariant: the checker never stops at the first error and never panics; every
//! expression that fails to check gets `Type::Error`, which fits everything, so one mistake is
//! reported once. A `Program` is returned only when no error was found.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{self, ExprKind, Ident, Item};
use crate::date::{Date, Duration};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::eval;
use crate::program::{
    self as p, BinOp, Builtin, ComponentDef, Expr, Key, QuantifierKind, Slot, TableId, Value,
};
use crate::span::{LineIndex, Span};
use crate::types::{FieldType, RecordType, Type};

/// Stable diagnostic codes of the checker; `docs/diagnostics.md` describes each.
pub mod codes {
    pub const DUPLICATE_NAME: &str = "E0100";
    pub const UNKNOWN_NAME: &str = "E0101";
    pub const UNKNOWN_FIELD: &str = "E0102";
    pub const UNKNOWN_TYPE: &str = "E0103";
    pub const UNKNOWN_FUNCTION: &str = "E0104";
    pub const WRONG_KIND_OF_NAME: &str = "E0105";
    pub const BUILTIN_TYPE_REDEFINED: &str = "E0106";
    pub const TYPE_MISMATCH: &str = "E0200";
    pub const CONDITION_NOT_BOOL: &str = "E0201";
    pub const BAD_OPERANDS: &str = "E0202";
    pub const NOT_IN_UNION: &str = "E0203";
    pub const BRANCH_TYPES_DIFFER: &str = "E0204";
    pub const WRONG_ARGUMENT_COUNT: &str = "E0205";
    pub const MIXED_LIST: &str = "E0206";
    pub const NOT_A_RECORD: &str = "E0207";
    pub const BAD_KEY_TYPE: &str = "E0208";
    pub const NO_INPUT: &str = "E0300";
    pub const DUPLICATE_ITEM: &str = "E0301";
    pub const MATCH_WITHOUT_ELSE: &str = "E0302";
    pub const WEIGHTS_NOT_100: &str = "E0303";
    pub const CYCLE: &str = "E0304";
    pub const DUPLICATE_KEY: &str = "E0305";
    pub const NOT_CONSTANT: &str = "E0306";
    pub const CONSTANT_HAS_NO_VALUE: &str = "E0307";
    pub const BAD_EXAMPLE_JSON: &str = "E0308";
    pub const RECURSIVE_TYPE: &str = "E0309";
    pub const SCORE_IN_VALUE_EXPECTATION: &str = "E0310";
    pub const TOO_DEEP: &str = "E0311";
    pub const TOO_MANY_ERRORS: &str = "E0312";
}

/// How deeply definitions may depend on each other (`let a = b`, `let b = c`, ...). Checking
/// recurses along such chains, and WebAssembly has a small stack.
pub const MAX_DEPENDENCY_DEPTH: usize = 200;

/// At most this many diagnostics are reported; past it, checking stops suggesting names, which
/// costs time proportional to the number of names.
pub const MAX_DIAGNOSTICS: usize = 200;

/// Checks a parsed file. Returns the program when no error was found, and every diagnostic.
pub fn check(file: &ast::PolicyFile, source: &str) -> (Option<p::Program>, Vec<Diagnostic>) {
    let mut checker = Checker::new(file, source);
    let program = checker.run();
    if checker.diagnostics.len() > MAX_DIAGNOSTICS {
        checker.diagnostics.truncate(MAX_DIAGNOSTICS);
        checker.diagnostics.push(Diagnostic::error(
            codes::TOO_MANY_ERRORS,
            Span::new(0, 0),
            format!("too many errors: only the first {MAX_DIAGNOSTICS} are shown"),
        ));
    }
    let has_errors = checker.diagnostics.iter().any(Diagnostic::is_error);
    (program.filter(|_| !has_errors), checker.diagnostics)
}

/// What an item-level name denotes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Global {
    Input,
    Type(usize),
    Const(usize),
    Table(usize),
    Let(usize),
    Score(usize),
    Rule(usize),
}

impl Global {
    fn describe(self) -> &'static str {
        match self {
            Global::Input => "the input",
            Global::Type(_) => "a type",
            Global::Const(_) => "a constant",
            Global::Table(_) => "a table",
            Global::Let(_) => "a `let` value",
            Global::Score(_) => "a score",
            Global::Rule(_) => "a rule",
        }
    }
}

/// Lazily computed results, so that items may be used before they are defined and cycles are
/// found where they close.
enum State<T> {
    Todo,
    InProgress,
    Done(T),
}

/// One item on the dependency stack, for naming cycles.
#[derive(Clone, PartialEq)]
struct Frame {
    global: Global,
    name: String,
}

/// Whether an expression may read the input, tables, `let`s, scores and `today`.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    Constant,
    Evaluation,
}

/// A checked expression: its type and its IR.
struct Typed {
    ty: Type,
    expr: Expr,
}

impl Typed {
    fn error() -> Typed {
        Typed {
            ty: Type::Error,
            expr: Expr::Const(Value::MISSING),
        }
    }

    fn constant(&self) -> Option<&Value> {
        match &self.expr {
            Expr::Const(value) => Some(value),
            _ => None,
        }
    }
}

struct Checker<'a> {
    source: &'a str,
    lines: LineIndex,
    file: &'a ast::PolicyFile,
    diagnostics: Vec<Diagnostic>,
    names: HashMap<&'a str, (Global, Span)>,
    input: Option<&'a ast::InputDecl>,
    input_record: Arc<RecordType>,
    type_decls: Vec<&'a ast::TypeDecl>,
    type_state: Vec<State<Type>>,
    const_decls: Vec<&'a ast::ConstDecl>,
    const_state: Vec<State<(Type, Value)>>,
    table_decls: Vec<&'a ast::TableDecl>,
    table_types: Vec<(Type, Type)>,
    let_decls: Vec<&'a ast::LetDecl>,
    let_state: Vec<State<(Type, Expr)>>,
    score_decls: Vec<&'a ast::ScoreDecl>,
    score_state: Vec<State<(Type, Vec<ComponentDef>)>>,
    rule_decls: Vec<&'a ast::RuleDecl>,
    stack: Vec<Frame>,
    eval_order: Vec<Slot>,
    /// Locals in scope while checking one expression, innermost last.
    locals: Vec<(String, Type)>,
    max_locals: u32,
}

impl<'a> Checker<'a> {
    fn new(file: &'a ast::PolicyFile, source: &'a str) -> Checker<'a> {
        Checker {
            source,
            lines: LineIndex::new(source),
            file,
            diagnostics: Vec::new(),
            names: HashMap::new(),
            input: None,
            input_record: Arc::new(RecordType {
                name: None,
                fields: Vec::new(),
            }),
            type_decls: Vec::new(),
            type_state: Vec::new(),
            const_decls: Vec::new(),
            const_state: Vec::new(),
            table_decls: Vec::new(),
            table_types: Vec::new(),
            let_decls: Vec::new(),
            let_state: Vec::new(),
            score_decls: Vec::new(),
            score_state: Vec::new(),
            rule_decls: Vec::new(),
            stack: Vec::new(),
            eval_order: Vec::new(),
            locals: Vec::new(),
            max_locals: 0,
        }
    }

    fn error(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(code, span, message));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    /// A "did you mean" candidate, unless so many errors were found that suggesting would only
    /// cost time.
    fn suggest<'n>(
        &self,
        name: &str,
        candidates: impl IntoIterator<Item = &'n str>,
    ) -> Option<String> {
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            return None;
        }
        did_you_mean(name, candidates).map(str::to_string)
    }

    fn text(&self, span: Span) -> &'a str {
        self.source.get(span.range()).unwrap_or("")
    }

    fn line(&self, span: Span) -> u32 {
        self.lines.line(span.start as usize)
    }

    fn run(&mut self) -> Option<p::Program> {
        let meta = self.collect_items();
        for index in 0..self.type_decls.len() {
            self.named_type(index, self.type_decls[index].name.span);
        }
        let input_record = match self.input {
            Some(input) => Arc::new(RecordType {
                name: None,
                fields: self.fields(&input.fields),
            }),
            None => {
                self.error(
                    codes::NO_INPUT,
                    Span::new(0, 0),
                    "the policy has no `input` declaration",
                )
                .help = Some(
                    "declare the record that is evaluated, e.g. `input supplier { name: text }`"
                        .into(),
                );
                Arc::new(RecordType {
                    name: None,
                    fields: Vec::new(),
                })
            }
        };
        self.input_record = input_record;
        self.table_types = (0..self.table_decls.len())
            .map(|i| self.table_signature(i))
            .collect();
        for index in 0..self.const_decls.len() {
            self.constant(index, self.const_decls[index].name.span);
        }
        let tables: Vec<p::TableDef> = (0..self.table_decls.len()).map(|i| self.table(i)).collect();
        for index in 0..self.let_decls.len() {
            self.let_value(index, self.let_decls[index].name.span);
        }
        for index in 0..self.score_decls.len() {
            self.score(index, self.score_decls[index].name.span);
        }
        let rules: Vec<p::RuleDef> = self
            .rule_decls
            .clone()
            .into_iter()
            .map(|r| self.rule(r))
            .collect();
        let examples = self.examples(&rules);

        let lets = self
            .let_decls
            .iter()
            .zip(std::mem::take(&mut self.let_state))
            .map(|(decl, state)| {
                let (ty, expr) =
                    done_or_error(state, || (Type::Error, Expr::Const(Value::MISSING)));
                p::LetDef {
                    name: decl.name.name.clone(),
                    ty,
                    expr,
                }
            })
            .collect();
        let scores = self
            .score_decls
            .iter()
            .zip(std::mem::take(&mut self.score_state))
            .map(|(decl, state)| p::ScoreDef {
                name: decl.name.name.clone(),
                title: decl.title.as_ref().map(|t| t.value.clone()),
                components: done_or_error(state, || (Type::Error, Vec::new())).1,
            })
            .collect();
        Some(p::Program {
            title: meta.map(|m| m.title.value.clone()),
            version: meta
                .and_then(|m| m.version.as_ref())
                .map(|v| v.value.clone()),
            input: p::InputDef {
                name: self.input.map(|i| i.name.name.clone()).unwrap_or_default(),
                record: self.input_record.clone(),
            },
            tables,
            lets,
            scores,
            eval_order: std::mem::take(&mut self.eval_order),
            rules,
            examples,
            max_locals: self.max_locals,
            slot_reads: Vec::new(),
        })
    }

    /// Registers every item name; reports duplicates, a second `policy` or `input`.
    fn collect_items(&mut self) -> Option<&'a ast::PolicyMeta> {
        let mut meta: Option<&'a ast::PolicyMeta> = None;
        let file = self.file;
        for item in &file.items {
            let (global, name) = match item {
                Item::Policy(m) => {
                    if let Some(first) = meta {
                        self.error(
                            codes::DUPLICATE_ITEM,
                            m.span,
                            "a policy has at most one `policy` line",
                        )
                        .label(first.span, "first `policy` line here");
                    } else {
                        meta = Some(m);
                    }
                    continue;
                }
                Item::Input(input) => {
                    if let Some(first) = self.input {
                        self.error(
                            codes::DUPLICATE_ITEM,
                            input.span,
                            "a policy has exactly one `input` declaration",
                        )
                        .label(first.name.span, "first `input` declared here");
                        continue;
                    }
                    self.input = Some(input);
                    (Global::Input, &input.name)
                }
                Item::Type(decl) => {
                    if is_builtin_type(&decl.name.name) {
                        self.error(
                            codes::BUILTIN_TYPE_REDEFINED,
                            decl.name.span,
                            format!(
                                "`{}` is a built-in type and cannot be redefined",
                                decl.name.name
                            ),
                        );
                        continue;
                    }
                    self.type_decls.push(decl);
                    self.type_state.push(State::Todo);
                    (Global::Type(self.type_decls.len() - 1), &decl.name)
                }
                Item::Const(decl) => {
                    self.const_decls.push(decl);
                    self.const_state.push(State::Todo);
                    (Global::Const(self.const_decls.len() - 1), &decl.name)
                }
                Item::Table(decl) => {
                    self.table_decls.push(decl);
                    (Global::Table(self.table_decls.len() - 1), &decl.name)
                }
                Item::Let(decl) => {
                    self.let_decls.push(decl);
                    self.let_state.push(State::Todo);
                    (Global::Let(self.let_decls.len() - 1), &decl.name)
                }
                Item::Score(decl) => {
                    self.score_decls.push(decl);
                    self.score_state.push(State::Todo);
                    (Global::Score(self.score_decls.len() - 1), &decl.name)
                }
                Item::Rule(decl) => {
                    self.rule_decls.push(decl);
                    (Global::Rule(self.rule_decls.len() - 1), &decl.name)
                }
                Item::Example(_) => continue,
            };
            if let Some((previous, first_span)) = self.names.get(name.name.as_str()).copied() {
                self.error(
                    codes::DUPLICATE_NAME,
                    name.span,
                    format!("`{}` is defined more than once", name.name),
                )
                .label(
                    first_span,
                    format!(
                        "`{}` is first defined here as {}",
                        name.name,
                        previous.describe()
                    ),
                )
                .help =
                    Some("every item name must be unique in the policy: rename one of them".into());
            } else {
                self.names.insert(&name.name, (global, name.span));
            }
        }
        meta
    }

    // ----- types -------------------------------------------------------------------------

    fn named_type(&mut self, index: usize, use_span: Span) -> Type {
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

    fn resolve_type(&mut self, ty: &ast::TypeExpr) -> Type {
        match &ty.kind {
            ast::TypeExprKind::Named(name) => match name.name.as_str() {
                "number" => Type::Number,
                "text" => Type::Text,
                "bool" => Type::Bool,
                "date" => Type::Date,
                other => match self.names.get(other).copied() {
                    Some((Global::Type(index), _)) => self.named_type(index, name.span),
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
                let mut values: Vec<Arc<str>> = Vec::new();
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

    fn fields(&mut self, fields: &[ast::FieldDecl]) -> Vec<FieldType> {
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

    // ----- items -------------------------------------------------------------------------

    /// Enters an item on the dependency stack; `false` (and a cycle error) if it is already on it.
    fn enter(&mut self, global: Global, name: &str, use_span: Span) -> bool {
        let frame = Frame {
            global,
            name: name.to_string(),
        };
        if let Some(position) = self.stack.iter().position(|f| *f == frame) {
            let mut chain: Vec<String> = self.stack[position..]
                .iter()
                .map(|f| format!("`{}`", f.name))
                .collect();
            chain.push(format!("`{name}`"));
            self.error(
                codes::CYCLE,
                use_span,
                format!("`{name}` depends on itself: {}", chain.join(" → ")),
            )
            .help = Some(
                "definitions of `let`, `score` and `const` must not refer to each other in a cycle"
                    .into(),
            );
            return false;
        }
        if self.stack.len() >= MAX_DEPENDENCY_DEPTH {
            self.error(codes::TOO_DEEP, use_span, format!("`{name}` is at the end of a chain of more than {MAX_DEPENDENCY_DEPTH} definitions that depend on each other"))
                .help = Some("split the chain: compute intermediate values from the input directly".into());
            return false;
        }
        self.stack.push(frame);
        true
    }

    fn constant(&mut self, index: usize, use_span: Span) -> (Type, Value) {
        match &self.const_state[index] {
            State::Done((ty, value)) => return (ty.clone(), value.clone()),
            State::InProgress => {
                let name = self.const_decls[index].name.name.clone();
                self.enter(Global::Const(index), &name, use_span);
                return (Type::Error, Value::MISSING);
            }
            State::Todo => {}
        }
        let decl = self.const_decls[index];
        // Too deep: left unchecked here; the top-level pass checks it again from a short stack.
        if !self.enter(Global::Const(index), &decl.name.name, use_span) {
            return (Type::Error, Value::MISSING);
        }
        self.const_state[index] = State::InProgress;
        let typed = self.expr(&decl.value, Context::Constant);
        self.stack.pop();
        let value = if typed.ty.is_error() {
            Value::MISSING
        } else {
            self.fold_constant(&typed.expr, decl.value.span, &decl.name.name)
        };
        self.const_state[index] = State::Done((typed.ty.clone(), value.clone()));
        (typed.ty, value)
    }

    /// Evaluates a constant expression at compile time; a missing result is an error.
    fn fold_constant(&mut self, expr: &Expr, span: Span, what: &str) -> Value {
        let (value, notes) = eval::eval_const(expr);
        if value.is_missing() {
            let reason = notes
                .first()
                .cloned()
                .unwrap_or_else(|| "it has no value".into());
            self.error(
                codes::CONSTANT_HAS_NO_VALUE,
                span,
                format!("`{what}` has no value at compile time"),
            )
            .help = Some(reason);
        }
        value
    }

    fn table_signature(&mut self, index: usize) -> (Type, Type) {
        let decl = self.table_decls[index];
        let key = self.resolve_type(&decl.key_ty);
        if !matches!(
            key,
            Type::Text | Type::Union(_) | Type::Number | Type::Date | Type::Bool | Type::Error
        ) {
            self.error(
                codes::BAD_KEY_TYPE,
                decl.key_ty.span,
                format!("a table key cannot be of type `{key}`"),
            )
            .help = Some("keys are `text`, a literal union, `number`, `date` or `bool`".into());
        }
        let value = self.resolve_type(&decl.value_ty);
        (key, value)
    }

    fn table(&mut self, index: usize) -> p::TableDef {
        let decl = self.table_decls[index];
        let (key_type, value_type) = self.table_types[index].clone();
        let entries = decl.rows.as_ref().map(|rows| {
            let mut entries = p::TableEntries::new();
            let mut first_spans: HashMap<Key, Span> = HashMap::new();
            for row in rows {
                let key = self.expr(&row.key, Context::Constant);
                self.expect_fits(&key, &key_type, &row.key, "this key");
                let value = self.expr(&row.value, Context::Constant);
                self.expect_fits(&value, &value_type, &row.value, "this value");
                if key.ty.is_error() || value.ty.is_error() {
                    continue;
                }
                let key_value = self.fold_constant(&key.expr, row.key.span, "this key");
                let value_value = self.fold_constant(&value.expr, row.value.span, "this value");
                let Some(key_value) = Key::from_value(&key_value) else {
                    continue;
                };
                if let Some(first) = first_spans.get(&key_value).copied() {
                    self.error(
                        codes::DUPLICATE_KEY,
                        row.key.span,
                        format!(
                            "key `{}` appears twice in table `{}`",
                            self.text(row.key.span),
                            decl.name.name
                        ),
                    )
                    .label(first, "first entry here");
                    continue;
                }
                first_spans.insert(key_value.clone(), row.key.span);
                entries.insert(key_value, value_value);
            }
            entries
        });
        p::TableDef {
            name: decl.name.name.clone(),
            key_type,
            value_type,
            entries,
        }
    }

    fn let_value(&mut self, index: usize, use_span: Span) -> Type {
        match &self.let_state[index] {
            State::Done((ty, _)) => return ty.clone(),
            State::InProgress => {
                let name = self.let_decls[index].name.name.clone();
                self.enter(Global::Let(index), &name, use_span);
                return Type::Error;
            }
            State::Todo => {}
        }
        let decl = self.let_decls[index];
        // Too deep: left unchecked here; the top-level pass checks it again from a short stack.
        if !self.enter(Global::Let(index), &decl.name.name, use_span) {
            return Type::Error;
        }
        self.let_state[index] = State::InProgress;
        let typed = self.expr(&decl.value, Context::Evaluation);
        self.stack.pop();
        self.let_state[index] = State::Done((typed.ty.clone(), typed.expr));
        self.eval_order.push(Slot(to_u32(index)));
        typed.ty
    }

    fn score(&mut self, index: usize, use_span: Span) -> Type {
        match &self.score_state[index] {
            State::Done((ty, _)) => return ty.clone(),
            State::InProgress => {
                let name = self.score_decls[index].name.name.clone();
                self.enter(Global::Score(index), &name, use_span);
                return Type::Error;
            }
            State::Todo => {}
        }
        let decl = self.score_decls[index];
        // Too deep: left unchecked here; the top-level pass checks it again from a short stack.
        if !self.enter(Global::Score(index), &decl.name.name, use_span) {
            return Type::Error;
        }
        self.score_state[index] = State::InProgress;
        let mut components = Vec::with_capacity(decl.components.len());
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut optional = false;
        let mut total: u64 = 0;
        for component in &decl.components {
            if let Some(first) = seen.insert(&component.name.name, component.name.span) {
                self.error(
                    codes::DUPLICATE_NAME,
                    component.name.span,
                    format!(
                        "component `{}` appears twice in score `{}`",
                        component.name.name, decl.name.name
                    ),
                )
                .label(first, "first defined here");
            }
            total = total.saturating_add(component.weight_hundredths);
            let typed = self.expr(&component.value, Context::Evaluation);
            if !matches!(
                typed.ty.required(),
                Type::Number | Type::Nothing | Type::Error
            ) {
                self.error(
                    codes::TYPE_MISMATCH,
                    component.value.span,
                    format!(
                        "a score component must be a number, but this is `{}`",
                        typed.ty
                    ),
                );
            }
            optional |= typed.ty.is_optional();
            components.push(ComponentDef {
                name: component.name.name.clone(),
                weight: component.weight_hundredths as f64 / 10_000.0,
                expr: typed.expr,
            });
        }
        if total != 10_000 {
            let listed: Vec<String> = decl
                .components
                .iter()
                .map(|c| format!("{} {}", c.name.name, percent(c.weight_hundredths)))
                .collect();
            self.error(
                codes::WEIGHTS_NOT_100,
                decl.name.span,
                format!(
                    "the weights of score `{}` total {}, not 100%",
                    decl.name.name,
                    percent(total)
                ),
            )
            .help = Some(format!(
                "adjust the weights so they add up to exactly 100%: {}",
                listed.join(", ")
            ));
        }
        self.stack.pop();
        let ty = if optional {
            Type::Number.optional()
        } else {
            Type::Number
        };
        self.score_state[index] = State::Done((ty.clone(), components));
        self.eval_order
            .push(Slot(to_u32(self.let_decls.len() + index)));
        ty
    }

    fn rule(&mut self, decl: &'a ast::RuleDecl) -> p::RuleDef {
        let when = decl.when.as_ref().map(|c| self.condition(c, "`when`"));
        let what = match decl.kind {
            ast::RuleKind::Require => "`require`",
            ast::RuleKind::Forbid => "`forbid`",
        };
        let condition = self.condition(&decl.condition, what);
        let condition = match decl.kind {
            ast::RuleKind::Require => condition,
            ast::RuleKind::Forbid => Expr::Not(Box::new(condition)),
        };
        let message = self.template_parts(&decl.message);
        p::RuleDef {
            name: decl.name.name.clone(),
            title: decl.title.as_ref().map(|t| t.value.clone()),
            line: self.line(decl.span),
            when,
            condition,
            verdict: decl.verdict,
            message,
        }
    }

    fn condition(&mut self, expr: &ast::Expr, what: &str) -> Expr {
        let typed = self.expr(expr, Context::Evaluation);
        self.expect_bool(&typed.ty, expr.span, what);
        typed.expr
    }

    fn expect_bool(&mut self, ty: &Type, span: Span, what: &str) {
        if !matches!(ty.required(), Type::Bool | Type::Nothing | Type::Error) {
            let help = match ty.required() {
                Type::List(_) => {
                    "a list is not a condition: use `count(L) > 0`, `any x in L: ...` or `contains`"
                }
                Type::Number => "compare the number, e.g. `x > 0`",
                _ => "a condition is a `bool`: compare the value with `==`, `<`, `in`, ...",
            };
            self.error(
                codes::CONDITION_NOT_BOOL,
                span,
                format!("{what} needs a `bool` condition, but this is `{ty}`"),
            )
            .help = Some(help.into());
        }
    }

    fn template_parts(&mut self, template: &ast::Template) -> Vec<p::TemplatePart> {
        template
            .parts
            .iter()
            .map(|part| match part {
                ast::TemplatePart::Text(text) => p::TemplatePart::Text(text.as_str().into()),
                ast::TemplatePart::Expr(expr) => {
                    p::TemplatePart::Expr(self.expr(expr, Context::Evaluation).expr)
                }
            })
            .collect()
    }

    fn examples(&mut self, rules: &[p::RuleDef]) -> Vec<p::ExampleDef> {
        let file = self.file;
        file.items
            .iter()
            .filter_map(|item| match item {
                Item::Example(example) => Some(self.example(example, rules)),
                _ => None,
            })
            .collect()
    }

    fn example(&mut self, example: &ast::ExampleDecl, rules: &[p::RuleDef]) -> p::ExampleDef {
        let given = self.json(&example.given, true);
        let data = example.data.as_ref().map(|d| self.json(d, true));
        let as_of = example
            .as_of
            .and_then(|(date, _)| Date::from_ymd(date.year, date.month, date.day));
        let mut expectations = Vec::new();
        for expectation in &example.expectations {
            let kind = match &expectation.kind {
                ast::ExpectationKind::Decision(decision) => {
                    Some(p::ExpectKind::Decision(*decision))
                }
                ast::ExpectationKind::Rule(name, outcome) => {
                    let index = rules.iter().position(|r| r.name == name.name);
                    if index.is_none() {
                        self.unknown_expectation_target(
                            name,
                            "rule",
                            rules.iter().map(|r| r.name.as_str()),
                        );
                    }
                    index.map(|i| p::ExpectKind::Rule(i, *outcome))
                }
                ast::ExpectationKind::Score(name, json) => {
                    let index = self
                        .score_decls
                        .iter()
                        .position(|s| s.name.name == name.name);
                    if index.is_none() {
                        let names: Vec<&str> = self
                            .score_decls
                            .iter()
                            .map(|s| s.name.name.as_str())
                            .collect();
                        self.unknown_expectation_target(name, "score", names);
                    }
                    let value = self.json(json, false);
                    index.map(|i| p::ExpectKind::Score(i, value))
                }
                ast::ExpectationKind::Value(name, json) => {
                    let index = self.let_decls.iter().position(|l| l.name.name == name.name);
                    if index.is_none() {
                        if self.score_decls.iter().any(|s| s.name.name == name.name) {
                            self.error(
                                codes::SCORE_IN_VALUE_EXPECTATION,
                                name.span,
                                format!("`{}` is a score, not a `let` value", name.name),
                            )
                            .help = Some(format!("write `expect score {} = ...`", name.name));
                        } else {
                            let names: Vec<&str> = self
                                .let_decls
                                .iter()
                                .map(|l| l.name.name.as_str())
                                .collect();
                            self.unknown_expectation_target(name, "`let` value", names);
                        }
                    }
                    let value = self.json(json, false);
                    index.map(|i| p::ExpectKind::Value(i, value))
                }
            };
            if let Some(kind) = kind {
                expectations.push(p::ExpectDef {
                    line: self.line(expectation.span),
                    kind,
                });
            }
        }
        p::ExampleDef {
            title: example.title.value.clone(),
            line: self.line(example.span),
            given,
            data,
            as_of,
            expectations,
        }
    }

    fn unknown_expectation_target<'n>(
        &mut self,
        name: &Ident,
        what: &str,
        candidates: impl IntoIterator<Item = &'n str>,
    ) {
        let suggestion = self.suggest(&name.name, candidates);
        let diagnostic = self.error(
            codes::UNKNOWN_NAME,
            name.span,
            format!("unknown {what} `{}`", name.name),
        );
        if let Some(s) = suggestion {
            diagnostic.help = Some(format!("did you mean `{s}`?"));
        }
    }

    /// Parses embedded JSON; `object` requires a JSON object (`given`, `data`).
    fn json(&mut self, json: &ast::JsonText, object: bool) -> serde_json::Value {
        match serde_json::from_str::<serde_json::Value>(&json.text) {
            Ok(value) if object && !value.is_object() => {
                self.error(
                    codes::BAD_EXAMPLE_JSON,
                    json.span,
                    "expected a JSON object `{ ... }`",
                );
                value
            }
            Ok(value) => value,
            Err(error) => {
                let offset = byte_offset(&json.text, error.line(), error.column());
                let at = json.span.start as usize + offset;
                let message = error.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                self.error(
                    codes::BAD_EXAMPLE_JSON,
                    Span::new(at, at + 1),
                    format!("invalid JSON: {message}"),
                );
                serde_json::Value::Null
            }
        }
    }

    // ----- expressions -------------------------------------------------------------------

    fn expr(&mut self, expr: &ast::Expr, cx: Context) -> Typed {
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
            ExprKind::Duration(amount, unit) => {
                let duration = match unit {
                    ast::DurationUnit::Day => Duration::Days(*amount),
                    ast::DurationUnit::Week => Duration::Days(amount.saturating_mul(7)),
                    ast::DurationUnit::Month => Duration::Months(*amount),
                    ast::DurationUnit::Year => Duration::Months(amount.saturating_mul(12)),
                };
                Typed {
                    ty: Type::Duration,
                    expr: Expr::Const(Value::Duration(duration)),
                }
            }
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
                let kind = match kind {
                    ast::Quantifier::All => QuantifierKind::All,
                    ast::Quantifier::Any => QuantifierKind::Any,
                    ast::Quantifier::None => QuantifierKind::None,
                };
                let list = self.expr(list, cx);
                let element = self.element_type(&list.ty, expr.span);
                let depth = self.push_local(var, element);
                let typed_body = self.expr(body, cx);
                self.locals.pop();
                self.expect_bool(&typed_body.ty, body.span, "a quantifier");
                let ty = keep_optional(Type::Bool, &list.ty);
                Typed {
                    ty,
                    expr: Expr::Quantifier {
                        kind,
                        depth,
                        list: Box::new(list.expr),
                        body: Box::new(typed_body.expr),
                    },
                }
            }
            ExprKind::Comprehension {
                element,
                var,
                list,
                filter,
            } => {
                let list = self.expr(list, cx);
                let element_type = self.element_type(&list.ty, expr.span);
                let depth = self.push_local(var, element_type);
                let filter = filter.as_ref().map(|f| {
                    let typed = self.expr(f, cx);
                    self.expect_bool(&typed.ty, f.span, "the `if` filter of a comprehension");
                    Box::new(typed.expr)
                });
                let element = self.expr(element, cx);
                self.locals.pop();
                let ty = keep_optional(Type::List(Box::new(element.ty)), &list.ty);
                Typed {
                    ty,
                    expr: Expr::Comprehension {
                        depth,
                        list: Box::new(list.expr),
                        element: Box::new(element.expr),
                        filter,
                    },
                }
            }
        }
    }

    fn push_local(&mut self, var: &Ident, ty: Type) -> u32 {
        let depth = to_u32(self.locals.len());
        self.locals.push((var.name.clone(), ty));
        self.max_locals = self.max_locals.max(depth + 1);
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
            let text: Arc<str> = text.into();
            // A string literal has the singleton literal-union type, so it fits both `text`
            // and any union that lists it.
            return Typed {
                ty: Type::Union(Arc::new([text.clone()]) as Arc<[Arc<str>]>),
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
                expr: Expr::Local(to_u32(position)),
            };
        }
        let Some((global, _)) = self.names.get(ident.name.as_str()).copied() else {
            let suggestion = self.suggest(
                &ident.name,
                self.locals.iter().map(|(n, _)| n.as_str()).chain(
                    self.names
                        .iter()
                        .filter(|(_, (g, _))| is_value(*g))
                        .map(|(n, _)| *n),
                ),
            );
            let diagnostic = self.error(
                codes::UNKNOWN_NAME,
                ident.span,
                format!("unknown name `{}`", ident.name),
            );
            if let Some(s) = suggestion {
                diagnostic.help = Some(format!("did you mean `{s}`?"));
            }
            return Typed::error();
        };
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
                expr: Expr::Input,
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
                    expr: Expr::Slot(Slot(to_u32(index))),
                }
            }
            Global::Score(index) => {
                let ty = self.score(index, ident.span);
                Typed {
                    ty,
                    expr: Expr::Slot(Slot(to_u32(self.let_decls.len() + index))),
                }
            }
            Global::Table(_) => {
                self.error(
                    codes::WRONG_KIND_OF_NAME,
                    ident.span,
                    format!("table `{}` must be looked up with a key", ident.name),
                )
                .help = Some(format!("write `{}[key]`", ident.name));
                Typed::error()
            }
            Global::Type(_) | Global::Rule(_) => {
                self.error(
                    codes::WRONG_KIND_OF_NAME,
                    ident.span,
                    format!("`{}` is {}, not a value", ident.name, global.describe()),
                );
                Typed::error()
            }
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
        match typed.ty.required() {
            Type::Record(record) => match record.field(&field.name) {
                Some((index, field_type)) => Typed {
                    ty: keep_optional(field_type.ty.clone(), &typed.ty),
                    expr: Expr::Field {
                        base: Box::new(typed.expr),
                        index: to_u32(index),
                        name: field_type.name.clone(),
                    },
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
            ExprKind::Name(ident) => match self.names.get(ident.name.as_str()).copied() {
                Some((Global::Table(index), _))
                    if !self.locals.iter().any(|(n, _)| *n == ident.name) =>
                {
                    Some(index)
                }
                _ => None,
            },
            _ => None,
        };
        let Some(index) = table else {
            let typed = self.expr(base, cx);
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

    /// Checks that a value fits an expected type, with the typo check for literal unions.
    fn expect_fits(&mut self, typed: &Typed, expected: &Type, ast: &ast::Expr, what: &str) {
        if typed.ty.fits(expected) {
            return;
        }
        if let (Type::Union(members), Some(Value::Text(text))) =
            (expected.required(), typed.constant())
        {
            self.not_a_member(text, members, ast.span, &format!("`{expected}`"));
            return;
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
    fn check_literals(&mut self, typed: &Typed, ast: &ast::Expr, members: &[Arc<str>], what: &str) {
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
            _ => {}
        }
    }

    fn not_a_member_if(&mut self, text: &str, members: &[Arc<str>], span: Span, what: &str) {
        if !members.iter().any(|m| **m == *text) {
            self.not_a_member(text, members, span, what);
        }
    }

    fn not_a_member(&mut self, text: &str, members: &[Arc<str>], span: Span, what: &str) {
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
        let otherwise = match otherwise {
            Some(value) => {
                let typed = self.expr(value, cx);
                ty = self.join_branch(&ty, &typed.ty, value, &branches, what);
                typed.expr
            }
            None => Expr::Const(Value::MISSING),
        };
        let ty = if optional { ty.optional() } else { ty };
        Typed {
            ty,
            expr: Expr::Choose {
                arms: typed_arms,
                otherwise: Box::new(otherwise),
            },
        }
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
        let typed: Vec<Typed> = args.iter().map(|a| self.expr(a, cx)).collect();
        let Some(builtin) = Builtin::from_name(&function.name) else {
            let suggestion = self.suggest(&function.name, Builtin::ALL.iter().map(|b| b.name()));
            let diagnostic = self.error(
                codes::UNKNOWN_FUNCTION,
                function.span,
                format!("unknown function `{}`", function.name),
            );
            diagnostic.help = Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "the functions are count, sum, min, max, avg, len, lower, upper, trim, starts_with, ends_with, round, abs, days_between and year".into(),
            });
            return Typed::error();
        };
        use Builtin as B;
        let (parameters, result): (&[Param], Type) = match builtin {
            B::Count => (&[Param::AnyList], Type::Number),
            B::Sum => (&[Param::NumberList], Type::Number),
            B::Min | B::Max => (&[Param::OrderedList], Type::Nothing),
            B::Avg => (&[Param::NumberList], Type::Number.optional()),
            B::Len => (&[Param::Exactly(Type::Text)], Type::Number),
            B::Lower | B::Upper | B::Trim => (&[Param::Exactly(Type::Text)], Type::Text),
            B::StartsWith | B::EndsWith => (
                &[Param::Exactly(Type::Text), Param::Exactly(Type::Text)],
                Type::Bool,
            ),
            B::Round => (
                &[Param::Exactly(Type::Number), Param::Exactly(Type::Number)],
                Type::Number,
            ),
            B::Abs => (&[Param::Exactly(Type::Number)], Type::Number),
            B::DaysBetween => (
                &[Param::Exactly(Type::Date), Param::Exactly(Type::Date)],
                Type::Number,
            ),
            B::Year => (&[Param::Exactly(Type::Date)], Type::Number),
        };
        if parameters.len() != args.len() {
            let plural = if parameters.len() == 1 { "" } else { "s" };
            self.error(
                codes::WRONG_ARGUMENT_COUNT,
                span,
                format!(
                    "`{}` takes {} argument{plural}, but {} {} given",
                    function.name,
                    parameters.len(),
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            )
            .help = Some(format!("write `{}`", builtin.signature()));
            return Typed::error();
        }
        let mut optional = false;
        let mut result = result;
        for ((parameter, typed), arg) in parameters.iter().zip(&typed).zip(args) {
            optional |= typed.ty.is_optional();
            let ty = typed.ty.required();
            let fits = match parameter {
                Param::Exactly(expected) => ty.fits(expected),
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
            };
            if !fits {
                let expected = match parameter {
                    Param::Exactly(t) => format!("`{t}`"),
                    Param::AnyList => "a list".into(),
                    Param::NumberList => "a list of numbers".into(),
                    Param::OrderedList => "a list of numbers or dates".into(),
                };
                let help = match (builtin, ty) {
                    (B::Len, Type::List(_)) => Some(
                        "`len` measures text; use `count` for the number of elements in a list",
                    ),
                    (B::Count, Type::Text | Type::Union(_)) => {
                        Some("`count` counts list elements; use `len` for the length of a text")
                    }
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
        Typed {
            ty,
            expr: Expr::Call(builtin, typed.into_iter().map(|t| t.expr).collect()),
        }
    }

    fn expect_operand(&mut self, ty: &Type, expected: &Type, span: Span, op: &str) -> Type {
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
    fn binary(
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
            if declared.constant().is_some() || literal.constant().is_none() {
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
        } else if item.constant().is_some()
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

/// Parameter kinds of the built-in functions.
enum Param {
    Exactly(Type),
    AnyList,
    NumberList,
    OrderedList,
}

fn is_builtin_type(name: &str) -> bool {
    matches!(name, "number" | "text" | "bool" | "date")
}

fn is_value(global: Global) -> bool {
    matches!(
        global,
        Global::Input | Global::Const(_) | Global::Table(_) | Global::Let(_) | Global::Score(_)
    )
}

/// The type `ty` of an operation on `source`: optional when `source` is optional (reading
/// through a missing value), an error when `source` already was one.
fn keep_optional(ty: Type, source: &Type) -> Type {
    if source.is_error() {
        Type::Error
    } else if source.is_optional() {
        ty.optional()
    } else {
        ty
    }
}

fn done_or_error<T>(state: State<T>, error: impl FnOnce() -> T) -> T {
    match state {
        State::Done(value) => value,
        State::Todo | State::InProgress => error(),
    }
}

fn percent(hundredths: u64) -> String {
    let fraction = format!("{:02}", hundredths % 100);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{}%", hundredths / 100)
    } else {
        format!("{}.{fraction}%", hundredths / 100)
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Byte offset of serde_json's 1-based line/column inside `text`.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}
