//! Classification by content: the first bytes of an artifact (and, for tars, the member
//! names) decide its kind. The file name is only a tiebreaker.

use super::artifact::ArtifactKind;

/// True when `head` starts with a tar header (ustar magic, or a valid v7 checksum).
pub(crate) fn is_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    // v7 tar: checksum field at 148..156, octal, over the header with that field as spaces.
    let field = &head[148..156];
    let digits: Vec<u8> = field.iter().copied().filter(|c| (b'0'..=b'7').contains(c)).collect();
    if digits.is_empty() || head[0] == 0 {
        return false;
    }
    let Ok(want) = u32::from_str_radix(std::str::from_utf8(&digits).unwrap_or("x"), 8) else {
        return false;
    };
    let sum: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) })
        .sum();
    sum == want
}

/// Kind of a tar from its member names. `top_level` is true for a path given on the command
/// line, where a tar that is not an image, layer or filesystem is a bundle of evidence files.
pub(crate) fn classify_tar_names(names: &[Vec<u8>], top_level: bool) -> ArtifactKind {
    let norm: Vec<&[u8]> = names.iter().map(|n| normalize(n)).collect();
    let has = |want: &[u8]| norm.contains(&want);
    let base = |n: &[u8]| -> Vec<u8> { n.rsplit(|c| *c == b'/').next().unwrap_or(n).to_vec() };
    // A container checkpoint (Podman, CRI-O, the kubelet): CRIU's images below `checkpoint/`,
    // or the container's `config.dump` and `spec.dump`; a pod archive has one per container.
    if norm.iter().any(|n| {
        n.ends_with(b"checkpoint/inventory.img")
            && (n.len() == 24 || n.get(n.len().wrapping_sub(25)) == Some(&b'/'))
    }) || (norm.iter().any(|n| base(n) == b"config.dump") && norm.iter().any(|n| base(n) == b"spec.dump"))
    {
        return ArtifactKind::Checkpoint;
    }
    if has(b"manifest.json") || has(b"repositories") || norm.iter().any(|n| is_legacy_layer(n)) {
        return ArtifactKind::DockerSave;
    }
    if has(b"oci-layout") || (has(b"index.json") && norm.iter().any(|n| n.starts_with(b"blobs/"))) {
        return ArtifactKind::OciArchive;
    }
    // An OCI / Docker 25+ archive cut before its `index.json` and `oci-layout` (written after
    // the blobs): nothing but `blobs/<alg>/<hex>`.
    if norm.iter().any(|n| is_blob(n)) && norm.iter().all(|n| is_blob(n) || is_blob_dir(n)) {
        return ArtifactKind::OciArchive;
    }
    if has(b".dockerenv") {
        return ArtifactKind::FilesystemTar;
    }
    // A copy of a daemon's data root (/var/lib/docker) is a bundle of evidence files.
    let daemon_file = |n: &&[u8]| {
        let b = base(n);
        b == b"config.v2.json" || b == b"hostconfig.json" || b == b"repositories.json"
    };
    if norm.iter().any(daemon_file) {
        return ArtifactKind::BundleArchive;
    }
    // aufs keeps its own metadata in `.wh..wh.plnk`, `.wh..wh.aufs`, `.wh..wh.orph`: not whiteouts.
    let is_whiteout =
        |b: &[u8]| b.starts_with(b".wh.") && (!b.starts_with(b".wh..wh.") || b == b".wh..wh..opq");
    if norm.iter().any(|n| is_whiteout(&base(n))) {
        return ArtifactKind::LayerTar;
    }
    const ROOT_DIRS: &[&[u8]] = &[
        b"bin", b"etc", b"usr", b"lib", b"var", b"sbin", b"root", b"home", b"tmp", b"opt", b"proc", b"dev",
        b"sys", b"run", b"srv", b"app", b"lib64",
    ];
    let roots = ROOT_DIRS
        .iter()
        .filter(|d| norm.iter().any(|n| n.split(|c| *c == b'/').next() == Some(**d) && n.len() > d.len()))
        .count();
    if !top_level || roots >= 2 {
        ArtifactKind::FilesystemTar
    } else {
        ArtifactKind::BundleArchive
    }
}

