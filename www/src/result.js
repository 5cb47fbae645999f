// The result pane: the decision, the rules (failed first), the missing fields, the scores as
// bars of contributions and the derived values of a report.
import { el } from "./dom.js";

const OUTCOME_ORDER = { failed: 0, missing: 1, passed: 2, not_applicable: 3 };
const VERDICT_ORDER = { reject: 0, review: 1, warn: 2 };
const DECISION_TEXT = {
  approve: "Approve",
  review: "Review",
  incomplete: "Incomplete",
  reject: "Reject",
};

const json = (value) => (value === null ? "missing" : JSON.stringify(value));
const number = (value) => (value === null ? "missing" : String(Math.round(value * 100) / 100));

/** Failed rules first (reject, review, warn), then missing, passed and not applicable ones. */
export function sortedRules(rules) {
  return [...rules].sort(
    (a, b) =>
      OUTCOME_ORDER[a.outcome] - OUTCOME_ORDER[b.outcome] ||
      (VERDICT_ORDER[a.verdict] ?? 3) - (VERDICT_ORDER[b.verdict] ?? 3) ||
      a.line - b.line,
  );
}

function missingList(paths, onMissing) {
  return el(
    "ul",
    { class: "missing-list" },
    ...paths.map((path) =>
      el("li", {}, el("button", { type: "button", class: "missing-link", "data-missing": path, onclick: () => onMissing(path) }, path)),
    ),
  );
}

function rulesTable(rules, { onMissing, onLine }) {
  const rows = sortedRules(rules).map((rule) =>
    el(
      "tr",
      { class: `rule rule-${rule.outcome}`, "data-rule": rule.name },
      el(
        "td",
        {},
        el("div", { class: "rule-title" }, rule.title ?? rule.name),
        el("button", { type: "button", class: "link rule-name", title: `go to line ${rule.line}`, onclick: () => onLine(rule.line) }, `${rule.name} · line ${rule.line}`),
      ),
      el("td", {}, el("span", { class: `pill outcome-${rule.outcome}` }, rule.outcome.replace("_", " "))),
      el("td", {}, rule.verdict ? el("span", { class: `pill verdict-${rule.verdict}` }, rule.verdict) : "—"),
      el(
        "td",
        { class: "rule-message" },
        rule.message ?? "",
        rule.evidence?.length ? el("div", { class: "rule-evidence" }, `evidence: ${rule.evidence.join(", ")}`) : null,
        rule.missing.length ? missingList(rule.missing, onMissing) : null,
      ),
    ),
  );
  return el(
    "table",
    { class: "rules" },
    el("thead", {}, el("tr", {}, el("th", {}, "Rule"), el("th", {}, "Outcome"), el("th", {}, "Verdict"), el("th", {}, "Message"))),
    el("tbody", {}, ...rows),
  );
}

function scoreChart(name, score) {
  const rows = score.components.map((c) => {
    // The fill is the contribution against the most the component gives at a value of 100.
    const share = c.contribution === null ? 0 : Math.max(0, Math.min(1, c.contribution / (c.weight * 100)));
    return el(
      "div",
      { class: "bar-row", "data-component": c.name },
      el("span", { class: "bar-label" }, c.name, el("small", {}, ` ${Math.round(c.weight * 10000) / 100}%`)),
      el(
        "span",
        { class: c.contribution === null ? "bar-track bar-missing" : "bar-track" },
        el("span", { class: "bar-fill", style: `width: ${(share * 100).toFixed(1)}%` }),
      ),
      el("span", { class: "bar-value" }, c.contribution === null ? "missing" : `${number(c.value)} → ${number(c.contribution)}`),
    );
  });
  return el(
    "div",
    { class: "score", "data-score": name },
    el("div", { class: "score-head" }, el("strong", {}, name), el("span", { class: "score-value" }, number(score.value))),
    ...rows,
  );
}

