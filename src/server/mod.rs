//! `procura serve`: the policies of a directory behind an HTTP API, compiled and evaluated only
//! inside the WebAssembly `abi` module hosted by wasmtime (`docs/abi.md`).
//!
//! Architecture invariant: no policy is compiled or evaluated natively here. Titles, input
//! shapes and diagnostics all come from `procura_compile`; the native crate only supplies
//! today's date.

mod decisions;
mod host;
mod http;
mod listen;
mod metrics;
mod module;
mod observe;
mod registry;
mod workbook;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use host::{
    Compiled, Fuel, GuestError, Host, Limits, LoadError, Pool, STATUS_REPORT, Version, Worker,
};
pub use http::{OPENAPI, route_list};
pub use module::{DEFAULT_MODULE, EMBEDDED, Module};
pub use observe::{LogFormat, init_logs};
use registry::Registry;

/// Loads the module `--module` names, or the one [`Module::choose`] picks without it.
pub fn load_host(module: Option<&Path>, fuel: bool) -> Result<Host, ServeError> {
    Module::choose(module).load(fuel)
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The directory whose `NAME.policy` files are served as `NAME`.
    pub dir: PathBuf,
    pub addr: SocketAddr,
    /// The `abi` module; [`Module::choose`] picks one when `None`.
    pub module: Option<PathBuf>,
    /// Wall-clock time one evaluation may take in the module (a decision of
    /// `rules/onboarding.policy` takes about 10 µs; the step budget stops a runaway policy
    /// long before this backstop).
    pub timeout: Duration,
    /// Wall-clock time compiling one policy may take (the largest sources take seconds).
    pub compile_timeout: Duration,
    /// Fuel metering, off by default: fuel of one evaluation (about one unit per WebAssembly
    /// instruction); compiling a policy may use 20 times as much, at least 10^9, and at least
    /// [`host::COMPILE_FUEL_PER_BYTE`] per byte of its source. Metering slows every call.
    pub fuel: Option<u64>,
    /// The memory one instance may use, in MiB (the module itself starts with about 1.1 MiB).
    pub memory_mb: usize,
    /// The largest request body, in KiB.
    pub max_body_kb: usize,
    /// The largest body of `/evaluate-cmrt` (the workbook and the rest of its request), in KiB.
    pub max_workbook_kb: usize,
    /// How many evaluations run at once, each on its own instance.
    pub instances: usize,
    /// How often the directory is checked for changed files.
    pub poll: Duration,
    /// How long a changed file must stay unchanged (length, modification time, real path)
    /// before it is read: a file being written is not served half written.
    pub settle: Duration,
    /// How long a client may take to send a request's headers, and how long a kept-alive
    /// connection may stay idle; the connection is closed after it.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body once its headers arrived (408).
    pub body_timeout: Duration,
    /// HTTP connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// How long a request may wait for a free instance before a 503 `busy`.
    pub queue_timeout: Duration,
    /// How long a shutdown (SIGTERM, Ctrl-C) waits for requests in flight.
    pub drain_timeout: Duration,
    /// How long a shutdown keeps accepting connections while `GET /readyz` answers 503, so
    /// that load balancers stop sending new ones first (Kubernetes: a few seconds).
    pub shutdown_delay: Duration,
    /// The step budget of one evaluation (`max_steps` in the module's options, a 422
    /// `evaluation` error beyond it); `None` keeps the module's default,
    /// `limits::MAX_EVAL_STEPS`.
    pub max_steps: Option<u64>,
    /// `--decision-log`: the file that gets one JSON line per decision, written before the
    /// decision is returned (`docs/abi.md`, "Decision log").
    pub decision_log: Option<PathBuf>,
}

/// Defaults of [`ServeConfig::new`], for command-line help.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;
pub const DEFAULT_COMPILE_TIMEOUT_MS: u64 = 20_000;
pub const DEFAULT_MEMORY_MB: usize = 64;
pub const DEFAULT_MAX_BODY_KB: usize = 1024;
/// A real CMRT or EMRT workbook is 1 to 2 MiB.
pub const DEFAULT_MAX_WORKBOOK_KB: usize = 8192;
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_POLL_MS: u64 = 500;
pub const DEFAULT_MAX_CONNECTIONS: u64 = 1024;
pub const DEFAULT_QUEUE_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_DRAIN_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_SETTLE_MS: u64 = 500;

