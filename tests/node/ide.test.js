// The editor analysis of the WebAssembly API (`analyze`): the questions tests/ide.rs asks of
// `procura::ide`, on the same policy (tests/ide/names.policy), with every answer in full.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { procura, read, libraries, position, edit } = require("./support.js");

const POLICY = read("tests/ide/names.policy");

/** Asks `question` of the analysis of `source` at the first `needle`, `shift` characters in. */
function ask(source, question, needle, shift, options = undefined) {
  const { line, column } = position(source, needle);
  const analysis = procura.analyze(source, options);
  try {
    return analysis[question](line, column + shift);
  } finally {
    analysis.free();
  }
}

/** The range of `name` where the first `needle` starts, in `file` (`null`: the source). */
function range(source, needle, name, file = null) {
  const { line, column } = position(source, needle);
  return { file, line, column, end_line: line, end_column: column + [...name].length };
}

const code = (declaration, text) => "```procura\n" + declaration + "\n```" + (text ? `\n${text}` : "");

test("hover shows a field's type, a let's type, a function, a rule's title and a variable", () => {
  const hover = (needle, shift = 1) => ask(POLICY, "hover", needle, shift);
  const answer = (needle, name, markdown) => ({ ...range(POLICY, needle, name), markdown });
  assert.deepEqual(hover("smelters:"), answer("smelters:", "smelters", code("smelters: [Smelter]")));
  assert.deepEqual(hover("ethics) >="), answer("ethics) >=", "ethics", code("let ethics: number")));
  assert.deepEqual(hover("twice(ethics"), answer("twice(ethics", "twice", code("let twice(n: number)")));
  assert.deepEqual(
    hover("ethics_floor"),
    answer("ethics_floor", "ethics_floor", code("rule ethics_floor (require … else review)", "Ethics at the floor")),
  );
  assert.deepEqual(
    hover("s.status", 0),
    answer("s.status", "s", code("s: Smelter", "an element of `supplier.smelters`, bound by `all s in …`")),
  );
  assert.equal(hover("const", 1), null, "a keyword is no name");
});

test("positions count characters: a name after astral characters on its line", () => {
  const source = edit(POLICY, 'review "ethics {ethics}"', 'review "éthique 🌍 {ethics}"');
  assert.deepEqual(ask(source, "hover", "ethics}", 0), {
    ...range(source, "ethics}", "ethics"),
    markdown: code("let ethics: number"),
  });
});

test("completion offers the fields after a dot, the members in a string, else the names in scope", () => {
  const complete = (needle, shift) => ask(POLICY, "completions", needle, shift);
  assert.deepEqual(complete("ecovadis.ethics", 0), [
    { label: "country", kind: "field", detail: "text" },
    { label: "tier", kind: "field", detail: '"strategic" | "standard"' },
    { label: "smelters", kind: "field", detail: "[Smelter]" },
    { label: "ecovadis", kind: "field", detail: "{ ethics: number? }" },
  ]);
  assert.deepEqual(complete('conformant"\n', 1), [
    { label: "conformant", kind: "member", detail: "s.status" },
    { label: "active", kind: "member", detail: "s.status" },
  ]);
  const names = complete("twice(ethics", 0);
  const declared = names.filter((c) => c.kind !== "builtin" && c.kind !== "keyword");
  assert.deepEqual(declared, [
    { label: "supplier", kind: "input", detail: "input supplier" },
    { label: "Smelter", kind: "type", detail: 'type Smelter = { name: text, status: "conformant" | "active" }' },
    { label: "floor", kind: "const", detail: "const floor = 40" },
    { label: "ethics", kind: "let", detail: "let ethics: number" },
    { label: "twice", kind: "function", detail: "let twice(n: number)" },
  ]);
  // Then every built-in with its signature, then the keywords.
  const rest = names.slice(declared.length);
  const builtins = rest.filter((c) => c.kind === "builtin");
  assert.deepEqual(rest, [...builtins, ...rest.filter((c) => c.kind === "keyword")]);
  assert.deepEqual(builtins.find((c) => c.label === "days_between"), {
    label: "days_between",
    kind: "builtin",
    detail: "days_between(first_date, second_date)",
  });
  for (const keyword of ["require", "all", "contains", "import"]) {
    assert.deepEqual(rest.find((c) => c.label === keyword), { label: keyword, kind: "keyword", detail: "" });
  }
});

test("definition finds a declaration in the source and in an imported library", () => {
  assert.deepEqual(ask(POLICY, "definition", "floor and", 1), range(POLICY, "floor = 40", "floor"));
  assert.deepEqual(ask(POLICY, "definition", "status ==", 1), range(POLICY, "status: ", "status"));
  assert.deepEqual(ask(POLICY, "definition", "Smelter]", 1), range(POLICY, "Smelter =", "Smelter"));
  assert.equal(ask(POLICY, "definition", "40", 0), null);

  const file = "rules/conflict-minerals.policy";
  const source = read(file);
  const files = libraries(file);
  const library = files["lib/minerals.policy"];
  assert.deepEqual(
    ask(source, "definition", "is_smelter_id(s.id)", 1, { files }),
    range(library, "is_smelter_id", "is_smelter_id", "lib/minerals.policy"),
  );
});
