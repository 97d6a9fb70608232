//! The `file-change` timeline events, told from the file-change records when written instead
//! of held beside them (one event per changed file would cost as much as the record): a
//! group per image layer or container says what its events share, and each event is
//! rendered from its record and its group. Build-layer mtimes are often pinned (0, a build
//! epoch), so build-layer changes are placed at their layer's history time with the mtime as
//! a field, ordered by `[layer, sequence]`; the container's own changes at their mtime.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::file_change::FileChange;
use super::tree::Change;
use crate::layerfs::FileType;
use crate::model::{Locator, TimelineEvent, Timestamp};

/// When the events of a group happened, and what that time means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timing {
    /// A build layer: at the layer's history time (the file's mtime is in the message).
    Layer(Option<Timestamp>),
    /// A committed container layer: at the file's mtime, a deletion at its whiteout's.
    Commit,
    /// The container's own changes (export, read-write layer, volume): at the file's mtime, a
    /// deletion at its whiteout's; `desc` says which.
    Container(&'static str),
}

/// What the `file-change` events of one image layer or one container share: they are the
/// events of the file changes from `first` up to the next group's `first`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileEventGroup {
    /// Index in the section's file changes of the group's first change.
    pub first: usize,
    /// What each message starts with: `image NAME layer N`, `container ID`...
    pub head: String,
    pub timing: Timing,
    /// The first element of each event's `order` (the layer, or the base's layer count).
    pub order: u64,
}

/// The key a `file-change` event sorts by, short of its message: (time, what the time means,
/// order).
struct Placed {
    time: Option<Timestamp>,
    desc: &'static str,
    order: [u64; 2],
}

/// The `file-change` events of an image section's file changes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileEvents<'a> {
    pub groups: &'a [FileEventGroup],
    pub changes: &'a [FileChange],
}

impl FileEvents<'_> {
    /// The group of change `i` (None when no group tells it: it has no event).
    fn group(&self, i: usize) -> Option<&FileEventGroup> {
        let n = self.groups.partition_point(|g| g.first <= i);
        self.groups.get(n.checked_sub(1)?)
    }

    /// The indices of the changes that have an event, in the order they were told.
    pub(crate) fn told(&self) -> impl Iterator<Item = usize> + '_ {
        let end = |k: usize| self.groups.get(k + 1).map_or(self.changes.len(), |g| g.first);
        self.groups.iter().enumerate().flat_map(move |(k, g)| g.first..end(k))
    }

    fn placed(&self, i: usize) -> Option<(&FileEventGroup, &FileChange, Placed)> {
        let g = self.group(i)?;
        let c = self.changes.get(i)?;
        let (time, desc) = match g.timing {
            Timing::Layer(created) => (created, "layer created (file mtime in message)"),
            Timing::Commit if c.deleted_at().is_some() => {
                (c.deleted_at(), "whiteout mtime: the time of the deletion (container layer)")
            }
            Timing::Commit if c.change == Change::Deleted => {
                (None, "deletion time unknown (container layer)")
            }
            Timing::Commit => (c.mtime(), "file mtime (container layer)"),
            // A whiteout's own mtime is when the container deleted the path.
            Timing::Container(desc) if c.change == Change::Deleted => (c.deleted_at(), desc),
            Timing::Container(desc) => (c.mtime(), desc),
        };
        Some((g, c, Placed { time, desc, order: [g.order, (i - g.first) as u64] }))
    }

    /// The event of change `i`, as it was held before events were rendered when written.
    pub(crate) fn event(&self, i: usize) -> Option<TimelineEvent> {
        let (g, c, p) = self.placed(i)?;
        let source = Locator::clone(&c.within).with_member(c.path());
        Some(TimelineEvent {
            time: p.time,
            timestamp_desc: p.desc.into(),
            kind: "file-change".into(),
            message: message(g, c),
            source,
            also: vec![],
            order: p.order.to_vec(),
        })
    }

    /// The order of the timeline (`Outcome::sort`) between the events of changes `a` and `b`.
    pub(crate) fn cmp(&self, a: usize, b: usize) -> Ordering {
        let (Some((ga, ca, pa)), Some((gb, cb, pb))) = (self.placed(a), self.placed(b)) else {
            return a.cmp(&b);
        };
        (pa.time.is_none(), pa.time, pa.order)
            .cmp(&(pb.time.is_none(), pb.time, pb.order))
            .then_with(|| cmp_parts(source_parts(ca), source_parts(cb)))
            .then_with(|| message(ga, ca).cmp(&message(gb, cb)))
    }

    /// The order of the timeline (`Outcome::sort`) between the event of change `a` and `e`.
    pub(crate) fn cmp_event(&self, a: usize, e: &TimelineEvent) -> Ordering {
        let Some((g, c, p)) = self.placed(a) else { return Ordering::Greater };
        let s = &e.source;
        (p.time.is_none(), p.time, &p.order[..])
            .cmp(&(e.time.is_none(), e.time, &e.order[..]))
            .then_with(|| {
                let theirs = (s.artifact.as_str(), s.members.iter().map(|m| Part::Text(m)), s.line, s.offset);
                cmp_parts(source_parts(c), theirs)
            })
            .then_with(|| "file-change".cmp(e.kind.as_ref()))
            .then_with(|| message(g, c).as_str().cmp(e.message.as_str()))
    }
}

