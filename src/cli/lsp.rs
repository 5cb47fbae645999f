//! `procura lsp`: a language server over standard input and output.
//!
//! The protocol (framing, the initialize handshake, shutdown) is `lsp-server`'s, the message
//! types `lsp-types`' (the crates rust-analyzer is built on). Everything a request answers
//! comes from one `procura::ide::Analysis` of the document, rebuilt when its text changes;
//! diagnostics are `procura check`'s. Documents are synchronised whole. Libraries a policy
//! imports are read from the open documents first, then from disk beside the file.

use std::collections::HashMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionOptions, CompletionResponse, DiagnosticSeverity,
    DocumentSymbol, DocumentSymbolResponse, GotoDefinitionResponse, Hover, HoverContents,
    HoverProviderCapability, InitializeParams, MarkupContent, MarkupKind, OneOf, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri,
};
use procura::diagnostic::{LineCol, LineIndex, Span, Unit};
use procura::ide::{Analysis, Location, SymbolKind};
use procura::policy::Sources;
use procura::{Diagnostic, Severity};

use super::{CliResult, Exit};

type Failure = Box<dyn Error + Send + Sync>;

pub fn run() -> CliResult {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection).map_err(|error| super::CliError(format!("lsp: {error}")))?;
    // The writer thread ends when the last sender of the connection is gone.
    drop(connection);
    io_threads
        .join()
        .map_err(|error| super::CliError(format!("lsp: {error}")))?;
    Ok(Exit::Success)
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

