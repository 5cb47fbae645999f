// The JavaScript API of the WebAssembly package, on the example policy of the specification.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { root, procura, read, list, libraries, position, edit, thrown } = require("./support.js");

const SPEC = read("tests/node/fixtures/specification.policy");
const DIAGNOSTIC_KEYS = ["code", "column", "end_column", "end_line", "file", "help", "line", "message", "severity"];

function specExample() {
  const [example] = procura.compile(SPEC).examples();
  return example;
}

test("check reports an unknown field with its position and a suggestion", () => {
  const source = edit(SPEC, "require supplier.guidelines_confirmed", "require supplier.guidelines_confirmd");
  const diagnostics = procura.check(source);
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
  const [d] = diagnostics;
  assert.deepEqual(Object.keys(d).sort(), DIAGNOSTIC_KEYS);
  const at = position(source, "guidelines_confirmd");
  assert.equal(d.severity, "error");
  assert.match(d.code, /^E\d{4}$/);
  assert.equal(d.line, at.line);
  assert.equal(d.column, at.column);
  assert.equal(d.end_line, at.line);
  assert.equal(d.end_column, at.column + "guidelines_confirmd".length);
  assert.match(d.message, /guidelines_confirmd/);
  assert.match(d.help, /did you mean `guidelines_confirmed`/);
});

// LANGUAGE.md §9.1: libraries come as `files`, keyed by their path from the source's directory.
const IMPORTING = `import "lib/limits.policy"
input supplier { age_days: number }
rule fresh "Fresh" {
  require supplier.age_days <= MAX_AGE_DAYS
  else review "too old"
}
`;

test("compile reads the libraries a policy imports from files", () => {
  const files = { "lib/limits.policy": 'import "units.policy"\nconst MAX_AGE_DAYS = 2 * DAYS_PER_YEAR\n', "lib/units.policy": "const DAYS_PER_YEAR = 365\n" };
  const policy = procura.compile(IMPORTING, { files });
  const report = policy.evaluate({ age_days: 800 }, { as_of: "2025-06-01" });
  assert.equal(report.decision, "review");
  // §9.10: the root with the empty path, then each library in depth-first order.
  const hash = crypto.createHash("sha256");
  for (const [name, text] of [["", IMPORTING], ["lib/limits.policy", files["lib/limits.policy"]], ["lib/units.policy", files["lib/units.policy"]]]) {
    hash.update(name).update("\0").update(text).update("\0");
  }
  assert.equal(report.policy.sha256, hash.digest("hex"));
});

test("a diagnostic in a library names its file, with positions in that file", () => {
  const files = { "lib/limits.policy": "\nconst MAX_AGE_DAYS = 365 + \"days\"\n" };
  const error = thrown(() => procura.compile(IMPORTING, { files }));
  assert.equal(error.name, "CompileError");
  const [d, ...rest] = error.diagnostics;
  assert.deepEqual(rest, []);
  assert.equal(d.file, "lib/limits.policy");
  assert.equal(d.line, 2);
  assert.equal(d.column, 22);
  assert.match(error.message, /in lib\/limits.policy at line 2, column 22/);
  assert.deepEqual(procura.check(IMPORTING, { files }), error.diagnostics);
});

test("an import that files lack is an error at its path", () => {
  const [d, ...rest] = procura.check(IMPORTING);
  assert.deepEqual(rest, []);
  assert.equal(d.code, "E0402");
  assert.equal(d.file, null);
  assert.equal(d.line, 1);
  assert.equal(d.column, 8);
  assert.match(d.message, /lib\/limits.policy/);
  assert.equal(procura.check(IMPORTING, { files: { "lib/limits.policy": 1 } })[0].code, "E0402");
  assert.equal(thrown(() => procura.check(IMPORTING, { files: "lib" })).name, "TypeError");
});

test("check suggests the member of a literal union for a misspelt string", () => {
  const source = edit(SPEC, 'in ["manufacturing", "chemicals"]', 'in ["manufactring", "chemicals"]');
  const [d, ...rest] = procura.check(source);
  assert.deepEqual(rest, []);
  assert.equal(d.severity, "error");
  assert.equal(d.line, position(source, "manufactring").line);
  assert.match(d.help, /manufacturing/);
});

test("check of a correct policy is empty and columns count characters", () => {
  assert.deepEqual(procura.check(SPEC), []);
  const source = edit(
    SPEC,
    '"written confirmation of the procurement guidelines is missing"',
    '"Größe ✓ {supplier.nme}"',
  );
  const [d] = procura.check(source);
  const at = position(source, "nme}");
  assert.deepEqual([d.line, d.column, d.end_column], [at.line, at.column, at.column + 3]);
});

test("compile throws a CompileError carrying every diagnostic", () => {
  const source = edit(
    edit(SPEC, "supplier.guidelines_confirmed\n", "supplier.guidelines_confirmd\n"),
    "count(supplier.smelters)",
    "cnt(supplier.smelters)",
  );
  const error = thrown(() => procura.compile(source));
  assert.ok(error instanceof Error);
  assert.equal(error.name, "CompileError");
  assert.deepEqual(error.diagnostics, procura.check(source));
  assert.equal(error.diagnostics.length, 2);
  const at = position(source, "guidelines_confirmd");
  assert.match(error.message, new RegExp(`line ${at.line}, column ${at.column} \\(and 1 more error\\)$`));
});

