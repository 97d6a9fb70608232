//! A bundle's timeline in its order: the events held, and the `file-change` events of the
//! image section's file changes, told from those records when written (one event held per
//! changed file would cost as much as the record itself).

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::image::FileEvents;
use crate::model::TimelineEvent;

/// The events of a bundle's timeline, sorted as `Outcome::sort` sorts.
#[derive(Debug, Default)]
pub struct Timeline {
    events: Vec<TimelineEvent>,
    order: Vec<Entry>,
}

/// One place of the timeline: a held event, or the event of a file change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Event(u32),
    File(u32),
}

impl Timeline {
    /// Events already sorted, none told from file changes.
    pub fn from_events(events: Vec<TimelineEvent>) -> Self {
        let order = (0..events.len() as u32).map(Entry::Event).collect();
        Timeline { events, order }
    }

    /// Sorted `events` and the events of `files`, in the order `Outcome::sort` gives them all.
    /// Where an event and a file change's are equal in every key, the event goes first: only
    /// events read before the image (a checkpoint's) can be `file-change` ones.
    pub(crate) fn merge(events: Vec<TimelineEvent>, files: FileEvents<'_>) -> Self {
        let mut told: Vec<u32> = files.told().map(|i| i as u32).collect();
        told.sort_by(|&a, &b| files.cmp(a as usize, b as usize));
        let mut order = Vec::with_capacity(events.len() + told.len());
        let mut next = told.into_iter().peekable();
        for (i, e) in events.iter().enumerate() {
            while let Some(f) = next.next_if(|&f| files.cmp_event(f as usize, e) == Ordering::Less) {
                order.push(Entry::File(f));
            }
            order.push(Entry::Event(i as u32));
        }
        order.extend(next.map(Entry::File));
        Timeline { events, order }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The events in order, those of file changes rendered from `files` (the section the
    /// timeline was merged with).
    pub(crate) fn iter<'a>(
        &'a self,
        files: FileEvents<'a>,
    ) -> impl ExactSizeIterator<Item = Cow<'a, TimelineEvent>> + 'a {
        self.order.iter().map(move |e| match *e {
            Entry::Event(i) => Cow::Borrowed(&self.events[i as usize]),
            Entry::File(i) => Cow::Owned(files.event(i as usize).expect("a told change has an event")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::file_events_for_tests::{change, group};
    use crate::image::Change;
    use crate::model::{Locator, Outcome, Timestamp};

    #[test]
    fn merged_as_one_sort_of_all_events() {
        let changes = vec![
            change("a.tar", "/y", Change::Added, Some(5)),
            change("a.tar", "/x", Change::Added, Some(9)),
            change("a.tar", "/w", Change::Added, None),
        ];
        let groups = [group(0, "container", 1)];
        let files = FileEvents { groups: &groups, changes: &changes };
        let ev = |secs: Option<i64>, kind: &'static str, msg: &str| TimelineEvent {
            time: secs.map(|s| Timestamp::from_unix(s, 0)),
            timestamp_desc: "held".into(),
            kind: kind.into(),
            message: msg.into(),
            source: Locator::artifact("a.tar"),
            also: vec![],
            order: vec![],
        };
        // A held event equal to a file change's in every key but its description.
        let mut twin = files.event(1).unwrap();
        twin.timestamp_desc = "held twin".into();
        let held =
            vec![ev(Some(7), "log-hit", "m"), ev(None, "container", "n"), ev(Some(1), "log-hit", "o"), twin];
        let mut all = Outcome { timeline: held.clone(), ..Default::default() };
        all.timeline.extend(files.told().map(|i| files.event(i).unwrap()));
        all.sort();
        let mut sorted = Outcome { timeline: held, ..Default::default() };
        sorted.sort();
        let t = Timeline::merge(sorted.timeline, files);
        assert_eq!(t.len(), 7);
        assert_eq!(t.iter(files).map(Cow::into_owned).collect::<Vec<_>>(), all.timeline);
        let t = Timeline::from_events(all.timeline.clone());
        assert_eq!(t.iter(files).map(Cow::into_owned).collect::<Vec<_>>(), all.timeline);
    }
}
