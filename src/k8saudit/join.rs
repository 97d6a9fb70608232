//! The join of audit findings to the bundle's containers: a pod named by an event (exec,
//! attach, port-forward, its creation) is found by its namespace, name and uid in the
//! containers' `io.kubernetes.pod.*` labels (inspect, containerd metadata), else in the CRI
//! log paths `var/log/pods/<namespace>_<pod>_<uid>/<container>/N.log` (which then name a
//! container of their own, its id from the node's `var/log/containers/<pod>_<namespace>_
//! <container>-<id>.log` link when one is in the bundle: the link's own name, never followed).
//! What names no pod, or a pod with no container in the evidence,
//! is the bundle's, with the reason.

use std::collections::{BTreeMap, BTreeSet};

use crate::evidence::Artifact;
use crate::ingest::inspect::{ContainerInfo, InspectSource};
use crate::model::{ContainerRef, Finding, Locator, Owner, PodRef};

const NS: &str = "io.kubernetes.pod.namespace";
const POD: &str = "io.kubernetes.pod.name";
const UID: &str = "io.kubernetes.pod.uid";
const CONTAINER: &str = "io.kubernetes.container.name";

/// Where CRI logs are: (namespace, pod, uid, container) -> a log file of that directory.
pub(crate) type LogDirs = BTreeMap<(String, String, String, String), String>;

/// Findings about pods, each owned by its pod's container when the evidence has it (else
/// the bundle's, with why), and the containers only CRI log paths named.
pub(crate) fn own(
    pod_findings: Vec<(PodRef, Finding)>,
    containers: &[ContainerInfo],
    artifacts: &[Artifact],
) -> (Vec<Finding>, Vec<ContainerInfo>) {
    let logs = pod_log_dirs(artifacts);
    let links = container_links(artifacts);
    let mut made: BTreeMap<(String, String, String, String), ContainerRef> = BTreeMap::new();
    let mut new = vec![];
    let mut out = vec![];
    for (p, mut f) in pod_findings {
        f.owner = Some(match owner_of(&p, containers, &logs, &links, &mut made, &mut new) {
            Ok(c) => Owner::container(&c),
            Err(why) => Owner::Bundle { why },
        });
        out.push(f);
    }
    (out, new)
}

