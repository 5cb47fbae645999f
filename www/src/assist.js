// Hover, completion and go to definition in the playground's editor, answered by the analysis
// `procura lsp` uses (src/ide.rs through `analyze` of the WebAssembly module). The analysis is
// built when first asked after an edit, not on every keystroke.
import { hoverTooltip, keymap } from "@codemirror/view";
import { EditorSelection } from "@codemirror/state";
import { syntaxTree } from "@codemirror/language";
import { analyze } from "../pkg/procura.js";
import { policyLanguage } from "./language.js";
import { positionOf, rangeOf } from "./positions.js";
import { el } from "./dom.js";

/** CodeMirror's completion icons by the analysis's kinds; the others are variables. */
const COMPLETION_TYPES = {
  input: "class",
  type: "type",
  field: "property",
  component: "property",
  const: "constant",
  function: "function",
  builtin: "function",
  keyword: "keyword",
  member: "enum",
};

/** Editor extensions asking the analysis of the document with the libraries `files`. */
export function policyAssist(files) {
  let analysed = { source: null, analysis: null };
  const analysisOf = (state) => {
    const source = state.doc.toString();
    if (analysed.source !== source) {
      analysed.analysis?.free();
      analysed = { source, analysis: analyze(source, { files }) };
    }
    return analysed.analysis;
  };
  const ask = (state, offset, question) => {
    const { line, column } = positionOf(state.doc, offset);
    return analysisOf(state)[question](line, column);
  };

  const complete = (context) => {
    if (syntaxTree(context.state).resolveInner(context.pos, -1).name === "comment") return null;
    const word = context.matchBefore(/\w*/);
    const after = context.state.sliceDoc(word.from - 1, word.from);
    if (word.from === word.to && !context.explicit && after !== "." && after !== '"') return null;
    const completions = ask(context.state, context.pos, "completions");
    if (completions.length === 0) return null;
    return {
      from: word.from,
      options: completions.map((c) => ({ label: c.label, type: COMPLETION_TYPES[c.kind] ?? "variable", detail: c.detail || undefined })),
      validFor: /^\w*$/,
    };
  };

  const hover = hoverTooltip((view, offset) => {
    const found = ask(view.state, offset, "hover");
    if (!found) return null;
    const { from, to } = rangeOf(view.state.doc, found);
    return { pos: from, end: to, above: true, create: () => ({ dom: hoverContent(found.markdown) }) };
  });

  // F12, as in most editors: select the declaration when it is in the editor (not a library).
  const goToDefinition = (view) => {
    const found = ask(view.state, view.state.selection.main.head, "definition");
    if (!found || found.file !== null) return false;
    const { from, to } = rangeOf(view.state.doc, found);
    view.dispatch({ selection: EditorSelection.range(from, to), scrollIntoView: true });
    return true;
  };

  return [policyLanguage.data.of({ autocomplete: complete }), hover, keymap.of([{ key: "F12", run: goToDefinition }])];
}

/** The hover's Markdown as the analysis writes it: a `procura` code block, then plain text. */
function hoverContent(markdown) {
  const [, code, text] = markdown.match(/^```procura\n([\s\S]*?)\n```\n?([\s\S]*)$/) ?? [null, null, markdown];
  return el("div", { class: "hover-tip" }, code === null ? null : el("pre", { class: "hover-code" }, code), text ? el("div", { class: "hover-text" }, text) : null);
}
