//! `docker inspect` output (a JSON array, one object, or one object per line; container and
//! image objects, mixed) and the daemon's own container configs (`config.v2.json`, old
//! `config.json`, with a sibling `hostconfig.json` when the bundle has one).

mod fields;
mod model;
mod ports;
mod secrets;

use std::io::Read;

use serde_json::Value;

use crate::evidence::Artifact;
use crate::model::{Diagnostic, Locator, TimelineEvent};

pub(crate) use model::*;
pub(crate) use ports::{parse_port_list, PortMapping};
pub(crate) use secrets::{redact_args, redact_command, EnvVar};

/// Largest inspect document read: `docker inspect $(docker ps -aq)` of a thousand containers
/// is about 10 MiB, and the parsed tree takes a few times the text, so memory stays bounded.
const MAX_INSPECT_BYTES: u64 = 64 << 20;

/// Everything one inspect artifact holds.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub(crate) struct InspectDoc {
    pub containers: Vec<ContainerInfo>,
    pub images: Vec<ImageInfo>,
}

/// Parse an inspect artifact.
pub(crate) fn parse(artifact: &Artifact) -> (InspectDoc, Vec<Diagnostic>) {
    let loc = artifact.locator();
    match read_bounded(artifact) {
        Ok(bytes) => parse_bytes(&bytes, &loc),
        Err(msg) => (InspectDoc::default(), vec![Diagnostic::error(loc, msg)]),
    }
}

/// A standalone image config (a config blob, or a pre-1.10 v1 layer JSON) as an image
/// object: its id is the SHA-256 of the bytes as stored (the image id, for a config blob).
pub(crate) fn parse_image_config(artifact: &Artifact) -> (InspectDoc, Vec<Diagnostic>) {
    let loc = artifact.locator();
    let bytes = match read_bounded(artifact) {
        Ok(b) => b,
        Err(msg) => return (InspectDoc::default(), vec![Diagnostic::error(loc, msg)]),
    };
    let id = crate::digest::sha256_digest(&bytes);
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(o)) => {
            let doc = InspectDoc {
                containers: vec![],
                images: vec![fields::image_config(&o, id, loc.with_line(1))],
            };
            (doc, vec![])
        }
        Ok(_) => (InspectDoc::default(), vec![Diagnostic::error(loc, "image config is not a JSON object")]),
        Err(e) => (
            InspectDoc::default(),
            vec![Diagnostic::error(
                loc.with_line(e.line() as u64),
                format!(
                    "invalid image config JSON at line {} column {}: {}",
                    e.line(),
                    e.column(),
                    crate::limits::json_error(&e)
                ),
            )],
        ),
    }
}

fn read_bounded(artifact: &Artifact) -> Result<Vec<u8>, String> {
    let reader = artifact.open().map_err(|e| format!("cannot open: {e}"))?;
    let mut bytes = vec![];
    reader.take(MAX_INSPECT_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("read error: {e}"))?;
    if bytes.len() as u64 > MAX_INSPECT_BYTES {
        return Err(format!("inspect document larger than {} MiB; not parsed", MAX_INSPECT_BYTES >> 20));
    }
    Ok(bytes)
}

/// Parse inspect JSON held in memory; `loc` names the artifact. Objects read before a
/// syntax error are kept; the error becomes an Error diagnostic with line and column.
pub(crate) fn parse_bytes(bytes: &[u8], loc: &Locator) -> (InspectDoc, Vec<Diagnostic>) {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut doc = InspectDoc::default();
    let mut diags = vec![];
    let mut lines = object_lines(bytes).into_iter();
    let mut index = 0usize;
    let mut take = |o: &serde_json::Map<String, Value>, doc: &mut InspectDoc, diags: &mut Vec<Diagnostic>| {
        let at = match lines.next() {
            Some(l) => loc.clone().with_line(l),
            None => loc.clone(),
        };
        if o.get("Names").is_some_and(Value::is_array)
            && o.contains_key("Status")
            && !o.contains_key("Config")
        {
            // A `GET /containers/json` listing entry: no Config, no privileges; reading it as
            // an inspect object would make up facts from fields it does not have.
            diags.push(Diagnostic::warning(
                at,
                format!("object #{index} is a container listing entry (`GET /containers/json`), not an inspect object; not read as a container"),
            ));
        } else if fields::is_container(o) {
            doc.containers.push(fields::container(o, at));
        } else if fields::is_image(o) {
            doc.images.push(fields::image(o, at));
        } else {
            diags.push(Diagnostic::warning(
                at,
                format!("object #{index} is neither a container nor an image (no State/HostConfig/RootFS); skipped"),
            ));
        }
        index += 1;
    };
    for value in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
        match value {
            Ok(Value::Object(o)) => take(&o, &mut doc, &mut diags),
            Ok(Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::Object(o) => take(&o, &mut doc, &mut diags),
                        _ => diags.push(Diagnostic::warning(
                            loc.clone(),
                            "array element is not an object; skipped",
                        )),
                    }
                }
            }
            Ok(Value::Null) => {}
            Ok(_) => {
                diags.push(Diagnostic::warning(loc.clone(), "JSON value is not an object or array; skipped"))
            }
            Err(e) => {
                diags.push(Diagnostic::error(
                    loc.clone().with_line(e.line() as u64),
                    format!(
                        "invalid inspect JSON at line {} column {}: {}",
                        e.line(),
                        e.column(),
                        crate::limits::json_error(&e)
                    ),
                ));
                break;
            }
        }
    }
    (doc, diags)
}

