//! Batch evaluation: one JSON report per input row on stdout (JSON Lines), a summary on stderr.
//!
//! A bad row yields `{"line": N, "error": "input", "errors": [...]}` in its place, so output
//! line `k` always answers input row `k`. The policy is compiled and the reference data
//! validated once; each row is only parsed, validated and evaluated.
//!
//! Rows are read in chunks on the calling thread; with `--jobs N` over 1, `N` threads (the
//! calling one among them) parse, validate and evaluate whole chunks and render their output,
//! which is written in input order: the output does not depend on `N`.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::Path;
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use procura::limits::Limits;
use procura::policy::Value;
use procura::report::{Decision, Outcome, Verdict};
use procura::{Date, EvaluateError, InputError, InputErrors, Policy, ReferenceData};

use super::csv::Columns;
use super::{CliError, CliResult, Exit, print_input_errors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    JsonLines,
    Csv,
    /// A workbook sheet, with the CSV conventions (`cli::sheet`).
    Xlsx,
}

impl Kind {
    /// The batch format a file name announces; `None` for a single JSON record.
    pub fn of(path: &Path) -> Option<Kind> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "jsonl" | "ndjson" => Some(Kind::JsonLines),
            "csv" => Some(Kind::Csv),
            "xlsx" => Some(Kind::Xlsx),
            _ => None,
        }
    }
}

/// A batch to evaluate: its file and format, the sheet of a workbook, and where its results
/// go as a spreadsheet instead of JSON Lines on stdout.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub path: &'a Path,
    pub kind: Kind,
    pub sheet: Option<&'a str>,
    pub results: Option<&'a Path>,
}

/// Evaluates the batch in `path` on `jobs` threads (1: on the calling thread alone).
pub fn run(
    policy: &Policy,
    input: &Input<'_>,
    data: Result<Option<serde_json::Value>, InputErrors>,
    today: Date,
    jobs: usize,
) -> CliResult {
    let Input {
        path,
        kind,
        sheet,
        results,
    } = *input;
    let reference = match data.and_then(|data| policy.reference_data(data.as_ref())) {
        Ok(reference) => reference,
        Err(errors) => {
            print_input_errors("reference data", &errors);
            return Ok(Exit::Usage);
        }
    };
    let mut rows = Rows::open(path, kind, sheet, policy.limits())?;
    let evaluator = Evaluator {
        policy,
        parser: rows.parser(policy),
        reference: &reference,
        today,
    };
    // `--output results.csv|xlsx`: the JSON Lines are collected and laid out for a spreadsheet.
    let results = match results {
        Some(file) => Some((
            file,
            super::results::Format::of(file)?,
            super::results::Sink::default(),
        )),
        None => None,
    };
    let out: Box<dyn Write> = match &results {
        Some((_, _, sink)) => Box::new(sink.clone()),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut output = Output {
        out,
        progress: Progress::new(rows.size),
        tally: Tally::new(policy.rule_names().len()),
    };
    let evaluate = |chunk| evaluator.chunk(chunk);
    pipeline(jobs, || rows.chunk(), evaluate, |done| output.write(done))?;
    output.progress.finish();
    output.tally.print(policy);
    if let Some((file, format, sink)) = results {
        let records = super::results::records(path, kind, sheet, policy.limits())?;
        sink.write_to(file, format, &records)?;
    }
    Ok(if output.tally.errors + output.tally.stopped > 0 {
        Exit::Usage
    } else {
        Exit::Success
    })
}

/// The rows of a batch file, read in chunks.
pub struct Rows<'a> {
    reader: Reader<'a>,
    /// The file's size, for the progress display.
    pub size: u64,
}

