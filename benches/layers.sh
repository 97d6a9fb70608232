#!/usr/bin/env bash
# Layer analysis benchmark: ctriage's full layer analysis (every file hashed, change sets,
# rules, JSON) timed side by side with `zcat` of the same layer blobs and `tar -tzf` of
# each, in one run; wall time and peak RSS from /usr/bin/time -v.
#
# Usage: benches/layers.sh [DATADIR]   (default target/bench-layers; generated when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-target/bench-layers}
if [ ! -f "$DATA/image.tar" ]; then
    python3 benches/gen-layers.py "$DATA"
fi
cargo build --release --quiet
BIN=target/release/ctriage

measure() { # name, command...
    local name=$1; shift
    local log
    log=$(mktemp)
    /usr/bin/time -v "$@" > /dev/null 2> "$log"
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    rm -f "$log"
    printf '%s\t%s\t%s\n' "$name" "$wall" "$rss"
}

blobs=("$DATA"/layers/*.tar.gz)
layers=${#blobs[@]}
files=$(for f in "${blobs[@]}"; do tar -tzf "$f"; done | wc -l)
tar_mib=$(for f in "${blobs[@]}"; do zcat "$f" | wc -c; done | awk '{s+=$1} END {printf "%d", s/1048576}')
gz_mib=$(du -cm "${blobs[@]}" | tail -1 | cut -f1)
echo "image: $layers gzip layers, $files tar members, $tar_mib MiB uncompressed, $gz_mib MiB compressed; $(nproc) cores"

results=$(
    measure "zcat (sequential, all layers)" sh -c "zcat ${blobs[*]}"
    measure "tar -tzf (sequential, each layer)" sh -c "for f in ${blobs[*]}; do tar -tzf \$f; done"
    measure "ctriage layers --format json (full analysis)" "$BIN" layers "$DATA/image.tar" --format json
    measure "ctriage layers -j 1 (one thread)" "$BIN" -j 1 layers "$DATA/image.tar" --format json
    measure "ctriage scan --format json (whole report)" "$BIN" scan "$DATA/image.tar" --format json
)
zcat_s=$(echo "$results" | head -1 | cut -f2)
echo
echo "| command | wall s | vs zcat | peak RSS MiB |"
echo "|---|---:|---:|---:|"
echo "$results" | while IFS=$'\t' read -r name wall rss; do
    awk -v n="$name" -v w="$wall" -v r="$rss" -v z="$zcat_s" \
        'BEGIN { printf "| %s | %.2f | %.2fx | %.0f |\n", n, w, w / z, r / 1024 }'
done
