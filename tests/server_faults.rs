//! Load and faults at once: `procura serve` on a loopback port, kept-alive clients posting
//! records without pause, while the test edits a policy into a broken state and back, deletes
//! and restores another, fires concurrent reloads, drops in a 10 MB policy, opens stalled
//! connections, sends oversized bodies and fuel-exhausting requests. Asserts: no 5xx, no
//! well-behaved connection dropped or reset, and every 200 byte-identical to the native report.
//!
//! Bounded by counts (fault rounds) with generous deadlines, and asserting correctness only, so
//! that a loaded machine makes it slower, not flaky.

mod server_support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_support::{Connection, HEAVY, TINY, call, config, read, start_with, temp_dir};

const AS_OF: &str = "2025-06-01";
const CLIENTS: usize = 8;
const ROUNDS: usize = 3;
/// How long the stalled clients wait to be cut off; far above the timeouts below.
const CUT_OFF: Duration = Duration::from_secs(30);

/// What a well-behaved request must get.
enum Expect {
    /// 200 with exactly this body.
    Report(String),
    /// 200 with this body, or 404 while its policy file is deleted.
    ReportUnlessDeleted(String),
    /// 422 `fuel`.
    Fuel,
}

struct Request {
    path: String,
    body: Vec<u8>,
    expect: Expect,
}

/// The native report; libraries are those of `rules/lib/`, which the served directory copies.
fn native(source: &str, input: &Value, data: Option<&Value>) -> String {
    let files = procura::policy::Sources::load(source, |library| {
        std::fs::read_to_string(Path::new("rules").join(library)).map_err(|e| e.to_string())
    });
    procura::policy::compile_sources(&files)
        .expect("compiles")
        .evaluate_json(input, data, procura::Date::parse(AS_OF).expect("a date"))
        .expect("valid input")
        .to_json()
}

fn tiny() -> String {
    TINY.replace("VERSION", "1")
}

fn evaluate(name: &str) -> String {
    format!("/v1/policies/{name}/evaluate")
}

/// The bundled policies with their sample suppliers, a policy that is edited to a broken state
/// and back (`flappy`), one that is deleted and restored (`gone`), and one that runs out of fuel
/// on a large input (`heavy`).
fn requests(dir: &Path) -> Vec<Request> {
    let data: Value = serde_json::from_str(&read("rules/data/reference.json")).expect("JSON");
    std::fs::create_dir_all(dir.join("lib")).expect("creates lib/");
    for library in std::fs::read_dir("rules/lib").expect("rules/lib") {
        let library = library.expect("a library").path();
        std::fs::copy(
            &library,
            dir.join("lib").join(library.file_name().expect("a name")),
        )
        .expect("copies");
    }
    let mut requests = Vec::new();
    for name in [
        "onboarding",
        "conflict-minerals",
        "green-procurement",
        "strategic-supplier",
    ] {
        let source = read(&format!("rules/{name}.policy"));
        std::fs::write(dir.join(format!("{name}.policy")), &source).expect("writes");
        let input: Value =
            serde_json::from_str(&read(&format!("rules/data/{name}-supplier.json"))).expect("JSON");
        let request = json!({"input": input, "data": data, "as_of": AS_OF}).to_string();
        let report = native(&source, &input, Some(&data));
        if name == "onboarding" {
            std::fs::write(dir.join("flappy.policy"), &source).expect("writes");
            requests.push(Request {
                path: evaluate("flappy"),
                body: request.clone().into_bytes(),
                expect: Expect::Report(report.clone()),
            });
            requests.push(Request {
                path: format!("/v1/policies/{name}/evaluate-batch"),
                body: format!("[{request},{request}]").into_bytes(),
                expect: Expect::Report(format!("[{report},{report}]")),
            });
        }
        requests.push(Request {
            path: evaluate(name),
            body: request.into_bytes(),
            expect: Expect::Report(report),
        });
    }
    std::fs::write(dir.join("gone.policy"), tiny()).expect("writes");
    for spend in [5, 500] {
        let input = json!({"name": "Acme", "spend": spend});
        requests.push(Request {
            path: evaluate("gone"),
            body: json!({"input": input, "as_of": AS_OF})
                .to_string()
                .into_bytes(),
            expect: Expect::ReportUnlessDeleted(native(&tiny(), &input, None)),
        });
    }
    std::fs::write(dir.join("heavy.policy"), HEAVY).expect("writes");
    let small = json!({"values": [1, 2, 3]});
    requests.push(Request {
        path: evaluate("heavy"),
        body: json!({"input": small, "as_of": AS_OF})
            .to_string()
            .into_bytes(),
        expect: Expect::Report(native(HEAVY, &small, None)),
    });
    let values: Vec<u32> = (0..5_000).collect();
    requests.push(Request {
        path: evaluate("heavy"),
        body: json!({"input": {"values": values}, "as_of": AS_OF})
            .to_string()
            .into_bytes(),
        expect: Expect::Fuel,
    });
    requests
}

