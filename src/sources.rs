//! The files of a policy (LANGUAGE.md §9.1): the root that was compiled and the libraries it
//! imports, found through a loader the host gives (the core does no I/O).
//!
//! All files share one span space: each starts at its own `base`, so that a span alone tells
//! which file it is in and the checker resolves names and reports errors across files without
//! knowing about files. Diagnostics leave the core with spans within their file and its path
//! ([`Sources::localize`]).

use std::sync::Arc;

use crate::ast::{self, Item, PolicyFile};
use crate::audit;
use crate::diagnostic::{Diagnostic, LineIndex};
pub use crate::limits::{MAX_POLICY_BYTES, MAX_POLICY_FILES};
use crate::span::Span;
use crate::syntax;

/// Stable codes of the diagnostics of imports; `docs/diagnostics.md` describes each.
pub mod codes {
    pub const IMPORT_NOT_RELATIVE: &str = "E0400";
    pub const IMPORT_LEAVES_ROOT: &str = "E0401";
    pub const IMPORT_UNREADABLE: &str = "E0402";
    pub const IMPORT_CYCLE: &str = "E0403";
    pub const NOT_IN_LIBRARY: &str = "E0404";
    pub const TOO_MANY_FILES: &str = "E0405";
}

/// One file of a policy.
#[derive(Debug, Clone)]
struct SourceFile {
    /// The normalised path from the root's directory; `None` for the root.
    path: Option<Arc<str>>,
    text: String,
    /// Where its lines start, built once: the checker, the coverage branches and diagnostics
    /// as JSON all read them.
    lines: LineIndex,
    /// Where the file starts in the span space of the policy.
    base: usize,
    /// The files it imports, by index, in the order written.
    imports: Vec<usize>,
}

/// A policy's files, parsed: the root first, then the libraries in depth-first import order
/// (the order of the policy's SHA-256, §9.10).
#[derive(Debug, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
    /// The items of every file, spans in the shared span space; items a library may not hold
    /// are left out (their error is in `diagnostics`).
    items: PolicyFile,
    /// Syntax and import errors, spans in the shared span space.
    diagnostics: Vec<Diagnostic>,
}

impl Sources {
    /// The files of the policy whose root is `root`: `load` returns the text of a library by
    /// its normalised path (§9.1), or why it cannot.
    pub fn load(root: &str, mut load: impl FnMut(&str) -> Result<String, String>) -> Sources {
        let mut sources = Sources {
            files: vec![SourceFile {
                path: None,
                text: root.to_string(),
                lines: LineIndex::new(root),
                base: 0,
                imports: Vec::new(),
            }],
            items: PolicyFile::default(),
            diagnostics: Vec::new(),
        };
        sources.visit(0, &mut vec![0], &mut load);
        sources
    }

    /// A policy of one file; an `import` in it is an error, as no library can be read.
    pub fn root(root: &str) -> Sources {
        Sources::load(root, |_| Err("no library files were given".into()))
    }

    /// Parses file `index` and loads what it imports, depth first; `stack` holds the files
    /// being visited, to name a cycle.
    fn visit(
        &mut self,
        index: usize,
        stack: &mut Vec<usize>,
        load: &mut dyn FnMut(&str) -> Result<String, String>,
    ) {
        let Some(file) = self.files.get(index) else {
            return;
        };
        let (parsed, syntax_diagnostics) = syntax::parse_at(&file.text, file.base);
        let directory = file.path.as_deref().map_or("", |path| {
            path.rsplit_once('/').map_or("", |(directory, _)| directory)
        });
        let directory = directory.to_string();
        self.diagnostics.extend(syntax_diagnostics);
        for item in parsed.items {
            let Item::Import(import) = &item else {
                if index == 0 || allowed_in_library(&item) {
                    self.items.items.push(item);
                } else {
                    self.not_in_library(&item);
                }
                continue;
            };
            let path = match normalise(&directory, &import.path.value, import.path.span) {
                Ok(path) => path,
                Err(diagnostic) => {
                    self.diagnostics.push(diagnostic);
                    continue;
                }
            };
            let found = (self.files.iter()).position(|f| f.path.as_deref() == Some(&path));
            let imported = match found {
                Some(imported) => {
                    if let Some(at) = stack.iter().position(|&f| f == imported) {
                        self.cycle(&stack[at..], import);
                        continue;
                    }
                    imported
                }
                None => match self.read(&path, import.path.span, load) {
                    Some(imported) => {
                        stack.push(imported);
                        self.visit(imported, stack, load);
                        stack.pop();
                        imported
                    }
                    None => continue,
                },
            };
            if let Some(file) = self.files.get_mut(index) {
                file.imports.push(imported);
            }
            self.items.items.push(item);
        }
    }

