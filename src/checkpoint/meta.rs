//! The container record a checkpoint archive carries beside CRIU's images: `config.dump`
//! (id, name, image, runtime, created and checkpointed times), `spec.dump` (the OCI runtime
//! spec: process, mounts, capabilities, and the Kubernetes annotations naming the pod),
//! `network.status` (netavark's map of networks, or CNI's list of results) and, in pod
//! archives, `pod.dump`.

use serde_json::Value;

use crate::ingest::inspect::{CheckpointMeta, ContainerInfo, InspectSource, NetworkAttachment};
use crate::model::{Diagnostic, Locator, Timestamp};

/// The metadata files of one container in an archive, as read (None: not in the archive).
#[derive(Clone, Debug, Default)]
pub(crate) struct MetaFiles {
    pub config: Option<Vec<u8>>,
    pub spec: Option<Vec<u8>>,
    pub network: Option<Vec<u8>>,
    pub pod: Option<Vec<u8>>,
}

/// Annotations copied into the record's labels (the pod and container names Kubernetes
/// gives it, and the engine).
const ANNOTATIONS: &[&str] = &[
    "io.kubernetes.pod.name",
    "io.kubernetes.pod.namespace",
    "io.kubernetes.pod.uid",
    "io.kubernetes.container.name",
    "io.container.manager",
    "io.kubernetes.cri-o.ContainerType",
    "io.kubernetes.cri-o.SandboxName",
    "io.podman.annotations.pod",
];

fn json(bytes: &[u8], loc: impl Fn() -> Locator, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.is_object() || v.is_array() => Some(v),
        Ok(_) => {
            diags.push(Diagnostic::warning(loc(), format!("{what} is JSON but not an object: not read")));
            None
        }
        Err(e) => {
            diags.push(Diagnostic::error(loc(), format!("{what} is not valid JSON: {e}")));
            None
        }
    }
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str)).filter(|s| !s.is_empty()).map(String::from)
}

/// A time the Go runtime wrote; its zero time (`0001-01-01T00:00:00Z`) is none.
fn time(v: &Value, keys: &[&str]) -> Option<Timestamp> {
    let s = text(v, keys)?;
    (!s.starts_with("0001-01-01")).then(|| Timestamp::parse_rfc3339(&s)).flatten()
}

/// The container record of one checkpoint. `loc(file)` locates one of its files.
pub(crate) fn container(
    files: &MetaFiles,
    loc: &dyn Fn(&str) -> Locator,
    diags: &mut Vec<Diagnostic>,
) -> Option<ContainerInfo> {
    let config = files.config.as_deref().and_then(|b| json(b, || loc("config.dump"), "config.dump", diags));
    let spec = files.spec.as_deref().and_then(|b| json(b, || loc("spec.dump"), "spec.dump", diags));
    let config = config.unwrap_or(Value::Null);
    let id = text(&config, &["id", "ID"]).unwrap_or_default();
    let spec_val = spec.clone().unwrap_or(Value::Null);
    let locator = loc(if files.config.is_some() { "config.dump" } else { "spec.dump" });
    // A full runtime spec (Podman writes one) gives the process, mounts and privileges.
    let mut c = if spec_val.get("process").is_some() {
        crate::dataroot::oci::container(&spec_val, &id, InspectSource::Checkpoint, locator)
    } else {
        ContainerInfo { id, source: InspectSource::Checkpoint, locator, ..Default::default() }
    };
    c.name = text(&config, &["name", "Name"]).unwrap_or_default();
    c.image = text(&config, &["rootfsImageName", "rootfsImage", "image"]);
    c.image_id = text(&config, &["rootfsImageRef", "rootfsImageID"]).map(|r| {
        if r.contains(':') {
            r
        } else {
            format!("sha256:{r}")
        }
    });
    c.created = time(&config, &["createdTime", "created"]);
    c.state.status = Some("checkpointed".into());
    let annotations = spec_val.get("annotations").and_then(Value::as_object);
    let annotation = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str).map(String::from);
    for key in ANNOTATIONS {
        if let Some(v) = annotation(key) {
            c.config.labels.insert((*key).to_string(), v);
        }
    }
    c.checkpoint = Some(CheckpointMeta {
        checkpointed: time(&config, &["checkpointedTime", "checkpointed"]),
        runtime: text(&config, &["runtime", "ociRuntime", "OCIRuntime"]),
        engine: annotation("io.container.manager"),
        arch: None,
    });
    if let Some(b) = &files.network {
        if let Some(n) = json(b, || loc("network.status"), "network.status", diags) {
            c.network.networks = networks(&n);
            if let [one] = c.network.networks.as_slice() {
                c.network.ip_address.clone_from(&one.ip_address);
                c.network.gateway.clone_from(&one.gateway);
                c.network.mac_address.clone_from(&one.mac_address);
            }
        }
    }
    if let Some(b) = &files.pod {
        if let Some(p) = json(b, || loc("pod.dump"), "pod.dump", diags) {
            // Podman's pod config (`name`), or CRI-O's sandbox (`metadata.name`/`namespace`).
            let name = text(&p, &["name"]).or_else(|| p.get("metadata").and_then(|m| text(m, &["name"])));
            if let Some(n) = name {
                c.config.labels.entry("io.kubernetes.pod.name".into()).or_insert(n);
            }
            if let Some(ns) = p.get("metadata").and_then(|m| text(m, &["namespace"])) {
                c.config.labels.entry("io.kubernetes.pod.namespace".into()).or_insert(ns);
            }
        }
    }
    if c.id.is_empty() && c.name.is_empty() {
        // An empty `{}` config.dump names nothing: the record would be no one's.
        if files.config.is_some() {
            diags.push(Diagnostic::warning(
                loc("config.dump"),
                "config.dump names no container (no id, no name): the checkpoint's processes are not tied to a container record",
            ));
        }
        return None;
    }
    Some(c)
}

