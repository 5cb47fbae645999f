//! The static checker (LANGUAGE.md §3-§5): resolves every name over the whole file, computes
//! the type of every expression, evaluates constants, and emits the program IR.
//!
//! Architecture invariant: the checker never stops at the first error and never panics; every
//! expression that fails to check gets `Type::Error`, which fits everything, so one mistake is
//! reported once. A `Program` is returned only when no error was found.
//!
//! This module holds the names, the items and the program; `expr` checks type expressions
//! and expressions, `operators` the binary operators, and `examples` the `example` blocks.
//! All are methods of one `Checker`, which owns the state of a run.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::ast::{self, Ident, Item};
use crate::builtins::Builtin;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::eval;
pub use crate::limits::{MAX_DEPENDENCY_DEPTH, MAX_DIAGNOSTICS};
use crate::program::{self as p, ComponentDef, Expr, Key, Slot, Value};
use crate::sources::Sources;
use crate::span::Span;
use crate::types::{RecordType, Type};

#[cfg(feature = "lint")]
mod analysis;
mod examples;
mod expr;
mod functions;
mod names;
mod operators;

/// Stable diagnostic codes of the checker; `docs/diagnostics.md` describes each.
pub mod codes {
    pub const DUPLICATE_NAME: &str = "E0100";
    pub const UNKNOWN_NAME: &str = "E0101";
    pub const UNKNOWN_FIELD: &str = "E0102";
    pub const UNKNOWN_TYPE: &str = "E0103";
    pub const UNKNOWN_FUNCTION: &str = "E0104";
    pub const WRONG_KIND_OF_NAME: &str = "E0105";
    pub const BUILTIN_TYPE_REDEFINED: &str = "E0106";
    pub const FUNCTION_NAMED_LIKE_BUILTIN: &str = "E0107";
    pub const HIDES_ITEM: &str = "E0108";
    pub const TYPE_MISMATCH: &str = "E0200";
    pub const CONDITION_NOT_BOOL: &str = "E0201";
    pub const BAD_OPERANDS: &str = "E0202";
    pub const NOT_IN_UNION: &str = "E0203";
    pub const BRANCH_TYPES_DIFFER: &str = "E0204";
    pub const WRONG_ARGUMENT_COUNT: &str = "E0205";
    pub const MIXED_LIST: &str = "E0206";
    pub const NOT_A_RECORD: &str = "E0207";
    pub const BAD_KEY_TYPE: &str = "E0208";
    pub const BAD_FIELD_KEY: &str = "E0209";
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
    pub const EXPECTED_PATHS_NOT_TEXTS: &str = "E0313";
    pub const UNUSED_ITEM: &str = "W0001";
    pub const EXAMPLE_WITHOUT_AS_OF: &str = "W0002";
    pub const PATTERN_NOT_CONSTANT: &str = "E0250";
    pub const INVALID_PATTERN: &str = "E0251";
}

/// Checks the parsed files of a policy. Returns the program when no error was found, and every
/// diagnostic (spans in the files' shared span space).
pub fn check(sources: &Sources) -> (Option<p::Program>, Vec<Diagnostic>) {
    let mut checker = Checker::new(sources);
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
    #[cfg(feature = "lint")]
    if has_errors {
        // The analysis reads conditions as checked; where a part failed to check it reads a
        // stand-in, so its warnings would be about the stand-in.
        checker
            .diagnostics
            .retain(|d| !analysis::is_analysis_warning(d.code));
    }
    (program.filter(|_| !has_errors), checker.diagnostics)
}

/// What an item-level name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Global {
    Input,
    Type(usize),
    Const(usize),
    Table(usize),
    Let(usize),
    Score(usize),
    Rule(usize),
    Function(usize),
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
            Global::Function(_) => "a function",
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

/// What a call of a function needs to know: its parameters' types, its result's type, and
/// whether it reads nothing but its parameters and constants (so that constants may call it).
#[derive(Clone)]
struct Signature {
    params: Vec<Type>,
    result: Type,
    constant: bool,
    /// How deeply evaluating the body nests (`call_depth`).
    depth: usize,
}

