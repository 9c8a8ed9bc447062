//! The shell examples in README.md and docs/*.md cannot drift from the binary.
//!
//! Every `lameduck …` command line in a fenced shell block is parsed exactly as the binary
//! parses it (a usage error fails the test, naming the file and line). The cheap, local ones —
//! `check` on deploy/, `check --explain` and `--list-rules`, `lab --list` and `--dump`,
//! `completions` — run for real and must succeed. A block with any other `lameduck` command
//! (it needs root, a cluster, a server, or the output of a command before it) must say so with
//! a `<!-- norun: why -->` line right before its fence. A block showing the lab's table must
//! show the columns the lab prints today.
#[allow(dead_code)]
#[path = "../src/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::error::ErrorKind;
use clap::Parser;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A fenced block of a Markdown file.
struct Block {
    file: String,
    /// Line number of the opening fence.
    line: usize,
    info: String,
    /// The body, each line with its line number.
    body: Vec<(usize, String)>,
    /// The reason given by a `<!-- norun: … -->` line before the fence.
    norun: Option<String>,
}

/// A `lameduck` command line found in a block.
struct Example {
    at: String,
    words: Vec<String>,
}

/// Lines of a shell block that look like the rest of the line before (they start with a
/// flag or a pipe) although that line does not end with `\`: an example wrapped mid-command.
fn wrapped_lines(block: &Block) -> Vec<String> {
    let mut out = Vec::new();
    for pair in block.body.windows(2) {
        let [(_, before), (number, line)] = pair else { continue };
        let continued = before.trim_end().ends_with('\\');
        let starts_like_a_tail = line.starts_with(' ')
            && (line.trim_start().starts_with('-') || line.trim_start().starts_with('|'));
        if starts_like_a_tail && !continued {
            out.push(format!(
                "{}:{number}: `{}` continues the line before, which does not end with `\\`",
                block.file,
                line.trim()
            ));
        }
    }
    out
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![Path::new(ROOT).join("README.md")];
    let docs = std::fs::read_dir(Path::new(ROOT).join("docs")).expect("read docs/");
    let mut pages: Vec<PathBuf> = docs
        .map(|e| e.expect("docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

fn blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).expect("read markdown");
    let file = path.strip_prefix(ROOT).unwrap_or(path).display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let before = lines[..i].iter().rev().find(|l| !l.trim().is_empty());
        let norun = before
            .and_then(|l| l.trim().strip_prefix("<!-- norun:"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(|why| why.trim().to_string());
        let start = i;
        i += 1;
        let mut body = Vec::new();
        while i < lines.len() && !lines[i].trim_start().starts_with("```") {
            body.push((i + 1, lines[i].to_string()));
            i += 1;
        }
        out.push(Block {
            file: file.clone(),
            line: start + 1,
            info: info.trim().into(),
            body,
            norun,
        });
        i += 1;
    }
    out
}

/// Shell words of one logical line: quotes removed, `# comments` dropped, and the operators
/// (`|`, `&&`, `;`, `>` …) as words of their own.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut String, quoted: &mut bool, words: &mut Vec<String>| {
        if !word.is_empty() || *quoted {
            words.push(std::mem::take(word));
        }
        *quoted = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                quoted = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '#' if word.is_empty() && !quoted => break,
            ' ' | '\t' => end_word(&mut word, &mut quoted, &mut words),
            '|' | '&' | ';' | '>' | '<' => {
                end_word(&mut word, &mut quoted, &mut words);
                let mut op = c.to_string();
                while chars.peek().is_some_and(|n| "|&><".contains(*n)) {
                    op.extend(chars.next());
                }
                words.push(op);
            }
            _ => word.push(c),
        }
    }
    end_word(&mut word, &mut quoted, &mut words);
    words
}

fn is_operator(word: &str) -> bool {
    word.chars().all(|c| "|&;><".contains(c)) && !word.is_empty()
}