/// What went wrong for a well-behaved client, if anything.
fn check(request: &Request, response: &server_support::Response) -> Option<String> {
    let fine = match &request.expect {
        Expect::Report(report) => response.status == 200 && &response.body == report,
        Expect::ReportUnlessDeleted(report) => {
            (response.status == 200 && &response.body == report)
                || (response.status == 404 && response.json()["error"] == "not_found")
        }
        Expect::Fuel => response.status == 422 && response.json()["error"] == "fuel",
    };
    (!fine).then(|| {
        format!(
            "{}: {} {}",
            request.path,
            response.status,
            response.body.chars().take(300).collect::<String>()
        )
    })
}

#[derive(Default)]
struct Tally {
    /// Responses per request of `requests`, by status.
    served: Vec<Vec<u16>>,
    failures: Vec<String>,
}

/// One kept-alive client: sends the requests in turn, from its own starting point, until told
/// to stop. A connection error is a failure: the server must never drop a well-behaved client.
fn client(
    addr: SocketAddr,
    id: usize,
    requests: &[Request],
    stop: &AtomicBool,
    tally: &Mutex<Tally>,
) {
    let mut statuses = vec![Vec::new(); requests.len()];
    let mut failures = Vec::new();
    let mut connection = Connection::open(addr).expect("connects");
    let mut turn = id;
    while !stop.load(Ordering::Relaxed) {
        let index = turn % requests.len();
        let request = &requests[index];
        turn += 1;
        match connection.send("POST", &request.path, Some(&request.body)) {
            Ok(response) => {
                failures.extend(check(request, &response));
                statuses[index].push(response.status);
            }
            Err(error) => {
                failures.push(format!("client {id}: {}: {error}", request.path));
                connection = Connection::open(addr).expect("connects");
            }
        }
    }
    let mut tally = tally.lock().expect("the tally");
    for (all, mine) in tally.served.iter_mut().zip(statuses) {
        all.extend(mine);
    }
    tally.failures.extend(failures);
}

/// Replaces a file the way editors save: a new file renamed over the old, so that no reader
/// sees half of it.
fn replace(dir: &Path, name: &str, bytes: &[u8]) {
    let temporary = dir.join(format!(".{name}.tmp"));
    std::fs::write(&temporary, bytes).expect("writes");
    std::fs::rename(&temporary, dir.join(name)).expect("renames");
}

/// Several reloads at once, each answered 200; then the policy `name` as the server shows it.
fn reload_all_at_once(addr: SocketAddr, name: &str) -> (u16, Value) {
    std::thread::scope(|scope| {
        let reloads: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| call(addr, "POST", "/v1/reload", None)))
            .collect();
        for reload in reloads {
            let (status, body) = reload.join().expect("a reload");
            assert_eq!(status, 200, "{body}");
        }
    });
    call(addr, "GET", &format!("/v1/policies/{name}"), None)
}

/// Stalled clients: headers that never end, a body that never ends. The first are closed, the
/// second answered 408, each within `CUT_OFF`.
fn stall(addr: SocketAddr) {
    let path = evaluate("onboarding");
    let mut heads = Connection::stalled(addr, &path, 10, None);
    let mut body = Connection::stalled(addr, &path, 1, Some(500)).remove(0);
    let response = body.receive().expect("a 408");
    assert_eq!(
        (response.status, &response.json()["error"]),
        (408, &json!("timeout"))
    );
    assert!(body.closed_within(CUT_OFF));
    for connection in &mut heads {
        assert!(
            connection.closed_within(CUT_OFF),
            "a stalled head is still open"
        );
    }
}

