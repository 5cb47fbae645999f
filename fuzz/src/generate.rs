//! A generator of well-typed policies, driven by fuzzer bytes.
//!
//! It writes source text from a small typed grammar: every expression is generated for the
//! type its context needs, names are only used after they are defined (so there are no
//! cycles), and every compound expression is parenthesised. A policy it writes that does not
//! compile is a bug in the generator or in the checker; the `generated` target says which
//! source failed. It also writes an input record, reference data and a date that mostly fit
//! the input declaration, with absent fields, `null`s and wrong types mixed in.

use arbitrary::Unstructured;
use serde_json::{Value as Json, json};

/// The types expressions are generated for.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Number,
    Text,
    Bool,
    Date,
    /// The literal union `Tier`.
    Tier,
    /// The record `Part`; only quantifier variables have it.
    Part,
    List(Box<Ty>),
}

impl Ty {
    fn list(element: Ty) -> Ty {
        Ty::List(Box::new(element))
    }
}

const TIERS: [&str; 3] = ["gold", "silver", "bronze"];
const WORDS: [&str; 8] = ["DK", "JP", "CN", "ISO14001", "tin", "a b", "Ünï", ""];
const FUNCTIONS_OF_NUMBER_LISTS: [&str; 5] = ["sum", "min", "max", "avg", "count"];

/// The input fields: name, type, and whether the declaration makes it optional.
struct Field {
    name: &'static str,
    ty: Ty,
    optional: bool,
}

/// A generated policy with an input for it.
pub struct Case {
    pub source: String,
    pub input: Json,
    pub data: Option<Json>,
    pub today: procura::Date,
}

struct Generator<'a, 'u> {
    u: &'a mut Unstructured<'u>,
    fields: Vec<Field>,
    /// Item names usable in expressions, with their types.
    names: Vec<(String, Ty)>,
    /// Quantifier and comprehension variables and function parameters in scope.
    vars: Vec<(String, Ty)>,
    next_var: usize,
    /// Functions: name, parameter type and result type.
    functions: Vec<(String, Ty, Ty)>,
}

pub fn case(u: &mut Unstructured) -> Case {
    let mut g = Generator {
        u,
        fields: Vec::new(),
        names: Vec::new(),
        vars: Vec::new(),
        next_var: 0,
        functions: Vec::new(),
    };
    let source = g.policy();
    let input = g.input();
    let data = g.data();
    let today = g.date();
    Case {
        source,
        input,
        data,
        today,
    }
}

impl Generator<'_, '_> {
    fn pick(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.int_in_range(0..=n - 1).unwrap_or(0)
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.pick(one_in) == 0
    }

    fn small(&mut self, max: u32) -> u32 {
        self.u.int_in_range(0..=max).unwrap_or(0)
    }

    fn policy(&mut self) -> String {
        let mut out = String::new();
        if self.chance(2) {
            out.push_str("policy \"Generated \\{\\} policy\" version \"1\"\n");
        }
        out.push_str("type Tier = \"gold\" | \"silver\" | \"bronze\"\n");
        out.push_str("type Part = { id: text, weight: number?, tier: Tier }\n");
        let fields = [
            ("name", Ty::Text),
            ("spend", Ty::Number),
            ("active", Ty::Bool),
            ("since", Ty::Date),
            ("tier", Ty::Tier),
            ("tags", Ty::list(Ty::Text)),
            ("amounts", Ty::list(Ty::Number)),
            ("parts", Ty::list(Ty::Part)),
        ];
        out.push_str("input supplier {\n");
        for (name, ty) in fields {
            let optional = self.chance(3);
            let mark = if optional { "?" } else { "" };
            out.push_str(&format!("  {name}: {}{mark}\n", type_name(&ty)));
            self.fields.push(Field { name, ty, optional });
        }
        out.push_str("}\n");
        out.push_str("table cpi: text -> number { \"DK\": 90, \"JP\": 73, \"CN\": 42 }\n");
        out.push_str("table flagged: text -> bool\n");
        out.push_str("const FLOOR = 40\n");
        self.names.push(("FLOOR".into(), Ty::Number));
        out.push_str("const METALS = [\"tin\", \"gold\"]\n");
        self.names.push(("METALS".into(), Ty::list(Ty::Text)));
        for i in 0..self.pick(3) {
            out.push_str(&self.function(i));
        }
        for i in 0..1 + self.pick(5) {
            let ty = self.any_type();
            let value = self.expr(&ty, 4);
            out.push_str(&format!("let l{i} = {value}\n"));
            // A `let` of a `Tier` expression may have a narrower literal union (`"gold"`), which
            // compared with another member is a type error: use it as text only.
            let ty = if ty == Ty::Tier { Ty::Text } else { ty };
            self.names.push((format!("l{i}"), ty));
        }
        for i in 0..self.pick(3) {
            out.push_str(&self.score(i));
        }
        for i in 0..1 + self.pick(4) {
            out.push_str(&self.rule(i));
        }
        out
    }

