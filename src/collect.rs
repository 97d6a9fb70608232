//! The script `ctriage collect-script CONTAINER` prints (front end: [`crate::commands::collect_script`]): a POSIX sh script that captures one container's
//! evidence bundle on the live host, in the layout `ctriage scan` reads best, hashing every
//! file into a manifest as it is written and changing nothing in the container.
//!
//! What the script captures, in order of volatility: the runtime's version and info, inspect
//! (container and image), `top` (`-eo pid,ppid,user,lstart,args`, falling back to the
//! default columns; for podman and crictl the host's `ps` with those columns, for the
//! processes in the container's PID namespace), stats as JSON, `ps -a --no-trunc`, the host's
//! interfaces (`ip -d -o link`, always) and the host side of the container's (`iflink` read
//! through `/proc/PID/root`, `ip -d -o link` through `nsenter -n` in its namespace), then
//! (paused first only with `--pause`) `logs -t` and a copy of the runtime's own log file,
//! diff, commit (`--pause=false`) and save of the committed image, save of the image it ran
//! from, and export. Nothing runs inside the container: no `exec`, no `cp`, no writes.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::shell::{quote, Script};

/// The container runtime whose CLI the script drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Runtime {
    /// Docker Engine (`docker`).
    Docker,
    /// Podman (`podman`).
    Podman,
    /// containerd with nerdctl (`nerdctl`).
    Nerdctl,
    /// A Kubernetes node's CRI runtime through `crictl` (containerd, CRI-O).
    Crictl,
}

impl Runtime {
    /// The CLI program.
    pub(crate) fn program(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
            Runtime::Nerdctl => "nerdctl",
            Runtime::Crictl => "crictl",
        }
    }
}

/// Why no script could be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CollectError {
    /// The container argument is empty.
    #[error("the container name or id is empty")]
    EmptyContainer,
    /// `--out` is not valid UTF-8 (the script must spell it).
    #[error("--out {0:?} is not valid UTF-8")]
    OutNotUtf8(PathBuf),
}

/// Options of one script.
#[derive(Debug, Clone)]
pub(crate) struct CollectOptions {
    /// Container name or id as given.
    pub container: String,
    /// Runtime CLI.
    pub runtime: Runtime,
    /// Pause after the volatile captures.
    pub pause: bool,
    /// Bundle directory; `None` for the default name.
    pub out: Option<String>,
}

