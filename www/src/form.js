// A supplier self-registration form checked against the onboarding policy on every change.
// The first lines are the whole embedding; the rest reads the form and places the feedback.
import init, { compile } from "../pkg/procura.js";
import source from "../../rules/onboarding.policy?raw";
import reference from "../../rules/data/reference.json";
import { LIBRARIES } from "./libraries.js";

await init(); // loads the WebAssembly module
const policy = compile(source, { files: LIBRARIES }); // once: throws a CompileError listing every diagnostic
const form = document.getElementById("supplier-form");

function update() {
  const report = policy.evaluate(readSupplier(form), { data: reference, remedies: true });
  showFeedback(report); // report.decision, report.rules, report.missing, report.remedies
}
form.addEventListener("input", update);

// ---- reading the form -----------------------------------------------------------------------

/** The supplier record; unanswered questions are left out, so the policy sees them as missing. */
function readSupplier(form) {
  const value = (name) => form.elements[name]?.value.trim() || undefined;
  const number = (name) => (value(name) === undefined ? undefined : Number(value(name)));
  const radio = (name) => form.querySelector(`input[name="${name}"]:checked`)?.value;
  const ecovadis = {};
  for (const input of form.querySelectorAll('input[name^="ecovadis."]')) {
    if (input.value !== "") ecovadis[input.name.slice("ecovadis.".length)] = Number(input.value);
  }
  const minerals = radio("uses_minerals");
  return {
    name: value("name"),
    country: value("country")?.toUpperCase(),
    category: value("category"),
    annual_spend: number("annual_spend"),
    certifications: [...form.querySelectorAll('input[name="certifications"]:checked')].map((box) => box.value),
    // Adverse findings come from the buyer's screening service after submission, not from
    // the supplier: the form assumes none.
    flags: [],
    guidelines_confirmed: radio("guidelines_confirmed") === undefined ? undefined : radio("guidelines_confirmed") === "yes",
    ecovadis: Object.keys(ecovadis).length ? ecovadis : undefined,
    smelters: minerals === undefined ? undefined : minerals === "no" ? [] : smelterRows(),
    cmrt_date: minerals === "yes" ? value("cmrt_date") : undefined,
  };
}

function smelterRows() {
  return [...document.querySelectorAll("#smelters tbody tr")].map((row) => {
    const cell = (name) => row.querySelector(`[name="${name}"]`).value || null;
    return { id: cell("id"), metal: cell("metal"), rmap_status: cell("rmap_status") };
  });
}

// ---- placing the feedback -------------------------------------------------------------------

/** Where the outcome of each rule is shown: next to the answer it judges. */
const RULE_GROUP = {
  no_criminal_links: "name",
  not_sanctioned: "country",
  cpi_floor: "country",
  iso14001: "certifications",
  guidelines: "guidelines_confirmed",
  ecovadis_minimum: "ecovadis",
  conflict_minerals: "smelters",
  cmrt_fresh: "cmrt_date",
};

/** Reference tables are looked up by country. */
const TABLE_GROUP = { cpi: "country", sanctioned: "country" };

const LABELS = {
  "supplier.country": "your country",
  "supplier.category": "what you supply",
  "supplier.annual_spend": "the expected yearly volume",
  "supplier.guidelines_confirmed": "your answer on the Code of Conduct",
  "supplier.ecovadis": "your EcoVadis scores",
  "supplier.smelters": "whether your products contain 3TG or cobalt",
  "supplier.cmrt_date": "the date of your CMRT",
  "supplier.certifications": "your certifications",
  "supplier.name": "your legal name",
};