/** Renders `report` into `container`; `onMissing(path)` and `onLine(line)` follow the links. */
export function renderReport(container, report, handlers) {
  const counts = {};
  for (const rule of report.rules) counts[rule.outcome] = (counts[rule.outcome] ?? 0) + 1;
  const summary = Object.entries(counts)
    .map(([outcome, count]) => `${count} ${outcome.replace("_", " ")}`)
    .join(" · ");
  const sections = [
    el(
      "div",
      { class: "decision-row" },
      el("span", { id: "decision", class: `decision decision-${report.decision}`, "data-decision": report.decision }, DECISION_TEXT[report.decision]),
      el("span", { class: "decision-summary" }, summary),
    ),
  ];
  if (report.missing.length) {
    sections.push(
      el("section", { class: "block", id: "missing" }, el("h3", {}, "To decide, supply"), missingList(report.missing, handlers.onMissing)),
    );
  }
  sections.push(el("section", { class: "block" }, el("h3", {}, "Rules"), rulesTable(report.rules, handlers)));
  const scores = Object.entries(report.scores);
  if (scores.length) {
    sections.push(el("section", { class: "block" }, el("h3", {}, "Scores"), ...scores.map(([name, s]) => scoreChart(name, s))));
  }
  const values = Object.entries(report.values);
  if (values.length) {
    sections.push(
      el(
        "section",
        { class: "block" },
        el("h3", {}, "Values"),
        el(
          "table",
          { class: "values" },
          el("tbody", {}, ...values.map(([name, value]) => el("tr", {}, el("th", {}, name), el("td", {}, el("code", {}, json(value)))))),
        ),
      ),
    );
  }
  if (report.notes.length) {
    sections.push(el("section", { class: "block" }, el("h3", {}, "Notes"), el("ul", {}, ...report.notes.map((n) => el("li", {}, n)))));
  }
  container.replaceChildren(...sections);
}

/** Renders the results of `runExamples`. */
export function renderExamples(container, results, coverage, onLine) {
  if (!results.length) {
    container.replaceChildren(el("p", { class: "hint" }, "This policy has no `example` blocks."));
    return;
  }
  const passed = results.filter((r) => r.passed).length;
  container.replaceChildren(
    el("p", { class: "examples-summary", id: "examples-summary" }, `${passed} of ${results.length} examples pass`),
    renderCoverage(coverage, onLine),
    ...results.map((result) =>
      el(
        "div",
        { class: result.passed ? "example example-pass" : "example example-fail", "data-example": result.title },
        el(
          "div",
          { class: "example-head" },
          el("span", { class: "example-mark" }, result.passed ? "✓ pass" : "✗ fail"),
          el("span", { class: "example-title" }, result.title),
          el("button", { type: "button", class: "link", onclick: () => onLine(result.line) }, `line ${result.line}`),
        ),
        result.failures.length
          ? el(
              "table",
              { class: "failures" },
              el("thead", {}, el("tr", {}, el("th", {}, "expect"), el("th", {}, "expected"), el("th", {}, "actual"))),
              el(
                "tbody",
                {},
                ...result.failures.map((f) =>
                  el("tr", {}, el("td", {}, `${f.subject} (line ${f.line})`), el("td", {}, el("code", {}, f.expected)), el("td", {}, el("code", {}, f.actual))),
                ),
              ),
            )
          : null,
      ),
    ),
  );
}

/** What the examples cover (docs/coverage.md): the percentage, the rules no example makes fail
 * or pass and the `if`/`match` branches of the policy no example reaches, each with its line. */
function renderCoverage(coverage, onLine) {
  const line = (n) => el("button", { type: "button", class: "link", onclick: () => onLine(n) }, `line ${n}`);
  const rules = coverage.rules
    .filter((rule) => rule.uncovered.length)
    .map((rule) =>
      el(
        "li",
        { "data-uncovered-rule": rule.name },
        el("code", {}, rule.name),
        ` no example makes it ${rule.uncovered.map((o) => (o === "failed" ? "fail" : "pass")).join(" or ")} `,
        line(rule.line),
      ),
    );
  // Branches of a library have lines of another file: named, without a link.
  const branches = coverage.branches
    .filter((branch) => branch.reached === 0)
    .map((branch) =>
      el(
        "li",
        { "data-unreached-branch": `${branch.in}: ${branch.branch}` },
        `${branch.branch} in ${branch.in} is never reached `,
        branch.file === null ? line(branch.line) : `(${branch.file} line ${branch.line})`,
      ),
    );
  return el(
    "div",
    { class: "coverage", id: "examples-coverage" },
    el(
      "p",
      { id: "coverage-summary" },
      `Coverage ${coverage.percent}%: ${coverage.covered} of ${coverage.items} items (each rule made to pass and to fail, each branch reached)`,
    ),
    rules.length || branches.length ? el("ul", { class: "coverage-gaps" }, ...rules, ...branches) : null,
  );
}
