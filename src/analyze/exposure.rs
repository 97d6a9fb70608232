//! Escape and lateral-movement exposure from container config: what a compromised
//! container could reach (host, runtime, cluster, secrets). The rules are a table: id,
//! severity, ATT&CK technique, why it matters, and the check.

use crate::ingest::inspect::ContainerInfo;
use crate::model::{Family, Finding, Role, RuleDef, RuleKind, Severity};

/// One exposure rule. `check` returns the detail that fired it (what exactly is exposed).
/// Rules that open a way out of the container to the host have [`Role::Escape`]: the
/// response plan checks the host when one holds, the verdict lists them as escape paths.
pub(crate) struct ExposureRule {
    pub(crate) def: RuleDef,
    /// Why it matters to the responder.
    pub why: &'static str,
    pub check: fn(&ContainerInfo) -> Option<String>,
}

/// Capabilities that give a container a way out (mount, ptrace host processes, load kernel
/// modules, read any file by handle, reconfigure or sniff the network, raw I/O).
const DANGEROUS_CAPS: &[&str] =
    &["ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_ADMIN", "NET_RAW", "SYS_RAWIO"];

/// Container runtime API sockets: whoever reaches one starts a privileged container at will.
const RUNTIME_SOCKETS: &[&str] =
    &["docker.sock", "containerd.sock", "crio.sock", "podman.sock", "dockershim.sock"];
/// Host directories that hold those sockets.
const RUNTIME_SOCKET_DIRS: &[&str] =
    &["/var/run", "/run", "/var/run/docker", "/run/docker", "/run/containerd"];

/// Host paths whose bind mount hands the container the host (exact match)...
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/etc",
    "/root",
    "/home",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/kubelet",
    "/etc/kubernetes",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/lib/modules",
    "/usr",
    "/var",
    "/etc/shadow",
    "/etc/sudoers",
    "/etc/crontab",
];
/// ...or anything below these.
const SENSITIVE_HOST_PREFIXES: &[&str] = &[
    "/root/",
    "/var/lib/docker/",
    "/var/lib/kubelet/",
    "/etc/kubernetes/",
    "/sys/fs/cgroup",
    "/proc/",
    "/etc/cron",
    "/etc/systemd/",
    "/etc/ssh/",
];

/// Device nodes that expose host storage or memory.
const DISK_DEVICE_PREFIXES: &[&str] = &[
    "/dev/sd",
    "/dev/nvme",
    "/dev/vd",
    "/dev/xvd",
    "/dev/hd",
    "/dev/dm-",
    "/dev/mapper/",
    "/dev/mem",
    "/dev/kmem",
    "/dev/port",
];

const SA_TOKEN_DIRS: &[&str] =
    &["/var/run/secrets/kubernetes.io/serviceaccount", "/run/secrets/kubernetes.io/serviceaccount"];