    /// `let f{i}(a{i}: T) = ...`: a function of one parameter, whose body may read it, the
    /// input and the constants, and call the functions before it.
    fn function(&mut self, i: usize) -> String {
        let param = self.any_type();
        let name = format!("a{i}");
        self.vars.push((name.clone(), param.clone()));
        let ty = self.any_type();
        let body = self.expr(&ty, 3);
        self.vars.pop();
        // As for lets: a `Tier` body may have a narrower union; use the result as text.
        let result = if ty == Ty::Tier { Ty::Text } else { ty };
        self.functions
            .push((format!("f{i}"), param.clone(), result));
        format!("let f{i}({name}: {}) = {body}\n", type_name(&param))
    }

    /// A call of a function whose result has type `ty`, if there is one.
    fn call(&mut self, ty: &Ty, d: u32) -> Option<String> {
        let fitting: Vec<(String, Ty)> = (self.functions.iter())
            .filter(|(_, _, result)| result == ty)
            .map(|(name, param, _)| (name.clone(), param.clone()))
            .collect();
        if fitting.is_empty() {
            return None;
        }
        let (name, param) = fitting[self.pick(fitting.len())].clone();
        Some(format!("{name}({})", self.expr(&param, d)))
    }

    fn score(&mut self, i: usize) -> String {
        let parts = 1 + self.pick(4);
        let mut left: u32 = 10_000;
        let mut out = format!("score s{i} \"Score {i}\" {{\n");
        for c in 0..parts {
            let weight = if c + 1 == parts {
                left
            } else {
                let w = 1 + self.small(left.saturating_sub(parts as u32) / 2);
                left -= w;
                w
            };
            let value = self.expr(&Ty::Number, 3);
            let percent = format!("{}.{:02}%", weight / 100, weight % 100);
            out.push_str(&format!("  c{c} {percent} = {value},\n"));
        }
        out.push_str("}\n");
        self.names.push((format!("s{i}"), Ty::Number));
        out
    }

    fn rule(&mut self, i: usize) -> String {
        let mut out = format!("rule r{i} \"Rule {i}\" {{\n");
        if self.chance(2) {
            let when = self.expr(&Ty::Bool, 3);
            out.push_str(&format!("  when {when}\n"));
        }
        let kind = if self.chance(2) { "require" } else { "forbid" };
        let condition = self.expr(&Ty::Bool, 4);
        let verdict = ["reject", "review", "warn"][self.pick(3)];
        let message = self.template(2);
        out.push_str(&format!(
            "  {kind} {condition}\n  else {verdict} {message}\n}}\n"
        ));
        out
    }

    fn any_type(&mut self) -> Ty {
        match self.pick(7) {
            0 => Ty::Number,
            1 => Ty::Text,
            2 => Ty::Bool,
            3 => Ty::Date,
            4 => Ty::Tier,
            5 => Ty::list(Ty::Number),
            _ => Ty::list(Ty::Text),
        }
    }

    /// A type that can be compared with `==`, `<` and friends.
    fn comparable(&mut self) -> Ty {
        [Ty::Number, Ty::Date, Ty::Text][self.pick(3)].clone()
    }

