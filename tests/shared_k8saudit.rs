//! Kubernetes API server audit events (../shared/fixtures/falco/test/trace_files/{k8s_audit,
//! psp}, README section 11): each file triggers the rule Falco's tests name, as often as they
//! say; the negative controls leave their paired rule silent; the file that is not an event
//! is rejected with a diagnostic saying why.

use std::collections::BTreeMap;

use crate::util::{run_json, shared, validate_against_schema};

/// (file under trace_files, ctriage rule id, count): Falco's rule for each capture.
const FIRES: &[(&str, &str, usize)] = &[
    ("k8s_audit/anonymous_creates_namespace_foo.json", "k8saudit.anonymous-allowed", 1),
    ("k8s_audit/attach_cluster_admin_role.json", "k8saudit.cluster-admin-binding", 1),
    ("k8s_audit/attach_pod.json", "k8saudit.attach-exec-pod", 1),
    ("k8s_audit/exec_pod.json", "k8saudit.attach-exec-pod", 1),
    ("k8s_audit/create_cluster_role_wildcard_resources.json", "k8saudit.clusterrole-wildcard", 1),
    ("k8s_audit/create_cluster_role_wildcard_verbs.json", "k8saudit.clusterrole-wildcard", 1),
    ("k8s_audit/create_cluster_role_write_privileges.json", "k8saudit.clusterrole-write", 1),
    ("k8s_audit/create_configmap_sensitive_values.json", "k8saudit.configmap-credentials", 6),
    ("k8s_audit/create_nginx_pod_hostnetwork.json", "k8saudit.hostnetwork-pod", 1),
    ("k8s_audit/create_nginx_pod_privileged.json", "k8saudit.privileged-pod", 1),
    ("k8s_audit/create_nginx_pod_sensitive_mount.json", "k8saudit.sensitive-mount-pod", 1),
    ("k8s_audit/create_nginx_service_nodeport.json", "k8saudit.nodeport-service", 1),
    ("k8s_audit/create_pod_kube_public_namespace.json", "k8saudit.pod-in-kube-namespace", 1),
    ("k8s_audit/create_pod_kube_system_namespace.json", "k8saudit.pod-in-kube-namespace", 1),
    ("k8s_audit/create_serviceaccount_kube_public_namespace.json", "k8saudit.sa-in-kube-namespace", 1),
    ("k8s_audit/create_serviceaccount_kube_system_namespace.json", "k8saudit.sa-in-kube-namespace", 1),
    ("psp/host_pid.json", "k8saudit.hostpid-pod", 1),
    ("psp/host_ipc.json", "k8saudit.hostipc-pod", 1),
    ("psp/host_network.json", "k8saudit.hostnetwork-pod", 1),
    ("psp/privileged.json", "k8saudit.privileged-pod", 1),
    ("psp/run_as_user_0_container.json", "k8saudit.run-as-root-pod", 1),
    ("psp/capability_add_sys_time.json", "k8saudit.added-capabilities-pod", 1),
    ("psp/proc_mount_type_unmasked.json", "k8saudit.proc-mount-unmasked-pod", 1),
    // SigmaHQ's audit rules on the same events (credited in the summary).
    ("k8s_audit/exec_pod.json", "k8saudit.sigma.kubernetes_audit_exec_into_container", 1),
    ("k8s_audit/create_serviceaccount.json", "k8saudit.sigma.kubernetes_audit_serviceaccount_creation", 1),
    ("k8s_audit/delete_deployment.json", "k8saudit.sigma.kubernetes_audit_deployment_deleted", 1),
    ("k8s_audit/create_nginx_pod_sensitive_mount.json", "k8saudit.sigma.kubernetes_audit_hostpath_mount", 1),
];

/// (negative control, the rule that must stay silent on it).
const SILENT: &[(&str, &str)] = &[
    ("k8s_audit/create_configmap_no_sensitive_values.json", "k8saudit.configmap-credentials"),
    ("k8s_audit/create_configmap.json", "k8saudit.configmap-credentials"),
    ("k8s_audit/create_nginx_pod_nohostnetwork.json", "k8saudit.hostnetwork-pod"),
    ("k8s_audit/create_nginx_pod_unsensitive_mount.json", "k8saudit.sensitive-mount-pod"),
    ("k8s_audit/create_nginx_pod_unprivileged.json", "k8saudit.privileged-pod"),
    ("k8s_audit/create_nginx_service_nonodeport.json", "k8saudit.nodeport-service"),
    ("k8s_audit/minikube_creates_namespace_foo.json", "k8saudit.anonymous-allowed"),
    ("k8s_audit/create_clusterrolebinding.json", "k8saudit.cluster-admin-binding"),
    ("k8s_audit/create_clusterrole.json", "k8saudit.clusterrole-wildcard"),
    ("k8s_audit/create_serviceaccount.json", "k8saudit.sa-in-kube-namespace"),
    ("psp/create_vanilla_nginx_deployment.json", "k8saudit.privileged-pod"),
    ("psp/create_vanilla_nginx_deployment.json", "k8saudit.hostpid-pod"),
    ("psp/create_vanilla_nginx_deployment.json", "k8saudit.hostipc-pod"),
    ("psp/create_vanilla_nginx_deployment.json", "k8saudit.hostnetwork-pod"),
    ("psp/create_vanilla_nginx_deployment.json", "k8saudit.hostpath-pod"),
];

