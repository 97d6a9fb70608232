//! Text section: containers (identity, state, network, ports, mounts, privileges, command),
//! image objects, `docker stats` rows and `docker ps` rows.

use std::fmt::Write as _;

use super::style::{heading, safe};
use crate::ingest::inspect::{ContainerInfo, ImageInfo};
use crate::ingest::stats::{decimal_bytes, human_bytes, StatsRow};
use crate::report::BundleReport;

/// Render the containers section of a bundle.
pub(super) fn render(s: &mut String, b: &BundleReport) {
    if !b.containers.is_empty() {
        heading(s, &format!("Containers ({})", b.containers.len()));
        for c in &b.containers {
            container(s, c);
        }
    }
    if !b.image_objects.is_empty() {
        heading(s, &format!("Image objects ({})", b.image_objects.len()));
        for i in &b.image_objects {
            image(s, i);
        }
    }
    if !b.stats.is_empty() {
        heading(s, &format!("docker stats ({} rows)", b.stats.len()));
        let _ = writeln!(
            s,
            "  {:<20} {:>8}  {:<23} {:>7}  {:<21} {:<21} {:>6}",
            "CONTAINER", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O (rx/tx)", "BLOCK I/O (r/w)", "PIDS"
        );
        for r in &b.stats {
            stats_row(s, r);
        }
    }
    if !b.ps.is_empty() {
        heading(s, &format!("docker ps ({} rows)", b.ps.len()));
        for r in &b.ps {
            let ports: Vec<String> = r.ports.iter().map(|p| p.display()).collect();
            let _ = writeln!(
                s,
                "  {}  {}  image {}  status {}  created {}",
                safe(&r.names.join(",")),
                safe(r.container_id.get(..12).unwrap_or(&r.container_id)),
                safe(r.image.as_deref().unwrap_or("?")),
                safe(r.status.as_deref().unwrap_or("?")),
                r.created_at
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| safe(r.created.as_deref().unwrap_or("?"))),
            );
            if let Some(cmd) = &r.command {
                let _ = writeln!(s, "      command: {}", safe(cmd));
            }
            if !ports.is_empty() {
                let _ = writeln!(s, "      ports: {}", safe(&ports.join(", ")));
            }
            let _ = writeln!(s, "      proof: {}", safe(&r.locator.to_string()));
        }
    }
}

fn opt_time(t: Option<crate::model::Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
}

fn container(s: &mut String, c: &ContainerInfo) {
    let st = &c.state;
    let image = c.image.as_deref().unwrap_or("?");
    let image_id = c.image_id.as_deref().map(|i| i.strip_prefix("sha256:").unwrap_or(i)).unwrap_or("?");
    let _ = writeln!(
        s,
        "  {} ({})  image {} ({})",
        safe(c.handle()),
        safe(c.short_id()),
        safe(image),
        safe(image_id.get(..12).unwrap_or(image_id))
    );
    let mut status = safe(st.status.as_deref().unwrap_or("unknown"));
    if let Some(h) = &st.health {
        status.push_str(&format!(" ({})", safe(h)));
    }
    if st.oom_killed {
        status.push_str(", OOM-killed");
    }
    if let Some(code) = st.exit_code.filter(|_| !st.running) {
        status.push_str(&format!(", exit code {code}"));
    }
    let _ = writeln!(
        s,
        "      status {status}; created {}, started {}, finished {}",
        opt_time(c.created),
        opt_time(st.started_at),
        opt_time(st.finished_at)
    );
    let mut facts = vec![];
    if let Some(p) = st.pid.filter(|p| *p > 0) {
        facts.push(format!("host pid {p}"));
    }
    if let Some(r) = c.restart_count.filter(|r| *r > 0) {
        facts.push(format!("restarted {r}x"));
    }
    if let Some(e) = &st.error {
        facts.push(format!("error: {}", safe(e)));
    }
    if !facts.is_empty() {
        let _ = writeln!(s, "      {}", facts.join("; "));
    }
    let cmd: Vec<&str> = c.path.iter().chain(c.args.iter()).map(String::as_str).collect();
    let unset = if c.source == crate::ingest::inspect::InspectSource::Sensor {
        "unknown (named by an event source, no configuration in the evidence)"
    } else {
        "root (none set)"
    };
    let user = c.config.user.as_deref().filter(|u| !u.is_empty()).unwrap_or(unset);
    let _ = writeln!(s, "      cmd: {}   user: {}", safe(&cmd.join(" ")), safe(user));
    for n in &c.network.networks {
        let ip = match (&n.ip_address, n.prefix_len) {
            (Some(ip), Some(p)) => format!("{ip}/{p}"),
            (Some(ip), None) => ip.clone(),
            _ => "-".into(),
        };
        let _ = writeln!(
            s,
            "      net {}: ip {}  gateway {}  mac {}",
            safe(&n.name),
            safe(&ip),
            safe(n.gateway.as_deref().unwrap_or("-")),
            safe(n.mac_address.as_deref().unwrap_or("-"))
        );
    }
    if c.network.networks.is_empty() {
        if let Some(ip) = &c.network.ip_address {
            let _ = writeln!(
                s,
                "      ip {}  gateway {}",
                safe(ip),
                safe(c.network.gateway.as_deref().unwrap_or("-"))
            );
        }
    }
    let published: Vec<String> =
        c.ports().iter().filter(|p| p.host_port.is_some()).map(|p| p.display()).collect();
    if !published.is_empty() {
        let _ = writeln!(s, "      published: {}", safe(&published.join(", ")));
    }
    for m in &c.mounts {
        let src = m.source.as_deref().or(m.name.as_deref()).unwrap_or("?");
        let inferred = if m.source_inferred { " (inferred)" } else { "" };
        let _ = writeln!(
            s,
            "      mount {} {}{inferred} -> {} ({})",
            safe(m.kind.as_deref().unwrap_or("mount")),
            safe(src),
            safe(&m.destination),
            if m.rw { "rw" } else { "ro" }
        );
    }
    let _ = writeln!(s, "      privileges: {}", safe(&privileges(c)));
    if let Some(g) = &c.graph_driver {
        let upper = g.data.get("UpperDir").map(|u| format!(", upper dir {u}")).unwrap_or_default();
        let _ = writeln!(s, "      storage: {}{}", safe(&g.name), safe(&upper));
    }
    let secrets: Vec<&str> = c.config.env.iter().filter(|e| e.secret).map(|e| e.name.as_str()).collect();
    if !secrets.is_empty() {
        let _ = writeln!(s, "      secrets in env (values redacted): {}", safe(&secrets.join(", ")));
    }
    let _ = writeln!(s, "      proof: {}", safe(&c.locator.to_string()));
}

