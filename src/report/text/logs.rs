//! Text section: logs scanned, signature hits (decoded payloads, JNDI callbacks) and IOCs.
//! Without `--verbose` one entry per log record (every rule and every capture of it said
//! once); with it, every hit.

use std::fmt::Write as _;

use super::style::{heading, safe, Style};
use crate::report::BundleReport;

/// Hits shown in the terminal summary (JSON has them all).
const HITS_SHOWN: usize = 50;
/// Indicators shown in the terminal summary.
const IOCS_SHOWN: usize = 40;

/// Render the logs section of a bundle.
pub(super) fn render(s: &mut String, b: &BundleReport, style: &Style) {
    let l = &b.logs;
    let verbose = style.verbose;
    let shown = if verbose { usize::MAX } else { HITS_SHOWN };
    if l.logs_scanned.is_empty() {
        return;
    }
    let bytes: u64 = l.logs_scanned.iter().map(|x| x.bytes).sum();
    let lines: u64 = l.logs_scanned.iter().map(|x| x.lines).sum();
    heading(
        s,
        &format!(
            "Logs ({} scanned, {} lines, {} bytes; {} hit(s){})",
            l.logs_scanned.len(),
            lines,
            bytes,
            l.log_hits.len(),
            if l.log_hits.len() > shown { ", first shown" } else { "" }
        ),
    );
    let records = &b.story.log_records;
    if !verbose && !records.is_empty() {
        records_render(s, b, style);
    } else {
        for h in l.log_hits.iter().take(shown) {
            hit(s, h, style);
        }
    }
    if !l.iocs.is_empty() {
        heading(
            s,
            &format!(
                "Indicators in the logs, any side ({}{}; attacker-side ones are listed above)",
                l.iocs.len(),
                if l.iocs.len() > IOCS_SHOWN { ", first shown" } else { "" }
            ),
        );
        for i in l.iocs.iter().take(IOCS_SHOWN) {
            let kind = i.kind.as_str();
            let seen = match (i.first_seen, i.last_seen) {
                (Some(f), Some(t)) if f != t => format!(" {f} .. {t}"),
                (Some(f), _) => format!(" {f}"),
                _ => String::new(),
            };
            let roles: Vec<&str> = i.roles.iter().copied().collect();
            let _ = writeln!(
                s,
                "  {kind:<8} {:<40} x{:<5}{} [{}]",
                safe(&i.value),
                i.count,
                seen,
                roles.join(",")
            );
        }
    }
}

/// One entry per log record: its rules, every capture, the record once, what was decoded.
fn records_render(s: &mut String, b: &BundleReport, style: &Style) {
    let hits = &b.logs.log_hits;
    for r in b.story.log_records.iter().take(HITS_SHOWN) {
        let when = r.time.map(|t| t.to_string()).unwrap_or_else(|| "(no time)".into());
        let titles: Vec<&str> = {
            let mut t: Vec<&str> =
                r.hits.iter().filter_map(|&i| hits.get(i)).map(|h| h.title.as_str()).collect();
            t.sort();
            t.dedup();
            t
        };
        let _ = writeln!(
            s,
            "  [{}] {} {} ({})",
            r.severity.as_str().to_uppercase(),
            when,
            safe(&titles.join("; ")),
            r.rules.join(", ")
        );
        for l in &r.locators {
            let _ = writeln!(s, "      at: {}", safe(&l.to_string()));
        }
        if let Some(y) = r.hits.iter().filter_map(|&i| hits.get(i)?.time_basis).next() {
            let _ = writeln!(s, "      time: syslog without a year, {}", y.describe());
        }
        let _ = writeln!(s, "      line: {}", style.clip_after(&r.excerpt, 12));
        // What decoding found, once per record (every capture decodes alike).
        let mut said = std::collections::BTreeSet::new();
        for h in r.hits.iter().filter_map(|&i| hits.get(i)) {
            for d in decoded_lines(h) {
                if said.insert(d.clone()) {
                    let _ = writeln!(s, "      {}", style.clip_after(&d, 6));
                }
            }
        }
    }
    if b.story.log_records.len() > HITS_SHOWN {
        let _ =
            writeln!(s, "  ... {} more records (--verbose, JSON)", b.story.log_records.len() - HITS_SHOWN);
    }
}

/// One hit as `--verbose` lists it.
fn hit(s: &mut String, h: &crate::logscan::LogHit, style: &Style) {
    let when = h.time.map(|t| t.to_string()).unwrap_or_else(|| "(no time)".into());
    let _ = writeln!(
        s,
        "  [{}] {} {} ({}{})",
        h.severity.as_str().to_uppercase(),
        when,
        safe(&h.title),
        h.rule,
        h.attack.as_deref().map(|a| format!(", {a}")).unwrap_or_default()
    );
    let _ = writeln!(s, "      at: {}", safe(&h.locator.to_string()));
    if let Some(y) = h.time_basis {
        let _ = writeln!(s, "      time: syslog without a year, {}", y.describe());
    }
    let _ = writeln!(s, "      line: {}", style.clip(&h.excerpt));
    for d in decoded_lines(h) {
        let _ = writeln!(s, "      {}", style.clip(&d));
    }
}

/// What decoding a hit found: the decoded record, the JNDI lookup and its target, commands.
fn decoded_lines(h: &crate::logscan::LogHit) -> Vec<String> {
    let mut out = vec![];
    if let Some(d) = &h.decoded {
        out.push(format!("decoded: {d}"));
    }
    if let Some(j) = &h.jndi {
        let target = match (&j.host, j.port) {
            (Some(host), Some(p)) => format!("{host}:{p}"),
            (Some(host), None) => host.clone(),
            _ => "-".into(),
        };
        out.push(format!("jndi: {} -> {} {}{}", j.decoded, j.scheme, target, j.path));
    }
    for c in &h.commands {
        out.push(format!("command: {c}"));
    }
    out
}