/// A member of an event's source as it orders: its text, or a change's path as shown
/// (compared without making the shown path: a timeline of a million changes sorts by it).
#[derive(Clone, Copy)]
enum Part<'a> {
    Text(&'a str),
    /// The path's bytes: shown as `/` and the path, invalid UTF-8 escaped.
    Path(&'a [u8]),
}

impl Ord for Part<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        fn pieces<'p>(p: &Part<'p>) -> (&'static [u8], Cow<'p, [u8]>) {
            match *p {
                Part::Text(s) => (b"", Cow::Borrowed(s.as_bytes())),
                Part::Path(b) => (b"/", crate::layerfs::show_path_tail(b)),
            }
        }
        let (a, b) = (pieces(self), pieces(other));
        if a.0 == b.0 {
            return a.1.cmp(&b.1); // the same prefix: the rest decides, compared as slices
        }
        a.0.iter().chain(a.1.iter()).cmp(b.0.iter().chain(b.1.iter()))
    }
}

impl PartialOrd for Part<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Part<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Part<'_> {}

/// The event's source (the record's locator, its innermost member the shown path), as the
/// fields a `Locator` orders by.
fn source_parts(c: &FileChange) -> (&str, impl Iterator<Item = Part<'_>>, Option<u64>, Option<u64>) {
    let l = &*c.within;
    let members = l.members.iter().map(|m| Part::Text(m)).chain(std::iter::once(Part::Path(&c.path_bytes)));
    (l.artifact.as_str(), members, l.line, l.offset)
}

