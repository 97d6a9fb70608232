//! A Kubernetes pod as an event names it (an API server audit event, a sensor's pod fields):
//! its namespace and name, and its uid and container when the event says.

use serde::Serialize;

/// A pod (and possibly one of its containers) named by an observation.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The container the request named (`container=` of an exec), when it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

impl PodRef {
    /// `namespace/name`.
    pub fn handle(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}
