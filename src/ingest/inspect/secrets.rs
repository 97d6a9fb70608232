//! Environment variables that hold secrets: recognised by name or by value shape, and
//! masked at parse time so a secret value never reaches any report.

use serde::Serialize;

/// One `NAME=value` of a container or image environment; secret values are masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub name: String,
    /// The value, or `<redacted N chars>` when `secret`.
    pub value: String,
    /// True when the value looked like a secret and was masked.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

impl EnvVar {
    /// Parse `NAME=value` (a bare `NAME` has an empty value), masking secrets.
    pub fn parse(entry: &str) -> EnvVar {
        let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
        if !value.is_empty() && (secret_name(name) || secret_value(value)) {
            EnvVar { name: name.to_string(), value: masked(value), secret: true }
        } else {
            EnvVar { name: name.to_string(), value: value.to_string(), secret: false }
        }
    }

    /// `NAME=value` as shown in reports (already masked).
    pub fn display(&self) -> String {
        format!("{}={}", self.name, self.value)
    }
}

/// Name fragments that mark a credential (matched case-insensitively).
const SECRET_NAME_PARTS: &[&str] =
    &["PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH", "PWD", "PRIVATE"];

/// Names that match a fragment above but are public by design: release signing key
/// fingerprints in official images (`GPG_KEY` in python, `GPG_KEYS` in php/nginx), `_FILE`
/// variables that hold the *path* of a mounted secret, the shell's `OLDPWD`.
fn public_by_design(upper: &str) -> bool {
    upper.starts_with("GPG_KEY") || upper.ends_with("_FILE") || upper == "OLDPWD" || upper.contains("PUBLIC")
}

/// Command-line arguments with secrets masked: `--password=x` / `PASSWORD=x` keep the name,
/// the value after a bare `--password` / `--requirepass` / `--token` flag is masked, and
/// credential-shaped arguments (AWS keys, tokens, URLs with a password) are masked whole.
/// Absolute paths (`--key-file=/run/secrets/k`) are kept: they name a file, not a secret.
pub(crate) fn redact_args(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut mask_next = false;
    for a in args {
        if std::mem::take(&mut mask_next) && !a.starts_with('-') && !a.starts_with('/') {
            out.push(masked(&a));
            continue;
        }
        if secret_value(&a) {
            out.push(masked(&a));
            continue;
        }
        match a.split_once('=') {
            Some((name, value)) if !value.is_empty() && !value.starts_with('/') && secret_name(name) => {
                out.push(format!("{name}={}", masked(value)));
            }
            Some(_) => out.push(a),
            None => {
                mask_next = a.starts_with('-') && secret_name(a.trim_start_matches('-'));
                out.push(a);
            }
        }
    }
    out
}

/// A build step or command line as one string (image history `created_by`, a legacy
/// config's joined `Cmd`) with its secrets masked the way [`redact_args`] masks arguments:
/// `ENV`/`ARG` values, `--build-arg` residue (`|2 DB_PASSWORD=x ...`) and `NAME=value`
/// assignments inside `RUN` keep the name and lose a credential-named value (quoted values
/// whole); credential-shaped words (AWS keys, tokens, URLs with a password) are masked
/// wherever they stand. Everything else, spacing included, is kept byte for byte.
pub(crate) fn redact_command(cmd: &str) -> String {
    let mut out = String::with_capacity(cmd.len());
    let mut rest = cmd;
    while !rest.is_empty() {
        let space = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..space]);
        rest = &rest[space..];
        if rest.is_empty() {
            break;
        }
        // One word; a quoted value after `NAME=` runs to its closing quote.
        let name_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let assignment = name_end > 0 && rest[name_end..].starts_with('=');
        let value_start = name_end + 1;
        let word_end = if assignment {
            match rest[value_start..].chars().next() {
                Some(q @ ('"' | '\'')) => {
                    rest[value_start + 1..].find(q).map_or(rest.len(), |n| value_start + 1 + n + 1)
                }
                _ => {
                    value_start
                        + rest[value_start..].find(char::is_whitespace).unwrap_or(rest.len() - value_start)
                }
            }
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
        let word = &rest[..word_end];
        if assignment {
            let (name, value) = (&rest[..name_end], &rest[value_start..word_end]);
            let bare = value.trim_matches(|c| c == '"' || c == '\'');
            let keep = bare.is_empty() || bare.starts_with('/') || bare.starts_with('$');
            if !keep && (secret_name(name) || secret_value(bare)) {
                out.push_str(name);
                out.push('=');
                out.push_str(&masked(bare));
            } else {
                out.push_str(word);
            }
        } else if secret_value(word) {
            out.push_str(&masked(word));
        } else {
            out.push_str(word);
        }
        rest = &rest[word_end..];
    }
    out
}

/// What a masked secret shows: its length only.
fn masked(v: &str) -> String {
    format!("<redacted {} chars>", v.chars().count())
}

fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    !public_by_design(&upper) && SECRET_NAME_PARTS.iter().any(|p| upper.contains(p))
}

