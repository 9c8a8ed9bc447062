//! The checker never panics: every fixture, cut short at many points and with bytes flipped, is
//! run through the whole pipeline and every output format, as each kind of file it could be.
use lameduck_check::finding::Severity;
use lameduck_check::output::Format;
use lameduck_check::project::Project;
use lameduck_check::settings::Settings;

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn truncated_and_mangled_inputs_never_panic() {
    let mut paths = Vec::new();
    files(std::path::Path::new("tests/fixtures"), &mut paths);
    paths.sort();
    let names = ["x.yaml", "Dockerfile", "php-fpm.conf", "nginx.conf", "supervisord.conf"];
    let mut runs = 0;
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let step = (text.len() / 12).max(1);
        for cut in (0..text.len()).step_by(step) {
            let mut end = cut;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let mut cut_text = text[..end].to_string();
            // Also flip one structural character into another, where there is one.
            if let Some(at) = cut_text.rfind([':', '{', '[', '=', '"']) {
                cut_text.replace_range(at..at + 1, "\"");
            }
            for name in names {
                let project = Project::from_text(name, &cut_text, Settings::default());
                for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
                    let out = lameduck_check::run(&project, format, Severity::Warning, false);
                    assert!(out.exit <= 2);
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 1000, "only {runs} runs");
}
