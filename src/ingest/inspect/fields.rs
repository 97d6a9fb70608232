//! Reading inspect objects field by field from loose JSON: every field optional, wrong types
//! ignored, names as the Docker versions (and podman) write them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::*;
use super::ports::{split_port_proto, PortMapping};
use super::secrets::{redact_args, redact_command, EnvVar};
use crate::model::{Locator, Timestamp};

type Obj = Map<String, Value>;

/// A non-empty string field.
fn s(o: &Obj, k: &str) -> Option<String> {
    match o.get(k)? {
        Value::String(v) if !v.is_empty() => Some(v.clone()),
        _ => None,
    }
}

fn b(o: &Obj, k: &str) -> bool {
    o.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn i(o: &Obj, k: &str) -> Option<i64> {
    o.get(k).and_then(Value::as_i64)
}

fn obj<'a>(o: &'a Obj, k: &str) -> Option<&'a Obj> {
    o.get(k).and_then(Value::as_object)
}

/// A list of strings; a lone string (old `Cmd`/`Entrypoint` form) is a list of one.
fn strs(o: &Obj, k: &str) -> Vec<String> {
    match o.get(k) {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(v)) if !v.is_empty() => vec![v.clone()],
        _ => vec![],
    }
}

/// A time: RFC 3339 string (zero time = None) or Unix seconds (the list API).
fn time(o: &Obj, k: &str) -> Option<Timestamp> {
    match o.get(k)? {
        Value::String(v) => Timestamp::parse_rfc3339(v),
        Value::Number(n) => n.as_i64().filter(|&t| t > 0).map(|t| Timestamp::from_unix(t, 0)),
        _ => None,
    }
}

fn string_map(o: Option<&Obj>) -> BTreeMap<String, String> {
    o.map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default()
}

/// True when an object is a container (as opposed to an image).
pub(super) fn is_container(o: &Obj) -> bool {
    o.contains_key("State") || o.contains_key("HostConfig") || o.contains_key("MountPoints")
}

/// True when an object is an image.
pub(super) fn is_image(o: &Obj) -> bool {
    o.contains_key("RepoTags") || o.contains_key("RootFS") || o.contains_key("ContainerConfig")
}

/// A container from an inspect object or a daemon config file.
pub(super) fn container(o: &Obj, locator: Locator) -> ContainerInfo {
    let podman =
        ["OCIRuntime", "ConmonPidFile", "OCIConfigPath", "IsInfra"].iter().any(|k| o.contains_key(*k))
            || obj(o, "State").is_some_and(|st| st.contains_key("ConmonPid"));
    let source = if o.contains_key("Id") && podman {
        InspectSource::Podman
    } else if o.contains_key("Id") {
        InspectSource::Inspect
    } else if o.contains_key("ExecDriver") || o.contains_key("VolumesRW") {
        InspectSource::ConfigV1
    } else {
        InspectSource::ConfigV2
    };
    let config = obj(o, "Config").map(config).unwrap_or_default();
    let docker_root = docker_root(o);
    let host_config = obj(o, "HostConfig").map(|h| host_config(h, locator.clone()));
    let mut c = ContainerInfo {
        id: s(o, "Id").or_else(|| s(o, "ID")).unwrap_or_default(),
        name: s(o, "Name").map(|n| n.trim_start_matches('/').to_string()).unwrap_or_default(),
        source,
        image: obj(o, "Config").and_then(|c| s(c, "Image")).or_else(|| s(o, "ImageName")),
        image_id: s(o, "Image"),
        created: time(o, "Created"),
        path: s(o, "Path"),
        args: redact_args(strs(o, "Args")),
        state: obj(o, "State").map(state).unwrap_or_default(),
        restart_count: i(o, "RestartCount"),
        host_config,
        apparmor_profile: s(o, "AppArmorProfile"),
        seccomp_profile: s(o, "SeccompProfile"),
        no_new_privileges: o.get("NoNewPrivileges").and_then(Value::as_bool),
        mounts: mounts(o, &docker_root),
        network: obj(o, "NetworkSettings").map(network).unwrap_or_default(),
        config,
        graph_driver: graph_driver(o),
        log_path: s(o, "LogPath"),
        checkpoint: None,
        locator,
    };
    merge_binds(&mut c);
    c
}

