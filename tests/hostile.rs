//! The hostile-input corpus of `tests/hostile/` (its README describes the format), through the
//! library and through the `procura` binary: every case gets its expected structured error or
//! report, never a panic, a stack overflow or a hang. Also: a batch with bad rows mixed in
//! answers every row, in order.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use procura::Date;
use serde_json::{Value, json};

const PROCURA: &str = env!("CARGO_BIN_EXE_procura");
const AS_OF: &str = "2025-06-01";
/// Longer than any case needs even in a debug build on a loaded machine; reaching it is a hang.
const HANG: Duration = Duration::from_secs(120);
/// WebAssembly hosts give the engine about 1 MiB of stack: the library must fit in it.
const SMALL_STACK: usize = 1 << 20;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

struct Case {
    name: String,
    /// The committed file, or `None` for a generated case.
    path: Option<PathBuf>,
    bytes: Vec<u8>,
    expect: Value,
}

/// Every case of a corpus folder, in name order.
fn cases(folder: &str, extension: &str) -> Vec<Case> {
    let dir = corpus().join(folder);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".expect.json").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no cases in {}", dir.display());
    names
        .into_iter()
        .map(|name| {
            let expect = read_json(&dir.join(format!("{name}.expect.json")));
            let generator = dir.join(format!("{name}.gen.json"));
            let committed = [extension, "bin"]
                .iter()
                .map(|extension| dir.join(format!("{name}.{extension}")))
                .find(|path| path.exists());
            let (path, bytes) = match committed {
                Some(path) => {
                    let bytes = std::fs::read(&path).unwrap();
                    (Some(path), bytes)
                }
                None => (None, generate(&read_json(&generator)).into_bytes()),
            };
            Case {
                name: format!("{folder}/{name}"),
                path,
                bytes,
                expect,
            }
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes a generated case: its parts in order, `{"repeat": S, "times": N}` as S N times.
fn generate(spec: &Value) -> String {
    let mut out = String::new();
    for part in spec["parts"].as_array().expect("`parts` is a list") {
        match part {
            Value::String(text) => out.push_str(text),
            repeat => {
                let text = repeat["repeat"].as_str().expect("`repeat` is a string");
                let times = repeat["times"].as_u64().expect("`times` is a number");
                for i in 0..times {
                    let next = (i + 1).to_string();
                    out.push_str(&text.replace("$next", &next).replace("$i", &i.to_string()));
                }
            }
        }
    }
    out
}

/// Runs `f` on a thread with the stack of a WebAssembly host.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|_| panic!("the library panicked"))
}

/// Runs the binary; a run longer than `HANG` fails the test.
fn run(args: &[&str]) -> Output {
    let mut child = Command::new(PROCURA)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes while waiting, so that a large output cannot block the child.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        stdout.read_to_end(&mut buffer).map(|_| buffer)
    });
    let err = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        stderr.read_to_end(&mut buffer).map(|_| buffer)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG {
            child.kill().unwrap();
            panic!("`procura {}` hangs", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap().unwrap(),
        stderr: err.join().unwrap().unwrap(),
    }
}

/// The path of a case as a file: the committed one, or the generated bytes written out.
fn file_of(case: &Case, extension: &str) -> PathBuf {
    if let Some(path) = &case.path {
        return path.clone();
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "hostile-{}.{extension}",
        case.name.replace('/', "-")
    ));
    std::fs::write(&path, &case.bytes).unwrap();
    path
}

fn supplier_policy() -> procura::Policy {
    procura::compile(&std::fs::read_to_string(corpus().join("supplier.policy")).unwrap()).unwrap()
}

/// A report or an error as JSON text in the corpus's terms: `{"decision": D}` or
/// `{"errors": [...]}`.
fn outcome_of(json: &str) -> Value {
    let json: Value = serde_json::from_str(json).unwrap();
    match json.get("errors") {
        Some(errors) => json!({"errors": errors}),
        None => json!({"decision": json["decision"]}),
    }
}

/// What the library says about one record and its reference data, through the calls every host
/// makes. Text over the size limit, not JSON or not UTF-8 is one error at the file's root.
fn evaluate(record: &[u8], data: &[u8]) -> Value {
    let policy = supplier_policy();
    let input = policy.input_from_bytes(record);
    let data = procura::policy::parse_json("$data", data, policy.limits())
        .and_then(|data| policy.reference_data(Some(&data)));
    let today = Date::parse(AS_OF).unwrap();
    match policy.evaluate_validated(input, data.as_ref(), today) {
        Ok(report) => outcome_of(&report.to_json()),
        Err(error) => outcome_of(&error.to_json().to_string()),
    }
}

