//! Golden tests of the `procura` binary, plus its exit codes and batch mode.
//!
//! - `tests/golden/check/NAME.policy`: `procura check` output in `NAME.txt` (text) and
//!   `NAME.json` (JSON, pretty-printed here for readable diffs).
//! - `tests/golden/eval/NAME.policy` with `NAME.input.json`, optional `NAME.data.json` and
//!   `NAME.args` (extra arguments, e.g. `--as-of 2025-06-01`): `procura eval --format json`
//!   in `NAME.report.json` as `{"exit": CODE, "stdout": OUTPUT}`.
//!
//! `UPDATE_GOLDEN=1 cargo test --features cli --test cli` rewrites the expectations; review them with
//! `git diff`. The binary runs inside the case's directory so outputs hold relative paths.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn procura(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_procura"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("procura runs")
}

fn tests_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("procura exits normally")
}

/// The names of the `*.policy` files of a golden directory, sorted.
fn cases(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("golden directory exists")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(".policy")?.to_owned())
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no cases in {}", dir.display());
    names
}

/// Collects every mismatch so one run reports all of them.
struct Golden {
    update: bool,
    failures: Vec<String>,
}

impl Golden {
    fn new() -> Golden {
        Golden {
            update: std::env::var_os("UPDATE_GOLDEN").is_some(),
            failures: Vec::new(),
        }
    }

    fn compare(&mut self, path: &Path, actual: &str) {
        let shown = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path)
            .display();
        if self.update {
            fs::write(path, actual).expect("expectation is writable");
            return;
        }
        match fs::read_to_string(path) {
            Err(_) => self.failures.push(format!(
                "{shown}: no expectation; create it with `UPDATE_GOLDEN=1 cargo test --features cli --test cli` \
                 and review it. Actual output:\n{actual}"
            )),
            Ok(expected) if expected != actual => self.failures.push(format!(
                "{shown}: output differs (- expected, + actual; bless with UPDATE_GOLDEN=1)\n{}",
                diff(&expected, actual)
            )),
            Ok(_) => {}
        }
    }

    fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} golden failure(s):\n\n{}",
            self.failures.len(),
            self.failures.join("\n\n")
        );
    }
}

/// A line-by-line comparison: enough to spot what changed in small golden files.
fn diff(expected: &str, actual: &str) -> String {
    let (expected, actual): (Vec<&str>, Vec<&str>) =
        (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..expected.len().max(actual.len()) {
        match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) if e == a => out.push_str(&format!("  {e}\n")),
            (e, a) => {
                if let Some(e) = e {
                    out.push_str(&format!("- {e}\n"));
                }
                if let Some(a) = a {
                    out.push_str(&format!("+ {a}\n"));
                }
            }
        }
    }
    out
}

