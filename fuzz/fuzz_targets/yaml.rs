//! YAML parser and Kubernetes object extraction: any bytes give documents or an error, within the
//! nesting and alias budgets (fuzz/seeds/yaml holds an alias bomb that reaches the byte budget).
#![no_main]
use lameduck_check::k8s::{extract, Objects};
use lameduck_check::parse::yaml::{helm_sections, parse_documents};
use lameduck_check::source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = SourceFile::new("f.yaml".into(), String::from_utf8_lossy(data).into_owned());
    let _ = helm_sections(&source);
    match parse_documents(0, &source) {
        Ok(docs) => {
            let mut objects = Objects::default();
            for doc in &docs {
                extract(doc, &mut objects);
            }
        }
        Err(e) => assert!(e.offset <= source.text.len()),
    }
});
