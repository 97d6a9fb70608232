//! Container-side small artifacts through the binary: inspect, stats and ps listings in,
//! containers, exposure findings, timeline and response plan out.

use serde_json::Value;

use crate::util::{run, run_json, write_files};

const INSPECT: &str = r#"[
  {
    "Id": "4f2a9c1be0d3aa55e0f1c2d3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b",
    "Created": "2026-11-27T13:58:01.123456789Z",
    "Path": "catalina.sh",
    "Args": ["run"],
    "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false, "OOMKilled": false,
              "Dead": false, "Pid": 84010, "ExitCode": 0, "Error": "",
              "StartedAt": "2026-11-27T13:58:02.5Z", "FinishedAt": "0001-01-01T00:00:00Z"},
    "Image": "sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44",
    "Name": "/web",
    "HostConfig": {"Binds": ["/var/run/docker.sock:/var/run/docker.sock"], "NetworkMode": "bridge",
                   "Privileged": true, "PortBindings": {"8080/tcp": [{"HostIp": "", "HostPort": "80"}]},
                   "Memory": 0, "PidsLimit": null, "ReadonlyRootfs": false},
    "Mounts": [{"Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock", "RW": true}],
    "Config": {"Hostname": "4f2a9c1be0d3", "User": "",
               "Env": ["PATH=/usr/bin", "MYSQL_ROOT_PASSWORD=hunter2hunter", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENG"],
               "Cmd": ["catalina.sh", "run"], "Image": "tomcat:8.5-jre8"},
    "NetworkSettings": {"IPAddress": "172.17.0.2", "Gateway": "172.17.0.1",
                        "Ports": {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "80"}]},
                        "Networks": {"bridge": {"IPAddress": "172.17.0.2", "IPPrefixLen": 16, "Gateway": "172.17.0.1",
                                                "MacAddress": "02:42:ac:11:00:02"}}}
  }
]
"#;

const STATS: &str = "CONTAINER ID   NAME   CPU %     MEM USAGE / LIMIT     MEM %   NET I/O          BLOCK I/O     PIDS\n\
                     4f2a9c1be0d3   web    398.52%   76.18MiB / 3.686GiB   2.02%   1.2kB / 648B     0B / 8.19kB   12\n";

const PS: &str = "\
CONTAINER ID   IMAGE             COMMAND                  CREATED       STATUS                 PORTS                                 NAMES
4f2a9c1be0d3   tomcat:8.5-jre8   \"catalina.sh run\"        2 hours ago   Up 2 hours (healthy)   0.0.0.0:80->8080/tcp, :::80->8080/tcp   web
";

