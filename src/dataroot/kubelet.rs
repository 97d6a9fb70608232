//! Kubelet pod directories of a seized node (`var/lib/kubelet/pods/<uid>/`, the same path on
//! k3s and rke2, microk8s' `var/snap/microk8s/common/var/lib/kubelet/pods/<uid>/`), wherever
//! they sit in the bundle: each pod's volumes (plugin, name, the names of its files, never
//! their values), its containers (`containers/<name>/<restart>`), `etc-hosts`, and the
//! service-account tokens its projected or secret volumes hold, decoded to their claims
//! ([`super::sa_token`]). A pod is named (namespace/name) by its token's claims, its CRI log
//! directory (`var/log/pods/<ns>_<pod>_<uid>/`) or its containers' `io.kubernetes.pod.uid`
//! labels. The identity a token carries is an exposure of every container of the pod: the
//! blast radius of its compromise; when the audit log shows that identity acting, the
//! token's use ([`tokens_used`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;

use serde::Serialize;

use super::sa_token::{self, TokenClaims};
use crate::evidence::{Artifact, ArtifactKind};
use crate::ingest::inspect::ContainerInfo;
use crate::model::{
    role, Diagnostic, Family, Finding, IocKind, IocRef, Locator, Owner, PodRef, Role, RuleDef, RuleKind,
    Severity, TimelineEvent, Timestamp,
};

pub(crate) static TOKEN_HELD: RuleDef = RuleDef::new(
    "exposure.sa-token-held",
    RuleKind::of(Family::Exposure).with(Role::HeldIdentity),
    Severity::High,
    "exposure",
    "T1528",
    "Kubernetes service-account token held (kubelet pod directory)",
);
pub(crate) static SECRET_VOLUME: RuleDef = RuleDef::new(
    "exposure.secret-volume",
    RuleKind::of(Family::Exposure),
    Severity::Medium,
    "exposure",
    "T1552.001",
    "Kubernetes secret mounted (kubelet pod directory)",
);
pub(crate) static TOKEN_USED: RuleDef = RuleDef::new(
    "correlate.sa-token-used",
    RuleKind::of(Family::Correlation),
    Severity::High,
    "lateral-movement",
    "T1550.001",
    "A service-account token the container holds acted in the cluster",
);

/// The rules of kubelet pod directories, for the catalog.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    vec![&TOKEN_HELD, &SECRET_VOLUME, &TOKEN_USED]
}

/// A finding of `def` with its own title, summary, time and proof (no owner yet).
fn raised(
    def: &RuleDef,
    title: String,
    summary: String,
    time: Option<Timestamp>,
    evidence: Vec<Locator>,
) -> Finding {
    Finding {
        rule: def.id.to_string(),
        severity: def.severity,
        category: def.category.to_string(),
        title,
        summary,
        attack: def.attack(),
        time,
        evidence,
        subject: None,
        owner: None,
        iocs: vec![],
        actor: None,
        kind: def.kind,
    }
}

/// Volume plugins whose files are values (secrets, tokens, config): marked so that no
/// sniffer or log scanner reads them, and never shown.
const VALUE_PLUGINS: &[&str] = &[
    "kubernetes.io~secret",
    "kubernetes.io~projected",
    "kubernetes.io~configmap",
    "kubernetes.io~downward-api",
];

/// Audit acts joined to one held token, at most (the rest are counted).
const PROOF: usize = 20;

/// One pod directory of the kubelet.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KubeletPod {
    pub uid: String,
    /// Its path in the bundle.
    pub dir: String,
    /// `microk8s` when under `var/snap/microk8s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What named it: `token claims`, `CRI log directory`, `container labels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_by: Option<&'static str>,
    /// Its containers (`containers/<name>/`) and those its CRI log directory names.
    pub containers: Vec<String>,
    pub volumes: Vec<PodVolume>,
    /// The pod's `etc-hosts` (kubelet-managed), when in the bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etc_hosts: Option<String>,
    /// The pod's own addresses as its `etc-hosts` says (every entry but loopback and the
    /// IPv6 defaults; the container can rewrite that file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pod_ips: Vec<String>,
    /// Service-account tokens its volumes hold: claims only, the token never kept.
    pub tokens: Vec<HeldToken>,
}

