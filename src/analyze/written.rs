//! When a file whose mtime was forged was really written, from clocks the attacker did not
//! set. Never before: the container's creation (its read-write layer did not exist before),
//! the creation of the image it ran from. Never after: the mtime of the file's directory
//! (creating the file set it), the `docker commit` that saved the layer, the container's
//! stop, the start of the first process that runs the file, the first log record that
//! requests it from the web root. The forged mtime stays what the file claims.

use std::collections::BTreeMap;

use crate::bundle::Evidence;
use crate::image::{BaseUsed, FileChange, ImageRecord, Side};
use crate::model::{ContainerRef, Owner, Timestamp, When};

/// A clock reading: the time and what it is.
type Reading = (Timestamp, String);

/// The independent clocks of one bundle.
pub(crate) struct WriteClocks<'a> {
    report: &'a Evidence,
    /// (image, layer) -> when `docker commit` saved that layer.
    commits: BTreeMap<(usize, usize), Timestamp>,
    /// Log records with a time: (time, text).
    records: Vec<(Timestamp, &'a str)>,
    /// The day `ps` STIME `HH:MM` refers to.
    day: Option<Timestamp>,
}

/// Web roots, and the URL path their files are served under (`webapps/<ctx>/` is `/<ctx>/`,
/// `webapps/ROOT/` is `/`).
const WEB_ROOTS: &[&str] = &[
    "var/www/html/",
    "var/www/",
    "usr/share/nginx/html/",
    "usr/local/apache2/htdocs/",
    "srv/www/",
    "public_html/",
    "htdocs/",
    "wwwroot/",
];

/// The URL path a file under a web root is served at, when it is under one.
fn url_path(path: &str) -> Option<String> {
    let rel = path.trim_start_matches('/');
    if let Some(i) = rel.find("webapps/") {
        let rest = &rel[i + "webapps/".len()..];
        let (ctx, file) = rest.split_once('/')?;
        return Some(if ctx == "ROOT" { format!("/{file}") } else { format!("/{ctx}/{file}") });
    }
    WEB_ROOTS.iter().find_map(|r| {
        let i = rel.find(r)?;
        (i == 0 || rel.as_bytes()[i - 1] == b'/').then(|| format!("/{}", &rel[i + r.len()..]))
    })
}

/// Whether a log record requests `url` (followed by a query, a space, a quote or the end)
/// and was not answered 404.
fn requests(text: &str, url: &str) -> bool {
    let found = text.match_indices(url).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + url.len()..].chars().next();
        before.is_none_or(|c| c == ' ' || c == '"' || c == '/' || c == ':')
            && after.is_none_or(|c| matches!(c, '?' | ' ' | '"' | '#' | ';'))
    });
    found && !text.contains(" 404 ")
}

impl<'a> WriteClocks<'a> {
    /// The clocks of `report`; `records` are the log records (time, text), `day` the day
    /// `ps` STIME columns refer to.
    pub(crate) fn new(
        report: &'a Evidence,
        records: impl Iterator<Item = (Option<Timestamp>, &'a str)>,
        day: Option<Timestamp>,
    ) -> Self {
        let mut commits = BTreeMap::new();
        for img in &report.image.images {
            for h in &img.history {
                if let (Some(l), Some(t)) = (h.layer, h.created) {
                    if img.committed_layers.contains(&l) {
                        commits.insert((img.index, l), t);
                    }
                }
            }
        }
        let records = records.filter_map(|(t, x)| Some((t?, x))).collect();
        WriteClocks { report, commits, records, day }
    }

    /// The container the change is the owner's, when the evidence describes it.
    fn container(&self, owner: Option<&Owner>) -> Option<&'a crate::ingest::inspect::ContainerInfo> {
        let o = owner.and_then(Owner::as_container)?;
        self.report
            .containers
            .iter()
            .find(|c| o.same(&ContainerRef { id: c.id.clone(), name: c.name.clone() }))
    }

    /// The newest build layer of the image a change was written on top of.
    fn image_floor(&self, c: &FileChange, owner: Option<&Owner>) -> Option<Reading> {
        let newest = |img: &ImageRecord, below: usize| {
            img.history.iter().filter(|h| h.layer.is_some_and(|l| l < below)).filter_map(|h| h.created).max()
        };
        let of_base = |b: &BaseUsed| {
            let img = self.report.image.images.get(b.image?)?;
            Some((newest(img, b.layers)?, format!("image {} created", img_name(img))))
        };
        match (c.image(), c.layer()) {
            (Some(i), Some(_)) => {
                let img = self.report.image.images.get(i)?;
                let first_commit = img.committed_layers.iter().min().copied()?;
                Some((newest(img, first_commit)?, format!("image {} created", img_name(img))))
            }
            _ if c.side() == Some(Side::Export) => self
                .report
                .image
                .container_changes
                .as_ref()
                .filter(|x| x.source == Side::Export)
                .and_then(|x| of_base(&x.base)),
            _ => {
                let id = owner.and_then(Owner::as_container).map(|o| o.id).filter(|i| !i.is_empty())?;
                let x = self.report.image.data_root_changes.iter().find(|x| {
                    c.side() == Some(x.source)
                        && x.container
                            .as_deref()
                            .is_some_and(|cid| cid.starts_with(&id) || id.starts_with(cid))
                })?;
                of_base(&x.base)
            }
        }
    }

