//! The request mix (`load.requests`, `load.duration`) against real pods: failures are counted
//! per kind (method, client keep-alive), and behind the real nginx data plane a POST cut after
//! it was sent is not retried while a GET is.
//!
//! nginx, `ngx_http_upstream_next()` in src/http/ngx_http_upstream.c:
//!
//! ```c
//! if (u->request_sent
//!     && (r->method & (NGX_HTTP_POST|NGX_HTTP_LOCK|NGX_HTTP_PATCH)))
//! {
//!     ft_type |= NGX_HTTP_UPSTREAM_FT_NON_IDEMPOTENT;
//! }
//!
//! if (u->peer.tries == 0
//!     || ((u->conf->next_upstream & ft_type) != ft_type)
//! ```
//!
//! and the `proxy_next_upstream` docs: "non_idempotent: normally, requests with a
//! non-idempotent method (POST, LOCK, PATCH) are not passed to the next server if a request
//! has been sent to an upstream server (1.9.13); enabling this option explicitly allows
//! retrying such requests". ingress-nginx writes `proxy_next_upstream error timeout;` without
//! it (`retry-non-idempotent: false` by default).
mod common;

use common::{dumped, is_root, result_row, run_lab};
use std::path::Path;

/// The built-in `name` with its `uris` replaced by `mix` and the other `edits` made.
fn with_mix(name: &str, mix: &str, edits: &[(&str, &str)]) -> String {
    let text = dumped(name, edits);
    let uris = text.lines().find(|l| l.trim_start().starts_with("uris:")).unwrap().to_string();
    text.replacen(&uris, mix, 1)
}

/// The per-kind counts of scenario `name` in the run's result.json, as
/// `(method, keepalive, requests, failed)`.
fn kinds(run_dir: &Path, name: &str) -> Vec<(String, bool, u64, u64)> {
    let row = result_row(run_dir, name);
    row["kinds"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} has no kinds: {row}"))
        .iter()
        .map(|k| {
            let n = |f: &str| k[f].as_u64().unwrap();
            (
                k["method"].as_str().unwrap().into(),
                k["keepalive"] == true,
                n("requests"),
                n("failed"),
            )
        })
        .collect()
}

fn of<'a>(kinds: &'a [(String, bool, u64, u64)], method: &str) -> &'a (String, bool, u64, u64) {
    kinds.iter().find(|k| k.0 == method).unwrap_or_else(|| panic!("no {method} in {kinds:?}"))
}

#[test]
fn real_nginx_retries_a_cut_get_but_not_a_cut_post() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    // nginx 1.17 in the pods (SIGTERM cuts what is in flight), 4 → 2 pods, every request 2 s:
    // each request in flight on a deleted pod is cut after nginx sent it.
    let mix = "  requests:\n    - {method: GET, uri: /, weight: 1, keepalive: false}\n    - {method: POST, uri: /, body: 4KiB, weight: 1, keepalive: false}\n  duration: {uniform: [2s, 2s]}";
    let text = with_mix(
        "nginx-sigterm",
        mix,
        &[
            ("name: nginx-sigterm", "name: post-vs-get"),
            ("  model: alb", "  model: nginx"),
            ("const(6, 10s)", "const(8, 5s)"),
            ("scale: 1", "scale: 2"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("post-vs-get.yaml");
    std::fs::write(&file, text).unwrap();
    let run_dir = dir.path().join("run");
    let run = run_lab(&[file], &run_dir);
    let stderr = &run.stderr;
    let kinds = kinds(&run_dir, "post-vs-get");
    let (get, post) = (of(&kinds, "GET"), of(&kinds, "POST"));
    assert!(get.2 >= 10 && post.2 >= 10, "both kinds ran: {kinds:?}\n{stderr}");
    assert!(post.3 > 0, "nginx answered 502 to a cut POST: {kinds:?}\n{stderr}");
    // What the client got from nginx, by try: a cut answered before the third try was not
    // retried, which nginx does only for a POST once sent. A GET fails only when its three
    // tries all met dying pods (the round robin does not skip pods already tried).
    let answered: Vec<_> = result_row(&run_dir, "post-vs-get")["upstream_failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["status"].is_null())
        .cloned()
        .collect();
    let early: Vec<_> = answered.iter().filter(|f| f["attempt"].as_u64() < Some(3)).collect();
    assert!(!early.is_empty(), "a cut POST was answered at once: {answered:?}");
    assert!(early.iter().all(|f| f["sent"] == true), "only a sent POST is not retried: {early:?}");
    let after_three = answered.len() - early.len();
    assert!(get.3 as usize <= after_three, "a GET failed before its third try: {answered:?}");
}

#[test]
fn a_mix_is_counted_per_kind_and_drawn_the_same_from_the_same_seed() {
    if !is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    // Graceful pods (SIGQUIT, endpoint removed at once): nothing fails, so every request of
    // each kind completes, and the counts show the seeded draw itself.
    let mix = "  requests:\n    - {method: GET, uri: /, weight: 3}\n    - {method: POST, uri: /, body: 4KiB, weight: 1, keepalive: false}\n    - {method: GET, uri: /, weight: 1, keepalive: false}\n  duration: {choose: [{value: 50ms, weight: 3}, {value: 1s, weight: 1}]}";
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = ["mix-a", "mix-b"]
        .iter()
        .map(|name| {
            let text = with_mix(
                "nginx-sigquit",
                mix,
                &[("name: nginx-sigquit", &format!("name: {name}"))],
            );
            let path = dir.path().join(format!("{name}.yaml"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let run_dir = dir.path().join("run");
    let run = run_lab(&files, &run_dir);
    let stderr = &run.stderr;
    let (a, b) = (kinds(&run_dir, "mix-a"), kinds(&run_dir, "mix-b"));
    assert_eq!(a, b, "same seed, same draw\n{stderr}");
    let requests: u64 = a.iter().map(|k| k.2).sum();
    assert_eq!(requests, run.row("mix-a")["requests"], "{a:?}");
    assert!(a.iter().all(|k| k.3 == 0), "graceful pods fail nothing: {a:?}\n{stderr}");
    let get_kept = a.iter().find(|k| k.0 == "GET" && k.1).unwrap();
    let get_closed = a.iter().find(|k| k.0 == "GET" && !k.1).unwrap();
    let post = of(&a, "POST");
    assert!(!post.1, "POST without keep-alive: {a:?}");
    // Weights 3 : 1 : 1 over 60 sends.
    assert!(get_kept.2 > get_closed.2 && get_kept.2 > post.2, "{a:?}");
    assert!(post.2 > 0 && get_closed.2 > 0, "{a:?}");
}
