//! Attribution: which container each observation belongs to, from where its proof lies
//! (a data root's upper dir, log and config; a log named by a container id; a capture in the
//! folder of one container's inspect; the bundle's only container), or the bundle, with why.

use std::collections::BTreeSet;

use crate::dataroot::DataRootSection;
use crate::image::ImageRecord;
use crate::ingest::inspect::ContainerInfo;
use crate::model::{folder_of, ContainerRef, Finding, Locator, Owner};

/// One container with the artifact paths and folders that are its own.
#[derive(Clone, Debug)]
struct Known {
    who: ContainerRef,
    /// Artifact path prefixes that are this container's alone (upper dir, `containers/<id>/`,
    /// its logs) in a data root.
    prefixes: Vec<String>,
    /// Folders of the bundle that hold this container's inspect and no other container's.
    folders: Vec<String>,
    /// Layers `docker commit` made from it: (archive, layer member), or the layer's own
    /// artifact path (a data root's layer directory) with an empty member.
    layers: Vec<(String, String)>,
}

/// Who owns what in one bundle.
#[derive(Clone, Debug, Default)]
pub(crate) struct Owners {
    known: Vec<Known>,
    /// Why a fact tied to no container is the bundle's (said once, for every such fact).
    unowned_why: String,
}

impl Owners {
    /// The owners of a bundle: its containers (inspect records and data-root records, one
    /// entry per id) and the paths each owns.
    pub(crate) fn new(
        containers: &[ContainerInfo],
        root: Option<&DataRootSection>,
        images: &[ImageRecord],
    ) -> Self {
        let mut known: Vec<Known> = vec![];
        for c in containers {
            let who = ContainerRef { id: c.id.clone(), name: c.name.clone() };
            if who.id.is_empty() && who.name.is_empty() {
                continue;
            }
            match known.iter_mut().find(|k| k.who.same(&who)) {
                Some(k) => {
                    if k.who.name.is_empty() {
                        k.who.name = who.name.clone();
                    }
                    if k.who.id.len() < who.id.len() {
                        k.who.id = who.id.clone();
                    }
                }
                None => known.push(Known { who, prefixes: vec![], folders: vec![], layers: vec![] }),
            }
        }
        if let Some(root) = root {
            for r in root.docker.iter().chain(&root.containers_storage).chain(&root.containerd) {
                for c in &r.containers {
                    let who = ContainerRef { id: c.id.clone(), name: c.name.clone() };
                    let i = match known.iter().position(|k| k.who.same(&who)) {
                        Some(i) => i,
                        None => {
                            known.push(Known { who, prefixes: vec![], folders: vec![], layers: vec![] });
                            known.len() - 1
                        }
                    };
                    let k = &mut known[i];
                    let base = r.root.trim_end_matches('/');
                    let under = |p: &str| {
                        let p = p.trim_end_matches('/');
                        if p.starts_with(base) || base.is_empty() {
                            p.to_string()
                        } else {
                            format!("{base}/{}", p.trim_start_matches('/'))
                        }
                    };
                    // A layer directory is an artifact of its own (`overlay2/<id>`), its
                    // upper dir is `overlay2/<id>/diff`: both name it. Shared lower layers are
                    // dropped below (only what one container owns attributes).
                    for d in c.upper_dir.iter().chain(&c.layer_dirs) {
                        let d = under(d);
                        if let Some(layer) = d.strip_suffix("/diff") {
                            k.prefixes.push(layer.to_string());
                        }
                        k.prefixes.push(d);
                    }
                    k.prefixes.extend(c.logs.iter().map(|d| under(d)));
                    for dir in ["containers", "overlay-containers"] {
                        if !c.id.is_empty() {
                            k.prefixes.push(format!("{base}/{dir}/{}", c.id));
                        }
                    }
                }
            }
        }
        // An image `docker commit` made from a container: its committed layers are that
        // container's own files.
        for img in images {
            let Some(id) = img.container.as_deref() else { continue };
            let from = ContainerRef { id: id.to_string(), name: String::new() };
            let Some(k) = known.iter_mut().find(|k| k.who.same(&from)) else { continue };
            for &i in &img.committed_layers {
                if let Some(l) = img.layers.get(i) {
                    k.layers.push((img.archive.clone(), l.blob.clone()));
                    k.layers.push((img.archive.clone(), l.member.clone()));
                    k.layers.push((l.blob.clone(), String::new()));
                }
            }
        }
        // A folder holding exactly one container's inspect: everything in it and below it
        // (unless a deeper folder belongs to another) is that container's capture.
        let mut per_folder: std::collections::BTreeMap<String, BTreeSet<usize>> = Default::default();
        for c in containers {
            if let Some(i) = known
                .iter()
                .position(|k| k.who.same(&ContainerRef { id: c.id.clone(), name: c.name.clone() }))
            {
                if !c.locator.artifact.is_empty() {
                    per_folder.entry(folder_of(&c.locator.artifact).to_string()).or_default().insert(i);
                }
            }
        }
        for (f, who) in per_folder {
            if who.len() == 1 {
                let i = *who.iter().next().expect("one");
                known[i].folders.push(f);
            }
        }
        for k in &mut known {
            k.prefixes.sort();
            k.prefixes.dedup();
        }
        // A path several containers name (an image layer below both) is no one's own.
        let mut count: std::collections::BTreeMap<String, usize> = Default::default();
        for p in known.iter().flat_map(|k| k.prefixes.iter()) {
            *count.entry(p.clone()).or_default() += 1;
        }
        for k in &mut known {
            k.prefixes.retain(|p| count[p] == 1);
        }
        let unowned_why = match known.len() {
            0 => "the evidence names no container".to_string(),
            1 => String::new(),
            n => format!(
                "the bundle holds {n} containers and nothing in its proof (path, id, folder, data-root layer) names one"
            ),
        };
        Owners { known, unowned_why }
    }

