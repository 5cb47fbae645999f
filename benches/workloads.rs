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
