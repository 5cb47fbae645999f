// The Node leg of the per-host harness (`benches/hosts/run.sh`): the workload of
// `benches/abi.rs` through `Policy.evaluateJson` of the wasm-bindgen build (`pkg-node`), JSON
// text in and report JSON text out. Prints one JSON line:
// `{"decisions", "checksum", "node": [ns/decision per round]}`.
// Run alone: `scripts/build-wasm.sh && node benches/hosts/node.mjs --rounds 7`.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const procura = createRequire(import.meta.url)(`${root}pkg-node/procura.js`);
const read = (path) => readFileSync(`${root}${path}`, "utf8");

const DECISIONS = 12_000;
const at = process.argv.indexOf("--rounds");
const rounds = at > 0 ? Number(process.argv[at + 1]) : 7;

const policy = procura.compile(read("rules/onboarding.policy"));
const suppliers = read("rules/data/suppliers.jsonl").split("\n").filter((l) => l.trim());
const options = JSON.stringify({ as_of: "2025-06-01", data: JSON.parse(read("rules/data/reference.json")) });

// 32-bit FNV-1a over the UTF-8 bytes of every report, as `benches/abi.rs` computes it.
let checksum = 0x811c9dc5;
const encoder = new TextEncoder();
for (const text of suppliers) {
  for (const byte of encoder.encode(policy.evaluateJson(text, options))) {
    checksum = Math.imul(checksum ^ byte, 0x01000193) >>> 0;
  }
}

const times = [];
for (let round = 0; round < rounds; round++) {
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < DECISIONS; i++) {
    bytes += policy.evaluateJson(suppliers[i % suppliers.length], options).length;
  }
  const elapsed = process.hrtime.bigint() - start;
  if (bytes === 0) throw new Error("no reports");
  times.push(Number(elapsed) / DECISIONS);
}
const result = { decisions: DECISIONS, checksum: checksum.toString(16).padStart(8, "0"), node: times };
const compare = process.argv.indexOf("--compare");
if (compare < 0) {
  console.log(JSON.stringify(result));
} else {
  table(JSON.parse(process.argv[compare + 1]), result);
}

/** The medians of both legs and their ratios to native, as `benches/hosts/run.sh` prints them. */
function table(rust, node) {
  if (rust.checksum !== node.checksum) {
    throw new Error(`Node's reports differ from native (checksum ${node.checksum}, native ${rust.checksum})`);
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const native = median(rust.native);
  const rows = [
    ["native (input_from_str + evaluate + write_json)", native, null],
    ["wasmtime (abi module, procura serve worker)", median(rust.wasmtime), 2],
    ["node (wasm-bindgen, evaluateJson)", median(node.node), 3],
  ];
  console.log(`${suppliers.length} suppliers, ${rust.native.length} rounds of ${DECISIONS} decisions per host; reports identical (checksum ${node.checksum})`);
  console.log(`load average (1, 5, 15 min): ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("host                                              median ns/decision   x native   target");
  for (const [name, ns, target] of rows) {
    const ratio = ns / native;
    const verdict = target === null ? "" : `<= ${target}x: ${ratio <= target ? "met" : "not met"}`;
    console.log(`${name.padEnd(50)} ${ns.toFixed(0).padStart(19)} ${ratio.toFixed(2).padStart(10)}   ${verdict}`);
  }
}
