//! `GET /metrics`: what the server counts, in the Prometheus text format (prometheus-client).
//!
//! Labels take only values the server chose: a route's template, a status code, a policy name
//! that was in the directory when counted (`-` otherwise) and a decision the module reported,
//! so that no client can grow the number of series.

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels<const N: usize> = [(&'static str, String); N];

/// Request latencies from 50 µs to about 3.3 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 17))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels<3>, Counter>,
    latency: Family<Labels<1>, Histogram, fn() -> Histogram>,
    decisions: Family<Labels<2>, Counter>,
    decision_log_failures: Family<Labels<1>, Counter>,
    reloads: Family<Labels<2>, Counter>,
    instances_busy: Gauge,
    connections_open: Gauge,
    connections_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<Labels<3>, Counter>::default();
        registry.register(
            "procura_http_requests",
            "HTTP requests answered, by policy (`-` for none), endpoint (route) and status",
            requests.clone(),
        );
        let latency: Family<Labels<1>, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "procura_http_request_duration_seconds",
            "Time from a request's headers to its response, by endpoint",
            latency.clone(),
        );
        let decisions = Family::<Labels<2>, Counter>::default();
        registry.register(
            "procura_decisions",
            "Reports returned, by policy and decision (one per record of a batch)",
            decisions.clone(),
        );
        let decision_log_failures = Family::<Labels<1>, Counter>::default();
        registry.register(
            "procura_decision_log_failures",
            "Decisions refused (503) because they could not be written to --decision-log, by policy",
            decision_log_failures.clone(),
        );
        let reloads = Family::<Labels<2>, Counter>::default();
        registry.register(
            "procura_policy_reloads",
            "Policy files compiled after they changed, by policy and result (`ok` or `error`: a compile failure)",
            reloads.clone(),
        );
        let instances_busy = Gauge::default();
        registry.register(
            "procura_instances_in_use",
            "WebAssembly instances running an evaluation or compilation now",
            instances_busy.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "procura_connections_open",
            "HTTP connections open now",
            connections_open.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "procura_connections_refused",
            "Connections answered 503 because --max-connections were open",
            connections_refused.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            decisions,
            decision_log_failures,
            reloads,
            instances_busy,
            connections_open,
            connections_refused,
        }
    }

    /// One answered request.
    pub fn request(&self, policy: &str, endpoint: &str, status: u16, seconds: f64) {
        let labels = [
            ("policy", policy.to_owned()),
            ("endpoint", endpoint.to_owned()),
            ("status", status.to_string()),
        ];
        self.requests.get_or_create(&labels).inc();
        (self
            .latency
            .get_or_create(&[("endpoint", endpoint.to_owned())]))
        .observe(seconds);
    }

    pub fn decision(&self, policy: &str, decision: &str) {
        let labels = [
            ("policy", policy.to_owned()),
            ("decision", decision.to_owned()),
        ];
        self.decisions.get_or_create(&labels).inc();
    }

    /// `count` decisions not returned because the decision log could not take them.
    pub fn decision_log_failed(&self, policy: &str, count: usize) {
        let labels = [("policy", policy.to_owned())];
        (self.decision_log_failures.get_or_create(&labels)).inc_by(count as u64);
    }

    pub fn reload(&self, policy: &str, compiled: bool) {
        let result = if compiled { "ok" } else { "error" };
        let labels = [("policy", policy.to_owned()), ("result", result.to_owned())];
        self.reloads.get_or_create(&labels).inc();
    }

    /// Counts an instance as in use until the guard is dropped.
    pub fn instance_in_use(self: &Arc<Metrics>) -> InUse {
        self.instances_busy.inc();
        InUse(self.clone())
    }

    pub fn connection_opened(&self) {
        self.connections_open.inc();
    }

    pub fn connection_closed(&self) {
        self.connections_open.dec();
    }

    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// The Prometheus text exposition format, version 0.0.4.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a `String` cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// See [`Metrics::instance_in_use`].
pub struct InUse(Arc<Metrics>);

impl Drop for InUse {
    fn drop(&mut self) {
        self.0.instances_busy.dec();
    }
}

/// The decision of a report's JSON text, read without parsing the report: it follows the
/// policy and the audit fields (`{"policy":{...},"as_of":...,"data_sha256":...,"decision":"...",
/// ...}`), and no JSON string holds an unescaped `"`, so the first `,"decision":"` is that
/// field.
pub fn decision_of(report: &str) -> Option<&str> {
    const FIELD: &str = ",\"decision\":\"";
    let rest = report.get(report.find(FIELD)? + FIELD.len()..)?;
    rest.get(..rest.find('"')?)
}
