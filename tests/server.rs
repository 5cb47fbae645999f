//! `procura serve` on a free loopback port (in-process, and the binary itself), driven over real
//! HTTP: every endpoint, every error status, reloads, broken edits and deletions.
//!
//! Needs the built module: `scripts/build-abi.sh` (or `PROCURA_ABI_WASM=path`).

mod server_support;
#[path = "support/templates.rs"]
mod templates;

use std::path::Path;
use std::time::Duration;

use procura::server::{ServeError, Server};
use serde_json::{Value, json};
use server_support::{
    Connection, HEAVY, TINY, call, call_text, config, lines_policy, read, spin, start, temp_dir,
    wait_for, write,
};

#[test]
fn a_missing_module_is_a_clear_error() {
    let dir = temp_dir("missing");
    let mut config = config(&dir);
    config.module = Some(dir.join("absent.wasm"));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let error = runtime.block_on(Server::bind(config)).err();
    assert!(
        matches!(error, Some(ServeError::ModuleMissing(_))),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("scripts/build-abi.sh"), "{message}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_endpoint_and_error_status() {
    let dir = temp_dir("endpoints");
    let onboarding = read("rules/onboarding.policy");
    write(&dir, "onboarding.policy", &onboarding);
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "1"));
    write(&dir, "heavy.policy", HEAVY);
    write(&dir, "broken.policy", "input supplier { name: txt }");
    write(&dir, "notes.txt", "not a policy");
    let server = start(dir);
    let addr = server.addr;

    let (status, health) = call(addr, "GET", "/healthz", None);
    assert_eq!(
        (status, health),
        (200, json!({"status": "ok", "policies": 4}))
    );

    let (status, list) = call(addr, "GET", "/v1/policies", None);
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["broken", "heavy", "onboarding", "tiny"]);
    assert_eq!(list[0]["status"], "error");
    assert_eq!(list[0]["serving"], false);
    assert_eq!(list[3]["title"], "Tiny");
    assert_eq!(list[3]["version"], "1");

    let (status, shown) = call(addr, "GET", "/v1/policies/onboarding", None);
    assert_eq!(status, 200);
    assert_eq!(shown["source"], onboarding.as_str());
    // The input schema of every host, as the library gives it.
    let native = procura::compile(&onboarding).expect("compiles");
    assert_eq!(shown["input"], native.input_schema());
    assert!(shown["diagnostics"].is_array());
    let (status, broken) = call(addr, "GET", "/v1/policies/broken", None);
    assert_eq!(status, 200);
    assert_eq!(broken["diagnostics"][0]["severity"], "error");
    assert_eq!(broken["input"], Value::Null);

    // A report byte for byte the native one.
    let input: Value =
        serde_json::from_str(&read("rules/data/onboarding-supplier.json")).expect("JSON");
    let data: Value = serde_json::from_str(&read("rules/data/reference.json")).expect("JSON");
    let request = json!({"input": input, "data": data, "as_of": "2025-06-01"}).to_string();
    let (status, report) = call_text(
        addr,
        "POST",
        "/v1/policies/onboarding/evaluate",
        Some(&request),
    );
    let native = procura::compile(&onboarding)
        .expect("compiles")
        .evaluate_json(
            &input,
            Some(&data),
            procura::Date::parse("2025-06-01").expect("a date"),
        )
        .expect("valid input")
        .to_json();
    assert_eq!((status, report), (200, native.clone()));

    let evaluate = |name: &str, body: &str| {
        call(
            addr,
            "POST",
            &format!("/v1/policies/{name}/evaluate"),
            Some(body),
        )
    };
    let error_of = |name: &str, body: &str| {
        let (status, error) = evaluate(name, body);
        (status, error["error"].as_str().unwrap_or("-").to_owned())
    };
    let tiny_ok = r#"{"input": {"name": "Acme", "spend": 5}}"#;
    let (status, tiny) = evaluate("tiny", tiny_ok);
    assert_eq!((status, &tiny["decision"]), (200, &json!("approve")));
    for (name, body, expected) in [
        ("tiny", "{\"input\": ", (400, "request")),
        ("tiny", "[1]", (400, "request")),
        ("tiny", r#"{"data": {}}"#, (400, "request")),
        (
            "tiny",
            r#"{"input": {}, "asof": "2025-01-01"}"#,
            (400, "request"),
        ),
        ("absent", tiny_ok, (404, "not_found")),
        ("broken", tiny_ok, (422, "compile")),
        (
            "tiny",
            r#"{"input": {"name": 3, "spend": "x"}}"#,
            (422, "input"),
        ),
        ("tiny", r#"{"input": "text"}"#, (422, "input")),
        (
            "tiny",
            r#"{"input": {}, "as_of": "2025-02-30"}"#,
            (422, "options"),
        ),
    ] {
        assert_eq!(
            error_of(name, body),
            (expected.0, expected.1.to_owned()),
            "{name} {body}"
        );
    }
    let (status, input_error) = evaluate("tiny", r#"{"input": {"name": 3, "spend": 1}}"#);
    assert_eq!(status, 422);
    assert_eq!(input_error["errors"][0]["path"], "$.name");

    // Too much work: the evaluator's step budget stops it (422), and the server carries on.
    let heavy = heavy_request();
    assert_eq!(error_of("heavy", &heavy), (422, "evaluation".to_owned()));
    let small = json!({"input": {"values": [1, 2, 3]}}).to_string();
    assert_eq!(evaluate("heavy", &small).0, 200);
    assert_eq!(evaluate("tiny", tiny_ok).0, 200);

    // Over the 64 KiB limit.
    let values: Vec<u32> = (0..20_000).collect();
    let large = json!({"input": {"values": values}}).to_string();
    assert_eq!(error_of("heavy", &large), (413, "too_large".to_owned()));

    // Batches: one result per request, each as it would have been alone.
    let batch = format!(r#"[{request}, {{"input": {{"name": 3}}}}, {{"nothing": 1}}, {tiny_ok}]"#);
    let (status, results) = call_text(
        addr,
        "POST",
        "/v1/policies/onboarding/evaluate-batch",
        Some(&batch),
    );
    assert_eq!(status, 200);
    assert!(results.starts_with(&format!("[{native},")), "{results}");
    let results: Value = serde_json::from_str(&results).expect("JSON");
    let codes: Vec<&Value> = results
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| &r["error"])
        .collect();
    assert_eq!(
        codes,
        [
            &Value::Null,
            &json!("input"),
            &json!("request"),
            &json!("input")
        ]
    );
    let batch = call(
        addr,
        "POST",
        "/v1/policies/heavy/evaluate-batch",
        Some(&format!("[{heavy}, {small}]")),
    );
    assert_eq!(batch.0, 200);
    assert_eq!(batch.1[0]["error"], "evaluation");
    assert_eq!(batch.1[1]["decision"], "approve");
    assert_eq!(
        call(
            addr,
            "POST",
            "/v1/policies/tiny/evaluate-batch",
            Some(tiny_ok)
        )
        .0,
        400
    );
    assert_eq!(
        call(
            addr,
            "POST",
            "/v1/policies/absent/evaluate-batch",
            Some("[]")
        )
        .0,
        404
    );

    assert_eq!(call(addr, "GET", "/v1/policies/absent", None).0, 404);
    assert_eq!(call(addr, "GET", "/v1/policies/%FF%FE", None).0, 400);
    assert_eq!(
        call(addr, "POST", "/v1/policies/%FF/evaluate", Some(tiny_ok)).0,
        400
    );
    assert_eq!(call(addr, "GET", "/v2/nothing", None).0, 404);
    assert_eq!(call(addr, "DELETE", "/v1/policies", None).0, 405);
}

#[test]
fn policies_reload_keep_their_last_good_version_and_disappear() {
    let dir = temp_dir("reload");
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "1"));
    let server = start(dir.clone());
    let addr = server.addr;
    let body = r#"{"input": {"name": "Acme", "spend": 500}, "as_of": "2025-01-01"}"#;
    let evaluate = || call(addr, "POST", "/v1/policies/tiny/evaluate", Some(body));
    assert_eq!(evaluate().1["policy"]["version"], "1");

    write(&dir, "tiny.policy", &TINY.replace("VERSION", "2"));
    wait_for(addr, "/v1/policies/tiny", |_, p| p["version"] == "2");
    let (status, report) = evaluate();
    assert_eq!((status, &report["policy"]["version"]), (200, &json!("2")));
    assert_eq!(report["rules"][0]["message"], "Acme spends 500");

    write(
        &dir,
        "tiny.policy",
        &TINY.replace("VERSION", "3").replace("number", "numbr"),
    );
    let shown = wait_for(addr, "/v1/policies/tiny", |_, p| p["status"] == "error");
    assert_eq!(shown["serving"], true);
    assert_eq!(shown["version"], "2");
    assert!(
        shown["source"]
            .as_str()
            .is_some_and(|s| s.contains("numbr"))
    );
    assert!(
        shown["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("numbr")),
        "{shown}"
    );
    assert_eq!(evaluate().1["policy"]["version"], "2");

    write(&dir, "tiny.policy", &TINY.replace("VERSION", "4"));
    wait_for(addr, "/v1/policies/tiny", |_, p| {
        p["status"] == "ok" && p["version"] == "4"
    });
    assert_eq!(evaluate().1["policy"]["version"], "4");

    write(&dir, "other.policy", &TINY.replace("VERSION", "9"));
    wait_for(addr, "/v1/policies/other", |status, _| status == 200);

    std::fs::remove_file(dir.join("tiny.policy")).expect("removes");
    wait_for(addr, "/v1/policies/tiny", |status, _| status == 404);
    assert_eq!(evaluate().0, 404);
    assert_eq!(call(addr, "GET", "/healthz", None).1["policies"], 1);
}

/// LANGUAGE.md §9.1: policies import libraries of their directory; a file without an `input` is
/// a library, not a policy, and a changed library reloads the policies that import it.
#[test]
fn libraries_are_imported_not_served_and_reload_their_importers() {
    let dir = temp_dir("libraries");
    std::fs::create_dir_all(dir.join("lib")).expect("a directory");
    let policy = "policy \"Limits\" version \"1\"\nimport \"lib/limits.policy\"\nimport \"common.policy\"\n\
                  input supplier { spend: number }\n\
                  rule big \"Big\" { require supplier.spend < LIMIT * FACTOR else review \"over {LIMIT}\" }";
    write(&dir, "limits.policy", policy);
    write(&dir, "lib/limits.policy", "const LIMIT = 100");
    write(&dir, "common.policy", "const FACTOR = 1");
    let server = start(dir.clone());
    let addr = server.addr;
    let (_, list) = call(addr, "GET", "/v1/policies", None);
    let names: Vec<&str> = (list.as_array().expect("a list").iter())
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["limits"]);
    let body = r#"{"input": {"spend": 150}, "as_of": "2025-01-01"}"#;
    let evaluate = || call(addr, "POST", "/v1/policies/limits/evaluate", Some(body));
    let (status, report) = evaluate();
    assert_eq!(
        (status, &report["decision"]),
        (200, &json!("review")),
        "{report}"
    );
    assert_eq!(report["rules"][0]["message"], "over 100");

    write(&dir, "lib/limits.policy", "const LIMIT = 200");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while evaluate().1["decision"] != "approve" {
        assert!(
            std::time::Instant::now() < deadline,
            "the library change was not served"
        );
        let _ = call(addr, "POST", "/v1/reload", None);
        std::thread::sleep(Duration::from_millis(50));
    }

    write(&dir, "lib/limits.policy", "const LIMIT = \"x\" + 1");
    let shown = wait_for(addr, "/v1/policies/limits", |_, p| p["status"] == "error");
    assert_eq!(
        shown["diagnostics"][0]["file"], "lib/limits.policy",
        "{shown}"
    );
    assert_eq!(evaluate().1["decision"], "approve");
}

