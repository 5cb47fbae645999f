//! The served policies: every `NAME.policy` of a directory, compiled inside the module, and
//! reloaded when its file changes.
//!
//! Architecture invariant: a policy that stops compiling keeps serving its last good version;
//! only a deleted file stops serving.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use super::host::{GuestError, Pool, Version};
use crate::diagnostic::Diagnostic;
use crate::span::{LineIndex, Span};

/// A version that compiled, with what the module said about it.
#[derive(Debug)]
pub struct Good {
    pub version: Version,
    /// `{"title", "version", "input", "warnings"}` from `procura_compile`.
    pub summary: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// The file's text as last read.
    pub source: Arc<str>,
    /// Whether `source` compiled.
    pub ok: bool,
    /// The diagnostics of `source`: its errors, or its warnings when it compiled.
    pub diagnostics: Arc<serde_json::Value>,
    /// The version being served, if any version of the file ever compiled.
    pub good: Option<Arc<Good>>,
    /// Modification time and length when read; a change triggers a reload.
    stamp: (Option<SystemTime>, u64),
}

pub struct Registry {
    dir: PathBuf,
    policies: RwLock<BTreeMap<String, Entry>>,
    /// Bumped whenever the set of served versions changes.
    generation: AtomicU64,
    next_id: AtomicU64,
}

impl Registry {
    pub fn new(dir: PathBuf) -> Registry {
        Registry {
            dir,
            policies: RwLock::default(),
            generation: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    pub fn get(&self, name: &str) -> Option<Entry> {
        self.policies.read().ok()?.get(name).cloned()
    }

    pub fn all(&self) -> Vec<(String, Entry)> {
        self.policies
            .read()
            .map(|policies| {
                policies
                    .iter()
                    .map(|(name, entry)| (name.clone(), entry.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether a version id is still served (instances free the others).
    pub fn is_live(&self, id: u64) -> bool {
        self.policies.read().is_ok_and(|policies| {
            policies
                .values()
                .any(|entry| entry.good.as_ref().is_some_and(|g| g.version.id == id))
        })
    }

    /// Runs `work` on a pooled instance, telling the pool which versions are still served.
    pub fn with_worker<R>(
        &self,
        pool: &Pool,
        work: impl FnOnce(&mut super::host::Worker) -> Result<R, GuestError>,
    ) -> Result<R, GuestError> {
        pool.with_worker(self.generation(), &|id| self.is_live(id), work)
    }

    /// Brings the registry in line with the directory: new and changed files are compiled,
    /// deleted ones dropped. Returns an error only when the directory cannot be listed.
    pub fn scan(&self, pool: &Pool) -> std::io::Result<()> {
        let mut seen = HashSet::new();
        for file in std::fs::read_dir(&self.dir)? {
            let Ok(file) = file else { continue };
            let path = file.path();
            let name = match (path.extension(), path.file_stem()) {
                (Some(ext), Some(stem)) if ext == "policy" => stem.to_str().map(str::to_owned),
                _ => None,
            };
            let (Some(name), Ok(metadata)) = (name, file.metadata()) else {
                continue;
            };
            if !metadata.is_file() {
                continue;
            }
            seen.insert(name.clone());
            let stamp = (metadata.modified().ok(), metadata.len());
            if self.get(&name).is_some_and(|entry| entry.stamp == stamp) {
                continue;
            }
            // A file being rewritten may be unreadable for a moment; the next scan retries.
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            match String::from_utf8(bytes) {
                Ok(source) => self.load(pool, name, source.into(), stamp),
                Err(error) => self.refuse_non_utf8(name, &error, stamp),
            }
        }
        if let Ok(mut policies) = self.policies.write() {
            let before = policies.len();
            policies.retain(|name, _| seen.contains(name));
            if policies.len() != before {
                self.generation.fetch_add(1, Ordering::AcqRel);
            }
        }
        Ok(())
    }

    fn load(&self, pool: &Pool, name: String, source: Arc<str>, stamp: (Option<SystemTime>, u64)) {
        let previous = self.get(&name);
        // Only a text that compiled is trusted to be unchanged: a refused file's `source` is
        // its lossy reading.
        if let Some(previous) = previous.as_ref().filter(|p| p.ok && p.source == source) {
            let entry = Entry {
                stamp,
                ..previous.clone()
            };
            self.insert(name, entry);
            return;
        }
        let version = Version {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            source: source.clone(),
        };
        let compiled = self.with_worker(pool, |worker| worker.compile(&version));
        let (ok, json) = match compiled {
            Ok(compiled) => (
                compiled.ok,
                serde_json::from_str(&compiled.json).unwrap_or(serde_json::Value::Null),
            ),
            Err(error) => (false, guest_failure(&error)),
        };
        let diagnostics = json
            .get(if ok { "warnings" } else { "diagnostics" })
            .cloned()
            .unwrap_or_else(|| serde_json::json!([]));
        let good = ok.then(|| {
            Arc::new(Good {
                version,
                summary: json,
            })
        });
        let entry = Entry {
            source,
            ok,
            diagnostics: Arc::new(diagnostics),
            good,
            stamp,
        };
        self.settle(name, previous, entry);
    }

    /// A file that is not UTF-8 is not a policy; like any other broken edit it leaves the last
    /// good version serving. The module never sees it, so the diagnostic is the host's.
    fn refuse_non_utf8(
        &self,
        name: String,
        error: &std::string::FromUtf8Error,
        stamp: (Option<SystemTime>, u64),
    ) {
        // The lossy text keeps the valid prefix as it is, so the first bad byte is at the same
        // offset in both.
        let source = String::from_utf8_lossy(error.as_bytes()).into_owned();
        let offset = error.utf8_error().valid_up_to();
        let diagnostic = Diagnostic::error(
            "utf8",
            Span::new(offset, offset),
            format!("the policy file is not valid UTF-8 (byte {offset})"),
        )
        .with_help("save the policy as UTF-8");
        let diagnostics =
            serde_json::json!([diagnostic.to_json(&source, &LineIndex::new(&source))]);
        let entry = Entry {
            source: source.into(),
            ok: false,
            diagnostics: Arc::new(diagnostics),
            good: None,
            stamp,
        };
        let previous = self.get(&name);
        self.settle(name, previous, entry);
    }

    /// Records what a file now holds; a version that does not compile keeps the previous good
    /// one serving.
    fn settle(&self, name: String, previous: Option<Entry>, mut entry: Entry) {
        if entry.good.is_none() {
            entry.good = previous.and_then(|p| p.good);
        }
        self.insert(name, entry);
    }

    fn insert(&self, name: String, entry: Entry) {
        if let Ok(mut policies) = self.policies.write() {
            policies.insert(name, entry);
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// A compilation that trapped (a source so large it passes its deadline or exhausts fuel or
/// memory) is reported as a diagnostic of the whole file.
fn guest_failure(error: &GuestError) -> serde_json::Value {
    serde_json::json!({
        "diagnostics": [{
            "severity": "error",
            "code": error.code(),
            "message": format!("cannot compile the policy: {error}"),
            "line": 1, "column": 1, "end_line": 1, "end_column": 1,
            "help": "raise `--compile-timeout-ms`, `--fuel` or `--memory-mb`, or split the policy",
        }],
    })
}
