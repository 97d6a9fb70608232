//! How the terminal report looks (colour, width, verbosity) and the two helpers every
//! section writes with: headings and evidence text made terminal-safe.

use std::fmt::Write as _;

use crate::model::terminal_safe;

/// When to colour the terminal report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

/// How the terminal report looks: colour, width, verbosity.
#[derive(Clone, Debug, Default)]
pub(crate) struct Style {
    /// Colour severities and verdicts (ANSI SGR; only ctriage's own escapes, never evidence).
    pub color: bool,
    /// Wrap long lines at this width, continuation lines indented; None: no wrapping.
    pub width: Option<usize>,
    /// Every log hit and the whole timeline.
    pub verbose: bool,
}

impl Style {
    /// No colour, no wrapping, not verbose: the stable form for files and tests.
    pub(crate) fn plain() -> Self {
        Style::default()
    }

    /// The style for this run: colour per `--color` (auto: on a terminal unless `NO_COLOR`);
    /// width from `COLUMNS`, else the terminal's, else none.
    pub(crate) fn detect(choice: ColorChoice, to_terminal: bool, no_color: bool, verbose: bool) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => to_terminal && !no_color,
        };
        let columns =
            std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|w| *w >= 40);
        let width = columns.or_else(|| {
            to_terminal
                .then(|| terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0)))
                .flatten()
                .filter(|w| *w >= 40)
        });
        Style { color, width, verbose }
    }

    /// `text` in the colour of `sev` (bold red critical, red high, yellow medium, blue low).
    pub(crate) fn sev(&self, sev: crate::model::Severity, text: &str) -> String {
        use crate::model::Severity;
        if !self.color {
            return text.to_string();
        }
        let code = match sev {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "34",
            Severity::Info => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// A section heading.
pub(crate) fn heading(s: &mut String, title: &str) {
    let _ = writeln!(s, "\n== {title} ==");
}

/// Characters of one detail line (a summary, a record, an indicator's reason) in the report
/// without `--verbose`; longer ones end in `…` (JSON and `--verbose` keep them whole).
const DETAIL: usize = 200;

impl Style {
    /// Evidence text made terminal-safe and, without `--verbose`, cut to one detail line.
    pub(crate) fn clip(&self, t: &str) -> String {
        self.clip_after(t, 0)
    }

    /// As [`Style::clip`], for text that follows `used` characters on its line: without
    /// `--verbose` the line stays within the terminal's width (else one detail line).
    pub(crate) fn clip_after(&self, t: &str, used: usize) -> String {
        let safe = terminal_safe(t);
        let budget = self.width.unwrap_or(DETAIL).min(DETAIL).saturating_sub(used).max(24);
        if self.verbose || safe.chars().count() <= budget {
            return safe;
        }
        let mut cut: String = safe.chars().take(budget - 1).collect();
        cut.push('…');
        cut
    }
}

/// Shorthand for escaping evidence text.
pub(crate) fn safe(t: &str) -> String {
    terminal_safe(t)
}
