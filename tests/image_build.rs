//! Building layer tars and image archives in test code (tar::Builder + GzEncoder), for the
//! image tests: edge cases real archives rarely show.
#![allow(dead_code)]

use std::io::Write;

use sha2::{Digest, Sha256};

/// Default mtime of built entries (2020-09-13T12:26:40Z).
pub const MTIME: u64 = 1_600_000_000;

/// Lower-case sha256 hex.
pub fn sha(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Append a regular member (archive metadata or blob) to an archive under construction.
pub fn member(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, name, data).unwrap();
}

/// gzip `data`.
pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A layer tar under construction.
pub struct Layer {
    b: tar::Builder<Vec<u8>>,
}

impl Default for Layer {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer {
    pub fn new() -> Self {
        Layer { b: tar::Builder::new(Vec::new()) }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    pub fn file(self, path: &str, data: &[u8]) -> Self {
        self.file_with(path, data, 0o644, MTIME)
    }

    pub fn file_with(mut self, path: &str, data: &[u8], mode: u32, mtime: u64) -> Self {
        let mut h = Self::header(tar::EntryType::Regular, mode, data.len() as u64, mtime);
        self.b.append_data(&mut h, path, data).unwrap();
        self
    }

    pub fn dir(mut self, path: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Directory, 0o755, 0, MTIME);
        self.b.append_data(&mut h, path, &[][..]).unwrap();
        self
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0, MTIME);
        self.b.append_link(&mut h, path, target).unwrap();
        self
    }

    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Link, 0o755, 0, MTIME);
        self.b.append_link(&mut h, path, target).unwrap();
        self
    }

    /// A character device with these numbers.
    pub fn char_device(mut self, path: &str, major: u32, minor: u32) -> Self {
        let mut h = Self::header(tar::EntryType::Char, 0o666, 0, MTIME);
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        self.b.append_data(&mut h, path, &[][..]).unwrap();
        self
    }

    /// A PAX extended header (`x`) with these records, then a file.
    pub fn pax_file(mut self, records: &[(&str, &str)], path: &str, data: &[u8]) -> Self {
        let mut body = Vec::new();
        for (k, v) in records {
            let rest = format!(" {k}={v}\n");
            let mut len = rest.len() + 1;
            while format!("{len}{rest}").len() != len {
                len += 1;
            }
            body.extend_from_slice(format!("{len}{rest}").as_bytes());
        }
        let mut h = Self::header(tar::EntryType::XHeader, 0o644, body.len() as u64, MTIME);
        h.as_old_mut().name[..9].copy_from_slice(b"PaxHeader");
        h.set_cksum();
        self.b.append(&h, &body[..]).unwrap();
        let mut h = Self::header(tar::EntryType::Regular, 0o644, data.len() as u64, MTIME);
        self.b.append_data(&mut h, path, data).unwrap();
        self
    }

    /// A member whose name bytes are written as given (e.g. with `..`), bypassing checks.
    pub fn raw_name(mut self, name: &[u8], data: &[u8]) -> Self {
        let mut h = Self::header(tar::EntryType::Regular, 0o644, data.len() as u64, MTIME);
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_cksum();
        self.b.append(&h, data).unwrap();
        self
    }

    pub fn build(self) -> Vec<u8> {
        self.b.into_inner().unwrap()
    }
}

/// One history step.
#[derive(Clone)]
pub struct Step {
    pub created: &'static str,
    pub created_by: String,
    pub comment: &'static str,
    pub empty: bool,
}

/// A step that made a layer.
pub fn step(created: &'static str, created_by: &str) -> Step {
    Step { created, created_by: created_by.into(), comment: "", empty: false }
}

/// An image under construction.
#[derive(Clone, Default)]
pub struct Image {
    /// (blob as stored, decoded tar)
    pub layers: Vec<(Vec<u8>, Vec<u8>)>,
    pub history: Vec<Step>,
    pub cmd: Vec<String>,
    pub tag: String,
    pub created: String,
    /// Replace the config's diff_ids (tampering tests).
    pub diff_ids: Option<Vec<String>>,
}

impl Image {
    pub fn new(tag: &str) -> Self {
        Image {
            tag: tag.into(),
            created: "2026-01-01T00:00:00Z".into(),
            cmd: vec!["/bin/sh".into()],
            ..Default::default()
        }
    }

    /// Add a plain layer made by `s`.
    pub fn layer(mut self, tar: Vec<u8>, s: Step) -> Self {
        self.layers.push((tar.clone(), tar));
        self.history.push(s);
        self
    }

    /// Add a gzip layer made by `s`.
    pub fn gz_layer(mut self, tar: Vec<u8>, s: Step) -> Self {
        self.layers.push((gz(&tar), tar));
        self.history.push(s);
        self
    }