    /// Reads a library not read before; `None` (and an error at `span`) when it cannot.
    fn read(
        &mut self,
        path: &str,
        span: Span,
        load: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Option<usize> {
        if self.files.len() >= MAX_POLICY_FILES {
            self.error(
                codes::TOO_MANY_FILES,
                span,
                format!("a policy may have at most {MAX_POLICY_FILES} files"),
            );
            return None;
        }
        let text = match load(path) {
            Ok(text) => text,
            Err(reason) => {
                self.error(
                    codes::IMPORT_UNREADABLE,
                    span,
                    format!("cannot read the library `{path}`"),
                )
                .help = Some(reason);
                return None;
            }
        };
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        if base + text.len() > MAX_POLICY_BYTES {
            self.error(
                codes::TOO_MANY_FILES,
                span,
                format!("the files of a policy may hold at most {MAX_POLICY_BYTES} bytes"),
            );
            return None;
        }
        self.files.push(SourceFile {
            path: Some(path.into()),
            lines: LineIndex::new(&text),
            text,
            base,
            imports: Vec::new(),
        });
        Some(self.files.len() - 1)
    }

    fn error(&mut self, code: &'static str, span: Span, message: String) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(code, span, message));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    fn cycle(&mut self, files: &[usize], import: &ast::ImportDecl) {
        let name = |index: usize| match self.files.get(index).and_then(|f| f.path.as_deref()) {
            Some(path) => format!("`{path}`"),
            None => "the root file".to_string(),
        };
        let mut chain: Vec<String> = files.iter().map(|&f| name(f)).collect();
        chain.extend(files.first().map(|&f| name(f)));
        let message = format!("import cycle: {}", chain.join(" → "));
        self.error(codes::IMPORT_CYCLE, import.path.span, message)
            .help =
            Some("a library may not import, directly or not, a file that imports it".into());
    }

    fn not_in_library(&mut self, item: &Item) {
        let (what, span) = match item {
            Item::Policy(meta) => ("a `policy` line", meta.title.span),
            Item::Input(decl) => ("an `input` declaration", decl.name.span),
            Item::Let(decl) if decl.params.is_some() => return,
            Item::Let(decl) => ("a `let` value", decl.name.span),
            Item::Score(decl) => ("a score", decl.name.span),
            Item::Rule(decl) => ("a rule", decl.name.span),
            Item::Example(decl) => ("an example", decl.title.span),
            Item::Type(_) | Item::Const(_) | Item::Table(_) | Item::Import(_) => return,
        };
        self.error(
            codes::NOT_IN_LIBRARY,
            span,
            format!("a library cannot hold {what}"),
        )
        .help = Some(
            "an imported file may hold only `type`, `const`, `table`, functions and `import`s; \
             move the rest to the file that imports it"
                .into(),
        );
    }

    /// The items of every file, spans in the shared span space.
    pub(crate) fn items(&self) -> &PolicyFile {
        &self.items
    }

    /// The syntax and import errors, spans in the shared span space.
    pub(crate) fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The root's text.
    pub fn root_text(&self) -> &str {
        self.files.first().map_or("", |f| f.text.as_str())
    }

    /// The 1-based line of a byte offset in the root.
    pub(crate) fn root_line(&self, offset: usize) -> u32 {
        self.files.first().map_or(0, |f| f.lines.line(offset))
    }

    /// The text of a file by its path (`None` for the root), as diagnostics name it.
    pub fn text(&self, path: Option<&str>) -> Option<&str> {
        self.text_and_lines(path).map(|(text, _)| text)
    }

    /// [`Sources::text`] with the file's line index, for positions in it.
    pub fn text_and_lines(&self, path: Option<&str>) -> Option<(&str, &LineIndex)> {
        let file = self.files.iter().find(|f| f.path.as_deref() == path)?;
        Some((&file.text, &file.lines))
    }

    /// The libraries' paths and texts, in depth-first import order.
    pub fn libraries(&self) -> impl Iterator<Item = (&str, &str)> {
        (self.files.iter()).filter_map(|f| Some((f.path.as_deref()?, f.text.as_str())))
    }

    /// The index of the file that holds `span`.
    fn file_of(&self, span: Span) -> usize {
        let at = span.start as usize;
        self.files
            .partition_point(|f| f.base <= at)
            .saturating_sub(1)
    }

    /// The source text under a span of the shared span space.
    pub(crate) fn slice(&self, span: Span) -> &str {
        let Some(file) = self.files.get(self.file_of(span)) else {
            return "";
        };
        let range = span.range();
        (file.text)
            .get(range.start - file.base..range.end.saturating_sub(file.base))
            .unwrap_or("")
    }

    /// Whether a name defined at `definition` may be read at `at`: in the same file or in a
    /// library that file imports itself (§9.1: names a library imports are not passed on).
    pub(crate) fn visible(&self, at: Span, definition: Span) -> bool {
        let (reader, definer) = (self.file_of(at), self.file_of(definition));
        reader == definer || (self.files.get(reader)).is_some_and(|f| f.imports.contains(&definer))
    }

    /// Whether some file sees both definitions (then one name may not denote both).
    pub(crate) fn seen_together(&self, a: Span, b: Span) -> bool {
        let (a, b) = (self.file_of(a), self.file_of(b));
        a == b
            || self.files.iter().enumerate().any(|(index, file)| {
                let sees = |f: usize| f == index || file.imports.contains(&f);
                sees(a) && sees(b)
            })
    }

    /// Whether a span is in the root.
    pub(crate) fn in_root(&self, span: Span) -> bool {
        self.file_of(span) == 0
    }

    /// Whether a definition at `definition` is in the library that `import` of the root
    /// names.
    pub(crate) fn defined_in_import(&self, import: &ast::ImportDecl, definition: Span) -> bool {
        let Ok(path) = normalise("", &import.path.value, import.path.span) else {
            return false;
        };
        let file = self.file_of(definition);
        (self.files.get(file)).is_some_and(|f| f.path.as_deref() == Some(path.as_str()))
    }

    /// A diagnostic of the shared span space as hosts read it: spans within its file, and the
    /// file's path.
    pub fn localize(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        let place = |span: Span| {
            let (file, local) = self.locate(span);
            (local, file)
        };
        (diagnostic.span, diagnostic.file) = place(diagnostic.span);
        for label in &mut diagnostic.labels {
            (label.span, label.file) = place(label.span);
        }
        diagnostic
    }

    /// The file (a library's path, `None` for the root) and 1-based line of spans of the shared
    /// span space; the files' line indexes are built once.
    pub(crate) fn lines<'s>(&'s self) -> impl Fn(Span) -> (Option<&'s str>, u32) + 's {
        move |span| match self.files.get(self.file_of(span)) {
            Some(f) => (
                f.path.as_deref(),
                f.lines.line((span.start as usize).saturating_sub(f.base)),
            ),
            None => (None, 0),
        }
    }

    /// A span of the shared span space as the file that holds it (its path, `None` for the
    /// root) and the span within that file.
    pub fn locate(&self, span: Span) -> (Option<Arc<str>>, Span) {
        let file = self.files.get(self.file_of(span));
        let base = file.map_or(0, |f| f.base);
        let local = Span::new(span.start as usize - base, span.end as usize - base);
        (file.and_then(|f| f.path.clone()), local)
    }

    /// The diagnostics as a JSON array of [`Diagnostic::to_json`] objects, each with the
    /// position in its own file.
    pub fn diagnostics_json(&self, diagnostics: &[Diagnostic]) -> serde_json::Value {
        let json = diagnostics.iter().map(|d| {
            let file = (self.files.iter())
                .find(|f| f.path == d.file)
                .or(self.files.first());
            match file {
                Some(f) => d.to_json(&f.text, &f.lines),
                None => d.to_json("", &LineIndex::new("")),
            }
        });
        serde_json::Value::Array(json.collect())
    }

    /// The SHA-256 of the policy (§9.10): of the root's bytes when it imports nothing; else
    /// of each file in depth-first import order as its path, NUL, its bytes, NUL.
    pub fn sha256(&self) -> String {
        if self.files.len() == 1 {
            return audit::sha256_hex(self.root_text().as_bytes());
        }
        let mut bytes = Vec::new();
        for file in &self.files {
            bytes.extend_from_slice(file.path.as_deref().unwrap_or("").as_bytes());
            bytes.push(0);
            bytes.extend_from_slice(file.text.as_bytes());
            bytes.push(0);
        }
        audit::sha256_hex(&bytes)
    }
}

/// What a library may hold besides `import`s (§9.1).
fn allowed_in_library(item: &Item) -> bool {
    match item {
        Item::Type(_) | Item::Const(_) | Item::Table(_) => true,
        Item::Let(decl) => decl.params.is_some(),
        _ => false,
    }
}

/// The path of `written`, imported by a file in `directory`, from the root's directory:
/// `/`-separated, without `.` or `..` segments. Errors are at `at`, the path's string.
fn normalise(directory: &str, written: &str, at: Span) -> Result<String, Diagnostic> {
    let not_relative = |what: &str| {
        Diagnostic::error(
            codes::IMPORT_NOT_RELATIVE,
            at,
            format!("an import path must be relative, not {what}"),
        )
        .with_help("write the path from the importing file's directory with `/`, e.g. `\"common/minerals.policy\"`")
    };
    let scheme = written.split_once(':').map(|(scheme, _)| scheme);
    if written.is_empty() {
        return Err(not_relative("empty"));
    }
    if written.starts_with('/') || written.starts_with('\\') || scheme.is_some_and(|s| s.len() == 1)
    {
        return Err(not_relative("absolute"));
    }
    if scheme.is_some() {
        return Err(not_relative("a URL"));
    }
    if written.contains('\\') {
        return Err(not_relative("written with `\\`"));
    }
    let mut segments: Vec<&str> = directory.split('/').filter(|s| !s.is_empty()).collect();
    for segment in written.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(Diagnostic::error(
                        codes::IMPORT_LEAVES_ROOT,
                        at,
                        "an import path may not leave the directory of the compiled file",
                    )
                    .with_help("libraries must be in the compiled file's directory or below it"));
                }
            }
            segment => segments.push(segment),
        }
    }
    Ok(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_from_the_root() {
        let path = |dir, path| normalise(dir, path, Span::default()).ok();
        assert_eq!(path("", "lib/a.policy").as_deref(), Some("lib/a.policy"));
        assert_eq!(path("lib", "./b.policy").as_deref(), Some("lib/b.policy"));
        assert_eq!(
            path("lib/x", "../c.policy").as_deref(),
            Some("lib/c.policy")
        );
        assert_eq!(path("lib", "../d.policy").as_deref(), Some("d.policy"));
        let code = |dir, path| normalise(dir, path, Span::default()).err().map(|d| d.code);
        assert_eq!(
            code("lib", "../../e.policy"),
            Some(codes::IMPORT_LEAVES_ROOT)
        );
        assert_eq!(code("", "/etc/passwd"), Some(codes::IMPORT_NOT_RELATIVE));
        assert_eq!(code("", "C:/x.policy"), Some(codes::IMPORT_NOT_RELATIVE));
        assert_eq!(
            code("", "https://example.com/x.policy"),
            Some(codes::IMPORT_NOT_RELATIVE)
        );
        assert_eq!(code("", ""), Some(codes::IMPORT_NOT_RELATIVE));
    }

    /// The codes of compiling `root` with the libraries `files` (path, text).
    fn codes_of(root: &str, files: &[(&str, &str)]) -> Vec<&'static str> {
        let sources = Sources::load(root, |path| {
            let text = files.iter().find(|(name, _)| *name == path);
            text.map(|(_, text)| text.to_string())
                .ok_or_else(|| "absent".into())
        });
        match crate::policy::compile_sources(&sources) {
            Ok(policy) => policy.warnings().iter().map(|d| d.code).collect(),
            Err(diagnostics) => diagnostics.iter().map(|d| d.code).collect(),
        }
    }

    const ROOT: &str = "import \"a.policy\"\ninput s { n: number }\n\
                        rule r { require s.n < A else review \"big\" }";

    #[test]
    fn names_hidden_from_each_other_do_not_clash() {
        // `c.policy` and `d.policy` both define `X`; no file imports both.
        let root = format!("import \"b.policy\"\n{ROOT}");
        let files = [
            ("a.policy", "import \"c.policy\"\nconst A = X + 1"),
            ("b.policy", "import \"d.policy\"\nconst B = X + 1"),
            ("c.policy", "const X = 1"),
            ("d.policy", "const X = 2"),
        ];
        // Only the warning that nothing of `b.policy` is read (W0001): no clash.
        assert_eq!(codes_of(&root, &files), ["W0001"]);
        let both = [(
            "a.policy",
            "import \"c.policy\"\nimport \"d.policy\"\nconst A = X",
        )];
        assert_eq!(codes_of(ROOT, &[both[0], files[2], files[3]]), ["E0100"]);
    }

    #[test]
    fn a_library_importing_itself_is_a_cycle() {
        let files = [("a.policy", "import \"./a.policy\"\nconst A = 1")];
        assert_eq!(codes_of(ROOT, &files), [codes::IMPORT_CYCLE]);
    }

    #[test]
    fn a_chain_of_too_many_libraries_is_refused() {
        let names: Vec<String> = (0..=MAX_POLICY_FILES)
            .map(|i| format!("l{i}.policy"))
            .collect();
        let texts: Vec<String> = (0..=MAX_POLICY_FILES)
            .map(|i| format!("import \"l{}.policy\"\nconst C{i} = 1", i + 1))
            .collect();
        let files: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(texts.iter().map(String::as_str))
            .collect();
        let root = "import \"l0.policy\"\ninput s { n: number }";
        assert!(codes_of(root, &files).contains(&codes::TOO_MANY_FILES));
    }
}
