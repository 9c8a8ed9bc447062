//! A terminal for tests: run a command on a pseudo-terminal and capture what it draws, and a
//! tiny screen model that replays that output line by line, to check that what a program
//! printed for good (ended with a newline) is never erased afterwards.
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, ExitStatus, Stdio};

/// What a terminal shows after some output.
#[derive(Debug, Default, PartialEq)]
pub struct Screen {
    /// Lines that ended with a newline, in order (the scrollback and screen above the cursor).
    pub lines: Vec<String>,
    /// The line the cursor is on.
    pub current: String,
    /// Finished lines that a cursor-up (`ESC [ n A`, `ESC [ n F`, `ESC M`) would reach to
    /// redraw or erase: a program that only ever redraws its last line leaves this empty.
    pub erased_finished_lines: Vec<String>,
}

impl Screen {
    /// Replays `output`: printable text, `\r`, `\n`, erase-line (`ESC [ 2K`, `ESC [ K`) and
    /// cursor-up; other escape sequences (colours, modes) change nothing visible here.
    pub fn render(output: &[u8]) -> Screen {
        let text = String::from_utf8_lossy(output);
        let mut screen = Screen::default();
        let (mut line, mut col): (Vec<char>, usize) = (Vec::new(), 0);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => col = 0,
                '\n' => {
                    screen.lines.push(line.iter().collect::<String>().trim_end().to_string());
                    (line, col) = (Vec::new(), 0);
                }
                '\x1b' if chars.peek() == Some(&'M') => {
                    chars.next();
                    screen.cursor_up(1);
                }
                '\x1b' if chars.peek() == Some(&'[') => {
                    chars.next();
                    let mut params = String::new();
                    let end = loop {
                        match chars.next() {
                            Some(c) if ('\x40'..='\x7e').contains(&c) => break c,
                            Some(c) => params.push(c),
                            None => break '\0',
                        }
                    };
                    match end {
                        'K' if params.is_empty() || params == "0" => line.truncate(col),
                        'K' if params == "2" => line.clear(),
                        'A' | 'F' => screen.cursor_up(params.parse().unwrap_or(1)),
                        _ => {}
                    }
                }
                c => {
                    while line.len() < col {
                        line.push(' ');
                    }
                    match line.get_mut(col) {
                        Some(slot) => *slot = c,
                        None => line.push(c),
                    }
                    col += 1;
                }
            }
        }
        screen.current = line.iter().collect::<String>().trim_end().to_string();
        screen
    }

    fn cursor_up(&mut self, rows: usize) {
        let from = self.lines.len().saturating_sub(rows.max(1));
        self.erased_finished_lines.extend(self.lines[from..].iter().cloned());
    }
}

/// Runs `command` with a pseudo-terminal as its stdin, stdout and stderr (so `isatty` is true
/// for each) and returns its exit status and everything it wrote there.
pub fn run_in_pty(mut command: Command) -> std::io::Result<(ExitStatus, Vec<u8>)> {
    let (mut master, slave) = open_pty()?;
    let mut child = command
        .stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave))
        .spawn()?;
    // Our copies of the slave are gone with `command`'s Stdio (moved above): once the child
    // and its own children exit, reading the master ends with EIO.
    drop(command);
    let mut output = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match master.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => output.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO: no process has the terminal open any more.
            Err(_) => break,
        }
    }
    Ok((child.wait()?, output))
}

fn open_pty() -> std::io::Result<(std::fs::File, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two new descriptors into the pointers we pass; the optional name,
    // termios and window size are null (defaults).
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    unsafe { Ok((std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redrawing_the_last_line_keeps_finished_lines_and_cursor_up_is_caught() {
        let screen = Screen::render(b"log 1\nstatus 1\r\x1b[2Klog 2\nstatus 2\r\x1b[2K");
        assert_eq!(screen.lines, ["log 1", "log 2"]);
        assert_eq!(screen.current, "");
        assert!(screen.erased_finished_lines.is_empty());
        let screen = Screen::render(b"a\nb\n\x1b[2A\x1b[2Kc");
        assert_eq!(screen.erased_finished_lines, ["a", "b"]);
    }

    #[test]
    fn a_command_on_the_pty_sees_a_terminal_and_its_output_is_captured() {
        let mut command = Command::new("sh");
        command.args(["-c", "test -t 2 && echo 'on a tty' >&2"]);
        let (status, output) = run_in_pty(command).unwrap();
        assert!(status.success());
        assert_eq!(Screen::render(&output).lines, ["on a tty"]);
    }
}
