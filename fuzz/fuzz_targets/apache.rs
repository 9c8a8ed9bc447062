//! Apache config parser: any bytes give directives or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match lameduck_check::parse::apache::parse(&text) {
        Ok(directives) => {
            for d in &directives {
                assert!(d.range.end <= text.len());
                assert!(d.args.iter().all(|(_, r)| r.end <= text.len()));
            }
        }
        Err(e) => assert!(e.offset <= text.len()),
    }
});
