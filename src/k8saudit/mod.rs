//! Kubernetes API server audit logs: the events read and normalised (`reader`, `event`),
//! the pod specs they carry (`podspec`), the rules raised on them (`rules`, and SigmaHQ's
//! audit rules through `sigma`), and the join of their pods to the bundle's containers
//! (`join`). One artifact's reading is an [`Observed`]: findings about a pod (joined to its
//! container once every container is known), cluster-level findings (the bundle's, with
//! why), and a timeline event for every record that raised one.

pub(crate) mod event;
pub(crate) mod join;
mod podspec;
pub(crate) mod reader;
pub(crate) mod rules;
mod sigma;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::evidence::Artifact;
use crate::ingest::observed::Observed;
use crate::logscan::sigma::{SigmaDetection, SigmaSet, SigmaTarget};
use crate::model::{
    role, Actor, Diagnostic, Finding, IocKind, IocRef, Locator, Owner, PodRef, TimelineEvent, Timestamp,
};
use event::AuditEvent;

pub(crate) use rules::defs;

/// Findings kept per audit log (the rest are counted in a diagnostic).
const MAX_FINDINGS: usize = 5_000;
/// Identities whose forbidden requests are counted per log.
const MAX_IDENTITIES: usize = 10_000;
/// Proof locators kept per summed-up finding.
const PROOF: usize = 20;

/// Several events summed up in one finding (a Sigma rule per pod, 403s per identity).
struct Sum {
    count: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    proof: Vec<Locator>,
    actor: Actor,
}

impl Sum {
    fn new(e: &AuditEvent) -> Self {
        Sum { count: 0, first: None, last: None, proof: vec![], actor: e.actor.clone() }
    }

