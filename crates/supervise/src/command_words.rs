//! Splits a command written as one string (`--process web='nginx -g "daemon off;"'`) into words
//! the way a POSIX shell would for plain words and quotes, without running a shell: a shell as
//! PID 1's child would swallow the stop signal.

/// Splits `text` into words, honouring single quotes, double quotes and backslashes.
pub fn split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(word) = current.take() {
                    words.push(word);
                }
            }
            '\'' => {
                let word = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(inner) => word.push(inner),
                        None => return Err(format!("unclosed ' in `{text}`")),
                    }
                }
            }
            '"' => {
                let word = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped @ ('"' | '\\' | '$' | '`')) => word.push(escaped),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(format!("unclosed \" in `{text}`")),
                        },
                        Some(inner) => word.push(inner),
                        None => return Err(format!("unclosed \" in `{text}`")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(escaped) => current.get_or_insert_with(String::new).push(escaped),
                None => return Err(format!("trailing backslash in `{text}`")),
            },
            other => current.get_or_insert_with(String::new).push(other),
        }
    }
    words.extend(current);
    if words.is_empty() {
        return Err("empty command".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(split(r#"nginx -g "daemon off;""#).unwrap(), ["nginx", "-g", "daemon off;"]);
        assert_eq!(split("php-fpm8.2  -F -R").unwrap(), ["php-fpm8.2", "-F", "-R"]);
        assert_eq!(split(r"a 'b c' d\ e").unwrap(), ["a", "b c", "d e"]);
        assert!(split("'open").is_err());
        assert!(split("   ").is_err());
    }
}
