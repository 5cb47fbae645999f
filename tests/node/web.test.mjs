// The browser build (www/pkg, ES module) loaded with `initSync`, as a page without `fetch`
// would: it must behave exactly as the Node build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const { root, procura: node, read, list, libraries } = require("./support.js");

const glue = path.join(root, "www", "pkg", "procura.js");
if (!existsSync(glue)) throw new Error("www/pkg/procura.js is missing: run scripts/build-wasm.sh first");
const web = await import(glue);
web.initSync({ module: readFileSync(path.join(root, "www", "pkg", "procura_bg.wasm")) });

for (const file of list("rules", ".policy")) {
  test(`${file}: the browser build reports as the Node build`, () => {
    const source = read(file);
    const options = { files: libraries(file) };
    assert.deepEqual(web.check(source, options), node.check(source, options));
    const [fromWeb, fromNode] = [web.compile(source, options), node.compile(source, options)];
    assert.deepEqual(fromWeb.inputSchema(), fromNode.inputSchema());
    assert.deepEqual(fromWeb.runExamples("2025-06-01"), fromNode.runExamples("2025-06-01"));
    for (const example of fromNode.examples()) {
      const options = JSON.stringify({ as_of: example.as_of ?? "2025-06-01", data: example.data });
      const input = JSON.stringify(example.given);
      assert.equal(fromWeb.evaluateJson(input, options), fromNode.evaluateJson(input, options));
    }
  });
}
