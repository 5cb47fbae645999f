//! `procura::diff`: what changed between two versions of a policy, and which rules it reaches.

use procura::diff::{ChangeKind, ItemKind, PolicyDiff, diff};

const BASE: &str = r#"
policy "Diff test" version "1"

input supplier {
  name: text
  country: text
  certifications: [text]
  smelters: [Smelter]
}

type Smelter = { id: text, status: "conformant" | "active" }

const FLOOR = 40
const METALS = ["tin", "gold"]

table cpi: text -> number {
  "DE": 75, "FR": 67
  "VN": 40
}

let country_cpi = cpi[supplier.country]
let low = country_cpi < FLOOR

score quality "Quality" {
  certified 50% = if supplier.certifications contains "ISO9001" then 100 else 0
  smelting  50% = count(supplier.smelters) * 10
}

rule cpi_floor "Country corruption risk" {
  require not low
  else review "CPI {country_cpi} is below {FLOOR}"
}

rule certified {
  require supplier.certifications contains "ISO14001"
  else reject "no ISO 14001"
}

rule smelters {
  require all s in supplier.smelters: s.status == "conformant"
  else review "smelters"
}

rule good_quality {
  require quality >= 50
  else warn "quality {quality}"
}
"#;

fn changed(old: &str, new: &str) -> PolicyDiff {
    procura::compile(old).expect("the old version compiles");
    procura::compile(new).expect("the new version compiles");
    diff(old, new).expect("both parse")
}

/// One line of the test policy replaced.
fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

