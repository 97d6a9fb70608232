//! What a detection rule is: one definition every family's table declares its rules with
//! (id, family, story role, severity, category, ATT&CK, title), the typed kind a finding
//! carries from it, and the listing view `rules list` prints.

use std::borrow::Cow;

use serde::Serialize;

use super::Severity;

/// Where a rule's findings come from: the evidence it reads and the table that declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Family {
    /// The log engine's rule files (built-in and `--rules`); findings are `log.<id>`.
    Log,
    /// Sigma web rules run by the log engine; findings are `log.sigma.<id>`.
    SigmaLog,
    /// Sigma process_creation rules run on process captures; findings are `proc.sigma.<id>`.
    SigmaProcess,
    /// Suspicious files in image layers, container changes and saved diffs (`file.`).
    File,
    /// Suspicious processes and lineage in process captures (`proc.`).
    Process,
    /// What a container's configuration lets it reach (`exposure.`).
    Exposure,
    /// Image integrity, configuration and container diff checks.
    Image,
    /// Findings that join two kinds of evidence (`correlate.`).
    Correlation,
    /// Resource use thresholds from `docker stats` captures (`stats.`).
    Stats,
    /// What the story sums up itself (`story.`).
    Story,
    /// Behaviour seen in a sysdig / Falco capture's syscall events (`scap.`).
    Scap,
    /// What a runtime sensor saw (connections, file reads and writes, escapes) and its own
    /// alerts (`sensor.`).
    Sensor,
    /// What a container checkpoint (CRIU) shows: sockets, deleted or memory-only programs,
    /// memory contents (`checkpoint.`).
    Checkpoint,
    /// Kubernetes API server audit events (`k8saudit.`).
    K8sAudit,
    /// The user's YARA rules (`--yara`) over files and memory (`yara.`).
    Yara,
    /// Sigma `product: kubernetes, service: audit` rules run on audit events
    /// (`k8saudit.sigma.`).
    SigmaK8sAudit,
}

impl Family {
    /// The family name `rules list` shows (both Sigma families are `sigma`).
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Family::Log => "log",
            Family::SigmaLog | Family::SigmaProcess | Family::SigmaK8sAudit => "sigma",
            Family::File => "file",
            Family::Process => "process",
            Family::Exposure => "exposure",
            Family::Image => "image",
            Family::Correlation => "correlation",
            Family::Stats => "stats",
            Family::Story => "story",
            Family::Scap => "scap",
            Family::Sensor => "sensor",
            Family::Checkpoint => "checkpoint",
            Family::K8sAudit => "k8saudit",
            Family::Yara => "yara",
        }
    }

    /// Read from log records (the engine's own rules or Sigma web rules).
    pub(crate) fn is_log(self) -> bool {
        matches!(self, Family::Log | Family::SigmaLog)
    }

    /// Read from process captures (the process table or Sigma process rules) or from what a
    /// sensor saw processes do.
    pub(crate) fn is_process(self) -> bool {
        matches!(self, Family::Process | Family::SigmaProcess | Family::Sensor)
    }
}

/// What the story makes of a rule's findings beyond its family. One role per rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Role {
    /// Nothing particular: read by its family, category and severity.
    #[default]
    Plain,
    /// A webshell on disk (keys the fact by path and file name; correlated with requests).
    Webshell,
    /// A webshell on disk that the logs show requested.
    WebshellUsed,
    /// A change to the account databases (one fact per owner).
    Account,
    /// A persistence file (cron, service, profile, ssh keys).
    FilePersistence,
    /// Log files deleted or emptied (one fact per owner).
    LogWipe,
    /// A miner (its files, processes and CPU are one fact).
    Miner,
    /// CPU pegged: folds with the miner.
    CpuHigh,
    /// A vulnerable log4j component: a weakness, not an attacker action.
    Log4j,
    /// A shell a server spawned: the root of the attacker's session and an inferred way in.
    ServerShell,
    /// A process of the attacker's session under a server shell (lineage, reverse shell,
    /// tty upgrade).
    Session,
    /// A way out of the container (privileged, runtime socket, host mounts...).
    Escape,
    /// Scanner traffic, grouped per client address.
    Scanner,
    /// A web attack signature: it means something in a request only (its record must be one).
    Request,
    /// A search term the pivot pass derived from the processes (an attacker host, a
    /// webshell's name).
    Pivot,
    /// An attacker host the processes reached, seen in the logs.
    HostPivot,
    /// The exploit attempts that did not get in, summed up.
    Attempts,
    /// An identity exec'ed or attached into a pod through the API server: the way in to
    /// that pod's container, its source address the attacker's.
    PodExec,
    /// A cluster identity whose credential the container holds (a service-account token in
    /// its pod's volumes): the verdict names it as the blast radius.
    HeldIdentity,
}