    /// Everything in scope that has type `ty`: input fields, item names, variables and
    /// fields of `Part` variables.
    fn sources(&self, ty: &Ty) -> Vec<String> {
        let mut found: Vec<String> = self
            .fields
            .iter()
            .filter(|f| &f.ty == ty)
            .map(|f| format!("(supplier.{})", f.name))
            .collect();
        for (name, t) in self.names.iter().chain(&self.vars) {
            if t == ty {
                found.push(name.clone());
            }
        }
        for (name, t) in &self.vars {
            if *t == Ty::Part {
                match ty {
                    Ty::Text => found.push(format!("({name}.id)")),
                    Ty::Number => found.push(format!("({name}.weight)")),
                    Ty::Tier => found.push(format!("({name}.tier)")),
                    _ => {}
                }
            }
        }
        found
    }

    fn expr(&mut self, ty: &Ty, depth: u32) -> String {
        if depth == 0 || self.u.is_empty() || self.chance(4) {
            return self.leaf(ty);
        }
        let d = depth - 1;
        if self.chance(6)
            && let Some(call) = self.call(ty, d)
        {
            return call;
        }
        match ty {
            Ty::Number => match self.pick(8) {
                0 => format!("to_number({})", self.text(d)),
                1 => format!(
                    "months_between({}, {})",
                    self.expr(&Ty::Date, d),
                    self.expr(&Ty::Date, d)
                ),
                _ => self.number(d),
            },
            Ty::Bool => match self.pick(8) {
                0 => format!("matches({}, r\"[a-z]+( [A-Z]{{2}})?\")", self.text(d)),
                _ => self.boolean(d),
            },
            Ty::Text => match self.pick(8) {
                0 => {
                    let f = ["upper", "lower", "trim"][self.pick(3)];
                    format!("{f}({})", self.text(d))
                }
                1 => format!("({} + {})", self.text(d), self.text(d)),
                2 => self.template(d),
                3 => format!(
                    "substring({}, {}, {})",
                    self.text(d),
                    self.expr(&Ty::Number, d),
                    self.small(5)
                ),
                4 => format!("replace({}, \"a\", {})", self.text(d), self.text(d)),
                5 => {
                    let shown = self.any_type();
                    format!("to_text({})", self.expr(&shown, d))
                }
                _ => self.conditional(ty, d),
            },
            Ty::Date => match self.pick(4) {
                0 => {
                    let sign = if self.chance(2) { "+" } else { "-" };
                    let max = if self.chance(8) { 5_000_000 } else { 40 };
                    let n = self.small(max);
                    let unit = ["day", "days", "week", "months", "year"][self.pick(5)];
                    format!("({} {sign} {n} {unit})", self.expr(&Ty::Date, d))
                }
                // A duration with a computed count, which may be missing, fractional or huge.
                1 => {
                    let sign = if self.chance(2) { "+" } else { "-" };
                    let unit = ["day", "weeks", "month", "years"][self.pick(4)];
                    format!(
                        "({} {sign} ({}) {unit})",
                        self.expr(&Ty::Date, d),
                        self.expr(&Ty::Number, d)
                    )
                }
                _ => self.conditional(ty, d),
            },
            Ty::Tier => self.conditional(ty, d),
            Ty::Part => self.leaf(ty),
            Ty::List(element) if **element == Ty::Part => self.conditional(ty, d),
            Ty::List(element) => match self.pick(5) {
                4 => {
                    let f = ["distinct", "sort"][self.pick(2)];
                    format!("{f}({})", self.expr(ty, d))
                }
                0 => {
                    let n = self.pick(4);
                    let items: Vec<String> = (0..n).map(|_| self.expr(element, d)).collect();
                    format!("[{}]", items.join(", "))
                }
                1 => self.comprehension(element, d),
                2 => format!("({} + {})", self.expr(ty, d), self.expr(ty, d)),
                _ => self.conditional(ty, d),
            },
        }
    }

