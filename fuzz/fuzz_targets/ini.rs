//! INI parser (php-fpm and supervisord): ranges always lie inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(ini) = lameduck_check::parse::ini::parse(&text) {
        for section in &ini.sections {
            for entry in &section.entries {
                assert!(entry.value_range.end <= text.len() && entry.key_range.end <= text.len());
            }
        }
    }
});
