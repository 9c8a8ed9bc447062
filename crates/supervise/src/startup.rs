//! Start-up order: the next process starts only once the previous one is up, so that nginx never
//! answers its first requests with 502 because php-fpm is not listening yet.
//!
//! "Up" means listening where the process will listen: for php-fpm, every pool's `listen`
//! address read from its config; for any other program, the first TCP listener owned by its
//! process tree (nginx opens all of its listeners in the master before it forks workers). The
//! wait is bounded by the process's start timeout, after which lameduck warns and goes on.
use crate::child::Child;
use crate::phpfpm::Listen;
use crate::program::Program;
use crate::{netstat, procfs};

/// What "up" means for one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpWhen {
    /// Every one of these addresses listens (php-fpm pools).
    Listening(Vec<Listen>),
    /// The process tree owns at least one TCP listener.
    AnyListener,
}

impl UpWhen {
    /// The condition for `child`: its pools' addresses for php-fpm whose config could be read,
    /// else a listener discovered in the socket table.
    pub fn of(child: &Child) -> UpWhen {
        if child.spec.program == Program::PhpFpm && !child.fastcgi.is_empty() {
            UpWhen::Listening(child.fastcgi.clone())
        } else {
            UpWhen::AnyListener
        }
    }

    /// What is waited for, for the log.
    pub fn describe(&self) -> String {
        match self {
            UpWhen::Listening(listens) => {
                listens.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
            }
            UpWhen::AnyListener => "any-listener".into(),
        }
    }

    /// The addresses that listen now if the condition holds, else `None`.
    pub fn check(&self, pid: i32) -> Option<String> {
        let sockets = netstat::tcp_sockets().unwrap_or_default();
        match self {
            UpWhen::Listening(listens) => {
                let ports = netstat::listening_ports(&sockets);
                let all = listens.iter().all(|listen| match listen {
                    Listen::Tcp(port) => ports.contains(port),
                    Listen::Unix(path) => netstat::unix_listening(path).unwrap_or(false),
                });
                all.then(|| self.describe())
            }
            UpWhen::AnyListener => {
                let ports = procfs::listening_ports_of_process_and_tree(pid, &sockets);
                (!ports.is_empty()).then(|| {
                    ports.iter().map(|port| format!("tcp:{port}")).collect::<Vec<_>>().join(",")
                })
            }
        }
    }
}
