#!/usr/bin/env bash
# sysdig / Falco capture benchmark: `ctriage scan` of two large libscap captures built from
# ../shared's curl_google.scap (benches/gen-scap.py: its state blocks once, then events
# repeated): "mixed", its 1,536 events as captured (mostly procinfo and syscalls ctriage skips
# by type) repeated REPS times, and "decoded", only its 84 events of decoded types (execve,
# clone, open, socket, connect, sendto, recvfrom, write, procexit) repeated DREPS times, so
# every event is split and replayed. Plain and gzip, in events per second, next to `zcat` of
# the same gzip file (the decompression floor), with the peak RSS of each scan.
#
# Usage: benches/scap.sh [DATADIR]   (default target/bench-scap; generated when missing)
# REPS=1000 (1,536,000 events, 88 MiB plain), DREPS=17000; SOURCE another capture.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-target/bench-scap}
BIN=${BIN:-target/release/ctriage}
REPS=${REPS:-1000}
DREPS=${DREPS:-17000}
SOURCE=${SOURCE:-../shared/fixtures/libs/test/libsinsp_e2e/resources/captures/curl_google.scap}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
mkdir -p "$DATA"
echo "$(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() {
    local name=$1 events=$2
    shift 2
    local log start end wall rss
    log=$(mktemp)
    start=$(date +%s.%N)
    /usr/bin/time -v "$@" > /dev/null 2> "$log"
    end=$(date +%s.%N)
    wall=$(echo "$end - $start" | bc -l)
    rss=$(awk '/Maximum resident set size/ {print int($6 / 1024)}' "$log")
    printf "| %s | %.2f | %.0f | %s |\n" "$name" "$wall" "$(echo "$events / $wall" | bc -l)" "$rss"
    rm -f "$log"
}
for mix in mixed decoded; do
    if [ "$mix" = mixed ]; then n=$REPS flag=""; else n=$DREPS flag="--decoded"; fi
    big="$DATA/$mix-$n.scap"
    if [ ! -f "$big.gz" ] || [ ! -f "$big.events" ]; then
        python3 benches/gen-scap.py "$SOURCE" "$big" "$n" $flag > "$big.events"
    fi
    events=$(cat "$big.events")
    echo
    echo "$mix: $events events; plain $(du -m "$big" | cut -f1) MiB, gzip $(du -m "$big.gz" | cut -f1) MiB"
    echo
    echo "| run | wall s | events/s | peak RSS MiB |"
    echo "|---|---:|---:|---:|"
    measure "zcat (gzip floor)" "$events" zcat "$big.gz"
    measure "ctriage scan (gzip)" "$events" "$BIN" scan --format json "$big.gz"
    measure "ctriage scan (plain)" "$events" "$BIN" scan --format json "$big"
done