enum Reader<'a> {
    JsonLines(JsonLines<'a, BufReader<File>>),
    Csv(CsvRows<'a, BufReader<File>>),
    /// A workbook sheet, read whole: its header and its records with their row numbers.
    Sheet(
        csv::StringRecord,
        std::vec::IntoIter<(u64, csv::StringRecord)>,
    ),
}

/// One row as the file holds it.
pub enum RowText {
    Json(Vec<u8>),
    Csv(csv::StringRecord),
}

/// Turns rows into one policy's input records.
pub struct Parser {
    /// What each CSV column feeds in the policy's input (none for JSON Lines).
    columns: Columns,
}

impl<'a> Rows<'a> {
    /// Opens a batch file; `sheet` names the sheet of a workbook (default: the first).
    pub fn open(
        path: &'a Path,
        kind: Kind,
        sheet: Option<&str>,
        limits: &'a Limits,
    ) -> Result<Rows<'a>, CliError> {
        if kind == Kind::Xlsx {
            let sheet = super::sheet::read(path, sheet)?;
            let reader = Reader::Sheet(sheet.header, sheet.records.into_iter());
            // The sheet is read before any row is evaluated: no progress to show.
            return Ok(Rows { reader, size: 0 });
        }
        let file = File::open(path).map_err(|error| CliError::io(path, &error))?;
        let size = file.metadata().map_or(0, |metadata| metadata.len());
        let reader = BufReader::with_capacity(CHUNK, file);
        let reader = match kind {
            Kind::Csv => Reader::Csv(CsvRows::new(reader, path)?),
            _ => Reader::JsonLines(JsonLines::new(reader, path, limits)),
        };
        Ok(Rows { reader, size })
    }

    /// How rows become `policy`'s records; warns of the CSV columns that name no input field.
    pub fn parser(&self, policy: &Policy) -> Parser {
        let no_header = csv::StringRecord::new();
        let header = self.header().unwrap_or(&no_header);
        let (columns, unknown) = Columns::new(&policy.input_schema(), header);
        for name in unknown {
            eprintln!("warning: column `{name}` is not a field of the input and is ignored");
        }
        Parser { columns }
    }

    /// A CSV file's header.
    pub fn header(&self) -> Option<&csv::StringRecord> {
        match &self.reader {
            Reader::JsonLines(_) => None,
            Reader::Csv(rows) => Some(&rows.header),
            Reader::Sheet(header, _) => Some(header),
        }
    }

    /// The next chunk of rows; `None` at the end of the file.
    pub fn chunk(&mut self) -> Result<Option<Chunk>, CliError> {
        match &mut self.reader {
            Reader::JsonLines(rows) => rows.chunk(),
            Reader::Csv(rows) => rows.chunk(),
            Reader::Sheet(_, records) => {
                let rows: Vec<Row> = (records.by_ref().take(SHEET_CHUNK_ROWS))
                    .map(|(line, record)| (line, Ok(RowText::Csv(record))))
                    .collect();
                Ok((!rows.is_empty()).then_some(Chunk { rows, end: 0 }))
            }
        }
    }
}

/// The text of a record's field `name` (dotted for nested records; a CSV column of that name),
/// straight from the row as read: `None` when the row has no such field or is not readable.
pub fn row_field(
    header: Option<&csv::StringRecord>,
    row: &Result<RowText, InputErrors>,
    name: &str,
) -> Option<String> {
    let value = match row.as_ref().ok()? {
        RowText::Json(line) => {
            let record: serde_json::Value = serde_json::from_slice(line).ok()?;
            let pointer = format!("/{}", name.replace('.', "/"));
            record.pointer(&pointer)?.clone()
        }
        RowText::Csv(record) => {
            let column = header?.iter().position(|column| column.trim() == name)?;
            serde_json::Value::String(record.get(column)?.trim().to_owned())
        }
    };
    Some(match value {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    })
}

impl Parser {
    /// The record of a row read, validated by `policy`.
    pub fn parse(
        &self,
        policy: &Policy,
        row: &Result<RowText, InputErrors>,
    ) -> Result<Value, InputErrors> {
        match row {
            Err(errors) => Err(errors.clone()),
            Ok(RowText::Json(line)) => policy.input_from_bytes(line),
            Ok(RowText::Csv(row)) => policy.input(&self.columns.record(row)),
        }
    }
}

/// How much is read at once.
const CHUNK: usize = 256 << 10;

/// About how many input bytes make a chunk of rows, the unit of work of a thread: small
/// enough for a few thousand rows to keep two threads busy, large enough that passing it
/// between threads costs nothing measurable.
const CHUNK_ROWS_BYTES: u64 = 64 << 10;

/// Chunks read but not yet written, per thread: bounds the memory of a batch.
const IN_FLIGHT_PER_JOB: u64 = 4;

