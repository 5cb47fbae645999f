//! The onboarding decision in each engine. Every engine gets its inputs converted once, up
//! front, to its own value type, and answers `approve`, `review`, `reject` or `incomplete`
//! with the precedence of LANGUAGE.md §6: any rejection, then any missing rule, then any
//! review; warnings (a stale CMRT) do not change the decision.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use crate::workloads::{CPI, Category, RmapStatus, SANCTIONED, Supplier};

pub trait Engine {
    fn name(&self) -> &str;
    /// The decision for every supplier, in order.
    fn decide_all(&mut self) -> Vec<&'static str>;
}

pub fn all(suppliers: &[serde_json::Value]) -> Vec<Box<dyn Engine>> {
    vec![
        Box::new(Procura::new(POLICY, suppliers, true)),
        Box::new(Procura::new(POLICY, suppliers, false)),
        Box::new(HandWritten::new(suppliers)),
        Box::new(Zen::new(suppliers)),
        Box::new(Cel::new(suppliers)),
        Box::new(Rego::new(suppliers)),
        Box::new(Cedar::new(suppliers)),
    ]
}

const POLICY: &str = include_str!("../../../rules/onboarding.policy");
const CRIMINAL: [&str; 3] = ["human_trafficking", "forced_labour", "money_laundering"];
const CONFLICT: [&str; 5] = ["tin", "tantalum", "tungsten", "gold", "cobalt"];

fn today() -> procura::Date {
    procura::Date::parse("2025-06-01").expect("a valid date")
}

/// The second workload: the onboarding policy with an unknown country's CPI read as -1
/// (`cpi[supplier.country] ?? -1`, so such suppliers go to review rather than stay
/// incomplete), against a hand-written function that reads the CPI from a dense array. Its
/// suppliers have 0 to 20 smelters each.
pub fn dense(suppliers: &[serde_json::Value]) -> Vec<Box<dyn Engine>> {
    let lookup = "let country_cpi = cpi[supplier.country]\n";
    assert!(
        POLICY.contains(lookup),
        "the onboarding policy reads the CPI as expected"
    );
    let policy = POLICY.replace(lookup, "let country_cpi = cpi[supplier.country] ?? -1\n");
    let policy: &'static str = policy.leak();
    vec![
        Box::new(Procura::new(policy, suppliers, true)),
        Box::new(Procura::new(policy, suppliers, false)),
        Box::new(DenseHandWritten::new(suppliers)),
    ]
}

/// `Policy::evaluate` (the full report) when `report`, else `Policy::decide`.
struct Procura {
    /// The decision of every input, validated once by `new`; a closure, as the validated
    /// record's type is the engine's own and not named by its public API.
    decide_all: Box<dyn Fn() -> Vec<&'static str>>,
    report: bool,
}

impl Procura {
    fn new(source: &str, suppliers: &[serde_json::Value], report: bool) -> Procura {
        let policy = procura::compile(source).expect("the policy compiles");
        let data = policy
            .reference_data(Some(&crate::workloads::reference_data()))
            .expect("valid reference data");
        let inputs: Vec<_> = suppliers
            .iter()
            .map(|s| policy.input(s).expect("a valid supplier"))
            .collect();
        let decide_all = move || {
            let today = today();
            let decide = |input| match report {
                true => (policy.evaluate(input, &data, today)).map(|report| report.decision),
                false => policy.decide(input, &data, today),
            };
            (inputs.iter())
                .map(|input| decide(input).map_or("error", |decision| decision.as_str()))
                .collect()
        };
        Procura {
            decide_all: Box::new(decide_all),
            report,
        }
    }
}

impl Engine for Procura {
    fn name(&self) -> &str {
        if self.report {
            "procura full report (validated input)"
        } else {
            "procura decide (validated input)"
        }
    }

    fn decide_all(&mut self) -> Vec<&'static str> {
        (self.decide_all)()
    }
}

/// The lower bound: the rules written by hand over typed structs.
struct HandWritten {
    cpi: HashMap<&'static str, f64>,
    sanctioned: HashSet<&'static str>,
    suppliers: Vec<Supplier>,
}