/// One volume: `volumes/<plugin>/<name>/`, with the names of its files (never values).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PodVolume {
    pub plugin: String,
    pub name: String,
    pub files: Vec<String>,
}

/// A token file and what it claims.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HeldToken {
    /// The token file in the bundle (its content is never shown).
    pub path: String,
    pub volume: String,
    pub claims: TokenClaims,
}

/// What the kubelet pod directories of a bundle give.
#[derive(Default)]
pub(crate) struct Read {
    pub pods: Vec<KubeletPod>,
    /// Findings about the pods' containers, joined once every container is known; the
    /// identity and pod addresses of each held-token finding, by index.
    pub pod_findings: Vec<(PodRef, Finding)>,
    pub held: Vec<(usize, String, Vec<String>)>,
    /// Findings of pods the evidence does not name (the bundle's, with why).
    pub findings: Vec<Finding>,
    pub timeline: Vec<TimelineEvent>,
}

/// A path's kubelet pod directory: (the directory, its uid, the rest below it).
fn pod_dir_of(path: &str) -> Option<(&str, &str, &str)> {
    const AT: &str = "kubelet/pods/";
    let mut from = 0;
    while let Some(i) = path[from..].find(AT).map(|i| i + from) {
        from = i + AT.len();
        if i > 0 && !path[..i].ends_with('/') {
            continue;
        }
        let rest = &path[from..];
        let (uid, below) = rest.split_once('/').unwrap_or((rest, ""));
        // Pod uids are UUIDs; static pods' are 32 hex digits.
        let uid_like =
            (32..=36).contains(&uid.len()) && uid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if uid_like {
            return Some((&path[..from + uid.len()], uid, below));
        }
    }
    None
}

/// Mark the files of value-carrying volumes (secrets, projected tokens, config maps) as
/// read through the kubelet pod directory: no sniffer or log scanner reads them.
pub(crate) fn mark_files(artifacts: &mut [Artifact]) {
    for a in artifacts.iter_mut() {
        if a.error.is_some() || matches!(a.kind, ArtifactKind::Link | ArtifactKind::Special) {
            continue;
        }
        let Some((_, _, rest)) = pod_dir_of(&a.path) else { continue };
        let plugin = match rest.split('/').collect::<Vec<_>>().as_slice() {
            ["volumes", plugin, _, _, ..] => *plugin,
            // The kubelet's own records, read through the pod directory: a container's
            // restart markers (empty by design) and the pod's hosts file (its addresses), not
            // logs or captures to sniff.
            ["containers", _, _] | ["etc-hosts"] => {
                a.note = Some(
                    format!(
                        "kubelet pod record (sniffed as {}): read through the kubelet pod directory",
                        a.kind.as_str()
                    )
                    .into(),
                );
                a.kind = ArtifactKind::RootFile;
                continue;
            }
            _ => continue,
        };
        if !VALUE_PLUGINS.contains(&plugin) {
            continue;
        }
        a.note = Some(format!(
            "kubelet volume file ({plugin}, sniffed as {}): read through the kubelet pod directory, its value never shown",
            a.kind.as_str()
        ).into());
        a.kind = ArtifactKind::RootFile;
    }
}