/// The `lameduck` command lines of a shell block, continuation lines joined, `$VAR`s set
/// earlier in the block substituted, redirections dropped.
fn examples(block: &Block) -> Vec<Example> {
    let mut out = Vec::new();
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut lines = block.body.iter();
    while let Some((number, first)) = lines.next() {
        let mut line = first.clone();
        while line.trim_end().ends_with('\\') {
            line = line.trim_end().trim_end_matches('\\').to_string();
            match lines.next() {
                Some((_, next)) => line.push_str(next),
                None => break,
            }
        }
        let mut words = shell_words(&line);
        for word in &mut words {
            for (name, value) in &vars {
                *word = word.replace(&format!("${name}"), value);
            }
        }
        for segment in words.split(|w| w == "|" || w == "&&" || w == ";" || w == "||") {
            let mut segment: Vec<String> = segment.to_vec();
            // `> file`, `2> file`: the redirection and its target are the shell's.
            while let Some(at) = segment.iter().position(|w| is_operator(w)) {
                segment.drain(at..(at + 2).min(segment.len()));
            }
            let mut rest = segment.as_slice();
            if rest.first().is_some_and(|w| w == "sudo") {
                rest = &rest[1..];
            }
            while let Some((name, value)) = rest.first().and_then(|w| w.split_once('=')) {
                if !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') || name.is_empty() {
                    break;
                }
                vars.push((name.to_string(), value.to_string()));
                rest = &rest[1..];
            }
            if rest.first().is_some_and(|w| w == "lameduck") {
                out.push(Example { at: format!("{}:{number}", block.file), words: rest.to_vec() });
            }
        }
    }
    out
}