/// The `procura serve` binary itself, as a user starts it: a free loopback port, the bundled
/// policies, and reports byte-identical to native evaluation.
#[test]
fn the_procura_serve_binary_serves_the_bundled_policies() {
    let binary = server_support::spawn_binary(
        std::process::Command::new(env!("CARGO_BIN_EXE_procura")),
        Path::new("rules"),
        &[],
    );
    let addr = binary.addr;
    let (status, health) = call(addr, "GET", "/healthz", None);
    assert_eq!(status, 200, "{health}");
    let policies = wait_for(addr, "/v1/policies", |status, body| {
        status == 200 && body.to_string().contains("onboarding")
    });
    assert!(
        policies
            .to_string()
            .contains("Supplier onboarding baseline"),
        "{policies}"
    );

    let supplier: Value =
        serde_json::from_str(&read("rules/data/onboarding-supplier.json")).unwrap();
    let data: Value = serde_json::from_str(&read("rules/data/reference.json")).unwrap();
    let body = json!({"input": supplier, "data": data, "as_of": "2025-06-01"}).to_string();
    let (status, report) = call_text(
        addr,
        "POST",
        "/v1/policies/onboarding/evaluate",
        Some(&body),
    );
    assert_eq!(status, 200, "{report}");
    let native = procura::compile(&read("rules/onboarding.policy"))
        .unwrap()
        .evaluate_json(
            &supplier,
            Some(&data),
            procura::Date::parse("2025-06-01").unwrap(),
        )
        .unwrap()
        .to_json();
    assert_eq!(report, native);

    let (status, error) = call(addr, "GET", "/v1/policies/no-such-policy", None);
    assert_eq!(status, 404, "{error}");
}