impl HandWritten {
    fn new(suppliers: &[serde_json::Value]) -> HandWritten {
        HandWritten {
            cpi: CPI.iter().map(|(c, n)| (*c, f64::from(*n))).collect(),
            sanctioned: SANCTIONED.into_iter().collect(),
            suppliers: suppliers
                .iter()
                .map(|s| serde_json::from_value(s.clone()).expect("a valid supplier"))
                .collect(),
        }
    }

    fn decide(&self, s: &Supplier) -> &'static str {
        self.decide_with(s, |country| self.cpi.get(country).copied())
    }

    /// The rules, with the CPI of a country read by `cpi` (`None`: unknown, so incomplete).
    #[inline(always)]
    fn decide_with(&self, s: &Supplier, cpi: impl Fn(&str) -> Option<f64>) -> &'static str {
        let certified = s
            .certifications
            .iter()
            .any(|c| c == "ISO14001" || c == "EMAS");
        let reject = s.flags.iter().any(|f| CRIMINAL.contains(&f.as_str()))
            || self.sanctioned.contains(s.country.as_str())
            || (matches!(s.category, Category::Manufacturing | Category::Chemicals) && !certified);
        if reject {
            return "reject";
        }
        let strategic = s.annual_spend >= 500_000.0;
        let cpi = cpi(&s.country);
        if cpi.is_none()
            || (strategic && s.ecovadis.is_none())
            || (!s.smelters.is_empty() && s.cmrt_date.is_none())
        {
            return "incomplete";
        }
        let weak_rating = s.ecovadis.as_ref().is_some_and(|e| {
            let score = 0.25
                * (e.environment + e.labor_human_rights + e.ethics + e.sustainable_procurement);
            score < 45.0 || e.ethics < 40.0
        });
        let open_smelter = s.smelters.iter().any(|smelter| {
            CONFLICT.contains(&smelter.metal.as_str())
                && !matches!(smelter.rmap_status, RmapStatus::Conformant)
        });
        if cpi.is_some_and(|cpi| cpi < 40.0)
            || !s.guidelines_confirmed
            || (strategic && weak_rating)
            || open_smelter
        {
            "review"
        } else {
            "approve"
        }
    }
}

impl Engine for HandWritten {
    fn name(&self) -> &str {
        "hand-written Rust over typed structs"
    }

    fn decide_all(&mut self) -> Vec<&'static str> {
        self.suppliers.iter().map(|s| self.decide(s)).collect()
    }
}

/// The second workload's lower bound: the CPI in a dense array indexed by the country code's
/// two letters (-1 where the table has none), the smelters' metals and statuses compared as
/// the hand-written function above compares them.
struct DenseHandWritten {
    rules: HandWritten,
    cpi: Box<[f64; 26 * 26]>,
}

impl DenseHandWritten {
    fn new(suppliers: &[serde_json::Value]) -> DenseHandWritten {
        let mut cpi = Box::new([-1.0; 26 * 26]);
        for (country, score) in CPI {
            if let Some(index) = country_index(country) {
                cpi[index] = f64::from(score);
            }
        }
        DenseHandWritten {
            rules: HandWritten::new(suppliers),
            cpi,
        }
    }

    fn decide(&self, s: &Supplier) -> &'static str {
        (self.rules).decide_with(s, |country| {
            Some(country_index(country).map_or(-1.0, |index| self.cpi[index]))
        })
    }
}

/// The position of a two-letter upper-case country code in a 26 × 26 array.
fn country_index(country: &str) -> Option<usize> {
    match country.as_bytes() {
        &[a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => {
            Some(usize::from(a - b'A') * 26 + usize::from(b - b'A'))
        }
        _ => None,
    }
}

impl Engine for DenseHandWritten {
    fn name(&self) -> &str {
        "hand-written Rust, CPI in a dense array"
    }

    fn decide_all(&mut self) -> Vec<&'static str> {
        self.rules
            .suppliers
            .iter()
            .map(|s| self.decide(s))
            .collect()
    }
}

fn decision(text: &str) -> &'static str {
    match text {
        "approve" => "approve",
        "review" => "review",
        "reject" => "reject",
        "incomplete" => "incomplete",
        _ => "unexpected",
    }
}

