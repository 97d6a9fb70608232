//! One change of one layer (or of the container) as the report holds it: a record per
//! changed file, so held compactly (the file's metadata shared with the layer entry it was
//! read as, the proof's outer part shared by every file of a layer) and written as the
//! documented JSON.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::tree::Change;
use crate::digest::Sha256Hex;
use crate::layerfs::FileType;
use crate::layerscan::Meta;
use crate::model::{IocRef, Locator, Timestamp};

/// Where a container's own changes were read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// A `docker export` compared with its base image.
    #[default]
    Export,
    /// The layers `docker commit` added to an image.
    CommittedLayers,
    /// The container's read-write layer in a daemon data root.
    UpperDir,
    /// A volume of the container in a daemon data root.
    Volume,
}

impl Side {
    /// The name the report writes (`export`, `committed-layers`, `upper-dir`, `volume`).
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Export => "export",
            Side::CommittedLayers => "committed-layers",
            Side::UpperDir => "upper-dir",
            Side::Volume => "volume",
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which layer of which image, or which side of a container, a change is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Layer `layer` of image `image` (indices in the report's images and their layers).
    Layer { image: u32, layer: u32 },
    /// The container's own changes, read from this side.
    Side(Side),
}

impl Origin {
    /// Layer `layer` of image `image`.
    pub fn layer(image: usize, layer: usize) -> Origin {
        let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        Origin::Layer { image: index(image), layer: index(layer) }
    }
}

/// One change of one layer (or of the container): 72 bytes, a report holds one per changed
/// file.
#[derive(Clone, Debug)]
pub struct FileChange {
    /// The layer or container side it is of: read with [`FileChange::image`],
    /// [`FileChange::layer`], [`FileChange::side`] and [`FileChange::source`].
    pub origin: Origin,
    /// The path as the layer or the container holds it (normalized, relative, its bytes),
    /// shared with the layer entry and the change record it was told from; shown by
    /// [`FileChange::path`] (a shown copy per file was a block per file more).
    pub path_bytes: Arc<[u8]>,
    pub change: Change,
    /// The file's metadata (the removed file's for a deletion), shared with the layer entry
    /// it was read as: read through [`FileChange::ftype`], [`FileChange::mode`] and the like.
    pub meta: Arc<Meta>,
    /// The mtime of the directory holding the path on the changed side: creating, renaming
    /// or deleting the file set it, so the change happened at or before it.
    pub dir_mtime: Option<Timestamp>,
    /// A parent directory with no member of its own.
    pub implicit: bool,
    /// The member name had `..` components.
    pub traversal: bool,
    /// Where the proof is, less its innermost member: the layer blob or the export, shared by
    /// every change read from it. Read the whole with [`FileChange::locator`].
    pub within: Arc<Locator>,
    /// What most changes do not have (None when it would be all empty): what changed, the
    /// paths a deletion hid, indicators, a deletion's time, the member as stored.
    pub rare: Option<Box<Rare>>,
}

/// The parts of a file change most changes do not have, read through the change's methods.
#[derive(Clone, Debug, Default)]
pub struct Rare {
    /// For deletions by a whiteout: the whiteout entry's own mtime, the time of the deletion
    /// (`mtime` stays the deleted file's).
    pub deleted_at: Option<Timestamp>,
    /// For modifications: what changed (`content`, `mode`, `owner`, `type`, `target`,
    /// `mtime`, `replaced`).
    pub what: Box<[&'static str]>,
    /// For a deleted directory: every path below it that the deletion hid, with the content
    /// digest each last had and the layer that wrote it.
    pub hidden: Box<[HiddenPath]>,
    /// Indicators in the content of an added or modified file (URLs, endpoints, pools,
    /// wallets, SSH keys), with their roles. Kept for the container's own changes and for
    /// image files a finding names.
    pub iocs: Vec<IocRef>,
    /// The innermost member as stored, when it is not the path (a name with `..`).
    pub member: Option<Box<str>>,
}

impl Rare {
    /// Boxed, or None when every part is empty.
    pub fn boxed(self) -> Option<Box<Rare>> {
        let empty = self.deleted_at.is_none()
            && self.what.is_empty()
            && self.hidden.is_empty()
            && self.iocs.is_empty()
            && self.member.is_none();
        (!empty).then(|| Box::new(self))
    }
}

/// Shown paths (`/...`), asked whether a file change's path is one of them without showing
/// the path (a story pass asks it of every change of a million-file image).
pub struct ShownPaths<'a>(std::collections::BTreeSet<&'a [u8]>);

impl<'a> ShownPaths<'a> {
    /// The absolute ones of `paths` (no change's shown path is relative).
    pub fn new(paths: impl IntoIterator<Item = &'a str>) -> Self {
        ShownPaths(paths.into_iter().filter_map(|p| p.strip_prefix('/')).map(str::as_bytes).collect())
    }

