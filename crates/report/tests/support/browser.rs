//! Headless Chromium for the report tests: screenshots and DOM dumps of a report file, always
//! with the network disabled, plus PNG pixel counting.
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where scripts/install-deps puts Debian's chromium (override with LAMEDUCK_CHROMIUM).
pub fn chromium() -> PathBuf {
    let path = std::env::var_os("LAMEDUCK_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "{} not found: the report browser tests need Debian's chromium; run scripts/install-deps \
         (as root) to install it, or set LAMEDUCK_CHROMIUM to a Chromium binary",
        path.display()
    );
    path
}

/// What one Chromium invocation printed.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// JavaScript console messages Chromium logged (`--enable-logging=stderr`).
    pub fn console_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.contains("CONSOLE")).collect()
    }
}

/// Runs headless Chromium on `html` with `extra` flags. A fresh profile directory each time,
/// and no way out: every connection goes to a dead local proxy port and no host resolves.
pub fn run(html: &Path, extra: &[String]) -> Run {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut command = Command::new(chromium());
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]);
    command.arg(format!("--user-data-dir={}", profile.path().display()));
    command.args(extra);
    command.arg(format!("file://{}", html.canonicalize().expect("report path").display()));
    let output = command.output().expect("run chromium");
    let run = Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(output.status.success(), "chromium failed ({}):\n{}", output.status, run.stderr);
    run
}

/// Screenshot of `html` at `width`×`height` into `png`.
pub fn screenshot(html: &Path, png: &Path, width: u32, height: u32) -> Run {
    let run = run(
        html,
        &[format!("--screenshot={}", png.display()), format!("--window-size={width},{height}")],
    );
    assert!(png.exists(), "chromium wrote no screenshot:\n{}", run.stderr);
    run
}

/// The DOM after loading `html`.
pub fn dump_dom(html: &Path) -> Run {
    run(html, &["--dump-dom".to_string()])
}

/// A decoded RGB(A) screenshot.
pub struct Image {
    pub width: u32,
    pub height: u32,
    pixels: Vec<[u8; 3]>,
}

impl Image {
    pub fn open(path: &Path) -> Image {
        let decoder = png::Decoder::new(std::fs::File::open(path).expect("open png"));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("png frame");
        let channels = info.color_type.samples();
        assert!(
            info.bit_depth == png::BitDepth::Eight && channels >= 3,
            "unexpected png format {info:?}"
        );
        let pixels =
            buf[..info.buffer_size()].chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();
        Image { width: info.width, height: info.height, pixels }
    }

    /// Pixels of exactly `hex` (`#rrggbb`), give or take 2 per channel.
    pub fn count(&self, hex: &str) -> usize {
        let want = rgb(hex);
        self.pixels.iter().filter(|p| p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 2)).count()
    }

    /// Pixels that are not (nearly) white.
    pub fn ink(&self) -> usize {
        self.pixels.iter().filter(|p| p.iter().any(|c| *c < 240)).count()
    }
}

fn rgb(hex: &str) -> [u8; 3] {
    let h = hex.trim_start_matches('#');
    let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).expect("hex color");
    [byte(0), byte(2), byte(4)]
}

/// `data-kind` values of the outcome legend items in a DOM dump, in order.
pub fn legend_kinds(dom: &str) -> Vec<Vec<String>> {
    dom.split("<ul class=\"legend outcomes\"")
        .skip(1)
        .map(|legend| {
            let legend = &legend[..legend.find("</ul>").unwrap_or(legend.len())];
            legend
                .split("data-kind=\"")
                .skip(1)
                .map(|rest| rest[..rest.find('"').unwrap_or(0)].to_string())
                .collect()
        })
        .collect()
}

/// Static check that a report references nothing outside itself.
pub fn assert_self_contained(html: &str) {
    for needle in [
        "http://",
        "https://",
        "src=",
        "@import",
        "url(http",
        "<script",
        "<link",
        "href='//",
        "href=\"//",
    ] {
        assert!(!html.contains(needle), "report contains `{needle}`");
    }
    // Every url(...) is a same-document fragment (#pattern).
    for part in html.split("url(").skip(1) {
        assert!(
            part.starts_with('#'),
            "url() to something other than a fragment: url({})",
            &part[..part.len().min(40)]
        );
    }
    for part in html.split("href=").skip(1) {
        assert!(
            part[1..].starts_with('#'),
            "href to something other than a fragment: href={}",
            &part[..part.len().min(40)]
        );
    }
}

/// A directory for test artifacts that survives the test when LAMEDUCK_KEEP_ARTIFACTS is set
/// (to look at the screenshots), else a temp dir removed at the end.
pub enum Artifacts {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl Artifacts {
    pub fn new(name: &str) -> Artifacts {
        match std::env::var_os("LAMEDUCK_KEEP_ARTIFACTS") {
            Some(dir) => {
                let dir = PathBuf::from(dir).join(name);
                std::fs::create_dir_all(&dir).expect("artifact dir");
                Artifacts::Kept(dir)
            }
            None => Artifacts::Temp(tempfile::tempdir().expect("temp dir")),
        }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        match self {
            Artifacts::Temp(dir) => dir.path().join(file),
            Artifacts::Kept(dir) => dir.join(file),
        }
    }
}
