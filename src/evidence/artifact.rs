//! One piece of evidence: where it lives, what it is, its custody hash, and read-only access.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::compression::{decoder, Compression, DecodeLimits};
use crate::model::Locator;

/// What an artifact is, decided from its content (the name only breaks ties).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// `docker save` archive (legacy layout, or Docker 25+ hybrid with `manifest.json`).
    DockerSave,
    /// OCI image layout archive without `manifest.json` (podman/skopeo/buildx oci output).
    OciArchive,
    /// `docker export` or any flat filesystem tar.
    FilesystemTar,
    /// A single image layer tar (has whiteouts, no image metadata).
    LayerTar,
    /// A tar of evidence files (only as a top-level bundle; its members are the artifacts).
    BundleArchive,
    /// `docker inspect` JSON (container or image objects; array or single object), or a
    /// daemon-side container config (`config.v2.json`).
    Inspect,
    /// An image config blob (`architecture`, `rootfs`, `history`).
    ImageConfig,
    /// json-file driver log: one `{"log","stream","time"}` object per line.
    JsonFileLog,
    /// `docker logs -t` output: RFC 3339 UTC time prefix on every line.
    DockerLogsTimestamped,
    /// CRI log (containerd, CRI-O, Kubernetes `/var/log/pods`): `<RFC 3339> <stream> <P|F> msg`.
    CriLog,
    /// systemd journal (`journalctl -o export`, or `-o json` lines), e.g. of the `journald`
    /// log driver.
    JournalExport,
    /// The `local` log driver's protobuf-framed file (`local-logs/container.log`).
    LocalLog,
    /// Any other text log (application, access, syslog...).
    TextLog,
    /// `docker top` / `ps` capture (text with a header, or the API's JSON).
    Top,
    /// `docker stats` (table or JSON lines).
    Stats,
    /// An OCI or Docker image manifest, index or manifest list (JSON with `schemaVersion`), or
    /// an image layout's `oci-layout` marker.
    OciManifest,
    /// A blob of an OCI layout directory that is neither a manifest, a config nor a layer tar
    /// (an artifact's payload: SBOM, signature, attestation); read through the layout only.
    OciBlob,
    /// `docker diff` (`A|C|D path`) or the API's changes JSON.
    Diff,
    /// `docker ps` listing (table or JSON lines).
    Ps,
    /// `ip link` / `ip -o link` (`-d` too) output: the network interfaces of a host or of a
    /// network namespace, each with its index and its peer's (`vethX@if54`).
    IpLink,
    /// A sysdig / Falco capture (libscap savefile: `sysdig -w`, Falco trace files), plain or
    /// gzip: blocks of process, fd and user tables, then syscall events.
    Scap,
    /// Tetragon JSON events (`tetra getevents -o json`, the export file, pretty single events).
    Tetragon,
    /// Falco JSON alerts (`json_output: true`), one per line.
    FalcoAlerts,
    /// Sysmon for Linux events: syslog lines holding its `<Event>` XML, or JSON exports of them.
    Sysmon,
    /// The Linux audit log (`audit.log`: `type=... msg=audit(...)` records).
    AuditLog,
    /// A container checkpoint archive (Podman `container checkpoint --export`, CRI-O, the
    /// kubelet): a tar with `checkpoint/` (CRIU's images) and `config.dump`, `spec.dump`...
    Checkpoint,
    /// One CRIU image file (`inventory.img`, `core-1.img`...: CRIU's magic first); a folder
    /// holding `inventory.img` is read as one checkpoint.
    CriuImage,
    /// Kubernetes API server audit log: `audit.k8s.io` `Event`s as JSON lines, or one JSON
    /// object, array or `EventList`.
    K8sAudit,
    /// A report ctriage wrote (JSON or text), e.g. saved inside the bundle by an earlier
    /// scan: listed for custody, never read back as evidence.
    CtriageReport,
    /// A layer, snapshot or volume directory of a daemon data root, as one artifact: its size
    /// is the bytes of its files, its sha256 the tree digest; its files are layer entries.
    LayerDir,
    /// A file of a daemon data root read through the root (image config, layer store entry,
    /// driver metadata, database), never as evidence on its own.
    #[serde(rename = "data-root-file")]
    RootFile,
    /// A zero-byte file.
    Empty,
    /// A symbolic or hard link (recorded, never followed).
    Link,
    /// A FIFO, socket or device node (recorded, never opened).
    Special,
    /// Not recognised (binary or unfamiliar text). Listed, never fatal.
    Unknown,
}

