//! `procura test --coverage` (docs/coverage.md).
//!
//! - `tests/golden/coverage/NAME.policy`, with optional `NAME.args` (extra arguments such as
//!   `--min-coverage 80`): the text output and exit code in `NAME.txt`, the JSON output
//!   (pretty-printed here) in `NAME.json`. `UPDATE_GOLDEN=1 cargo test --features cli --test
//!   coverage` rewrites them; review them with `git diff`.
//! - Every rule of every policy in `rules/` is made to fail by one of its examples, and every
//!   example there passes.

#[path = "support/policies.rs"]
mod policies;

use std::fs;
use std::path::Path;
use std::process::Command;

use procura::Date;
use procura::report::Outcome;

/// Runs `procura test --coverage` in the golden directory: stdout, then the exit code.
fn run(dir: &Path, name: &str, extra: &[&str]) -> String {
    let args = fs::read_to_string(dir.join(format!("{name}.args"))).unwrap_or_default();
    let output = Command::new(env!("CARGO_BIN_EXE_procura"))
        .current_dir(dir)
        .args(["test", "--coverage"])
        .args(args.split_whitespace())
        .args(extra)
        .arg(format!("{name}.policy"))
        .output()
        .expect("procura runs");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let code = output.status.code().expect("procura exits normally");
    format!("{stdout}exit {code}\n")
}

/// `stdout` and the exit line of [`run`], its JSON pretty-printed.
fn pretty(output: &str) -> String {
    let (json, exit) = output
        .split_once('\n')
        .expect("a JSON line, then the exit code");
    let json: serde_json::Value = serde_json::from_str(json).expect("the output is JSON");
    format!("{}\n{exit}", serde_json::to_string_pretty(&json).unwrap())
}

#[test]
fn golden_coverage_outputs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/coverage");
    let mut names: Vec<String> = (fs::read_dir(&dir).unwrap())
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".policy")?.to_owned())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 5, "cases: {names:?}");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for name in &names {
        let text = run(&dir, name, &[]);
        let json = pretty(&run(&dir, name, &["--format", "json"]));
        for (file, actual) in [
            (format!("{name}.txt"), text),
            (format!("{name}.json"), json),
        ] {
            let path = dir.join(&file);
            if update {
                fs::write(&path, &actual).unwrap();
            } else if fs::read_to_string(&path).ok().as_deref() != Some(actual.as_str()) {
                failures.push(format!(
                    "{file} differs (bless with UPDATE_GOLDEN=1):\n{actual}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_in_rules_is_made_to_fail_by_an_example() {
    let mut paths: Vec<_> = (fs::read_dir("rules").unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "policy"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "{paths:?}");
    let mut never_failed = Vec::new();
    for path in &paths {
        let policy = policies::compile(path).unwrap_or_else(|d| panic!("{path:?}: {d:#?}"));
        let (results, coverage) = policy.run_examples_with_coverage(Date::from_unix_seconds(0));
        if let Some(result) = results.iter().find(|r| !r.passed()) {
            panic!(
                "{}:{} fails: {:?}",
                path.display(),
                result.line,
                result.failures
            );
        }
        for rule in coverage
            .rules
            .iter()
            .filter(|r| r.count(Outcome::Failed) == 0)
        {
            never_failed.push(format!("{} rule {}", path.display(), rule.name));
        }
    }
    assert!(
        never_failed.is_empty(),
        "never made to fail: {never_failed:#?}"
    );
}

/// Coverage counts examples, whatever the day the command runs on: what an example reaches
/// and what a rule gives are those of its report.
#[test]
fn coverage_agrees_with_the_examples_reports() {
    let path = Path::new("tests/golden/coverage/branches.policy");
    let policy = policies::compile(path).unwrap();
    let (_, coverage) = policy.run_examples_with_coverage(Date::from_unix_seconds(0));
    for (index, rule) in coverage.rules.iter().enumerate() {
        let mut counts = [0; 4];
        for example in policy.examples() {
            let today = example.as_of.unwrap();
            let report = (policy.evaluate_json(&example.given, None, today)).unwrap();
            let outcome = report.rules[index].outcome;
            let position = [
                Outcome::Passed,
                Outcome::Failed,
                Outcome::Missing,
                Outcome::NotApplicable,
            ]
            .iter()
            .position(|o| *o == outcome)
            .unwrap();
            counts[position] += 1;
        }
        assert_eq!(rule.outcomes, counts, "rule {}", rule.name);
    }
}
