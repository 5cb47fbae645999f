//! The wasmtime host of the `abi` module (`docs/abi.md`): one compiled `Module`, and a pool of
//! instances that each keep the policies they have compiled.
//!
//! Architecture invariant: an instance whose call trapped (fuel, memory, anything else) is never
//! called again: the trap may have left its allocator or its handle table half-updated. It is
//! dropped and a fresh one takes its place on the next request.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, ResourceLimiter, Store, StoreLimits,
    StoreLimitsBuilder, Trap, TypedFunc,
};

/// The `procura_evaluate` status of a report (`abi::Status::Report`); the others are errors.
pub const STATUS_REPORT: u32 = 0;

/// Compiling is about linear in the source: 20,000 definitions (360 KB) take between 1 and 2
/// billion units. A budget proportional to the length lets every policy under the source size
/// limit compile, while still bounding the work of each byte.
pub const COMPILE_FUEL_PER_BYTE: u64 = 10_000;

/// Resource limits of every call into the module.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Fuel (about one unit per WebAssembly instruction) of one evaluation.
    pub fuel: u64,
    /// Fuel of compiling one policy, raised to [`COMPILE_FUEL_PER_BYTE`] times its length.
    pub compile_fuel: u64,
    /// The largest linear memory an instance may grow to.
    pub memory_bytes: usize,
}

/// Why a call into the module failed; the instance is discarded afterwards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuestError {
    #[error("the evaluation ran out of fuel after {0} units")]
    Fuel(u64),
    #[error("the evaluation needed more than {0} bytes of memory")]
    Memory(usize),
    #[error("the module trapped: {0}")]
    Trap(String),
}

impl GuestError {
    /// The short code of the JSON error body (`{"error": code, ...}`).
    pub fn code(&self) -> &'static str {
        match self {
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
}

impl Host {
    /// Compiles the module once and checks that it is the ABI module.
    pub fn load(path: &Path) -> Result<Host, LoadError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        let not_abi = |error: wasmtime::Error| LoadError::NotAbi {
            path: shown.clone(),
            message: error.to_string(),
        };
        let mut config = Config::new();
        config.consume_fuel(true);
        let engine = Engine::new(&config).map_err(not_abi)?;
        let module = Module::new(&engine, &bytes).map_err(not_abi)?;
        let pre = Linker::new(&engine)
            .instantiate_pre(&module)
            .map_err(not_abi)?;
        let host = Host { pre };
        let probe = Limits {
            fuel: 1_000_000,
            compile_fuel: 1_000_000,
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
        store
            .set_fuel(limits.compile_fuel)
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
            evaluate: export!("procura_evaluate"),
            drop: export!("procura_drop"),
            result_ptr: export!("procura_result_ptr"),
            result_len: export!("procura_result_len"),
            store,
            memory,
            limits,
        })
    }
}

/// One instance of the module in its own store.
struct Guest {
    store: Store<Guard>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    compile: TypedFunc<(u32, u32), u32>,
    evaluate: TypedFunc<(u32, u32, u32, u32, u32), u32>,
    drop: TypedFunc<u32, ()>,
    result_ptr: TypedFunc<(), u32>,
    result_len: TypedFunc<(), u32>,
    limits: Limits,
}

impl Guest {
    fn classify(&self, error: wasmtime::Error, fuel: u64) -> GuestError {
        if error.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) {
            GuestError::Fuel(fuel)
        } else if self.store.data().refused {
            GuestError::Memory(self.limits.memory_bytes)
        } else {
            GuestError::Trap(error.to_string())
        }
    }

    /// Runs `call` with a full tank of `fuel`.
    fn with_fuel<R>(
        &mut self,
        fuel: u64,
        call: impl FnOnce(&mut Guest) -> wasmtime::Result<R>,
    ) -> Result<R, GuestError> {
        self.store
            .set_fuel(fuel)
            .map_err(|e| GuestError::Trap(e.to_string()))?;
        call(self).map_err(|error| self.classify(error, fuel))
    }

    /// Copies `bytes` into a fresh guest allocation; returns its address.
    fn put(&mut self, bytes: &[u8]) -> wasmtime::Result<(u32, u32)> {
        let len = u32::try_from(bytes.len())?;
        let ptr = self.alloc.call(&mut self.store, len)?;
        if ptr == 0 {
            wasmtime::bail!("the module could not allocate {len} bytes");
        }
        self.memory.write(&mut self.store, ptr as usize, bytes)?;
        Ok((ptr, len))
    }

    fn take_result(&mut self) -> wasmtime::Result<String> {
        let ptr = self.result_ptr.call(&mut self.store, ())?;
        let len = self.result_len.call(&mut self.store, ())?;
        let mut bytes = vec![0; len as usize];
        self.memory.read(&self.store, ptr as usize, &mut bytes)?;
        Ok(String::from_utf8(bytes)?)
    }

    /// Compiles a source: the handle (`None` on compile errors) and the result JSON.
    fn compile(&mut self, source: &str) -> Result<(Option<u32>, String), GuestError> {
        let length = u64::try_from(source.len()).unwrap_or(u64::MAX);
        let fuel = self
            .limits
            .compile_fuel
            .max(length.saturating_mul(COMPILE_FUEL_PER_BYTE));
        self.with_fuel(fuel, |guest| {
            let (ptr, len) = guest.put(source.as_bytes())?;
            let handle = guest.compile.call(&mut guest.store, (ptr, len))?;
            guest.free.call(&mut guest.store, (ptr, len))?;
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
        self.with_fuel(self.limits.fuel, |guest| {
            let (input_ptr, input_len) = guest.put(input)?;
            let (options_ptr, options_len) = guest.put(options)?;
            let status = guest.evaluate.call(
                &mut guest.store,
                (handle, input_ptr, input_len, options_ptr, options_len),
            )?;
            guest.free.call(&mut guest.store, (input_ptr, input_len))?;
            guest
                .free
                .call(&mut guest.store, (options_ptr, options_len))?;
            Ok((status, guest.take_result()?))
        })
    }

    fn drop_policy(&mut self, handle: u32) -> Result<(), GuestError> {
        self.with_fuel(self.limits.fuel, |guest| {
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
        let (handle, json) = self.guest.compile(&version.source)?;
        if let Some(handle) = handle {
            self.handles.insert(version.id, handle);
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