/// The names in scope inside an expression besides the items: quantifier and comprehension
/// variables, innermost last, and the parameters of the function being checked.
#[derive(Default)]
struct Scope {
    locals: Vec<(String, Type)>,
    params: Vec<(String, Type)>,
    known_variables: HashMap<u32, Value>,
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
    sources: &'a Sources,
    file: &'a ast::PolicyFile,
    diagnostics: Vec<Diagnostic>,
    /// What the static analysis of conditions may still do (`analysis::Budget`).
    #[cfg(feature = "lint")]
    analysis_budget: analysis::Budget,
    names: HashMap<&'a str, (Global, Span)>,
    /// The items the root file reads, for the warnings about unused items and imports (a
    /// library's items are there for others, and the root's are visible to no library).
    used: HashSet<Global>,
    /// Definitions of names already in `names`, in libraries no file sees together with the
    /// first definition (§9.1: names a library imports are not passed on).
    unseen_names: Vec<(&'a str, Global, Span)>,
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
    function_decls: Vec<&'a ast::LetDecl>,
    function_state: Vec<State<Signature>>,
    /// The checked functions by index; one not checked (yet) has an empty body.
    functions: Vec<p::FunctionDef>,
    stack: Vec<Frame>,
    /// The scopes of the items below the top of `stack`: an item is checked in a scope of
    /// its own, whatever reads it first.
    outer_scopes: Vec<Scope>,
    eval_order: Vec<Slot>,
    /// Locals in scope while checking one expression, innermost last.
    locals: Vec<(String, Type)>,
    /// The parameters of the function being checked.
    params: Vec<(String, Type)>,
    /// The constant lists that locals range over, by depth (LANGUAGE.md §9.7).
    known_variables: HashMap<u32, Value>,
    /// Every `if` branch and `match` arm checked (`Program::branches`).
    branches: Vec<p::Branch>,
}

impl<'a> Checker<'a> {
    fn new(sources: &'a Sources) -> Checker<'a> {
        Checker {
            sources,
            file: sources.items(),
            diagnostics: Vec::new(),
            #[cfg(feature = "lint")]
            analysis_budget: analysis::Budget::default(),
            names: HashMap::new(),
            used: HashSet::new(),
            unseen_names: Vec::new(),
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
            function_decls: Vec::new(),
            function_state: Vec::new(),
            functions: Vec::new(),
            stack: Vec::new(),
            outer_scopes: Vec::new(),
            eval_order: Vec::new(),
            locals: Vec::new(),
            params: Vec::new(),
            known_variables: HashMap::new(),
            branches: Vec::new(),
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

    fn warning(&mut self, code: &'static str, span: Span, message: String, help: &str) {
        self.diagnostics
            .push(Diagnostic::warning(code, span, message).with_help(help));
    }

    /// Warns about each constant, table and type of the file that nothing refers to (W0001),
    /// in declaration order. Uses in items that are themselves unused count: only the outermost
    /// of a chain of unused items is named.
    fn unused_items(&mut self) {
        let file = self.file;
        for item in &file.items {
            let (what, name) = match item {
                Item::Const(decl) => ("constant", &decl.name),
                Item::Table(decl) => ("table", &decl.name),
                Item::Type(decl) => ("type", &decl.name),
                Item::Let(decl) if decl.params.is_some() => ("function", &decl.name),
                Item::Import(import) => {
                    self.unused_import(import);
                    continue;
                }
                _ => continue,
            };
            // A library's items are there for the files that import it.
            if !self.sources.in_root(name.span) {
                continue;
            }
            let Some(&(global, span)) = self.names.get(name.name.as_str()) else {
                continue;
            };
            // A second definition of the name has its error already.
            if span == name.span && !self.used.contains(&global) {
                self.warning(
                    codes::UNUSED_ITEM,
                    name.span,
                    format!("{what} `{}` is never used", name.name),
                    "remove it if nothing needs it any more",
                );
            }
        }
    }

    /// Notes that a name read at `at` refers to `global`, for the warnings about unused items
    /// and imports.
    fn mark_used(&mut self, global: Global, at: Span) {
        if self.sources.in_root(at) {
            self.used.insert(global);
        }
    }

    /// An `import` of the root none of whose names the root reads.
    fn unused_import(&mut self, import: &ast::ImportDecl) {
        if !self.sources.in_root(import.span) {
            return;
        }
        let definitions = (self.names.values().copied()).chain(
            self.unseen_names
                .iter()
                .map(|(_, global, span)| (*global, *span)),
        );
        let mut used = definitions.filter(|(global, _)| self.used.contains(global));
        if !used.any(|(_, span)| self.sources.defined_in_import(import, span)) {
            self.warning(
                codes::UNUSED_ITEM,
                import.path.span,
                format!("nothing that `{}` defines is used", import.path.value),
                "remove the import if nothing needs it any more",
            );
        }
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

    /// An unknown name (E0101), `what` saying what kind of name was expected.
    fn unknown_name(&mut self, name: &Ident, what: &str, suggestion: Option<String>) {
        let diagnostic = self.error(
            codes::UNKNOWN_NAME,
            name.span,
            format!("unknown {what} `{}`", name.name),
        );
        if let Some(s) = suggestion {
            diagnostic.help = Some(format!("did you mean `{s}`?"));
        }
    }

    fn text(&self, span: Span) -> &'a str {
        self.sources.slice(span)
    }

    /// The item a name read at `at` denotes: its definition in the reading file or in a
    /// library that file imports.
    fn lookup(&self, name: &str, at: Span) -> Option<(Global, Span)> {
        let first = self.names.get(name).copied();
        first
            .filter(|(_, definition)| self.sources.visible(at, *definition))
            .or_else(|| {
                (self.unseen_names.iter())
                    .find(|(n, _, definition)| *n == name && self.sources.visible(at, *definition))
                    .map(|(_, global, definition)| (*global, *definition))
            })
    }

    fn line(&self, span: Span) -> u32 {
        // The root is the only file whose items are reported with their lines.
        self.sources.root_line(span.start as usize)
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
        for index in 0..self.function_decls.len() {
            self.function(index, self.function_decls[index].name.span);
        }
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
        // An error may stand where an item was used: only a policy without one is judged.
        if !self.diagnostics.iter().any(Diagnostic::is_error) {
            self.unused_items();
        }

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
        let mut program = p::Program {
            sha256: String::new(),
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
            functions: std::mem::take(&mut self.functions),
            eval_order: std::mem::take(&mut self.eval_order),
            rules,
            examples,
            branches: std::mem::take(&mut self.branches),
            slot_reads: Vec::new(),
            decision_order: Vec::new(),
            json: Default::default(),
        };
        #[cfg(feature = "lint")]
        if !self.diagnostics.iter().any(Diagnostic::is_error) {
            self.analyse_scores(&program);
        }
        self.unread_library_tables_need_no_data(&mut program);
        Some(program)
    }

    /// A body-less table of a library needs data only when the policy reads it (§9.1): one
    /// that nothing reads is given no entries, so that validation asks for no data for it and
    /// the data's SHA-256 leaves it out.
    fn unread_library_tables_need_no_data(&self, program: &mut p::Program) {
        // Tables read directly, or in the body of a function called (once visited, a
        // function's body is not visited again).
        fn visit(expr: &Expr, functions: &[p::FunctionDef], seen: &mut [bool], read: &mut [bool]) {
            match expr {
                Expr::Lookup { table, .. } => {
                    if let Some(read) = read.get_mut(table.0 as usize) {
                        *read = true;
                    }
                }
                Expr::CallFunction(function, _) => {
                    let index = function.0 as usize;
                    if seen.get(index) == Some(&false)
                        && let Some(def) = functions.get(index)
                    {
                        seen[index] = true;
                        visit(&def.body, functions, seen, read);
                    }
                }
                _ => {}
            }
            expr.for_each_child(|child| visit(child, functions, seen, read));
        }
        let mut read = vec![false; program.tables.len()];
        let mut seen = vec![false; program.functions.len()];
        let lets = program.lets.iter().map(|definition| &definition.expr);
        let scores = (program.scores.iter()).flat_map(|score| &score.components);
        let rules = program.rules.iter().flat_map(|rule| {
            let message = rule.message.iter().filter_map(|part| match part {
                p::TemplatePart::Expr(expr) => Some(expr),
                p::TemplatePart::Text(_) => None,
            });
            rule.when.iter().chain([&rule.condition]).chain(message)
        });
        for expr in lets
            .chain(scores.map(|component| &component.expr))
            .chain(rules)
        {
            visit(expr, &program.functions, &mut seen, &mut read);
        }
        let declarations = self.table_decls.iter().zip(read);
        for (table, (declaration, read)) in program.tables.iter_mut().zip(declarations) {
            if table.entries.is_none() && !read && !self.sources.in_root(declaration.span) {
                table.entries = Some(p::TableEntries::default());
            }
        }
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
                    let index = push_todo(&mut self.type_decls, &mut self.type_state, decl);
                    (Global::Type(index), &decl.name)
                }
                Item::Const(decl) => {
                    let index = push_todo(&mut self.const_decls, &mut self.const_state, decl);
                    (Global::Const(index), &decl.name)
                }
                Item::Table(decl) => {
                    self.table_decls.push(decl);
                    (Global::Table(self.table_decls.len() - 1), &decl.name)
                }
                Item::Let(decl) if decl.params.is_some() => {
                    if Builtin::named(&decl.name.name).is_some() {
                        self.error(
                            codes::FUNCTION_NAMED_LIKE_BUILTIN,
                            decl.name.span,
                            format!("`{}` is a built-in function", decl.name.name),
                        )
                        .help = Some("give the function a name of its own".into());
                    }
                    let index = push_todo(&mut self.function_decls, &mut self.function_state, decl);
                    self.functions.push(p::FunctionDef {
                        name: decl.name.name.clone(),
                        params: Vec::new(),
                        body: Expr::Const(Value::MISSING),
                    });
                    (Global::Function(index), &decl.name)
                }
                Item::Let(decl) => {
                    let index = push_todo(&mut self.let_decls, &mut self.let_state, decl);
                    (Global::Let(index), &decl.name)
                }
                Item::Score(decl) => {
                    let index = push_todo(&mut self.score_decls, &mut self.score_state, decl);
                    (Global::Score(index), &decl.name)
                }
                Item::Rule(decl) => {
                    self.rule_decls.push(decl);
                    (Global::Rule(self.rule_decls.len() - 1), &decl.name)
                }
                Item::Example(_) | Item::Import(_) => continue,
            };
            if let Some((previous, first_span)) =
                self.earlier_definition(&name.name, global, name.span)
            {
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
                if !self.sources.seen_together(first_span, name.span) {
                    // Only reference data clashes here: the file still reads its own table.
                    self.unseen_names.push((&name.name, global, name.span));
                }
            } else if self.names.contains_key(name.name.as_str()) {
                self.unseen_names.push((&name.name, global, name.span));
            } else {
                self.names.insert(&name.name, (global, name.span));
            }
        }
        meta
    }

