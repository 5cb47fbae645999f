//! Policies read from files with the libraries they import (LANGUAGE.md §9.1), as the CLI reads
//! them: each library relative to the policy's directory.

use std::path::Path;

use procura::policy::Sources;

/// The files of the policy at `path`.
pub fn sources(path: &Path) -> Sources {
    let source = std::fs::read_to_string(path).unwrap();
    let directory = path.parent().unwrap_or(Path::new("."));
    Sources::load(&source, |library| {
        std::fs::read_to_string(directory.join(library)).map_err(|error| error.to_string())
    })
}

/// The policy at `path`, compiled with its libraries.
#[allow(dead_code)]
pub fn compile(path: &Path) -> Result<procura::Policy, Vec<procura::Diagnostic>> {
    procura::policy::compile_sources(&sources(path))
}
