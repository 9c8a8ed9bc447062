//! Dockerfile parsing: stages, STOPSIGNAL, CMD/ENTRYPOINT forms and `# lameduck:` comments.
//!
//! Only the instructions that decide how a container stops are kept. Continuation lines are joined
//! the way Docker joins them, and each instruction remembers the byte range of its first line.
use std::ops::Range;

/// How CMD or ENTRYPOINT was written.
#[derive(Debug, Clone, PartialEq)]
pub enum Form {
    /// `CMD ["nginx", "-g", "daemon off;"]`: the program is PID 1.
    Exec(Vec<String>),
    /// `CMD nginx -g 'daemon off;'`: Docker runs `/bin/sh -c "…"`, and the shell is PID 1.
    Shell(String),
}

/// CMD or ENTRYPOINT.
#[derive(Debug, Clone)]
pub struct Command {
    pub form: Form,
    pub range: Range<usize>,
}

impl Command {
    /// The words of the command, split naively for shell form.
    pub fn words(&self) -> Vec<String> {
        match &self.form {
            Form::Exec(words) => words.clone(),
            Form::Shell(text) => text.split_whitespace().map(str::to_string).collect(),
        }
    }
}

/// One `FROM` stage.
#[derive(Debug, Clone)]
pub struct Stage {
    pub base: String,
    pub base_range: Range<usize>,
    pub alias: Option<String>,
    pub stop_signal: Option<(String, Range<usize>)>,
    pub cmd: Option<Command>,
    pub entrypoint: Option<Command>,
    /// `RUN` instructions (continuation lines joined), for what a stage installs.
    pub runs: Vec<(String, Range<usize>)>,
    /// `COPY`/`ADD` from the build context (not `--from`): sources and destination.
    pub copies: Vec<(Vec<String>, String)>,
}

/// What the checker needs from a Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
    /// Image names declared with `# lameduck:image repo/name` comments.
    pub declared_images: Vec<String>,
}

impl Dockerfile {
    /// The stage that becomes the image (the last one).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// `stage`, then the stages of this file it is built `FROM`, in order.
    pub fn stage_chain<'s>(&'s self, stage: &'s Stage) -> impl Iterator<Item = &'s Stage> + 's {
        let mut next = Some(stage);
        let mut left = self.stages.len();
        std::iter::from_fn(move || {
            let current = next.take()?;
            left = left.checked_sub(1)?;
            next = self.stage_named(&current.base).filter(|p| !std::ptr::eq(*p, current));
            Some(current)
        })
    }

    /// The build-context path of the script the final stage runs as PID 1: the first word of its
    /// exec-form ENTRYPOINT (or CMD), or the script a shell there runs, when a COPY/ADD put it at
    /// that path.
    pub fn entrypoint_script(&self) -> Option<String> {
        let stage = self.final_stage()?;
        let words = stage.entrypoint.as_ref().or(stage.cmd.as_ref())?.words();
        let mut program = words.iter().find(|w| !w.starts_with('-'))?;
        if crate::shell::is_shell(program) {
            program = words.iter().skip(1).find(|w| !w.starts_with('-'))?;
        }
        let name = crate::shell::basename(program);
        self.stages
            .iter()
            .flat_map(|s| &s.copies)
            .find_map(|(sources, dest)| {
                sources.iter().find(|src| {
                    let src_name = crate::shell::basename(src);
                    dest == program
                        || (src_name == name
                            && (dest.ends_with('/')
                                || dest == "."
                                || dest == program.trim_end_matches(name)))
                })
            })
            .map(|src| src.trim_start_matches("./").to_string())
            .or_else(|| self.copied_with_a_directory(program))
    }

    /// The build-context path of `program` when a COPY/ADD of a directory puts it there:
    /// `ADD docker/ /` copies `docker/usr/local/bin/entrypoint.sh` to
    /// `/usr/local/bin/entrypoint.sh`. The last such copy wins, as in the image.
    fn copied_with_a_directory(&self, program: &str) -> Option<String> {
        self.stages.iter().flat_map(|s| &s.copies).rev().find_map(|(sources, dest)| {
            let dest = if dest.ends_with('/') { dest.clone() } else { format!("{dest}/") };
            let inside = program.strip_prefix(dest.as_str())?;
            let [source] = sources.as_slice() else { return None };
            let source = source.trim_start_matches("./").trim_end_matches('/');
            Some(if source.is_empty() || source == "." {
                inside.to_string()
            } else {
                format!("{source}/{inside}")
            })
        })
    }

    pub fn stage_named(&self, alias: &str) -> Option<&Stage> {
        self.stages
            .iter()
            .find(|s| s.alias.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(alias)))
    }
}

