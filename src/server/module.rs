//! Which `abi` module the server hosts: `--module PATH`, else `$PROCURA_ABI_WASM`, else the
//! module embedded in the binary when it was built (`build.rs`), else
//! [`DEFAULT_MODULE`] under the working directory, where `scripts/build-abi.sh` writes it.

use std::path::{Path, PathBuf};

use super::ServeError;
use super::host::Host;

/// Where `scripts/build-abi.sh` builds the module, relative to the repository: the last place
/// looked when the binary embeds no module.
pub const DEFAULT_MODULE: &str = "target/wasm32-unknown-unknown/abi-release/procura.wasm";

/// The module `scripts/build-abi.sh` had built when this crate was compiled, if it had.
#[cfg(procura_embedded_abi)]
pub const EMBEDDED: Option<&[u8]> = Some(include_bytes!(concat!(
    env!("OUT_DIR"),
    "/procura-abi.wasm"
)));
#[cfg(not(procura_embedded_abi))]
pub const EMBEDDED: Option<&[u8]> = None;

/// A module to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Module {
    File(PathBuf),
    Embedded,
}

impl Module {
    /// `explicit` (`--module`), else `$PROCURA_ABI_WASM`, else the embedded module, else
    /// [`DEFAULT_MODULE`].
    pub fn choose(explicit: Option<&Path>) -> Module {
        if let Some(path) = explicit {
            return Module::File(path.to_owned());
        }
        if let Some(path) = std::env::var_os("PROCURA_ABI_WASM") {
            return Module::File(PathBuf::from(path));
        }
        match EMBEDDED {
            Some(_) => Module::Embedded,
            None => Module::File(PathBuf::from(DEFAULT_MODULE)),
        }
    }

    /// Compiles the module (instrumented for fuel metering if `fuel`), or says how to get one.
    pub fn load(&self, fuel: bool) -> Result<Host, ServeError> {
        match (self, EMBEDDED) {
            (Module::Embedded, Some(bytes)) => Ok(Host::from_bytes(bytes, "(embedded)", fuel)?),
            (Module::Embedded, None) => Err(ServeError::ModuleMissing("(embedded)".to_owned())),
            (Module::File(path), _) if !path.is_file() => {
                Err(ServeError::ModuleMissing(path.display().to_string()))
            }
            (Module::File(path), _) => Ok(Host::load(path, fuel)?),
        }
    }

    /// For logs and `--version`: the path, or `embedded (N bytes)`.
    pub fn describe(&self) -> String {
        match self {
            Module::File(path) => path.display().to_string(),
            Module::Embedded => {
                format!("embedded ({} bytes)", EMBEDDED.map_or(0, <[u8]>::len))
            }
        }
    }
}