/// Whether `words` parse as a `lameduck` command line; the first line of clap's error if not.
fn parses(words: &[String]) -> Result<(), String> {
    match cli::Cli::try_parse_from(words) {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

fn is_shell(block: &Block) -> bool {
    ["sh", "bash", "shell", "console"].contains(&block.info.split_whitespace().next().unwrap_or(""))
}

/// Whether an example is cheap, local and safe to run here; its arguments are those after
/// `lameduck`.
fn runnable(args: &[String]) -> bool {
    let has = |flag: &str| args.iter().any(|a| a == flag);
    match args.first().map(String::as_str) {
        Some("check") => {
            let paths: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
            has("--explain")
                || has("--list-rules")
                || (!paths.is_empty()
                    && paths
                        .iter()
                        .all(|p| p.starts_with("deploy") && Path::new(ROOT).join(p).exists()))
        }
        Some("lab") => has("--list") || has("--dump"),
        Some("completions") => true,
        _ => false,
    }
}

#[test]
fn every_lameduck_example_parses_and_the_local_ones_run() {
    let mut problems = Vec::new();
    let mut parsed = 0;
    let mut ran = 0;
    for path in markdown_files() {
        for block in blocks(&path).iter().filter(|b| is_shell(b)) {
            problems.extend(wrapped_lines(block));
            let found = examples(block);
            let mut unmarked = Vec::new();
            for example in &found {
                parsed += 1;
                if let Err(first) = parses(&example.words) {
                    problems.push(format!(
                        "{}: `{}` does not parse: {first}",
                        example.at,
                        example.words.join(" ")
                    ));
                    continue;
                }
                if !runnable(&example.words[1..]) {
                    unmarked.push(example.at.clone());
                    continue;
                }
                ran += 1;
                let out = Command::new(env!("CARGO_BIN_EXE_lameduck"))
                    .args(&example.words[1..])
                    .current_dir(ROOT)
                    .output()
                    .expect("run lameduck");
                if !out.status.success() {
                    problems.push(format!(
                        "{}: `{}` exited {}:\n{}{}",
                        example.at,
                        example.words.join(" "),
                        out.status,
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
            if !unmarked.is_empty() && block.norun.is_none() {
                problems.push(format!(
                    "{}:{}: the block runs lameduck in a way this test cannot ({}); put \
                     `<!-- norun: why -->` on the line before its fence",
                    block.file,
                    block.line,
                    unmarked.join(", ")
                ));
            }
        }
    }
    assert!(parsed > 40, "only {parsed} lameduck examples found: is the block parser broken?");
    assert!(ran > 5, "only {ran} examples ran");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// The column names of a table header (cells are separated by two or more spaces).
fn columns(header: &str) -> Vec<String> {
    header.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect()
}

#[test]
fn lab_tables_in_the_docs_have_the_columns_the_lab_prints() {
    let printed = lameduck_lab::table::table(&[], false);
    let expected = columns(printed.lines().next().expect("a header line"));
    let mut shown = 0;
    let mut problems = Vec::new();
    for path in markdown_files() {
        for block in blocks(&path) {
            let Some((_, header)) = block.body.first() else { continue };
            if !(header.starts_with("scenario ") && header.contains("article reports")) {
                continue;
            }
            shown += 1;
            let rule = block.body.get(1).map_or("", |(_, l)| l.as_str());
            if !rule.starts_with('-') || !rule.chars().all(|c| c == '-' || c == ' ') {
                problems.push(format!(
                    "{}:{}: the lab table lacks the line of dashes the lab prints under its header",
                    block.file, block.line
                ));
            }
            if columns(header) != expected {
                problems.push(format!(
                    "{}:{}: the lab table shows columns {:?}, the lab prints {:?}",
                    block.file,
                    block.line,
                    columns(header),
                    expected
                ));
            }
        }
    }
    assert!(shown > 0, "no lab table found in the docs");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_block_parser_finds_commands_in_pipes_continuations_and_after_sudo() {
    let block = Block {
        file: "x.md".into(),
        line: 1,
        info: "sh".into(),
        body: vec![
            (2, "ALB=http://lb.example   # yours".into()),
            (3, "helm template a b | lameduck check - # stdin".into()),
            (4, "sudo lameduck lab seeds \\".into()),
            (5, "    --only 'php fpm' > out.txt".into()),
            (6, "lameduck load \"$ALB/\" -s 'const(1,1s)' && echo done".into()),
        ],
        norun: None,
    };
    let found: Vec<String> = examples(&block).iter().map(|e| e.words.join("|")).collect();
    assert_eq!(
        found,
        [
            "lameduck|check|-",
            "lameduck|lab|seeds|--only|php fpm",
            "lameduck|load|http://lb.example/|-s|const(1,1s)"
        ]
    );
    assert!(runnable(&["check".into(), "deploy".into()]));
    assert!(!runnable(&["check".into(), ".".into()]));
    assert!(!runnable(&["lab".into(), "seeds".into()]));
    // A usage error is caught; a request for help is not one.
    let words = |line: &str| shell_words(line);
    assert!(parses(&words("lameduck report run.json --bogus")).is_err());
    assert!(parses(&words("lameduck lab --output yaml")).is_err());
    assert!(parses(&words("lameduck check --help")).is_ok());
    let wrapped = Block {
        body: vec![
            (2, "lameduck load http://x/ -s 'const(1,1s)'".into()),
            (3, "    --timeline t.jsonl".into()),
        ],
        ..block
    };
    assert_eq!(wrapped_lines(&wrapped).len(), 1);
}

/// The examples in each subcommand's `--help` (lines indented by two spaces that start with
/// `lameduck`), at the width docs/cli/ is generated with: each parses, and none wraps.
#[test]
fn help_examples_parse_and_do_not_wrap() {
    use clap::CommandFactory;
    let mut root = cli::Cli::command().term_width(100).max_term_width(100);
    root.build();
    let mut problems = Vec::new();
    let mut found = 0;
    for sub in root.get_subcommands_mut() {
        let name = sub.get_name().to_string();
        let help = sub.render_long_help().to_string();
        let lines: Vec<&str> = help.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            i += 1;
            let Some(text) = line.strip_prefix("  ").filter(|l| l.starts_with("lameduck ")) else {
                continue;
            };
            found += 1;
            // `lameduck lab seeds      what it does`: the command is before the wide gap.
            let mut command = text.split("   ").next().unwrap_or(text).trim_end().to_string();
            while command.ends_with('\\') && i < lines.len() {
                command = format!("{} {}", command.trim_end_matches('\\'), lines[i].trim());
                i += 1;
            }
            let next = lines.get(i).copied().unwrap_or("");
            if next.starts_with("  ")
                && !next.starts_with("   ")
                && !next[2..].starts_with("lameduck ")
            {
                problems
                    .push(format!("lameduck {name} --help: `{text}` wraps onto `{}`", next.trim()));
            }
            let mut words = Vec::new();
            for segment in shell_words(&command).split(|w| w == "|") {
                if segment.first().is_some_and(|w| w == "lameduck") {
                    let mut segment = segment.to_vec();
                    while let Some(at) = segment.iter().position(|w| is_operator(w)) {
                        segment.drain(at..(at + 2).min(segment.len()));
                    }
                    words.push(segment);
                }
            }
            for words in words {
                if let Err(first) = parses(&words) {
                    problems.push(format!(
                        "lameduck {name} --help: `{}` does not parse: {first}",
                        words.join(" ")
                    ));
                }
            }
        }
    }
    assert!(found > 10, "only {found} help examples found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
