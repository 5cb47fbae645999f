//! Deterministic benchmark workloads, generated in the repository (no downloads).
//! Shared by the bench targets through `#[path]`; every function is a pure function of its
//! arguments, so each run measures the same policies and suppliers.

/// A realistic policy of roughly `lines` lines: the onboarding input, a CPI table, and then
/// repeated blocks of lets, scores and rules that read the input, tables and earlier lets.
#[allow(dead_code)]
pub fn policy_of_lines(lines: usize) -> String {
    let mut out = String::from(
        r#"policy "Generated screening policy" version "bench"

input supplier {
  name: text
  country: text
  category: "manufacturing" | "chemicals" | "logistics" | "services"
  annual_spend: number
  certifications: [text]
  flags: [text]
  guidelines_confirmed: bool
  ecovadis: Ecovadis?
  smelters: [Smelter]
  cmrt_date: date?
}

type Ecovadis = {
  environment: number
  labor_human_rights: number
  ethics: number
  sustainable_procurement: number
}

type Smelter = { id: text, metal: text, rmap_status: "conformant" | "active" | "not_enrolled" }

const CPI_FLOOR = 40
const CONFLICT_METALS = ["tin", "tantalum", "tungsten", "gold", "cobalt"]

table cpi: text -> number {
  "DK": 90, "FI": 88, "NZ": 85, "NO": 84, "SG": 83, "SE": 82, "CH": 82, "NL": 79
  "DE": 75, "JP": 73, "GB": 71, "FR": 67, "US": 65, "CN": 42, "IN": 38, "BR": 34
}
table sanctioned: text -> bool
"#,
    );
    let mut block = 0;
    while out.lines().count() < lines {
        let b = block;
        out.push_str(&format!(
            r#"
let spend_band_{b} = match {{
  supplier.annual_spend >= {high} => "strategic"
  supplier.annual_spend >= {low} => "significant"
  else => "minor"
}}
let open_smelters_{b} = [s.id for s in supplier.smelters if s.metal in CONFLICT_METALS and s.rmap_status != "conformant"]
let risk_{b} = (cpi[supplier.country] ?? 0) < CPI_FLOOR + {b} % 7

score sustainability_{b} "Sustainability {b}" {{
  environment             25% = supplier.ecovadis.environment
  labor_human_rights      25% = supplier.ecovadis.labor_human_rights
  ethics                  25% = supplier.ecovadis.ethics
  sustainable_procurement 25% = supplier.ecovadis.sustainable_procurement
}}

rule certified_{b} "Manufacturers hold an environmental certification ({b})" {{
  when supplier.category in ["manufacturing", "chemicals"] and spend_band_{b} != "minor"
  require supplier.certifications contains_any ["ISO14001", "EMAS"]
  else reject "{{supplier.category}} suppliers must hold ISO 14001 or EMAS"
}}

rule minerals_{b} "Smelters are RMAP conformant ({b})" {{
  require all s in supplier.smelters: s.metal not in CONFLICT_METALS or s.rmap_status == "conformant"
  else review "smelters not conformant: {{open_smelters_{b}}}"
}}

rule score_{b} "Sustainability score ({b})" {{
  when risk_{b} or supplier.annual_spend >= 500_000
  require sustainability_{b} >= 45 and supplier.cmrt_date >= today - 12 months
  else review "score {{sustainability_{b}}} is below the minimum"
}}
"#,
            high = 1_000_000 + b * 1000,
            low = 100_000 + b * 100,
        ));
        block += 1;
    }
    out
}

/// A small deterministic generator (xorshift64*), so that every run screens the same suppliers.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent` in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The countries of the onboarding CPI table with their CPI 2024 score.
pub const CPI: [(&str, u32); 46] = [
    ("DK", 90),
    ("FI", 88),
    ("SG", 84),
    ("NZ", 83),
    ("NO", 81),
    ("CH", 81),
    ("SE", 80),
    ("NL", 78),
    ("IE", 77),
    ("AU", 77),
    ("DE", 75),
    ("CA", 75),
    ("JP", 71),
    ("GB", 71),
    ("AT", 67),
    ("FR", 67),
    ("US", 65),
    ("KR", 64),
    ("PT", 57),
    ("RW", 57),
    ("CZ", 56),
    ("ES", 56),
    ("IT", 54),
    ("PL", 53),
    ("MY", 50),
    ("CN", 42),
    ("CU", 41),
    ("ZA", 41),
    ("VN", 40),
    ("IN", 38),
    ("ID", 37),
    ("BR", 34),
    ("TH", 34),
    ("TR", 34),
    ("BY", 33),
    ("PH", 33),
    ("MX", 26),
    ("NG", 26),
    ("BD", 23),
    ("IR", 23),
    ("RU", 22),
    ("KH", 21),
    ("CD", 20),
    ("MM", 16),
    ("KP", 15),
    ("SY", 12),
];

/// The countries of the reference data's `sanctioned` table.
pub const SANCTIONED: [&str; 6] = ["RU", "BY", "IR", "KP", "SY", "CU"];

/// The reference data of the onboarding baseline for generated suppliers.
#[allow(dead_code)]
pub fn reference_data() -> serde_json::Value {
    let sanctioned: serde_json::Map<String, serde_json::Value> = SANCTIONED
        .iter()
        .map(|c| (c.to_string(), serde_json::Value::Bool(true)))
        .collect();
    serde_json::json!({ "sanctioned": sanctioned })
}

