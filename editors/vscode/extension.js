// Starts `procura lsp` for `.policy` files: everything the editor shows beyond highlighting
// (diagnostics, hover, definition, references, completion, outline) comes from the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("procura").get("path") || "procura";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "procura",
    "Procura",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "procura" }] },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
