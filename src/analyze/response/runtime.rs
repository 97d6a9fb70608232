//! The runtime a container runs under, as the capture says (a Podman inspect or data root,
//! a containerd namespace, Kubernetes pod labels), and the command each plan step is in that
//! runtime's own CLI: `docker`, `podman`, `nerdctl -n NS` (with `ctr -n NS` where nerdctl
//! has no equivalent), `crictl` (with `ctr`/`nerdctl` for what the CRI cannot do).

use crate::bundle::Evidence;
use crate::ingest::inspect::{ContainerInfo, InspectSource};
use crate::shell::quote as q;

/// Go template of a container's host PID in `docker`/`podman`/`nerdctl inspect`.
const PID_TEMPLATE: &str = "'{{.State.Pid}}'";
/// Go template of a container's host PID in `crictl inspect`.
const CRI_PID_TEMPLATE: &str = "'{{.info.pid}}'";
/// Columns of a process listing (host PIDs, parents, exact start times).
pub(super) const TOP_COLUMNS: &str = "pid,ppid,user,lstart,args";

/// The runtime whose CLI acts on a container.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Runtime {
    Docker,
    Podman,
    /// containerd outside Kubernetes, in this namespace (nerdctl, and ctr).
    Nerdctl(String),
    /// A Kubernetes container through the CRI (crictl); the containerd namespace when the
    /// runtime is containerd (`k8s.io`), None for another CRI runtime (CRI-O).
    Cri(Option<String>),
}

/// Kubernetes pod labels of a container record.
fn pod_labels(c: &ContainerInfo) -> bool {
    c.config.labels.get("io.kubernetes.pod.namespace").is_some_and(|v| !v.is_empty())
}

/// The runtime of a container record: what the capture says it came from.
pub(super) fn of_container(c: &ContainerInfo, report: &Evidence) -> Runtime {
    match c.source {
        InspectSource::Podman | InspectSource::Libpod if pod_labels(c) => Runtime::Cri(None),
        InspectSource::Podman | InspectSource::Libpod => Runtime::Podman,
        // A checkpoint archive: the engine that wrote it (its spec's `io.container.manager`).
        InspectSource::Checkpoint if pod_labels(c) => Runtime::Cri(None),
        InspectSource::Checkpoint
            if c.checkpoint.as_ref().and_then(|m| m.engine.as_deref()).is_some_and(|e| e == "cri-o") =>
        {
            Runtime::Cri(None)
        }
        InspectSource::Checkpoint
            if c.checkpoint.as_ref().and_then(|m| m.engine.as_deref()).is_some_and(|e| e == "libpod") =>
        {
            Runtime::Podman
        }
        InspectSource::PodLogs => Runtime::Cri(None),
        InspectSource::Containerd => {
            // The data root names its containers `namespace/id`.
            let ns = report
                .data_root
                .iter()
                .flat_map(|d| d.containerd.iter())
                .flat_map(|r| r.containers.iter())
                .find(|r| r.id == c.id)
                .and_then(|r| r.name.split_once('/').map(|(ns, _)| ns.to_string()))
                .unwrap_or_else(|| "default".into());
            match ns.as_str() {
                // dockerd's own containers.
                "moby" => Runtime::Docker,
                _ if ns == "k8s.io" || pod_labels(c) => Runtime::Cri(Some(ns)),
                _ => Runtime::Nerdctl(ns),
            }
        }
        // nerdctl's `inspect --mode dockercompat` is docker's shape with nerdctl's labels;
        // its state directory and log path name the namespace.
        _ if c.config.labels.keys().any(|k| k.starts_with("nerdctl/")) => {
            let labels = &c.config.labels;
            let from_path = labels
                .get("nerdctl/state-dir")
                .or(c.log_path.as_ref())
                .and_then(|p| p.split("/containers/").nth(1))
                .and_then(|rest| rest.split('/').next());
            let ns = labels
                .get("nerdctl/namespace")
                .map(String::as_str)
                .or(from_path)
                .filter(|ns| !ns.is_empty())
                .unwrap_or("default")
                .to_string();
            if ns == "k8s.io" || pod_labels(c) {
                Runtime::Cri(Some(ns))
            } else {
                Runtime::Nerdctl(ns)
            }
        }
        // Docker (with a dockershim pod's labels too: docker runs it).
        _ => Runtime::Docker,
    }
}

