#!/usr/bin/env bash
# Log scan cost on every log mix (issue 19 item 1): for each mix, `ctriage -j 2 logs --format
# json` (every built-in and bundled Sigma rule, SHA-256 custody hash, structured hits) against
# ripgrep in the same run: `rg -c -i -F -f benches/rg-literals.txt` (56 attack literals, the
# issue's yardstick) and `rg -c -i -F -f` with every literal ctriage searches. Median of ROUNDS
# interleaved runs: wall time, CPU time (user + sys: the figure that matters on a shared
# machine) and peak RSS (/usr/bin/time); the load average with every table; `ctriage rules
# cost` on the mix (prefix hits, window hits = automaton runs, candidate records per MiB).
#
# Mixes (generated under WORKDIR, one at a time, deleted after their table):
#   own        benches/gen_logs.py, the project's own bench log (benches/logscan.sh's)
#   reference  issue 19's recipe (benches/gen-mixes.py reference): ../shared/corpus/benign/**/*.log
#              cycled, a JNDI / shell access-log line after every 5,000th line
#   java-json  a Java app's json-file log (Go escapes, stack traces, logback JSON)
#   access     a combined-format access log
#   cri        a CRI (Kubernetes) log: klog, zap JSON, ingress access, PostgreSQL, P/F parts
#
# Usage: benches/logmix.sh [SIZE_MB (default 512)] [ROUNDS (default 3)] [WORKDIR (default /tmp/ctriage-logmix)]
#   MIXES="own reference"  a subset;  BIN=path  the ctriage to time (default: target/release,
#   built first unless SKIP_BUILD=1);  BASE=path  a second ctriage (e.g. main's) timed beside
#   it, whose JSON must list the same bundles (hits, findings, IOCs): checked per mix;
#   EXTRA=1  two more rows: ctriage -j 1 and case-sensitive rg (benches/logscan.sh sets it).
# Needs: python3, ripgrep, GNU time, ../shared (the reference mix).
set -euo pipefail
size_mb=${1:-512}
rounds=${2:-3}
work=${3:-/tmp/ctriage-logmix}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/target/release/ctriage}
base=${BASE:-}
mixes=${MIXES:-"own reference java-json access cri"}
mkdir -p "$work"
trap 'rm -f "$work"/*.log "$work"/out-*.json "$work/literals.txt"' EXIT

