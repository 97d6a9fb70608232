//! An OCI runtime spec (Podman's `userdata/config.json`, the `spec` containerd keeps in its
//! metadata, libpod's `spec` in its state) read as a container record
//! ([`ContainerInfo`]): command, environment, user, mounts, namespaces, capabilities,
//! seccomp/AppArmor, devices, limits, in the shape `docker inspect`'s host config has, so the
//! exposure rules, the verdict and the response plan read a Podman or containerd container
//! as they read a Docker one.
//!
//! What a spec does not say directly is worked out the way the runtimes write it: a
//! namespace missing from `linux.namespaces` is the host's (`PidMode` = `host`); capabilities
//! beyond the runtimes' common default set are `CapAdd`; no `linux.seccomp` is
//! `seccomp=unconfined`; every capability with no seccomp filter is `--privileged`.

use serde_json::Value;

use crate::ingest::inspect::{
    redact_args, ContainerInfo, DeviceMapping, EnvVar, HostConfig, InspectSource, MountInfo,
};
use crate::model::Locator;

/// The capabilities Docker, Podman and containerd give a container by default.
const DEFAULT_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Capabilities only a privileged container (or an explicit `--cap-add ALL`) holds all of.
const PRIVILEGED_CAPS: &[&str] =
    &["SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "SYS_BOOT", "MAC_ADMIN"];

/// Mount types every runtime adds for itself (not the user's mounts).
const RUNTIME_MOUNT_TYPES: &[&str] = &["proc", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2"];

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// A container record from an OCI runtime spec. `id` and `source` name the record; `own`
/// is the runtime's per-container directory marker (`/<id>/userdata/`): binds from there
/// (`/etc/hosts`, `/etc/hostname`, `/dev/shm`, `.containerenv`) are the runtime's own, as
/// Docker's `HostsPath` are, and are left out.
pub(crate) fn container(spec: &Value, id: &str, source: InspectSource, locator: Locator) -> ContainerInfo {
    let process = spec.get("process").cloned().unwrap_or(Value::Null);
    let linux = spec.get("linux").cloned().unwrap_or(Value::Null);
    let args = strings(process.get("args"));
    let user = process.get("user").map(|u| {
        let uid = u.get("uid").and_then(Value::as_u64).unwrap_or(0);
        match u.get("gid").and_then(Value::as_u64) {
            Some(g) => format!("{uid}:{g}"),
            None => uid.to_string(),
        }
    });
    let bounding: Vec<String> = strings(process.pointer("/capabilities/bounding"))
        .into_iter()
        .map(|c| c.trim().to_ascii_uppercase())
        .map(|c| c.strip_prefix("CAP_").map(String::from).unwrap_or(c))
        .collect();
    let seccomp = linux.get("seccomp").filter(|s| !s.is_null());
    let privileged = seccomp.is_none() && PRIVILEGED_CAPS.iter().all(|c| bounding.iter().any(|b| b == c));
    let mut cap_add: Vec<String> = if privileged {
        vec![]
    } else {
        bounding.iter().filter(|c| !DEFAULT_CAPS.contains(&c.as_str())).cloned().collect()
    };
    cap_add.sort();
    let cap_drop: Vec<String> = if process.get("capabilities").is_some() {
        DEFAULT_CAPS.iter().filter(|c| !bounding.iter().any(|b| b == *c)).map(|c| c.to_string()).collect()
    } else {
        vec![]
    };
    // Namespaces: listed without a path = its own; with a path = joined (another
    // container's, or the host's /proc/1/ns); missing = the host's.
    let namespaces = linux.get("namespaces").and_then(Value::as_array);
    let mode = |kind: &str| -> Option<String> {
        let list = namespaces?;
        match list.iter().find(|n| n.get("type").and_then(Value::as_str) == Some(kind)) {
            None => Some("host".into()),
            Some(n) => text(n, "path").map(|p| {
                if p.starts_with("/proc/1/ns/") {
                    "host".into()
                } else {
                    format!("ns:{p}")
                }
            }),
        }
    };
    let mut security_opt = vec![];
    if seccomp.is_none() && !privileged && spec.get("linux").is_some() {
        security_opt.push("seccomp=unconfined".to_string());
    }
    if let Some(p) = text(&process, "apparmorProfile") {
        security_opt.push(format!("apparmor={p}"));
    }
    if let Some(l) = text(&process, "selinuxLabel") {
        security_opt.push(format!("label={l}"));
    }
    let devices = linux
        .get("devices")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(|d| {
                    let p = text(d, "path")?;
                    Some(DeviceMapping {
                        path_on_host: p.clone(),
                        path_in_container: p,
                        permissions: "rwm".into(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let own = format!("/{id}/userdata/");
    let mut mounts: Vec<MountInfo> = spec
        .get("mounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let kind = text(m, "type").unwrap_or_else(|| "bind".into());
            let destination = text(m, "destination")?;
            let source = text(m, "source");
            if RUNTIME_MOUNT_TYPES.contains(&kind.as_str())
                || (kind == "tmpfs" && destination == "/dev")
                || source.as_deref().is_some_and(|s| s.contains(&own))
            {
                return None;
            }
            let options = strings(m.get("options"));
            let bind = kind == "bind" || options.iter().any(|o| o == "bind" || o == "rbind");
            Some(MountInfo {
                kind: Some(if bind { "bind".into() } else { kind }),
                source: if bind { source } else { None },
                destination,
                mode: (!options.is_empty()).then(|| options.join(",")),
                rw: !options.iter().any(|o| o == "ro"),
                ..Default::default()
            })
        })
        .collect();
    mounts.sort_by(|a, b| a.destination.cmp(&b.destination));
    let host_config = HostConfig {
        privileged,
        cap_add,
        cap_drop,
        security_opt,
        pid_mode: mode("pid"),
        network_mode: mode("network"),
        ipc_mode: mode("ipc"),
        uts_mode: mode("uts"),
        cgroupns_mode: None,
        userns_mode: None,
        devices,
        readonly_rootfs: spec.pointer("/root/readonly").and_then(Value::as_bool).unwrap_or(false),
        memory: linux.pointer("/resources/memory/limit").and_then(Value::as_i64).unwrap_or(0),
        pids_limit: linux.pointer("/resources/pids/limit").and_then(Value::as_i64),
        locator: locator.clone(),
        ..Default::default()
    };
    let mut c = ContainerInfo {
        id: id.to_string(),
        source,
        path: args.first().cloned(),
        args: redact_args(args.get(1..).unwrap_or_default().to_vec()),
        host_config: Some(host_config),
        no_new_privileges: process.get("noNewPrivileges").and_then(Value::as_bool),
        mounts,
        locator,
        ..Default::default()
    };
    c.config.hostname = text(spec, "hostname");
    c.config.user = user;
    c.config.env = strings(process.get("env")).iter().map(|e| EnvVar::parse(e)).collect();
    c.config.cmd = redact_args(args);
    c.config.working_dir = text(&process, "cwd");
    c.config.tty = process.get("terminal").and_then(Value::as_bool).unwrap_or(false);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_pid_socket_and_added_caps_read_as_a_host_config() {
        let spec = serde_json::json!({
            "process": {"args": ["sh", "-c", "sleep 1"], "env": ["DB_PASSWORD=x"], "user": {"uid": 0, "gid": 0},
                "capabilities": {"bounding": ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_KILL"]}},
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/var/run/docker.sock", "type": "bind", "source": "/var/run/docker.sock", "options": ["rbind", "rw"]},
                {"destination": "/etc/hosts", "type": "bind", "source": "/run/x/abc/userdata/hosts"}
            ],
            "linux": {"namespaces": [{"type": "network"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}],
                "seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}}
        });
        let c = container(&spec, "abc", InspectSource::Libpod, Locator::artifact("config.json".to_string()));
        let h = c.host_config.as_ref().unwrap();
        assert_eq!(h.pid_mode.as_deref(), Some("host"));
        assert_eq!(h.network_mode, None);
        assert_eq!(h.cap_add, ["SYS_ADMIN"]);
        assert!(!h.privileged);
        assert_eq!(c.mounts.len(), 1, "{:?}", c.mounts);
        assert_eq!((c.path.as_deref(), c.config.user.as_deref()), (Some("sh"), Some("0:0")));
        let found = crate::analyze::exposure::audit(&[c]);
        let rules: Vec<&str> = found.iter().map(|f| f.rule.as_str()).collect();
        for want in
            ["exposure.runtime-socket", "exposure.cap-add", "exposure.host-pid", "exposure.env-secrets"]
        {
            assert!(rules.contains(&want), "{want} not in {rules:?}");
        }
        assert!(!rules.contains(&"exposure.privileged") && !rules.contains(&"exposure.host-network"));
    }

    #[test]
    fn every_capability_without_seccomp_is_privileged() {
        let caps: Vec<String> =
            PRIVILEGED_CAPS.iter().chain(DEFAULT_CAPS).map(|c| format!("CAP_{c}")).collect();
        let spec =
            serde_json::json!({"process": {"capabilities": {"bounding": caps}}, "linux": {"namespaces": []}});
        let c = container(&spec, "p", InspectSource::Containerd, Locator::artifact("meta.db".to_string()));
        let h = c.host_config.unwrap();
        assert!(h.privileged && h.cap_add.is_empty() && h.security_opt.is_empty());
        assert_eq!(h.pid_mode.as_deref(), Some("host"));
    }
}
