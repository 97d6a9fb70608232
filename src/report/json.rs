//! The JSON writer: the report as one pretty-printed document (the documented contract).

use std::io::{self, Write};

use super::Report;

/// Write `report` as JSON followed by a newline.
pub(crate) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(super::json_io)?;
    out.write_all(b"\n")
}