/// Lines (1-based) where the objects `parse_bytes` reads begin, in document order: each
/// top-level object, and each object directly inside a top-level array.
fn object_lines(bytes: &[u8]) -> Vec<u64> {
    let mut out = vec![];
    let mut line = 1u64;
    // Open containers: true for an array.
    let mut stack: Vec<bool> = vec![];
    let (mut in_str, mut esc) = (false, false);
    for &c in bytes {
        if c == b'\n' {
            line += 1;
        }
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' => {
                if stack.is_empty() || stack == [true] {
                    out.push(line);
                }
                stack.push(false);
            }
            b'[' => stack.push(true),
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    out
}

/// Attach sibling `hostconfig.json` files to daemon config records that lack a host config:
/// `<dir>/config.v2.json` gets `<dir>/hostconfig.json` of the same bundle.
pub(crate) fn attach_host_configs(
    containers: &mut [ContainerInfo],
    artifacts: &[Artifact],
    diags: &mut Vec<Diagnostic>,
) {
    for c in containers.iter_mut().filter(|c| {
        c.host_config.is_none()
            && !matches!(c.source, InspectSource::Inspect | InspectSource::Podman | InspectSource::Sensor)
    }) {
        let dir = c.locator.artifact.rsplit_once('/').map(|(d, _)| format!("{d}/")).unwrap_or_default();
        let want = format!("{dir}hostconfig.json");
        let Some(a) = artifacts.iter().find(|a| a.path == want) else { continue };
        let loc = a.locator();
        let bytes = match read_bounded(a) {
            Ok(b) => b,
            Err(msg) => {
                diags.push(Diagnostic::warning(loc, msg));
                continue;
            }
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(h)) => {
                c.host_config = Some(fields::host_config(&h, loc.with_line(1)));
                fields::merge_binds(c);
            }
            Ok(_) => diags.push(Diagnostic::warning(loc, "hostconfig.json is not a JSON object; ignored")),
            Err(e) => diags.push(Diagnostic::warning(
                loc.with_line(e.line() as u64),
                format!("invalid hostconfig.json at line {} column {}: {e}", e.line(), e.column()),
            )),
        }
    }
}

/// Timeline events of containers: created, (last) started, finished with exit code / OOM.
pub(crate) fn timeline(containers: &[ContainerInfo]) -> Vec<TimelineEvent> {
    let mut out = vec![];
    for c in containers {
        let who = format!("container {} ({})", c.handle(), c.short_id());
        let ev = |time, desc: &'static str, message: String| TimelineEvent {
            time: Some(time),
            timestamp_desc: desc.into(),
            kind: "container".into(),
            message,
            source: c.locator.clone(),
            also: vec![],
            order: vec![],
        };
        if let Some(t) = c.created {
            let image = c.image.as_deref().or(c.image_id.as_deref()).unwrap_or("unknown image");
            out.push(ev(t, "container created", format!("{who} created from {image}")));
        }
        if let Some(t) = c.state.started_at {
            let cmd: Vec<&str> =
                c.path.iter().map(String::as_str).chain(c.args.iter().map(String::as_str)).collect();
            out.push(ev(t, "container started", format!("{who} started (last start): {}", cmd.join(" "))));
        }
        if let Some(t) = c.state.finished_at {
            let code = c.state.exit_code.map(|x| format!(" with exit code {x}")).unwrap_or_default();
            let oom = if c.state.oom_killed { ", killed by the OOM killer" } else { "" };
            let err = c.state.error.as_deref().map(|e| format!(" (error: {e})")).unwrap_or_default();
            // A running container keeps the FinishedAt of its previous run.
            let run = if c.state.running { " (previous run)" } else { "" };
            out.push(ev(t, "container finished", format!("{who} finished{run}{code}{oom}{err}")));
        }
    }
    out
}

#[cfg(test)]
mod tests;
