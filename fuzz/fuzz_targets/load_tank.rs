//! Yandex.Tank load.yaml interpretation: any text gives a configuration or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lameduck_load::tank::parse(&String::from_utf8_lossy(data));
});
