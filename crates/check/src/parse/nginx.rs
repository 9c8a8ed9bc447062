//! nginx configuration: a flat list of directives with their block context and byte ranges.
//!
//! The checker needs only a few directives (`worker_shutdown_timeout`, `listen`, `fastcgi_pass`,
//! `include`), so this tokenizer keeps every directive but not the tree.
use std::ops::Range;

/// One directive, e.g. `worker_shutdown_timeout 10s;`.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub range: Range<usize>,
    /// Names of the enclosing blocks, outermost first (`["http", "server"]`).
    pub context: Vec<String>,
}

/// Unbalanced braces, an unterminated quote or a directive with no `;`.
#[derive(Debug, Clone)]
pub struct NginxError {
    pub offset: usize,
    pub message: String,
}

/// Deeper than any real configuration; keeps hostile input linear.
const MAX_DEPTH: usize = 64;

/// Parses nginx configuration text.
pub fn parse(text: &str) -> Result<Vec<Directive>, NginxError> {
    let tokens = tokenize(text)?;
    let mut out = Vec::new();
    let mut context: Vec<(String, usize)> = Vec::new();
    let mut words: Vec<(String, Range<usize>)> = Vec::new();
    for token in tokens {
        match token {
            Token::Word(word, range) => words.push((word, range)),
            Token::Semicolon(at) | Token::Open(at) => {
                let opens = matches!(token, Token::Open(_));
                let Some((name, first)) = words.first().cloned() else {
                    if opens {
                        return Err(NginxError {
                            offset: at,
                            message: "`{` without a directive name".into(),
                        });
                    }
                    words.clear();
                    continue;
                };
                out.push(Directive {
                    name: name.clone(),
                    args: words.iter().skip(1).map(|(w, _)| w.clone()).collect(),
                    range: first.start..at + 1,
                    context: context.iter().map(|(n, _)| n.clone()).collect(),
                });
                if opens {
                    if context.len() >= MAX_DEPTH {
                        return Err(NginxError {
                            offset: at,
                            message: format!("blocks nested more than {MAX_DEPTH} deep"),
                        });
                    }
                    context.push((name, at));
                }
                words.clear();
            }
            Token::Close(at) => {
                if !words.is_empty() {
                    return Err(NginxError {
                        offset: words[0].1.start,
                        message: "directive is missing its `;`".into(),
                    });
                }
                if context.pop().is_none() {
                    return Err(NginxError { offset: at, message: "unexpected `}`".into() });
                }
            }
        }
    }
    if let Some((word, range)) = words.first() {
        return Err(NginxError {
            offset: range.start,
            message: format!("directive `{word}` is missing its `;`"),
        });
    }
    if let Some((name, at)) = context.last() {
        return Err(NginxError {
            offset: *at,
            message: format!("block `{name}` is never closed with `}}`"),
        });
    }
    Ok(out)
}

enum Token {
    Word(String, Range<usize>),
    Semicolon(usize),
    Open(usize),
    Close(usize),
}

// Long because a state machine over nginx's lexical rules (quotes, escapes, variables, comments) in
// one loop.
fn tokenize(text: &str) -> Result<Vec<Token>, NginxError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b';' => {
                tokens.push(Token::Semicolon(i));
                i += 1;
            }
            b'{' => {
                tokens.push(Token::Open(i));
                i += 1;
            }
            b'}' => {
                tokens.push(Token::Close(i));
                i += 1;
            }
            b'"' | b'\'' => {
                let start = i;
                i += 1;
                let mut word = Vec::new();
                loop {
                    let Some(&b) = bytes.get(i) else {
                        return Err(NginxError {
                            offset: start,
                            message: "unterminated quoted string".into(),
                        });
                    };
                    i += 1;
                    if b == b'\\' && i < bytes.len() {
                        word.push(bytes[i]);
                        i += 1;
                    } else if b == c {
                        break;
                    } else {
                        word.push(b);
                    }
                }
                tokens.push(Token::Word(String::from_utf8_lossy(&word).into_owned(), start..i));
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}')
                {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if let Some(end) = placeholder_end(bytes, i) {
                        i = end; // `${host}`, or an envsubst template's `${PORT:-8080}`
                        continue;
                    }
                    i += 1;
                }
                let end = i.min(bytes.len());
                tokens.push(Token::Word(
                    String::from_utf8_lossy(&bytes[start..end]).into_owned(),
                    start..end,
                ));
            }
        }
    }
    Ok(tokens)
}

/// Where `${…}` starting at `at` ends (after its `}`), when it closes on the same line: nginx's
/// own `${var}`, and the placeholders of envsubst-style templates (`${NGINX_LISTEN:-8080}`),
/// whose braces are part of a word, not a block.
fn placeholder_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at..at + 2)? != b"${" {
        return None;
    }
    let close = bytes[at + 2..].iter().position(|&b| b == b'}' || b == b'\n' || b == b'{')?;
    (bytes[at + 2 + close] == b'}').then_some(at + 2 + close + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_with_context() {
        let text = "worker_shutdown_timeout 10s;\nhttp {\n  server { listen 80; location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; } }\n}\n";
        let d = parse(text).unwrap();
        assert_eq!(d[0].name, "worker_shutdown_timeout");
        assert_eq!(d[0].args, vec!["10s"]);
        let fcgi = d.iter().find(|d| d.name == "fastcgi_pass").unwrap();
        assert_eq!(fcgi.context, vec!["http", "server", "location"]);
        assert!(parse("http {\n").is_err());
        assert!(parse("}").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("a \"b;").is_err());
        assert!(parse(&"x {".repeat(10_000)).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn placeholders_are_words_not_blocks() {
        let d = parse("server {\n  listen ${NGINX_LISTEN:-8080} default_server;\n  return 301 https://${host}$uri;\n}\n").unwrap();
        assert_eq!(d[1].args, vec!["${NGINX_LISTEN:-8080}", "default_server"]);
        assert_eq!(d[2].args[1], "https://${host}$uri");
        assert!(parse("a ${b;\n").is_err(), "an unclosed placeholder is not swallowed");
    }
}
