//! LANGUAGE.md §5 monotonicity: in a policy that does not use `??`, `is missing` or
//! `is present`, supplying a missing value never changes a rule outcome that was already
//! `passed`, `failed` or `not_applicable`.
//!
//! For each policy, random complete inputs are generated from its `input` declaration; a copy
//! with random fields removed (at every depth) is evaluated too, and every decided outcome of
//! the partial input must equal the outcome on the complete one.

use std::sync::{Arc, LazyLock};

use procura::ast::Outcome;
use procura::types::{RecordType, Type};
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
rule arithmetic "Arithmetic" {
  require round(supplier.annual_spend / (supplier.employees + 1), 1) * 2 - 3 % 2 < 1_000_000 and len(lower(trim(supplier.name))) > 0
  else warn "ratio"
}
"#;

static TEST_POLICY: LazyLock<Policy> = LazyLock::new(|| procura::compile(POLICY).unwrap());

/// The bundled policies that use none of `??`, `is missing` and `is present`.
static BUNDLED: LazyLock<Vec<Policy>> = LazyLock::new(|| {
    let mut policies = Vec::new();
    for entry in std::fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "policy") {
            let source = std::fs::read_to_string(&path).unwrap();
            if !["??", "is missing", "is present"]
                .iter()
                .any(|op| source.contains(op))
            {
                policies.push(procura::compile(&source).unwrap());
            }
        }
    }
    policies
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

fn generate(ty: &Type, rng: &mut Rng) -> Json {
    match ty {
        Type::Number => Json::from(*rng.pick(NUMBERS)),
        Type::Text => Json::from(*rng.pick(TEXTS)),
        Type::Bool => Json::from(rng.below(2) == 0),
        Type::Date => Json::from(*rng.pick(DATES)),
        Type::Union(members) => Json::from(&**rng.pick(members)),
        Type::List(element) => {
            Json::Array((0..rng.below(4)).map(|_| generate(element, rng)).collect())
        }
        Type::Record(record) => generate_record(record, rng),
        Type::Optional(inner) => generate(inner, rng),
        other => panic!("inputs have no values of type {other}"),
    }
}

fn generate_record(record: &Arc<RecordType>, rng: &mut Rng) -> Json {
    let fields: Map<String, Json> = record
        .fields
        .iter()
        .map(|f| (f.name.to_string(), generate(&f.ty, rng)))
        .collect();
    Json::Object(fields)
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

fn assert_monotone(policy: &Policy, seed: u64) {
    let mut rng = Rng(seed | 1);
    let full = generate_record(&policy.program().input.record, &mut rng);
    let partial = remove_some(&full, &mut rng);
    let data = serde_json::json!({"sanctioned": {"RU": true}});
    let complete = policy.evaluate_json(&full, Some(&data), today()).unwrap();
    let incomplete = policy
        .evaluate_json(&partial, Some(&data), today())
        .unwrap();
    let rules = policy.program().rules.iter();
    for ((rule, before), after) in rules.zip(&incomplete.rules).zip(&complete.rules) {
        if before.outcome != Outcome::Missing {
            assert_eq!(
                before.outcome, after.outcome,
                "rule `{}` was {:?} on the partial input {partial} but {:?} on the complete input {full}",
                rule.name, before.outcome, after.outcome
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

/// Every bundled policy with the bundled reference data, for `Policy::decide`.
static ALL_BUNDLED: LazyLock<Vec<(Policy, procura::ReferenceData)>> = LazyLock::new(|| {
    let reference: Json =
        serde_json::from_str(&std::fs::read_to_string("rules/data/reference.json").unwrap())
            .unwrap();
    let mut policies = Vec::new();
    for entry in std::fs::read_dir("rules").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "policy") {
            let policy = procura::compile(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let data = policy
                .reference_data(Some(&reference))
                .or_else(|_| policy.reference_data(None))
                .unwrap();
            policies.push((policy, data));
        }
    }
    policies
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
    let mut examples = 0;
    for (policy, _) in ALL_BUNDLED.iter() {
        for example in &policy.program().examples {
            let input = policy.input(&example.given).unwrap();
            let data = policy.reference_data(example.data.as_ref()).unwrap();
            let today = example.as_of.unwrap_or_else(today);
            let report = policy.evaluate(&input, &data, today).unwrap();
            let decision = policy.decide(&input, &data, today).unwrap();
            assert_eq!(decision, report.decision, "example `{}`", example.title);
            examples += 1;
        }
    }
    assert!(examples >= 10, "only {examples} examples");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decide_agrees_with_the_report(seed in any::<u64>()) {
        let mut rng = Rng(seed | 1);
        let data = serde_json::json!({"sanctioned": {"RU": true}});
        let test_data = TEST_POLICY.reference_data(Some(&data)).unwrap();
        let mut cases = vec![(&*TEST_POLICY, &test_data)];
        cases.extend(ALL_BUNDLED.iter().map(|(policy, data)| (policy, data)));
        for (policy, data) in cases {
            let full = generate_record(&policy.program().input.record, &mut rng);
            let partial = remove_some(&full, &mut rng);
            assert_decide_agrees(policy, data, &full, today());
            assert_decide_agrees(policy, data, &partial, today());
        }
    }
}