fn normalize(n: &[u8]) -> &[u8] {
    let mut n = n;
    loop {
        if let Some(r) = n.strip_prefix(b"./") {
            n = r;
        } else if let Some(r) = n.strip_prefix(b"/") {
            n = r;
        } else {
            break;
        }
    }
    n.strip_suffix(b"/").unwrap_or(n)
}

/// `blobs/<alg>/<hex>` (a content-addressed blob of an image layout).
fn is_blob(n: &[u8]) -> bool {
    match n.split(|c| *c == b'/').collect::<Vec<_>>().as_slice() {
        [b"blobs", alg, hex] => !alg.is_empty() && hex.len() >= 32 && hex.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// `blobs` or `blobs/<alg>` (their directory entries).
fn is_blob_dir(n: &[u8]) -> bool {
    n == b"blobs" || n.strip_prefix(b"blobs/").is_some_and(|alg| !alg.is_empty() && !alg.contains(&b'/'))
}

fn is_legacy_layer(n: &[u8]) -> bool {
    match n.split(|c| *c == b'/').collect::<Vec<_>>().as_slice() {
        [id, file] => id.len() == 64 && id.iter().all(u8::is_ascii_hexdigit) && *file == b"layer.tar",
        _ => false,
    }
}

/// Kind of a non-tar artifact from its first decoded bytes (`head`, up to 64 KiB) and name.
pub(crate) fn sniff_text(head: &[u8], name: &str) -> ArtifactKind {
    if head.is_empty() {
        return ArtifactKind::Empty;
    }
    if is_scap(head) {
        return ArtifactKind::Scap;
    }
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    // Journal export: text fields, binary ones length-prefixed (so before the binary test).
    if head.starts_with(b"__CURSOR=") || head.starts_with(b"__REALTIME_TIMESTAMP=") {
        return ArtifactKind::JournalExport;
    }
    if is_criu_image(head) {
        return ArtifactKind::CriuImage;
    }
    if looks_local(head) {
        return ArtifactKind::LocalLog;
    }
    if looks_binary(head) {
        return ArtifactKind::Unknown;
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if super::own::is_own_output(trimmed) {
        return ArtifactKind::CtriageReport;
    }
    if let Some(kind) = sniff_sensor(trimmed) {
        return kind;
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if is_k8s_audit(trimmed, name) {
            return ArtifactKind::K8sAudit;
        }
        if let Some(kind) = sniff_json(trimmed) {
            return kind;
        }
        // Tiebreaker: JSON whose keys say nothing (cut short, reformatted) but whose name says
        // inspect is parsed as inspect, so its problems are reported instead of ignored.
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
        if base.contains("inspect") || base == "config.v2.json" {
            return ArtifactKind::Inspect;
        }
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(50).collect();
    // A cut-off last line in a 64 KiB head is not evidence against a format.
    let complete =
        if head.len() >= 65536 && lines.len() > 1 { &lines[..lines.len() - 1] } else { &lines[..] };
    let Some(first) = lines.first() else { return ArtifactKind::Unknown };
    let header: Vec<&str> = first.split_whitespace().collect();
    let has_col = |c: &str| header.iter().any(|h| h.eq_ignore_ascii_case(c));
    if first.contains("CPU %") && (first.contains("MEM USAGE") || first.contains("MEM %")) {
        return ArtifactKind::Stats;
    }
    // `ip link` / `ip -o link`: every record line `N: name[@peer]: <FLAGS> mtu ...` (the
    // two-line form continues each record on indented lines).
    if is_link_line(first) && complete.iter().filter(|l| !l.starts_with([' ', '\t'])).all(|l| is_link_line(l))
    {
        return ArtifactKind::IpLink;
    }
    // `docker ps` tables, also with `--format "table {{.Names}}\t{{.Ports}}..."` columns.
    const PS_WORDS: &[&str] = &[
        "CONTAINER",
        "ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
        "SIZE",
        "LABELS",
        "MOUNTS",
        "NETWORKS",
        "RUNNING",
        "FOR",
        "STATE",
        "LOCAL",
        "VOLUMES",
        "PLATFORM",
    ];
    if header.len() >= 2
        && header.iter().all(|h| PS_WORDS.contains(h))
        && (has_col("NAMES") || first.contains("CONTAINER ID"))
        && (has_col("IMAGE") || has_col("STATUS") || has_col("PORTS") || has_col("NAMES"))
    {
        return ArtifactKind::Ps;
    }
    // ps headers are upper case; renamed columns (`-o pid=PROCESSID,args=CMDLINE`) usually
    // keep a recognisable stem.
    let upper = header.iter().all(|h| h.bytes().all(|c| c.is_ascii_uppercase() || b"%_-+".contains(&c)));
    let pid_col =
        header.iter().any(|h| *h == "PID" || (upper && (h.contains("PID") || h.contains("PROCESS"))));
    let cmd_col = header.iter().any(|h| {
        ["CMD", "COMMAND", "ARGS", "COMM", "UCOMM", "UCMD"].contains(h)
            || (upper && ["CMD", "COMM", "ARGS"].iter().any(|stem| h.contains(stem)))
    });
    if pid_col && cmd_col && header.len() >= 2 {
        return ArtifactKind::Top;
    }
    if !complete.is_empty() && complete.iter().all(|l| is_diff_line(l)) {
        return ArtifactKind::Diff;
    }
    let cri = complete.iter().filter(|l| is_cri_line(l)).count();
    if !complete.is_empty() && cri * 10 >= complete.len() * 9 {
        return ArtifactKind::CriLog;
    }
    // `docker logs -t` writes the daemon's nanosecond receive time (Go trims trailing zeros,
    // so nearly every line keeps 7-9 fraction digits). Applications that start their own
    // lines with an RFC 3339 `Z` time mostly write 0, 3 or 6 digits: those are text logs.
    let stamped: Vec<usize> = complete.iter().filter_map(|l| docker_time_digits(l)).collect();
    let nanos = stamped.iter().filter(|d| **d >= 7).count();
    if !complete.is_empty() && stamped.len() * 10 >= complete.len() * 9 && nanos * 2 >= stamped.len() {
        return ArtifactKind::DockerLogsTimestamped;
    }
    ArtifactKind::TextLog
}

/// Runtime sensor exports: Tetragon events (the object's first key is its event kind),
/// Falco alerts (`output`, `priority`, `rule`), Sysmon for Linux (most lines name its
/// provider), audit logs (most lines are `type=... msg=audit(...)` records).
fn sniff_sensor(text: &str) -> Option<ArtifactKind> {
    const TETRAGON: &[&str] = &[
        "process_exec",
        "process_exit",
        "process_kprobe",
        "process_lsm",
        "process_tracepoint",
        "process_uprobe",
        "process_connect",
        "process_listen",
        "process_close",
        "process_loader",
    ];
    let first_line = text.lines().next().unwrap_or("");
    if let Some(rest) = text.strip_prefix('{') {
        let key = rest.trim_start().strip_prefix('"').and_then(|k| k.split('"').next()).unwrap_or("");
        // Another version may put `node_name` or `time` first: its event kind is then later
        // on the first line.
        let kind_on_line = TETRAGON.iter().any(|k| first_line.contains(&format!("\"{k}\":{{")));
        if text.contains("\"exec_id\"")
            && (TETRAGON.contains(&key) || kind_on_line && first_line.contains("\"node_name\""))
        {
            return Some(ArtifactKind::Tetragon);
        }
        let has = |k: &str| first_line.contains(&format!("\"{k}\""));
        if has("output") && has("priority") && has("rule") {
            return Some(ArtifactKind::FalcoAlerts);
        }
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(50).collect();
    // A cut-off last line is not evidence against a format.
    let complete = if lines.len() > 1 { &lines[..lines.len() - 1] } else { &lines[..] };
    let share = |f: &dyn Fn(&str) -> bool| {
        let n = complete.iter().filter(|l| f(l)).count();
        !complete.is_empty() && n * 2 >= complete.len() && n > 0
    };
    if share(&|l| l.contains("Linux-Sysmon") && (l.contains("EventID") || l.contains("EventData"))) {
        return Some(ArtifactKind::Sysmon);
    }
    let audit = |l: &str| {
        let l = l.trim_start();
        (l.starts_with("type=") || l.starts_with("node=")) && l.contains(" msg=audit(")
    };
    if audit(first_line) && share(&|l| audit(l)) {
        return Some(ArtifactKind::AuditLog);
    }
    None
}

/// A Kubernetes API server audit log: its first object is an `audit.k8s.io` `Event` or
/// `EventList` (Falco's captures omit `apiVersion`: an `Event` with `auditID` and `verb`
/// is one too). JSON with a `kind` key whose path says audit (`k8s_audit/`, `audit.log`)
/// is read as one, so a file that is not an event is rejected with why.
fn is_k8s_audit(text: &str, name: &str) -> bool {
    // The first object: up to the end of the first line, or of the head for pretty JSON.
    let first = match text.lines().next() {
        Some(l) if l.trim_end().ends_with('}') => l,
        _ => text,
    };
    let compact: String = first.chars().take(1 << 16).filter(|c| !c.is_ascii_whitespace()).collect();
    let kind_event = compact.contains("\"kind\":\"Event\"") || compact.contains("\"kind\":\"EventList\"");
    if kind_event
        && (compact.contains("\"apiVersion\":\"audit.k8s.io/")
            || (compact.contains("\"auditID\"") && compact.contains("\"verb\"")))
    {
        return true;
    }
    let path = name.to_ascii_lowercase();
    compact.contains("\"kind\":")
        && (path.contains("k8s_audit")
            || path.contains("k8s-audit")
            || path.contains("kube-apiserver-audit")
            || path.rsplit(['/', '\\']).next().is_some_and(|b| b.starts_with("audit")))
}

fn sniff_json(text: &str) -> Option<ArtifactKind> {
    let first_line = text.lines().next().unwrap_or("");
    let obj_start = text.trim_start_matches(['[', ' ', '\n', '\r', '\t']);
    let key = |k: &str| text.contains(&format!("\"{k}\""));
    let line_key = |k: &str| first_line.contains(&format!("\"{k}\""));
    if key("Titles") && key("Processes") {
        return Some(ArtifactKind::Top);
    }
    // `journalctl -o json`: one journal entry per line.
    if first_line.trim_start().starts_with('{') && line_key("__REALTIME_TIMESTAMP") && line_key("MESSAGE") {
        return Some(ArtifactKind::JournalExport);
    }
    // Image manifests, indexes and manifest lists (OCI and Docker v2; schema 1 has
    // `fsLayers`): `schemaVersion` beside what a manifest lists.
    if obj_start.starts_with('{')
        && key("schemaVersion")
        && (key("manifests") || key("layers") || key("fsLayers") || (key("config") && key("mediaType")))
    {
        return Some(ArtifactKind::OciManifest);
    }
    // The `oci-layout` marker file of an image layout.
    if obj_start.starts_with('{') && key("imageLayoutVersion") {
        return Some(ArtifactKind::OciManifest);
    }
    if first_line.trim_start().starts_with('{') && line_key("log") && (line_key("time") || line_key("stream"))
    {
        return Some(ArtifactKind::JsonFileLog);
    }
    if line_key("CPUPerc") || line_key("MemUsage") || (key("cpu_stats") && key("memory_stats")) {
        return Some(ArtifactKind::Stats);
    }
    // `podman stats --format json`: an indented array, snake_case keys.
    if text.trim_start().starts_with('[') && key("cpu_percent") && key("mem_usage") && key("pids") {
        return Some(ArtifactKind::Stats);
    }
    if line_key("Names") && line_key("Image") && (line_key("Status") || line_key("Ports")) && line_key("ID") {
        return Some(ArtifactKind::Ps);
    }
    // The Engine API's `GET /containers/json` (the listing `docker ps` is drawn from): an
    // array of objects with a `Names` list and `Status`, but no `Config` or `GraphDriver`
    // (inspect has those, and `Name` where the listing has `Names`).
    if text.trim_start().starts_with('[')
        && key("Names")
        && key("Status")
        && (key("ImageID") || key("Command"))
        && !key("Config")
        && !key("GraphDriver")
    {
        return Some(ArtifactKind::Ps);
    }
    if key("Path") && key("Kind") && !key("State") && text.trim_start().starts_with('[') {
        return Some(ArtifactKind::Diff);
    }
    if obj_start.starts_with('{')
        && (key("HostConfig") || key("State") || key("RootFS") || key("RepoTags") || key("GraphDriver"))
        && (key("Id") || key("ID"))
    {
        return Some(ArtifactKind::Inspect);
    }
    if key("rootfs") && (key("diff_ids") || key("history")) {
        return Some(ArtifactKind::ImageConfig);
    }
    // A pre-1.10 v1 layer JSON (`graph/<id>/json`, `<id>/json` in an old save).
    if obj_start.starts_with('{')
        && key("container_config")
        && key("created")
        && (key("id") || key("layer_id") || key("parent_id") || key("docker_version"))
    {
        return Some(ArtifactKind::ImageConfig);
    }
    None
}

/// A CRIU image (`images/magic.h`): the inventory's magic, or the common (or service)
/// magic followed by an image's own, a town's coordinates written in decimal digits
/// (`0xNNNNEEEE`, every nibble 0-9). The raw pages images have no magic.
pub(crate) fn is_criu_image(head: &[u8]) -> bool {
    const INVENTORY: u32 = 0x5831_3116;
    const COMMON: u32 = 0x5456_4319;
    const SERVICE: u32 = 0x5510_5940;
    let word =
        |at: usize| head.get(at..at + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()).map(u32::from_le_bytes);
    let town = |m: u32| m != 0 && (0..8).all(|i| (m >> (i * 4)) & 0xf <= 9);
    match word(0) {
        Some(INVENTORY) => word(4).is_some(),
        Some(COMMON | SERVICE) => word(4).is_some_and(town) && word(8).is_some(),
        _ => false,
    }
}

/// The `local` log driver's framing: a big-endian u32 length, a protobuf `LogEntry`
/// starting with field 1 (`source`) or 2 (`time_nano`), the same length again; the next
/// entry, when the head holds it, framed the same way.
pub(crate) fn looks_local(head: &[u8]) -> bool {
    let frame = |at: usize| -> Option<usize> {
        let n = u32::from_be_bytes(head.get(at..at + 4)?.try_into().ok()?) as usize;
        if n == 0 || n > 16 << 20 || !matches!(head.get(at + 4)?, 0x0a | 0x10) {
            return None;
        }
        let f = head.get(at + 4 + n..at + 8 + n)?;
        (u32::from_be_bytes(f.try_into().ok()?) as usize == n).then_some(at + 8 + n)
    };
    match frame(0) {
        Some(next) => next + 4 > head.len() || frame(next).is_some(),
        None => false,
    }
}

/// A libscap savefile: its section header block (type `0x0A0D0D0A`, the byte-order magic
/// `0x1A2B3C4D`), then a libscap block (machine info, process list, events...). pcapng opens
/// with the same section header; its next block is one of pcapng's (types below 0x100, its
/// custom blocks 0xBAD and 0x40000BAD), never one of libscap's (0x2xx, `0x80xxABCD`).
fn is_scap(head: &[u8]) -> bool {
    let u32_at = |at: usize| head.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    if u32_at(0) != Some(0x0A0D_0D0A) || !matches!(u32_at(8), Some(0x1A2B_3C4D | 0x4D3C_2B1A)) {
        return false;
    }
    let Some(len) = u32_at(4).map(|l| l as usize) else { return false };
    match u32_at(len) {
        Some(next) => next >= 0x100 && next != 0xBAD && next != 0x4000_0BAD,
        // Cut right after the section header: nothing says pcapng either.
        None => head.len() <= len + 4,
    }
}

fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if sample.contains(&0) {
        return true;
    }
    let bad = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x1b | 0x07 | 0x08 | 0x0c))
        .count();
    bad * 20 > sample.len()
}

/// An `ip link` record line: `N: name[@peer]: <FLAGS> mtu ...`.
pub(crate) fn is_link_line(l: &str) -> bool {
    let Some((index, rest)) = l.split_once(": ") else { return false };
    let Some((name, rest)) = rest.split_once(": ") else { return false };
    !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && !name.contains(char::is_whitespace)
        && rest.starts_with('<')
        && rest.contains("> mtu ")
}

fn is_diff_line(l: &str) -> bool {
    let b = l.as_bytes();
    b.len() >= 3 && matches!(b[0], b'A' | b'C' | b'D') && b[1] == b' ' && b[2] == b'/'
}

/// `docker logs -t` prefix: `2026-11-27T14:00:00.123456789Z ` (RFC 3339 in UTC, as Go's
/// `RFC3339Nano` writes it: `T`, a `Z`, then a space). A numeric offset (`+01:00`) is
/// rsyslog's RFC 3339 format or an application's own, not docker's.
pub(crate) fn has_docker_time_prefix(l: &str) -> bool {
    let Some((ts, _)) = l.split_once(' ') else { return false };
    ts.len() >= 20
        && ts.as_bytes()[10] == b'T'
        && ts.ends_with('Z')
        && crate::model::Timestamp::parse_rfc3339(ts).is_some()
}

/// Fraction digits of a `docker logs -t` time prefix, if the line has one.
fn docker_time_digits(l: &str) -> Option<usize> {
    if !has_docker_time_prefix(l) {
        return None;
    }
    let ts = l.split(' ').next().unwrap_or("");
    Some(ts.split_once('.').map_or(0, |(_, f)| f.trim_end_matches('Z').len()))
}

/// A CRI log line: `<RFC 3339> <stdout|stderr> <P|F>[ <message>]`.
pub(crate) fn is_cri_line(l: &str) -> bool {
    let mut parts = l.splitn(4, ' ');
    let (Some(ts), Some(stream), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    matches!(stream, "stdout" | "stderr")
        && (tag == "P" || tag == "F" || tag.starts_with("P:") || tag.starts_with("F:"))
        && ts.len() >= 20
        && ts.as_bytes()[10] == b'T'
        && crate::model::Timestamp::parse_rfc3339(ts).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArtifactKind::*;

    #[test]
    fn text_kinds_by_content() {
        let cases: &[(&str, ArtifactKind)] = &[
            ("UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:00 sh\n", Top),
            ("USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\n", Top),
            ("  PID  PPID USER                          STARTED COMMAND\n", Top),
            ("PROCESSID PARENT CMDLINE\n    1      0 /sbin/init\n", Top),
            ("CONTAINER ID   NAME   CPU %   MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS\n", Stats),
            ("CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES\n", Ps),
            ("NAMES     PORTS                  STATUS\ndvwa      0.0.0.0:81->80/tcp     Up 2 hours\n", Ps),
            ("CONTAINER           CPU %               MEM USAGE / LIMIT     MEM %\n", Stats),
            ("C /etc\nA /etc/x\nD /tmp/y\n", Diff),
            ("2026-11-27T14:00:00.123456789Z hello\n2026-11-27T14:00:01.12345678Z world\n", DockerLogsTimestamped),
            // An application's own millisecond UTC stamps are not docker's.
            ("2022-06-20T09:52:17.637Z [warn][API]: Failed sign-in\n2022-06-20T09:52:18.001Z x\n", TextLog),
            ("2026-11-27T14:00:00.123456789Z stdout F GET /\n2026-11-27T14:00:01Z stderr P part\n", CriLog),
            // rsyslog's RFC 3339 file format: an offset, a host and a tag.
            ("2026-11-27T14:00:00.123456+01:00 web1 sshd[42]: Accepted publickey\n", TextLog),
            ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}", OciManifest),
            ("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\"},\"layers\":[]}", OciManifest),
            ("{\"imageLayoutVersion\": \"1.0.0\"}", OciManifest),
            ("{\"id\":\"3c9a\",\"created\":\"2015-10-12T17:27:03Z\",\"container_config\":{\"Cmd\":[\"sh\"]}}", ImageConfig),
            ("{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T14:00:00Z\"}\n", JsonFileLog),
            ("{\"Titles\":[\"PID\"],\"Processes\":[[\"1\"]]}", Top),
            ("{\"BlockIO\":\"0B / 0B\",\"CPUPerc\":\"0.00%\",\"MemUsage\":\"1MiB / 2GiB\"}\n", Stats),
            ("{\"process_exec\":{\"process\":{\"exec_id\":\"a\"}},\"node_name\":\"n\"}\n", Tetragon),
            ("{\"node_name\":\"n\",\"time\":\"t\",\"process_exit\":{\"process\":{\"exec_id\":\"a\"}}}\n", Tetragon),
            ("{\n   \"process_kprobe\":{\n      \"process\":{\n         \"exec_id\":\"a\"", Tetragon),
            ("{\"output\":\"x\",\"priority\":\"Warning\",\"rule\":\"r\",\"time\":\"t\"}\n", FalcoAlerts),
            ("type=SYSCALL msg=audit(1.2:3): arch=c000003e syscall=59\ntype=EOE msg=audit(1.2:3): \n", AuditLog),
            ("May 1 h sysmon: <Event><System><Provider Name=\"Linux-Sysmon\"/><EventID>1</EventID></System></Event>\n", Sysmon),
            ("{\"Command\":\"\\\"sh\\\"\",\"ID\":\"abc\",\"Image\":\"x\",\"Names\":\"n\",\"Ports\":\"\",\"Status\":\"Up\"}\n", Ps),
            ("[{\"Id\":\"abc\",\"State\":{},\"HostConfig\":{}}]", Inspect),
            ("[{\"Path\":\"/tmp\",\"Kind\":0}]", Diff),
            // GET /containers/json (a listing, also with HostConfig and State): ps.
            ("[{\"Id\":\"ab\",\"Names\":[\"/x\"],\"Image\":\"i\",\"ImageID\":\"sha256:1\",\"State\":\"running\",\"Status\":\"Up 3 days\",\"HostConfig\":{\"NetworkMode\":\"default\"}}]", Ps),
            ("{\"architecture\":\"amd64\",\"rootfs\":{\"diff_ids\":[]},\"history\":[]}", ImageConfig),
            ("127.0.0.1 - - [27/Nov/2026:14:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n", TextLog),
            // `ip -o link` (one line a link, `\` between its parts) and `ip link` (two lines).
            ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\\    link/loopback 00:00:00:00:00:00\n\
              55: vethd673180@if54: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP\\    link/ether 42:c6:57:20:0d:00 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n", IpLink),
            ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
              54: eth0@if55: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n", IpLink),
            // A log line that starts the same way is no link listing.
            ("1: lo: <LOOPBACK> mtu 65536\n2026-11-27 GET /\n", TextLog),
            ("", Empty),
        ];
        for (text, want) in cases {
            assert_eq!(sniff_text(text.as_bytes(), "x"), *want, "{text:?}");
        }
        assert_eq!(sniff_text(b"\x7fELF\x02\x01\x01\0\0\0", "x"), Unknown);
        // CRIU images by their magic; the raw pages image has none.
        assert_eq!(sniff_text(b"\x19CVT00'P\x0e\0\0\0\x08\x8c", "pstree.img"), CriuImage);
        assert_eq!(sniff_text(b"\x161\x31X\"\0\0\0\x08\x02", "inventory.img"), CriuImage);
        assert_eq!(sniff_text(b"\x19CVT\xef\xbe\xad\xde\0\0\0\0", "x.img"), Unknown);
        assert_eq!(sniff_text(b"\x19CVT", "x.img"), Unknown);
        // The name only breaks ties: unrecognised JSON named like an inspect capture.
        assert_eq!(sniff_text(b"[{\"Oops\": 1", "case/inspect.json"), Inspect);
        assert_eq!(sniff_text(b"[{\"Oops\": 1", "case/other.json"), TextLog);
        // Kubernetes audit logs: JSON lines, pretty objects, lists; Falco's captures without
        // apiVersion; a non-event named as audit evidence (rejected by the reader with why).
        let line = br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","verb":"get"}"#;
        assert_eq!(sniff_text(line, "x"), K8sAudit);
        assert_eq!(
            sniff_text(
                b"{\n  \"kind\": \"EventList\",\n  \"apiVersion\": \"audit.k8s.io/v1\",\n  \"items\": []\n}",
                "x"
            ),
            K8sAudit
        );
        assert_eq!(sniff_text(br#"{"auditID":"a","kind":"Event","verb":"create"}"#, "x"), K8sAudit);
        assert_eq!(sniff_text(br#"{"kind": 0}"#, "trace_files/k8s_audit/fal_01_003.json"), K8sAudit);
        assert_eq!(sniff_text(br#"{"kind": 0}"#, "other.json"), TextLog);
        // A core Event (kubectl get events -o json) is not an audit event.
        assert_eq!(sniff_text(br#"{"kind":"Event","apiVersion":"v1","reason":"Pulled"}"#, "x"), TextLog);
        assert_eq!(sniff_text(b"C /etc\n", "inspect.json"), Diff, "content wins");
    }

    #[test]
    fn tar_kinds_by_names() {
        let n = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(classify_tar_names(&n(&["abc.json", "manifest.json"]), true), DockerSave);
        assert_eq!(
            classify_tar_names(&n(&["oci-layout", "index.json", "blobs/sha256/ab"]), true),
            OciArchive
        );
        assert_eq!(classify_tar_names(&n(&[".dockerenv", "etc/passwd"]), true), FilesystemTar);
        assert_eq!(classify_tar_names(&n(&["./tmp/.wh.x"]), true), LayerTar);
        assert_eq!(classify_tar_names(&n(&["a/.wh..wh..opq"]), true), LayerTar);
        assert_eq!(classify_tar_names(&n(&[".wh..wh.aufs", ".wh..wh.plnk/x"]), true), BundleArchive);
        assert_eq!(
            classify_tar_names(
                &n(&["docker/containers/ab/config.v2.json", "docker/aufs/diff/x/.wh..wh.aufs"]),
                true
            ),
            BundleArchive
        );
        assert_eq!(classify_tar_names(&n(&["case/inspect.json", "case/top.txt"]), true), BundleArchive);
        assert_eq!(classify_tar_names(&n(&["etc/passwd", "usr/bin/x"]), true), FilesystemTar);
        // An OCI archive cut before its index: blobs only.
        let h = "ab".repeat(32);
        let blob = format!("blobs/sha256/{h}");
        assert_eq!(classify_tar_names(&n(&["blobs/", "blobs/sha256/", &blob]), true), OciArchive);
        assert_eq!(classify_tar_names(&n(&["blobs/sha256/", "blobs/sha256/notes.txt"]), true), BundleArchive);
        assert_eq!(classify_tar_names(&n(&[&blob, "case/top.txt"]), true), BundleArchive);
        // Checkpoint archives, also a pod's and one named `./`; not a folder that only
        // happens to end the same way.
        assert_eq!(
            classify_tar_names(&n(&["config.dump", "checkpoint/", "checkpoint/inventory.img"]), true),
            Checkpoint
        );
        assert_eq!(classify_tar_names(&n(&["./checkpoint/inventory.img"]), false), Checkpoint);
        assert_eq!(classify_tar_names(&n(&["pod.dump", "ab/config.dump", "ab/spec.dump"]), true), Checkpoint);
        assert_eq!(classify_tar_names(&n(&["mycheckpoint/inventory.img"]), true), BundleArchive);
    }
}