/// The tables as JSON objects, for the engines that look them up by key.
fn tables() -> (serde_json::Value, serde_json::Value) {
    let cpi: serde_json::Map<String, serde_json::Value> = CPI
        .iter()
        .map(|(c, n)| (c.to_string(), (*n).into()))
        .collect();
    let sanctioned = crate::workloads::reference_data()["sanctioned"].clone();
    (cpi.into(), sanctioned)
}

/// One ZEN expression, compiled once; the context holds the supplier and both tables.
struct Zen {
    expression: zen_expression::Expression<zen_expression::expression::Standard>,
    vm: zen_expression::vm::VM,
    contexts: Vec<zen_expression::Variable>,
}

const ZEN: &str = "some(supplier.flags, # in ['human_trafficking', 'forced_labour', 'money_laundering']) \
    or sanctioned[supplier.country] == true \
    or (supplier.category in ['manufacturing', 'chemicals'] and not some(supplier.certifications, # in ['ISO14001', 'EMAS'])) \
    ? 'reject' \
    : cpi[supplier.country] == null \
      or (supplier.annual_spend >= 500000 and supplier.ecovadis == null) \
      or (len(supplier.smelters) > 0 and supplier.cmrt_date == null) \
    ? 'incomplete' \
    : cpi[supplier.country] < 40 \
      or supplier.guidelines_confirmed == false \
      or (supplier.annual_spend >= 500000 and ((supplier.ecovadis.environment + supplier.ecovadis.labor_human_rights + supplier.ecovadis.ethics + supplier.ecovadis.sustainable_procurement) * 0.25 < 45 or supplier.ecovadis.ethics < 40)) \
      or some(supplier.smelters, #.metal in ['tin', 'tantalum', 'tungsten', 'gold', 'cobalt'] and #.rmap_status != 'conformant') \
    ? 'review' : 'approve'";

impl Zen {
    fn new(suppliers: &[serde_json::Value]) -> Zen {
        let (cpi, sanctioned) = tables();
        Zen {
            expression: zen_expression::compile_expression(ZEN).expect("the ZEN expression"),
            vm: zen_expression::vm::VM::new(),
            contexts: suppliers
                .iter()
                .map(|s| {
                    serde_json::json!({"supplier": s, "cpi": cpi, "sanctioned": sanctioned}).into()
                })
                .collect(),
        }
    }
}

impl Engine for Zen {
    fn name(&self) -> &str {
        "zen-expression (precompiled, reused VM)"
    }

    fn decide_all(&mut self) -> Vec<&'static str> {
        self.contexts
            .iter()
            .map(
                |context| match self.expression.evaluate_with(context.clone(), &mut self.vm) {
                    Ok(zen_expression::Variable::String(s)) => decision(&s),
                    _ => "error",
                },
            )
            .collect()
    }
}

/// One CEL expression, compiled once; `has()` tells absent optional fields.
struct Cel {
    program: cel_interpreter::Program,
    suppliers: Vec<cel_interpreter::Value>,
    cpi: cel_interpreter::Value,
    sanctioned: cel_interpreter::Value,
}

const CEL: &str = "supplier.flags.exists(f, f in ['human_trafficking', 'forced_labour', 'money_laundering']) \
    || supplier.country in sanctioned \
    || (supplier.category in ['manufacturing', 'chemicals'] && !supplier.certifications.exists(c, c in ['ISO14001', 'EMAS'])) \
    ? 'reject' \
    : !(supplier.country in cpi) \
      || (supplier.annual_spend >= 500000.0 && !has(supplier.ecovadis)) \
      || (size(supplier.smelters) > 0 && !has(supplier.cmrt_date)) \
    ? 'incomplete' \
    : cpi[supplier.country] < 40.0 \
      || !supplier.guidelines_confirmed \
      || (supplier.annual_spend >= 500000.0 && ((supplier.ecovadis.environment + supplier.ecovadis.labor_human_rights + supplier.ecovadis.ethics + supplier.ecovadis.sustainable_procurement) * 0.25 < 45.0 || supplier.ecovadis.ethics < 40.0)) \
      || supplier.smelters.exists(s, s.metal in ['tin', 'tantalum', 'tungsten', 'gold', 'cobalt'] && s.rmap_status != 'conformant') \
    ? 'review' : 'approve'";