/** The question a missing path belongs to: `supplier.ecovadis.ethics` → `ecovadis`. */
function groupOf(path) {
  const table = /^(\w+)\[/.exec(path);
  if (table && TABLE_GROUP[table[1]]) return TABLE_GROUP[table[1]];
  return /^supplier\.(\w+)/.exec(path)?.[1] ?? null;
}

function label(path) {
  if (LABELS[path]) return LABELS[path];
  const table = /^(\w+)\["(.*)"\]$/.exec(path);
  if (table) return `a known country code (\`${table[2]}\` is not one)`;
  const score = /^supplier\.ecovadis\.(\w+)$/.exec(path);
  if (score) return `your EcoVadis ${score[1].replace(/_/g, " ")} score`;
  const smelter = /^supplier\.smelters\[(\d+)\]\.(\w+)$/.exec(path);
  if (smelter) return `the ${{ id: "CID", rmap_status: "RMAP status" }[smelter[2]] ?? smelter[2]} of smelter ${Number(smelter[1]) + 1}`;
  return path;
}

/** The questions in the order of the form, to list what is missing in the order it is asked. */
const ORDER = [...document.querySelectorAll("[data-feedback]")].map((slot) => slot.dataset.feedback);
const inFormOrder = (paths) => [...paths].sort((a, b) => ORDER.indexOf(groupOf(a)) - ORDER.indexOf(groupOf(b)));

const VERDICT_TEXT = { reject: "not eligible", review: "needs review", warn: "note" };

function showFeedback(report) {
  const byGroup = {};
  const add = (group, kind, text) => (byGroup[group] ??= []).push({ kind, text });
  for (const rule of report.rules) {
    const group = RULE_GROUP[rule.name];
    if (rule.outcome === "failed") add(group, rule.verdict, `${VERDICT_TEXT[rule.verdict]}: ${rule.message}`);
    if (rule.outcome === "passed") add(group, "ok", "✓");
  }
  const needed = {};
  for (const path of inFormOrder(report.missing)) (needed[groupOf(path)] ??= []).push(label(path));
  for (const [group, labels] of Object.entries(needed)) add(group, "missing", `to decide we still need: ${labels.join(", ")}`);

  for (const slot of document.querySelectorAll("[data-feedback]")) {
    // A passed rule says nothing when another rule on the same answer has something to say.
    const items = byGroup[slot.dataset.feedback] ?? [];
    const shown = items.some((i) => i.kind !== "ok") ? items.filter((i) => i.kind !== "ok") : items.slice(0, 1);
    slot.replaceChildren(...shown.map(({ kind, text }) => Object.assign(document.createElement("span"), { className: `fb fb-${kind}`, textContent: text })));
  }

  markOpenSmelters(report);

  const failed = (verdict) => report.rules.filter((r) => r.outcome === "failed" && r.verdict === verdict).map((r) => r.message);
  const verdict = document.getElementById("verdict");
  verdict.dataset.decision = report.decision;
  verdict.textContent = {
    approve: "eligible",
    review: `needs review: ${failed("review").join("; ")}`,
    reject: `not eligible: ${failed("reject").join("; ")}`,
    incomplete: `to decide we still need: ${[...new Set(inFormOrder(report.missing).map(label))].join(", ")}`,
  }[report.decision];
  showRemedies(report);
}

// ---- what would make the supplier eligible ---------------------------------------------------

/** A list of values in a sentence: `a, b or c`. */
function words(values, last = "or") {
  const text = values.map((v) => (v === true ? "yes" : v === false ? "no" : String(v)));
  return text.length > 1 ? `${text.slice(0, -1).join(", ")} ${last} ${text.at(-1)}` : (text[0] ?? "");
}

/** What each kind of change asks of an answer (docs/remedies.md). */
const CHANGE_TEXT = {
  at_least: (c) => `at least ${words([c.value])}`,
  more_than: (c) => `more than ${words([c.value])}`,
  at_most: (c) => `at most ${words([c.value])}`,
  less_than: (c) => `less than ${words([c.value])}`,
  equal: (c) => `must be ${words([c.value])}`,
  not_equal: (c) => `must not be ${words([c.value])}`,
  one_of: (c) => `must be ${words(c.values)}`,
  none_of: (c) => `must not be ${words(c.values)}`,
  add_one_of: (c) => `must include ${words(c.values)}`,
  add_all: (c) => `must include ${words(c.values, "and")}`,
  remove: (c) => `must not include ${words(c.values)}`,
  supply: () => "must be given",
  clear: () => "must be left out",
};

/** A remedy of the report as a sentence; `null` when no simple change would do. */
function remedyText(remedy) {
  if (remedy.change) return `${label(remedy.path)} ${CHANGE_TEXT[remedy.change](remedy)}`;
  if (remedy.element) return remedyText(remedy.remedy);
  const parts = (remedy.all ?? remedy.any ?? []).map(remedyText);
  if (remedy.all && parts.every(Boolean)) return parts.join(" and ");
  if (remedy.any && parts.some(Boolean)) return parts.filter(Boolean).join(" or ");
  return null;
}

/** Under the verdict: the changes that would clear each rule that failed (what is missing is
 * asked for already). */
const eligible = Object.assign(document.createElement("p"), { id: "eligible", hidden: true });
document.getElementById("verdict").after(eligible);

function showRemedies(report) {
  const failed = new Set(report.rules.filter((r) => r.outcome === "failed").map((r) => r.name));
  const steps = (report.remedies ?? []).filter((r) => failed.has(r.rule)).map((r) => remedyText(r.remedy));
  const simple = steps.filter(Boolean);
  eligible.textContent = simple.length ? `to become eligible: ${simple.join("; ")}` : "";
  eligible.hidden = simple.length === 0;
}

// ---- the smelter table ----------------------------------------------------------------------

/** A new row of the smelter table, not yet shown. */
function smelterRow() {
  const row = document.getElementById("smelter-row").content.firstElementChild.cloneNode(true);
  row.querySelector("button").addEventListener("click", () => {
    row.remove();
    update();
  });
  return row;
}

function addSmelter() {
  const row = smelterRow();
  document.querySelector("#smelters tbody").append(row);
  row.querySelector("input").focus();
  update();
}
document.getElementById("add-smelter").addEventListener("click", addSmelter);

function showMinerals() {
  const uses = form.querySelector('input[name="uses_minerals"]:checked')?.value === "yes";
  document.getElementById("smelters").hidden = !uses;
  document.getElementById("cmrt").hidden = !uses;
}
form.addEventListener("change", showMinerals);

/** Marks the rows of the smelters that the policy's evaluation points at: the evidence of the
 * failed conflict-minerals rule (a smelter not RMAP conformant, which a smelter without a CID
 * cannot be) and the smelters it still needs an answer about. */
function markOpenSmelters(report) {
  const indexes = (paths) => new Set(paths.map((path) => /^supplier\.smelters\[(\d+)\]/.exec(path)?.[1]).filter(Boolean).map(Number));
  const failed = indexes(report.rules.filter((r) => r.outcome === "failed").flatMap((r) => r.evidence));
  const missing = indexes(report.missing);
  document.querySelectorAll("#smelters tbody tr").forEach((row, index) => {
    row.classList.toggle("open", failed.has(index) || missing.has(index));
    const cid = row.querySelector('[name="id"]').value.trim();
    row.querySelector(".why").textContent = failed.has(index) ? `not RMAP conformant${cid ? "" : ": no CID"}` : "";
  });
}

// ---- a supplier's CMRT workbook -------------------------------------------------------------

// The workbook reader is a WebAssembly module of its own (www/pkg-reader, the library's CMRT
// reader) in a worker (reader-worker.js), started when the first workbook is dropped or chosen:
// the form itself never loads it, and never waits on it.
let reader;
let requests = 0;

/** What the reader made of `file`: `{ json, warnings }`, or an error with its message. */
function readWorkbook(kind, file) {
  reader ??= new Worker(new URL("./reader-worker.js", import.meta.url), { type: "module" });
  const worker = reader;
  const id = ++requests;
  return new Promise((resolve, reject) => {
    const settle = (event) => {
      if (event.type === "message" && event.data.id !== id) return;
      worker.removeEventListener("message", settle);
      worker.removeEventListener("error", settle);
      if (event.type === "error") {
        // The worker or its module could not be fetched or started: the next workbook tries again.
        if (reader === worker) reader = undefined;
        worker.terminate();
        reject(new Error(`the workbook reader could not be loaded${event.message ? `: ${event.message}` : ""}`));
      } else if (event.data.error !== undefined) {
        reject(new Error(event.data.error));
      } else {
        resolve(event.data);
      }
    };
    worker.addEventListener("message", settle);
    worker.addEventListener("error", settle);
    worker.postMessage({ id, kind, file });
  });
}

const importStatus = document.getElementById("cmrt-status");
const importRecord = document.getElementById("cmrt-record");
let latestImport = 0;

/** Reads a CMRT workbook and fills the smelter list (and the CMRT's date) from its record. */
async function importWorkbook(file) {
  const thisImport = ++latestImport;
  Object.assign(importStatus.dataset, { file: file.name, state: "reading" });
  importStatus.hidden = false;
  importStatus.textContent = `reading ${file.name} …`;
  let imported;
  try {
    imported = await readWorkbook("cmrt", file);
  } catch (error) {
    if (thisImport !== latestImport) return; // a later workbook replaced this one
    importRecord.hidden = true;
    importStatus.textContent = error.message;
    importStatus.dataset.state = "refused";
    return;
  }
  if (thisImport !== latestImport) return;
  const record = JSON.parse(imported.json);
  fillSmelters(record);
  importRecord.querySelector("pre").textContent = imported.json;
  importRecord.hidden = false;
  const warnings = imported.warnings.map((text) => Object.assign(document.createElement("li"), { textContent: text }));
  const summary = `${file.name}: ${record.template} ${record.version}, ${record.smelters.length} smelters`;
  importStatus.replaceChildren(summary, ...(warnings.length ? [Object.assign(document.createElement("ul"), { className: "warnings" })] : []));
  importStatus.querySelector("ul")?.append(...warnings);
  importStatus.dataset.state = "read";
  update();
}

/** One table row per smelter of the record. The RMAP status is the buyer's list's (`rmap` of
 * the reference data): a smelter not on it, or without a CID, is not enrolled. */
function fillSmelters(record) {
  form.querySelector('input[name="uses_minerals"][value="yes"]').checked = true;
  showMinerals();
  const rows = record.smelters.map((smelter) => {
    const row = smelterRow();
    const field = (name) => row.querySelector(`[name="${name}"]`);
    field("id").value = smelter.id ?? "";
    field("metal").value = smelter.metal ?? "";
    field("rmap_status").value = (smelter.id && reference.rmap?.[smelter.id]?.status) || "not_enrolled";
    const where = [smelter.name, smelter.country].filter(Boolean).join(", ");
    if (where) field("id").after(Object.assign(document.createElement("small"), { textContent: where }));
    return row;
  });
  document.querySelector("#smelters tbody").replaceChildren(...rows);
  if (record.company?.effective_date) form.elements.cmrt_date.value = record.company.effective_date;
}

document.getElementById("cmrt-file").addEventListener("change", (event) => {
  const [file] = event.target.files;
  if (file) importWorkbook(file);
  event.target.value = "";
});
// A workbook may be dropped anywhere on the page; the browser would otherwise open it.
const dropZone = document.getElementById("cmrt-drop");
document.addEventListener("dragover", (event) => {
  if (!event.dataTransfer?.types.includes("Files")) return;
  event.preventDefault();
  dropZone.classList.add("dragging");
});
document.addEventListener("dragleave", (event) => event.relatedTarget === null && dropZone.classList.remove("dragging"));
document.addEventListener("drop", (event) => {
  const [file] = event.dataTransfer?.files ?? [];
  if (!file) return;
  event.preventDefault();
  dropZone.classList.remove("dragging");
  importWorkbook(file);
});

update();
document.body.dataset.ready = "true";
