//! Pre-Docker-1.10 `docker save` (v1 layout): no `manifest.json`; `repositories` names the
//! top layer id of each tag, each `<id>/json` names its `parent`, each `<id>/layer.tar` is a
//! layer. Layers are ordered by following `parent` from the tagged top down to the root; each
//! `<id>/json` is one history step (`created`, `container_config.Cmd`). The layout has no
//! content digests, so nothing in it can be verified.

use crate::ingest::inspect::redact_command;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::archive::Archive;
use super::spec::{HistoryStep, ImageSpec, LayerRef};
use crate::model::Diagnostic;

/// The `layout` name of images read from this layout.
pub(super) const LAYOUT: &str = "docker-save-v1";
/// Parent links followed before giving up (Docker itself capped images at 127 layers).
const MAX_CHAIN: usize = 4096;

/// A v1 id usable as a member directory name.
pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id != "." && id != ".." && !id.contains('/')
}

/// `container_config.Cmd` joined as `docker history` shows it.
fn command(v: &Value) -> Option<String> {
    match v.get("container_config").and_then(|c| c.get("Cmd")) {
        Some(Value::Array(a)) => {
            let parts: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            (!parts.is_empty()).then(|| redact_command(&parts.join(" ")))
        }
        Some(Value::String(s)) => Some(redact_command(s)),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from)
}

/// The history step a v1 layer json stands for (each made one layer).
pub(super) fn step(v: &Value) -> HistoryStep {
    HistoryStep {
        created: text(v, "created"),
        created_by: command(v),
        comment: text(v, "comment"),
        author: text(v, "author"),
        empty_layer: Some(false),
    }
}

/// The images of a v1 archive: one per distinct tagged top id, layers root first.
pub(crate) fn list_images(a: &Archive, diags: &mut Vec<Diagnostic>) -> Vec<ImageSpec> {
    let loc = a.locator(b"repositories");
    let bytes = match a.read_small(b"repositories") {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(loc, e));
            return vec![];
        }
    };
    let repos = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            diags.push(Diagnostic::error(loc, "`repositories` is not a JSON object of repositories"));
            return vec![];
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                loc.with_line(e.line() as u64),
                format!("`repositories` is not valid JSON: {e}"),
            ));
            return vec![];
        }
    };
    let mut tops: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (repo, tags) in &repos {
        for (tag, id) in tags.as_object().into_iter().flatten() {
            match id.as_str().filter(|i| valid_id(i)) {
                Some(id) => tops.entry(id.to_string()).or_default().push(format!("{repo}:{tag}")),
                None => diags.push(Diagnostic::error(
                    loc.clone(),
                    format!("`repositories` entry {repo}:{tag} has no usable layer id"),
                )),
            }
        }
    }
    if tops.is_empty() {
        diags.push(Diagnostic::error(loc, "`repositories` names no tagged layer: no image to read"));
        return vec![];
    }
    diags.push(Diagnostic::warning(
        loc,
        "pre-Docker-1.10 save (v1 layout): no content digests (no manifest, no diff_ids), so the layers and configs cannot be verified; layer order follows the `parent` links",
    ));
    tops.into_iter().map(|(top, tags)| spec(a, top, tags, diags)).collect()
}

/// Follow `parent` from `top` to the root.
fn spec(a: &Archive, top: String, repo_tags: Vec<String>, diags: &mut Vec<Diagnostic>) -> ImageSpec {
    let mut chain: Vec<(String, Value)> = vec![];
    let mut seen = BTreeSet::new();
    let mut cur = Some(top.clone());
    while let Some(id) = cur.take() {
        let member = format!("{id}/json");
        if !seen.insert(id.clone()) || chain.len() >= MAX_CHAIN {
            diags.push(Diagnostic::error(
                a.locator(member.as_bytes()),
                format!("parent chain from {top} loops or is too long at {id}; layers below it are not read"),
            ));
            break;
        }
        let json = match a.read_small(member.as_bytes()) {
            Ok(b) => b,
            Err(e) => {
                diags.push(Diagnostic::error(
                    a.locator(member.as_bytes()),
                    format!("v1 layer json in the parent chain from {top} is missing: {e}; layers below it are not read"),
                ));
                break;
            }
        };
        let v: Value = match serde_json::from_slice(&json) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) | Err(_) => {
                diags.push(Diagnostic::error(
                    a.locator(member.as_bytes()),
                    "v1 layer json is not a JSON object; layers below it are not read",
                ));
                break;
            }
        };
        if let Some(own) = text(&v, "id").filter(|own| *own != id) {
            diags.push(Diagnostic::warning(
                a.locator(member.as_bytes()),
                format!("v1 layer json says its id is {own}, but it is stored as {id}"),
            ));
        }
        cur = text(&v, "parent");
        if let Some(p) = cur.as_deref().filter(|p| !valid_id(p)) {
            diags.push(Diagnostic::error(
                a.locator(member.as_bytes()),
                format!("`parent` {p:?} is not a usable layer id; layers below it are not read"),
            ));
            cur = None;
        }
        chain.push((id, v));
    }
    chain.reverse();
    let history = chain.iter().map(|(_, v)| step(v)).collect();
    let layers = chain
        .iter()
        .map(|(id, _)| LayerRef { member: format!("{id}/layer.tar").into_bytes(), ..Default::default() })
        .collect();
    ImageSpec {
        layout: LAYOUT,
        listed_in: format!("repositories > {top}"),
        repo_tags,
        config_member: format!("{top}/json").into_bytes(),
        layers,
        history: Some(history),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_join_like_docker_history() {
        let v: Value =
            serde_json::from_str(r##"{"container_config":{"Cmd":["/bin/sh","-c","#(nop) CMD [\"sh\"]"]}}"##)
                .unwrap();
        assert_eq!(command(&v).as_deref(), Some("/bin/sh -c #(nop) CMD [\"sh\"]"));
        assert_eq!(command(&serde_json::json!({"container_config":{"Cmd":null}})), None);
        assert!(!valid_id("../x") && !valid_id("") && valid_id(&"a".repeat(64)));
    }
}