/// The rules, in the order findings are produced.
pub(crate) const RULES: &[ExposureRule] = &[
    ExposureRule {
        def: RuleDef::new(
            "exposure.privileged",
            RuleKind::of(Family::Exposure).with(Role::Escape),
            Severity::Critical,
            "exposure",
            "T1611",
            "privileged container",
        ),
        why: "--privileged gives every capability, all host devices and no AppArmor/seccomp: \
              mounting the host disk or loading a kernel module escapes to the host in one command",
        check: |c| c.host_config.as_ref().filter(|h| h.privileged).map(|_| "Privileged is true".into()),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.runtime-socket",
            RuleKind::of(Family::Exposure).with(Role::Escape),
            Severity::Critical,
            "exposure",
            "T1610",
            "container runtime socket reachable",
        ),
        why: "the runtime API lets the container start a new privileged container with the host's / \
              mounted (T1610, then T1611): full host takeover and access to every other container",
        check: check_runtime_socket,
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.host-root-mount",
            RuleKind::of(Family::Exposure).with(Role::Escape),
            Severity::Critical,
            "exposure",
            "T1611",
            "host root filesystem mounted",
        ),
        why: "the host's / inside the container: chroot into it, write cron/ssh keys/systemd units, \
              read every secret on the host",
        check: |c| {
            let hits: Vec<String> =
                bind_sources(c).filter(|(s, _)| *s == "/").map(|(s, d)| mount_detail(s, d)).collect();
            joined(hits)
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.host-sensitive-mount",
            RuleKind::of(Family::Exposure).with(Role::Escape),
            Severity::High,
            "exposure",
            "T1611",
            "sensitive host path mounted",
        ),
        why: "host configuration, credentials, the container store or kernel interfaces are reachable: \
              tampering there persists on the host or escapes to it (cgroup release_agent, core_pattern)",
        check: |c| {
            let hits: Vec<String> = bind_sources(c)
                .filter(|(s, _)| {
                    SENSITIVE_HOST_PATHS.contains(s)
                        || SENSITIVE_HOST_PREFIXES.iter().any(|p| s.starts_with(p))
                })
                .map(|(s, d)| mount_detail(s, d))
                .collect();
            joined(hits)
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.cap-add",
            RuleKind::of(Family::Exposure).with(Role::Escape),
            Severity::High,
            "exposure",
            "T1611",
            "dangerous capabilities added",
        ),
        why: "SYS_ADMIN mounts and escapes via cgroups, SYS_PTRACE injects into processes, SYS_MODULE \
              loads kernel code, DAC_READ_SEARCH reads host files by handle, NET_ADMIN/NET_RAW sniff and \
              spoof traffic, SYS_RAWIO touches hardware",
        check: |c| {
            let caps: Vec<String> = c
                .host_config
                .iter()
                .flat_map(|h| h.cap_add.iter())
                .map(|cap| cap.trim().to_ascii_uppercase())
                .map(|cap| cap.strip_prefix("CAP_").map(str::to_string).unwrap_or(cap))
                .filter(|cap| DANGEROUS_CAPS.contains(&cap.as_str()))
                .collect();
            (!caps.is_empty()).then(|| format!("CapAdd {}", caps.join(", ")))
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.host-pid",
            RuleKind::of(Family::Exposure).with(Role::Escape),
            Severity::High,
            "exposure",
            "T1611",
            "host PID namespace",
        ),
        why: "every host process is visible; with root and ptrace it can inject into them, and \
              /proc/<pid>/root opens the host filesystem",
        check: |c| namespace(c, |h| h.pid_mode.as_deref(), "PidMode"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.host-disk-device",
            RuleKind::of(Family::Exposure).with(Role::Escape),
            Severity::High,
            "exposure",
            "T1611",
            "host disk or memory device passed in",
        ),
        why: "a raw host disk or memory device lets the container read and write the host's files \
              below every permission check (debugfs, mount)",
        check: |c| devices(c, true),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.k8s-token",
            RuleKind::of(Family::Exposure),
            Severity::High,
            "exposure",
            "T1528",
            "Kubernetes service-account token mounted",
        ),
        why: "the token authenticates to the cluster API as the pod's service account: lateral \
              movement into the cluster as far as its RBAC allows",
        check: |c| {
            let hits: Vec<String> = c
                .mounts
                .iter()
                .filter(|m| SA_TOKEN_DIRS.iter().any(|d| m.destination.starts_with(d)))
                .map(|m| m.destination.clone())
                .collect();
            joined(hits)
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.host-network",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1611",
            "host network namespace",
        ),
        why: "the container shares the host's interfaces: it reaches services bound to the host's \
              localhost (kubelet, docker on 2375, metadata), sniffs host traffic, and cannot be cut \
              off with docker network disconnect",
        check: |c| namespace(c, |h| h.network_mode.as_deref(), "NetworkMode"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.host-ipc",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1611",
            "host IPC namespace",
        ),
        why: "host shared memory and semaphores are readable and writable from the container",
        check: |c| namespace(c, |h| h.ipc_mode.as_deref(), "IpcMode"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.userns-host",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1611",
            "user namespace remapping disabled",
        ),
        why: "root in the container is root on the host (the daemon's userns-remap is opted out of)",
        check: |c| namespace(c, |h| h.userns_mode.as_deref(), "UsernsMode"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.apparmor-unconfined",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1611",
            "AppArmor disabled",
        ),
        why: "the docker-default AppArmor profile that blocks mount, /proc and /sys writes is off",
        check: |c| security_opt(c, "apparmor", "unconfined"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.seccomp-unconfined",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1611",
            "seccomp disabled",
        ),
        why: "every syscall is allowed (mount, keyctl, unshare, bpf...), widening kernel exploit and \
              escape paths",
        check: |c| security_opt(c, "seccomp", "unconfined"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.selinux-disabled",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1611",
            "SELinux labelling disabled",
        ),
        why: "label=disable lifts SELinux confinement: host files mounted in are no longer protected",
        check: |c| security_opt(c, "label", "disable"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.env-secrets",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1552",
            "secrets in the environment",
        ),
        why: "anyone with code execution in the container (or docker inspect on the host) reads them; \
              treat them as stolen and rotate them",
        check: |c| {
            let names: Vec<String> =
                c.config.env.iter().filter(|e| e.secret).map(|e| e.name.clone()).collect();
            joined(names)
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.k8s-env",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1552.007",
            "runs in Kubernetes (cluster API address in the environment)",
        ),
        why: "the cluster API is one request away; with any token found in the pod the attacker queries \
              and moves through the cluster",
        check: |c| {
            let names: Vec<String> = c
                .config
                .env
                .iter()
                .filter(|e| e.name.starts_with("KUBERNETES_SERVICE_HOST") || e.name == "KUBERNETES_PORT")
                .map(|e| e.display())
                .collect();
            joined(names)
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.device",
            RuleKind::of(Family::Exposure),
            Severity::Medium,
            "exposure",
            "T1611",
            "host devices passed in",
        ),
        why: "host device nodes widen the kernel surface the container can reach",
        check: |c| devices(c, false),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.host-uts",
            RuleKind::of(Family::Exposure),
            Severity::Low,
            "exposure",
            "T1611",
            "host UTS namespace",
        ),
        why: "the container can change the host's hostname",
        check: |c| namespace(c, |h| h.uts_mode.as_deref(), "UTSMode"),
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.no-new-privileges-missing",
            RuleKind::of(Family::Exposure),
            Severity::Low,
            "exposure",
            "T1548",
            "no-new-privileges not set",
        ),
        why: "setuid binaries inside the container can still raise privileges",
        check: |c| {
            let known = c.host_config.is_some() || c.no_new_privileges.is_some();
            let set = c.security_options().iter().any(|o| {
                matches!(
                    o.as_str(),
                    "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true"
                )
            });
            (known && !set).then(|| "no `no-new-privileges` security option".into())
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.root-user",
            RuleKind::of(Family::Exposure),
            Severity::Low,
            "exposure",
            "T1611",
            "runs as root",
        ),
        why: "root in the container turns any of the exposures above, or a kernel bug, into host root",
        check: |c| {
            c.config.runs_as_root().then(|| format!("User is {:?}", c.config.user.as_deref().unwrap_or("")))
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.public-ports",
            RuleKind::of(Family::Exposure),
            Severity::Low,
            "exposure",
            "T1190",
            "ports published on all host interfaces",
        ),
        why: "reachable from any network the host is on, not only localhost: the likely way in",
        check: |c| {
            let mut ports: Vec<String> =
                c.ports().iter().filter(|p| p.is_public()).map(|p| p.display()).collect();
            if c.host_config.as_ref().is_some_and(|h| h.publish_all_ports) {
                ports.push("PublishAllPorts (-P)".into());
            }
            joined(ports)
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.no-limits",
            RuleKind::of(Family::Exposure),
            Severity::Low,
            "exposure",
            "T1496",
            "no memory or PIDs limit",
        ),
        why: "a miner or a fork bomb in the container can starve the whole host",
        check: |c| {
            let h = c.host_config.as_ref()?;
            let mut missing = vec![];
            if h.memory <= 0 {
                missing.push("memory");
            }
            if h.pids_unlimited() {
                missing.push("pids");
            }
            (!missing.is_empty()).then(|| format!("unlimited: {}", missing.join(", ")))
        },
    },
    ExposureRule {
        def: RuleDef::new(
            "exposure.writable-rootfs",
            RuleKind::of(Family::Exposure),
            Severity::Info,
            "exposure",
            "",
            "writable root filesystem",
        ),
        why: "the attacker can drop tools and webshells anywhere in the image's filesystem (they show \
              up in docker diff / the container layer)",
        check: |c| {
            c.host_config.as_ref().filter(|h| !h.readonly_rootfs).map(|_| "ReadonlyRootfs is false".into())
        },
    },
];

