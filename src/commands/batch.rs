//! `ctriage scan --batch DIR`: the batch front end of `scan` (the progress bars, the summary
//! table; its flags are `scan`'s, [`super::scan::BatchArgs`]); the orchestration is
//! [`crate::batch`].

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::scan::{check_rule_files, resolved, warn_if_inside, ScanArgs};
use crate::batch::{self, BatchConfig, BundleSpec};
use crate::model::terminal_safe;
use crate::report::format::ReportFormat;

/// Progress on standard error: one bar for the batch, one spinner per running bundle.
struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    running: Mutex<HashMap<String, ProgressBar>>,
    visible: bool,
    quiet: bool,
}

impl batch::Progress for Bars {
    fn total(&self, n: usize) {
        self.overall.set_length(n as u64);
    }
    fn started(&self, b: &BundleSpec) {
        if !self.visible {
            return;
        }
        let pb = self.multi.insert_before(&self.overall, ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {elapsed:>4} {msg}") {
            pb.set_style(style);
        }
        pb.set_message(terminal_safe(&b.key));
        pb.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut running) = self.running.lock() {
            running.insert(b.key.clone(), pb);
        }
    }
    fn finished(&self, b: &BundleSpec, status: &str, action: &str) {
        if let Some(pb) = self.running.lock().ok().and_then(|mut r| r.remove(&b.key)) {
            pb.finish_and_clear();
            self.multi.remove(&pb);
        }
        self.overall.inc(1);
        if status != "ok" && !self.quiet {
            let line = format!("ctriage: {}: {status} ({action})", terminal_safe(&b.key));
            if self.visible {
                self.overall.println(line);
            } else {
                eprintln!("{line}");
            }
        }
    }
}

/// The options that change a bundle's report, as `scan` arguments.
fn report_options(args: &ScanArgs) -> Vec<OsString> {
    let mut o: Vec<OsString> = vec!["--fail-on".into(), format!("{:?}", args.fail_on).to_lowercase().into()];
    for r in &args.rules {
        o.extend(["--rules".into(), r.clone().into_os_string()]);
    }
    for s in &args.sigma {
        o.extend(["--sigma".into(), s.clone().into_os_string()]);
    }
    for y in &args.yara {
        o.extend(["--yara".into(), y.clone().into_os_string()]);
    }
    if let Some(b) = &args.base_image {
        o.extend(["--base-image".into(), b.clone().into_os_string()]);
    }
    for n in &args.trusted_net {
        o.extend(["--trusted-net".into(), n.to_string().into()]);
    }
    if let Some(y) = args.syslog_year {
        o.extend(["--syslog-year".into(), y.to_string().into()]);
    }
    if args.output.terminal.verbose {
        o.push("--verbose".into());
    }
    o.extend(args.limits.to_args());
    o
}

/// `--out` inside one of the batch's bundles (a PATH, or a child of DIR other than OUT
/// itself, which the batch skips): a warning, as for `scan --out`.
fn warn_out_in_bundles(args: &ScanArgs, out: &Path) {
    let quiet = args.output.quiet;
    warn_if_inside("--out", out, &args.paths, quiet);
    let (Some(root), Some(o)) = (&args.batch.batch, resolved(out)) else { return };
    let Some(rel) =
        std::fs::canonicalize(root).ok().and_then(|r| o.strip_prefix(r).ok().map(Path::to_path_buf))
    else {
        return;
    };
    let mut parts = rel.components();
    if let (Some(first), Some(_)) = (parts.next(), parts.next()) {
        if !first.as_os_str().to_string_lossy().starts_with('.') {
            warn_if_inside("--out", out, &[root.join(first)], quiet);
        }
    }
}

/// Run `scan --batch`: bundles in child processes, the summary on standard output.
pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<i32> {
    if let Some(code) = check_rule_files(&args.rules) {
        return Ok(code);
    }
    let b = &args.batch;
    let out = args.output.out.clone().context("--batch needs --out DIR")?;
    let jobs = rayon::current_num_threads().max(1);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let options = report_options(args);
    let mut child_args = options.clone();
    child_args.extend(["--jobs".into(), (cores / jobs).max(1).to_string().into()]);
    let timeout = match b.timeout {
        Some(t) if !(t > 0.0 && t.is_finite()) => {
            anyhow::bail!("--timeout must be a positive number of seconds")
        }
        t => t.map(Duration::from_secs_f64),
    };
    warn_out_in_bundles(args, &out);
    let cfg = BatchConfig {
        root: b.batch.clone(),
        paths: args.paths.clone(),
        out,
        jobs,
        resume: b.resume,
        shard: b.shard,
        child: batch::child::ChildCommand {
            exe: std::env::current_exe().context("cannot find the ctriage executable")?,
            args: child_args,
            timeout,
        },
        options: options.iter().map(|o| o.to_string_lossy()).collect::<Vec<_>>().join(" "),
        arguments: crate::report::Run::now(crate::report::run_time()).arguments.join(" "),
    };
    let visible = !args.output.quiet && std::io::stderr().is_terminal();
    let overall = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} {elapsed}") {
        overall.set_style(style.progress_chars("=> "));
    }
    overall.set_prefix("bundles");
    let multi = MultiProgress::with_draw_target(if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let overall = multi.add(overall);
    let bars =
        Bars { multi, overall, running: Mutex::new(HashMap::new()), visible, quiet: args.output.quiet };
    let outcome = batch::run(&cfg, &bars)?;
    bars.overall.finish_and_clear();
    let mut w = super::output::open_output(&None)?;
    if args.output.format == ReportFormat::Json {
        let text = std::fs::read(cfg.out.join("summary.json")).context("cannot read summary.json")?;
        w.write_all(&text)?;
    } else {
        batch::summary::write_table(&outcome.rows, &mut w)?;
    }
    w.flush()?;
    Ok(outcome.exit_code)
}
