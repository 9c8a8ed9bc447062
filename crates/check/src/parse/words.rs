//! Line-oriented configs (Apache httpd, Caddyfile): each line split into words with their byte
//! ranges, `#` comments dropped, quoted words kept whole.
use std::ops::Range;

/// A word and where it is in the text (quotes included in the range, not in the word).
pub type Word = (String, Range<usize>);

/// An unterminated quote.
#[derive(Debug, Clone)]
pub struct WordsError {
    pub offset: usize,
    pub message: String,
}

/// Splits `text` into lines of words. With `continuation`, a line ending in `\` goes on to the
/// next (Apache's rule); empty and comment-only lines are left out.
// Long because a state machine over quoting and line continuations in one loop.
pub fn lines(text: &str, continuation: bool) -> Result<Vec<Vec<Word>>, WordsError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut line: Vec<Word> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                i += 1;
            }
            b'\\' if continuation && rest_is_blank_to_eol(bytes, i + 1) => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b if b.is_ascii_whitespace() => i += 1,
            b'#' => i = text[i..].find('\n').map_or(bytes.len(), |n| i + n),
            quote @ (b'"' | b'\'' | b'`') => {
                let start = i;
                let mut word = String::new();
                i += 1;
                loop {
                    let Some(&b) = bytes.get(i) else {
                        return Err(WordsError {
                            offset: start,
                            message: format!("unterminated {} quote", quote as char),
                        });
                    };
                    if b == quote {
                        i += 1;
                        break;
                    }
                    let escaped = b == b'\\' && quote != b'`' && bytes.get(i + 1) == Some(&quote);
                    let len = if escaped { 2 } else { utf8_len(b) };
                    word.push_str(&text[i + usize::from(escaped)..i + len]);
                    i += len;
                }
                line.push((word, start..i));
            }
            _ => {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += utf8_len(bytes[i]);
                }
                let end = i.min(bytes.len());
                line.push((text[start..end].to_string(), start..end));
            }
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    Ok(out)
}

fn rest_is_blank_to_eol(bytes: &[u8], from: usize) -> bool {
    bytes[from..].iter().take_while(|b| **b != b'\n').all(|b| b.is_ascii_whitespace())
}

/// The length of the UTF-8 character that starts with byte `b` (1 for a stray continuation
/// byte, so the scan always moves on).
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_ranges() {
        let text = "A b \"c d\" # x\n\n  E \\\n  f\n";
        let lines = lines(text, true).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].iter().map(|w| w.0.as_str()).collect::<Vec<_>>(), ["A", "b", "c d"]);
        assert_eq!(&text[lines[0][2].1.clone()], "\"c d\"");
        assert_eq!(lines[1].iter().map(|w| w.0.as_str()).collect::<Vec<_>>(), ["E", "f"]);
        assert!(super::lines("a \"b\n", false).is_err());
        assert_eq!(super::lines("é ü", false).unwrap()[0].len(), 2);
    }
}
