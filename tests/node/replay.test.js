// Replay across hosts (issue 17): the report of one decision made natively (`procura eval`), in
// Node (this package) and by `procura serve` is the same bytes; `procura verify` confirms each
// of them; the server's decision log line holds the same audit fields and the digest of the
// input file; and one byte changed in the policy or in the reference data makes `verify` fail
// and say which of the two differs.
//
// The native binary is `$PROCURA_BIN`, by default target/release/procura, built with the
// `serve` feature (scripts/test.sh builds it so).
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync, spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { root, procura, read } = require("./support.js");

const nativeBin = path.resolve(root, process.env.PROCURA_BIN || "target/release/procura");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "procura-replay-"));
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));

const AS_OF = "2025-06-01";
const policyText = read("rules/onboarding.policy");
const inputText = read("rules/data/onboarding-supplier.json");
const dataText = read("rules/data/reference.json");

/** Writes a file of the scratch directory and returns its path. */
function scratchFile(name, text) {
  const file = path.join(scratch, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Runs the native binary: its stdout and exit code. */
function run(args) {
  if (!fs.existsSync(nativeBin)) {
    assert.fail(`native binary ${nativeBin} is missing: build it (cargo build --release) or set PROCURA_BIN`);
  }
  try {
    return { stdout: execFileSync(nativeBin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }), status: 0 };
  } catch (error) {
    if (typeof error.status !== "number") throw error;
    return { stdout: error.stdout, status: error.status };
  }
}

function sha256(text) {
  return crypto.createHash("sha256").update(text).digest("hex");
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `procura serve DIR --decision-log LOG`, ready to answer; stopped by the caller. */
async function serve(dir, log) {
  const port = await freePort();
  const child = spawn(nativeBin, ["serve", dir, "--addr", `127.0.0.1:${port}`, "--log", "off", "--decision-log", log], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const base = `http://127.0.0.1:${port}`;
  const start = Date.now();
  for (;;) {
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || Date.now() - start > 60_000) {
      child.kill();
      assert.fail(`procura serve did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { base, stop: () => child.kill("SIGTERM") };
}

/** `procura verify` of a report file: exit code and output. */
function verify(report, policy, data) {
  const input = scratchFile("input.json", inputText);
  return run(["verify", report, "--policy", policy, "--input", input, "--data", data]);
}

test("reports made natively, in Node and by procura serve are the same bytes and verify against each other", async () => {
  const policy = scratchFile("policies/onboarding.policy", policyText);
  const data = scratchFile("reference.json", dataText);
  const input = scratchFile("input.json", inputText);

  const native = run(["eval", policy, "--input", input, "--data", data, "--as-of", AS_OF, "--format", "json"]);
  assert.equal(native.status, 0, native.stdout);
  const nativeReport = native.stdout.trimEnd();

  const compiled = procura.compile(policyText);
  const nodeReport = compiled.evaluateJson(inputText, `{"as_of":"${AS_OF}","data":${dataText}}`);

  const log = path.join(scratch, "decisions.jsonl");
  const server = await serve(path.dirname(policy), log);
  let servedReport;
  try {
    const body = `{"input": ${inputText.trim()}, "data": ${dataText}, "as_of": "${AS_OF}"}`;
    const response = await fetch(`${server.base}/v1/policies/onboarding/evaluate`, { method: "POST", body });
    servedReport = await response.text();
    assert.equal(response.status, 200, servedReport);
  } finally {
    server.stop();
  }

  assert.equal(nodeReport, nativeReport, "Node and native reports differ");
  assert.equal(servedReport, nativeReport, "server and native reports differ");
  const report = JSON.parse(nativeReport);
  assert.match(report.policy.sha256, /^[0-9a-f]{64}$/);
  assert.match(report.data_sha256, /^[0-9a-f]{64}$/);
  assert.equal(report.policy.sha256, sha256(policyText));

  // Each host's report, as that host wrote it, verifies with the policy, record and data.
  for (const [host, text] of [["native", native.stdout], ["node", nodeReport], ["serve", servedReport]]) {
    const file = scratchFile(`report-${host}.json`, text);
    const verified = verify(file, policy, data);
    assert.equal(verified.status, 0, `${host}: ${verified.stdout}`);
    assert.match(verified.stdout, /^verified: .* gives the same bytes as /, host);
  }

  // The decision log: one line, the report's audit fields, the digest of the record as sent.
  const lines = fs.readFileSync(log, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 1);
  const [line] = lines;
  assert.deepEqual(line.policy, { name: "onboarding", ...report.policy });
  assert.equal(line.as_of, report.as_of);
  assert.equal(line.data_sha256, report.data_sha256);
  assert.equal(line.decision, report.decision);
  assert.equal(line.input_sha256, sha256(inputText.trim()));

  // The data laid out differently is the same data (its digest is of its canonical form).
  const relaid = scratchFile("relaid.json", JSON.stringify(JSON.parse(dataText), null, 4));
  assert.equal(verify(scratchFile("report.json", nativeReport), policy, relaid).status, 0);

  // One byte more in the policy (a space at its end): the policy is named, the data is not.
  const report1 = scratchFile("report.json", nativeReport);
  const changedPolicy = scratchFile("changed/onboarding.policy", `${policyText} `);
  const policyChange = verify(report1, changedPolicy, data);
  assert.equal(policyChange.status, 1, policyChange.stdout);
  assert.match(policyChange.stdout, /^mismatch: the policy differs from the one the report was made with/m);
  assert.doesNotMatch(policyChange.stdout, /reference data differs/);

  // One byte changed in the reference data (a country of the `sanctioned` table the policy
  // reads, `RU` → `RV`): the data is named, not the policy.
  const at = dataText.indexOf('"RU"', dataText.indexOf('"sanctioned"'));
  assert.ok(at >= 0, "the reference data sanctions RU");
  const changedDataText = `${dataText.slice(0, at + 2)}V${dataText.slice(at + 3)}`;
  assert.equal(changedDataText.length, dataText.length);
  const changedData = scratchFile("changed/reference.json", changedDataText);
  const dataChange = verify(report1, policy, changedData);
  assert.equal(dataChange.status, 1, dataChange.stdout);
  assert.match(dataChange.stdout, /^mismatch: the reference data differs from what the report used/m);
  assert.doesNotMatch(dataChange.stdout, /policy differs/);
});
