//! When each observation happened, from what the evidence gives: a process's start (`ps`
//! lstart to the second, or STIME `HH:MM` on the day of the last log record), a file's
//! mtime (forged when older than the container or image that wrote it: then bounded by
//! `analyze::written`'s independent clocks), a deletion's whiteout time or its bounds (after
//! the container started, at or before its directory's mtime).

use std::collections::{BTreeMap, BTreeSet};

use super::records::LogRecord;
use crate::bundle::Evidence;
use crate::image::Side;
use crate::image::{Change, FileChange};
use crate::ingest::top::CaptureFormat;
use crate::model::{Family, Finding, Timestamp, When};

/// The times the evidence gives each observation.
pub(super) struct Clocks<'a> {
    /// The container's changes (export or committed layers) and image layer changes of the
    /// paths file findings name, by path; last wins.
    changes: BTreeMap<String, &'a FileChange>,
    /// (image, layer) of the layers `docker commit` added.
    committed: BTreeSet<(usize, usize)>,
    started: Option<Timestamp>,
    /// The day `ps` STIME `HH:MM` columns refer to (the last dated log record's).
    day: Option<Timestamp>,
    /// Processes by PID, with their capture's format; a sensor's record of a PID outranks a
    /// snapshot's (its lineage saw the exec, its time is exact).
    procs: BTreeMap<u32, (&'a crate::ingest::top::Process, CaptureFormat)>,
    /// Bounds of a forged file's real write.
    written: crate::analyze::written::WriteClocks<'a>,
}

impl<'a> Clocks<'a> {
    /// The clocks of the evidence, with the file changes of the paths the `findings` of the
    /// file family name (a map of every changed file would hold a million entries for a
    /// million-file image).
    pub(super) fn new(report: &'a Evidence, records: &'a [LogRecord], findings: &[Finding]) -> Self {
        let named = crate::image::ShownPaths::new(
            findings.iter().filter(|f| f.kind.family == Family::File).filter_map(|f| f.subject.as_deref()),
        );
        let mut changes = BTreeMap::new();
        for c in report.image.file_changes.iter().filter(|c| named.contains(c)) {
            let path = c.path();
            // A whiteout's own time beats an export's unknown one for the same deletion.
            if changes
                .get(&path)
                .is_some_and(|p: &&FileChange| p.deleted_at().is_some() && c.deleted_at().is_none())
            {
                continue;
            }
            changes.insert(path, c);
        }
        let started = report.containers.iter().filter_map(|c| c.state.started_at.or(c.created)).min();
        let day = records.iter().filter_map(|r| r.time).max().map(|t| t.day_start());
        let procs = report
            .processes
            .iter()
            .filter(|r| !r.capture.format.is_sensor())
            .chain(report.processes.iter().filter(|r| r.capture.format.is_sensor()))
            .flat_map(|r| r.capture.processes.iter().map(move |p| (p.pid, (p, r.capture.format))))
            .collect();
        let committed = report
            .image
            .images
            .iter()
            .flat_map(|i| i.committed_layers.iter().map(move |&l| (i.index, l)))
            .collect();
        let written = crate::analyze::written::WriteClocks::new(
            report,
            records.iter().map(|r| (r.time, r.excerpt.as_str())),
            day,
        );
        Clocks { changes, committed, started, day, procs, written }
    }

    pub(super) fn when_of(&self, f: &Finding) -> Option<When> {
        let subject = f.subject.as_deref().unwrap_or("");
        // What a sensor saw happen has the sensor's own time.
        if f.kind.family == Family::Sensor {
            if let Some(t) = f.time {
                return Some(When::at(t, "event time recorded by the runtime sensor"));
            }
        }
        if f.kind.family.is_process() {
            let pid: u32 = subject.strip_prefix("pid ")?.split(' ').next()?.parse().ok()?;
            let &(p, format) = self.procs.get(&pid)?;
            if let (Some(t), true) = (p.started, format.is_sensor()) {
                return Some(When::at(t, format!("process start: {}", format.start_basis())));
            }
            if let Some(t) = p.started {
                // ps derives starts from the boot time, truncated to seconds: up to two
                // seconds early.
                return Some(When {
                    time: None,
                    not_before: Some(t),
                    not_after: Some(t.plus_secs(2)),
                    basis: "process start: ps lstart, to the second (host local time read as UTC)".into(),
                });
            }
            let start = p.start.as_deref()?;
            let (h, m) = start.split_once(':')?;
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            if !(0..24).contains(&h) || !(0..60).contains(&m) {
                return None; // not a time of day: a hostile STIME would overflow the sum
            }
            let Some(day) = self.day else {
                return Some(When::unknown(format!(
                    "process start: ps STIME {start}, the day is not in the evidence"
                )));
            };
            let from = day.plus_secs(h * 3600 + m * 60);
            return Some(When {
                time: None,
                not_before: Some(from),
                not_after: Some(from.plus_secs(59)),
                basis: format!("process start: ps STIME {start}, the day of the last log record"),
            });
        }
        if f.kind.family == Family::File && subject.starts_with('/') {
            let c = self.changes.get(subject)?;
            return Some(self.file_when(c, f.owner.as_ref()));
        }
        if f.kind.family == Family::Scap {
            return f.time.map(|t| When::at(t, "syscall event (sysdig/Falco capture)"));
        }
        if f.kind.family == Family::Correlation || f.kind.family.is_log() {
            return f.time.map(|t| When::at(t, "log record"));
        }
        if matches!(f.kind.family, Family::K8sAudit | Family::SigmaK8sAudit) {
            return f.time.map(|t| When::at(t, "API server audit event (stage time)"));
        }
        None
    }

    fn file_when(&self, c: &FileChange, owner: Option<&crate::model::Owner>) -> When {
        let dir = c.dir_mtime.filter(|t| self.started.is_none_or(|s| s <= *t));
        if c.change == Change::Deleted {
            if let Some(t) = c.deleted_at() {
                return When::at(t, "whiteout mtime (the time of the deletion)");
            }
            return When {
                time: None,
                not_before: self.started,
                not_after: dir,
                basis: if dir.is_some() {
                    "deletion time unknown: after the container started, at or before its directory's mtime"
                        .into()
                } else {
                    "deletion time unknown: after the container started, before the capture".into()
                },
            };
        }
        match c.mtime() {
            // The container wrote it, yet it claims to be older than the container or its image.
            Some(m) if self.container_change(c) => self
                .written
                .forged(c, m, owner, self.started)
                .unwrap_or_else(|| When::at(m, "file mtime (set by whoever wrote the file)")),
            Some(m) => When::at(m, "file mtime (set by whoever wrote the file)"),
            None => When::unknown("no mtime"),
        }
    }

    /// The container's own change: from the export, its read-write layer in a data root, or
    /// a layer `docker commit` added.
    fn container_change(&self, c: &FileChange) -> bool {
        c.side() == Some(Side::Export)
            || c.side() == Some(Side::UpperDir)
            || matches!((c.image(), c.layer()), (Some(i), Some(l)) if self.committed.contains(&(i, l)))
    }
}