/// The helper functions every script starts with: logging, hashing into the manifest, and
/// running one capture step without stopping at its failure.
const PRELUDE: &str = r#"now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { printf '%s %s\n' "$(now)" "$*" >> "$OUT/collect.log"; }
die() { printf 'collect: %s\n' "$*" >&2; [ -d "$OUT" ] && log "ABORT: $*"; exit 2; }
if command -v sha256sum >/dev/null 2>&1; then
  sha256_of() { sha256sum < "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256_of() { shasum -a 256 < "$1" | cut -d ' ' -f 1; }
elif command -v openssl >/dev/null 2>&1; then
  sha256_of() { openssl dgst -sha256 < "$1" | sed 's/^.*= *//'; }
else
  printf 'collect: no sha256sum, shasum or openssl to hash the evidence with\n' >&2
  exit 2
fi
# record FILE: hash a file just written into the manifest (sha256sum -c format).
record() {
  if [ -f "$OUT/$1" ]; then
    printf '%s  %s\n' "$(sha256_of "$OUT/$1")" "$1" >> "$OUT/MANIFEST.sha256"
  fi
}
# capture FILE CMD...: CMD's standard output into FILE, its errors into collect.log.
capture() {
  c_file=$1
  shift
  log "run: $* > $c_file"
  "$@" > "$OUT/$c_file" 2>> "$OUT/collect.log"
  c_rc=$?
  log "exit $c_rc: $c_file"
  record "$c_file"
  [ "$c_rc" -eq 0 ] || FAILED="$FAILED $c_file"
  return "$c_rc"
}
# capture_all FILE CMD...: standard output and standard error both into FILE (logs).
capture_all() {
  c_file=$1
  shift
  log "run: $* > $c_file 2>&1"
  "$@" > "$OUT/$c_file" 2>&1
  c_rc=$?
  log "exit $c_rc: $c_file"
  record "$c_file"
  [ "$c_rc" -eq 0 ] || FAILED="$FAILED $c_file"
  return "$c_rc"
}
# skipped FILE WHY: a capture that could not run, said in the log.
skipped() { log "skipped: $1: $2"; FAILED="$FAILED $1"; }"#;

/// The helper for captures the runtime writes itself (`save -o`, `export -o`).
const WRITTEN: &str = r#"# written FILE CMD...: CMD writes FILE itself (save -o, export -o).
written() {
  c_file=$1
  shift
  log "run: $*"
  "$@" 2>> "$OUT/collect.log"
  c_rc=$?
  log "exit $c_rc: $c_file"
  record "$c_file"
  [ "$c_rc" -eq 0 ] || FAILED="$FAILED $c_file"
  return "$c_rc"
}"#;

/// The image inspect capture: `args` after the runtime program, skipped (and said so) when
/// inspect named no image.
fn image_inspect(s: &mut Script, args: &str) {
    s.line("if [ -n \"$IMAGE_ID\" ]; then");
    s.line(&format!("  capture image-inspect.json \"$RT\" {args}"));
    s.line("else");
    s.line("  skipped image-inspect.json 'no image id in inspect'");
    s.line("fi");
}

/// The script for one container.
pub(crate) fn collect_script(o: &CollectOptions) -> Result<String, CollectError> {
    if o.container.is_empty() {
        return Err(CollectError::EmptyContainer);
    }
    let rt = o.runtime;
    let mut s = Script::new(&format!(
        "ctriage {} collect-script: capture the evidence of one container for `ctriage scan`.\n\
         Runtime: {} ({}). Container: {}\n\
         Run it as a user who may use the runtime (root for the log file copy and the network\n\
         view). It writes one new directory (the bundle) and never changes the container:\n\
         nothing is run inside it, and it is {}.\n\
         Every file is hashed into MANIFEST.sha256 as it is written (check with\n\
         `sha256sum -c MANIFEST.sha256` inside the bundle); collect.log says what ran, when,\n\
         and how each step ended. Exit status: 0 all captured, 1 some steps failed (listed\n\
         at the end of collect.log), 2 nothing captured.\n\
         Set CTRIAGE_RUNTIME to use another binary of the runtime's CLI.",
        env!("CARGO_PKG_VERSION"),
        rt.program(),
        match rt {
            Runtime::Docker => "Docker Engine",
            Runtime::Podman => "Podman",
            Runtime::Nerdctl => "containerd, nerdctl",
            Runtime::Crictl => "CRI, crictl",
        },
        o.container,
        if o.pause {
            "paused (and left paused) once processes, stats and network are recorded (--pause)"
        } else {
            "never paused (commit runs with --pause=false)"
        },
    ));
    s.line("set -u");
    s.line("umask 077");
    s.line("LC_ALL=C");
    s.line("export LC_ALL");
    s.line(&format!("RT=${{CTRIAGE_RUNTIME:-{}}}", rt.program()));
    s.assign("CONTAINER", &o.container);
    match &o.out {
        Some(dir) => {
            s.assign("OUT", dir);
        }
        None => {
            s.line(
                "OUT=ctriage-$(printf '%s' \"$CONTAINER\" | tr -c 'A-Za-z0-9_.-' '_' | cut -c 1-64)-$(date -u +%Y%m%dT%H%M%SZ)",
            );
        }
    }
    s.line("FAILED=");
    s.blank();
    s.block(PRELUDE);
    if rt != Runtime::Crictl {
        s.block(WRITTEN);
    }

    s.step(
        "The bundle directory",
        "A new directory: evidence is never written over. Stamped with the host and the times.",
    );
    s.line("case $OUT in -*) OUT=./$OUT ;; esac");
    s.line("[ -e \"$OUT\" ] && { printf 'collect: %s exists; choose a new --out\\n' \"$OUT\" >&2; exit 2; }");
    s.line("if ! mkdir -p -- \"$(dirname -- \"$OUT\")\" || ! mkdir -- \"$OUT\"; then");
    s.line("  printf 'collect: cannot create %s\\n' \"$OUT\" >&2");
    s.line("  exit 2");
    s.line("fi");
    s.line("mkdir -- \"$OUT/logs\" || die \"cannot create $OUT/logs\"");
    s.line("log \"ctriage collect-script ${0##*/}: runtime $RT, container $(printf '%s' \"$CONTAINER\" | tr -d '\\000-\\037\\177')\"");
    s.line("log \"host $(uname -n 2>/dev/null) ($(uname -srm 2>/dev/null)), user $(id -un 2>/dev/null) uid $(id -u)\"");
    s.line("command -v \"$RT\" >/dev/null 2>&1 || die \"$RT: not found (set CTRIAGE_RUNTIME)\"");

    s.step("The runtime", "Which engine recorded this: version and info.");
    match rt {
        Runtime::Crictl => {
            s.line("capture runtime-version.txt \"$RT\" version");
            s.line("capture runtime-info.json \"$RT\" info");
        }
        _ => {
            s.line("capture runtime-version.txt \"$RT\" version");
            s.line("capture runtime-info.txt \"$RT\" info");
        }
    }

    s.step(
        "Which container",
        "The name is resolved once to the full id; every later command names the id, so a\n\
         container renamed or replaced meanwhile cannot slip in.",
    );
    let (id_tmpl, pid_tmpl, image_tmpl, ref_tmpl, log_tmpl) = match rt {
        Runtime::Crictl => (
            "{{.status.id}}",
            "{{.info.pid}}",
            "{{.status.imageRef}}",
            "{{.status.image.image}}",
            "{{.status.logPath}}",
        ),
        Runtime::Nerdctl => ("{{.Id}}", "{{.State.Pid}}", "{{.Image}}", "{{.Config.Image}}", "{{.LogPath}}"),
        Runtime::Docker => ("{{.Id}}", "{{.State.Pid}}", "{{.Image}}", "{{.Config.Image}}", "{{.LogPath}}"),
        Runtime::Podman => {
            ("{{.Id}}", "{{.State.Pid}}", "{{.Image}}", "{{.ImageName}}", "{{.HostConfig.LogConfig.Path}}")
        }
    };
    let inspect_fmt = |tmpl: &str| match rt {
        Runtime::Crictl => format!("\"$RT\" inspect -o go-template --template {} \"$ID\"", quote(tmpl)),
        Runtime::Docker | Runtime::Podman => {
            format!("\"$RT\" inspect --type container --format {} \"$ID\"", quote(tmpl))
        }
        Runtime::Nerdctl => format!("\"$RT\" inspect --mode dockercompat --format {} \"$ID\"", quote(tmpl)),
    };
    match rt {
        Runtime::Crictl => s.line(&format!(
            "ID=$(\"$RT\" inspect -o go-template --template {} \"$CONTAINER\" 2>> \"$OUT/collect.log\")",
            quote(id_tmpl)
        )),
        Runtime::Docker | Runtime::Podman => s.line(&format!(
            "ID=$(\"$RT\" inspect --type container --format {} -- \"$CONTAINER\" 2>> \"$OUT/collect.log\")",
            quote(id_tmpl)
        )),
        Runtime::Nerdctl => s.line(&format!(
            "ID=$(\"$RT\" inspect --mode dockercompat --format {} -- \"$CONTAINER\" 2>> \"$OUT/collect.log\")",
            quote(id_tmpl)
        )),
    };
    s.block(
        "case $ID in\n\
         \x20 *[!0-9a-f]* | '') die \"no such container (or not one id): see $OUT/collect.log\" ;;\n\
         esac\n\
         log \"container id $ID\"",
    );
    s.line(&format!("PID=$({} 2>> \"$OUT/collect.log\")", inspect_fmt(pid_tmpl)));
    s.line(&format!("IMAGE_ID=$({} 2>> \"$OUT/collect.log\")", inspect_fmt(image_tmpl)));
    s.line(&format!("IMAGE_REF=$({} 2>> \"$OUT/collect.log\")", inspect_fmt(ref_tmpl)));
    s.line(&format!("LOGPATH=$({} 2>> \"$OUT/collect.log\")", inspect_fmt(log_tmpl)));
    s.line("case $PID in '' | *[!0-9]*) PID=0 ;; esac");
    s.line("log \"host pid $PID, image $IMAGE_ID ($IMAGE_REF), log file $LOGPATH\"");

    s.step("Configuration", "inspect: state, times, mounts, network, privileges, the log path.");
    match rt {
        Runtime::Crictl => {
            s.line("capture inspect.json \"$RT\" inspect \"$ID\"");
            image_inspect(&mut s, "inspecti \"$IMAGE_ID\"");
        }
        Runtime::Nerdctl => {
            s.line("capture inspect.json \"$RT\" inspect --mode dockercompat \"$ID\"");
            image_inspect(&mut s, "image inspect --mode dockercompat \"$IMAGE_ID\"");
        }
        Runtime::Docker | Runtime::Podman => {
            s.line("capture inspect.json \"$RT\" inspect --type container \"$ID\"");
            image_inspect(&mut s, "image inspect \"$IMAGE_ID\"");
        }
    }

    s.step(
        "Processes",
        "Host PIDs with their parents, users and exact start times; the default columns when\n\
         the runtime's top refuses ps options.",
    );
    match rt {
        Runtime::Docker | Runtime::Nerdctl => {
            s.block(
                "if \"$RT\" top \"$ID\" -eo pid,ppid,user,lstart,args > \"$OUT/top.txt\" 2>> \"$OUT/collect.log\"; then\n\
                 \x20 log 'wrote top.txt (top -eo pid,ppid,user,lstart,args)'\n\
                 \x20 record top.txt\n\
                 else\n\
                 \x20 log 'top with ps options failed: default columns instead'\n\
                 \x20 capture top.txt \"$RT\" top \"$ID\"\n\
                 fi",
            );
        }
        Runtime::Podman | Runtime::Crictl => {
            s.comment(
                "The host's ps, for the container's processes (those in its init's PID namespace,\n\
                 found from the host's /proc): host PIDs and exact start times. crictl has no top;\n\
                 podman top numbers PIDs as the container sees them and cannot show start times.",
            );
            s.block(
                "if [ \"$PID\" -gt 0 ] && [ -r \"/proc/$PID/ns/pid\" ]; then\n\
                 \x20 CT_NS=$(readlink \"/proc/$PID/ns/pid\")\n\
                 \x20 CT_PIDS=$(for p in /proc/[0-9]*; do [ \"$(readlink \"$p/ns/pid\" 2>/dev/null)\" = \"$CT_NS\" ] && printf '%s,' \"${p#/proc/}\"; done)\n\
                 \x20 capture top.txt ps -o pid,ppid,user,lstart,args -p \"${CT_PIDS%,}\"\n\
                 else\n\
                 \x20 skipped top.txt 'no host pid (container not running?)'\n\
                 fi",
            );
        }
    }

    s.step("Resource use", "One sample, as JSON lines (a miner shows as CPU near 100 % per core).");
    match rt {
        Runtime::Crictl => s.line("capture stats.json \"$RT\" stats -o json --id \"$ID\""),
        _ => s.line("capture stats.json \"$RT\" stats --no-stream --no-trunc --format '{{json .}}' \"$ID\""),
    };

    s.step("Every container on the host", "All of them, stopped ones too, ids untruncated.");
    match rt {
        Runtime::Crictl => s.line("capture ps.txt \"$RT\" ps -a --no-trunc"),
        _ => s.line(&format!("capture {}-ps.txt \"$RT\" ps -a --no-trunc", rt.program())),
    };

    s.step(
        "Network: the host side",
        "The host's interfaces (`ip -d -o link`: index, peer, kind), always: the response plan checks\n\
         the container's veth against them. The container's own view through nsenter (netlink in\n\
         its namespace, nothing run in it), and its iflink numbers read from its /sys through\n\
         /proc/PID/root; the host interface with that index is its veth, to take down later.\n\
         An interface whose iflink is its own index (lo) has no peer on the host: `-`.",
    );
    s.block(
        "if command -v ip >/dev/null 2>&1; then\n\
         \x20 capture ip-link-host.txt ip -d -o link show\n\
         else\n\
         \x20 skipped ip-link-host.txt 'no ip (iproute2) on the host'\n\
         fi",
    );
    s.block(
        "if [ \"$PID\" -gt 0 ] && [ -d \"/proc/$PID/root/sys/class/net\" ]; then\n\
         \x20 if command -v nsenter >/dev/null 2>&1; then\n\
         \x20   capture ip-link-container.txt nsenter -t \"$PID\" -n ip -d -o link show\n\
         \x20 else\n\
         \x20   skipped ip-link-container.txt 'no nsenter'\n\
         \x20 fi\n\
         \x20 for f in \"/proc/$PID/root/sys/class/net\"/*/iflink; do\n\
         \x20   [ -r \"$f\" ] || continue\n\
         \x20   n=${f%/iflink}\n\
         \x20   n=${n##*/}\n\
         \x20   i=$(cat \"$f\")\n\
         \x20   h=-\n\
         \x20   if [ \"$i\" != \"$(cat \"${f%/iflink}/ifindex\" 2>/dev/null)\" ]; then\n\
         \x20     h=$(awk -F ': ' -v i=\"$i\" '$1 == i { sub(/@.*/, \"\", $2); print $2 }' \"$OUT/ip-link-host.txt\" 2>/dev/null)\n\
         \x20   fi\n\
         \x20   printf '%s iflink %s host %s\\n' \"$n\" \"$i\" \"${h:--}\"\n\
         \x20 done > \"$OUT/veth.txt\"\n\
         \x20 log \"wrote veth.txt\"\n\
         \x20 record veth.txt\n\
         else\n\
         \x20 skipped veth.txt 'no host pid or no /sys in the container (not running?)'\n\
         fi",
    );

    if o.pause {
        s.step(
            "Pause (asked with --pause)",
            "Freezes every process; the container stays paused. Undo with: $RT unpause ID",
        );
        s.line("if \"$RT\" pause \"$ID\" >> \"$OUT/collect.log\" 2>&1; then log \"paused $ID\"; else skipped pause 'pause failed'; fi");
    }

    s.step("Logs", "What the runtime shows (with timestamps) and its own log file, copied as it is.");
    s.line("capture_all logs-t.txt \"$RT\" logs -t \"$ID\"");
    s.block(
        "if [ -n \"$LOGPATH\" ] && [ -f \"$LOGPATH\" ]; then\n\
         \x20 for f in \"$LOGPATH\" \"$LOGPATH\".*; do\n\
         \x20   [ -f \"$f\" ] || continue\n\
         \x20   b=${f##*/}\n\
         \x20   if cp -p -- \"$f\" \"$OUT/logs/$b\" 2>> \"$OUT/collect.log\"; then\n\
         \x20     log \"copied $f\"\n\
         \x20     record \"logs/$b\"\n\
         \x20   else\n\
         \x20     skipped \"logs/$b\" \"cannot copy $f\"\n\
         \x20   fi\n\
         \x20 done\n\
         else\n\
         \x20 skipped logs/ \"no readable log file ($LOGPATH): another log driver, or not root\"\n\
         fi",
    );

    match rt {
        Runtime::Crictl => {
            s.step(
                "Filesystem and image (not through crictl)",
                "crictl cannot diff, commit, save or export. On containerd, use ctr on this host:\n\
                 ctr -n k8s.io snapshots ls (the container's snapshot is its rw layer), and\n\
                 ctr -n k8s.io images export base-image.tar IMAGE for the image it ran from.",
            );
            s.line("skipped diff.txt 'crictl has no diff'");
            s.line("skipped image.tar 'crictl has no commit'");
            s.line("skipped export.tar 'crictl has no export'");
        }
        _ => {
            s.step("Changed files", "diff: A added, C changed, D deleted, against the image.");
            s.line("capture diff.txt \"$RT\" diff \"$ID\"");

            s.step(
                "The scene as an image",
                "commit keeps the container's own layer; it runs with --pause=false (with --pause the\n\
                 container is already paused).",
            );
            s.line("TAG=ctriage-evidence/$(printf '%.12s' \"$ID\"):$(date -u +%Y%m%dt%H%M%Sz)");
            // podman keeps a commit message only in the docker image format.
            let commit = match rt {
                Runtime::Podman => "\"$RT\" commit --pause=false --format docker --message \"ctriage collect-script: evidence of $ID\" \"$ID\" \"$TAG\"",
                _ => "\"$RT\" commit --pause=false --message \"ctriage collect-script: evidence of $ID\" \"$ID\" \"$TAG\"",
            };
            s.line("log \"run: commit $ID $TAG\"");
            s.line(&format!("if COMMITTED=$({commit} 2>> \"$OUT/collect.log\"); then"));
            s.line("  log \"committed $COMMITTED as $TAG\"");
            let save = match rt {
                Runtime::Podman => {
                    "written image.tar \"$RT\" save --format docker-archive -o \"$OUT/image.tar\" \"$TAG\""
                }
                _ => "written image.tar \"$RT\" save -o \"$OUT/image.tar\" \"$TAG\"",
            };
            s.line(&format!("  {save}"));
            s.line("else");
            s.line("  skipped image.tar 'commit failed'");
            s.line("fi");

            s.step(
                "The image it ran from",
                "Saved by its name when that name still means the same image, else by id.",
            );
            s.block(
                "BASE=$IMAGE_ID\n\
                 if [ -n \"$IMAGE_REF\" ] && [ \"$(\"$RT\" image inspect --format '{{.Id}}' \"$IMAGE_REF\" 2>/dev/null)\" = \"$IMAGE_ID\" ]; then\n\
                 \x20 BASE=$IMAGE_REF\n\
                 fi",
            );
            let base_save = match rt {
                Runtime::Podman => {
                    "written base-image.tar \"$RT\" save --format docker-archive -o \"$OUT/base-image.tar\" \"$BASE\""
                }
                _ => "written base-image.tar \"$RT\" save -o \"$OUT/base-image.tar\" \"$BASE\"",
            };
            s.line("if [ -n \"$BASE\" ]; then");
            s.line(&format!("  {base_save}"));
            s.line("else");
            s.line("  skipped base-image.tar 'no image id in inspect'");
            s.line("fi");

            s.step("The merged filesystem", "export: every file the container sees, as one tar.");
            s.line("written export.tar \"$RT\" export -o \"$OUT/export.tar\" \"$ID\"");
        }
    }

    s.step("Done", "The log is hashed last; the manifest cannot hold its own hash.");
    s.block(
        "if [ -n \"$FAILED\" ]; then\n\
         \x20 log \"incomplete, failed or skipped:$FAILED\"\n\
         \x20 STATUS=1\n\
         else\n\
         \x20 log 'complete'\n\
         \x20 STATUS=0\n\
         fi\n\
         record collect.log\n\
         printf 'collect: bundle in %s (%s)\\n' \"$OUT\" \"$([ \"$STATUS\" -eq 0 ] && echo complete || echo \"incomplete:$FAILED\")\" >&2\n\
         exit \"$STATUS\"",
    );
    Ok(s.finish())
}
