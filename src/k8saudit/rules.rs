//! The Kubernetes audit rules: one table of declarations (Falco's k8saudit rule names where
//! they exist), and what each looks for in one normalised event. Severities are a
//! responder's: an exec by a person or a service account, privileged or host-mounting pods
//! and cluster-admin bindings are high; what system components do every minute (a node
//! reading its pods' secrets, a controller creating pods) is routine and raises nothing.

use serde_json::Value;

use super::event::AuditEvent;
use super::podspec;
use crate::model::{Actor, Family, Role, RuleDef, RuleKind, Severity};

const K: RuleKind = RuleKind::of(Family::K8sAudit);

macro_rules! rule {
    ($name:ident, $id:literal, $kind:expr, $sev:ident, $cat:literal, $attack:literal, $title:literal) => {
        pub(crate) static $name: RuleDef =
            RuleDef::new(concat!("k8saudit.", $id), $kind, Severity::$sev, $cat, $attack, $title);
    };
}

rule!(EXEC, "attach-exec-pod", K.with(Role::PodExec), High, "execution", "T1609", "Attach/Exec Pod");
rule!(
    EXEC_ROUTINE,
    "attach-exec-pod-system",
    K,
    Info,
    "execution",
    "T1609",
    "Attach/Exec Pod by a System Component"
);
rule!(PORT_FORWARD, "port-forward", K, Medium, "command-and-control", "T1572", "Port Forward Into a Pod");
rule!(PRIVILEGED, "privileged-pod", K, High, "exposure", "T1610,T1611", "Create Privileged Pod");
rule!(HOST_NETWORK, "hostnetwork-pod", K, Medium, "exposure", "T1610", "Create HostNetwork Pod");
rule!(HOST_PID, "hostpid-pod", K, High, "exposure", "T1611", "Create HostPID Pod");
rule!(HOST_IPC, "hostipc-pod", K, Medium, "exposure", "T1611", "Create HostIPC Pod");
rule!(SENSITIVE_MOUNT, "sensitive-mount-pod", K, High, "exposure", "T1611", "Create Sensitive Mount Pod");
rule!(HOST_PATH, "hostpath-pod", K, Low, "exposure", "T1611", "Create hostPath Pod");
rule!(
    RUN_AS_ROOT,
    "run-as-root-pod",
    K,
    Low,
    "exposure",
    "T1610",
    "Create Pod Running As Root (runAsUser 0)"
);
rule!(
    ESCALATION,
    "privilege-escalation-pod",
    K,
    Low,
    "exposure",
    "T1610",
    "Create Pod Allowing Privilege Escalation"
);
rule!(CAPS, "added-capabilities-pod", K, High, "exposure", "T1611", "Create Pod With Added Capabilities");
rule!(UNMASKED, "proc-mount-unmasked-pod", K, Medium, "exposure", "T1611", "Create Pod With Unmasked /proc");
rule!(
    KUBE_NS_POD,
    "pod-in-kube-namespace",
    K,
    Medium,
    "persistence",
    "T1610",
    "Pod Created in Kube Namespace"
);
rule!(
    KUBE_NS_SA,
    "sa-in-kube-namespace",
    K,
    Medium,
    "persistence",
    "T1136",
    "Service Account Created in Kube Namespace"
);
rule!(NODEPORT, "nodeport-service", K, Low, "exposure", "T1133", "Create NodePort Service");
rule!(
    CLUSTER_ADMIN,
    "cluster-admin-binding",
    K,
    High,
    "privilege-escalation",
    "T1098",
    "Attach to cluster-admin Role"
);
rule!(
    WILDCARD_ROLE,
    "clusterrole-wildcard",
    K,
    Medium,
    "privilege-escalation",
    "T1098",
    "ClusterRole With Wildcard Created"
);
rule!(
    WRITE_ROLE,
    "clusterrole-write",
    K,
    Low,
    "privilege-escalation",
    "T1098",
    "ClusterRole With Write Privileges Created"
);
rule!(
    EXEC_SECRET_ROLE,
    "role-grants-exec-or-secrets",
    K,
    Medium,
    "privilege-escalation",
    "T1098",
    "Role Granting pods/exec or Secrets Created"
);
rule!(
    SYSTEM_ROLE,
    "system-clusterrole-changed",
    K,
    Medium,
    "privilege-escalation",
    "T1098",
    "System ClusterRole or Binding Changed"
);
rule!(ANONYMOUS, "anonymous-allowed", K, High, "initial-access", "T1078.001", "Anonymous Request Allowed");
rule!(SECRETS_LISTED, "secrets-listed", K, Medium, "credential-access", "T1552.007", "Secrets Listed");
rule!(SECRET_READ, "secret-read", K, Low, "credential-access", "T1552.007", "Secret Read");
rule!(
    CONFIGMAP_CREDS,
    "configmap-credentials",
    K,
    Medium,
    "credential-access",
    "T1552",
    "Create/Modify Configmap With Private Credentials"
);
rule!(
    SA_TOKEN,
    "sa-token-request",
    K,
    Medium,
    "credential-access",
    "T1528",
    "Service Account Token Requested"
);
rule!(FORBIDDEN, "forbidden-burst", K, Medium, "discovery", "T1613", "Repeated Forbidden API Requests");
rule!(
    ACCESS_REVIEW,
    "access-review",
    K,
    Low,
    "discovery",
    "T1069,T1613",
    "Permissions Enumerated (SelfSubject Review)"
);
rule!(IMPERSONATION, "impersonation", K, Medium, "privilege-escalation", "T1078", "Impersonated API Request");
rule!(CRONJOB, "cronjob-changed", K, Medium, "persistence", "T1053.007", "CronJob Created or Changed");
rule!(DAEMONSET, "daemonset-changed", K, Medium, "persistence", "T1610", "DaemonSet Created or Changed");
rule!(
    WEBHOOK,
    "admission-webhook-changed",
    K,
    Medium,
    "defense-evasion",
    "T1562",
    "Admission Webhook Changed"
);
rule!(EVENTS_DELETED, "events-deleted", K, Medium, "defense-evasion", "T1070", "Kubernetes Events Deleted");

