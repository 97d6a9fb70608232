//! Detection rates on the public corpus (../shared/corpus, see its README): every positive
//! entry scanned raw, inside an Apache access-log line (User-Agent and URL-encoded query),
//! a Tomcat line and a Docker json-file record; benign logs must give no hit at medium or
//! above. Rates are printed per file and context (shown with
//! `cargo test --test shared corpus -- --include-ignored --nocapture`, and always on failure);
//! the test fails below 99 %.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use ctriage::logscan::{scan_reader, Engine, ScanConfig};
use ctriage::model::{Locator, Severity};

use crate::util::shared;

/// Lines of the PayloadsAllTheThings cheat sheet that are not attack commands, with why.
/// (1-based line numbers of positive/shell/patt_reverse_shell_cheatsheet_lines.txt.)
const CHEATSHEET_EXCLUDED: &[(&[usize], &str)] = &[
    (&[4, 6, 13, 42, 71, 93, 96, 114, 116, 119, 120, 176, 177], "prose, labels or a link, not a command"),
    (
        &[7, 8, 69, 70, 72, 74, 75, 94, 95, 187, 188, 204],
        "attacker-side listener or key/cert set-up, run on the attacker's own machine",
    ),
    (&[174, 175], "rlwrap around a plain nc client on the attacker side; runs no shell"),
    (
        &[178, 179, 180, 181, 182, 183, 184, 185, 186],
        "terminal fix-up typed inside an already obtained shell (stty, fg, reset, export TERM)",
    ),
    (&[99], "benign helper (strings | grep) run by the attacker"),
    (&[198, 199, 201, 202, 203], "transcript of a su session (prompt, error message, password prompt)"),
    (
        &[44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59],
        "fragment of a multi-line Rust program",
    ),
    (
        &[81, 83, 84, 85, 86, 88, 89, 90, 91, 92, 121, 122, 123, 125, 126],
        "fragment of a multi-line Java/Groovy program",
    ),
    (
        &[102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 117],
        "fragment of a multi-line Node.js / Jade program",
    ),
    (
        &[127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142],
        "fragment of a multi-line C program",
    ),
    (
        &[143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159],
        "fragment of a multi-line Dart program",
    ),
];

/// Entries of revshells_generator.jsonl (1-based lines) that hold no command.
const GENERATOR_EXCLUDED: &[(&[usize], &str)] =
    &[(&[41, 42], "the generator shows only a label for its Base64 PowerShell variants, no command")];

/// Whether a hit (rule id, severity) counts as detecting an entry of a file.
type Detects = dyn Fn(&str, Severity) -> bool;

const CONTEXTS: [&str; 5] = ["raw", "access-ua", "access-query", "tomcat", "json-file"];

fn engine() -> Engine {
    Engine::builtin().expect("built-in rules")
}

fn cfg() -> ScanConfig {
    ScanConfig { max_hits: usize::MAX, ..Default::default() }
}

/// Hits per 1-based line of `text`: (rule id, severity).
fn hits(engine: &Engine, text: &str) -> BTreeMap<u64, Vec<(String, Severity)>> {
    let s = scan_reader(Cursor::new(text.as_bytes().to_vec()), Locator::artifact("corpus"), engine, &cfg());
    let mut out: BTreeMap<u64, Vec<(String, Severity)>> = BTreeMap::new();
    for h in s.scan.hits {
        let r = &engine.rules()[h.rule];
        out.entry(h.locator.line.unwrap_or(0)).or_default().push((r.id.clone(), r.severity));
    }
    out
}