    /// A text that is plain `text`, never a literal union, so that comparing it with any
    /// string literal is well typed.
    fn text(&mut self, depth: u32) -> String {
        format!("trim({})", self.expr(&Ty::Text, depth))
    }

    fn leaf(&mut self, ty: &Ty) -> String {
        let mut candidates = self.sources(ty);
        let literal = match ty {
            Ty::Number => Some(self.number_literal()),
            Ty::Text => Some(self.string_literal()),
            Ty::Bool => Some(["true", "false"][self.pick(2)].to_string()),
            Ty::Date => Some(if self.chance(3) {
                "today".to_string()
            } else {
                let (y, m, d) = self.date().ymd();
                format!("{y:04}-{m:02}-{d:02}")
            }),
            Ty::Tier => Some(format!("\"{}\"", TIERS[self.pick(3)])),
            Ty::List(element) if **element == Ty::Part => None,
            // `[]` has the element type `nothing`, which every operator must accept.
            Ty::List(_) => Some("[]".to_string()),
            Ty::Part => None,
        };
        candidates.extend(literal);
        let i = self.pick(candidates.len());
        candidates.swap_remove(i)
    }

    fn number_literal(&mut self) -> String {
        match self.pick(4) {
            0 => self.small(10).to_string(),
            1 => format!("{}.{}", self.small(1000), self.small(99)),
            2 => format!("1_000_{:03}", self.small(999)),
            _ => self.u.arbitrary::<u32>().unwrap_or(0).to_string(),
        }
    }

    fn string_literal(&mut self) -> String {
        let mut out = String::from("\"");
        for _ in 0..self.pick(4) {
            out.push_str(
                [
                    "a", "DK", " ", "é", "\\\"", "\\\\", "\\n", "\\t", "\\{", "\\}", "tin", "🦀",
                ][self.pick(12)],
            );
        }
        out.push('"');
        out
    }

    /// A string with interpolated expressions of any type.
    fn template(&mut self, depth: u32) -> String {
        let mut out = String::from("\"");
        for _ in 0..1 + self.pick(3) {
            if self.chance(2) {
                out.push_str(
                    ["x ", "{", ": ", "\\n"][self.pick(4)]
                        .replace('{', "\\{")
                        .as_str(),
                );
            } else {
                let ty = self.any_type();
                let inner = self.expr(&ty, depth.min(2));
                out.push_str(&format!("{{{inner}}}"));
            }
        }
        out.push('"');
        out
    }

    fn number(&mut self, d: u32) -> String {
        match self.pick(13) {
            0 | 1 => {
                let op = ["+", "-", "*", "/", "%"][self.pick(5)];
                format!(
                    "({} {op} {})",
                    self.expr(&Ty::Number, d),
                    self.expr(&Ty::Number, d)
                )
            }
            2 => format!("(-{})", self.expr(&Ty::Number, d)),
            3 => {
                let f = FUNCTIONS_OF_NUMBER_LISTS[self.pick(5)];
                format!("{f}({})", self.expr(&Ty::list(Ty::Number), d))
            }
            4 => {
                let ty = self.any_list();
                format!("count({})", self.expr(&ty, d))
            }
            5 => format!("len({})", self.expr(&Ty::Text, d)),
            6 => match self.pick(3) {
                0 => format!("abs({})", self.expr(&Ty::Number, d)),
                1 => format!(
                    "round({}, {})",
                    self.expr(&Ty::Number, d),
                    self.expr(&Ty::Number, d)
                ),
                _ => format!("year({})", self.expr(&Ty::Date, d)),
            },
            7 => format!(
                "days_between({}, {})",
                self.expr(&Ty::Date, d),
                self.expr(&Ty::Date, d)
            ),
            8 => format!("cpi[{}]", self.expr(&Ty::Text, d)),
            9 => format!(
                "({} ?? {})",
                self.expr(&Ty::Number, d),
                self.expr(&Ty::Number, d)
            ),
            // An element, whose index may be out of range, negative or fractional.
            10 => format!(
                "({})[{}]",
                self.expr(&Ty::list(Ty::Number), d),
                self.expr(&Ty::Number, d)
            ),
            _ => self.conditional(&Ty::Number, d),
        }
    }

