//! Indicators an observation carries: kind, value and the role they play there.

use serde::Serialize;

/// Kind of indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IocKind {
    Ip,
    Domain,
    Url,
    Port,
}

/// One indicator seen in one observation, with the role it plays there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IocRef {
    #[serde(rename = "type")]
    pub kind: IocKind,
    pub value: String,
    /// `request-source`, `callback`, `payload`.
    pub role: &'static str,
}