/// A row read: its line in the input file and its text, or why it has none (a row too large
/// or malformed).
pub type Row = (u64, Result<RowText, InputErrors>);

/// Rows read together.
pub struct Chunk {
    pub rows: Vec<Row>,
    /// The input bytes read up to the chunk's end, for the progress display.
    end: u64,
}

/// What a chunk gives: its output lines and its counts.
struct Done {
    json: String,
    tally: Tally,
    end: u64,
}

/// Reads chunks with `read` until it returns `None`, evaluates each with `evaluate`, and hands
/// the results to `write` in the order read. With `jobs` over 1, `jobs - 1` threads evaluate
/// and the calling thread reads, writes and, when nothing is ready to write, evaluates too:
/// `jobs` threads are busy, not `jobs + 1` (on two cores, a third busy thread costs a fifth of
/// the throughput). At most `IN_FLIGHT_PER_JOB * jobs` chunks are read and not yet written;
/// otherwise the calling thread does everything in turn.
pub fn pipeline<C: Send, D: Send>(
    jobs: usize,
    mut read: impl FnMut() -> Result<Option<C>, CliError>,
    evaluate: impl Fn(C) -> D + Sync,
    mut write: impl FnMut(D) -> Result<(), CliError>,
) -> Result<(), CliError> {
    if jobs <= 1 {
        while let Some(chunk) = read()? {
            write(evaluate(chunk))?;
        }
        return Ok(());
    }
    let stopped = || CliError("batch workers stopped".to_owned());
    let (to_workers, chunks) = mpsc::channel::<(u64, C)>();
    let chunks = Mutex::new(chunks);
    let (to_writer, results) = mpsc::channel();
    std::thread::scope(|scope| {
        // Owned here so that leaving early (an error, a panic) disconnects the workers.
        let (to_workers, results) = (to_workers, results);
        for _ in 1..jobs {
            let (chunks, evaluate, to_writer) = (&chunks, &evaluate, to_writer.clone());
            scope.spawn(move || {
                loop {
                    let Ok(next) = chunks.lock().map(|chunks| chunks.recv()) else {
                        return;
                    };
                    let Ok((number, chunk)) = next else { return };
                    let done = catch_unwind(AssertUnwindSafe(|| evaluate(chunk)));
                    if to_writer.send((number, done)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(to_writer);
        let (mut read_count, mut written) = (0, 0);
        let mut finished = false;
        // Chunks evaluated before an earlier one, by number.
        let mut waiting = BTreeMap::new();
        loop {
            while !finished && read_count - written < IN_FLIGHT_PER_JOB * jobs as u64 {
                match read()? {
                    Some(chunk) => {
                        to_workers
                            .send((read_count, chunk))
                            .map_err(|_| stopped())?;
                        read_count += 1;
                    }
                    None => finished = true,
                }
            }
            if written == read_count {
                return Ok(());
            }
            // A chunk nobody has started is evaluated here; otherwise wait for a worker. A
            // worker waits for chunks holding the lock, so the lock is only tried: blocking on
            // it while the queue is empty would wait for ever.
            let queued = chunks
                .try_lock()
                .ok()
                .and_then(|chunks| chunks.try_recv().ok());
            let (number, done) = match queued {
                Some((number, chunk)) => (number, Ok(evaluate(chunk))),
                None => results.recv().map_err(|_| stopped())?,
            };
            waiting.insert(number, done.unwrap_or_else(|panic| resume_unwind(panic)));
            while let Ok((number, done)) = results.try_recv() {
                waiting.insert(number, done.unwrap_or_else(|panic| resume_unwind(panic)));
            }
            while let Some(done) = waiting.remove(&written) {
                write(done)?;
                written += 1;
            }
        }
    })
}

/// What evaluating a row needs, shared by every thread.
struct Evaluator<'a> {
    policy: &'a Policy,
    parser: Parser,
    reference: &'a ReferenceData,
    today: Date,
}

impl Evaluator<'_> {
    /// Evaluates the rows of a chunk.
    fn chunk(&self, chunk: Chunk) -> Done {
        let mut done = Done {
            json: String::with_capacity(4 * CHUNK_ROWS_BYTES as usize),
            tally: Tally::new(self.policy.rule_names().len()),
            end: chunk.end,
        };
        for (line, row) in &chunk.rows {
            let input = self.parser.parse(self.policy, row);
            self.row(*line, input, &mut done);
        }
        done
    }

    /// Evaluates one row: its output line is added to `done`, with its counts.
    fn row(&self, line: u64, input: Result<Value, InputErrors>, done: &mut Done) {
        let result = (self.policy).evaluate_validated(input, Ok(self.reference), self.today);
        match result {
            Ok(report) => {
                done.tally.report(&report);
                report.write_json(&mut done.json);
            }
            Err(error) => {
                done.tally.rows += 1;
                match error {
                    EvaluateError::Input(_) => done.tally.errors += 1,
                    EvaluateError::Eval(_) => done.tally.stopped += 1,
                }
                let mut json = error.to_json();
                if let Some(object) = json.as_object_mut() {
                    object.insert("line".to_owned(), line.into());
                }
                let _ = write!(done.json, "{json}");
            }
        }
        done.json.push('\n');
    }
}

/// Where the results go, in input order.
struct Output<W: Write> {
    out: W,
    progress: Progress,
    tally: Tally,
}

impl<W: Write> Output<W> {
    fn write(&mut self, done: Done) -> Result<(), CliError> {
        self.tally.add(&done.tally);
        self.out
            .write_all(done.json.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|error| CliError(format!("cannot write output: {error}")))?;
        self.progress.update(done.end, self.tally.rows);
        Ok(())
    }
}

/// The rows of a JSON Lines file: one record a line.
struct JsonLines<'a, R> {
    reader: R,
    path: &'a Path,
    limits: &'a Limits,
    /// The line being read.
    line: Vec<u8>,
    /// Lines read so far.
    number: u64,
    /// Bytes read so far.
    consumed: u64,
}

impl<'a, R: BufRead> JsonLines<'a, R> {
    fn new(reader: R, path: &'a Path, limits: &'a Limits) -> JsonLines<'a, R> {
        JsonLines {
            reader,
            path,
            limits,
            line: Vec::new(),
            number: 0,
            consumed: 0,
        }
    }

    /// The next chunk of rows; `None` at the end of the file.
    fn chunk(&mut self) -> Result<Option<Chunk>, CliError> {
        let start = self.consumed;
        let mut rows = Vec::new();
        while self.consumed - start < CHUNK_ROWS_BYTES {
            match self.row()? {
                Some(row) => rows.push(row),
                None => break,
            }
        }
        Ok((!rows.is_empty()).then_some(Chunk {
            rows,
            end: self.consumed,
        }))
    }

    /// The next record with its line number; `None` at the end of the file.
    fn row(&mut self) -> Result<Option<Row>, CliError> {
        let limit = self.limits.max_input_bytes;
        let line = &mut self.line;
        loop {
            line.clear();
            let io = |error| CliError::io(self.path, &error);
            // At most one byte over the limit and the newline are kept: a huge line is refused
            // without loading it.
            let read = (&mut self.reader)
                .take(limit as u64 + 2)
                .read_until(b'\n', line)
                .map_err(io)?;
            if read == 0 {
                return Ok(None);
            }
            let mut newline = line.last() == Some(&b'\n');
            if newline {
                line.pop();
            }
            // The record's bytes, its newline not included.
            let mut size = line.len() as u64;
            if !newline && line.len() > limit {
                let (rest, ended) = skip_line(&mut self.reader).map_err(io)?;
                (size, newline) = (size + rest, ended);
            }
            self.number += 1;
            self.consumed += size + u64::from(newline);
            // Blank lines are not records (a trailing newline, a spacer between records).
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = if line.len() > limit {
                Err(InputErrors::too_large("$", size, self.limits))
            } else {
                Ok(RowText::Json(line.clone()))
            };
            return Ok(Some((self.number, text)));
        }
    }
}

/// The rows of a CSV file, after its header.
struct CsvRows<'a, R> {
    reader: csv::Reader<LineStarts<R>>,
    path: &'a Path,
    header: csv::StringRecord,
    /// The row being read.
    row: csv::StringRecord,
}

