//! Your own images: mapped to a program the lab knows with `--image IMAGE=PROGRAM` or
//! `images: {IMAGE: PROGRAM}`, and an unknown one is an error that says both ways.
use std::process::Command;

use lameduck_lab::scenario::parse_str;

mod common;

const SHOP: &str = "name: shop
load: {schedule: \"const(2, 1s)\"}
pod:
  containers:
    - name: web
      image: mycorp/shop-nginx:1.4
      ports: [{containerPort: 80}]
";

#[test]
fn an_unknown_image_says_both_ways_to_map_it() {
    let err = parse_str("s.yaml", SHOP).unwrap_err().to_string();
    assert!(err.starts_with("s.yaml:6: unknown image `mycorp/shop-nginx:1.4`"), "{err}");
    assert!(err.contains("--image mycorp/shop-nginx:1.4=nginx"), "the flag: {err}");
    assert!(err.contains("images: {mycorp/shop-nginx:1.4: nginx}"), "the key: {err}");
    assert!(err.contains("nginx, php-fpm, apache2, caddy, supervisord"), "the programs: {err}");
    let near = parse_str("s.yaml", &SHOP.replace("mycorp/shop-nginx:1.4", "ngnix:1.25"))
        .unwrap_err()
        .to_string();
    assert!(near.contains("did you mean nginx:1.25?"), "{near}");
}

#[test]
fn the_images_key_maps_an_image_to_a_program() {
    let s = parse_str("s.yaml", &format!("{SHOP}images: {{mycorp/shop-nginx:1.4: nginx}}\n"))
        .expect("mapped image");
    let image = lameduck_lab::scenario::images::lookup("mycorp/shop-nginx:1.4", &s.images).unwrap();
    assert_eq!(image.cmd, ["nginx", "-g", "daemon off;"]);
    assert_eq!(image.stop_signal, libc::SIGQUIT, "the official nginx image's STOPSIGNAL");
    let err = parse_str("s.yaml", &format!("{SHOP}images:\n  mycorp/shop-nginx:1.4: ngnix\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown program `ngnix`; did you mean nginx?"), "{err}");
}

#[test]
fn the_image_flag_rejects_an_unknown_program_with_the_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .args(["seeds", "--image", "mycorp/shop-php:1.4=php-fmp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean php-fpm?"), "{stderr}");
    assert!(
        stderr.contains("nginx, php-fpm, apache2, caddy, supervisord, lameduck, sh"),
        "{stderr}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_lameduck-lab")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for (program, _) in lameduck_lab::scenario::images::PROGRAMS {
        assert!(help.contains(program), "--help lists {program}:\n{help}");
    }
}

#[test]
fn the_image_flag_runs_your_image_as_the_program() {
    if !common::is_root() {
        eprintln!("skipping: the lab needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, SHOP).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lameduck-lab"))
        .arg(&file)
        .args(["--image", "mycorp/shop-nginx:1.4=nginx", "--format", "json", "--run-dir"])
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &summary["scenarios"][0];
    assert_eq!(row["codes"]["200"], row["requests"], "nginx answered every request: {row}");
    let events = std::fs::read_to_string(dir.path().join("run/shop/events.log")).unwrap();
    assert!(events.contains("nginx -g daemon off;") && events.contains("stop signal SIGQUIT"));
}

#[test]
fn apache_and_caddy_images_run_as_their_official_images_do() {
    use lameduck_lab::scenario::images::lookup;
    let none = std::collections::BTreeMap::new();
    let image = |name: &str| lookup(name, &none).unwrap_or_else(|e| panic!("{name}: {e}"));
    for apache in ["php:8.2-apache", "php:8.3-apache-bookworm", "httpd", "httpd:2.4", "wordpress"] {
        let image = image(apache);
        assert_eq!(image.cmd, ["apache2", "-DFOREGROUND"], "{apache}");
        assert_eq!(image.stop_signal, libc::SIGWINCH, "{apache}: STOPSIGNAL SIGWINCH");
        assert!(image.env.iter().any(|(k, _)| k == "APACHE_RUN_DIR"), "{apache}: envvars");
    }
    assert_eq!(image("wordpress:6-fpm").stop_signal, libc::SIGQUIT, "the fpm variants");
    assert_eq!(image("nextcloud:fpm").cmd, ["php-fpm", "-F"]);
    let caddy = image("caddy:2");
    assert_eq!(caddy.cmd[..2], ["caddy", "run"]);
    assert_eq!(caddy.stop_signal, libc::SIGTERM, "the caddy image sets no STOPSIGNAL");
    assert!(caddy.env.iter().any(|(k, v)| k == "XDG_CONFIG_HOME" && v.starts_with("/run/")));
    assert!(lookup("caddy:2-builder", &none).is_err(), "the builder image runs no server");
}