/// `count` suppliers of the onboarding baseline's input type, like `rules/data/suppliers.jsonl`:
/// every category, about 5 smelters each (0 to 10), some without an EcoVadis assessment or
/// CMRT date, a few with adverse screening findings, countries from the whole CPI table.
#[allow(dead_code)]
pub fn suppliers(count: usize, seed: u64) -> Vec<serde_json::Value> {
    suppliers_with_smelters(count, seed, 10)
}

/// [`suppliers`] with 0 to `max_smelters` smelters each.
#[allow(dead_code)]
pub fn suppliers_with_smelters(
    count: usize,
    seed: u64,
    max_smelters: u64,
) -> Vec<serde_json::Value> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| supplier(i, max_smelters, &mut rng))
        .collect()
}

fn supplier(i: usize, max_smelters: u64, rng: &mut Rng) -> serde_json::Value {
    use serde_json::{Value, json};
    let country = CPI[rng.below(CPI.len() as u64) as usize].0;
    let category = rng.pick(&["manufacturing", "chemicals", "logistics", "services"]);
    let annual_spend = 5_000 + rng.below(300) * 10_000;
    let certifications: Vec<&str> = [
        ("ISO14001", 70),
        ("EMAS", 10),
        ("ISO9001", 60),
        ("SA8000", 10),
    ]
    .into_iter()
    .filter(|(_, percent)| rng.chance(*percent))
    .map(|(name, _)| name)
    .collect();
    let flags: Vec<&str> = if rng.chance(6) {
        vec![rng.pick(&[
            "negative_press",
            "human_trafficking",
            "forced_labour",
            "money_laundering",
            "late_delivery",
        ])]
    } else {
        Vec::new()
    };
    let smelters: Vec<Value> = (0..rng.below(max_smelters + 1))
        .map(|_| {
            let status = match rng.below(100) {
                0..90 => "conformant",
                90..97 => "active",
                _ => "not_enrolled",
            };
            json!({
                "id": format!("CID{:06}", rng.below(4000)),
                "metal": rng.pick(&["tin", "tantalum", "tungsten", "gold", "cobalt", "copper"]),
                "rmap_status": status,
            })
        })
        .collect();
    let mut record = json!({
        "name": format!("Generated Supplier {i} Ltd"),
        "country": country,
        "category": category,
        "annual_spend": annual_spend,
        "certifications": certifications,
        "flags": flags,
        "guidelines_confirmed": rng.chance(92),
        "smelters": smelters,
    });
    if rng.chance(85) {
        let mut theme = || 25 + rng.below(70);
        record["ecovadis"] = json!({
            "environment": theme(),
            "labor_human_rights": theme(),
            "ethics": theme(),
            "sustainable_procurement": theme(),
        });
    }
    if rng.chance(95) {
        let day = rng.below(500);
        let (year, month, day) = (2024 + day / 336, 1 + day % 336 / 28, 1 + day % 28);
        record["cmrt_date"] = json!(format!("{year}-{month:02}-{day:02}"));
    }
    record
}

/// A supplier as a CSV row under [`CSV_HEADER`] (the conventions of `procura eval --input
/// x.csv`: `;`-separated text lists, dotted columns for the assessment, smelters as JSON).
#[allow(dead_code)]
pub fn csv_row(supplier: &serde_json::Value) -> String {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_default();
    let list = |v: &serde_json::Value| {
        let items: Vec<String> = v.as_array().into_iter().flatten().map(text).collect();
        if items.is_empty() {
            "[]".to_owned()
        } else {
            items.join(";")
        }
    };
    let quoted = |cell: String| format!("\"{}\"", cell.replace('"', "\"\""));
    let ecovadis = &supplier["ecovadis"];
    let theme = |name: &str| ecovadis.get(name).map_or(String::new(), |n| n.to_string());
    [
        quoted(text(&supplier["name"])),
        text(&supplier["country"]),
        text(&supplier["category"]),
        supplier["annual_spend"].to_string(),
        list(&supplier["certifications"]),
        list(&supplier["flags"]),
        supplier["guidelines_confirmed"].to_string(),
        theme("environment"),
        theme("labor_human_rights"),
        theme("ethics"),
        theme("sustainable_procurement"),
        quoted(supplier["smelters"].to_string()),
        supplier.get("cmrt_date").map_or(String::new(), text),
    ]
    .join(",")
}

#[allow(dead_code)]
pub const CSV_HEADER: &str = "name,country,category,annual_spend,certifications,flags,guidelines_confirmed,ecovadis.environment,ecovadis.labor_human_rights,ecovadis.ethics,ecovadis.sustainable_procurement,smelters,cmrt_date";

/// The onboarding input as typed structs, for serde's derived deserialisation: the lower bound
/// that `Policy::input` is measured against (`benches/compare`, `benches/counts.rs`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Category {
    Manufacturing,
    Chemicals,
    Logistics,
    Services,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RmapStatus {
    Conformant,
    Active,
    NotEnrolled,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
pub struct Supplier {
    pub name: String,
    pub country: String,
    pub category: Category,
    pub annual_spend: f64,
    pub certifications: Vec<String>,
    pub flags: Vec<String>,
    pub guidelines_confirmed: bool,
    pub ecovadis: Option<Ecovadis>,
    pub smelters: Vec<Smelter>,
    pub cmrt_date: Option<String>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
pub struct Ecovadis {
    pub environment: f64,
    pub labor_human_rights: f64,
    pub ethics: f64,
    pub sustainable_procurement: f64,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
pub struct Smelter {
    pub id: String,
    pub metal: String,
    pub rmap_status: RmapStatus,
}
