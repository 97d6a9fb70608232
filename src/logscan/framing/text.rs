//! Plain text logs (application, access and error logs, syslog, and `docker logs -t`,
//! whose RFC 3339 prefix is the first time [`crate::logscan::time::line_time`] reads): one
//! record per line. A region is searched whole; only the line around a candidate is cut out.

use super::{Cutter, Framing};
use crate::logscan::records::Records;

/// One record per line of text; what any log not recognised as another framing is read as.
#[derive(Clone, Copy, Debug)]
pub struct Text;

impl Framing for Text {
    fn name(&self) -> &'static str {
        "text"
    }

    fn sniff(&self, _head: &[u8]) -> bool {
        true
    }

    fn cutter(&self) -> Box<dyn Cutter> {
        Box::new(Text)
    }

    fn splittable(&self) -> bool {
        true
    }
}

impl Cutter for Text {
    fn region(&mut self, region: &[u8], out: &mut Records<'_>) -> u64 {
        out.search_text(region)
    }
}