    /// Whether the change's path as shown is one of them.
    pub fn contains(&self, c: &FileChange) -> bool {
        self.0.contains(&*crate::layerfs::show_path_tail(&c.path_bytes))
    }
}

/// A path hidden by the deletion of a directory above it.
#[derive(Clone, Debug, Serialize)]
pub struct HiddenPath {
    pub path: String,
    #[serde(rename = "type")]
    pub ftype: FileType,
    pub sha256: Option<String>,
    /// Layer (or source index) that last wrote it.
    pub layer: usize,
}

/// Permission bits, written as at least four octal digits (`0644`, `4755`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode(pub u32);

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FileChange {
    /// Index in the report's images; None for the container's own changes.
    pub fn image(&self) -> Option<usize> {
        match self.origin {
            Origin::Layer { image, .. } => Some(image as usize),
            Origin::Side(_) => None,
        }
    }

    /// Layer index; None for the container's own changes.
    pub fn layer(&self) -> Option<usize> {
        match self.origin {
            Origin::Layer { layer, .. } => Some(layer as usize),
            Origin::Side(_) => None,
        }
    }

    /// The container side it was read from; None for a layer's change.
    pub fn side(&self) -> Option<Side> {
        match self.origin {
            Origin::Layer { .. } => None,
            Origin::Side(side) => Some(side),
        }
    }

    /// `layer N`, or the container side's source.
    pub fn source(&self) -> Cow<'static, str> {
        match self.origin {
            Origin::Layer { layer, .. } => Cow::Owned(format!("layer {layer}")),
            Origin::Side(side) => Cow::Borrowed(side.as_str()),
        }
    }

    /// The absolute path as shown: `/` and the path, invalid UTF-8 escaped.
    pub fn path(&self) -> String {
        crate::layerfs::show_path(&self.path_bytes)
    }

