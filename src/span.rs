//! Source positions: byte spans inside one policy source, and their translation into the
//! 1-based line/column pairs that users read (columns counted in Unicode characters) and that
//! editors speak (in UTF-16 code units), and back.

/// A half-open byte range `start..end` into the policy source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: clamp_u32(start),
            end: clamp_u32(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A 1-based line and column; the column counts Unicode scalar values, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// What a column counts: Unicode scalar values (diagnostics, the playground) or UTF-16 code
/// units (the language server protocol's positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Char,
    Utf16,
}

impl Unit {
    fn width(self, c: char) -> usize {
        match self {
            Unit::Char => 1,
            Unit::Utf16 => c.len_utf16(),
        }
    }
}

/// Maps byte offsets to line/column positions. Built once per source.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { line_starts }
    }

    /// Position of a byte offset; offsets past the end or inside a character are clamped.
    pub fn line_col(&self, source: &str, offset: usize) -> LineCol {
        self.line_col_in(source, offset, Unit::Char)
    }

    /// [`LineIndex::line_col`] with the column counted in `unit`s.
    pub fn line_col_in(&self, source: &str, offset: usize, unit: Unit) -> LineCol {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line(offset);
        let line_start = self.line_starts[line as usize - 1];
        let column: usize = source[line_start..offset]
            .chars()
            .map(|c| unit.width(c))
            .sum();
        LineCol {
            line,
            column: to_u32(column + 1),
        }
    }

    /// The byte offset at which 1-based line `line` starts.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.line_starts
            .get((line as usize).checked_sub(1)?)
            .copied()
    }

    /// The byte offset of a position, the inverse of [`LineIndex::line_col`]: a line past the
    /// last is the end of the source, a column past the end of its line is the line's end.
    pub fn offset(&self, source: &str, at: LineCol) -> usize {
        self.offset_in(source, at, Unit::Char)
    }

    /// [`LineIndex::offset`] of a column counted in `unit`s; a column inside a character (half
    /// of a UTF-16 surrogate pair) is the character's end.
    pub fn offset_in(&self, source: &str, at: LineCol, unit: Unit) -> usize {
        let Some(start) = self.line_start(at.line.max(1)) else {
            return source.len();
        };
        let line = source[start..].split('\n').next().unwrap_or("");
        let column = (at.column as usize).saturating_sub(1);
        let mut counted = 0;
        for (index, c) in line.char_indices() {
            if counted >= column {
                return start + index;
            }
            counted += unit.width(c);
        }
        start + line.len()
    }

    /// The 1-based line on which a byte offset lies.
    pub fn line(&self, offset: usize) -> u32 {
        to_u32(
            self.line_starts
                .partition_point(|&start| start <= offset)
                .max(1),
        )
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = "ab\nçé x\n";
        let index = LineIndex::new(src);
        assert_eq!(index.line_col(src, 0), LineCol { line: 1, column: 1 });
        let x = src.find('x').unwrap();
        assert_eq!(index.line_col(src, x), LineCol { line: 2, column: 4 });
        assert_eq!(
            index.line_col(src, src.len()),
            LineCol { line: 3, column: 1 }
        );
        for offset in [0, x, src.len()] {
            assert_eq!(index.offset(src, index.line_col(src, offset)), offset);
        }
        // Past the end of line 2 is its end, just before the last newline.
        let past_line = LineCol {
            line: 2,
            column: 99,
        };
        assert_eq!(index.offset(src, past_line), src.len() - 1);
        assert_eq!(index.offset(src, LineCol { line: 9, column: 1 }), src.len());
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_twice() {
        let src = "a\n😀é x\n";
        let index = LineIndex::new(src);
        let x = src.find('x').unwrap();
        let at = |column| LineCol { line: 2, column };
        assert_eq!(index.line_col_in(src, x, Unit::Utf16), at(5));
        assert_eq!(index.line_col_in(src, x, Unit::Char), at(4));
        assert_eq!(index.offset_in(src, at(5), Unit::Utf16), x);
        // Half of the pair is the character's end.
        assert_eq!(
            index.offset_in(src, at(2), Unit::Utf16),
            src.find('é').unwrap()
        );
        assert_eq!(index.offset_in(src, at(99), Unit::Utf16), src.len() - 1);
        for offset in 0..=src.len() {
            if src.is_char_boundary(offset) {
                let back = index.offset_in(
                    src,
                    index.line_col_in(src, offset, Unit::Utf16),
                    Unit::Utf16,
                );
                assert_eq!(back, offset);
            }
        }
    }
}