/// Read every kubelet pod directory of the bundle; `containers` are the bundle's container
/// records (their pod labels name pods).
pub(crate) fn read(
    artifacts: &[Artifact],
    containers: &[ContainerInfo],
    diags: &mut Vec<Diagnostic>,
) -> Read {
    let mut pods: BTreeMap<String, KubeletPod> = BTreeMap::new();
    let mut vols: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    // (pod directory, volume, plugin, file)
    let mut tokens: Vec<(String, String, bool, &Artifact)> = vec![];
    for a in artifacts {
        let Some((dir, uid, rest)) = pod_dir_of(&a.path) else { continue };
        let pod = pods.entry(dir.to_string()).or_insert_with(|| KubeletPod {
            uid: uid.to_string(),
            dir: dir.to_string(),
            distribution: dir.contains("snap/microk8s/").then_some("microk8s"),
            ..Default::default()
        });
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            ["containers", name, _, ..] if !name.is_empty() => pod.containers.push(name.to_string()),
            ["etc-hosts"] if a.error.is_none() && a.kind != ArtifactKind::Link => {
                pod.etc_hosts = Some(a.path.clone());
                pod.pod_ips = pod_ips(a);
            }
            ["volumes", plugin, name, inner @ ..] if !inner.is_empty() => {
                let file = inner[inner.len() - 1];
                let set = vols.entry((dir.to_string(), plugin.to_string(), name.to_string())).or_default();
                // The atomic writer's `..data` link and `..<time>` directories are its own.
                if !file.starts_with("..") {
                    set.insert(file.to_string());
                }
                let value_plugin = *plugin == "kubernetes.io~projected" || *plugin == "kubernetes.io~secret";
                if file == "token" && value_plugin && a.kind != ArtifactKind::Link && a.error.is_none() {
                    tokens.push((dir.to_string(), name.to_string(), *plugin == "kubernetes.io~projected", a));
                }
            }
            _ => {}
        }
    }
    for ((dir, plugin, name), files) in vols {
        if let Some(p) = pods.get_mut(&dir) {
            p.volumes.push(PodVolume { plugin, name, files: files.into_iter().collect() });
        }
    }
    for (dir, volume, projected, a) in tokens {
        let claims = match read_token(a) {
            Ok(c) => c,
            // A secret's key named `token` that is no JWT is a secret like any other.
            Err(_) if !projected => continue,
            Err(why) => {
                diags.push(Diagnostic::warning(
                    a.locator(),
                    format!("kubelet token file not read as a service-account token: {why}"),
                ));
                continue;
            }
        };
        if let Some(p) = pods.get_mut(&dir) {
            p.tokens.push(HeldToken { path: a.path.clone(), volume, claims });
        }
    }
    let logs = crate::k8saudit::join::pod_log_dirs(artifacts);
    let mut out = Read::default();
    for mut p in pods.into_values() {
        name_pod(&mut p, &logs, containers);
        for ((_, _, uid, c), _) in logs.iter() {
            if *uid == p.uid {
                p.containers.push(c.clone());
            }
        }
        p.containers.sort();
        p.containers.dedup();
        p.tokens.sort_by(|a, b| a.path.cmp(&b.path));
        raise(&p, &mut out);
        out.pods.push(p);
    }
    out
}

/// The addresses of a kubelet-managed hosts file but loopback and the IPv6 defaults
/// (`fe00::`, `ff00::`, `ff02::1`...), in file order (64 KiB read at most).
fn pod_ips(a: &Artifact) -> Vec<String> {
    let mut buf = vec![];
    if a.open().and_then(|r| r.take(64 << 10).read_to_end(&mut buf)).is_err() {
        return vec![];
    }
    let mut out: Vec<String> = vec![];
    for line in String::from_utf8_lossy(&buf).lines() {
        let Some(ip) = line.split('#').next().and_then(|l| l.split_whitespace().next()) else { continue };
        let Ok(addr) = ip.parse::<std::net::IpAddr>() else { continue };
        let special = match addr {
            std::net::IpAddr::V4(v) => v.is_loopback() || v.is_unspecified(),
            std::net::IpAddr::V6(v) => {
                v.is_loopback()
                    || v.is_unspecified()
                    || v.segments()[0] & 0xff00 == 0xff00
                    || v.segments()[0] == 0xfe00
            }
        };
        if !special && !out.contains(&addr.to_string()) {
            out.push(addr.to_string());
        }
    }
    out
}

