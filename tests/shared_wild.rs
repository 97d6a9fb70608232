//! Real files from other projects (../shared/fixtures) read as they come: whiteouts in
//! standalone layer tars, OCI artifacts beside images, Engine API listings, log framings,
//! and the kind every fixture and corpus file is sniffed as.

use serde_json::Value;

use crate::util::{run, run_json, shared};

fn fixture(rel: &str) -> String {
    shared(&format!("fixtures/{rel}")).to_str().unwrap().to_string()
}

/// (change letter, path) of every file change of `layers --files` JSON.
fn changes(v: &Value) -> Vec<(String, String)> {
    v["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["change"].as_str().unwrap().to_string(), c["path"].as_str().unwrap().to_string()))
        .collect()
}

fn deleted(v: &Value) -> Vec<String> {
    changes(v).into_iter().filter(|(c, _)| c == "deleted").map(|(_, p)| p).collect()
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn standalone_layer_whiteouts_are_deletions() {
    let (v, code) = run_json(&["layers", "--files", &fixture("claircore/whiteout/testdata/whiteout.layer")]);
    assert_eq!(code, 0);
    assert_eq!(deleted(&v), ["/etc/profile"]);
    let d = v["file_changes"].as_array().unwrap().iter().find(|c| c["change"] == "deleted").unwrap();
    assert_eq!(d["what"][0], "lower-layers-unknown");
    assert_eq!(v["images"][0]["layers"][0]["deleted"], 1);

    let (v, _) =
        run_json(&["layers", "--files", &fixture("claircore/whiteout/testdata/whiteout_advanced.layer")]);
    assert_eq!(deleted(&v), ["/a/a_file.txt", "/a_root_file.txt", "/b"]);
    let added: Vec<_> = changes(&v).into_iter().filter(|(c, _)| c == "added").map(|(_, p)| p).collect();
    assert_eq!(added, ["/a"]);

    let (v, _) =
        run_json(&["layers", "--files", &fixture("claircore/whiteout/testdata/whiteout_opaque.layer")]);
    assert_eq!(v["images"][0]["layers"][0]["opaque_dirs"][0], "/a");
    assert!(
        changes(&v).iter().any(|(c, p)| c == "added" && p == "/b/not.a.wh..wh..opq"),
        "{:?}",
        changes(&v)
    );

    let (v, _) = run_json(&["layers", "--files", &fixture("regclient/testdata/layer-wh.tar")]);
    assert_eq!(deleted(&v), ["/layer2.txt"]);
    assert_eq!(v["images"][0]["layers"][0]["opaque_dirs"][0], "/exdir");
    // Text shows the deletion too.
    let out = run(&["layers", "--files", &fixture("regclient/testdata/layer-wh.tar")]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("D /layer2.txt"));
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn directory_whiteout_lists_hidden_paths_with_hashes() {
    // dive's kaniko image: layer 9 `rm -rf /root/example/` is one `.wh.example`.
    let (v, _) = run_json(&["layers", "--files", &fixture("dive/.data/test-kaniko-image.tar")]);
    let d = v["file_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["change"] == "deleted" && c["path"] == "/root/example")
        .expect("deletion of /root/example");
    assert_eq!(d["layer"], 9);
    let hidden: Vec<(&str, Option<&str>, u64)> = d["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["path"].as_str().unwrap(), h["sha256"].as_str(), h["layer"].as_u64().unwrap()))
        .collect();
    let paths: Vec<&str> = hidden.iter().map(|h| h.0).collect();
    assert_eq!(
        paths,
        [
            "/root/example/really",
            "/root/example/really/nested",
            "/root/example/somefile1.txt",
            "/root/example/somefile2.txt"
        ]
    );
    // somefile1 was last written by the chmod layer (4), somefile2 by layer 5; both copies
    // of the same 9249-byte README, so the same digest.
    assert_eq!(hidden[2].2, 4);
    assert_eq!(hidden[3].2, 5);
    assert!(hidden[2].1.is_some() && hidden[2].1 == hidden[3].1);
    // container-diff's la-croix-wh.tar `.wh.nest` is a directory whiteout of a standalone
    // layer: known by name only.
    let (v, _) = run_json(&["layers", "--files", &fixture("container-diff/util/testTars/la-croix-wh.tar")]);
    assert_eq!(deleted(&v), ["/lime.txt", "/nest"]);
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn oci_artifacts_are_listed_not_analysed_as_images() {
    let dir = fixture("regclient/testdata/testrepo");
    let (v, code) = run_json(&["layers", &dir]);
    assert_eq!(code, 0, "{:#}", v["diagnostics"]);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 0, "{:#}", v["diagnostics"]);
    let images = v["images"].as_array().unwrap();
    // b1, b2, b3 (4 platforms each), v1 (2), v2 (3), v3 (4): 21 runnable images, all verified.
    assert_eq!(images.len(), 21);
    assert!(images.iter().all(|i| i["integrity"] == "verified"));
    // The archive is the directory itself, not `.`.
    assert!(images.iter().all(|i| i["archive"] == dir.as_str()), "{}", images[0]["archive"]);
    let arts = v["oci_artifacts"].as_array().unwrap();
    let kind = |d: &str| arts.iter().find(|a| a["manifest_digest"].as_str().unwrap().starts_with(d)).unwrap();
    // An SBOM referring to the v2 index (`subject`), with an empty config.
    let sbom = kind("sha256:0484e93c23cd");
    assert_eq!(sbom["artifact_type"], "application/example.sbom");
    assert_eq!(sbom["subject"], "sha256:dfae8f425735a5e3a72e40d6609e03079995511d48157c74d54801ff4430491e");
    // A signature.
    assert_eq!(kind("sha256:741132f956e1")["artifact_type"], "application/example.signature");
    // buildx reference manifests (`vnd.docker.reference.type`) with non-tar layers.
    let b = kind("sha256:43089316cfee");
    assert!(b["reason"].as_str().unwrap().contains("vnd.docker.reference.type"));
    assert_eq!(b["layer_media_types"][0], "application/vnd.example.build-type+json");
    // An index that is itself an artifact.
    assert_eq!(kind("sha256:df85221e1519")["artifact_type"], "application/example.artifacts");
    assert!(arts.len() >= 15, "{}", arts.len());
    // Custody says what each blob is to the layout; an artifact's payload is never a log.
    let (s, _) = run_json(&["scan", &dir]);
    let arts_custody = s["bundles"][0]["artifacts"].as_array().unwrap();
    for a in arts_custody.iter().filter(|a| a["path"].as_str().unwrap().starts_with("blobs/")) {
        assert!(a["note"].as_str().unwrap().starts_with("blob of the OCI layout at the bundle root"), "{a}");
        assert!(!a["kind"].as_str().unwrap().ends_with("-log"), "{a}");
    }
    assert!(s["bundles"][0]["log_hits"].as_array().unwrap().is_empty());
    // No artifact digest is also an image.
    for a in arts {
        assert!(images.iter().all(|i| i["manifest_digest"] != a["manifest_digest"]));
    }
    // The layout whose image blobs live elsewhere: only artifacts are local; said so once,
    // not as "no image manifests" beside "missing".
    let (v, _) = run_json(&["layers", &fixture("regclient/testdata/external")]);
    let msgs: Vec<&str> =
        v["diagnostics"].as_array().unwrap().iter().map(|d| d["message"].as_str().unwrap()).collect();
    assert!(!msgs.iter().any(|m| m.contains("lists no image manifests")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("only OCI artifacts")), "{msgs:?}");
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn engine_api_container_listing_is_a_ps_listing_not_inspect() {
    let data = "watchtower/pkg/container/mocks/data";
    let (v, _) = run_json(&["scan", &fixture(&format!("{data}/containers.json"))]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "ps");
    assert_eq!(b["containers"].as_array().unwrap().len(), 0, "a listing makes no inspect containers");
    assert_eq!(b["findings"].as_array().unwrap().len(), 0, "{:#}", b["findings"]);
    let rows = b["ps"].as_array().unwrap();
    let got: Vec<(&str, &str)> =
        rows.iter().map(|r| (r["names"][0].as_str().unwrap(), r["state"].as_str().unwrap())).collect();
    assert_eq!(
        got,
        [
            ("watchtower-stopped", "exited"),
            ("watchtower-running", "running"),
            ("portainer", "running"),
            ("portainer", "restarting")
        ]
    );
    assert_eq!(rows[2]["ports"][0]["host_port"], "9000");
    assert_eq!(rows[0]["created_at"], "2019-04-10T19:51:22.000000000Z");
    // The inspect bodies beside it stay inspect, one container each, with their state.
    for (file, running) in [("container_running.json", true), ("container_stopped.json", false)] {
        let (v, _) = run_json(&["scan", &fixture(&format!("{data}/{file}"))]);
        let b = &v["bundles"][0];
        assert_eq!(b["artifacts"][0]["kind"], "inspect", "{file}");
        assert_eq!(b["containers"].as_array().unwrap().len(), 1, "{file}");
        assert_eq!(b["containers"][0]["state"]["running"], running, "{file}");
    }
    let (v, _) = run_json(&["scan", &fixture(&format!("{data}/image_running.json"))]);
    assert_eq!(v["bundles"][0]["image_objects"].as_array().unwrap().len(), 1);
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn standalone_image_configs_give_history_and_facts() {
    // plaso's v1 layer JSON (Docker 1.8 `graph/<id>/json`): one step, at plaso's expected time.
    let p = fixture(
        "plaso/test_data/docker/graph/3c9a9d7cc6a235eb2de58ca9ef3551c67ae42a991933ba4958d207b29142902b/json",
    );
    let (v, _) = run_json(&["scan", &p]);
    let b = &v["bundles"][0];
    assert_eq!(b["artifacts"][0]["kind"], "image-config");
    let ev = &b["timeline"][0];
    assert_eq!(ev["kind"], "image-history");
    assert!(ev["time"].as_str().unwrap().starts_with("2015-10-12T17:27:03.079273"));
    assert!(ev["message"]
        .as_str()
        .unwrap()
        .contains("sed -i 's/^#\\s*\\(deb.*universe\\)$/\\1/g' /etc/apt/sources.list"));
    assert!(b["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "image.config"));
    // A config blob from an OCI layout, given alone: its history steps are on the timeline.
    let blob = fixture(
        "go-containerregistry/pkg/v1/layout/testdata/test_index/blobs/sha256/6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e",
    );
    let (v, _) = run_json(&["scan", &blob]);
    let b = &v["bundles"][0];
    assert_eq!(b["image_objects"][0]["source"], "image-config");
    assert_eq!(
        b["image_objects"][0]["id"],
        "sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e"
    );
    assert!(!b["timeline"].as_array().unwrap().is_empty());
    // Inside its layout directory the same blob is read with the image, not a second time.
    let (v, _) = run_json(&["scan", &fixture("go-containerregistry/pkg/v1/layout/testdata/test_index")]);
    let b = &v["bundles"][0];
    assert!(b["image_objects"].as_array().unwrap().is_empty(), "{:#}", b["image_objects"]);
}

/// Copy fixtures (by their path under fixtures/) into a fresh bundle directory.
fn bundle_of(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let name = f.rsplit('/').next().unwrap();
        std::fs::copy(fixture(f), dir.path().join(name)).unwrap();
    }
    dir
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn a_flat_tar_is_paired_with_an_image_only_on_evidence() {
    // dive's `type=tar` output beside unrelated images: no base, and why.
    let dir = bundle_of(&[
        "dive/.data/test-uncompressed-image.tar",
        "go-containerregistry/pkg/v1/mutate/testdata/whiteout_image.tar",
        "go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar",
        "go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar",
    ]);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    assert!(b["container_changes"].is_null(), "{:#}", b["container_changes"]);
    let msgs: Vec<&str> =
        b["diagnostics"].as_array().unwrap().iter().map(|d| d["message"].as_str().unwrap()).collect();
    assert!(
        msgs.iter().any(|m| m.starts_with("no base image for the export") && m.contains("threshold 50%")),
        "{msgs:?}"
    );
    assert!(!b["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "file.timestomp"));
    // Beside the image it was built as (same README.md), the share pairs them; the file the
    // export holds unchanged (mtime rounded by one second) is no timestomping.
    let dir = bundle_of(&[
        "dive/.data/test-uncompressed-image.tar",
        "dive/.data/test-oci-gzip-image.tar",
        "go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar",
    ]);
    let (v, _) = run_json(&["scan", dir.path().to_str().unwrap()]);
    let b = &v["bundles"][0];
    let d = b["container_changes"]["base"]["description"].as_str().unwrap();
    assert!(d.contains("100.0% (1 of 1 files)"), "{d}");
    assert!(
        b["findings"].as_array().unwrap().iter().all(|f| f["rule"] != "file.timestomp"),
        "{:#}",
        b["findings"]
    );
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn apache_and_nginx_error_log_times() {
    let hub = |f: &str| fixture(&format!("crowdsec-hub/.tests/{f}"));
    let times = |f: &str| -> Vec<(u64, Option<String>)> {
        let (v, _) = run_json(&["logs", &hub(f)]);
        v["bundles"][0]["log_hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["locator"]["line"].as_u64().unwrap(), h["time"].as_str().map(String::from)))
            .collect()
    };
    // Apache 2.4 error_log `[Fri Oct 08 17:08:41.203277 2021] [core:error] ...`.
    let t = times("apache-cve-2021-41773/apache-cve-2021-41773.log");
    assert_eq!(t[0], (1, Some("2021-10-08T17:08:41.203277000Z".to_string())));
    // nginx error.log `2021/11/18 08:34:27 [error] ...` (ModSecurity on nginx).
    let t = times("modsecurity-nginx/modsecurity-nginx.log");
    assert_eq!(t[0], (1, Some("2021-11-18T08:34:27.000000000Z".to_string())));
    assert!(times("modsecurity-logs/modsecurity-logs.log").iter().all(|(_, t)| t.is_some()));
}

/// (path under ../shared, kind) of every file the scan of `dir` lists.
fn scanned_kinds(dir: &str) -> Vec<(String, String)> {
    let (v, _) = run_json(&["scan", shared(dir).to_str().unwrap(), "--quiet"]);
    v["bundles"][0]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (format!("{dir}/{}", a["path"].as_str().unwrap()), a["kind"].as_str().unwrap().to_string()))
        .collect()
}

/// The log framing of a file's first non-empty line, judged here independently of the
/// sniffer: json-file records, CRI lines, `docker logs -t` nanosecond UTC stamps, or text.
fn framing(first: &str) -> &'static str {
    let mut w = first.splitn(4, ' ');
    let (a, b, c) = (w.next().unwrap_or(""), w.next().unwrap_or(""), w.next().unwrap_or(""));
    let rfc3339 = a.len() >= 20 && a.as_bytes().get(10) == Some(&b'T') && a.as_bytes().get(4) == Some(&b'-');
    if first.starts_with("{\"log\":") {
        "json-file-log"
    } else if rfc3339 && matches!(b, "stdout" | "stderr") && matches!(c, "P" | "F") {
        "cri-log"
    } else if rfc3339 && a.ends_with('Z') && a.split_once('.').is_some_and(|(_, f)| f.len() >= 8) {
        "docker-logs-timestamped"
    } else {
        "text-log"
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn every_shared_file_has_its_kind() {
    let want: Vec<(String, String)> =
        std::fs::read_to_string(crate::util::root().join("tests/data/shared_kinds.tsv"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (p, k) = l.split_once('\t').unwrap();
                (p.to_string(), k.to_string())
            })
            .collect();
    let mut got = scanned_kinds("fixtures");
    got.extend(scanned_kinds("corpus"));
    // Every file on disk is listed, once.
    let mut on_disk = vec![];
    for top in ["fixtures", "corpus"] {
        for e in walkdir::WalkDir::new(shared(top)).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(shared("")).unwrap().to_str().unwrap().to_string();
                on_disk.push(rel.trim_start_matches('/').to_string());
            }
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = want.iter().map(|(p, _)| p.clone()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "tests/data/shared_kinds.tsv must list every shared file");
    let wrong: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("{}: want {}, got {} ({})", w.0, w.1, g.1, g.0))
        .collect();
    assert_eq!(want.len(), got.len());
    assert!(wrong.is_empty(), "{} file(s) sniffed differently:\n{}", wrong.len(), wrong.join("\n"));
    // No log is labelled as another log kind: each log's framing, judged here from its first
    // line, is the kind it got. Per-kind agreement is printed (the figures in README).
    let mut per_kind: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for (path, kind) in &got {
        let is_log =
            matches!(kind.as_str(), "json-file-log" | "cri-log" | "docker-logs-timestamped" | "text-log");
        let e = per_kind.entry(kind.clone()).or_default();
        e.1 += 1;
        if !is_log {
            e.0 += 1;
            continue;
        }
        let raw = std::fs::read(shared(path)).unwrap();
        let text = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut s).unwrap();
            s
        } else {
            String::from_utf8_lossy(&raw).into_owned()
        };
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        assert_eq!(framing(first), kind, "{path}: first line {first:?}");
        e.0 += 1;
    }
    for (k, (ok, n)) in &per_kind {
        eprintln!("sniffing: {k:<24} {ok}/{n}");
    }
    // The fixtures whose kind the origin projects state.
    let kind_of = |p: &str| got.iter().find(|(g, _)| g == p).map(|(_, k)| k.as_str()).unwrap();
    assert_eq!(kind_of("fixtures/crowdsec-hub/.tests/cri-logs/cri-logs.log"), "cri-log");
    assert_eq!(
        kind_of("fixtures/plaso/test_data/docker/containers/e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c/container-json.log"),
        "json-file-log"
    );
    assert_eq!(kind_of("fixtures/watchtower/pkg/container/mocks/data/containers.json"), "ps");
    assert_eq!(kind_of("fixtures/regclient/testdata/testrepo/index.json"), "oci-manifest");
    assert_eq!(kind_of("fixtures/claircore/whiteout/testdata/whiteout.layer"), "layer-tar");
    // rsyslog-style and application RFC 3339 lines are text logs, not `docker logs -t`.
    assert_eq!(kind_of("fixtures/crowdsec-hub/.tests/dockge-bf/dockge.log"), "text-log");
    assert_eq!(kind_of("fixtures/log4shell-detector/tests/test-cases/test-shouldnt-match1.log"), "text-log");
}
