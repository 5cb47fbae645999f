//! The HTTP API (`docs/abi.md`, "procura serve"). Every response, errors included, is JSON.
//!
//! Statuses: 400 for a request that is not of the API's shape (malformed JSON, no `input`,
//! unknown fields), 404 for an unknown policy or route, 408 for a body that did not arrive in
//! time, 413 for a body over the limit, 422 for a well-formed request the policy cannot
//! evaluate (input errors, invalid options, a policy that never compiled, a deadline passed,
//! fuel or memory exhausted).

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::HttpBody;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::value::RawValue;
use tokio::sync::{Mutex, Semaphore};

use super::ServeConfig;
use super::decisions::{self, Decision, DecisionLog};
use super::host::{GuestError, Pool, STATUS_REPORT};
use super::metrics::{Metrics, decision_of};
use super::observe::REQUEST_ID;
use super::registry::{Entry, Good, Registry};
use super::workbook;
use crate::date::Date;

/// How many times the body limit is read (and dropped) from an oversized body before the
/// connection is closed on it.
const DRAIN_FACTOR: usize = 16;

#[derive(Clone)]
pub struct App {
    pub registry: Arc<Registry>,
    pub pool: Arc<Pool>,
    pub metrics: Arc<Metrics>,
    /// Set when a shutdown began: `GET /readyz` then answers 503.
    pub draining: Arc<AtomicBool>,
    /// How long a request may wait for a free instance before a 503 `busy`.
    queue_timeout: Duration,
    /// One permit per instance allowed to run at once.
    permits: Arc<Semaphore>,
    /// Held while the directory is scanned: scans run one at a time, so that an older scan
    /// cannot finish after a newer one and put back a version the newer one replaced.
    scanning: Arc<Mutex<()>>,
    max_body: usize,
    /// The largest workbook of `/evaluate-cmrt`, with the rest of its request.
    max_workbook: usize,
    body_timeout: Duration,
    /// The step budget of every evaluation, sent to the module in its options.
    max_steps: Option<u64>,
    /// `--decision-log`: every decision is written there before it is returned.
    decision_log: Option<Arc<DecisionLog>>,
}

impl App {
    pub fn new(
        registry: Arc<Registry>,
        pool: Arc<Pool>,
        config: &ServeConfig,
        decision_log: Option<DecisionLog>,
    ) -> App {
        App {
            registry,
            pool,
            metrics: Arc::default(),
            draining: Arc::default(),
            queue_timeout: config.queue_timeout,
            permits: Arc::new(Semaphore::new(config.instances.max(1))),
            scanning: Arc::default(),
            max_body: config.max_body_kb.saturating_mul(1024),
            max_workbook: config.max_workbook_kb.saturating_mul(1024),
            body_timeout: config.body_timeout,
            max_steps: config.max_steps,
            decision_log: decision_log.map(Arc::new),
        }
    }

    /// Brings the served policies in line with the directory (off the async threads); an
    /// error says why the directory cannot be listed. Callers queue without holding a thread.
    /// With `wait`, files that changed a moment ago are waited for until they settle (at most
    /// three times the settling time: a file written without pause stays unread).
    pub async fn rescan(&self, wait: bool) -> Result<(), String> {
        let _turn = self.scanning.lock().await;
        let settle = self.registry.settle();
        let give_up = Instant::now() + settle.saturating_mul(3);
        loop {
            let (registry, pool) = (self.registry.clone(), self.pool.clone());
            let busy = self.metrics.instance_in_use();
            let scanned = tokio::task::spawn_blocking(move || registry.scan(&pool))
                .await
                .map_err(|error| error.to_string())?
                .map_err(|error| error.to_string())?;
            drop(busy);
            for (name, ok) in &scanned.compiled {
                self.metrics.reload(name, *ok);
                if *ok {
                    tracing::info!(policy = name.as_str(), "policy loaded");
                } else {
                    tracing::warn!(policy = name.as_str(), "policy does not compile");
                }
            }
            if !(wait && scanned.waiting) || Instant::now() >= give_up {
                return Ok(());
            }
            tokio::time::sleep((settle / 4).max(Duration::from_millis(10))).await;
        }
    }

