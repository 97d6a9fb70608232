//! What the victim runs (a JVM, PHP, Node.js...), from the image's files, the export and
//! the process captures, so an exploit can be judged against its target: a Log4Shell
//! payload sent to a PHP app is a probe, not a way in.

use std::collections::{BTreeMap, BTreeSet};

use crate::bundle::Evidence;

/// A runtime an exploit class needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tech {
    Jvm,
    Php,
    Node,
    Python,
    Ruby,
    Dotnet,
}

impl Tech {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Tech::Jvm => "JVM",
            Tech::Php => "PHP",
            Tech::Node => "Node.js",
            Tech::Python => "Python",
            Tech::Ruby => "Ruby",
            Tech::Dotnet => ".NET",
        }
    }
}

/// The victim's runtimes, and whether anything was there to tell (files or processes).
#[derive(Clone, Debug, Default)]
pub(crate) struct VictimRuntimes {
    /// Files or processes were read: absence of a runtime means something.
    pub known: bool,
    /// Each runtime with one piece of evidence for it.
    pub techs: BTreeMap<Tech, String>,
}

impl VictimRuntimes {
    /// Whether an exploit needing `tech` fits: true when unknown.
    pub(crate) fn fits(&self, tech: Tech) -> bool {
        !self.known || self.techs.contains_key(&tech)
    }
}

/// The runtime an exploit rule targets, from its id (None: any target).
pub(crate) fn needs(rule: &str) -> Option<Tech> {
    let r = rule.to_ascii_lowercase();
    const JVM: &[&str] = &[
        "log4j",
        "jndi",
        "commons-text",
        "text4shell",
        "struts",
        "ognl",
        "confluence",
        "spring",
        "spel",
        "fastjson",
        "weblogic",
        "shiro",
        "jboss",
        "jenkins",
        "java",
        "tomcat",
        "jackson",
        "xstream",
    ];
    const PHP: &[&str] = &["php", "thinkphp", "laravel", "drupal", "wordpress", "wp-", "joomla", "magento"];
    if JVM.iter().any(|k| r.contains(k)) && !r.contains("reverse") {
        return Some(Tech::Jvm);
    }
    if PHP.iter().any(|k| r.contains(k)) && !r.contains("reverse") {
        return Some(Tech::Php);
    }
    if r.contains("node") && crate::logscan::rules::engine_kind(&r).role == crate::model::Role::Request {
        return Some(Tech::Node);
    }
    None
}

/// The target profile of one container: only the files, processes and container records
/// `owns_locator` / `owns_container` accept.
pub(crate) fn profile_of(
    report: &Evidence,
    owns_locator: &dyn Fn(&crate::model::Locator) -> bool,
    owns_container: &dyn Fn(&crate::ingest::inspect::ContainerInfo) -> bool,
) -> VictimRuntimes {
    let mut t = VictimRuntimes::default();
    let mut seen: BTreeSet<Tech> = BTreeSet::new();
    let mut add = |t: &mut VictimRuntimes, tech: Tech, why: String| {
        if seen.insert(tech) {
            t.techs.insert(tech, why);
        }
    };
    for c in report.image.file_changes.iter().filter(|c| owns_locator(&c.locator())) {
        t.known = true;
        let path = c.path();
        if let Some(tech) = from_path(&path) {
            add(&mut t, tech, format!("{path} in {}", c.source()));
        }
    }
    for p in
        report.processes.iter().flat_map(|r| r.capture.processes.iter()).filter(|p| owns_locator(&p.locator))
    {
        t.known = true;
        if let Some(tech) = from_process(&p.exe, &p.cmd) {
            add(&mut t, tech, format!("process {} ({})", p.exe, p.pid));
        }
    }
    for c in report.containers.iter().filter(|c| owns_container(c)) {
        let cmd: Vec<&str> =
            c.path.iter().map(String::as_str).chain(c.args.iter().map(String::as_str)).collect();
        if let Some(tech) = cmd.iter().find_map(|a| from_process(a.rsplit('/').next().unwrap_or(a), a)) {
            add(&mut t, tech, format!("container {} runs {}", c.name, cmd.join(" ")));
        }
    }
    t
}

fn from_path(path: &str) -> Option<Tech> {
    let p = path.to_ascii_lowercase();
    let name = p.rsplit('/').next().unwrap_or("");
    if p.ends_with(".jar") || p.ends_with(".war") || name == "java" || p.contains("/catalina") {
        return Some(Tech::Jvm);
    }
    if p.ends_with(".php") || name.starts_with("php-fpm") || p.starts_with("/usr/bin/php") || name == "php" {
        return Some(Tech::Php);
    }
    if p.contains("/node_modules/") || name == "node" || name == "nodejs" {
        return Some(Tech::Node);
    }
    if p.contains("/site-packages/")
        && (p.contains("/django/") || p.contains("/flask/") || p.contains("/jinja2/"))
    {
        return Some(Tech::Python);
    }
    if p.contains("/gems/") && p.contains("rails") {
        return Some(Tech::Ruby);
    }
    if name == "dotnet" || p.ends_with(".aspx") {
        return Some(Tech::Dotnet);
    }
    None
}

fn from_process(exe: &str, cmd: &str) -> Option<Tech> {
    let e = exe.to_ascii_lowercase();
    match e.as_str() {
        "java" | "javaw" => Some(Tech::Jvm),
        x if x.starts_with("php") => Some(Tech::Php),
        "node" | "nodejs" => Some(Tech::Node),
        "dotnet" => Some(Tech::Dotnet),
        x if x.starts_with("python")
            && (cmd.contains("manage.py")
                || cmd.contains("flask")
                || cmd.contains("gunicorn")
                || cmd.contains("uwsgi")) =>
        {
            Some(Tech::Python)
        }
        "gunicorn" | "uwsgi" => Some(Tech::Python),
        "puma" | "unicorn" => Some(Tech::Ruby),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exploit_classes_and_their_targets() {
        assert_eq!(needs("log4j.jndi-lookup"), Some(Tech::Jvm));
        assert_eq!(needs("web.struts2.ognl"), Some(Tech::Jvm));
        assert_eq!(needs("web.thinkphp.rce"), Some(Tech::Php));
        assert_eq!(needs("web.sqli"), None);
        assert_eq!(needs("shell.reverse.php"), None, "a reverse shell is not an exploit class");
    }

    #[test]
    fn runtimes_from_files_and_processes() {
        assert_eq!(
            from_path("/usr/local/tomcat/webapps/ROOT/WEB-INF/lib/log4j-core-2.14.1.jar"),
            Some(Tech::Jvm)
        );
        assert_eq!(from_path("/var/www/html/index.php"), Some(Tech::Php));
        assert_eq!(from_path("/etc/passwd"), None);
        assert_eq!(from_process("java", "/opt/java -jar app.jar"), Some(Tech::Jvm));
        assert_eq!(from_process("apache2", "/usr/sbin/apache2 -k start"), None);
        let t = VictimRuntimes { known: true, techs: [(Tech::Php, "x".into())].into_iter().collect() };
        assert!(!t.fits(Tech::Jvm) && t.fits(Tech::Php));
        assert!(VictimRuntimes::default().fits(Tech::Jvm), "nothing known: every exploit fits");
    }
}
