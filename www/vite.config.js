import { defineConfig } from "vite";
import { resolve } from "node:path";

export default defineConfig({
  // Relative URLs: the build works from any directory of a static host.
  base: "./",
  build: {
    target: "es2022",
    rollupOptions: {
      input: { playground: resolve(import.meta.dirname, "index.html"), form: resolve(import.meta.dirname, "form.html") },
    },
  },
  // The workbook reader's worker imports the reader module as an ES module (www/src/reader-worker.js).
  worker: { format: "es" },
  // The policies and sample data are imported from ../rules at build time.
  server: { fs: { allow: [".."] } },
});
