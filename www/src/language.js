// Syntax highlighting of the policy language (LANGUAGE.md §2) as a CodeMirror stream parser.
// Strings interpolate `{expr}`, so the state is a stack: inside an interpolation the tokenizer
// reads expressions again until the matching `}` returns it to the string.
import { StreamLanguage, HighlightStyle } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

// The reserved words of LANGUAGE.md §2, exactly `syntax::RESERVED` (a test in tests/syntax.rs
// compares them). Verdicts, `true`, `false` and `today` are reserved too but highlighted apart.
const RESERVED = new Set(
  ("policy input type const table let score rule when require forbid else reject review warn " +
    "example given data as_of expect all any none in not and or if then match is missing " +
    "present for true false today")
    .split(" "),
);
const VERDICTS = new Set(["reject", "review", "warn"]);
const CONTEXTUAL = new Set(["version", "approve", "incomplete", "passed", "failed", "not_applicable", "value", "message", "evidence"]);
const TYPES = new Set(["number", "text", "bool", "date"]);
const UNITS = /^(days?|weeks?|months?|years?)\b/;
const DEFINERS = new Set(["input", "type", "const", "table", "let", "score", "rule"]);

function string(stream, state) {
  while (!stream.eol()) {
    const next = stream.peek();
    if (next === "\\") {
      stream.next();
      stream.next();
      continue;
    }
    if (next === '"') {
      stream.next();
      state.stack.pop();
      return "string";
    }
    if (next === "{") {
      if (stream.pos > stream.start) return "string";
      stream.next();
      state.stack.push({ kind: "interpolation", depth: 0 });
      return "interpolation";
    }
    stream.next();
  }
  return "string";
}

function code(stream, state) {
  if (stream.eatSpace()) return null;
  const top = state.stack[state.stack.length - 1];
  if (stream.match(/^#.*/)) return "comment";
  if (stream.eat('"')) {
    state.stack.push({ kind: "string" });
    return string(stream, state) ?? "string";
  }
  if (top?.kind === "interpolation") {
    if (stream.peek() === "}" && top.depth === 0) {
      stream.next();
      state.stack.pop();
      return "interpolation";
    }
    if (stream.peek() === "{") top.depth++;
    if (stream.peek() === "}") top.depth--;
  }
  if (stream.match(/^\d{4}-\d{2}-\d{2}(?![\d\w])/)) return "date";
  if (stream.match(/^\d[\d_]*(\.\d+)?%/)) return "percent";
  if (stream.match(/^\d[\d_]*(\.\d+)?/)) {
    state.afterNumber = true;
    return "number";
  }
  const afterNumber = state.afterNumber;
  state.afterNumber = false;
  if (afterNumber && stream.match(UNITS)) return "unit";
  // A raw string: no escapes or interpolations, and it ends with its line. Right after
  // `rule` or `score` an `r` is the name being defined.
  if (!state.defining && stream.match(/^r"[^"\n]*"?/)) return "string";
  const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
  if (word) {
    const name = word[0];
    const defining = state.defining;
    state.defining = DEFINERS.has(name);
    if (defining) return "definition";
    if (name === "true" || name === "false") return "bool";
    if (name === "today") return "today";
    if (VERDICTS.has(name)) return "verdict";
    if (RESERVED.has(name)) return "keyword";
    // `import` is contextual: a keyword only where a path follows.
    if (name === "import" && stream.match(/^\s*"/, false)) return "keyword";
    if (CONTEXTUAL.has(name)) return "contextual";
    if (TYPES.has(name)) return "typeName";
    if (/^[A-Z][A-Z0-9_]*$/.test(name)) return "constant";
    if (/^[A-Z]/.test(name)) return "typeName";
    return "variableName";
  }
  state.defining = false;
  if (stream.match(/^(==|!=|<=|>=|=>|\?\?|->|[<>+\-*\/%=|:?])/)) return "operator";
  stream.next();
  return /[()[\]{}]/.test(stream.current()) ? "bracket" : "punctuation";
}

export const policyLanguage = StreamLanguage.define({
  name: "procura",
  startState: () => ({ stack: [], defining: false, afterNumber: false }),
  copyState: (s) => ({ ...s, stack: s.stack.map((frame) => ({ ...frame })) }),
  token(stream, state) {
    const top = state.stack[state.stack.length - 1];
    return top?.kind === "string" ? string(stream, state) : code(stream, state);
  },
  languageData: { commentTokens: { line: "#" }, closeBrackets: { brackets: ["(", "[", "{", '"'] } },
  tokenTable: {
    date: t.special(t.number),
    percent: t.unit,
    unit: t.unit,
    interpolation: t.special(t.brace),
    verdict: t.controlKeyword,
    contextual: t.modifier,
    today: t.atom,
    constant: t.constant(t.variableName),
    definition: t.definition(t.variableName),
  },
});

export const policyHighlight = HighlightStyle.define([
  { tag: t.comment, color: "#6a737d", fontStyle: "italic" },
  { tag: t.keyword, color: "#8250df", fontWeight: "600" },
  { tag: t.controlKeyword, color: "#cf222e", fontWeight: "600" },
  { tag: t.modifier, color: "#8250df" },
  { tag: t.string, color: "#0a3069" },
  { tag: t.special(t.brace), color: "#bc4c00", fontWeight: "700" },
  { tag: t.number, color: "#0550ae" },
  { tag: t.special(t.number), color: "#116329", fontWeight: "600" },
  { tag: t.unit, color: "#953800", fontWeight: "600" },
  { tag: t.bool, color: "#0550ae" },
  { tag: t.atom, color: "#0e7490", fontWeight: "600" },
  { tag: t.typeName, color: "#953800" },
  { tag: t.constant(t.variableName), color: "#0550ae", fontWeight: "600" },
  { tag: t.definition(t.variableName), color: "#1f6feb", fontWeight: "700" },
  { tag: t.operator, color: "#57606a" },
]);