    /// An earlier definition that a definition of `name` at `span` clashes with: one that a
    /// file sees together with it, or, for reference data (named by its table, whichever file
    /// declares it), any body-less table.
    fn earlier_definition(&self, name: &str, global: Global, span: Span) -> Option<(Global, Span)> {
        let bodyless_table = |global| {
            matches!(global, Global::Table(index)
                if self.table_decls.get(index).is_some_and(|t| t.rows.is_none()))
        };
        let first = self.names.get(name).copied();
        let unseen = (self.unseen_names.iter())
            .filter(|(n, ..)| *n == name)
            .map(|(_, global, span)| (*global, *span));
        first
            .into_iter()
            .chain(unseen)
            .find(|(previous, first_span)| {
                self.sources.seen_together(*first_span, span)
                    || (bodyless_table(*previous) && bodyless_table(global))
            })
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
            let through_function =
                (self.stack[position..].iter()).any(|f| matches!(f.global, Global::Function(_)));
            let help = if through_function {
                "a function may not call itself, directly or through other functions or values"
            } else {
                "definitions of `let`, `score` and `const` must not refer to each other in a cycle"
            };
            self.error(
                codes::CYCLE,
                use_span,
                format!("`{name}` depends on itself: {}", chain.join(" → ")),
            )
            .help = Some(help.into());
            return false;
        }
        if self.stack.len() >= MAX_DEPENDENCY_DEPTH {
            self.error(codes::TOO_DEEP, use_span, format!("`{name}` is at the end of a chain of more than {MAX_DEPENDENCY_DEPTH} definitions that depend on each other"))
                .help = Some("split the chain: compute intermediate values from the input directly".into());
            return false;
        }
        self.stack.push(frame);
        let scope = Scope {
            locals: std::mem::take(&mut self.locals),
            params: std::mem::take(&mut self.params),
            known_variables: std::mem::take(&mut self.known_variables),
        };
        self.outer_scopes.push(scope);
        true
    }