/// Two sources in the order of `Locator` (artifact, members, line, offset).
fn cmp_parts<'a>(
    a: (&str, impl Iterator<Item = Part<'a>>, Option<u64>, Option<u64>),
    b: (&str, impl Iterator<Item = Part<'a>>, Option<u64>, Option<u64>),
) -> Ordering {
    a.0.cmp(b.0).then_with(|| a.1.cmp(b.1)).then((a.2, a.3).cmp(&(b.2, b.3)))
}

fn message(g: &FileEventGroup, c: &FileChange) -> String {
    let mut s = format!("{}: {} {} ({}", g.head, c.change.letter(), c.path(), c.ftype().as_str());
    if c.ftype() == FileType::File {
        s.push_str(&format!(", {} B", c.size()));
    }
    s.push_str(&format!(", mode {}, uid {} gid {}", c.mode(), c.uid(), c.gid()));
    match c.mtime() {
        Some(t) => s.push_str(&format!(", mtime {t}")),
        None => s.push_str(", mtime unknown"),
    }
    if let Some(h) = c.sha256() {
        s.push_str(&format!(", sha256 {h}"));
    }
    if !c.what().is_empty() {
        s.push_str(&format!(", changed: {}", c.what().join("+")));
    }
    s.push(')');
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::image::Rare;
    use crate::model::{Locator, Outcome};

    /// A file change of `path` in `artifact > blob`, at mtime `secs`.
    pub(crate) fn change(artifact: &str, path: &str, change: Change, secs: Option<i64>) -> FileChange {
        FileChange {
            origin: crate::image::Origin::layer(0, 0),
            path_bytes: path.trim_start_matches('/').as_bytes().into(),
            change,
            meta: std::sync::Arc::new(crate::layerscan::Meta {
                ftype: FileType::File,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: 3,
                mtime: secs.map(|s| Timestamp::from_unix(s, 0)),
                sha256: Some([0xe3; 32]),
                magic: crate::content::Magic::Other,
                rare: None,
            }),
            dir_mtime: None,
            implicit: false,
            traversal: false,
            within: std::sync::Arc::new(Locator::artifact(artifact).with_member("blob/layer.tar")),
            // The member as stored (`./x`) is not the shown path: the event names the path.
            rare: Rare { member: Some(format!(".{path}").into()), ..Default::default() }.boxed(),
        }
    }

    /// A group of container changes from `first`, placed at their mtimes.
    pub(crate) fn group(first: usize, head: &str, order: u64) -> FileEventGroup {
        FileEventGroup { first, head: head.into(), timing: Timing::Container("file mtime"), order }
    }

    /// A change's path orders in a source as its shown text does (`/` and the path, invalid
    /// UTF-8 escaped), against another path or against text.
    #[test]
    fn a_path_orders_as_its_shown_text() {
        let paths: [&[u8]; 8] = [b"", b"a", b"a/b", b"a-b", b"a\xffb", b"a\\xffb", b"\xc3\xa9", b"z"];
        for a in paths {
            for b in paths {
                let (sa, sb) = (crate::layerfs::show_path(a), crate::layerfs::show_path(b));
                let want = sa.cmp(&sb);
                assert_eq!(Part::Path(a).cmp(&Part::Path(b)), want, "{sa} {sb}");
                assert_eq!(Part::Path(a).cmp(&Part::Text(&sb)), want, "{sa} {sb}");
                assert_eq!(Part::Text(&sa).cmp(&Part::Path(b)), want, "{sa} {sb}");
            }
        }
    }

    #[test]
    fn events_read_as_they_were_held() {
        let mut modified = change("image.tar", "/etc/passwd", Change::Modified, Some(1_700_000_000));
        modified.rare.as_mut().unwrap().what = Box::new(["content", "mode"]);
        let mut deleted = change("image.tar", "/tmp/x", Change::Deleted, None);
        deleted.rare.as_mut().unwrap().deleted_at = Some(Timestamp::from_unix(1_700_000_500, 0));
        let changes = vec![change("image.tar", "/bin/sh", Change::Added, None), modified, deleted];
        let created = Some(Timestamp::from_unix(1_600_000_000, 0));
        let groups = [
            FileEventGroup {
                first: 0,
                head: "image a:1 layer 0".into(),
                timing: Timing::Layer(created),
                order: 0,
            },
            FileEventGroup {
                first: 1,
                head: "container 0123456789ab".into(),
                timing: Timing::Container("file mtime (container export)"),
                order: 2,
            },
        ];
        let files = FileEvents { groups: &groups, changes: &changes };
        let e3 = "e3".repeat(32);
        assert_eq!(files.told().collect::<Vec<_>>(), [0, 1, 2]);
        let e = files.event(0).unwrap();
        assert_eq!(e.time, created);
        assert_eq!(e.timestamp_desc, "layer created (file mtime in message)");
        assert_eq!(e.kind, "file-change");
        assert_eq!(
            e.message,
            format!("image a:1 layer 0: A /bin/sh (file, 3 B, mode 0644, uid 0 gid 0, mtime unknown, sha256 {e3})")
        );
        assert_eq!(e.source.to_string(), "image.tar > blob/layer.tar > /bin/sh");
        assert_eq!(e.order, [0, 0]);
        let e = files.event(1).unwrap();
        assert_eq!(
            e.message,
            format!(
                "container 0123456789ab: C /etc/passwd (file, 3 B, mode 0644, uid 0 gid 0, \
                 mtime 2023-11-14T22:13:20.000000000Z, sha256 {e3}, changed: content+mode)"
            )
        );
        assert_eq!((e.time, e.order), (Some(Timestamp::from_unix(1_700_000_000, 0)), vec![2, 0]));
        // A deletion is placed at its whiteout's mtime.
        let e = files.event(2).unwrap();
        assert_eq!((e.time, e.order), (Some(Timestamp::from_unix(1_700_000_500, 0)), vec![2, 1]));
        let commit = [FileEventGroup { first: 0, head: "h".into(), timing: Timing::Commit, order: 1 }];
        let files = FileEvents { groups: &commit, changes: &changes };
        let descs: Vec<_> = (0..3).map(|i| files.event(i).unwrap().timestamp_desc).collect();
        assert_eq!(
            descs,
            [
                "file mtime (container layer)",
                "file mtime (container layer)",
                "whiteout mtime: the time of the deletion (container layer)"
            ]
        );
        assert_eq!(files.event(3), None);
    }

    #[test]
    fn compared_as_the_held_events_sort() {
        // Ties on time and order across groups (two images sharing a layer), equal sources
        // told apart by the message, and held events tied with them in every key.
        let at = |s: i64| Some(s);
        let changes = vec![
            change("b.tar", "/z", Change::Added, at(5)),
            change("a.tar", "/y", Change::Added, at(5)),
            change("a.tar", "/y", Change::Added, None),
            change("a.tar", "/y", Change::Added, at(5)),
            change("a.tar", "/a", Change::Deleted, at(1)),
        ];
        let t = Some(Timestamp::from_unix(5, 0));
        let groups = [
            FileEventGroup { first: 0, head: "image b".into(), timing: Timing::Layer(t), order: 0 },
            FileEventGroup { first: 2, head: "image a".into(), timing: Timing::Layer(t), order: 0 },
            FileEventGroup { first: 4, head: "container".into(), timing: Timing::Container("d"), order: 0 },
        ];
        let files = FileEvents { groups: &groups, changes: &changes };
        let held: Vec<TimelineEvent> = (0..5).map(|i| files.event(i).unwrap()).collect();
        for a in 0..5 {
            for b in 0..5 {
                let (ea, eb) = (&held[a], &held[b]);
                let key = |e: &TimelineEvent| {
                    (
                        e.time.is_none(),
                        e.time,
                        e.order.clone(),
                        e.source.clone(),
                        e.kind.clone(),
                        e.message.clone(),
                    )
                };
                assert_eq!(files.cmp(a, b), key(ea).cmp(&key(eb)), "{a} {b}");
                assert_eq!(files.cmp_event(a, eb), key(ea).cmp(&key(eb)), "{a} {b}");
            }
        }
        let mut o = Outcome { timeline: held.clone(), ..Default::default() };
        o.sort();
        let mut told: Vec<usize> = files.told().collect();
        told.sort_by(|&a, &b| files.cmp(a, b));
        assert_eq!(told.iter().map(|&i| held[i].clone()).collect::<Vec<_>>(), o.timeline);
    }
}
