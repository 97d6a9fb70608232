//! Helpers shared by the integration test binaries: running the CLI, temp dirs, fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the built `ctriage` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ctriage"))
}

/// Run ctriage with `args`; returns the whole output.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).env("SOURCE_DATE_EPOCH", "1764547200").output().expect("run ctriage")
}

/// Run ctriage and parse its stdout as JSON (adds `--format json`).
pub fn run_json(args: &[&str]) -> (serde_json::Value, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = run(&all);
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr))
    });
    (v, out.status.code().unwrap_or(-1))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory under `../shared`; panics (fails loudly) when it is missing.
pub fn shared(rel: &str) -> PathBuf {
    let p = root().join("..").join("shared").join(rel);
    assert!(
        p.exists(),
        "required shared test data {} is missing: these tests need ../shared (fixtures and corpus)",
        p.display()
    );
    p
}

/// Write `files` (relative path, bytes) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (rel, data) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// sha256 of a file, hex.
pub fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    let data = std::fs::read(p).unwrap();
    sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Validate a report against docs/report-schema.json (JSON Schema 2020-12).
pub fn validate_against_schema(report: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("docs/report-schema.json")).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("schema.json", schema).unwrap();
    let idx = compiler.compile("schema.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(report, idx) {
        panic!("report does not match docs/report-schema.json:\n{e:#}");
    }
}