    pub fn router(self) -> Router {
        let mut router = Router::new();
        for (_, path, route) in routes() {
            router = router.route(path, route);
        }
        router
            .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
            .method_not_allowed_fallback(|| async {
                error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method",
                    "this route does not accept that method",
                )
            })
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                super::observe::observe,
            ))
            .with_state(self)
    }

    /// Runs evaluations on a pooled instance, off the async threads.
    async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, Reply> {
        let unavailable =
            |message: String| error(StatusCode::SERVICE_UNAVAILABLE, "busy", &message);
        let waiting =
            tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned());
        let permit = match waiting.await {
            Ok(permit) => permit.map_err(|e| unavailable(e.to_string()))?,
            Err(_) => {
                return Err(unavailable(format!(
                    "every instance stayed busy for {} ms (--queue-timeout-ms); try again",
                    self.queue_timeout.as_millis()
                )));
            }
        };
        let busy = self.metrics.instance_in_use();
        let result = tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            drop(busy);
            result
        })
        .await;
        result.map_err(|e| unavailable(e.to_string()))
    }

    /// The served version of a policy, or the 404/422 response saying why there is none.
    fn good(&self, name: &str) -> Result<Arc<Good>, Reply> {
        let entry = self.registry.get(name).ok_or_else(|| not_found(name))?;
        entry.good.ok_or_else(|| {
            let body = serde_json::json!({
                "error": "compile",
                "message": format!("the policy `{name}` does not compile"),
                "diagnostics": entry.diagnostics.as_ref(),
            });
            json(StatusCode::UNPROCESSABLE_ENTITY, body.to_string())
        })
    }

    /// The request's body, within the body limit and time.
    async fn read_body(&self, request: Request, limit: usize) -> Result<Vec<u8>, Reply> {
        let too_large = || {
            let message = format!("the request body is larger than {} KiB", limit / 1024);
            error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &message)
        };
        let headers = request.headers();
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok()?.parse::<usize>().ok());
        // Past the limit the rest of a body is read and dropped, up to this much: a client that
        // sends its whole body before reading the reply then gets the 413, not a reset.
        let drain = limit.saturating_mul(DRAIN_FACTOR);
        // A client waiting for `100 Continue` has sent no body: nothing to drain.
        let waiting = headers
            .get(header::EXPECT)
            .is_some_and(|expect| expect.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let mut over = declared.is_some_and(|length| length > limit);
        if over && (waiting || declared.is_some_and(|length| length > drain)) {
            return Err(too_large());
        }
        let mut body = request.into_body();
        let mut bytes = Vec::new();
        let reading = async {
            let mut seen = 0usize;
            loop {
                let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
                let data = match frame {
                    None => return true,
                    Some(Err(_)) => return false,
                    Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
                };
                seen = seen.saturating_add(data.len());
                over |= seen > limit;
                if over {
                    bytes = Vec::new();
                    if seen > drain {
                        return false;
                    }
                } else {
                    bytes.extend_from_slice(&data);
                }
            }
        };
        match tokio::time::timeout(self.body_timeout, reading).await {
            _ if over => return Err(too_large()),
            Ok(true) => {}
            Ok(false) => {
                // Mostly a client that went away, which reads no reply.
                let message = "the request body could not be read";
                return Err(error(StatusCode::BAD_REQUEST, "request", message));
            }
            Err(_) => {
                let message = format!(
                    "the request body did not arrive within {} s",
                    self.body_timeout.as_secs_f64()
                );
                return Err(error(StatusCode::REQUEST_TIMEOUT, "timeout", &message));
            }
        }
        Ok(bytes)
    }

    /// Writes the decisions of one request to the decision log, if there is one, then counts
    /// them: a decision that cannot be logged is not returned (503 `decision_log`).
    fn record(&self, name: &str, request_id: &str, decisions: &[Decision]) -> Result<(), Reply> {
        if let Some(log) = &self.decision_log {
            let time = decisions::now();
            let mut lines = String::new();
            for decision in decisions {
                // Every report of the module has the fields a line copies.
                if decisions::write_line(&mut lines, &time, decision).is_none() {
                    tracing::error!(policy = name, "a report without its audit fields");
                }
            }
            if let Err(failure) = log.append(&lines) {
                self.metrics.decision_log_failed(name, decisions.len());
                tracing::error!(
                    policy = name,
                    request_id,
                    error = failure.to_string(),
                    path = log.path().display().to_string(),
                    "cannot write the decision log: decisions refused"
                );
                let message = format!(
                    "the decision could not be written to the decision log ({failure}), so it is not returned; try again"
                );
                return Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "decision_log",
                    &message,
                ));
            }
        }
        for decision in decisions {
            if let Some(decided) = decision_of(decision.report) {
                self.metrics.decision(name, decided);
            }
        }
        Ok(())
    }
}

