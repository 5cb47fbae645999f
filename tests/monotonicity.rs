//! LANGUAGE.md §5 monotonicity: in a policy that does not use `??`, `is missing` or
//! `is present`, supplying a missing value never changes a rule outcome that was already
//! `passed`, `failed` or `not_applicable`.
//!
//! For each policy, random complete inputs are generated from its `input` declaration; a copy
//! with random fields removed (at every depth) is evaluated too, and every decided outcome of
//! the partial input must equal the outcome on the complete one.

#[path = "support/policies.rs"]
mod policies;

use std::collections::HashMap;
use std::sync::LazyLock;

use procura::{Date, Policy};
use proptest::prelude::*;
use serde_json::{Map, Value as Json};

/// Policies exercising every operator family without the three absence operators.
const POLICY: &str = r#"
input supplier {
  name: text
  country: text
  category: "manufacturing" | "chemicals" | "logistics" | "services"
  annual_spend: number
  certifications: [text]
  flags: [text]
  guidelines_confirmed: bool
  ecovadis: { environment: number, ethics: number, labor: number }?
  smelters: [{ id: text, metal: text, rmap_status: "conformant" | "active" | "not_enrolled" }]
  cmrt_date: date?
  employees: number?
}

const CONFLICT_METALS = ["tin", "tantalum", "tungsten", "gold", "cobalt"]
table cpi: text -> number { "DK": 90, "JP": 73, "CN": 42, "IN": 38 }

let country_cpi = cpi[supplier.country]
let open = [s.id for s in supplier.smelters if s.metal in CONFLICT_METALS and s.rmap_status != "conformant"]
let band = match {
  supplier.annual_spend >= 1_000_000 => "strategic"
  supplier.annual_spend >= 100_000 => "significant"
  else => "minor"
}
score sustainability "Sustainability" {
  environment 40% = supplier.ecovadis.environment
  ethics      35% = supplier.ecovadis.ethics
  labor       25% = supplier.ecovadis.labor
}

rule cpi_floor "CPI" { require country_cpi >= 40 else review "low CPI" }
rule flags "Flags" { forbid supplier.flags contains_any ["human_trafficking", "money_laundering"] else reject "flagged" }
rule iso "ISO" {
  when supplier.category in ["manufacturing", "chemicals"]
  require supplier.certifications contains_any ["ISO14001", "EMAS"]
  else reject "no certification"
}
rule guidelines "Guidelines" { require supplier.guidelines_confirmed else review "unconfirmed" }
rule score_min "Score" {
  when band != "minor"
  require sustainability >= 45 and supplier.ecovadis.ethics >= 40
  else review "low score"
}
rule minerals "Minerals" {
  require all s in supplier.smelters: s.metal not in CONFLICT_METALS or s.rmap_status == "conformant"
  else review "open smelters {open}"
}
rule any_conformant "Any conformant" {
  when count(supplier.smelters) > 0
  require any s in supplier.smelters: s.rmap_status == "conformant"
  else warn "none conformant"
}
rule none_active "None active" { require none s in supplier.smelters: s.rmap_status == "active" else warn "active" }
rule fresh "CMRT" {
  when count(open) > 0 or supplier.annual_spend > 500_000
  require supplier.cmrt_date >= today - 12 months and days_between(supplier.cmrt_date, today) < 400
  else warn "old"
}
rule size "Size" {
  require if supplier.employees > 250 then supplier.annual_spend > 10_000 else not (supplier.name == "")
  else review "size"
}
let pairs = [s.id + c for s in supplier.smelters if s.metal in CONFLICT_METALS for c in supplier.certifications if c != "EMAS"]
let tags = supplier.flags + supplier.certifications + [supplier.name]
rule clauses "Clauses" { require count(pairs) < 3 or count(tags) > 3 else warn "pairs {pairs}" }
rule first_smelter "First smelter" {
  when count(supplier.smelters) > 0
  require supplier.smelters[0].rmap_status != "active" and tags[count(supplier.flags)] != "EMAS"
  else review "first"
}
rule due "Due" {
  require supplier.cmrt_date + (supplier.employees) days >= today - (count(tags)) months
  else warn "due"
}
let per_metal(m: text) = count([s for s in supplier.smelters if s.metal == m])
let identified(id: text) = matches(id, r"CID[0-9]{3,6}")
rule functions "Functions" {
  require all s in supplier.smelters: identified(s.id) or per_metal(s.metal) < 2
  else review "unidentified {[s.id for s in supplier.smelters if not identified(s.id)]}"
}
rule text_and_lists "Text and lists" {
  require substring(upper(supplier.name), 0, 3) != "XYZ"
    and count(distinct(sort(supplier.certifications))) <= count(split(to_text(supplier.certifications), ","))
    and max([len(s.id) for s in supplier.smelters], 0) < 20
    and months_between(supplier.cmrt_date, today) < 36
    and replace(supplier.country, "K", "C") != "DC"
  else warn "text {to_text(supplier.annual_spend / 3)}"
}
rule arithmetic "Arithmetic" {
  require round(supplier.annual_spend / (supplier.employees + 1), 1) * 2 - 3 % 2 < 1_000_000 and len(lower(trim(supplier.name))) > 0
  else warn "ratio"
}
"#;

