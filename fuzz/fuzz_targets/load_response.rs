//! The load generator's HTTP/1.1 response parser: any bytes, cut at any points, give a status,
//! an error or a request for more, with a bounded buffer.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte: HEAD request or not, and how many of the next bytes are piece lengths.
    let Some((&control, rest)) = data.split_first() else { return };
    let cuts = usize::from(control >> 1).min(rest.len()).min(16);
    let (pieces, response) = rest.split_at(cuts);
    let _ = lameduck_load::fuzzing::response(response, pieces, control & 1 == 1);
});
