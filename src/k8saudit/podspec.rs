//! What a pod spec in an audit event's object allows: host namespaces, host paths,
//! privileged or root containers, added capabilities, unmasked `/proc`. Pod specs come in
//! pods and in the templates of deployments, daemonsets, statefulsets, replicasets,
//! replication controllers, jobs and cronjobs.

use serde_json::Value;

/// Workload resources whose object holds a pod spec, and where.
const SPEC_PATHS: &[(&str, &[&str])] = &[
    ("pods", &["spec"]),
    ("deployments", &["spec", "template", "spec"]),
    ("daemonsets", &["spec", "template", "spec"]),
    ("statefulsets", &["spec", "template", "spec"]),
    ("replicasets", &["spec", "template", "spec"]),
    ("replicationcontrollers", &["spec", "template", "spec"]),
    ("jobs", &["spec", "template", "spec"]),
    ("cronjobs", &["spec", "jobTemplate", "spec", "template", "spec"]),
];

/// Containers read per spec (hostile objects list thousands).
const MAX_CONTAINERS: usize = 64;

/// The parts of a pod spec the rules judge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PodSpec {
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    /// `volumes[].hostPath.path`.
    pub host_paths: Vec<String>,
    /// Containers (init and ephemeral too) with `securityContext.privileged: true`.
    pub privileged: Vec<String>,
    /// Containers that run as uid 0 (their own `runAsUser`, else the pod's).
    pub root: Vec<String>,
    /// Containers with `allowPrivilegeEscalation: true`.
    pub escalation: Vec<String>,
    /// `(container, capability)` for every `capabilities.add`.
    pub caps: Vec<(String, String)>,
    /// Containers with `procMount: Unmasked`.
    pub unmasked: Vec<String>,
    /// Every container's image.
    pub images: Vec<String>,
}

/// The pod spec of `object` when `resource` is a workload that carries one.
pub(crate) fn of(resource: &str, object: &Value) -> Option<PodSpec> {
    let (_, path) = SPEC_PATHS.iter().find(|(r, _)| *r == resource)?;
    let spec = path.iter().try_fold(object, |v, k| v.get(k))?;
    spec.as_object()?;
    let flag = |k: &str| spec.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mut p = PodSpec {
        host_network: flag("hostNetwork"),
        host_pid: flag("hostPID"),
        host_ipc: flag("hostIPC"),
        ..Default::default()
    };
    for v in spec.get("volumes").and_then(Value::as_array).into_iter().flatten().take(256) {
        if let Some(path) = v.get("hostPath").and_then(|h| h.get("path")).and_then(Value::as_str) {
            p.host_paths.push(path.to_string());
        }
    }
    let pod_uid = spec.get("securityContext").and_then(|s| s.get("runAsUser")).and_then(Value::as_i64);
    let containers = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| spec.get(*k).and_then(Value::as_array).into_iter().flatten())
        .take(MAX_CONTAINERS);
    for c in containers {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
        if let Some(img) = c.get("image").and_then(Value::as_str) {
            p.images.push(img.to_string());
        }
        let sc = c.get("securityContext");
        let get = |k: &str| sc.and_then(|s| s.get(k));
        if get("privileged").and_then(Value::as_bool) == Some(true) {
            p.privileged.push(name.clone());
        }
        if get("runAsUser").and_then(Value::as_i64).or(pod_uid) == Some(0) {
            p.root.push(name.clone());
        }
        if get("allowPrivilegeEscalation").and_then(Value::as_bool) == Some(true) {
            p.escalation.push(name.clone());
        }
        if get("procMount").and_then(Value::as_str) == Some("Unmasked") {
            p.unmasked.push(name.clone());
        }
        let add = get("capabilities").and_then(|c| c.get("add")).and_then(Value::as_array);
        for cap in add.into_iter().flatten().filter_map(Value::as_str).take(64) {
            p.caps.push((name.clone(), cap.to_string()));
        }
    }
    Some(p)
}

/// Host paths that hand a container the node: its root, configuration, credentials, the
/// runtime's socket, the kubelet's state, `/proc`, logs (Falco's sensitive mounts and
/// more).
pub(crate) fn sensitive_path(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    let p = if p.is_empty() { "/" } else { p };
    const EXACT: &[&str] =
        &["/", "/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/var/log", "/home", "/var/lib"];
    const UNDER: &[&str] = &[
        "/etc/kubernetes",
        "/var/lib/kubelet",
        "/var/lib/docker",
        "/var/lib/containerd",
        "/var/lib/rancher",
        "/run/containerd",
        "/var/run/containerd",
        "/var/run/crio",
        "/run/crio",
        "/proc",
        "/root",
        "/etc/ssh",
        "/etc/shadow",
        "/etc/sudoers",
    ];
    EXACT.contains(&p)
        || UNDER.iter().any(|u| p == *u || p.starts_with(&format!("{u}/")))
        || p.ends_with("/docker.sock")
        || p.ends_with("/containerd.sock")
        || p.ends_with("/crio.sock")
        || p.ends_with(".sock") && p.contains("/run/")
}

/// Capabilities that let a container reach the node or other containers.
pub(crate) fn dangerous_cap(cap: &str) -> bool {
    let c = cap.trim_start_matches("CAP_").to_ascii_uppercase();
    ["ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_ADMIN", "SYS_RAWIO", "BPF"]
        .contains(&c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pods_and_templates() {
        let pod: Value = serde_json::from_str(
            r#"{"spec":{"hostPID":true,"securityContext":{"runAsUser":0},
                "volumes":[{"name":"r","hostPath":{"path":"/"}}],
                "containers":[{"name":"a","image":"alpine","securityContext":{"privileged":true,
                   "capabilities":{"add":["SYS_ADMIN"]},"procMount":"Unmasked"}},
                  {"name":"b","securityContext":{"runAsUser":1000}}]}}"#,
        )
        .unwrap();
        let p = of("pods", &pod).unwrap();
        assert!(p.host_pid && !p.host_network);
        assert_eq!(p.host_paths, ["/"]);
        assert_eq!(p.privileged, ["a"]);
        assert_eq!(p.root, ["a"], "b overrides the pod's uid");
        assert_eq!(p.caps, [("a".to_string(), "SYS_ADMIN".to_string())]);
        assert_eq!(p.unmasked, ["a"]);
        let cron: Value = serde_json::from_str(
            r#"{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"hostNetwork":true,"containers":[]}}}}}}"#,
        )
        .unwrap();
        assert!(of("cronjobs", &cron).unwrap().host_network);
        assert!(of("configmaps", &cron).is_none());
        assert!(of("deployments", &serde_json::json!({"spec": 3})).is_none());
    }

    #[test]
    fn sensitive_paths() {
        for p in ["/", "/etc", "/etc/", "/var/run/docker.sock", "/proc", "/var/lib/kubelet/pki", "/var/log"] {
            assert!(sensitive_path(p), "{p}");
        }
        for p in ["/data", "/var/lib/app", "/tmp/x", "/etcd-data", "/srv"] {
            assert!(!sensitive_path(p), "{p}");
        }
    }
}
