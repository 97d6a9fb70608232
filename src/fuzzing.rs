//! Entry points for the cargo-fuzz targets in `fuzz/` (not a stable API): each feeds raw
//! bytes to one parser the way a bundle would, through the same in-memory artifact a
//! compressed bundle archive's small members get. Nothing here touches the disk.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use crate::compression::detect_compression;
use crate::content::Inspector;
use crate::dataroot::intake::Trees;
use crate::evidence::{Artifact, ArtifactKind, ArtifactSource};
use crate::image::{self, ImageContext};
use crate::ingest::{diff, inspect, pslist, stats, top};
use crate::logscan::framing::{cri::Cri, journal::Journal, json_file::JsonFile, local::Local, text::Text};
use crate::logscan::{self, decode, Engine, ScanConfig};
use crate::model::Locator;

/// An artifact of `kind` at `path` whose bytes are `data` (compression sniffed).
pub fn artifact(path: &str, kind: ArtifactKind, data: &[u8]) -> Artifact {
    Artifact {
        path: path.to_string(),
        source: ArtifactSource::Memory(Arc::from(data)),
        kind,
        size: data.len() as u64,
        sha256: None,
        compression: detect_compression(data),
        error: None,
        note: None,
        mtime: None,
    }
}

fn inspector() -> &'static Inspector {
    static I: OnceLock<Inspector> = OnceLock::new();
    I.get_or_init(Inspector::new)
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::builtin().expect("built-in rules compile"))
}

/// A layer blob (plain, gzip, zstd tar), walked entry by entry, then applied to a tree.
pub fn layer(data: &[u8]) {
    let a = artifact("layer.tar", ArtifactKind::LayerTar, data);
    let mut out = crate::model::Outcome::default();
    let _ = image::load_layer_tar(&a, inspector(), &mut out);
    let _ = crate::layerscan::read_layer(data, Some(data.len() as u64), &a.locator(), inspector(), false);
}

/// A `docker save` / OCI archive built from fuzzed members, split at `\n--\n`:
/// `manifest.json`, `c.json` (a config), `l/layer.tar`, `index.json` (with `oci-layout`),
/// read through the whole image analysis.
pub fn image_archive(data: &[u8]) {
    let names = ["manifest.json", "c.json", "l/layer.tar", "index.json"];
    let mut parts: Vec<&[u8]> = vec![];
    let mut rest = data;
    while parts.len() < names.len() - 1 {
        match memchr::memmem::find(rest, b"\n--\n") {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + 4..];
            }
            None => break,
        }
    }
    parts.push(rest);
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, body: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        let _ = b.append_data(&mut h, name, body);
    };
    for (name, body) in names.iter().zip(&parts) {
        add(name, body);
    }
    if parts.len() == names.len() {
        add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    }
    let Ok(tar) = b.into_inner() else { return };
    let kind = if parts.len() == names.len() { ArtifactKind::OciArchive } else { ArtifactKind::DockerSave };
    let a = artifact("image.tar", kind, &tar);
    let _ = image::analyze_bundle(&[&a], &ImageContext::default(), None);
}

/// An image config blob, as the image loader and the inspect reader read it.
pub fn image_config(data: &[u8]) {
    let _ = image::parse_config(data);
    let _ = inspect::parse_image_config(&artifact("config.json", ArtifactKind::ImageConfig, data));
}

/// `docker inspect` JSON.
pub fn inspect(data: &[u8]) {
    let (doc, _) = inspect::parse_bytes(data, &Locator::artifact("inspect.json"));
    let _ = crate::analyze::exposure::audit(&doc.containers);
    let _ = inspect::timeline(&doc.containers);
}

/// A `docker top` / `ps` capture (text or API JSON), with its process lineage.
pub fn top(data: &[u8]) {
    let (capture, _) = top::parse(&artifact("top.txt", ArtifactKind::Top, data));
    let _ = crate::analyze::process::analyze(&capture);
    let _ = logscan::sigma::process_findings(&capture, engine().sigma());
}

/// The small captures, the first byte picking the parser: `docker stats` (table or JSON
/// lines), `docker diff` (text or the API's changes JSON), `docker ps` (table, JSON lines,
/// the API's JSON array).
pub fn captures(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else { return };
    let loc = Locator::artifact("capture.txt");
    match sel % 3 {
        0 => {
            let (rows, _) = stats::parse_reader(body, &loc);
            let _ = stats::findings(&rows);
        }
        1 => {
            let (rows, _) = diff::parse_reader(body, &loc);
            let mut out = crate::model::Outcome::default();
            image::evaluate_saved_diff(&rows, &mut out);
        }
        _ => {
            let _ = pslist::parse_reader(body, &loc);
            let _ = pslist::parse_api_listing(body, &loc);
        }
    }
}

/// A runtime sensor export, the first byte picking the reader (Tetragon, Falco alerts,
/// Sysmon for Linux, audit log); the rest is the export, read into processes, findings and
/// the lineage and Sigma process rules over them.
pub fn sensors(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else { return };
    let kind = match sel % 4 {
        0 => ArtifactKind::Tetragon,
        1 => ArtifactKind::FalcoAlerts,
        2 => ArtifactKind::Sysmon,
        _ => ArtifactKind::AuditLog,
    };
    let Some((observed, _)) = crate::sensor::read(&artifact("sensor.log", kind, body)) else { return };
    if let Some(capture) = observed.processes {
        let _ = crate::analyze::process::analyze(&capture);
        let _ = logscan::sigma::process_findings(&capture, engine().sigma());
    }
}

/// A sysdig / Falco capture (plain, or gzip when the bytes say so): read, replayed, its
/// rules run and its observations built.
pub fn scap(data: &[u8]) {
    let _ = crate::scap::parse(&artifact("capture.scap", ArtifactKind::Scap, data));
}