/// Re-indents compact JSON without reordering keys or touching numbers, so a golden file
/// also pins the exact key order and number formatting of the output.
fn pretty(json: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = json.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                match chars.peek() {
                    Some(&close @ ('}' | ']')) => {
                        out.push(close);
                        chars.next();
                    }
                    _ => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

#[test]
fn check_goldens() {
    let dir = tests_dir("golden/check");
    let mut golden = Golden::new();
    for name in cases(&dir) {
        let policy = format!("{name}.policy");
        let text = procura(&dir, &["check", &policy]);
        let json = procura(&dir, &["check", &policy, "--format", "json"]);
        golden.compare(&dir.join(format!("{name}.txt")), &stdout(&text));
        let json_out = stdout(&json);
        let Ok(diagnostics) = serde_json::from_str::<Vec<serde_json::Value>>(&json_out) else {
            golden.fail(format!(
                "{policy}: `check --format json` printed no array:\n{json_out}"
            ));
            continue;
        };
        golden.compare(&dir.join(format!("{name}.json")), &pretty(&json_out));
        let expected_code = i32::from(diagnostics.iter().any(|d| d["severity"] == "error"));
        for (format, output) in [("text", &text), ("json", &json)] {
            if code(output) != expected_code || !output.stderr.is_empty() {
                golden.fail(format!(
                    "{policy}: `check --format {format}` exited {} (expected {expected_code}), \
                     stderr: {}",
                    code(output),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    golden.finish();
}

#[test]
fn eval_goldens() {
    let dir = tests_dir("golden/eval");
    let mut golden = Golden::new();
    for name in cases(&dir) {
        let policy = format!("{name}.policy");
        let input = format!("{name}.input.json");
        if !dir.join(&input).exists() {
            golden.fail(format!("{policy}: no `{input}` beside it"));
            continue;
        }
        let mut args = vec!["eval".to_owned(), policy, "--input".to_owned(), input];
        args.extend(["--format".to_owned(), "json".to_owned()]);
        let data = format!("{name}.data.json");
        if dir.join(&data).exists() {
            args.extend(["--data".to_owned(), data]);
        }
        if let Ok(extra) = fs::read_to_string(dir.join(format!("{name}.args"))) {
            args.extend(extra.split_whitespace().map(str::to_owned));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = procura(&dir, &args);
        let out = stdout(&output);
        let shown = if is_json(&out) {
            pretty(&out).trim_end().replace('\n', "\n  ")
        } else {
            serde_json::Value::String(out).to_string()
        };
        let actual = format!(
            "{{\n  \"exit\": {},\n  \"stdout\": {shown}\n}}\n",
            code(&output)
        );
        golden.compare(&dir.join(format!("{name}.report.json")), &actual);
    }
    golden.finish();
}

#[test]
fn pretty_keeps_order_and_strings() {
    let compact = r#"{"b":[1,2.5,{}],"a":"x, {y}: \"z\"","c":[]}"#;
    let expected = "{\n  \"b\": [\n    1,\n    2.5,\n    {}\n  ],\n  \"a\": \"x, {y}: \\\"z\\\"\",\n  \"c\": []\n}\n";
    assert_eq!(pretty(compact), expected);
    let reparsed: serde_json::Value = serde_json::from_str(&pretty(compact)).unwrap();
    assert_eq!(
        reparsed,
        serde_json::from_str::<serde_json::Value>(compact).unwrap()
    );
}

#[test]
fn missing_files_are_usage_errors() {
    let dir = tests_dir("batch");
    for args in [
        &["check", "absent.policy"][..],
        &["test", "absent.policy"],
        &["eval", "absent.policy", "--input", "suppliers.jsonl"],
    ] {
        let output = procura(&dir, args);
        assert_eq!(code(&output), 2, "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            stderr.trim(),
            "error: cannot read `absent.policy`: no such file or directory",
            "{args:?}"
        );
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    let dir = tests_dir("batch");
    for args in [
        &[][..],
        &["frobnicate"],
        &["check"],
        &["check", "supplier.policy", "--format", "yaml"],
        &["eval", "supplier.policy"],
        &[
            "eval",
            "supplier.policy",
            "--input",
            "a.json",
            "--as-of",
            "2025-02-30",
        ],
    ] {
        let output = procura(&dir, args);
        assert_eq!(code(&output), 2, "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn unreadable_input_is_a_usage_error() {
    let dir = tests_dir("batch");
    let output = procura(&dir, &["eval", "supplier.policy", "--input", "absent.json"]);
    assert_eq!(code(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("`absent.json`"));
}

/// `procura eval` of the batch fixture policy with its reference data.
fn eval_fixture(input: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "eval",
        "supplier.policy",
        "--input",
        input,
        "--data",
        "data.json",
    ];
    args.extend(extra);
    procura(&tests_dir("batch"), &args)
}

#[test]
fn malformed_json_input_is_an_input_error() {
    let output = eval_fixture("malformed.json", &[]);
    assert_eq!(code(&output), 2);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["error"], "input");
    assert_eq!(json["errors"][0]["path"], "$");
    let message = json["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 2 column"), "{message}");
}

/// Runs a batch and returns its output lines, which must answer the input rows one to one.
fn batch(input: &str, rows: usize) -> (Vec<serde_json::Value>, String, i32) {
    let output = eval_fixture(input, &["--as-of", "2025-06-01"]);
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each output line is JSON"))
        .collect();
    assert_eq!(lines.len(), rows, "one output line per input row");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (lines, stderr, code(&output))
}

fn decisions(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|line| match &line["decision"] {
            serde_json::Value::String(decision) => decision.clone(),
            _ => format!("error at line {}", line["line"]),
        })
        .collect()
}

#[test]
fn json_lines_batch_reports_bad_rows_in_place() {
    let (lines, stderr, code) = batch("suppliers.jsonl", 4);
    assert_eq!(
        decisions(&lines),
        ["approve", "error at line 2", "error at line 4", "review"]
    );
    assert_eq!(lines[1]["error"], "input");
    assert_eq!(lines[1]["errors"][0]["path"], "$.annual_spend");
    assert_eq!(lines[2]["errors"][0]["path"], "$");
    assert_eq!(code, 2, "bad rows make the batch exit 2");
    assert!(
        stderr.contains("4 records: 1 approve, 1 review, 0 incomplete, 0 reject, 2 input errors"),
        "{stderr}"
    );
    assert!(
        stderr.contains("most frequent failing rules: cpi_floor (1)"),
        "{stderr}"
    );
}

#[test]
fn csv_batch_types_cells_by_the_input_declaration() {
    let (lines, stderr, _) = batch("suppliers.csv", 5);
    assert_eq!(
        decisions(&lines),
        [
            "approve",
            "incomplete",
            "error at line 4",
            "reject",
            "error at line 6"
        ]
    );
    assert_eq!(
        lines[1]["missing"],
        serde_json::json!(["supplier.ecovadis"])
    );
    assert_eq!(lines[2]["errors"][0]["path"], "$.category");
    assert_eq!(lines[3]["rules"][0]["outcome"], "failed");
    assert!(
        stderr.contains("warning: column `comment` is not a field of the input"),
        "{stderr}"
    );
}

/// A batch's summary counts the warnings (failed rules with verdict warn) and names the most
/// frequently missing fields with the number of records that lack each.
#[test]
fn batch_summary_counts_warnings_and_missing_fields() {
    let dir = std::env::temp_dir().join(format!("procura-cli-summary-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let policy = "input supplier {\n  name: text\n  spend: number?\n  rating: number?\n}\n\n\
                  rule rated \"Rated\" {\n  require supplier.rating >= 3\n  \
                  else warn \"rating {supplier.rating}\"\n}\n\n\
                  rule spend \"Spend\" {\n  require supplier.spend > 0\n  \
                  else review \"no spend\"\n}\n";
    fs::write(dir.join("warn.policy"), policy).unwrap();
    let records = [
        r#"{"name": "a", "spend": 1, "rating": 1}"#,
        r#"{"name": "b", "rating": 2}"#,
        r#"{"name": "c"}"#,
        r#"{"name": "d", "spend": 5, "rating": 5}"#,
    ];
    fs::write(dir.join("records.jsonl"), records.join("\n")).unwrap();
    let output = procura(&dir, &["eval", "warn.policy", "--input", "records.jsonl"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "4 records: 2 approve, 0 review, 2 incomplete, 0 reject, 0 input errors\n\
         most frequent failing rules: rated (2)\n\
         2 warnings (failed rules with verdict warn)\n\
         most frequent missing fields: supplier.spend (2), supplier.rating (1)\n"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_command_reports_each_example_and_a_total() {
    let dir = tests_dir("batch");
    let output = procura(&dir, &["test", "examples.policy"]);
    assert_eq!(
        stdout(&output),
        "PASS examples.policy:14 Recorded spend is approved\n\
         FAIL examples.policy:22 Zero spend is wrongly expected to pass\n\
         \x20   line 25: decision: expected \"approve\", actual \"review\"\n\
         \x20   line 26: rule spend: expected \"passed\", actual \"failed\"\n\
         \x20   line 28: value tier: expected \"strategic\", actual \"tail\"\n\
         \x20   line 30: message spend: expected \"no spend recorded\", \
         actual \"no spend recorded for Zero Ltd\"\n\
         \x20   line 32: evidence spend: expected [\"supplier.annual_spend\"], actual []\n\
         \x20   line 34: missing: expected [\"supplier.annual_spend\",\"supplier.name\"], \
         actual []\n\
         1 passed, 1 failed\n"
    );
    assert_eq!(code(&output), 1);
    let output = procura(&dir, &["test", "supplier.policy", "absent.policy"]);
    assert_eq!(stdout(&output), "0 passed, 0 failed\n");
    assert_eq!(code(&output), 2);
}

#[test]
fn check_of_several_files_names_each_file_in_json() {
    let dir = tests_dir("golden/check");
    let output = procura(
        &dir,
        &[
            "check",
            "clean.policy",
            "duplicate-names.policy",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&output), 1);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json[0],
        serde_json::json!({"file": "clean.policy", "diagnostics": []})
    );
    assert_eq!(json[1]["file"], "duplicate-names.policy");
    assert_eq!(json[1]["diagnostics"][0]["code"], "E0100");
    assert_eq!(json.as_array().map(Vec::len), Some(2));
}

#[test]
fn eval_text_summarises_the_report() {
    let output = eval_fixture(
        "review.json",
        &["--as-of", "2025-06-01", "--format", "text"],
    );
    assert_eq!(code(&output), 0);
    assert_eq!(
        stdout(&output),
        "policy: Batch fixture (version 1)\n\
         decision: incomplete\n\
         \n\
         failed rules:\n\
         \x20 cpi_floor \"Country corruption risk\" (line 38): review\n\
         \x20   CPI of XY is below 40\n\
         \n\
         missing data:\n\
         \x20 sustainability_minimum (line 43): supplier.ecovadis.ethics\n\
         \n\
         scores:\n\
         \x20 sustainability = missing\n\
         \x20   environment 50% of 70 = 35\n\
         \x20   ethics 50% of missing = missing\n"
    );
}

/// `--max-steps` sets the step budget of `eval` (one record and a batch) and `test`.
#[test]
fn max_steps_sets_the_budget() {
    let dir = std::env::temp_dir().join(format!("procura-cli-max-steps-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let quadratic =
        fs::read_to_string(tests_dir("hostile").join("policy/quadratic.policy")).unwrap();
    // Ten ids cost 10 × 12 = 120 steps.
    let ids: Vec<String> = (0..10).map(|i| format!("\"{i}\"")).collect();
    let record = format!(r#"{{"smelters": [{}]}}"#, ids.join(", "));
    let example = format!(
        "{quadratic}\nexample \"ten smelters\" {{\n  given {record}\n  expect approve\n}}\n"
    );
    fs::write(dir.join("quadratic.policy"), example).unwrap();
    fs::write(dir.join("ten.json"), &record).unwrap();
    fs::write(
        dir.join("ten.jsonl"),
        format!("{record}\n{{\"smelters\": []}}\n"),
    )
    .unwrap();
    let eval = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "quadratic.policy",
            "--input",
            "ten.json",
            "--as-of",
            "2025-06-01",
        ];
        args.extend(extra);
        procura(&dir, &args)
    };
    let over = eval(&["--max-steps", "100"]);
    assert_eq!(code(&over), 2);
    let json: serde_json::Value = serde_json::from_slice(&over.stdout).unwrap();
    assert_eq!(json["error"], "evaluation", "{json}");
    for within in [eval(&[]), eval(&["--max-steps", "120"])] {
        assert_eq!(code(&within), 0, "{}", stdout(&within));
        assert!(stdout(&within).contains(r#""decision":"approve""#));
    }
    for bad in ["0", "-1", "x", "9007199254740993"] {
        let refused = eval(&["--max-steps", bad]);
        assert_eq!(code(&refused), 2, "{bad}");
        assert!(refused.stdout.is_empty(), "{bad}");
    }
    let batch = procura(
        &dir,
        &[
            "eval",
            "quadratic.policy",
            "--input",
            "ten.jsonl",
            "--max-steps",
            "100",
        ],
    );
    let lines: Vec<serde_json::Value> = stdout(&batch)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["error"], "evaluation");
    assert_eq!(lines[1]["decision"], "approve");
    let test = procura(&dir, &["test", "quadratic.policy", "--max-steps", "100"]);
    assert_eq!(code(&test), 1, "{}", stdout(&test));
    assert!(
        stdout(&test).contains("0 passed, 1 failed"),
        "{}",
        stdout(&test)
    );
    let test = procura(&dir, &["test", "quadratic.policy"]);
    assert_eq!(code(&test), 0, "{}", stdout(&test));
    fs::remove_dir_all(&dir).unwrap();
}

/// `--jobs` changes nothing but speed: a few thousand rows, with bad rows among them and rows
/// over the step budget, give the same stdout, stderr and exit code on 1 thread and on 4.
#[test]
fn batch_output_does_not_depend_on_jobs() {
    let dir = std::env::temp_dir().join(format!("procura-cli-jobs-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let data = rules.join("data");
    let json_bad = [
        "{\"annual_spend\": \"lots\"}",
        "not json",
        "",
        "{\"name\": ",
    ];
    let csv_bad = [
        "a,b",
        "Acme,DE,manufacturing,lots,,,,,,,,,",
        "",
        "\"Multi\nline\",DE,manufacturing,1000,,,true,,,,,[],",
    ];
    for (format, bad) in [("jsonl", json_bad), ("csv", csv_bad)] {
        let source = fs::read_to_string(data.join(format!("suppliers.{format}"))).unwrap();
        let mut lines = source.lines();
        let mut text = String::new();
        if format == "csv" {
            text.push_str(lines.next().unwrap());
            text.push('\n');
        }
        let rows: Vec<&str> = lines.collect();
        for copy in 0..3 {
            for (i, row) in rows.iter().enumerate() {
                if (i + copy) % 97 == 0 {
                    text.push_str(bad[(i / 97 + copy) % bad.len()]);
                    text.push('\n');
                }
                text.push_str(row);
                text.push('\n');
            }
        }
        let input = dir.join(format!("suppliers.{format}"));
        fs::write(&input, text).unwrap();
        let run = |jobs: &str| {
            procura(
                &dir,
                &[
                    "eval",
                    rules.join("onboarding.policy").to_str().unwrap(),
                    "--input",
                    input.to_str().unwrap(),
                    "--data",
                    data.join("reference.json").to_str().unwrap(),
                    "--as-of",
                    "2025-06-01",
                    // Some suppliers take more steps than this.
                    "--max-steps",
                    "50",
                    "--jobs",
                    jobs,
                ],
            )
        };
        let one = run("1");
        let stderr = String::from_utf8_lossy(&one.stderr);
        assert_eq!(code(&one), 2, "{format}: {stderr}");
        assert!(stdout(&one).lines().count() > 3 * rows.len(), "{format}");
        assert!(stderr.contains("evaluation errors"), "{format}: {stderr}");
        assert!(!stderr.contains(" 0 input errors"), "{format}: {stderr}");
        let four = run("4");
        assert!(one.stdout == four.stdout, "{format}: stdout differs");
        assert_eq!(one.stderr, four.stderr, "{format}");
        assert_eq!(code(&one), code(&four), "{format}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// `procura diff` of the onboarding policy against a copy with the CPI floor at 45: exactly the
/// suppliers approved before whose country's CPI lies in [40, 45) change decision, to review,
/// with `cpi_floor` as the cause; the same on one thread and two, from JSON Lines and CSV.
#[test]
fn diff_lists_exactly_the_records_whose_decision_changes() {
    let dir = std::env::temp_dir().join(format!("procura-cli-diff-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let data = rules.join("data");
    let old = rules.join("onboarding.policy");
    let source = fs::read_to_string(&old).unwrap();
    let new = dir.join("onboarding-45.policy");
    fs::write(
        &new,
        source.replacen("const CPI_FLOOR = 40", "const CPI_FLOOR = 45", 1),
    )
    .unwrap();
    let path = |path: &Path| path.to_str().unwrap().to_owned();
    let (old_path, new_path) = (path(&old), path(&new));
    let reference = path(&data.join("reference.json"));
    let common = ["--data", &reference, "--as-of", "2025-06-01"];

    // The decisions before, from the full reports of `procura eval`.
    let suppliers = data.join("suppliers.jsonl");
    let eval = procura(
        &dir,
        &[
            &["eval", &old_path, "--input", &path(&suppliers)][..],
            &common,
        ]
        .concat(),
    );
    assert_eq!(code(&eval), 0);
    let records: Vec<serde_json::Value> = fs::read_to_string(&suppliers)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let cpi_40_to_45 = ["VN", "ZA", "CU", "CN"]; // 40, 41, 41, 42 in the policy's table
    let expected: Vec<u64> = stdout(&eval)
        .lines()
        .zip(&records)
        .enumerate()
        .filter(|(_, (report, record))| {
            let report: serde_json::Value = serde_json::from_str(report).unwrap();
            report["decision"] == "approve"
                && cpi_40_to_45.contains(&record["country"].as_str().unwrap())
        })
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert!(expected.len() > 20, "the sample has such suppliers");

    for (input, jobs) in [(suppliers.clone(), "1"), (data.join("suppliers.csv"), "2")] {
        let input_path = path(&input);
        let args = [
            &["diff", &old_path, &new_path, "--input", &input_path][..],
            &common,
            &["--format", "json", "--jobs", jobs],
        ]
        .concat();
        let output = procura(&dir, &args);
        assert_eq!(
            code(&output),
            0,
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let diff: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(diff["changes"].as_array().unwrap().len(), 1);
        assert_eq!(diff["changes"][0]["name"], "CPI_FLOOR");
        assert_eq!(
            diff["changes"][0]["affects"],
            serde_json::json!(["cpi_floor"])
        );
        let changed = diff["impact"]["changed"].as_array().unwrap();
        // CSV rows start on line 2, after the header.
        let offset = u64::from(input.extension().unwrap() == "csv");
        let lines: Vec<u64> = changed
            .iter()
            .map(|c| c["line"].as_u64().unwrap() - offset)
            .collect();
        assert_eq!(lines, expected, "{}", input.display());
        for change in changed {
            assert_eq!(change["before"], "approve");
            assert_eq!(change["after"], "review");
            let cause =
                serde_json::json!([{"name": "cpi_floor", "before": "passed", "after": "failed"}]);
            assert_eq!(change["rules"], cause);
            let line = change["line"].as_u64().unwrap() - offset;
            assert_eq!(change["key"], records[line as usize - 1]["name"]);
        }
        let matrix = &diff["impact"]["matrix"];
        assert_eq!(matrix["approve"]["review"], expected.len() as u64);
        assert_eq!(diff["impact"]["records"], records.len() as u64);
    }

    // The text form names the change and the records.
    let text = procura(
        &dir,
        &[
            &["diff", &old_path, &new_path, "--input", &path(&suppliers)][..],
            &common,
        ]
        .concat(),
    );
    let text = stdout(&text);
    assert!(
        text.contains(
            "~ const CPI_FLOOR changed\n    value: 40  →  45\n    can change rules: cpi_floor"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} change decision", expected.len())),
        "{text}"
    );
    assert!(
        text.contains(": approve → review; cpi_floor passed → failed"),
        "{text}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// `procura verify` re-runs a report's decision: the same bytes pass; one byte more in the
/// policy or another value in the reference data fails, naming which; a tampered report names
/// the first field that differs; a reformatted report passes as the same report.
#[test]
fn verify_replays_a_report_and_names_what_differs() {
    let dir = std::env::temp_dir().join(format!("procura-cli-verify-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let policy = rules.join("onboarding.policy");
    let input = rules.join("data/onboarding-supplier.json");
    let data = rules.join("data/reference.json");
    let [policy, input, data] = [policy, input, data].map(|p| p.to_str().unwrap().to_owned());
    let report = procura(
        &dir,
        &[
            "eval",
            &policy,
            "--input",
            &input,
            "--data",
            &data,
            "--as-of",
            "2025-06-01",
        ],
    );
    assert_eq!(code(&report), 0);
    fs::write(dir.join("report.json"), &report.stdout).unwrap();
    let verify = |report: &str, policy: &str, data: &str| {
        let output = procura(
            &dir,
            &[
                "verify", report, "--policy", policy, "--input", &input, "--data", data,
            ],
        );
        (code(&output), stdout(&output))
    };
    let (exit, text) = verify("report.json", &policy, &data);
    assert_eq!(exit, 0, "{text}");
    assert!(
        text.starts_with("verified: ") && text.contains("gives the same bytes"),
        "{text}"
    );

    let source = fs::read_to_string(&policy).unwrap();
    fs::write(dir.join("changed.policy"), format!("{source}\n")).unwrap();
    let (exit, text) = verify("report.json", "changed.policy", &data);
    assert_eq!(exit, 1);
    assert!(text.contains("mismatch: the policy differs"), "{text}");
    assert!(!text.contains("reference data"), "{text}");

    let reference = fs::read_to_string(&data).unwrap();
    fs::write(
        dir.join("changed.json"),
        reference.replacen("\"RU\": true", "\"RU\": false", 1),
    )
    .unwrap();
    let (exit, text) = verify("report.json", &policy, "changed.json");
    assert_eq!(exit, 1);
    assert!(
        text.contains("mismatch: the reference data differs"),
        "{text}"
    );
    assert!(!text.contains("the policy differs"), "{text}");

    let original = stdout(&report);
    let tampered = original.replacen("\"decision\":\"review\"", "\"decision\":\"approve\"", 1);
    assert_ne!(tampered, original);
    fs::write(dir.join("tampered.json"), tampered).unwrap();
    let (exit, text) = verify("tampered.json", &policy, &data);
    assert_eq!(exit, 1);
    assert!(
        text.contains("at `decision`: the report has \"approve\", the re-run gives \"review\""),
        "{text}"
    );

    let value: serde_json::Value = serde_json::from_str(&original).unwrap();
    fs::write(
        dir.join("pretty.json"),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
    let (exit, text) = verify("pretty.json", &policy, &data);
    assert_eq!(exit, 0, "{text}");
    assert!(
        text.contains("the same report (laid out differently)"),
        "{text}"
    );
    fs::remove_dir_all(&dir).unwrap();
}
