// The hostile-input corpus of `tests/hostile/` (its README describes the format) through the
// Node package, as `tests/hostile.rs` runs it natively: every case gets its expected structured
// error or decision, and none traps the WebAssembly instance. Cases are read from the folder,
// so new ones are picked up without changing this file.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { root, procura, thrown } = require("./support.js");

const CORPUS = path.join(root, "tests", "hostile");
const AS_OF = "2025-06-01";
const ERRORS = ["InvalidInputError", "CompileError"];

/** Every case of a corpus folder, in name order: `{name, bytes, expect}`. */
function cases(folder, extension) {
  const dir = path.join(CORPUS, folder);
  const names = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".expect.json"))
    .map((name) => name.slice(0, -".expect.json".length))
    .sort();
  assert.ok(names.length > 0, `no cases in ${dir}`);
  return names.map((name) => {
    const expect = JSON.parse(fs.readFileSync(path.join(dir, `${name}.expect.json`), "utf8"));
    const committed = [extension, "bin"]
      .map((ext) => path.join(dir, `${name}.${ext}`))
      .find((file) => fs.existsSync(file));
    const bytes = committed
      ? fs.readFileSync(committed)
      : Buffer.from(generate(JSON.parse(fs.readFileSync(path.join(dir, `${name}.gen.json`), "utf8"))));
    return { name: `${folder}/${name}`, bytes, expect };
  });
}

/** A generated case: its parts in order, `{"repeat": S, "times": N}` as S written N times. */
function generate(spec) {
  const out = [];
  for (const part of spec.parts) {
    if (typeof part === "string") {
      out.push(part);
      continue;
    }
    for (let i = 0; i < part.times; i++) {
      out.push(part.repeat.replaceAll("$next", String(i + 1)).replaceAll("$i", String(i)));
    }
  }
  return out.join("");
}

/** The text of UTF-8 bytes, or `null` when they are not UTF-8. */
function utf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** What a call gives in the corpus's terms: `{decision}` or `{errors}`. Anything thrown other
 * than the package's structured errors (a `RuntimeError` is a trap) fails the test. */
function outcome(name, call) {
  let report;
  try {
    report = call();
  } catch (error) {
    if (!ERRORS.includes(error.name)) {
      assert.fail(`${name}: threw ${error.name}: ${error.message}`);
    }
    assert.ok(Array.isArray(error.errors), `${name}: ${error.name} without errors`);
    return { errors: error.errors };
  }
  return { decision: (typeof report === "string" ? JSON.parse(report) : report).decision };
}

/** Whether `actual` matches the expectation of `c` (the listed error fields only). */
function assertOutcome(c, actual, host) {
  if ("decision" in c.expect) {
    assert.deepEqual(actual, { decision: c.expect.decision }, `${c.name}: ${host}`);
    return;
  }
  const found = actual.errors;
  assert.ok(found, `${c.name}: ${host}: expected input errors, got ${JSON.stringify(actual)}`);
  assert.equal(
    found.length,
    c.expect.errors.length,
    `${c.name}: ${host}: expected ${JSON.stringify(c.expect.errors)}, got ${JSON.stringify(found)}`,
  );
  c.expect.errors.forEach((want, i) => {
    for (const [key, value] of Object.entries(want)) {
      assert.equal(found[i][key], value, `${c.name}: ${host}: \`${key}\` of ${JSON.stringify(found[i])}`);
    }
    assert.equal(typeof found[i].message, "string", `${c.name}: no message`);
  });
}

const fixture = (name) => fs.readFileSync(path.join(CORPUS, name));
const policy = procura.compile(fixture("supplier.policy").toString("utf8"));
/** The options of an evaluation with `data` (reference data as JSON text, as read from a file). */
const options = (data) => JSON.stringify({ as_of: AS_OF, data });

/** Runs a record through every evaluation entry point that can take it. */
function assertRecord(c, record, data) {
  const text = utf8(record);
  assertOutcome(c, outcome(c.name, () => policy.evaluateBytes(record, options(data))), "evaluateBytes");
  if (text !== null) {
    assertOutcome(c, outcome(c.name, () => policy.evaluateJson(text, options(data))), "evaluateJson");
  }
  // `evaluate` takes what `JSON.parse` makes of the text, which is not always what the text
  // says (`1e400` becomes `Infinity`, then `null`): it must answer, not necessarily the same.
  let object;
  try {
    object = JSON.parse(text ?? "");
  } catch {
    return;
  }
  outcome(c.name, () => policy.evaluate(object, { as_of: AS_OF, data: JSON.parse(data) }));
}

