//! The container's host-side veth: recorded through netlink in the container's network
//! namespace (`nsenter -n ip -o link`: the kernel's answer, nothing read from the container's
//! files), checked against the host's `ip link` capture when the bundle has one, and taken
//! down only when the host interface with that index is a veth whose peer is the
//! container's eth0 (checked again at run time: a macvlan or ipvlan container's eth0 names
//! the host's own NIC, which must never go down).

use crate::analyze::attribution::Owners;
use crate::ingest::iplink::{Interface, IpLinkCapture};
use crate::model::ContainerRef;

use crate::shell::quote as q;

/// The files the record step writes and the cut-off step reads back (a file, not a shell
/// variable: the steps may run in different shells).
pub(super) struct Files {
    /// `ip -o link show eth0` in the container's namespace.
    pub link: String,
    /// The container's eth0 index.
    pub ifindex: String,
    /// Its peer's index on the host.
    pub iflink: String,
}

impl Files {
    pub(super) fn of(stem: &str) -> Files {
        Files {
            link: format!("{stem}.link"),
            ifindex: format!("{stem}.ifindex"),
            iflink: format!("{stem}.iflink"),
        }
    }
}

/// Commands of the record step; `pid` prints the container's host PID.
pub(super) fn record(pid: &str, f: &Files) -> Vec<String> {
    vec![
        format!("nsenter -t \"{pid}\" -n ip -o link show eth0 > {}", f.link),
        format!("cut -d: -f1 {} > {}", f.link, f.ifindex),
        format!("sed -n 's/^[0-9]*: [^:@]*@if\\([0-9]*\\):.*/\\1/p' {} > {}", f.link, f.iflink),
        format!("cat {}", f.link),
    ]
}

/// Commands of the cut-off step: show what the host has at that index, then take it down
/// only if it is a veth (`ip -d` says so) whose peer is the container's eth0 (`@if<its
/// index>`) in another namespace; refuse otherwise, saying why.
pub(super) fn down(name: &str, f: &Files) -> Vec<String> {
    let refused = q(&format!(
        "{name}: refused: the host interface with the recorded index is not a veth whose peer is the container's \
         eth0 (see the line above); nothing was taken down"
    ));
    vec![
        format!("ip -d -o link | awk -F': ' -v n=\"$(cat {})\" '$1 == n'", f.iflink),
        format!(
            "VETH=$(ip -d -o link | awk -F': ' -v n=\"$(cat {iflink})\" -v m=\"$(cat {ifindex})\" \
             '$1 == n && $2 ~ (\"@if\" m \"$\") && / veth / && / link-netns(id)? / {{sub(/@.*/, \"\", $2); print $2}}'); \
             if [ -n \"$VETH\" ]; then ip link set dev \"$VETH\" down && ip -o link show dev \"$VETH\"; \
             else printf '%s\\n' {refused} >&2; fi",
            iflink = f.iflink,
            ifindex = f.ifindex,
        ),
    ]
}

/// What the bundle's `ip link` captures say of a container's veth, for the step's why:
/// its host side at capture time, or why it cannot be trusted, or that there is nothing to
/// check against. `only` is the bundle's only container with a veth (a capture of a
/// container's namespace is then its own even when no path ties it to it).
pub(super) fn check(who: &ContainerRef, captures: &[IpLinkCapture], owners: &Owners, only: bool) -> String {
    let hosts: Vec<&IpLinkCapture> = captures.iter().filter(|c| c.host).collect();
    // The container's own side: a namespace capture with an eth0 whose peer is elsewhere.
    let eth0 = |c: &IpLinkCapture| -> Option<(u32, u32, String)> {
        let e = c.by_name("eth0")?;
        Some((e.index, e.peer_index?, e.locator.to_string()))
    };
    let mine = captures
        .iter()
        .filter(|c| !c.host)
        .filter(|c| match owners.of_locator(&c.locator) {
            Some(o) => o.same(who),
            None => only,
        })
        .find_map(eth0);
    let Some(host) = hosts.first() else {
        return "the bundle holds no `ip link` capture of the host: the index is checked only when the step runs"
            .into();
    };
    let Some((ifindex, iflink, at)) = mine else {
        return format!(
            "the host's `ip link` capture ({}) is in the bundle but not the container's side (`ip -o link` in its \
             namespace): the index is checked only when the step runs",
            host.locator
        );
    };
    let found: Vec<(&IpLinkCapture, &Interface)> =
        hosts.iter().filter_map(|c| c.by_index(iflink).map(|i| (*c, i))).collect();
    let Some((_, i)) = found.first() else {
        return format!(
            "CAUTION: at capture time the container's eth0 (index {ifindex}, {at}) named host index {iflink}, but the \
             host's capture ({}) has no interface {iflink}: the container or the host restarted since, or the \
             capture is another host's; the step refuses unless a veth with that index and peer is there when it runs",
            host.locator
        );
    };
    if i.is_cross_namespace_veth() && i.peer_index == Some(ifindex) {
        let kind = if i.kind.is_some() { "a veth" } else { "a peer link into another namespace" };
        let master = i.master.as_deref().map(|m| format!(" on {m}")).unwrap_or_default();
        format!(
            "checked against the host's capture: at capture time the container's eth0 (index {ifindex}, {at}) was \
             the peer of the host's {} (index {iflink}, {kind}{master}, {}); the step checks it again before taking \
             it down",
            i.name, i.locator
        )
    } else {
        let what = match (&i.kind, i.peer_index, &i.link_netns) {
            (Some(k), _, _) if k != "veth" => format!("a {k} link"),
            (_, Some(p), Some(_)) => {
                format!("the peer of index {p}, not of the container's eth0 ({ifindex})")
            }
            _ => "no veth (no peer in another namespace): a host NIC or bridge".to_string(),
        };
        format!(
            "CAUTION: at capture time host index {iflink} (named by the container's eth0, {at}) was {} ({}): {what}. \
             The index read from the container does not name its veth (a macvlan/ipvlan container, or a forged \
             or stale index); taking {} down could cut the host off. The step refuses unless the check passes \
             when it runs",
            i.name, i.locator, i.name
        )
    }
}
