//! Reads the commands in preStop hooks and entrypoints: sleeps, signals, shells and lameduck itself.
//!
//! This is not a shell. It splits `sh -c` scripts on `;`, `&&`, `||`, `|`, `&` and newlines and
//! looks at each simple command's words, which is enough for the one-liners people put in hooks
//! (`sleep 5 && nginx -s quit`, `/bin/sleep 1; kill -QUIT 1`).
use crate::duration::parse_seconds;
pub use crate::lameduck_flags::{lameduck_call, DrainSpec, LameduckCall};

pub use lameduck_core::shell::{basename, is_shell, script_commands, script_execs, shell_script};

/// A signal a command sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalSent {
    /// Graceful stop for nginx and php-fpm.
    Quit,
    /// Fast stop for nginx and php-fpm (`TERM`, `INT`, `nginx -s stop`).
    Fast(String),
    Other(String),
}

impl SignalSent {
    /// `QUIT`, `SIGQUIT`, `3`, `-QUIT` → a signal.
    pub fn parse(name: &str) -> SignalSent {
        use lameduck_core::signal;
        let bare = name.trim_start_matches('-');
        match signal::parse(bare) {
            Ok(signal::SIGQUIT) => SignalSent::Quit,
            Ok(number @ (signal::SIGTERM | signal::SIGINT)) => {
                SignalSent::Fast(signal::name(number))
            }
            Ok(number) => SignalSent::Other(signal::name(number)),
            Err(_) => {
                let upper = bare.to_ascii_uppercase();
                SignalSent::Other(format!("SIG{}", upper.strip_prefix("SIG").unwrap_or(&upper)))
            }
        }
    }
}

/// One simple command of a hook, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Sleep(f64),
    /// A signal sent to PID 1 or to nginx/php-fpm: `kill -QUIT 1`, `nginx -s quit`, `pkill -QUIT php-fpm`.
    Signal {
        signal: SignalSent,
        command: String,
    },
    Lameduck(Box<LameduckCall>),
    Other(String),
}

/// What a preStop exec hook does.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    /// The program the kubelet executes (`/bin/sh`, `sleep`, `/usr/sbin/nginx`).
    pub program: String,
    /// Other programs the hook needs inside the image (`sleep` inside an `sh -c` script).
    pub needs: Vec<String>,
    pub steps: Vec<Step>,
    /// `sh -SIGQUIT 1`: a shell given a kill-style signal flag instead of a kill command.
    pub mistyped_kill: bool,
}

impl Hook {
    /// Reads an exec hook's argv.
    pub fn from_argv(argv: &[String]) -> Hook {
        let program = argv.first().cloned().unwrap_or_default();
        let mut hook = Hook {
            program: program.clone(),
            needs: Vec::new(),
            steps: Vec::new(),
            mistyped_kill: false,
        };
        if is_shell(&program) {
            if let Some(c) = argv.iter().position(|a| {
                a == "-c" || (a.starts_with('-') && a.ends_with('c') && !a.starts_with("--"))
            }) {
                let script = argv.get(c + 1).map(String::as_str).unwrap_or("");
                for words in script_commands(script) {
                    if let Some(first) = words.first() {
                        if !is_builtin(first) {
                            hook.needs.push(basename(first).to_string());
                        }
                    }
                    hook.steps.push(step_of(&words));
                }
                return hook;
            }
            hook.mistyped_kill = argv.get(1).is_some_and(|a| {
                a.starts_with('-')
                    && matches!(SignalSent::parse(a), SignalSent::Quit | SignalSent::Fast(_))
                    && a.len() > 2
            });
            hook.steps.push(Step::Other(argv.join(" ")));
            return hook;
        }
        hook.steps.push(step_of(argv));
        hook
    }

    /// Seconds slept before the first signal is sent (all sleeps if there is no signal), with
    /// lameduck's drain at its shortest.
    pub fn delay_before_signal(&self) -> f64 {
        self.wait_before_signal(crate::lameduck_flags::least)
    }

    /// The same with lameduck's drain at its longest: how long the server may keep serving.
    pub fn longest_delay_before_signal(&self) -> f64 {
        self.wait_before_signal(crate::lameduck_flags::most)
    }

    fn wait_before_signal(&self, drain: fn(&crate::lameduck_flags::DrainSpec) -> f64) -> f64 {
        let mut total = 0.0;
        for step in &self.steps {
            match step {
                Step::Sleep(s) => total += s,
                Step::Lameduck(call) => return total + drain(&call.drain_or_default()),
                Step::Signal { .. } => return total,
                Step::Other(_) => {}
            }
        }
        total
    }