/// Every rule of the family, for the catalog.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    vec![
        &EXEC,
        &EXEC_ROUTINE,
        &PORT_FORWARD,
        &PRIVILEGED,
        &HOST_NETWORK,
        &HOST_PID,
        &HOST_IPC,
        &SENSITIVE_MOUNT,
        &HOST_PATH,
        &RUN_AS_ROOT,
        &ESCALATION,
        &CAPS,
        &UNMASKED,
        &KUBE_NS_POD,
        &KUBE_NS_SA,
        &NODEPORT,
        &CLUSTER_ADMIN,
        &WILDCARD_ROLE,
        &WRITE_ROLE,
        &EXEC_SECRET_ROLE,
        &SYSTEM_ROLE,
        &ANONYMOUS,
        &SECRETS_LISTED,
        &SECRET_READ,
        &CONFIGMAP_CREDS,
        &SA_TOKEN,
        &FORBIDDEN,
        &ACCESS_REVIEW,
        &IMPERSONATION,
        &CRONJOB,
        &DAEMONSET,
        &WEBHOOK,
        &EVENTS_DELETED,
    ]
}

/// 403 responses to one identity that make a reconnaissance finding.
pub(crate) const FORBIDDEN_MIN: u64 = 10;

/// What kind of identity made a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Identity {
    /// `system:anonymous` or the `system:unauthenticated` group.
    Anonymous,
    /// A controller's service account (`system:serviceaccount:kube-system:*`).
    Controller,
    /// Another `system:` identity (a node, the scheduler, the API server itself).
    System,
    /// A service account of a workload namespace.
    ServiceAccount,
    /// A person (or anything with a non-`system:` name: a certificate, an OIDC user).
    Person,
}

impl Identity {
    pub(crate) fn of(a: &Actor) -> Self {
        let u = a.user.as_str();
        if u == "system:anonymous" || a.groups.iter().any(|g| g == "system:unauthenticated") {
            Identity::Anonymous
        } else if u.starts_with("system:serviceaccount:kube-system:") {
            Identity::Controller
        } else if u.starts_with("system:serviceaccount:") {
            Identity::ServiceAccount
        } else if u.starts_with("system:") {
            Identity::System
        } else {
            Identity::Person
        }
    }

