//! Text section: the daemon data roots of a bundle (runtime, drivers, state database,
//! images with tags and layer checks, containers with state, image, layer chain, own
//! changes and logs, volumes, pods, leases). Every evidence string goes through `safe`.

use std::fmt::Write as _;

use super::style::{heading, safe};
use crate::dataroot::RootIndex;
use crate::image::Check;
use crate::report::BundleReport;

fn check(c: Check) -> &'static str {
    match c {
        Check::Verified => "verified",
        Check::Mismatch => "MISMATCH",
        Check::Incomplete => "incomplete",
        Check::Unverified => "unverified",
    }
}

fn short(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

/// Kubelet pod directories: each pod, its volumes (file names only) and the identities of
/// the tokens it holds (never the tokens).
fn kubelet(s: &mut String, pods: &[crate::dataroot::kubelet::KubeletPod]) {
    if pods.is_empty() {
        return;
    }
    heading(s, &format!("Kubelet pods ({})", pods.len()));
    for p in pods {
        let name = match (&p.namespace, &p.name) {
            (Some(ns), Some(n)) => format!("{}/{}", safe(ns), safe(n)),
            _ => "(pod not named by the evidence)".into(),
        };
        let by = p.named_by.map(|b| format!(", named by {b}")).unwrap_or_default();
        let on = p.distribution.map(|d| format!(" ({d})")).unwrap_or_default();
        let _ = writeln!(s, "  {name} uid {}{by} at {}{on}", safe(&p.uid), safe(&p.dir));
        if !p.containers.is_empty() {
            let _ = writeln!(s, "    containers: {}", safe(&p.containers.join(", ")));
        }
        if !p.pod_ips.is_empty() {
            let _ = writeln!(s, "    addresses (etc-hosts): {}", safe(&p.pod_ips.join(", ")));
        }
        for v in &p.volumes {
            let _ = writeln!(
                s,
                "    volume {}/{}: {}",
                safe(&v.plugin),
                safe(&v.name),
                safe(&v.files.join(", "))
            );
        }
        for t in &p.tokens {
            let c = &t.claims;
            let exp = c.expires.map(|e| format!(", expires {e}")).unwrap_or_default();
            let _ = writeln!(
                s,
                "    token of {} (volume {}{exp}; claims only, token not shown)",
                safe(&c.identity().unwrap_or_default()),
                safe(&t.volume)
            );
        }
    }
}

/// Render the data-root section of a bundle (nothing when it holds no data root).
pub(super) fn render(s: &mut String, b: &BundleReport) {
    let Some(d) = &b.data_root else { return };
    kubelet(s, &d.kubelet);
    let roots: Vec<(&str, &RootIndex)> = d
        .docker
        .iter()
        .map(|r| ("docker", r))
        .chain(d.containers_storage.iter().map(|r| ("podman / containers-storage", r)))
        .chain(d.containerd.iter().map(|r| ("containerd", r)))
        .collect();
    if roots.is_empty() {
        return;
    }
    heading(s, &format!("Data roots ({})", roots.len()));
    for (runtime, r) in roots {
        let at = if r.root.is_empty() { "(the bundle itself)".to_string() } else { safe(&r.root) };
        let drivers = if r.drivers.is_empty() { "none".into() } else { safe(&r.drivers.join(", ")) };
        let node = r.distribution.map(|d| format!(" ({d} node)")).unwrap_or_default();
        let _ = writeln!(s, "  {runtime}{node} at {at}: layout {}, driver {drivers}", safe(r.layout));
        if let (Some(dir), Some(tasks)) = (&r.state_dir, &r.tasks) {
            let _ = writeln!(s, "    state directory {}: {} task(s)", safe(dir), tasks.len());
            for t in tasks {
                let _ = writeln!(s, "      {}", safe(t));
            }
        }
        if let Some(db) = &r.state_db {
            let _ = writeln!(s, "    state: {}", safe(db));
        }
        let _ = writeln!(s, "    images ({}):", r.images.len());
        for i in &r.images {
            let tags = if i.repo_tags.is_empty() { "<none>".into() } else { safe(&i.repo_tags.join(", ")) };
            let checked = i.layers.iter().filter(|l| l.content_check == Check::Verified).count();
            let bad = i.layers.iter().filter(|l| l.content_check == Check::Mismatch).count();
            let _ = writeln!(
                s,
                "      {} {tags}: config {}, {} layer(s), content {checked} verified{}",
                safe(short(&i.id)),
                check(i.config_check),
                i.layers.len(),
                if bad > 0 { format!(", {bad} MISMATCH") } else { String::new() }
            );
        }
        let _ = writeln!(s, "    containers ({}):", r.containers.len());
        for c in &r.containers {
            let state = match c.running {
                Some(true) => "running",
                Some(false) => "not running",
                None => "state unknown",
            };
            let image = c
                .image_id
                .as_deref()
                .map(|i| {
                    let tags = r
                        .images
                        .iter()
                        .find(|x| x.id == i)
                        .map(|x| x.repo_tags.join(", "))
                        .unwrap_or_default();
                    if tags.is_empty() {
                        short(i).to_string()
                    } else {
                        format!("{tags} ({})", short(i))
                    }
                })
                .unwrap_or_else(|| "?".into());
            let changes = b
                .image
                .data_root_changes
                .iter()
                .find(|x| {
                    x.container.as_deref() == Some(c.name.as_str())
                        || x.container.as_deref() == Some(c.id.as_str())
                })
                .map(|x| x.changes.len().to_string())
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                s,
                "      {} ({}) {state}, image {}, {} layer(s), {changes} own change(s), {} log(s)",
                safe(&c.name),
                safe(short(&c.id)),
                safe(&image),
                c.layer_dirs.len(),
                c.logs.len()
            );
            if let Some(l) = &c.log_span {
                let when = match (l.first.map(|t| t.to_iso_seconds()), l.last.map(|t| t.to_iso_seconds())) {
                    (Some(f), Some(t)) if f != t => format!(", {f} .. {t}"),
                    (Some(f), _) => format!(", at {f}"),
                    _ => ", no dated record".to_string(),
                };
                let undated = if l.undated > 0 { format!(", {} undated", l.undated) } else { String::new() };
                let _ = writeln!(
                    s,
                    "        logs: {} record(s) (stdout {}, stderr {}{undated}){when}; {} file(s), {} rotated, {} bytes",
                    l.records, l.stdout, l.stderr, l.files, l.rotated_files, l.bytes
                );
            }
            let driver = match (&c.driver, c.driver_basis) {
                (Some(d), Some(b)) => format!(" ({}, {})", safe(d), b.describe()),
                (Some(d), None) => format!(" ({})", safe(d)),
                _ => String::new(),
            };
            match &c.upper_dir {
                Some(u) => {
                    let _ = writeln!(s, "        read-write layer{driver}: {}", safe(u));
                }
                None if !driver.is_empty() => {
                    let _ = writeln!(s, "        read-write layer{driver}: not found");
                }
                None => {}
            }
            for m in &c.mounts {
                let _ = writeln!(
                    s,
                    "        mount {} {} -> {}",
                    safe(m.kind.as_deref().unwrap_or("?")),
                    safe(&m.source),
                    safe(&m.destination)
                );
            }
        }
        if !r.volumes.is_empty() {
            let _ = writeln!(s, "    volumes ({}):", r.volumes.len());
            for v in &r.volumes {
                let users = if v.used_by.is_empty() {
                    "unused".into()
                } else {
                    format!("used by {}", safe(&v.used_by.join(", ")))
                };
                let _ = writeln!(s, "      {} ({}): {users}", safe(&v.name), safe(&v.dir));
            }
        }
        if !r.pods.is_empty() {
            let _ = writeln!(s, "    pods ({}):", r.pods.len());
            for p in &r.pods {
                let _ = writeln!(
                    s,
                    "      {} ({}): {} container(s)",
                    safe(&p.name),
                    safe(short(&p.id)),
                    p.containers.len()
                );
            }
        }
        if !r.leases.is_empty() {
            let _ = writeln!(s, "    leases ({}):", r.leases.len());
            for l in &r.leases {
                let created = l.created.map(|t| format!(", created {t}")).unwrap_or_default();
                let _ = writeln!(
                    s,
                    "      {}/{}{created}: {} resource(s)",
                    safe(&l.namespace),
                    safe(&l.id),
                    l.resources.len()
                );
                for res in &l.resources {
                    let _ = writeln!(s, "        {}", safe(res));
                }
            }
        }
    }
}
