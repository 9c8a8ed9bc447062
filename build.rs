//! Stamps the binary with `git describe` so `lameduck --version` names the exact commit.
//!
//! Falls back to the Cargo package version when the source is not a git checkout
//! (for example a crate tarball), so the build never fails for want of git.
use std::process::Command;

fn main() {
    let describe = Command::new("git")
        .args(["describe", "--tags", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let pkg = env!("CARGO_PKG_VERSION");
    let version = match describe {
        Some(d) => format!("{pkg} ({d})"),
        None => pkg.to_string(),
    };
    println!("cargo:rustc-env=LAMEDUCK_VERSION={version}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
}