test("evaluate gives the report of the specification's example", () => {
  const policy = procura.compile(SPEC);
  assert.equal(policy.title, "Supplier onboarding baseline");
  assert.equal(policy.version, "2025.1");
  const { given, data, as_of } = specExample();
  assert.equal(given.name, "Nordisk Komponent A/S");
  const report = policy.evaluate(given, { as_of, data });
  assert.equal(report.decision, "approve");
  // The audit fields (LANGUAGE.md §9.10): the digest of the source, the date used.
  const sha256 = crypto.createHash("sha256").update(SPEC).digest("hex");
  assert.deepEqual(report.policy, { title: "Supplier onboarding baseline", version: "2025.1", sha256 });
  assert.equal(report.as_of, as_of);
  assert.match(report.data_sha256, /^[0-9a-f]{64}$/);
  assert.equal(report.rules.find((r) => r.name === "cmrt_fresh").outcome, "passed");
  assert.equal(report.scores.sustainability.value, 58.75);
  assert.equal(report.values.audit_plan, "self-assessment questionnaire");
  assert.deepEqual(report.missing, []);
  const text = policy.evaluateJson(JSON.stringify(given), JSON.stringify({ as_of, data }));
  assert.deepEqual(report, JSON.parse(text));
});

test("the evaluation date defaults to today in UTC", () => {
  const policy = procura.compile(edit(SPEC, "let country_cpi", "let evaluated_on = today\nlet country_cpi"));
  const { given, data } = specExample();
  const before = new Date().toISOString().slice(0, 10);
  const { values } = policy.evaluate(given, { data });
  const after = new Date().toISOString().slice(0, 10);
  assert.ok([before, after].includes(values.evaluated_on), values.evaluated_on);
  assert.equal(policy.evaluate(given, { data, as_of: "2024-02-29" }).values.evaluated_on, "2024-02-29");
});

test("input errors throw with every path, the first in the message", () => {
  const policy = procura.compile(SPEC);
  const { given, as_of } = specExample();
  const bad = {
    ...given,
    category: "manufactring",
    annual_spend: "lots",
    smelters: [{ id: "CID1", metal: "tin", rmap_status: "enrolled" }],
  };
  const error = thrown(() => policy.evaluate(bad, { as_of }));
  assert.ok(error instanceof Error);
  assert.equal(error.name, "InvalidInputError");
  const paths = error.errors.map((e) => e.path);
  for (const path of ["$.category", "$.annual_spend", "$.smelters[0].rmap_status", "$data.sanctioned"]) {
    assert.ok(paths.includes(path), `${path} in ${paths}`);
  }
  for (const e of error.errors) assert.deepEqual(Object.keys(e).sort(), ["expected", "found", "message", "path"]);
  assert.match(error.message, new RegExp(`^invalid input at \`\\${paths[0]}\`: .* \\(and ${paths.length - 1} more errors\\)$`));
  const fromText = thrown(() => policy.evaluateJson(JSON.stringify(bad), JSON.stringify({ as_of })));
  assert.deepEqual(fromText.errors, error.errors);
});

test("malformed JSON and bad options are input errors too", () => {
  const policy = procura.compile(SPEC);
  const { given, data } = specExample();
  const malformed = thrown(() => policy.evaluateJson("{", "{"));
  assert.deepEqual(malformed.errors.map((e) => e.path), ["$", "$options"]);
  // The spelling of the options before they were the same on every host.
  const misspelt = thrown(() => policy.evaluate(given, { data, asOf: "2025-06-01" }));
  assert.deepEqual(misspelt.errors.map((e) => e.path), ["$options.asOf"]);
  assert.match(misspelt.errors[0].message, /did you mean `as_of`/);
  const impossible = thrown(() => policy.evaluate(given, { data, as_of: "2025-02-30" }));
  assert.deepEqual(impossible.errors.map((e) => e.path), ["$options.as_of"]);
  for (const max_steps of [0, -1, 1.5, "100", 2 ** 60]) {
    const refused = thrown(() => policy.evaluate(given, { data, max_steps }));
    assert.deepEqual(refused.errors.map((e) => e.path), ["$options.max_steps"], `${max_steps}`);
  }
  assert.equal(thrown(() => policy.runExamples("June")).name, "InvalidInputError");
});

