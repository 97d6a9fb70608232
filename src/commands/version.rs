//! The version strings: the one clap shows (help, man page) and the one `-V` / `--version`
//! prints.

/// The version and commit clap knows (help, man page); `-V` / `--version` print
/// [`long_version`].
pub(crate) const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("CTRIAGE_COMMIT"), ")");

/// `-V` / `--version`: the version, the commit, the report schema and how many rules of each
/// family are built in (one line). Counting them builds the rule engine, so it is done only
/// when asked, never while the command line is parsed.
pub fn long_version() -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    if let Ok(engine) = crate::logscan::Engine::builtin() {
        for r in crate::catalog::all(&engine) {
            *counts.entry(r.family).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    let each: Vec<String> = counts.iter().map(|(f, n)| format!("{n} {f}")).collect();
    format!(
        "{} (commit {}, report schema {}, {total} built-in rules: {})",
        env!("CARGO_PKG_VERSION"),
        env!("CTRIAGE_COMMIT"),
        crate::report::SCHEMA_VERSION,
        each.join(", ")
    )
}
