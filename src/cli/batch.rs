//! Batch evaluation: one JSON report per input row on stdout (JSON Lines), a summary on stderr.
//!
//! A bad row yields `{"line": N, "error": "input", "errors": [...]}` in its place, so output
//! line `k` always answers input row `k`. The policy is compiled and the reference data
//! validated once; each row is only parsed, validated and evaluated.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use procura::report::{Decision, Outcome};
use procura::{Date, EvaluateError, InputError, InputErrors, Policy, ReferenceData};

use super::csv::Columns;
use super::{CliError, CliResult, Exit, print_input_errors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    JsonLines,
    Csv,
}

impl Kind {
    /// The batch format a file name announces; `None` for a single JSON record.
    pub fn of(path: &Path) -> Option<Kind> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "jsonl" => Some(Kind::JsonLines),
            "csv" => Some(Kind::Csv),
            _ => None,
        }
    }
}

pub fn run(
    policy: &Policy,
    path: &Path,
    kind: Kind,
    data: Result<Option<serde_json::Value>, InputErrors>,
    today: Date,
) -> CliResult {
    let reference = match data.and_then(|data| policy.reference_data(data.as_ref())) {
        Ok(reference) => reference,
        Err(errors) => {
            print_input_errors("reference data", &errors);
            return Ok(Exit::Usage);
        }
    };
    let file = File::open(path).map_err(|error| CliError::io(path, &error))?;
    let size = file.metadata().map_or(0, |metadata| metadata.len());
    let mut batch = Batch {
        policy,
        reference,
        today,
        out: std::io::stdout().lock(),
        progress: Progress::new(size),
        tally: Tally::new(policy.rule_names().len()),
        json: String::with_capacity(CHUNK + (CHUNK >> 2)),
    };
    let reader = BufReader::with_capacity(CHUNK, file);
    match kind {
        Kind::JsonLines => batch.json_lines(reader, path)?,
        Kind::Csv => batch.csv(reader, path)?,
    }
    batch.write(0)?;
    batch.progress.finish();
    batch.tally.print(policy);
    Ok(if batch.tally.errors + batch.tally.stopped > 0 {
        Exit::Usage
    } else {
        Exit::Success
    })
}

struct Batch<'a, W: Write> {
    policy: &'a Policy,
    reference: ReferenceData,
    today: Date,
    out: W,
    progress: Progress,
    tally: Tally,
    /// The output not written yet: reports are written in place, then in chunks.
    json: String,
}

/// How much is read and written at once.
const CHUNK: usize = 256 << 10;

impl<W: Write> Batch<'_, W> {
    fn json_lines(&mut self, mut reader: impl BufRead, path: &Path) -> Result<(), CliError> {
        let limit = self.policy.limits().max_input_bytes;
        let mut line = Vec::new();
        let mut number = 0;
        let mut consumed = 0;
        loop {
            line.clear();
            let io = |error| CliError::io(path, &error);
            // At most one byte over the limit and the newline are kept: a huge line is refused
            // without loading it.
            let read = (&mut reader)
                .take(limit as u64 + 2)
                .read_until(b'\n', &mut line)
                .map_err(io)?;
            if read == 0 {
                return Ok(());
            }
            let mut newline = line.last() == Some(&b'\n');
            if newline {
                line.pop();
            }
            // The record's bytes, its newline not included.
            let mut size = line.len() as u64;
            if !newline && line.len() > limit {
                let (rest, ended) = skip_line(&mut reader).map_err(io)?;
                (size, newline) = (size + rest, ended);
            }
            number += 1;
            consumed += size + u64::from(newline);
            // Blank lines are not records (a trailing newline, a spacer between records).
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let input = if line.len() > limit {
                Err(InputErrors::too_large("$", size, self.policy.limits()))
            } else {
                self.policy.input_from_bytes(&line)
            };
            self.row(number, input)?;
            self.progress.update(consumed, self.tally.rows);
        }
    }

    fn csv(&mut self, reader: impl Read, path: &Path) -> Result<(), CliError> {
        let mut reader = csv::Reader::from_reader(LineStarts::new(reader));
        let header = reader.headers().map_err(|error| csv_error(path, &error))?;
        let (columns, unknown) = Columns::new(&self.policy.input_schema(), header);
        for name in unknown {
            eprintln!("warning: column `{name}` is not a field of the input and is ignored");
        }
        let mut row = csv::StringRecord::new();
        loop {
            let (start, record) = match reader.read_record(&mut row) {
                Ok(false) => return Ok(()),
                Ok(true) => (
                    row.position().cloned(),
                    self.policy.input(&columns.record(&row)),
                ),
                Err(error) if matches!(error.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(csv_error(path, &error));
                }
                Err(error) => (
                    error.position().cloned(),
                    Err(InputErrors {
                        errors: vec![InputError {
                            path: "$".to_owned(),
                            expected: "a CSV row matching the header".to_owned(),
                            found: "a malformed row".to_owned(),
                            message: format!("malformed CSV row: {error}"),
                        }],
                    }),
                ),
            };
            // The line where the row starts (a quoted cell may span several).
            let line = match start {
                Some(start) => reader.get_mut().line_at(start.byte()),
                None => None,
            };
            let line = line.unwrap_or_else(|| reader.position().line());
            self.row(line, record)?;
            self.progress
                .update(reader.position().byte(), self.tally.rows);
        }
    }

    fn row(
        &mut self,
        line: u64,
        input: Result<procura::policy::Value, InputErrors>,
    ) -> Result<(), CliError> {
        let result = (self.policy).evaluate_validated(input, Ok(&self.reference), self.today);
        match result {
            Ok(report) => {
                self.tally.report(&report);
                report.write_json(&mut self.json);
            }
            Err(error) => {
                self.tally.rows += 1;
                match error {
                    EvaluateError::Input(_) => self.tally.errors += 1,
                    EvaluateError::Eval(_) => self.tally.stopped += 1,
                }
                let mut json = error.to_json();
                if let Some(object) = json.as_object_mut() {
                    object.insert("line".to_owned(), line.into());
                }
                let _ = write!(self.json, "{json}");
            }
        }
        self.json.push('\n');
        self.write(CHUNK)
    }

    /// Writes the pending output once it reaches `at_least` bytes (0: whatever is pending).
    fn write(&mut self, at_least: usize) -> Result<(), CliError> {
        if self.json.len() < at_least.max(1) {
            return Ok(());
        }
        let written = self.out.write_all(self.json.as_bytes());
        self.json.clear();
        written
            .and_then(|()| self.out.flush())
            .map_err(|error| CliError(format!("cannot write output: {error}")))
    }
}