/// The daemon's data root, worked out from the per-container paths it records
/// (`<root>/containers/<id>/hostname`); `/var/lib/docker` when none is there.
fn docker_root(o: &Obj) -> String {
    ["HostnamePath", "ResolvConfPath", "HostsPath", "LogPath"]
        .iter()
        .filter_map(|k| s(o, k))
        .find_map(|p| p.rfind("/containers/").map(|at| p[..at].to_string()))
        .unwrap_or_else(|| "/var/lib/docker".into())
}

fn state(st: &Obj) -> ContainerState {
    let mut out = ContainerState {
        status: s(st, "Status"),
        running: b(st, "Running"),
        paused: b(st, "Paused"),
        restarting: b(st, "Restarting"),
        oom_killed: b(st, "OOMKilled"),
        dead: b(st, "Dead"),
        pid: i(st, "Pid"),
        exit_code: i(st, "ExitCode"),
        error: s(st, "Error"),
        started_at: time(st, "StartedAt"),
        finished_at: time(st, "FinishedAt"),
        health: obj(st, "Health").and_then(|h| s(h, "Status")),
    };
    if out.status.is_none() {
        // What Docker >= 1.10 computes in `State.StateString()`.
        out.status = Some(
            if out.running {
                if out.paused {
                    "paused"
                } else if out.restarting {
                    "restarting"
                } else {
                    "running"
                }
            } else if out.dead {
                "dead"
            } else if out.started_at.is_none() {
                "created"
            } else {
                "exited"
            }
            .into(),
        );
    }
    out
}

