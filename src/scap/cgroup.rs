//! The container a thread runs in, from its cgroup paths: Docker (`/docker/<id>`,
//! `docker-<id>.scope`), containerd and Kubernetes (`/kubepods/.../<id>`,
//! `cri-containerd-<id>.scope`), CRI-O (`crio-<id>.scope`) and Podman (`libpod-<id>.scope`).
//! Conmon's own scopes (`crio-conmon-`, `libpod-conmon-`) are not containers.

/// The 64-hex container id named by any of `cgroups` (`subsystem=path` lines or bare
/// paths), with the runtime its form says.
pub(crate) fn container_of(cgroups: &[String]) -> Option<(String, &'static str)> {
    cgroups.iter().find_map(|line| {
        let path = line.split_once('=').map_or(line.as_str(), |(_, p)| p);
        from_path(path)
    })
}

fn from_path(path: &str) -> Option<(String, &'static str)> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate().rev() {
        let base = part.strip_suffix(".scope").unwrap_or(part);
        if base.contains("conmon") {
            continue;
        }
        const PREFIXES: &[(&str, &str)] = &[
            ("docker-", "docker"),
            ("cri-containerd-", "containerd"),
            ("containerd-", "containerd"),
            ("crio-", "cri-o"),
            ("libpod-", "podman"),
        ];
        for (prefix, runtime) in PREFIXES {
            if let Some(id) = base.strip_prefix(prefix).filter(|id| is_id(id)) {
                return Some((id.to_string(), runtime));
            }
        }
        if is_id(base) {
            let above = &parts[..i];
            let runtime = if above.contains(&"docker") {
                "docker"
            } else if above.iter().any(|p| p.starts_with("kubepods")) {
                "kubernetes"
            } else if above.iter().any(|p| p.starts_with("libpod") || *p == "machine.slice") {
                "podman"
            } else {
                "containerd"
            };
            return Some((base.to_string(), runtime));
        }
    }
    None
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a9c0d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19";

    fn one(path: &str) -> Option<(String, &'static str)> {
        container_of(&[format!("cpuset={path}")])
    }

    #[test]
    fn runtimes_forms() {
        assert_eq!(one(&format!("/docker/{ID}")), Some((ID.into(), "docker")));
        assert_eq!(one(&format!("/system.slice/docker-{ID}.scope")), Some((ID.into(), "docker")));
        let k8s = format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-{ID}.scope");
        assert_eq!(one(&k8s), Some((ID.into(), "containerd")));
        assert_eq!(one(&format!("/kubepods/besteffort/pod1234/{ID}")), Some((ID.into(), "kubernetes")));
        assert_eq!(one(&format!("/kubepods.slice/crio-{ID}.scope")), Some((ID.into(), "cri-o")));
        assert_eq!(one(&format!("/machine.slice/libpod-{ID}.scope/container")), Some((ID.into(), "podman")));
        assert_eq!(one(&format!("/default/{ID}")), Some((ID.into(), "containerd")));
        assert_eq!(one(&format!("/machine.slice/libpod-conmon-{ID}.scope")), None);
        assert_eq!(one("/user.slice/user-1000.slice/session-2.scope"), None);
        assert_eq!(one("/"), None);
        assert_eq!(container_of(&[]), None);
    }
}
