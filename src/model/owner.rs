//! Whose an observation is: one container, the host, or the bundle as a whole (with why).

use serde::Serialize;

/// A container by id and name, as the evidence names it (either may be empty, never both).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerRef {
    pub id: String,
    pub name: String,
}

impl ContainerRef {
    /// What to call it: the name, else the short id.
    pub fn handle(&self) -> &str {
        if self.name.is_empty() {
            &self.id[..self.id.len().min(12)]
        } else {
            &self.name
        }
    }

    /// Whether `other` names the same container (by full or short id, else by name).
    pub fn same(&self, other: &ContainerRef) -> bool {
        let short =
            |a: &str, b: &str| a.len() >= 12 && b.len() >= 12 && (a.starts_with(b) || b.starts_with(a));
        if !self.id.is_empty() && !other.id.is_empty() {
            return short(&self.id, &other.id);
        }
        !self.name.is_empty() && self.name == other.name
    }
}

/// Whose a finding is. Analyzers set it when their source says; attribution fills the rest.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(tag = "scope", rename_all = "lowercase")]
pub enum Owner {
    /// One container's.
    Container { id: String, name: String },
    /// The host's (its configuration, a host-wide log), with why.
    Host { why: String },
    /// Nothing in the evidence ties it to one container: why.
    Bundle { why: String },
}

impl Owner {
    /// A container's.
    pub fn container(c: &ContainerRef) -> Self {
        Owner::Container { id: c.id.clone(), name: c.name.clone() }
    }

    /// The container, when it is one's.
    pub fn as_container(&self) -> Option<ContainerRef> {
        match self {
            Owner::Container { id, name } => Some(ContainerRef { id: id.clone(), name: name.clone() }),
            _ => None,
        }
    }
}