/// A compiled policy with its source and the shape of its input.
struct Compiled {
    source: String,
    policy: Policy,
    input: Shape,
}

impl Compiled {
    fn new(source: String) -> Compiled {
        Compiled {
            policy: procura::compile(&source).unwrap(),
            input: input_shape(&source),
            source,
        }
    }

    /// A policy of `rules/`, with the libraries it imports.
    fn read(path: &std::path::Path) -> Compiled {
        let files = policies::sources(path);
        let policy = procura::policy::compile_sources(&files).unwrap();
        // The input's shape may name types of the libraries.
        let mut types = files.root_text().to_owned();
        for (_, library) in files.libraries() {
            types.push('\n');
            types.push_str(library);
        }
        Compiled {
            policy,
            input: input_shape(&types),
            source: files.root_text().to_owned(),
        }
    }
}

static TEST_POLICY: LazyLock<Compiled> = LazyLock::new(|| Compiled::new(POLICY.to_owned()));

/// Every bundled policy.
static ALL_BUNDLED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    let mut paths: Vec<_> = std::fs::read_dir("rules")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "policy"))
        .collect();
    paths.sort();
    paths.iter().map(|path| Compiled::read(path)).collect()
});

/// The bundled policies that use none of `??`, `is missing` and `is present`.
static BUNDLED: LazyLock<Vec<&Compiled>> = LazyLock::new(|| {
    ALL_BUNDLED
        .iter()
        .filter(|c| {
            !["??", "is missing", "is present"]
                .iter()
                .any(|op| c.source.contains(op))
        })
        .collect()
});

fn today() -> Date {
    Date::parse("2025-06-01").unwrap()
}

/// A small deterministic generator (xorshift), so proptest shrinks seeds, not structures.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const TEXTS: &[&str] = &[
    "DK",
    "JP",
    "CN",
    "IN",
    "XX",
    "ISO14001",
    "EMAS",
    "ISO9001",
    "tin",
    "gold",
    "mica",
    "human_trafficking",
    "money_laundering",
    "Acme",
    " ",
    "",
];
const NUMBERS: &[f64] = &[
    0.0,
    1.0,
    39.0,
    40.0,
    45.5,
    250.0,
    251.0,
    100_000.0,
    500_001.0,
    1_000_000.0,
    -3.0,
    0.5,
];
const DATES: &[&str] = &[
    "2024-05-31",
    "2024-06-01",
    "2025-01-15",
    "2023-02-28",
    "2025-06-01",
];

fn generate(shape: &Shape, rng: &mut Rng) -> Json {
    match shape {
        Shape::Number => Json::from(*rng.pick(NUMBERS)),
        Shape::Text => Json::from(*rng.pick(TEXTS)),
        Shape::Bool => Json::from(rng.below(2) == 0),
        Shape::Date => Json::from(*rng.pick(DATES)),
        Shape::Union(members) => Json::from(rng.pick(members).as_str()),
        Shape::List(element) => {
            Json::Array((0..rng.below(4)).map(|_| generate(element, rng)).collect())
        }
        Shape::Record(fields) => Json::Object(
            fields
                .iter()
                .map(|(name, shape)| (name.clone(), generate(shape, rng)))
                .collect(),
        ),
        Shape::Optional(inner) => generate(inner, rng),
    }
}