[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"
"$bin" rules literals > "$work/literals.txt"
lit56="$root/benches/rg-literals.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }

# run CMD... ("wall cpu rss_kb") and median.
. "$root/benches/timing.sh"

echo "$("$bin" --version | head -1); $(nproc) cores; $(wc -l < "$work/literals.txt") literals searched by ctriage; rg yardstick: $(wc -l < "$lit56") literals; $rounds rounds, median"
# The prefilter's block loop is vectorised by the compiler: with AVX-512 it gathers 16 table
# words per instruction. A refactor that loses that shows here first (expected: 4).
if command -v objdump > /dev/null; then
    echo "AVX-512 gathers (vpgatherdd) in the binary: $(objdump -d --no-show-raw-insn "$bin" | grep -c vpgatherdd || true); this CPU: $(grep -o -w -m1 avx512f /proc/cpuinfo || echo 'no AVX-512 (the AVX2 or plain loop runs)')"
fi
for mix in $mixes; do
    log="$work/$mix.log"
    case $mix in
        own) python3 "$root/benches/gen_logs.py" "$log" "$size_mb" > /dev/null ;;
        *) python3 "$root/benches/gen-mixes.py" "$mix" "$log" "$size_mb" 2> /dev/null ;;
    esac
    bytes=$(stat -c %s "$log")
    cat "$log" > /dev/null # warm the page cache for every tool
    echo
    echo "### $mix: $bytes bytes, $(wc -l < "$log") lines; load average before: $(load)"
    echo
    echo '```'
    "$bin" rules cost "$log" | sed "s#$work/##"
    echo '```'
    names=("ctriage")
    [ -n "$base" ] && names+=("ctriage BASE")
    [ -n "${EXTRA:-}" ] && names+=("ctriage -j 1")
    names+=("rg -i (56 literals)" "rg -i (all ctriage literals)")
    [ -n "${EXTRA:-}" ] && names+=("rg (56 literals)")
    declare -A walls=() cpus=() rsss=()
    for ((r = 1; r <= rounds; r++)); do
        for n in "${names[@]}"; do
            case $n in
                ctriage) out=$(run "$bin" -j 2 logs "$log" --format json -q -o "$work/out-new.json") ;;
                "ctriage BASE") out=$(run "$base" -j 2 logs "$log" --format json -q -o "$work/out-base.json") ;;
                "ctriage -j 1") out=$(run "$bin" -j 1 logs "$log" --format json -q -o "$work/out-new.json") ;;
                "rg (56 literals)") out=$(run rg -c -F -f "$lit56" "$log") ;;
                "rg -i (56 literals)") out=$(run rg -c -i -F -f "$lit56" "$log") ;;
                *) out=$(run rg -c -i -F -f "$work/literals.txt" "$log") ;;
            esac
            read -r w c m <<< "$out"
            walls[$n]+="$w "
            cpus[$n]+="$c "
            rsss[$n]+="$m "
        done
    done
    echo
    echo "| tool | wall s | cpu s | MB/s (wall) | peak RSS MiB | ctriage / tool (wall) | ctriage / tool (cpu) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    cw=$(median <<< "${walls[ctriage]}")
    cc=$(median <<< "${cpus[ctriage]}")
    for n in "${names[@]}"; do
        w=$(median <<< "${walls[$n]}")
        c=$(median <<< "${cpus[$n]}")
        m=$(tr ' ' '\n' <<< "${rsss[$n]}" | grep . | sort -n | tail -1)
        awk -v n="$n" -v w="$w" -v c="$c" -v m="$m" -v b="$bytes" -v cw="$cw" -v cc="$cc" \
            'BEGIN { printf "| %s | %.2f | %.2f | %.0f | %.1f | %.2f | %.2f |\n", n, w, c, b / 1e6 / w, m / 1024, cw / w, cc / c }'
    done
    rw=$(median <<< "${walls["rg -i (56 literals)"]}")
    rc=$(median <<< "${cpus["rg -i (56 literals)"]}")
    peak=$(tr ' ' '\n' <<< "${rsss[ctriage]}" | grep . | sort -n | tail -1)
    echo
    awk -v cw="$cw" -v cc="$cc" -v rw="$rw" -v rc="$rc" -v p="$peak" 'BEGIN {
        printf "targets (vs rg -i, 56 literals): wall %.2fx (<= 0.7: %s), cpu %.2fx (<= 1.2: %s), peak %.1f MiB (<= 64: %s)\n",
            cw / rw, cw / rw <= 0.7 ? "met" : "NOT met", cc / rc, cc / rc <= 1.2 ? "met" : "NOT met",
            p / 1024, p / 1024 <= 64 ? "met" : "NOT met" }'
    echo "load average after: $(load)"
    python3 - "$work/out-new.json" "${base:+$work/out-base.json}" <<'PY'
import json, sys
new = json.load(open(sys.argv[1]))["bundles"]
b = new[0]
print("ctriage: %d structured hits listed, %d findings, %d IOCs" % (len(b["log_hits"]), len(b["findings"]), len(b["iocs"])))
if len(sys.argv) > 2 and sys.argv[2]:
    old = json.load(open(sys.argv[2]))["bundles"]
    print("same bundles (hits, findings, IOCs, timeline) as BASE: %s" % ("yes" if old == new else "NO"))
PY
    echo "rg -i (56 literals) matching lines: $(rg -c -i -F -f "$lit56" "$log" || echo 0)"
    rm -f "$log" "$work"/out-*.json
    unset walls cpus rsss
done
