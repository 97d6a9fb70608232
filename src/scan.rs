//! Wiring one bundle through the pipeline: discover -> ingest -> analyze -> bundle report.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analyze;
use crate::evidence::{discover, discover_yara, Artifact, ArtifactKind, BundleKind};
use crate::image::{self, ImageContext, ImageSection};
use crate::ingest::inspect::InspectDoc;
use crate::ingest::observed::Observed;
use crate::ingest::{diff, inspect, iplink, pslist, stats, top};
use crate::logscan::{self, Engine, LogHit, ScanConfig, SourceScan};
use crate::model::{Diagnostic, Finding, Outcome};
use crate::report::{ArtifactRecord, BundleReport, ProcessReport};

/// Options for a scan.
#[derive(Debug, Default, Clone)]
pub(crate) struct ScanOptions {
    pub base_image: Option<PathBuf>,
    /// Where progress is counted, when someone shows it.
    pub meter: Option<std::sync::Arc<crate::progress::Meter>>,
    /// Resource limits (`--max-*`).
    pub limits: crate::limits::Limits,
    /// Networks the response plan never blocks (`--trusted-net`).
    pub trusted_nets: Vec<crate::analyze::response::Cidr>,
    /// `--yara` rules, run over every file a layer, export or checkpoint holds.
    pub yara: Option<std::sync::Arc<crate::yara::YaraRules>>,
    /// `--syslog-year`: the year of syslog times that carry none.
    pub syslog_year: Option<i32>,
}

/// One parsed small artifact.
enum Parsed {
    Inspect(InspectDoc),
    Top(ProcessReport, Vec<Finding>),
    Stats(Vec<stats::StatsRow>),
    Diff(Vec<diff::DiffEntry>),
    Ps(Vec<pslist::PsRow>),
    IpLink(iplink::IpLinkCapture),
    /// An event source's observations (sensor exports, audit logs, checkpoints).
    Observed(Observed),
}

fn parse_small(a: &Artifact, engine: &Engine, opts: &ScanOptions) -> Option<(Parsed, Vec<Diagnostic>)> {
    Some(match a.kind {
        ArtifactKind::K8sAudit => {
            let (o, d) = crate::k8saudit::read(a, engine.sigma());
            (Parsed::Observed(o), d)
        }
        ArtifactKind::Inspect => {
            let (doc, d) = inspect::parse(a);
            (Parsed::Inspect(doc), d)
        }
        ArtifactKind::ImageConfig => {
            let (doc, d) = inspect::parse_image_config(a);
            (Parsed::Inspect(doc), d)
        }
        ArtifactKind::Top => {
            let (capture, d) = top::parse(a);
            let (tree, findings) = analyze::process::analyze(&capture);
            (Parsed::Top(ProcessReport { capture, tree }, findings), d)
        }
        ArtifactKind::Stats => {
            let (rows, d) = stats::parse(a);
            (Parsed::Stats(rows), d)
        }
        ArtifactKind::Diff => {
            let (rows, d) = diff::parse(a);
            (Parsed::Diff(rows), d)
        }
        ArtifactKind::Ps => {
            let (rows, d) = pslist::parse(a);
            (Parsed::Ps(rows), d)
        }
        ArtifactKind::IpLink => {
            let (capture, d) = iplink::parse(a);
            (Parsed::IpLink(capture), d)
        }
        ArtifactKind::Scap => {
            let (observed, d) = crate::scap::parse(a);
            (Parsed::Observed(observed), d)
        }
        ArtifactKind::Tetragon
        | ArtifactKind::FalcoAlerts
        | ArtifactKind::Sysmon
        | ArtifactKind::AuditLog => {
            let (o, d) = crate::sensor::read(a)?;
            (Parsed::Observed(o), d)
        }
        ArtifactKind::Checkpoint => {
            let (o, d) = crate::checkpoint::read_archive(a, engine, opts.yara.as_deref());
            (Parsed::Observed(o), d)
        }
        _ => return None,
    })
}

