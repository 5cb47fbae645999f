//! What the server tests share: an in-process `procura serve` on a free loopback port, and a
//! plain HTTP/1.1 client over `TcpStream`, so that the tests see exactly the bytes on the wire
//! (statuses, headers, connection closes) with no client library in between.
//!
//! Needs the built module: `scripts/build-abi.sh` (or `PROCURA_ABI_WASM=path`).

#![allow(dead_code)] // each test binary uses its own part

pub mod spin;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use procura::server::{ServeConfig, Server};
use serde_json::Value;

pub const TINY: &str = r#"policy "Tiny" version "VERSION"
input supplier { name: text, spend: number }
rule small "Small spend" { require supplier.spend < 100 else review "{supplier.name} spends {supplier.spend}" }
"#;

/// Far more work than a decision needs: every pair of the input's numbers (25 million steps for
/// 5,000 numbers, past the evaluator's step budget).
pub const HEAVY: &str = r#"
input supplier { values: [number] }
let pairs = count([x for x in supplier.values if any y in supplier.values: x + y == -1])
rule no_pairs "No pairs" { require pairs == 0 else review "pairs" }
"#;

/// A policy of `rules` rules, one a line, so that every prefix of it that ends a line compiles
/// (the half-written file a reader could see) with fewer rules.
pub fn lines_policy(version: &str, rules: usize) -> String {
    let mut text =
        format!("policy \"Lines\" version \"{version}\"\ninput supplier {{ spend: number }}\n");
    for i in 0..rules {
        text.push_str(&format!(
            "rule r{i} \"Rule {i}\" {{ require supplier.spend < {i} else review \"r{i}\" }}\n"
        ));
    }
    text
}

pub struct Running {
    pub addr: SocketAddr,
    pub dir: PathBuf,
    // Dropping the runtime stops the server.
    _runtime: tokio::runtime::Runtime,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("procura-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// The defaults of `procura serve`, on a free loopback port.
pub fn defaults(dir: &Path) -> ServeConfig {
    ServeConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..ServeConfig::new(dir.to_owned())
    }
}

/// A smaller body limit, which tests reach quickly, and a quick poll.
pub fn config(dir: &Path) -> ServeConfig {
    let mut config = defaults(dir);
    config.max_body_kb = 64;
    config.poll = Duration::from_millis(100);
    config.settle = Duration::from_millis(100);
    config
}

pub fn start(dir: PathBuf) -> Running {
    start_with(config(&dir))
}

pub fn start_with(config: ServeConfig) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = config.dir.clone();
    let server = runtime
        .block_on(Server::bind(config))
        .unwrap_or_else(|error| panic!("{error}"));
    let addr = server.local_addr().expect("an address");
    runtime.spawn(server.run());
    Running {
        addr,
        dir,
        _runtime: runtime,
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{} body is not JSON ({e}): {}", self.status, self.body))
    }
}

/// One kept-alive HTTP/1.1 connection.
pub struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        // Far longer than any answer takes; reaching it means the server lost the request.
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::new(stream),
        })
    }

    /// A connection that sends `count` requests to `path` up to a point and then stalls: in
    /// their headers, or (`body_length` given) a few bytes into a body of that length.
    pub fn stalled(
        addr: SocketAddr,
        path: &str,
        count: usize,
        body_length: Option<usize>,
    ) -> Vec<Connection> {
        let head = match body_length {
            None => format!("POST {path} HTTP/1.1\r\nHost: test\r\nContent-Len"),
            Some(length) => format!(
                "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {length}\r\n\r\n{{\"in"
            ),
        };
        (0..count)
            .map(|_| {
                let mut connection = Connection::open(addr).expect("connects");
                connection
                    .stream()
                    .write_all(head.as_bytes())
                    .expect("sends");
                connection
            })
            .collect()
    }

    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }

    /// Sends a request and reads its response; any I/O error (a reset, a close before the
    /// response) is returned, for the caller to count.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> std::io::Result<Response> {
        let body = body.unwrap_or_default();
        let mut request = head(method, path, body.len(), "").into_bytes();
        request.extend_from_slice(body);
        self.stream().write_all(&request)?;
        self.receive()
    }

    /// Sends a request without a body with extra header lines (each ending in `\r\n`).
    pub fn send_with_headers(
        &mut self,
        method: &str,
        path: &str,
        extra: &str,
    ) -> std::io::Result<Response> {
        self.stream()
            .write_all(head(method, path, 0, extra).as_bytes())?;
        self.receive()
    }

    /// Sends the head with `Expect: 100-continue` and the body only once the server asks for
    /// it, as curl does with large bodies: a body the server refuses is never sent, and the
    /// refusal is read instead of a reset.
    pub fn send_expecting_continue(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> std::io::Result<Response> {
        let request = head(method, path, body.len(), "Expect: 100-continue\r\n");
        self.stream().write_all(request.as_bytes())?;
        let first = self.receive()?;
        if first.status != 100 {
            return Ok(first);
        }
        self.stream().write_all(body)?;
        self.receive()
    }

    /// Reads one response (its body delimited by `Content-Length`, as every reply here is).
    pub fn receive(&mut self) -> std::io::Result<Response> {
        let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("no status in {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        if (100..200).contains(&status) {
            // An interim response has no body.
            return Ok(Response {
                status,
                headers,
                body: String::new(),
            });
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .and_then(|(_, value)| value.parse().ok())
            .ok_or_else(|| invalid(format!("no content-length in {headers:?}")))?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        let body = String::from_utf8(body).map_err(|e| invalid(e.to_string()))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Whether the server has closed the connection: a read ends (EOF or reset) rather than
    /// blocking until `within`.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        let stream = self.reader.get_mut();
        if stream.set_read_timeout(Some(within)).is_err() {
            return false;
        }
        let mut rest = Vec::new();
        match stream.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(error) => !matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }
}

fn head(method: &str, path: &str, length: usize, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
    )
}

/// One exchange on a fresh connection; the body must be JSON and the content type says so.
pub fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let response = exchange(addr, method, path, body);
    (response.status, response.json())
}

pub fn call_text(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let response = exchange(addr, method, path, body);
    (response.status, response.body)
}

fn exchange(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Response {
    let response = Connection::open(addr)
        .and_then(|mut connection| connection.send(method, path, body.map(str::as_bytes)))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{method} {path}: {response:?}"
    );
    response
}

/// A `procura serve` process on a free loopback port, killed when dropped.
pub struct Binary {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl Binary {
    /// Sends SIGTERM, as Kubernetes and `kill` do.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> SocketAddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Starts `procura serve DIR --addr ADDR ARGS...` as `command` sets it up (working directory,
/// environment) and waits until it listens.
pub fn spawn_binary(mut command: std::process::Command, dir: &Path, args: &[&str]) -> Binary {
    let addr = free_port();
    let child = command
        .arg("serve")
        .arg(dir)
        .args(["--addr", &addr.to_string()])
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("procura serve starts");
    let binary = Binary { child, addr };
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "procura serve never listened on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    binary
}

pub fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("writes");
}

/// Polls until `done` holds for the response of `GET path`, for at most ten seconds.
pub fn wait_for(addr: SocketAddr, path: &str, done: impl Fn(u16, &Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (status, body) = call(addr, "GET", path, None);
        if done(status, &body) {
            return body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{path}: still {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
