// Browser test support: a static server for the production build on a free loopback port, and
// Debian's Chromium driven by playwright-core (which never downloads a browser of its own).
import { createServer } from "node:http";
import { existsSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const www = path.resolve(import.meta.dirname, "..");
const dist = path.join(www, "dist");
export const artifacts = path.join(www, "test-results");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/** Serves `dist/` on 127.0.0.1 at a port the system picks; resolves to its base URL. */
export async function serve() {
  if (!existsSync(path.join(dist, "index.html"))) throw new Error("www/dist is missing: run `npm run build` first");
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, "http://localhost");
    const file = path.join(dist, path.normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, ""));
    const target = pathname.endsWith("/") ? path.join(file, "index.html") : file;
    try {
      const body = await readFile(target);
      response.writeHead(200, { "content-type": TYPES[path.extname(target)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page that fails the test on any console error or uncaught exception. */
export async function open(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  page.problems = problems;
  return page;
}

export const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];

/**
 * Screenshots of the page at desktop and phone size, as `test-results/<name>-desktop.png`,
 * `<name>-phone.png` and `<name>-phone-full.png` (the whole page).
 */
export async function snap(page, name) {
  mkdirSync(artifacts, { recursive: true });
  for (const { name: size, width, height } of VIEWPORTS) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => new Promise(requestAnimationFrame));
    await page.screenshot({ path: path.join(artifacts, `${name}-${size}.png`) });
    // On a phone the panes stack: the whole page shows how they follow each other.
    if (size === "phone") await page.screenshot({ path: path.join(artifacts, `${name}-${size}-full.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Starts the server and the browser before the tests of a file and stops them after. */
export function useBrowser() {
  const context = {};
  before(async () => {
    context.server = await serve();
    context.browser = await launch();
  });
  after(async () => {
    await context.browser?.close();
    await context.server?.close();
  });
  return context;
}