    /// What the cluster's own components do: never a finding on its own.
    pub(crate) fn routine(self) -> bool {
        matches!(self, Identity::Controller | Identity::System)
    }
}

/// One rule that fired on one event, with what it saw.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub def: &'static RuleDef,
    /// The severity for this event (at most the rule's).
    pub severity: Severity,
    pub detail: String,
}

fn hit(def: &'static RuleDef, detail: impl Into<String>) -> Hit {
    Hit { def, severity: def.severity, detail: detail.into() }
}

const WRITES: &[&str] = &["create", "update", "patch"];
const CHANGES: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
/// Images of the cluster's own components (a pod of theirs in kube-system is expected).
const SYSTEM_IMAGES: &[&str] = &[
    "registry.k8s.io/",
    "k8s.gcr.io/",
    "gcr.io/google-containers/",
    "gcr.io/google_containers/",
    "mcr.microsoft.com/oss/kubernetes",
    "602401143452.dkr.ecr.",
    "docker.io/rancher/",
    "rancher/",
];
/// Words in a configmap's data that mean a credential (Falco's list).
const CREDENTIAL_WORDS: &[&str] = &[
    "aws_access_key_id",
    "aws-access-key-id",
    "aws_s3_access_key_id",
    "aws-s3-access-key-id",
    "password",
    "passphrase",
];

