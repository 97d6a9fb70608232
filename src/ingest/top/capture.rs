//! The process capture as read: one `docker top` / `ps` output, its columns and its rows.

use std::collections::BTreeMap;

use serde::Serialize;

use super::columns::{Column, Field};
use crate::model::{ContainerRef, Locator, Timestamp};

/// How the capture was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureFormat {
    /// `ps` / `docker top` text with a header line.
    #[default]
    Text,
    /// The Engine API's top JSON (`Titles` + `Processes`).
    ApiJson,
    /// A sysdig / Falco capture: processes from its process table and exec/clone events.
    Scap,
    /// Tetragon events (`tetra getevents -o json`, the export file).
    Tetragon,
    /// Falco JSON alerts (`json_output: true`): the processes their output fields name.
    Falco,
    /// Sysmon for Linux events (in syslog, or a JSON export of it).
    Sysmon,
    /// The Linux audit log (`audit.log`).
    Auditd,
    /// The processes of a CRIU checkpoint (pstree, core, mm and the pages), frozen at the
    /// checkpoint time; CRIU keeps no start times.
    Checkpoint,
}

impl CaptureFormat {
    /// What a process's start time rests on, for the timeline.
    pub(crate) fn start_basis(self) -> &'static str {
        match self {
            CaptureFormat::Text | CaptureFormat::ApiJson => {
                "process started (ps start time, host local time read as UTC)"
            }
            CaptureFormat::Scap => "process started (exec or fork event of a sysdig/Falco capture, UTC)",
            CaptureFormat::Tetragon => "process exec (Tetragon start_time, kernel clock, nanoseconds, UTC)",
            CaptureFormat::Falco => "process seen in a Falco alert (event time, nanoseconds, UTC)",
            CaptureFormat::Sysmon => "process create (Sysmon for Linux UtcTime, milliseconds, UTC)",
            CaptureFormat::Auditd => "process exec (audit record time, milliseconds, UTC)",
            CaptureFormat::Checkpoint => {
                "process running when the container was checkpointed (CRIU keeps no start time)"
            }
        }
    }

    /// A runtime sensor's record (exact times, exec lineage: an event stream or a syscall
    /// capture), not a `ps` snapshot: its processes and times outrank a snapshot's.
    pub(crate) fn is_sensor(self) -> bool {
        matches!(
            self,
            CaptureFormat::Tetragon
                | CaptureFormat::Falco
                | CaptureFormat::Sysmon
                | CaptureFormat::Auditd
                | CaptureFormat::Scap
        )
    }
}

/// One process capture (one `docker top` / `ps` output).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessCapture {
    pub artifact: String,
    pub format: CaptureFormat,
    /// The header's columns and what each was read as.
    pub columns: Vec<Column>,
    /// Forest art (`ps f`, `ps -H`) was seen in the command column.
    pub forest: bool,
    pub processes: Vec<Process>,
}

impl ProcessCapture {
    /// True when the header has a parent PID column.
    pub fn has_ppid(&self) -> bool {
        self.columns.iter().any(|c| c.field == Field::Ppid)
    }
}

/// One process row.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Process {
    /// Host PID (docker top shows host PIDs).
    pub pid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// The start column as printed (`14:00`, `Nov27`, `Fri Nov 27 14:00:00 2026`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// The start as an instant, when the capture printed a full date (lstart, ISO 8601).
    /// ps prints host local time without a zone; it is read as UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// Elapsed time since start, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
    /// Accumulated CPU time as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_percent: Option<f64>,
    /// Virtual size, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vsz: Option<u64>,
    /// Resident set size, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss: Option<u64>,
    /// The full command line as captured (forest art removed; invalid UTF-8 as `\xNN`).
    pub cmd: String,
    /// The `comm` column, when the capture has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comm: Option<String>,
    /// Program base name derived from the command (`/usr/bin/java -jar x` -> `java`).
    pub exe: String,
    /// Depth in the capture's forest art, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forest_depth: Option<u32>,
    /// Columns not otherwise understood, by header text.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// The container the source says the process ran in (sensors, checkpoints); None for
    /// `top`/`ps` captures, whose container attribution decides from where they lie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerRef>,
    /// The sensor's own id of this exec (Tetragon `exec_id`, Sysmon `ProcessGuid`): unique
    /// where PIDs repeat. None for `top`/`ps` captures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec_id: Option<String>,
    /// The parent's exec id, when the sensor gives it: lineage follows it before the PPID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_exec_id: Option<String>,
    pub locator: Locator,
}