    /// The innermost member as stored, when it is not the path (a name with `..`).
    fn stored_member(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.member.as_deref())
    }

    /// The innermost member the proof names: as stored, else the path.
    pub fn member(&self) -> Cow<'_, str> {
        match self.stored_member() {
            Some(m) => Cow::Borrowed(m),
            None => Cow::Owned(self.path()),
        }
    }

    /// For deletions by a whiteout: the time of the deletion.
    pub fn deleted_at(&self) -> Option<Timestamp> {
        self.rare.as_ref().and_then(|r| r.deleted_at)
    }

    /// The file type.
    pub fn ftype(&self) -> FileType {
        self.meta.ftype
    }

    /// Permission bits (`0o7777`), written in octal, e.g. `4755`.
    pub fn mode(&self) -> Mode {
        Mode(self.meta.mode)
    }

    pub fn uid(&self) -> u64 {
        self.meta.uid
    }

    pub fn gid(&self) -> u64 {
        self.meta.gid
    }

    pub fn size(&self) -> u64 {
        self.meta.size
    }

    pub fn mtime(&self) -> Option<Timestamp> {
        self.meta.mtime
    }

    /// The content's digest (a regular file's, or a hard link's target's).
    pub fn sha256(&self) -> Option<Sha256Hex> {
        self.meta.sha256.map(Sha256Hex)
    }

    /// A symbolic link's target (invalid UTF-8 escaped).
    pub fn link_target(&self) -> Option<String> {
        self.meta.link().map(crate::model::display_bytes)
    }

    /// A hard link's target path.
    pub fn hardlink_to(&self) -> Option<String> {
        self.meta.hardlink().map(crate::layerfs::show_path)
    }

    /// For modifications: what changed.
    pub fn what(&self) -> &[&'static str] {
        self.rare.as_ref().map_or(&[], |r| &r.what)
    }

    /// For a deleted directory: the paths the deletion hid.
    pub fn hidden(&self) -> &[HiddenPath] {
        self.rare.as_ref().map_or(&[], |r| &r.hidden)
    }

    /// Indicators in the file's content.
    pub fn iocs(&self) -> &[IocRef] {
        self.rare.as_ref().map_or(&[], |r| &r.iocs)
    }

    /// Forget the indicators (build-layer files no finding names).
    pub fn clear_iocs(&mut self) {
        if let Some(r) = self.rare.take() {
            self.rare = Rare { iocs: vec![], ..*r }.boxed();
        }
    }

    /// Where the proof is: the layer blob or the export, then the member.
    pub fn locator(&self) -> Locator {
        Locator::clone(&self.within).with_member(self.member())
    }
}

/// A file change as written: the fields in the documented order and form.
#[derive(Serialize)]
struct Out<'a> {
    image: Option<usize>,
    layer: Option<usize>,
    source: Cow<'static, str>,
    path: &'a str,
    change: Change,
    #[serde(rename = "type")]
    ftype: FileType,
    mode: Mode,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dir_mtime: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hardlink_to: Option<String>,
    sha256: Option<Sha256Hex>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    what: &'a [&'static str],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    implicit: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    traversal: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    hidden: &'a [HiddenPath],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    iocs: &'a [IocRef],
    locator: LocatorOut<'a>,
}

/// The locator of a file change, written as its `Locator` would be (with the path as
/// shown, made once for both).
struct LocatorOut<'a>(&'a FileChange, &'a str);

impl Serialize for LocatorOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let w = &*self.0.within;
        let n = 2 + usize::from(w.line.is_some()) + usize::from(w.offset.is_some());
        let mut st = s.serialize_struct("Locator", n)?;
        st.serialize_field("artifact", &w.artifact)?;
        st.serialize_field("members", &MembersOut(self.0, self.1))?;
        if let Some(l) = w.line {
            st.serialize_field("line", &l)?;
        }
        if let Some(o) = w.offset {
            st.serialize_field("offset", &o)?;
        }
        st.end()
    }
}

/// The members of a file change's locator: those of `within`, then its own (the member as
/// stored, else the shown path given).
struct MembersOut<'a>(&'a FileChange, &'a str);

impl Serialize for MembersOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let own = self.0.stored_member().unwrap_or(self.1);
        s.collect_seq(self.0.within.members.iter().map(String::as_str).chain(std::iter::once(own)))
    }
}

