//! The whole checker on one input of any kind (the first byte picks the file name, so the same
//! bytes are tried as YAML, Dockerfile and each config kind), rendered in every format.
#![no_main]
use lameduck_check::settings::Settings;
use lameduck_check::finding::Severity;
use lameduck_check::output::Format;
use lameduck_check::project::Project;
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] =
    &["k.yaml", "Dockerfile", "php-fpm.conf", "nginx.conf", "supervisord.conf", "-"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let name = NAMES[pick as usize % NAMES.len()];
    // Decoded as files are (BOM, NUL, UTF-16, invalid UTF-8); what fails is still checked, lossily.
    let text = lameduck_check::read::decode(rest.to_vec())
        .unwrap_or_else(|_| String::from_utf8_lossy(rest).into_owned());
    let project = Project::from_text(name, &text, Settings::default());
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let _ = lameduck_check::run(&project, format, Severity::Warning, false);
    }
});
