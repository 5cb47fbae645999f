// Remedies through the JavaScript API (`evaluate(record, {remedies: true})`): the same as the
// native CLI's, on every golden case of tests/golden/remedies/.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { procura, read, list, thrown } = require("./support.js");

const DIR = "tests/golden/remedies";

test("remedies are those of the native CLI on every golden case", () => {
  const policies = list(DIR, ".policy");
  assert.ok(policies.length >= 8, policies.join(", "));
  for (const file of policies) {
    const name = path.basename(file, ".policy");
    const policy = procura.compile(read(file));
    const given = JSON.parse(read(`${DIR}/${name}.input.json`));
    const dataFile = `${DIR}/${name}.data.json`;
    const data = fs.existsSync(path.join(__dirname, "..", "..", dataFile)) ? JSON.parse(read(dataFile)) : undefined;
    const report = policy.evaluate(given, { as_of: "2025-06-01", data, remedies: true });
    assert.deepEqual(report.remedies, JSON.parse(read(`${DIR}/${name}.remedies.json`)), name);
    // Without the option the report has no remedies, and is the report with them left out.
    const plain = policy.evaluateJson(JSON.stringify(given), JSON.stringify({ as_of: "2025-06-01", data }));
    assert.equal(JSON.parse(plain).remedies, undefined);
    const full = policy.evaluateJson(JSON.stringify(given), JSON.stringify({ as_of: "2025-06-01", data, remedies: true }));
    assert.ok(full.startsWith(plain.slice(0, -1) + ',"remedies":'), name);
  }
});

test("the option remedies takes a bool", () => {
  const policy = procura.compile(read(`${DIR}/values.policy`));
  const given = JSON.parse(read(`${DIR}/values.input.json`));
  assert.equal(policy.evaluate(given, { remedies: false }).remedies, undefined);
  assert.equal(policy.evaluate(given, { remedies: null }).remedies, undefined);
  const refused = thrown(() => policy.evaluate(given, { remedies: "yes" }));
  assert.deepEqual(refused.errors.map((e) => e.path), ["$options.remedies"]);
});
