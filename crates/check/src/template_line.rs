//! Which line of a Helm template wrote a line of its rendered output, so a finding in a chart
//! lameduck rendered points at the template line to edit.
//!
//! A template line is a pattern: its literal text must appear in the rendered line, in order,
//! and each `{{ … }}` stands for any text (`- name: {{ include "x.fullname" . }}-fpm` wrote
//! `- name: shop-fpm`, not `- name: shop-nginx`). Lines written by a helper, `toYaml` or a
//! `{{- range }}` body match nothing or several; several are told apart by the nearest line
//! above that matches one template line only.
use crate::source::LineCol;

/// The template line (start and end) that wrote the last of `rendered`, the lines of its
/// section up to the one to place; `column` is the finding's column in that rendered line.
pub fn place(template: &str, rendered: &[&str], column: usize) -> Option<(LineCol, LineCol)> {
    let (target, above) = rendered.split_last()?;
    let lines: Vec<&str> = template.lines().collect();
    let patterns: Vec<Option<Pattern>> = lines.iter().map(|l| Pattern::new(l.trim())).collect();
    // The template lines that can have written `line`, only those with the most literal text
    // kept: `image: "{{ … }}:{{ … }}"` wrote `image: "app:1"` rather than `image: {{ … }}`.
    let writers = |line: &str| -> Vec<usize> {
        let line = line.trim();
        let found: Vec<(usize, usize)> = patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().filter(|p| p.matches(line)).map(|p| (i, p.literal())))
            .collect();
        let most = found.iter().map(|&(_, literal)| literal).max().unwrap_or(0);
        found.into_iter().filter(|&(_, literal)| literal == most).map(|(i, _)| i).collect()
    };
    let candidates = writers(target);
    let index = match candidates[..] {
        [] => return None,
        [only] => only,
        _ => {
            // The nearest line above written by one template line only: the target's writer is
            // the first candidate after it.
            let anchor = above.iter().rev().find_map(|l| match writers(l)[..] {
                [only] => Some(only),
                _ => None,
            });
            let after = anchor.and_then(|a| candidates.iter().copied().find(|&c| c > a));
            after.unwrap_or(candidates[0])
        }
    };
    Some(columns(lines[index], index + 1, target, column))
}

/// Start and end of the placed line, the start moved by the target's indentation.
fn columns(line: &str, number: usize, target: &str, column: usize) -> (LineCol, LineCol) {
    let indent = line.len() - line.trim_start().len();
    let target_indent = target.len() - target.trim_start().len();
    let width = line.trim().chars().count();
    let within = column.saturating_sub(target_indent + 1).min(width);
    let start = LineCol { line: number, column: indent + within + 1 };
    (start, LineCol { line: number, column: indent + width + 1 })
}

/// A template line's literal text around its `{{ … }}` actions.
struct Pattern<'a> {
    pieces: Vec<&'a str>,
}

impl<'a> Pattern<'a> {
    /// `None` for a line with no literal word: an action alone (`{{- end }}`) writes anything.
    fn new(line: &'a str) -> Option<Pattern<'a>> {
        let mut pieces = Vec::new();
        let mut rest = line;
        while let Some(open) = rest.find("{{") {
            pieces.push(&rest[..open]);
            rest = rest[open..].find("}}").map_or("", |close| &rest[open + close + 2..]);
        }
        pieces.push(rest);
        let worded = pieces.iter().any(|p| p.chars().any(char::is_alphanumeric));
        worded.then_some(Pattern { pieces })
    }

    /// How much literal text the pattern holds: the more, the surer a match.
    fn literal(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum()
    }

    fn matches(&self, line: &str) -> bool {
        let [first, middle @ .., last] = &self.pieces[..] else {
            return self.pieces.first().is_some_and(|only| *only == line);
        };
        let Some(mut rest) = line.strip_prefix(first) else { return false };
        for piece in middle {
            let Some(at) = rest.find(piece) else { return false };
            rest = &rest[at + piece.len()..];
        }
        rest.ends_with(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "\
spec:
  containers:
    - name: {{ include \"shop.fullname\" . }}-nginx
      image: {{ .Values.nginx.image }}
      volumeMounts:
        - name: share
    - name: {{ include \"shop.fullname\" . }}-fpm
      image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"
      volumeMounts:
        - name: share
      {{- toYaml .Values.resources | nindent 6 }}
";

    fn line(rendered: &[&str], column: usize) -> Option<(usize, usize)> {
        place(TEMPLATE, rendered, column).map(|(start, _)| (start.line, start.column))
    }

    #[test]
    fn a_templated_line_is_found_by_its_literal_text() {
        assert_eq!(line(&["    - name: shop-fpm"], 13), Some((7, 13)));
        assert_eq!(line(&["    - name: shop-nginx"], 13), Some((3, 13)));
        assert_eq!(line(&["      image: \"registry/app:2.3\""], 14), Some((8, 14)));
    }

    #[test]
    fn a_line_written_twice_is_told_apart_by_the_lines_above() {
        let nginx = ["    - name: shop-nginx", "      volumeMounts:", "        - name: share"];
        assert_eq!(line(&nginx, 11), Some((6, 11)));
        let fpm = ["    - name: shop-fpm", "      image: \"a:b\"", "        - name: share"];
        assert_eq!(line(&fpm, 11), Some((10, 11)));
    }

    #[test]
    fn a_value_written_by_an_action_is_found_by_the_text_around_it() {
        assert_eq!(line(&["      image: nginx:1.27"], 14), Some((4, 14)));
        // The same key with other literal text is another line, not this one's writer.
        assert_eq!(line(&["      volumeMounts: []"], 7), None);
    }

    #[test]
    fn lines_the_template_does_not_have_are_not_placed() {
        // Written by a helper (`include`) or `toYaml`, not by a line of this template.
        assert_eq!(line(&["    app.kubernetes.io/name: shop"], 5), None);
        assert_eq!(line(&["        - name: nginx"], 11), None);
        assert_eq!(line(&["      limits: {}"], 7), None);
        assert_eq!(line(&["   "], 1), None);
        assert_eq!(line(&[], 1), None);
    }
}