test("hostile records get their structured errors or decisions", () => {
  const data = fixture("data.json").toString("utf8");
  for (const c of cases("input", "json")) assertRecord(c, c.bytes, data);
});

test("hostile reference data gets its structured errors, as text and as a value", () => {
  const record = fixture("valid.json").toString("utf8");
  for (const c of cases("data", "json")) {
    const data = utf8(c.bytes);
    assert.notEqual(data, null, `${c.name}: reference data is read as text`);
    assertOutcome(c, outcome(c.name, () => policy.evaluateJson(record, options(data))), "data as text");
    // Spliced into the options as it is, when it is JSON (otherwise the options would not be):
    // its own text is held to the same limit.
    try {
      JSON.parse(data);
    } catch {
      continue;
    }
    const spliced = `{"as_of": "${AS_OF}", "data": ${data}}`;
    assertOutcome(c, outcome(c.name, () => policy.evaluateJson(record, spliced)), "data as a value");
  }
});

test("options over their limit are refused at $options, with their own limit", () => {
  const record = fixture("valid.json").toString("utf8");
  const limit = 2 * 16 * 1024 * 1024;
  const start = `{"as_of": "${AS_OF}", "pad": "`;
  const sized = (size) => `${start}${"x".repeat(size - start.length - 2)}"}`;
  const over = thrown(() => policy.evaluateJson(record, sized(limit + 1)));
  assert.equal(over.name, "InvalidInputError");
  assert.deepEqual(over.errors.map((e) => [e.path, e.expected, e.found]), [
    ["$options", "at most 33,554,432 bytes of JSON", "33,554,433 bytes"],
  ]);
  assert.match(over.errors[0].message, /^the options are 33,554,433 bytes of JSON, more than the limit of 32 MiB$/);
  const within = thrown(() => policy.evaluateJson(record, sized(limit)));
  assert.deepEqual(within.errors.map((e) => e.path), ["$options.pad"]);
});

/** The sorted distinct codes of the errors among `diagnostics`. */
function errorCodes(diagnostics) {
  return [...new Set(diagnostics.filter((d) => d.severity === "error").map((d) => d.code))].sort();
}

test("hostile policies get their diagnostics", () => {
  for (const c of cases("policy", "policy")) {
    const strict = utf8(c.bytes);
    assert.equal(strict !== null, c.expect.utf8 !== false, `${c.name}: \`utf8\` does not describe the file`);
    if (strict === null) {
      // A JavaScript string cannot hold bytes that are not UTF-8: the caller decodes them, and
      // a strict decoder refuses them as the CLI does.
      assert.equal(thrown(() => new TextDecoder("utf-8", { fatal: true }).decode(c.bytes)).name, "TypeError");
    }
    // `TextDecoder`'s default (U+FFFD for each bad sequence) is the lossy conversion whose
    // codes the corpus lists.
    const source = strict ?? new TextDecoder().decode(c.bytes);
    const diagnostics = procura.check(source);
    for (const d of diagnostics) assert.ok(d.message && d.line >= 1 && d.column >= 1, `${c.name}: ${JSON.stringify(d)}`);
    assert.deepEqual(errorCodes(diagnostics), c.expect.codes, `${c.name}: check`);
    let compiled;
    try {
      compiled = procura.compile(source);
    } catch (error) {
      assert.equal(error.name, "CompileError", `${c.name}: compile threw ${error.name}: ${error.message}`);
      assert.deepEqual(errorCodes(error.diagnostics), c.expect.codes, `${c.name}: compile`);
      continue;
    }
    assert.deepEqual(c.expect.codes, [], `${c.name}: compiled although it has errors`);
    compiled.free();
  }
});

test("the instance still evaluates after the whole corpus", () => {
  const data = fixture("data.json").toString("utf8");
  const report = JSON.parse(policy.evaluateJson(fixture("valid.json").toString("utf8"), options(data)));
  assert.equal(report.decision, "approve");
  const fresh = procura.compile(fixture("supplier.policy").toString("utf8"));
  assert.equal(fresh.evaluate(JSON.parse(fixture("valid.json")), { as_of: AS_OF, data: JSON.parse(data) }).decision, "approve");
});

