//! Sniffing real artifacts written by other projects (../shared/fixtures).

use crate::util::{run_json, shared, validate_against_schema};

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn real_image_archives_are_recognised() {
    for (rel, kind) in [
        ("fixtures/dive/.data/test-kaniko-image.tar", "docker-save"),
        ("fixtures/dive/.data/test-oci-gzip-image.tar", "oci-archive"),
        ("fixtures/go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar", "docker-save"),
        ("fixtures/container-diff/util/testTars/la-croix-wh.tar", "layer-tar"),
    ] {
        let p = shared(rel);
        let (v, _) = run_json(&["scan", p.to_str().unwrap()]);
        assert_eq!(v["bundles"][0]["artifacts"][0]["kind"], kind, "{rel}");
    }
}

#[test]
#[ignore = "needs ../shared; CI runs it with --include-ignored"]
fn every_fixture_scans_to_a_schema_valid_report() {
    // Each fixture directory as one bundle: real formats from other projects, some broken
    // on purpose (null/missing manifests): reports must stay valid and nothing may crash.
    for rel in [
        "fixtures/dive",
        "fixtures/go-containerregistry",
        "fixtures/container-diff",
        "fixtures/plaso",
        "fixtures/log4shell-detector",
        "fixtures/docker-explorer/test_data/overlay.v2.tgz",
        "fixtures/docker-explorer/test_data/aufs.v1.tgz",
    ] {
        let p = shared(rel);
        let (v, code) = run_json(&["scan", p.to_str().unwrap()]);
        assert!(matches!(code, 0..=3), "{rel}: exit {code}");
        validate_against_schema(&v);
    }
}
