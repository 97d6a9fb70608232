#!/usr/bin/env bash
# Data root benchmark: `ctriage scan` of a synthetic Docker data root (overlay2; 50
# containers, 200 image layers by default, benches/gen-dataroot.py) read as a directory and
# as a tar of it, beside `tar -cf - DIR | wc -c` (reading every file once; GNU tar skips the
# reads when writing to /dev/null itself) and `sha256sum` of every file.
# Wall time and peak RSS from /usr/bin/time -v; RUNS runs each (default 3), round-robin, the
# median wall time and the largest peak RSS shown.
#
# Usage: benches/dataroot.sh [DATADIR]   (default target/bench-dataroot; generated when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-target/bench-dataroot}
if [ ! -d "$DATA/root/var/lib/docker" ]; then
    rm -rf "$DATA"
    python3 benches/gen-dataroot.py "$DATA/root"
    tar --numeric-owner --sort=name -C "$DATA/root" -cf "$DATA/dataroot.tar" var/lib/docker
fi
BIN=${BIN:-target/release/ctriage}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet

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

files=$(find "$DATA/root" -type f | wc -l)
mib=$(du -sm "$DATA/root" | cut -f1)
echo "data root: $files files, $mib MiB on disk, tar $(du -m "$DATA/dataroot.tar" | cut -f1) MiB; $(nproc) cores"
RUNS=${RUNS:-3}
names=("tar -cf - DIR, piped to wc -c (read every file)" "sha256sum of every file (one core)" "ctriage scan DIR --format json" "ctriage scan dataroot.tar --format json")
run_one() {
    case $1 in
        0) measure "${names[0]}" sh -c "tar -C '$DATA/root' -cf - var/lib/docker | wc -c" ;;
        1) measure "${names[1]}" sh -c "find '$DATA/root' -type f -print0 | xargs -0 sha256sum" ;;
        2) measure "${names[2]}" "$BIN" scan "$DATA/root/var/lib/docker" --format json ;;
        3) measure "${names[3]}" "$BIN" scan "$DATA/dataroot.tar" --format json ;;
    esac
}
raw=$(for _ in $(seq "$RUNS"); do for i in 0 1 2 3; do run_one $i; done; done)
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs each"
echo
echo "| command | wall s (median) | peak RSS MiB |"
echo "|---|---:|---:|"
for n in "${names[@]}"; do
    echo "$raw" | awk -F'\t' -v n="$n" '$1 == n {print $2, $3}' | sort -n | awk -v n="$n" '
        {w[NR]=$1; if ($2 > r) r = $2} END {printf "| %s | %.2f | %d |\n", n, w[int((NR+1)/2)], r/1024}'
done
