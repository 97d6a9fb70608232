#!/usr/bin/env bash
# Scale benchmark: memory and time of `ctriage scan --format json` against the number of
# files, on evidence of N empty files (1 directory per 1,000 files, benches/gen-scale.py):
#   image     a `docker save` of one layer holding the N files;
#   image2    the same with a second layer of one file (the first layer's view is kept);
#   dataroot  a Docker overlay2 data root whose one image layer directory holds them;
#   loose     a data root holding them outside any layer (each one an artifact);
#   export    the image shape's `docker save` beside a `docker export` of a container of it
#             (the container's changes rebuilt against the image).
# Each run is timed by /usr/bin/time: wall, CPU (user + system) and peak RSS. RUNS runs each
# (default 3), round-robin; the table shows the median wall and CPU time and the largest peak
# RSS, then the bytes per file above the smallest N's peak. CPU time and peak RSS hardly move
# with the machine's load; wall time does: the load average is printed with the figures.
#
# Usage: benches/scale.sh [DATADIR]   (default /tmp/ctriage-bench-scale; generated when missing)
#   SIZES="10000 100000 1000000" SHAPES="image image2 dataroot loose export" RUNS=3 BIN=... SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-/tmp/ctriage-bench-scale}
SIZES=${SIZES:-10000 100000 1000000}
SHAPES=${SHAPES:-image image2 dataroot loose export}
RUNS=${RUNS:-3}
BIN=${BIN:-target/release/ctriage}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet

input() { # shape n -> the path scanned
    case $1 in
        image*) echo "$DATA/$1-$2/image.tar" ;;
        export) echo "$DATA/$1-$2" ;;
        *) echo "$DATA/$1-$2/var/lib/docker" ;;
    esac
}
for s in $SHAPES; do
    for n in $SIZES; do
        made=$(input "$s" "$n")
        [ "$s" != export ] || made=$made/export.tar # written last
        if [ ! -e "$made" ]; then
            rm -rf "$DATA/$s-$n"
            python3 benches/gen-scale.py "$s" "$DATA/$s-$n" "$n"
        fi
    done
done

measure() { # shape n -> "shape n wall cpu rss_kib"
    local log
    log=$(mktemp)
    /usr/bin/time -f '%e %U %S %M' -o "$log" "$BIN" scan "$(input "$1" "$2")" --format json > /dev/null 2>&1 || true
    tail -1 "$log" | awk -v s="$1" -v n="$2" '{ printf "%s %s %s %.2f %s\n", s, n, $1, $2 + $3, $4 }'
    rm -f "$log"
}

echo "ctriage $("$BIN" --version | head -1); $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
raw=$(for _ in $(seq "$RUNS"); do for s in $SHAPES; do for n in $SIZES; do measure "$s" "$n"; done; done; done)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs each; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| evidence | files | wall s (median) | CPU s (median) | peak RSS MiB | bytes/file above the smallest |"
echo "|---|---:|---:|---:|---:|---:|"
for s in $SHAPES; do
    base_n='' base_rss=''
    for n in $SIZES; do
        row=$(echo "$raw" | awk -v s="$s" -v n="$n" '$1 == s && $2 == n')
        wall=$(echo "$row" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        cpu=$(echo "$row" | awk '{print $4}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        rss=$(echo "$row" | awk '{print $5}' | sort -n | tail -1)
        if [ -z "$base_n" ]; then
            base_n=$n base_rss=$rss per='-'
        else
            per=$(awk -v r="$rss" -v b="$base_rss" -v n="$n" -v m="$base_n" 'BEGIN { printf "%.0f", (r - b) * 1024 / (n - m) }')
        fi
        awk -v s="$s" -v n="$n" -v w="$wall" -v c="$cpu" -v r="$rss" -v p="$per" \
            'BEGIN { printf "| %s | %d | %.2f | %.2f | %.0f | %s |\n", s, n, w, c, r / 1024, p }'
    done
done