/// Routine object changes Falco reports as `K8s <Kind> Created/Deleted`: facts at most,
/// never a ctriage rule of their own (only Sigma's, credited, may name them).
const ROUTINE: &[&str] = &[
    "k8s_audit/create_deployment.json",
    "k8s_audit/create_service.json",
    "k8s_audit/delete_clusterrole.json",
    "k8s_audit/delete_configmap.json",
    "k8s_audit/delete_namespace_foo.json",
    "k8s_audit/delete_service.json",
    "k8s_audit/delete_serviceaccount.json",
];

/// Rule ids per artifact (every rule folded into each fact, once per fact).
fn scan() -> (serde_json::Value, BTreeMap<(String, String), usize>) {
    let dir = shared("fixtures/falco/test/trace_files");
    let (v, _) = run_json(&["scan", dir.to_str().unwrap()]);
    let b = &v["bundles"][0];
    let mut per: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in b["findings"].as_array().unwrap() {
        let art = f["evidence"][0]["artifact"].as_str().unwrap().to_string();
        for r in f["rules"].as_array().unwrap() {
            *per.entry((art.clone(), r.as_str().unwrap().to_string())).or_default() += 1;
        }
    }
    (v, per)
}

#[test]
#[ignore = "needs ../shared"]
fn falco_audit_captures_trigger_their_rules_and_controls_stay_silent() {
    let (v, per) = scan();
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    for a in b["artifacts"].as_array().unwrap() {
        let p = a["path"].as_str().unwrap();
        if p.ends_with(".json") && (p.starts_with("k8s_audit/") || p.starts_with("psp/")) {
            assert_eq!(a["kind"], "k8s-audit", "{p} sniffed as {}", a["kind"]);
        }
    }
    let mut wrong = vec![];
    for (file, rule, want) in FIRES {
        let got = per.get(&(file.to_string(), rule.to_string())).copied().unwrap_or(0);
        if got != *want {
            wrong.push(format!("{file}: {rule} x{got}, want x{want}"));
        }
    }
    for (file, rule) in SILENT {
        if let Some(n) = per.get(&(file.to_string(), rule.to_string())) {
            wrong.push(format!("negative control {file}: {rule} x{n}, want none"));
        }
    }
    for file in ROUTINE {
        for ((f, r), n) in &per {
            if f == file && !r.starts_with("k8saudit.sigma.") {
                wrong.push(format!("routine change {file}: {r} x{n}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}\nall: {per:#?}");
    // Sigma findings credit their authors (DRL 1.1).
    let sigma = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"].as_str().unwrap().starts_with("k8saudit.sigma."))
        .expect("a Sigma audit finding");
    assert!(sigma["summary"].as_str().unwrap().contains("Detection Rule License 1.1"), "{sigma}");
    // The exec names its actor, typed.
    let exec = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"][0]["artifact"] == "k8s_audit/exec_pod.json")
        .unwrap();
    assert_eq!(exec["actor"]["user"], "minikube-user");
    assert_eq!(exec["actor"]["source_ips"][0], "192.168.99.1");
    assert!(exec["title"]
        .as_str()
        .unwrap()
        .contains("exec'ed into pod default/nginx-deployment-7998647bdf-phvq7"));
}

#[test]
#[ignore = "needs ../shared"]
fn the_capture_that_is_not_an_event_is_rejected_with_why() {
    let (v, _) = scan();
    let b = &v["bundles"][0];
    let diags: Vec<&serde_json::Value> = b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["locator"]["artifact"] == "k8s_audit/fal_01_003.json")
        .collect();
    assert!(
        diags.iter().any(|d| d["level"] == "error"
            && d["message"].as_str().unwrap().contains("data not recognized as a k8s audit event")
            && d["message"].as_str().unwrap().contains("`kind` is 0")),
        "{diags:#?}"
    );
    // Every other capture is read without a diagnostic.
    let others: Vec<&serde_json::Value> = b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["locator"]["artifact"].as_str().unwrap().ends_with(".json"))
        .filter(|d| d["locator"]["artifact"] != "k8s_audit/fal_01_003.json")
        .collect();
    assert!(others.is_empty(), "{others:#?}");
}

#[test]
#[ignore = "needs ../shared"]
fn one_capture_alone_is_an_audit_log() {
    let f = shared("fixtures/falco/test/trace_files/k8s_audit/attach_cluster_admin_role.json");
    let (v, _) = run_json(&["scan", f.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "k8s-audit");
    let f = &b["findings"][0];
    assert_eq!(f["rule"], "k8saudit.cluster-admin-binding");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["owner"]["scope"], "bundle", "a cluster-level request names no container: {f}");
    assert!(b["log_hits"].as_array().unwrap().is_empty(), "the log engine stays off an audit log");
    assert!(b["timeline"].as_array().unwrap().iter().any(|t| t["kind"] == "k8s-audit"));
}

#[test]
#[ignore = "needs ../shared"]
fn an_audit_log_from_another_project_crowdsec_s_privileged_pod() {
    // Not written for ctriage: the CrowdSec hub's test log for its k8s-audit privileged pod
    // scenario (a minikube API server's log backend, one event, kubectl apply).
    let f = shared("fixtures/crowdsec-hub/.tests/k8s-audit-priv-pod-file/k8s-audit-priv-pod-file.log");
    let (v, _) = run_json(&["scan", f.to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "k8s-audit");
    let f = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "k8saudit.privileged-pod"))
        .unwrap_or_else(|| panic!("no privileged pod: {:#}", b["findings"]));
    assert_eq!(f["actor"]["user"], "minikube-user");
    assert_eq!(f["owner"]["scope"], "bundle", "pod foo/test-pod-1 has no container in the evidence");
    assert!(b["diagnostics"].as_array().unwrap().is_empty(), "{:#}", b["diagnostics"]);
}