fn read_token(a: &Artifact) -> Result<TokenClaims, String> {
    let mut buf = vec![];
    a.open()
        .and_then(|r| r.take(sa_token::MAX_TOKEN_BYTES as u64 + 1).read_to_end(&mut buf))
        .map_err(|e| format!("cannot read it: {e}"))?;
    sa_token::decode(&buf)
}

/// Name the pod: its token's claims (bound to this uid), else its CRI log directory, else
/// a container record labelled with its uid.
fn name_pod(
    p: &mut KubeletPod,
    logs: &BTreeMap<(String, String, String, String), String>,
    containers: &[ContainerInfo],
) {
    let by_token = p.tokens.iter().find_map(|t| {
        let c = &t.claims;
        match (&c.namespace, &c.pod_name, &c.pod_uid) {
            (Some(ns), Some(pod), Some(uid)) if *uid == p.uid => Some((ns.clone(), pod.clone())),
            _ => None,
        }
    });
    let by_logs =
        || logs.keys().find(|(_, _, uid, _)| *uid == p.uid).map(|(ns, pod, _, _)| (ns.clone(), pod.clone()));
    let by_labels = || {
        containers.iter().find_map(|c| {
            let l = &c.config.labels;
            (l.get("io.kubernetes.pod.uid") == Some(&p.uid))
                .then(|| {
                    Some((
                        l.get("io.kubernetes.pod.namespace")?.clone(),
                        l.get("io.kubernetes.pod.name")?.clone(),
                    ))
                })
                .flatten()
        })
    };
    let (named, by) = match by_token {
        Some(n) => (Some(n), "token claims"),
        None => match by_logs() {
            Some(n) => (Some(n), "CRI log directory"),
            None => (by_labels(), "container labels"),
        },
    };
    if let Some((ns, name)) = named {
        p.namespace = Some(ns);
        p.name = Some(name);
        p.named_by = Some(by);
    }
}