fn bundle(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

fn rules(b: &Value) -> Vec<&str> {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
        .collect()
}

#[test]
fn inspect_stats_and_ps_become_containers_findings_and_a_plan() {
    let dir = bundle(&[
        ("inspect.json", INSPECT.as_bytes()),
        ("stats.txt", STATS.as_bytes()),
        ("ps.txt", PS.as_bytes()),
    ]);
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    let again = run(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.stdout, again.stdout, "same evidence, same bytes");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("hunter2"), "a secret value reached the report");
    assert!(!text.contains("wJalrXUtnFEMIK7MDENG"), "a secret value reached the report");
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "critical findings set bit 0, no errors");
    let b = &v["bundles"][0];
    let kinds: Vec<&str> =
        b["artifacts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["inspect", "ps", "stats"]);

    let c = &b["containers"][0];
    assert_eq!(c["name"], "web");
    assert_eq!(c["state"]["pid"], 84010);
    assert_eq!(c["state"]["started_at"], "2026-11-27T13:58:02.500000000Z");
    assert!(c["state"].get("finished_at").is_none(), "zero time is no time");
    assert_eq!(c["host_config"]["privileged"], true);
    assert_eq!(c["mounts"][0]["source"], "/var/run/docker.sock");
    assert_eq!(c["network"]["networks"][0]["mac_address"], "02:42:ac:11:00:02");
    let env: Vec<&str> =
        c["config"]["env"].as_array().unwrap().iter().map(|e| e["value"].as_str().unwrap()).collect();
    assert_eq!(env, ["/usr/bin", "<redacted 13 chars>", "<redacted 20 chars>"]);
    assert_eq!(c["locator"]["artifact"], "inspect.json");
    assert_eq!(c["locator"]["line"], 2);

    let s = &b["stats"][0];
    assert_eq!(s["cpu_percent"], 398.52);
    assert_eq!(s["mem_usage_bytes"], 79_880_520);
    assert_eq!(s["locator"]["line"], 2);
    let p = &b["ps"][0];
    assert_eq!(p["status"], "Up 2 hours (healthy)");
    assert_eq!(p["ports"][1]["host_ip"], "::");
    assert_eq!(p["names"][0], "web");

    let r = rules(b);
    for want in [
        "exposure.privileged",
        "exposure.runtime-socket",
        "exposure.env-secrets",
        "exposure.public-ports",
        "stats.cpu-high",
    ] {
        assert!(r.contains(&want), "{want} missing from {r:?}");
    }
    assert_eq!(r[0], "exposure.privileged", "critical first");
    let secrets = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == "exposure.env-secrets"))
        .unwrap();
    assert!(secrets["summary"].as_str().unwrap().contains("MYSQL_ROOT_PASSWORD, AWS_SECRET_ACCESS_KEY"));
    assert_eq!(secrets["evidence"][0]["artifact"], "inspect.json");

    let tl: Vec<&str> =
        b["timeline"].as_array().unwrap().iter().map(|e| e["timestamp_desc"].as_str().unwrap()).collect();
    assert_eq!(tl, ["container created", "container started"]);

    let plan = b["response_plan"].as_array().unwrap();
    let step = |i: usize| plan[i]["step"].as_str().unwrap();
    let cmds: Vec<&str> =
        plan.iter().flat_map(|s| s["commands"].as_array().unwrap()).map(|c| c.as_str().unwrap()).collect();
    assert_eq!(step(0), "Record the host-side network interface of web (before pausing)");
    assert_eq!(step(1), "Freeze web");
    assert_eq!(step(plan.len() - 1), "Kill web once its evidence is saved");
    assert!(cmds.contains(&"docker pause web"));
    assert!(cmds.contains(&"docker network disconnect bridge web"));
    assert!(cmds.contains(&"docker kill -s KILL web"));
    assert!(cmds.iter().any(|c| c.starts_with("docker commit 4f2a9c1be0d3aa55")));
    let whys: Vec<&str> = plan.iter().map(|s| s["why"].as_str().unwrap()).collect();
    assert!(plan
        .iter()
        .any(|s| s["step"] == "Check the host and every other container: an escape is likely"));
    assert!(plan.iter().any(|s| s["step"] == "Look for a cryptominer in web and its pool connections"));
    assert!(whys.iter().any(|w| w.contains("exposure.runtime-socket")));
}

#[test]
fn invalid_inspect_json_is_an_error_and_the_rest_is_reported() {
    let broken = "[\n  {\"Id\": \"abc\", \"State\": {\"Running\": tru, \"HostConfig\": {}}\n";
    let dir = bundle(&[("inspect.json", broken.as_bytes()), ("ps.txt", PS.as_bytes())]);
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code & 2, 2, "unreadable evidence sets exit bit 1");
    let b = &v["bundles"][0];
    let d = b["diagnostics"].as_array().unwrap();
    let err = d.iter().find(|d| d["level"] == "error").expect("an error diagnostic");
    assert_eq!(err["locator"]["artifact"], "inspect.json");
    assert_eq!(err["locator"]["line"], 2);
    assert!(err["message"].as_str().unwrap().contains("column"));
    assert_eq!(b["ps"][0]["names"][0], "web");
    // Without inspect, the plan acts on the ps listing.
    let plan = b["response_plan"].as_array().unwrap();
    assert!(plan.iter().any(|s| s["step"] == "Freeze web"));
}

#[test]
fn text_report_escapes_attacker_names_and_hides_secrets() {
    let hostile = INSPECT.replace("\"/web\"", "\"/web\\u001b[2J\\u0007\"");
    let dir = bundle(&[("inspect.json", hostile.as_bytes()), ("stats.txt", STATS.as_bytes())]);
    let out = run(&["scan", dir.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "control characters reached the terminal");
    assert!(text.contains("web\\x1b[2J\\x07"), "{text}");
    assert!(!text.contains("hunter2"));
    assert!(text.contains("== Containers (1) =="));
    assert!(text.contains("mount bind /var/run/docker.sock -> /var/run/docker.sock (rw)"));
    assert!(text.contains("privileges: PRIVILEGED"));
    assert!(text.contains("secrets in env (values redacted): MYSQL_ROOT_PASSWORD, AWS_SECRET_ACCESS_KEY"));
    assert!(text.contains("== docker stats (1 rows) =="));
    // Commands quote the hostile name for the shell.
    assert!(text.contains("$ docker pause 'web\\x1b[2J\\x07'"), "{text}");
}
