//! Caddyfile: directives with their byte ranges, and whether they sit in the global options block
//! (the `{ … }` block that opens the file, where `grace_period` and `shutdown_delay` go).
use std::ops::Range;

use super::words::{self, Word, WordsError};

/// One directive line, e.g. `php_fastcgi 127.0.0.1:9000` or `grace_period 10s`.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: String,
    pub args: Vec<Word>,
    pub range: Range<usize>,
    /// In the global options block.
    pub global: bool,
}

/// Deeper than any real configuration; keeps hostile input bounded.
const MAX_DEPTH: usize = 64;

/// Parses a Caddyfile. Unbalanced braces are an error, as in Caddy.
pub fn parse(text: &str) -> Result<Vec<Directive>, WordsError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut global_open = false;
    let mut seen_anything = false;
    for line in words::lines(text, false)? {
        let (first, range) = &line[0];
        if first == "}" {
            if depth == 0 {
                return Err(WordsError { offset: range.start, message: "`}` without `{`".into() });
            }
            depth -= 1;
            if depth == 0 {
                global_open = false;
            }
            continue;
        }
        if first == "{" && line.len() == 1 && !seen_anything {
            global_open = true;
            depth += 1;
            seen_anything = true;
            continue;
        }
        seen_anything = true;
        let opens = line.last().is_some_and(|(w, _)| w == "{");
        let words = if opens { &line[..line.len() - 1] } else { &line[..] };
        if let Some(((name, first_range), args)) = words.split_first() {
            let end = words.last().map_or(first_range.end, |(_, r)| r.end);
            out.push(Directive {
                name: name.clone(),
                args: args.to_vec(),
                range: first_range.start..end,
                global: global_open && depth == 1,
            });
        }
        if opens {
            if depth >= MAX_DEPTH {
                return Err(WordsError {
                    offset: range.start,
                    message: format!("blocks nested more than {MAX_DEPTH} deep"),
                });
            }
            depth += 1;
        }
    }
    if depth > 0 {
        return Err(WordsError { offset: text.len(), message: "a `{` block is not closed".into() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_options_and_sites() {
        let text = "# c\n{\n\tgrace_period 10s\n\tservers {\n\t\tprotocols h1\n\t}\n}\n:80 {\n\troot * /srv\n\tphp_fastcgi 127.0.0.1:9000\n}\n";
        let d = parse(text).unwrap();
        let grace = d.iter().find(|d| d.name == "grace_period").unwrap();
        assert!(grace.global);
        assert_eq!(&text[grace.range.clone()], "grace_period 10s");
        assert!(!d.iter().find(|d| d.name == "protocols").unwrap().global);
        let php = d.iter().find(|d| d.name == "php_fastcgi").unwrap();
        assert!(!php.global);
        assert_eq!(php.args[0].0, "127.0.0.1:9000");
        assert!(parse(":80 {\n").is_err());
        assert!(parse("}\n").is_err());
        // A site block first: no global options.
        assert!(!parse(":80 {\n grace_period 1s\n}\n").unwrap()[1].global);
    }
}
