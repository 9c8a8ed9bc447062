//! Programs and shells as they appear in commands: an executable's name, which names are shells,
//! the simple commands of a `sh -c` script, and whether a shell hands its PID to the program it
//! starts. `lameduck run` uses this to know when a shell will swallow the stop signal; `lameduck
//! check` to find shells as PID 1 and to read preStop hooks. One answer for both.

/// Shells that might be PID 1 or run a hook script.
pub const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"];

/// The last path component of a program name: `nginx` for `/usr/sbin/nginx`.
pub fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// Whether `program` (a path or a name) is a shell.
pub fn is_shell(program: &str) -> bool {
    SHELLS.contains(&basename(program))
}

/// The script of `sh -c SCRIPT …` (also `-ec`, `-xc`), if `argv` runs a shell that way.
pub fn shell_script(argv: &[String]) -> Option<&str> {
    if !is_shell(argv.first()?) {
        return None;
    }
    let flag = argv.iter().skip(1).position(|a| {
        a == "-c" || (a.starts_with('-') && !a.starts_with("--") && a.ends_with('c'))
    })?;
    argv.get(flag + 2).map(String::as_str)
}

/// Whether `sh -c SCRIPT` hands its PID to the program: the script's last command is `exec`ed,
/// or the script is a single simple command and the shell is bash, which then execs it (dash, the
/// `sh` of Debian images, does not: `dash -c 'sleep 3'` stays the parent of `sleep`).
pub fn script_execs(shell: &str, script: &str) -> bool {
    let commands = split_commands(script);
    if commands.last().and_then(|c| c.first()).is_some_and(|w| w == "exec") {
        return true;
    }
    let single = commands.len() == 1 && !script.contains(['$', '`', '|', '&', ';']);
    single && basename(shell) == "bash"
}

/// Splits a `sh -c` script into simple commands' words (quotes removed, `exec` dropped).
pub fn script_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = split_commands(script);
    for command in &mut commands {
        while command.first().is_some_and(|w| w == "exec") {
            command.remove(0);
        }
    }
    commands.retain(|c| !c.is_empty());
    commands
}

/// Splits a script into simple commands' words, quote-aware.
fn split_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let flush_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            ';' | '&' | '|' | '\n' => {
                flush_word(&mut word, &mut in_word, &mut words);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => flush_word(&mut word, &mut in_word, &mut words),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush_word(&mut word, &mut in_word, &mut words);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn exec_detection() {
        assert!(script_execs("sh", "envsubst < a > b; exec nginx -g 'daemon off;'"));
        assert!(!script_execs("sh", "envsubst < a > b; nginx -g 'daemon off;'"));
        assert!(script_execs("/bin/bash", "php-fpm -F"));
        assert!(!script_execs("sh", "php-fpm -F"));
        assert!(!script_execs("bash", "php-fpm -F & nginx"));
    }

    #[test]
    fn shells_and_scripts() {
        assert!(is_shell("/bin/ksh") && is_shell("busybox") && !is_shell("nginx"));
        assert_eq!(shell_script(&argv(&["/bin/sh", "-ec", "exec nginx"])), Some("exec nginx"));
        assert_eq!(shell_script(&argv(&["sh", "script.sh"])), None);
        assert_eq!(shell_script(&argv(&["nginx", "-c", "x"])), None);
        assert_eq!(
            script_commands("a 'b c'; exec d\\ e && f"),
            vec![argv(&["a", "b c"]), argv(&["d e"]), argv(&["f"])]
        );
    }
}