test("reused options never leak into an evaluation with other options", () => {
  const record = fixture("valid.json").toString("utf8");
  const decide = (data) => outcome("reuse", () => policy.evaluateJson(record, options(data)));
  const clean = '{"sanctioned": {"XX": true}}';
  const sanctioned = '{"sanctioned": {"DK": true}}';
  assert.deepEqual(decide(clean), { decision: "approve" });
  assert.deepEqual(decide(sanctioned), { decision: "reject" });
  assert.deepEqual(decide('{"sanctioned": {"DK": "yes"}}').errors.map((e) => e.path), ["$data.sanctioned.DK"]);
  assert.deepEqual(decide(clean), { decision: "approve" });
  const badDate = thrown(() => policy.evaluateJson(record, JSON.stringify({ as_of: "2025-02-30" })));
  assert.deepEqual(badDate.errors.map((e) => e.path), ["$options.as_of"]);
  assert.deepEqual(decide(sanctioned), { decision: "reject" });
});

test("evaluateBytes reads bytes that are not UTF-8 as malformed JSON", () => {
  const data = options(fixture("data.json").toString("utf8"));
  const bytes = Buffer.from('{"name": "\xff"}', "latin1");
  const error = thrown(() => policy.evaluateBytes(bytes, data));
  assert.equal(error.name, "InvalidInputError");
  assert.deepEqual(error.errors.map((e) => [e.path, e.expected, e.found]), [["$", "JSON", "malformed JSON"]]);
  assert.equal(JSON.parse(policy.evaluateBytes(fixture("valid.json"), data)).decision, "approve");
});

test("evaluate refuses what JSON.stringify refuses as an input error", () => {
  const cyclic = JSON.parse(fixture("valid.json"));
  cyclic.ecovadis = cyclic;
  const error = thrown(() => policy.evaluate(cyclic, { as_of: AS_OF }));
  assert.equal(error.name, "InvalidInputError");
  assert.deepEqual(error.errors.map((e) => [e.path, e.expected]), [["$", "JSON"]]);
});

test("an evaluation over its step budget throws an EvaluationError, and the next one works", () => {
  const quadratic = procura.compile(fixture("policy/quadratic.policy").toString("utf8"));
  const record = { smelters: Array.from({ length: 8_000 }, (_, i) => String(i)) };
  for (const call of [
    () => quadratic.evaluate(record, { as_of: AS_OF }),
    () => quadratic.evaluateJson(JSON.stringify(record), JSON.stringify({ as_of: AS_OF })),
  ]) {
    const error = thrown(call);
    assert.equal(error.name, "EvaluationError", error.message);
    assert.match(error.message, /step/);
    assert.equal(typeof error.help, "string");
    assert.ok(error.help.length > 0);
  }
  const small = { smelters: ["1", "2", "3"] };
  assert.ok(["approve", "review", "reject", "incomplete"].includes(quadratic.evaluate(small, { as_of: AS_OF }).decision));
});

test("the option max_steps sets the step budget of one evaluation", () => {
  const quadratic = procura.compile(fixture("policy/quadratic.policy").toString("utf8"));
  const small = { smelters: ["1", "2", "3", "4", "5"] };
  const text = JSON.stringify(small);
  for (const call of [
    () => quadratic.evaluate(small, { as_of: AS_OF, max_steps: 5 }),
    () => quadratic.evaluateJson(text, JSON.stringify({ as_of: AS_OF, max_steps: 5 })),
  ]) {
    const error = thrown(call);
    assert.equal(error.name, "EvaluationError", error.message);
  }
  // The same record within the default budget, and with a generous one.
  assert.ok(quadratic.evaluate(small, { as_of: AS_OF }).decision);
  assert.ok(quadratic.evaluateJson(text, JSON.stringify({ as_of: AS_OF, max_steps: 1_000_000 })));
  const refused = thrown(() => quadratic.evaluateJson(text, JSON.stringify({ as_of: AS_OF, max_steps: 0 })));
  assert.equal(refused.name, "InvalidInputError");
  assert.deepEqual(refused.errors.map((e) => e.path), ["$options.max_steps"]);
});
