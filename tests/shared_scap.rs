//! The sysdig / Falco captures of ../shared/fixtures section 15 (falcosecurity/falco's trace
//! files, falcosecurity/libs' libsinsp e2e captures; gzip-wrapped libscap savefiles of format
//! 1.0-1.2, process lists v5-v9, fd lists v1-v2, event blocks v1-v2): each is read whole with
//! no error, and gives the facts the projects' own tests state.

use serde_json::Value;

use crate::util::{run_json, shared, validate_against_schema};

const FALCO: &str = "fixtures/falco/test/trace_files";
const LIBS: &str = "fixtures/libs/test/libsinsp_e2e/resources/captures";

/// The scan of one capture; fails loudly when the fixture is missing.
fn scan(dir: &str, name: &str) -> Value {
    let p = shared(&format!("{dir}/{name}"));
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    validate_against_schema(&v);
    v["bundles"][0].clone()
}

fn timeline(b: &Value, kind: &str) -> Vec<String> {
    b["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == kind)
        .map(|t| t["message"].as_str().unwrap().to_string())
        .collect()
}

fn process(b: &Value, pid: u64) -> &Value {
    let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
    procs.iter().find(|p| p["pid"] == pid).unwrap_or_else(|| panic!("no process {pid}"))
}

#[test]
#[ignore]
fn every_capture_reads_whole_and_benign_ones_stay_benign() {
    let all = [
        (FALCO, "cat_write.scap"),
        (FALCO, "connect_localhost.scap"),
        (FALCO, "open-multiple-files.scap"),
        (FALCO, "ping_sendto.scap"),
        (FALCO, "syscall.scap"),
        (LIBS, "curl_google.scap"),
        (LIBS, "single_ipv6_conn.scap"),
    ];
    for (dir, name) in all {
        let b = scan(dir, name);
        assert_eq!(b["artifacts"][0]["kind"], "scap", "{name}");
        assert_eq!(b["artifacts"][0]["compression"], "gzip", "{name}");
        let diags = b["diagnostics"].as_array().unwrap();
        assert!(diags.is_empty(), "{name}: {diags:?}");
        let procs = b["processes"][0]["capture"]["processes"].as_array().unwrap();
        assert!(procs.len() > 30, "{name}: the process table gives every process ({})", procs.len());
        // Test captures of ordinary programs: nothing here is a compromise.
        for v in b["verdicts"].as_array().unwrap() {
            assert_ne!(v["status"], "compromised", "{name}: {v}");
        }
        let scap_findings: Vec<&Value> = b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("scap."))
            .collect();
        assert!(scap_findings.is_empty(), "{name}: {scap_findings:?}");
    }
}

/// libsinsp ipv6.cpp: curl's resolver thread 17498 asks 2001:4860:4860::8888 over UDP, then
/// curl (17497) connects over TCP to Google on port 80.
#[test]
#[ignore]
fn curl_google_dns_and_http_over_ipv6() {
    let b = scan(LIBS, "curl_google.scap");
    let connects = timeline(&b, "network-connect");
    let src = "[2600:1f18:262c:6542:9aa6:df7a:9a47:d29e]";
    assert!(
        connects.contains(&format!(
            "curl (pid 17497, thread 17498) connected udp from {src}:40251 to [2001:4860:4860::8888]:53"
        )),
        "{connects:?}"
    );
    assert!(
        connects.contains(&format!(
            "curl (pid 17497) connected tcp from {src}:37140 to [2607:f8b0:4004:802::2004]:80"
        )),
        "{connects:?}"
    );
    let curl = process(&b, 17497);
    assert_eq!(curl["cmd"], "curl -6 http://www.google.com");
    assert_eq!(curl["ppid"], 3200);
    assert_eq!(process(&b, 3200)["cmd"], "-bash");
    assert_eq!(curl["started"], "2018-08-17T17:35:48.514632619Z");
}

/// libsinsp ipv6.cpp single_ipv6_conn_client/server: 2001:db8::4 port 54405 to 2001:db8::3
/// port 1234, seen from both ends.
#[test]
#[ignore]
fn single_ipv6_connection_both_ends() {
    let b = scan(LIBS, "single_ipv6_conn.scap");
    let connects = timeline(&b, "network-connect");
    assert!(
        connects.iter().any(|c| c.ends_with("connected tcp from [2001:db8::4]:54405 to [2001:db8::3]:1234")),
        "{connects:?}"
    );
    let accepts = timeline(&b, "network-accept");
    assert!(
        accepts.iter().any(|c| c.ends_with("accepted [2001:db8::4]:54405 on [2001:db8::3]:1234")),
        "{accepts:?}"
    );
}

