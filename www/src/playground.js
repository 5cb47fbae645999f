// The policy playground: edit a policy, see its diagnostics, its input form and its decision
// on every keystroke, with hover and completion from the language server's analysis. Everything
// runs in the page on the WebAssembly evaluator.
import { basicSetup } from "codemirror";
import { EditorView } from "@codemirror/view";
import { EditorSelection } from "@codemirror/state";
import { syntaxHighlighting } from "@codemirror/language";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import init, { compile } from "../pkg/procura.js";
import { policyLanguage, policyHighlight } from "./language.js";
import { rangeOf } from "./positions.js";
import { policyAssist } from "./assist.js";
import { renderSchemaForm, controlFor } from "./schema-form.js";
import { renderReport, renderExamples } from "./result.js";
import { POLICIES, REFERENCE_DATA } from "./policies.js";
import { LIBRARIES } from "./libraries.js";
import { encodeState, decodeState } from "./share.js";
import { el } from "./dom.js";

/** Edits closer together than this are one keystroke burst: only the last one is evaluated. */
const DEBOUNCE_MS = 60;
const $ = (id) => document.getElementById(id);

const state = {
  policyKey: "onboarding",
  holder: { value: {} }, // the input record, edited in place by the form
  data: null, // the reference data, parsed
  dataText: REFERENCE_DATA,
  asOf: new Date().toISOString().slice(0, 10),
  policy: null, // the compiled policy, or null while the source does not compile
  schemaKey: "",
  timings: [], // compile + evaluate times of the recent edits, for the status bar
};

// ---- editor ---------------------------------------------------------------------------------

let pending = 0;
const editor = new EditorView({
  parent: $("editor"),
  extensions: [
    basicSetup,
    policyLanguage,
    syntaxHighlighting(policyHighlight),
    policyAssist(LIBRARIES),
    EditorView.lineWrapping,
    lintGutter(),
    EditorView.updateListener.of((update) => {
      if (!update.docChanged) return;
      clearTimeout(pending);
      pending = setTimeout(() => refresh({ recompile: true, keystroke: true }), DEBOUNCE_MS);
    }),
  ],
});

function goToLine(line) {
  const target = editor.state.doc.line(Math.min(Math.max(1, line), editor.state.doc.lines));
  editor.dispatch({ selection: EditorSelection.cursor(target.from), scrollIntoView: true });
  editor.focus();
}

function showDiagnostics(diagnostics) {
  const doc = editor.state.doc;
  // A diagnostic in a library (`file`) has its position in that file, not in the editor.
  const marks = diagnostics.filter((d) => d.file === null).map((d) => ({
    ...rangeOf(doc, d),
    severity: d.severity,
    source: d.code,
    message: d.help ? `${d.message}\n${d.help}` : d.message,
    renderMessage: () =>
      el("div", { class: "diag-tip" }, el("div", {}, el("code", {}, d.code), " ", d.message), d.help ? el("div", { class: "diag-help" }, d.help) : null),
  }));
  editor.dispatch(setDiagnostics(editor.state, marks));
  const list = $("problems");
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  $("problems-count").textContent = diagnostics.length
    ? `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`
    : "no problems";
  $("problems-count").className = errors ? "count has-errors" : warnings ? "count has-warnings" : "count";
  list.replaceChildren(
    ...diagnostics.map((d) =>
      el(
        "li",
        { class: `problem problem-${d.severity}`, "data-line": d.line, "data-code": d.code },
        el(
          "button",
          { type: "button", disabled: d.file !== null, onclick: () => {
            const { from, to } = rangeOf(editor.state.doc, d);
            editor.dispatch({ selection: EditorSelection.range(from, to), scrollIntoView: true });
            editor.focus();
          } },
          el("span", { class: "problem-where" }, `${d.file === null ? "" : `${d.file}:`}${d.line}:${d.column}`),
          el("span", { class: "problem-text" }, el("span", { class: "problem-message" }, d.message), d.help ? el("span", { class: "problem-help" }, d.help) : null),
          el("code", { class: "problem-code" }, d.code),
        ),
      ),
    ),
  );
}

// ---- input pane -----------------------------------------------------------------------------

function selectTab(group, name) {
  for (const tab of document.querySelectorAll(`[data-tab-group="${group}"]`)) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  if (group === "result" && name === "examples") runExamples();
}

