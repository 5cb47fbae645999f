//! The served policies: every `NAME.policy` of a directory, compiled inside the module, and
//! reloaded when its file changes.
//!
//! Architecture invariants: a policy that stops compiling keeps serving its last good version;
//! only a deleted file stops serving. A file is read only once it has settled (its length,
//! modification time and real path unchanged for [`Registry::settle`], or last modified that
//! long ago) and unchanged while it was read, so a file being written is not served half
//! written. The changes one scan finds are committed at once; a scan during which the
//! directory (or the files' symlinks) switched is dropped, and a switched directory is served
//! only once every file in it has settled, so a symlink swap switches every policy together.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

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
    /// The file when read; a change triggers a reload.
    stamp: Stamp,
    /// The libraries `source` was compiled with (`Version::files`).
    files: Option<Arc<str>>,
    /// The directory's texts those libraries were taken from: the entry is current while the
    /// directory's texts are this same snapshot.
    read_against: Option<Arc<Texts>>,
}

/// The texts of the `.policy` files of the policy directory and below, by path from it.
type Texts = BTreeMap<String, String>;

/// What tells that a file changed: its length, modification time and, through symlinks, the
/// file it really is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    real: PathBuf,
}

impl Stamp {
    /// `path` followed through symlinks; `None` when it is not a regular file.
    fn of(path: &Path) -> Option<Stamp> {
        let real = std::fs::canonicalize(path).ok()?;
        let metadata = std::fs::metadata(&real).ok()?;
        metadata.is_file().then(|| Stamp {
            modified: metadata.modified().ok(),
            len: metadata.len(),
            real,
        })
    }
}

/// What one scan did, for the metrics and for callers that wait for files to settle.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The policies compiled, and whether each compiled.
    pub compiled: Vec<(String, bool)>,
    /// Files changed but not yet settled (or a scan dropped because the directory switched):
    /// a later scan will read them.
    pub waiting: bool,
}

pub struct Registry {
    dir: PathBuf,
    /// How long a file must stay unchanged before it is read.
    settle: Duration,
    policies: RwLock<BTreeMap<String, Entry>>,
    /// Changed files not yet settled: the stamp seen and when it was first seen.
    unsettled: Mutex<HashMap<String, (Stamp, Instant)>>,
    /// The directories the served files were read from (the directory and the real parents
    /// of its files); another set is a switched directory.
    origin: Mutex<BTreeSet<PathBuf>>,
    /// Bumped whenever the set of served versions changes.
    generation: AtomicU64,
    next_id: AtomicU64,
    /// Every `.policy` file of the directory and below, as the libraries were last read:
    /// their stamps, and their texts (one snapshot until one of them changes).
    libraries: Mutex<(BTreeMap<String, Stamp>, Arc<Texts>)>,
    /// Files of the directory found to be libraries, not policies, as they were then.
    known_libraries: Mutex<HashMap<String, Stamp>>,
}