/// Every rule that fires on `e` (the per-identity 403 count is kept by the caller).
pub(crate) fn judge(e: &AuditEvent) -> Vec<Hit> {
    let mut out = vec![];
    let who = Identity::of(&e.actor);
    let o = &e.object;
    let verb = e.verb.as_str();
    let allowed = e.allowed();
    if who == Identity::Anonymous && allowed && !health_check(e) {
        out.push(hit(&ANONYMOUS, format!("{} {} allowed for an unauthenticated client", verb, target(e))));
    }
    if e.actor.impersonated.is_some() && allowed {
        out.push(hit(&IMPERSONATION, format!("made as {}", e.actor.impersonated.as_deref().unwrap_or(""))));
    }
    if !allowed {
        return out;
    }
    let res = o.resource.as_str();
    let sub = o.subresource.as_str();
    match (res, sub, verb) {
        ("pods", "exec" | "attach", "create" | "get") => {
            let what = match e.uri_command() {
                Some(c) => format!("{sub} ({c})"),
                None => sub.to_string(),
            };
            let container = e.uri_container().map(|c| format!(", container {c}")).unwrap_or_default();
            let d = format!("{what} into pod {}/{}{container}", o.namespace, o.name);
            out.push(hit(if who.routine() { &EXEC_ROUTINE } else { &EXEC }, d));
        }
        ("pods", "portforward", "create" | "get") if !who.routine() => {
            out.push(hit(&PORT_FORWARD, format!("port-forward to pod {}/{}", o.namespace, o.name)));
        }
        ("serviceaccounts", "token", "create") if !who.routine() => {
            out.push(hit(&SA_TOKEN, format!("a token for service account {}/{}", o.namespace, o.name)));
        }
        ("secrets", "", "list" | "watch") if !who.routine() => {
            let scope =
                if o.namespace.is_empty() { "every namespace".to_string() } else { o.namespace.clone() };
            out.push(hit(&SECRETS_LISTED, format!("secrets of {scope} {verb}ed")));
        }
        ("secrets", "", "get") if !who.routine() => {
            out.push(hit(&SECRET_READ, format!("secret {}/{}", o.namespace, o.name)));
        }
        ("selfsubjectrulesreviews" | "selfsubjectaccessreviews", _, "create") if !who.routine() => {
            out.push(hit(&ACCESS_REVIEW, format!("{res} created: the client asked what it may do")));
        }
        ("events", "", "delete" | "deletecollection") if !who.routine() => {
            out.push(hit(
                &EVENTS_DELETED,
                format!("events of {} deleted", nonempty(&o.namespace, "the cluster")),
            ));
        }
        ("mutatingwebhookconfigurations" | "validatingwebhookconfigurations", "", v)
            if CHANGES.contains(&v) && !who.routine() =>
        {
            out.push(hit(&WEBHOOK, format!("{res} {} {v}d", o.name)));
        }
        ("configmaps", "", v) if WRITES.contains(&v) => {
            if let Some(word) = configmap_credential(e.request_object.as_ref()) {
                out.push(hit(
                    &CONFIGMAP_CREDS,
                    format!("configmap {}/{} holds {word:?}", o.namespace, o.name),
                ));
            }
        }
        ("services", "", v) if WRITES.contains(&v) => {
            let ty = e.request_object.as_ref().and_then(|r| r.get("spec")).and_then(|s| s.get("type"));
            if ty.and_then(Value::as_str) == Some("NodePort") {
                out.push(hit(&NODEPORT, format!("service {}/{} of type NodePort", o.namespace, o.name)));
            }
        }
        ("serviceaccounts", "", "create")
            if matches!(o.namespace.as_str(), "kube-system" | "kube-public") && !who.routine() =>
        {
            out.push(hit(&KUBE_NS_SA, format!("service account {}/{}", o.namespace, o.name)));
        }
        ("clusterrolebindings" | "rolebindings", "", v) if WRITES.contains(&v) => {
            let role = e.request_object.as_ref().and_then(|r| r.get("roleRef")).and_then(|r| r.get("name"));
            if role.and_then(Value::as_str) == Some("cluster-admin") && !who.routine() {
                out.push(hit(&CLUSTER_ADMIN, format!("{res} {} binds cluster-admin", o.name)));
            }
        }
        ("clusterroles" | "roles", "", v) if WRITES.contains(&v) => {
            role_rules(e, res, &mut out);
        }
        _ => {}
    }
    if matches!(res, "clusterroles" | "clusterrolebindings")
        && CHANGES.contains(&verb)
        && verb != "create"
        && o.name.starts_with("system:")
        && !who.routine()
    {
        out.push(hit(&SYSTEM_ROLE, format!("{res} {} {verb}d", o.name)));
    }
    if sub.is_empty() && WRITES.contains(&verb) {
        if res == "cronjobs" && !who.routine() {
            out.push(hit(&CRONJOB, format!("cronjob {}/{} {verb}d", o.namespace, name_of(e))));
        }
        if res == "daemonsets" && !who.routine() {
            out.push(hit(&DAEMONSET, format!("daemonset {}/{} {verb}d", o.namespace, name_of(e))));
        }
        if let Some(spec) = e.request_object.as_ref().and_then(|obj| podspec::of(res, obj)) {
            pod_rules(e, &spec, &mut out);
        }
    }
    out
}

