//! What an event source (a sensor export, an audit log, a checkpoint) hands the scan: the
//! processes it saw as one capture (for the lineage and Sigma process rules), its own
//! findings and timeline events, and the containers it names. Facts it knows the owner of
//! carry it (`Finding.owner`, `Process.container`); attribution decides the rest.

use crate::ingest::inspect::ContainerInfo;
use crate::ingest::top::ProcessCapture;
use crate::model::{Finding, PodRef, TimelineEvent};

/// One source's observations.
#[derive(Clone, Debug, Default)]
pub(crate) struct Observed {
    /// Processes the source saw, when it saw any: analysed like a `top` capture.
    pub processes: Option<ProcessCapture>,
    /// The source's own findings (its rules), owners set when the source names the container.
    pub findings: Vec<Finding>,
    /// Findings about a Kubernetes pod: once every container of the bundle is known, each
    /// becomes the pod's container's (its `io.kubernetes.pod.*` labels, its CRI log
    /// directory), else the bundle's with why (`k8saudit::join`).
    pub pod_findings: Vec<(PodRef, Finding)>,
    pub timeline: Vec<TimelineEvent>,
    /// Containers the source names (id, name, image, labels): they join the bundle's
    /// containers and get a verdict like any other.
    pub containers: Vec<ContainerInfo>,
}