/// What the `abi` module's code says about one record with the reference data spliced into its
/// options as they are: `None` for an options error, which the data's text causes when it is
/// not JSON (and without the `abi` feature).
#[cfg(feature = "abi")]
fn evaluate_abi(record: &[u8], data: &[u8]) -> Option<Value> {
    use procura::abi::Status;
    let options = [
        format!(r#"{{"as_of": "{AS_OF}", "data": "#).as_bytes(),
        data,
        b"}",
    ]
    .concat();
    let (status, json) = procura::abi::evaluate_bytes(&supplier_policy(), record, &options);
    match status {
        Status::Report | Status::Input => Some(outcome_of(&json)),
        Status::Options => {
            let data = serde_json::from_slice::<Value>(data);
            assert!(
                data.is_err(),
                "valid reference data, yet options error {json}"
            );
            None
        }
        other => panic!("{other:?}: {json}"),
    }
}

#[cfg(not(feature = "abi"))]
fn evaluate_abi(_: &[u8], _: &[u8]) -> Option<Value> {
    None
}

/// Whether `actual` matches the expectation of `case` (listed error fields only).
fn assert_outcome(case: &Case, actual: &Value, host: &str) {
    let expect = &case.expect;
    if let Some(decision) = expect.get("decision") {
        assert_eq!(
            &actual["decision"], decision,
            "{}: {host}: expected decision {decision}, got {actual}",
            case.name
        );
        return;
    }
    let expected = expect["errors"].as_array().unwrap();
    let found = actual["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: {host}: expected input errors, got {actual}", case.name));
    assert_eq!(
        found.len(),
        expected.len(),
        "{}: {host}: expected {expected:?}, got {found:?}",
        case.name
    );
    for (want, got) in expected.iter().zip(found) {
        for (key, value) in want.as_object().unwrap() {
            assert_eq!(
                &got[key], value,
                "{}: {host}: `{key}` of {got} (expected {want})",
                case.name
            );
        }
        assert!(
            got["message"].is_string(),
            "{}: no message in {got}",
            case.name
        );
    }
}

