//! `procura serve`: the policies of a directory behind an HTTP API, compiled and evaluated only
//! inside the WebAssembly `abi` module hosted by wasmtime (`docs/abi.md`).
//!
//! Architecture invariant: no policy is compiled or evaluated natively here. Titles, input
//! shapes and diagnostics all come from `procura_compile`; the native crate only supplies
//! today's date.

mod host;
mod http;
mod registry;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use host::{
    Compiled, GuestError, Host, Limits, LoadError, Pool, STATUS_REPORT, Version, Worker,
};
use registry::Registry;

/// Where `procura serve` looks for the module when `--module` is not given, relative to the
/// working directory: where `scripts/build-abi.sh` builds it.
pub const DEFAULT_MODULE: &str = "target/wasm32-unknown-unknown/abi-release/procura.wasm";

/// The module to load without `--module`: `$PROCURA_ABI_WASM` if set, else [`DEFAULT_MODULE`].
pub fn default_module() -> PathBuf {
    std::env::var_os("PROCURA_ABI_WASM")
        .map_or_else(|| PathBuf::from(DEFAULT_MODULE), PathBuf::from)
}

/// Loads the module, or says how to build it.
pub fn load_host(module: &Path) -> Result<Host, ServeError> {
    if !module.is_file() {
        return Err(ServeError::ModuleMissing(module.display().to_string()));
    }
    Ok(Host::load(module)?)
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The directory whose `NAME.policy` files are served as `NAME`.
    pub dir: PathBuf,
    pub addr: SocketAddr,
    /// The `abi` module; [`default_module`] when `None`.
    pub module: Option<PathBuf>,
    /// Fuel of one evaluation (about one unit per WebAssembly instruction; a decision of
    /// `rules/onboarding.policy` takes about 330,000); compiling a policy may use 20 times as
    /// much, and at least 10^9.
    pub fuel: u64,
    /// The memory one instance may use, in MiB (the module itself starts with about 1.1 MiB).
    pub memory_mb: usize,
    /// The largest request body, in KiB.
    pub max_body_kb: usize,
    /// How many evaluations run at once, each on its own instance.
    pub instances: usize,
    /// How often the directory is checked for changed files.
    pub poll: Duration,
}

/// Defaults of [`ServeConfig::new`], for command-line help.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
pub const DEFAULT_FUEL: u64 = 50_000_000;
pub const DEFAULT_MEMORY_MB: usize = 64;
pub const DEFAULT_MAX_BODY_KB: usize = 1024;

impl ServeConfig {
    pub fn new(dir: PathBuf) -> ServeConfig {
        ServeConfig {
            dir,
            addr: DEFAULT_ADDR,
            module: None,
            fuel: DEFAULT_FUEL,
            memory_mb: DEFAULT_MEMORY_MB,
            max_body_kb: DEFAULT_MAX_BODY_KB,
            instances: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            poll: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "the WebAssembly module `{0}` does not exist: build it with `scripts/build-abi.sh` or pass `--module PATH`"
    )]
    ModuleMissing(String),
    #[error(transparent)]
    Module(#[from] LoadError),
    #[error("cannot read the policy directory `{path}`: {message}")]
    Dir { path: String, message: String },
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
}

impl Server {
    /// Loads the module, compiles every policy of the directory and binds the address.
    pub async fn bind(config: ServeConfig) -> Result<Server, ServeError> {
        let module = config.module.clone().unwrap_or_else(default_module);
        let limits = Limits {
            fuel: config.fuel,
            // Compiling `rules/onboarding.policy` takes about 15 million units; a tight
            // evaluation budget must not stop policies from loading.
            compile_fuel: config.fuel.saturating_mul(20).max(1_000_000_000),
            memory_bytes: config.memory_mb.saturating_mul(1 << 20),
        };
        let pool = Arc::new(Pool::new(Arc::new(load_host(&module)?), limits));
        let registry = Arc::new(Registry::new(config.dir.clone()));
        let dir_error = |error: std::io::Error| ServeError::Dir {
            path: config.dir.display().to_string(),
            message: error.to_string(),
        };
        let scan = {
            let (registry, pool) = (registry.clone(), pool.clone());
            tokio::task::spawn_blocking(move || registry.scan(&pool))
        };
        scan.await
            .map_err(|error| ServeError::Io(error.to_string()))?
            .map_err(dir_error)?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|error| ServeError::Bind {
                addr: config.addr,
                message: error.to_string(),
            })?;
        Ok(Server {
            listener,
            app: http::App::new(registry, pool, &config),
            poll: config.poll,
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

    /// Serves until the process ends, reloading changed policies in the background.
    pub async fn run(self) -> Result<(), ServeError> {
        let (registry, pool) = (self.app.registry.clone(), self.app.pool.clone());
        let mut ticks = tokio::time::interval(self.poll);
        tokio::spawn(async move {
            loop {
                ticks.tick().await;
                let (registry, pool) = (registry.clone(), pool.clone());
                // A directory that vanished for a moment is retried on the next tick.
                let _ = tokio::task::spawn_blocking(move || registry.scan(&pool)).await;
            }
        });
        axum::serve(self.listener, self.app.router())
            .await
            .map_err(|error| ServeError::Io(error.to_string()))
    }
}

/// `procura serve`: binds, reports where it listens, and serves.
pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    let dir = config.dir.display().to_string();
    let server = Server::bind(config).await?;
    eprintln!(
        "serving {} policies from `{dir}` on http://{}",
        server.policy_count(),
        server.local_addr()?
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
