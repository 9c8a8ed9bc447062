//! The real nginx as the ingress (`model: nginx`) against the in-process ingress-nginx model
//! (`nginx-model`), on the built-in `nginx-sigterm` (nginx 1.17 in the pods: SIGTERM cuts the
//! requests in flight), scaled 4 → 2 with every request taking 2 s. nginx retries a GET on
//! another pod even after it was sent (`proxy_next_upstream error timeout`, 3 tries), so the
//! client sees the cut only when all three tries fail (the balancer's round robin does not skip
//! pods already tried, and two of the four are dying); the model retries only requests not yet
//! sent and answers 502 at the first cut, and so does the real HAProxy (`model: haproxy`), which
//! retries only connections that failed.
mod common;

use std::path::Path;
use std::process::Command;

use common::{is_root, run_lab};
use serde_json::Value;

/// `nginx-sigterm` behind `model`, with the client's keep-alive as the seed has it.
fn scenario(model: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["--dump", "nginx-sigterm"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let edits = [
        ("name: nginx-sigterm", format!("name: retry-{model}")),
        ("  model: alb", format!("  model: {model}")),
        ("const(6, 10s)", "const(6, 5s)".into()),
        (
            r#"uris: ["/?ms=500", "/?ms=1000", "/?ms=1500", "/?ms=2000"]"#,
            r#"uris: ["/?ms=2000"]"#.into(),
        ),
        ("scale: 1", "scale: 2".into()),
    ];
    edits.iter().fold(text, |text, (from, to)| {
        assert!(text.contains(from), "nginx-sigterm has `{from}`");
        text.replacen(from, to, 1)
    })
}

fn upstream_failures(run_dir: &Path, name: &str) -> Vec<Value> {
    let result: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("result.json")).unwrap()).unwrap();
    let row = result["scenarios"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap();
    row["upstream_failures"].as_array().unwrap().clone()
}

#[test]
fn real_nginx_retries_a_sent_get_that_the_model_and_haproxy_fail() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = ["nginx", "nginx-model", "haproxy"]
        .iter()
        .map(|model| {
            let path = dir.path().join(format!("{model}.yaml"));
            std::fs::write(&path, scenario(model)).unwrap();
            path
        })
        .collect();
    // A run directory deeper than a socket address holds: HAProxy's runtime API socket ends
    // up at 130 bytes, past HAProxy's own limit for a `stats socket` path (97) and the
    // kernel's (107), and so do both ingresses' log sockets.
    let suffix = "/run/retry-haproxy/ingress-haproxy/admin.sock";
    let pad = 130usize.saturating_sub(dir.path().as_os_str().len() + 1 + suffix.len()).max(1);
    let run_dir = dir.path().join("d".repeat(pad)).join("run");
    let run = run_lab(&files, &run_dir);
    let (real, model) = (run.row("retry-nginx"), run.row("retry-nginx-model"));
    let stderr = &run.stderr;
    assert!(real["requests"].as_u64().unwrap() >= 25, "the load ran: {real}\n{stderr}");
    let real_failures = upstream_failures(&run_dir, "retry-nginx");
    let retried_after_sending =
        real_failures.iter().filter(|f| f["sent"] == true && f["status"].is_null()).count();
    assert!(retried_after_sending > 0, "nginx saw a sent request cut and retried it");
    // A client saw a failure only after nginx's three tries.
    for f in real_failures.iter().filter(|f| !f["status"].is_null()) {
        assert_eq!(f["attempt"], 3, "nginx answered before its last try: {f}\n{stderr}");
    }
    assert!(model["failed"].as_u64().unwrap() > 0, "the model answers 502: {model}\n{stderr}");
    let first_cut_is_502 = |name: &str| {
        upstream_failures(&run_dir, name)
            .into_iter()
            .any(|f| f["sent"] == true && f["status"] == 502 && f["attempt"] == 1)
    };
    assert!(first_cut_is_502("retry-nginx-model"), "the model does not retry a sent request");
    let haproxy = run.row("retry-haproxy");
    assert!(haproxy["failed"].as_u64().unwrap() > 0, "HAProxy answers 502: {haproxy}\n{stderr}");
    assert!(first_cut_is_502("retry-haproxy"), "HAProxy does not retry a sent request");
}
