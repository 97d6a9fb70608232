//! Text section: processes. Per capture, the rebuilt tree as an indented listing with the
//! processes that rules flagged marked `!!`.

use std::fmt::Write as _;

use super::style::{heading, safe};
use crate::analyze::process::{Parentage, TreeNode};
use crate::ingest::top::{CaptureFormat, Process, ProcessCapture};
use crate::model::excerpt;
use crate::report::BundleReport;

/// Processes listed per capture before the rest is left to the JSON.
const SHOWN: usize = 300;
/// Longest command shown (bytes).
const CMD_WIDTH: usize = 160;
/// Descriptors and other details listed per checkpointed process.
const DETAILS_SHOWN: usize = 40;
/// Deepest indentation drawn.
const MAX_INDENT: u32 = 12;

/// Render the processes section of a bundle.
pub(super) fn render(s: &mut String, b: &BundleReport) {
    for pr in &b.processes {
        let c = &pr.capture;
        let t = &pr.tree;
        let by = match t.parentage {
            Parentage::Ppid => "tree by PPID",
            Parentage::Forest => "tree by forest art",
            Parentage::ExecId => "tree by the sensor's exec ids",
            Parentage::None => "no parent column: flat list",
        };
        heading(s, &format!("Processes: {} ({} processes, {by})", safe(&c.artifact), c.processes.len()));
        if c.processes.is_empty() {
            let _ = writeln!(s, "  none read (see diagnostics)");
            continue;
        }
        let _ = writeln!(s, "     {:>8} {:>8} {:<10} {:<24} COMMAND", "PID", "PPID", "USER", "START");
        for node in t.nodes.iter().take(SHOWN) {
            line(s, c, node);
        }
        if t.nodes.len() > SHOWN {
            let hidden: Vec<&TreeNode> = t.nodes[SHOWN..].iter().filter(|n| !n.flags.is_empty()).collect();
            let _ = writeln!(
                s,
                "  ... {} more processes in the JSON report{}",
                t.nodes.len() - SHOWN,
                if hidden.is_empty() { "" } else { "; flagged among them:" }
            );
            for node in hidden {
                line(s, c, node);
            }
        }
        if !t.duplicate_pids.is_empty() {
            let pids: Vec<String> = t.duplicate_pids.iter().map(u32::to_string).collect();
            let _ = writeln!(s, "  note: PIDs on more than one row: {}", pids.join(", "));
        }
    }
}

fn line(s: &mut String, c: &ProcessCapture, node: &TreeNode) {
    let Some(p) = c.processes.get(node.index) else { return };
    let mark = if node.flags.is_empty() { "  " } else { "!!" };
    let indent = "  ".repeat(node.depth.min(MAX_INDENT) as usize);
    // Without a PPID column, the parent the forest art gives.
    let ppid = p.ppid.or(node.parent).map(|x| x.to_string()).unwrap_or_else(|| "-".into());
    let _ = write!(
        s,
        "  {mark} {:>8} {:>8} {:<10} {:<24} {indent}{}",
        p.pid,
        ppid,
        safe(&excerpt(user(p).as_bytes(), 0, 0, 10)),
        safe(&excerpt(p.start.as_deref().unwrap_or("-").as_bytes(), 0, 0, 24)),
        safe(&excerpt(p.cmd.as_bytes(), 0, 0, CMD_WIDTH))
    );
    if !node.flags.is_empty() {
        let _ = write!(s, "  [{}]", node.flags.join(", "));
    }
    s.push('\n');
    if c.format == CaptureFormat::Checkpoint {
        details(s, p, &indent);
    }
}

/// What a checkpoint knows of a process beyond the row: its program, cwd and root, and
/// every descriptor (files, sockets, pipes, ttys) in descriptor order.
fn details(s: &mut String, p: &Process, indent: &str) {
    let fd = |k: &str| k.strip_prefix("fd ").and_then(|n| n.parse::<u64>().ok());
    let mut keys: Vec<&String> = p.extra.keys().collect();
    keys.sort_by_key(|k| (fd(k).is_some(), fd(k), k.as_str()));
    for k in keys.into_iter().take(DETAILS_SHOWN) {
        let v = p.extra.get(k).map(String::as_str).unwrap_or_default();
        let _ = writeln!(
            s,
            "     {:>8} {:>8} {:<10} {:<24} {indent}  {}: {}",
            "",
            "",
            "",
            "",
            safe(k),
            safe(&excerpt(v.as_bytes(), 0, 0, CMD_WIDTH))
        );
    }
    if p.extra.len() > DETAILS_SHOWN {
        let _ = writeln!(
            s,
            "     {:>53}{indent}  ... {} more in the JSON report",
            "",
            p.extra.len() - DETAILS_SHOWN
        );
    }
}

/// The user name, else the numeric UID, else `-`.
fn user(p: &Process) -> String {
    match (&p.user, p.uid) {
        (Some(u), _) => u.clone(),
        (None, Some(uid)) => uid.to_string(),
        (None, None) => "-".into(),
    }
}
