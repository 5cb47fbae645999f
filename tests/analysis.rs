//! The static analysis of conditions (warnings `W0101`–`W0105`) claims "never" only where it
//! holds: every policy of `tests/golden/check/analysis-*.policy` is evaluated on many generated
//! records, and no warned rule or score ever does what its warning says it cannot, while every
//! score left unwarned there (the near misses) is present for some record. The policies of
//! `rules/` get no warning at all.

use std::path::Path;

#[path = "support/policies.rs"]
mod files;

use procura::report::Outcome;
use serde_json::{Value, json};

fn policies(dir: &str, prefix: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut found: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            (name.starts_with(prefix) && name.ends_with(".policy"))
                .then(|| (name, std::fs::read_to_string(&path).unwrap()))
        })
        .collect();
    found.sort();
    assert!(!found.is_empty());
    found
}

#[test]
fn the_policies_of_rules_get_no_warning() {
    for (name, _) in policies("rules", "") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("rules")
            .join(&name);
        let diagnostics = procura::policy::check_sources(&files::sources(&path));
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
    }
}

/// A small deterministic generator (xorshift).
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// A value of a field's type (from the input schema), often one near the policies'
    /// constants, sometimes absent (`None`).
    fn value(&mut self, ty: &Value) -> Option<Value> {
        if self.below(8) == 0 {
            return None;
        }
        let pick =
            |random: &mut Random, values: &[Value]| values[random.below(values.len())].clone();
        Some(match ty["kind"].as_str().unwrap() {
            "number" => {
                let near = [
                    -1, 0, 10, 19, 20, 21, 39, 40, 41, 44, 45, 46, 49, 50, 51, 59, 60, 61, 99, 100,
                    101,
                ];
                let n = near[self.below(near.len())] as f64;
                json!(if self.below(4) == 0 { n + 0.5 } else { n })
            }
            "text" => pick(self, &[json!("DE"), json!("FR"), json!("RU"), json!("XX")]),
            "bool" => json!(self.below(2) == 0),
            "date" => pick(
                self,
                &[
                    json!("2024-12-31"),
                    json!("2025-01-01"),
                    json!("2025-03-01"),
                    json!("2025-06-01"),
                    json!("2025-12-31"),
                    json!("2026-01-01"),
                ],
            ),
            "union" => pick(self, ty["values"].as_array().unwrap()),
            kind => panic!("the analysis policies have no {kind} fields"),
        })
    }
}

#[test]
fn no_warned_rule_ever_does_what_its_warning_rules_out() {
    let today = procura::Date::parse("2025-06-01").unwrap();
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for (name, source) in policies("tests/golden/check", "analysis-") {
        let policy = procura::compile(&source).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        // The rules each warning names, and the outcomes it rules out.
        let mut ruled_out: Vec<(String, Vec<Outcome>)> = Vec::new();
        for warning in policy.warnings() {
            let named = warning.message.split("rule `").nth(1);
            let rule = named
                .and_then(|rest| rest.split('`').next())
                .unwrap_or_default()
                .to_owned();
            let outcomes = match warning.code {
                "W0101" => vec![Outcome::Failed],
                "W0102" => vec![Outcome::Passed],
                "W0103" => vec![Outcome::Passed, Outcome::Failed],
                _ => continue,
            };
            ruled_out.push((rule, outcomes));
        }
        let arms = policy
            .warnings()
            .iter()
            .filter(|w| w.code == "W0104")
            .count();
        // The scores warned always missing.
        let missing_scores: Vec<String> = (policy.warnings().iter())
            .filter(|w| w.code == "W0105")
            .filter_map(|w| {
                Some(
                    w.message
                        .split("score `")
                        .nth(1)?
                        .split('`')
                        .next()?
                        .to_owned(),
                )
            })
            .collect();
        assert!(
            !ruled_out.is_empty() || arms > 0 || !missing_scores.is_empty(),
            "{name} has warnings to check"
        );
        // Each score by name: whether it was ever present.
        let mut scores_present: Vec<(String, bool)> = Vec::new();
        let schema = policy.input_schema();
        let mut seen = vec![Vec::new(); ruled_out.len()];
        for _ in 0..5000 {
            let mut record = serde_json::Map::new();
            for field in schema["fields"].as_array().unwrap() {
                if let Some(value) = random.value(&field["type"]) {
                    record.insert(field["name"].as_str().unwrap().to_owned(), value);
                }
            }
            let record = Value::Object(record);
            let report = policy.evaluate_json(&record, None, today).unwrap();
            let json: Value = serde_json::from_str(&report.to_json()).unwrap();
            for (score, result) in json["scores"].as_object().unwrap() {
                let present = !result["value"].is_null();
                assert!(
                    !(present && missing_scores.contains(score)),
                    "{name}: score {score} was present for {record}"
                );
                match scores_present.iter_mut().find(|(name, _)| name == score) {
                    Some((_, seen)) => *seen |= present,
                    None => scores_present.push((score.clone(), present)),
                }
            }
            for (i, (rule, outcomes)) in ruled_out.iter().enumerate() {
                let index = policy.rule_names().position(|r| r == rule).unwrap();
                let outcome = report.rules[index].outcome;
                assert!(
                    !outcomes.contains(&outcome),
                    "{name}: rule {rule} was {outcome:?} for {record}"
                );
                seen[i].push(outcome);
            }
        }
        // The near misses: every score not warned is present for some record.
        if !missing_scores.is_empty() {
            for (score, present) in &scores_present {
                assert!(
                    *present || missing_scores.contains(score),
                    "{name}: score {score} is not warned and never present"
                );
            }
        }
        // The records reach the rules: each warned rule took some outcome it may take.
        for ((rule, _), outcomes) in ruled_out.iter().zip(&seen) {
            assert!(
                outcomes.iter().any(|o| *o != Outcome::Missing),
                "{name}: {rule} only missing"
            );
        }
    }
}