/// The changes as `kind name change [parts] -> affects` lines, for compact assertions.
fn summary(diff: &PolicyDiff) -> Vec<String> {
    diff.changes
        .iter()
        .map(|change| {
            let parts: Vec<String> = change
                .parts
                .iter()
                .map(|part| {
                    format!(
                        "{}: {} => {}",
                        part.part,
                        part.old.as_deref().unwrap_or("-"),
                        part.new.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            format!(
                "{} {} {} [{}] -> {}",
                change.item.as_str(),
                change.name,
                change.kind.as_str(),
                parts.join("; "),
                change.affects.join(",")
            )
        })
        .collect()
}

#[test]
fn layout_comments_and_order_are_no_change() {
    let moved = BASE
        .replace("const FLOOR = 40\nconst METALS = [\"tin\", \"gold\"]\n", "")
        .replace(
            "let country_cpi",
            "# The floor, moved.\nconst METALS = [\"tin\", \"gold\"]\nconst FLOOR   =   40\n\nlet country_cpi",
        )
        .replace("require not low", "require   not low   # still the same");
    let diff = changed(BASE, &moved);
    assert_eq!(summary(&diff), Vec::<String>::new());
}

#[test]
fn a_constant_reaches_the_rules_that_read_it_through_lets_and_messages() {
    let diff = changed(BASE, &edit("const FLOOR = 40", "const FLOOR = 45"));
    assert_eq!(
        summary(&diff),
        ["const FLOOR changed [value: 40 => 45] -> cpi_floor"]
    );
    let diff = changed(
        BASE,
        &edit(
            "const METALS = [\"tin\", \"gold\"]",
            "const METALS = [\"tin\"]",
        ),
    );
    assert_eq!(
        summary(&diff),
        ["const METALS changed [value: [\"tin\", \"gold\"] => [\"tin\"]] -> "]
    );
}

#[test]
fn rules_show_the_parts_that_changed() {
    let new = edit(
        "  require not low\n  else review",
        "  when supplier.country != \"DE\"\n  require not low\n  else reject",
    )
    .replace(
        "require supplier.certifications contains \"ISO14001\"",
        "forbid supplier.certifications contains \"ISO14001\"",
    )
    .replace(
        "else warn \"quality {quality}\"",
        "else warn \"quality is {quality}\"",
    )
    .replace("rule certified {", "rule certified \"Certified\" {");
    let diff = changed(BASE, &new);
    assert_eq!(
        summary(&diff),
        [
            "rule cpi_floor changed [when: - => supplier.country != \"DE\"; verdict: review => reject] -> cpi_floor",
            "rule certified changed [title: - => Certified; condition: require supplier.certifications contains \"ISO14001\" => forbid supplier.certifications contains \"ISO14001\"] -> certified",
            "rule good_quality changed [message: \"quality {quality}\" => \"quality is {quality}\"] -> good_quality",
        ]
    );
}

#[test]
fn added_and_removed_items() {
    let new = edit(
        "rule good_quality {\n  require quality >= 50\n  else warn \"quality {quality}\"\n}\n",
        "rule named {\n  require supplier.name != \"\"\n  else review \"no name\"\n}\n",
    )
    .replace("score quality \"Quality\" {\n  certified 50% = if supplier.certifications contains \"ISO9001\" then 100 else 0\n  smelting  50% = count(supplier.smelters) * 10\n}\n", "");
    let diff = changed(BASE, &new);
    assert_eq!(
        summary(&diff),
        [
            "rule named added [definition: - => rule named { require supplier.name != \"\" else review \"no name\" }] -> named",
            "score quality removed [definition: score quality \"Quality\" { certified 50% = if supplier.certifications contains \"ISO9001\" then 100 else 0 smelting 50% = count(supplier.smelters) * 10 } => -] -> good_quality",
            "rule good_quality removed [definition: rule good_quality { require quality >= 50 else warn \"quality {quality}\" } => -] -> good_quality",
        ]
    );
    assert_eq!(diff.changes[0].kind, ChangeKind::Added);
    assert_eq!(diff.changes[1].item, ItemKind::Score);
}

#[test]
fn table_rows_and_score_weights_are_compared_one_by_one() {
    let new = edit(
        "\"DE\": 75, \"FR\": 67",
        "\"DE\": 78, \"FR\": 67, \"PL\": 53",
    )
    .replace("  \"VN\": 40\n", "")
    .replace("certified 50%", "certified 60%")
    .replace(
        "smelting  50% = count(supplier.smelters) * 10",
        "smelting  40% = count(supplier.smelters) * 20",
    );
    let diff = changed(BASE, &new);
    assert_eq!(
        summary(&diff),
        [
            "table cpi changed [row \"DE\": 75 => 78; row \"PL\": - => 53; row \"VN\": 40 => -] -> cpi_floor",
            "score quality changed [weight of certified: 50% => 60%; weight of smelting: 50% => 40%; component smelting: count(supplier.smelters) * 10 => count(supplier.smelters) * 20] -> good_quality",
        ]
    );
}

#[test]
fn input_and_type_changes_reach_every_rule_that_reads_the_input() {
    let new = edit(
        "status: \"conformant\" | \"active\"",
        "status: \"conformant\" | \"active\" | \"not_enrolled\"",
    )
    .replace("  name: text\n", "  name: text?\n");
    let diff = changed(BASE, &new);
    assert_eq!(
        summary(&diff),
        [
            "input supplier changed [field name: text => text?] -> certified,cpi_floor,good_quality,smelters",
            "type Smelter changed [type: { id: text, status: \"conformant\" | \"active\" } => { id: text, status: \"conformant\" | \"active\" | \"not_enrolled\" }] -> certified,cpi_floor,good_quality,smelters",
        ]
    );
}

#[test]
fn the_policy_line_is_reported_apart_and_syntax_errors_name_the_version() {
    let diff = changed(BASE, &edit("version \"1\"", "version \"2\""));
    assert!(diff.changes.is_empty());
    assert_eq!(diff.old.version.as_deref(), Some("1"));
    assert_eq!(diff.new.version.as_deref(), Some("2"));
    assert!(matches!(
        diff_error(BASE, "rule {"),
        procura::diff::DiffError::New(errors) if !errors.is_empty()
    ));
    assert!(matches!(
        diff_error("rule {", BASE),
        procura::diff::DiffError::Old(_)
    ));
}

fn diff_error(old: &str, new: &str) -> procura::diff::DiffError {
    diff(old, new).expect_err("a version does not parse")
}
