//! A cheap linear pre-scan that runs before pest: it cuts the source into regions at lines that
//! start an item and measures how deeply each region nests.
//!
//! pest parses recursively, so nesting it would overflow a small stack (WebAssembly has about
//! 1 MiB) must be refused before pest sees it. The scanner lexes the way the grammar does:
//! comments, template strings with `{expr}` interpolation, JSON after `given`/`data` and
//! `expect score|value NAME =` (where braces inside strings mean nothing), and `if` conditions,
//! which recurse in the grammar. A region's depth is an upper bound of pest's recursion on it.
//! Lexing comments anyway, it records where each one is (`Scan::comments`).
//!
//! Architecture invariant: a region never ends inside text that pest could consume as part of
//! the item before it. Names exclude reserved words, strings cannot span lines, and the only
//! item keywords that may follow another token are `expect rule` and `expect score`, which the
//! scanner recognises.

use super::MAX_NESTING;

/// A stretch of source that starts at an item keyword (or at the start of the source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Region {
    pub start: usize,
    pub end: usize,
    /// Where the nesting first went beyond `MAX_NESTING`.
    pub too_deep: Option<usize>,
}

/// The words that start an item when they begin a line.
pub(super) const ITEM_KEYWORDS: [&str; 10] = [
    "policy", "input", "type", "const", "table", "let", "score", "rule", "example", "import",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// `(`, `[` or `{` in code.
    Bracket,
    /// An `if` waiting for its `else`.
    If,
    /// `{` inside a template string.
    Interpolation,
    /// Inside a template string.
    Str,
    /// `{` or `[` of a JSON value.
    Json,
}

/// What the previous significant tokens announce about JSON to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Nothing,
    /// After `given` or `data`: a `{` opens a JSON object.
    JsonObject,
    /// After `expect`.
    Expect,
    /// After `expect score` or `expect value`.
    ExpectName,
    /// After `expect score NAME`.
    ExpectEquals,
    /// After `expect score NAME =`: a JSON value follows.
    JsonValue,
}

struct Scanner<'s> {
    bytes: &'s [u8],
    frames: Vec<Frame>,
    /// Frames other than `Str`, which cost pest no recursion of their own.
    depth: usize,
    pending: Pending,
    /// Set once pest cannot get further in this region (an unterminated string) or the depth
    /// limit was hit: the rest of the region only matters for finding the next item.
    dead: bool,
    regions: Vec<Region>,
    current: Region,
    json_objects: Vec<usize>,
    comments: Vec<(usize, usize)>,
}

/// What the pre-scan finds: regions and where the JSON objects of `given` and `data` start.
pub(super) struct Scan {
    /// Every byte of the source belongs to exactly one region.
    pub regions: Vec<Region>,
    /// The `{` of each object after `given` or `data`, in source order.
    pub json_objects: Vec<usize>,
    /// Each comment's `#` and where its text ends (before the line break and trailing blanks),
    /// in source order; the comments of a region cut short by an error may be missing.
    pub comments: Vec<(usize, usize)>,
}

/// Splits `source` into regions and finds its JSON objects.
pub(super) fn scan(source: &str) -> Scan {
    let mut scanner = Scanner {
        bytes: source.as_bytes(),
        frames: Vec::new(),
        depth: 0,
        pending: Pending::Nothing,
        dead: false,
        regions: Vec::new(),
        current: Region {
            start: 0,
            end: 0,
            too_deep: None,
        },
        json_objects: Vec::new(),
        comments: Vec::new(),
    };
    scanner.run();
    Scan {
        regions: scanner.regions,
        json_objects: scanner.json_objects,
        comments: scanner.comments,
    }
}

/// Whether the line starting at `at` (after blanks) starts an item: an item keyword, blanks,
/// then a name or a title. Returns the keyword's position.
pub(super) fn item_start(bytes: &[u8], at: usize) -> Option<usize> {
    let start = skip_blanks(bytes, at);
    let end = word_end(bytes, start);
    let word = bytes.get(start..end)?;
    if !ITEM_KEYWORDS.iter().any(|k| k.as_bytes() == word) {
        return None;
    }
    let after = skip_blanks(bytes, end);
    let next = *bytes.get(after)?;
    // `import` is contextual: only a path makes it an item.
    let starts_name = (next.is_ascii_alphabetic() || next == b'_') && word != b"import";
    (after > end && (starts_name || next == b'"')).then_some(start)
}

fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\r')) {
        at += 1;
    }
    at
}

/// Where the first byte from `at` on that `stop` accepts is, or the end: the scanner skips
/// runs of bytes that change nothing in one step (line breaks always stop a run, as
/// `Scanner::run` handles them).
fn run_end(bytes: &[u8], at: usize, stop: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&c| stop(c)))
        .map_or(bytes.len(), |n| at + n)
}

pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(super) fn word_end(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|&b| is_word_byte(b)) {
        at += 1;
    }
    at
}