/// The members of a JSON object, each value as the client wrote it.
type Members<'a> = BTreeMap<String, &'a RawValue>;

/// Reads a request body of the JSON type `T`; a body that is JSON of another shape is told
/// `shape`.
fn parse<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8], shape: &str) -> Result<T, Reply> {
    serde_json::from_slice(bytes).map_err(|e| {
        let message = if e.classify() == serde_json::error::Category::Data {
            shape.to_owned()
        } else {
            format!("the request body is not valid JSON: {e}")
        };
        error(StatusCode::BAD_REQUEST, "request", &message)
    })
}

const REQUEST_SHAPE: &str =
    "the request must be a JSON object `{\"input\": ..., \"data\": ..., \"as_of\": ...}`";

/// The request id the middleware gave the request (`observe`).
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

/// The `{name}` of a route; a name that is not UTF-8 gets a JSON 400 like every other error.
struct Name(String);

impl<S: Send + Sync> FromRequestParts<S> for Name {
    type Rejection = Reply;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Name, Reply> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(name)) => Ok(Name(name)),
            Err(rejection) => Err(error(
                StatusCode::BAD_REQUEST,
                "request",
                &rejection.body_text(),
            )),
        }
    }
}

/// A JSON response; small, so that it can be the error of every `Result` here.
struct Reply {
    status: StatusCode,
    body: String,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let content_type = (header::CONTENT_TYPE, "application/json");
        // After a body that was cut short or left unread, the connection's next bytes are not
        // a request: end it rather than parse them as one.
        let unread = matches!(
            self.status,
            StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE
        );
        if unread {
            let close = (header::CONNECTION, "close");
            (self.status, [content_type, close], self.body).into_response()
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            let retry = (header::RETRY_AFTER, "1");
            (self.status, [content_type, retry], self.body).into_response()
        } else {
            (self.status, [content_type], self.body).into_response()
        }
    }
}

fn json(status: StatusCode, body: String) -> Reply {
    Reply { status, body }
}

fn error(status: StatusCode, code: &str, message: &str) -> Reply {
    json(
        status,
        serde_json::json!({"error": code, "message": message}).to_string(),
    )
}

fn not_found(name: &str) -> Reply {
    let message = format!("there is no policy `{name}`");
    error(StatusCode::NOT_FOUND, "not_found", &message)
}

fn guest_error(error: &GuestError) -> String {
    let help = match error {
        GuestError::Deadline(_) => "the server's `--timeout-ms` bounds the time of one evaluation",
        GuestError::Fuel(_) => "the server's `--fuel` bounds the work of one evaluation",
        GuestError::Memory(_) => "the server's `--memory-mb` bounds the memory of one evaluation",
        GuestError::Trap(_) => "the evaluation was stopped; the server keeps serving",
    };
    serde_json::json!({"error": error.code(), "message": error.to_string(), "help": help})
        .to_string()
}

