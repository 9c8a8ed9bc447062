//! Unit and property tests of the ammo parser.
use proptest::prelude::*;

use super::*;

fn requests(text: &str, kind: AmmoType) -> Vec<Missile> {
    parse("ammo.txt", text.as_bytes(), kind).unwrap()
}

fn error(text: &[u8], kind: AmmoType) -> AmmoError {
    parse("ammo.txt", text, kind).unwrap_err()
}

fn request(missile: &Missile) -> (&str, &str, Vec<(String, String)>, &[u8]) {
    match missile {
        Missile::Request { method, uri, headers, body } => {
            (method, uri.as_str(), headers.as_ref().clone(), body.as_slice())
        }
        Missile::Raw(_) => panic!("a raw request"),
    }
}

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_string(), value.to_string())
}

#[test]
fn uri_ammo_headers_apply_to_the_uris_after_them() {
    let text = "[Host: shop.example]\r\n[Connection: close]\n/ index\n\n/buy?id=1\n\
                [Connection: keep-alive]\n  /cart   tag2\n";
    let missiles = requests(text, AmmoType::Uri);
    assert_eq!(missiles.len(), 3);
    let (method, uri, headers, body) = request(&missiles[0]);
    assert_eq!((method, uri, body), ("GET", "/", &b""[..]));
    assert_eq!(headers, [pair("Host", "shop.example"), pair("Connection", "close")]);
    assert_eq!(request(&missiles[1]).1, "/buy?id=1");
    let (_, uri, headers, _) = request(&missiles[2]);
    assert_eq!(uri, "/cart");
    assert_eq!(headers, [pair("Host", "shop.example"), pair("Connection", "keep-alive")]);
}

#[test]
fn uripost_ammo_reads_each_body_by_its_size() {
    // The first body holds a line break and a `[`: only SIZE says where it ends.
    let text = "[Content-Type: application/json]\n5 /api/a tag\n{\n[1}\n\n0 /api/empty\n\
                [X-Trace: 7]\n2 /api/b\nhi\n";
    let missiles = requests(text, AmmoType::Uripost);
    assert_eq!(missiles.len(), 3);
    let (method, uri, headers, body) = request(&missiles[0]);
    assert_eq!((method, uri, body), ("POST", "/api/a", &b"{\n[1}"[..]));
    assert_eq!(headers, [pair("Content-Type", "application/json")]);
    assert_eq!(request(&missiles[1]).3, b"");
    let (_, uri, headers, body) = request(&missiles[2]);
    assert_eq!((uri, body), ("/api/b", &b"hi"[..]));
    assert_eq!(headers.len(), 2);
}

#[test]
fn phantom_ammo_is_sent_byte_for_byte_and_size_0_ends_it() {
    let get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    let post = "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    let text = format!(
        "{} good\n{get}\n{}\n{post}\n0\n{} after-the-end\n{get}",
        get.len(),
        post.len(),
        get.len()
    );
    let missiles = requests(&text, AmmoType::Phantom);
    assert_eq!(missiles, [Missile::Raw(get.into()), Missile::Raw(post.into())]);
}

#[test]
fn errors_name_the_line_and_what_to_do() {
    let get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let cases: Vec<(Vec<u8>, AmmoType, usize, &str)> = vec![
        (b"/ok\nindex.html\n".to_vec(), AmmoType::Uri, 2, "not a path"),
        (b"/ok\n[NoColon]\n".to_vec(), AmmoType::Uri, 2, "[Name: value]"),
        (b"\n\n".to_vec(), AmmoType::Uri, 1, "no requests"),
        (b"/a\n\xff\xfe\n".to_vec(), AmmoType::Uri, 2, "UTF-8"),
        (b"10 /a\nshort".to_vec(), AmmoType::Uripost, 1, "runs past the end"),
        (b"/a\n".to_vec(), AmmoType::Uripost, 1, "expected `SIZE /path [tag]`"),
        (b"3\n".to_vec(), AmmoType::Uripost, 1, "expected a path"),
        // SIZE one byte short: the request's last byte becomes the next chunk header.
        (format!("{}\n{get}", get.len() - 1).into_bytes(), AmmoType::Phantom, 2, "SIZE"),
        (format!("{}\n{get}\nxx\n", get.len()).into_bytes(), AmmoType::Phantom, 6, "SIZE is wrong"),
        (b"9\nGET / HTTP\n".to_vec(), AmmoType::Phantom, 2, "request line"),
        (b"16\nGET / HTTP/1.1\r\n".to_vec(), AmmoType::Phantom, 2, "blank line"),
        (b"99999999999999999999999 x\n".to_vec(), AmmoType::Phantom, 1, "expected `SIZE [tag]`"),
    ];
    for (text, kind, line, message) in cases {
        let err = error(&text, kind);
        assert_eq!(err.line, line, "{:?}: {err}", String::from_utf8_lossy(&text));
        assert!(err.message.contains(message), "{:?}: {err}", String::from_utf8_lossy(&text));
        assert!(err.to_string().starts_with(&format!("ammo.txt:{line}: ")), "{err}");
    }
}

#[test]
fn ammo_type_names_are_tanks_with_a_hint_for_near_misses() {
    for kind in [AmmoType::Uri, AmmoType::Uripost, AmmoType::Phantom] {
        assert_eq!(AmmoType::parse(kind.name()), Ok(kind));
    }
    assert!(AmmoType::parse("uri_post").unwrap_err().contains("did you mean uripost?"));
    assert!(AmmoType::parse("access").unwrap_err().contains("uri, uripost or phantom"));
}

#[test]
fn files_over_the_limit_or_compressed_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    assert!(load(&big, AmmoType::Uri).unwrap_err().message.contains("larger than 64 MiB"));
    let gz = dir.path().join("ammo.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0]).unwrap();
    assert!(load(&gz, AmmoType::Phantom).unwrap_err().message.contains("gunzip"));
}

proptest! {
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), kind in 0..3u8) {
        let kind = [AmmoType::Uri, AmmoType::Uripost, AmmoType::Phantom][kind as usize];
        let _ = parse("fuzz", &bytes, kind);
    }
}

#[test]
fn a_request_that_says_connection_close_is_recognised_in_its_head_only() {
    assert!(super::declares_close(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
    assert!(super::declares_close(b"POST / HTTP/1.1\r\nconnection: TE, Close\r\n\r\n"));
    assert!(!super::declares_close(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert!(!super::declares_close(b"POST / HTTP/1.1\r\nHost: a\r\n\r\nConnection: close\r\n"));
}