/// The container a pod is, or why none is.
fn owner_of(
    p: &PodRef,
    containers: &[ContainerInfo],
    logs: &LogDirs,
    links: &BTreeMap<(String, String, String), BTreeSet<String>>,
    made: &mut BTreeMap<(String, String, String, String), ContainerRef>,
    new: &mut Vec<ContainerInfo>,
) -> Result<ContainerRef, String> {
    let uid_ok = |u: Option<&String>| match (&p.uid, u) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    let labelled: Vec<&ContainerInfo> = containers
        .iter()
        .filter(|c| {
            let l = &c.config.labels;
            l.get(NS) == Some(&p.namespace)
                && l.get(POD) == Some(&p.name)
                && uid_ok(l.get(UID))
                && !sandbox(c)
        })
        .collect();
    let named = |name: Option<&String>| p.container.as_ref().is_none_or(|want| name == Some(want));
    let mut hits: Vec<&ContainerInfo> =
        labelled.iter().copied().filter(|c| named(c.config.labels.get(CONTAINER))).collect();
    if hits.is_empty() {
        hits = labelled;
    }
    let mut refs: Vec<ContainerRef> =
        hits.iter().map(|c| ContainerRef { id: c.id.clone(), name: c.name.clone() }).collect();
    refs.sort();
    refs.dedup_by(|a, b| a.same(b));
    match refs.as_slice() {
        [one] => return Ok(one.clone()),
        [] => {}
        many => {
            return Err(format!(
                "pod {} has {} containers in the evidence ({}) and the request names none of them",
                p.handle(),
                many.len(),
                many.iter().map(|c| c.handle()).collect::<Vec<_>>().join(", ")
            ))
        }
    }
    // No record: the pod's CRI logs.
    let dirs: Vec<_> = logs
        .iter()
        .filter(|((ns, pod, uid, _), _)| *ns == p.namespace && *pod == p.name && uid_ok(Some(uid)))
        .collect();
    let mut pick: Vec<_> = dirs.iter().filter(|((_, _, _, c), _)| named(Some(c))).copied().collect();
    if pick.is_empty() {
        pick = dirs;
    }
    match pick.as_slice() {
        [(key, path)] => {
            if let Some(c) = made.get(*key) {
                return Ok(c.clone());
            }
            let (ns, pod, uid, container) = (*key).clone();
            let name = format!("{ns}/{pod}/{container}");
            // One link for the container: its id (several: restarts, none is the one).
            let id = match links.get(&(ns.clone(), pod.clone(), container.clone())) {
                Some(ids) if ids.len() == 1 => ids.iter().next().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            let mut info = ContainerInfo {
                id: id.clone(),
                name: name.clone(),
                source: InspectSource::PodLogs,
                locator: Locator::artifact(path.as_str()),
                ..Default::default()
            };
            info.config.labels = [(NS, &ns), (POD, &pod), (UID, &uid), (CONTAINER, &container)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            let r = ContainerRef { id, name };
            made.insert((*key).clone(), r.clone());
            new.push(info);
            Ok(r)
        }
        [] => Err(format!(
            "pod {} has no container in the evidence (no container labelled {POD}={}, no var/log/pods/{}_{}_*/ logs)",
            p.handle(),
            p.name,
            p.namespace,
            p.name
        )),
        many => Err(format!(
            "pod {} has {} containers' logs in the evidence ({}) and the request names none of them",
            p.handle(),
            many.len(),
            many.iter().map(|((_, _, _, c), _)| c.as_str()).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The pause container of a pod (Docker's `podsandbox`, containerd's `sandbox`).
fn sandbox(c: &ContainerInfo) -> bool {
    let l = &c.config.labels;
    l.get(CONTAINER).is_some_and(|n| n == "POD")
        || l.get("io.cri-containerd.kind").is_some_and(|k| k == "sandbox")
        || l.get("io.kubernetes.docker.type").is_some_and(|k| k == "podsandbox")
}

/// The node's `var/log/containers/<pod>_<namespace>_<container>-<id>.log` entries (links
/// to the CRI logs, or copies): (namespace, pod, container) -> container ids, from the
/// entry's own name.
fn container_links(artifacts: &[Artifact]) -> BTreeMap<(String, String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for a in artifacts {
        let Some(at) = a.path.find("var/log/containers/") else { continue };
        if at > 0 && !a.path[..at].ends_with('/') {
            continue;
        }
        let file = &a.path[at + "var/log/containers/".len()..];
        let Some((left, id)) = file.strip_suffix(".log").and_then(|f| f.rsplit_once('-')) else { continue };
        if !crate::digest::is_hex64(id) {
            continue;
        }
        // Pod names, namespaces and container names never hold `_`.
        let mut it = left.splitn(3, '_');
        let (Some(pod), Some(ns), Some(container)) = (it.next(), it.next(), it.next()) else { continue };
        if [pod, ns, container].iter().any(|s| s.is_empty() || s.contains('/')) {
            continue;
        }
        out.entry((ns.to_string(), pod.to_string(), container.to_string()))
            .or_default()
            .insert(id.to_string());
    }
    out
}

/// Every CRI log directory in the bundle: (namespace, pod, uid, container) -> its first log
/// file (sorted), from `.../var/log/pods/<ns>_<pod>_<uid>/<container>/<file>`.
pub(crate) fn pod_log_dirs(artifacts: &[Artifact]) -> LogDirs {
    let mut out = LogDirs::new();
    for a in artifacts {
        let Some(at) = a.path.find("var/log/pods/") else { continue };
        if at > 0 && !a.path[..at].ends_with('/') {
            continue;
        }
        let rest = &a.path[at + "var/log/pods/".len()..];
        let parts: Vec<&str> = rest.split('/').collect();
        let [pod_dir, container, file] = parts.as_slice() else { continue };
        if !file.contains(".log") || container.is_empty() {
            continue;
        }
        // `<namespace>_<pod>_<uid>`: namespaces and pod names never hold `_`.
        let mut it = pod_dir.splitn(3, '_');
        let (Some(ns), Some(pod), Some(uid)) = (it.next(), it.next(), it.next()) else { continue };
        let key = (ns.to_string(), pod.to_string(), uid.to_string(), container.to_string());
        let e = out.entry(key).or_insert_with(|| a.path.clone());
        if a.path < *e {
            *e = a.path.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compression::Compression;
    use crate::evidence::{ArtifactKind, ArtifactSource};
    use crate::model::Severity;

    fn art(path: &str) -> Artifact {
        Artifact {
            path: path.into(),
            source: ArtifactSource::None,
            kind: ArtifactKind::CriLog,
            size: 0,
            sha256: None,
            compression: Compression::None,
            error: None,
            note: None,
            mtime: None,
        }
    }

    fn labelled(id: &str, pod: &str, container: &str) -> ContainerInfo {
        let mut c =
            ContainerInfo { id: id.into(), name: format!("k8s_{container}_{pod}"), ..Default::default() };
        c.config.labels = [(NS, "shop"), (POD, pod), (UID, "u1"), (CONTAINER, container)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        c
    }

    fn finding() -> Finding {
        Finding {
            rule: "k8saudit.attach-exec-pod".into(),
            severity: Severity::High,
            category: "execution".into(),
            title: "t".into(),
            summary: "s".into(),
            attack: None,
            time: None,
            evidence: vec![],
            subject: None,
            owner: None,
            iocs: vec![],
            actor: None,
            kind: super::super::rules::EXEC.kind,
        }
    }

    fn pod(name: &str, container: Option<&str>) -> PodRef {
        PodRef {
            namespace: "shop".into(),
            name: name.into(),
            uid: None,
            container: container.map(str::to_string),
        }
    }

    fn owner(p: PodRef, containers: &[ContainerInfo], artifacts: &[Artifact]) -> (Owner, Vec<ContainerInfo>) {
        let (f, new) = own(vec![(p, finding())], containers, artifacts);
        (f[0].owner.clone().unwrap(), new)
    }

    #[test]
    fn labels_first_then_the_named_container_and_never_the_sandbox() {
        let mut sandbox = labelled("s", "web", "POD");
        sandbox.config.labels.insert("io.cri-containerd.kind".into(), "sandbox".into());
        let cs = [
            labelled("a", "web", "app"),
            labelled("b", "web", "sidecar"),
            sandbox,
            labelled("c", "db", "db"),
        ];
        let (o, new) = owner(pod("web", Some("sidecar")), &cs, &[]);
        assert_eq!(o.as_container().unwrap().id, "b");
        assert!(new.is_empty());
        let (o, _) = owner(pod("web", None), &cs, &[]);
        let Owner::Bundle { why } = o else { panic!("two containers, none named") };
        assert!(why.contains("has 2 containers"), "{why}");
        let (o, _) = owner(pod("db", None), &cs, &[]);
        assert_eq!(o.as_container().unwrap().id, "c");
    }

    #[test]
    fn cri_log_directories_name_a_container_once() {
        let arts = [
            art("node/var/log/pods/shop_web_u1/app/0.log"),
            art("node/var/log/pods/shop_web_u1/app/0.log.20261127-140000.gz"),
            art("node/var/log/pods/shop_web_u1/app/1.log"),
            art("myvar/log/pods/shop_web_u1/other/0.log"),
            art("var/log/pods/shop_db_u2/db/0.log"),
        ];
        let dirs = pod_log_dirs(&arts);
        assert_eq!(dirs.len(), 2, "{dirs:?}");
        assert_eq!(
            dirs[&("shop".into(), "web".into(), "u1".into(), "app".into())],
            "node/var/log/pods/shop_web_u1/app/0.log"
        );
        let (findings, new) =
            own(vec![(pod("web", None), finding()), (pod("web", Some("app")), finding())], &[], &arts);
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].name, "shop/web/app");
        assert_eq!(new[0].source, InspectSource::PodLogs);
        assert_eq!(new[0].config.labels[UID], "u1");
        assert!(findings
            .iter()
            .all(|f| f.owner.as_ref().and_then(Owner::as_container).unwrap().name == "shop/web/app"));
        // The node's link names the container's id.
        let id = "9f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
        let mut linked = arts.to_vec();
        linked.push(Artifact {
            kind: ArtifactKind::Link,
            ..art(&format!("node/var/log/containers/web_shop_app-{id}.log"))
        });
        linked.push(art("node/var/log/containers/web_shop_app-notanid.log"));
        let (findings, new) = own(vec![(pod("web", Some("app")), finding())], &[], &linked);
        assert_eq!(new[0].id, id);
        assert_eq!(findings[0].owner.as_ref().and_then(Owner::as_container).unwrap().id, id);
        let other_uid = PodRef { uid: Some("u9".into()), ..pod("web", None) };
        let (o, _) = owner(other_uid, &[], &arts);
        assert!(matches!(o, Owner::Bundle { .. }), "another pod of the same name: {o:?}");
    }
}