test("inputSchema describes the input declaration for a form", () => {
  const number = { kind: "number", optional: false };
  const text = { kind: "text", optional: false };
  assert.deepEqual(procura.compile(SPEC).inputSchema(), {
    name: "supplier",
    fields: [
      { name: "name", type: text },
      { name: "country", type: text },
      {
        name: "category",
        type: { kind: "union", optional: false, values: ["manufacturing", "chemicals", "logistics", "services"] },
      },
      { name: "annual_spend", type: number },
      { name: "certifications", type: { kind: "list", optional: false, element: text } },
      { name: "flags", type: { kind: "list", optional: false, element: text } },
      { name: "guidelines_confirmed", type: { kind: "bool", optional: false } },
      {
        name: "ecovadis",
        type: {
          kind: "record",
          optional: true,
          name: "Ecovadis",
          fields: ["environment", "labor_human_rights", "ethics", "sustainable_procurement"].map((name) => ({
            name,
            type: number,
          })),
        },
      },
      {
        name: "smelters",
        type: {
          kind: "list",
          optional: false,
          element: {
            kind: "record",
            optional: false,
            name: "Smelter",
            fields: [
              { name: "id", type: text },
              { name: "metal", type: text },
              {
                name: "rmap_status",
                type: { kind: "union", optional: false, values: ["conformant", "active", "not_enrolled"] },
              },
            ],
          },
        },
      },
      { name: "cmrt_date", type: { kind: "date", optional: true } },
    ],
  });
});

test("examples lists the example blocks with their records", () => {
  const examples = procura.compile(SPEC).examples();
  assert.equal(examples.length, 1);
  const [example] = examples;
  assert.equal(example.title, "Danish manufacturer with a complete file is approved");
  assert.equal(example.line, position(SPEC, "example ").line);
  assert.equal(example.as_of, "2025-06-01");
  assert.deepEqual(example.data, { sanctioned: {} });
  assert.equal(example.given.cmrt_date, "2025-03-01");
});

test("runExamples reports a failed expectation", () => {
  const source = edit(SPEC, "expect approve", "expect reject");
  const [result] = procura.compile(source).runExamples("2025-06-01");
  assert.equal(result.passed, false);
  assert.equal(result.failures.length, 1);
  const [failure] = result.failures;
  assert.equal(failure.line, position(source, "expect reject").line);
  assert.equal(failure.subject, "decision");
  assert.match(failure.expected, /reject/);
  assert.match(failure.actual, /approve/);
});

test("coverage counts each rule's outcomes and the match arms the examples reach, as procura test --coverage", () => {
  const file = "rules/ecovadis-scorecard.policy";
  const policy = procura.compile(read(file), { files: libraries(file) });
  const coverage = policy.coverage();
  const bin = require("node:path").resolve(root, process.env.PROCURA_BIN || "target/release/procura");
  const cli = require("node:child_process").execFileSync(bin, ["test", "--coverage", "--format", "json", file], {
    cwd: root,
  });
  assert.deepEqual(coverage, JSON.parse(cli).files[0].coverage);
  assert.deepEqual(coverage.branches.filter((b) => b.reached === 0).map((b) => [b.file, b.branch]), [
    ["lib/ecovadis.policy", "match arm 1"],
    ["lib/ecovadis.policy", "match arm 4"],
  ]);
  assert.equal(thrown(() => policy.coverage("June")).name, "InvalidInputError");
});

const policies = list("rules", ".policy");

test("there are policies under rules/", () => {
  assert.ok(policies.length > 0);
});

for (const file of policies) {
  test(`every example of ${file} passes`, () => {
    const source = read(file);
    const options = { files: libraries(file) };
    assert.deepEqual(procura.check(source, options).filter((d) => d.severity === "error"), []);
    const policy = procura.compile(source, options);
    const results = policy.runExamples();
    assert.ok(results.length > 0, "no examples");
    assert.equal(results.length, policy.examples().length);
    for (const result of results) {
      assert.ok(result.passed, `${file}:${result.line} ${result.title}: ${JSON.stringify(result.failures)}`);
      assert.deepEqual(result.failures, []);
    }
  });
}

// A panic or stack overflow in WebAssembly is a trap that can leave the module unusable: hostile
// sources and inputs must give diagnostics and input errors instead.
test("hostile sources and inputs give errors, and the module keeps working", () => {
  const sources = [
    `let x = ${"(".repeat(50_000)}1${")".repeat(50_000)}`,
    `let x = ${"[".repeat(50_000)}`,
    `let x = ${"not ".repeat(50_000)}true`,
    `let x = ${Array(50_000).fill("1").join(" + ")}`,
    `let x = ${"if true then ".repeat(20_000)}1${" else 2".repeat(20_000)}`,
    "\u0000\uFFFF\u{1F600}",
  ];
  for (const source of sources) {
    const diagnostics = procura.check(source);
    assert.ok(diagnostics.some((d) => d.severity === "error"), source.slice(0, 40));
  }
  const policy = procura.compile(SPEC);
  const { data, as_of } = specExample();
  let nested = {};
  for (let i = 0; i < 1_000; i++) nested = { ecovadis: nested };
  const error = thrown(() => policy.evaluateJson(JSON.stringify(nested), JSON.stringify({ data, as_of })));
  assert.equal(error.name, "InvalidInputError");
  assert.deepEqual(error.errors.map((e) => e.path), ["$"]);
  assert.ok(policy.runExamples().every((result) => result.passed));
});
