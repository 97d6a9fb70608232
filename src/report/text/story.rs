//! The story sections of the terminal report, first thing per bundle: the verdict per
//! container, the attack chain one line a stage, the attempts that did not get in, and the
//! attacker-side indicators. Evidence text is escaped.

use std::fmt::Write as _;

use super::style::{heading, safe};
use crate::report::BundleReport;

/// Attempts and indicators listed in text (JSON has them all).
const SHOWN: usize = 12;

pub(super) fn render(s: &mut String, b: &BundleReport, style: &super::style::Style) {
    verdicts(s, b, style);
    rest(s, b);
}

/// The verdict per container: what it is, why, the way in, what to act on, the proof.
pub(super) fn verdicts(s: &mut String, b: &BundleReport, style: &super::style::Style) {
    let st = &b.story;
    for v in &st.verdicts {
        let who = match (&v.container, st.verdicts.len()) {
            (Some(c), _) => safe(c),
            (None, 1) => "this bundle".into(),
            (None, _) => "this bundle (facts tied to no single container)".into(),
        };
        let sev = match v.status {
            "compromised" => crate::model::Severity::Critical,
            "no sign" => crate::model::Severity::Info,
            _ => crate::model::Severity::Medium,
        };
        heading(s, &format!("Verdict: {who}: {}", style.sev(sev, &v.status.to_uppercase())));
        let _ = writeln!(s, "  why: {}", safe(&v.reason));
        if let Some(w) = &v.way_in {
            let _ = writeln!(s, "  way in: {}", safe(w));
        }
        let lists: [(&str, &Vec<String>); 5] = [
            ("attacker", &v.attackers),
            ("live session", &v.live_sessions),
            ("persistence to remove", &v.persistence),
            ("escape path open", &v.escape_paths),
            ("secrets to rotate", &v.secrets),
        ];
        for (label, items) in lists {
            for i in items {
                let _ = writeln!(s, "  {label}: {}", safe(i));
            }
        }
        for l in &v.proof {
            let _ = writeln!(s, "  proof: {}", safe(&l.to_string()));
        }
    }
}

/// The chain, the attempts and the indicators.
fn rest(s: &mut String, b: &BundleReport) {
    let st = &b.story;
    if !st.chain.is_empty() {
        heading(s, "Attack chain");
        for c in &st.chain {
            let _ = writeln!(s, "  {:<20} {}  [{}]", c.stage, safe(&c.title), c.when.describe());
            if let Some(n) = &c.note {
                let _ = writeln!(s, "  {:<20} note: {}", "", safe(n));
            }
            for l in &c.proof {
                let _ = writeln!(s, "  {:<20} proof: {}", "", safe(&l.to_string()));
            }
        }
    }
    if !st.attempts.is_empty() {
        heading(s, &format!("Attempts that did not get in ({})", st.attempts.len()));
        for a in st.attempts.iter().take(SHOWN) {
            let when = a.first_seen.map(|t| format!(" from {}", t.to_iso_seconds())).unwrap_or_default();
            let _ = writeln!(
                s,
                "  {}{} x{}{when}: {:?}, {}",
                safe(&a.title),
                safe(&a.origin()),
                a.requests,
                a.outcome,
                safe(&a.reason)
            );
        }
        if st.attempts.len() > SHOWN {
            let _ = writeln!(s, "  ... {} more (see JSON)", st.attempts.len() - SHOWN);
        }
    }
    if !st.iocs.is_empty() {
        heading(s, &format!("Attacker-side indicators ({})", st.iocs.len()));
        for i in st.iocs.iter().take(SHOWN * 2) {
            let path = i.path.as_deref().map(|p| format!(" {}", safe(p))).unwrap_or_default();
            let _ = writeln!(
                s,
                "  {:<8} {}{path}  ({}: {})",
                i.kind.as_str(),
                safe(&i.value),
                i.roles.join(", "),
                safe(&i.reason)
            );
        }
    }
}