impl<'a, R: Read> CsvRows<'a, R> {
    /// Reads the header.
    fn new(reader: R, path: &'a Path) -> Result<CsvRows<'a, R>, CliError> {
        let mut reader = csv::Reader::from_reader(LineStarts::new(reader));
        let header = (reader.headers().map_err(|error| csv_error(path, &error))?).clone();
        let row = csv::StringRecord::new();
        Ok(CsvRows {
            reader,
            path,
            header,
            row,
        })
    }

    /// The next chunk of rows; `None` at the end of the file.
    fn chunk(&mut self) -> Result<Option<Chunk>, CliError> {
        let start = self.reader.position().byte();
        let mut rows = Vec::new();
        while self.reader.position().byte() - start < CHUNK_ROWS_BYTES {
            let (start, record) = match self.reader.read_record(&mut self.row) {
                Ok(false) => break,
                Ok(true) => (
                    self.row.position().cloned(),
                    Ok(RowText::Csv(self.row.clone())),
                ),
                Err(error) if matches!(error.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(csv_error(self.path, &error));
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
                Some(start) => self.reader.get_mut().line_at(start.byte()),
                None => None,
            };
            let line = line.unwrap_or_else(|| self.reader.position().line());
            rows.push((line, record));
        }
        Ok((!rows.is_empty()).then(|| Chunk {
            rows,
            end: self.reader.position().byte(),
        }))
    }
}

/// Rows of a sheet evaluated together (the sheet is read whole first).
const SHEET_CHUNK_ROWS: usize = 512;

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
    /// Failed rules with verdict `warn`, over all records.
    warnings: u64,
    /// Per input path, the records whose report lists it as missing.
    missing: BTreeMap<String, u64>,
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
            warnings: 0,
            missing: BTreeMap::new(),
        }
    }

    fn report(&mut self, report: &procura::Report) {
        self.rows += 1;
        if let Some(i) = DECISIONS.iter().position(|d| *d == report.decision) {
            self.decisions[i] += 1;
        }
        for (count, rule) in self.failures.iter_mut().zip(&report.rules) {
            *count += u64::from(rule.outcome == Outcome::Failed);
            self.warnings += u64::from(rule.verdict == Some(Verdict::Warn));
        }
        for path in &report.missing {
            add_count(&mut self.missing, path, 1);
        }
    }

    /// Adds the counts of another part of the batch.
    fn add(&mut self, other: &Tally) {
        self.rows += other.rows;
        self.errors += other.errors;
        self.stopped += other.stopped;
        for (count, more) in self.decisions.iter_mut().zip(other.decisions) {
            *count += more;
        }
        for (count, more) in self.failures.iter_mut().zip(&other.failures) {
            *count += more;
        }
        self.warnings += other.warnings;
        for (path, more) in &other.missing {
            add_count(&mut self.missing, path, *more);
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
        let failing = policy.rule_names().zip(self.failures.iter().copied());
        print_most_frequent("most frequent failing rules", failing);
        if self.warnings > 0 {
            eprintln!(
                "{} warnings (failed rules with verdict warn)",
                self.warnings
            );
        }
        let missing = self
            .missing
            .iter()
            .map(|(path, count)| (path.as_str(), *count));
        print_most_frequent("most frequent missing fields", missing);
    }
}

fn add_count(counts: &mut BTreeMap<String, u64>, name: &str, count: u64) {
    match counts.get_mut(name) {
        Some(total) => *total += count,
        None => {
            counts.insert(name.to_owned(), count);
        }
    }
}

/// `title: name (count), ...` of the five largest counts, on stderr; nothing when all are 0.
fn print_most_frequent<'a>(title: &str, counts: impl IntoIterator<Item = (&'a str, u64)>) {
    let top: Vec<String> = most_frequent(counts, 5)
        .iter()
        .map(|(name, count)| format!("{name} ({count})"))
        .collect();
    if !top.is_empty() {
        eprintln!("{title}: {}", top.join(", "));
    }
}

/// The `n` largest counts above 0, largest first, then by name.
pub fn most_frequent<'a>(
    counts: impl IntoIterator<Item = (&'a str, u64)>,
    n: usize,
) -> Vec<(&'a str, u64)> {
    let mut counts: Vec<(&str, u64)> = counts.into_iter().filter(|(_, c)| *c > 0).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    counts.truncate(n);
    counts
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
