//! A YAML tree that remembers where every node is.
//!
//! serde_yaml throws positions away, so this builds its own small tree from `yaml-rust2`'s marked
//! events. Each node keeps the byte range of its first token; scalars span their text. Multi-document
//! streams become one tree per document.
use std::cell::Cell;
use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::source::{FileId, SourceFile, Span};

/// The value of a node.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    /// A scalar's text; `quoted` tells `"5"` from `5`.
    Str {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// One node and where it starts.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node under `key`.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => {
                entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, v)| (k, v))
            }
            _ => None,
        }
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_map(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// An integer scalar (plain or quoted).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_str()?.trim().parse().ok()
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    /// A sequence of scalars, with each scalar's span.
    pub fn str_items(&self) -> Vec<(String, Span)> {
        self.as_seq().iter().filter_map(|n| n.as_str().map(|s| (s.to_string(), n.span))).collect()
    }
}

/// A YAML syntax error with the byte offset it was found at.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub offset: usize,
    pub message: String,
}

/// Parses every document of a stream. Empty documents are skipped.
pub fn parse_documents(file: FileId, source: &SourceFile) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder {
        file,
        source,
        stack: Vec::new(),
        docs: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        alias_bytes: 0,
        alias_byte_budget: alias_byte_budget(source.text.len()),
        overflow_at: 0,
        cursor: Cell::new((1, 0, 0)),
    };
    let mut parser = Parser::new_from_str(&source.text);
    // Events are pulled one at a time (the parser's `load` recurses per nesting level and can
    // overflow the stack on hostile input); nesting is capped here instead.
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), YamlError> {
            loop {
                let (event, mark) = parser.next_token().map_err(|e| {
                    let m = e.marker();
                    YamlError {
                        offset: source.offset_of(m.line(), m.col()),
                        message: e.info().to_string(),
                    }
                })?;
                if event == Event::StreamEnd {
                    return Ok(());
                }
                if builder.stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        offset: builder.offset(mark),
                        message: format!("nested more than {MAX_DEPTH} levels deep"),
                    });
                }
                builder.on_event(event, mark);
                if let Some(message) = builder.alias_overflow() {
                    return Err(YamlError { offset: builder.overflow_at, message });
                }
            }
        }));
    match outcome {
        Ok(Ok(())) => Ok(builder.docs),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(YamlError { offset: 0, message: "malformed YAML stream".into() }),
    }
}

/// Deeper than any manifest; guards the recursive walks over the tree.
const MAX_DEPTH: usize = 200;

/// More alias expansion than any manifest needs ("billion laughs" guard).
const MAX_ALIAS_NODES: usize = 1_000_000;

/// The floor of the alias byte budget: generous for any real manifest's anchors.
const MIN_ALIAS_BYTES: usize = 16 << 20;

/// Bytes of scalar text aliases may copy in a file of `input_len` bytes: ten times the file, at
/// least 16 MiB. Counting nodes alone lets one huge scalar, aliased many times, take gigabytes.
pub fn alias_byte_budget(input_len: usize) -> usize {
    input_len.saturating_mul(10).max(MIN_ALIAS_BYTES)
}

/// What an anchored node costs each time an alias copies it.
#[derive(Debug, Clone, Copy)]
struct Size {
    nodes: usize,
    /// Bytes of scalar text (keys and values).
    bytes: usize,
}

fn size_of(node: &Node) -> Size {
    let add = |a: Size, b: Size| Size { nodes: a.nodes + b.nodes, bytes: a.bytes + b.bytes };
    let one = Size { nodes: 1, bytes: 0 };
    match &node.value {
        Value::Seq(items) => items.iter().map(size_of).fold(one, add),
        Value::Map(entries) => {
            entries.iter().map(|(k, v)| add(size_of(k), size_of(v))).fold(one, add)
        }
        Value::Str { text, .. } => Size { nodes: 1, bytes: text.len() },
        Value::Null => one,
    }
}