/// Scan one bundle.
pub(crate) fn scan_bundle(path: &Path, engine: &Engine, opts: &ScanOptions) -> BundleReport {
    let mut bundle = discover_yara(path, &opts.limits, opts.yara.as_ref());
    if let Some(m) = &opts.meter {
        m.discovered(bundle.artifacts.len() as u64, bundle.artifacts.iter().map(|a| a.size).sum());
    }
    let mut outcome = Outcome { diagnostics: std::mem::take(&mut bundle.diagnostics), ..Default::default() };
    // Config blobs of an OCI layout directory are read with its images, not on their own.
    let in_layout = image::layout_members(&bundle.artifacts.iter().collect::<Vec<_>>());
    let mut parsed: Vec<(Parsed, Vec<Diagnostic>)> = bundle
        .artifacts
        .par_iter()
        .filter(|a| !(a.kind == ArtifactKind::ImageConfig && in_layout.contains(&a.path)))
        .filter_map(|a| parse_small(a, engine, opts))
        .collect();
    // Bare CRIU images directories: a folder of images is one checkpoint.
    parsed.extend(
        crate::checkpoint::read_image_dirs(&bundle.artifacts, engine, opts.yara.as_deref())
            .into_iter()
            .map(|(o, d)| (Parsed::Observed(o), d)),
    );

    // The custody records are made from the artifacts once nothing reads the artifacts any
    // more (the records are first read by the story, in `finish`): a million loose files
    // were held twice.
    let mut report = BundleReport::new(bundle.path.clone(), bundle.kind, vec![]);
    let base_custody = base_image_custody(opts);
    let mut pod_findings = vec![];
    for (p, diags) in parsed {
        outcome.diagnostics.extend(diags);
        match p {
            Parsed::Inspect(doc) => {
                report.containers.extend(doc.containers);
                report.image_objects.extend(doc.images);
            }
            Parsed::Top(pr, findings) => {
                outcome.findings.extend(findings);
                add_processes(&mut report, &mut outcome, pr, engine);
            }
            Parsed::Observed(o) => {
                if let Some(capture) = o.processes {
                    let (tree, findings) = analyze::process::analyze(&capture);
                    outcome.findings.extend(findings);
                    add_processes(&mut report, &mut outcome, ProcessReport { capture, tree }, engine);
                }
                outcome.findings.extend(o.findings);
                pod_findings.extend(o.pod_findings);
                outcome.timeline.extend(o.timeline);
                report.containers.extend(o.containers);
            }
            Parsed::Stats(rows) => report.stats.extend(rows),
            Parsed::Diff(rows) => report.diff.extend(rows),
            Parsed::Ps(rows) => report.ps.extend(rows),
            Parsed::IpLink(capture) => report.ip_links.push(capture),
        }
    }
    report.named = bundle.named.clone();
    inspect::attach_host_configs(&mut report.containers, &bundle.artifacts, &mut outcome.diagnostics);
    // A daemon data root: its images, layer chains and containers' own layers; Podman's and
    // containerd's containers as records beside Docker's.
    let rooted =
        crate::dataroot::read(&bundle.artifacts, &bundle.trees, &report.containers, &mut outcome.diagnostics)
            .map(|got| {
                report.data_root = Some(got.section);
                report.containers.extend(got.containers);
                got.rooted
            });
    // The layer directories' entries (every file of each) are `rooted`'s from here: the image
    // analysis gives them back once it has rebuilt the containers (the bundle is the only
    // other holder).
    if let Some(trees) = std::sync::Arc::get_mut(&mut bundle.trees) {
        trees.scans.clear();
    }
    crate::sensor::join_containers(&mut report.containers);
    if !pod_findings.is_empty() {
        // Findings about pods join the pods' containers (labels, CRI log paths).
        let (findings, containers) =
            crate::k8saudit::join::own(pod_findings, &report.containers, &bundle.artifacts);
        outcome.findings.extend(findings);
        report.containers.extend(containers);
    }
    kubelet_pods(&mut report, &mut outcome, &bundle.artifacts);
    report.containers.sort_by(|a, b| (&a.name, &a.id, &a.locator).cmp(&(&b.name, &b.id, &b.locator)));
    outcome.timeline.extend(inspect::timeline(&report.containers));
    outcome.findings.extend(stats::findings(&report.stats));
    outcome.findings.extend(analyze::exposure::audit(&report.containers));
    let ctx = ImageContext {
        mount_points: report.containers.iter().flat_map(|c| c.mount_destinations()).collect(),
        saved_diff: report.diff.clone(),
        base_image: opts.base_image.clone(),
        containers: report.containers.iter().map(|c| (c.id.clone(), c.image_id.clone())).collect(),
        container_folders: report
            .containers
            .iter()
            .map(|c| crate::model::folder_of(&c.locator.artifact).to_string())
            .collect(),
        base_flag: None,
        limits: opts.limits,
        yara: opts.yara.clone(),
    };
    let artifacts: Vec<&Artifact> = bundle.artifacts.iter().collect();
    // Signatures run on logs: in a tree, documentation and source are not (a file named on
    // the command line is scanned whatever it is).
    let (log_artifacts, not_logs) = match bundle.kind {
        BundleKind::File => (artifacts.clone(), vec![]),
        _ => logscan::logness::split(&artifacts),
    };
    let cfg = ScanConfig { syslog_year: opts.syslog_year, ..ScanConfig::with_limits(&opts.limits) };
    let (mut image_section, mut log_sources) = rayon::join(
        || image::analyze_bundle(&artifacts, &ctx, rooted),
        || logscan::bundle_sources(&log_artifacts, engine, &cfg),
    );
    log_sources.extend(committed_layer_logs(&image_section, &artifacts, engine, &cfg));
    // Syslog lines without a year: the bundle's containers and logs date them.
    let containers_newest = report
        .containers
        .iter()
        .flat_map(|c| [c.created, c.state.started_at, c.state.finished_at])
        .flatten()
        .max();
    logscan::date_syslog_years(&mut log_sources, &log_artifacts, containers_newest);
    let mut log_section = logscan::build_section(log_sources, engine);
    log_section.not_logs = not_logs;
    if let Some(d) = report.data_root.as_mut() {
        let spans: Vec<(&str, &crate::model::LogSpan)> = log_section
            .logs_scanned
            .iter()
            .filter(|l| l.locator.members.is_empty())
            .filter_map(|l| Some((l.locator.artifact.as_str(), l.span.as_ref()?)))
            .collect();
        d.attach_log_spans(&spans);
    }
    let loaded_ids: std::collections::BTreeSet<String> =
        image_section.images.iter().filter(|i| i.refused.is_none()).filter_map(|i| i.id.clone()).collect();
    image::objects::evaluate(&report.image_objects, &loaded_ids, &mut outcome);
    outcome.absorb(std::mem::take(&mut image_section.outcome));
    outcome.absorb(std::mem::take(&mut log_section.outcome));
    report.image = image_section;
    report.logs = log_section;
    // Findings carry the indicators of the processes and files their proof names.
    analyze::iocs::attach(&report, &mut outcome.findings);
    let (pivot_findings, pivot_hits) = pivot_search(&report, &outcome, &log_artifacts);
    outcome.findings.extend(pivot_findings);
    drop((artifacts, log_artifacts));
    report.artifacts = custody(bundle.artifacts, base_custody);
    if report.image.base_refused.is_some() {
        for a in report.artifacts.iter_mut() {
            if let Some(n) = a.note.as_mut().filter(|n| n.starts_with(BASE_IMAGE_NOTE)) {
                let rest = &n[BASE_IMAGE_NOTE.len()..];
                *n = format!(
                    "{BASE_IMAGE_NOTE} (refused as the base: see the diagnostics; not analysed){rest}"
                )
                .into();
            }
        }
    }

    finish(&mut report, outcome, &pivot_hits, opts);
    if let Some(m) = &opts.meter {
        m.bundle_done();
    }
    report
}

