//! Kubernetes nodes' containerd roots: which distribution a root belongs to, from where it
//! sits in the bundle (k3s `var/lib/rancher/k3s/agent/containerd`, rke2
//! `var/lib/rancher/rke2/agent/containerd`, microk8s `var/snap/microk8s/common/var/lib/
//! containerd`, a kind node's `var/lib/containerd` beside its `kind/` directory), and its
//! state directory when it was captured (`run/k3s/containerd`, microk8s' `.../common/run/
//! containerd`, `run/containerd`) with the runtime v2 tasks found there.

use std::collections::BTreeSet;

use crate::evidence::Artifact;

/// The distribution of a node whose containerd root is at `root` (its path in the bundle,
/// empty or ending in `/`), and the state directory it uses, relative to the same prefix.
/// None: a plain containerd root (or one whose distribution its place does not tell).
pub(crate) fn distribution(root: &str, artifacts: &[Artifact]) -> Option<(&'static str, String)> {
    const BY_PLACE: &[(&str, &str, &str)] = &[
        ("rancher/k3s/agent/containerd/", "k3s", "run/k3s/containerd/"),
        ("rancher/rke2/agent/containerd/", "rke2", "run/k3s/containerd/"),
        ("snap/microk8s/common/var/lib/containerd/", "microk8s", "snap/microk8s/common/run/containerd/"),
    ];
    for (tail, name, state) in BY_PLACE {
        if let Some(prefix) = root.strip_suffix(tail) {
            if prefix.is_empty() || prefix.ends_with('/') {
                // The state directory sits beside `var/`: `<host>/var/lib/rancher/...` ->
                // `<host>/run/k3s/containerd`; microk8s keeps it under `var/snap`.
                let host = match *name {
                    "microk8s" => prefix.to_string(),
                    _ => prefix
                        .strip_suffix("lib/")
                        .and_then(|p| p.strip_suffix("var/"))
                        .unwrap_or(prefix)
                        .into(),
                };
                return Some((name, format!("{host}{state}")));
            }
        }
    }
    // A kind node: the node image's `/kind` directory beside `/var/lib/containerd`.
    let host = root.strip_suffix("var/lib/containerd/").filter(|p| p.is_empty() || p.ends_with('/'))?;
    let kind = format!("{host}kind/");
    artifacts.iter().any(|a| a.path.starts_with(&kind)).then(|| ("kind", format!("{host}run/containerd/")))
}

/// The plain state directory of a containerd root at `<host>/var/lib/containerd/`.
pub(crate) fn plain_state(root: &str) -> Option<String> {
    let host = root.strip_suffix("var/lib/containerd/").filter(|p| p.is_empty() || p.ends_with('/'))?;
    Some(format!("{host}run/containerd/"))
}

/// The runtime v2 tasks of a captured state directory (`io.containerd.runtime.v2.task/<ns>/
/// <id>/`): `<ns>/<id>`, sorted. None when nothing of the state directory is in the bundle
/// (not captured: no statement either way).
pub(crate) fn tasks(state: &str, artifacts: &[Artifact]) -> Option<Vec<String>> {
    let mut captured = false;
    let mut out = BTreeSet::new();
    let dir = format!("{state}io.containerd.runtime.v2.task/");
    for a in artifacts.iter().filter(|a| a.path.starts_with(state)) {
        captured = true;
        let Some(rest) = a.path.strip_prefix(&dir) else { continue };
        let mut parts = rest.split('/');
        if let (Some(ns), Some(id), Some(_)) = (parts.next(), parts.next(), parts.next()) {
            if !ns.is_empty() && !id.is_empty() {
                out.insert(format!("{ns}/{id}"));
            }
        }
    }
    captured.then(|| out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art(p: &str) -> Artifact {
        crate::fuzzing::artifact(p, crate::evidence::ArtifactKind::Unknown, b"")
    }

    #[test]
    fn distributions_by_place() {
        let none: Vec<Artifact> = vec![];
        assert_eq!(
            distribution("disk/var/lib/rancher/k3s/agent/containerd/", &none),
            Some(("k3s", "disk/run/k3s/containerd/".into()))
        );
        assert_eq!(
            distribution("var/lib/rancher/rke2/agent/containerd/", &none),
            Some(("rke2", "run/k3s/containerd/".into()))
        );
        // A tar of /var/lib/rancher alone.
        assert_eq!(
            distribution("rancher/k3s/agent/containerd/", &none),
            Some(("k3s", "run/k3s/containerd/".into()))
        );
        assert_eq!(
            distribution("n/var/snap/microk8s/common/var/lib/containerd/", &none),
            Some(("microk8s", "n/var/snap/microk8s/common/run/containerd/".into()))
        );
        // Not a whole component: not k3s.
        assert_eq!(distribution("x/notrancher/k3s/agent/containerd/", &none), None);
        // A plain root; the same root beside a kind node's /kind directory is kind's.
        assert_eq!(distribution("node/var/lib/containerd/", &none), None);
        let kind = vec![art("node/kind/version")];
        assert_eq!(
            distribution("node/var/lib/containerd/", &kind),
            Some(("kind", "node/run/containerd/".into()))
        );
        assert_eq!(distribution("other/var/lib/containerd/", &kind), None);
        assert_eq!(plain_state("var/lib/containerd/").as_deref(), Some("run/containerd/"));
        assert_eq!(plain_state("containerd/daemon/"), None);
    }

    #[test]
    fn tasks_of_a_captured_state_directory() {
        let arts = vec![
            art("run/k3s/containerd/containerd.sock"),
            art("run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/abc/config.json"),
            art("run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/abc/init.pid"),
            art("run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/def/rootfs"),
            art("run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io"),
        ];
        assert_eq!(tasks("run/k3s/containerd/", &arts), Some(vec!["k8s.io/abc".into(), "k8s.io/def".into()]));
        assert_eq!(tasks("run/containerd/", &arts), None, "not captured: no statement");
        assert_eq!(tasks("run/k3s/containerd/", &arts[..1]), Some(vec![]), "captured, no task");
    }
}
