//! Source files held in memory, and byte spans that resolve to `file:line:col`.
//!
//! Every parser in this crate records byte offsets into the file it read; only the reporters turn
//! them into lines and columns, so positions stay exact and cheap until a finding needs them.

/// Index of a file in [`Sources`].
pub type FileId = usize;

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end: end.max(start) }
    }
}

/// A 1-based line and column (columns count characters, as editors and SARIF viewers do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One file that was read, with the start of every line for position look-ups.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as found while walking a directory); `-` for stdin.
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { path, text, line_starts }
    }

    /// Line and column of a byte offset (clamped into the file).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        LineCol { line, column }
    }

    /// Byte offset of a 1-based line and a 0-based character column, clamped to that line.
    pub fn offset_of(&self, line: usize, char_col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let end = self.line_end(start);
        let line_text = &self.text[start..end];
        let within = line_text.char_indices().nth(char_col).map_or(line_text.len(), |(i, _)| i);
        start + within
    }

    /// Byte offset of the end of the line containing `offset` (before its newline).
    pub fn line_end(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        // The next line's start, found by binary search: long lines must not make this linear.
        let next = self.line_starts.partition_point(|&s| s <= offset);
        match self.line_starts.get(next) {
            Some(&start) => start - 1,
            None => self.text.len(),
        }
    }

    /// Number of lines in the file.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(self.text.len())
    }

    /// The text of a 1-based line, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line);
        &self.text[start..self.line_end(start)]
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// All files read in one run.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: String, text: String) -> FileId {
        self.files.push(SourceFile::new(path, text));
        self.files.len() - 1
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let f = SourceFile::new("x".into(), "ab\ncdé\nf".into());
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(4), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(8), LineCol { line: 3, column: 1 });
        assert_eq!(f.offset_of(2, 2), 5);
        assert_eq!(f.line_text(2), "cdé");
    }
}