/// Every route: its method, its path and its handler. `docs/openapi.json` describes each
/// (a test holds the two together).
fn routes() -> Vec<(&'static str, &'static str, MethodRouter<App>)> {
    vec![
        ("GET", "/healthz", get(healthz)),
        ("GET", "/readyz", get(readyz)),
        ("GET", "/metrics", get(metrics)),
        ("GET", "/v1/openapi.json", get(openapi)),
        ("GET", "/v1/policies", get(list)),
        ("POST", "/v1/reload", post(reload)),
        ("GET", "/v1/policies/{name}", get(show)),
        ("POST", "/v1/policies/{name}/evaluate", post(evaluate)),
        (
            "POST",
            "/v1/policies/{name}/evaluate-batch",
            post(evaluate_batch),
        ),
        (
            "POST",
            "/v1/policies/{name}/evaluate-cmrt",
            post(evaluate_cmrt),
        ),
    ]
}

/// The method and path of every route, as the router has them.
pub fn route_list() -> Vec<(&'static str, &'static str)> {
    routes()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
}

/// The OpenAPI description of the API.
pub const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// Liveness: the process answers.
async fn healthz(State(app): State<App>) -> Reply {
    let body = serde_json::json!({"status": "ok", "policies": app.registry.all().len()});
    json(StatusCode::OK, body.to_string())
}

/// Readiness: every policy file present at the start was compiled once (the server listens
/// only after that) and no shutdown has begun.
async fn readyz(State(app): State<App>) -> Reply {
    let policies = app.registry.all().len();
    if app.draining.load(Ordering::Acquire) {
        let body = serde_json::json!({"status": "draining", "policies": policies});
        return json(StatusCode::SERVICE_UNAVAILABLE, body.to_string());
    }
    let body = serde_json::json!({"status": "ready", "policies": policies});
    json(StatusCode::OK, body.to_string())
}

async fn metrics(State(app): State<App>) -> Response {
    let content_type = (
        header::CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8",
    );
    (StatusCode::OK, [content_type], app.metrics.encode()).into_response()
}

async fn openapi() -> Reply {
    json(StatusCode::OK, OPENAPI.to_owned())
}

/// The fields both listing and showing a policy report.
fn summary(name: &str, entry: &Entry) -> serde_json::Map<String, serde_json::Value> {
    let served = entry.good.as_ref().map(|good| &good.summary);
    let field = |key: &str| served.and_then(|s| s.get(key)).cloned();
    let mut object = serde_json::Map::new();
    object.insert("name".into(), name.into());
    object.insert("title".into(), field("title").into());
    object.insert("version".into(), field("version").into());
    object.insert(
        "status".into(),
        if entry.ok { "ok" } else { "error" }.into(),
    );
    object.insert("serving".into(), entry.good.is_some().into());
    object
}

async fn list(State(app): State<App>) -> Reply {
    listing(&app)
}

/// Scans the directory now rather than at the next poll, then lists the policies as they are
/// after it. Cheap when nothing changed (one directory listing); concurrent reloads queue.
async fn reload(State(app): State<App>) -> Reply {
    match app.rescan(true).await {
        Ok(()) => listing(&app),
        Err(message) => {
            let message = format!("cannot read the policy directory: {message}");
            error(StatusCode::SERVICE_UNAVAILABLE, "directory", &message)
        }
    }
}

fn listing(app: &App) -> Reply {
    let policies: Vec<_> = app
        .registry
        .all()
        .iter()
        .map(|(name, entry)| serde_json::Value::Object(summary(name, entry)))
        .collect();
    json(
        StatusCode::OK,
        serde_json::Value::Array(policies).to_string(),
    )
}