fn joined(items: Vec<String>) -> Option<String> {
    (!items.is_empty()).then(|| items.join(", "))
}

/// Host sources of mounts that come from the host filesystem (binds; volumes are in the
/// daemon's own store), with their destinations.
fn bind_sources(c: &ContainerInfo) -> impl Iterator<Item = (&str, &str)> {
    c.mounts
        .iter()
        .filter(|m| matches!(m.kind.as_deref(), None | Some("bind")) && !m.source_inferred)
        .filter_map(|m| Some((m.source.as_deref()?.trim_end_matches('/'), m.destination.as_str())))
        .map(|(s, d)| (if s.is_empty() { "/" } else { s }, d))
}

fn mount_detail(src: &str, dest: &str) -> String {
    format!("{src} -> {dest}")
}

fn check_runtime_socket(c: &ContainerInfo) -> Option<String> {
    let mut hits: Vec<String> = bind_sources(c)
        .filter(|(s, _)| {
            RUNTIME_SOCKETS.iter().any(|sock| s.ends_with(&format!("/{sock}")))
                || RUNTIME_SOCKET_DIRS.contains(s)
        })
        .map(|(s, d)| mount_detail(s, d))
        .collect();
    hits.extend(
        c.config
            .env
            .iter()
            .filter(|e| e.name == "DOCKER_HOST" && e.value.starts_with("tcp://"))
            .map(|e| format!("DOCKER_HOST={}", e.value)),
    );
    joined(hits)
}

