//! The `yara` rule family: a YARA match on a file (or a task's memory) as a finding. The
//! rule id is `yara.<namespace>.<rule>`; the title credits the rule's author as its licence
//! asks; the summary names the file, its size and SHA-256, where it was found and the first
//! matched strings (offset, escaped excerpt); the SHA-256 is an indicator.

use crate::model::{Family, Finding, IocKind, IocRef, Locator, RuleDef, RuleKind, Severity, Timestamp};

use super::meta;
use super::scan::YaraHit;

/// The family's declaration (`rules list`); each match's id and severity are its rule's.
pub(crate) static YARA_MATCH: RuleDef = RuleDef::new(
    "yara",
    RuleKind::of(Family::Yara),
    Severity::Medium,
    "yara",
    "",
    "A --yara rule matched a file the container added or changed, or its memory",
);

/// The family's table.
pub(crate) fn defs() -> Vec<&'static RuleDef> {
    vec![&YARA_MATCH]
}

/// The file (or memory) a hit is about.
pub(crate) struct Subject<'a> {
    /// What the finding is about: a path in the container, or a task's memory.
    pub shown: String,
    pub size: Option<u64>,
    pub sha256: Option<&'a [u8; 32]>,
    /// Where it was found, in words ("in layer 2 of image x", "changed in container y").
    pub where_: &'a str,
    /// Its locator (artifact > member...); the first match's offset is added.
    pub loc: Locator,
    pub time: Option<Timestamp>,
}

/// The finding id of a hit.
pub(crate) fn rule_id(hit: &YaraHit) -> String {
    format!("yara.{}.{}", hit.namespace, hit.rule)
}

/// One hit on one subject as a finding.
pub(crate) fn finding(hit: &YaraHit, s: &Subject) -> Finding {
    let file_name = hit.file.rsplit('/').next().unwrap_or(&hit.file);
    let credit = meta::credit(&hit.rule, &hit.meta, file_name, hit.licence.as_deref());
    let sha = s.sha256.map(|h| crate::digest::hex(h));
    let strings: Vec<String> =
        hit.strings.iter().map(|m| format!("{} at offset {}: \"{}\"", m.id, m.offset, m.excerpt)).collect();
    let mut facts = vec![];
    if let Some(size) = s.size {
        facts.push(format!("{size} bytes"));
    }
    if let Some(h) = &sha {
        facts.push(format!("sha256 {h}"));
    }
    let desc = meta::get(&hit.meta, "description").map(|d| format!(" {d}.")).unwrap_or_default();
    let cut = hit
        .cut
        .map(|(read, all)| {
            format!(" Only the first {read} of its {all} bytes were scanned (the YARA bound).")
        })
        .unwrap_or_default();
    let matched = if strings.is_empty() {
        " The rule's condition matched without strings.".to_string()
    } else {
        format!(" Matched {}.", strings.join("; "))
    };
    let loc = match hit.strings.first() {
        Some(m) => s.loc.clone().with_offset(m.offset),
        None => s.loc.clone(),
    };
    Finding {
        actor: None,
        rule: rule_id(hit),
        severity: meta::severity(&hit.meta),
        category: YARA_MATCH.category.to_string(),
        title: format!("{credit}: {}", s.shown),
        summary: format!(
            "{} {} ({}) matches {credit}, rule file {}.{desc}{matched}{cut}",
            s.shown,
            s.where_,
            facts.join(", "),
            hit.file
        ),
        attack: None,
        time: s.time,
        evidence: vec![loc],
        subject: Some(format!("{}|{}", rule_id(hit), s.shown)),
        owner: None,
        iocs: sha
            .map(|value| {
                vec![IocRef { kind: IocKind::Sha256, value, role: crate::model::role::DROPPED_FILE }]
            })
            .unwrap_or_default(),
        kind: YARA_MATCH.kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yara::scan::StringHit;

    #[test]
    fn a_hit_becomes_a_credited_located_finding() {
        let hit = YaraHit {
            rule: "ChinaChopper_Generic".into(),
            namespace: "apt_webshell_chinachopper".into(),
            file: "rules/apt_webshell_chinachopper.yar".into(),
            meta: vec![
                ("author".into(), "Florian Roth (Nextron Systems)".into()),
                (
                    "license".into(),
                    "Detection Rule License 1.1 https://github.com/Neo23x0/signature-base".into(),
                ),
                ("score".into(), "85".into()),
            ],
            strings: vec![StringHit { id: "$php".into(), offset: 6, excerpt: "@eval($_POST".into() }],
            cut: None,
            licence: None,
        };
        let sha = [0u8; 32];
        let f = finding(
            &hit,
            &Subject {
                shown: "/var/www/html/shell.php".into(),
                size: Some(40),
                sha256: Some(&sha),
                where_: "changed in the container (export)",
                loc: Locator::artifact("export.tar").with_member("var/www/html/shell.php"),
                time: None,
            },
        );
        assert_eq!(f.rule, "yara.apt_webshell_chinachopper.ChinaChopper_Generic");
        assert_eq!(f.severity, Severity::High);
        assert!(f.title.starts_with(
            "YARA rule ChinaChopper_Generic by Florian Roth (Nextron Systems) (signature-base, DRL 1.1)"
        ));
        assert_eq!(f.evidence[0].offset, Some(6));
        assert_eq!(f.evidence[0].members, ["var/www/html/shell.php"]);
        assert!(f.summary.contains("$php at offset 6"), "{}", f.summary);
        assert_eq!(f.iocs[0].kind, IocKind::Sha256);
    }
}