    /// The longest the hook can take (sleeps plus lameduck's drain and grace period).
    pub fn longest(&self) -> f64 {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Sleep(s) => *s,
                Step::Lameduck(call) => crate::lameduck_flags::most(&call.drain_or_default()),
                _ => 0.0,
            })
            .sum()
    }

    /// The first signal and the seconds slept after it.
    pub fn first_signal(&self) -> Option<(&SignalSent, &str, f64)> {
        let at = self.steps.iter().position(|s| matches!(s, Step::Signal { .. }))?;
        let Step::Signal { signal, command } = &self.steps[at] else { return None };
        let after = self.steps[at + 1..]
            .iter()
            .map(|s| if let Step::Sleep(s) = s { *s } else { 0.0 })
            .sum();
        Some((signal, command, after))
    }

    /// Applies the container's environment to the `lameduck` calls in the hook (exec hooks run
    /// with the container's environment).
    pub fn apply_env(&mut self, env: &[(String, String)]) {
        for step in &mut self.steps {
            if let Step::Lameduck(call) = step {
                call.apply_env(env);
            }
        }
    }

    pub fn lameduck(&self) -> Option<&LameduckCall> {
        self.steps
            .iter()
            .find_map(|s| if let Step::Lameduck(c) = s { Some(c.as_ref()) } else { None })
    }
}

fn is_builtin(word: &str) -> bool {
    matches!(
        word,
        "exec"
            | "echo"
            | "kill"
            | "true"
            | "false"
            | "test"
            | "["
            | "while"
            | "do"
            | "done"
            | "if"
            | "then"
            | "fi"
            | "trap"
            | "wait"
            | "set"
            | "export"
            | "cd"
    )
}

fn step_of(words: &[String]) -> Step {
    let Some(first) = words.first() else { return Step::Other(String::new()) };
    let line = words.join(" ");
    match basename(first) {
        "sleep" => match words.get(1).and_then(|w| parse_seconds(w)) {
            Some(s) => Step::Sleep(s),
            None => Step::Other(line),
        },
        "nginx" => match words.iter().position(|w| w == "-s").and_then(|i| words.get(i + 1)) {
            Some(action) if action == "quit" => {
                Step::Signal { signal: SignalSent::Quit, command: line }
            }
            Some(action) if action == "stop" => {
                Step::Signal { signal: SignalSent::Fast("SIGTERM".into()), command: line }
            }
            _ => Step::Other(line),
        },
        "kill" | "pkill" | "killall" => {
            let mut signal = SignalSent::Fast("SIGTERM".into());
            let mut iter = words.iter().skip(1);
            while let Some(w) = iter.next() {
                if w == "-s" || w == "--signal" {
                    if let Some(v) = iter.next() {
                        signal = SignalSent::parse(v);
                    }
                } else if w.starts_with('-') && w.len() > 1 && w != "--" && !w.starts_with("-f") {
                    signal = SignalSent::parse(w);
                }
            }
            Step::Signal { signal, command: line }
        }
        "lameduck" => {
            lameduck_call(words).map_or(Step::Other(line), |c| Step::Lameduck(Box::new(c)))
        }
        _ => Step::Other(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn hooks() {
        let h = Hook::from_argv(&argv(&["sh", "-c", "sleep 5 && kill -SIGQUIT 1"]));
        assert_eq!(h.delay_before_signal(), 5.0);
        assert_eq!(h.first_signal().unwrap().0, &SignalSent::Quit);
        assert_eq!(h.needs, vec!["sleep"]);
        let h = Hook::from_argv(&argv(&["/usr/sbin/nginx", "-s", "quit"]));
        assert_eq!(h.delay_before_signal(), 0.0);
        assert_eq!(h.first_signal().unwrap().0, &SignalSent::Quit);
        let h = Hook::from_argv(&argv(&["/bin/sh", "-SIGQUIT", "1"]));
        assert!(h.mistyped_kill);
        let h = Hook::from_argv(&argv(&["/bin/kill", "-s", "QUIT", "1"]));
        assert_eq!(h.first_signal().unwrap().0, &SignalSent::Quit);
        let h = Hook::from_argv(&argv(&["/bin/sleep", "5"]));
        assert_eq!(h.delay_before_signal(), 5.0);
        assert!(h.first_signal().is_none());
    }
}