async fn show(State(app): State<App>, Name(name): Name) -> Reply {
    let Some(entry) = app.registry.get(&name) else {
        return not_found(&name);
    };
    let mut object = summary(&name, &entry);
    let input = entry
        .good
        .as_ref()
        .and_then(|g| g.summary.get("input").cloned());
    object.insert("source".into(), (*entry.source).into());
    object.insert("input".into(), input.into());
    object.insert("diagnostics".into(), (*entry.diagnostics).clone());
    json(
        StatusCode::OK,
        serde_json::Value::Object(object).to_string(),
    )
}

/// The module's input and options JSON for one `{input, data?, as_of?}` request: the input as
/// the client wrote it (the bytes the decision log digests), and options whose `as_of` defaults
/// to today (UTC) because the module has no clock. The step budget is the server's
/// (`--max-steps`), never the client's.
fn guest_arguments(
    request: &Members<'_>,
    max_steps: Option<u64>,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    if let Some(key) = request
        .keys()
        .find(|key| !matches!(key.as_str(), "input" | "data" | "as_of"))
    {
        return Err(format!(
            "unknown field `{key}`: the fields are `input`, `data` and `as_of`"
        ));
    }
    let input = request.get("input").ok_or("the request has no `input`")?;
    let mut options = String::from("{\"as_of\":");
    match request.get("as_of") {
        Some(as_of) => options.push_str(as_of.get()),
        None => {
            options.push('"');
            options.push_str(&today());
            options.push('"');
        }
    }
    if let Some(data) = request.get("data") {
        options.push_str(",\"data\":");
        options.push_str(data.get());
    }
    if let Some(max_steps) = max_steps {
        options.push_str(&format!(",\"max_steps\":{max_steps}"));
    }
    options.push('}');
    Ok((input.get().as_bytes().to_vec(), options.into_bytes()))
}

fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    Date::from_unix_seconds(i64::try_from(seconds).unwrap_or(0)).to_string()
}

/// One evaluation of the module's arguments (`guest_arguments`, or why the request has none):
/// its status and JSON body, and the input's bytes when the body is a report.
fn evaluate_one(
    app: &App,
    good: &Good,
    arguments: Result<(Vec<u8>, Vec<u8>), String>,
) -> (StatusCode, String, Vec<u8>) {
    let (registry, pool) = (&app.registry, &app.pool);
    let (input, options) = match arguments {
        Ok(arguments) => arguments,
        Err(message) => {
            let body = serde_json::json!({"error": "request", "message": message});
            return (StatusCode::BAD_REQUEST, body.to_string(), Vec::new());
        }
    };
    match registry.with_worker(pool, |worker| {
        worker.evaluate(&good.version, &input, &options)
    }) {
        Ok((STATUS_REPORT, report)) => (StatusCode::OK, report, input),
        Ok((_, error)) => (StatusCode::UNPROCESSABLE_ENTITY, error, Vec::new()),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            guest_error(&error),
            Vec::new(),
        ),
    }
}

async fn evaluate(
    State(app): State<App>,
    Name(name): Name,
    request: Request,
) -> Result<Reply, Reply> {
    let good = app.good(&name)?;
    let id = request_id(&request);
    let body = app.read_body(request, app.max_body).await?;
    // Read before waiting for an instance: a request of the wrong shape is a 400 at once.
    let members = parse::<Members>(&body, REQUEST_SHAPE)?;
    let arguments = guest_arguments(&members, app.max_steps)
        .map_err(|message| error(StatusCode::BAD_REQUEST, "request", &message))?;
    app.clone()
        .run(move || {
            let (status, body, input) = evaluate_one(&app, &good, Ok(arguments));
            if status == StatusCode::OK {
                let decision = Decision {
                    name: &name,
                    request_id: &id,
                    index: None,
                    input: &input,
                    report: &body,
                };
                app.record(&name, &id, &[decision])?;
            }
            Ok(json(status, body))
        })
        .await?
}

