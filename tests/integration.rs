//! Integration tests: run the `ctriage` binary on `samples/` and on evidence built in code.
//! One module per area; each says what belongs in it.

mod util;

/// One story per container on evidence of other shapes: data roots with several containers,
/// two samples in one bundle, nothing readable.
mod attribution;

/// Evidence discovery, sniffing, custody hashes, hostile input, exit codes.
mod evidence;

/// Container-side small artifacts: inspect, stats, ps listings; exposure and response plan.
mod containers;

/// The response plan on evidence built in code: each runtime's CLI, the checked veth step,
/// what is blocked (never a proxy, a private sender or a --trusted-net), shellcheck.
mod plan;

/// The bundled samples: README sha256 table, image/diff/export/log consistency.
mod samples;

/// Process captures (docker top / ps formats), process trees, lineage findings, exit codes.
mod processes;

/// The module import graph of src/: no circle.
mod layering;

/// Log scanning: signature families, engine invariants, json-file, logs in tars, commands.
mod logs;

/// Builders for layer tars and image archives used by the image tests.
mod image_build;

/// Layer edge cases on archives built in code.
mod image_layers;

/// `extract`: files, trees and merged views copied out of saves, exports and data roots.
mod extract;

/// OCI layout directories and pre-1.10 `docker save` archives built in code.
mod image_layouts;

/// The container's own changes, suspicious-file rules and the file timeline.
mod image_container;

/// `--yara`: rule files written in the test, matches on layers and exports, rules list.
mod yara;

/// The image analysis on the samples (container changes and findings).
mod image_samples;

/// Damaged image archives (cut saves, lost manifest.json / index.json) rebuilt from what survived.
mod image_damaged;

/// Behaviour from any source: relaunch loops, miners by their arguments, kernel-thread
/// disguises, application logs wiped, forged mtimes bounded by independent clocks.
mod behaviour;

/// `collect-script`: sh -n, shellcheck, hostile names, a fake runtime that records its calls.
mod collect_script;

#[path = "real/bundle.rs"]
mod real_bundle;
/// Checks shared with the capture-harness test (tests/real.rs): facts, bundle files.
#[path = "real/facts.rs"]
mod real_facts;

#[path = "real/dataroot.rs"]
mod real_dataroot;

/// Docker data roots built in code: hostile and broken roots, directory vs tar.
mod dataroot;

/// Docker data roots of every era built in code (overlay with overlay2, aufs): each
/// container's own driver, layer and changes; each container's log span.
mod dataroot_eras;

/// Podman roots built in code: container records, exposure, libpod's db.sql, text section.
mod dataroot_runtimes;

/// The samples captured from real Docker and Podman (samples/real/) against their facts.
mod real_samples;

/// End to end on samples/: the story each bundle tells, in text and schema-valid JSON.
mod scan_samples;

/// Indicators from every source (requests, process arguments, dropped files' content,
/// containers' configuration), attacker-side only.
mod iocs;

/// Evidence as it comes from the wild, built in code: standalone configs and diffs, Engine
/// API shapes, log framings and times, pairing an export with its image, CLI input checks.
mod wild;

/// The story on evidence built with decoys (the true way in, one record through several
/// captures, attempts, attacker vs victim, deletion times), documentation trees, named paths.
mod story;

/// Batch scans: 50 bundles, resume, a killed batch, shards and merge, timeouts, `case`.
mod batch;

/// ctriage's own outputs are never evidence: `--out` inside the evidence, changed outputs,
/// bundle archives, a batch's `--out`, the warning when writing inside a scanned PATH.
mod own_outputs;

/// Report formats: golden output, exchange formats read by their consumers (mactime,
/// shellcheck, Chromium), hostile evidence, `--out` and its manifest, CLI conventions.
mod reports;

/// Container checkpoints (issue 24) built in code: CRIU images encoded in the test, a
/// reverse shell and a deleted binary, hostile images and archives.
mod checkpoint;
/// Kubernetes audit logs joined to pods' containers (CRI log paths, inspect labels): the
/// exec as the way in with its actor; routine execs, other pods, hostile audit logs.
mod k8saudit;
/// sysdig / Falco captures (libscap savefiles) encoded in code: reverse shell, lineage,
/// containers, gzip, both event block versions, hostile shapes.
mod scap;
/// Runtime sensor exports (Tetragon, Falco alerts, Sysmon for Linux, auditd): the sensor's
/// lineage against a top snapshot, decoded audit arguments, hostile exports.
mod sensor;
