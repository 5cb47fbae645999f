// Shared by the Node tests: the repository root, the Node build of the package, file helpers.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const packagePath = path.join(root, "pkg-node", "procura.js");

if (!fs.existsSync(packagePath)) {
  throw new Error(`${path.relative(root, packagePath)} is missing: run scripts/build-wasm.sh first`);
}

const procura = require(packagePath);

/** A file of the repository as text. */
function read(relative) {
  return fs.readFileSync(path.join(root, relative), "utf8");
}

/** Files of a repository folder whose names end with `suffix`, sorted; none if it is absent. */
function list(folder, suffix) {
  const absolute = path.join(root, folder);
  if (!fs.existsSync(absolute)) return [];
  return fs
    .readdirSync(absolute)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => path.join(folder, name));
}

/** The `.policy` files under the directory of `policyFile` (a path from the repository root),
 * by path from that directory: the `files` of `compile` for whatever a policy there imports
 * (LANGUAGE.md §9.1), as the CLI reads them from disk. */
function libraries(policyFile) {
  const directory = path.dirname(path.resolve(root, policyFile));
  const files = {};
  const visit = (relative) => {
    for (const entry of fs.readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(name);
      else if (name.endsWith(".policy")) files[name] = fs.readFileSync(path.join(directory, name), "utf8");
    }
  };
  visit("");
  return files;
}

/** The 1-based line and column (in Unicode characters) of the first `needle` in `source`. */
function position(source, needle) {
  const offset = source.indexOf(needle);
  if (offset < 0) throw new Error(`\`${needle}\` is not in the source`);
  const before = source.slice(0, offset).split("\n");
  return { line: before.length, column: [...before[before.length - 1]].length + 1 };
}

/** `source` with `from` replaced by `to`, failing when `from` is absent (a stale fixture). */
function edit(source, from, to) {
  if (!source.includes(from)) throw new Error(`\`${from}\` is not in the source`);
  return source.replace(from, to);
}

/** The exception `run` throws; fails when it returns. */
function thrown(run) {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an exception");
}

module.exports = { root, procura, read, list, libraries, position, edit, thrown };
