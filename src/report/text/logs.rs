//! Text section: logs scanned, signature hits (decoded payloads, JNDI callbacks) and IOCs.

use std::fmt::Write as _;

use super::style::{heading, safe};
use crate::report::BundleReport;

/// Hits shown in the terminal summary (JSON has them all).
const HITS_SHOWN: usize = 50;
/// Indicators shown in the terminal summary.
const IOCS_SHOWN: usize = 40;

/// Render the logs section of a bundle.
pub(super) fn render(s: &mut String, b: &BundleReport, verbose: bool) {
    let l = &b.logs;
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
    for h in l.log_hits.iter().take(shown) {
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
        let _ = writeln!(s, "      line: {}", safe(&h.excerpt));
        if let Some(d) = &h.decoded {
            let _ = writeln!(s, "      decoded: {}", safe(d));
        }
        if let Some(j) = &h.jndi {
            let target = match (&j.host, j.port) {
                (Some(host), Some(p)) => format!("{host}:{p}"),
                (Some(host), None) => host.clone(),
                _ => "-".into(),
            };
            let _ = writeln!(
                s,
                "      jndi: {} -> {} {}{}",
                safe(&j.decoded),
                j.scheme,
                safe(&target),
                safe(&j.path)
            );
        }
        for c in &h.commands {
            let _ = writeln!(s, "      command: {}", safe(c));
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
