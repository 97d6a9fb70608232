//! The story sections of the terminal report, first thing per bundle: the verdict per
//! container, the attack chain one line a fact (its stages together), what to do now, the
//! attempts that did not get in, and the attacker-side indicators. Evidence text is escaped
//! and, without `--verbose`, cut to one line; the proof is with each fact below.

use std::fmt::Write as _;

use super::style::{heading, safe};
use crate::report::BundleReport;

/// Attempts and indicators listed in text (JSON has them all).
const SHOWN: usize = 12;

pub(super) fn render(s: &mut String, b: &BundleReport, style: &super::style::Style) {
    verdicts(s, b, style);
    rest(s, b, style);
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
        let _ = writeln!(s, "  why: {}", style.clip_after(&v.reason, 7));
        if let Some(w) = &v.way_in {
            let _ = writeln!(s, "  way in: {}", style.clip_after(w, 10));
        }
        let lists: [(&str, &Vec<String>); 6] = [
            ("attacker", &v.attackers),
            ("live session", &v.live_sessions),
            ("persistence to remove", &v.persistence),
            ("escape path open", &v.escape_paths),
            ("secrets to rotate", &v.secrets),
            ("cluster identity held", &v.identities),
        ];
        for (label, items) in lists {
            for i in items {
                let _ = writeln!(s, "  {label}: {}", style.clip_after(i, label.len() + 4));
            }
        }
        for l in &v.proof {
            let _ = writeln!(s, "  proof: {}", safe(&l.to_string()));
        }
    }
}

/// The chain, what to do now, the attempts and the indicators.
fn rest(s: &mut String, b: &BundleReport, style: &super::style::Style) {
    let st = &b.story;
    if !st.chain.is_empty() {
        heading(s, "Attack chain");
        // One line per fact: the stages one fact stands for (way in, execution and command
        // and control of one reverse shell) are said together; its proof is with the fact.
        let mut i = 0;
        while i < st.chain.len() {
            let c = &st.chain[i];
            let same =
                st.chain[i..].iter().take_while(|d| d.fact == c.fact && d.container == c.container).count();
            let stages: Vec<&str> = st.chain[i..i + same].iter().map(|d| d.stage).collect();
            let label = format!("{:<20}", stages.join(", "));
            let when = if style.verbose { c.when.describe() } else { when_short(&c.when) };
            let line = if style.verbose {
                format!("{}  [{when}]", c.title)
            } else {
                format!("[{when}] {}", c.title)
            };
            let _ = writeln!(s, "  {label} {}", style.clip_after(&line, label.len() + 3));
            for d in &st.chain[i..i + same] {
                if let Some(n) = &d.note {
                    let _ = writeln!(s, "  {:<20} note: {}", "", style.clip_after(n, 29));
                }
                if style.verbose {
                    for l in &d.proof {
                        let _ = writeln!(s, "  {:<20} proof: {}", "", safe(&l.to_string()));
                    }
                }
            }
            i += same;
        }
    }
    if !b.response_plan.is_empty() {
        heading(s, "What to do now (the commands: Response plan below, or `ctriage plan`)");
        for (n, r) in b.response_plan.iter().enumerate() {
            let _ = writeln!(s, "  {}. {}", n + 1, style.clip_after(&r.step, 6));
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
                style.clip(&a.reason)
            );
        }
        if st.attempts.len() > SHOWN {
            let _ = writeln!(s, "  ... {} more (see JSON)", st.attempts.len() - SHOWN);
        }
    }
    if !st.iocs.is_empty() {
        heading(s, &format!("Attacker-side indicators ({})", st.iocs.len()));
        for i in st.iocs.iter().take(SHOWN * 2) {
            let path = i.path.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
            let line =
                format!("{:<8} {}{path}  ({}: {})", i.kind.as_str(), i.value, i.roles.join(", "), i.reason);
            let _ = writeln!(s, "  {}", style.clip_after(&line, 2));
        }
    }
}

/// A time as the chain shows it without `--verbose`: the instant or its bounds, to the
/// second (what it rests on is with the fact).
fn when_short(w: &crate::model::When) -> String {
    let s = |t: crate::model::Timestamp| t.to_iso_seconds();
    match (w.time, w.not_before, w.not_after) {
        (Some(t), _, _) => s(t),
        (None, Some(a), Some(b)) => format!("{} .. {}", s(a), s(b)),
        (None, Some(a), None) => format!("after {}", s(a)),
        (None, None, Some(b)) => format!("before {}", s(b)),
        (None, None, None) => "time unknown".into(),
    }
}
