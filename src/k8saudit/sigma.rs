//! An audit event's fields as SigmaHQ's Kubernetes audit rules name them (`verb`,
//! `objectRef.resource`, `user.username`, `responseStatus.code`...), for the bundled and
//! `--sigma` rules with `product: kubernetes, service: audit`.

use super::event::AuditEvent;
use super::podspec;
use crate::logscan::sigma::matcher::Fields;

/// One event as Sigma fields.
pub(crate) struct AuditFields<'a> {
    pub e: &'a AuditEvent,
    pub spec: Option<&'a podspec::PodSpec>,
}

impl Fields for AuditFields<'_> {
    fn get(&self, field: &str) -> Option<Vec<String>> {
        let e = self.e;
        let one = |s: &str| (!s.is_empty()).then(|| vec![s.to_string()]);
        match field {
            "verb" => one(&e.verb),
            "objectRef.resource" => one(&e.object.resource),
            "objectRef.subresource" => one(&e.object.subresource),
            "objectRef.namespace" => one(&e.object.namespace),
            "objectRef.name" => one(&e.object.name),
            "objectRef.apiGroup" => one(&e.object.api_group),
            "user.username" => one(&e.actor.user),
            "user.groups" => (!e.actor.groups.is_empty()).then(|| e.actor.groups.clone()),
            "impersonatedUser.username" => e.actor.impersonated.clone().map(|u| vec![u]),
            "responseStatus.code" => e.code.map(|c| vec![c.to_string()]),
            "requestURI" => one(&e.request_uri),
            "userAgent" => e.actor.user_agent.clone().map(|u| vec![u]),
            "sourceIPs" => (!e.actor.source_ips.is_empty()).then(|| e.actor.source_ips.clone()),
            "stage" => one(&e.stage),
            "hostPath" => self.spec.filter(|s| !s.host_paths.is_empty()).map(|s| s.host_paths.clone()),
            "capabilities" => self
                .spec
                .filter(|s| !s.caps.is_empty())
                .map(|s| s.caps.iter().map(|(_, c)| c.clone()).collect()),
            _ => None,
        }
    }

    fn text(&self) -> Vec<String> {
        vec![self.e.request_uri.clone()]
    }
}