/// Values that are credentials whatever the variable is called: AWS access key ids, GitHub,
/// GitLab and Slack tokens, PEM private keys, JWTs, and URLs with a password in them.
fn secret_value(v: &str) -> bool {
    let v = v.trim();
    let aws = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA"].iter().any(|p| {
        v.strip_prefix(p)
            .is_some_and(|r| r.len() == 16 && r.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
    });
    let prefixed =
        ["ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xoxa-", "sk_live_"]
            .iter()
            .any(|p| v.starts_with(p));
    let pem = v.contains("-----BEGIN") && v.contains("PRIVATE KEY");
    let jwt = v.starts_with("eyJ") && v.matches('.').count() == 2;
    aws || prefixed || pem || jwt || url_with_password(v)
}

/// `scheme://user:password@host...`
fn url_with_password(v: &str) -> bool {
    let Some((_, rest)) = v.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_steps_lose_their_secrets_and_keep_their_shape() {
        let r = redact_command;
        assert_eq!(r("ENV ANCHORE_ADMIN_PASSWORD=foobar"), "ENV ANCHORE_ADMIN_PASSWORD=<redacted 6 chars>");
        assert_eq!(
            r("/bin/sh -c #(nop)  ENV DB_TOKEN=\"a b c\" PATH=/usr/bin"),
            "/bin/sh -c #(nop)  ENV DB_TOKEN=<redacted 5 chars> PATH=/usr/bin"
        );
        assert_eq!(
            r("|2 API_KEY=k3y NPM_AUTH_TOKEN=t0k /bin/sh -c npm ci"),
            "|2 API_KEY=<redacted 3 chars> NPM_AUTH_TOKEN=<redacted 3 chars> /bin/sh -c npm ci"
        );
        assert_eq!(r("ARG GITHUB_TOKEN"), "ARG GITHUB_TOKEN");
        assert_eq!(r("RUN curl https://u:p4ss@repo.example/x | sh"), "RUN curl <redacted 29 chars> | sh");
        assert_eq!(r("RUN export AWS_KEY=AKIAIOSFODNN7EXAMPLE"), "RUN export AWS_KEY=<redacted 20 chars>");
        // Not secrets: paths, references to other variables, public-by-design names, spacing.
        for keep in [
            "ENV PASSWORD_FILE=/run/secrets/db",
            "ENV TOKEN=$BUILD_TOKEN",
            "ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
            "/bin/sh -c #(nop)  CMD [\"catalina.sh\" \"run\"]",
            "  RUN  a=b  ",
            "",
        ] {
            assert_eq!(r(keep), keep);
        }
    }

    #[test]
    fn redaction() {
        let shown = |e: &str| EnvVar::parse(e).display();
        assert_eq!(shown("MYSQL_ROOT_PASSWORD=hunter2hunter"), "MYSQL_ROOT_PASSWORD=<redacted 13 chars>");
        assert_eq!(shown("api_token=abc"), "api_token=<redacted 3 chars>");
        assert_eq!(shown("X=AKIAIOSFODNN7EXAMPLE"), "X=<redacted 20 chars>");
        assert_eq!(shown("DB=postgres://app:s3cret@db:5432/x"), "DB=<redacted 31 chars>");
        assert_eq!(shown("GH=ghp_0123456789abcdef"), "GH=<redacted 20 chars>");
        // Not secrets.
        assert_eq!(shown("PATH=/usr/bin:/bin"), "PATH=/usr/bin:/bin");
        assert_eq!(
            shown("GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"),
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"
        );
        assert_eq!(shown("MYSQL_PASSWORD_FILE=/run/secrets/db"), "MYSQL_PASSWORD_FILE=/run/secrets/db");
        assert_eq!(shown("URL=http://example.com/a:b@c"), "URL=http://example.com/a:b@c");
        assert_eq!(shown("EMPTY_PASSWORD="), "EMPTY_PASSWORD=");
        assert_eq!(shown("NOVALUE"), "NOVALUE=");
        assert!(EnvVar::parse("AWS_SECRET_ACCESS_KEY=x").secret);
        assert!(!EnvVar::parse("HOME=/root").secret);
    }

    #[test]
    fn argument_redaction() {
        let args = |v: &[&str]| redact_args(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            args(&["redis-server", "--requirepass", "hunter2", "--port", "6379"]),
            ["redis-server", "--requirepass", "<redacted 7 chars>", "--port", "6379"]
        );
        assert_eq!(args(&["--db-password=s3cret", "-v"]), ["--db-password=<redacted 6 chars>", "-v"]);
        assert_eq!(args(&["--tls-key=/run/secrets/key.pem"]), ["--tls-key=/run/secrets/key.pem"]);
        assert_eq!(args(&["curl", "https://u:pw@x.example/a"]), ["curl", "<redacted 24 chars>"]);
        assert_eq!(args(&["sleep", "10d"]), ["sleep", "10d"]);
    }
}
