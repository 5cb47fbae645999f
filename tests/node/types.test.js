// Compile-checks usage.ts against the TypeScript declarations of pkg-node.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { root } = require("./support.js");

const tsc = path.join(root, "node_modules", ".bin", "tsc");

test("the TypeScript declarations type-check a strict usage", { skip: !fs.existsSync(tsc) && "no tsc: npm ci" }, () => {
  const args = [
    "--noEmit",
    "--strict",
    "--target", "es2022",
    "--module", "commonjs",
    "--lib", "es2022,esnext.disposable,dom",
    path.join(__dirname, "usage.ts"),
  ];
  const result = spawnSync(tsc, args, { encoding: "utf8" });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