impl ArtifactKind {
    /// The kebab-case name used in reports.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            ArtifactKind::DockerSave => "docker-save",
            ArtifactKind::OciArchive => "oci-archive",
            ArtifactKind::FilesystemTar => "filesystem-tar",
            ArtifactKind::LayerTar => "layer-tar",
            ArtifactKind::BundleArchive => "bundle-archive",
            ArtifactKind::Inspect => "inspect",
            ArtifactKind::ImageConfig => "image-config",
            ArtifactKind::JsonFileLog => "json-file-log",
            ArtifactKind::DockerLogsTimestamped => "docker-logs-timestamped",
            ArtifactKind::CriLog => "cri-log",
            ArtifactKind::JournalExport => "journal-export",
            ArtifactKind::LocalLog => "local-log",
            ArtifactKind::OciManifest => "oci-manifest",
            ArtifactKind::OciBlob => "oci-blob",
            ArtifactKind::TextLog => "text-log",
            ArtifactKind::Top => "top",
            ArtifactKind::Stats => "stats",
            ArtifactKind::Diff => "diff",
            ArtifactKind::Ps => "ps",
            ArtifactKind::IpLink => "ip-link",
            ArtifactKind::Scap => "scap",
            ArtifactKind::Tetragon => "tetragon",
            ArtifactKind::FalcoAlerts => "falco-alerts",
            ArtifactKind::Sysmon => "sysmon",
            ArtifactKind::AuditLog => "audit-log",
            ArtifactKind::Checkpoint => "checkpoint",
            ArtifactKind::CriuImage => "criu-image",
            ArtifactKind::K8sAudit => "k8s-audit",
            ArtifactKind::CtriageReport => "ctriage-report",
            ArtifactKind::LayerDir => "layer-dir",
            ArtifactKind::RootFile => "data-root-file",
            ArtifactKind::Empty => "empty",
            ArtifactKind::Link => "link",
            ArtifactKind::Special => "special",
            ArtifactKind::Unknown => "unknown",
        }
    }

    /// Image archives (docker save or OCI).
    pub(crate) fn is_image_archive(&self) -> bool {
        matches!(self, ArtifactKind::DockerSave | ArtifactKind::OciArchive)
    }

    /// A container's own output as a runtime or `docker logs` keeps it (stdout/stderr with
    /// times): what `docker logs -t` would capture again.
    pub(crate) fn is_container_output(&self) -> bool {
        matches!(
            self,
            ArtifactKind::JsonFileLog
                | ArtifactKind::DockerLogsTimestamped
                | ArtifactKind::CriLog
                | ArtifactKind::JournalExport
                | ArtifactKind::LocalLog
        )
    }

    /// Logs of any kind: a container's output or any other text log.
    pub(crate) fn is_log(&self) -> bool {
        self.is_container_output() || *self == ArtifactKind::TextLog
    }
}

/// Where an artifact's bytes are. Opening never writes and never follows links.
#[derive(Clone, Debug)]
pub enum ArtifactSource {
    /// A regular file on disk.
    File(PathBuf),
    /// A regular file of a bundle directory: `root` joined with the artifact's path, or with
    /// `raw` when the path shown is not the name as stored (not UTF-8, escaped). A directory
    /// of a million files held each full path a second time.
    Under { root: Arc<Path>, raw: Option<Box<OsStr>> },
    /// A member of a bundle archive on disk, itself possibly compressed.
    Member {
        archive: PathBuf,
        archive_compression: Compression,
        /// Offset of the member's data in the (decoded) archive stream.
        data_offset: u64,
        size: u64,
    },
    /// A small member of a compressed bundle archive, kept after discovery.
    Memory(Arc<[u8]>),
    /// Nothing to read (links, special files).
    None,
}

