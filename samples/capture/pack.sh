#!/bin/sh
# Pack one harness run (docker.sh / podman.sh OUT) into a sample directory under samples/:
# the bundle as a zstd bundle archive (`ctriage scan` reads it in place; zstd's long window
# stores the base layer once although image.tar, base-image.tar and export.tar all hold it),
# the facts, and with --dataroot the runtime's data root, also as .tar.zst.
#
# Usage: samples/capture/pack.sh [--dataroot] RUN_OUT SAMPLE_DIR
set -eu
DATAROOT=
if [ "${1:-}" = --dataroot ]; then
  DATAROOT=1
  shift
fi
[ $# -eq 2 ] || { echo "usage: $0 [--dataroot] RUN_OUT SAMPLE_DIR" >&2; exit 64; }
RUN=$1
DEST=$2
mkdir -p "$DEST"
tar --sort=name --numeric-owner -C "$RUN/bundle" -cf - . | zstd -q -19 --long=27 -c > "$DEST/bundle.tar.zst"
cp "$RUN/facts.tsv" "$DEST/facts.tsv"
if [ -n "$DATAROOT" ]; then
  zstd -q -19 --long=27 -c "$RUN/dataroot.tar" > "$DEST/dataroot.tar.zst"
fi
ls -l "$DEST"