fn apache_escape(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'"' => o.push_str("\\\""),
            b'\\' => o.push_str("\\\\"),
            b'\n' => o.push_str("\\n"),
            b'\r' => o.push_str("\\r"),
            b'\t' => o.push_str("\\t"),
            0x20..=0x7e => o.push(b as char),
            _ => o.push_str(&format!("\\x{b:02x}")),
        }
    }
    o
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Go's encoding/json string escaping (as Docker's json-file driver writes it).
fn go_json(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '<' => o.push_str("\\u003c"),
            '>' => o.push_str("\\u003e"),
            '&' => o.push_str("\\u0026"),
            '\u{2028}' => o.push_str("\\u2028"),
            '\u{2029}' => o.push_str("\\u2029"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// The entry put into a context: its log text (one or more lines).
fn render(context: &str, entry: &str) -> String {
    match context {
        "raw" => entry.to_string(),
        "access-ua" => format!(
            "198.51.100.23 - - [27/Nov/2026:14:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"{}\"",
            apache_escape(entry)
        ),
        "access-query" => format!(
            "198.51.100.23 - - [27/Nov/2026:14:00:00 +0000] \"GET /search?q={} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"",
            url_encode(entry)
        ),
        "tomcat" => format!(
            "27-Nov-2026 14:00:00.123 SEVERE [http-nio-8080-exec-7] org.apache.catalina.core.StandardWrapperValve.invoke Servlet.service() for servlet [dispatcher] threw exception: {entry}"
        ),
        "json-file" => entry
            .split('\n')
            .map(|l| format!("{{\"log\":\"{}\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00.123456789Z\"}}", go_json(l)))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => unreachable!(),
    }
}

/// Detected entries (indexes) of `entries` in `context`, scanning them as one log.
fn detected(
    engine: &Engine,
    context: &str,
    entries: &[String],
    ok: &dyn Fn(&str, Severity) -> bool,
) -> Vec<bool> {
    let mut text = String::new();
    let mut ranges = Vec::new();
    let mut line = 1u64;
    for e in entries {
        let r = render(context, e.trim_end_matches('\n'));
        let n = r.split('\n').count() as u64;
        ranges.push(line..line + n);
        line += n;
        text.push_str(&r);
        text.push('\n');
    }
    let h = hits(engine, &text);
    ranges
        .iter()
        .map(|r| r.clone().any(|l| h.get(&l).is_some_and(|v| v.iter().any(|(id, sev)| ok(id, *sev)))))
        .collect()
}

fn lines(rel: &str) -> Vec<String> {
    std::fs::read_to_string(shared(rel)).unwrap().lines().map(str::to_string).collect()
}

fn jsonl(rel: &str, field: &str) -> Vec<String> {
    lines(rel)
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()[field].as_str().unwrap().to_string())
        .collect()
}

fn without(entries: Vec<String>, excluded: &[(&[usize], &str)]) -> Vec<String> {
    let skip: Vec<usize> = excluded.iter().flat_map(|(l, _)| l.iter().copied()).collect();
    entries.into_iter().enumerate().filter(|(i, _)| !skip.contains(&(i + 1))).map(|(_, e)| e).collect()
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn corpus_detection_rates() {
    let engine = engine();
    let jndi = |id: &str, _: Severity| id.starts_with("log4j.jndi");
    let lookup = |id: &str, _: Severity| id == "lookup.commons-text" || id.starts_with("log4j.jndi");
    let attack = |_: &str, sev: Severity| sev >= Severity::Medium;
    let sets: Vec<(&str, Vec<String>, &Detects)> = vec![
        (
            "jndi/l4sd_tests_positive.jsonl",
            jsonl("corpus/positive/jndi/l4sd_tests_positive.jsonl", "text"),
            &jndi,
        ),
        ("jndi/fullhunt_waf_bypass.txt", lines("corpus/positive/jndi/fullhunt_waf_bypass.txt"), &jndi),
        ("jndi/foxit_evasion_prefixes.txt", lines("corpus/positive/jndi/foxit_evasion_prefixes.txt"), &jndi),
        (
            "other_lookups/text4shell.txt",
            lines("corpus/positive/other_lookups/fullhunt_cve_2022_42889_text4shell.txt"),
            &lookup,
        ),
        (
            "shell/patt_reverse_shell_cheatsheet_lines.txt",
            without(
                lines("corpus/positive/shell/patt_reverse_shell_cheatsheet_lines.txt"),
                CHEATSHEET_EXCLUDED,
            ),
            &attack,
        ),
        (
            "shell/revshells_generator.jsonl",
            without(jsonl("corpus/positive/shell/revshells_generator.jsonl", "command"), GENERATOR_EXCLUDED),
            &attack,
        ),
        (
            "webapp/vulhub_exploit_requests.jsonl",
            jsonl("corpus/positive/webapp/vulhub_exploit_requests.jsonl", "block"),
            &attack,
        ),
    ];
    let mut failures = Vec::new();
    // Per class (the corpus folder: jndi, other_lookups, shell, webapp), over all contexts.
    let mut classes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    println!("{:<48} {:<13} {:>9} {:>8}", "file", "context", "detected", "rate");
    for (name, entries, ok) in &sets {
        for ctx in CONTEXTS {
            let d = detected(&engine, ctx, entries, *ok);
            let n = d.iter().filter(|&&x| x).count();
            let c = classes.entry(name.split('/').next().unwrap_or(name)).or_default();
            c.0 += n;
            c.1 += d.len();
            let rate = n as f64 / d.len() as f64;
            println!("{name:<48} {ctx:<13} {:>4}/{:<4} {:>7.1}%", n, d.len(), rate * 100.0);
            if rate < 0.99 {
                let missed: Vec<String> = d
                    .iter()
                    .enumerate()
                    .filter(|(_, &x)| !x)
                    .map(|(i, _)| entries[i].chars().take(120).collect::<String>())
                    .collect();
                failures.push(format!("{name} [{ctx}] {:.1}% < 99%; missed: {missed:#?}", rate * 100.0));
            }
        }
    }
    println!("\n{:<16} {:>11} {:>8}", "class", "detected", "rate");
    for (class, (n, all)) in &classes {
        println!("{class:<16} {n:>5}/{all:<5} {:>7.1}%", 100.0 * *n as f64 / *all as f64);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn benign_logs_give_no_medium_or_higher_hit() {
    let engine = engine();
    let dir = shared("corpus/benign/loghub_2k");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), read_lossy(&p)))
        .collect();
    files.sort();
    files.push((
        "elastic_apache_access.log".into(),
        read_lossy(&shared("corpus/benign/elastic_apache_access.log")),
    ));
    files.push((
        "l4sd_tests_negative.jsonl".into(),
        jsonl("corpus/benign/l4sd_tests_negative.jsonl", "text").join("\n"),
    ));
    let mut bad = Vec::new();
    println!("{:<32} {:<10} {:>7} {:>6} {:>11}", "benign file", "context", "lines", "low", "medium+");
    for (name, text) in &files {
        for ctx in ["raw", "json-file"] {
            let rendered =
                if ctx == "raw" { text.clone() } else { render("json-file", text.trim_end_matches('\n')) };
            let h = hits(&engine, &rendered);
            let all: Vec<&(String, Severity)> = h.values().flatten().collect();
            let high: Vec<String> = h
                .iter()
                .flat_map(|(l, v)| {
                    v.iter()
                        .filter(|(_, s)| *s >= Severity::Medium)
                        .map(move |(id, _)| format!("{name}:{l} {id}"))
                })
                .collect();
            println!(
                "{name:<32} {ctx:<10} {:>7} {:>6} {:>11}",
                text.lines().count(),
                all.len() - high.len(),
                high.len()
            );
            bad.extend(high);
        }
    }
    assert!(bad.is_empty(), "hits at medium or above on benign logs:\n{}", bad.join("\n"));
}

fn read_lossy(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn cheatsheet_exclusions_are_listed_once() {
    let all: Vec<usize> = CHEATSHEET_EXCLUDED.iter().flat_map(|(l, _)| l.iter().copied()).collect();
    let mut dedup = all.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(all.len(), dedup.len(), "a cheat-sheet line is excluded twice");
    let n = lines("corpus/positive/shell/patt_reverse_shell_cheatsheet_lines.txt").len();
    assert!(dedup.iter().all(|&l| l >= 1 && l <= n));
}
