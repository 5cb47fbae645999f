//! The abstract syntax tree produced by `syntax`: every node carries its source span.
//!
//! The tree mirrors the source closely (no names resolved, no types computed); `check` turns it
//! into a `program::Program`. Nothing here knows about pest.

use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal without interpolation (titles, literal-union members, table keys).
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyFile {
    pub items: Vec<Item>,
    /// The `#` comments, in source order (the grammar skips them as whitespace; the pre-scan
    /// records them for the formatter). Complete when the file parsed without errors.
    pub comments: Vec<Comment>,
}

/// `# text`: from `#` to the end of its line, trailing blanks left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Policy(PolicyMeta),
    Input(InputDecl),
    Type(TypeDecl),
    Const(ConstDecl),
    Table(TableDecl),
    Let(LetDecl),
    Score(ScoreDecl),
    Rule(RuleDecl),
    Example(ExampleDecl),
    Import(ImportDecl),
}

/// `policy "Title" version "v"`.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyMeta {
    pub title: StrLit,
    pub version: Option<StrLit>,
    pub span: Span,
}

/// `import "common/minerals.policy"`: the path as written, relative to the importing file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportDecl {
    pub path: StrLit,
    pub span: Span,
}

/// `input supplier { name: text ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
}

/// `type Name = Type`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    /// `number`, `text`, `bool`, `date` or a name from `type`.
    Named(Ident),
    /// `[T]`
    List(Box<TypeExpr>),
    /// `{ f: T, ... }`
    Record(Vec<FieldDecl>),
    /// `T?`
    Optional(Box<TypeExpr>),
    /// `"a" | "b"` (at least one member).
    Union(Vec<StrLit>),
}

/// `const NAME = expr` or `const NAME: Type = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstDecl {
    pub name: Ident,
    /// The declared type the value must fit, if any.
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

/// `table NAME: K -> V { key: value ... }`; `rows` is `None` for reference data.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    pub name: Ident,
    pub key_ty: TypeExpr,
    pub value_ty: TypeExpr,
    pub rows: Option<Vec<TableRow>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub key: Expr,
    pub value: Expr,
    pub span: Span,
}

/// `let NAME = expr`, or the function `let NAME(param: Type, ...) = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct LetDecl {
    pub name: Ident,
    /// `Some` for a function (even with no parameter), `None` for a value.
    pub params: Option<Vec<FieldDecl>>,
    pub value: Expr,
    pub span: Span,
}

/// `score NAME "Title" { component W% = expr ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDecl {
    pub name: Ident,
    pub title: Option<StrLit>,
    pub components: Vec<ScoreComponent>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreComponent {
    pub name: Ident,
    /// The weight in hundredths of a percent (`25%` is 2500, `12.5%` is 1250), so that the
    /// 100% check is exact.
    pub weight_hundredths: u64,
    pub weight_span: Span,
    pub value: Expr,
    pub span: Span,
}

/// `rule NAME "Title" { when C  require C | forbid C  else VERDICT "message" }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    pub name: Ident,
    pub title: Option<StrLit>,
    pub when: Option<Expr>,
    pub kind: RuleKind,
    pub condition: Expr,
    pub verdict: Verdict,
    pub verdict_span: Span,
    pub message: Template,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Require,
    Forbid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Reject,
    Review,
    Warn,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reject => "reject",
            Verdict::Review => "review",
            Verdict::Warn => "warn",
        }
    }
}

/// `example "Title" { given {json} [data {json}] [as_of DATE] expect ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleDecl {
    pub title: StrLit,
    /// The JSON text of `given`, exactly as written, and its span.
    pub given: JsonText,
    pub data: Option<JsonText>,
    pub as_of: Option<(DateLit, Span)>,
    pub expectations: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonText {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub kind: ExpectationKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectationKind {
    /// `expect approve|review|reject|incomplete`
    Decision(Decision),
    /// `expect rule NAME passed|failed|missing|not_applicable`
    Rule(Ident, Outcome),
    /// `expect score NAME = JSON`
    Score(Ident, JsonText),
    /// `expect value NAME = JSON`
    Value(Ident, JsonText),
    /// `expect message NAME = "text"`: the rendered message of a failed rule.
    Message(Ident, StrLit),
    /// `expect evidence NAME = [JSON texts]`: the evidence of a failed rule.
    Evidence(Ident, JsonText),
    /// `expect missing = [JSON texts]`: the report's top-level `missing`, as a set.
    Missing(JsonText),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    Approve,
    Review,
    Incomplete,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Review => "review",
            Decision::Incomplete => "incomplete",
            Decision::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Passed,
    Failed,
    Missing,
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Missing => "missing",
            Outcome::NotApplicable => "not_applicable",
        }
    }
}

/// A calendar date as written; the parser has already rejected impossible dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateLit {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    Day,
    Week,
    Month,
    Year,
}

/// A string that may interpolate expressions: `"CPI {country_cpi} is low"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text with escapes already decoded.
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    /// A string literal; a plain string is a template with at most one `Text` part.
    Str(Template),
    Bool(bool),
    Date(DateLit),
    /// `12 months`: an integer literal and a unit.
    Duration(i64, DurationUnit),
    Today,
    Name(Ident),
    List(Vec<Expr>),
    /// `base.field`
    Field(Box<Expr>, Ident),
    /// `table[key]`
    Index(Box<Expr>, Box<Expr>),
    /// `f(args)`
    Call(Ident, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x is missing` (`negated: false`) or `x is present` (`negated: true`).
    IsMissing {
        operand: Box<Expr>,
        negated: bool,
    },
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `match { C => A ... else => B }`; `otherwise` is `None` when `else` was left out,
    /// which the checker reports.
    Match {
        arms: Vec<MatchArm>,
        otherwise: Option<Box<Expr>>,
    },
    /// `all|any|none x in L: C`
    Quantifier {
        kind: Quantifier,
        var: Ident,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    /// `[E for a in A if C1 for b in B if C2]`: one clause or more, each of which may read
    /// the variables of the clauses before it.
    Comprehension {
        element: Box<Expr>,
        clauses: Vec<ComprehensionClause>,
    },
    /// `(E) days`: a duration whose count is computed.
    ComputedDuration(Box<Expr>, DurationUnit),
}

/// `for x in L if C` of a comprehension.
#[derive(Debug, Clone, PartialEq)]
pub struct ComprehensionClause {
    pub var: Ident,
    pub list: Expr,
    pub filter: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    pub condition: Expr,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    All,
    Any,
    None,
}

impl Quantifier {
    /// How the quantifier is written.
    pub fn keyword(self) -> &'static str {
        match self {
            Quantifier::All => "all",
            Quantifier::Any => "any",
            Quantifier::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    ContainsAny,
    ContainsAll,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// The operator as written in the source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Coalesce => "??",
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Contains => "contains",
            BinaryOp::ContainsAny => "contains_any",
            BinaryOp::ContainsAll => "contains_all",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}