/// One line on what the container may do beyond the default.
fn privileges(c: &ContainerInfo) -> String {
    let Some(h) = &c.host_config else {
        return "unknown (no host config in the evidence)".into();
    };
    let mut p = vec![];
    if h.privileged {
        p.push("PRIVILEGED".to_string());
    }
    if !h.cap_add.is_empty() {
        p.push(format!("cap-add {}", h.cap_add.join(",")));
    }
    if !h.cap_drop.is_empty() {
        p.push(format!("cap-drop {}", h.cap_drop.join(",")));
    }
    for (what, mode) in [
        ("pid", &h.pid_mode),
        ("net", &h.network_mode),
        ("ipc", &h.ipc_mode),
        ("uts", &h.uts_mode),
        ("userns", &h.userns_mode),
    ] {
        if mode.as_deref() == Some("host") {
            p.push(format!("{what}=host"));
        }
    }
    let opts = c.security_options();
    if !opts.is_empty() {
        p.push(format!("security-opt {}", opts.join(",")));
    }
    if !h.devices.is_empty() {
        p.push(format!("{} device(s)", h.devices.len()));
    }
    if h.readonly_rootfs {
        p.push("read-only rootfs".into());
    }
    let mem = if h.memory > 0 { human_bytes(Some(h.memory as u64)) } else { "unlimited".into() };
    let pids = match h.pids_limit {
        Some(l) if l > 0 => l.to_string(),
        _ => "unlimited".into(),
    };
    p.push(format!("memory {mem}, pids {pids}"));
    if let Some(r) = &h.runtime {
        p.push(format!("runtime {r}"));
    }
    p.join("; ")
}

fn image(s: &mut String, i: &ImageInfo) {
    let tags = if i.repo_tags.is_empty() { "<none>".to_string() } else { i.repo_tags.join(", ") };
    let _ = writeln!(
        s,
        "  {}  {}  created {}  {} layer(s){}",
        safe(i.short_id()),
        safe(&tags),
        opt_time(i.created),
        i.layers.len(),
        i.size.map(|b| format!(", {}", human_bytes(Some(b)))).unwrap_or_default()
    );
    let cmd: Vec<&str> = i.config.entrypoint.iter().chain(i.config.cmd.iter()).map(String::as_str).collect();
    if !cmd.is_empty() {
        let _ = writeln!(s, "      runs: {}", safe(&cmd.join(" ")));
    }
    let _ = writeln!(s, "      proof: {}", safe(&i.locator.to_string()));
}

fn stats_row(s: &mut String, r: &StatsRow) {
    let pct = |v: Option<f64>| v.map(|v| format!("{v:.2}%")).unwrap_or_else(|| "--".into());
    let pair = |a: Option<u64>, b: Option<u64>, unit: fn(Option<u64>) -> String| {
        if a.is_none() && b.is_none() {
            "--".into()
        } else {
            format!("{} / {}", unit(a), unit(b))
        }
    };
    let _ = writeln!(
        s,
        "  {:<20} {:>8}  {:<23} {:>7}  {:<21} {:<21} {:>6}   [{}]",
        safe(r.label()),
        pct(r.cpu_percent),
        pair(r.mem_usage_bytes, r.mem_limit_bytes, human_bytes),
        pct(r.mem_percent),
        pair(r.net_rx_bytes, r.net_tx_bytes, decimal_bytes),
        pair(r.block_read_bytes, r.block_write_bytes, decimal_bytes),
        r.pids.map(|p| p.to_string()).unwrap_or_else(|| "--".into()),
        safe(&r.locator.to_string())
    );
}