    fn any_list(&mut self) -> Ty {
        if self.chance(3) {
            return Ty::list(Ty::Part);
        }
        [Ty::list(Ty::Number), Ty::list(Ty::Text)][self.pick(2)].clone()
    }

    fn boolean(&mut self, d: u32) -> String {
        match self.pick(14) {
            0 | 1 => {
                let ty = self.comparable();
                let op = ["==", "!=", "<", "<=", ">", ">="][self.pick(6)];
                let (a, b) = if ty == Ty::Text {
                    (self.text(d), self.expr(&Ty::Text, d))
                } else {
                    (self.expr(&ty, d), self.expr(&ty, d))
                };
                format!("({a} {op} {b})")
            }
            2 => {
                let op = ["and", "or", "??"][self.pick(3)];
                format!(
                    "({} {op} {})",
                    self.expr(&Ty::Bool, d),
                    self.expr(&Ty::Bool, d)
                )
            }
            3 => format!("(not {})", self.expr(&Ty::Bool, d)),
            4 => {
                let ty = self.any_type();
                let test = ["is missing", "is present"][self.pick(2)];
                format!("({} {test})", self.expr(&ty, d))
            }
            5 | 6 => self.quantifier(d),
            7 => {
                let op = ["in", "not in"][self.pick(2)];
                let list = self.expr(&Ty::list(Ty::Text), d);
                format!("({} {op} {list})", self.text(d))
            }
            8 => {
                let op = ["contains_any", "contains_all"][self.pick(2)];
                let lists = (
                    self.expr(&Ty::list(Ty::Text), d),
                    self.expr(&Ty::list(Ty::Text), d),
                );
                format!(
                    "((supplier.tags) {op} {})",
                    if self.chance(2) { lists.0 } else { lists.1 }
                )
            }
            9 => {
                let f = ["starts_with", "ends_with"][self.pick(2)];
                format!(
                    "{f}({}, {})",
                    self.expr(&Ty::Text, d),
                    self.expr(&Ty::Text, d)
                )
            }
            10 => format!("(flagged[{}] ?? false)", self.expr(&Ty::Text, d)),
            11 => {
                let op = ["==", "!="][self.pick(2)];
                let tier = TIERS[self.pick(3)];
                // Only a value of the declared union, never a narrower one, takes every member.
                let mut tiers = self.sources(&Ty::Tier);
                let i = self.pick(tiers.len());
                format!("({} {op} \"{tier}\")", tiers.swap_remove(i))
            }
            12 => format!("({} contains {})", self.text(d), self.expr(&Ty::Text, d)),
            _ => self.conditional(&Ty::Bool, d),
        }
    }

    /// `all|any|none x in L: C` over any list, the body seeing `x`.
    fn quantifier(&mut self, d: u32) -> String {
        let kind = ["all", "any", "none"][self.pick(3)];
        let ty = self.any_list();
        let list = self.expr(&ty, d);
        let Ty::List(element) = ty else {
            return "true".into();
        };
        let var = self.bind(*element);
        let body = self.expr(&Ty::Bool, d);
        self.vars.pop();
        format!("({kind} {var} in {list}: {body})")
    }

    /// `[E for x in L if C]`, sometimes with a second clause that may read `x`.
    fn comprehension(&mut self, element: &Ty, d: u32) -> String {
        let outer = self.vars.len();
        let mut clauses = self.clause(d);
        if self.chance(3) {
            clauses += &self.clause(d);
        }
        let value = self.expr(element, d);
        self.vars.truncate(outer);
        format!("[{value}{clauses}]")
    }

    /// ` for x in L if C`, binding `x` for what follows.
    fn clause(&mut self, d: u32) -> String {
        let ty = self.any_list();
        let list = self.expr(&ty, d);
        let Ty::List(bound) = ty else {
            return String::new();
        };
        let var = self.bind(*bound);
        let filter = if self.chance(2) {
            format!(" if {}", self.expr(&Ty::Bool, d))
        } else {
            String::new()
        };
        format!(" for {var} in {list}{filter}")
    }

