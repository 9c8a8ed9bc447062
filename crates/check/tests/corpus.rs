//! Precision and recall on real repositories: every folder under tests/corpus holds files copied
//! verbatim from one public repository (see tests/corpus/SOURCES.tsv), and tests/corpus/JUDGED.tsv
//! says, for every finding the checker reports there, whether it is a real bug or a false
//! positive, and lists the bugs it misses. A finding the table does not judge fails the test: a
//! change to the checker that reports something new on real configs must be judged by hand.
use std::collections::BTreeMap;
use std::time::Instant;

use lameduck_check::location::locate;
use lameduck_check::project::Project;
use lameduck_check::settings::Settings;

const CORPUS: &str = "tests/corpus";
/// The rule name a file that cannot be parsed is judged under.
const PARSE_ERROR: &str = "parse-error";
/// What the gated test asks of the checker, overall.
const TARGET: f64 = 0.95;

/// Where a report is: repository folder, path inside it, line, rule.
type Key = (String, String, usize, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Real,
    False,
    Missed,
}

struct Judgement {
    key: Key,
    verdict: Verdict,
}

/// Real, false and missed counts for one rule.
#[derive(Default, Clone, Copy)]
struct Tally {
    real: usize,
    false_positive: usize,
    missed: usize,
}

impl Tally {
    fn precision(self) -> f64 {
        ratio(self.real, self.real + self.false_positive)
    }

    fn recall(self) -> f64 {
        ratio(self.real, self.real + self.missed)
    }
}

/// A ratio that is 1 when there is nothing to count (no finding cannot be a wrong one).
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// The outcome of comparing the checker's reports with the table.
struct Comparison {
    tally: BTreeMap<String, Tally>,
    unjudged: Vec<Key>,
    /// Judged real, no longer reported: the checker lost a bug it used to find.
    lost: Vec<Key>,
    /// Judged false, no longer reported: a fixed false positive whose row can go.
    fixed: Vec<Key>,
    /// Judged missed, now reported at the judged place.
    now_found: Vec<Key>,
}

fn judgements() -> Vec<Judgement> {
    let text = std::fs::read_to_string(format!("{CORPUS}/JUDGED.tsv")).expect("JUDGED.tsv");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 6, "JUDGED.tsv row needs 6 tab-separated columns: {line}");
            let verdict = match cols[4] {
                "real" => Verdict::Real,
                "false" => Verdict::False,
                "missed" => Verdict::Missed,
                other => panic!("JUDGED.tsv: verdict `{other}` is not real|false|missed: {line}"),
            };
            assert!(!cols[5].trim().is_empty(), "JUDGED.tsv row has no why: {line}");
            let line_no = cols[2].parse().unwrap_or_else(|_| panic!("bad line number: {line}"));
            let key = (cols[0].to_string(), cols[1].to_string(), line_no, cols[3].to_string());
            Judgement { key, verdict }
        })
        .collect()
}

