//! The wasmtime host of the `abi` module (`docs/abi.md`): one compiled `Module`, and a pool of
//! instances that each keep the policies they have compiled.
//!
//! What bounds a request's work on every host is the evaluator's own step budget
//! (`limits::MAX_EVAL_STEPS`, or `--max-steps`, sent as the option `max_steps`) and the input
//! limits; here every call also gets a wall-clock deadline as a backstop (epoch interruption:
//! a few instructions per loop, where fuel metering cost 40 % of a decision), and fuel only
//! when asked for.
//!
//! Architecture invariant: an instance whose call trapped (deadline, fuel, memory, anything
//! else) is never called again: the trap may have left its allocator or its handle table
//! half-updated. It is dropped and a fresh one takes its place on the next request.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::{
    Config, Engine, EngineWeak, InstancePre, Linker, Memory, Module, ResourceLimiter, Store,
    StoreLimits, StoreLimitsBuilder, Trap, TypedFunc,
};

/// The `procura_evaluate` status of a report (`abi::Status::Report`); the others are errors.
pub const STATUS_REPORT: u32 = 0;

/// Compiling is about linear in the source: 20,000 definitions (360 KB) take between 1 and 2
/// billion units. A budget proportional to the length lets every policy under the source size
/// limit compile, while still bounding the work of each byte.
pub const COMPILE_FUEL_PER_BYTE: u64 = 10_000;

/// How often a background thread advances the engine's epoch: the resolution of deadlines. A
/// call is stopped between its deadline and one tick later (later still if the machine is so
/// loaded that the thread is not scheduled).
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Resource limits of every call into the module.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time one evaluation may take.
    pub timeout: Duration,
    /// Wall-clock time compiling one policy may take.
    pub compile_timeout: Duration,
    /// Fuel metering, off unless asked for; needs a [`Host`] loaded with it.
    pub fuel: Option<Fuel>,
    /// The largest linear memory an instance may grow to.
    pub memory_bytes: usize,
}

/// Fuel budgets: about one unit per WebAssembly instruction, so the same call on the same
/// instance always stops at the same point.
#[derive(Debug, Clone, Copy)]
pub struct Fuel {
    /// Fuel of one evaluation.
    pub evaluate: u64,
    /// Fuel of compiling one policy, raised to [`COMPILE_FUEL_PER_BYTE`] times its length.
    pub compile: u64,
}

/// Why a call into the module failed; the instance is discarded afterwards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuestError {
    #[error("the call did not finish within {0} ms")]
    Deadline(u128),
    #[error("the call ran out of fuel after {0} units")]
    Fuel(u64),
    #[error("the call needed more than {0} bytes of memory")]
    Memory(usize),
    #[error("the module trapped: {0}")]
    Trap(String),
}