    /// Leaves the item `enter` entered, back in the scope of the item that read it.
    fn leave(&mut self) {
        self.stack.pop();
        let scope = self.outer_scopes.pop().unwrap_or_default();
        self.locals = scope.locals;
        self.params = scope.params;
        self.known_variables = scope.known_variables;
    }

    fn constant(&mut self, index: usize, use_span: Span) -> (Type, Value) {
        if let State::Done((ty, value)) = &self.const_state[index] {
            return (ty.clone(), value.clone());
        }
        let decl = self.const_decls[index];
        // In progress: on the stack, a cycle that `enter` reports. Too deep: left unchecked
        // here; the top-level pass checks it again from a short stack.
        if !self.enter(Global::Const(index), &decl.name.name, use_span) {
            return (Type::Error, Value::MISSING);
        }
        let mut typed = self.expr(&decl.value, Context::Constant);
        self.leave();
        // A declared type: the value must fit it, as a table's rows fit theirs, and readers
        // see the declared type.
        if let Some(declared) = &decl.ty {
            let declared = self.resolve_type(declared);
            let found = self.diagnostics.len();
            self.expect_fits(&typed, &declared, &decl.value, "this value");
            typed.ty = if self.diagnostics.len() > found {
                Type::Error
            } else {
                declared
            };
        }
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
        let (value, notes) = eval::eval_const(expr, &self.functions);
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
        if let State::Done((ty, _)) = &self.let_state[index] {
            return ty.clone();
        }
        let decl = self.let_decls[index];
        // As for constants: a cycle or too deep.
        if !self.enter(Global::Let(index), &decl.name.name, use_span) {
            return Type::Error;
        }
        let typed = self.expr(&decl.value, Context::Evaluation);
        self.leave();
        self.let_state[index] = State::Done((typed.ty.clone(), typed.expr));
        self.eval_order.push(Slot(to_u32(index)));
        typed.ty
    }

    fn score(&mut self, index: usize, use_span: Span) -> Type {
        if let State::Done((ty, _)) = &self.score_state[index] {
            return ty.clone();
        }
        let decl = self.score_decls[index];
        // As for constants: a cycle or too deep.
        if !self.enter(Global::Score(index), &decl.name.name, use_span) {
            return Type::Error;
        }
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
        self.leave();
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
        #[cfg(feature = "lint")]
        self.analyse_rule(decl, when.as_ref(), &condition);
        let message = self.template_parts(&decl.message);
        p::RuleDef {
            name: decl.name.name.clone(),
            title: decl.title.as_ref().map(|t| t.value.clone()),
            line: self.line(decl.span),
            when,
            condition,
            kind: decl.kind,
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

/// Appends a declaration whose checking is yet to come; returns its index.
fn push_todo<D, S>(decls: &mut Vec<D>, states: &mut Vec<State<S>>, decl: D) -> usize {
    decls.push(decl);
    states.push(State::Todo);
    decls.len() - 1
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
