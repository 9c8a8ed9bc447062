//! Which process `lameduck prestop` may signal.
//!
//! A preStop hook runs with the container's privileges, and the signal it sends stops a server,
//! so the target is checked before anything is sent: a pidfile must hold one positive decimal
//! process id (never `0` or `-1`, which `kill(2)` reads as "my process group" and "every process
//! I may signal"), and the process must be nginx, php-fpm, `lameduck run`, or a program named
//! with `--target-program`. Outside a pod PID 1 is the machine's init, and this refuses it.
use std::io::Read;
use std::path::Path;

/// A pidfile larger than this is not a pidfile.
pub const PIDFILE_MAX_BYTES: u64 = 64;

/// Programs a preStop hook stops without being told: the servers, and lameduck as PID 1.
const KNOWN_TARGETS: &str = "nginx, php-fpm, Apache (apache2, httpd), Caddy or lameduck";

/// A process that may be signalled.
#[derive(Debug, Clone)]
pub struct Target {
    pub pid: i32,
    /// `/proc/PID/comm`: the program name, at most 15 bytes.
    pub comm: String,
    /// `/proc/PID/cmdline` with spaces between the words (php-fpm and nginx rewrite it).
    pub cmdline: String,
}

/// Reads a pidfile strictly: at most [`PIDFILE_MAX_BYTES`], one positive decimal number with
/// optional surrounding whitespace.
pub fn read_pidfile(path: &Path) -> Result<i32, String> {
    let shown = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| format!("{shown}: cannot read pidfile: {e}"))?;
    let mut bytes = Vec::new();
    file.take(PIDFILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: cannot read pidfile: {e}"))?;
    if bytes.len() as u64 > PIDFILE_MAX_BYTES {
        return Err(format!(
            "{shown}: larger than {PIDFILE_MAX_BYTES} bytes, so not a pidfile; point --pidfile \
             at the file the server writes its process id to"
        ));
    }
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim();
    let pid = Some(text)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<i32>().ok())
        .filter(|pid| *pid > 0);
    pid.ok_or_else(|| {
        format!(
            "{shown}: {text:?} is not a process id (one positive decimal number); point \
             --pidfile at the file the server writes its process id to"
        )
    })
}

/// Looks at `pid` and accepts it only if it runs a program a preStop hook should stop.
pub fn identify(pid: i32, allowed: &[String]) -> Result<Target, String> {
    if pid <= 0 {
        return Err(format!("{pid} is not a process id; refusing to signal it"));
    }
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map_err(|e| format!("no process {pid} ({e}); is the hook in the right container?"))?;
    let comm = comm.trim_end().to_string();
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = raw
        .split(|byte| *byte == 0)
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect();
    let target = Target { pid, comm, cmdline: words.join(" ") };
    if is_allowed(&target.comm, words.first().map(String::as_str), allowed) {
        return Ok(target);
    }
    let more = if allowed.is_empty() { String::new() } else { format!(", {}", allowed.join(", ")) };
    Err(format!(
        "process {pid} is `{}` ({}), not {KNOWN_TARGETS}{more}: refusing to signal it. Run the \
         hook in the container whose main process it stops, point --pidfile at the server's \
         pidfile, or name this program with --target-program {} if it really is the one to stop",
        target.comm,
        if target.cmdline.is_empty() { "no command line" } else { &target.cmdline },
        target.comm
    ))
}

/// True if the program name (`comm`, or the first word of the command line without a path and
/// the `:` that nginx and php-fpm append to their rewritten titles) is one to stop.
fn is_allowed(comm: &str, argv0: Option<&str>, allowed: &[String]) -> bool {
    let base = argv0.map(|word| word.rsplit('/').next().unwrap_or(word).trim_end_matches(':'));
    let names = [Some(comm), base];
    let known = names.iter().flatten().any(|name| {
        *name == "nginx"
            || name.starts_with("nginx-")
            || name.starts_with("php-fpm")
            || name.starts_with("php5-fpm")
            || matches!(*name, "apache2" | "httpd" | "caddy")
            || name.starts_with("lameduck")
    });
    // comm is cut to 15 bytes, so a longer allowed name matches its first 15.
    let named = allowed.iter().any(|wanted| {
        let cut = &wanted.as_bytes()[..wanted.len().min(15)];
        names.iter().flatten().any(|name| name == wanted || name.as_bytes() == cut)
    });
    known || named
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pidfile(content: &[u8]) -> Result<i32, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pid");
        std::fs::write(&path, content).unwrap();
        read_pidfile(&path)
    }

    #[test]
    fn pidfiles_hold_one_positive_decimal_number() {
        assert_eq!(pidfile(b"42\n"), Ok(42));
        assert_eq!(pidfile(b"  7 "), Ok(7));
        for bad in
            [&b"-1"[..], b"0", b"", b"+5", b"0x10", b"1 2", b"99999999999", b"12abc", &[b'1'; 100]]
        {
            assert!(pidfile(bad).is_err(), "{:?} was accepted", String::from_utf8_lossy(bad));
        }
        assert!(pidfile(&[b' '; 200]).unwrap_err().contains("larger than 64 bytes"));
    }

    #[test]
    fn only_servers_lameduck_or_named_programs_are_targets() {
        assert!(is_allowed("nginx", Some("nginx:"), &[]));
        assert!(is_allowed("php-fpm8.2", Some("php-fpm:"), &[]));
        assert!(is_allowed("apache2", Some("/usr/sbin/apache2"), &[]));
        assert!(is_allowed("httpd", Some("httpd"), &[]));
        assert!(is_allowed("caddy", Some("caddy"), &[]));
        assert!(is_allowed("lameduck-superv", Some("/lameduck-supervise"), &[]));
        assert!(!is_allowed("systemd", Some("/sbin/init"), &[]));
        assert!(!is_allowed("sleep", Some("sleep"), &[]));
        assert!(is_allowed("sleep", Some("sleep"), &["sleep".into()]));
        assert!(is_allowed("my-long-server-", None, &["my-long-server-name".into()]));
    }

    #[test]
    fn refuses_a_process_that_is_not_a_server() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let cmdline = format!("/proc/{}/cmdline", child.id());
        while std::fs::read(&cmdline).unwrap_or_default().is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(5)); // Not exec'd yet.
        }
        let error = identify(child.id() as i32, &[]).unwrap_err();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(error.contains("is `sleep` (sleep 30)"), "{error}");
        assert!(error.contains("--target-program sleep"), "{error}");
        assert!(identify(-1, &[]).is_err() && identify(0, &[]).is_err());
    }
}
