//! `procura lsp` driven as an editor drives it: initialize, open, change, hover, definition,
//! references, completion, document symbols, shutdown and exit, over the process's standard
//! input and output, with every answer checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

struct Editor {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    /// Notifications received while waiting for a response.
    notifications: Vec<Value>,
}

impl Editor {
    fn start() -> Editor {
        let mut child = Command::new(env!("CARGO_BIN_EXE_procura"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("procura lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Editor {
            child,
            stdin,
            stdout,
            next_id: 1,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut length = None;
        loop {
            let mut header = String::new();
            assert!(
                self.stdout.read_line(&mut header).unwrap() > 0,
                "server closed"
            );
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some(n) = header.strip_prefix("Content-Length: ") {
                length = Some(n.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("Content-Length")];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.notifications.push(message);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Replaces the whole text of `uri`; the diagnostics the server publishes for it.
    fn change(&mut self, uri: &str, version: u32, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        self.diagnostics(uri)
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let message = match self.notifications.is_empty() {
                true => self.receive(),
                false => self.notifications.remove(0),
            };
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

/// The labels of a completion answer.
fn completion_labels(items: &Value) -> Vec<&str> {
    (items.as_array().unwrap().iter())
        .map(|item| item["label"].as_str().unwrap())
        .collect()
}

/// `procura fmt` of a text, as the command line prints it.
fn procura_fmt(text: &str) -> String {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lsp-untidy.policy");
    std::fs::write(&path, text).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_procura"))
        .arg("fmt")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(&path).unwrap()
}

/// A failed assertion must not leave the server running: it holds the test's output open.
impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `file:` URI of a path (percent-encoding what a URI path may not hold).
fn uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for byte in path.to_str().unwrap().bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// The zero-based line and UTF-16 column of the `nth` occurrence of `needle` in `text`, plus
/// `shift` characters.
fn position(text: &str, needle: &str, nth: usize, shift: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).expect(needle).0 + shift;
    let line = text[..at].matches('\n').count();
    let column = text[..at]
        .rsplit('\n')
        .next()
        .unwrap()
        .encode_utf16()
        .count();
    json!({"line": line, "character": column})
}

fn workspace() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lsp");
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    std::fs::copy(
        rules.join("lib/minerals.policy"),
        dir.join("lib/minerals.policy"),
    )
    .unwrap();
    dir
}

#[test]
fn an_editor_session() {
    let dir = workspace();
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/conflict-minerals.policy"),
    )
    .unwrap();
    let path = dir.join("conflict-minerals.policy");
    let uri = uri(&path);
    let mut editor = Editor::start();

    let init = editor.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let capabilities = &init["capabilities"];
    for capability in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
    ] {
        assert_eq!(capabilities[capability], json!(true), "{capability}");
    }
    assert_eq!(
        capabilities["completionProvider"]["triggerCharacters"],
        json!([".", "\""])
    );
    editor.notify("initialized", json!({}));

    // Opened: the policy and the library it imports compile without a diagnostic.
    editor.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "procura", "version": 1, "text": source}}),
    );
    assert_eq!(editor.diagnostics(&uri), Vec::<Value>::new());

    // A typo: an error with its code, the range of the name and a "did you mean".
    let broken = source.replacen("count(supplier.smelters)", "count(supplier.smelter)", 1);
    let diagnostics = editor.change(&uri, 2, &broken);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let typo = &diagnostics[0];
    assert_eq!(typo["severity"], 1);
    assert!(typo["code"].as_str().unwrap().starts_with('E'));
    assert!(
        typo["message"].as_str().unwrap().contains("smelters"),
        "{typo}"
    );
    assert_eq!(typo["range"]["start"], position(&broken, "smelter)", 0, 0));

    // Repaired.
    assert_eq!(editor.change(&uri, 3, &source), Vec::<Value>::new());
    let document = json!({"uri": uri});

