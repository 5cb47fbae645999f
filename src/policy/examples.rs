//! Runs a policy's `example` blocks: the policy's own executable documentation.
//!
//! Expected and actual values are rendered as JSON text, taken from the report's JSON so that an
//! example compares exactly what a host would see.

use super::{EvaluateError, Policy};
use crate::ast::Outcome;
use crate::date::Date;
use crate::program::{ExampleDef, ExpectKind};
use crate::report::Report;

#[derive(Debug, Clone, PartialEq)]
pub struct ExampleResult {
    pub title: String,
    pub line: u32,
    /// Empty when the example passed.
    pub failures: Vec<ExpectationFailure>,
}

impl ExampleResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// `{"title", "line", "passed", "failures": [{"line", "subject", "expected", "actual"}]}`,
    /// as `procura test --format json` and the WebAssembly `runExamples` give it.
    pub fn to_json(&self) -> serde_json::Value {
        let failures: Vec<serde_json::Value> = (self.failures.iter())
            .map(|f| {
                serde_json::json!({
                    "line": f.line,
                    "subject": f.subject,
                    "expected": f.expected,
                    "actual": f.actual,
                })
            })
            .collect();
        serde_json::json!({
            "title": self.title,
            "line": self.line,
            "passed": self.passed(),
            "failures": failures,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectationFailure {
    pub line: u32,
    /// What was checked, e.g. `decision`, `rule cmrt_fresh`, `score sustainability`.
    pub subject: String,
    pub expected: String,
    pub actual: String,
}

/// What a policy's examples exercise (`procura test --coverage`; docs/coverage.md): the outcomes
/// each rule is given and the branches each `if` and `match` takes, counted over the examples
/// that evaluate (an invalid `given` or an exceeded budget counts for nothing).
///
/// Its items are two per rule, made to pass and made to fail, and one per branch (an `if`'s
/// then and else, each `match` arm and its `else`) the lowered program holds; an item is covered
/// when at least one example produces it.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// In declaration order.
    pub rules: Vec<RuleCoverage>,
    /// In source order, the root's first, then the libraries' in import order.
    pub branches: Vec<BranchCoverage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleCoverage {
    pub name: String,
    pub line: u32,
    /// How many examples gave each outcome, in [`OUTCOMES`] order.
    pub outcomes: [u32; 4],
}

/// The outcomes of a rule, in the order of [`RuleCoverage::outcomes`].
pub const OUTCOMES: [Outcome; 4] = [
    Outcome::Passed,
    Outcome::Failed,
    Outcome::Missing,
    Outcome::NotApplicable,
];

impl RuleCoverage {
    pub fn count(&self, outcome: Outcome) -> u32 {
        (OUTCOMES.iter().zip(self.outcomes))
            .find_map(|(o, n)| (*o == outcome).then_some(n))
            .unwrap_or(0)
    }

    /// The outcomes that count as items (passed, failed) that no example gave.
    pub fn uncovered(&self) -> impl Iterator<Item = Outcome> + '_ {
        [Outcome::Passed, Outcome::Failed]
            .into_iter()
            .filter(|outcome| self.count(*outcome) == 0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BranchCoverage {
    /// The library that holds it (as diagnostics name it), `None` for the policy itself.
    pub file: Option<String>,
    pub line: u32,
    /// `if then`, `if else`, `match arm N` (from 1), `match else`.
    pub branch: String,
    /// The item whose evaluation reaches it: `let NAME`, `score NAME, component NAME`,
    /// `rule NAME`, `function NAME`.
    pub owner: String,
    /// How many examples reached it.
    pub reached: u32,
}

impl Coverage {
    /// Two per rule and one per branch.
    pub fn items(&self) -> usize {
        2 * self.rules.len() + self.branches.len()
    }

    pub fn covered(&self) -> usize {
        let rules = (self.rules.iter()).map(|rule| 2 - rule.uncovered().count());
        let branches = self.branches.iter().filter(|branch| branch.reached > 0);
        rules.sum::<usize>() + branches.count()
    }

    /// `{"items", "covered", "percent", "rules": [{"name", "line", "outcomes": {OUTCOME: N},
    /// "uncovered": [OUTCOME]}], "branches": [{"file", "line", "branch", "in", "reached"}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let rules = self.rules.iter().map(|rule| {
            let outcomes: serde_json::Map<String, serde_json::Value> = (OUTCOMES.iter())
                .zip(rule.outcomes)
                .map(|(outcome, n)| (outcome.as_str().to_owned(), n.into()))
                .collect();
            let uncovered: Vec<&str> = rule.uncovered().map(Outcome::as_str).collect();
            json!({"name": rule.name, "line": rule.line, "outcomes": outcomes, "uncovered": uncovered})
        });
        let branches = self.branches.iter().map(|branch| {
            json!({
                "file": branch.file,
                "line": branch.line,
                "branch": branch.branch,
                "in": branch.owner,
                "reached": branch.reached,
            })
        });
        let mut json = summary_json(self.covered(), self.items());
        json["rules"] = rules.collect();
        json["branches"] = branches.collect();
        json
    }
}

/// `{"items", "covered", "percent"}`, the percentage rounded to one decimal.
pub fn summary_json(covered: usize, items: usize) -> serde_json::Value {
    let percent = (percent(covered, items) * 10.0).round() / 10.0;
    serde_json::json!({"items": items, "covered": covered, "percent": percent})
}

/// `covered` as a percentage of `items`; 100 when there are none.
pub fn percent(covered: usize, items: usize) -> f64 {
    if items == 0 {
        100.0
    } else {
        // Counts far below 2^52: exact as floats.
        #[allow(clippy::cast_precision_loss)]
        let (covered, items) = (covered as f64, items as f64);
        100.0 * covered / items
    }
}

/// Relative tolerance for numbers in `expect score` and `expect value` (LANGUAGE.md §8).
const TOLERANCE: f64 = 1e-9;

pub fn run(policy: &Policy, today: Date) -> Vec<ExampleResult> {
    run_with_coverage(policy, today).0
}

/// [`run`], and what the examples cover.
pub fn run_with_coverage(policy: &Policy, today: Date) -> (Vec<ExampleResult>, Coverage) {
    let program = policy.program();
    let mut outcomes = vec![[0; 4]; program.rules.len()];
    let mut reached_by = vec![0; program.branches.len()];
    let mut reached = vec![false; program.branches.len()];
    let results = (program.examples.iter())
        .map(|example| {
            reached.fill(false);
            let mut evaluated = Evaluated {
                reached: &mut reached,
                outcomes: &mut outcomes,
            };
            let failures = failures(policy, example, today, &mut evaluated);
            for (count, reached) in reached_by.iter_mut().zip(&reached) {
                *count += u32::from(*reached);
            }
            ExampleResult {
                title: example.title.clone(),
                line: example.line,
                failures,
            }
        })
        .collect();
    let rules = (program.rules.iter().zip(outcomes))
        .map(|(rule, outcomes)| RuleCoverage {
            name: rule.name.clone(),
            line: rule.line,
            outcomes,
        })
        .collect();
    let mut branches: Vec<_> = (program.branches.iter().zip(reached_by))
        .filter_map(|(branch, reached)| {
            let coverage = BranchCoverage {
                file: branch.file.clone(),
                line: branch.line,
                branch: branch.kind.describe(),
                owner: branch.owner.clone()?,
                reached,
            };
            Some((branch.span.start, coverage))
        })
        .collect();
    branches.sort_unstable_by_key(|(start, _)| *start);
    let branches = branches.into_iter().map(|(_, branch)| branch).collect();
    (results, Coverage { rules, branches })
}

/// What the evaluation of one example adds to coverage.
struct Evaluated<'c> {
    /// By branch id, cleared before the example; left cleared when it gives no report.
    reached: &'c mut [bool],
    /// By rule, counts in [`OUTCOMES`] order.
    outcomes: &'c mut [[u32; 4]],
}

fn failures(
    policy: &Policy,
    example: &ExampleDef,
    today: Date,
    evaluated: &mut Evaluated,
) -> Vec<ExpectationFailure> {
    let today = example.as_of.unwrap_or(today);
    let data = policy.reference_data(example.data.as_ref());
    let report = policy.evaluate_reaching(
        policy.input(&example.given),
        data.as_ref(),
        today,
        policy.limits().max_steps,
        false,
        evaluated.reached,
    );
    let report = match report {
        Ok(report) => {
            for (counts, rule) in evaluated.outcomes.iter_mut().zip(&report.rules) {
                if let Some(i) = OUTCOMES.iter().position(|o| *o == rule.outcome) {
                    counts[i] += 1;
                }
            }
            report
        }
        Err(error) => {
            evaluated.reached.fill(false);
            let (subject, expected) = match error {
                EvaluateError::Input(_) => ("input", "valid `given` and `data`"),
                EvaluateError::Eval(_) => ("evaluation", "a report"),
            };
            return vec![ExpectationFailure {
                line: example.line,
                subject: subject.to_owned(),
                expected: expected.to_owned(),
                actual: error.to_json().to_string(),
            }];
        }
    };
    let json = report_json(&report);
    let program = policy.program();
    example
        .expectations
        .iter()
        .filter_map(|expect| {
            let (subject, expected, actual) = match &expect.kind {
                ExpectKind::Decision(decision) => (
                    "decision".to_owned(),
                    decision.as_str().into(),
                    json["decision"].clone(),
                ),
                ExpectKind::Rule(index, outcome) => {
                    let name = program.rules.get(*index).map_or("", |r| r.name.as_str());
                    let actual = report
                        .rules
                        .get(*index)
                        .map_or(serde_json::Value::Null, |r| r.outcome.as_str().into());
                    (format!("rule {name}"), outcome.as_str().into(), actual)
                }
                ExpectKind::Score(index, expected) => {
                    let name = program.scores.get(*index).map_or("", |s| s.name.as_str());
                    let actual = json["scores"][name]["value"].clone();
                    (format!("score {name}"), expected.clone(), actual)
                }
                ExpectKind::Value(index, expected) => {
                    let def = program.lets.get(*index);
                    let name = def.map_or("", |l| l.name.as_str());
                    // From the report's values, which hold the private lets too.
                    let mut actual = String::new();
                    if let (Some(def), Some(value)) = (def, report.values.get(*index)) {
                        crate::report::write_value(&mut actual, value, Some(&def.ty));
                    }
                    let actual = serde_json::from_str(&actual).unwrap_or(serde_json::Value::Null);
                    (format!("value {name}"), expected.clone(), actual)
                }
                ExpectKind::Message(index, expected) => {
                    let (name, actual) = rule_field(&json, *index, "message");
                    (format!("message {name}"), expected.as_str().into(), actual)
                }
                ExpectKind::Evidence(index, expected) => {
                    let (name, actual) = rule_field(&json, *index, "evidence");
                    (format!("evidence {name}"), expected.clone().into(), actual)
                }
                // Both sorted and deduplicated: equal as lists when equal as sets.
                ExpectKind::Missing(expected) => (
                    "missing".to_owned(),
                    expected.clone().into(),
                    json["missing"].clone(),
                ),
            };
            (!json_matches(&expected, &actual)).then(|| ExpectationFailure {
                line: expect.line,
                subject,
                expected: expected.to_string(),
                actual: actual.to_string(),
            })
        })
        .collect()
}

/// The name and the field `field` of rule `index` in the report's JSON.
fn rule_field(json: &serde_json::Value, index: usize, field: &str) -> (String, serde_json::Value) {
    let rule = &json["rules"][index];
    let name = rule["name"].as_str().unwrap_or_default().to_owned();
    (name, rule[field].clone())
}

/// The report's JSON, which the report module guarantees to be valid; `null` otherwise, so a
/// broken report fails every expectation instead of panicking.
fn report_json(report: &Report) -> serde_json::Value {
    serde_json::from_str(&report.to_json()).unwrap_or(serde_json::Value::Null)
}

/// Structural equality where numbers compare with a relative tolerance.
fn json_matches(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    use serde_json::Value::{Array, Number, Object};
    match (expected, actual) {
        (Number(a), Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a == b || (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()),
            _ => a == b,
        },
        (Array(a), Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_matches(a, b))
        }
        (Object(a), Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| json_matches(a, b)))
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_match_within_relative_tolerance() {
        assert!(json_matches(&json!(58.75), &json!(58.750000000001)));
        assert!(json_matches(&json!(3), &json!(3.0)));
        assert!(!json_matches(&json!(58.75), &json!(58.76)));
        assert!(!json_matches(&json!(0), &json!(1e-12)));
    }

    #[test]
    fn lists_and_records_match_structurally() {
        assert!(json_matches(
            &json!([1, "a", null]),
            &json!([1.0, "a", null])
        ));
        assert!(!json_matches(&json!([1, 2]), &json!([1, 2, 3])));
        assert!(json_matches(
            &json!({"a": 1, "b": [2]}),
            &json!({"b": [2.0], "a": 1})
        ));
        assert!(!json_matches(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_matches(&json!("1"), &json!(1)));
        assert!(!json_matches(&json!(null), &json!(0)));
    }

    const POLICY: &str = r#"
input supplier {
  name: text
  annual_spend: number
}
let third = supplier.annual_spend / 3
rule spend "Spend is recorded" {
  require supplier.annual_spend > 0
  else review "no spend recorded for {supplier.name}"
}
example "invalid given" {
  given {"name": 1, "annual_spend": 5}
  expect approve
}
example "values within tolerance" {
  given {"name": "x", "annual_spend": 1}
  expect value third = 0.3333333333333
  expect value third = 0.3334
}
example "an expected failure passes" {
  given {"name": "x", "annual_spend": 0}
  expect rule spend failed
}
"#;

    #[test]
    fn runs_examples_and_reports_each_failed_expectation() {
        let policy = crate::compile(POLICY).unwrap();
        let results = run(&policy, Date::from_unix_seconds(0));
        let lines: Vec<u32> = results.iter().map(|r| r.line).collect();
        assert_eq!(lines, [11, 15, 20]);
        let [input] = results[0].failures.as_slice() else {
            panic!("one failure expected: {:?}", results[0].failures);
        };
        assert_eq!((input.line, input.subject.as_str()), (11, "input"));
        assert!(
            input.actual.contains(r#""path":"$.name""#),
            "{}",
            input.actual
        );
        let tolerance = ExpectationFailure {
            line: 18,
            subject: "value third".to_owned(),
            expected: "0.3334".to_owned(),
            actual: "0.3333333333333333".to_owned(),
        };
        assert_eq!(results[1].failures, [tolerance]);
        assert!(results[2].passed());
    }
}
