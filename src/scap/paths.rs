//! Which files matter: the account databases, persistence files (cron, SSH keys, systemd
//! units, preload, rc and profile scripts), static pod manifests and credentials.

/// What kind of sensitive file a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sensitive {
    Account,
    Persistence,
    StaticPod,
    /// Read-sensitive only (credentials): opens are on the timeline, writes are not a rule.
    Secret,
}

/// The kind of sensitive file `path` is, if any.
pub(crate) fn sensitive(path: &str) -> Option<Sensitive> {
    const ACCOUNT: &[&str] = &["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers"];
    const PERSIST_FILES: &[&str] = &["/etc/crontab", "/etc/ld.so.preload", "/etc/rc.local", "/etc/profile"];
    const PERSIST_DIRS: &[&str] = &[
        "/etc/cron.d/",
        "/etc/cron.hourly/",
        "/etc/cron.daily/",
        "/etc/cron.weekly/",
        "/etc/cron.monthly/",
        "/var/spool/cron/",
        "/etc/systemd/system/",
        "/lib/systemd/system/",
        "/usr/lib/systemd/system/",
        "/etc/init.d/",
        "/etc/profile.d/",
        "/root/.ssh/",
    ];
    if ACCOUNT.contains(&path) || path.starts_with("/etc/sudoers.d/") {
        return Some(Sensitive::Account);
    }
    if path.starts_with("/etc/kubernetes/manifests/") {
        return Some(Sensitive::StaticPod);
    }
    if PERSIST_FILES.contains(&path)
        || PERSIST_DIRS.iter().any(|d| path.starts_with(d))
        || path.contains("/.ssh/authorized_keys")
        || path == "/root/.bashrc"
        || path == "/root/.profile"
    {
        return Some(Sensitive::Persistence);
    }
    if path.contains("/.ssh/id_") || path.contains("/.aws/credentials") || path.contains("/.kube/config") {
        return Some(Sensitive::Secret);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_paths() {
        assert_eq!(sensitive("/etc/shadow"), Some(Sensitive::Account));
        assert_eq!(sensitive("/etc/sudoers.d/x"), Some(Sensitive::Account));
        assert_eq!(sensitive("/etc/cron.d/job"), Some(Sensitive::Persistence));
        assert_eq!(sensitive("/home/bob/.ssh/authorized_keys"), Some(Sensitive::Persistence));
        assert_eq!(sensitive("/etc/kubernetes/manifests/x.yaml"), Some(Sensitive::StaticPod));
        assert_eq!(sensitive("/etc/passwd-"), None);
        assert_eq!(sensitive("/tmp/x"), None);
    }
}