impl Scanner<'_> {
    fn run(&mut self) {
        let mut i = 0;
        self.line_start(0);
        while let Some(&b) = self.bytes.get(i) {
            if b == b'\n' {
                if self.frames.last() == Some(&Frame::Str) {
                    // An unterminated string: pest stops here.
                    self.dead = true;
                }
                i += 1;
                self.line_start(i);
                continue;
            }
            if self.dead {
                i = run_end(self.bytes, i, |c| c == b'\n');
                continue;
            }
            i = match self.frames.last() {
                Some(Frame::Str) => self.in_string(i, b),
                Some(Frame::Json) => self.in_json(i, b),
                _ => self.in_code(i, b),
            };
        }
        self.current.end = self.bytes.len();
        self.regions.push(self.current);
    }

    fn line_start(&mut self, at: usize) {
        if self.pending == Pending::Expect {
            return;
        }
        if let Some(start) = item_start(self.bytes, at) {
            if start > self.current.start {
                self.current.end = start;
                self.regions.push(self.current);
            }
            self.current = Region {
                start,
                end: start,
                too_deep: None,
            };
            self.frames.clear();
            self.depth = 0;
            self.pending = Pending::Nothing;
            self.dead = false;
        }
    }

    fn push(&mut self, frame: Frame, at: usize) {
        self.frames.push(frame);
        if frame != Frame::Str {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                self.current.too_deep = Some(at);
                self.dead = true;
            }
        }
    }

    fn pop(&mut self) -> Option<Frame> {
        let frame = self.frames.pop()?;
        if frame != Frame::Str {
            self.depth -= 1;
        }
        Some(frame)
    }

    fn in_string(&mut self, i: usize, b: u8) -> usize {
        match b {
            b'\\' if self.bytes.get(i + 1).is_some_and(|&n| n != b'\n') => i + 2,
            b'"' => {
                self.pop();
                i + 1
            }
            b'{' => {
                self.push(Frame::Interpolation, i);
                i + 1
            }
            _ => run_end(self.bytes, i + 1, |c| {
                matches!(c, b'\\' | b'"' | b'{' | b'\n')
            }),
        }
    }

    fn in_json(&mut self, i: usize, b: u8) -> usize {
        match b {
            b'"' => self.skip_json_string(i),
            b'{' | b'[' => {
                self.push(Frame::Json, i);
                i + 1
            }
            b'}' | b']' => {
                self.pop();
                i + 1
            }
            _ => run_end(self.bytes, i + 1, |c| {
                matches!(c, b'"' | b'{' | b'[' | b'}' | b']' | b'\n')
            }),
        }
    }

    /// Skips a JSON string starting at the quote at `i`; a line break ends the region's hope.
    fn skip_json_string(&mut self, i: usize) -> usize {
        let mut j = i + 1;
        while let Some(&c) = self.bytes.get(j) {
            match c {
                b'"' => return j + 1,
                b'\n' => {
                    self.dead = true;
                    return j;
                }
                b'\\' if self.bytes.get(j + 1).is_some_and(|&n| n != b'\n') => j += 2,
                _ => j += 1,
            }
        }
        j
    }

    fn in_code(&mut self, i: usize, b: u8) -> usize {
        if b.is_ascii_whitespace() {
            return run_end(self.bytes, i + 1, |c| {
                c == b'\n' || !c.is_ascii_whitespace()
            });
        }
        if b == b'#' {
            let end = run_end(self.bytes, i, |c| c == b'\n');
            let text = self.bytes.get(i..end).unwrap_or_default();
            let blanks = text
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_whitespace())
                .count();
            self.comments.push((i, end - blanks));
            return end;
        }
        let pending = std::mem::replace(&mut self.pending, Pending::Nothing);
        match b {
            b'"' if pending == Pending::JsonValue => self.skip_json_string(i),
            b'"' => {
                self.push(Frame::Str, i);
                i + 1
            }
            b'{' | b'[' if pending == Pending::JsonValue => {
                self.push(Frame::Json, i);
                i + 1
            }
            b'{' if pending == Pending::JsonObject => {
                self.json_objects.push(i);
                self.push(Frame::Json, i);
                i + 1
            }
            b'(' | b'[' | b'{' => {
                self.push(Frame::Bracket, i);
                i + 1
            }
            b')' | b']' | b'}' => {
                while let Some(frame) = self.pop() {
                    if matches!(frame, Frame::Bracket | Frame::Interpolation) {
                        break;
                    }
                }
                i + 1
            }
            b'=' if pending == Pending::ExpectEquals => {
                self.pending = Pending::JsonValue;
                i + 1
            }
            _ if is_word_byte(b) => {
                let bytes = self.bytes;
                let end = word_end(bytes, i);
                // A raw string's `{`, `\\` and `#` are text: skip it whole (to its line's end
                // when it is left open).
                if end == i + 1 && b == b'r' && bytes.get(end) == Some(&b'"') {
                    let close = run_end(bytes, end + 1, |c| matches!(c, b'"' | b'\n'));
                    return if bytes.get(close) == Some(&b'"') {
                        close + 1
                    } else {
                        close
                    };
                }
                self.word(bytes.get(i..end).unwrap_or_default(), pending, i);
                end
            }
            _ => i + 1,
        }
    }

    fn word(&mut self, word: &[u8], pending: Pending, at: usize) {
        self.pending = match (word, pending) {
            (b"if", _) => {
                self.push(Frame::If, at);
                Pending::Nothing
            }
            (b"else", _) => {
                if self.frames.last() == Some(&Frame::If) {
                    self.pop();
                }
                Pending::Nothing
            }
            (b"given" | b"data", _) => Pending::JsonObject,
            (b"expect", _) => Pending::Expect,
            (b"score" | b"value" | b"evidence", Pending::Expect) => Pending::ExpectName,
            (b"missing", Pending::Expect) => Pending::ExpectEquals,
            (_, Pending::ExpectName) => Pending::ExpectEquals,
            _ => Pending::Nothing,
        };
    }
}
