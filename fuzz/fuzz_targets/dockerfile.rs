//! Dockerfile parser: any bytes give a Dockerfile or an error, with offsets inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match lameduck_check::parse::dockerfile::parse(&text) {
        Ok(d) => {
            for stage in &d.stages {
                assert!(stage.base_range.end <= text.len());
            }
        }
        Err(e) => assert!(e.offset <= text.len()),
    }
});
