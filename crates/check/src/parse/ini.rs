//! INI files as php-fpm and supervisord write them: `[section]`, `key = value`, `;` and `#` comments.
//!
//! Each entry keeps the byte ranges of its key and value so findings point at the exact setting.
use std::ops::Range;

/// `key = value` inside a section.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub key_range: Range<usize>,
    pub value_range: Range<usize>,
}

/// A `[name]` section; entries before any header form a section with no name.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: Option<String>,
    pub header_range: Range<usize>,
    pub entries: Vec<Entry>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        // Later settings win, as in both php-fpm and supervisord.
        self.entries.iter().rev().find(|e| e.key.eq_ignore_ascii_case(key))
    }
}

/// A parsed INI file.
#[derive(Debug, Clone, Default)]
pub struct Ini {
    pub sections: Vec<Section>,
}

impl Ini {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name.as_deref() == Some(name))
    }
}

/// A line that is neither a comment, a header nor a setting.
#[derive(Debug, Clone)]
pub struct IniError {
    pub offset: usize,
    pub message: String,
}

/// Parses INI text. Continuation lines (leading whitespace after a setting, as supervisord allows)
/// are appended to the previous value.
pub fn parse(text: &str) -> Result<Ini, IniError> {
    let mut ini =
        Ini { sections: vec![Section { name: None, header_range: 0..0, entries: Vec::new() }] };
    let mut offset = 0;
    for raw in text.split('\n') {
        let start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let section = ini.sections.last_mut().expect("always one section");
        if trimmed.starts_with('[') {
            let Some(end) = trimmed.find(']') else {
                return Err(IniError {
                    offset: start + lead,
                    message: "section header has no closing `]`".into(),
                });
            };
            ini.sections.push(Section {
                name: Some(trimmed[1..end].trim().to_string()),
                header_range: start + lead..start + lead + end + 1,
                entries: Vec::new(),
            });
            continue;
        }
        if lead > 0 && !section.entries.is_empty() && !trimmed.contains('=') {
            let last = section.entries.last_mut().expect("checked non-empty");
            last.value.push(' ');
            last.value.push_str(trimmed);
            continue;
        }
        let Some(eq) = line.find('=') else {
            return Err(IniError {
                offset: start + lead,
                message: format!(
                    "expected `key = value`, `[section]` or a comment, found `{trimmed}`"
                ),
            });
        };
        let key = line[..eq].trim();
        let after = &line[eq + 1..];
        let value_lead = after.len() - after.trim_start().len();
        let mut value = strip_inline_comment(after.trim());
        let value_start = start + eq + 1 + value_lead;
        let value_range = value_start..value_start + value.len();
        if value.len() >= 2
            && (value.starts_with('"') && value.ends_with('"')
                || value.starts_with('\'') && value.ends_with('\''))
        {
            value = &value[1..value.len() - 1];
        }
        section.entries.push(Entry {
            key: key.to_string(),
            value: value.to_string(),
            key_range: start + lead..start + lead + key.len(),
            value_range,
        });
    }
    Ok(ini)
}

/// supervisord allows ` ;comment` after a value; php-fpm does not use `;` in values we read.
fn strip_inline_comment(value: &str) -> &str {
    match value.find(" ;") {
        Some(i) => value[..i].trim_end(),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_ranges() {
        let text = "; c\n[global]\nprocess_control_timeout = 10s\n[program:nginx]\ncommand=nginx -g 'daemon off;' ; x\n";
        let ini = parse(text).unwrap();
        let e = ini.section("global").unwrap().get("process_control_timeout").unwrap();
        assert_eq!(e.value, "10s");
        assert_eq!(&text[e.value_range.clone()], "10s");
        assert_eq!(
            ini.section("program:nginx").unwrap().get("command").unwrap().value,
            "nginx -g 'daemon off;'"
        );
        assert!(parse("[x\n").is_err());
        assert!(parse("garbage\n").is_err());
    }
}
