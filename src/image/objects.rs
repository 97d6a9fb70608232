//! Image objects that come without layers (a saved `docker image inspect`, a standalone
//! config blob, a v1 layer JSON): their build history goes on the timeline, secrets in their
//! `Env` become findings (names only, values were redacted at parse time), and what the
//! image sets for its containers (user, exposed ports, healthcheck) is stated as a fact.

use std::collections::BTreeSet;

use crate::ingest::inspect::ImageInfo;
use crate::model::{Finding, Outcome, Severity, TimelineEvent};

fn name(i: &ImageInfo) -> String {
    i.repo_tags.first().cloned().unwrap_or_else(|| {
        let id = i.id.strip_prefix("sha256:").unwrap_or(&i.id);
        format!("sha256:{}", id.get(..12).unwrap_or(id))
    })
}

/// Findings and timeline events for image objects. `loaded` holds the ids of images read
/// from archives in the same bundle, whose history the image analysis already placed.
pub(crate) fn evaluate(images: &[ImageInfo], loaded: &BTreeSet<String>, out: &mut Outcome) {
    for i in images {
        let n = name(i);
        let subject = Some(format!("image {}", i.id));
        let secrets: Vec<&str> = i.config.env.iter().filter(|e| e.secret).map(|e| e.name.as_str()).collect();
        if !secrets.is_empty() {
            out.findings.push(Finding {
                actor: None,
                rule: super::rules::ENV_SECRETS.id.to_string(),
                severity: Severity::Medium,
                category: "exposure".into(),
                title: format!("secrets in the image environment: {n}"),
                summary: format!(
                    "The image sets {} in its environment ({}); every container made from it, and \
                     anyone who can pull it, has them. Values are redacted here; rotate them.",
                    if secrets.len() == 1 { "a secret" } else { "secrets" },
                    secrets.join(", ")
                ),
                attack: Some("T1552.001".into()),
                time: i.created,
                evidence: vec![i.locator.clone()],
                subject: subject.clone(),
                owner: None,
                iocs: vec![],
                kind: super::rules::ENV_SECRETS.kind,
            });
        }
        let c = &i.config;
        if i.source == "image-list" {
            continue; // a listing entry: no config to state facts from, no history
        }
        let user = match c.user.as_deref().map(str::trim) {
            None | Some("") => "root (no USER set)".to_string(),
            Some(u) if c.runs_as_root() => format!("{u} (root)"),
            Some(u) => u.to_string(),
        };
        let ports = if c.exposed_ports.is_empty() { "none".to_string() } else { c.exposed_ports.join(", ") };
        let health = match &c.healthcheck {
            None => "none".to_string(),
            Some(t) if t.first().map(String::as_str) == Some("NONE") => "disabled".to_string(),
            Some(t) => t.join(" "),
        };
        out.findings.push(Finding {
            actor: None,
            rule: super::rules::CONFIG.id.to_string(),
            severity: Severity::Info,
            category: "configuration".into(),
            title: format!("image configuration: {n}"),
            summary: format!(
                "Containers from this image run as {user}; exposed ports: {ports}; healthcheck: {health}; \
                 command: {}.",
                if c.entrypoint.is_empty() && c.cmd.is_empty() {
                    "none".to_string()
                } else {
                    c.entrypoint.iter().chain(&c.cmd).cloned().collect::<Vec<_>>().join(" ")
                }
            ),
            attack: None,
            time: i.created,
            evidence: vec![i.locator.clone()],
            subject,
            owner: None,
            iocs: vec![],
            kind: super::rules::CONFIG.kind,
        });
        if loaded.contains(&i.id) {
            continue;
        }
        let mut layer = 0u64;
        for (k, h) in i.history.iter().enumerate() {
            let which = if h.empty_layer {
                "empty layer".to_string()
            } else {
                layer += 1;
                format!("layer {}", layer - 1)
            };
            let mut msg = format!(
                "image {n}: history step {k} ({which}): {}",
                h.created_by.as_deref().unwrap_or("(no created_by)")
            );
            if let Some(cm) = h.comment.as_deref() {
                msg.push_str(&format!(" [comment: {cm}]"));
            }
            out.timeline.push(TimelineEvent {
                time: h.created,
                timestamp_desc: "image history step created".into(),
                kind: "image-history".into(),
                message: msg,
                source: i.locator.clone(),
                also: vec![],
                order: vec![if h.empty_layer { u64::MAX } else { layer - 1 }, k as u64],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::inspect::{ContainerConfig, EnvVar, ImageHistoryStep};
    use crate::model::Locator;

    #[test]
    fn secrets_facts_and_history() {
        let img = ImageInfo {
            id: "sha256:abcdef0123456789".into(),
            config: ContainerConfig {
                env: vec![EnvVar::parse("PATH=/bin"), EnvVar::parse("AWS_SECRET_ACCESS_KEY=AKIAxyz")],
                exposed_ports: vec!["8080/tcp".into()],
                healthcheck: Some(vec!["CMD-SHELL".into(), "curl -f http://localhost/".into()]),
                ..Default::default()
            },
            history: vec![
                ImageHistoryStep { created_by: Some("ADD rootfs".into()), ..Default::default() },
                ImageHistoryStep { created_by: Some("CMD".into()), empty_layer: true, ..Default::default() },
            ],
            locator: Locator::artifact("config.json"),
            ..Default::default()
        };
        let mut out = Outcome::default();
        evaluate(std::slice::from_ref(&img), &BTreeSet::new(), &mut out);
        let secret = out.findings.iter().find(|f| f.rule == "image.env-secrets").unwrap();
        assert!(secret.summary.contains("AWS_SECRET_ACCESS_KEY") && !secret.summary.contains("AKIAxyz"));
        let facts = out.findings.iter().find(|f| f.rule == "image.config").unwrap();
        assert!(facts.summary.contains("root (no USER set)"), "{}", facts.summary);
        assert!(facts.summary.contains("8080/tcp") && facts.summary.contains("curl -f"));
        assert_eq!(out.timeline.len(), 2);
        assert!(out.timeline[1].message.contains("empty layer"));
        // Already placed by the archive analysis: no second copy of the history.
        let mut out = Outcome::default();
        evaluate(&[img], &BTreeSet::from(["sha256:abcdef0123456789".to_string()]), &mut out);
        assert!(out.timeline.is_empty());
    }
}