/// The networks of `network.status`: netavark's `{network: {interfaces: {ifname: {subnets,
/// mac_address}}}}` or CNI's `[{interfaces: [...], ips: [{address, gateway, interface}]}]`.
pub(crate) fn networks(v: &Value) -> Vec<NetworkAttachment> {
    let mut out = vec![];
    if let Some(map) = v.as_object() {
        for (net, status) in map {
            let Some(ifaces) = status.get("interfaces").and_then(Value::as_object) else { continue };
            for (ifname, i) in ifaces {
                let subnet = i.get("subnets").and_then(Value::as_array).and_then(|s| s.first());
                let (ip, prefix) = split_cidr(subnet.and_then(|s| s.get("ipnet")).and_then(Value::as_str));
                out.push(NetworkAttachment {
                    name: format!("{net} ({ifname})"),
                    ip_address: ip,
                    prefix_len: prefix,
                    gateway: subnet.and_then(|s| text(s, &["gateway"])),
                    mac_address: text(i, &["mac_address"]),
                    ..Default::default()
                });
            }
        }
    } else if let Some(results) = v.as_array() {
        for (n, r) in results.iter().enumerate() {
            let ifaces = r.get("interfaces").and_then(Value::as_array);
            for ip in r.get("ips").and_then(Value::as_array).into_iter().flatten() {
                let iface = ip
                    .get("interface")
                    .and_then(Value::as_u64)
                    .and_then(|i| ifaces.and_then(|f| f.get(i as usize)));
                let (addr, prefix) = split_cidr(ip.get("address").and_then(Value::as_str));
                out.push(NetworkAttachment {
                    name: format!(
                        "cni {n} ({})",
                        iface.and_then(|i| text(i, &["name"])).unwrap_or_else(|| "?".into())
                    ),
                    ip_address: addr,
                    prefix_len: prefix,
                    gateway: text(ip, &["gateway"]),
                    mac_address: iface.and_then(|i| text(i, &["mac"])),
                    ..Default::default()
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn split_cidr(s: Option<&str>) -> (Option<String>, Option<i64>) {
    match s.map(|s| s.split_once('/')) {
        Some(Some((ip, p))) => (Some(ip.to_string()), p.parse().ok()),
        Some(None) => (s.map(String::from), None),
        None => (None, None),
    }
}

/// `deleted.files`: the JSON list of paths deleted from the container's root filesystem.
pub(crate) fn deleted_files(b: &[u8], loc: Locator, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    match serde_json::from_slice::<Vec<Value>>(b) {
        Ok(v) => {
            let mut out: Vec<String> = v.iter().filter_map(Value::as_str).map(String::from).collect();
            out.sort();
            out.dedup();
            out
        }
        Err(e) => {
            diags.push(Diagnostic::error(loc, format!("deleted.files is not a JSON list of paths: {e}")));
            vec![]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cni_and_netavark_network_status() {
        let cni: Value = serde_json::from_str(
            r#"[{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff"}],"ips":[{"version":"4","interface":0,"address":"10.88.0.4/16","gateway":"10.88.0.1"}]}]"#,
        )
        .unwrap();
        let n = networks(&cni);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].ip_address.as_deref(), Some("10.88.0.4"));
        assert_eq!(n[0].prefix_len, Some(16));
        assert_eq!(n[0].mac_address.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        assert!(networks(&Value::Null).is_empty());
        assert!(networks(&serde_json::json!({"x": {"interfaces": 3}})).is_empty());
    }

    #[test]
    fn hostile_metadata() {
        let mut d = vec![];
        let files = MetaFiles {
            config: Some(b"{not json".to_vec()),
            spec: Some(b"42".to_vec()),
            ..Default::default()
        };
        assert!(container(&files, &|f| Locator::artifact(f), &mut d).is_none());
        assert_eq!(d.len(), 3, "bad JSON, not an object, names no container: {d:?}");
        let files = MetaFiles {
            config: Some(
                br#"{"id":"abc","createdTime":"0001-01-01T00:00:00Z","checkpointedTime":"garbage"}"#.to_vec(),
            ),
            ..Default::default()
        };
        let c = container(&files, &|f| Locator::artifact(f), &mut d).unwrap();
        assert_eq!(c.created, None);
        assert_eq!(c.checkpoint.unwrap().checkpointed, None);
        assert!(deleted_files(b"{}", Locator::artifact("x"), &mut d).is_empty());
        assert_eq!(deleted_files(br#"["/b","/a",3,"/a"]"#, Locator::artifact("x"), &mut d), vec!["/a", "/b"]);
    }
}
