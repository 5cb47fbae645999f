// Compile-checked by types.test.js (`tsc --noEmit --strict`): the declarations of pkg-node
// describe the API precisely. Every `@ts-expect-error` fails the check if a type were `any`.
import {
  analyze,
  Analysis,
  check,
  Completion,
  compile,
  CompileError,
  CompileOptions,
  Diagnostic,
  EvaluateOptions,
  ExampleResult,
  FieldType,
  Hover,
  InputSchema,
  InvalidInputError,
  Policy,
  Range,
  Report,
} from "../../pkg-node/procura";

declare const source: string;

interface Supplier {
  name: string;
  annual_spend: number;
  cmrt_date?: string;
}
declare const supplier: Supplier;

const diagnostics: Diagnostic[] = check(source);
const where: string = diagnostics.map((d) => `${d.line}:${d.column}-${d.end_line}:${d.end_column} ${d.code}`).join();
const help: string | null = diagnostics[0].help;
// @ts-expect-error severity is "error" | "warning"
const severity: number = diagnostics[0].severity;
const libraries: CompileOptions = { files: { "common/minerals.policy": "const LIMIT = 3" } };
const inLibrary: (string | null)[] = check(source, libraries).map((d) => d.file);
// @ts-expect-error a library's text is a string
check(source, { files: { "common/minerals.policy": 3 } });

function describe(type: FieldType): string {
  switch (type.kind) {
    case "union":
      return type.values.join(" | ");
    case "list":
      return `[${describe(type.element)}]`;
    case "record":
      return `${type.name ?? ""}{${type.fields.map((f) => `${f.name}: ${describe(f.type)}`).join(", ")}}`;
    default:
      return type.kind + (type.optional ? "?" : "");
  }
}

try {
  const policy: Policy = compile(source);
  const withLibraries: Policy = compile(source, libraries);
  const title: string | undefined = policy.title;
  const schema: InputSchema = policy.inputSchema();
  const form: string[] = schema.fields.map((f) => `${schema.name}.${f.name}: ${describe(f.type)}`);
  const options: EvaluateOptions = { as_of: "2025-06-01", data: { sanctioned: { RU: true } } };
  const report: Report = policy.evaluate({ name: "Nordisk", spend: [1, null, { a: true }] }, options);
  const withoutOptions: Report = policy.evaluate(supplier);
  const decision: "approve" | "review" | "incomplete" | "reject" = report.decision;
  const firstMissing: string | undefined = report.rules.find((r) => r.outcome === "missing")?.missing[0];
  const score: number | null = report.scores["sustainability"].components[0].contribution;
  const text: string = policy.evaluateJson("{}", JSON.stringify(options));
  const results: ExampleResult[] = policy.runExamples("2025-06-01");
  const failing: string[] = results.filter((r) => !r.passed).flatMap((r) => r.failures.map((f) => f.subject));
  const givens = policy.examples().map((e) => [e.title, e.line, e.given, e.data, e.as_of ?? "today"]);
  const warnings: Diagnostic[] = policy.warnings();
  // @ts-expect-error as_of is a string
  policy.evaluate({}, { as_of: new Date() });
  // @ts-expect-error the input is a record, not text
  policy.evaluate("supplier");
  // @ts-expect-error a report is not a string
  const wrong: string = report;
  console.log(title, form, decision, firstMissing, score, text, failing, givens, warnings, withoutOptions, wrong);
} catch (error) {
  const e = error as CompileError | InvalidInputError;
  const problems: string[] =
    e.name === "CompileError" ? e.diagnostics.map((d) => d.message) : e.errors.map((i) => `${i.path}: ${i.message}`);
  console.log(problems);
}

// The editor analysis: positions as a diagnostic's; hover and definition may be null.
const analysis: Analysis = analyze(source, libraries);
const hover: Hover | null = analysis.hover(3, 12);
const hovered: string = hover ? `${hover.line}:${hover.column} ${hover.markdown}` : "";
const completions: Completion[] = analysis.completions(3, 12);
const fields: string[] = completions.filter((c) => c.kind === "field").map((c) => `${c.label}: ${c.detail}`);
const definition: Range | null = analysis.definition(3, 12);
const declaredIn: string | null | undefined = definition?.file;
// @ts-expect-error a completion's kind is one of the analysis's kinds
const kind: "method" = completions[0].kind;
// @ts-expect-error hover may be null
const markdown: string = analysis.hover(1, 1).markdown;
analysis.free();

console.log(where, help, severity, hovered, fields, declaredIn, kind, markdown);