/// Skips the rest of a line: how many bytes it had, its newline not counted, and whether a
/// newline ended it (the last line of a file may have none).
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<(u64, bool)> {
    let mut skipped = 0;
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let (used, ended) = match buffer.iter().position(|byte| *byte == b'\n') {
            Some(end) => (end, true),
            None => (buffer.len(), false),
        };
        skipped += used as u64;
        reader.consume(used + usize::from(ended));
        if ended || used == 0 {
            return Ok((skipped, ended));
        }
    }
}

/// A CSV file on its way to the csv crate, noting where each line with content starts: the
/// crate numbers a row from where its read started, before the blank lines it skipped, so the
/// row's own line is the first content at or after that position. Only what the crate has not
/// yet returned is kept (its read-ahead and the current row).
struct LineStarts<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// `\n` read so far.
    newlines: u64,
    /// Whether the last byte read was `\n` or `\r`, or nothing was read.
    after_break: bool,
    /// The byte offset and 1-based line of every byte that starts content after a line break,
    /// in order.
    starts: VecDeque<(u64, u64)>,
}

impl<R> LineStarts<R> {
    fn new(inner: R) -> LineStarts<R> {
        LineStarts {
            inner,
            offset: 0,
            newlines: 0,
            after_break: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of the first content at or after byte `offset`; earlier positions are
    /// forgotten, so offsets must be asked in order.
    fn line_at(&mut self, offset: u64) -> Option<u64> {
        while self.starts.front().is_some_and(|(at, _)| *at < offset) {
            self.starts.pop_front();
        }
        self.starts.front().map(|(_, line)| *line)
    }

    /// Notes the line starts among `bytes`, read next.
    fn note(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let line_break = matches!(byte, b'\n' | b'\r');
            if self.after_break && !line_break {
                self.starts.push_back((self.offset, self.newlines + 1));
            }
            self.after_break = line_break;
            self.newlines += u64::from(byte == b'\n');
            self.offset += 1;
        }
    }
}

impl<R: Read> Read for LineStarts<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        let bytes = buffer.get(..read).unwrap_or_default();
        // Most blocks hold no line break: one test of the whole block (without an early exit,
        // so that it compiles to vector instructions) skips them.
        let blocks = bytes.chunks_exact(BLOCK);
        let rest = blocks.remainder();
        for block in blocks {
            let breaks = block
                .iter()
                .fold(false, |any, byte| any | matches!(byte, b'\n' | b'\r'));
            if breaks || self.after_break {
                self.note(block);
            } else {
                self.offset += BLOCK as u64;
            }
        }
        self.note(rest);
        Ok(read)
    }
}

const BLOCK: usize = 16;

fn csv_error(path: &Path, error: &csv::Error) -> CliError {
    CliError(format!("cannot read `{}`: {error}", path.display()))
}