/// An array of requests in, an array of reports or error objects out (200 as long as the body
/// is an array: each element carries its own outcome).
async fn evaluate_batch(
    State(app): State<App>,
    Name(name): Name,
    request: Request,
) -> Result<Reply, Reply> {
    let good = app.good(&name)?;
    let id = request_id(&request);
    let body = app.read_body(request, app.max_body).await?;
    let requests: Vec<&RawValue> = parse(
        &body,
        "the batch must be a JSON array of `{\"input\": ...}` requests",
    )?;
    let requests: Vec<Box<RawValue>> = requests.into_iter().map(RawValue::to_owned).collect();
    app.clone()
        .run(move || {
            let outcomes: Vec<_> = requests
                .iter()
                .map(|request| {
                    let arguments = serde_json::from_str::<Members>(request.get())
                        .map_err(|_| REQUEST_SHAPE.to_owned())
                        .and_then(|members| guest_arguments(&members, app.max_steps));
                    evaluate_one(&app, &good, arguments)
                })
                .collect();
            let decisions: Vec<Decision> = outcomes
                .iter()
                .enumerate()
                .filter(|(_, (status, ..))| *status == StatusCode::OK)
                .map(|(index, (_, report, input))| Decision {
                    name: &name,
                    request_id: &id,
                    index: Some(index),
                    input,
                    report,
                })
                .collect();
            app.record(&name, &id, &decisions)?;
            let mut out = String::from("[");
            for (i, (_, body, _)) in outcomes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(body);
            }
            out.push(']');
            Ok(json(StatusCode::OK, out))
        })
        .await?
}

/// A supplier's CMRT or EMRT workbook, imported as `procura import` does and evaluated as by
/// `/evaluate` (`super::workbook` says how the request is read). 200: `{"report", "input",
/// "warnings"}`, the report as `/evaluate` gives it, the input it was made from (the bytes the
/// decision log digests) and the importer's warnings; a workbook the importer refuses is a 422
/// `import` with its message, the same as the command line's.
async fn evaluate_cmrt(
    State(app): State<App>,
    Name(name): Name,
    request: Request,
) -> Result<Reply, Reply> {
    let bad = |message: String| error(StatusCode::BAD_REQUEST, "request", &message);
    let good = app.good(&name)?;
    let id = request_id(&request);
    let query = workbook::query(request.uri().query()).map_err(bad)?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = app.read_body(request, app.max_workbook).await?;
    let upload = workbook::upload(content_type.as_deref(), body)
        .await
        .map_err(bad)?;
    app.clone()
        .run(move || {
            let mut members = match &upload.request {
                Some(request) => parse::<Members>(request, REQUEST_SHAPE)?,
                None => Members::new(),
            };
            let imported =
                crate::import::cmrt::read(&upload.name, &upload.workbook, query.template).map_err(
                    |e| error(StatusCode::UNPROCESSABLE_ENTITY, "import", &e.to_string()),
                )?;
            let rest = members.get("input").map(|input| input.get());
            let input =
                workbook::input(imported.json, query.field.as_deref(), rest).map_err(bad)?;
            let input = RawValue::from_string(input).map_err(|e| bad(e.to_string()))?;
            members.insert("input".to_owned(), &input);
            let arguments = guest_arguments(&members, app.max_steps);
            let (status, report, input) = evaluate_one(&app, &good, arguments);
            if status != StatusCode::OK {
                return Ok(json(status, report));
            }
            let decision = Decision {
                name: &name,
                request_id: &id,
                index: None,
                input: &input,
                report: &report,
            };
            app.record(&name, &id, &[decision])?;
            let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
            let warnings = serde_json::to_string(&warnings).map_err(|e| bad(e.to_string()))?;
            let input = String::from_utf8_lossy(&input);
            Ok(json(
                StatusCode::OK,
                format!(r#"{{"report":{report},"input":{input},"warnings":{warnings}}}"#),
            ))
        })
        .await?
}
