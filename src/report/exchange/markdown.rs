//! A Markdown summary to paste into an incident ticket: per bundle the verdict, the chain,
//! the findings at medium or above, the attacker-side indicators, the response plan and the
//! custody hashes. Evidence text is terminal-safe and Markdown-escaped (no raw HTML, no
//! links or emphasis an attacker could slip in); commands sit in fenced blocks.

use std::io::{self, Write};

use crate::model::{terminal_safe, Severity};
use crate::report::{BundleReport, Report};

/// Evidence text inside a line as inert Markdown: control characters escaped, `<>&` as
/// entities, the characters that make emphasis, code, links, tables or strike-through
/// backslash-escaped, and no autolink (`://`, `www.`, `@` are broken up), so attacker text
/// renders as the text it is. Nothing else is escaped (`198.51.100.23` stays as it is).
pub(crate) fn md(s: &str) -> String {
    escape(s, false)
}

/// Evidence text that starts a line: as [`md`], and a first character that would start a
/// heading, list or quote escaped too.
fn md_paragraph(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, line_start: bool) -> String {
    let safe = terminal_safe(s);
    let mut out = String::with_capacity(safe.len() + 8);
    let chars: Vec<char> = safe.chars().collect();
    // `1.` / `1)` at the start would begin an ordered list: its `.` or `)` is escaped.
    let digits = chars.iter().take_while(|d| d.is_ascii_digit()).count();
    let list_mark = (line_start && digits > 0 && chars.get(digits).is_some_and(|d| matches!(d, '.' | ')')))
        .then_some(digits);
    for (i, &c) in chars.iter().enumerate() {
        let at_start =
            (line_start && i == 0 && matches!(c, '#' | '-' | '+' | '=' | '>')) || list_mark == Some(i);
        let autolink = (c == '/' && i > 0 && (chars[i - 1] == ':' || chars[i - 1] == '/'))
            || (c == '.' && i >= 3 && chars[i - 3..i].iter().collect::<String>().eq_ignore_ascii_case("www"));
        match c {
            '<' => out.push_str("&lt;"),
            '>' if !at_start => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push(' '),
            c if at_start || autolink => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A code fence longer than any run of backticks in `lines`, so none can close it early.
fn fence(lines: &[String]) -> String {
    let longest =
        lines.iter().flat_map(|l| l.split(|c| c != '`').map(str::len).collect::<Vec<_>>()).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// Write the summary.
pub(crate) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let sm = &report.summary;
    writeln!(out, "# ctriage report\n")?;
    writeln!(
        out,
        "ctriage {} (schema {}), run {}: {} bundle(s), {} artifact(s); findings: {} critical, {} high, {} medium, \
         {} low, {} info; {} error(s).",
        report.tool.version,
        report.schema_version,
        report.run.time.to_iso_seconds(),
        sm.bundles,
        sm.artifacts,
        sm.findings["critical"],
        sm.findings["high"],
        sm.findings["medium"],
        sm.findings["low"],
        sm.findings["info"],
        sm.errors
    )?;
    for b in &report.bundles {
        bundle(out, b)?;
    }
    Ok(())
}

fn bundle(out: &mut dyn Write, b: &BundleReport) -> io::Result<()> {
    writeln!(out, "\n## Bundle {}\n", md(&b.path))?;
    for v in &b.story.verdicts {
        let who = v.container.as_deref().map(md).unwrap_or_else(|| "this bundle".into());
        writeln!(out, "### Verdict: {who}: **{}**\n", v.status.to_uppercase())?;
        writeln!(out, "{}\n", md_paragraph(&v.reason))?;
        if let Some(w) = &v.way_in {
            writeln!(out, "- way in: {}", md(w))?;
        }
        for (label, items) in [
            ("attacker", &v.attackers),
            ("live session", &v.live_sessions),
            ("persistence to remove", &v.persistence),
            ("escape path open", &v.escape_paths),
            ("secrets to rotate", &v.secrets),
            ("cluster identity held", &v.identities),
        ] {
            for i in items {
                writeln!(out, "- {label}: {}", md(i))?;
            }
        }
        writeln!(out)?;
    }
    if !b.story.chain.is_empty() {
        writeln!(out, "### Attack chain\n\n| stage | what | when | proof |\n| --- | --- | --- | --- |")?;
        for c in &b.story.chain {
            let proof: Vec<String> = c.proof.iter().take(3).map(|l| md(&l.to_string())).collect();
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.stage,
                md(&c.title),
                md(&c.when.describe()),
                proof.join("<br>")
            )?;
        }
        writeln!(out)?;
    }
    let serious: Vec<_> = b.findings.iter().filter(|f| f.severity >= Severity::Medium).collect();
    writeln!(out, "### Findings ({} of {} at medium or above)\n", serious.len(), b.findings.len())?;
    if !serious.is_empty() {
        writeln!(out, "| severity | rule | title | when |\n| --- | --- | --- | --- |")?;
        for f in serious {
            let when = f.when.as_ref().map(|w| md(&w.describe())).unwrap_or_default();
            writeln!(out, "| {} | {} | {} | {when} |", f.severity, md(&f.rule), md(&f.title))?;
        }
        writeln!(out)?;
    }
    if !b.story.iocs.is_empty() {
        writeln!(out, "### Attacker-side indicators\n\n| type | value | role | what it did |\n| --- | --- | --- | --- |")?;
        for i in &b.story.iocs {
            let what = match &i.path {
                Some(p) if !i.reason.contains(p.as_str()) => format!("{} ({p})", i.reason),
                _ => i.reason.clone(),
            };
            writeln!(out, "| {} | {} | {} | {} |", i.kind, md(&i.value), i.roles.join(", "), md(&what))?;
        }
        writeln!(out)?;
    }
    if !b.response_plan.is_empty() {
        writeln!(out, "### Response plan\n")?;
        for (n, s) in b.response_plan.iter().enumerate() {
            writeln!(out, "{}. **{}**: {}", n + 1, md(&s.step), md(&s.why))?;
            if !s.commands.is_empty() {
                let lines: Vec<String> = s.commands.iter().map(|c| terminal_safe(c)).collect();
                let f = fence(&lines);
                writeln!(out, "\n   {f}sh")?;
                for l in &lines {
                    writeln!(out, "   {l}")?;
                }
                writeln!(out, "   {f}")?;
            }
        }
        writeln!(out)?;
    }
    writeln!(out, "### Custody\n\n| artifact | kind | size | sha256 |\n| --- | --- | --- | --- |")?;
    for a in &b.artifacts {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            md(&a.path),
            a.kind.as_str(),
            a.size,
            crate::digest::hex_or_dash(a.sha256)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{md, md_paragraph};

    #[test]
    fn evidence_is_inert_markdown() {
        assert_eq!(md("<script>"), "&lt;script&gt;");
        assert_eq!(md("[x](http://e)"), "\\[x\\](http:\\/\\/e)");
        assert_eq!(md("a|b\u{202e}"), "a\\|b\\\\u{202e}");
        assert_eq!(md_paragraph("# not a heading"), "\\# not a heading");
        assert_eq!(md_paragraph("1. not a list"), "1\\. not a list");
        assert_eq!(md("198.51.100.23 (sent it)"), "198.51.100.23 (sent it)");
        assert_eq!(md("# inside a line"), "# inside a line");
        assert_eq!(md("www.evil.example and a@b.c"), "www\\.evil.example and a\\@b.c");
        assert_eq!(super::fence(&["a ``` b".into()]), "````");
        assert_eq!(super::fence(&["plain".into()]), "```");
        assert_eq!(md("plain text: 203.0.113.9, ok-ish"), "plain text: 203.0.113.9, ok-ish");
    }
}