    fn add(&mut self, e: &AuditEvent) {
        self.count += 1;
        if let Some(t) = e.time() {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        if self.proof.len() < PROOF {
            self.proof.push(e.locator.clone());
        }
    }
}

/// Read one audit log and raise its rules (and `sigma`'s audit rules) on every event.
pub(crate) fn read(a: &Artifact, sigma: &SigmaSet) -> (Observed, Vec<Diagnostic>) {
    let audit_rules: Vec<&Arc<SigmaDetection>> =
        sigma.rules.iter().filter(|d| d.target == SigmaTarget::K8sAudit).collect();
    let mut raised: Vec<(Option<PodRef>, Finding)> = vec![];
    let mut timeline: Vec<TimelineEvent> = vec![];
    let mut fired: HashSet<(&'static str, String)> = HashSet::new();
    let mut dropped = 0u64;
    let mut objects_dropped = 0u64;
    let mut forbidden: BTreeMap<String, Sum> = BTreeMap::new();
    let mut sigma_sums: BTreeMap<(usize, Option<PodRef>), Sum> = BTreeMap::new();
    let mut each = |e: AuditEvent| {
        if e.object_dropped {
            objects_dropped += 1;
        }
        if e.code == Some(403) && !e.actor.user.is_empty() {
            let n = forbidden.len();
            if let Some(s) = match forbidden.get_mut(&e.actor.user) {
                Some(s) => Some(s),
                None if n < MAX_IDENTITIES => {
                    Some(forbidden.entry(e.actor.user.clone()).or_insert_with(|| Sum::new(&e)))
                }
                None => None,
            } {
                s.add(&e);
            }
        }
        let spec = e.object().and_then(|o| podspec::of(&e.object.resource, o));
        for (i, d) in audit_rules.iter().enumerate() {
            if d.matches_fields(&sigma::AuditFields { e: &e, spec: spec.as_ref() }) {
                let key = (i, e.pod().map(|p| PodRef { container: None, ..p }));
                if !e.audit_id.is_empty() && !first_time(&mut fired, "sigma", &format!("{i}:{}", e.audit_id))
                {
                    continue;
                }
                sigma_sums.entry(key).or_insert_with(|| Sum::new(&e)).add(&e);
            }
        }
        for h in rules::judge(&e) {
            let id: &'static str = match &h.def.id {
                std::borrow::Cow::Borrowed(s) => s,
                std::borrow::Cow::Owned(_) => "",
            };
            if !e.audit_id.is_empty() && !first_time(&mut fired, id, &e.audit_id) {
                continue;
            }
            if raised.len() >= MAX_FINDINGS {
                dropped += 1;
                continue;
            }
            let f = finding(&e, &h);
            timeline.push(TimelineEvent {
                time: e.time(),
                timestamp_desc: format!("audit {} time", if e.stage.is_empty() { "stage" } else { &e.stage })
                    .into(),
                kind: "k8s-audit".into(),
                message: format!("{}: {}; by {}", h.def.title, h.detail, e.actor.describe()),
                source: e.locator.clone(),
                also: vec![],
                order: vec![],
            });
            raised.push((e.pod(), f));
        }
    };
    let stats = reader::read(a, &mut each);
    let mut diags = stats.diagnostics;
    for (user, s) in forbidden.into_iter().filter(|(_, s)| s.count >= rules::FORBIDDEN_MIN) {
        let def = &rules::FORBIDDEN;
        raised.push((
            None,
            Finding {
                rule: def.id.to_string(),
                severity: def.severity,
                category: def.category.to_string(),
                title: def.title.to_string(),
                summary: format!(
                    "{} requests by {user} were refused (403){}: probing what it may do",
                    s.count,
                    span(&s)
                ),
                attack: def.attack(),
                time: s.first,
                evidence: s.proof.clone(),
                subject: None,
                owner: None,
                iocs: ips(&s.actor),
                actor: Some(s.actor.clone()),
                kind: def.kind,
            },
        ));
    }
    for ((i, pod), s) in sigma_sums {
        let Some(d) = audit_rules.get(i) else { continue };
        let def = d.audit_def();
        let on = pod.as_ref().map(|p| format!(" on pod {}", p.handle())).unwrap_or_default();
        raised.push((
            pod,
            Finding {
                rule: def.id.to_string(),
                severity: def.severity,
                category: def.category.to_string(),
                title: def.title.to_string(),
                summary: format!(
                    "{} audit event(s){on}{}, first by {}. {}",
                    s.count,
                    span(&s),
                    s.actor.describe(),
                    def.credit
                ),
                attack: def.attack(),
                time: s.first,
                evidence: s.proof.clone(),
                subject: None,
                owner: None,
                iocs: vec![],
                actor: Some(s.actor.clone()),
                kind: def.kind,
            },
        ));
    }
    if dropped > 0 {
        diags.push(Diagnostic::warning(
            a.locator(),
            format!("{dropped} more audit findings past the first {MAX_FINDINGS} were not kept"),
        ));
    }
    if objects_dropped > 0 {
        diags.push(Diagnostic::warning(
            a.locator(),
            format!(
                "{objects_dropped} event(s) carried a request or response object over {} bytes: the object was not judged, the event was",
                event::MAX_OBJECT_BYTES
            ),
        ));
    }
    let mut out = Observed { timeline, ..Default::default() };
    for (pod, mut f) in raised {
        match pod {
            Some(p) => out.pod_findings.push((p, f)),
            None => {
                f.owner = Some(Owner::Bundle {
                    why: "a cluster-level API request: it names no pod (the actor acted on the cluster, not in a container)"
                        .into(),
                });
                out.findings.push(f);
            }
        }
    }
    (out, diags)
}

/// Whether `rule` has not fired on this audit id yet (a request is logged once per stage).
fn first_time(fired: &mut HashSet<(&'static str, String)>, rule: &'static str, id: &str) -> bool {
    if fired.len() > 4 * MAX_FINDINGS {
        return true;
    }
    fired.insert((rule, id.to_string()))
}

fn span(s: &Sum) -> String {
    match (s.first, s.last) {
        (Some(a), Some(b)) if a != b => format!(" between {} and {}", a.to_iso_seconds(), b.to_iso_seconds()),
        (Some(a), _) => format!(" at {}", a.to_iso_seconds()),
        _ => String::new(),
    }
}

/// The client addresses of a request, as indicators (not loopback: the node itself).
fn ips(a: &Actor) -> Vec<IocRef> {
    let mut v: Vec<IocRef> = a
        .source_ips
        .iter()
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok_and(|ip| !ip.is_loopback() && !ip.is_unspecified()))
        .map(|ip| IocRef { kind: IocKind::Ip, value: ip.clone(), role: role::API_CLIENT })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn finding(e: &AuditEvent, h: &rules::Hit) -> Finding {
    let ua = e.actor.user_agent.as_deref().map(|u| format!(", user agent {u}")).unwrap_or_default();
    let routine = rules::Identity::of(&e.actor).routine();
    // An exec or attach says who went into which pod: the chain and verdict show it.
    let title = match (e.object.resource.as_str(), e.object.subresource.as_str()) {
        ("pods", "exec") => {
            format!("{} exec'ed into pod {}/{}", e.actor.describe(), e.object.namespace, e.object.name)
        }
        ("pods", "attach") => {
            format!("{} attached to pod {}/{}", e.actor.describe(), e.object.namespace, e.object.name)
        }
        _ => h.def.title.to_string(),
    };
    Finding {
        rule: h.def.id.to_string(),
        severity: h.severity.min(h.def.severity),
        category: h.def.category.to_string(),
        title,
        summary: format!("{}; by {}{ua} ({} {})", h.detail, e.actor.describe(), e.verb, e.request_uri),
        attack: h.def.attack(),
        time: e.time(),
        evidence: vec![e.locator.clone()],
        subject: None,
        owner: None,
        iocs: if routine { vec![] } else { ips(&e.actor) },
        actor: Some(e.actor.clone()),
        kind: h.def.kind,
    }
}
