// Diagnostics count 1-based lines and columns in Unicode characters (end exclusive); CodeMirror
// counts UTF-16 code units from the start of the document. Astral characters (emoji, some CJK)
// are the difference.

/** The document offset of a 1-based line and character column, clamped to the document. */
export function offsetOf(doc, line, column) {
  if (line > doc.lines) return doc.length;
  const { from, text } = doc.line(Math.max(1, line));
  let offset = 0;
  let chars = 1;
  for (const ch of text) {
    if (chars >= column) break;
    offset += ch.length;
    chars++;
  }
  return from + offset;
}

/** The range of a diagnostic as CodeMirror offsets; never empty, so the underline shows. */
export function rangeOf(doc, d) {
  const from = offsetOf(doc, d.line, d.column);
  let to = offsetOf(doc, d.end_line, d.end_column);
  if (to <= from) to = Math.min(doc.length, from + 1);
  return { from, to: Math.max(from, to) };
}

/** The 1-based line and character column of a document offset: the inverse of `offsetOf`, for
 * the positions the analysis (`analyze`) is asked at. */
export function positionOf(doc, offset) {
  const line = doc.lineAt(offset);
  return { line: line.number, column: [...line.text.slice(0, offset - line.from)].length + 1 };
}