impl ServeConfig {
    pub fn new(dir: PathBuf) -> ServeConfig {
        ServeConfig {
            dir,
            addr: DEFAULT_ADDR,
            module: None,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            compile_timeout: Duration::from_millis(DEFAULT_COMPILE_TIMEOUT_MS),
            fuel: None,
            memory_mb: DEFAULT_MEMORY_MB,
            max_body_kb: DEFAULT_MAX_BODY_KB,
            max_workbook_kb: DEFAULT_MAX_WORKBOOK_KB,
            instances: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            poll: Duration::from_millis(DEFAULT_POLL_MS),
            settle: Duration::from_millis(DEFAULT_SETTLE_MS),
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS as usize,
            queue_timeout: Duration::from_millis(DEFAULT_QUEUE_TIMEOUT_MS),
            drain_timeout: Duration::from_secs(DEFAULT_DRAIN_TIMEOUT_SECS),
            shutdown_delay: Duration::ZERO,
            max_steps: None,
            decision_log: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "the WebAssembly module `{0}` does not exist: build it with `scripts/build-abi.sh` (then build `procura` again to embed it) or pass `--module PATH`"
    )]
    ModuleMissing(String),
    #[error(transparent)]
    Module(#[from] LoadError),
    #[error("cannot read the policy directory `{path}`: {message}")]
    Dir { path: String, message: String },
    #[error("cannot open the decision log `{path}`: {message}")]
    DecisionLog { path: String, message: String },
    #[error("cannot listen on `{addr}`: {message}")]
    Bind { addr: SocketAddr, message: String },
    #[error("the server stopped: {0}")]
    Io(String),
}

/// A bound server, not yet serving (so that tests can learn the port first).
pub struct Server {
    listener: tokio::net::TcpListener,
    app: http::App,
    poll: Duration,
    shutdown_delay: Duration,
    limits: listen::Limits,
    module: String,
}

impl Server {
    /// Loads the module, compiles every policy of the directory and binds the address.
    pub async fn bind(config: ServeConfig) -> Result<Server, ServeError> {
        let module = Module::choose(config.module.as_deref());
        let limits = Limits {
            timeout: config.timeout,
            compile_timeout: config.compile_timeout,
            fuel: config.fuel.map(|fuel| Fuel {
                evaluate: fuel,
                // Compiling `rules/onboarding.policy` takes about 15 million units; a tight
                // evaluation budget must not stop policies from loading.
                compile: fuel.saturating_mul(20).max(1_000_000_000),
            }),
            memory_bytes: config.memory_mb.saturating_mul(1 << 20),
        };
        let host = module.load(limits.fuel.is_some())?;
        let pool = Arc::new(Pool::new(Arc::new(host), limits));
        let registry = Arc::new(Registry::new(config.dir.clone(), config.settle));
        let dir_error = |error: String| ServeError::Dir {
            path: config.dir.display().to_string(),
            message: error,
        };
        let decision_log = match &config.decision_log {
            None => None,
            Some(path) => Some(decisions::DecisionLog::open(path).map_err(|error| {
                ServeError::DecisionLog {
                    path: path.display().to_string(),
                    message: error.to_string(),
                }
            })?),
        };
        let app = http::App::new(registry, pool, &config, decision_log);
        app.rescan(true).await.map_err(dir_error)?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|error| ServeError::Bind {
                addr: config.addr,
                message: error.to_string(),
            })?;
        Ok(Server {
            listener,
            app,
            poll: config.poll,
            shutdown_delay: config.shutdown_delay,
            limits: listen::Limits {
                max_connections: config.max_connections,
                header_timeout: config.header_timeout,
                drain_timeout: config.drain_timeout,
            },
            module: module.describe(),
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener
            .local_addr()
            .map_err(|error| ServeError::Io(error.to_string()))
    }

    pub fn policy_count(&self) -> usize {
        self.app.registry.all().len()
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down gracefully ([`Server::run_until`]).
    pub async fn run(self) -> Result<(), ServeError> {
        self.run_until(listen::signal()).await
    }

    /// Serves, reloading changed policies in the background, until `shutdown` completes; then
    /// stops accepting connections, answers every request already received, and returns.
    ///
    /// Each connection is a task of its own and holds no evaluation instance while it reads:
    /// a slow or stalled client costs a socket until its timeout, never a worker.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ServeError> {
        let poller = self.app.clone();
        let mut ticks = tokio::time::interval(self.poll);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let polling = tokio::spawn(async move {
            loop {
                ticks.tick().await;
                // A directory that vanished for a moment is retried on the next tick.
                if let Err(error) = poller.rescan(false).await {
                    tracing::warn!(error, "cannot read the policy directory");
                }
            }
        });
        let (metrics, draining) = (self.app.metrics.clone(), self.app.draining.clone());
        let router = self.app.router();
        let delay = self.shutdown_delay;
        let shutdown = async {
            shutdown.await;
            draining.store(true, std::sync::atomic::Ordering::Release);
            if !delay.is_zero() {
                tracing::info!(seconds = delay.as_secs_f64(), "shutting down: not ready");
                tokio::time::sleep(delay).await;
            }
            tracing::info!("shutting down: no new connections, finishing requests in flight");
        };
        let drained = listen::serve(self.listener, router, &self.limits, metrics, shutdown).await;
        polling.abort();
        if drained.abandoned > 0 {
            tracing::warn!(
                connections = drained.abandoned,
                "stopped with requests still in flight after --drain-timeout"
            );
        } else {
            tracing::info!("stopped");
        }
        Ok(())
    }
}

/// `procura serve`: binds, reports where it listens, and serves until SIGTERM or Ctrl-C.
pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    let dir = config.dir.display().to_string();
    let server = Server::bind(config).await?;
    let addr = server.local_addr()?.to_string();
    tracing::info!(
        policies = server.policy_count(),
        dir,
        addr,
        module = server.module,
        version = env!("CARGO_PKG_VERSION"),
        "serving"
    );
    server.run().await
}

/// [`serve`] on a new multi-threaded runtime, for callers that are not async.
pub fn serve_blocking(config: ServeConfig) -> Result<(), ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| ServeError::Io(error.to_string()))?
        .block_on(serve(config))
}
