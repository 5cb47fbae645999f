// Reads a reporting-template workbook off the page's thread: a large or hostile workbook keeps
// this worker busy for its seconds, never the form. The reader module (www/pkg-reader) is
// fetched when the form starts this worker, that is on the first workbook.
import init, { maxWorkbookBytes, readTemplate } from "../pkg-reader/procura_reader.js";

const ready = init();

self.onmessage = async ({ data: { id, kind, file } }) => {
  try {
    await ready;
    // One byte past the limit at most: a larger file is refused by the reader with the message
    // of `procura import`, without being copied whole into WebAssembly memory.
    const bytes = new Uint8Array(await file.slice(0, maxWorkbookBytes() + 1).arrayBuffer());
    const imported = readTemplate(kind, file.name, bytes);
    self.postMessage({ id, json: imported.json, warnings: imported.warnings });
  } catch (error) {
    // A refused workbook: the message of `procura import`.
    self.postMessage({ id, error: error.message });
  }
};