impl Runtime {
    /// The CLI as a command prefix.
    pub(super) fn cli(&self) -> String {
        match self {
            Runtime::Docker => "docker".into(),
            Runtime::Podman => "podman".into(),
            Runtime::Nerdctl(ns) => format!("nerdctl -n {}", q(ns)),
            Runtime::Cri(_) => "crictl".into(),
        }
    }

    /// A short name for the `why` of a step.
    pub(super) fn name(&self) -> String {
        match self {
            Runtime::Docker => "Docker".into(),
            Runtime::Podman => "Podman".into(),
            Runtime::Nerdctl(ns) => format!("containerd (namespace {ns}, nerdctl)"),
            Runtime::Cri(Some(ns)) => format!("Kubernetes CRI on containerd (namespace {ns}, crictl)"),
            Runtime::Cri(None) => "Kubernetes CRI (crictl)".into(),
        }
    }

    /// Whether `iptables` rules for its containers go in Docker's `DOCKER-USER` chain.
    pub(super) fn is_docker(&self) -> bool {
        *self == Runtime::Docker
    }

    /// A shell expression that prints the container's host PID.
    pub(super) fn pid(&self, h: &str) -> String {
        match self {
            Runtime::Cri(_) => format!("$(crictl inspect -o go-template --template {CRI_PID_TEMPLATE} {h})"),
            _ => format!("$({} inspect -f {PID_TEMPLATE} {h})", self.cli()),
        }
    }

    /// Freeze every process of the container.
    pub(super) fn pause(&self, h: &str) -> String {
        match self {
            // crictl has no pause: the runtime's own tool does it.
            Runtime::Cri(Some(ns)) => format!("ctr -n {} task pause {h}", q(ns)),
            // containerd's task, else CRI-O's runc.
            Runtime::Cri(None) => format!("ctr -n k8s.io task pause {h} || runc --root /run/runc pause {h}"),
            _ => format!("{} pause {h}", self.cli()),
        }
    }