/// The typed part of a rule a finding carries: its family, its story role and whether it
/// is generic (says where or how rather than what, so never leads a fact a more specific
/// rule also names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RuleKind {
    pub(crate) family: Family,
    pub(crate) role: Role,
    pub(crate) generic: bool,
}

impl RuleKind {
    /// A plain rule of `family`.
    pub(crate) const fn of(family: Family) -> Self {
        RuleKind { family, role: Role::Plain, generic: false }
    }

    /// The same kind with `role`.
    pub(crate) const fn with(self, role: Role) -> Self {
        RuleKind { role, ..self }
    }

    /// The same kind, generic.
    pub(crate) const fn generic(self) -> Self {
        RuleKind { generic: true, ..self }
    }
}

/// One rule's declaration, as every family's table writes it (built at load for the log
/// engine's and Sigma's rules). `severity` is the rule's own, or the highest it can give
/// when the evidence decides (stats thresholds, attempts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleDef {
    /// The id findings carry (log engine rules: the engine id; findings add `log.`).
    pub(crate) id: Cow<'static, str>,
    pub(crate) kind: RuleKind,
    pub(crate) severity: Severity,
    pub(crate) category: Cow<'static, str>,
    /// ATT&CK technique ids, comma-separated; empty when none applies.
    pub(crate) attack: Cow<'static, str>,
    pub(crate) title: Cow<'static, str>,
    /// Who wrote it, when not ctriage (a Sigma rule's DRL 1.1 credit); empty otherwise.
    pub(crate) credit: Cow<'static, str>,
}

impl RuleDef {
    /// A rule from static table fields (an empty ATT&CK id is none).
    pub(crate) const fn new(
        id: &'static str,
        kind: RuleKind,
        severity: Severity,
        category: &'static str,
        attack: &'static str,
        title: &'static str,
    ) -> Self {
        RuleDef {
            id: Cow::Borrowed(id),
            kind,
            severity,
            category: Cow::Borrowed(category),
            attack: Cow::Borrowed(attack),
            title: Cow::Borrowed(title),
            credit: Cow::Borrowed(""),
        }
    }

    /// The ATT&CK ids, none when empty.
    pub(crate) fn attack(&self) -> Option<String> {
        (!self.attack.is_empty()).then(|| self.attack.to_string())
    }

    /// How `rules list` shows it.
    pub(crate) fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.id.to_string(),
            family: self.kind.family.name(),
            severity: self.severity,
            category: self.category.to_string(),
            attack: self.attack(),
            title: self.title.to_string(),
        }
    }
}

/// One rule as `rules list` shows it, made from its [`RuleDef`].
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub(crate) struct RuleInfo {
    /// The id findings carry (`log.` rules are listed with their engine id; findings add
    /// the `log.` prefix).
    pub(crate) id: String,
    /// `log`, `sigma`, `file`, `process`, `exposure`, `image`, `correlation`, `stats`, `story`,
    /// `k8saudit`.
    pub(crate) family: &'static str,
    pub(crate) severity: Severity,
    pub(crate) category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attack: Option<String>,
    pub(crate) title: String,
}
