// The playground in Chromium, against the production build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { useBrowser, open, snap } from "./support.js";

const rules = path.resolve(import.meta.dirname, "..", "..", "rules");
const ONBOARDING = readFileSync(path.join(rules, "onboarding.policy"), "utf8");

const context = useBrowser();

/** Replaces the whole editor text, as a paste would. */
async function setSource(page, text) {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(text);
}

const decision = (page) => page.getAttribute("#decision", "data-decision");
const editorText = (page) => page.evaluate(() => window.procuraSource());

test("loads the onboarding baseline with its decision, rules and scores", async () => {
  const page = await open(context.browser, context.server.url);
  assert.equal(await page.inputValue("#policy-menu"), "onboarding");
  assert.equal(await editorText(page), ONBOARDING);
  const ruleCount = ONBOARDING.match(/^rule /gm).length;
  assert.equal(await page.locator("table.rules tbody tr").count(), ruleCount);
  // The sample supplier has a tantalum smelter that is only RMAP-active: review.
  assert.equal(await decision(page), "review");
  const first = page.locator("table.rules tbody tr").first();
  assert.equal(await first.getAttribute("data-rule"), "conflict_minerals");
  assert.match(await first.textContent(), /CID002183/);
  assert.equal(await page.locator('[data-score="sustainability"] .bar-row').count(), 4);
  assert.match(await page.textContent("#status-text"), /compile \d+\.\d+ ms \+ evaluate \d+\.\d+ ms/);
  await snap(page, "playground-loaded");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a typo is underlined on its line with a suggestion; fixing it brings the decision", async () => {
  const page = await open(context.browser, context.server.url);
  const policy = [
    'policy "Typing test"',
    "",
    "input supplier {",
    "  name: text",
    "  country: text",
    "}",
    "",
    'rule not_embargoed "Supplier is outside the embargo" {',
    '  require supplier.countyr != "KP"',
    '  else reject "{supplier.name} is in an embargoed country"',
    "}",
  ].join("\n");
  await setSource(page, policy);
  const problem = page.locator(".problem").first();
  await problem.waitFor();
  assert.equal(await page.locator(".problem").count(), 1);
  assert.equal(await problem.getAttribute("data-line"), "9");
  assert.match(await problem.textContent(), /no field `countyr`/);
  assert.match(await problem.textContent(), /did you mean `country`\?/);
  // The underline covers exactly `countyr`, on line 9 of the editor.
  const underline = page.locator(".cm-line").nth(8).locator(".cm-lintRange-error");
  assert.equal(await underline.textContent(), "countyr");
  await page.waitForSelector("#no-result");
  assert.equal(await page.locator("#decision").count(), 0);
  // Hovering the underline shows the message and the help.
  await underline.hover();
  const tip = page.locator(".cm-tooltip-lint");
  await tip.waitFor();
  assert.match(await tip.textContent(), /did you mean `country`\?/);
  await snap(page, "playground-typo");

  // The problem selects its span; typing replaces it, key by key.
  await problem.locator("button").click();
  await page.keyboard.type("country");
  await page.waitForSelector("#decision");
  assert.equal(await page.locator(".problem").count(), 0);
  assert.equal(await page.textContent("#problems-count"), "no problems");
  assert.equal(await decision(page), "approve"); // the sample supplier is in VN
  assert.match(await page.textContent("#policy-title"), /Typing test/);
  await snap(page, "playground-fixed");
  assert.deepEqual(page.problems, []);
  await page.close();
});

const NAMES = readFileSync(path.resolve(import.meta.dirname, "..", "..", "tests", "ide", "names.policy"), "utf8");

/** The middle of the first `needle` on 1-based `line` of the editor, for the mouse. */
function pointAt(page, line, needle) {
  return page.evaluate(
    ({ line, needle }) => {
      const element = document.querySelectorAll(".cm-line")[line - 1];
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const at = walker.currentNode.data.indexOf(needle);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(walker.currentNode, at);
        range.setEnd(walker.currentNode, at + needle.length);
        const { x, y, width, height } = range.getBoundingClientRect();
        return { x: x + width / 2, y: y + height / 2 };
      }
      throw new Error(`no \`${needle}\` on line ${line}`);
    },
    { line, needle },
  );
}

/** The labels of the completion list once it shows. */
async function completionLabels(page) {
  await page.locator(".cm-tooltip-autocomplete li").first().waitFor();
  return page.locator(".cm-tooltip-autocomplete li .cm-completionLabel").allTextContents();
}