    /// What pausing it does, for the step's why.
    pub(super) fn pause_why(&self) -> &'static str {
        match self {
            Runtime::Cri(Some(_)) => {
                "crictl has no pause: containerd's ctr freezes the task (cgroup freezer) without losing memory, \
                 open connections or files; a frozen container fails its liveness probe and the kubelet may \
                 replace it, so preserve it right after"
            }
            Runtime::Cri(None) => {
                "crictl has no pause: the runtime's own tool freezes it (containerd's ctr, else CRI-O's runc; crun: \
                 --root /run/crun) without losing memory, open connections or files; a frozen container fails its \
                 liveness probe and the kubelet may replace it, so preserve it right after"
            }
            _ => "pause stops every process in it (cgroup freezer) without losing memory, open connections or files",
        }
    }

    /// Keep the container's changed files as an image and save it to `file`.
    pub(super) fn preserve(&self, id: &str, image: &str, file: &str, h: &str) -> Vec<String> {
        match self {
            Runtime::Docker | Runtime::Podman | Runtime::Nerdctl(_) => vec![
                format!("{} commit {id} {image}", self.cli()),
                format!("{} save {image} -o {file}", self.cli()),
                format!("sha256sum {file}"),
            ],
            // The CRI cannot commit: nerdctl in the same containerd namespace can.
            Runtime::Cri(Some(ns)) => vec![
                format!("nerdctl -n {} commit {id} {image}", q(ns)),
                format!("nerdctl -n {} save {image} -o {file}", q(ns)),
                format!("sha256sum {file}"),
            ],
            // Another CRI runtime: its root filesystem as a tar, from the host.
            Runtime::Cri(None) => vec![self.export(h, file), format!("sha256sum {file}")],
        }
    }

    /// What preserving does, for the step's why.
    pub(super) fn preserve_why(&self) -> &'static str {
        match self {
            Runtime::Cri(Some(_)) => {
                "crictl cannot commit; nerdctl in the same containerd namespace keeps the container's changed \
                 files (its snapshot) as an image, so the scene survives the kill"
            }
            Runtime::Cri(None) => {
                "crictl cannot commit; the container's root filesystem, read from the host through its init's \
                 /proc/PID/root (its own mounts left out), is kept as a tar so the scene survives the kill"
            }
            _ => "commit keeps the container's changed files (its top layer) as an image, so the scene survives the kill",
        }
    }

    /// `inspect` of the container into `file`.
    pub(super) fn inspect(&self, h: &str, file: &str) -> String {
        format!("{} inspect {h} > {file}", self.cli())
    }

    /// Its output with times into `file`.
    pub(super) fn logs(&self, h: &str, file: &str) -> String {
        format!("{} logs -t {h} > {file} 2>&1", self.cli())
    }

    /// Its processes (host PIDs, parents, users, exact start times) with `columns`.
    pub(super) fn top(&self, h: &str, columns: &str) -> String {
        match self {
            Runtime::Docker | Runtime::Nerdctl(_) => format!("{} top {h} -eo {columns}", self.cli()),
            // podman top cannot show start times and crictl has no top: the host's ps, for
            // the processes in the container's PID namespace.
            Runtime::Podman | Runtime::Cri(_) => {
                format!("ps -o {columns} -p \"$(pgrep -d, --ns \"{}\" --nslist pid)\"", self.pid(h))
            }
        }
    }

    /// Its changed files into `file`, when the CLI can list them.
    pub(super) fn diff(&self, h: &str, file: &str) -> Option<String> {
        match self {
            Runtime::Docker | Runtime::Podman | Runtime::Nerdctl(_) => {
                Some(format!("{} diff {h} > {file}", self.cli()))
            }
            Runtime::Cri(_) => None,
        }
    }

    /// Its merged filesystem as a tar into `file`.
    pub(super) fn export(&self, h: &str, file: &str) -> String {
        match self {
            // crictl has no export: the root filesystem through the init's /proc/PID/root, from
            // the host (tar keeps links as links; volumes and /proc are other file systems).
            Runtime::Cri(_) => {
                format!("tar --one-file-system -C \"/proc/{}/root\" -cf {file} .", self.pid(h))
            }
            _ => format!("{} export {h} -o {file}", self.cli()),
        }
    }

    /// Disconnect from a network, when the CLI can (nerdctl and crictl cannot).
    pub(super) fn disconnect(&self, net: &str, h: &str) -> Option<String> {
        match self {
            Runtime::Docker | Runtime::Podman => {
                Some(format!("{} network disconnect {} {h}", self.cli(), q(net)))
            }
            _ => None,
        }
    }

    /// Disconnect from every network its inspect lists (names unknown offline).
    pub(super) fn disconnect_all(&self, h: &str) -> Option<String> {
        match self {
            Runtime::Docker | Runtime::Podman => Some(format!(
                "for net in $({cli} inspect -f '{{{{range $k, $v := .NetworkSettings.Networks}}}}{{{{$k}}}} {{{{end}}}}' {h}); do {cli} network disconnect \"$net\" {h}; done",
                cli = self.cli()
            )),
            _ => None,
        }
    }

    /// Kill it (or stop it at once, for the CRI).
    pub(super) fn kill(&self, h: &str) -> String {
        match self {
            Runtime::Cri(_) => format!("crictl stop --timeout 0 {h}"),
            _ => format!("{} kill -s KILL {h}", self.cli()),
        }
    }

    /// Every container and image of the runtime, and its recent events.
    pub(super) fn survey(&self) -> Vec<String> {
        let until = "\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"";
        match self {
            Runtime::Docker | Runtime::Podman => vec![
                format!("{} ps -a --no-trunc", self.cli()),
                format!("{} events --since 72h --until {until}", self.cli()),
                format!("{} images --digests --no-trunc", self.cli()),
            ],
            Runtime::Nerdctl(_) => vec![
                format!("{} ps -a --no-trunc", self.cli()),
                format!("{} images --digests --no-trunc", self.cli()),
            ],
            Runtime::Cri(_) => {
                vec!["crictl ps -a".into(), "crictl pods".into(), "crictl images --digests --no-trunc".into()]
            }
        }
    }

    /// Where its containers' logs are on the host, for a hunt.
    pub(super) fn log_dirs(&self) -> &'static [&'static str] {
        match self {
            Runtime::Docker => &["/var/lib/docker/containers"],
            Runtime::Podman => &["/var/lib/containers/storage/overlay-containers"],
            Runtime::Nerdctl(_) => &["/var/lib/nerdctl"],
            Runtime::Cri(_) => &["/var/log/pods"],
        }
    }

    /// Who created the container and when: for an attacker-side one, how it got here.
    pub(super) fn provenance(&self, h: &str) -> Vec<String> {
        let until = "\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"";
        match self {
            Runtime::Docker => vec![
                format!("docker inspect -f '{{{{.Created}}}} {{{{.Config.Image}}}} {{{{.Path}}}} {{{{.Args}}}}' {h}"),
                format!("docker events --since 72h --until {until} --filter container={h}"),
                "ss -tlnp | grep -E ':(2375|2376)[[:space:]]'".into(),
                "ls -la /var/run/docker.sock; getent group docker".into(),
            ],
            Runtime::Podman => vec![
                format!("podman inspect -f '{{{{.Created}}}} {{{{.ImageName}}}} {{{{.Path}}}} {{{{.Args}}}}' {h}"),
                format!("podman events --since 72h --until {until} --filter container={h}"),
                "ls -la /run/podman/podman.sock; systemctl status podman.socket --no-pager".into(),
            ],
            Runtime::Nerdctl(ns) => vec![
                format!("ctr -n {} containers info {h}", q(ns)),
                "ls -la /run/containerd/containerd.sock".into(),
            ],
            Runtime::Cri(_) => vec![format!("crictl inspect {h}")],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_speaks_its_own_cli() {
        let ns = Runtime::Nerdctl("shop".into());
        assert_eq!(ns.pause("web"), "nerdctl -n shop pause web");
        assert_eq!(ns.pid("web"), "$(nerdctl -n shop inspect -f '{{.State.Pid}}' web)");
        assert_eq!(ns.disconnect("bridge", "web"), None, "nerdctl has no network disconnect");
        assert_eq!(Runtime::Podman.kill("web"), "podman kill -s KILL web");
        assert_eq!(
            Runtime::Podman.top("web", TOP_COLUMNS),
            "ps -o pid,ppid,user,lstart,args -p \"$(pgrep -d, --ns \"$(podman inspect -f '{{.State.Pid}}' web)\" --nslist pid)\""
        );
        let cri = Runtime::Cri(Some("k8s.io".into()));
        assert_eq!(cri.pause("abc"), "ctr -n k8s.io task pause abc");
        assert_eq!(cri.kill("abc"), "crictl stop --timeout 0 abc");
        assert_eq!(cri.pid("abc"), "$(crictl inspect -o go-template --template '{{.info.pid}}' abc)");
        assert!(cri.preserve("abc", "img", "f.tar", "abc")[0].starts_with("nerdctl -n k8s.io commit abc img"));
        assert_eq!(
            Runtime::Docker.disconnect_all("web").unwrap(),
            "for net in $(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' web); do docker network disconnect \"$net\" web; done"
        );
    }
}
