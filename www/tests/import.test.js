// The same workbook gives the same record in every host: `procura import` (the native binary),
// the template reader module in Node (www/pkg-reader, initialised from its bytes) and the
// supplier form in Chromium (the workbook chosen, or dropped) give the same JSON text byte for
// byte and the same warnings, and a hostile workbook the same error. The workbooks are those
// the generators of tests/support/templates.rs write (tests/import/workbooks/, kept equal to
// the generators' output by tests/import.rs).
//
// The native binary is `$PROCURA_BIN`, by default `$CARGO_TARGET_DIR/release/procura` (relative
// paths from the repository root).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { initSync, maxWorkbookBytes, readTemplate } from "../pkg-reader/procura_reader.js";
import { open, snap, useBrowser } from "./support.js";

const root = path.resolve(import.meta.dirname, "..", "..");
const procura = path.resolve(
  root,
  process.env.PROCURA_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? "target", "release", "procura"),
);
initSync({ module: readFileSync(path.join(root, "www/pkg-reader/procura_reader_bg.wasm")) });

const context = useBrowser();

const fixtures = path.join(root, "tests/import/workbooks");
const scratch = mkdtempSync(path.join(os.tmpdir(), "procura-import-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
// A file one byte over the workbook limit: refused before it is read as a zip.
const oversized = "hostile-oversized.xlsx";
writeFileSync(path.join(scratch, oversized), new Uint8Array(maxWorkbookBytes() + 1));

/** Every workbook with its folder and the command that reads it: the fixtures (CMRT and EMRT),
 * the hostile ones (read as CMRTs) and the oversized one. */
const WORKBOOKS = [
  ...readdirSync(fixtures)
    .filter((name) => name.endsWith(".xlsx"))
    .sort()
    .map((name) => ({ folder: fixtures, name, kind: name.startsWith("emrt-") ? "emrt" : "cmrt" })),
  { folder: scratch, name: oversized, kind: "cmrt" },
];

/** What a host made of a workbook, in one shape: the JSON text and the warnings, or the error. */
const read = (json, warnings) => ({ json, warnings });
const refused = (error) => ({ error });

/** `procura import KIND NAME` run in the workbook's folder, so that messages name the file as
 * the browser does. */
function native({ folder, name, kind }) {
  const run = spawnSync(procura, ["import", kind, name], { cwd: folder, encoding: "utf8" });
  if (run.error) throw run.error;
  const lines = run.stderr.split("\n").filter(Boolean);
  if (run.status === 0) {
    assert.ok(lines.every((line) => line.startsWith("warning: ")), run.stderr);
    return read(run.stdout, lines.map((line) => line.slice("warning: ".length)));
  }
  assert.equal(run.status, 2, run.stderr);
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^error: /);
  return refused(lines[0].slice("error: ".length));
}

/** The reader module in Node, given the bytes as the form gives them (at most one past the limit). */
function node({ folder, name, kind }) {
  const bytes = readFileSync(path.join(folder, name)).subarray(0, maxWorkbookBytes() + 1);
  try {
    const imported = readTemplate(kind, name, bytes);
    return read(imported.json, imported.warnings);
  } catch (error) {
    return refused(error.message);
  }
}

/** The supplier form in Chromium, the workbook chosen with its file input. */
async function browser(page, { folder, name }) {
  await page.setInputFiles("#cmrt-file", path.join(folder, name));
  return shown(page, name);
}

/** What the form shows once it has read `name`: the record's text and the warnings, or the error. */
async function shown(page, name) {
  const status = page.locator(`#cmrt-status[data-file="${name}"]:is([data-state="read"], [data-state="refused"])`);
  await status.waitFor();
  if ((await status.getAttribute("data-state")) === "refused") return refused(await status.textContent());
  return read(await page.textContent("#cmrt-record pre"), await page.locator("#cmrt-status li").allTextContents());
}

test("the same workbook gives the same record in the CLI, in Node and in the browser", async () => {
  const page = await open(context.browser, context.server.url + "form.html");
  const outcomes = new Set();
  for (const workbook of WORKBOOKS) {
    const expected = native(workbook);
    outcomes.add(expected.error === undefined ? "read" : "refused");
    assert.deepEqual(node(workbook), expected, `${workbook.name} in Node`);
    // The form reads CMRTs only; an EMRT is compared in Node.
    if (workbook.kind === "cmrt") assert.deepEqual(await browser(page, workbook), expected, `${workbook.name} in Chromium`);
  }
  // Both kinds of outcome were compared, and the hostile workbooks are the limits' errors.
  assert.deepEqual([...outcomes].sort(), ["read", "refused"]);
  assert.equal(
    node(WORKBOOKS.find((w) => w.name === "hostile-zip-bomb.xlsx")).error,
    "`hostile-zip-bomb.xlsx`: the part `xl/worksheets/sheet5.xml` decompressed is larger than the limit of 67108864",
  );
  assert.equal(node(WORKBOOKS.at(-1)).error, `\`${oversized}\`: the workbook is larger than the limit of 33554432`);
  assert.match(node(WORKBOOKS.find((w) => w.name === "hostile-malformed-xml.xlsx")).error, /^`hostile-malformed-xml.xlsx`: cannot read sheet `Smelter List`: /);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a dropped CMRT fills the smelter list and the policy points at the smelters to look at", async () => {
  const page = await open(context.browser, context.server.url + "form.html");
  // Every URL the page and its workers request: the reader is fetched by the worker.
  const requested = [];
  page.on("request", (request) => requested.push(request.url()));
  const readerFetches = () => requested.filter((url) => url.includes("procura_reader_bg")).length;
  await page.waitForLoadState("networkidle");
  assert.equal(readerFetches(), 0, "the reader is loaded before a workbook is dropped");

  const name = "cmrt-6.5.xlsx";
  const base64 = readFileSync(path.join(fixtures, name)).toString("base64");
  const dataTransfer = await page.evaluateHandle(
    ({ name, base64 }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name));
      return transfer;
    },
    { name, base64 },
  );
  await page.dispatchEvent("#cmrt-drop", "drop", { dataTransfer });
  assert.deepEqual(await shown(page, name), native({ folder: fixtures, name, kind: "cmrt" }));
  assert.equal(readerFetches(), 1);
  assert.equal(await page.textContent("#cmrt-status"), "cmrt-6.5.xlsx: CMRT 6.5, 5 smelters");

  // One row per smelter, the RMAP status from the buyer's list (rules/data/reference.json).
  const rows = page.locator("#smelters tbody tr");
  const table = () =>
    rows.evaluateAll((trs) =>
      trs.map((tr) => [
        ...[...tr.querySelectorAll("input, select")].map((field) => field.value),
        tr.classList.contains("open") ? "open" : "",
        tr.querySelector(".why").textContent,
      ]),
    );
  // The smelter not listed in the look-up has no CID: the policy's evidence points at it.
  assert.deepEqual(await table(), [
    ["CID001105", "tin", "conformant", "", ""],
    ["CID000015", "gold", "conformant", "", ""],
    ["CID002183", "tantalum", "conformant", "", ""],
    ["CID001898", "tin", "conformant", "", ""],
    ["", "gold", "not_enrolled", "open", "not RMAP conformant: no CID"],
  ]);
  assert.equal(await page.inputValue("#cmrt_date"), "2025-03-01");
  // The onboarding policy's message names the smelters by CID, and this one as having none.
  assert.equal(await page.textContent('[data-feedback="smelters"]'), "needs review: smelters not RMAP conformant: (no CID)");
  assert.equal(
    await page.textContent("#eligible"),
    "to become eligible: the metal of smelter 5 must not be tin, tantalum, tungsten, gold or cobalt " +
      "or the RMAP status of smelter 5 must be conformant",
  );
  await page.locator("#cmrt-drop").evaluate((element) => element.scrollIntoView());
  await snap(page, "form-cmrt");

  // The supplier corrects a row as a typed one: a CID of an RMAP-active smelter.
  await rows.nth(4).locator('[name="id"]').fill("CID009999");
  await rows.nth(4).locator('[name="rmap_status"]').selectOption("active");
  assert.equal(await page.textContent('[data-feedback="smelters"]'), "needs review: smelters not RMAP conformant: CID009999");
  assert.deepEqual((await table())[4], ["CID009999", "gold", "active", "open", "not RMAP conformant"]);

  // A second workbook replaces the rows; the reader is not fetched again.
  await page.setInputFiles("#cmrt-file", path.join(fixtures, "cmrt-6.22.xlsx"));
  await shown(page, "cmrt-6.22.xlsx");
  assert.equal(await rows.count(), 1);
  assert.equal(readerFetches(), 1);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("the form answers while a workbook is read: the reader works off the page's thread", async () => {
  const page = await open(context.browser, context.server.url + "form.html");
  // The largest hostile sheet takes the reader seconds before it is refused.
  const name = "hostile-huge-sheet.xlsx";
  await page.setInputFiles("#cmrt-file", path.join(fixtures, name));
  await page.locator(`#cmrt-status[data-file="${name}"][data-state="reading"]`).waitFor();
  await page.locator("#country").pressSequentially("D");
  assert.equal(await page.textContent('[data-feedback="country"]'), "to decide we still need: a known country code (`D` is not one)");
  await page.locator("#country").pressSequentially("K");
  assert.equal(await page.textContent('[data-feedback="country"]'), "✓");
  assert.equal(await page.getAttribute("#cmrt-status", "data-state"), "reading", "the workbook was read before the form answered");
  assert.deepEqual(await shown(page, name), native({ folder: fixtures, name, kind: "cmrt" }));
  assert.deepEqual(page.problems, []);
  await page.close();
});