/// Counts for the summary on stderr.
struct Tally {
    rows: u64,
    errors: u64,
    /// Evaluations stopped by the step budget.
    stopped: u64,
    /// Indexed like `DECISIONS`.
    decisions: [u64; 4],
    /// Failures per rule, indexed like `Program::rules`.
    failures: Vec<u64>,
}

const DECISIONS: [Decision; 4] = [
    Decision::Approve,
    Decision::Review,
    Decision::Incomplete,
    Decision::Reject,
];

impl Tally {
    fn new(rules: usize) -> Tally {
        Tally {
            rows: 0,
            errors: 0,
            stopped: 0,
            decisions: [0; 4],
            failures: vec![0; rules],
        }
    }

    fn report(&mut self, report: &procura::Report) {
        self.rows += 1;
        if let Some(i) = DECISIONS.iter().position(|d| *d == report.decision) {
            self.decisions[i] += 1;
        }
        for (count, rule) in self.failures.iter_mut().zip(&report.rules) {
            *count += u64::from(rule.outcome == Outcome::Failed);
        }
    }

    fn print(&self, policy: &Policy) {
        let decisions: Vec<String> = DECISIONS
            .iter()
            .zip(self.decisions)
            .map(|(decision, count)| format!("{count} {}", decision.as_str()))
            .collect();
        // Evaluation errors are rare (a policy doing quadratic work): mentioned only when any.
        let stopped = match self.stopped {
            0 => String::new(),
            n => format!(", {n} evaluation errors"),
        };
        eprintln!(
            "{} records: {}, {} input errors{stopped}",
            self.rows,
            decisions.join(", "),
            self.errors
        );
        let mut failing: Vec<(u64, &str)> = self
            .failures
            .iter()
            .zip(policy.rule_names())
            .filter(|(count, _)| **count > 0)
            .map(|(count, name)| (*count, name))
            .collect();
        failing.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        if !failing.is_empty() {
            let top: Vec<String> = failing
                .iter()
                .take(5)
                .map(|(count, name)| format!("{name} ({count})"))
                .collect();
            eprintln!("most frequent failing rules: {}", top.join(", "));
        }
    }
}

/// A one-line progress indicator on stderr, shown only for large inputs on a terminal.
struct Progress {
    total: u64,
    enabled: bool,
    last: Instant,
}

const LARGE_INPUT: u64 = 4 << 20;
const REDRAW: Duration = Duration::from_millis(200);

impl Progress {
    fn new(total: u64) -> Progress {
        Progress {
            total,
            enabled: total >= LARGE_INPUT && std::io::stderr().is_terminal(),
            last: Instant::now(),
        }
    }

    fn update(&mut self, done: u64, rows: u64) {
        if self.enabled && self.last.elapsed() >= REDRAW {
            self.last = Instant::now();
            let percent = done.saturating_mul(100) / self.total.max(1);
            eprint!("\r{percent:>3}% {rows} records");
        }
    }

    fn finish(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its bytes at most `piece` at a time.
    struct Pieces<'a> {
        bytes: &'a [u8],
        piece: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            let n = self.piece.min(buffer.len()).min(self.bytes.len());
            let (now, later) = self.bytes.split_at(n);
            buffer[..n].copy_from_slice(now);
            self.bytes = later;
            Ok(n)
        }
    }

    #[test]
    fn line_starts_do_not_depend_on_how_the_file_is_read() {
        let long = "y".repeat(40);
        let text = format!("h,x\r\n\r\na,\"multi\nline\"\n\n\n  b\rc\n{long},\"\n\n\"\n\n\r\nz");
        let bytes = text.as_bytes();
        // Every byte that is not a line break and follows one (or starts the file), with its
        // line: one more than the newlines before it.
        let expected: Vec<(u64, u64)> = (0..bytes.len())
            .filter(|&i| !b"\r\n".contains(&bytes[i]))
            .filter(|&i| i == 0 || b"\r\n".contains(&bytes[i - 1]))
            .map(|i| {
                (
                    i as u64,
                    1 + bytes[..i].iter().filter(|b| **b == b'\n').count() as u64,
                )
            })
            .collect();
        assert_eq!(expected.len(), 8);
        for piece in [1, 3, BLOCK - 1, BLOCK, BLOCK + 1, 64, 4096] {
            let mut starts = LineStarts::new(Pieces { bytes, piece });
            std::io::copy(&mut starts, &mut std::io::sink()).unwrap();
            assert_eq!(
                Vec::from(starts.starts.clone()),
                expected,
                "pieces of {piece}"
            );
            // A read starting in the blank line after the header finds the row on line 3.
            assert_eq!(starts.line_at(5), Some(3));
            assert_eq!(starts.line_at(8), Some(4));
        }
    }
}
