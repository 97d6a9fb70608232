#!/usr/bin/env bash
# Layer analysis benchmark: ctriage's full layer analysis (every file hashed, change sets,
# rules, JSON) timed side by side with `zcat` of the same layer blobs and `tar -tzf` of
# each, in one run; wall time, CPU time (user + system) and peak RSS from /usr/bin/time -v.
#
# The machine may be shared: every command runs RUNS times (default 3), round-robin, and the
# table shows the median wall and CPU times and the largest peak RSS. CPU time and peak RSS
# hardly move with the load; wall time does (the load average is printed with the table).
#
# Usage: benches/layers.sh [DATADIR]   (default target/bench-layers; generated when missing)
#   RUNS=3 BIN=target/release/ctriage SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-target/bench-layers}
if [ ! -f "$DATA/image.tar" ]; then
    python3 benches/gen-layers.py "$DATA"
fi
BIN=${BIN:-target/release/ctriage}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet

measure() { # name, command...
    local name=$1; shift
    local log
    log=$(mktemp)
    /usr/bin/time -v "$@" > /dev/null 2> "$log"
    local wall rss cpu
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {print s}' "$log")
    rm -f "$log"
    printf '%s\t%s\t%s\t%s\n' "$name" "$wall" "$rss" "$cpu"
}

blobs=("$DATA"/layers/*.tar.gz)
layers=${#blobs[@]}
files=$(for f in "${blobs[@]}"; do tar -tzf "$f"; done | wc -l)
tar_mib=$(for f in "${blobs[@]}"; do zcat "$f" | wc -c; done | awk '{s+=$1} END {printf "%d", s/1048576}')
gz_mib=$(du -cm "${blobs[@]}" | tail -1 | cut -f1)
echo "image: $layers gzip layers, $files tar members, $tar_mib MiB uncompressed, $gz_mib MiB compressed; $(nproc) cores"

RUNS=${RUNS:-3}
names=(
    "zcat (sequential, all layers)"
    "tar -tzf (sequential, each layer)"
    "ctriage layers --format json (full analysis)"
    "ctriage layers -j 1 (one thread)"
    "ctriage scan --format json (whole report)"
)
run_one() {
    case $1 in
        0) measure "${names[0]}" sh -c "zcat ${blobs[*]}" ;;
        1) measure "${names[1]}" sh -c "for f in ${blobs[*]}; do tar -tzf \$f; done" ;;
        2) measure "${names[2]}" "$BIN" layers "$DATA/image.tar" --format json ;;
        3) measure "${names[3]}" "$BIN" -j 1 layers "$DATA/image.tar" --format json ;;
        4) measure "${names[4]}" "$BIN" scan "$DATA/image.tar" --format json ;;
    esac
}
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
raw=$(for _ in $(seq "$RUNS"); do for i in 0 1 2 3 4; do run_one $i; done; done)
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs each"
echo
echo "| command | wall s (median) | vs zcat | CPU s (median) | CPU vs zcat | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
zcat_s=$(echo "$raw" | awk -F'\t' -v n="${names[0]}" '$1 == n {print $2}' | median)
zcat_cpu=$(echo "$raw" | awk -F'\t' -v n="${names[0]}" '$1 == n {print $4}' | median)
for n in "${names[@]}"; do
    w=$(echo "$raw" | awk -F'\t' -v n="$n" '$1 == n {print $2}' | median)
    r=$(echo "$raw" | awk -F'\t' -v n="$n" '$1 == n {print $3}' | sort -n | tail -1)
    c=$(echo "$raw" | awk -F'\t' -v n="$n" '$1 == n {print $4}' | median)
    awk -v n="$n" -v w="$w" -v r="$r" -v z="$zcat_s" -v c="$c" -v zc="$zcat_cpu" \
        'BEGIN { printf "| %s | %.2f | %.2fx | %.2f | %.2fx | %.0f |\n", n, w, w / z, c, c / zc, r / 1024 }'
done