/// JSON to CEL with every number a double, as in Procura (CEL does not compare int and double).
fn cel_value(json: &serde_json::Value) -> cel_interpreter::Value {
    use cel_interpreter::Value;
    use std::sync::Arc;
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(items) => {
            Value::List(Arc::new(items.iter().map(cel_value).collect()))
        }
        serde_json::Value::Object(fields) => {
            let map: HashMap<cel_interpreter::objects::Key, Value> = fields
                .iter()
                .map(|(k, v)| {
                    (
                        cel_interpreter::objects::Key::String(Arc::new(k.clone())),
                        cel_value(v),
                    )
                })
                .collect();
            Value::Map(cel_interpreter::objects::Map { map: Arc::new(map) })
        }
    }
}

impl Cel {
    fn new(suppliers: &[serde_json::Value]) -> Cel {
        let (cpi, sanctioned) = tables();
        Cel {
            program: cel_interpreter::Program::compile(CEL).expect("the CEL expression"),
            suppliers: suppliers.iter().map(cel_value).collect(),
            cpi: cel_value(&cpi),
            sanctioned: cel_value(&sanctioned),
        }
    }
}

impl Engine for Cel {
    fn name(&self) -> &str {
        "cel-interpreter (precompiled)"
    }

    fn decide_all(&mut self) -> Vec<&'static str> {
        self.suppliers
            .iter()
            .map(|supplier| {
                let mut context = cel_interpreter::Context::default();
                context.add_variable_from_value("supplier", supplier.clone());
                context.add_variable_from_value("cpi", self.cpi.clone());
                context.add_variable_from_value("sanctioned", self.sanctioned.clone());
                match self.program.execute(&context) {
                    Ok(cel_interpreter::Value::String(s)) => decision(&s),
                    _ => "error",
                }
            })
            .collect()
    }
}

/// A Rego module; the tables are `data`, the supplier is `input`.
struct Rego {
    engine: regorus::Engine,
    inputs: Vec<regorus::Value>,
}

const REGO: &str = r#"
package onboarding

import rego.v1

criminal := {"human_trafficking", "forced_labour", "money_laundering"}

conflict := {"tin", "tantalum", "tungsten", "gold", "cobalt"}

strategic if input.annual_spend >= 500000

certified if {
	some c in input.certifications
	c in {"ISO14001", "EMAS"}
}

reject if {
	some f in input.flags
	f in criminal
}

reject if data.sanctioned[input.country]

reject if {
	input.category in {"manufacturing", "chemicals"}
	not certified
}

incomplete if not data.cpi[input.country]

incomplete if {
	strategic
	not input.ecovadis
}

incomplete if {
	count(input.smelters) > 0
	not input.cmrt_date
}

review if data.cpi[input.country] < 40

review if input.guidelines_confirmed == false

review if {
	strategic
	rating := input.ecovadis
	sum([rating.environment, rating.labor_human_rights, rating.ethics, rating.sustainable_procurement]) * 0.25 < 45
}

review if {
	strategic
	input.ecovadis.ethics < 40
}

review if {
	some s in input.smelters
	s.metal in conflict
	s.rmap_status != "conformant"
}

default decision := "approve"

decision := "reject" if reject
else := "incomplete" if incomplete
else := "review" if review
"#;

impl Rego {
    fn new(suppliers: &[serde_json::Value]) -> Rego {
        let (cpi, sanctioned) = tables();
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("onboarding.rego".to_owned(), REGO.to_owned())
            .expect("the Rego module");
        let data = serde_json::json!({"cpi": cpi, "sanctioned": sanctioned});
        engine
            .add_data(regorus::Value::from_json_str(&data.to_string()).expect("data"))
            .expect("data");
        Rego {
            engine,
            inputs: suppliers
                .iter()
                .map(|s| regorus::Value::from_json_str(&s.to_string()).expect("input"))
                .collect(),
        }
    }
}

