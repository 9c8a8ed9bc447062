//! A YAML tree that remembers where every node is.
//!
//! serde_yaml throws positions away, so this builds its own small tree from `yaml-rust2`'s marked
//! events. Each node keeps the byte range of its first token; scalars span their text. Multi-document
//! streams become one tree per document.
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
    let mut builder =
        Builder { file, source, stack: Vec::new(), docs: Vec::new(), anchors: HashMap::new() };
    let mut parser = Parser::new_from_str(&source.text);
    // The parser asserts on some malformed streams; a panic there must become a parse error.
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.load(&mut builder, true)));
    match outcome {
        Ok(Ok(())) => Ok(builder.docs),
        Ok(Err(e)) => {
            let m = e.marker();
            Err(YamlError {
                offset: source.offset_of(m.line(), m.col()),
                message: e.info().to_string(),
            })
        }
        Err(_) => Err(YamlError { offset: 0, message: "malformed YAML stream".into() }),
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
    anchors: HashMap<usize, Node>,
}

impl Builder<'_> {
    fn offset(&self, mark: Marker) -> usize {
        self.source.offset_of(mark.line(), mark.col())
    }

    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
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
                let node = self.anchors.get(&id).cloned().unwrap_or(Node {
                    value: Value::Null,
                    span: Span::new(self.file, start, start),
                });
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
    fn helm_sections_end_at_separators() {
        let src = SourceFile::new("o.yaml".into(), "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n".into());
        let s = helm_sections(&src);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].chart_path, "c/templates/a.yaml");
        assert_eq!(&src.text[s[0].start..s[0].end], "kind: A\n");
        assert_eq!(s[1].comment_line, 5);
    }
}
