//! What `layers` and `diff` share: the JSON envelope, the exit code, reading the artifacts
//! named, sorting an outcome and writing findings as text.

use serde::Serialize;

use crate::evidence::{discover, Artifact};
use crate::exit::{EXIT_FINDINGS, EXIT_UNREADABLE};
use crate::model::{terminal_safe, DiagLevel, Diagnostic, Finding, Severity};

/// The envelope every command's JSON starts with (docs/report-schema.json).
#[derive(Serialize)]
pub(crate) struct Envelope {
    schema_version: &'static str,
    tool: crate::report::Tool,
    run: crate::report::Run,
}

impl Envelope {
    pub(crate) fn now() -> Self {
        Envelope {
            schema_version: crate::report::SCHEMA_VERSION,
            tool: crate::report::Tool::this(),
            run: crate::report::Run::now(crate::report::run_time()),
        }
    }
}

pub(crate) fn code(findings: &[Finding], diags: &[Diagnostic]) -> i32 {
    let mut c = 0;
    if findings.iter().any(|f| f.severity >= Severity::High) {
        c |= EXIT_FINDINGS;
    }
    if diags.iter().any(|d| d.level == DiagLevel::Error) {
        c |= EXIT_UNREADABLE;
    }
    c
}

pub(crate) fn artifacts_of(path: &std::path::Path, diags: &mut Vec<Diagnostic>) -> Vec<Artifact> {
    let b = discover(path);
    diags.extend(b.diagnostics);
    b.artifacts
}

pub(crate) fn sorted(mut o: crate::model::Outcome) -> crate::model::Outcome {
    o.sort();
    o.findings = crate::analyze::correlate::one_finding_per_fact(std::mem::take(&mut o.findings));
    o
}

pub(crate) fn write_findings(s: &mut String, findings: &[Finding], diags: &[Diagnostic]) {
    for f in findings {
        s.push_str(&format!(
            "[{}] {} ({})\n    {}\n",
            f.severity.as_str().to_uppercase(),
            terminal_safe(&f.title),
            f.rule,
            terminal_safe(&f.summary)
        ));
    }
    for d in diags {
        let lvl = if d.level == DiagLevel::Error { "error" } else { "warning" };
        s.push_str(&format!(
            "{lvl}: {}: {}\n",
            terminal_safe(&d.locator.to_string()),
            terminal_safe(&d.message)
        ));
    }
}
