#!/usr/bin/env bash
# Batch benchmark (issue 19 item 5): `ctriage scan --batch` of 100 and 1,000 generated
# bundles (benches/gen-batch.py: every tenth a copy of a sample, the rest small json-file logs)
# with 2 jobs: bundles per second, the CPU time of the whole run (user + sys, children
# included), the peak RSS of the batch parent (its VmHWM, sampled from /proc every 50 ms: it
# must stay flat as the batch grows) and the largest peak of any process of the run
# (/usr/bin/time -v: the parent or its largest child, one `ctriage scan` of one bundle); the
# load average with every row.
#
# Usage: benches/batch.sh [DATADIR]   (default /tmp/ctriage-bench-batch; generated when missing)
# SIZES="100 1000" JOBS="2" override the grid (the 2026-12-01 runs used SIZES="10 50 200"
# JOBS="1 2"); BIN=path and SKIP_BUILD=1 time a built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-/tmp/ctriage-bench-batch}
BIN=${BIN:-target/release/ctriage}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet
SIZES=${SIZES:-"100 1000"}
JOBS=${JOBS:-"2"}
for n in $SIZES; do
    [ -d "$DATA/in-$n" ] || python3 benches/gen-batch.py "$n" "$DATA/in-$n"
done

echo "$(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| bundles | jobs | wall s | bundles/s | cpu s (all processes) | cpu ms / bundle | parent peak RSS MiB | largest process peak RSS MiB | load average after |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in $SIZES; do
    for j in $JOBS; do
        out="$DATA/out-$n-$j"
        rm -rf "$out"
        log=$(mktemp)
        /usr/bin/time -v "$BIN" scan --batch "$DATA/in-$n" --out "$out" -j "$j" -q > /dev/null 2> "$log" &
        timer=$!
        parent_hwm=0
        while kill -0 "$timer" 2> /dev/null; do
            pid=$(pgrep -P "$timer" | head -1 || true) # /usr/bin/time's one child: ctriage, whatever BIN is named
            if [ -n "$pid" ]; then
                hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2> /dev/null || echo 0)
                [ "${hwm:-0}" -gt "$parent_hwm" ] && parent_hwm=$hwm
            fi
            sleep 0.05
        done
        wait "$timer" || true
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
        cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$log")
        rm -f "$log"
        awk -v n="$n" -v j="$j" -v w="$wall" -v c="$cpu" -v p="$parent_hwm" -v r="$rss" -v l="$(cut -d' ' -f1-3 /proc/loadavg)" \
            'BEGIN {printf "| %d | %d | %.2f | %.1f | %.1f | %.0f | %.1f | %.1f | %s |\n", n, j, w, n / w, c, 1000 * c / n, p / 1024, r / 1024, l}'
    done
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