/// A Dockerfile that could not be read.
#[derive(Debug, Clone)]
pub struct DockerfileError {
    pub offset: usize,
    pub message: String,
}

/// Parses a Dockerfile. Unknown instructions are skipped; an instruction before the first FROM
/// (other than ARG) is an error, as it is for Docker.
// Long because one pass over the instructions with one arm per instruction; the arms share the
// parser's state (stage, shell form, line continuations).
pub fn parse(text: &str) -> Result<Dockerfile, DockerfileError> {
    let mut out = Dockerfile::default();
    // ARGs before the first FROM: their defaults are what `FROM ${BASE}-base` builds by default.
    let mut global_args: Vec<(String, String)> = Vec::new();
    for (start, line) in logical_lines(text) {
        let trimmed = line.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some(images) = comment.trim().strip_prefix("lameduck:image") {
                // `lameduck:image NAME` and `lameduck:image=NAME` both name images.
                let images = images.strip_prefix('=').unwrap_or(images);
                out.declared_images
                    .extend(images.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_string));
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let lead = line.len() - trimmed.len();
        let (keyword, rest) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
        let keyword = keyword.to_ascii_uppercase();
        let rest = rest.trim();
        let first_line_end = start + text[start..].find('\n').unwrap_or(text.len() - start);
        let first_line_end = first_line_end - usize::from(text[..first_line_end].ends_with('\r'));
        let range = start + lead..first_line_end;
        if keyword == "FROM" {
            let words: Vec<&str> =
                rest.split_whitespace().filter(|w| !w.starts_with("--")).collect();
            let Some(base) = words.first() else {
                return Err(DockerfileError {
                    offset: start + lead,
                    message: "FROM needs an image".into(),
                });
            };
            let alias = match words.get(1) {
                Some(w) if w.eq_ignore_ascii_case("as") => words.get(2).map(|a| a.to_string()),
                _ => None,
            };
            let after_keyword = (start + lead + keyword.len()).min(first_line_end);
            let base_range =
                match text.get(after_keyword..first_line_end).and_then(|t| t.find(base)) {
                    Some(i) => after_keyword + i..after_keyword + i + base.len(),
                    None => range.clone(),
                };
            out.stages.push(Stage {
                base: substitute(base, &global_args),
                base_range,
                alias,
                stop_signal: None,
                cmd: None,
                entrypoint: None,
                runs: Vec::new(),
                copies: Vec::new(),
            });
            continue;
        }
        let Some(stage) = out.stages.last_mut() else {
            if keyword == "ARG" {
                for word in rest.split_whitespace() {
                    let (name, default) = word.split_once('=').unwrap_or((word, ""));
                    let default = default.trim_matches(|c| c == '"' || c == '\'');
                    global_args.push((name.to_string(), default.to_string()));
                }
                continue;
            }
            return Err(DockerfileError {
                offset: start + lead,
                message: format!(
                    "{keyword} before the first FROM; a Dockerfile must start with FROM"
                ),
            });
        };
        match keyword.as_str() {
            "STOPSIGNAL" => stage.stop_signal = Some((rest.to_string(), range)),
            "CMD" => stage.cmd = Some(Command { form: form_of(rest), range }),
            "ENTRYPOINT" => stage.entrypoint = Some(Command { form: form_of(rest), range }),
            "RUN" => stage.runs.push((rest.to_string(), range)),
            "COPY" | "ADD" if !rest.contains("--from") => {
                let mut words: Vec<String> = match form_of(rest) {
                    Form::Exec(words) => words,
                    Form::Shell(text) => text
                        .split_whitespace()
                        .filter(|w| !w.starts_with("--"))
                        .map(str::to_string)
                        .collect(),
                };
                if let Some(dest) = words.pop().filter(|_| !words.is_empty()) {
                    stage.copies.push((words, dest));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// `word` with `$NAME`, `${NAME}` and `${NAME:-default}` replaced by the global ARGs' defaults;
/// a variable without a default (or unknown) is left as written.
fn substitute(word: &str, args: &[(String, String)]) -> String {
    let value = |name: &str| {
        args.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, fallback, len) = if let Some(inner) = after.strip_prefix('{') {
            let Some(close) = inner.find('}') else { break };
            let body = &inner[..close];
            let (name, fallback) = match body.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (body, None),
            };
            (name, fallback, close + 2)
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..len], None, len)
        };
        match value(name).or(fallback) {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[at..at + 1 + len]),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

fn form_of(rest: &str) -> Form {
    if rest.starts_with('[') {
        if let Ok(words) = serde_json::from_str::<Vec<String>>(rest) {
            return Form::Exec(words);
        }
    }
    Form::Shell(rest.to_string())
}

/// Splits into instructions, joining lines that end in a backslash. Yields each instruction's
/// starting byte offset and its text (continuations joined with newlines kept, backslashes removed).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut offset = 0;
    for raw in text.split('\n') {
        let line_start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((_, acc)) = current.as_mut() {
            // Comment lines inside a continued instruction are dropped by Docker.
            if line.trim_start().starts_with('#') {
                continue;
            }
            match line.strip_suffix('\\') {
                Some(part) => {
                    acc.push(' ');
                    acc.push_str(part);
                }
                None => {
                    acc.push(' ');
                    acc.push_str(line);
                    out.extend(current.take());
                }
            }
            continue;
        }
        if line.trim_start().starts_with('#') {
            out.push((line_start, line.to_string()));
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current = Some((line_start, part.to_string())),
            None => out.push((line_start, line.to_string())),
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stages_signals_and_forms() {
        let text = "# lameduck:image setevoy/nginx-sigquit\nFROM nginx:1.17 AS web\nRUN echo a \\\n  b\nSTOPSIGNAL SIGQUIT\nCMD nginx -g 'daemon off;'\nFROM web\nENTRYPOINT [\"tini\", \"--\"]\n";
        let d = parse(text).unwrap();
        assert_eq!(d.declared_images, vec!["setevoy/nginx-sigquit"]);
        assert_eq!(d.stages.len(), 2);
        assert_eq!(d.stages[0].alias.as_deref(), Some("web"));
        assert_eq!(d.stages[0].stop_signal.as_ref().unwrap().0, "SIGQUIT");
        assert!(matches!(d.stages[0].cmd.as_ref().unwrap().form, Form::Shell(_)));
        assert_eq!(&text[d.stages[0].base_range.clone()], "nginx:1.17");
        let ep = d.stages[1].entrypoint.as_ref().unwrap();
        assert_eq!(ep.form, Form::Exec(vec!["tini".into(), "--".into()]));
    }

    #[test]
    fn instruction_before_from_is_an_error() {
        assert!(parse("CMD x\n").is_err());
        assert!(parse("ARG V=1\nFROM x:${V}\n").is_ok());
        let d = parse(
            "ARG BASE=\"fpm\"\nARG V\nFROM php:8.3-${BASE}-alpine$V AS a\nFROM ${BASE}-base\n",
        )
        .unwrap();
        assert_eq!(d.stages[0].base, "php:8.3-fpm-alpine$V");
        assert_eq!(d.stages[1].base, "fpm-base");
        let d = parse("FROM alpine\nADD . /var/www/app\nADD docker/ /\nENTRYPOINT [\"/usr/local/bin/entrypoint.sh\"]\n").unwrap();
        assert_eq!(d.entrypoint_script().as_deref(), Some("docker/usr/local/bin/entrypoint.sh"));
    }
}