/// falco rules/detect_connect_using_in.yaml: a connect() to 127.0.0.1.
#[test]
#[ignore]
fn connect_to_localhost() {
    let b = scan(FALCO, "connect_localhost.scap");
    let connects = timeline(&b, "network-connect");
    assert_eq!(
        connects,
        vec!["pid 31699 (program not in the capture) connected tcp from 127.0.0.1:47192 to 127.0.0.1:80"]
    );
}

/// ping's ten ICMP echo requests (sendmsg to 128.32.41.1), one a second for 9 seconds. The
/// file holds no drop events (its event types are sendmsg 48/49 and procinfo 234 only): the
/// "event drop detected: 9 occurrences" of falco's test comes from falco's simulated drops
/// (one per second of capture), not from the file, so no dropped-event marker is reported.
#[test]
#[ignore]
fn ping_sendto_has_no_drop_markers_in_the_file() {
    let b = scan(FALCO, "ping_sendto.scap");
    assert_eq!(
        timeline(&b, "network-datagram"),
        vec!["pid 738 (program not in the capture) sendmsg 0.0.0.0:1 to 128.32.41.1:0"]
    );
    let diags = b["diagnostics"].as_array().unwrap();
    assert!(!diags.iter().any(|d| d["message"].as_str().unwrap().contains("dropped-event")), "{diags:?}");
}

/// falco's single_rule.yaml fires on cat: the capture (`sysdig -zw cat_write.scap
/// proc.name=cat`) holds `cat /dev/null`, its opens and its exit.
#[test]
#[ignore]
fn cat_write_is_cat_and_its_opens() {
    let b = scan(FALCO, "cat_write.scap");
    let cat = process(&b, 20072);
    assert_eq!(cat["cmd"], "cat /dev/null");
    assert_eq!(cat["ppid"], 11310);
    assert_eq!(cat["started"], "2016-08-04T16:17:57.881730713Z");
    assert_eq!(cat["extra"]["exited"], "2016-08-04T16:17:57.882122308Z");
    assert_eq!(process(&b, 20070)["cmd"], "sysdig -zw cat_write.scap proc.name=cat");
    let opens = timeline(&b, "file-open");
    for path in
        ["/etc/ld.so.cache", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/locale/locale-archive", "/dev/null"]
    {
        assert!(opens.contains(&format!("cat (pid 20072) opened {path}")), "{path}: {opens:?}");
    }
}

/// falco's tagged_rules.yaml: python open.py opens /tmp/file-1 to /tmp/file-13; the host's
/// two containers (falco, express_server) are named by container events and their
/// processes by their cgroups.
#[test]
#[ignore]
fn open_multiple_files_and_the_hosts_containers() {
    let b = scan(FALCO, "open-multiple-files.scap");
    let opens = timeline(&b, "file-open");
    let want: Vec<String> = (1..=13).map(|i| format!("python (pid 16569) opened /tmp/file-{i}")).collect();
    assert_eq!(opens, want);
    let containers: Vec<(&str, &str, &str)> = b["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["name"].as_str().unwrap(), c["image"].as_str().unwrap()))
        .collect();
    assert_eq!(
        containers,
        vec![
            (
                "ad64969c62e5596b839d08cf1b05986dabdfa797f02c424ec877f050afc63a8d",
                "express_server",
                "node:latest"
            ),
            (
                "5ea733068030962afe24c88712a2d865516ac6416d875c62ff481c8ab84dd928",
                "falco",
                "sysdig/falco:latest"
            ),
        ]
    );
    assert_eq!(process(&b, 15778)["cmd"], "node server.js");
    assert_eq!(process(&b, 15778)["container"]["name"], "express_server");
    assert_eq!(process(&b, 15296)["container"]["name"], "falco");
    for v in b["verdicts"].as_array().unwrap() {
        assert_eq!(v["status"], "no sign", "{v}");
    }
}

/// falco's rules/syscalls.yaml detect_open: the test program (pid 16518, not in the
/// capture's process table) opens three files.
#[test]
#[ignore]
fn syscall_capture_opens() {
    let b = scan(FALCO, "syscall.scap");
    let opens = timeline(&b, "file-open");
    let who = "pid 16518 (program not in the capture) opened";
    assert_eq!(
        opens,
        vec![
            format!("{who} /etc/ld.so.cache"),
            format!("{who} /lib/x86_64-linux-gnu/libc.so.6"),
            format!("{who} /dev/null")
        ]
    );
}