enum Frame {
    Seq { items: Vec<Node>, span: Span, anchor: usize },
    Map { entries: Vec<(Node, Node)>, pending_key: Option<Node>, span: Span, anchor: usize },
}

struct Builder<'a> {
    file: FileId,
    source: &'a SourceFile,
    stack: Vec<Frame>,
    docs: Vec<Node>,
    anchors: HashMap<usize, (Node, Size)>,
    /// Nodes and scalar bytes copied by aliases so far; capped so an alias bomb cannot exhaust
    /// memory.
    alias_nodes: usize,
    alias_bytes: usize,
    alias_byte_budget: usize,
    /// Where the alias that went over a budget is.
    overflow_at: usize,
    /// The last (line, char column, byte offset) converted: events come in order, so walking on
    /// from here keeps long lines linear instead of quadratic.
    cursor: Cell<(usize, usize, usize)>,
}

impl Builder<'_> {
    /// Why alias expansion must stop, once it has gone past a budget.
    fn alias_overflow(&self) -> Option<String> {
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Some(format!("aliases expand to more than {MAX_ALIAS_NODES} nodes"));
        }
        (self.alias_bytes > self.alias_byte_budget).then(|| {
            format!(
                "aliases expand to more than {} MiB of text (the limit is 10 times the file, at \
                 least 16 MiB): an alias bomb, or anchors worth writing out",
                self.alias_byte_budget >> 20
            )
        })
    }

    fn offset(&self, mark: Marker) -> usize {
        let (line, col, byte) = self.cursor.get();
        let offset = if mark.line() == line && mark.col() >= col {
            let rest = &self.source.text[byte..self.source.line_end(byte)];
            byte + rest.char_indices().nth(mark.col() - col).map_or(rest.len(), |(i, _)| i)
        } else {
            self.source.offset_of(mark.line(), mark.col())
        };
        self.cursor.set((mark.line(), mark.col(), offset));
        offset
    }

    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let size = size_of(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => {
                if !matches!(node.value, Value::Null) {
                    self.docs.push(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, pending_key, .. }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let start = self.offset(mark);
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                let line_end = self.source.line_end(start);
                let len = if quoted { text.len() + 2 } else { text.len() };
                let span = Span::new(self.file, start, (start + len).min(line_end));
                let value =
                    if !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                        Value::Null
                    } else {
                        Value::Str { text, quoted }
                    };
                self.push_node(Node { value, span }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                let span = Span::new(self.file, start, self.source.line_end(start));
                self.stack.push(Frame::Seq { items: Vec::new(), span, anchor });
            }
            Event::MappingStart(anchor, _) => {
                let span = Span::new(self.file, start, self.source.line_end(start));
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    span,
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, span, anchor }) => {
                        (Node { value: Value::Seq(items), span }, anchor)
                    }
                    Some(Frame::Map { entries, span, anchor, .. }) => {
                        (Node { value: Value::Map(entries), span }, anchor)
                    }
                    None => return,
                };
                self.push_node(node, anchor);
            }
            Event::Alias(id) => {
                let size =
                    self.anchors.get(&id).map_or(Size { nodes: 1, bytes: 0 }, |(_, size)| *size);
                self.alias_nodes = self.alias_nodes.saturating_add(size.nodes);
                self.alias_bytes = self.alias_bytes.saturating_add(size.bytes);
                // Counted before the copy is made: the copy is what would exhaust memory.
                if self.alias_overflow().is_some() {
                    self.overflow_at = start;
                    return;
                }
                let node = self.anchors.get(&id).map_or(
                    Node { value: Value::Null, span: Span::new(self.file, start, start) },
                    |(node, _)| node.clone(),
                );
                self.push_node(node, 0);
            }
            Event::DocumentStart => self.anchors.clear(),
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
}

