//! Yandex.Tank ammo parsing: any bytes, in any of the three formats, give requests or an error
//! naming a line of the input (never a panic, never a line past its end).
#![no_main]
use libfuzzer_sys::fuzz_target;
use lameduck_load::ammo::{parse, AmmoType};

fuzz_target!(|data: &[u8]| {
    // Byte 0 picks the format; the rest is the file.
    let Some((kind, file)) = data.split_first() else { return };
    let kind = [AmmoType::Uri, AmmoType::Uripost, AmmoType::Phantom][usize::from(*kind % 3)];
    if let Err(error) = parse("fuzz", file, kind) {
        let lines = file.iter().filter(|b| **b == b'\n').count() + 1;
        assert!(error.line <= lines, "line {} of {lines}: {error}", error.line);
    }
});