/// Kubelet pod directories: their findings join the pods' containers (after the audit
/// log's, whose CRI-log containers they then find by label), and a held token whose identity
/// the audit log shows acting is its use.
fn kubelet_pods(report: &mut BundleReport, outcome: &mut Outcome, artifacts: &[Artifact]) {
    use crate::dataroot::kubelet;
    let got = kubelet::read(artifacts, &report.containers, &mut outcome.diagnostics);
    if got.pods.is_empty() {
        return;
    }
    let (mut findings, containers) =
        crate::k8saudit::join::own(got.pod_findings, &report.containers, artifacts);
    report.containers.extend(containers);
    let held: Vec<(String, Vec<String>, Finding)> = got
        .held
        .iter()
        .filter_map(|(i, id, ips)| Some((id.clone(), ips.clone(), findings.get(*i)?.clone())))
        .collect();
    let used = kubelet::tokens_used(&held, &outcome.findings);
    // A pod's container the evidence does not show (an init container without logs) joins
    // the pod's only one: the same finding twice is one.
    let mut seen = std::collections::BTreeSet::new();
    findings.retain(|f| seen.insert((f.rule.clone(), f.owner.clone(), f.title.clone(), f.summary.clone())));
    outcome.findings.extend(findings);
    outcome.findings.extend(used);
    outcome.findings.extend(got.findings);
    outcome.timeline.extend(got.timeline);
    report.data_root.get_or_insert_with(Default::default).kubelet = got.pods;
}

/// A process capture joins the report: its Sigma process matches and start times with it.
fn add_processes(report: &mut BundleReport, outcome: &mut Outcome, pr: ProcessReport, engine: &Engine) {
    outcome.findings.extend(logscan::sigma::process_findings(&pr.capture, engine.sigma()));
    outcome.timeline.extend(analyze::process::timeline(&pr.capture));
    report.processes.push(pr);
}

/// The custody records of a bundle's artifacts, then of the `--base-image` evidence. The
/// artifacts become their records where they lay (std collects a mapped `Vec` in place when
/// the new items are no larger): no second million-item vector beside the first.
fn custody(artifacts: Vec<Artifact>, base: Vec<ArtifactRecord>) -> Vec<ArtifactRecord> {
    let mut records: Vec<ArtifactRecord> = artifacts.into_iter().map(ArtifactRecord::from).collect();
    records.reserve_exact(base.len());
    records.extend(base);
    // What the larger artifacts left beyond the records is given back.
    records.shrink_to_fit();
    records
}