/// Removes each field at every depth with probability 1/3.
fn remove_some(value: &Json, rng: &mut Rng) -> Json {
    match value {
        Json::Object(fields) => {
            let mut kept = Map::new();
            for (key, value) in fields {
                if rng.below(3) != 0 {
                    kept.insert(key.clone(), remove_some(value, rng));
                }
            }
            Json::Object(kept)
        }
        Json::Array(elements) => {
            Json::Array(elements.iter().map(|e| remove_some(e, rng)).collect())
        }
        other => other.clone(),
    }
}

/// The report of `record` as JSON, asserting that `Policy::decide` gives its decision.
fn report(policy: &Policy, record: &Json, data: &Json) -> Json {
    let report = policy.evaluate_json(record, Some(data), today()).unwrap();
    let data = policy.reference_data(Some(data)).unwrap();
    assert_decide_agrees(policy, &data, record, today());
    serde_json::from_str(&report.to_json()).unwrap()
}

fn assert_monotone(compiled: &Compiled, seed: u64) {
    let mut rng = Rng(seed | 1);
    let full = generate(&compiled.input, &mut rng);
    let partial = remove_some(&full, &mut rng);
    let data = serde_json::json!({"sanctioned": {"RU": true}});
    let complete = report(&compiled.policy, &full, &data);
    let incomplete = report(&compiled.policy, &partial, &data);
    let rules = complete["rules"].as_array().unwrap();
    assert!(!rules.is_empty());
    for (before, after) in incomplete["rules"].as_array().unwrap().iter().zip(rules) {
        if before["outcome"] != "missing" {
            assert_eq!(
                before["outcome"], after["outcome"],
                "rule `{}` was {} on the partial input {partial} but {} on the complete input {full}",
                before["name"], before["outcome"], after["outcome"]
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn supplying_missing_fields_keeps_decided_outcomes(seed in any::<u64>()) {
        assert_monotone(&TEST_POLICY, seed);
    }

    #[test]
    fn bundled_policies_without_absence_operators_are_monotone(seed in any::<u64>()) {
        prop_assert!(!BUNDLED.is_empty(), "no bundled policy is free of `??`, `is missing` and `is present`");
        for policy in BUNDLED.iter() {
            assert_monotone(policy, seed);
        }
    }
}

/// The shapes read from the sources name every field of the records the examples give, and
/// every field of the test policy's input.
#[test]
fn input_shapes_are_read_whole() {
    let Shape::Record(fields) = &TEST_POLICY.input else {
        panic!("{:?}", TEST_POLICY.input)
    };
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    assert_eq!(names[10], "employees");
    assert!(
        matches!(&fields[8].1, Shape::List(s) if matches!(&**s, Shape::Record(f) if f.len() == 3))
    );
    for compiled in ALL_BUNDLED.iter() {
        let Shape::Record(fields) = &compiled.input else {
            panic!("{:?}", compiled.input)
        };
        for example in examples(&compiled.source) {
            for key in example.given.as_object().unwrap().keys() {
                assert!(
                    fields.iter().any(|(name, _)| name == key),
                    "{key}: {fields:?}"
                );
            }
        }
    }
}

/// The bundled reference data as each bundled policy validates it, for `Policy::decide`.
static BUNDLED_DATA: LazyLock<Vec<procura::ReferenceData>> = LazyLock::new(|| {
    let reference: Json =
        serde_json::from_str(&std::fs::read_to_string("rules/data/reference.json").unwrap())
            .unwrap();
    ALL_BUNDLED
        .iter()
        .map(|c| {
            (c.policy.reference_data(Some(&reference)))
                .or_else(|_| c.policy.reference_data(None))
                .unwrap()
        })
        .collect()
});

/// `Policy::decide` is `evaluate(..).decision`, whatever is missing.
fn assert_decide_agrees(
    policy: &Policy,
    data: &procura::ReferenceData,
    record: &Json,
    today: Date,
) {
    let input = policy.input(record).unwrap();
    let report = policy.evaluate(&input, data, today).unwrap();
    assert_eq!(
        policy.decide(&input, data, today).unwrap(),
        report.decision,
        "{record}"
    );
}

#[test]
fn decide_agrees_with_every_bundled_example() {
    let mut count = 0;
    for compiled in ALL_BUNDLED.iter() {
        let policy = &compiled.policy;
        let examples = examples(&compiled.source);
        // Every example block was found and read.
        assert_eq!(
            examples.len(),
            policy.run_examples(today()).len(),
            "{}",
            &compiled.source[..80]
        );
        for example in examples {
            let input = policy.input(&example.given).unwrap();
            let data = policy.reference_data(example.data.as_ref()).unwrap();
            let today = example.as_of.unwrap_or_else(today);
            let report = policy.evaluate(&input, &data, today).unwrap();
            let decision = policy.decide(&input, &data, today).unwrap();
            assert_eq!(decision, report.decision, "example `{}`", example.title);
            count += 1;
        }
    }
    assert!(count >= 10, "only {count} examples");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decide_agrees_with_the_report(seed in any::<u64>()) {
        let mut rng = Rng(seed | 1);
        let data = serde_json::json!({"sanctioned": {"RU": true}});
        let test_data = TEST_POLICY.policy.reference_data(Some(&data)).unwrap();
        let mut cases = vec![(&*TEST_POLICY, &test_data)];
        cases.extend(ALL_BUNDLED.iter().zip(BUNDLED_DATA.iter()));
        for (compiled, data) in cases {
            let full = generate(&compiled.input, &mut rng);
            let partial = remove_some(&full, &mut rng);
            assert_decide_agrees(&compiled.policy, data, &full, today());
            assert_decide_agrees(&compiled.policy, data, &partial, today());
        }
    }
}

// ---------------------------------------------------------------- reading the source

/// The shape of an input value. The public API exposes no types, so the test reads a policy's
/// `input` and `type` items from its source, in the grammar of LANGUAGE.md §4 (`number`,
/// `text`, `bool`, `date`, type names, `[T]`, `{ field: T ... }`, `T?`, literal unions,
/// parentheses).
#[derive(Debug, Clone)]
enum Shape {
    Number,
    Text,
    Bool,
    Date,
    Union(Vec<String>),
    List(Box<Shape>),
    Record(Vec<(String, Shape)>),
    Optional(Box<Shape>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Punct(char),
    Other,
}

/// A policy's tokens, comments and whitespace skipped, each with the byte offsets where it
/// starts and ends.
struct Tokens {
    tokens: Vec<Token>,
    spans: Vec<(usize, usize)>,
}

impl Tokens {
    fn new(source: &str) -> Tokens {
        let bytes = source.as_bytes();
        let (mut tokens, mut spans) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < bytes.len() {
            let (c, start) = (bytes[i], i);
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if c == b'#' {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            let token = if c == b'"' {
                i += 1;
                let mut text = Vec::new();
                while bytes[i] != b'"' {
                    i += usize::from(bytes[i] == b'\\');
                    text.push(bytes[i]);
                    i += 1;
                }
                i += 1;
                Token::Str(String::from_utf8(text).unwrap())
            } else if c.is_ascii_alphabetic() || c == b'_' {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                Token::Name(source[start..i].to_owned())
            } else if c.is_ascii_punctuation() {
                i += 1;
                Token::Punct(c as char)
            } else {
                i += source[i..].chars().next().unwrap().len_utf8();
                Token::Other
            };
            tokens.push(token);
            spans.push((start, i));
        }
        Tokens { tokens, spans }
    }

    fn is_name(&self, at: usize, word: &str) -> bool {
        self.tokens.get(at) == Some(&Token::Name(word.to_owned()))
    }

    fn is_punct(&self, at: usize, c: char) -> bool {
        self.tokens.get(at) == Some(&Token::Punct(c))
    }

    /// The indices of the tokens at nesting depth 0, where items start.
    fn top_level(&self) -> Vec<usize> {
        let mut depth = 0;
        let mut top = Vec::new();
        for (i, token) in self.tokens.iter().enumerate() {
            match token {
                Token::Punct('{' | '[' | '(') => depth += 1,
                Token::Punct('}' | ']' | ')') => depth -= 1,
                _ if depth == 0 => top.push(i),
                _ => {}
            }
        }
        top
    }

    /// The index of the bracket closing the one at `open`.
    fn closing(&self, open: usize) -> usize {
        let mut depth = 0;
        for i in open.. {
            match self.tokens[i] {
                Token::Punct('{' | '[' | '(') => depth += 1,
                Token::Punct('}' | ']' | ')') => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                return i;
            }
        }
        unreachable!()
    }
}

/// Reads type expressions; `types` maps each `type` item's name to the index of its first
/// token after `=`.
struct Types<'t> {
    tokens: &'t Tokens,
    types: HashMap<String, usize>,
}

impl Types<'_> {
    /// The shape of the type expression at `*at`, which moves past it.
    fn shape(&self, at: &mut usize) -> Shape {
        let token = self.tokens.tokens[*at].clone();
        *at += 1;
        let mut shape = match token {
            Token::Punct('[') => {
                let element = self.shape(at);
                *at += 1;
                Shape::List(Box::new(element))
            }
            Token::Punct('(') => {
                let inner = self.shape(at);
                *at += 1;
                inner
            }
            Token::Punct('{') => Shape::Record(self.fields(at)),
            Token::Str(first) => {
                let mut members = vec![first];
                while self.tokens.is_punct(*at, '|') {
                    match &self.tokens.tokens[*at + 1] {
                        Token::Str(member) => members.push(member.clone()),
                        other => panic!("a union member, not {other:?}"),
                    }
                    *at += 2;
                }
                Shape::Union(members)
            }
            Token::Name(name) => match name.as_str() {
                "number" => Shape::Number,
                "text" => Shape::Text,
                "bool" => Shape::Bool,
                "date" => Shape::Date,
                _ => self.shape(&mut self.types[&name].clone()),
            },
            other => panic!("a type, not {other:?}"),
        };
        while self.tokens.is_punct(*at, '?') {
            *at += 1;
            shape = Shape::Optional(Box::new(shape));
        }
        shape
    }

    /// The fields of a record whose `{` is before `*at`; `*at` moves past its `}`.
    fn fields(&self, at: &mut usize) -> Vec<(String, Shape)> {
        let mut fields = Vec::new();
        loop {
            let token = self.tokens.tokens[*at].clone();
            *at += 1;
            let name = match token {
                Token::Punct('}') => return fields,
                Token::Punct(',') => continue,
                Token::Name(name) | Token::Str(name) => name,
                other => panic!("a field name, not {other:?}"),
            };
            assert!(self.tokens.is_punct(*at, ':'), "`:` after field `{name}`");
            *at += 1;
            fields.push((name, self.shape(at)));
        }
    }
}

/// The shape of the policy's `input` record, its `type` names resolved.
fn input_shape(source: &str) -> Shape {
    let tokens = Tokens::new(source);
    let mut types = HashMap::new();
    let mut input = None;
    for i in tokens.top_level() {
        if tokens.is_name(i, "type") && tokens.is_punct(i + 2, '=') {
            if let Token::Name(name) = &tokens.tokens[i + 1] {
                types.insert(name.clone(), i + 3);
            }
        } else if tokens.is_name(i, "input") && tokens.is_punct(i + 2, '{') {
            input = Some(i + 3);
        }
    }
    let types = Types {
        tokens: &tokens,
        types,
    };
    Shape::Record(types.fields(&mut input.expect("an input item")))
}

/// An `example` block: its record, reference data and date.
struct Example {
    title: String,
    given: Json,
    data: Option<Json>,
    as_of: Option<Date>,
}

/// The `example` blocks of a policy.
fn examples(source: &str) -> Vec<Example> {
    let tokens = Tokens::new(source);
    // The JSON object whose `{` is token `open`.
    let json = |open: usize| {
        let (start, _) = tokens.spans[open];
        let (_, end) = tokens.spans[tokens.closing(open)];
        serde_json::from_str::<Json>(&source[start..end]).unwrap()
    };
    let mut examples = Vec::new();
    for i in tokens.top_level() {
        let Some(Token::Str(title)) = tokens.tokens.get(i + 1) else {
            continue;
        };
        if !tokens.is_name(i, "example") || !tokens.is_punct(i + 2, '{') {
            continue;
        }
        let mut example = Example {
            title: title.clone(),
            given: Json::Null,
            data: None,
            as_of: None,
        };
        let mut at = i + 3;
        let end = tokens.closing(i + 2);
        while at < end {
            if tokens.is_name(at, "given") {
                example.given = json(at + 1);
                at = tokens.closing(at + 1);
            } else if tokens.is_name(at, "data") && tokens.is_punct(at + 1, '{') {
                example.data = Some(json(at + 1));
                at = tokens.closing(at + 1);
            } else if tokens.is_name(at, "as_of") {
                let (_, after) = tokens.spans[at];
                let date = source[after..].trim_start();
                example.as_of = Some(Date::parse(&date[..10]).unwrap());
            }
            at += 1;
        }
        examples.push(example);
    }
    examples
}