impl Registry {
    pub fn new(dir: PathBuf, settle: Duration) -> Registry {
        Registry {
            dir,
            settle,
            policies: RwLock::default(),
            unsettled: Mutex::default(),
            origin: Mutex::default(),
            generation: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            libraries: Mutex::default(),
            known_libraries: Mutex::default(),
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

    pub fn settle(&self) -> Duration {
        self.settle
    }

    /// Brings the registry in line with the directory: new and changed files that have settled
    /// are compiled, deleted ones dropped, all in one change of what is served. Returns an
    /// error only when the directory cannot be listed.
    pub fn scan(&self, pool: &Pool) -> std::io::Result<Scanned> {
        let root = std::fs::canonicalize(&self.dir)?;
        let mut files: BTreeMap<String, (PathBuf, Stamp)> = BTreeMap::new();
        for file in std::fs::read_dir(&root)? {
            let Ok(file) = file else { continue };
            let path = file.path();
            let name = match (path.extension(), path.file_stem()) {
                (Some(ext), Some(stem)) if ext == "policy" => stem.to_str().map(str::to_owned),
                _ => None,
            };
            // Followed through symlinks: a Kubernetes ConfigMap volume links every file.
            if let (Some(name), Some(stamp)) = (name, Stamp::of(&path)) {
                files.insert(name, (path, stamp));
            }
        }
        let mut origin: BTreeSet<PathBuf> = files
            .values()
            .filter_map(|(_, stamp)| stamp.real.parent().map(Path::to_owned))
            .collect();
        origin.insert(root.clone());
        let switched = self.origin.lock().map_or(true, |seen| *seen != origin);

        let mut scanned = Scanned::default();
        // A policy may import any `.policy` file of the directory or below (LANGUAGE.md §9.1):
        // when one changes, every policy is compiled again with the new texts.
        let Some(libraries) = self.read_libraries(&root) else {
            scanned.waiting = true;
            return Ok(scanned);
        };
        let mut read = Vec::new();
        let mut libraries_only = BTreeSet::new();
        for (name, (path, stamp)) in &files {
            let known = self.known_libraries.lock().ok();
            if known.is_some_and(|known| known.get(name) == Some(stamp)) {
                libraries_only.insert(name.clone());
                continue;
            }
            let unchanged = |entry: Entry| {
                &entry.stamp == stamp
                    && (entry.read_against).is_none_or(|texts| Arc::ptr_eq(&texts, &libraries))
            };
            if self.get(name).is_some_and(unchanged) {
                continue;
            }
            match self.read_settled(name, stamp) {
                Some(bytes) => read.push((name.clone(), path, stamp.clone(), bytes)),
                None => scanned.waiting = true,
            }
        }
        if switched && scanned.waiting {
            // Nothing of a switched directory is served until all of it can be.
            return Ok(scanned);
        }
        let mut entries = Vec::new();
        for (name, _, stamp, bytes) in &read {
            let entry = match String::from_utf8(bytes.clone()) {
                Ok(source) => self.compile(pool, name, source.into(), stamp.clone(), &libraries),
                Err(error) => refuse_non_utf8(&error, stamp.clone()),
            };
            // A served policy that loses its `input` is more likely cut short by a writer than
            // turned into a library: like any version that does not compile, it keeps the last
            // good one serving (deleting the file stops that).
            let served = self.get(name).is_some_and(|e| e.good.is_some());
            if is_library(&entry) && !served {
                if let Ok(mut known) = self.known_libraries.lock() {
                    known.insert(name.clone(), stamp.clone());
                }
                libraries_only.insert(name.clone());
                continue;
            }
            scanned.compiled.push((name.clone(), entry.ok));
            entries.push((name.clone(), entry));
        }
        // A switch while the files were read: another scan reads the new directory whole.
        let moved = std::fs::canonicalize(&self.dir).ok() != Some(root)
            || (read.iter()).any(|(_, path, stamp, _)| Stamp::of(path).as_ref() != Some(stamp));
        if moved {
            scanned.compiled.clear();
            scanned.waiting = true;
            return Ok(scanned);
        }
        files.retain(|name, _| !libraries_only.contains(name));
        self.commit(entries, &files);
        if let Ok(mut seen) = self.origin.lock() {
            *seen = origin;
        }
        Ok(scanned)
    }

    /// The texts of every `.policy` file under `root`, read again only when one changed;
    /// `None` while a changed one has not settled.
    fn read_libraries(&self, root: &Path) -> Option<Arc<Texts>> {
        let mut stamps = BTreeMap::new();
        library_stamps(root, "", 0, &mut stamps);
        let mut libraries = self.libraries.lock().ok()?;
        if libraries.0 == stamps {
            return Some(libraries.1.clone());
        }
        let mut texts = Texts::new();
        for (path, stamp) in &stamps {
            let bytes = self.read_settled(&format!("/{path}"), stamp)?;
            texts.insert(path.clone(), String::from_utf8_lossy(&bytes).into());
        }
        let texts = Arc::new(texts);
        *libraries = (stamps, texts.clone());
        Some(texts)
    }

    /// The bytes of a changed file if it has settled and did not change while it was read;
    /// else records it as unsettled.
    fn read_settled(&self, name: &str, stamp: &Stamp) -> Option<Vec<u8>> {
        let Ok(mut unsettled) = self.unsettled.lock() else {
            return None;
        };
        let now = Instant::now();
        let seen_since = match unsettled.get(name) {
            Some((seen, since)) if seen == stamp => *since,
            _ => now,
        };
        let quiet = now.duration_since(seen_since) >= self.settle
            || stamp.modified.is_some_and(|modified| {
                modified
                    .elapsed()
                    .is_ok_and(|elapsed| elapsed >= self.settle)
            });
        // A file being rewritten may be unreadable for a moment; the next scan retries.
        let bytes = quiet
            .then(|| std::fs::read(&stamp.real).ok())
            .flatten()
            .filter(|_| Stamp::of(&stamp.real).is_some_and(|after| after == *stamp));
        match bytes {
            Some(bytes) => {
                unsettled.remove(name);
                Some(bytes)
            }
            None => {
                unsettled.insert(name.to_owned(), (stamp.clone(), seen_since));
                None
            }
        }
    }

    /// Serves what one scan read and drops what it did not find, in one change.
    fn commit(&self, entries: Vec<(String, Entry)>, files: &BTreeMap<String, (PathBuf, Stamp)>) {
        if let Ok(mut unsettled) = self.unsettled.lock() {
            unsettled.retain(|name, _| files.contains_key(name));
        }
        let Ok(mut policies) = self.policies.write() else {
            return;
        };
        let before = policies.len();
        policies.retain(|name, _| files.contains_key(name));
        let mut changed = policies.len() != before;
        for (name, mut entry) in entries {
            // A version that does not compile keeps the previous good one serving.
            if entry.good.is_none() {
                entry.good = policies.get(&name).and_then(|p| p.good.clone());
            }
            policies.insert(name, entry);
            changed = true;
        }
        if changed {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The entry of a source: compiled in the module, or the previous entry when the text
    /// is the one that compiled before.
    fn compile(
        &self,
        pool: &Pool,
        name: &str,
        source: Arc<str>,
        stamp: Stamp,
        libraries: &Arc<Texts>,
    ) -> Entry {
        // Only a source that may import gets libraries, so that a module without
        // `procura_compile_files` (`--module`) still serves the others; and only those it
        // imports, found by reading its imports here, so that a large file elsewhere in the
        // directory never reaches the module's memory.
        let read_against = source.contains("import").then(|| libraries.clone());
        let files = (read_against.as_deref()).map(|texts| imported_libraries(&source, texts));
        let previous = self.get(name);
        // Only a text that compiled is trusted to be unchanged: a refused file's `source` is
        // its lossy reading.
        if let Some(previous) = previous.filter(|p| p.ok && p.source == source && p.files == files)
        {
            return Entry {
                stamp,
                read_against,
                ..previous
            };
        }
        let version = Version {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            source: source.clone(),
            files: files.clone(),
        };
        let compiled = self.with_worker(pool, |worker| worker.check(&version));
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
        Entry {
            source,
            ok,
            diagnostics: Arc::new(diagnostics),
            good,
            stamp,
            files,
            read_against,
        }
    }
}

/// Whether a file is a library, not a policy: it failed to compile for want of an `input`
/// (LANGUAGE.md §9.1: only files that declare an `input` are served).
fn is_library(entry: &Entry) -> bool {
    !entry.ok
        && (entry.diagnostics.as_array()).is_some_and(|list| {
            list.iter()
                .any(|d| d["code"] == crate::check::codes::NO_INPUT)
        })
}

/// The deepest directory below the policy directory whose libraries are read.
const MAX_LIBRARY_DEPTH: usize = 8;

/// The stamps of the `.policy` files under `dir`, by path from the policy directory (`prefix`),
/// at most [`MAX_POLICY_FILES`](crate::limits::MAX_POLICY_FILES) times ten of them.
fn library_stamps(dir: &Path, prefix: &str, depth: usize, stamps: &mut BTreeMap<String, Stamp>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if stamps.len() >= 10 * crate::limits::MAX_POLICY_FILES {
            return;
        }
        let path = entry.path();
        let Some(name) = entry
            .file_name()
            .to_str()
            .map(|name| format!("{prefix}{name}"))
        else {
            continue;
        };
        if path.is_dir() && depth < MAX_LIBRARY_DEPTH {
            library_stamps(&path, &format!("{name}/"), depth + 1, stamps);
        } else if name.ends_with(".policy")
            && let Some(stamp) = Stamp::of(&path)
        {
            stamps.insert(name, stamp);
        }
    }
}

/// A file that is not UTF-8 is not a policy; like any other broken edit it leaves the last
/// good version serving. The module never sees it, so the diagnostic is the host's.
fn refuse_non_utf8(error: &std::string::FromUtf8Error, stamp: Stamp) -> Entry {
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
    let diagnostics = serde_json::json!([diagnostic.to_json(&source, &LineIndex::new(&source))]);
    Entry {
        source: source.into(),
        ok: false,
        diagnostics: Arc::new(diagnostics),
        good: None,
        stamp,
        files: None,
        read_against: None,
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

/// The libraries `source` imports, directly or not, as the JSON object of `Version::files`,
/// resolved natively against the directory's `texts`.
fn imported_libraries(source: &str, texts: &Texts) -> Arc<str> {
    let sources = crate::policy::Sources::load(source, |path| {
        (texts.get(path).cloned())
            .ok_or_else(|| format!("no file `{path}` in the policy directory"))
    });
    let imported: serde_json::Map<String, serde_json::Value> = (sources.libraries())
        .map(|(path, text)| (path.to_owned(), text.into()))
        .collect();
    serde_json::Value::Object(imported).to_string().into()
}
