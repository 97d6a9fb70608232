#!/usr/bin/env bash
# Sensor readers' benchmark: `ctriage scan` of generated Tetragon exports and audit logs
# (benches/gen_sensors.py, EVENTS events each, benign) in two mixes: `execs` (40 % new
# processes: the process analysis, Sigma process rules above all, weighs as much as the
# reading) and `activity` (1 % execs, the rest connects and writes: mostly the reader).
# Events per second and MiB per second of the whole scan of that one file (report written),
# peak RSS, next to `rg -c` counting the event lines of the same file (the cost of reading
# the bytes at all). CPU seconds (user + system) beside the wall time: the machine is shared.
#
# Usage: benches/sensors.sh [DATADIR]   (default target/bench-sensors; generated when missing)
# EVENTS=100000 overrides the size; BIN=... another binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-target/bench-sensors}
EVENTS=${EVENTS:-100000}
BIN=${BIN:-target/release/ctriage}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
for mix in execs activity; do
    if [ ! -f "$DATA/$EVENTS-$mix/tetragon.json" ]; then
        python3 benches/gen_sensors.py "$EVENTS" "$DATA/$EVENTS-$mix" "$mix"
    fi
done

secs() { # wall seconds of a command, stdout discarded
    local s e
    s=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}

echo "$(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg); $EVENTS events per file"
echo
echo "| reader | mix | file MiB | events | ctriage scan wall s | CPU s | events/s (wall) | events/CPU s | MiB/s (wall) | peak RSS MiB | rg -c s | rg lines |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for run in "tetragon:tetragon.json:\"process_" "auditd:audit.log:^type=SYSCALL"; do
  for mix in execs activity; do
    IFS=: read -r reader file pattern <<< "$run"
    f="$DATA/$EVENTS-$mix/$file"
    mib=$(echo "$(stat -c %s "$f") / 1048576" | bc -l)
    log=$(mktemp)
    s=$(date +%s.%N)
    /usr/bin/time -v "$BIN" scan "$f" --format json > /dev/null 2> "$log" || true
    e=$(date +%s.%N)
    wall=$(echo "$e - $s" | bc -l)
    rss=$(awk '/Maximum resident set size/ {printf "%.0f", $6 / 1024}' "$log")
    cpu=$(awk '/User time|System time/ {t += $NF} END {printf "%.2f", t}' "$log")
    rm -f "$log"
    rg_s=$(secs rg -c "$pattern" "$f")
    rg_n=$(rg -c "$pattern" "$f" || echo 0)
    printf "| %s | %s | %.1f | %d | %.2f | %s | %.0f | %.0f | %.1f | %s | %.3f | %s |\n" "$reader" "$mix" "$mib" "$EVENTS" \
        "$wall" "$cpu" "$(echo "$EVENTS / $wall" | bc -l)" "$(echo "$EVENTS / $cpu" | bc -l)" "$(echo "$mib / $wall" | bc -l)" \
        "$rss" "$rg_s" "$rg_n"
  done
done
