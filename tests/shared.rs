//! Tests against third-party fixtures and corpora in `../shared` (absent from a fresh clone).
//! Every test here is `#[ignore]`d; CI runs them with `--include-ignored`, and each fails
//! loudly (never skips) when the data is missing.

#[path = "util/mod.rs"]
mod util;

/// Sniffing of real-world artifacts from other projects.
mod shared_evidence;

/// Daemon container configs from real Docker versions (docker-explorer, plaso).
mod shared_containers;

/// Log scanning detection rates on the public corpus.
mod shared_corpus;

/// Per-class web attack detection on the CrowdSec hub's test logs.
mod shared_crowdsec;

/// `ctriage logs` on third-party log fixtures.
mod shared_logs;

/// Image layers on real archives: layouts, whiteouts, merged trees, integrity.
mod shared_image;

/// `extract` on images written by other tools (kaniko-style save, buildx zstd OCI archive).
mod shared_extract;

/// `--yara ../shared/yara` (signature-base) on the samples and benign images.
mod shared_yara;

/// Evidence as it comes from the wild (issue 8): standalone layer whiteouts, OCI artifacts,
/// Engine API listings, per-kind sniffing on every fixture and corpus file.
mod shared_wild;

/// Docker data roots (seized hosts, issue 12): docker-explorer's captures from the tgz and
/// from the extracted directory.
mod shared_dataroot;

/// Container checkpoints (issue 24): a real CRIU dump against its `crit decode` twins, and
/// checkpointctl's metadata in checkpoint archives.
mod shared_checkpoint;
/// Kubernetes API server audit events (Falco's k8s_audit and psp captures): each rule,
/// the negative controls, the non-event rejected.
mod shared_k8saudit;
/// Kubernetes nodes' containerd roots (issue 22): container-explorer's real node metadata
/// placed where k3s, kind and plain containerd keep it.
mod shared_nodes;
/// sysdig / Falco captures from falcosecurity/falco and falcosecurity/libs (issue 23): the
/// facts their tests state.
mod shared_scap;
/// Runtime sensor exports (issue 23): Tetragon's test data and documentation events, a real
/// Log4Shell exploitation seen by Sysmon for Linux.
mod shared_sensor;
