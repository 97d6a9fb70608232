#!/bin/sh
# Capture harness, Podman: the same lab image and incident as docker.sh, run by podman with
# private storage (graph root, run root, tmp dir under a new temp directory, given through
# CONTAINERS_CONF / CONTAINERS_STORAGE_CONF so plain `podman` in collect-script's script
# uses them), captured with `ctriage collect-script --runtime podman`.
#
# Usage: samples/capture/podman.sh OUT    (as root; OUT must not exist)
# Env:   CTRIAGE (the ctriage binary, default: ctriage on PATH), PODMAN (default podman).
# Writes OUT/bundle/, OUT/facts.tsv, OUT/dataroot.tar (the containers-storage graph root:
# overlay with real whiteout devices), OUT/collect.sh, OUT/attacker.log.
#
# This machine's sandbox forbids raising rlimits and runs cgroup v1: the private
# containers.conf lowers nofile/nproc (lowering needs no privilege), uses runc (crun refuses
# v1 hybrid cgroups) and cgroupfs, and a file events log. The victim has no network
# (`--network none`): the attacker shares its namespace, all traffic is loopback.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

[ $# -eq 1 ] || die "usage: $0 OUT"
[ -e "$1" ] && die "$1 exists"
[ "$(id -u)" -eq 0 ] || die "needs root"
CTRIAGE=${CTRIAGE:-ctriage}
PODMAN=${PODMAN:-podman}
need "$PODMAN" runc conmon "$CTRIAGE" /bin/busybox tar stat awk
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

T=$(mktemp -d /tmp/ctriage-podman.XXXXXX)
ROOT=$T/var/lib/containers/storage
mkdir -p "$ROOT" "$T/run" "$T/tmp"
cat > "$T/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
tmp_dir = "$T/tmp"
static_dir = "$ROOT/libpod"
volume_path = "$ROOT/volumes"
CONF
cat > "$T/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$ROOT"
runroot = "$T/run"
CONF
CONTAINERS_CONF=$T/containers.conf
CONTAINERS_STORAGE_CONF=$T/storage.conf
export CONTAINERS_CONF CONTAINERS_STORAGE_CONF

conmon_gone() {
  i=0
  while pgrep -f "conmon .*$T" > /dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -gt 100 ] && { say "conmon still running"; return 1; }
    sleep 0.1
  done
}
note_created /var/lib/containers /run/containers /run/libpod
cleanup() {
  rc=$?
  "$PODMAN" kill --all > /dev/null 2>&1 || true
  conmon_gone || true
  unmount_under "$T"
  remove_created
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "podman $("$PODMAN" version --format '{{.Client.Version}}'): private storage $ROOT"
"$PODMAN" info > "$OUT/podman-info.txt" 2>&1 || { cat "$OUT/podman-info.txt" >&2; die "podman cannot use its private storage"; }

say "image: busybox-static rootfs + the ping CGI, imported (no registry)"
build_rootfs "$T/rootfs"
tar_rootfs "$T/rootfs" "$T/rootfs.tar"
"$PODMAN" import \
  -c 'CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]' -c 'EXPOSE 8080/tcp' -c 'WORKDIR /' \
  -m 'shop-web 1.0: busybox-static + ping CGI' "$T/rootfs.tar" lab/shop-web:1.0 > /dev/null

say "victim: shop-web (network none)"
"$PODMAN" run -d --name shop-web --hostname shop-web --network none \
  -e DB_PASSWORD=lab-only-secret lab/shop-web:1.0 > /dev/null || die "podman run failed"
CPID=$("$PODMAN" inspect --type container -f '{{.State.Pid}}' shop-web)
wait_for "the web server" 50 listening "$CPID" 8080

say "attacker: listener in the victim's network namespace, then the requests"
"$PODMAN" run -d --name attacker --network container:shop-web -v "$HERE/attacker:/attack:ro" \
  --entrypoint sh lab/shop-web:1.0 /attack/listener.sh > /dev/null
sleep 1
EXPLOIT_AT=$(date -u +%s)
"$PODMAN" run --rm --name attacker-requests --network container:shop-web \
  -v "$HERE/attacker:/attack:ro" --entrypoint sh lab/shop-web:1.0 /attack/exploit.sh > "$OUT/requests.log" 2>&1
UPPER=$("$PODMAN" inspect --type container -f '{{.GraphDriver.Data.UpperDir}}' shop-web)
i=0
until [ -c "$UPPER/root/.ash_history" ] && "$PODMAN" logs attacker 2>&1 | grep -q attack-done; do
  i=$((i + 1))
  [ "$i" -gt 300 ] && { "$PODMAN" logs attacker >&2 || true; die "the incident did not finish"; }
  sleep 0.1
done

CID=$("$PODMAN" inspect --type container -f '{{.Id}}' shop-web)
IMAGE_ID=$("$PODMAN" inspect --type container -f '{{.Image}}' shop-web)
say "incident played in $CID (host pid $CPID)"
container_processes "$CPID" > "$T/procs-before"

say "capture: ctriage collect-script --runtime podman"
"$CTRIAGE" collect-script --runtime podman shop-web --out "$OUT/bundle" > "$OUT/collect.sh"
CTRIAGE_RUNTIME=$(command -v "$PODMAN") sh "$OUT/collect.sh" || say "collect-script's script reports an incomplete capture (see $OUT/bundle/collect.log)"
for f in export.tar image.tar base-image.tar top.txt inspect.json; do
  [ -f "$OUT/bundle/$f" ] || die "the capture has no $f (see $OUT/bundle/collect.log)"
done
container_processes "$CPID" > "$T/procs-after"

say "facts"
{
  printf 'runtime\tpodman\t%s\n' "$("$PODMAN" version --format '{{.Client.Version}}')"
  printf 'container\t%s\tshop-web\t%s\n' "$CID" "$CPID"
  printf 'image\t%s\tlab/shop-web:1.0\n' "$IMAGE_ID"
  printf 'exploit_sent\t%s\n' "$EXPLOIT_AT"
  sort "$T/procs-before" "$T/procs-after" | uniq -d
  file_fact added tmp/.x/agent.sh
  file_fact added var/spool/cron/crontabs/root
  file_fact deleted root/.ash_history
  printf 'callback\t127.0.0.1\t4444\n'
  printf 'jndi\t%s\n' "\${jndi:ldap://127.0.0.1:1389/Exploit}"
  printf 'way_in\tinjection\n'
  printf 'request\t/cgi-bin/ping?host=127.0.0.1%%3Bid\n'
} > "$OUT/facts.tsv"
"$PODMAN" logs attacker > "$OUT/attacker.log" 2>&1

say "stop: kill the containers, keep the storage"
"$PODMAN" kill attacker shop-web > /dev/null
conmon_gone || die "conmon did not exit"
unmount_under "$T"
tar --numeric-owner --sort=name -C "$T" -cf "$OUT/dataroot.tar" var/lib/containers/storage
say "done: $OUT"
