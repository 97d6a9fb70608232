//! Integrity: each layer blob against its manifest digest (or content-addressed name), each
//! decoded layer against the config's `diff_ids`, the config against the image id, the
//! manifest against its index descriptor. A mismatch is a finding with both values.

use super::spec::LayerRef;
use super::{Check, ImageRecord, LayerRecord};
use crate::model::{Finding, Locator, Outcome, Severity};

/// A layer or config whose digest does not match its name or manifest.
pub(crate) static INTEGRITY_MISMATCH: crate::model::RuleDef = crate::model::RuleDef::new(
    "image.integrity.mismatch",
    crate::model::RuleKind::of(crate::model::Family::Image),
    crate::model::Severity::High,
    "integrity",
    "",
    "layer or config digest does not match",
);

fn compare(expected: Option<&str>, computed: Option<&str>) -> Check {
    match (expected, computed) {
        (None, _) => Check::Unverified,
        (Some(_), None) => Check::Incomplete,
        (Some(e), Some(c)) if e.eq_ignore_ascii_case(c) => Check::Verified,
        _ => Check::Mismatch,
    }
}

/// Fill the layer's digest and diff_id checks.
pub(crate) fn layer_checks(lr: &mut LayerRecord, lref: &LayerRef) {
    lr.expected_digest = lref.digest.clone().or_else(|| lref.name_digest.clone());
    lr.digest_check = match (&lref.digest, &lref.name_digest) {
        (Some(d), _) => compare(Some(d), lr.digest.as_deref()),
        // A content-addressed name is the blob digest, or the diff_id for uncompressed names.
        (None, Some(n)) if lr.diff_id.as_deref() == Some(n.as_str()) => Check::Verified,
        (None, Some(n)) => compare(Some(n), lr.digest.as_deref()),
        (None, None) => Check::Unverified,
    };
    lr.diff_id_check = compare(lr.expected_diff_id.as_deref(), lr.diff_id.as_deref());
}

/// Config and manifest checks, and the image's overall status.
pub(crate) fn image_status(r: &mut ImageRecord, manifest: Option<&(String, String)>) {
    r.config_check = compare(r.config_digest.as_deref(), r.id.as_deref());
    r.manifest_check = match manifest {
        Some((claimed, computed)) => {
            r.manifest_computed = Some(format!("sha256:{computed}"));
            compare(Some(claimed), r.manifest_computed.as_deref())
        }
        None => Check::Unverified,
    };
    let all: Vec<Check> = [r.config_check, r.manifest_check]
        .into_iter()
        .chain(r.layers.iter().flat_map(|l| [l.digest_check, l.diff_id_check]))
        .collect();
    r.integrity = if all.contains(&Check::Mismatch) {
        "mismatch"
    } else if all.contains(&Check::Incomplete) || r.layers.iter().any(|l| !l.complete) {
        "incomplete"
    } else if all.contains(&Check::Verified) {
        "verified"
    } else {
        "unverified"
    };
}

fn finding(r: &ImageRecord, what: &str, expected: &str, computed: &str, loc: Locator) -> Finding {
    let name = r.repo_tags.first().cloned().or_else(|| r.id.clone()).unwrap_or_else(|| r.listed_in.clone());
    Finding {
        actor: None,
        rule: INTEGRITY_MISMATCH.id.to_string(),
        severity: Severity::High,
        category: "integrity".into(),
        title: format!("Digest mismatch: {what}"),
        summary: format!(
            "image {name}: {what} should be {expected} but its content hashes to {computed}: the evidence was altered or corrupted after it was made"
        ),
        attack: Some("T1565.001".into()),
        time: None,
        evidence: vec![loc],
        subject: None,
        owner: None,
        iocs: vec![],
        kind: INTEGRITY_MISMATCH.kind,
    }
}

/// Findings for every mismatch of an image (`layer_locs`: where each layer blob is).
pub(crate) fn check(r: &ImageRecord, archive: &Locator, layer_locs: &[Locator], out: &mut Outcome) {
    let art = archive.clone();
    if r.config_check == Check::Mismatch {
        out.findings.push(finding(
            r,
            "the image config",
            r.config_digest.as_deref().unwrap_or_default(),
            r.id.as_deref().unwrap_or_default(),
            art.clone(),
        ));
    }
    if r.manifest_check == Check::Mismatch {
        out.findings.push(finding(
            r,
            "the image manifest",
            r.manifest_digest.as_deref().unwrap_or_default(),
            r.manifest_computed.as_deref().unwrap_or_default(),
            art.clone(),
        ));
    }
    for (l, loc) in r.layers.iter().zip(layer_locs) {
        let loc = loc.clone();
        if l.digest_check == Check::Mismatch {
            out.findings.push(finding(
                r,
                &format!("layer {} blob", l.index),
                l.expected_digest.as_deref().unwrap_or_default(),
                l.digest.as_deref().unwrap_or_default(),
                loc.clone(),
            ));
        }
        if l.diff_id_check == Check::Mismatch {
            out.findings.push(finding(
                r,
                &format!("layer {} content (diff_id)", l.index),
                l.expected_diff_id.as_deref().unwrap_or_default(),
                l.diff_id.as_deref().unwrap_or_default(),
                loc,
            ));
        }
    }
}
