// The TextMate grammar against every policy of rules/: each token gets a scope of its own
// (no text is left as bare `source.procura`), and every reserved word of `syntax::RESERVED` is
// highlighted as a keyword or constant.
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const textmate = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.join(__dirname, "..", "..", "..");

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () => {
      const file = path.join(__dirname, "..", "syntaxes", "procura.tmLanguage.json");
      return textmate.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  return registry.loadGrammar("source.procura");
}

/** Each token of a text: its line, column, text and scopes. */
function tokenize(grammar, text) {
  const tokens = [];
  let state = textmate.INITIAL;
  text.split("\n").forEach((line, number) => {
    const result = grammar.tokenizeLine(line, state);
    for (const token of result.tokens) {
      const value = line.slice(token.startIndex, token.endIndex);
      tokens.push({ line: number + 1, column: token.startIndex + 1, value, scopes: token.scopes });
    }
    state = result.ruleStack;
  });
  return tokens;
}

function policies() {
  const dirs = ["rules", path.join("rules", "lib")];
  return dirs.flatMap((dir) =>
    fs.readdirSync(path.join(root, dir))
      .filter((name) => name.endsWith(".policy"))
      .map((name) => path.join(dir, name)),
  );
}

test("every token of the policies in rules/ is classified", async () => {
  const grammar = await loadGrammar();
  const files = policies();
  assert.ok(files.length >= 10, `found ${files.length} policies`);
  for (const file of files) {
    const tokens = tokenize(grammar, fs.readFileSync(path.join(root, file), "utf8"));
    const bare = tokens.filter((t) => t.scopes.length === 1 && t.value.trim() !== "");
    assert.deepStrictEqual(
      bare.map((t) => `${file}:${t.line}:${t.column} ${JSON.stringify(t.value)}`),
      [],
      "text no rule of the grammar matched",
    );
  }
});

test("every reserved word is a keyword or a constant", async () => {
  const grammar = await loadGrammar();
  const source = fs.readFileSync(path.join(root, "src", "syntax", "mod.rs"), "utf8");
  const list = source.split("pub const RESERVED: &[&str] = &[")[1].split("];")[0];
  const words = [...list.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(words.length > 30, `read ${words.length} reserved words`);
  for (const word of words) {
    const [token] = tokenize(grammar, word);
    const scope = token.scopes[token.scopes.length - 1];
    assert.match(scope, /^(keyword|storage|constant)\./, `${word}: ${scope}`);
    assert.strictEqual(token.value, word);
  }
});

test("strings interpolate expressions and end at their line", async () => {
  const grammar = await loadGrammar();
  const tokens = tokenize(grammar, 'else review "CPI {country_cpi} below {CPI_FLOOR}"');
  const name = tokens.find((t) => t.value === "country_cpi");
  assert.ok(name.scopes.includes("meta.interpolation.procura"), name.scopes.join(" "));
  assert.ok(name.scopes.at(-1).startsWith("variable."), name.scopes.join(" "));
  const after = tokenize(grammar, '"unterminated\nrule x')
    .find((t) => t.value === "rule");
  assert.strictEqual(after.scopes.at(-1), "storage.type.procura");
});