fn serve(connection: &Connection) -> Result<(), Failure> {
    let capabilities = serde_json::to_value(capabilities())?;
    let params: InitializeParams = serde_json::from_value(connection.initialize(capabilities)?)?;
    let mut server = Server {
        workspace: workspace_root(&params),
        documents: HashMap::new(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                let response = server.answer(request);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(notification) => {
                if let Some(uri) = server.notify(notification)? {
                    let params = server.diagnostics(&uri);
                    let note = Notification::new(PublishDiagnostics::METHOD.into(), params);
                    connection.sender.send(Message::Notification(note))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// The open documents and the analysis of each.
struct Server {
    /// The workspace's folder, whose policies are searched for the uses of a library's names.
    workspace: Option<PathBuf>,
    documents: HashMap<String, Document>,
}

/// The first workspace folder, else the root the editor gives (`rootUri`, older clients).
fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    let folder = (params.workspace_folders.iter().flatten()).find_map(|f| file_path(&f.uri));
    #[allow(deprecated)] // `root_uri` is what clients without workspace folders send
    folder.or_else(|| params.root_uri.as_ref().and_then(file_path))
}

/// An open document: its text and line index are those its analysis read, the root file of
/// its sources.
struct Document {
    uri: Uri,
    analysis: Analysis,
}

impl Document {
    fn text(&self) -> &str {
        self.analysis.sources().root_text()
    }

    fn range(&self, span: Span) -> Range {
        (self.analysis.sources().text_and_lines(None))
            .map_or_else(Range::default, |(text, lines)| range(text, lines, span))
    }
}

impl Server {
    /// Applies a notification; returns the document whose diagnostics changed.
    fn notify(&mut self, notification: Notification) -> Result<Option<Uri>, Failure> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                let document = params.text_document;
                self.update(document.uri.clone(), document.text);
                Ok(Some(document.uri))
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                // Whole-document sync: the last change holds the text.
                match params.content_changes.into_iter().last() {
                    Some(change) => {
                        let uri = params.text_document.uri;
                        self.update(uri.clone(), change.text);
                        Ok(Some(uri))
                    }
                    None => Ok(None),
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                self.documents.remove(params.text_document.uri.as_str());
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn update(&mut self, uri: Uri, text: String) {
        let sources = self.sources(file_path(&uri).as_deref(), &text);
        let analysis = Analysis::new(sources);
        let key = uri.as_str().to_string();
        self.documents.insert(key, Document { uri, analysis });
    }

    /// The files of the policy `text` at `path`: its libraries from the open documents first,
    /// then from disk beside it.
    fn sources(&self, path: Option<&Path>, text: &str) -> Sources {
        let directory = path.and_then(Path::parent);
        Sources::load(text, |library| {
            let Some(directory) = directory else {
                return Err("the document is not a file, so its libraries cannot be read".into());
            };
            let path = directory.join(library);
            match self.open_text(&path) {
                Some(text) => Ok(text.to_string()),
                None => std::fs::read_to_string(&path).map_err(|e| e.to_string()),
            }
        })
    }

    fn open_text(&self, path: &Path) -> Option<&str> {
        (self.documents.values())
            .find(|d| file_path(&d.uri).as_deref() == Some(path))
            .map(Document::text)
    }

    /// Every mention of what the name at `at` denotes, its declaration first: in the document
    /// and its libraries, and, for a name declared in a library, in every other policy of the
    /// workspace (and open document) that imports that library.
    fn references(&self, document: &Document, at: usize) -> Vec<lsp_types::Location> {
        let analysis = &document.analysis;
        let local = analysis.references(at);
        let mut found: Vec<lsp_types::Location> = (local.iter())
            .filter_map(|l| location(&document.uri, analysis, l))
            .collect();
        let (Some(declaration), Some(declared)) = (local.first(), found.first()) else {
            return found;
        };
        let Some(declared_in) = file_path(&declared.uri) else {
            return found;
        };
        let this = file_path(&document.uri);
        for path in self.workspace_policies() {
            if Some(&path) == this.as_ref() || path == declared_in {
                continue;
            }
            let Some(text) = (self.open_text(&path).map(str::to_string))
                .or_else(|| std::fs::read_to_string(&path).ok())
            else {
                continue;
            };
            let sources = self.sources(Some(&path), &text);
            let directory = path.parent().unwrap_or(Path::new(""));
            let Some((library, _)) =
                (sources.libraries()).find(|(library, _)| directory.join(library) == declared_in)
            else {
                continue;
            };
            let there = Location {
                file: Some(library.into()),
                span: declaration.span,
            };
            let Some(uri) = file_uri(&path) else {
                continue;
            };
            let analysis = Analysis::new(sources);
            for mention in analysis.references_to(&there) {
                match location(&uri, &analysis, &mention) {
                    Some(mention) if !found.contains(&mention) => found.push(mention),
                    _ => {}
                }
            }
        }
        found
    }

    /// The `.policy` files of the workspace folder (hidden folders, `target` and
    /// `node_modules` left out) and the open documents, sorted.
    fn workspace_policies(&self) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = (self.documents.values())
            .filter_map(|d| file_path(&d.uri))
            .collect();
        let mut folders: Vec<PathBuf> = self.workspace.iter().cloned().collect();
        while let Some(folder) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" && name != "node_modules" {
                        folders.push(path);
                    }
                } else if name.ends_with(".policy") {
                    found.push(path);
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    fn diagnostics(&self, uri: &Uri) -> PublishDiagnosticsParams {
        let Some(document) = self.documents.get(uri.as_str()) else {
            return PublishDiagnosticsParams::new(uri.clone(), Vec::new(), None);
        };
        let diagnostics = (document.analysis.diagnostics().iter())
            .map(|d| to_lsp_diagnostic(d, document))
            .collect();
        PublishDiagnosticsParams::new(uri.clone(), diagnostics, None)
    }

    fn answer(&self, request: Request) -> Response {
        let id = request.id.clone();
        match self.dispatch(request) {
            Ok(result) => Response::new_ok(id, result),
            Err(error) => Response::new_err(
                id,
                lsp_server::ErrorCode::InvalidParams as i32,
                error.to_string(),
            ),
        }
    }

    fn dispatch(&self, request: Request) -> Result<serde_json::Value, Failure> {
        let method = request.method.clone();
        let json = match method.as_str() {
            HoverRequest::METHOD => {
                let params = extract::<HoverRequest>(request)?;
                let position = params.text_document_position_params;
                let hover = self.at(&position.text_document.uri, position.position, |d, at| {
                    let hover = d.analysis.hover(at)?;
                    Some(Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value: hover.markdown,
                        }),
                        range: Some(d.range(hover.span)),
                    })
                });
                respond(hover)
            }
            GotoDefinition::METHOD => {
                let params = extract::<GotoDefinition>(request)?;
                let position = params.text_document_position_params;
                let uri = position.text_document.uri;
                let found = self.at(&uri, position.position, |d, at| {
                    let target = d.analysis.definition(at)?;
                    let location = location(&d.uri, &d.analysis, &target)?;
                    Some(GotoDefinitionResponse::Scalar(location))
                });
                respond(found)
            }
            References::METHOD => {
                let params = extract::<References>(request)?;
                let position = params.text_document_position;
                let include_declaration = params.context.include_declaration;
                let found = self.at(&position.text_document.uri, position.position, |d, at| {
                    let mut all = self.references(d, at);
                    if !include_declaration && !all.is_empty() {
                        all.remove(0);
                    }
                    Some(all)
                });
                respond(found)
            }
            Completion::METHOD => {
                let params = extract::<Completion>(request)?;
                let position = params.text_document_position;
                let found = self.at(&position.text_document.uri, position.position, |d, at| {
                    let items = d
                        .analysis
                        .completions(at)
                        .into_iter()
                        .map(|c| CompletionItem {
                            label: c.label,
                            kind: Some(completion_kind(c.kind)),
                            detail: (!c.detail.is_empty()).then_some(c.detail),
                            ..CompletionItem::default()
                        });
                    Some(CompletionResponse::Array(items.collect()))
                });
                respond(found)
            }
            DocumentSymbolRequest::METHOD => {
                let params = extract::<DocumentSymbolRequest>(request)?;
                let found = (self.documents.get(params.text_document.uri.as_str())).map(|d| {
                    let symbols = d.analysis.symbols();
                    let symbols = symbols.iter().map(|s| document_symbol(s, d));
                    DocumentSymbolResponse::Nested(symbols.collect())
                });
                respond(found)
            }
            Formatting::METHOD => {
                let params = extract::<Formatting>(request)?;
                let found = (self.documents.get(params.text_document.uri.as_str())).and_then(|d| {
                    // A document that does not parse is left as it is (its errors are shown).
                    let formatted = procura::format(d.text()).ok()?;
                    let whole = d.range(Span::new(0, d.text().len()));
                    let edits = (formatted != d.text()).then(|| TextEdit::new(whole, formatted));
                    Some(edits.into_iter().collect::<Vec<_>>())
                });
                respond(found)
            }
            _ => {
                return Err(format!("procura lsp does not answer `{method}`").into());
            }
        };
        Ok(json?)
    }

    /// Runs `answer` on the document at a position, as a byte offset.
    fn at<T>(
        &self,
        uri: &Uri,
        position: Position,
        answer: impl FnOnce(&Document, usize) -> Option<T>,
    ) -> Option<T> {
        let document = self.documents.get(uri.as_str())?;
        let (text, lines) = document.analysis.sources().text_and_lines(None)?;
        let offset = offset(text, lines, position);
        answer(document, offset)
    }
}

/// A location of the analysis of the policy at `uri` as the editor reads it: in that file or
/// in a library beside it.
fn location(uri: &Uri, analysis: &Analysis, target: &Location) -> Option<lsp_types::Location> {
    let (text, lines) = analysis.sources().text_and_lines(target.file.as_deref())?;
    let range = range(text, lines, target.span);
    let Some(library) = &target.file else {
        return Some(lsp_types::Location::new(uri.clone(), range));
    };
    let path = file_path(uri)?.parent()?.join(&**library);
    Some(lsp_types::Location::new(file_uri(&path)?, range))
}

fn extract<R: lsp_types::request::Request>(request: Request) -> Result<R::Params, Failure> {
    Ok(request.extract::<R::Params>(R::METHOD)?.1)
}

fn respond<T: serde::Serialize>(result: Option<T>) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(result)
}