test("hover, completion and F12 answer from the language server's analysis", async () => {
  const page = await open(context.browser, context.server.url);
  // The policy of tests/ide.rs and tests/node/ide.test.js, which check the same answers.
  await setSource(page, NAMES);
  await page.waitForSelector("#decision");

  const hover = async (line, needle, screenshot = null) => {
    const { x, y } = await pointAt(page, line, needle);
    await page.mouse.move(x, y);
    const tip = page.locator(".cm-tooltip-hover .hover-tip");
    await tip.waitFor();
    const shown = [await tip.locator(".hover-code").textContent(), await tip.locator(".hover-text").allTextContents()];
    if (screenshot) await snap(page, screenshot);
    await page.mouse.move(0, 0);
    await tip.waitFor({ state: "detached" });
    return shown;
  };
  assert.deepEqual(await hover(12, "ethics_floor", "playground-hover"), ["rule ethics_floor (require … else review)", ["Ethics at the floor"]]);
  assert.deepEqual(await hover(5, "smelters"), ["smelters: [Smelter]", []]);

  // After `.`: the fields of the input, as CodeMirror sorts them.
  await page.click(".cm-content");
  await page.mouse.move(0, 0);
  await page.keyboard.press("Control+End");
  await page.keyboard.type("let probe = supplier.");
  assert.deepEqual(await completionLabels(page), ["country", "ecovadis", "smelters", "tier"]);
  await page.keyboard.type("ti");
  assert.deepEqual(await completionLabels(page), ["tier"]);
  await page.keyboard.press("Enter");
  await page.keyboard.type(' == "');
  // Inside the string: the members of the union `tier` is declared as.
  assert.deepEqual(await completionLabels(page), ["standard", "strategic"]);
  await snap(page, "playground-completion");
  await page.keyboard.press("Escape");
  assert.equal(await editorText(page), NAMES + 'let probe = supplier.tier == ""');
  // No completion in a comment.
  await page.keyboard.press("Control+End");
  await page.keyboard.type("  # sup");
  await page.waitForTimeout(300);
  assert.equal(await page.locator(".cm-tooltip-autocomplete").count(), 0);

  // F12 on a use selects the declaration: typing renames it there.
  const { x, y } = await pointAt(page, 13, "floor");
  await page.mouse.click(x, y);
  await page.keyboard.press("F12");
  await page.keyboard.type("minimum");
  assert.match(await editorText(page), /^const minimum = 40$/m);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("the editor highlights the policy language and matches brackets", async () => {
  const page = await open(context.browser, context.server.url);
  await setSource(
    page,
    [
      "input supplier { name: text }  # a comment",
      'score s "S" { a 25% = 1_000 b 75% = 2 }',
      'rule r "R" { require today >= 2025-06-01 - 12 months else review "at {supplier.name}" }',
      'let p = r"a{b}"',
    ].join("\n"),
  );
  await page.waitForSelector("#decision");
  /** The colour of the last highlighted token with exactly this text. */
  const color = (text) =>
    page.evaluate((text) => {
      const span = [...document.querySelectorAll(".cm-content span")].findLast((s) => s.textContent === text);
      return span ? getComputedStyle(span).color : null;
    }, text);
  const colors = {};
  for (const token of ["# a comment", "score", "25%", "1_000", "2025-06-01", "months", "review", "today", "{", '"at ', 'r"a{b}"'])
    colors[token] = await color(token);
  for (const [token, value] of Object.entries(colors)) assert.ok(value, `\`${token}\` is not highlighted`);
  // Each kind of token has its own colour: comments, keywords, percentages, numbers, dates,
  // verdicts, `today`, interpolation braces and strings.
  const kinds = ["# a comment", "score", "25%", "1_000", "2025-06-01", "review", "today", "{", '"at '];
  assert.equal(new Set(kinds.map((k) => colors[k])).size, kinds.length, JSON.stringify(colors));
  assert.equal(colors["months"], colors["25%"], "duration units and percentages are both units");
  assert.equal(colors['r"a{b}"'], colors['"at '], "a raw string, braces included, is a string");

  // The cursor after `{` of the score block highlights it and its partner.
  await page.click(".cm-content");
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Home");
  assert.equal(await page.locator(".cm-matchingBracket").count(), 0);
  for (let i = 0; i < 'score s "S" {'.length; i++) await page.keyboard.press("ArrowRight");
  const matched = page.locator(".cm-matchingBracket");
  await matched.first().waitFor();
  assert.deepEqual(await matched.allTextContents(), ["{", "}"]);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("editing a form field changes the decision and the missing list; a missing link focuses its field", async () => {
  const page = await open(context.browser, context.server.url);
  const ethics = page.locator('[data-path="supplier.ecovadis.ethics"]');
  assert.equal(await ethics.inputValue(), "51");
  await ethics.fill("");
  await page.waitForSelector('#decision[data-decision="incomplete"]');
  assert.deepEqual(await page.locator("#missing .missing-link").allTextContents(), ["supplier.ecovadis.ethics"]);
  const rule = page.locator('tr[data-rule="ecovadis_minimum"]');
  assert.match(await rule.textContent(), /missing/);
  // The JSON tab follows the form.
  assert.equal(JSON.parse(await page.inputValue("#input-json")).ecovadis.ethics, undefined);
  // Focus somewhere else, then follow the link back to the field.
  await page.locator('[data-path="supplier.name"]').focus();
  await page.locator("#missing .missing-link").click();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.path), "supplier.ecovadis.ethics");
  await snap(page, "playground-missing");

  await ethics.pressSequentially("20");
  await page.waitForSelector('tr[data-rule="ecovadis_minimum"].rule-failed');
  assert.equal(await page.locator("#missing").count(), 0);
  assert.match(await rule.textContent(), /\(ethics 20\) is below the minimum/);
  assert.equal(await decision(page), "review");
  assert.equal(JSON.parse(await page.inputValue("#input-json")).ecovadis.ethics, 20);

  await ethics.fill("51");
  await page.selectOption('[data-path="supplier.smelters[2].rmap_status"]', "conformant");
  await page.waitForSelector('#decision[data-decision="approve"]');
  // Adding a smelter row without values makes its fields missing, by index.
  await page.locator('button.add[data-path="supplier.smelters"]').click();
  await page.waitForSelector('#decision[data-decision="incomplete"]');
  const missing = await page.locator("#missing .missing-link").allTextContents();
  assert.ok(missing.includes("supplier.smelters[4].metal"), missing.join());
  await snap(page, "playground-form-edited");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("invalid JSON input lists its errors by path; a missing table entry links to the reference data", async () => {
  const page = await open(context.browser, context.server.url);
  await page.click('[data-tab="json"]');
  const input = JSON.parse(await page.inputValue("#input-json"));
  await page.fill("#input-json", JSON.stringify({ ...input, annual_spend: "lots", category: "mining" }, null, 2));
  await page.waitForSelector('#decision[data-decision="invalid"]');
  const errors = await page.locator(".input-errors li").allTextContents();
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.ok(errors.some((e) => e.startsWith("$.annual_spend")), errors.join("\n"));
  assert.ok(errors.some((e) => e.startsWith("$.category")), errors.join("\n"));
  await snap(page, "playground-invalid-input");
  // Malformed JSON is reported under the text and leaves the last record in force.
  await page.fill("#input-json", "{ not json");
  assert.notEqual(await page.textContent("#json-error"), "");
  assert.equal(await page.getAttribute("#decision", "data-decision"), "invalid");

  await page.fill("#input-json", JSON.stringify({ ...input, country: "XX" }, null, 2));
  await page.waitForSelector(`#missing .missing-link[data-missing='cpi["XX"]']`);
  await page.click(`#missing .missing-link[data-missing='cpi["XX"]']`);
  assert.equal(await page.getAttribute('[data-tab="data"]', "aria-selected"), "true");
  assert.equal(await page.evaluate(() => document.activeElement.id), "data-json");
  // The form follows the JSON tab.
  await page.click('[data-tab="form"]');
  assert.equal(await page.locator('[data-path="supplier.country"]').inputValue(), "XX");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("the examples panel runs the policy's examples and shows expected against actual", async () => {
  const page = await open(context.browser, context.server.url);
  await page.click('[data-tab="examples"]');
  const count = ONBOARDING.match(/^example "/gm).length;
  await page.waitForSelector("#examples-summary");
  assert.equal(await page.textContent("#examples-summary"), `${count} of ${count} examples pass`);
  assert.equal(await page.locator(".example-pass").count(), count);

  await setSource(page, ONBOARDING.replace("expect score sustainability = 58.75", "expect score sustainability = 60"));
  await page.waitForSelector(".example-fail");
  assert.equal(await page.textContent("#examples-summary"), `${count - 1} of ${count} examples pass`);
  const failure = page.locator(".example-fail table.failures tbody tr");
  assert.equal(await failure.count(), 1);
  const cells = await failure.locator("td").allTextContents();
  assert.match(cells[0], /sustainability/);
  assert.equal(cells[1], "60");
  assert.equal(cells[2], "58.75");
  await snap(page, "playground-examples");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("the examples panel shows the coverage and the rules no example makes fail", async () => {
  const page = await open(context.browser, context.server.url);
  await page.click('[data-tab="examples"]');
  await page.waitForSelector("#coverage-summary");
  // Every rule of the onboarding baseline is made to pass and to fail, every arm reached.
  assert.match(await page.textContent("#coverage-summary"), /^Coverage 100%: 19 of 19 items/);
  assert.equal(await page.locator(".coverage-gaps li").count(), 0);

  // Without the example of the weak ethics score, no example makes ecovadis_minimum fail.
  const start = ONBOARDING.indexOf('example "Strategic supplier with a weak ethics score');
  assert.ok(start > 0);
  const end = ONBOARDING.indexOf("\n}\n", start) + 3;
  await setSource(page, ONBOARDING.slice(0, start) + ONBOARDING.slice(end));
  await page.waitForSelector('[data-uncovered-rule="ecovadis_minimum"]');
  assert.match(await page.textContent('[data-uncovered-rule="ecovadis_minimum"]'), /no example makes it fail/);
  assert.equal(await page.locator("[data-uncovered-rule]").count(), 1);
  assert.match(await page.textContent("#coverage-summary"), /^Coverage 94\.7%: 18 of 19 items/);
  await snap(page, "playground-coverage");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("the URL reproduces the policy, the input and the date", async () => {
  const page = await open(context.browser, context.server.url);
  await page.selectOption("#policy-menu", "green-procurement");
  await page.waitForFunction(() => document.querySelector("#policy-title").textContent.includes("Green"));
  await page.fill("#as-of", "2025-06-01");
  const name = page.locator('[data-path="supplier.name"]');
  await name.fill("Link Test GmbH");
  await page.waitForFunction(() => location.hash.length > 1);
  // The hash is written shortly after the last change.
  await page.waitForTimeout(400);
  const url = page.url();
  const before = {
    source: await editorText(page),
    input: JSON.parse(await page.inputValue("#input-json")),
    decision: await decision(page),
    rules: await page.locator("table.rules tbody").textContent(),
  };
  assert.equal(before.input.name, "Link Test GmbH");
  await page.close();

  const again = await open(context.browser, url);
  assert.equal(await again.inputValue("#policy-menu"), "green-procurement");
  assert.equal(await again.inputValue("#as-of"), "2025-06-01");
  assert.equal(await again.locator('[data-path="supplier.name"]').inputValue(), "Link Test GmbH");
  assert.deepEqual(
    {
      source: await editorText(again),
      input: JSON.parse(await again.inputValue("#input-json")),
      decision: await decision(again),
      rules: await again.locator("table.rules tbody").textContent(),
    },
    before,
  );
  await snap(again, "playground-from-url");
  assert.deepEqual(again.problems, []);
  await again.close();
});

test("each policy of rules/ loads with its sample supplier and compiles cleanly", async () => {
  const page = await open(context.browser, context.server.url);
  const keys = await page.locator("#policy-menu option").evaluateAll((options) => options.map((o) => o.value));
  assert.deepEqual(keys.sort(), [
    "certificates", "chemical-substances", "cmrt-quality", "conflict-minerals", "ecovadis-scorecard",
    "fair-transactions", "green-procurement", "onboarding", "social-audit", "strategic-supplier",
  ]);
  for (const key of keys) {
    await page.selectOption("#policy-menu", key);
    const source = readFileSync(path.join(rules, `${key}.policy`), "utf8");
    assert.equal(await editorText(page), source);
    assert.equal(await page.locator(".problem-error").count(), 0, key);
    assert.match(await decision(page), /^(approve|review|incomplete|reject)$/, key);
    const sample = JSON.parse(readFileSync(path.join(rules, "data", `${key}-supplier.json`), "utf8"));
    assert.deepEqual(JSON.parse(await page.inputValue("#input-json")), sample);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("compile + evaluate of the onboarding baseline per keystroke stays under 5 ms", async () => {
  const page = await open(context.browser, context.server.url);
  // Real keystrokes first: the status bar reports each one's compile + evaluate time.
  await page.click(".cm-content");
  await page.keyboard.press("Control+End");
  for (const key of "# a comment typed key by key") {
    await page.keyboard.type(key);
    await page.waitForTimeout(80);
  }
  const status = await page.textContent("#status-text");
  const keystroke = Number(/median per keystroke (\d+\.\d+) ms/.exec(status)[1]);
  // Then many runs in the page, without the debounce. The machine running the tests may be
  // busy with other work: the best of five batch medians is the page's own speed.
  const batches = [];
  for (let i = 0; i < 5; i++) batches.push(await page.evaluate(() => window.procuraBenchmark(100)));
  const best = batches.reduce((a, b) => (a.median <= b.median ? a : b));
  const medians = batches.map((b) => b.median.toFixed(2)).join(", ");
  console.log(`# keystroke median ${keystroke} ms (status bar); batch medians ${medians} ms; fastest run ${best.min.toFixed(2)} ms`);
  assert.ok(best.median < 5, `median compile + evaluate ${best.median} ms`);
  await page.close();
});
