//! Apache httpd configuration (httpd.conf, apache2.conf, `sites-*/*.conf`): directives with their
//! byte ranges and the sections (`<VirtualHost>`, `<IfModule>`) around them.
//!
//! Directive names are case-insensitive in Apache; they are kept as written and compared with
//! [`Directive::is`].
use std::ops::Range;

use super::words::{self, Word, WordsError};

/// One directive, e.g. `GracefulShutdownTimeout 20`.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: String,
    pub args: Vec<Word>,
    pub range: Range<usize>,
    /// Enclosing section names, outermost first (`["IfModule", "VirtualHost"]`).
    pub sections: Vec<String>,
}

impl Directive {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Deeper than any real configuration; keeps hostile input bounded.
const MAX_DEPTH: usize = 64;

/// Parses Apache configuration text. Unbalanced sections are tolerated (a file may be included
/// into another), an unterminated quote is an error.
pub fn parse(text: &str) -> Result<Vec<Directive>, WordsError> {
    let mut out = Vec::new();
    let mut sections: Vec<String> = Vec::new();
    for line in words::lines(text, true)? {
        let (first, range) = &line[0];
        if let Some(closing) = first.strip_prefix("</") {
            let name = closing.trim_end_matches('>');
            if let Some(at) = sections.iter().rposition(|s| s.eq_ignore_ascii_case(name)) {
                sections.truncate(at);
            }
            continue;
        }
        if let Some(opening) = first.strip_prefix('<') {
            if sections.len() >= MAX_DEPTH {
                return Err(WordsError {
                    offset: range.start,
                    message: format!("sections nested more than {MAX_DEPTH} deep"),
                });
            }
            sections.push(opening.trim_end_matches('>').to_string());
            continue;
        }
        let end = line.last().map_or(range.end, |(_, r)| r.end);
        out.push(Directive {
            name: first.clone(),
            args: line[1..].to_vec(),
            range: range.start..end,
            sections: sections.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_and_sections() {
        let text = "GracefulShutdownTimeout 20\n<VirtualHost *:80>\n  <FilesMatch \\.php$>\n    SetHandler \"proxy:fcgi://127.0.0.1:9000\"\n  </FilesMatch>\n</VirtualHost>\nListen 80\n";
        let d = parse(text).unwrap();
        assert_eq!(d.len(), 3);
        assert!(d[0].is("gracefulshutdowntimeout"));
        assert_eq!(&text[d[0].range.clone()], "GracefulShutdownTimeout 20");
        assert_eq!(d[1].sections, ["VirtualHost", "FilesMatch"]);
        assert_eq!(d[1].args[0].0, "proxy:fcgi://127.0.0.1:9000");
        assert!(d[2].sections.is_empty());
    }
}
