//! Pure data shared by every stage: locators, times, severities, findings, diagnostics.

mod actor;
mod fact;
mod finding;
mod ioc;
mod locator;
mod logspan;
mod owner;
pub(crate) mod pick;
mod pod;
mod rule;
mod severity;
mod text;
mod timestamp;

pub use actor::Actor;
pub use fact::{Fact, When};
pub use finding::{DiagLevel, Diagnostic, Finding, Outcome, TimelineEvent};
pub use ioc::{role, IocKind, IocRef};
pub use locator::{folder_of, Locator};
pub use logspan::{is_rotated_log, rotation_key, LogSpan};
pub use owner::{ContainerRef, Owner};
pub use pod::PodRef;
pub(crate) use rule::{Family, Role, RuleDef, RuleInfo, RuleKind};
pub use severity::Severity;
pub use text::{display_bytes, excerpt, shared_str, terminal_safe};
pub use timestamp::{Rfc3339Memo, Timestamp};