    /// The lower bound: the latest of the container's creation and its image's.
    fn lower(&self, c: &FileChange, owner: Option<&Owner>, fallback: Option<Timestamp>) -> Option<Reading> {
        let mut lows: Vec<Reading> = vec![];
        match self.container(owner) {
            Some(ci) => {
                let name = if ci.name.is_empty() { ci.id.get(..12).unwrap_or(&ci.id) } else { &ci.name };
                if let Some(t) = ci.created {
                    lows.push((t, format!("container {name} was created")));
                } else if let Some(t) = ci.state.started_at {
                    lows.push((t, format!("container {name} started")));
                }
            }
            None => lows.extend(fallback.map(|t| (t, "the container started".to_string()))),
        }
        lows.extend(self.image_floor(c, owner));
        lows.into_iter().max_by_key(|r| r.0)
    }

    /// Every upper bound the evidence gives, at or after `lower`.
    fn uppers(&self, c: &FileChange, owner: Option<&Owner>, lower: Option<Timestamp>) -> Vec<Reading> {
        let mut ups: Vec<Reading> = vec![];
        let path = c.path();
        if let Some(t) = c.dir_mtime {
            ups.push((t, "its directory's mtime".into()));
        }
        if let Some(t) = c.image().zip(c.layer()).and_then(|k| self.commits.get(&k)) {
            ups.push((*t, "the docker commit that saved it".into()));
        }
        if let Some(ci) = self.container(owner).filter(|ci| !ci.state.running) {
            if let Some(t) = ci.state.finished_at {
                ups.push((t, "the container stopped".into()));
            }
        }
        for p in self.report.processes.iter().flat_map(|r| r.capture.processes.iter()) {
            if !crate::cmdline::executed_paths(&p.cmd).iter().any(|e| **e == *path) {
                continue;
            }
            let latest = p.started.map(|t| t.plus_secs(2)).or_else(|| {
                let (h, m) = p.start.as_deref()?.split_once(':')?;
                let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
                if !(0..24).contains(&h) || !(0..60).contains(&m) {
                    return None; // not a time of day (a hostile column)
                }
                Some(self.day?.plus_secs(h * 3600 + m * 60 + 59))
            });
            if let Some(t) = latest {
                ups.push((t, format!("process {} started running it", p.pid)));
            }
        }
        if let Some(url) = url_path(&path) {
            if let Some(t) = self.records.iter().filter(|(_, x)| requests(x, &url)).map(|(t, _)| *t).min() {
                ups.push((t, format!("a log record requests {url}")));
            }
        }
        ups.retain(|(t, _)| lower.is_none_or(|l| *t >= l));
        ups
    }

    /// When a container's file whose mtime `claimed` is older than what it was written on
    /// top of (its container, its image) was really written; None when the mtime is not
    /// forged. `fallback` is the earliest container start, for changes with no known owner.
    pub(crate) fn forged(
        &self,
        c: &FileChange,
        claimed: Timestamp,
        owner: Option<&Owner>,
        fallback: Option<Timestamp>,
    ) -> Option<When> {
        let lower = self.lower(c, owner, fallback)?;
        // Tar mtimes are whole seconds: compare at that precision.
        if claimed.unix_secs() >= lower.0.unix_secs() {
            return None;
        }
        let upper = self.uppers(c, owner, Some(lower.0)).into_iter().min_by_key(|r| r.0);
        let basis = format!(
            "real write: after {}{}; its mtime {} is forged (older than {})",
            lower.1,
            upper.as_ref().map(|u| format!(", at or before {}", u.1)).unwrap_or_default(),
            claimed.to_iso_seconds(),
            if lower.1.starts_with("image") {
                "the image it was written on"
            } else {
                "the container that wrote it"
            },
        );
        Some(When { time: None, not_before: Some(lower.0), not_after: upper.map(|u| u.0), basis })
    }
}

fn img_name(img: &ImageRecord) -> String {
    img.repo_tags
        .first()
        .cloned()
        .or_else(|| img.id.as_deref().map(|i| i.trim_start_matches("sha256:").chars().take(12).collect()))
        .unwrap_or_else(|| format!("#{}", img.index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_paths_and_requests() {
        assert_eq!(
            url_path("/usr/local/tomcat/webapps/ROOT/assets/health.jsp").as_deref(),
            Some("/assets/health.jsp")
        );
        assert_eq!(url_path("/opt/tomcat/webapps/shop/x.jsp").as_deref(), Some("/shop/x.jsp"));
        assert_eq!(
            url_path("/var/www/html/hackable/uploads/shell.php").as_deref(),
            Some("/hackable/uploads/shell.php")
        );
        assert_eq!(url_path("/etc/cron.d/x"), None);
        let line =
            "203.0.113.66 - - [27/Nov/2026:14:26:02 +0000] \"GET /assets/health.jsp?cmd=id HTTP/1.1\" 200 12";
        assert!(requests(line, "/assets/health.jsp"));
        assert!(!requests(line, "/health.jsp"), "a suffix of another path");
        assert!(!requests("\"GET /assets/health.jsp HTTP/1.1\" 404 0", "/assets/health.jsp"));
    }
}