fn repositories() -> Vec<String> {
    let mut repos: Vec<String> = std::fs::read_dir(CORPUS)
        .expect("tests/corpus exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    repos.sort();
    repos
}

/// Everything the checker reports on one repository folder: findings and parse errors.
fn reports(repo: &str) -> Vec<Key> {
    let dir = format!("{CORPUS}/{repo}");
    let project = Project::load(std::slice::from_ref(&dir), Settings::default()).expect("loads");
    let prefix = format!("{dir}/");
    let key = |span, rule: &str| {
        let location = locate(&project, span);
        let file = location.file.strip_prefix(&prefix).unwrap_or(&location.file).to_string();
        (repo.to_string(), file, location.start.line, rule.to_string())
    };
    let mut out: Vec<Key> =
        lameduck_check::engine::check(&project).iter().map(|f| key(f.span, f.rule)).collect();
    out.extend(project.failures.iter().map(|f| key(f.span, PARSE_ERROR)));
    out
}

/// Takes one judgement of `key` with one of `verdicts` out of `pool`.
fn take(pool: &mut Vec<Judgement>, key: &Key, verdicts: &[Verdict]) -> Option<Verdict> {
    let at = pool.iter().position(|j| &j.key == key && verdicts.contains(&j.verdict))?;
    Some(pool.swap_remove(at).verdict)
}

fn compare(found: Vec<Key>, mut pool: Vec<Judgement>) -> Comparison {
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let (mut unjudged, mut now_found) = (Vec::new(), Vec::new());
    for key in found {
        let entry = tally.entry(key.3.clone()).or_default();
        match take(&mut pool, &key, &[Verdict::Real, Verdict::False]) {
            Some(Verdict::Real) => entry.real += 1,
            Some(_) => entry.false_positive += 1,
            None if take(&mut pool, &key, &[Verdict::Missed]).is_some() => {
                entry.real += 1;
                now_found.push(key);
            }
            None => unjudged.push(key),
        }
    }
    let (mut lost, mut fixed) = (Vec::new(), Vec::new());
    for judgement in pool {
        match judgement.verdict {
            Verdict::Missed => tally.entry(judgement.key.3.clone()).or_default().missed += 1,
            Verdict::Real => lost.push(judgement.key),
            Verdict::False => fixed.push(judgement.key),
        }
    }
    Comparison { tally, unjudged, lost, fixed, now_found }
}

fn overall(tally: &BTreeMap<String, Tally>) -> Tally {
    tally.values().fold(Tally::default(), |sum, t| Tally {
        real: sum.real + t.real,
        false_positive: sum.false_positive + t.false_positive,
        missed: sum.missed + t.missed,
    })
}

fn table(tally: &BTreeMap<String, Tally>) -> String {
    let mut out = format!(
        "{:<20} {:>5} {:>5} {:>6} {:>9} {:>6}\n",
        "rule", "real", "false", "missed", "precision", "recall"
    );
    let all = overall(tally);
    for (rule, t) in tally.iter().map(|(r, t)| (r.as_str(), *t)).chain([("overall", all)]) {
        out += &format!(
            "{rule:<20} {:>5} {:>5} {:>6} {:>9.2} {:>6.2}\n",
            t.real,
            t.false_positive,
            t.missed,
            t.precision(),
            t.recall()
        );
    }
    out
}

fn list(keys: &[Key]) -> String {
    keys.iter()
        .map(|(repo, file, line, rule)| format!("  {repo}\t{file}\t{line}\t{rule}\n"))
        .collect()
}

fn run_corpus() -> Comparison {
    let started = Instant::now();
    let found: Vec<Key> = repositories().iter().flat_map(|repo| reports(repo)).collect();
    let elapsed = started.elapsed();
    let comparison = compare(found, judgements());
    println!("corpus checked in {elapsed:?}\n{}", table(&comparison.tally));
    if !comparison.fixed.is_empty() {
        println!(
            "false positives no longer reported (drop their rows):\n{}",
            list(&comparison.fixed)
        );
    }
    if !comparison.now_found.is_empty() {
        println!("missed bugs now found (mark them real):\n{}", list(&comparison.now_found));
    }
    comparison
}

#[test]
fn every_finding_on_the_corpus_is_judged() {
    let comparison = run_corpus();
    assert!(
        comparison.unjudged.is_empty(),
        "findings not judged in tests/corpus/JUDGED.tsv; add a row (repo, file, line, rule, \
         real|false, why) for each:\n{}",
        list(&comparison.unjudged)
    );
    assert!(
        comparison.lost.is_empty(),
        "real bugs in JUDGED.tsv the checker no longer reports (or reports elsewhere):\n{}",
        list(&comparison.lost)
    );
}

#[test]
fn precision_and_recall_on_the_corpus_reach_the_target() {
    let all = overall(&run_corpus().tally);
    assert!(all.precision() >= TARGET, "precision {:.3} < {TARGET}", all.precision());
    assert!(all.recall() >= TARGET, "recall {:.3} < {TARGET}", all.recall());
}

#[test]
fn the_corpus_is_large_and_every_file_has_a_source() {
    let sources = std::fs::read_to_string(format!("{CORPUS}/SOURCES.tsv")).expect("SOURCES.tsv");
    let rows: Vec<Vec<&str>> = sources.lines().skip(1).map(|l| l.split('\t').collect()).collect();
    for row in &rows {
        assert_eq!(row.len(), 5, "SOURCES.tsv row needs repo, path, commit, license, class");
        assert!(row[2].len() == 40 && row[2].bytes().all(|b| b.is_ascii_hexdigit()), "{row:?}");
        let folder = row[0].replacen('/', "__", 1);
        let path = format!("{CORPUS}/{folder}/{}", row[1]);
        assert!(std::path::Path::new(&path).is_file(), "{path} listed but missing");
    }
    let repos: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    assert!(rows.len() >= 150 && repos.len() >= 40, "{} files, {} repos", rows.len(), repos.len());
    let listed: std::collections::BTreeSet<String> =
        rows.iter().map(|r| format!("{CORPUS}/{}/{}", r[0].replacen('/', "__", 1), r[1])).collect();
    let mut on_disk = Vec::new();
    for repo in repositories() {
        files(std::path::Path::new(&format!("{CORPUS}/{repo}")), &mut on_disk);
    }
    let unlisted: Vec<&String> = on_disk.iter().filter(|p| !listed.contains(*p)).collect();
    assert!(unlisted.is_empty(), "files in tests/corpus not in SOURCES.tsv: {unlisted:?}");
}

fn files(dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path.to_string_lossy().into_owned());
        }
    }
}