impl Engine for Rego {
    fn name(&self) -> &str {
        "regorus (Rego)"
    }

    fn decide_all(&mut self) -> Vec<&'static str> {
        let mut out = Vec::with_capacity(self.inputs.len());
        for input in &self.inputs {
            self.engine.set_input(input.clone());
            out.push(
                match self.engine.eval_rule("data.onboarding.decision".to_owned()) {
                    Ok(value) => value.as_string().map_or("error", |s| decision(s)),
                    Err(error) => {
                        if std::env::var_os("COMPARE_DEBUG").is_some() {
                            eprintln!("regorus: {error:?}");
                        }
                        "error"
                    }
                },
            );
        }
        out
    }
}

/// Cedar policies, one `permit` per way to fail a rule; the decision is read from the set of
/// policies that applied (`reason`). Cedar has no quantifiers over sets of records, so the host
/// passes the smelters as a set of `metal:status` strings; countries are entities carrying
/// their CPI and sanction flag.
struct Cedar {
    authorizer: cedar_policy::Authorizer,
    policies: cedar_policy::PolicySet,
    entities: cedar_policy::Entities,
    requests: Vec<cedar_policy::Request>,
    /// The decision each policy id stands for.
    kinds: HashMap<cedar_policy::PolicyId, &'static str>,
}

const CEDAR: [(&str, &str); 9] = [
    (
        "reject",
        r#"context.flags.containsAny(["human_trafficking", "forced_labour", "money_laundering"])"#,
    ),
    ("reject", "context.country.sanctioned"),
    (
        "reject",
        r#"["manufacturing", "chemicals"].contains(context.category) && !context.certifications.containsAny(["ISO14001", "EMAS"])"#,
    ),
    (
        "incomplete",
        "context.annual_spend >= 500000 && !(context has ecovadis)",
    ),
    (
        "incomplete",
        "context.smelters != [] && !(context has cmrt_date)",
    ),
    ("review", "context.country.cpi < 40"),
    ("review", "!context.guidelines_confirmed"),
    (
        "review",
        "context.annual_spend >= 500000 && context has ecovadis && (context.ecovadis.environment + context.ecovadis.labor_human_rights + context.ecovadis.ethics + context.ecovadis.sustainable_procurement < 180 || context.ecovadis.ethics < 40)",
    ),
    (
        "review",
        r#"context.smelters.containsAny(["tin:active", "tin:not_enrolled", "tantalum:active", "tantalum:not_enrolled", "tungsten:active", "tungsten:not_enrolled", "gold:active", "gold:not_enrolled", "cobalt:active", "cobalt:not_enrolled"])"#,
    ),
];

