//! Writing POSIX sh scripts: quoting words, terminal-safe comments, variable assignments and
//! numbered steps. Shared by every command that prints a script for a responder to run
//! (`collect-script`, the response plan as `sh`).
//!
//! Values that reach a script often come from the evidence (container names, labels, paths)
//! and so from the attacker. Two rules keep them harmless: a value is only ever placed in a
//! script single-quoted ([`quote`]), so the shell never expands or splits it; and a value with
//! control characters is built at run time with `printf` ([`Script::assign`]), so the script
//! text itself stays printable and cannot drive the analyst's terminal when it is shown.

use std::fmt::Write as _;

use crate::model::terminal_safe;

/// Characters that never need quoting in a POSIX shell word.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ',' | '-')
}

/// `s` as one shell word: unchanged when it is made of plain characters only, otherwise in
/// single quotes (a `'` inside becomes `'\''`). The shell reads the result back as exactly
/// `s`, whatever `s` holds. Control characters are kept as they are (they are literal inside
/// single quotes); use [`Script::assign`] to keep them out of the script text.
pub(crate) fn quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(is_plain) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Whether a character would make the script text unsafe to show in a terminal.
fn is_control(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || u == 0x7f
        || (0x80..0xa0).contains(&u)
        || matches!(u, 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069 | 0xfeff)
}

/// `s` as the argument of `printf '%b'`: printable characters as they are, the others as
/// octal escapes of their UTF-8 bytes, `\` doubled; single-quoted.
fn printf_b_argument(s: &str) -> String {
    let mut body = String::new();
    for c in s.chars() {
        if c == '\\' {
            body.push_str("\\\\");
        } else if is_control(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(body, "\\0{b:03o}");
            }
        } else {
            body.push(c);
        }
    }
    quote(&body)
}

/// Whether `name` is a valid shell variable name.
fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A POSIX sh script being written, line by line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    text: String,
    steps: usize,
}

impl Script {
    /// A script that starts with `#!/bin/sh` and the given header comment.
    pub(crate) fn new(header: &str) -> Script {
        let mut s = Script { text: String::from("#!/bin/sh\n"), steps: 0 };
        s.comment(header);
        s
    }

    /// Comment lines: each line of `text` after `# `, control characters shown escaped, so
    /// nothing in a comment can end it early or reach the terminal.
    pub(crate) fn comment(&mut self, text: &str) -> &mut Script {
        for line in text.split('\n') {
            let safe = terminal_safe(line);
            if safe.is_empty() {
                self.text.push_str("#\n");
            } else {
                let _ = writeln!(self.text, "# {safe}");
            }
        }
        self
    }

    /// An empty line.
    pub(crate) fn blank(&mut self) -> &mut Script {
        self.text.push('\n');
        self
    }

    /// One line of shell code, written as given. The caller builds it from fixed text and
    /// [`quote`]d values only.
    pub(crate) fn line(&mut self, code: &str) -> &mut Script {
        debug_assert!(!code.contains('\n'), "one line at a time: {code:?}");
        self.text.push_str(code);
        self.text.push('\n');
        self
    }

    /// Several lines of shell code (a fixed block: functions, loops), written as given.
    pub(crate) fn block(&mut self, code: &str) -> &mut Script {
        for l in code.trim_end_matches('\n').split('\n') {
            self.text.push_str(l);
            self.text.push('\n');
        }
        self
    }

    /// `NAME=value`, the value quoted. A value with control characters is rebuilt at run time
    /// with `printf '%b'` (and a sentinel, so trailing newlines survive the command
    /// substitution), keeping the script text printable.
    ///
    /// # Panics
    /// When `name` is not a shell variable name (a programming error: names are fixed text).
    pub(crate) fn assign(&mut self, name: &str, value: &str) -> &mut Script {
        assert!(is_var_name(name), "not a shell variable name: {name:?}");
        if value.contains(['$', '`']) {
            // Deliberately not expanded: the value is data.
            self.text.push_str("# shellcheck disable=SC2016\n");
        }
        if value.chars().any(is_control) {
            let _ = writeln!(self.text, "{name}=$(printf '%bx' {})", printf_b_argument(value));
            let _ = writeln!(self.text, "{name}=${{{name}%x}}");
        } else {
            let _ = writeln!(self.text, "{name}={}", quote(value));
        }
        self
    }

    /// Start the next numbered step: a blank line and a `# N. title` comment (and `why`
    /// below it when given). Returns the step's number.
    pub(crate) fn step(&mut self, title: &str, why: &str) -> usize {
        self.steps += 1;
        let n = self.steps;
        self.blank();
        self.comment(&format!("{n}. {title}"));
        if !why.is_empty() {
            self.comment(why);
        }
        n
    }

    /// The script text.
    pub(crate) fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// What `sh` makes of `X=<assign>; printf %s "$X"`.
    fn round_trip(value: &str) -> String {
        let mut s = Script::new("test");
        s.assign("X", value);
        s.line("printf %s \"$X\"");
        let out = Command::new("sh").arg("-c").arg(s.finish()).output().expect("run sh");
        assert!(out.status.success(), "sh failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    const NASTY: &[&str] = &[
        "web",
        "",
        "a b",
        "it's",
        "'",
        "''\\'",
        "$(touch /tmp/pwned)",
        "`id`",
        "a;rm -rf /",
        "--format={{.Id}}",
        "-rf",
        "x\ny",
        "tail\n\n",
        "\u{1b}[31mred\u{1b}[0m",
        "bidi\u{202e}txt",
        "back\\slash\\0101",
        "%s%b%%",
        "ünïcödé 容器",
        "*",
        "~root",
        "${HOME}",
        "!!",
    ];

    #[test]
    fn assigned_values_come_back_byte_for_byte() {
        for v in NASTY {
            assert_eq!(round_trip(v), *v, "value {v:?}");
        }
    }

    #[test]
    fn quoted_words_are_one_argument_each() {
        for v in NASTY {
            let script = format!("set -- {}; printf '%s|%s' \"$#\" \"$1\"", quote(v));
            let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("1|{v}"), "value {v:?}");
        }
    }

    #[test]
    fn plain_words_stay_unquoted() {
        assert_eq!(quote("docker"), "docker");
        assert_eq!(quote("/var/lib/docker:x@y,z=1%+-"), "/var/lib/docker:x@y,z=1%+-");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn script_text_stays_printable() {
        let mut s = Script::new("header\nsecond line \u{1b}]0;title\u{7}");
        s.assign("NAME", "\u{1b}[2J\u{202e}x\n");
        s.comment("a comment with \r carriage return\nand a second line");
        let n = s.step("Step", "why");
        assert_eq!(n, 1);
        let text = s.finish();
        assert!(text.chars().all(|c| c == '\n' || !is_control(c)), "{text:?}");
        assert!(text.contains("# second line \\x1b]0;title\\x07\n"));
        assert!(text.contains("# and a second line\n"));
        assert!(text.contains("\n# 1. Step\n# why\n"));
    }

    #[test]
    #[should_panic(expected = "not a shell variable name")]
    fn bad_variable_names_are_refused() {
        Script::new("x").assign("A-B", "v");
    }
}
