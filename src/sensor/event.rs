//! What every sensor reader turns its records into: one event (a process doing one thing:
//! exec, exit, connect, a file read or write, setuid, mount, or a sensor's own alert) with
//! the process as the sensor saw it, its parent when given, the container it names and the
//! record's proof.

use std::collections::BTreeMap;

use crate::model::{ContainerRef, Locator, Severity, Timestamp};

/// A process as one record names it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Proc {
    /// The sensor's unique id of the exec (Tetragon `exec_id`, Sysmon `ProcessGuid`).
    pub exec_id: Option<String>,
    pub parent_exec_id: Option<String>,
    pub pid: Option<u32>,
    pub ppid: Option<u32>,
    pub uid: Option<u32>,
    pub user: Option<String>,
    /// The program file (`/usr/bin/nc`); may be empty when only the command is known.
    pub binary: String,
    /// The command line as the sensor gives it (program and arguments).
    pub cmd: String,
    pub cwd: Option<String>,
    /// Exec time as the sensor recorded it.
    pub started: Option<Timestamp>,
    pub container: Option<ContainerRef>,
    /// Sensor fields kept as they are (pod, namespace, audit session...), by name.
    pub extra: BTreeMap<String, String>,
}

impl Proc {
    /// The program's base name: the binary's, else the command's first word's.
    pub(crate) fn program(&self) -> &str {
        let path = if self.binary.is_empty() {
            self.cmd.split_whitespace().next().unwrap_or("")
        } else {
            self.binary.as_str()
        };
        path.rsplit('/').next().unwrap_or(path)
    }
}

/// A network endpoint pair of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Conn {
    pub src_ip: Option<String>,
    pub src_port: Option<u16>,
    pub dst_ip: String,
    pub dst_port: u16,
    /// `TCP`, `UDP`... as the sensor says, empty when it does not.
    pub protocol: String,
}

/// What was done to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileOp {
    Read,
    Write,
    Create,
    Delete,
}

impl FileOp {
    pub(crate) fn verb(self) -> &'static str {
        match self {
            FileOp::Read => "read",
            FileOp::Write => "wrote",
            FileOp::Create => "created",
            FileOp::Delete => "deleted",
        }
    }
}

/// A sensor's own alert (Falco): its rule, priority and output.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Alert {
    pub sensor: &'static str,
    pub rule: String,
    pub severity: Severity,
    pub priority: String,
    pub output: String,
    pub category: String,
    pub attack: Option<String>,
    /// Files and addresses the alert's fields name (`fd.name`).
    pub fd: Option<String>,
}

/// What the process did.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Act {
    Exec,
    /// The record names the process and nothing it did (a uprobe, a close, a hook not read).
    Seen,
    Exit,
    Connect(Conn),
    Listen(Conn),
    File(FileOp, String),
    /// setuid family to this uid.
    Setuid(u32),
    /// mount (what the sensor says of it).
    Mount(String),
    Alert(Alert),
}

/// One sensor record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Event {
    pub time: Option<Timestamp>,
    pub proc: Proc,
    pub parent: Option<Proc>,
    pub act: Act,
    pub locator: Locator,
}

/// A container (and its pod) as a sensor names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Named {
    pub container: ContainerRef,
    pub image: Option<String>,
    pub image_id: Option<String>,
    pub started: Option<Timestamp>,
    pub pod: Option<String>,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub locator: Locator,
}

/// A container id without its runtime scheme (`containerd://`, `docker://`, `cri-o://`).
pub(crate) fn bare_id(id: &str) -> &str {
    id.split_once("://").map(|(_, rest)| rest).unwrap_or(id)
}

/// A sensor path as an absolute path (old Tetragon drops the leading `/`).
pub(crate) fn absolute(path: &str) -> String {
    if path.starts_with('/') || path.is_empty() {
        path.to_string()
    } else {
        format!("/{path}")
    }
}