impl Serialize for FileChange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let path = self.path();
        Out {
            image: self.image(),
            layer: self.layer(),
            source: self.source(),
            path: &path,
            change: self.change,
            ftype: self.ftype(),
            mode: self.mode(),
            uid: self.uid(),
            gid: self.gid(),
            size: self.size(),
            mtime: self.mtime(),
            deleted_at: self.deleted_at(),
            dir_mtime: self.dir_mtime,
            link_target: self.link_target(),
            hardlink_to: self.hardlink_to(),
            sha256: self.sha256(),
            what: self.what(),
            implicit: self.implicit,
            traversal: self.traversal,
            hidden: self.hidden(),
            iocs: self.iocs(),
            locator: LocatorOut(self, &path),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::file_events_for_tests::change;

    /// The records held once per file (issue 19: a million files in a few hundred MiB).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn records_per_file_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<FileChange>() <= 72, "{}", size_of::<FileChange>());
        assert!(
            size_of::<crate::image::tree::ChangeRec>() <= 56,
            "{}",
            size_of::<crate::image::tree::ChangeRec>()
        );
        assert!(size_of::<crate::layerscan::Meta>() <= 88, "{}", size_of::<crate::layerscan::Meta>());
        assert!(
            size_of::<crate::layerscan::LayerEntry>() <= 48,
            "{}",
            size_of::<crate::layerscan::LayerEntry>()
        );
        assert!(size_of::<crate::image::tree::Node>() <= 16);
        assert_eq!(size_of::<Option<Timestamp>>(), 16);
    }

    #[test]
    fn shown_paths_find_a_change_by_its_path_as_shown() {
        let mut c = change("image.tar", "/etc/passwd", Change::Added, None);
        let set = ShownPaths::new(["/etc/passwd", "etc/shadow", "/x"]);
        assert!(set.contains(&c));
        // A relative path is never a change's shown path.
        c.path_bytes = (*b"etc/shadow").into();
        assert!(!set.contains(&c));
        // A path that is not text is found by its shown (escaped) form.
        c.path_bytes = (*b"a\xffb").into();
        assert!(!set.contains(&c));
        let shown = c.path();
        assert!(shown.starts_with("/a") && shown != "/a\u{fffd}b");
        assert!(ShownPaths::new([shown.as_str()]).contains(&c));
    }

    #[test]
    fn written_as_the_record_of_strings_was() {
        let c = change("image.tar", "/bin/sh", Change::Added, None);
        let e3 = "e3".repeat(32);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            format!(
                r#"{{"image":0,"layer":0,"source":"layer 0","path":"/bin/sh","change":"added","type":"file","mode":"0644","uid":0,"gid":0,"size":3,"mtime":null,"sha256":"{e3}","locator":{{"artifact":"image.tar","members":["blob/layer.tar","./bin/sh"]}}}}"#
            )
        );
        let mut c = change("image.tar", "/x", Change::Deleted, Some(0));
        (c.origin, c.implicit) = (Origin::Side(Side::Export), true);
        let meta = Arc::make_mut(&mut c.meta);
        (meta.sha256, meta.mode) = (None, 0o4755);
        meta.rare =
            Some(Box::new(crate::layerscan::MetaRare { link: Some((*b"/t").into()), ..Default::default() }));
        c.rare = Rare {
            deleted_at: Some(Timestamp::from_unix(1, 5)),
            what: Box::new(["content"]),
            ..Default::default()
        }
        .boxed();
        c.within = Arc::new(Locator { line: Some(3), offset: Some(9), ..Locator::artifact("e.tar") });
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"image":null,"layer":null,"source":"export","path":"/x","change":"deleted","type":"file","mode":"4755","uid":0,"gid":0,"size":3,"mtime":"1970-01-01T00:00:00.000000000Z","deleted_at":"1970-01-01T00:00:01.000000005Z","link_target":"/t","sha256":null,"what":["content"],"implicit":true,"locator":{"artifact":"e.tar","members":["/x"],"line":3,"offset":9}}"#
        );
        // The locator written is the one the record gives.
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["locator"], serde_json::to_value(c.locator()).unwrap());
        assert_eq!(c.locator().to_string(), "e.tar > /x:3 @9");
        // Indicators cleared: nothing rare is left, so nothing is held.
        c.rare = Rare {
            iocs: vec![crate::model::IocRef {
                kind: crate::model::IocKind::Ip,
                value: "10.0.0.1".into(),
                role: "callback",
            }],
            ..Default::default()
        }
        .boxed();
        assert_eq!(c.iocs().len(), 1);
        c.clear_iocs();
        assert!(c.rare.is_none() && c.iocs().is_empty());
    }
}
