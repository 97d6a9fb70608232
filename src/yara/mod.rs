//! YARA rules over file content (`--yara`): the user's rule files compiled with boreal (pure
//! Rust), one rule at a time so that a rule the engine cannot run is reported by name while
//! the others still run; each file scanned with the external variables set from its own
//! values; matches kept with their rule's meta and a few located string excerpts.

mod compile;
pub(crate) mod findings;
pub(crate) mod meta;
mod scan;

pub(crate) use compile::{load, YaraRules};
pub(crate) use scan::{Externals, YaraHit};