for (const tab of document.querySelectorAll("[data-tab-group]")) {
  tab.addEventListener("click", () => selectTab(tab.dataset.tabGroup, tab.dataset.tab));
}

function inputChanged() {
  $("input-json").value = JSON.stringify(state.holder.value, null, 2);
  $("json-error").textContent = "";
  refresh({ recompile: false });
}

function renderForm(schema) {
  renderSchemaForm($("schema-form"), schema, state.holder, inputChanged);
}

$("input-json").addEventListener("input", () => {
  try {
    const value = JSON.parse($("input-json").value);
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("the input must be a JSON object");
    state.holder.value = value;
    $("json-error").textContent = "";
    if (state.policy) renderForm(state.policy.inputSchema());
    refresh({ recompile: false });
  } catch (error) {
    $("json-error").textContent = error.message;
  }
});

$("data-json").addEventListener("input", () => {
  try {
    state.data = JSON.parse($("data-json").value);
    state.dataText = $("data-json").value;
    $("data-error").textContent = "";
    refresh({ recompile: false });
  } catch (error) {
    $("data-error").textContent = error.message;
  }
});

$("as-of").addEventListener("input", () => {
  state.asOf = $("as-of").value || null;
  refresh({ recompile: false });
});

/** Follows a missing path of the report to its form field (or to the reference data). */
function focusMissing(path) {
  if (!path.startsWith(`${state.policy?.inputSchema().name}.`) && !path.startsWith(`${state.policy?.inputSchema().name}[`)) {
    selectTab("input", "data");
    $("data-json").focus();
    return;
  }
  selectTab("input", "form");
  const control = controlFor($("schema-form"), path);
  if (!control) return;
  control.scrollIntoView({ block: "center" });
  control.focus();
  const field = control.closest("[data-field]") ?? control;
  field.classList.remove("flash");
  void field.offsetWidth;
  field.classList.add("flash");
}

// ---- evaluation -----------------------------------------------------------------------------

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function status(text, kind = "") {
  $("status-text").textContent = text;
  $("status").dataset.kind = kind;
}

function refresh({ recompile, keystroke = false }) {
  const source = editor.state.doc.toString();
  const started = performance.now();
  let compileMs = 0;
  if (recompile) {
    let diagnostics;
    state.policy?.free();
    state.policy = null;
    try {
      state.policy = compile(source, { files: LIBRARIES });
      diagnostics = state.policy.warnings();
    } catch (error) {
      if (error.name !== "CompileError") throw error;
      diagnostics = error.diagnostics;
    }
    compileMs = performance.now() - started;
    showDiagnostics(diagnostics);
  }
  const policy = state.policy;
  // The form of the last policy that compiled stays usable, marked as out of date.
  $("schema-form").classList.toggle("stale", !policy);
  if (!policy) {
    $("result").replaceChildren(el("p", { class: "hint", id: "no-result" }, "The policy does not compile: fix the errors listed under the editor to see a decision."));
    $("policy-title").textContent = "";
    status(`compile ${compileMs.toFixed(2)} ms · does not compile`, "error");
    scheduleShare();
    return;
  }
  $("policy-title").textContent = [policy.title, policy.version && `version ${policy.version}`].filter(Boolean).join(" · ");
  const schema = policy.inputSchema();
  const schemaKey = JSON.stringify(schema);
  if (schemaKey !== state.schemaKey) {
    state.schemaKey = schemaKey;
    renderForm(schema);
  }
  const evaluateStarted = performance.now();
  let report = null;
  try {
    report = policy.evaluate(state.holder.value, { as_of: state.asOf, data: state.data });
  } catch (error) {
    if (error.name !== "InvalidInputError") throw error;
    $("result").replaceChildren(
      el("p", { class: "decision-row" }, el("span", { id: "decision", class: "decision decision-invalid", "data-decision": "invalid" }, "Invalid input")),
      el("ul", { class: "input-errors" }, ...error.errors.map((e) => el("li", {}, el("code", {}, e.path), " ", e.message))),
    );
  }
  const evaluateMs = performance.now() - evaluateStarted;
  // Rendering is left out: the budget is for the evaluator, the part this page cannot tune.
  const total = compileMs + evaluateMs;
  if (report) renderReport($("result"), report, { onMissing: focusMissing, onLine: goToLine });
  if (keystroke) {
    state.timings = [...state.timings.slice(-19), total];
    document.body.dataset.lastKeystrokeMs = total.toFixed(3);
  }
  status(
    (recompile ? `compile ${compileMs.toFixed(2)} ms + ` : "") +
      `evaluate ${evaluateMs.toFixed(2)} ms` +
      (state.timings.length ? ` · median per keystroke ${median(state.timings).toFixed(2)} ms (last ${state.timings.length})` : ""),
    // Only keystrokes are held to the budget: loading includes the module's warm-up.
    keystroke ? (total < 5 ? "fast" : "slow") : "",
  );
  if (recompile && !$("tab-examples").hidden) runExamples();
  scheduleShare();
}