/// The container image (`Dockerfile`) and the Kubernetes volume (`deploy/procura.yaml`) each lay
/// out `/policies` their own way; laid out here as they would be, every policy of `rules/` is
/// served and compiles, the libraries it imports included.
#[test]
fn the_image_and_the_deployment_serve_every_bundled_policy() {
    let dockerfile = read("Dockerfile");
    let image: Vec<(String, String)> = (dockerfile.lines())
        .filter_map(|line| line.strip_prefix("COPY "))
        .filter(|copy| !copy.starts_with("--from"))
        .filter_map(|copy| {
            let words: Vec<&str> = copy.split_whitespace().collect();
            let (destination, sources) = words.split_last()?;
            // The build stage's copy of the whole context lands elsewhere.
            let into = destination.strip_prefix("/policies/")?.to_owned();
            let files = (sources.iter()).flat_map(|source| files_matching(source));
            Some(
                files
                    .map(|(file, name)| (file, format!("{into}{name}")))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();

    // deploy/README.md: one ConfigMap of the files of rules/, one of rules/lib/ whose items the
    // volume places under lib/.
    let deployment = read("deploy/procura.yaml");
    let items: Vec<(String, String)> = (deployment.lines())
        .filter_map(|line| line.trim().strip_prefix("- {key: "))
        .map(|item| {
            let (key, path) = item.split_once(", path: ").expect("an item with a path");
            (
                format!("rules/lib/{key}"),
                path.trim_end_matches('}').to_owned(),
            )
        })
        .collect();
    let libraries: Vec<(String, String)> = files_matching("rules/lib/")
        .map(|(file, name)| (file, format!("lib/{name}")))
        .collect();
    assert_eq!(
        items, libraries,
        "deploy/procura.yaml: one item per library"
    );
    let volume = files_matching("rules/*.policy").chain(items).collect();

    let bundled: Vec<String> = files_matching("rules/*.policy")
        .map(|(_, name)| name.trim_end_matches(".policy").to_owned())
        .collect();
    for (layout, files) in [("image", image), ("deployment", volume)] {
        let dir = temp_dir(&format!("layout-{layout}"));
        for (file, path) in &files {
            let target = dir.join(path);
            std::fs::create_dir_all(target.parent().expect("a file in a directory"))
                .expect("a directory");
            std::fs::copy(file, &target).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
        let server = start(dir.clone());
        let (status, list) = call(server.addr, "GET", "/v1/policies", None);
        assert_eq!(status, 200, "{list}");
        let mut served: Vec<(&str, &str)> = (list.as_array().expect("a list").iter())
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or(""),
                    p["status"].as_str().unwrap_or(""),
                )
            })
            .collect();
        served.sort();
        let expected: Vec<(&str, &str)> = (bundled.iter()).map(|name| (&**name, "ok")).collect();
        assert_eq!(served, expected, "the {layout}'s /policies");
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The files a `COPY` source names: `dir/*.policy` or a whole `dir/`, with their names, sorted.
fn files_matching(source: &str) -> impl Iterator<Item = (String, String)> {
    let (dir, extension) = match source.strip_suffix("*.policy") {
        Some(dir) => (dir, Some("policy")),
        None => (
            (source.strip_suffix('/')).unwrap_or_else(|| panic!("unexpected COPY source {source}")),
            None,
        ),
    };
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .filter(|path| extension.is_none_or(|e| path.extension().is_some_and(|x| x == e)))
        .map(|path| {
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            (format!("{}/{name}", dir.trim_end_matches('/')), name)
        })
        .collect();
    files.sort();
    files.into_iter()
}

/// Clients that send their headers or body too slowly, or never finish, are cut off by the
/// configured timeouts, and meanwhile hold no evaluation instance: with a single instance, a
/// well-behaved request is answered at once.
#[test]
fn slow_clients_time_out_without_holding_workers() {
    let dir = temp_dir("slow");
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "1"));
    let mut config = config(&dir);
    config.instances = 1;
    config.header_timeout = Duration::from_secs(1);
    config.body_timeout = Duration::from_secs(1);
    let server = server_support::start_with(config);
    let addr = server.addr;
    let path = "/v1/policies/tiny/evaluate";
    let body = r#"{"input": {"name": "Acme", "spend": 5}}"#;

    let stalled_heads = Connection::stalled(addr, path, 20, None);
    let mut stalled_body = Connection::stalled(addr, path, 1, Some(100)).remove(0);
    let mut idle = Connection::open(addr).expect("connects");
    let (status, _) = call(addr, "POST", path, Some(body));
    assert_eq!(status, 200);
    assert_eq!(
        idle.send("POST", path, Some(body.as_bytes()))
            .expect("answered")
            .status,
        200
    );

    let timeout = stalled_body.receive().expect("a 408");
    assert_eq!(timeout.status, 408, "{timeout:?}");
    assert_eq!(timeout.json()["error"], "timeout");
    assert_eq!(timeout.header("connection"), Some("close"));
    assert!(stalled_body.closed_within(Duration::from_secs(30)));
    for mut connection in stalled_heads {
        assert!(connection.closed_within(Duration::from_secs(30)));
    }
    assert!(idle.closed_within(Duration::from_secs(30)));
    assert_eq!(call(addr, "POST", path, Some(body)).0, 200);
}

/// `POST /v1/reload` scans at once; several at a time all answer with the same settled list.
#[test]
fn reloads_scan_at_once_and_concurrently() {
    let dir = temp_dir("reload-now");
    let mut config = config(&dir);
    // No poll during the test: only the reloads see the files.
    config.poll = Duration::from_secs(3600);
    let server = server_support::start_with(config);
    let addr = server.addr;
    assert_eq!(call(addr, "GET", "/v1/policies", None).1, json!([]));
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "1"));
    write(&dir, "broken.policy", "input supplier { name: txt }");
    std::fs::write(dir.join("latin1.policy"), b"# caf\xe9\n").expect("writes");
    let lists: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let reloads: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| call(addr, "POST", "/v1/reload", None)))
            .collect();
        reloads
            .into_iter()
            .map(|reload| reload.join().expect("a reload"))
            .collect()
    });
    for (status, list) in &lists {
        assert_eq!(*status, 200, "{list}");
        assert_eq!(list, &lists[0].1);
    }
    let summary: Vec<(&str, &str, bool)> = lists[0]
        .1
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| {
            let field = |key: &str| p[key].as_str().unwrap_or("-");
            (field("name"), field("status"), p["serving"] == true)
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("broken", "error", false),
            ("latin1", "error", false),
            ("tiny", "ok", true)
        ]
    );
    let (_, latin1) = call(addr, "GET", "/v1/policies/latin1", None);
    let diagnostic = &latin1["diagnostics"][0];
    assert_eq!(diagnostic["code"], "utf8", "{latin1}");
    assert_eq!(
        (&diagnostic["line"], &diagnostic["column"]),
        (&json!(1), &json!(6))
    );
    assert_eq!(latin1["source"], "# caf\u{fffd}\n");

    std::fs::remove_file(dir.join("tiny.policy")).expect("removes");
    let (status, list) = call(addr, "POST", "/v1/reload", None);
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(2)));
    assert_eq!(call(addr, "GET", "/v1/policies/tiny", None).0, 404);
}

/// 5,000 numbers: 25 million steps of `HEAVY`, within the test servers' 64 KiB bodies.
fn heavy_request() -> String {
    let values: Vec<u32> = (0..5_000).collect();
    json!({"input": {"values": values}}).to_string()
}

/// With `--fuel`, the same heavy request runs out of fuel before the step budget stops it: 422
/// `fuel`, its instance is replaced, and the next request is served.
#[test]
fn fuel_when_asked_for_stops_an_evaluation() {
    let dir = temp_dir("fuel");
    write(&dir, "heavy.policy", HEAVY);
    let mut config = config(&dir);
    config.fuel = Some(20_000_000);
    config.instances = 1;
    let server = server_support::start_with(config);
    let path = "/v1/policies/heavy/evaluate";
    let (status, error) = call(server.addr, "POST", path, Some(&heavy_request()));
    assert_eq!((status, &error["error"]), (422, &json!("fuel")), "{error}");
    assert!(
        error["help"]
            .as_str()
            .unwrap_or_default()
            .contains("--fuel")
    );
    let small = json!({"input": {"values": [1, 2, 3]}}).to_string();
    let (status, report) = call(server.addr, "POST", path, Some(&small));
    assert_eq!((status, &report["decision"]), (200, &json!("approve")));
}