fn namespace(
    c: &ContainerInfo,
    field: fn(&crate::ingest::inspect::HostConfig) -> Option<&str>,
    name: &str,
) -> Option<String> {
    let h = c.host_config.as_ref()?;
    (field(h) == Some("host")).then(|| format!("{name} is host"))
}

/// A security option in either spelling (`apparmor=unconfined`, `apparmor:unconfined`).
fn security_opt(c: &ContainerInfo, key: &str, value: &str) -> Option<String> {
    c.security_options()
        .into_iter()
        .find(|o| o.split_once(['=', ':']).is_some_and(|(k, v)| k == key && v == value))
}

fn devices(c: &ContainerInfo, disks: bool) -> Option<String> {
    let h = c.host_config.as_ref()?;
    let hits: Vec<String> = h
        .devices
        .iter()
        .filter(|d| DISK_DEVICE_PREFIXES.iter().any(|p| d.path_on_host.starts_with(p)) == disks)
        .map(|d| format!("{} -> {} ({})", d.path_on_host, d.path_in_container, d.permissions))
        .collect();
    joined(hits)
}

/// Every exposure rule's declaration.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    RULES.iter().map(|r| &r.def).collect()
}

/// Findings about what each compromised container could reach.
pub(crate) fn audit(containers: &[ContainerInfo]) -> Vec<Finding> {
    let mut out = vec![];
    // A container a sensor names, or a pod's container known only from its log paths: no
    // configuration to audit.
    for c in containers.iter().filter(|c| {
        !matches!(
            c.source,
            crate::ingest::inspect::InspectSource::Sensor | crate::ingest::inspect::InspectSource::PodLogs
        )
    }) {
        let mut evidence = vec![c.locator.clone()];
        if let Some(h) = c.host_config.as_ref().filter(|h| h.locator != c.locator) {
            evidence.push(h.locator.clone());
        }
        for r in RULES {
            let Some(detail) = (r.check)(c) else { continue };
            out.push(Finding {
                actor: None,
                rule: r.def.id.to_string(),
                severity: r.def.severity,
                category: r.def.category.to_string(),
                title: format!("{}: {}", c.handle(), r.def.title),
                summary: format!("container {} ({}): {detail}; {}.", c.handle(), c.short_id(), r.why),
                attack: r.def.attack(),
                time: None,
                evidence: evidence.clone(),
                subject: None,
                owner: Some(crate::model::Owner::Container { id: c.id.clone(), name: c.name.clone() }),
                iocs: vec![],
                kind: r.def.kind,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::inspect::{DeviceMapping, EnvVar, HostConfig, MountInfo, PortMapping};
    use crate::model::Locator;

    /// A hardened container: non-root, read-only, limited, no-new-privileges, nothing mounted.
    fn clean() -> ContainerInfo {
        let mut c = ContainerInfo {
            id: "0123456789abcdef".into(),
            name: "clean".into(),
            locator: Locator::artifact("inspect.json").with_line(1),
            host_config: Some(HostConfig {
                readonly_rootfs: true,
                memory: 512 << 20,
                pids_limit: Some(200),
                security_opt: vec!["no-new-privileges:true".into()],
                network_mode: Some("bridge".into()),
                port_bindings: vec![PortMapping {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some("8080".into()),
                    container_port: "8080".into(),
                    protocol: "tcp".into(),
                }],
                locator: Locator::artifact("inspect.json").with_line(1),
                ..Default::default()
            }),
            ..Default::default()
        };
        c.config.user = Some("10001:10001".into());
        c.config.env = vec![EnvVar::parse("PATH=/bin"), EnvVar::parse("GPG_KEY=ABCDEF")];
        c.mounts.push(MountInfo {
            kind: Some("volume".into()),
            name: Some("data".into()),
            source: Some("/var/lib/docker/volumes/data/_data".into()),
            destination: "/data".into(),
            rw: true,
            ..Default::default()
        });
        c
    }

    fn bind(src: &str, dest: &str) -> MountInfo {
        MountInfo {
            kind: Some("bind".into()),
            source: Some(src.into()),
            destination: dest.into(),
            rw: true,
            ..Default::default()
        }
    }

    fn hc(c: &mut ContainerInfo) -> &mut HostConfig {
        c.host_config.as_mut().unwrap()
    }

    fn rules(c: &ContainerInfo) -> Vec<String> {
        audit(std::slice::from_ref(c)).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn clean_container_has_nothing_above_low() {
        let f = audit(&[clean()]);
        assert!(f.is_empty(), "{:?}", f.iter().map(|f| &f.rule).collect::<Vec<_>>());
    }

    #[test]
    fn every_rule_fires_on_its_case() {
        type Mutate = fn(&mut ContainerInfo);
        let cases: &[(&str, Mutate)] = &[
            ("exposure.privileged", |c| hc(c).privileged = true),
            ("exposure.runtime-socket", |c| {
                c.mounts.push(bind("/var/run/docker.sock", "/var/run/docker.sock"))
            }),
            ("exposure.runtime-socket", |c| {
                c.mounts.push(bind("/run/containerd/containerd.sock", "/c.sock"))
            }),
            ("exposure.runtime-socket", |c| {
                c.config.env.push(EnvVar::parse("DOCKER_HOST=tcp://10.0.0.1:2375"))
            }),
            ("exposure.host-root-mount", |c| c.mounts.push(bind("/", "/host"))),
            ("exposure.host-sensitive-mount", |c| c.mounts.push(bind("/etc", "/host-etc"))),
            ("exposure.host-sensitive-mount", |c| c.mounts.push(bind("/var/lib/docker", "/d"))),
            ("exposure.host-sensitive-mount", |c| c.mounts.push(bind("/proc", "/hp"))),
            ("exposure.host-sensitive-mount", |c| c.mounts.push(bind("/sys/fs/cgroup", "/sys/fs/cgroup"))),
            ("exposure.host-sensitive-mount", |c| c.mounts.push(bind("/root/", "/r"))),
            ("exposure.cap-add", |c| hc(c).cap_add = vec!["CAP_SYS_ADMIN".into()]),
            ("exposure.cap-add", |c| hc(c).cap_add = vec!["all".into()]),
            ("exposure.host-pid", |c| hc(c).pid_mode = Some("host".into())),
            ("exposure.host-network", |c| hc(c).network_mode = Some("host".into())),
            ("exposure.host-ipc", |c| hc(c).ipc_mode = Some("host".into())),
            ("exposure.host-uts", |c| hc(c).uts_mode = Some("host".into())),
            ("exposure.userns-host", |c| hc(c).userns_mode = Some("host".into())),
            ("exposure.apparmor-unconfined", |c| hc(c).security_opt.push("apparmor=unconfined".into())),
            ("exposure.apparmor-unconfined", |c| c.apparmor_profile = Some("unconfined".into())),
            ("exposure.seccomp-unconfined", |c| hc(c).security_opt.push("seccomp:unconfined".into())),
            ("exposure.selinux-disabled", |c| hc(c).security_opt.push("label=disable".into())),
            ("exposure.no-new-privileges-missing", |c| hc(c).security_opt.clear()),
            ("exposure.root-user", |c| c.config.user = None),
            ("exposure.root-user", |c| c.config.user = Some("0:0".into())),
            ("exposure.host-disk-device", |c| {
                hc(c).devices.push(DeviceMapping {
                    path_on_host: "/dev/sda".into(),
                    path_in_container: "/dev/sda".into(),
                    permissions: "rwm".into(),
                })
            }),
            ("exposure.device", |c| {
                hc(c).devices.push(DeviceMapping {
                    path_on_host: "/dev/net/tun".into(),
                    path_in_container: "/dev/net/tun".into(),
                    permissions: "rwm".into(),
                })
            }),
            ("exposure.k8s-token", |c| {
                c.mounts.push(bind(
                    "/var/lib/kubelet/pods/x/volumes/token",
                    "/var/run/secrets/kubernetes.io/serviceaccount",
                ))
            }),
            ("exposure.k8s-env", |c| c.config.env.push(EnvVar::parse("KUBERNETES_SERVICE_HOST=10.96.0.1"))),
            ("exposure.env-secrets", |c| c.config.env.push(EnvVar::parse("DB_PASSWORD=s3cret"))),
            ("exposure.public-ports", |c| hc(c).port_bindings[0].host_ip = Some("0.0.0.0".into())),
            ("exposure.public-ports", |c| hc(c).publish_all_ports = true),
            ("exposure.no-limits", |c| hc(c).memory = 0),
            ("exposure.no-limits", |c| hc(c).pids_limit = Some(-1)),
            ("exposure.writable-rootfs", |c| hc(c).readonly_rootfs = false),
        ];
        for (rule, mutate) in cases {
            let mut c = clean();
            mutate(&mut c);
            let got = rules(&c);
            assert!(got.iter().any(|r| r == rule), "{rule}: got {got:?}");
        }
        // Every rule in the table has at least one case.
        for r in RULES {
            assert!(cases.iter().any(|(id, _)| *id == r.def.id), "no test case for {}", r.def.id);
        }
    }

    #[test]
    fn findings_name_the_container_and_list_secret_names_only() {
        let mut c = clean();
        c.config.env.push(EnvVar::parse("MYSQL_ROOT_PASSWORD=hunter2"));
        c.config.env.push(EnvVar::parse("API_TOKEN=abc"));
        let f = audit(&[c]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].title, "clean: secrets in the environment");
        assert!(f[0].summary.contains("MYSQL_ROOT_PASSWORD, API_TOKEN"), "{}", f[0].summary);
        assert!(!f[0].summary.contains("hunter2"));
        assert_eq!(f[0].evidence, [Locator::artifact("inspect.json").with_line(1)]);
        assert_eq!(f[0].attack.as_deref(), Some("T1552"));
    }

    #[test]
    fn unknown_host_config_claims_nothing_about_it() {
        let mut c = clean();
        c.host_config = None;
        assert!(rules(&c).is_empty(), "{:?}", rules(&c));
        // Volumes in the daemon's store are not host binds.
        let mut c = clean();
        c.mounts[0].source = Some("/".into());
        c.mounts[0].source_inferred = true;
        c.mounts[0].kind = None;
        assert!(rules(&c).is_empty());
    }
}
