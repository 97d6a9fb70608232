//! What a YARA rule's meta says, for a finding: its author and the credit its licence asks
//! for (signature-base's Detection Rule License 1.1: "the rule's name and author"), its
//! description, and the severity its `score` gives (THOR's scale; medium when absent).

use crate::model::Severity;

/// The value of meta `key` (first one; keys compared case-insensitively).
pub(crate) fn get<'a>(meta: &'a [(String, String)], key: &str) -> Option<&'a str> {
    meta.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// The rule's author, "unknown" only when its meta names none.
pub(crate) fn author(meta: &[(String, String)]) -> String {
    get(meta, "author").map(str::to_string).unwrap_or_else(|| "unknown".into())
}

/// The licence a rule is under, short: its own `license` meta, else its rule file's (a
/// `LICENSE` beside it), else none.
pub(crate) fn licence(meta: &[(String, String)], file_licence: Option<&str>) -> Option<String> {
    let own = get(meta, "license").or(file_licence)?;
    let lower = own.to_ascii_lowercase();
    Some(if lower.contains("detection rule license") || lower.contains("detection-rule-license") {
        let version =
            if lower.contains("1.1") || lower.contains("detection-rule-license") { " 1.1" } else { "" };
        format!("DRL{version}")
    } else {
        own.chars().take(60).collect()
    })
}

/// The collection a rule comes from: signature-base when its meta points there, else its
/// rule file's name.
pub(crate) fn source(meta: &[(String, String)], file_name: &str) -> String {
    let points_there = meta.iter().any(|(k, v)| {
        matches!(k.to_ascii_lowercase().as_str(), "license" | "reference")
            && (v.contains("signature-base") || v.contains("Neo23x0"))
    });
    if points_there {
        "signature-base".into()
    } else {
        file_name.to_string()
    }
}

/// "YARA rule NAME by AUTHOR (SOURCE, LICENCE)": the credit a match shows.
pub(crate) fn credit(
    rule: &str,
    meta: &[(String, String)],
    file_name: &str,
    file_licence: Option<&str>,
) -> String {
    let src = source(meta, file_name);
    match licence(meta, file_licence) {
        Some(l) => format!("YARA rule {rule} by {} ({src}, {l})", author(meta)),
        None => format!("YARA rule {rule} by {} ({src})", author(meta)),
    }
}

/// Severity from meta `score` (signature-base/THOR: 0-100; 80+ an alert, 60+ a warning,
/// 40+ a notice): high, medium, low, info. Medium when the rule has no score.
pub(crate) fn severity(meta: &[(String, String)]) -> Severity {
    match get(meta, "score").and_then(|s| s.trim().parse::<i64>().ok()) {
        Some(s) if s >= 80 => Severity::High,
        Some(s) if s >= 60 => Severity::Medium,
        Some(s) if s >= 40 => Severity::Low,
        Some(_) => Severity::Info,
        None => Severity::Medium,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn credit_follows_the_drl() {
        let sb = m(&[
            ("description", "Detects China Chopper"),
            ("author", "Florian Roth (Nextron Systems)"),
            (
                "license",
                "Detection Rule License 1.1 https://github.com/Neo23x0/signature-base/blob/master/LICENSE",
            ),
            ("score", "75"),
        ]);
        assert_eq!(
            credit("ChinaChopper_Generic", &sb, "apt_webshell_chinachopper.yar", None),
            "YARA rule ChinaChopper_Generic by Florian Roth (Nextron Systems) (signature-base, DRL 1.1)"
        );
        // No licence meta: the LICENSE beside the file; no author: "unknown".
        let bare = m(&[("description", "x")]);
        assert_eq!(
            credit("R", &bare, "mine.yar", Some("DRL 1.1")),
            "YARA rule R by unknown (mine.yar, DRL 1.1)"
        );
        assert_eq!(
            credit("R", &m(&[("author", " ")]), "mine.yar", None),
            "YARA rule R by unknown (mine.yar)"
        );
        assert_eq!(
            credit("R", &m(&[("author", "a"), ("license", "BSD 2-Clause")]), "f.yar", None),
            "YARA rule R by a (f.yar, BSD 2-Clause)"
        );
    }

    #[test]
    fn severity_from_score() {
        assert_eq!(severity(&m(&[("score", "90")])), Severity::High);
        assert_eq!(severity(&m(&[("score", "80")])), Severity::High);
        assert_eq!(severity(&m(&[("score", "70")])), Severity::Medium);
        assert_eq!(severity(&m(&[("score", "50")])), Severity::Low);
        assert_eq!(severity(&m(&[("score", "10")])), Severity::Info);
        assert_eq!(severity(&m(&[("score", "high")])), Severity::Medium);
        assert_eq!(severity(&m(&[("author", "x")])), Severity::Medium);
    }
}