/// A call that never ends (a module that spins, see `server_support/spin.rs`) is stopped at
/// its deadline: 422 `deadline` for an evaluation, a `deadline` diagnostic for a compilation;
/// the instance is replaced and the next request is served.
#[test]
fn a_call_past_its_deadline_is_stopped() {
    let dir = temp_dir("deadline");
    write(&dir, "short.policy", "short");
    write(&dir, "long.policy", &"long ".repeat(20));
    let module = dir.join("spin.wasm");
    std::fs::write(&module, spin::module()).expect("writes");
    let mut config = config(&dir);
    config.module = Some(module);
    config.timeout = Duration::from_millis(50);
    config.compile_timeout = Duration::from_millis(50);
    config.instances = 1;
    let server = server_support::start_with(config);
    let addr = server.addr;

    let (_, long) = call(addr, "GET", "/v1/policies/long", None);
    assert_eq!(long["serving"], false, "{long}");
    assert_eq!(long["diagnostics"][0]["code"], "deadline", "{long}");
    let path = "/v1/policies/short/evaluate";
    for _ in 0..2 {
        let (status, error) = call(addr, "POST", path, Some(r#"{"input": {"spin": true}}"#));
        assert_eq!(
            (status, &error["error"]),
            (422, &json!("deadline")),
            "{error}"
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("50 ms"),
            "{error}"
        );
        let (status, report) = call_text(addr, "POST", path, Some(r#"{"input": {}}"#));
        assert_eq!((status, report.as_str()), (200, spin::REPORT));
    }
}

/// `--max-steps` is the step budget of every evaluation in the module (sent as the option
/// `max_steps`); a client cannot send it.
#[test]
fn max_steps_sets_the_budget_of_every_evaluation() {
    let dir = temp_dir("max-steps");
    write(&dir, "heavy.policy", HEAVY);
    let mut config = config(&dir);
    config.max_steps = Some(5);
    config.instances = 1;
    let server = server_support::start_with(config);
    let path = "/v1/policies/heavy/evaluate";
    let small = json!({"input": {"values": [1, 2, 3]}}).to_string();
    let (status, error) = call(server.addr, "POST", path, Some(&small));
    assert_eq!(
        (status, &error["error"]),
        (422, &json!("evaluation")),
        "{error}"
    );
    let (status, report) = call(
        server.addr,
        "POST",
        path,
        Some(r#"{"input": {"values": []}}"#),
    );
    assert_eq!(
        (status, &report["decision"]),
        (200, &json!("approve")),
        "{report}"
    );
    let client = json!({"input": {"values": []}, "max_steps": 1_000_000}).to_string();
    let (status, error) = call(server.addr, "POST", path, Some(&client));
    assert_eq!(
        (status, &error["error"]),
        (400, &json!("request")),
        "{error}"
    );
}

/// Scale-out: the binary embeds its module, so several instances start from an empty working
/// directory with no `PROCURA_ABI_WASM`, each on its own port, and give the same bytes for
/// the same requests (the server keeps no state but the policy files).
#[test]
fn instances_started_anywhere_answer_identically() {
    let policies = temp_dir("scale-policies");
    for file in ["onboarding.policy", "conflict-minerals.policy"] {
        write(&policies, file, &read(&format!("rules/{file}")));
    }
    let elsewhere = temp_dir("scale-cwd");
    let instances: Vec<_> = (0..3)
        .map(|_| {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_procura"));
            command
                .current_dir(&elsewhere)
                .env_remove("PROCURA_ABI_WASM");
            server_support::spawn_binary(command, &policies, &[])
        })
        .collect();
    // What operations check first: the version and the commit it was built from.
    let version = std::process::Command::new(env!("CARGO_BIN_EXE_procura"))
        .arg("--version")
        .output()
        .expect("procura --version runs");
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let expected = format!("procura {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&expected), "{version}");
    let data: Value = serde_json::from_str(&read("rules/data/reference.json")).expect("JSON");
    let suppliers = read("rules/data/suppliers.jsonl");
    let mut requests = vec![("GET", "/v1/policies".to_owned(), None)];
    for supplier in suppliers.lines().take(20) {
        let input: Value = serde_json::from_str(supplier).expect("JSON");
        let body = json!({"input": input, "data": data, "as_of": "2025-06-01"}).to_string();
        let path = "/v1/policies/onboarding/evaluate".to_owned();
        requests.push(("POST", path, Some(body)));
    }
    for (method, path, body) in &requests {
        let answers: Vec<(u16, String)> = instances
            .iter()
            .map(|instance| call_text(instance.addr, method, path, body.as_deref()))
            .collect();
        assert_eq!(answers[0].0, 200, "{method} {path}: {}", answers[0].1);
        for answer in &answers[1..] {
            assert_eq!(answer, &answers[0], "{method} {path}");
        }
    }
    drop(instances);
    let _ = std::fs::remove_dir_all(&policies);
    let _ = std::fs::remove_dir_all(&elsewhere);
}

/// A file rewritten in place, with a pause in the middle shorter than the settling time, is
/// never served half written: every report has all its rules, and each version is served
/// once it is complete.
#[test]
fn a_file_written_in_place_is_served_only_once_complete() {
    use std::io::Write;
    let dir = temp_dir("half-written");
    write(&dir, "lines.policy", &lines_policy("0", 40));
    let mut config = config(&dir);
    config.poll = Duration::from_millis(20);
    config.settle = Duration::from_millis(600);
    let server = server_support::start_with(config);
    let addr = server.addr;
    let done = std::sync::atomic::AtomicBool::new(false);
    let body = r#"{"input": {"spend": 5}, "as_of": "2025-01-01"}"#;
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut versions = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, report) =
                    call(addr, "POST", "/v1/policies/lines/evaluate", Some(body));
                assert_eq!(status, 200, "{report}");
                let rules = report["rules"].as_array().map_or(0, Vec::len);
                assert_eq!(rules, 40, "a half-written version was served: {report}");
                versions.insert(
                    report["policy"]["version"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                );
            }
            versions
        });
        for version in 1..=3 {
            let text = lines_policy(&version.to_string(), 40);
            // At the end of a line: the first half compiles on its own.
            let half = text[..text.len() / 2].rfind('\n').map_or(0, |at| at + 1);
            let mut file = std::fs::File::create(dir.join("lines.policy")).expect("creates");
            file.write_all(&text.as_bytes()[..half]).expect("writes");
            file.flush().expect("flushes");
            std::thread::sleep(Duration::from_millis(300));
            file.write_all(&text.as_bytes()[half..]).expect("writes");
            drop(file);
            let name = version.to_string();
            wait_for(addr, "/v1/policies/lines", |_, p| {
                p["version"] == name.as_str()
            });
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let versions = reader.join().expect("the reader");
        assert!(
            versions.len() >= 2,
            "the reader saw no reload: {versions:?}"
        );
        let (_, report) = call(addr, "POST", "/v1/policies/lines/evaluate", Some(body));
        assert_eq!(report["policy"]["version"], "3");
        assert_eq!(report["rules"].as_array().map_or(0, Vec::len), 40);
    });
}

/// A policy directory switched by renaming a symlink over the old one (as deployments and
/// Kubernetes ConfigMap volumes do) switches every policy at once: no listing ever shows
/// policies of both directories, and a policy only the old one had disappears with it.
#[cfg(unix)]
#[test]
fn a_symlink_swap_switches_the_whole_directory_at_once() {
    let root = temp_dir("symlink-swap");
    for (name, files) in [
        ("a", &["one", "two", "old"][..]),
        ("b", &["one", "two"][..]),
    ] {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("a directory");
        for file in files {
            write(
                &dir,
                &format!("{file}.policy"),
                &TINY.replace("VERSION", name),
            );
        }
    }
    let current = root.join("current");
    std::os::unix::fs::symlink(root.join("a"), &current).expect("links");
    let server = server_support::start_with(config(&current));
    let addr = server.addr;
    let swap = |to: &str| {
        // Touched, as freshly deployed files are: they must settle first.
        for file in ["one", "two"] {
            write(
                &root.join(to),
                &format!("{file}.policy"),
                &TINY.replace("VERSION", to),
            );
        }
        let link = root.join("next");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(root.join(to), &link).expect("links");
        std::fs::rename(&link, &current).expect("renames");
    };
    let listing = || {
        let (status, list) = call(addr, "GET", "/v1/policies", None);
        assert_eq!(status, 200, "{list}");
        let list = list.as_array().cloned().unwrap_or_default();
        let versions: std::collections::BTreeSet<String> = list
            .iter()
            .map(|p| p["version"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(versions.len(), 1, "a mixed listing: {list:?}");
        (versions.into_iter().next().unwrap_or_default(), list.len())
    };
    assert_eq!(listing(), ("a".to_owned(), 3));
    for (to, count) in [("b", 2), ("a", 3), ("b", 2)] {
        swap(to);
        let start = std::time::Instant::now();
        loop {
            let seen = listing();
            if seen == (to.to_owned(), count) {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "still {seen:?}");
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&root);
}

/// `GET /readyz`, `GET /metrics` adding up to the requests sent, request ids, and an OpenAPI
/// description with exactly the router's routes, each of which answers.
#[test]
fn readiness_metrics_request_ids_and_the_openapi_description() {
    let dir = temp_dir("observe");
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "1"));
    write(&dir, "broken.policy", "input supplier { name: txt }");
    let server = start(dir);
    let addr = server.addr;
    assert_eq!(
        call(addr, "GET", "/readyz", None),
        (200, json!({"status": "ready", "policies": 2}))
    );

    let path = "/v1/policies/tiny/evaluate";
    let small = r#"{"input": {"name": "Acme", "spend": 5}}"#;
    let large = r#"{"input": {"name": "Acme", "spend": 500}}"#;
    for body in [small, small, large] {
        assert_eq!(call(addr, "POST", path, Some(body)).0, 200);
    }
    assert_eq!(call(addr, "POST", path, Some("{")).0, 400);
    assert_eq!(call(addr, "GET", "/v1/policies/absent", None).0, 404);
    assert_eq!(call(addr, "GET", "/nowhere", None).0, 404);

    let mut connection = Connection::open(addr).expect("connects");
    let given = connection
        .send_with_headers("GET", "/healthz", "x-request-id: abc-123\r\n")
        .expect("an answer");
    assert_eq!(given.header("x-request-id"), Some("abc-123"));
    let made = connection
        .send_with_headers("GET", "/healthz", "x-request-id: not a token\r\n")
        .expect("an answer");
    let made = made.header("x-request-id").unwrap_or_default().to_owned();
    assert!(!made.is_empty() && made != "not a token", "{made}");

    let (status, metrics) = call_text_any(addr, "/metrics");
    assert_eq!(status, 200);
    for line in [
        r#"procura_http_requests_total{policy="tiny",endpoint="/v1/policies/{name}/evaluate",status="200"} 3"#,
        r#"procura_http_requests_total{policy="tiny",endpoint="/v1/policies/{name}/evaluate",status="400"} 1"#,
        r#"procura_http_requests_total{policy="-",endpoint="/v1/policies/{name}",status="404"} 1"#,
        r#"procura_http_requests_total{policy="-",endpoint="unmatched",status="404"} 1"#,
        r#"procura_decisions_total{policy="tiny",decision="approve"} 2"#,
        r#"procura_decisions_total{policy="tiny",decision="review"} 1"#,
        r#"procura_policy_reloads_total{policy="tiny",result="ok"} 1"#,
        r#"procura_policy_reloads_total{policy="broken",result="error"} 1"#,
        r#"procura_http_request_duration_seconds_count{endpoint="/v1/policies/{name}/evaluate"} 4"#,
        "procura_instances_in_use 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in\n{metrics}"
        );
    }

    let (status, openapi) = call(addr, "GET", "/v1/openapi.json", None);
    assert_eq!(status, 200);
    let mut described: Vec<(String, String)> = Vec::new();
    for (path, operations) in openapi["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            described.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut routes: Vec<(String, String)> = procura::server::route_list()
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();
    described.sort();
    routes.sort();
    assert_eq!(described, routes);
    for (method, path) in &routes {
        let concrete = path.replace("{name}", "tiny");
        let body = (method == "POST").then_some(small);
        let response = Connection::open(addr)
            .and_then(|mut c| c.send(method, &concrete, body.map(str::as_bytes)))
            .expect("an answer");
        assert!(
            ![404, 405].contains(&response.status),
            "{method} {concrete}: {response:?}"
        );
    }
}

/// `/metrics` is text, not JSON: read it without the JSON check of `call`.
fn call_text_any(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let response = Connection::open(addr)
        .and_then(|mut c| c.send("GET", path, None))
        .expect("an answer");
    (response.status, response.body)
}

/// Over `--max-connections` a connection is answered 503 at once while those within the
/// limit keep being served; SIGTERM lets a request already received finish and exits 0.
#[cfg(unix)]
#[test]
fn connection_limit_and_graceful_shutdown() {
    let mut binary = tiny_binary("shutdown", &["--max-connections", "3", "--log", "off"]);
    let addr = binary.addr;
    let body = r#"{"input": {"name": "Acme", "spend": 5}}"#;
    let path = "/v1/policies/tiny/evaluate";
    let mut open: Vec<Connection> = (0..3)
        .map(|_| {
            let mut connection = Connection::open(addr).expect("connects");
            let response = connection.send("POST", path, Some(body.as_bytes()));
            assert_eq!(response.expect("an answer").status, 200);
            connection
        })
        .collect();
    let mut extra = Connection::open(addr).expect("connects");
    let refused = extra.receive().expect("a 503");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.json()["error"], "busy");
    for connection in &mut open {
        let response = connection.send("POST", path, Some(body.as_bytes()));
        assert_eq!(response.expect("an answer").status, 200);
    }

    // A request whose headers arrived, whose body is still on its way when SIGTERM comes.
    use std::io::Write;
    let mut in_flight = open.pop().expect("a connection");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    in_flight
        .stream()
        .write_all(head.as_bytes())
        .expect("sends");
    std::thread::sleep(Duration::from_millis(200));
    binary.terminate();
    std::thread::sleep(Duration::from_millis(300));
    in_flight
        .stream()
        .write_all(body.as_bytes())
        .expect("sends");
    let response = in_flight
        .receive()
        .expect("the answer to a request in flight");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["decision"], "approve");
    let start = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = binary.child.try_wait().expect("waits") {
            break exit;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "still running");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0));
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still accepting"
    );
}

