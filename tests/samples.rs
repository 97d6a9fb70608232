//! The bundled samples (`samples/`): the files match the SHA-256 table in `samples/README.md`,
//! and the evidence in each bundle is self-consistent (image manifest, config and layer
//! digests; `docker diff` and `docker export` against the image and its commit layer).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::root;

fn samples() -> PathBuf {
    root().join("samples")
}

fn hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// (relative path, size, sha256) rows of the README's `sha256-table` blocks.
fn readme_table() -> Vec<(String, u64, String)> {
    let text = std::fs::read_to_string(samples().join("README.md")).unwrap();
    let mut rows = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("<!-- sha256-table:") {
            inside = line.ends_with(":begin -->");
            continue;
        }
        if !inside || !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> =
            line.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`')).collect();
        assert_eq!(cells.len(), 3, "bad README row {line:?}");
        rows.push((cells[0].to_string(), cells[1].parse().unwrap(), cells[2].to_string()));
    }
    rows
}

fn files_under(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, base, out);
        } else {
            out.insert(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        }
    }
}

#[test]
fn readme_lists_every_sample_file_with_its_sha256() {
    let rows = readme_table();
    assert!(rows.len() >= 16, "README table too short: {rows:?}");
    let mut listed = BTreeSet::new();
    for (rel, size, sha) in &rows {
        let data = std::fs::read(samples().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(data.len() as u64, *size, "{rel}: size differs from README");
        assert_eq!(&hex(&data), sha, "{rel}: sha256 differs from README");
        listed.insert(rel.clone());
    }
    let mut on_disk = BTreeSet::new();
    for bundle in ["dvwa", "log4shell", "real"] {
        files_under(&samples().join(bundle), &samples(), &mut on_disk);
    }
    assert_eq!(on_disk, listed, "files on disk and files in the README table differ");
    // The synthesised bundles and the captures from real runtimes (samples/real/, tests in
    // real_samples.rs) each have a size budget.
    let (real, synthesised): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.0.starts_with("real/"));
    let total: u64 = synthesised.iter().map(|r| r.1).sum();
    assert!(total < 3 * 1024 * 1024, "samples grew to {total} bytes");
    let total: u64 = real.iter().map(|r| r.1).sum();
    assert!(total < 4 * 1024 * 1024, "real captures grew to {total} bytes");
}

/// One tar member: type (`d`, `f`, `l` symlink, `h` hard link), content, mode, mtime, link.
#[derive(Clone, Debug)]
struct Member {
    kind: char,
    data: Vec<u8>,
    mode: u32,
    mtime: u64,
    link: String,
}

/// All members of a tar, in order, as (path without `./` and trailing `/`, member).
fn read_tar(data: &[u8]) -> Vec<(String, Member)> {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(data);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let path = path.trim_start_matches("./").trim_end_matches('/').to_string();
        let h = e.header();
        let kind = match h.entry_type() {
            tar::EntryType::Directory => 'd',
            tar::EntryType::Symlink => 'l',
            tar::EntryType::Link => 'h',
            tar::EntryType::Regular => 'f',
            other => panic!("unexpected entry type {other:?} for {path}"),
        };
        let (mode, mtime) = (h.mode().unwrap(), h.mtime().unwrap());
        let link =
            e.link_name_bytes().map(|l| String::from_utf8(l.into_owned()).unwrap()).unwrap_or_default();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.push((path, Member { kind, data, mode, mtime, link }));
    }
    out
}

/// The contents of a tar's members by path.
fn members(data: &[u8]) -> BTreeMap<String, Vec<u8>> {
    read_tar(data).into_iter().map(|(p, m)| (p, m.data)).collect()
}

fn json(data: &[u8]) -> Value {
    serde_json::from_slice(data).unwrap()
}

type View = BTreeMap<String, Member>;

/// Apply one layer (OCI whiteouts: `.wh.NAME`, `.wh..wh..opq`) to a merged view.
fn apply(view: &mut View, layer: &[(String, Member)]) {
    let under = |p: &str, dir: &str| p.starts_with(&format!("{dir}/"));
    for (path, _) in layer {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        if name == ".wh..wh..opq" {
            view.retain(|p, _| !under(p, dir));
        } else if let Some(victim) = name.strip_prefix(".wh.") {
            let victim = if dir.is_empty() { victim.to_string() } else { format!("{dir}/{victim}") };
            view.retain(|p, _| p != &victim && !under(p, &victim));
        }
    }
    for (path, m) in layer {
        if !path.rsplit('/').next().unwrap().starts_with(".wh.") {
            view.insert(path.clone(), m.clone());
        }
    }
}

/// An image read from a `docker save` archive (every digest checked on the way).
struct Image {
    /// `sha256:` + digest of the config (the image id).
    id: String,
    /// Uncompressed layer tars, bottom first.
    layers: Vec<Vec<u8>>,
    config: Value,
}

/// Read and check a legacy (Docker < 25) archive: config named by its digest, v1 dirs, tags.
fn check_legacy(path: &Path) -> Image {
    let all = members(&std::fs::read(path).unwrap());
    let manifest = json(&all["manifest.json"]);
    let m = &manifest[0];
    let config_name = m["Config"].as_str().unwrap();
    let config_bytes = &all[config_name];
    assert_eq!(format!("{}.json", hex(config_bytes)), config_name, "config file name is its digest");
    let config = json(config_bytes);
    let layer_paths: Vec<&str> =
        m["Layers"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    let layers: Vec<Vec<u8>> = layer_paths.iter().map(|p| all[*p].clone()).collect();
    for p in &layer_paths {
        let dir = p.trim_end_matches("/layer.tar");
        assert_eq!(all[&format!("{dir}/VERSION")], b"1.0");
        assert_eq!(json(&all[&format!("{dir}/json")])["id"], dir, "v1 json id matches its directory");
    }
    let repos = json(&all["repositories"]);
    let top = layer_paths.last().unwrap().trim_end_matches("/layer.tar");
    assert_eq!(repos["ir-evidence/dvwa"]["2026-11-27"], top);
    assert_eq!(m["RepoTags"][0], "ir-evidence/dvwa:2026-11-27");
    Image { id: format!("sha256:{}", hex(config_bytes)), layers, config }
}

/// Read and check a Docker 25+ archive: index -> manifest -> config/layers, every blob named
/// by its digest, the legacy manifest.json pointing at the same blobs.
fn check_oci(path: &Path) -> Image {
    let all = members(&std::fs::read(path).unwrap());
    let blob = |digest: &str| -> &Vec<u8> {
        let hexd = digest.strip_prefix("sha256:").unwrap();
        let data = &all[&format!("blobs/sha256/{hexd}")];
        assert_eq!(hex(data), hexd, "blob {digest} content matches its name");
        data
    };
    assert_eq!(json(&all["oci-layout"])["imageLayoutVersion"], "1.0.0");
    let index = json(&all["index.json"]);
    let desc = &index["manifests"][0];
    assert_eq!(
        desc["annotations"]["io.containerd.image.name"],
        "docker.io/ir-evidence/log4shell-app:2026-11-27"
    );
    let man_bytes = blob(desc["digest"].as_str().unwrap());
    assert_eq!(desc["size"].as_u64().unwrap(), man_bytes.len() as u64);
    let man = json(man_bytes);
    assert_eq!(man["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    let config_bytes = blob(man["config"]["digest"].as_str().unwrap());
    assert_eq!(man["config"]["size"].as_u64().unwrap(), config_bytes.len() as u64);
    let mut layers = Vec::new();
    for l in man["layers"].as_array().unwrap() {
        assert_eq!(
            l["mediaType"], "application/vnd.oci.image.layer.v1.tar",
            "layers are written uncompressed"
        );
        let data = blob(l["digest"].as_str().unwrap());
        assert_eq!(l["size"].as_u64().unwrap(), data.len() as u64);
        layers.push(data.clone());
    }
    // The legacy manifest.json points at the same blobs, with LayerSources for each.
    let legacy = json(&all["manifest.json"]);
    let lm = &legacy[0];
    assert_eq!(lm["Config"], format!("blobs/sha256/{}", hex(config_bytes)));
    let digests: Vec<String> =
        man["layers"].as_array().unwrap().iter().map(|l| l["digest"].as_str().unwrap().to_string()).collect();
    let paths: Vec<String> = digests.iter().map(|d| format!("blobs/sha256/{}", &d[7..])).collect();
    assert_eq!(
        lm["Layers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>(),
        paths
    );
    for (d, l) in digests.iter().zip(man["layers"].as_array().unwrap()) {
        assert_eq!(&lm["LayerSources"][d], l);
    }
    let repos = json(&all["repositories"]);
    assert_eq!(repos["ir-evidence/log4shell-app"]["2026-11-27"], &digests.last().unwrap()[7..]);
    // Docker 25+ still writes each layer's legacy v1 json as a blob nobody references.
    let referenced: BTreeSet<String> = digests
        .iter()
        .chain(
            [
                desc["digest"].as_str().unwrap().to_string(),
                man["config"]["digest"].as_str().unwrap().to_string(),
            ]
            .iter(),
        )
        .map(|d| format!("blobs/sha256/{}", &d[7..]))
        .collect();
    let orphans: Vec<Value> = all
        .iter()
        .filter(|(p, _)| p.starts_with("blobs/sha256/") && !referenced.contains(*p))
        .map(|(p, data)| {
            assert_eq!(hex(data), p["blobs/sha256/".len()..], "blob {p} content matches its name");
            json(data)
        })
        .collect();
    assert_eq!(orphans.len(), digests.len(), "one v1 json blob per layer");
    assert!(orphans.iter().all(|v| v["id"].as_str().is_some_and(|id| id.len() == 64)));
    Image { id: format!("sha256:{}", hex(config_bytes)), layers, config: json(config_bytes) }
}

/// diff_ids, history alignment and the commit step, common to both archive layouts.
fn check_config(img: &Image, created_by: &str) {
    let diff_ids: Vec<&str> =
        img.config["rootfs"]["diff_ids"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    let computed: Vec<String> = img.layers.iter().map(|l| format!("sha256:{}", hex(l))).collect();
    assert_eq!(diff_ids, computed, "sha256 of each uncompressed layer = config rootfs.diff_ids");
    let history = img.config["history"].as_array().unwrap();
    let non_empty = history.iter().filter(|h| h["empty_layer"] != Value::Bool(true)).count();
    assert_eq!(non_empty, img.layers.len(), "one non-empty history entry per layer");
    assert!(history.iter().any(|h| h["empty_layer"] == Value::Bool(true)));
    let last = history.last().unwrap();
    assert_eq!(last["created_by"], created_by, "the commit layer's step is the container's command");
    assert!(last["comment"].as_str().unwrap().starts_with("IR-2026-1127"));
    assert_eq!(img.config["created"], last["created"]);
}

/// Runtime files of the init layer: in `docker export`, never in `docker diff`.
const RUNTIME: &[&str] = &[
    ".dockerenv",
    "dev/console",
    "dev/pts",
    "dev/shm",
    "etc/hostname",
    "etc/hosts",
    "etc/mtab",
    "etc/resolv.conf",
];

/// `docker diff` and `docker export` agree with the image below the commit layer and the
/// commit layer itself. `sockets`: paths docker diff reports that no tar can hold.
fn check_diff_and_export(bundle: &str, img: &Image, sockets: &[&str]) {
    let dir = samples().join(bundle);
    let layers: Vec<Vec<(String, Member)>> = img.layers.iter().map(|l| read_tar(l)).collect();
    let (commit, base_layers) = layers.split_last().unwrap();
    let mut base = View::new();
    for l in base_layers {
        apply(&mut base, l);
    }
    let image_created = base_layers.iter().flatten().map(|(_, m)| m.mtime).max().unwrap();

    // The diff as docker would print it, from the commit layer.
    let mut expected = Vec::new();
    for (path, _) in commit {
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        if let Some(victim) = name.strip_prefix(".wh.") {
            assert_ne!(victim, ".wh..opq", "no opaque dirs in the container layers");
            assert!(
                base.contains_key(&format!("{parent}/{victim}")),
                "whiteout of a missing {parent}/{victim}"
            );
            expected.push(format!("D /{parent}/{victim}"));
        } else {
            let change = if base.contains_key(path) { 'C' } else { 'A' };
            expected.push(format!("{change} /{path}"));
        }
    }
    let diff = std::fs::read_to_string(dir.join("diff.txt")).unwrap();
    let actual: Vec<String> = diff.lines().map(str::to_string).collect();
    let missing: Vec<&String> = actual.iter().filter(|l| !expected.contains(l)).collect();
    let allowed: Vec<String> = sockets.iter().map(|s| format!("A /{s}")).collect();
    assert_eq!(
        missing,
        allowed.iter().collect::<Vec<_>>(),
        "{bundle}: diff lines not explained by the commit layer"
    );
    let mut filtered = actual.clone();
    filtered.retain(|l| !allowed.contains(l));
    assert_eq!(filtered, expected, "{bundle}: diff.txt = the commit layer, in order");
    for line in &actual {
        assert!(!RUNTIME.iter().any(|r| line.ends_with(&format!(" /{r}"))), "runtime file in diff: {line}");
    }

    // The export is the merged view plus the init layer's runtime files.
    let mut merged = base.clone();
    apply(&mut merged, commit);
    let export = read_tar(&std::fs::read(dir.join("export.tar")).unwrap());
    let export: View = export.into_iter().collect();
    let extra: BTreeSet<&String> = export.keys().filter(|p| !merged.contains_key(*p)).collect();
    let runtime: BTreeSet<String> =
        RUNTIME.iter().filter(|r| !base.contains_key(**r)).map(|r| r.to_string()).collect();
    assert_eq!(extra, runtime.iter().collect(), "{bundle}: export adds exactly the runtime files");
    for r in &runtime {
        let m = &export[r];
        assert!(m.data.is_empty(), "{r} is an empty placeholder in the export");
    }
    for (path, m) in &merged {
        let e = export.get(path).unwrap_or_else(|| panic!("{bundle}: export lacks {path}"));
        assert_eq!((e.kind, &e.link, e.mode), (m.kind, &m.link, m.mode), "{bundle}: {path} type/link/mode");
        assert_eq!(hex(&e.data), hex(&m.data), "{bundle}: {path} content");
        if m.kind != 'd' {
            assert_eq!(e.mtime, m.mtime, "{bundle}: {path} mtime");
        }
    }
    for line in &actual {
        if let Some(p) = line.strip_prefix("D /") {
            assert!(!export.contains_key(p), "{bundle}: deleted {p} still in export");
        }
    }
    // Timestomping evidence, when present, is real: a container-layer file older than the image.
    let stomped: Vec<&String> = commit
        .iter()
        .filter(|(p, m)| m.kind == 'f' && m.mtime < image_created && !p.contains("/.wh."))
        .map(|(p, _)| p)
        .collect();
    if bundle == "dvwa" {
        assert_eq!(stomped, ["etc/cron.d/php-sess-clean"]);
    } else {
        // Jasper gives generated sources the JSP's mtime: old but benign (see samples/README.md).
        let jsp = "usr/local/tomcat/work/Catalina/localhost/ROOT/org/apache/jsp/index_jsp";
        assert_eq!(stomped, [&format!("{jsp}.class"), &format!("{jsp}.java")]);
    }
}

/// The ids the README's story quotes are the ones in the evidence.
fn check_readme_ids(bundle: &str, img: &Image) {
    let readme = std::fs::read_to_string(samples().join("README.md")).unwrap();
    let inspect = json(&std::fs::read(samples().join(bundle).join("inspect.json")).unwrap());
    for id in [inspect[0]["Id"].as_str().unwrap(), inspect[0]["Image"].as_str().unwrap(), &img.id] {
        assert!(readme.contains(id), "samples/README.md does not quote {bundle}'s {id}");
    }
    let lines = std::fs::read_to_string(samples().join(bundle).join("diff.txt")).unwrap().lines().count();
    assert!(readme.contains(&format!("**Diff** ({lines} entries)")), "README's {bundle} diff count");
}

#[test]
fn dvwa_image_diff_and_export_are_consistent() {
    let img = check_legacy(&samples().join("dvwa/image.tar"));
    check_config(&img, "/main.sh");
    check_readme_ids("dvwa", &img);
    check_diff_and_export("dvwa", &img, &["run/mysqld/mysqld.sock"]);
}

#[test]
fn log4shell_image_diff_and_export_are_consistent() {
    let img = check_oci(&samples().join("log4shell/image.tar"));
    check_config(&img, "catalina.sh run");
    check_readme_ids("log4shell", &img);
    check_diff_and_export("log4shell", &img, &[]);
}

/// The container's inspect agrees with ps/top, stats and logs of the same bundle.
#[test]
fn inspect_agrees_with_the_other_artifacts() {
    for (bundle, name, pid, ip) in
        [("dvwa", "/dvwa", 23118, "172.17.0.2"), ("log4shell", "/log4shell-app", 84010, "172.17.0.3")]
    {
        let dir = samples().join(bundle);
        let inspect = json(&std::fs::read(dir.join("inspect.json")).unwrap());
        let c = &inspect[0];
        assert_eq!(c["Name"], name);
        assert_eq!(c["State"]["Pid"], pid);
        assert_eq!(c["NetworkSettings"]["IPAddress"], ip);
        assert_eq!(c["NetworkSettings"]["Networks"]["bridge"]["IPAddress"], ip);
        let id = c["Id"].as_str().unwrap();
        let top = std::fs::read_to_string(dir.join("top.txt")).unwrap();
        let root = top.lines().nth(1).unwrap();
        assert_eq!(
            root.split_whitespace().nth(1).unwrap(),
            pid.to_string(),
            "{bundle}: top's first process is State.Pid"
        );
        let stats = std::fs::read_to_string(dir.join("stats.txt")).unwrap();
        assert!(stats.contains(&id[..12]), "{bundle}: stats names the container id");
        let log_name = format!("{id}-json.log");
        assert!(c["LogPath"].as_str().unwrap().ends_with(&log_name));
    }
    assert!(samples().join("dvwa/logs").join(format!("{}-json.log", dvwa_id())).exists());
}

fn dvwa_id() -> String {
    let inspect = json(&std::fs::read(samples().join("dvwa/inspect.json")).unwrap());
    inspect[0]["Id"].as_str().unwrap().to_string()
}

/// json-file logs: one compact object per line; long lines split into 16 KiB partial records
/// (all but the last without a newline); `docker logs -t` holds the same messages.
#[test]
fn json_file_logs_are_well_formed_and_match_docker_logs_t() {
    let dvwa = std::fs::read_to_string(samples().join(format!("dvwa/logs/{}-json.log", dvwa_id()))).unwrap();
    let mut partials = 0;
    for line in dvwa.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let log = v["log"].as_str().unwrap();
        if !log.ends_with('\n') {
            assert_eq!(log.len(), 16 * 1024, "partial records are exactly 16 KiB");
            partials += 1;
        }
        assert!(
            !line.contains('<') && !line.contains('>') && !line.contains('&'),
            "Go escapes <>& in json-file"
        );
    }
    assert!(partials >= 1, "the dvwa log carries a line over 16 KiB");

    let l4s = std::fs::read_to_string(samples().join("log4shell/container.log")).unwrap();
    let t = std::fs::read_to_string(samples().join("log4shell/docker-logs-t.txt")).unwrap();
    let mut rebuilt = String::new();
    for line in l4s.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let time = v["time"].as_str().unwrap();
        // RFC3339Nano (trimmed) in the file; RFC3339NanoFixed (9 digits) in `docker logs -t`.
        let (secs, frac) =
            time.trim_end_matches('Z').split_once('.').unwrap_or((time.trim_end_matches('Z'), ""));
        assert!(frac.is_empty() || !frac.ends_with('0'), "Go trims trailing zeros: {time}");
        rebuilt.push_str(&format!("{secs}.{frac:0<9}Z {}", v["log"].as_str().unwrap()));
    }
    assert_eq!(rebuilt, t);
    // The example samples/README.md gives of the two time formats is in the files.
    assert!(l4s.contains("\"time\":\"2026-11-27T14:19:42.13101111Z\""));
    assert!(t.contains("\n2026-11-27T14:19:42.131011110Z "));
}
