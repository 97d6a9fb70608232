//! Process trees and suspicious lineage: rebuild the tree of a `docker top` / `ps` capture,
//! flag what an exploited container looks like (server -> shell -> network tool, reverse
//! shells, miners, dropped tools), and give process starts to the timeline.

mod rules;

use crate::ingest::top::tree;
pub(crate) use crate::ingest::top::tree::{Parentage, ProcessTree, TreeNode};

/// Every suspicious-process rule's declaration.
pub(crate) fn defs() -> Vec<&'static crate::model::RuleDef> {
    rules::RULES.iter().map(|r| &r.def).collect()
}

use crate::ingest::top::ProcessCapture;
use crate::model::{Finding, TimelineEvent};

/// Longest command line quoted in a finding summary or timeline message (characters).
const CMD_SHOWN: usize = 200;

/// Build the tree of one capture and flag suspicious lineage.
pub(crate) fn analyze(capture: &ProcessCapture) -> (ProcessTree, Vec<Finding>) {
    let (mut tree, links) = tree::build(capture);
    let order: Vec<usize> = tree.nodes.iter().map(|n| n.index).collect();
    let hits = rules::evaluate(capture, &links, &order);
    let procs = &capture.processes;
    let mut flags: Vec<Vec<String>> = vec![Vec::new(); procs.len()];
    let findings = hits
        .into_iter()
        .map(|h| {
            for &i in &h.chain[h.subject..] {
                flags[i].push(h.rule.def.id.to_string());
            }
            let subject = &procs[h.chain[h.subject]];
            let path: Vec<String> =
                h.chain.iter().map(|&i| format!("{} ({})", procs[i].exe, procs[i].pid)).collect();
            let mut summary = format!("{}: {}", path.join(" -> "), rules::clip(&subject.cmd, CMD_SHOWN));
            if !h.detail.is_empty() {
                summary.push_str(&format!("; {}", h.detail));
            }
            summary.push_str(&format!(". {}.", h.rule.why));
            Finding {
                actor: None,
                rule: h.rule.def.id.to_string(),
                severity: h.rule.def.severity,
                category: h.rule.def.category.to_string(),
                title: h.rule.def.title.to_string(),
                summary,
                attack: Some(h.rule.def.attack.to_string()),
                time: subject.started,
                evidence: h.chain.iter().map(|&i| procs[i].locator.clone()).collect(),
                subject: Some(format!("pid {} {}", subject.pid, subject.cmd)),
                owner: subject.container.as_ref().map(crate::model::Owner::container),
                iocs: {
                    let mut i = h.iocs;
                    i.sort();
                    i.dedup();
                    i
                },
                kind: h.rule.def.kind,
            }
        })
        .collect();
    for node in &mut tree.nodes {
        let f = &mut flags[node.index];
        f.sort();
        f.dedup();
        node.flags = std::mem::take(f);
    }
    (tree, findings)
}

/// Process start events for the timeline: one per process whose capture printed a full
/// start date (`lstart`, ISO 8601).
pub(crate) fn timeline(capture: &ProcessCapture) -> Vec<TimelineEvent> {
    capture
        .processes
        .iter()
        .filter_map(|p| {
            let time = p.started?;
            let parent = p.ppid.map(|pp| format!(", parent {pp}")).unwrap_or_default();
            Some(TimelineEvent {
                time: Some(time),
                timestamp_desc: capture.format.start_basis().into(),
                kind: "process-start".into(),
                message: format!("{} ({}{parent}) started: {}", p.exe, p.pid, rules::clip(&p.cmd, CMD_SHOWN)),
                source: p.locator.clone(),
                also: vec![],
                order: vec![],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