fn to_lsp_diagnostic(diagnostic: &Diagnostic, document: &Document) -> lsp_types::Diagnostic {
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    // A library's diagnostic is shown on the import that brings the library in.
    let span = match &diagnostic.file {
        None => diagnostic.span,
        Some(library) => {
            message = format!("{library}: {message}");
            document.analysis.import_of(library)
        }
    };
    lsp_types::Diagnostic {
        range: document.range(span),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp_types::NumberOrString::String(
            diagnostic.code.to_string(),
        )),
        source: Some("procura".into()),
        message,
        ..lsp_types::Diagnostic::default()
    }
}

fn document_symbol(symbol: &procura::ide::Symbol, document: &Document) -> DocumentSymbol {
    let children = (symbol.children.iter()).map(|c| document_symbol(c, document));
    #[allow(deprecated)] // `deprecated` is a required field of the struct
    DocumentSymbol {
        name: symbol.name.clone(),
        detail: None,
        kind: symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range: document.range(symbol.span),
        selection_range: document.range(symbol.name_span),
        children: (!symbol.children.is_empty()).then(|| children.collect()),
    }
}

fn symbol_kind(kind: SymbolKind) -> lsp_types::SymbolKind {
    use lsp_types::SymbolKind as K;
    match kind {
        SymbolKind::Input | SymbolKind::Type => K::STRUCT,
        SymbolKind::Field | SymbolKind::Component => K::FIELD,
        SymbolKind::Const => K::CONSTANT,
        SymbolKind::Table => K::ARRAY,
        SymbolKind::Let | SymbolKind::Parameter | SymbolKind::Variable => K::VARIABLE,
        SymbolKind::Function | SymbolKind::Builtin => K::FUNCTION,
        SymbolKind::Score => K::NUMBER,
        SymbolKind::Rule => K::EVENT,
        SymbolKind::Keyword | SymbolKind::Member => K::KEY,
    }
}

