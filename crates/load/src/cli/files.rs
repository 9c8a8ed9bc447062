//! Files and signals around a CLI run: the `--timeline` and `--raw` writers, `--uris-file`,
//! and Ctrl-C/SIGTERM turned into a clean stop.
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use lameduck_core::schema::{TimelineHeader, TimelineLine};

use super::output;
use super::Args;
use crate::outcome::Outcome;
use crate::{RunHooks, StopHandle};

/// The live console, when stderr is a terminal; shared by the per-second and event hooks.
pub(super) type Live = Rc<RefCell<Option<crate::live::LiveConsole>>>;

/// Open output files; write errors are kept and reported once at the end, never abort a run.
pub(super) struct Sinks {
    timeline: Option<(String, BufWriter<File>)>,
    raw: Option<(String, BufWriter<File>)>,
    error: Rc<RefCell<Option<String>>>,
}

fn create(path: &Path, flag: &str) -> Result<(String, BufWriter<File>), String> {
    let name = path.display().to_string();
    let file = File::create(path).map_err(|e| format!("{flag} {name}: cannot create: {e}"))?;
    Ok((name, BufWriter::new(file)))
}

impl Sinks {
    pub fn open(args: &Args) -> Result<Sinks, String> {
        Ok(Sinks {
            timeline: args.timeline.as_deref().map(|p| create(p, "--timeline")).transpose()?,
            raw: args.raw.as_deref().map(|p| create(p, "--raw")).transpose()?,
            error: Rc::default(),
        })
    }