/// A body over the 64 KiB limit, declared or not: 413, and the connection is closed.
fn oversized(addr: SocketAddr) {
    use std::io::Write;
    let values: Vec<u32> = (0..20_000).collect();
    let body = json!({"input": {"values": values}}).to_string();
    let path = evaluate("heavy");
    let mut declared = Connection::open(addr).expect("connects");
    let response = declared
        .send("POST", &path, Some(body.as_bytes()))
        .expect("a 413");
    assert_eq!(
        (response.status, &response.json()["error"]),
        (413, &json!("too_large"))
    );
    assert_eq!(response.header("connection"), Some("close"));

    let mut chunked = Connection::open(addr).expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    chunked.stream().write_all(head.as_bytes()).expect("sends");
    let response = chunked.receive().expect("a 413");
    assert_eq!(
        (response.status, &response.json()["error"]),
        (413, &json!("too_large"))
    );
}

#[test]
fn load_with_faults_loses_nothing() {
    let dir = temp_dir("faults");
    let requests = requests(&dir);
    let mut config = config(&dir);
    // Metered, so that the heavy requests trap and their instances are replaced under load (by
    // default the step budget stops them without a trap).
    config.fuel = Some(20_000_000);
    config.header_timeout = Duration::from_secs(3);
    config.body_timeout = Duration::from_secs(2);
    let server = start_with(config);
    let addr = server.addr;
    let flappy = read("rules/onboarding.policy");
    let huge = format!("# {}\n", "x".repeat(10_000_000));

    let stop = AtomicBool::new(false);
    let tally = Mutex::new(Tally {
        served: (0..requests.len()).map(|_| Vec::new()).collect(),
        failures: Vec::new(),
    });
    let started = Instant::now();
    std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                scope.spawn({
                    let (requests, stop, tally) = (&requests, &stop, &tally);
                    move || client(addr, id, requests, stop, tally)
                })
            })
            .collect();
        for _ in 0..ROUNDS {
            let stalled = scope.spawn(|| stall(addr));
            oversized(addr);

            replace(
                &dir,
                "flappy.policy",
                flappy.replace("number", "numbr").as_bytes(),
            );
            let (_, shown) = reload_all_at_once(addr, "flappy");
            assert_eq!(
                (&shown["status"], &shown["serving"]),
                (&json!("error"), &json!(true))
            );
            replace(&dir, "flappy.policy", &[0xff, 0xfe]);
            let (_, shown) = reload_all_at_once(addr, "flappy");
            assert_eq!(shown["diagnostics"][0]["code"], "utf8", "{shown}");
            assert_eq!(shown["serving"], true);
            replace(&dir, "flappy.policy", flappy.as_bytes());
            let (_, shown) = reload_all_at_once(addr, "flappy");
            assert_eq!(shown["status"], "ok");

            std::fs::remove_file(dir.join("gone.policy")).expect("removes");
            assert_eq!(reload_all_at_once(addr, "gone").0, 404);
            replace(&dir, "gone.policy", tiny().as_bytes());
            assert_eq!(reload_all_at_once(addr, "gone").1["status"], "ok");

            replace(&dir, "huge.policy", huge.as_bytes());
            let (_, shown) = reload_all_at_once(addr, "huge");
            assert_eq!(
                shown["diagnostics"][0]["code"], "E0013",
                "{}",
                shown["diagnostics"]
            );
            std::fs::remove_file(dir.join("huge.policy")).expect("removes");

            stalled.join().expect("stalled clients cut off");
        }
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().expect("a client");
        }
    });
    let elapsed = started.elapsed();

    let tally = tally.into_inner().expect("the tally");
    assert!(
        tally.failures.is_empty(),
        "{} failures, the first: {:#?}",
        tally.failures.len(),
        &tally.failures[..tally.failures.len().min(10)]
    );
    let total: usize = tally.served.iter().map(Vec::len).sum();
    for (request, statuses) in requests.iter().zip(&tally.served) {
        let wanted = match request.expect {
            Expect::Fuel => 422,
            _ => 200,
        };
        assert!(
            statuses.contains(&wanted),
            "{}: never answered {wanted} ({statuses:?})",
            request.path
        );
        assert!(statuses.iter().all(|status| *status < 500));
    }
    eprintln!(
        "{total} requests from {CLIENTS} kept-alive clients in {:.1} s during {ROUNDS} fault rounds",
        elapsed.as_secs_f64()
    );
}