/// `--shutdown-delay`: after SIGTERM the server is not ready but still accepts connections for
/// that long (a load balancer notices first), then stops and exits 0.
#[cfg(unix)]
#[test]
fn readiness_fails_first_during_the_shutdown_delay() {
    let mut binary = tiny_binary("shutdown-delay", &["--shutdown-delay", "2", "--log", "off"]);
    let addr = binary.addr;
    assert_eq!(call(addr, "GET", "/readyz", None).0, 200);
    binary.terminate();
    wait_for(addr, "/readyz", |status, body| {
        status == 503 && body["status"] == "draining"
    });
    let body = r#"{"input": {"name": "Acme", "spend": 5}}"#;
    let (status, _) = call(addr, "POST", "/v1/policies/tiny/evaluate", Some(body));
    assert_eq!(
        status, 200,
        "a new connection during the delay is still served"
    );
    let exit = binary.child.wait().expect("the server exits");
    assert_eq!(exit.code(), Some(0));
}

/// The `procura serve` binary serving `TINY` (version 1) with `args`.
fn tiny_binary(name: &str, args: &[&str]) -> server_support::Binary {
    let dir = temp_dir(name);
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "1"));
    server_support::spawn_binary(
        std::process::Command::new(env!("CARGO_BIN_EXE_procura")),
        &dir,
        args,
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The lines of a decision log, each parsed.
fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// `--decision-log`: one line per decision (a batch's records each), on disk before the
/// response arrives, holding the report's audit fields and decision, the digest of the input
/// exactly as sent, the request id and the time; errors are no decisions; concurrent requests
/// never mix their lines.
#[test]
fn the_decision_log_has_one_line_per_decision_before_the_response() {
    let dir = temp_dir("declog");
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "3"));
    write(&dir, "onboarding.policy", &read("rules/onboarding.policy"));
    let logs = temp_dir("declog-file");
    let log = logs.join("decisions.jsonl");
    let mut config = config(&dir);
    config.decision_log = Some(log.clone());
    let server = server_support::start_with(config);
    let addr = server.addr;

    // Odd spacing: the digest is of the input's own bytes, not of a re-serialization.
    let input = r#"{"spend": 5,   "name": "Acme"}"#;
    let body = format!(r#"{{"as_of": "2025-06-01", "input": {input} }}"#);
    let mut connection = Connection::open(addr).expect("connects");
    let head = format!(
        "POST /v1/policies/tiny/evaluate HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nx-request-id: audit-1\r\n\r\n{body}",
        body.len()
    );
    std::io::Write::write_all(connection.stream(), head.as_bytes()).expect("sends");
    let response = connection.receive().expect("an answer");
    // Read at once: the line was written before the response was sent.
    let lines = log_lines(&log);
    assert_eq!(response.status, 200, "{response:?}");
    let report = response.json();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["request_id"], "audit-1");
    assert_eq!(line["policy"]["name"], "tiny");
    for field in ["title", "version", "sha256"] {
        assert_eq!(line["policy"][field], report["policy"][field], "{field}");
    }
    assert_eq!(line["policy"]["version"], "3");
    for field in ["as_of", "data_sha256", "decision"] {
        assert_eq!(line[field], report[field], "{field}");
    }
    assert_eq!(line["input_sha256"], sha256_hex(input.as_bytes()));
    assert_eq!(line.get("index"), None);
    let time = line["time"].as_str().expect("a time");
    let today = procura::Date::from_unix_seconds(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs() as i64,
    );
    assert!(
        time.len() == 27 && time.ends_with('Z') && time[10..].starts_with('T'),
        "{time}"
    );
    assert!(
        time.starts_with(&today.to_string()) || time < today.to_string().as_str(),
        "{time}"
    );

    // Errors are not decisions: nothing logged.
    let path = "/v1/policies/tiny/evaluate";
    assert_eq!(
        call(addr, "POST", path, Some(r#"{"input": {"spend": "x"}}"#)).0,
        422
    );
    assert_eq!(call(addr, "POST", path, Some(r#"{"inputs": {}}"#)).0, 400);
    assert_eq!(log_lines(&log).len(), 1);

    // A batch: one line per record decided, with its position; the error in between has none.
    let batch = r#"[{"input": {"name": "A", "spend": 1}}, {"input": 5}, {"input": {"name": "B", "spend": 500}}]"#;
    let (status, reports) = call(
        addr,
        "POST",
        "/v1/policies/tiny/evaluate-batch",
        Some(batch),
    );
    assert_eq!(status, 200);
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, index) in lines[1..].iter().zip([0, 2]) {
        assert_eq!(line["index"], index);
        assert_eq!(line["decision"], reports[index]["decision"]);
    }
    assert_eq!(
        lines[2]["input_sha256"],
        sha256_hex(br#"{"name": "B", "spend": 500}"#)
    );
    assert_eq!(lines[1]["request_id"], lines[2]["request_id"]);

    // Concurrent clients, each request with its own id: every response has exactly its line.
    let data: Value = serde_json::from_str(&read("rules/data/reference.json")).expect("JSON");
    let suppliers: Vec<String> = read("rules/data/suppliers.jsonl")
        .lines()
        .take(20)
        .map(str::to_owned)
        .collect();
    let answers: Vec<(String, String, String)> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..4)
            .map(|client| {
                let (suppliers, data) = (&suppliers, &data);
                scope.spawn(move || {
                    let mut connection = Connection::open(addr).expect("connects");
                    let mut seen = Vec::new();
                    for (i, supplier) in suppliers.iter().enumerate() {
                        let body = format!(
                            r#"{{"input": {supplier}, "data": {data}, "as_of": "2025-06-01"}}"#
                        );
                        let id = format!("c{client}-{i}");
                        let head = format!(
                            "POST /v1/policies/onboarding/evaluate HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nx-request-id: {id}\r\n\r\n{body}",
                            body.len()
                        );
                        std::io::Write::write_all(connection.stream(), head.as_bytes())
                            .expect("sends");
                        let response = connection.receive().expect("an answer");
                        assert_eq!(response.status, 200, "{response:?}");
                        let decision = response.json()["decision"].as_str().unwrap().to_owned();
                        seen.push((id, decision, sha256_hex(supplier.as_bytes())));
                    }
                    seen
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|client| client.join().expect("a client"))
            .collect()
    });
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 3 + answers.len());
    for (id, decision, digest) in &answers {
        let mine: Vec<&Value> = lines.iter().filter(|l| l["request_id"] == **id).collect();
        assert_eq!(mine.len(), 1, "{id}");
        assert_eq!(mine[0]["decision"], **decision, "{id}");
        assert_eq!(mine[0]["input_sha256"], **digest, "{id}");
        assert_eq!(mine[0]["policy"]["name"], "onboarding");
        assert!(mine[0]["data_sha256"].is_string(), "{}", mine[0]);
    }
    let _ = std::fs::remove_dir_all(&logs);
}

/// A decision that cannot be logged is not returned: 503 `decision_log`, counted in
/// `/metrics`, and not counted as a decision. A log that cannot be opened stops the start.
#[test]
fn a_decision_log_that_fails_refuses_the_decisions() {
    let dir = temp_dir("declog-fails");
    write(&dir, "tiny.policy", &TINY.replace("VERSION", "1"));
    let mut refused = config(&dir);
    refused.decision_log = Some(dir.join("no-such-directory").join("decisions.jsonl"));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let error = runtime.block_on(Server::bind(refused)).err();
    assert!(
        matches!(error, Some(ServeError::DecisionLog { .. })),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("cannot open the decision log `")
            && message.contains("no-such-directory"),
        "{message}"
    );
    drop(runtime);

    // Every write to `/dev/full` fails with "no space left on device".
    if !Path::new("/dev/full").exists() {
        return;
    }
    let mut config = config(&dir);
    config.decision_log = Some("/dev/full".into());
    let server = server_support::start_with(config);
    let addr = server.addr;
    let path = "/v1/policies/tiny/evaluate";
    let (status, body) = call(
        addr,
        "POST",
        path,
        Some(r#"{"input": {"name": "A", "spend": 1}}"#),
    );
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "decision_log");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("decision log") && message.contains("not returned"),
        "{message}"
    );
    // An error is no decision: answered as without a log.
    assert_eq!(
        call(addr, "POST", path, Some(r#"{"input": {"spend": "x"}}"#)).0,
        422
    );
    let batch = r#"[{"input": {"name": "A", "spend": 1}}, {"input": {"name": "B", "spend": 2}}]"#;
    let (status, body) = call(
        addr,
        "POST",
        "/v1/policies/tiny/evaluate-batch",
        Some(batch),
    );
    assert_eq!((status, &body["error"]), (503, &json!("decision_log")));
    let (_, metrics) = call_text_any(addr, "/metrics");
    assert!(
        metrics
            .lines()
            .any(|l| l == r#"procura_decision_log_failures_total{policy="tiny"} 3"#),
        "{metrics}"
    );
    assert!(!metrics.contains("procura_decisions_total{"), "{metrics}");
}

/// A CMRT 6.5 workbook with three smelter rows, one of them incomplete (a warning).
fn cmrt_workbook() -> Vec<u8> {
    use templates::{Cell, Kind, Smelter, Spec, text};
    let mut spec = Spec::new(Kind::Cmrt, "Revision 6.5\nApril 25, 2025");
    spec.company = vec![
        (8, text("Hokuriku Denshi K.K.")),
        (9, text("A. Company")),
        (22, Cell::Date(45717.0)),
    ];
    spec.smelters = vec![
        (
            5,
            Smelter::by_id("CID001231", "Tin", "PT Timah Tbk Kundur", "INDONESIA"),
        ),
        (
            6,
            Smelter::by_id("CID000958", "Gold", "Kojima Chemicals Co., Ltd.", "JAPAN"),
        ),
        (7, Smelter::not_listed("Tantalum", "", "")),
    ];
    spec.write()
}

/// A multipart body of the parts given as (name, file name, bytes).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "procura-test-7d1f";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let file = file.map_or(String::new(), |file| format!("; filename=\"{file}\""));
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart body of these parts.
fn post_parts(
    addr: std::net::SocketAddr,
    path: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> server_support::Response {
    let (content_type, body) = multipart(parts);
    post_bytes(addr, path, &content_type, &body)
}

fn post_bytes(
    addr: std::net::SocketAddr,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> server_support::Response {
    let mut connection = Connection::open(addr).expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let stream = connection.stream();
    std::io::Write::write_all(stream, head.as_bytes()).expect("sends");
    // A body the server refuses early may not be read whole: a reset then is its answer.
    let _ = std::io::Write::write_all(stream, body);
    connection.receive().expect("an answer")
}

/// `POST /v1/policies/NAME/evaluate-cmrt`: the workbook imported as `procura import cmrt` does
/// (the same record, the same warnings, the same errors) and evaluated as `/evaluate` does (the
/// same report), alone or inside the rest of a supplier record; the decision log digests the
/// input the response returns.
#[test]
fn a_cmrt_workbook_is_imported_and_evaluated() {
    use procura::import::cmrt::{self, Template};
    let dir = temp_dir("cmrt");
    write(
        &dir,
        "cmrt-quality.policy",
        &read("rules/cmrt-quality.policy"),
    );
    std::fs::create_dir_all(dir.join("lib")).expect("a directory");
    write(
        &dir,
        "lib/minerals.policy",
        &read("rules/lib/minerals.policy"),
    );
    write(
        &dir,
        "wrapped.policy",
        r#"policy "Wrapped" version "1"
input supplier { name: text, cmrt: { version: text, smelters: [{ id: text? }] } }
rule listed "Every smelter identified" { require all s in supplier.cmrt.smelters: s.id is present else review "{supplier.name}: a smelter without an ID" }
"#,
    );
    let logs = temp_dir("cmrt-log");
    let log = logs.join("decisions.jsonl");
    let mut config = config(&dir);
    config.max_workbook_kb = 256;
    config.decision_log = Some(log.clone());
    let server = server_support::start_with(config);
    let addr = server.addr;

    let workbook = cmrt_workbook();
    let library = cmrt::read("supplier.xlsx", &workbook, Template::Cmrt).expect("imports");
    assert!(
        !library.warnings.is_empty(),
        "the fixture has an incomplete row"
    );
    let data: Value = serde_json::from_str(&read("rules/data/reference.json")).expect("JSON");
    let request = json!({"data": data, "as_of": "2025-06-01"}).to_string();

    // Multipart: the workbook and the request's data and date.
    let response = post_parts(
        addr,
        "/v1/policies/cmrt-quality/evaluate-cmrt",
        &[
            ("request", None, request.as_bytes()),
            ("workbook", Some("supplier.xlsx"), &workbook),
        ],
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let answer = response.json();
    assert_eq!(answer["input"], library.json);
    let warnings: Vec<String> = library.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(answer["warnings"], json!(warnings));
    // The report `/evaluate` gives for the imported record, byte for byte.
    let direct = json!({"input": library.json, "data": data, "as_of": "2025-06-01"}).to_string();
    let (status, report) = call_text(
        addr,
        "POST",
        "/v1/policies/cmrt-quality/evaluate",
        Some(&direct),
    );
    assert_eq!(status, 200, "{report}");
    let start = response.body.find(r#""report":"#).expect("a report") + 9;
    assert!(
        response.body[start..].starts_with(&report),
        "{}",
        response.body
    );
    // The decision log digests exactly the `input` returned.
    let input_at = response.body.find(r#","input":"#).expect("an input") + 9;
    let input_end = response.body.find(r#","warnings":"#).expect("warnings");
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["input_sha256"],
        sha256_hex(&response.body.as_bytes()[input_at..input_end])
    );
    assert_eq!(lines[0]["decision"], answer["report"]["decision"]);

    // The workbook alone as the body, placed at `field` of an empty record; then inside the
    // rest of a supplier record given in the `request` part.
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let response = post_bytes(
        addr,
        "/v1/policies/wrapped/evaluate-cmrt?field=cmrt",
        xlsx,
        &workbook,
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["input"], json!({"cmrt": library.json}));
    let rest = json!({"input": {"name": "Hokuriku", "cmrt": "replaced"}, "as_of": "2025-06-01"});
    let response = post_parts(
        addr,
        "/v1/policies/wrapped/evaluate-cmrt?template=cmrt&field=cmrt",
        &[
            ("workbook", None, &workbook),
            ("request", None, rest.to_string().as_bytes()),
        ],
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let answer = response.json();
    assert_eq!(
        answer["input"],
        json!({"name": "Hokuriku", "cmrt": library.json})
    );
    assert_eq!(answer["report"]["decision"], "review");
    assert_eq!(
        answer["report"]["rules"][0]["message"],
        "Hokuriku: a smelter without an ID"
    );

    // The importer's errors, as the command line gives them, named by the part's file name.
    let emrt = cmrt::read("supplier.xlsx", &workbook, Template::Emrt).expect_err("not an EMRT");
    let path = "/v1/policies/cmrt-quality/evaluate-cmrt?template=emrt";
    let response = post_parts(
        addr,
        path,
        &[("workbook", Some("supplier.xlsx"), &workbook)],
    );
    assert_eq!(response.status, 422, "{}", response.body);
    assert_eq!(
        response.json(),
        json!({"error": "import", "message": emrt.to_string()})
    );
    let response = post_bytes(
        addr,
        "/v1/policies/cmrt-quality/evaluate-cmrt",
        xlsx,
        b"not a zip",
    );
    assert_eq!(
        (response.status, &response.json()["error"]),
        (422, &json!("import"))
    );
    let message = response.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.starts_with("`workbook`: "), "{message}");

    // Requests of the wrong shape, and a body over `--max-workbook-kb`.
    let path = "/v1/policies/cmrt-quality/evaluate-cmrt";
    let rest_bytes = rest.to_string().into_bytes();
    for (query, content_type, body, needle) in [
        (
            "?feild=cmrt",
            xlsx,
            &workbook[..],
            "unknown query parameter `feild`",
        ),
        (
            "?template=xls",
            xlsx,
            &workbook[..],
            "`template` is `cmrt` or `emrt`",
        ),
        (
            "",
            "multipart/form-data; boundary=zz",
            &workbook[..],
            "multipart body is malformed",
        ),
        (
            "",
            "multipart/form-data; boundary=procura-test-7d1f",
            &rest_bytes[..],
            "multipart body is malformed",
        ),
    ] {
        let response = post_bytes(addr, &format!("{path}{query}"), content_type, body);
        assert_eq!(response.status, 400, "{query}: {}", response.body);
        let message = response.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(needle), "{query}: {message}");
    }
    let response = post_parts(
        addr,
        path,
        &[
            ("workbook", None, &workbook),
            ("request", None, br#"{"input": {"name": "x"}}"#),
        ],
    );
    assert_eq!(response.status, 400, "{}", response.body);
    assert!(
        response.body.contains("`field` must say where"),
        "{}",
        response.body
    );
    let huge = vec![b'x'; 300 * 1024];
    let response = post_bytes(addr, path, xlsx, &huge);
    assert_eq!(response.status, 413, "{}", response.body);
    assert_eq!(log_lines(&log).len(), 4);
    let _ = std::fs::remove_dir_all(&logs);
}

/// `procura verify` takes a line of the decision log: the record file whose digest the line
/// holds, the policy and the data re-run to the line's decision; one byte changed in the
/// policy, the data or the record makes it fail and name which of the three differs.
#[test]
fn a_decision_log_line_verifies_and_names_what_differs() {
    let dir = temp_dir("verify-line");
    let policy_text = read("rules/onboarding.policy");
    write(&dir, "onboarding.policy", &policy_text);
    let files = temp_dir("verify-line-files");
    let log = files.join("decisions.jsonl");
    let mut config = config(&dir);
    config.max_body_kb = 1024;
    config.decision_log = Some(log.clone());
    let server = server_support::start_with(config);
    let data = read("rules/data/reference.json");
    let record = read("rules/data/onboarding-supplier.json");
    // The record file as the client sent it (the server digests the `input` value, without the
    // file's final newline), and a second supplier, for the second line.
    let other = record.replacen("1450000", "1450001", 1);
    assert_ne!(other, record);
    for input in [&record, &other] {
        let body = format!(
            r#"{{"as_of": "2025-06-01", "data": {data}, "input": {}}}"#,
            input.trim()
        );
        let (status, report) = call_text(
            server.addr,
            "POST",
            "/v1/policies/onboarding/evaluate",
            Some(&body),
        );
        assert_eq!(status, 200, "{report}");
    }
    let lines = std::fs::read_to_string(&log).expect("a decision log");
    assert_eq!(lines.lines().count(), 2, "{lines}");
    write(&files, "line.json", lines.lines().next().expect("a line"));
    write(&files, "policy.policy", &policy_text);
    write(&files, "data.json", &data);
    write(&files, "record.json", &record);
    write(&files, "other.json", &other);
    let verify = |line: &str, policy: &str, data: &str, input: &str, more: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_procura"))
            .current_dir(&files)
            .args([
                "verify", line, "--policy", policy, "--data", data, "--input", input,
            ])
            .args(more)
            .output()
            .expect("runs procura");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.code(), text)
    };
    let (exit, text) = verify(
        "line.json",
        "policy.policy",
        "data.json",
        "record.json",
        &[],
    );
    assert_eq!(exit, Some(0), "{text}");
    assert!(
        text.starts_with("verified: policy.policy on 2025-06-01 gives the decision "),
        "{text}"
    );
    let (exit, text) = verify(
        "decisions.jsonl",
        "policy.policy",
        "data.json",
        "other.json",
        &["--line", "2"],
    );
    assert_eq!(exit, Some(0), "{text}");
    assert!(
        text.contains("recorded by line 2 of `decisions.jsonl`"),
        "{text}"
    );

    // A line whose decision is not the re-run's names the field.
    let line = lines.lines().next().expect("a line");
    let decision = format!(
        r#""decision":{}"#,
        serde_json::from_str::<Value>(line).expect("JSON")["decision"]
    );
    write(
        &files,
        "tampered.json",
        &line.replacen(&decision, r#""decision":"reject""#, 1),
    );
    let (exit, text) = verify(
        "tampered.json",
        "policy.policy",
        "data.json",
        "record.json",
        &[],
    );
    assert_eq!(exit, Some(1), "{text}");
    assert!(
        text.contains("the re-run differs from the line at `decision`: the line has \"reject\""),
        "{text}"
    );

    // One byte changed in each of the three: only that one is named.
    let changed_policy = policy_text.replacen("CPI_FLOOR = 40", "CPI_FLOOR = 41", 1);
    assert_ne!(changed_policy, policy_text);
    write(&files, "changed.policy", &changed_policy);
    let changed_data = data.replacen("\"BY\": true", "\"BZ\": true", 1);
    assert_ne!(changed_data, data);
    write(&files, "changed.json", &changed_data);
    let cases = [
        (
            "changed.policy",
            "data.json",
            "record.json",
            "the policy differs",
        ),
        (
            "policy.policy",
            "changed.json",
            "record.json",
            "the reference data differs",
        ),
        (
            "policy.policy",
            "data.json",
            "other.json",
            "the input differs",
        ),
    ];
    for (policy, data, input, named) in cases {
        let (exit, text) = verify("line.json", policy, data, input, &[]);
        assert_eq!(exit, Some(1), "{named}: {text}");
        let mismatches: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("mismatch: "))
            .collect();
        assert!(
            mismatches
                .first()
                .is_some_and(|first| first.contains(named)),
            "{named}: {text}"
        );
        for other in [
            "the policy differs",
            "the reference data differs",
            "the input differs",
        ] {
            assert!(other == named || !text.contains(other), "{named}: {text}");
        }
    }
}
