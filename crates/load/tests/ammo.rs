//! Yandex.Tank ammo against real nginx + php-fpm: each format sends the method, path, headers
//! and body its file says (php's `expect.php` answers 417 to any difference), round-robin over
//! the file (nginx's access log counts each entry's requests).
use std::path::Path;
use std::process::{Command, Output};

use lameduck_testkit::{Stack, StackOptions};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A stack whose nginx logs `METHOD URI` per request to `log`.
fn stack_logging_to(log: &Path) -> Stack {
    Stack::start(StackOptions {
        nginx_http: "log_format ammo '$request_method $request_uri';".into(),
        nginx_server: format!("access_log {} ammo;", log.display()),
        ..StackOptions::default()
    })
    .unwrap()
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lameduck-load")).args(args).current_dir(dir).output().unwrap()
}

/// How many requests of each `METHOD URI` nginx logged.
fn logged(log: &Path, line: &str) -> usize {
    std::fs::read_to_string(log).unwrap_or_default().lines().filter(|l| *l == line).count()
}

#[test]
fn uri_ammo_sends_each_path_with_the_headers_above_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let stack = stack_logging_to(&log);
    let (one, two) = (
        "/expect.php?method=GET&host=front.example&header=X-Ammo:one",
        "/expect.php?method=GET&host=front.example&header=X-Ammo:two",
    );
    let ammo = dir.path().join("ammo.txt");
    std::fs::write(
        &ammo,
        format!("[Host: front.example]\n[X-Ammo: one]\n{one}\n\n[X-Ammo: two]\n{two} tagged\n"),
    )
    .unwrap();
    let out = run(
        &[&stack.url("/"), "-s", "const(4,1s)", "--ammo", "ammo.txt", "--ammo-type", "uri"],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("codes    200=4\n"), "{stdout}");
    assert_eq!((logged(&log, &format!("GET {one}")), logged(&log, &format!("GET {two}"))), (2, 2));
}

#[test]
fn uripost_ammo_posts_each_body_by_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let stack = stack_logging_to(&log);
    let (hello, hi) = (
        "/expect.php?method=POST&host=front.example&header=X-Ammo:post&body=hello%0Aworld",
        "/expect.php?method=POST&body=hi",
    );
    let ammo = dir.path().join("post.ammo");
    std::fs::write(
        &ammo,
        format!("[Host: front.example]\n[X-Ammo: post]\n11 {hello}\nhello\nworld\n2 {hi}\nhi\n"),
    )
    .unwrap();
    let out = run(
        &[&stack.url("/"), "-s", "const(4,1s)", "--ammo", "post.ammo", "--ammo-type", "uripost"],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("codes    200=4\n"), "{stdout}\n{}", text(&out.stderr));
    assert_eq!(
        (logged(&log, &format!("POST {hello}")), logged(&log, &format!("POST {hi}"))),
        (2, 2)
    );
}

#[test]
fn phantom_ammo_from_a_tank_load_yaml_is_sent_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let stack = stack_logging_to(&log);
    let put = "PUT /expect.php?method=PUT&host=raw.example&body=abc HTTP/1.1\r\n\
               Host: raw.example\r\nContent-Length: 3\r\n\r\nabc";
    let get = "GET /expect.php?method=GET&header=X-Ammo:raw HTTP/1.1\r\nHost: raw.example\r\n\
               X-Ammo: raw\r\n\r\n";
    let tank = dir.path().join("tank");
    std::fs::create_dir(&tank).unwrap();
    std::fs::write(
        tank.join("ammo.txt"),
        format!("{} put\n{put}\n{}\n{get}\n", put.len(), get.len()),
    )
    .unwrap();
    // Tank's keys, with the ammo path relative to the load.yaml (run from another directory).
    std::fs::write(
        tank.join("load.yaml"),
        format!(
            "phantom:\n  address: 127.0.0.1:{}\n  ammofile: ammo.txt\n  ammo_type: phantom\n  \
             load_profile:\n    load_type: rps\n    schedule: const(4,1s)\n",
            stack.port()
        ),
    )
    .unwrap();
    let out = run(&["--tank", "tank/load.yaml"], dir.path());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("codes    200=4\n"), "{stdout}\n{}", text(&out.stderr));
    let first_line = |request: &str| request.lines().next().unwrap().replace(" HTTP/1.1", "");
    assert_eq!((logged(&log, &first_line(put)), logged(&log, &first_line(get))), (2, 2));
}

#[test]
fn a_bad_ammo_file_is_refused_before_the_run_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let cases = [
        // SIZE one short: the request loses its final line end.
        (format!("{}\n{request}", request.len() - 1), "ammo.txt:2: the request's headers"),
        // Something after the request that is not a chunk header.
        (format!("{}\n{request}extra\n", request.len()), "ammo.txt:5: expected `SIZE [tag]`"),
    ];
    for (ammo, message) in cases {
        std::fs::write(dir.path().join("ammo.txt"), ammo).unwrap();
        // Nothing listens on port 9: the run must not even start.
        let out =
            run(&["http://127.0.0.1:9/", "-s", "const(1,1s)", "--ammo", "ammo.txt"], dir.path());
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("lameduck load: --ammo {message}")), "{stderr}");
        assert!(stderr.contains("SIZE"), "{stderr}");
    }
}