/// The note that starts the custody record of every `--base-image` artifact.
pub(crate) const BASE_IMAGE_NOTE: &str = "given with --base-image";

/// Custody records of the `--base-image` evidence: it is read for the analysis, so its
/// hashes belong in the report like the bundle's own.
fn base_image_custody(opts: &ScanOptions) -> Vec<ArtifactRecord> {
    let Some(p) = &opts.base_image else { return vec![] };
    let b = discover(p);
    let single = b.kind == crate::evidence::BundleKind::File;
    b.artifacts
        .iter()
        .map(|a| {
            let mut r = ArtifactRecord::from(a);
            if !single {
                r.path = format!("{}/{}", b.path.trim_end_matches('/'), a.path);
            }
            r.note = Some(match r.note.take() {
                Some(n) => format!("{BASE_IMAGE_NOTE}; {n}").into(),
                None => BASE_IMAGE_NOTE.into(),
            });
            r
        })
        .collect()
}

/// Logs in the layers `docker commit` added (the container's own files: access logs, app
/// logs written during the attack), scanned when no export carries the same files.
fn committed_layer_logs(
    images: &ImageSection,
    artifacts: &[&Artifact],
    engine: &Engine,
    cfg: &ScanConfig,
) -> Vec<SourceScan> {
    if artifacts.iter().any(|a| a.kind == ArtifactKind::FilesystemTar) {
        return vec![];
    }
    let layers: Vec<(&image::ImageRecord, usize)> = images
        .images
        .iter()
        .filter(|img| img.refused.is_none())
        .flat_map(|img| img.committed_layers.iter().map(move |&i| (img, i)))
        .collect();
    layers
        .par_iter()
        .flat_map(|&(img, index)| match image::blob::open_layer(img, index, artifacts) {
            Ok((reader, loc)) => logscan::tarlogs::scan_tar(reader, loc, engine, cfg),
            // The image analysis already reported an unreadable layer.
            Err(_) => vec![],
        })
        .collect()
}

/// Search every log for what the other sources say the attacker used (callback hosts in
/// flagged processes, webshells on disk): a second log pass, only when there is something
/// to look for. Its hits are the attacker's own requests (for the story), its findings
/// what they tie together.
fn pivot_search(
    report: &BundleReport,
    outcome: &Outcome,
    artifacts: &[&Artifact],
) -> (Vec<Finding>, Vec<LogHit>) {
    let pivots = analyze::pivot::pivots(report, &outcome.findings);
    if pivots.is_empty() {
        return (vec![], vec![]);
    }
    let rules = match logscan::rules::parse(&analyze::pivot::rules_text(&pivots), "pivots") {
        Ok(rules) => rules,
        Err(_) => return (vec![], vec![]), // Terms are escaped; a refusal would be a bug, not evidence.
    };
    match Engine::new(rules) {
        Ok(engine) => {
            let scan = logscan::scan_logs(artifacts, &engine);
            (analyze::pivot::findings(&pivots, &scan), scan.log_hits)
        }
        Err(_) => (vec![], vec![]),
    }
}

/// Cross-source correlation, sorting (same evidence, same bytes), the story (facts, chain,
/// verdict, hosts by side), and the response plan drawn from the facts.
fn finish(report: &mut BundleReport, mut outcome: Outcome, pivot_hits: &[LogHit], opts: &ScanOptions) {
    let mut correlated = analyze::correlate::correlate(report, &outcome.findings);
    analyze::iocs::attach(report, &mut correlated);
    outcome.findings.extend(correlated);
    let owners = analyze::attribution::Owners::new(
        &report.containers,
        report.data_root.as_ref(),
        &report.image.images,
    );
    owners.assign(&mut outcome.findings);
    outcome.sort();
    let (facts, story) =
        analyze::story::tell(report, &owners, std::mem::take(&mut outcome.findings), pivot_hits);
    outcome.timeline.extend(analyze::story::records::events(&story.log_records, &report.logs.log_hits));
    outcome.sort();
    report.story = story;
    report.findings = facts;
    let observations: Vec<crate::model::Finding> =
        report.findings.iter().map(|f| f.finding.clone()).collect();
    let plan_opts = analyze::response::PlanOptions { story: &report.story, trusted: &opts.trusted_nets };
    report.response_plan = analyze::response::plan(report, &observations, &plan_opts);
    report.timeline = crate::report::Timeline::merge(outcome.timeline, report.image.file_events());
    report.diagnostics = outcome.diagnostics;
}