/// A `HostConfig` object (inside inspect output or a `hostconfig.json`).
pub(super) fn host_config(h: &Obj, locator: Locator) -> HostConfig {
    let devices = h
        .get("Devices")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_object)
                .map(|d| DeviceMapping {
                    path_on_host: s(d, "PathOnHost").unwrap_or_default(),
                    path_in_container: s(d, "PathInContainer").unwrap_or_default(),
                    permissions: s(d, "CgroupPermissions").unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    HostConfig {
        privileged: b(h, "Privileged"),
        cap_add: strs(h, "CapAdd"),
        cap_drop: strs(h, "CapDrop"),
        security_opt: strs(h, "SecurityOpt"),
        pid_mode: s(h, "PidMode"),
        network_mode: s(h, "NetworkMode"),
        ipc_mode: s(h, "IpcMode"),
        uts_mode: s(h, "UTSMode"),
        userns_mode: s(h, "UsernsMode"),
        cgroupns_mode: s(h, "CgroupnsMode"),
        devices,
        readonly_rootfs: b(h, "ReadonlyRootfs"),
        port_bindings: port_map(obj(h, "PortBindings")),
        publish_all_ports: b(h, "PublishAllPorts"),
        binds: strs(h, "Binds"),
        memory: i(h, "Memory").unwrap_or(0),
        nano_cpus: i(h, "NanoCpus").or_else(|| i(h, "NanoCPUs")).unwrap_or(0),
        cpu_quota: i(h, "CpuQuota").unwrap_or(0),
        pids_limit: i(h, "PidsLimit"),
        runtime: s(h, "Runtime"),
        restart_policy: obj(h, "RestartPolicy").and_then(|r| s(r, "Name")),
        locator,
    }
}

/// `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "81"}], "3306/tcp": null}`
fn port_map(m: Option<&Obj>) -> Vec<PortMapping> {
    let mut out = vec![];
    for (key, bindings) in m.into_iter().flatten() {
        let Some((container_port, protocol)) = split_port_proto(key) else { continue };
        let list = bindings.as_array().map(Vec::as_slice).unwrap_or_default();
        if list.is_empty() {
            out.push(PortMapping {
                host_ip: None,
                host_port: None,
                container_port: container_port.clone(),
                protocol: protocol.clone(),
            });
        }
        for bind in list.iter().filter_map(Value::as_object) {
            out.push(PortMapping {
                host_ip: Some(bind.get("HostIp").and_then(Value::as_str).unwrap_or_default().to_string()),
                host_port: Some(bind.get("HostPort").and_then(Value::as_str).unwrap_or_default().to_string()),
                container_port: container_port.clone(),
                protocol: protocol.clone(),
            });
        }
    }
    out.sort();
    out
}

fn mounts(o: &Obj, docker_root: &str) -> Vec<MountInfo> {
    let mut out = vec![];
    if let Some(list) = o.get("Mounts").and_then(Value::as_array) {
        for m in list.iter().filter_map(Value::as_object) {
            out.push(MountInfo {
                kind: s(m, "Type"),
                name: s(m, "Name"),
                source: s(m, "Source"),
                source_inferred: false,
                destination: s(m, "Destination").unwrap_or_default(),
                driver: s(m, "Driver"),
                mode: s(m, "Mode"),
                rw: m.get("RW").and_then(Value::as_bool).unwrap_or(true),
                propagation: s(m, "Propagation"),
            });
        }
    } else if let Some(points) = obj(o, "MountPoints") {
        for (dest, m) in points {
            let Some(m) = m.as_object() else { continue };
            let name = s(m, "Name");
            let driver = s(m, "Driver");
            let mut source = s(m, "Source");
            let mut source_inferred = false;
            if source.is_none() && driver.as_deref() == Some("local") {
                if let Some(n) = &name {
                    source = Some(format!("{docker_root}/volumes/{n}/_data"));
                    source_inferred = true;
                }
            }
            let kind = s(m, "Type").or_else(|| Some(if name.is_some() { "volume" } else { "bind" }.into()));
            out.push(MountInfo {
                kind,
                name,
                source,
                source_inferred,
                destination: s(m, "Destination").unwrap_or_else(|| dest.clone()),
                driver,
                mode: s(m, "Mode").or_else(|| s(m, "Relabel")),
                rw: m.get("RW").and_then(Value::as_bool).unwrap_or(true),
                propagation: s(m, "Propagation"),
            });
        }
    } else if let Some(vols) = obj(o, "Volumes") {
        // Docker < 1.8 inspect: `Volumes` {dest: host path} and `VolumesRW` {dest: bool}.
        let rw = obj(o, "VolumesRW");
        for (dest, src) in vols {
            out.push(MountInfo {
                source: src.as_str().map(str::to_string),
                destination: dest.clone(),
                rw: rw.and_then(|r| r.get(dest)).and_then(Value::as_bool).unwrap_or(true),
                ..Default::default()
            });
        }
    }
    out.sort_by(|a, b| a.destination.cmp(&b.destination));
    out
}

/// Add `HostConfig.Binds` entries that no mount record already covers (old daemons and
/// lone `hostconfig.json` files list binds only there).
pub(super) fn merge_binds(c: &mut ContainerInfo) {
    let Some(h) = &c.host_config else { return };
    for spec in &h.binds {
        let Some(m) = parse_bind(spec) else { continue };
        if !c.mounts.iter().any(|x| x.destination == m.destination) {
            c.mounts.push(m);
        }
    }
    c.mounts.sort_by(|a, b| a.destination.cmp(&b.destination));
}

/// `host:container[:opts]` (or `volume:container[:opts]`).
fn parse_bind(spec: &str) -> Option<MountInfo> {
    let mut parts = spec.splitn(3, ':');
    let src = parts.next()?;
    let dest = parts.next()?;
    let opts = parts.next().unwrap_or("");
    let is_path = src.starts_with('/');
    Some(MountInfo {
        kind: Some(if is_path { "bind" } else { "volume" }.into()),
        name: (!is_path).then(|| src.to_string()),
        source: is_path.then(|| src.to_string()),
        destination: dest.to_string(),
        mode: (!opts.is_empty()).then(|| opts.to_string()),
        rw: !opts.split(',').any(|o| o == "ro"),
        ..Default::default()
    })
}

fn network(n: &Obj) -> NetworkInfo {
    let mut networks: Vec<NetworkAttachment> = obj(n, "Networks")
        .into_iter()
        .flatten()
        .filter_map(|(name, v)| {
            let v = v.as_object()?;
            Some(NetworkAttachment {
                name: name.clone(),
                ip_address: s(v, "IPAddress"),
                prefix_len: i(v, "IPPrefixLen").filter(|&p| p > 0),
                gateway: s(v, "Gateway"),
                mac_address: s(v, "MacAddress"),
                ipv6_address: s(v, "GlobalIPv6Address"),
                aliases: strs(v, "Aliases"),
                network_id: s(v, "NetworkID"),
            })
        })
        .collect();
    networks.sort_by(|a, b| a.name.cmp(&b.name));
    NetworkInfo {
        ip_address: s(n, "IPAddress"),
        gateway: s(n, "Gateway"),
        mac_address: s(n, "MacAddress"),
        networks,
        ports: port_map(obj(n, "Ports")),
        sandbox_key: s(n, "SandboxKey"),
    }
}

/// A `Config` object (container config, or an image's `Config`).
pub(super) fn config(c: &Obj) -> ContainerConfig {
    let mut exposed_ports: Vec<String> =
        obj(c, "ExposedPorts").map(|m| m.keys().cloned().collect()).unwrap_or_default();
    exposed_ports.sort();
    ContainerConfig {
        hostname: s(c, "Hostname"),
        user: s(c, "User"),
        env: strs(c, "Env").iter().map(|e| EnvVar::parse(e)).collect(),
        cmd: redact_args(strs(c, "Cmd")),
        entrypoint: redact_args(strs(c, "Entrypoint")),
        working_dir: s(c, "WorkingDir"),
        labels: string_map(obj(c, "Labels")),
        exposed_ports,
        tty: b(c, "Tty"),
        healthcheck: obj(c, "Healthcheck").map(|h| strs(h, "Test")).filter(|t| !t.is_empty()),
    }
}

fn graph_driver(o: &Obj) -> Option<GraphDriver> {
    if let Some(g) = obj(o, "GraphDriver") {
        return Some(GraphDriver {
            name: s(g, "Name").unwrap_or_default(),
            data: string_map(obj(g, "Data")),
        });
    }
    s(o, "Driver").map(|name| GraphDriver { name, data: BTreeMap::new() })
}

/// An image object.
pub(super) fn image(o: &Obj, locator: Locator) -> ImageInfo {
    ImageInfo {
        id: s(o, "Id").or_else(|| s(o, "ID")).unwrap_or_default(),
        repo_tags: strs(o, "RepoTags"),
        repo_digests: strs(o, "RepoDigests"),
        created: time(o, "Created"),
        architecture: s(o, "Architecture"),
        os: s(o, "Os"),
        parent: s(o, "Parent"),
        author: s(o, "Author"),
        docker_version: s(o, "DockerVersion"),
        layers: obj(o, "RootFS").map(|r| strs(r, "Layers")).unwrap_or_default(),
        config: obj(o, "Config").map(config).unwrap_or_default(),
        size: o.get("Size").and_then(Value::as_u64),
        history: vec![],
        // `GET /images/json` (`docker images` from the API) lists ids, tags and sizes only:
        // no `Config`, so nothing may be said about user, ports or environment.
        source: if o.contains_key("Config") || o.contains_key("ContainerConfig") {
            "image-inspect"
        } else {
            "image-list"
        },
        locator,
    }
}

/// An image config blob (`architecture`, `os`, `created`, `config`, `history`, `rootfs`) or
/// a pre-1.10 v1 layer JSON (`id`, `created`, `container_config`), as an image object. `id`
/// is the digest of the bytes as read (the image id, for a config blob).
pub(super) fn image_config(o: &Obj, id: String, locator: Locator) -> ImageInfo {
    let run = obj(o, "config").or_else(|| obj(o, "Config")).map(config).unwrap_or_default();
    let mut history: Vec<ImageHistoryStep> = o
        .get("history")
        .and_then(Value::as_array)
        .map(|h| {
            h.iter()
                .filter_map(Value::as_object)
                .map(|h| ImageHistoryStep {
                    created: time(h, "created"),
                    created_by: s(h, "created_by").map(|c| redact_command(&c)),
                    comment: s(h, "comment"),
                    empty_layer: b(h, "empty_layer"),
                })
                .collect()
        })
        .unwrap_or_default();
    if history.is_empty() {
        // v1 layer JSON: the step that made this layer is its container_config's command.
        if let Some(cc) = obj(o, "container_config") {
            let cmd = strs(cc, "Cmd");
            if !cmd.is_empty() {
                history.push(ImageHistoryStep {
                    created: time(o, "created"),
                    created_by: Some(redact_command(&cmd.join(" "))),
                    comment: s(o, "comment"),
                    empty_layer: false,
                });
            }
        }
    }
    ImageInfo {
        id,
        created: time(o, "created"),
        architecture: s(o, "architecture"),
        os: s(o, "os"),
        parent: s(o, "parent"),
        author: s(o, "author"),
        docker_version: s(o, "docker_version"),
        layers: obj(o, "rootfs").map(|r| strs(r, "diff_ids")).unwrap_or_default(),
        config: run,
        history,
        source: "image-config",
        locator,
        ..Default::default()
    }
}
