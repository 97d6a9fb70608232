//! Picking one container of a data root for the focused commands (`layers ROOT --container`,
//! `diff ROOT --container`): by name (with or without docker's `/`), full id or unique id
//! prefix; the data root narrowed to that container and its image.

use std::path::Path;

use crate::dataroot::rooted::{RootLayer, Rooted};
use crate::evidence::{discover, ArtifactKind};
use crate::ingest::inspect;
use crate::model::pick::by_name_or_id;
use crate::model::Diagnostic;

/// A data root narrowed to one container: its image (if in the root) and the container.
pub(crate) struct Selected {
    pub rooted: Rooted,
    /// The container's id and name.
    pub id: String,
    pub name: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Read the data root at `path` and pick `which`. Errors say why in words (no data root,
/// no such container, an ambiguous prefix with the candidates).
pub(crate) fn select(path: &Path, which: &str) -> Result<Selected, String> {
    let bundle = discover(path);
    let mut diagnostics = bundle.diagnostics.clone();
    let mut containers = vec![];
    for a in bundle.artifacts.iter().filter(|a| a.kind == ArtifactKind::Inspect) {
        let (doc, d) = inspect::parse(a);
        containers.extend(doc.containers);
        diagnostics.extend(d);
    }
    inspect::attach_host_configs(&mut containers, &bundle.artifacts, &mut diagnostics);
    let Some(super::Read { rooted, .. }) =
        super::read(&bundle.artifacts, &bundle.trees, &containers, &mut diagnostics)
    else {
        return Err(format!("{} is not a container runtime's data root", path.display()));
    };
    let hits = by_name_or_id(
        &rooted.containers,
        which,
        |c| std::slice::from_ref(&c.name),
        |c| std::slice::from_ref(&c.id),
    );
    let i = match hits.as_slice() {
        [i] => *i,
        [] => {
            let all: Vec<String> = rooted
                .containers
                .iter()
                .map(|c| format!("{} ({})", c.name, c.id.get(..12).unwrap_or(&c.id)))
                .collect();
            return Err(format!("no container {which} in the data root; it holds: {}", all.join(", ")));
        }
        many => {
            let ids: Vec<&str> = many.iter().map(|&i| rooted.containers[i].id.as_str()).collect();
            return Err(format!("{which} names {} containers: {}", ids.len(), ids.join(", ")));
        }
    };
    Ok(narrow(rooted, i, diagnostics))
}

/// The data root narrowed to its container `i` and that container's image.
pub(crate) fn narrow(rooted: Rooted, i: usize, diagnostics: Vec<Diagnostic>) -> Selected {
    let c = rooted.containers[i].clone();
    let images =
        rooted.images.into_iter().filter(|img| c.image_id.as_deref() == Some(img.id.as_str())).collect();
    Selected {
        id: c.id.clone(),
        name: c.name.clone(),
        rooted: Rooted { images, containers: vec![c] },
        diagnostics,
    }
}

/// For `layers`: the container's image with its init and read-write layers on top, as the
/// layers of one image (the read-write layer last).
pub(crate) fn as_image(sel: &Selected) -> Rooted {
    let c = &sel.rooted.containers[0];
    let mut img = sel.rooted.images.first().cloned().unwrap_or_default();
    if img.id.is_empty() {
        img.id = c.image_id.clone().unwrap_or_default();
        img.layout = "docker-data-root";
        img.content_addressed = false;
    }
    for (dir, what) in [(&c.init, "init"), (&c.upper, "read-write")] {
        if let Some((path, scan)) = dir {
            img.layers.push(RootLayer {
                diff_id: None,
                chain_id: Some(format!("container {} {what} layer", c.id.get(..12).unwrap_or(&c.id))),
                dir: Some(path.clone()),
                scan: Some(scan.clone()),
                ..Default::default()
            });
            img.extra.push(if what == "init" {
                "(container init layer: hostname, hosts, resolv.conf)"
            } else {
                "(container read-write layer: the container's own changes)"
            });
        }
    }
    Rooted { images: vec![img], containers: vec![] }
}
