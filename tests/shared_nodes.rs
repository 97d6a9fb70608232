//! container-explorer's containerd metadata of a real node (`../shared/fixtures` section 12)
//! copied into the places Kubernetes distributions keep their containerd root (k3s, kind,
//! plain `/var/lib/containerd`): the same namespaces, containers, images and snapshot
//! chain are read wherever the root sits, and the distribution is named from the place.

use serde_json::Value;

use crate::util::{run, run_json, shared, validate_against_schema};

/// A bundle holding the fixture's `meta.db` and overlayfs `metadata.db` under `root`, plus
/// `extra` files; the data root's containerd section of its scan.
fn scan_at(root: &str, extra: &[&str]) -> (tempfile::TempDir, Value) {
    let src = shared("fixtures/container-explorer/test_data/dfirlabs");
    let dir = tempfile::tempdir().unwrap();
    let put = |rel: &str, from: &str| {
        let p = dir.path().join(root).join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::copy(src.join(from), p).unwrap();
    };
    put("io.containerd.metadata.v1.bolt/meta.db", "meta.db");
    put("io.containerd.snapshotter.v1.overlayfs/metadata.db", "metadata.db");
    for e in extra {
        let p = dir.path().join(e);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x\n").unwrap();
    }
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    (dir, v)
}

fn containerd(v: &Value) -> &Value {
    let r = &v["bundles"][0]["data_root"]["containerd"];
    assert_eq!(r.as_array().map(Vec::len), Some(1), "one containerd root: {r}");
    &r[0]
}

/// What container-explorer's run_test.sh expects of the fixture.
fn assert_the_node(r: &Value, b: &Value) {
    let names: Vec<&str> =
        r["containers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"dfirlabs/redis-specimen") && names.contains(&"default/nginx-specimen"),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("debian-buster")), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("non-prod/")), "{names:?}");
    let redis =
        r["containers"].as_array().unwrap().iter().find(|c| c["name"] == "dfirlabs/redis-specimen").unwrap();
    assert_eq!(redis["mount_id"], "redis-specimen", "{redis:#}");
    // The container records: the OCI spec's args and environment, the runtime.
    let rec =
        b["containers"].as_array().unwrap().iter().find(|c| c["id"] == "redis-specimen").expect("record");
    assert_eq!(rec["source"], "containerd");
    let args: Vec<&str> = rec["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let cmd = format!("{} {}", rec["path"].as_str().unwrap_or(""), args.join(" "));
    assert!(cmd.contains("docker-entrypoint.sh") && cmd.contains("redis-server"), "{cmd}");
    assert!(
        rec["config"]["env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "REDIS_VERSION" && e["value"] == "6.2.6"),
        "{:#}",
        rec["config"]["env"]
    );
    let nginx =
        b["containers"].as_array().unwrap().iter().find(|c| c["id"] == "nginx-specimen").expect("record");
    assert_eq!(nginx["image"], "docker.io/library/nginx:latest");
}

#[test]
#[ignore]
fn a_k3s_node_s_containerd_root_is_read_and_named() {
    let root = "disk/var/lib/rancher/k3s/agent/containerd";
    let task = "disk/run/k3s/containerd/io.containerd.runtime.v2.task/dfirlabs/redis-specimen/init.pid";
    let (dir, v) = scan_at(root, &[task]);
    let r = containerd(&v);
    assert_eq!(r["root"], root);
    assert_eq!(r["distribution"], "k3s");
    assert_eq!(r["state_dir"], "disk/run/k3s/containerd");
    assert_eq!(r["tasks"], serde_json::json!(["dfirlabs/redis-specimen"]));
    // The task tells which container was running when the node was captured.
    let running = |name: &str| {
        r["containers"].as_array().unwrap().iter().find(|c| c["name"] == name).map(|c| c["running"].clone())
    };
    assert_eq!(running("dfirlabs/redis-specimen"), Some(serde_json::json!(true)), "{r:#}");
    assert_eq!(running("default/nginx-specimen"), Some(serde_json::json!(false)), "{r:#}");
    assert_the_node(r, &v["bundles"][0]);
    let meta = v["bundles"][0]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == format!("{root}/io.containerd.metadata.v1.bolt/meta.db"))
        .unwrap();
    assert!(meta["note"].as_str().unwrap().contains("of a k3s node's containerd root"), "{meta:#}");
    let text = String::from_utf8(run(&["scan", dir.path().to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("containerd (k3s node) at disk/var/lib/rancher/k3s/agent/containerd"), "{text}");
    assert!(text.contains("state directory disk/run/k3s/containerd: 1 task(s)"), "{text}");
}

#[test]
#[ignore]
fn a_kind_node_and_a_plain_root_read_alike() {
    let (_d, kind) = scan_at("node/var/lib/containerd", &["node/kind/version"]);
    let r = containerd(&kind);
    assert_eq!(r["distribution"], "kind");
    assert!(r.get("tasks").is_none(), "no state directory captured: no statement");
    assert!(r["containers"].as_array().unwrap().iter().all(|c| c.get("running").is_none_or(|v| v.is_null())));
    assert_the_node(r, &kind["bundles"][0]);
    let (_d, plain) = scan_at("var/lib/containerd", &[]);
    let r = containerd(&plain);
    assert!(r.get("distribution").is_none(), "{r:#}");
    assert_the_node(r, &plain["bundles"][0]);
}