/// The pod security rules on one pod spec (a pod, or a workload's template).
fn pod_rules(e: &AuditEvent, p: &podspec::PodSpec, out: &mut Vec<Hit>) {
    let what = format!("{} {}/{}", singular(&e.object.resource), e.object.namespace, name_of(e));
    if !p.privileged.is_empty() {
        out.push(hit(&PRIVILEGED, format!("{what}: privileged container(s) {}", p.privileged.join(", "))));
    }
    if p.host_network {
        out.push(hit(&HOST_NETWORK, format!("{what}: hostNetwork (the node's network namespace)")));
    }
    if p.host_pid {
        out.push(hit(&HOST_PID, format!("{what}: hostPID (sees and can enter the node's processes)")));
    }
    if p.host_ipc {
        out.push(hit(&HOST_IPC, format!("{what}: hostIPC (the node's IPC namespace)")));
    }
    let sensitive: Vec<&String> = p.host_paths.iter().filter(|h| podspec::sensitive_path(h)).collect();
    if !sensitive.is_empty() {
        let list: Vec<&str> = sensitive.iter().map(|s| s.as_str()).collect();
        out.push(hit(&SENSITIVE_MOUNT, format!("{what}: mounts the node's {}", list.join(", "))));
    }
    if !p.host_paths.is_empty() {
        out.push(hit(&HOST_PATH, format!("{what}: hostPath volume(s) {}", p.host_paths.join(", "))));
    }
    if !p.root.is_empty() {
        out.push(hit(&RUN_AS_ROOT, format!("{what}: runAsUser 0 in {}", p.root.join(", "))));
    }
    if !p.escalation.is_empty() {
        out.push(hit(
            &ESCALATION,
            format!("{what}: allowPrivilegeEscalation in {}", p.escalation.join(", ")),
        ));
    }
    if !p.caps.is_empty() {
        let list: Vec<String> = p.caps.iter().map(|(c, cap)| format!("{cap} ({c})")).collect();
        let severity = if p.caps.iter().any(|(_, c)| podspec::dangerous_cap(c)) {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(Hit { severity, ..hit(&CAPS, format!("{what}: capabilities added: {}", list.join(", "))) });
    }
    if !p.unmasked.is_empty() {
        out.push(hit(&UNMASKED, format!("{what}: procMount Unmasked in {}", p.unmasked.join(", "))));
    }
    if e.object.resource == "pods"
        && e.verb == "create"
        && matches!(e.object.namespace.as_str(), "kube-system" | "kube-public")
        && !p.images.iter().all(|i| SYSTEM_IMAGES.iter().any(|s| i.starts_with(s)))
    {
        out.push(hit(&KUBE_NS_POD, format!("{what}: image(s) {}", p.images.join(", "))));
    }
}

/// The RBAC rules on a role or cluster role's rules.
fn role_rules(e: &AuditEvent, res: &str, out: &mut Vec<Hit>) {
    let Some(rules) = e.request_object.as_ref().and_then(|r| r.get("rules")).and_then(Value::as_array) else {
        return;
    };
    let strs = |r: &Value, k: &str| -> Vec<String> {
        r.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).take(256).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let rules: Vec<(Vec<String>, Vec<String>)> =
        rules.iter().take(256).map(|r| (strs(r, "resources"), strs(r, "verbs"))).collect();
    let name = &e.object.name;
    let cluster = res == "clusterroles";
    if cluster && rules.iter().any(|(r, v)| r.iter().any(|x| x == "*") || v.iter().any(|x| x == "*")) {
        out.push(hit(&WILDCARD_ROLE, format!("clusterrole {name} grants '*'")));
    }
    const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
    if cluster && rules.iter().any(|(_, v)| v.iter().any(|x| WRITE_VERBS.contains(&x.as_str()))) {
        out.push(hit(&WRITE_ROLE, format!("clusterrole {name} grants write verbs")));
    }
    let grants = rules.iter().find_map(|(r, v)| {
        let any_verb = !v.is_empty();
        r.iter()
            .find(|x| matches!(x.as_str(), "pods/exec" | "pods/attach" | "secrets"))
            .filter(|_| any_verb)
            .cloned()
    });
    if let Some(what) = grants {
        out.push(hit(&EXEC_SECRET_ROLE, format!("{} {name} grants {what}", singular(res))));
    }
}

/// The credential word a configmap's data holds, when it holds one.
fn configmap_credential(obj: Option<&Value>) -> Option<&'static str> {
    let data = obj?.get("data")?.as_object()?;
    data.iter().take(1024).find_map(|(k, v)| {
        let text = format!("{k} {}", v.as_str().unwrap_or("")).to_ascii_lowercase();
        CREDENTIAL_WORDS.iter().find(|w| text.contains(*w)).copied()
    })
}

