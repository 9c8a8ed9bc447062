//! YAML parser and Kubernetes object extraction: any bytes give documents or an error.
#![no_main]
use lameduck_check::k8s::{extract, Objects};
use lameduck_check::parse::yaml::{helm_sections, parse_documents};
use lameduck_check::source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = SourceFile::new("f.yaml".into(), String::from_utf8_lossy(data).into_owned());
    let _ = helm_sections(&source);
    if let Ok(docs) = parse_documents(0, &source) {
        let mut objects = Objects::default();
        for doc in &docs {
            extract(doc, &mut objects);
        }
    }
});
