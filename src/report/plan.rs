//! The response plan as a POSIX sh script a responder reviews and runs on the host: no
//! prompts, `DATE` set once at the top, each step a numbered comment with why, then its
//! commands. ctriage runs none of it. Written with [`crate::shell::Script`], so everything
//! taken from the evidence stays in comments (made printable) or in the plan's own quoting.

use std::io::{self, Write};

use crate::analyze::response::DATE_ASSIGNMENT;
use crate::model::DiagLevel;
use crate::report::Report;
use crate::shell::Script;

/// Whether `code` has a `$` or a backtick inside single quotes (meant for another program,
/// such as a Go template or awk: shellcheck's SC2016 asks whether that was meant).
fn literal_dollar(code: &str) -> bool {
    let mut quoted = false;
    let mut in_double = false;
    let mut prev = '\0';
    for c in code.chars() {
        match c {
            '\'' if !in_double => quoted = !quoted,
            '"' if !quoted && prev != '\\' => in_double = !in_double,
            '$' | '`' if quoted => return true,
            _ => {}
        }
        prev = c;
    }
    false
}

/// The script for every bundle of the report.
pub(crate) fn script(report: &Report) -> String {
    let mut s = Script::new(&format!(
        "Response plan written by ctriage {} from {} bundle(s), report time {}.\n\
         ctriage ran none of this. Review each step, then run it as root on the host that runs the\n\
         containers, in an empty directory: evidence files are written there. No step asks anything;\n\
         a step that fails does not stop the next (some steps are the fallback of the one before).",
        report.tool.version,
        report.bundles.len(),
        report.run.time.to_iso_seconds()
    ));
    s.blank();
    s.comment("One date for every file of this response, even past midnight.");
    s.line(DATE_ASSIGNMENT);
    s.line("export DATE");
    for b in &report.bundles {
        s.blank();
        s.comment(&format!("Bundle {}: {} step(s).", b.path, b.response_plan.len()));
        let errors = b.diagnostics.iter().filter(|d| d.level == DiagLevel::Error).count();
        if errors > 0 {
            s.comment(&format!(
                "{errors} error(s) reading this bundle's evidence (see the diagnostics of `ctriage scan`): \
                 this plan rests only on what could be read."
            ));
        }
        if b.response_plan.is_empty() {
            s.comment(if errors > 0 {
                "No step: nothing that could be read names a container to act on."
            } else {
                "Nothing to do for this bundle: no container to act on."
            });
        }
        for step in &b.response_plan {
            s.step(&step.step, &format!("Why: {}", step.why));
            if step.commands.is_empty() {
                s.comment("No command: this step is done elsewhere (where the secret, account or proxy is managed).");
            }
            for c in &step.commands {
                if literal_dollar(c) {
                    s.line(
                        "# shellcheck disable=SC2016 # the $ is for the runtime's template, awk or sed, not the shell",
                    );
                }
                s.line(c);
            }
        }
    }
    s.finish()
}

/// Write the script.
pub(crate) fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(script(report).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::literal_dollar;

    #[test]
    fn dollars_in_single_quotes_are_found() {
        assert!(literal_dollar("awk '$1 == n {print $2}'"));
        assert!(!literal_dollar("echo \"$DATE\" 'plain'"));
        assert!(!literal_dollar("echo \"it's $DATE\""));
    }
}