    /// Every container known, in the order met.
    pub(crate) fn containers(&self) -> impl Iterator<Item = &ContainerRef> {
        self.known.iter().map(|k| &k.who)
    }

    /// The container a locator's artifact belongs to, when its path tells.
    pub(crate) fn of_locator(&self, l: &Locator) -> Option<&ContainerRef> {
        if self.known.len() == 1 {
            return Some(&self.known[0].who);
        }
        let a = l.artifact.as_str();
        let member = l.members.first().map(String::as_str).unwrap_or("");
        let committed: Vec<&ContainerRef> = self
            .known
            .iter()
            .filter(|k| k.layers.iter().any(|(art, m)| art == a && (m.is_empty() || m == member)))
            .map(|k| &k.who)
            .collect();
        if committed.len() == 1 {
            return Some(committed[0]);
        }
        // A data root: the longest owned prefix wins.
        let by_prefix = self
            .known
            .iter()
            .flat_map(|k| k.prefixes.iter().map(move |p| (p, k)))
            .filter(|(p, _)| a == p.as_str() || a.starts_with(&format!("{p}/")))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, k)| &k.who);
        if by_prefix.is_some() {
            return by_prefix;
        }
        // A path naming one container's full id (`<id>-json.log`, `containers/<id>/...`).
        let by_id: Vec<&ContainerRef> = self
            .known
            .iter()
            .filter(|k| k.who.id.len() >= 32 && a.contains(&k.who.id))
            .map(|k| &k.who)
            .collect();
        if by_id.len() == 1 {
            return Some(by_id[0]);
        }
        // The nearest folder that holds one container's inspect.
        let mut dir = folder_of(a);
        loop {
            let owners: Vec<&ContainerRef> =
                self.known.iter().filter(|k| k.folders.iter().any(|f| f == dir)).map(|k| &k.who).collect();
            if owners.len() == 1 {
                return Some(owners[0]);
            }
            if dir.is_empty() {
                return None;
            }
            dir = folder_of(dir);
        }
    }

    /// The owner of a finding: what its analyzer said, else the container all its proof
    /// belongs to, else the bundle, with why.
    pub(crate) fn of_finding(&self, f: &Finding) -> Owner {
        if let Some(o) = &f.owner {
            return o.clone();
        }
        let mut mine: Vec<&ContainerRef> = f.evidence.iter().filter_map(|l| self.of_locator(l)).collect();
        mine.sort();
        mine.dedup();
        match mine.as_slice() {
            [one] => Owner::container(one),
            [] => Owner::Bundle { why: self.unowned_why.clone() },
            many => Owner::Bundle {
                why: format!(
                    "its proof lies with several containers: {}",
                    many.iter().map(|c| c.handle()).collect::<Vec<_>>().join(", ")
                ),
            },
        }
    }

    /// Set the owner of every finding that has none; a container an analyzer named by a
    /// short id or by name alone becomes the known container's full reference.
    pub(crate) fn assign(&self, findings: &mut [Finding]) {
        for f in findings {
            let named = f.owner.as_ref().and_then(Owner::as_container);
            match named {
                Some(c) => {
                    if let Some(k) = self.known.iter().find(|k| k.who.same(&c)) {
                        f.owner = Some(Owner::container(&k.who));
                    }
                }
                None if f.owner.is_none() => f.owner = Some(self.of_finding(f)),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(known: &[(&str, &str, &[&str], &[&str])]) -> Owners {
        Owners {
            known: known
                .iter()
                .map(|(id, name, prefixes, folders)| Known {
                    who: ContainerRef { id: id.to_string(), name: name.to_string() },
                    prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
                    folders: folders.iter().map(|s| s.to_string()).collect(),
                    layers: vec![],
                })
                .collect(),
            unowned_why: "why".into(),
        }
    }

    #[test]
    fn locators_find_their_container() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let o = owners(&[
            (&a, "web", &["root/overlay2/111/diff", "root/containers/aaaa"], &["web"]),
            (&b, "db", &["root/overlay2/222/diff"], &["db"]),
        ]);
        let who = |p: &str| o.of_locator(&Locator::artifact(p)).map(|c| c.name.clone());
        assert_eq!(who("root/overlay2/111/diff/tmp/x").as_deref(), Some("web"));
        assert_eq!(who("root/overlay2/222/diff").as_deref(), Some("db"));
        assert_eq!(who("root/overlay2/2222/diff/x"), None, "a prefix is a path, not a string");
        assert_eq!(who(&format!("logs/{b}-json.log")).as_deref(), Some("db"));
        assert_eq!(who("web/top.txt").as_deref(), Some("web"));
        assert_eq!(who("web/sub/export.tar").as_deref(), Some("web"));
        assert_eq!(who("top.txt"), None, "a capture at the top of a two-container bundle is no one's");
        let one = owners(&[(&a, "web", &[], &[])]);
        assert_eq!(one.of_locator(&Locator::artifact("anything")).map(|c| c.name.as_str()), Some("web"));
    }
}
