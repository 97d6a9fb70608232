//! Who did it, when the evidence names an identity rather than a process: a Kubernetes API
//! request's user, groups, impersonated user, source addresses and user agent.

use serde::Serialize;

/// The identity behind an observation (an API server audit event's `user` and the rest).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Actor {
    /// `user.username` (`system:serviceaccount:<ns>:<sa>`, `system:anonymous`, a person).
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `impersonatedUser.username`: whom the request was made as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated: Option<String>,
    /// `sourceIPs`: the client first, then proxies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Actor {
    /// `user U (as V) (from IP X)`, for sentences (escaped by the writers).
    pub fn describe(&self) -> String {
        let mut s = format!("user {}", self.user);
        if let Some(i) = &self.impersonated {
            s.push_str(&format!(" (impersonating {i})"));
        }
        if let Some(ip) = self.source_ips.first() {
            s.push_str(&format!(" (from {ip})"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_user_impersonation_and_address() {
        let a = Actor {
            user: "system:serviceaccount:shop:web".into(),
            impersonated: Some("admin".into()),
            source_ips: vec!["203.0.113.9".into(), "10.0.0.1".into()],
            ..Default::default()
        };
        assert_eq!(
            a.describe(),
            "user system:serviceaccount:shop:web (impersonating admin) (from 203.0.113.9)"
        );
        assert_eq!(Actor { user: "bob".into(), ..Default::default() }.describe(), "user bob");
    }
}