/// The findings of one pod: each token's identity and each secret volume, for each of its
/// containers (the kubelet mounts them into every container of the pod).
fn raise(p: &KubeletPod, out: &mut Read) {
    let pod_ref = |container: Option<&String>| -> Option<PodRef> {
        Some(PodRef {
            namespace: p.namespace.clone()?,
            name: p.name.clone()?,
            uid: Some(p.uid.clone()),
            container: container.cloned(),
        })
    };
    let handle = match (&p.namespace, &p.name) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        _ => format!("uid {}", p.uid),
    };
    let containers: Vec<Option<&String>> =
        if p.containers.is_empty() { vec![None] } else { p.containers.iter().map(Some).collect() };
    let push = |identity: Option<&str>, f: Finding, out: &mut Read| {
        for c in &containers {
            match pod_ref(*c) {
                Some(r) => {
                    if let Some(id) = identity {
                        out.held.push((out.pod_findings.len(), id.to_string(), p.pod_ips.clone()));
                    }
                    out.pod_findings.push((r, f.clone()));
                }
                None => {
                    let why = format!(
                        "kubelet pod directory {}: nothing in the evidence names its pod (no bound token, CRI log directory or container labelled with its uid)",
                        p.uid
                    );
                    out.findings.push(Finding { owner: Some(Owner::Bundle { why }), ..f.clone() });
                    return;
                }
            }
        }
    };
    let mut seen = BTreeSet::new();
    for t in &p.tokens {
        let c = &t.claims;
        let Some(identity) = c.identity() else { continue };
        if !seen.insert(identity.clone()) {
            continue;
        }
        let mut facts = vec![];
        if !c.audiences.is_empty() {
            facts.push(format!("audience {}", c.audiences.join(", ")));
        }
        if let Some(t) = c.issued {
            facts.push(format!("issued {}", t.to_iso_seconds()));
        }
        if let Some(t) = c.expires {
            facts.push(format!("expires {}", t.to_iso_seconds()));
        }
        if let Some(i) = &c.issuer {
            facts.push(format!("issuer {i}"));
        }
        let bound = match (&c.pod_uid, &c.pod_name) {
            (Some(u), _) if *u != p.uid => format!(
                "; the token is bound to another pod ({} uid {u}): it was copied here",
                c.pod_name.as_deref().unwrap_or("?")
            ),
            (Some(_), Some(_)) => " (bound to this pod)".into(),
            _ => " (a legacy token: it does not expire with the pod)".into(),
        };
        let f = raised(
            &TOKEN_HELD,
            format!("service-account token of {identity}"),
            format!(
                "pod {handle}'s volume {} holds a service-account token{bound}: its containers can call the cluster API as {identity} ({}); the token is not shown, its claims are decoded without verifying the signature. API requests by {identity} in the audit log may be its use",
                t.volume,
                facts.join(", ")
            ),
            c.issued,
            vec![Locator::artifact(t.path.as_str())],
        );
        out.timeline.push(TimelineEvent {
            time: c.issued,
            timestamp_desc: "token issued (iat)".into(),
            kind: "kubelet".into(),
            message: format!("service-account token of {identity} issued for pod {handle}"),
            source: Locator::artifact(t.path.as_str()),
            also: vec![],
            order: vec![],
        });
        push(Some(&identity), f, out);
    }
    for v in p.volumes.iter().filter(|v| v.plugin == "kubernetes.io~secret" && !v.files.is_empty()) {
        let f = raised(
            &SECRET_VOLUME,
            format!("secret volume {} mounted", v.name),
            format!(
                "pod {handle} mounts secret volume {} (keys: {}): its containers, and whoever runs code in them, read these values; rotate them (values not shown)",
                v.name,
                v.files.join(", ")
            ),
            None,
            vec![Locator::artifact(format!("{}/volumes/{}/{}", p.dir, v.plugin, v.name))],
        );
        push(None, f, out);
    }
}