/// A `# Source: chart/templates/x.yaml` section of `helm template` output.
#[derive(Debug, Clone)]
pub struct HelmSection {
    /// The chart path named in the comment.
    pub chart_path: String,
    /// Line of the `# Source:` comment (1-based); template line N is rendered at `comment_line + N`.
    pub comment_line: usize,
    /// Byte range of the section after the comment, up to the next `---` or `# Source:`.
    pub start: usize,
    pub end: usize,
}

/// Finds the `# Source:` sections helm writes before each rendered template.
pub fn helm_sections(source: &SourceFile) -> Vec<HelmSection> {
    let mut sections: Vec<HelmSection> = Vec::new();
    let mut offset = 0;
    for (index, line) in source.text.split('\n').enumerate() {
        let line_start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim_end();
        let is_separator = trimmed == "---" || trimmed.starts_with("--- ");
        if let Some(path) = trimmed.strip_prefix("# Source: ") {
            if let Some(last) = sections.last_mut() {
                last.end = last.end.min(line_start);
            }
            sections.push(HelmSection {
                chart_path: path.trim().to_string(),
                comment_line: index + 1,
                start: offset.min(source.text.len()),
                end: source.text.len(),
            });
        } else if is_separator {
            if let Some(last) = sections.last_mut() {
                if last.end == source.text.len() {
                    last.end = line_start;
                }
            }
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_lines() {
        let src = SourceFile::new(
            "x.yaml".into(),
            "a: 1\n---\nkind: Pod\nspec:\n  x: [1, \"two\"]\n".into(),
        );
        let docs = parse_documents(0, &src).unwrap();
        assert_eq!(docs.len(), 2);
        let x = docs[1].path(&["spec", "x"]).unwrap();
        let two = &x.as_seq()[1];
        assert_eq!(two.as_str(), Some("two"));
        assert_eq!(src.line_col(two.span.start).line, 5);
        assert_eq!(src.line_col(two.span.start).column, 10);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let src = SourceFile::new("x.yaml".into(), "a: 1\nb: [\n".into());
        let err = parse_documents(0, &src).unwrap_err();
        assert!(err.offset > 0);
    }

    #[test]
    fn hostile_nesting_and_alias_bombs_are_errors() {
        let deep = SourceFile::new("d.yaml".into(), format!("{}x\n", "- ".repeat(5000)));
        assert!(parse_documents(0, &deep).unwrap_err().message.contains("nested"));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let bomb = SourceFile::new("b.yaml".into(), bomb);
        assert!(parse_documents(0, &bomb).unwrap_err().message.contains("aliases"));
    }

    #[test]
    fn one_big_scalar_aliased_many_times_hits_the_byte_budget() {
        // 1 MiB aliased 100 times is 100 MiB of copies from 1 MiB of file: over 16 MiB; the node
        // count (100) is far below its own guard.
        let big = "x".repeat(1 << 20);
        let refs = vec!["*s"; 100].join(",");
        let text = format!("k: &s \"{big}\"\nl: [{refs}]\n");
        let src = SourceFile::new("b.yaml".into(), text);
        let err = parse_documents(0, &src).unwrap_err();
        assert!(err.message.contains("MiB of text"), "{}", err.message);
        assert_eq!(src.line_col(err.offset).line, 2, "points at the alias that went over");
        // Within the budget, aliases are copied as before.
        let small = SourceFile::new("s.yaml".into(), "k: &s abc\nl: [*s, *s]\n".into());
        let docs = parse_documents(0, &small).unwrap();
        assert_eq!(docs[0].get("l").unwrap().str_items().len(), 2);
    }

    #[test]
    fn helm_sections_end_at_separators() {
        let src = SourceFile::new("o.yaml".into(), "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n".into());
        let s = helm_sections(&src);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].chart_path, "c/templates/a.yaml");
        assert_eq!(&src.text[s[0].start..s[0].end], "kind: A\n");
        assert_eq!(s[1].comment_line, 5);
    }
}