/// An artifact of a bundle with its custody record.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// Path inside the bundle, as shown in reports (invalid UTF-8 escaped).
    pub path: String,
    pub source: ArtifactSource,
    pub kind: ArtifactKind,
    /// Size of the raw bytes as stored.
    pub size: u64,
    /// SHA-256 of the raw bytes as stored (lower-case hex).
    pub sha256: Option<crate::digest::Sha256Hex>,
    /// Wrapper looked through to classify and parse it.
    pub compression: Compression,
    /// Why it could not be read fully, if so.
    pub error: Option<String>,
    /// Extra facts (link target, tar member notes).
    /// (Shared: the files of a data root have one note, not one each.)
    pub note: Option<std::sync::Arc<str>>,
    /// When it was last written as the evidence holds it (the file's mtime, an archive
    /// member's header mtime): the latest its content can be, i.e. its capture time.
    pub mtime: Option<crate::model::Timestamp>,
}

impl Artifact {
    /// A locator naming this artifact.
    pub fn locator(&self) -> Locator {
        Locator::artifact(self.path.clone())
    }

    /// The file on disk this artifact is, when it is one.
    pub(crate) fn file_path(&self) -> Option<Cow<'_, Path>> {
        match &self.source {
            ArtifactSource::File(p) => Some(Cow::Borrowed(p)),
            ArtifactSource::Under { root, raw } => {
                Some(Cow::Owned(root.join(raw.as_deref().map_or_else(|| Path::new(&self.path), Path::new))))
            }
            _ => None,
        }
    }

    /// The raw bytes as stored (still compressed if wrapped).
    pub(crate) fn open_raw(&self) -> io::Result<Box<dyn Read + Send>> {
        if let Some(p) = self.file_path() {
            return Ok(Box::new(File::open(p)?));
        }
        match &self.source {
            ArtifactSource::Member { archive, archive_compression, data_offset, size } => {
                let f = File::open(archive)?;
                let mut r: Box<dyn Read + Send> = if archive_compression.is_some() {
                    let len = f.metadata()?.len();
                    let mut d = decoder(f, *archive_compression, Some(len), DecodeLimits::default())?;
                    skip(&mut d, *data_offset)?;
                    Box::new(d)
                } else {
                    let mut f = f;
                    f.seek(SeekFrom::Start(*data_offset))?;
                    Box::new(f)
                };
                r = Box::new(r.take(*size));
                Ok(r)
            }
            ArtifactSource::Memory(bytes) => Ok(Box::new(io::Cursor::new(Arc::clone(bytes)))),
            // Files were opened above.
            _ => Err(io::Error::other("artifact has no readable content")),
        }
    }

    /// The decoded content (gzip/zstd looked through), bomb-guarded.
    pub(crate) fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        let d = decoder(self.open_raw()?, self.compression, Some(self.size), DecodeLimits::default())?;
        Ok(Box::new(d))
    }

    /// The decoded content from byte `offset` on. Seeks when the bytes are stored plainly,
    /// otherwise decodes and skips.
    pub(crate) fn open_at(&self, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        if !self.compression.is_some() {
            if let Some(p) = self.file_path() {
                let mut f = File::open(p)?;
                f.seek(SeekFrom::Start(offset))?;
                return Ok(Box::new(f));
            }
            match &self.source {
                ArtifactSource::Member {
                    archive,
                    archive_compression: Compression::None,
                    data_offset,
                    size,
                } => {
                    let mut f = File::open(archive)?;
                    f.seek(SeekFrom::Start(data_offset + offset))?;
                    return Ok(Box::new(f.take(size.saturating_sub(offset))));
                }
                ArtifactSource::Memory(bytes) => {
                    let mut c = io::Cursor::new(Arc::clone(bytes));
                    c.set_position(offset);
                    return Ok(Box::new(c));
                }
                _ => {}
            }
        }
        let mut r = self.open()?;
        skip(&mut r, offset)?;
        Ok(r)
    }

    /// True when `open_at` is a cheap seek (so parallel readers of parts of it are cheap).
    pub(crate) fn is_seekable(&self) -> bool {
        !self.compression.is_some()
            && matches!(
                self.source,
                ArtifactSource::File(_)
                    | ArtifactSource::Under { .. }
                    | ArtifactSource::Memory(_)
                    | ArtifactSource::Member { archive_compression: Compression::None, .. }
            )
    }
}

fn skip(r: &mut dyn Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "artifact ended before offset"));
    }
    Ok(())
}