function runExamples() {
  if (!state.policy) {
    $("examples").replaceChildren(el("p", { class: "hint" }, "The policy does not compile."));
    return;
  }
  try {
    const asOf = state.asOf ?? undefined;
    renderExamples($("examples"), state.policy.runExamples(asOf), state.policy.coverage(asOf), goToLine);
  } catch (error) {
    $("examples").replaceChildren(el("p", { class: "hint" }, error.message));
  }
}
$("run-examples").addEventListener("click", runExamples);

// ---- policies and the URL -------------------------------------------------------------------

let shareTimer = 0;
function scheduleShare() {
  clearTimeout(shareTimer);
  shareTimer = setTimeout(async () => {
    const shared = {
      policy: state.policyKey,
      source: editor.state.doc.toString(),
      input: state.holder.value,
      as_of: state.asOf,
    };
    // Reference data stays out of links unless it was edited: it is long and bundled anyway.
    if (state.dataText !== REFERENCE_DATA) shared.data = state.dataText;
    history.replaceState(null, "", "#" + (await encodeState(shared)));
    document.body.dataset.shared = "true";
  }, 150);
}

// Links made before the options were spelt `as_of` everywhere carry `asOf`.
function load({ policy, source, input, data, as_of: asOfDate, asOf = asOfDate }) {
  state.policyKey = POLICIES[policy] ? policy : "onboarding";
  $("policy-menu").value = state.policyKey;
  state.holder.value = input;
  state.dataText = data ?? REFERENCE_DATA;
  state.data = JSON.parse(state.dataText);
  state.asOf = asOf ?? null;
  state.schemaKey = "";
  $("as-of").value = asOf ?? "";
  $("data-json").value = state.dataText;
  $("input-json").value = JSON.stringify(input, null, 2);
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: source } });
  clearTimeout(pending);
  state.timings = [];
  refresh({ recompile: true });
  // Open at the policy itself rather than at its header comment.
  const first = source.split("\n").findIndex((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
  if (first > 0) editor.dispatch({ effects: EditorView.scrollIntoView(editor.state.doc.line(first + 1).from, { y: "start", yMargin: 4 }) });
}

function loadPolicy(key) {
  const { source, supplier } = POLICIES[key];
  load({ policy: key, source, input: JSON.parse(supplier), as_of: state.asOf });
}

for (const [key, { label }] of Object.entries(POLICIES)) $("policy-menu").append(el("option", { value: key }, label));
$("policy-menu").addEventListener("change", () => loadPolicy($("policy-menu").value));
$("copy-link").addEventListener("click", async () => {
  await navigator.clipboard?.writeText(location.href).catch(() => {});
  $("copy-link").textContent = "Link copied";
  setTimeout(() => ($("copy-link").textContent = "Copy link"), 1500);
});

await init();
const shared = await decodeState(location.hash);
if (shared?.source !== undefined) load(shared);
else loadPolicy("onboarding");
document.body.dataset.ready = "true";

// For the browser tests and for curious authors: the editor text, and the time of compile +
// evaluate of the current policy and input over `runs` runs in this page.
window.procuraSource = () => editor.state.doc.toString();
window.procuraBenchmark = (runs = 50) => {
  const source = editor.state.doc.toString();
  const options = { as_of: state.asOf, data: state.data };
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const policy = compile(source);
    policy.evaluate(state.holder.value, options);
    times.push(performance.now() - started);
    policy.free();
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
};
