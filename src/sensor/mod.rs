//! Runtime sensor exports as evidence: Tetragon events ([`tetragon`]), Falco JSON alerts
//! ([`falco`]), Sysmon for Linux ([`sysmon`]) and the Linux audit log ([`auditd`]). Each
//! reader cuts its export into records ([`frame`]), turns them into events of one shape
//! ([`event`]), and the collector ([`observe`]) makes the process records (with the sensor's
//! exec lineage, container and exact times), the sensor rules' findings ([`rules`]),
//! timeline events and the containers named: one [`Observed`] per export.

pub(crate) mod auditd;
mod event;
pub(crate) mod falco;
mod frame;
mod observe;
mod rules;
pub(crate) mod sysmon;
pub(crate) mod tetragon;

use crate::evidence::{Artifact, ArtifactKind};
use crate::ingest::observed::Observed;
use crate::model::{Diagnostic, RuleDef};

pub(crate) use observe::join_containers;

/// Every sensor rule's declaration (family `sensor`).
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    rules::defs()
}

/// Read a sensor export; None when the artifact is not one.
pub(crate) fn read(a: &Artifact) -> Option<(Observed, Vec<Diagnostic>)> {
    Some(match a.kind {
        ArtifactKind::Tetragon => tetragon::read(a),
        ArtifactKind::FalcoAlerts => falco::read(a),
        ArtifactKind::Sysmon => sysmon::read(a),
        ArtifactKind::AuditLog => auditd::read(a),
        _ => return None,
    })
}
