#!/usr/bin/env bash
# sysdig / Falco capture benchmark: `ctriage scan` of a large libscap capture (the state blocks
# of ../shared's curl_google.scap once, then its 1,536 event blocks repeated REPS times:
# benches/gen-scap.py), plain and gzip, in events per second, next to `zcat` of the same gzip
# file (the decompression floor) and the peak RSS of each scan (/usr/bin/time -v).
#
# Usage: benches/scap.sh [DATADIR]   (default target/bench-scap; generated when missing)
# REPS=1000 sets the size (1,536,000 events, ~100 MB plain); SOURCE another capture.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-target/bench-scap}
BIN=${BIN:-target/release/ctriage}
REPS=${REPS:-1000}
SOURCE=${SOURCE:-../shared/fixtures/libs/test/libsinsp_e2e/resources/captures/curl_google.scap}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
mkdir -p "$DATA"
big="$DATA/big-$REPS.scap"
if [ ! -f "$big.gz" ] || [ ! -f "$big.events" ]; then
    python3 benches/gen-scap.py "$SOURCE" "$big" "$REPS" > "$big.events"
fi
events=$(cat "$big.events")
echo "$(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "capture: $events events; plain $(du -m "$big" | cut -f1) MiB, gzip $(du -m "$big.gz" | cut -f1) MiB"
echo
echo "| run | wall s | events/s | peak RSS MiB |"
echo "|---|---:|---:|---:|"
measure() {
    local name=$1
    shift
    local log
    log=$(mktemp)
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -v "$@" > /dev/null 2> "$log"
    end=$(date +%s.%N)
    local wall rss
    wall=$(echo "$end - $start" | bc -l)
    rss=$(awk '/Maximum resident set size/ {print int($6 / 1024)}' "$log")
    printf "| %s | %.2f | %.0f | %s |\n" "$name" "$wall" "$(echo "$events / $wall" | bc -l)" "$rss"
    rm -f "$log"
}
measure "zcat (gzip floor)" zcat "$big.gz"
measure "ctriage scan (gzip)" "$BIN" scan --format json "$big.gz"
measure "ctriage scan (plain)" "$BIN" scan --format json "$big"