/// For each held token (its identity, the pod's addresses, its finding owned by then), the
/// audit findings whose actor is that identity: the token used, one finding per container
/// and identity. A request from an address that is not the pod's is the token used outside
/// the pod: that address is an indicator.
pub(crate) fn tokens_used(held: &[(String, Vec<String>, Finding)], findings: &[Finding]) -> Vec<Finding> {
    let mut out: Vec<Finding> = vec![];
    let mut done = BTreeSet::new();
    for (identity, pod_ips, h) in held {
        if !done.insert((h.owner.clone(), identity.clone())) {
            continue;
        }
        let mut acts: Vec<&Finding> = findings
            .iter()
            .filter(|f| matches!(f.kind.family, Family::K8sAudit | Family::SigmaK8sAudit))
            .filter(|f| f.actor.as_ref().is_some_and(|a| a.user == *identity))
            .collect();
        if acts.is_empty() {
            continue;
        }
        acts.sort_by(|a, b| (a.time, &a.rule).cmp(&(b.time, &b.rule)));
        let first = acts[0];
        let titles: BTreeSet<&str> = acts.iter().map(|f| f.title.as_str()).collect();
        let ips: BTreeSet<&str> = acts
            .iter()
            .filter_map(|f| f.actor.as_ref())
            .filter_map(|a| a.source_ips.first().map(String::as_str))
            .collect();
        let span = match (first.time, acts.iter().filter_map(|f| f.time).max()) {
            (Some(a), Some(b)) if a != b => {
                format!(" between {} and {}", a.to_iso_seconds(), b.to_iso_seconds())
            }
            (Some(a), _) => format!(" at {}", a.to_iso_seconds()),
            _ => String::new(),
        };
        let from = if ips.is_empty() {
            String::new()
        } else {
            format!(" from {}", ips.iter().copied().collect::<Vec<_>>().join(", "))
        };
        let outside: Vec<&str> = ips
            .iter()
            .copied()
            .filter(|ip| !pod_ips.is_empty() && !pod_ips.iter().any(|p| p == ip))
            .collect();
        let whence = match (pod_ips.is_empty(), outside.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!(" (the pod's own address {})", pod_ips.join(", ")),
            (false, false) => format!(
                " ({} not the pod's address {}: the token was used outside the pod)",
                outside.join(", "),
                pod_ips.join(", ")
            ),
        };
        let iocs = outside
            .iter()
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok_and(|a| !a.is_loopback()))
            .map(|ip| IocRef { kind: IocKind::Ip, value: ip.to_string(), role: role::API_CLIENT })
            .collect();
        let mut evidence = h.evidence.clone();
        evidence.extend(acts.iter().flat_map(|f| f.evidence.iter().cloned()).take(PROOF));
        out.push(Finding {
            owner: h.owner.clone(),
            actor: first.actor.clone(),
            iocs,
            ..raised(
                &TOKEN_USED,
                format!("{identity}, whose token the container holds, acted in the cluster"),
                format!(
                    "{} flagged API request(s) by {identity}{span}{from}{whence}: {}. The container holds this identity's token (kubelet pod directory): whoever runs code in it can act as {identity}",
                    acts.len(),
                    titles.into_iter().collect::<Vec<_>>().join("; ")
                ),
                first.time,
                evidence,
            )
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "0a1b2c3d-0000-4000-8000-000000000001";

    #[test]
    fn pod_directories_wherever_they_sit() {
        let p = format!(
            "disk/var/lib/kubelet/pods/{UID}/volumes/kubernetes.io~projected/kube-api-access-x/token"
        );
        let (dir, uid, rest) = pod_dir_of(&p).unwrap();
        assert_eq!((dir, uid), (&*format!("disk/var/lib/kubelet/pods/{UID}"), UID));
        assert_eq!(rest, "volumes/kubernetes.io~projected/kube-api-access-x/token");
        let micro = format!("var/snap/microk8s/common/var/lib/kubelet/pods/{UID}/etc-hosts");
        assert_eq!(pod_dir_of(&micro).unwrap().2, "etc-hosts");
        assert_eq!(pod_dir_of(&format!("kubelet/pods/{UID}")).unwrap().2, "");
        // Not a uid, not a whole component.
        assert!(pod_dir_of("var/lib/kubelet/pods/not-a-uid/etc-hosts").is_none());
        assert!(pod_dir_of(&format!("var/lib/mykubelet/pods/{UID}/etc-hosts")).is_none());
    }

    #[test]
    fn the_pod_s_addresses_in_its_etc_hosts() {
        let hosts = b"# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n\
fe00::0\tip6-localnet\nfe00::\tip6-mcastprefix\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n\
10.42.0.15\tweb-7d9\nfd00:10:42::f\tweb-7d9\n# Entries added by HostAliases.\n10.42.0.15\talias\nnot-an-ip x\n";
        let a = crate::fuzzing::artifact("etc-hosts", ArtifactKind::TextLog, hosts);
        assert_eq!(pod_ips(&a), ["10.42.0.15", "fd00:10:42::f"]);
    }

    #[test]
    fn a_pod_is_named_by_its_bound_token_then_its_logs_then_labels() {
        let pod = |tokens: Vec<HeldToken>| KubeletPod { uid: UID.into(), tokens, ..Default::default() };
        let token = |uid: &str| HeldToken {
            claims: TokenClaims {
                namespace: Some("shop".into()),
                pod_name: Some("web-7d9".into()),
                pod_uid: Some(uid.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut logs = crate::k8saudit::join::LogDirs::new();
        logs.insert(("shop".into(), "web-logs".into(), UID.into(), "app".into()), "0.log".into());
        let mut labelled = ContainerInfo::default();
        labelled.config.labels = [
            ("io.kubernetes.pod.uid", UID),
            ("io.kubernetes.pod.namespace", "shop"),
            ("io.kubernetes.pod.name", "web-labels"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let named = |mut p: KubeletPod, logs: &crate::k8saudit::join::LogDirs, cs: &[ContainerInfo]| {
            name_pod(&mut p, logs, cs);
            (p.name, p.named_by)
        };
        let cs = [labelled];
        assert_eq!(named(pod(vec![token(UID)]), &logs, &cs), (Some("web-7d9".into()), Some("token claims")));
        // A token bound to another pod does not name this one.
        let other = "99999999-9999-4999-8999-999999999999";
        assert_eq!(
            named(pod(vec![token(other)]), &logs, &cs),
            (Some("web-logs".into()), Some("CRI log directory"))
        );
        let none = crate::k8saudit::join::LogDirs::new();
        assert_eq!(named(pod(vec![]), &none, &cs), (Some("web-labels".into()), Some("container labels")));
        assert_eq!(named(pod(vec![]), &none, &[]), (None, None));
    }

    fn held(user: &str, owner: &str) -> (String, Vec<String>, Finding) {
        let f = Finding {
            owner: Some(Owner::Container { id: String::new(), name: owner.into() }),
            ..raised(&TOKEN_HELD, "t".into(), "s".into(), None, vec![Locator::artifact("token")])
        };
        (user.to_string(), vec!["10.42.0.15".into()], f)
    }

    #[test]
    fn a_held_token_is_used_when_its_identity_acts() {
        let act = |user: &str, t: i64| Finding {
            rule: "k8saudit.secrets-listed".into(),
            severity: Severity::Medium,
            category: "credential-access".into(),
            title: "Secrets Listed".into(),
            summary: "s".into(),
            attack: None,
            time: Some(crate::model::Timestamp::from_unix(t, 0)),
            evidence: vec![Locator::artifact("audit.log").with_line(t as u64)],
            subject: None,
            owner: None,
            iocs: vec![],
            actor: Some(crate::model::Actor {
                user: user.into(),
                source_ips: vec!["10.42.0.15".into()],
                ..Default::default()
            }),
            kind: crate::k8saudit::rules::SECRETS_LISTED.kind,
        };
        let sa = "system:serviceaccount:shop:web";
        let hs =
            [held(sa, "shop/web/app"), held(sa, "shop/web/app"), held("system:serviceaccount:shop:db", "db")];
        let fs = [act(sa, 20), act(sa, 10), act("alice", 5)];
        let used = tokens_used(&hs, &fs);
        assert_eq!(used.len(), 1, "{used:#?}");
        let u = &used[0];
        assert_eq!(u.time, Some(crate::model::Timestamp::from_unix(10, 0)));
        assert_eq!(u.actor.as_ref().unwrap().user, sa);
        assert_eq!(u.owner.as_ref().and_then(Owner::as_container).unwrap().name, "shop/web/app");
        assert_eq!(u.evidence.len(), 3, "the token, then both acts");
        assert!(u.summary.starts_with("2 flagged API request(s) by system:serviceaccount:shop:web between"));
        assert!(u.summary.contains("from 10.42.0.15 (the pod's own address 10.42.0.15)"), "{}", u.summary);
        assert!(u.iocs.is_empty());
        // The same identity from elsewhere: the token left the pod; that address is an indicator.
        let mut away = act(sa, 30);
        away.actor.as_mut().unwrap().source_ips = vec!["198.51.100.9".into()];
        let u = &tokens_used(&hs[..1], &[away])[0];
        assert!(u
            .summary
            .contains("198.51.100.9 not the pod's address 10.42.0.15: the token was used outside the pod"));
        assert_eq!(u.iocs[0].value, "198.51.100.9");
        // A finding that is not an audit act does not count.
        let other = Finding { kind: TOKEN_HELD.kind, ..act(sa, 1) };
        assert!(tokens_used(&hs[..1], &[other]).is_empty());
    }
}