impl GuestError {
    /// The short code of the JSON error body (`{"error": code, ...}`).
    pub fn code(&self) -> &'static str {
        match self {
            GuestError::Deadline(_) => "deadline",
            GuestError::Fuel(_) => "fuel",
            GuestError::Memory(_) => "memory",
            GuestError::Trap(_) => "trap",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the module `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("`{path}` is not the procura ABI module: {message}")]
    NotAbi { path: String, message: String },
    #[error("cannot start the thread that times calls into the module: {0}")]
    Clock(String),
}

/// Store data: wasmtime's limits plus a record of whether they refused a request, which is
/// what tells a memory trap from other traps.
struct Guard {
    limits: StoreLimits,
    refused: bool,
}

impl ResourceLimiter for Guard {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let verdict = self.limits.memory_growing(current, desired, maximum);
        self.refused |= !matches!(verdict, Ok(true));
        verdict
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.refused = true;
        self.limits.memory_grow_failed(error)
    }
}

/// The compiled module, shared by every instance.
pub struct Host {
    pre: InstancePre<Guard>,
    metered: bool,
}

impl Host {
    /// Compiles the module once, checks that it is the ABI module, and starts the epoch clock
    /// of its deadlines (a thread that ends when the engine is dropped). `fuel` instruments the
    /// code for fuel metering, which [`Limits::fuel`] needs and which costs every call.
    pub fn load(path: &Path, fuel: bool) -> Result<Host, LoadError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        Host::from_bytes(&bytes, &shown, fuel)
    }

    /// [`Host::load`] of a module already in memory; `shown` names it in errors.
    pub fn from_bytes(bytes: &[u8], shown: &str, fuel: bool) -> Result<Host, LoadError> {
        let shown = shown.to_owned();
        let not_abi = |error: wasmtime::Error| LoadError::NotAbi {
            path: shown.clone(),
            message: error.to_string(),
        };
        let mut config = Config::new();
        config.epoch_interruption(true).consume_fuel(fuel);
        let engine = Engine::new(&config).map_err(not_abi)?;
        let module = Module::new(&engine, bytes).map_err(not_abi)?;
        let pre = Linker::new(&engine)
            .instantiate_pre(&module)
            .map_err(not_abi)?;
        start_clock(engine.weak()).map_err(|error| LoadError::Clock(error.to_string()))?;
        let host = Host { pre, metered: fuel };
        let probe = Limits {
            timeout: Duration::from_secs(10),
            compile_timeout: Duration::from_secs(10),
            fuel: fuel.then_some(Fuel {
                evaluate: 1_000_000,
                compile: 1_000_000,
            }),
            memory_bytes: usize::MAX,
        };
        host.instantiate(probe).map_err(|error| LoadError::NotAbi {
            path: shown,
            message: error.to_string(),
        })?;
        Ok(host)
    }

    /// A fresh instance with no policies compiled.
    pub fn worker(&self, limits: Limits) -> Result<Worker, GuestError> {
        Ok(Worker {
            guest: self.instantiate(limits).map_err(GuestError::Trap)?,
            handles: HashMap::new(),
        })
    }

    fn instantiate(&self, limits: Limits) -> Result<Guest, String> {
        match (limits.fuel.is_some(), self.metered) {
            (true, false) => return Err("fuel limits need a host loaded with fuel".to_owned()),
            (false, true) => return Err("a host loaded with fuel needs fuel limits".to_owned()),
            _ => {}
        }
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(limits.memory_bytes)
            .trap_on_grow_failure(true)
            .build();
        let mut store = Store::new(
            self.pre.module().engine(),
            Guard {
                limits: store_limits,
                refused: false,
            },
        );
        store.limiter(|guard| guard);
        // Instantiating runs no code of the module today, but would trap at once without a
        // deadline (or fuel) if it ever did.
        arm(
            &mut store,
            limits.compile_timeout,
            limits.fuel.map(|fuel| fuel.compile),
        )
        .map_err(|e| e.to_string())?;
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| format!("cannot instantiate it: {e}"))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or("it exports no `memory`")?;
        macro_rules! export {
            ($name:literal) => {
                instance
                    .get_typed_func(&mut store, $name)
                    .map_err(|e| format!("export `{}`: {e}", $name))?
            };
        }
        Ok(Guest {
            alloc: export!("procura_alloc"),
            free: export!("procura_free"),
            compile: export!("procura_compile"),
            // An older module (`--module`) may lack it: it serves policies without libraries.
            compile_files: instance
                .get_typed_func(&mut store, "procura_compile_files")
                .ok(),
            evaluate: export!("procura_evaluate"),
            drop: export!("procura_drop"),
            result_ptr: export!("procura_result_ptr"),
            result_len: export!("procura_result_len"),
            store,
            memory,
            limits,
            scratch: None,
        })
    }
}
/// Advances the engine's epoch every [`EPOCH_TICK`] for as long as the engine exists.
fn start_clock(engine: EngineWeak) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("procura-epoch".to_owned())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
}

/// Sets the deadline of the next call to at least `timeout` from now, and its fuel if the
/// store is metered.
fn arm(store: &mut Store<Guard>, timeout: Duration, fuel: Option<u64>) -> wasmtime::Result<()> {
    // The epoch may advance a moment after the call starts: one tick more than the timeout
    // holds guarantees the call its whole timeout.
    let ticks = timeout.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(1));
    match fuel {
        Some(fuel) => store.set_fuel(fuel),
        None => Ok(()),
    }
}

/// One instance of the module in its own store.
struct Guest {
    store: Store<Guard>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    compile: TypedFunc<(u32, u32), u32>,
    compile_files: Option<TypedFunc<(u32, u32, u32, u32), u32>>,
    evaluate: TypedFunc<(u32, u32, u32, u32, u32), u32>,
    drop: TypedFunc<u32, ()>,
    result_ptr: TypedFunc<(), u32>,
    result_len: TypedFunc<(), u32>,
    limits: Limits,
    /// A guest allocation (address, capacity) kept across calls for the bytes sent in: two
    /// allocations and two frees fewer per evaluation.
    scratch: Option<(u32, u32)>,
}

/// What one call may use before it is stopped.
struct Budget {
    timeout: Duration,
    fuel: Option<u64>,
}

impl Guest {
    fn classify(&self, error: wasmtime::Error, budget: &Budget) -> GuestError {
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => GuestError::Deadline(budget.timeout.as_millis()),
            Some(Trap::OutOfFuel) => GuestError::Fuel(budget.fuel.unwrap_or_default()),
            _ if self.store.data().refused => GuestError::Memory(self.limits.memory_bytes),
            _ => GuestError::Trap(error.to_string()),
        }
    }

    /// Runs `call` within `budget`.
    fn within<R>(
        &mut self,
        budget: Budget,
        call: impl FnOnce(&mut Guest) -> wasmtime::Result<R>,
    ) -> Result<R, GuestError> {
        arm(&mut self.store, budget.timeout, budget.fuel)
            .map_err(|e| GuestError::Trap(e.to_string()))?;
        call(self).map_err(|error| self.classify(error, &budget))
    }

    fn evaluation_budget(&self) -> Budget {
        Budget {
            timeout: self.limits.timeout,
            fuel: self.limits.fuel.map(|fuel| fuel.evaluate),
        }
    }

    /// Copies `parts` one after the other into the scratch allocation, grown if too small;
    /// returns the address of each.
    fn put<const N: usize>(&mut self, parts: [&[u8]; N]) -> wasmtime::Result<[(u32, u32); N]> {
        let total = parts.iter().map(|part| part.len()).sum::<usize>();
        let total = u32::try_from(total)?;
        let base = match self.scratch {
            Some((ptr, capacity)) if capacity >= total => ptr,
            old => {
                if let Some((ptr, capacity)) = old {
                    self.scratch = None;
                    self.free.call(&mut self.store, (ptr, capacity))?;
                }
                // Room to spare, so that records a little longer than the last do not
                // reallocate.
                let capacity = total.max(4096).checked_next_power_of_two().unwrap_or(total);
                let ptr = self.alloc.call(&mut self.store, capacity)?;
                if ptr == 0 {
                    wasmtime::bail!("the module could not allocate {capacity} bytes");
                }
                self.scratch = Some((ptr, capacity));
                ptr
            }
        };
        let mut at = base;
        let mut placed = [(0, 0); N];
        for (part, slot) in parts.iter().zip(&mut placed) {
            self.memory.write(&mut self.store, at as usize, part)?;
            let len = u32::try_from(part.len())?;
            *slot = (at, len);
            at = at
                .checked_add(len)
                .ok_or_else(|| wasmtime::format_err!("the scratch allocation wraps around"))?;
        }
        Ok(placed)
    }

    fn take_result(&mut self) -> wasmtime::Result<String> {
        let ptr = self.result_ptr.call(&mut self.store, ())? as usize;
        let len = self.result_len.call(&mut self.store, ())? as usize;
        let bytes = (self
            .memory
            .data(&self.store)
            .get(ptr..ptr.saturating_add(len)))
        .ok_or_else(|| wasmtime::format_err!("the result lies outside the memory"))?;
        Ok(std::str::from_utf8(bytes)?.to_owned())
    }

    /// Compiles a source and the libraries it may import (`procura_compile_files`): the handle
    /// (`None` on compile errors) and the result JSON.
    fn compile(
        &mut self,
        source: &str,
        files: Option<&str>,
    ) -> Result<(Option<u32>, String), GuestError> {
        let length = source.len() + files.map_or(0, str::len);
        let length = u64::try_from(length).unwrap_or(u64::MAX);
        let budget = Budget {
            timeout: self.limits.compile_timeout,
            fuel: (self.limits.fuel).map(|fuel| {
                fuel.compile
                    .max(length.saturating_mul(COMPILE_FUEL_PER_BYTE))
            }),
        };
        if files.is_some() && self.compile_files.is_none() {
            return Err(GuestError::Trap(
                "the module cannot compile libraries: it has no `procura_compile_files`".into(),
            ));
        }
        self.within(budget, |guest| {
            let handle = match (files, guest.compile_files.clone()) {
                (Some(files), Some(compile_files)) => {
                    let [(ptr, len), (files_ptr, files_len)] =
                        guest.put([source.as_bytes(), files.as_bytes()])?;
                    compile_files.call(&mut guest.store, (ptr, len, files_ptr, files_len))?
                }
                _ => {
                    let [(ptr, len)] = guest.put([source.as_bytes()])?;
                    guest.compile.call(&mut guest.store, (ptr, len))?
                }
            };
            Ok(((handle != 0).then_some(handle), guest.take_result()?))
        })
    }

    /// Evaluates: the status (`STATUS_*`) and the report or error JSON.
    fn evaluate(
        &mut self,
        handle: u32,
        input: &[u8],
        options: &[u8],
    ) -> Result<(u32, String), GuestError> {
        self.within(self.evaluation_budget(), |guest| {
            let [(input_ptr, input_len), (options_ptr, options_len)] =
                guest.put([input, options])?;
            let status = guest.evaluate.call(
                &mut guest.store,
                (handle, input_ptr, input_len, options_ptr, options_len),
            )?;
            Ok((status, guest.take_result()?))
        })
    }

    fn drop_policy(&mut self, handle: u32) -> Result<(), GuestError> {
        self.within(self.evaluation_budget(), |guest| {
            guest.drop.call(&mut guest.store, handle)
        })
    }
}

/// A policy version: the unit an instance compiles once and keeps.
#[derive(Debug)]
pub struct Version {
    /// Unique for the life of the process; a changed file gets a new id.
    pub id: u64,
    pub source: Arc<str>,
    /// The libraries the policy may import, as the JSON object of `procura_compile_files`
    /// (`{"lib/minerals.policy": "text"}`); `None` when there are none.
    pub files: Option<Arc<str>>,
}

/// An instance and the handles of the policy versions it has compiled.
pub struct Worker {
    guest: Guest,
    handles: HashMap<u64, u32>,
}

/// What a compilation in the module produced.
pub struct Compiled {
    /// Whether the source compiled (the worker then keeps its handle).
    pub ok: bool,
    /// `{"title", "version", "input", "warnings"}` or `{"error": "compile", "diagnostics"}`.
    pub json: String,
}

impl Worker {
    /// Compiles a version and keeps its handle for later evaluations.
    pub fn compile(&mut self, version: &Version) -> Result<Compiled, GuestError> {
        let (handle, json) = self
            .guest
            .compile(&version.source, version.files.as_deref())?;
        if let Some(handle) = handle {
            self.handles.insert(version.id, handle);
        }
        Ok(Compiled {
            ok: handle.is_some(),
            json,
        })
    }

    /// Compiles a version to learn whether it compiles and what it declares, and frees it at
    /// once: an instance keeps only the policies it evaluates, so that checking every file of
    /// a directory in one instance does not add up their memory.
    pub fn check(&mut self, version: &Version) -> Result<Compiled, GuestError> {
        let (handle, json) = self
            .guest
            .compile(&version.source, version.files.as_deref())?;
        if let Some(handle) = handle {
            self.guest.drop_policy(handle)?;
        }
        Ok(Compiled {
            ok: handle.is_some(),
            json,
        })
    }

    /// Evaluates with a version, compiling it first if this instance has not yet.
    pub fn evaluate(
        &mut self,
        version: &Version,
        input: &[u8],
        options: &[u8],
    ) -> Result<(u32, String), GuestError> {
        let handle = match self.handles.get(&version.id) {
            Some(&handle) => handle,
            None => {
                let compiled = self.compile(version)?;
                match self.handles.get(&version.id) {
                    Some(&handle) => handle,
                    // The registry only serves versions that compiled, so this is a guest that
                    // disagrees with itself; report it like any other broken instance.
                    None => return Err(GuestError::Trap(compiled.json)),
                }
            }
        };
        self.guest.evaluate(handle, input, options)
    }

    /// Frees the compiled policies of versions that are no longer served.
    fn prune(&mut self, live: &dyn Fn(u64) -> bool) -> Result<(), GuestError> {
        let stale: Vec<(u64, u32)> = self
            .handles
            .iter()
            .filter(|(id, _)| !live(**id))
            .map(|(id, handle)| (*id, *handle))
            .collect();
        for (id, handle) in stale {
            self.handles.remove(&id);
            self.guest.drop_policy(handle)?;
        }
        Ok(())
    }
}

/// Idle instances, reused across requests; callers bound how many run at once.
pub struct Pool {
    host: Arc<Host>,
    limits: Limits,
    idle: Mutex<Vec<(u64, Worker)>>,
}

impl Pool {
    pub fn new(host: Arc<Host>, limits: Limits) -> Pool {
        Pool {
            host,
            limits,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on an idle instance (or a new one), then puts the instance back unless a
    /// call trapped. `generation` and `live` say which policy versions are still served, so
    /// that instances drop the others' handles.
    pub fn with_worker<R>(
        &self,
        generation: u64,
        live: &dyn Fn(u64) -> bool,
        work: impl FnOnce(&mut Worker) -> Result<R, GuestError>,
    ) -> Result<R, GuestError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let reused = idle.and_then(|(seen, mut worker)| {
            (seen == generation || worker.prune(live).is_ok()).then_some(worker)
        });
        let mut worker = match reused {
            Some(worker) => worker,
            None => self.host.worker(self.limits)?,
        };
        let result = work(&mut worker)?;
        if let Ok(mut idle) = self.idle.lock() {
            idle.push((generation, worker));
        }
        Ok(result)
    }
}