/// Probes every load balancer makes without credentials.
fn health_check(e: &AuditEvent) -> bool {
    let path = e.request_uri.split('?').next().unwrap_or("");
    (e.object.resource.is_empty()
        && ["/healthz", "/livez", "/readyz", "/version"]
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/"))))
        || e.object.name == "health"
}

fn name_of(e: &AuditEvent) -> String {
    if !e.object.name.is_empty() {
        return e.object.name.clone();
    }
    e.request_object
        .as_ref()
        .and_then(|o| o.get("metadata"))
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string()
}

fn target(e: &AuditEvent) -> String {
    let o = &e.object;
    if o.resource.is_empty() {
        return e.request_uri.split('?').next().unwrap_or("").to_string();
    }
    let mut s = o.resource.clone();
    if !o.subresource.is_empty() {
        s.push('/');
        s.push_str(&o.subresource);
    }
    match (o.namespace.is_empty(), o.name.is_empty()) {
        (false, false) => format!("{s} {}/{}", o.namespace, o.name),
        (true, false) => format!("{s} {}", o.name),
        (false, true) => format!("{s} in {}", o.namespace),
        (true, true) => s,
    }
}

fn nonempty<'a>(s: &'a str, or: &'a str) -> &'a str {
    if s.is_empty() {
        or
    } else {
        s
    }
}

fn singular(res: &str) -> &str {
    res.strip_suffix('s').unwrap_or(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Locator;

    fn ev(json: &str) -> AuditEvent {
        super::super::event::from_value(serde_json::from_str(json).unwrap(), Locator::artifact("a")).unwrap()
    }

    fn ids(e: &AuditEvent) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = judge(e)
            .iter()
            .map(|h| match &h.def.id {
                std::borrow::Cow::Borrowed(s) => *s,
                std::borrow::Cow::Owned(_) => "owned",
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn exec_by_a_person_or_service_account_is_the_way_in_and_a_node_s_is_routine() {
        let exec = |user: &str| {
            ev(&format!(
                r#"{{"kind":"Event","auditID":"1","verb":"create","user":{{"username":"{user}"}},
                "objectRef":{{"resource":"pods","subresource":"exec","namespace":"shop","name":"web"}},
                "responseStatus":{{"code":101}}}}"#
            ))
        };
        assert_eq!(ids(&exec("alice")), ["k8saudit.attach-exec-pod"]);
        assert_eq!(ids(&exec("system:serviceaccount:shop:ci")), ["k8saudit.attach-exec-pod"]);
        assert_eq!(ids(&exec("system:node:n1")), ["k8saudit.attach-exec-pod-system"]);
        let denied = ev(r#"{"kind":"Event","auditID":"1","verb":"create","user":{"username":"eve"},
            "objectRef":{"resource":"pods","subresource":"exec","namespace":"shop","name":"web"},
            "responseStatus":{"code":403}}"#);
        assert!(ids(&denied).is_empty());
    }

    #[test]
    fn templates_of_every_workload_are_judged() {
        let e = ev(r#"{"kind":"Event","auditID":"1","verb":"create","user":{"username":"bob"},
            "objectRef":{"resource":"daemonsets","namespace":"default","name":"ds","apiGroup":"apps"},
            "responseStatus":{"code":201},
            "requestObject":{"spec":{"template":{"spec":{"hostPID":true,"volumes":[{"hostPath":{"path":"/var/run/docker.sock"}}],
              "containers":[{"name":"c","image":"alpine","securityContext":{"capabilities":{"add":["SYS_TIME"]}}}]}}}}}"#);
        assert_eq!(
            ids(&e),
            [
                "k8saudit.added-capabilities-pod",
                "k8saudit.daemonset-changed",
                "k8saudit.hostpath-pod",
                "k8saudit.hostpid-pod",
                "k8saudit.sensitive-mount-pod"
            ]
        );
        let caps = judge(&e).into_iter().find(|h| h.def.id == "k8saudit.added-capabilities-pod").unwrap();
        assert_eq!(caps.severity, Severity::Medium, "SYS_TIME reaches no other container");
    }

    #[test]
    fn identities() {
        let a = |u: &str| Identity::of(&Actor { user: u.into(), ..Default::default() });
        assert_eq!(a("system:anonymous"), Identity::Anonymous);
        assert_eq!(a("system:serviceaccount:kube-system:replicaset-controller"), Identity::Controller);
        assert_eq!(a("system:serviceaccount:shop:web"), Identity::ServiceAccount);
        assert_eq!(a("system:kube-scheduler"), Identity::System);
        assert_eq!(a("minikube-user"), Identity::Person);
    }
}