fn completion_kind(kind: SymbolKind) -> CompletionItemKind {
    use CompletionItemKind as K;
    match kind {
        SymbolKind::Input | SymbolKind::Type => K::STRUCT,
        SymbolKind::Field | SymbolKind::Component => K::FIELD,
        SymbolKind::Const => K::CONSTANT,
        SymbolKind::Table | SymbolKind::Let | SymbolKind::Score => K::VARIABLE,
        SymbolKind::Parameter | SymbolKind::Variable => K::VARIABLE,
        SymbolKind::Function | SymbolKind::Builtin => K::FUNCTION,
        SymbolKind::Rule => K::EVENT,
        SymbolKind::Keyword => K::KEYWORD,
        SymbolKind::Member => K::ENUM_MEMBER,
    }
}

/// The LSP position of a byte offset: a zero-based line and a column in UTF-16 code units.
fn position(text: &str, lines: &LineIndex, offset: usize) -> Position {
    let at = lines.line_col_in(text, offset, Unit::Utf16);
    Position::new(at.line - 1, at.column - 1)
}

fn range(text: &str, lines: &LineIndex, span: Span) -> Range {
    let range = span.range();
    Range::new(
        position(text, lines, range.start),
        position(text, lines, range.end),
    )
}

/// The byte offset of an LSP position; past the end of a line it is the line's end.
fn offset(text: &str, lines: &LineIndex, position: Position) -> usize {
    let at = LineCol {
        line: position.line.saturating_add(1),
        column: position.character.saturating_add(1),
    };
    lines.offset_in(text, at, Unit::Utf16)
}

/// The path of a `file:` URI on this machine (no host, or `localhost`), percent-decoded.
fn file_path(uri: &Uri) -> Option<PathBuf> {
    let local = match uri.authority() {
        None => true,
        Some(authority) => matches!(authority.host().as_str(), "" | "localhost"),
    };
    if !uri.scheme()?.as_str().eq_ignore_ascii_case("file") || !local {
        return None;
    }
    let path = uri.path().as_estr().decode().into_string().ok()?;
    Some(PathBuf::from(path.into_owned()))
}

/// The `file:` URI of an absolute path.
fn file_uri(path: &Path) -> Option<Uri> {
    let mut uri = String::from("file://");
    for byte in path.to_str()?.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    Uri::from_str(&uri).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_round_trip_and_only_local_files_have_paths() {
        for path in ["/tmp/a b/ç%#.policy", "/x/y.policy"] {
            let uri = file_uri(Path::new(path)).unwrap();
            assert_eq!(file_path(&uri).as_deref(), Some(Path::new(path)));
        }
        let path_of = |uri: &str| file_path(&Uri::from_str(uri).unwrap());
        assert_eq!(
            path_of("file://localhost/x/y").as_deref(),
            Some(Path::new("/x/y"))
        );
        assert_eq!(path_of("FILE:///x%20y").as_deref(), Some(Path::new("/x y")));
        assert_eq!(path_of("file://server/x/y"), None);
        assert_eq!(path_of("untitled:Untitled-1"), None);
        assert_eq!(path_of("file:///%FF"), None);
    }

    #[test]
    fn positions_are_utf16_and_zero_based() {
        let text = "a\n😀 x\n";
        let lines = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(position(text, &lines, x), Position::new(1, 3));
        assert_eq!(offset(text, &lines, Position::new(1, 3)), x);
        assert_eq!(offset(text, &lines, Position::new(9, 0)), text.len());
    }
}