    // Hover: a field's declared type, a rule's title, a built-in's signature.
    let hover = |editor: &mut Editor, needle: &str, nth: usize, shift: usize| -> String {
        let at = position(&source, needle, nth, shift);
        let result = editor.request(
            "textDocument/hover",
            json!({"textDocument": document, "position": at}),
        );
        result["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(hover(&mut editor, "cmrt.completed >=", 0, 6).contains("completed: date"));
    assert!(
        hover(&mut editor, "cmrt_current", 0, 2)
            .contains("CMRT for 3TG is dated within the last 12 months")
    );
    assert!(hover(&mut editor, "days_between(", 0, 1).contains("days_between("));
    assert!(hover(&mut editor, "smelter_count =", 0, 1).contains("let smelter_count: number"));

    // Definition: a function of the imported library, in the library's file.
    let at = position(&source, "is_smelter_id(s.id)", 0, 1);
    let definition = editor.request(
        "textDocument/definition",
        json!({"textDocument": document, "position": at}),
    );
    let library = std::fs::read_to_string(dir.join("lib/minerals.policy")).unwrap();
    assert_eq!(
        definition["uri"],
        json!(self::uri(&dir.join("lib/minerals.policy")))
    );
    assert_eq!(
        definition["range"]["start"],
        position(&library, "is_smelter_id", 0, 0)
    );

    // References: a let's declaration and every use.
    let at = position(&source, "smelter_count =", 0, 0);
    let references = editor.request(
        "textDocument/references",
        json!({"textDocument": document, "position": at, "context": {"includeDeclaration": true}}),
    );
    let lines: Vec<u64> = (references.as_array().unwrap().iter())
        .map(|r| r["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (source.lines().enumerate())
        .filter(|(_, line)| !line.trim_start().starts_with('#'))
        .flat_map(|(n, line)| line.matches("smelter_count").map(move |_| n as u64))
        .collect();
    assert_eq!(lines, expected);

    // Completion: the fields of a type from the library after `.`, then the members of a
    // literal union inside a string compared with it.
    let typed = source.replacen(
        "let smelter_count",
        "let probe = supplier.cmrt.\nlet smelter_count",
        1,
    );
    editor.change(&uri, 4, &typed);
    let at = position(&typed, "supplier.cmrt.\n", 0, "supplier.cmrt.".len());
    let items = editor.request(
        "textDocument/completion",
        json!({"textDocument": document, "position": at}),
    );
    let labels = completion_labels(&items);
    assert_eq!(labels, ["version", "completed", "scope", "policy_in_place"]);
    let at = position(
        &typed,
        "rmap_status == \"conformant\"",
        0,
        "rmap_status == \"".len(),
    );
    let items = editor.request(
        "textDocument/completion",
        json!({"textDocument": document, "position": at}),
    );
    let labels = completion_labels(&items);
    assert!(
        labels.contains(&"conformant") && labels.contains(&"not_enrolled"),
        "{labels:?}"
    );

    // The outline: items in order, the input's fields inside it.
    let symbols = editor.request(
        "textDocument/documentSymbol",
        json!({"textDocument": document}),
    );
    let symbols = symbols.as_array().unwrap();
    assert_eq!(symbols[0]["name"], "supplier");
    let fields: Vec<&str> = (symbols[0]["children"].as_array().unwrap().iter())
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "country",
            "in_scope_metals",
            "cmrt",
            "emrt",
            "smelters"
        ]
    );
    assert!(symbols.iter().any(|s| s["name"] == "rmap_enrolled"));

    // Formatting: `procura fmt`'s layout as one edit of the whole document, none when the
    // document is already formatted.
    let untidy = source.replacen(
        "let smelter_count = count(",
        "let smelter_count   =   count(",
        1,
    );
    editor.change(&uri, 5, &untidy);
    let options = json!({"tabSize": 2, "insertSpaces": true});
    let edits = editor.request(
        "textDocument/formatting",
        json!({"textDocument": document, "options": options}),
    );
    let edits = edits.as_array().unwrap().clone();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0]["newText"], json!(procura_fmt(&untidy)));
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    editor.change(&uri, 6, &source);
    let edits = editor.request(
        "textDocument/formatting",
        json!({"textDocument": document, "options": options}),
    );
    assert_eq!(edits, json!([]), "rules/ is formatted");

