//! sysdig / Falco capture files (libscap savefiles: `sysdig -w`, Falco trace files) as
//! evidence: the blocks read one by one ([`block`]), the process, fd and user tables
//! ([`tables`]), the syscall events ([`event`], numbered as [`codes`] says) replayed into
//! processes, connections and file activity ([`replay`]), containers from cgroups
//! ([`cgroup`]), the files that matter ([`paths`]), the capture's own rules ([`rules`]) and what the scan gets ([`observe`]).

mod block;
mod cgroup;
mod codes;
mod event;
mod observe;
mod paths;
mod replay;
mod rules;
mod tables;

use std::io::Read;

pub(crate) use rules::defs;

use crate::evidence::Artifact;
use crate::ingest::observed::Observed;
use crate::model::{Diagnostic, Locator};

/// Reads one capture artifact (gzip looked through by the artifact).
pub(crate) fn parse(artifact: &Artifact) -> (Observed, Vec<Diagnostic>) {
    let loc = artifact.locator();
    match artifact.open() {
        Ok(r) => parse_reader(r, &loc),
        Err(e) => (Observed::default(), vec![Diagnostic::error(loc, format!("cannot open: {e}"))]),
    }
}

/// Reads a capture from `reader`; `loc` names it.
pub(crate) fn parse_reader(reader: impl Read, loc: &Locator) -> (Observed, Vec<Diagnostic>) {
    let mut cap = replay::read(reader, loc);
    let observed = observe::observed(&cap, loc);
    (observed, std::mem::take(&mut cap.diagnostics))
}