/// A log stream: the first byte picks the framing (text, json-file, CRI, journal export,
/// the `local` driver), the rest is the stream, scanned with the built-in rules and small
/// buffers so that record and buffer boundaries are crossed often.
pub fn log_stream(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else { return };
    let cfg = ScanConfig { buf_size: 256, max_record: 128, max_join: 1024, ..Default::default() };
    let loc = Locator::artifact("container.log");
    let format: &'static dyn logscan::framing::Framing = match sel % 5 {
        0 => &Text,
        1 => &JsonFile,
        2 => &Cri,
        3 => &Journal,
        _ => {
            let a = artifact("container.log", ArtifactKind::LocalLog, body);
            let _ =
                logscan::build_section(vec![logscan::artifact_scan(&a, &Local, engine(), &cfg)], engine());
            return;
        }
    };
    let scan = logscan::stream::scan_stream(body, format, engine(), &cfg, &loc, 0);
    let _ = logscan::build_section(vec![logscan::SourceScan { locator: loc, format, scan }], engine());
    let _ = logscan::scan_reader(Cursor::new(body), Locator::artifact("sniffed.log"), engine(), &cfg);
}

/// The Log4j lookup evaluator.
pub fn log4j(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = logscan::jndi::evaluate(&text);
    let _ = logscan::jndi::assembled_jndi(&text);
}

/// The decoders a candidate record goes through (URL, escapes, HTML entities, base64 command
/// payloads, JNDIExploit paths), the HTTP request parser and the IOC extractor.
pub fn decoders(data: &[u8]) {
    let _ = decode::url_decode_repeated(data, true);
    let _ = decode::unescape(data);
    let _ = decode::html_unescape(data);
    let n = decode::normalize(data, true);
    let _ = decode::may_be_encoded(data);
    let _ = decode::query_plus(data);
    let _ = decode::ifs_spaces(data);
    let _ = decode::base64_text(data);
    let _ = decode::shell_base64_payloads(&n);
    let text = String::from_utf8_lossy(&n);
    let _ = decode::jndiexploit_command(&text);
    let _ = logscan::http::parse(data);
    let _ = logscan::ioc::extract(data, &text, None, &[]);
    let _ = engine().evaluate(data);
}

/// The rule-file parser; rules that parse are compiled and run on the input as a record.
pub fn rules(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(rules) = logscan::rules::parse(&text, "fuzz") {
        if let Ok(engine) = Engine::new(rules) {
            let _ = engine.evaluate(data);
        }
    }
}

/// The Sigma loader (one YAML document or several).
pub fn sigma(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut set = logscan::sigma::SigmaSet::default();
    set.add_document("fuzz.yml", "fuzz.yml", &text);
    let _ = set.engine_rules();
}

/// A daemon data root holding one fuzzed file: the first byte picks which (Docker's
/// `repositories.json`, an imagedb config, a layer's `diff`/`parent`, a container's
/// `config.v2.json` / `hostconfig.json`, containers-storage `containers.json` / `images.json`
/// / `layers.json`, a Podman container's OCI spec `userdata/config.json`, libpod's bbolt
/// `bolt_state.db`, containerd's bbolt `meta.db`), the others are a minimal valid skeleton.
pub fn data_root(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else { return };
    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let targets = [
        "docker/image/overlay2/repositories.json".to_string(),
        format!("docker/image/overlay2/imagedb/content/sha256/{ID}"),
        format!("docker/image/overlay2/layerdb/sha256/{ID}/diff"),
        format!("docker/image/overlay2/layerdb/sha256/{ID}/cache-id"),
        format!("docker/containers/{ID}/config.v2.json"),
        format!("docker/containers/{ID}/hostconfig.json"),
        "storage/overlay-containers/containers.json".to_string(),
        "storage/overlay-images/images.json".to_string(),
        "storage/overlay-layers/layers.json".to_string(),
        format!("storage/overlay-containers/{ID}/userdata/config.json"),
        "storage/libpod/bolt_state.db".to_string(),
        "containerd/io.containerd.metadata.v1.bolt/meta.db".to_string(),
    ];
    let pick = &targets[sel as usize % targets.len()];
    // containers.json lists the container whose OCI spec (userdata/config.json) is fuzzed.
    let listed = format!(r#"[{{"id":"{ID}","names":["x"],"image":"{ID}","layer":"{ID}"}}]"#);
    let mut files: Vec<Artifact> = targets
        .iter()
        .filter(|t| *t != pick && !t.ends_with(".db"))
        .map(|t| match t.ends_with("containers.json") {
            true => artifact(t, ArtifactKind::RootFile, listed.as_bytes()),
            false => artifact(t, ArtifactKind::RootFile, b"[]"),
        })
        .collect();
    files.push(artifact(pick, ArtifactKind::RootFile, body));
    let _ = crate::dataroot::bolt::read(body);
    let mut diags = vec![];
    let _ = crate::dataroot::read(&files, &Trees::default(), &[], &mut diags);
}

/// One CRIU image file (`name` gives its kind: `core-1.img`, `mm-1.img`...) decoded entry by
/// entry, as JSON; Err when it is no CRIU image or an entry does not decode.
pub fn criu_image(name: &str, data: &[u8]) -> Result<serde_json::Value, String> {
    crate::checkpoint::dump::image_json(name, data)
}

/// A container checkpoint archive (tar, gzip or zstd) read as a scan reads it.
pub fn checkpoint(data: &[u8]) {
    let a = artifact("checkpoint.tar", ArtifactKind::Checkpoint, data);
    let _ = crate::checkpoint::read_archive(&a, engine(), None);
}
