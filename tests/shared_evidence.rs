//! Sniffing real artifacts written by other projects (../shared/fixtures).

use crate::util::{run_json, shared};

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
