//! What lameduck knows about the programs it supervises, from the command it is given: which
//! signal stops them gracefully, and which ones will swallow signals.
use lameduck_core::program::Server;
use lameduck_core::shell;
use nix::sys::signal::Signal;

/// Programs lameduck recognises by the file name of their executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// nginx: SIGQUIT is the graceful stop, SIGTERM the fast one that cuts requests.
    Nginx,
    /// php-fpm: SIGQUIT is graceful, SIGTERM terminates; reloads on SIGUSR2.
    PhpFpm,
    /// Apache httpd (`apache2`, `httpd`, the official images' `*-foreground` scripts, which
    /// `exec` it): SIGWINCH is the graceful stop, SIGTERM cuts requests in progress.
    Apache,
    /// Caddy: SIGTERM and SIGINT stop it gracefully (bounded by `grace_period`), SIGQUIT at once.
    Caddy,
    /// A shell that runs a script: it will not pass signals on to its children.
    Shell,
    /// Anything else.
    Other,
}

impl Program {
    /// Recognises a program from its `argv`.
    pub fn of(argv: &[String]) -> Program {
        let Some(first) = argv.first() else { return Program::Other };
        let base = first.rsplit('/').next().unwrap_or(first);
        if let Some(server) = Server::of_executable(base) {
            Program::from(server)
        } else if matches!(base, "apachectl" | "apache2ctl") {
            // Debian's apachectl runs apache2 as its child, without exec: a shell script.
            Program::Shell
        } else if shell::is_shell(base) {
            Program::of_shell(argv)
        } else {
            Program::Other
        }
    }

    /// The graceful stop signal of a program lameduck knows; `None` for the others.
    pub fn graceful_stop_signal(self) -> Option<Signal> {
        let server = match self {
            Program::Nginx => Server::Nginx,
            Program::PhpFpm => Server::PhpFpm,
            Program::Apache => Server::Apache,
            Program::Caddy => Server::Caddy,
            Program::Shell | Program::Other => return None,
        };
        Signal::try_from(server.graceful_stop_signal()).ok()
    }

    /// True for the servers, which always listen (so start-up waits for their port).
    pub fn always_listens(self) -> bool {
        self.graceful_stop_signal().is_some()
    }

    /// Human name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Program::Nginx => "nginx",
            Program::PhpFpm => "php-fpm",
            Program::Apache => "apache",
            Program::Caddy => "caddy",
            Program::Shell => "shell",
            Program::Other => "program",
        }
    }
}

impl From<Server> for Program {
    fn from(server: Server) -> Program {
        match server {
            Server::Nginx => Program::Nginx,
            Server::PhpFpm => Program::PhpFpm,
            Server::Apache => Program::Apache,
            Server::Caddy => Program::Caddy,
        }
    }
}

impl Program {
    /// A shell that hands its PID to the program it runs (`sh -c 'exec php-fpm -F'`, or
    /// `bash -c 'php-fpm -F'`, which bash execs) is that program; any other shell is a shell.
    fn of_shell(argv: &[String]) -> Program {
        match execed_command(argv) {
            Some(command) if !shell::is_shell(&command[0]) => Program::of(&command),
            Some(_) => Program::Other,
            None => Program::Shell,
        }
    }
}

/// The words of the program the process becomes: `argv` itself, or the command a shell
/// execs (`sh -c 'exec php-fpm -y /etc/fpm.conf -F'`), whose flags (`-F`, `-y`) are the
/// ones the program reads.
pub fn program_words(argv: &[String]) -> Vec<String> {
    execed_command(argv).filter(|command| !command.is_empty()).unwrap_or_else(|| argv.to_vec())
}

/// For a shell that hands its PID over, the last command of its script (empty when the script
/// has none); `None` for anything else.
fn execed_command(argv: &[String]) -> Option<Vec<String>> {
    if !shell::is_shell(argv.first()?) {
        return None;
    }
    let script = shell::shell_script(argv).filter(|s| shell::script_execs(&argv[0], s))?;
    Some(shell::script_commands(script).pop().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn recognises_servers_and_shells() {
        assert_eq!(Program::of(&argv(&["/usr/sbin/php-fpm8.2", "-F"])), Program::PhpFpm);
        assert_eq!(Program::of(&argv(&["nginx", "-g", "daemon off;"])), Program::Nginx);
        assert_eq!(Program::of(&argv(&["/bin/sh", "-c", "php-fpm -F & nginx"])), Program::Shell);
        assert_eq!(Program::of(&argv(&["sh", "-c", "exec php-fpm -F"])), Program::PhpFpm);
        assert_eq!(Program::of(&argv(&["bash", "-c", "php-fpm -F"])), Program::PhpFpm);
        assert_eq!(Program::of(&argv(&["sh", "-c", "php-fpm -F"])), Program::Shell);
        assert_eq!(Program::of(&argv(&["sh", "-c", "exec sh -c x"])), Program::Other);
        assert_eq!(Program::of(&argv(&["bash", "entrypoint.sh"])), Program::Shell);
        assert_eq!(Program::of(&argv(&["sleep", "1"])), Program::Other);
        assert_eq!(Program::of(&argv(&["/usr/sbin/apache2", "-DFOREGROUND"])), Program::Apache);
        assert_eq!(Program::of(&argv(&["httpd-foreground"])), Program::Apache);
        assert_eq!(Program::of(&argv(&["apachectl", "-DFOREGROUND"])), Program::Shell);
        assert_eq!(Program::of(&argv(&["caddy", "run"])), Program::Caddy);
        assert_eq!(Program::Apache.graceful_stop_signal(), Some(Signal::SIGWINCH));
        assert_eq!(Program::Caddy.graceful_stop_signal(), Some(Signal::SIGTERM));
    }

    #[test]
    fn the_words_of_the_program_a_shell_execs_are_its_own() {
        let fpm = argv(&["php-fpm", "-y", "/etc/fpm.conf", "-F"]);
        assert_eq!(program_words(&argv(&["bash", "-c", "php-fpm -y /etc/fpm.conf -F"])), fpm);
        assert_eq!(program_words(&argv(&["sh", "-ec", "exec php-fpm -y /etc/fpm.conf -F"])), fpm);
        let kept = argv(&["sh", "-c", "php-fpm -F"]);
        assert_eq!(program_words(&kept), kept, "dash keeps its PID: the shell is the program");
        assert_eq!(program_words(&fpm), fpm);
        assert_eq!(program_words(&argv(&["sh", "-c", "exec"])), argv(&["sh", "-c", "exec"]));
    }
}
