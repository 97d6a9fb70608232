//! `docker diff` captures: `A|C|D /path` lines, or the API's `[{"Path","Kind"}]` JSON
//! (Kind 0 = modified, 1 = added, 2 = deleted).

use std::io::{BufRead, BufReader, Read};

use serde::Serialize;

use crate::evidence::Artifact;
use crate::model::{display_bytes, Diagnostic, Locator};

/// A change as `docker diff` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    Added,
    Changed,
    Deleted,
}

impl DiffKind {
    /// The letter `docker diff` prints.
    pub fn letter(&self) -> char {
        match self {
            DiffKind::Added => 'A',
            DiffKind::Changed => 'C',
            DiffKind::Deleted => 'D',
        }
    }
}

/// One line of a saved `docker diff`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffEntry {
    pub change: DiffKind,
    /// Absolute path inside the container.
    pub path: String,
    pub locator: Locator,
}

/// Parse a `docker diff` artifact (text or API JSON).
pub(crate) fn parse(artifact: &Artifact) -> (Vec<DiffEntry>, Vec<Diagnostic>) {
    let loc = artifact.locator();
    let reader = match artifact.open() {
        Ok(r) => r,
        Err(e) => return (vec![], vec![Diagnostic::error(loc, format!("cannot open: {e}"))]),
    };
    parse_reader(reader, &loc)
}

/// Parse `docker diff` content from a reader; `loc` names the artifact.
pub(crate) fn parse_reader(reader: impl Read, loc: &Locator) -> (Vec<DiffEntry>, Vec<Diagnostic>) {
    let mut entries = vec![];
    let mut diags = vec![];
    let mut reader = BufReader::new(reader.take(256 << 20));
    let mut line = Vec::new();
    let mut n = 0u64;
    let mut first = true;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                diags.push(Diagnostic::error(loc.clone().with_line(n + 1), format!("read error: {e}")));
                break;
            }
        }
        n += 1;
        let text = display_bytes(line.strip_suffix(b"\n").unwrap_or(&line));
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if first && text.trim_start().starts_with('[') {
            // API JSON: the whole document; read the rest and parse it at once.
            let mut rest = line.clone();
            if let Err(e) = reader.read_to_end(&mut rest) {
                diags.push(Diagnostic::error(loc.clone(), format!("read error: {e}")));
            }
            return parse_api_json(&rest, loc, diags);
        }
        first = false;
        if text.trim().is_empty() {
            continue;
        }
        let b = text.as_bytes();
        let kind = match b.first() {
            Some(b'A') => Some(DiffKind::Added),
            Some(b'C') => Some(DiffKind::Changed),
            Some(b'D') => Some(DiffKind::Deleted),
            _ => None,
        };
        match (kind, text.get(1..2), text.get(2..)) {
            (Some(change), Some(" "), Some(path)) if path.starts_with('/') => {
                entries.push(DiffEntry { change, path: path.to_string(), locator: loc.clone().with_line(n) })
            }
            _ => diags
                .push(Diagnostic::warning(loc.clone().with_line(n), "line is not `A|C|D /path`; skipped")),
        }
    }
    (entries, diags)
}

fn parse_api_json(
    bytes: &[u8],
    loc: &Locator,
    mut diags: Vec<Diagnostic>,
) -> (Vec<DiffEntry>, Vec<Diagnostic>) {
    #[derive(serde::Deserialize)]
    struct Change {
        #[serde(rename = "Path")]
        path: String,
        #[serde(rename = "Kind")]
        kind: u8,
    }
    match serde_json::from_slice::<Option<Vec<Change>>>(bytes) {
        Ok(list) => {
            let mut entries = vec![];
            for (i, c) in list.unwrap_or_default().into_iter().enumerate() {
                let change = match c.kind {
                    0 => DiffKind::Changed,
                    1 => DiffKind::Added,
                    2 => DiffKind::Deleted,
                    k => {
                        diags
                            .push(Diagnostic::warning(loc.clone(), format!("change #{i}: unknown Kind {k}")));
                        continue;
                    }
                };
                entries.push(DiffEntry { change, path: c.path, locator: loc.clone() });
            }
            (entries, diags)
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                loc.clone().with_line(e.line() as u64),
                format!("invalid changes JSON: {e}"),
            ));
            (vec![], diags)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_forms() {
        let loc = Locator::artifact("diff.txt");
        let (e, d) =
            parse_reader(&b"C /var\nA /var/www/html/shell.php\nD /root/.bash_history\nbogus\n"[..], &loc);
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].change, DiffKind::Added);
        assert_eq!(e[1].path, "/var/www/html/shell.php");
        assert_eq!(e[2].locator.line, Some(3));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].locator.line, Some(4));
        let (e, d) = parse_reader(
            &br#"[{"Path":"/tmp","Kind":0},{"Path":"/tmp/x","Kind":1},{"Path":"/y","Kind":2}]"#[..],
            &loc,
        );
        assert!(d.is_empty());
        assert_eq!(e.iter().map(|x| x.change.letter()).collect::<String>(), "CAD");
        let (_, d) = parse_reader(&b"[{\"Path\":"[..], &loc);
        assert_eq!(d.len(), 1);
    }
}