    pub fn config(&self) -> String {
        let ids: Vec<String> = match &self.diff_ids {
            Some(d) => d.clone(),
            None => self.layers.iter().map(|(_, t)| format!("sha256:{}", sha(t))).collect(),
        };
        let history: Vec<serde_json::Value> = self
            .history
            .iter()
            .map(|h| {
                let mut v = serde_json::json!({"created": h.created, "created_by": h.created_by});
                if !h.comment.is_empty() {
                    v["comment"] = h.comment.into();
                }
                if h.empty {
                    v["empty_layer"] = true.into();
                }
                v
            })
            .collect();
        serde_json::json!({
            "architecture": "amd64", "os": "linux", "created": self.created,
            "config": {"Cmd": self.cmd},
            "rootfs": {"type": "layers", "diff_ids": ids},
            "history": history,
        })
        .to_string()
    }

    /// A legacy `docker save`: `<n>/layer.tar` (plain) or `<hex>.tar.gz` (gzip) members.
    pub fn docker_save(&self) -> Vec<u8> {
        let config = self.config();
        let config_name = format!("{}.json", sha(config.as_bytes()));
        let mut names = vec![];
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8]| member(&mut b, name, data);
        for (i, (blob, tar)) in self.layers.iter().enumerate() {
            let name = if blob == tar {
                format!("{:064x}/layer.tar", i + 1)
            } else {
                format!("{}.tar.gz", sha(blob))
            };
            add(&name, blob);
            names.push(name);
        }
        add(&config_name, config.as_bytes());
        let manifest = serde_json::json!([{"Config": config_name, "RepoTags": [self.tag], "Layers": names}]);
        add("manifest.json", manifest.to_string().as_bytes());
        b.into_inner().unwrap()
    }
}

/// A flat filesystem tar (`docker export`) of these entries.
pub fn export(layer: Layer) -> Vec<u8> {
    layer.build()
}

impl Image {
    /// The files of the OCI image layout: the config, the manifest and each layer as
    /// (`blobs/sha256/<hex>`, bytes) in that order, then `index.json` and `oci-layout`.
    pub fn oci_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = vec![];
        let mut put = |data: &[u8]| -> serde_json::Value {
            let h = sha(data);
            files.push((format!("blobs/sha256/{h}"), data.to_vec()));
            serde_json::json!({"digest": format!("sha256:{h}"), "size": data.len()})
        };
        let mut config = put(self.config().as_bytes());
        config["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
        let layers: Vec<serde_json::Value> = self
            .layers
            .iter()
            .map(|(blob, tar)| {
                let mut d =
                    serde_json::json!({"digest": format!("sha256:{}", sha(blob)), "size": blob.len()});
                d["mediaType"] = if blob == tar {
                    "application/vnd.oci.image.layer.v1.tar"
                } else {
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                }
                .into();
                d
            })
            .collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config, "layers": layers,
        });
        let mut desc = put(manifest.to_string().as_bytes());
        for (blob, _) in &self.layers {
            put(blob);
        }
        desc["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
        desc["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": self.tag});
        let index = serde_json::json!({"schemaVersion": 2, "manifests": [desc]});
        files.push(("index.json".into(), index.to_string().into_bytes()));
        files.push(("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()));
        files
    }

    /// The OCI image layout as a directory (`skopeo copy ... oci:DIR`): `oci-layout`,
    /// `index.json`, `blobs/sha256/<hex>` for the manifest, the config and each layer.
    pub fn oci_dir(&self, dir: &std::path::Path) {
        for (name, data) in self.oci_files() {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        }
    }

    /// The OCI image layout as a tar (`podman save --format oci-archive`: no
    /// `manifest.json`), members in [`Image::oci_files`] order, those `keep` refuses left out.
    pub fn oci_archive(&self, keep: impl Fn(&str) -> bool) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in self.oci_files().iter().filter(|(n, _)| keep(n)) {
            member(&mut b, name, data);
        }
        b.into_inner().unwrap()
    }

    /// A pre-Docker-1.10 `docker save` (v1 layout): `repositories` and `<id>/{VERSION,json,
    /// layer.tar}` per layer (plain tars), each json naming its `parent`. Members are written
    /// top layer first so that order in the tar says nothing.
    pub fn docker_save_v1(&self) -> Vec<u8> {
        let ids: Vec<String> = (0..self.layers.len()).map(|i| format!("{:064x}", 0xabc0 + i)).collect();
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8]| member(&mut b, name, data);
        for i in (0..self.layers.len()).rev() {
            let mut json = serde_json::json!({
                "id": ids[i], "created": self.history[i].created, "os": "linux",
                "architecture": "amd64",
                "container_config": {"Cmd": ["/bin/sh", "-c", self.history[i].created_by]},
                "config": {"Cmd": self.cmd},
            });
            if i > 0 {
                json["parent"] = ids[i - 1].clone().into();
            }
            add(&format!("{}/VERSION", ids[i]), b"1.0");
            add(&format!("{}/json", ids[i]), json.to_string().as_bytes());
            add(&format!("{}/layer.tar", ids[i]), &self.layers[i].1);
        }
        let (repo, tag) = self.tag.split_once(':').unwrap_or((&self.tag, "latest"));
        let top = ids.last().cloned().unwrap_or_default();
        add("repositories", serde_json::json!({repo: {tag: top}}).to_string().as_bytes());
        b.into_inner().unwrap()
    }
}
