//! Test helpers shared by the workspace's integration tests: real nginx and php-fpm started on
//! free loopback ports in a temp dir, and stopped (with the dir removed) when dropped; plus
//! small purpose-built servers that misbehave in one precise way each.
//!
//! ```no_run
//! use lameduck_testkit::{Stack, StackOptions, Misbehaving, MisbehavingServer};
//!
//! // nginx + php-fpm; `/sleep.php?ms=200` answers after 200 ms, `/ok` is nginx's `return 200`.
//! let stack = Stack::start(StackOptions::default())?;
//! let url = stack.url("/sleep.php?ms=200");
//!
//! // A server that resets every connection in the middle of the response.
//! let reset = MisbehavingServer::start(Misbehaving::ResetMidResponse)?;
//! let url = reset.url("/");
//! # Ok::<(), lameduck_testkit::Error>(())
//! ```
//!
//! Nothing outlives the test: children are killed on drop (whole process groups), and every
//! child also gets `PR_SET_PDEATHSIG(SIGKILL)`, so if the test process dies the servers die
//! with it. Note that the death signal follows the *thread* that started the child: keep a
//! [`Stack`] on the thread that created it (as tests naturally do).
mod misbehaving;
mod ports;
mod process;
mod stack;
pub mod terminal;

pub use misbehaving::{Misbehaving, MisbehavingServer};
pub use ports::{free_port, wait_for_port};
pub use process::ChildGuard;
pub use stack::{Stack, StackOptions};

/// Whether the tests run as root: the lab's namespaces, and nginx and php-fpm as their official
/// images run them, need it; tests that need root say so and pass without it.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Why a helper could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} did not become ready within {seconds}s; its log says:\n{log}")]
    NotReady { what: String, seconds: u64, log: String },
    #[error("{what} exited during start-up ({status}); its log says:\n{log}")]
    Exited { what: String, status: String, log: String },
}

pub(crate) fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}
