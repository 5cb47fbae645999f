//! What every request leaves behind: an id (the client's `x-request-id` if it is a plain
//! token, else a new one; echoed in the response), one structured log line (`tracing`, JSON by
//! default) and its count and latency in [`Metrics`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use super::http::App;

pub const REQUEST_ID: &str = "x-request-id";

/// Log filtering and output (`--log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
    Off,
}

/// Installs the process's log output: one line per event on stderr.
pub fn init_logs(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(tracing::Level::INFO);
    // Only the first subscriber of a process is installed; a second call changes nothing.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Off => Ok(()),
    };
}

/// The middleware of every route (and of the fallback).
pub async fn observe(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .filter(|value| is_token(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_id);
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // The policy a request names, if the directory has it: a label no client can invent.
    let policy = path
        .strip_prefix("/v1/policies/")
        .map(|rest| rest.split('/').next().unwrap_or(rest))
        .filter(|name| app.registry.get(name).is_some())
        .unwrap_or("-")
        .to_owned();
    let mut response = next.run(request).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    app.metrics
        .request(&policy, &endpoint, status, elapsed.as_secs_f64());
    tracing::info!(
        request_id = id.to_str().unwrap_or("-"),
        method = method.as_str(),
        path,
        endpoint,
        policy,
        status,
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// 1 to 64 letters, digits, `-`, `_` or `.`: safe to log and to echo.
fn is_token(bytes: &[u8]) -> bool {
    (1..=64).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A new id: this process's start time and a counter, unique across restarts and instances
/// started at different nanoseconds.
fn new_id() -> HeaderValue {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("{start:016x}-{n:x}"))
        .unwrap_or_else(|_| HeaderValue::from_static("-"))
}