impl Cedar {
    fn new(suppliers: &[serde_json::Value]) -> Cedar {
        let mut policies = cedar_policy::PolicySet::new();
        let mut kinds = HashMap::new();
        for (i, (kind, condition)) in CEDAR.iter().enumerate() {
            let id = cedar_policy::PolicyId::new(format!("{kind}{i}"));
            let text = format!("permit(principal, action, resource) when {{ {condition} }};");
            let policy =
                cedar_policy::Policy::parse(Some(id.clone()), &text).expect("a Cedar policy");
            policies.add(policy).expect("a unique id");
            kinds.insert(id, *kind);
        }
        let countries: Vec<serde_json::Value> = CPI
            .iter()
            .map(|(country, cpi)| {
                serde_json::json!({
                    "uid": {"type": "Country", "id": country},
                    "attrs": {"cpi": cpi, "sanctioned": SANCTIONED.contains(country)},
                    "parents": [],
                })
            })
            .collect();
        let entities =
            cedar_policy::Entities::from_json_value(countries.into(), None).expect("entities");
        let uid = |text: &str| cedar_policy::EntityUid::from_str(text).expect("an entity uid");
        let requests = suppliers
            .iter()
            .map(|s| {
                let mut context = s.clone();
                let smelters: Vec<String> = s["smelters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|m| {
                        format!(
                            "{}:{}",
                            m["metal"].as_str().unwrap_or(""),
                            m["rmap_status"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                context["smelters"] = smelters.into();
                context["country"] =
                    serde_json::json!({"__entity": {"type": "Country", "id": s["country"]}});
                let context =
                    cedar_policy::Context::from_json_value(context, None).expect("a context");
                cedar_policy::Request::new(
                    uid(r#"Buyer::"procurement""#),
                    uid(r#"Action::"onboard""#),
                    uid(r#"Supplier::"candidate""#),
                    context,
                    None,
                )
                .expect("a request")
            })
            .collect();
        Cedar {
            authorizer: cedar_policy::Authorizer::new(),
            policies,
            entities,
            requests,
            kinds,
        }
    }
}

impl Engine for Cedar {
    fn name(&self) -> &str {
        "cedar-policy (reasons of one authorization)"
    }

    fn decide_all(&mut self) -> Vec<&'static str> {
        self.requests
            .iter()
            .map(|request| {
                let response =
                    self.authorizer
                        .is_authorized(request, &self.policies, &self.entities);
                let mut decision = "approve";
                for id in response.diagnostics().reason() {
                    let kind = self.kinds.get(id).copied().unwrap_or("error");
                    let rank = |d: &str| {
                        ["approve", "review", "incomplete", "reject", "error"]
                            .iter()
                            .position(|k| *k == d)
                    };
                    if rank(kind) > rank(decision) {
                        decision = kind;
                    }
                }
                decision
            })
            .collect()
    }
}

/// Rows that start from a parsed `serde_json::Value`, as a Rust service that already holds
/// parsed JSON has it: converting it to the engine's input, no decision.
pub fn from_values(suppliers: &[serde_json::Value]) -> Vec<(String, Box<dyn FnMut() + '_>)> {
    let policy = procura::compile(POLICY).expect("the onboarding policy compiles");
    vec![
        (
            "procura Policy::input of a serde_json::Value (no decision)".to_owned(),
            Box::new(move || {
                for supplier in suppliers {
                    std::hint::black_box(policy.input(supplier).expect("a valid supplier"));
                }
            }),
        ),
        (
            "serde derive of typed structs from a serde_json::Value".to_owned(),
            Box::new(move || {
                for supplier in suppliers {
                    let typed = <Supplier as serde::Deserialize>::deserialize(supplier);
                    std::hint::black_box(typed.expect("a valid supplier"));
                }
            }),
        ),
    ]
}

/// Rows that start from JSON text: what a server or form handler does per request.
pub fn from_text(texts: &[String]) -> Vec<(String, Box<dyn FnMut() + '_>)> {
    let policy = procura::compile(POLICY).expect("the onboarding policy compiles");
    let data = policy
        .reference_data(Some(&crate::workloads::reference_data()))
        .expect("valid reference data");
    let hand = HandWritten::new(&[]);
    let today = today();
    vec![
        (
            "serde_json::from_str::<Value> alone (no decision)".to_owned(),
            Box::new(move || {
                for text in texts {
                    let json: serde_json::Value = serde_json::from_str(text).expect("JSON");
                    std::hint::black_box(json);
                }
            }),
        ),
        (
            "hand-written Rust, serde into typed structs".to_owned(),
            Box::new(move || {
                for text in texts {
                    let supplier: Supplier = serde_json::from_str(text).expect("JSON");
                    std::hint::black_box(hand.decide(&supplier));
                }
            }),
        ),
        (
            "procura from JSON text, fused conversion, Policy::decide".to_owned(),
            Box::new({
                let policy = policy.clone();
                let data = data.clone();
                move || {
                    for text in texts {
                        let input = policy.input_from_str(text).expect("a valid supplier");
                        let decision = policy.decide(&input, &data, today);
                        std::hint::black_box(decision.expect("within the budget"));
                    }
                }
            }),
        ),
        (
            "procura from JSON text to report JSON text".to_owned(),
            Box::new(move || {
                let mut json = String::new();
                for text in texts {
                    let input = policy.input_from_str(text).expect("a valid supplier");
                    json.clear();
                    let report = policy.evaluate(&input, &data, today);
                    report.expect("within the budget").write_json(&mut json);
                    std::hint::black_box(&json);
                }
            }),
        ),
    ]
}