    fn bind(&mut self, ty: Ty) -> String {
        let var = format!("v{}", self.next_var);
        self.next_var += 1;
        self.vars.push((var.clone(), ty));
        var
    }

    /// `if` or `match` choosing between values of `ty`.
    fn conditional(&mut self, ty: &Ty, d: u32) -> String {
        if self.chance(2) {
            let c = self.expr(&Ty::Bool, d);
            format!(
                "(if {c} then {} else {})",
                self.expr(ty, d),
                self.expr(ty, d)
            )
        } else {
            let mut out = String::from("(match { ");
            for _ in 0..1 + self.pick(3) {
                let c = self.expr(&Ty::Bool, d);
                out.push_str(&format!("{c} => {}, ", self.expr(ty, d)));
            }
            out.push_str(&format!("else => {} }})", self.expr(ty, d)));
            out
        }
    }

    fn date(&mut self) -> procura::Date {
        let year = if self.chance(8) {
            [1, 9999][self.pick(2)]
        } else {
            2000 + self.small(40) as i32
        };
        let month = 1 + self.small(11);
        let day = 1 + self.small(procura::date::days_in_month(year, month) - 1);
        procura::Date::from_ymd(year, month, day).unwrap_or(procura::Date(0))
    }

    /// An input record that mostly fits the declaration.
    fn input(&mut self) -> Json {
        let mut record = serde_json::Map::new();
        for i in 0..self.fields.len() {
            let (name, ty, optional) = {
                let f = &self.fields[i];
                (f.name, f.ty.clone(), f.optional)
            };
            let absent = if optional { 3 } else { 12 };
            if self.chance(absent) {
                continue;
            }
            let value = self.json(&ty, 2);
            record.insert(name.into(), value);
        }
        Json::Object(record)
    }

    fn json(&mut self, ty: &Ty, depth: u32) -> Json {
        if self.chance(24) {
            return [Json::Null, json!("wrong"), json!(1), json!([]), json!({})][self.pick(5)]
                .clone();
        }
        match ty {
            Ty::Number => match self.pick(4) {
                0 => json!(self.small(100)),
                1 => json!(-(self.small(100) as i64)),
                2 => json!(1e300),
                _ => json!(f64::from(self.small(1_000_000)) / 7.0),
            },
            Ty::Text => json!(self.string_literal().trim_matches('"').replace('\\', "")),
            Ty::Bool => json!(self.chance(2)),
            Ty::Date => {
                if self.chance(10) {
                    json!("2025-02-30")
                } else {
                    json!(self.date().to_string())
                }
            }
            Ty::Tier => json!(TIERS[self.pick(3)]),
            Ty::Part => json!({
                "id": WORDS[self.pick(WORDS.len())],
                "weight": self.json(&Ty::Number, depth),
                "tier": self.json(&Ty::Tier, depth),
            }),
            Ty::List(element) => {
                let n = if depth == 0 { 0 } else { self.pick(5) };
                Json::Array((0..n).map(|_| self.json(element, depth - 1)).collect())
            }
        }
    }

    /// Reference data for the body-less table `flagged`, sometimes absent or malformed.
    fn data(&mut self) -> Option<Json> {
        match self.pick(10) {
            0 => None,
            1 => Some(json!({"flagged": {"DK": "yes"}})),
            _ => {
                let mut table = serde_json::Map::new();
                for _ in 0..self.pick(4) {
                    table.insert(WORDS[self.pick(WORDS.len())].into(), json!(self.chance(2)));
                }
                Some(json!({"flagged": table}))
            }
        }
    }
}

fn type_name(ty: &Ty) -> String {
    match ty {
        Ty::Number => "number".into(),
        Ty::Text => "text".into(),
        Ty::Bool => "bool".into(),
        Ty::Date => "date".into(),
        Ty::Tier => "Tier".into(),
        Ty::Part => "Part".into(),
        Ty::List(element) => format!("[{}]", type_name(element)),
    }
}