    /// Hooks that print a line per second (unless `quiet`) and every line `--exec-at`
    /// commands print, and feed the files; the timeline opens with `header`.
    // Long because one block per output file (--raw, --timeline, live view), each wiring its file
    // to its hook.
    pub fn hooks(
        &mut self,
        quiet: bool,
        stop: StopHandle,
        live: Live,
        mut header: TimelineHeader,
    ) -> RunHooks<'_> {
        let timeline = Rc::new(RefCell::new(self.timeline.as_mut()));
        let start_unix = Rc::new(Cell::new(0.0_f64));
        let fail = {
            let error = self.error.clone();
            move |name: &str, e: std::io::Error| {
                error.borrow_mut().get_or_insert_with(|| format!("cannot write {name}: {e}"));
            }
        };
        let on_second = {
            let (timeline, fail, live) = (timeline.clone(), fail.clone(), live.clone());
            move |second: &crate::SecondRecord| {
                if let Some(console) = live.borrow_mut().as_mut() {
                    console.second(second);
                } else if !quiet {
                    eprintln!("{}", output::second_line(second));
                }
                if let Some((name, file)) = timeline.borrow_mut().as_mut() {
                    if let Err(e) = write_json_line(file, TimelineLine::Second(second.clone())) {
                        fail(name, e);
                    }
                }
            }
        };
        let on_exec_output = {
            let live = live.clone();
            move |line: &crate::ExecLine| {
                // Shown even with --quiet: it is the command's output, e.g. kubectl's error.
                let text = output::exec_output_line(line);
                match live.borrow().as_ref() {
                    Some(console) => console.println(text),
                    None => eprintln!("{text}"),
                }
            }
        };
        let on_event = {
            let (timeline, fail) = (timeline.clone(), fail.clone());
            move |event: &crate::Event| {
                if let Some(console) = live.borrow().as_ref() {
                    console.println(output::event_line(event));
                } else if !quiet {
                    eprintln!("{}", output::event_line(event));
                }
                if let Some((name, file)) = timeline.borrow_mut().as_mut() {
                    if let Err(e) = write_json_line(file, TimelineLine::Event(event.clone())) {
                        fail(name, e);
                    }
                }
            }
        };
        let on_start = {
            let (start_unix, fail) = (start_unix.clone(), fail.clone());
            move |_| {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
                start_unix.set(now.as_secs_f64());
                header.started_unix_ms = now.as_millis() as u64;
                header.started = lameduck_core::clock::rfc3339(header.started_unix_ms);
                if let Some((name, file)) = timeline.borrow_mut().as_mut() {
                    if let Err(e) = write_json_line(file, TimelineLine::Header(header.clone())) {
                        fail(name, e);
                    }
                }
            }
        };
        let on_request = self.raw.as_mut().map(|(name, file)| {
            let name = name.clone();
            Box::new(move |r: &crate::RequestRecord<'_>| {
                let outcome = match r.outcome {
                    Outcome::Status(code) => code.to_string(),
                    Outcome::Net(error) => error.name().into_owned(),
                };
                let line = writeln!(
                    file,
                    "{:.6}\t{}\t{}\t{}\t{}",
                    start_unix.get() + r.intended.as_secs_f64(),
                    r.latency.as_micros(),
                    outcome,
                    r.bytes_out,
                    r.bytes_in
                );
                if let Err(e) = line {
                    fail(&name, e);
                }
            }) as crate::OnRequest<'_>
        });
        RunHooks {
            on_start: Some(Box::new(on_start)),
            on_second: Some(Box::new(on_second)),
            on_event: Some(Box::new(on_event)),
            on_request,
            on_exec_output: Some(Box::new(on_exec_output)),
            stop: Some(stop),
            events: None,
        }
    }

    /// Ends the timeline with its summary record (`report`, the `--format json` object, without
    /// its seconds and events, which the timeline already has), flushes the files and reports
    /// the first write error, if any.
    pub fn finish(mut self, report: &crate::Report) -> Result<(), String> {
        if let Some((name, file)) = self.timeline.as_mut() {
            let summary =
                crate::Report { seconds: Vec::new(), events: Vec::new(), ..report.clone() };
            write_json_line(file, TimelineLine::Summary(Box::new(summary)))
                .map_err(|e| format!("cannot write {name}: {e}"))?;
        }
        for (name, file) in self.timeline.iter_mut().chain(self.raw.iter_mut()) {
            file.flush().map_err(|e| format!("cannot write {name}: {e}"))?;
        }
        match self.error.borrow_mut().take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

fn write_json_line(file: &mut BufWriter<File>, line: TimelineLine) -> std::io::Result<()> {
    serde_json::to_writer(&mut *file, &line).map_err(std::io::Error::other)?;
    file.write_all(b"\n")?;
    // Each line is flushed so `tail -f` and a crash both see every closed second.
    file.flush()
}

/// Reads `--uris-file`: full URLs, or paths joined to the origin of the first of `base`.
pub(super) fn read_uris(path: &Path, base: &[String]) -> Result<Vec<String>, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--uris-file {name}: cannot read: {e}"))?;
    let origin = base.first().map(|url| {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let end = url[after_scheme..].find(['/', '?']).map_or(url.len(), |i| after_scheme + i);
        url[..end].to_string()
    });
    let mut urls = base.to_vec();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("http://") || line.starts_with("https://") {
            urls.push(line.to_string());
        } else if line.starts_with('/') {
            let origin = origin.as_ref().ok_or_else(|| {
                format!(
                    "--uris-file {name}:{}: `{line}` is a path; give a URL on the command line \
                     (or --tank) to say which server it is on",
                    number + 1
                )
            })?;
            urls.push(format!("{origin}{line}"));
        } else {
            return Err(format!(
                "--uris-file {name}:{}: `{line}` must be a URL (http://...) or a path (/...)",
                number + 1
            ));
        }
    }
    // The URL that only served as the origin for paths is not itself a target.
    if base.len() == 1 && urls.len() > 1 && origin.is_some() {
        urls.remove(0);
    }
    Ok(urls)
}

/// The first Ctrl-C or SIGTERM stops scheduling and lets outstanding requests finish (two
/// seconds at most); a second one abandons them. Either way the summary is printed.
pub(super) struct SignalGuard {
    handle: Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub(super) fn stop_on_signals(stop: StopHandle) -> std::io::Result<SignalGuard> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let handle = signals.handle();
    let thread = std::thread::spawn(move || {
        for _ in signals.forever() {
            stop.stop();
        }
    });
    Ok(SignalGuard { handle, thread: Some(thread) })
}

impl SignalGuard {
    pub fn close(mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