/// The outcome printed by `procura eval`; input errors exit with 2, reports with 0.
fn cli_outcome(name: &str, input: &Path, data: &Path) -> Value {
    let output = run(&[
        "eval",
        corpus().join("supplier.policy").to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let value: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name}: the binary printed no JSON ({e}): {stdout}{stderr}"));
    let (outcome, code) = if value["error"] == "input" {
        (json!({"errors": value["errors"]}), 2)
    } else {
        (json!({"decision": value["decision"]}), 0)
    };
    assert_eq!(output.status.code(), Some(code), "{name}: {stderr}");
    outcome
}

#[test]
fn hostile_records_get_structured_errors() {
    let data = std::fs::read(corpus().join("data.json")).unwrap();
    for case in cases("input", "json") {
        let record = case.bytes.clone();
        let data = data.clone();
        let (actual, abi) =
            on_small_stack(move || (evaluate(&record, &data), evaluate_abi(&record, &data)));
        assert_outcome(&case, &actual, "library");
        if let Some(abi) = abi {
            assert_outcome(&case, &abi, "abi");
        }
        let data = corpus().join("data.json");
        let cli = cli_outcome(&case.name, &file_of(&case, "json"), &data);
        assert_outcome(&case, &cli, "binary");
    }
}

#[test]
fn hostile_reference_data_gets_structured_errors() {
    let record = std::fs::read(corpus().join("valid.json")).unwrap();
    for case in cases("data", "json") {
        let (record, data) = (record.clone(), case.bytes.clone());
        let (actual, abi) =
            on_small_stack(move || (evaluate(&record, &data), evaluate_abi(&record, &data)));
        assert_outcome(&case, &actual, "library");
        if let Some(abi) = abi {
            assert_outcome(&case, &abi, "abi");
        }
        let cli = cli_outcome(
            &case.name,
            &corpus().join("valid.json"),
            &file_of(&case, "json"),
        );
        assert_outcome(&case, &cli, "binary");
    }
}

/// A malformed record with invalid reference data: every error at once, the record's first, and
/// the same bytes from the library, the `abi` module's code and the binary.
#[test]
fn a_malformed_record_and_invalid_data_give_every_error_on_every_host() {
    let (record, data) = (
        b"{\"name\": ".as_slice(),
        br#"{"sanctioned": {"XX": "yes"}}"#,
    );
    let library = evaluate(record, data);
    let paths: Vec<&Value> = library["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| &error["path"])
        .collect();
    assert_eq!(paths, ["$", "$data.sanctioned.XX"], "{library}");
    if let Some(abi) = evaluate_abi(record, data) {
        assert_eq!(abi, library);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let (input, data_file) = (
        dir.join("hostile-both.json"),
        dir.join("hostile-both.data.json"),
    );
    std::fs::write(&input, record).unwrap();
    std::fs::write(&data_file, data).unwrap();
    let cli = cli_outcome("malformed record, invalid data", &input, &data_file);
    assert_eq!(cli, library);
}

/// Options over `MAX_OPTIONS_BYTES` are refused before they are read, with their own limit in
/// the message; options of exactly the limit are read (and here refused for their content).
#[cfg(feature = "abi")]
#[test]
fn abi_options_are_held_to_their_limit() {
    use procura::abi::{Status, evaluate_bytes};
    use procura::limits::MAX_OPTIONS_BYTES;
    let options = |size: usize| {
        let start = format!(r#"{{"as_of": "{AS_OF}", "pad": ""#);
        let pad = "x".repeat(size - start.len() - 2);
        format!("{start}{pad}\"}}")
    };
    let policy = supplier_policy();
    let valid = std::fs::read(corpus().join("valid.json")).unwrap();
    let (status, json) = evaluate_bytes(&policy, &valid, options(MAX_OPTIONS_BYTES + 1).as_bytes());
    assert_eq!(status, Status::Options, "{json}");
    let message = "the options are 33,554,433 bytes of JSON, more than the limit of 32 MiB";
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap()["message"],
        message
    );
    let (status, json) = evaluate_bytes(&policy, &valid, options(MAX_OPTIONS_BYTES).as_bytes());
    assert_eq!(status, Status::Options, "{json}");
    assert!(json.contains("unknown option `pad`"), "{json}");
}

/// The sorted distinct codes of the errors among `diagnostics`.
fn error_codes<'a>(diagnostics: impl Iterator<Item = (&'a str, bool)>) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .filter(|(_, error)| *error)
        .map(|(code, _)| code.to_owned())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn hostile_policies_get_diagnostics() {
    for case in cases("policy", "policy") {
        let expected: Vec<String> = serde_json::from_value(case.expect["codes"].clone()).unwrap();
        let utf8 = case.expect.get("utf8") != Some(&Value::Bool(false));
        assert_eq!(
            std::str::from_utf8(&case.bytes).is_ok(),
            utf8,
            "{}: `utf8` does not describe the file",
            case.name
        );
        let source = String::from_utf8_lossy(&case.bytes).into_owned();
        let codes = on_small_stack(move || {
            let diagnostics = procura::check(&source);
            for diagnostic in &diagnostics {
                assert!(
                    source.get(diagnostic.span.range()).is_some(),
                    "{diagnostic:?}"
                );
                assert!(!diagnostic.message.is_empty());
            }
            error_codes(diagnostics.iter().map(|d| (d.code, d.is_error())))
        });
        assert_eq!(codes, expected, "{}: library", case.name);

        let file = file_of(&case, "policy");
        let output = run(&["check", "--format", "json", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !utf8 {
            assert_eq!(output.status.code(), Some(2), "{}: {stderr}", case.name);
            assert!(
                stderr.contains("not valid UTF-8"),
                "{}: {stderr}",
                case.name
            );
            continue;
        }
        let printed: Vec<Value> = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{}: no JSON from the binary ({e}): {stderr}", case.name));
        let codes = error_codes(
            printed
                .iter()
                .map(|d| (d["code"].as_str().unwrap(), d["severity"] == "error")),
        );
        assert_eq!(codes, expected, "{}: binary", case.name);
        let exit = if expected.is_empty() { 0 } else { 1 };
        assert_eq!(output.status.code(), Some(exit), "{}: {stderr}", case.name);
    }
}

/// Runs `procura eval` on a batch file of the given content; its exit code, JSON Lines output
/// and stderr.
fn batch(name: &str, content: &[u8]) -> (Option<i32>, Vec<Value>, String) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, content).unwrap();
    let output = run(&[
        "eval",
        corpus().join("supplier.policy").to_str().unwrap(),
        "--input",
        path.to_str().unwrap(),
        "--data",
        corpus().join("data.json").to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code(), lines, stderr)
}

/// Each output line answers the next expected row: `Ok(decision)` or `Err(input line)`.
fn assert_rows(output: &[Value], expected: &[Result<&str, u64>]) {
    assert_eq!(
        output.len(),
        expected.len(),
        "one output line per row: {output:#?}"
    );
    for (line, want) in output.iter().zip(expected) {
        match want {
            Ok(decision) => assert_eq!(line["decision"], *decision, "{line}"),
            Err(number) => {
                assert_eq!(line["error"], "input", "{line}");
                assert_eq!(line["line"], *number, "{line}");
                assert!(!line["errors"].as_array().unwrap().is_empty(), "{line}");
            }
        }
    }
}

/// The counts of the summary line `N records: a approve, b review, c incomplete, d reject, e
/// input errors[, f evaluation errors]`, checked to add up to `N`.
fn summary(stderr: &str) -> Vec<u64> {
    let line = stderr
        .lines()
        .find(|line| line.contains(" records: "))
        .unwrap_or_else(|| panic!("no summary in {stderr}"));
    let counts: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|word| !word.is_empty())
        .map(|word| word.parse().unwrap())
        .collect();
    // Evaluation errors are listed only when there are some.
    assert!(matches!(counts.len(), 6 | 7), "{line}");
    assert_eq!(counts[0], counts[1..].iter().sum::<u64>(), "{line}");
    counts
}

fn deep_json(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn json_lines_batch_answers_every_row() {
    let valid = std::fs::read_to_string(corpus().join("valid.json")).unwrap();
    let valid = valid.trim();
    let review = valid.replace(
        r#""guidelines_confirmed": true"#,
        r#""guidelines_confirmed": false"#,
    );
    let mut content = Vec::new();
    let mut line = |bytes: &[u8]| {
        content.extend_from_slice(bytes);
        content.push(b'\n');
    };
    line(valid.as_bytes()); // 1
    line(b"{\"name\": \"cut"); // 2: malformed
    line(br#"{"name": 1}"#); // 3: wrong type
    line(b""); // 4: empty, not a row
    line(b"{\"name\": \"\xff\xfe\"}"); // 5: not UTF-8
    line(format!(r#"{{"audits": {}}}"#, deep_json(10_000)).as_bytes()); // 6: too deep
    line(b"   \t"); // 7: blank, not a row
    line(review.as_bytes()); // 8
    line(b"[]"); // 9: not a record
    line(b"NaN"); // 10
    let long = "a".repeat(procura::limits::MAX_INPUT_BYTES);
    line(format!(r#"{{"name": "{long}"}}"#).as_bytes()); // 11: over the size limit
    let list = vec!["\"ISO\""; procura::limits::MAX_INPUT_LIST_LEN + 1].join(", ");
    line(
        valid
            .replace(r#"["ISO14001"]"#, &format!("[{list}]"))
            .as_bytes(),
    ); // 12
    content.extend_from_slice(valid.as_bytes()); // 13: no final newline
    let (exit, output, stderr) = batch("hostile-batch.jsonl", &content);
    assert_eq!(exit, Some(2), "bad rows exit with 2: {stderr}");
    assert_rows(
        &output,
        &[
            Ok("approve"),
            Err(2),
            Err(3),
            Err(5),
            Err(6),
            Ok("review"),
            Err(9),
            Err(10),
            Err(11),
            Err(12),
            Ok("approve"),
        ],
    );
    assert_eq!(output[8]["errors"][0]["path"], "$", "{}", output[8]);
    let expected = "at most 4,194,304 bytes of JSON";
    assert_eq!(output[8]["errors"][0]["expected"], expected);
    // The record's own bytes, without its newline.
    assert_eq!(output[8]["errors"][0]["found"], "4,194,316 bytes");
    assert_eq!(output[9]["errors"][0]["path"], "$.certifications");
    assert_eq!(summary(&stderr), [11, 2, 1, 0, 0, 8], "{stderr}");
}

#[test]
fn csv_batch_answers_every_row() {
    let header = "name,country,category,annual_spend,guidelines_confirmed,certifications,smelters,audits,cmrt_date";
    let row = |spend: &str, smelters: &str| {
        format!("Nordisk,DK,services,{spend},true,ISO14001,{smelters},[[1]],2025-03-01")
    };
    let mut content = format!("{header}\n").into_bytes();
    let mut line = |bytes: &[u8]| {
        content.extend_from_slice(bytes);
        content.push(b'\n');
    };
    line(row("1000", "[]").as_bytes()); // 2
    line(row("lots", "[]").as_bytes()); // 3: wrong type
    line(b"Short,DK,services"); // 4: missing columns
    line(format!("{},extra", row("1000", "[]")).as_bytes()); // 5: extra column
    line(b"N\xff\xfe,DK,services,1,true,,[],[],"); // 6: not UTF-8
    line(row("1000", &format!("\"{}\"", deep_json(10_000))).as_bytes()); // 7: too deep
    line(b""); // 8: empty, not a row
    line(b"\"Multi\nline\",DK,services,1000,true,ISO14001,[],[[1]],2025-03-01"); // 9-10
    line(row("1000", "[]").replace("true", "false").as_bytes()); // 11
    // Bad rows right after blank lines keep their own line numbers.
    line(b""); // 12
    line(row("lots", "[]").as_bytes()); // 13: wrong type
    line(b"\r"); // 14: CRLF
    line(b"\r"); // 15
    line(b"N\xff,DK,services,1,true,,[],[],"); // 16: not UTF-8
    // Blank lines over more than one read of the file.
    for _ in 0..20_000 {
        line(b""); // 17 to 20,016
    }
    line(row("lots", "[]").as_bytes()); // 20,017: wrong type
    let (exit, output, stderr) = batch("hostile-batch.csv", &content);
    assert_eq!(exit, Some(2), "bad rows exit with 2: {stderr}");
    assert_rows(
        &output,
        &[
            Ok("approve"),
            Err(3),
            Err(4),
            Err(5),
            Err(6),
            Err(7),
            Ok("approve"),
            Ok("review"),
            Err(13),
            Err(16),
            Err(20_017),
        ],
    );
    assert_eq!(summary(&stderr), [11, 2, 1, 0, 0, 8], "{stderr}");
}

#[test]
fn csv_header_without_some_fields_leaves_them_missing() {
    let content = b"name,country\nNordisk,DK\nOther,XX\n";
    let (exit, output, stderr) = batch("hostile-partial-header.csv", content);
    let decisions: Vec<&Value> = output.iter().map(|report| &report["decision"]).collect();
    assert_eq!(decisions, [&json!("incomplete"), &json!("reject")]);
    assert_eq!(exit, Some(0), "{stderr}");
}

#[test]
fn json_nesting_limit_is_serde_json_recursion_limit() {
    use procura::limits::MAX_JSON_DEPTH;
    let nested = |depth: usize| serde_json::from_str::<Value>(&deep_json(depth));
    assert!(nested(MAX_JSON_DEPTH).is_ok());
    assert!(nested(MAX_JSON_DEPTH + 1).is_err());
    // The record itself is one level: a list field may hold `MAX_JSON_DEPTH - 1` levels.
    let record = format!(r#"{{"audits": {}}}"#, deep_json(MAX_JSON_DEPTH - 1));
    let actual = evaluate(record.as_bytes(), b"{}");
    assert_eq!(actual["errors"][0]["path"], "$.audits[0][0]", "{actual}");
}

/// A record the policy cannot decide within the step budget: one structured error from `eval`
/// (exit 2, like input errors), and in a batch that row's error line, counted in the summary.
#[test]
fn evaluation_budget_errors_are_structured_in_eval_and_batch() {
    let policy = corpus().join("policy/quadratic.policy");
    let policy = policy.to_str().unwrap();
    let ids: Vec<String> = (0..8_000).map(|i| format!("\"{i}\"")).collect();
    let over = format!(r#"{{"smelters": [{}]}}"#, ids.join(","));
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-budget.json");
    std::fs::write(&path, &over).unwrap();
    let eval = |format: &str| {
        let input = path.to_str().unwrap();
        let args = ["eval", policy, "--input", input, "--as-of", AS_OF];
        run(&[&args[..], &["--format", format]].concat())
    };
    let output = eval("json");
    let error: Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected = procura::EvalError::BudgetExceeded {
        limit: procura::limits::MAX_EVAL_STEPS,
        place: "rule `unique`".to_owned(),
        construct: procura::Construct::Comprehension,
    };
    assert_eq!(error, expected.to_json());
    assert_eq!(output.status.code(), Some(2));
    let output = eval("text");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: the evaluation needed more than"),
        "{stderr}"
    );
    assert!(stderr.contains("\nhelp: "), "{stderr}");
    assert_eq!(output.status.code(), Some(2));

    let content = format!("{{\"smelters\": [\"a\", \"b\"]}}\n{over}\n{{\"smelters\": 1}}\n");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-budget.jsonl");
    std::fs::write(&path, content).unwrap();
    let output = run(&[
        "eval",
        policy,
        "--input",
        path.to_str().unwrap(),
        "--as-of",
        AS_OF,
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    assert_eq!(rows[0]["decision"], "approve");
    assert_eq!(
        (&rows[1]["error"], &rows[1]["line"]),
        (&json!("evaluation"), &json!(2))
    );
    assert_eq!(
        (&rows[2]["error"], &rows[2]["line"]),
        (&json!("input"), &json!(3))
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(summary(&stderr), [3, 1, 0, 0, 0, 1, 1], "{stderr}");
    assert_eq!(output.status.code(), Some(2));
}
