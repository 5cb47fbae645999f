// Differential test: the WebAssembly build must print the same bytes as the native CLI
// (`procura eval --format json`) for every example of rules/*.policy, every sample supplier of
// rules/data/, every golden case of tests/golden/eval/ and every reviewed golden report of
// tests/eval/.
//
// The native binary is `$PROCURA_BIN`, by default target/release/procura.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { root, procura, read, list, libraries } = require("./support.js");

const nativeBin = path.resolve(root, process.env.PROCURA_BIN || "target/release/procura");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "procura-differential-"));
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));

// Examples without `as_of` run natively and in WebAssembly on this fixed date.
const DEFAULT_AS_OF = "2025-06-01";

/** `procura eval` on files: its stdout and exit code (0 report, 1 compile error, 2 input error). */
function native(policyFile, inputFile, dataFile, asOf) {
  if (!fs.existsSync(nativeBin)) {
    assert.fail(`native binary ${nativeBin} is missing: build it (cargo build --release) or set PROCURA_BIN`);
  }
  const args = ["eval", policyFile, "--input", inputFile, "--format", "json"];
  if (dataFile) args.push("--data", dataFile);
  if (asOf) args.push("--as-of", asOf);
  try {
    return { stdout: execFileSync(nativeBin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 }), status: 0 };
  } catch (error) {
    if (typeof error.status !== "number") throw error;
    return { stdout: error.stdout, status: error.status };
  }
}

/** What the WebAssembly build prints for the same case, in the CLI's format and exit code; the
 * reference data is given as text (`dataAsText`, read like the CLI's file) or spliced into the
 * options as a value. The libraries a policy imports are read from beside it, as the CLI does. */
function wasm(policyFile, inputText, dataText, asOf, dataAsText) {
  let policy;
  try {
    policy = procura.compile(fs.readFileSync(policyFile, "utf8"), { files: libraries(policyFile) });
  } catch (error) {
    if (error.name !== "CompileError") throw error;
    return { stdout: `${JSON.stringify(error.diagnostics)}\n`, status: 1 };
  }
  const data = dataText === undefined ? "null" : dataAsText ? JSON.stringify(dataText) : dataText;
  const options = `{"as_of":${JSON.stringify(asOf ?? null)},"data":${data}}`;
  try {
    return { stdout: `${policy.evaluateJson(inputText, options)}\n`, status: 0 };
  } catch (error) {
    if (error.name !== "InvalidInputError") throw error;
    return { stdout: `${JSON.stringify({ error: "input", errors: error.errors })}\n`, status: 2 };
  }
}