    // Shutdown, exit: the process ends with success.
    assert_eq!(editor.request("shutdown", Value::Null), Value::Null);
    editor.notify("exit", Value::Null);
    let status = editor.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// Every mention of `name` in `text` outside comments, as LSP locations in `uri`.
fn mentions(uri: &str, text: &str, name: &str) -> Vec<Value> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(name) {
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        if text[line_start..at].contains('#') {
            continue;
        }
        let start = position(text, name, text[..at].matches(name).count(), 0);
        let mut end = start.clone();
        end["character"] = json!(start["character"].as_u64().unwrap() + name.len() as u64);
        found.push(json!({"uri": uri, "range": {"start": start, "end": end}}));
    }
    found
}

#[test]
fn references_to_a_library_name_reach_the_policies_that_import_it() {
    // A workspace of its own: the library, two policies importing it, one that does not.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lsp-workspace");
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let files = [
        "lib/minerals.policy",
        "conflict-minerals.policy",
        "cmrt-quality.policy",
        "onboarding.policy",
    ];
    for file in files {
        std::fs::copy(rules.join(file), dir.join(file)).unwrap();
    }
    let text = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    let at = |file: &str| uri(&dir.join(file));
    let (library, conflict, cmrt) = (
        at("lib/minerals.policy"),
        at("conflict-minerals.policy"),
        at("cmrt-quality.policy"),
    );

    let mut editor = Editor::start();
    let folders = json!([{"uri": uri(&dir), "name": "rules"}]);
    editor.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "workspaceFolders": folders, "capabilities": {}}),
    );
    editor.notify("initialized", json!({}));
    let source = text("conflict-minerals.policy");
    editor.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": conflict, "languageId": "procura", "version": 1, "text": source}}),
    );
    assert_eq!(editor.diagnostics(&conflict), Vec::<Value>::new());

    // From a use in the open policy: the library's declaration, the uses in the document, then
    // those of the other policy that imports the library (read from disk).
    let references = editor.request(
        "textDocument/references",
        json!({"textDocument": {"uri": conflict}, "position": position(&source, "is_smelter_id(s.id)", 0, 1),
               "context": {"includeDeclaration": true}}),
    );
    let name = "is_smelter_id";
    let expected: Vec<Value> = [
        mentions(&library, &text("lib/minerals.policy"), name),
        mentions(&conflict, &source, name),
        mentions(&cmrt, &text("cmrt-quality.policy"), name),
    ]
    .concat();
    assert_eq!(expected.len(), 6, "{expected:?}");
    assert_eq!(references, json!(expected));

    // From the declaration in the library, opened too: its uses in both policies, in path order
    // after the library's own, without the declaration when the editor asks so.
    let library_text = text("lib/minerals.policy");
    editor.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": library, "languageId": "procura", "version": 1, "text": library_text}}),
    );
    editor.diagnostics(&library);
    let references = editor.request(
        "textDocument/references",
        json!({"textDocument": {"uri": library}, "position": position(&library_text, "is_smelter_id", 0, 0),
               "context": {"includeDeclaration": false}}),
    );
    let expected: Vec<Value> = [
        mentions(&cmrt, &text("cmrt-quality.policy"), name),
        mentions(&conflict, &source, name),
    ]
    .concat();
    assert_eq!(references, json!(expected));

    assert_eq!(editor.request("shutdown", Value::Null), Value::Null);
    editor.notify("exit", Value::Null);
    assert!(editor.child.wait().unwrap().success());
}