function write(name, text) {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Compares both builds on files, the reference data given to WebAssembly both as text and as a
 * value (when it is JSON); returns what they printed. */
function compare(policyFile, inputFile, dataFile, asOf) {
  const expected = native(policyFile, inputFile, dataFile, asOf);
  const dataText = dataFile ? fs.readFileSync(dataFile, "utf8") : undefined;
  const forms = [true];
  try {
    if (dataText !== undefined) JSON.parse(dataText);
    forms.push(false);
  } catch {
    // Malformed data spliced into the options would make them malformed instead.
  }
  let printed;
  for (const dataAsText of forms) {
    const actual = wasm(policyFile, fs.readFileSync(inputFile, "utf8"), dataText, asOf, dataAsText);
    assert.equal(actual.stdout, expected.stdout, dataAsText ? "data as text" : "data as a value");
    assert.equal(actual.status, expected.status);
    printed = actual.stdout;
  }
  return printed;
}

/** `--as-of DATE` from a golden case's `.args`; any other argument is a mistake in the case. */
function goldenAsOf(argsFile) {
  if (!fs.existsSync(argsFile)) return undefined;
  const args = fs.readFileSync(argsFile, "utf8").trim().split(/\s+/).filter(Boolean);
  if (args.length === 0) return undefined;
  if (args.length !== 2 || args[0] !== "--as-of") {
    throw new Error(`${argsFile}: only \`--as-of YYYY-MM-DD\` is supported, found \`${args.join(" ")}\``);
  }
  return args[1];
}

const policies = list("rules", ".policy");

test("there is something to compare", () => {
  assert.ok(policies.length > 0, "no rules/*.policy");
});

for (const file of policies) {
  const policyFile = path.join(root, file);
  const stem = path.basename(file, ".policy");

  test(`${file}: every example gives the native report`, () => {
    const examples = procura.compile(read(file), { files: libraries(file) }).examples();
    assert.ok(examples.length > 0, "no examples");
    for (const [i, example] of examples.entries()) {
      const inputFile = write(`${stem}-${i}.input.json`, JSON.stringify(example.given));
      const dataFile = example.data === null ? undefined : write(`${stem}-${i}.data.json`, JSON.stringify(example.data));
      compare(policyFile, inputFile, dataFile, example.as_of ?? DEFAULT_AS_OF);
    }
  });

  // The sample supplier of each policy, with the shared reference data (rules/README.md).
  const sample = path.join(root, "rules", "data", `${stem}-supplier.json`);
  const reference = path.join(root, "rules", "data", "reference.json");
  if (fs.existsSync(sample)) {
    test(`${file}: rules/data/${stem}-supplier.json gives the native report`, () => {
      compare(policyFile, sample, fs.existsSync(reference) ? reference : undefined, DEFAULT_AS_OF);
    });
  }
}

for (const file of list("tests/golden/eval", ".policy")) {
  const base = path.join(root, file.slice(0, -".policy".length));
  if (!fs.existsSync(`${base}.input.json`)) continue;
  test(`${file}: the golden case gives the native output`, () => {
    const data = `${base}.data.json`;
    compare(`${base}.policy`, `${base}.input.json`, fs.existsSync(data) ? data : undefined, goldenAsOf(`${base}.args`));
  });
}

// Reviewed reports (tests/eval.rs): `<policy>.<case>.input.json` [+ `.data.json`] [+ `.options.json`
// with `as_of`, default 2025-06-01] must give `<policy>.<case>.report.json`.
for (const file of list("tests/eval", ".policy")) {
  const stem = file.slice(0, -".policy".length);
  for (const input of list("tests/eval", ".input.json").filter((name) => name.startsWith(`${stem}.`))) {
    const base = path.join(root, input.slice(0, -".input.json".length));
    test(`${input}: the reviewed report, as natively`, () => {
      const data = `${base}.data.json`;
      const options = `${base}.options.json`;
      const asOf = fs.existsSync(options) ? JSON.parse(fs.readFileSync(options, "utf8")).as_of : DEFAULT_AS_OF;
      const printed = compare(path.join(root, file), `${base}.input.json`, fs.existsSync(data) ? data : undefined, asOf);
      assert.equal(printed, fs.readFileSync(`${base}.report.json`, "utf8"));
    });
  }
}

// A record and reference data that are both wrong: every error at once, the record's first, on
// both builds.
test("a bad record with bad reference data gives every error, as natively", () => {
  const policyFile = path.join(root, "tests", "hostile", "supplier.policy");
  const records = ['{"name": ', '{"name": 1}'];
  const data = ['{"sanctioned": {"XX": "yes"}}', '{"sanctioned": '];
  for (const [i, record] of records.entries()) {
    for (const [j, table] of data.entries()) {
      const printed = compare(policyFile, write(`both-${i}.json`, record), write(`both-${j}.data.json`, table), DEFAULT_AS_OF);
      const paths = JSON.parse(printed).errors.map((e) => e.path);
      assert.equal(paths.length, 2, printed);
      assert.ok(paths[0].startsWith("$") && !paths[0].startsWith("$data"), printed);
      assert.ok(paths[1].startsWith("$data"), printed);
    }
  }
});

// JSON Lines batches: one native output line per record, reports byte for byte, input errors
// with their line number. Each row is a policy, its records and its reference data.
const BATCHES = [
  ["tests/batch/supplier.policy", "tests/batch/suppliers.jsonl", "tests/batch/data.json"],
  ["rules/onboarding.policy", "rules/data/suppliers.jsonl", "rules/data/reference.json"],
];

for (const [policy, records, data] of BATCHES) {
  if (![policy, records, data].every((file) => fs.existsSync(path.join(root, file)))) continue;
  test(`${records} against ${policy} gives the native lines`, () => {
    const expected = native(path.join(root, policy), path.join(root, records), path.join(root, data), DEFAULT_AS_OF);
    const compiled = procura.compile(read(policy), { files: libraries(policy) });
    const options = `{"as_of":"${DEFAULT_AS_OF}","data":${read(data)}}`;
    const actual = [];
    // Lines as the CLI reads them, without their newline (so an error's position is within
    // the row); blank lines are not records.
    for (const [i, line] of read(records).split("\n").entries()) {
      if (line.trim() === "") continue;
      try {
        actual.push(compiled.evaluateJson(line, options));
      } catch (error) {
        if (error.name !== "InvalidInputError") throw error;
        actual.push(JSON.stringify({ error: "input", errors: error.errors, line: i + 1 }));
      }
    }
    assert.equal(actual.join("\n") + "\n", expected.stdout);
  });
}

// Replay (LANGUAGE.md §9.10): a report made in WebAssembly verifies with the native
// `procura verify`; one byte more in the policy or in the reference data fails it, naming which.
test("a report made in Node verifies natively, and a changed policy or data byte is named", () => {
  const policyFile = path.join(root, "rules", "onboarding.policy");
  const inputFile = path.join(root, "rules", "data", "onboarding-supplier.json");
  const dataFile = path.join(root, "rules", "data", "reference.json");
  const compiled = procura.compile(read("rules/onboarding.policy"));
  const options = `{"as_of":"${DEFAULT_AS_OF}","data":${read("rules/data/reference.json")}}`;
  const reportFile = write("node.report.json", compiled.evaluateJson(read("rules/data/onboarding-supplier.json"), options));
  const verify = (policy, data) => {
    try {
      const stdout = execFileSync(nativeBin, ["verify", reportFile, "--policy", policy, "--input", inputFile, "--data", data], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return { stdout, status: 0 };
    } catch (error) {
      if (typeof error.status !== "number") throw error;
      return { stdout: error.stdout, status: error.status };
    }
  };
  const same = verify(policyFile, dataFile);
  assert.equal(same.status, 0, same.stdout);
  assert.match(same.stdout, /^verified: .* gives the same bytes/);
  const policy = write("changed.policy", `${read("rules/onboarding.policy")} `);
  const changedPolicy = verify(policy, dataFile);
  assert.equal(changedPolicy.status, 1);
  assert.match(changedPolicy.stdout, /mismatch: the policy differs/);
  const data = write("changed.data.json", read("rules/data/reference.json").replace('"RU": true', '"RU": false'));
  const changedData = verify(policyFile, data);
  assert.equal(changedData.status, 1);
  assert.match(changedData.stdout, /mismatch: the reference data differs/);
});
