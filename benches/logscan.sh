#!/usr/bin/env bash
# Log scanning benchmark: `ctriage logs` (every built-in and bundled Sigma rule, SHA-256
# custody hash, structured hits) against ripgrep on the same generated log in the same run:
# `rg -c -i -F -f benches/rg-literals.txt` (56 attack literals, ASCII case ignored, as the
# issue's yardstick), the same without -i, and `rg -c -i -F -f` with every literal ctriage
# searches, and ctriage on one thread (-j 1, how well the scan and the hash split over cores).
# Median wall and CPU time of ROUNDS runs each; ratios are ctriage (-j 2) / tool.
# Usage: benches/logscan.sh [SIZE_MB (default 512)] [ROUNDS (default 3)] [WORKDIR]
# Needs: cargo, python3, ripgrep (apt-get install -y ripgrep), GNU time (/usr/bin/time).
# The generated log is deleted at the end. Results are printed as Markdown.
set -euo pipefail
size_mb=${1:-512}
rounds=${2:-3}
work=${3:-/tmp/ctriage-bench}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
log="$work/bench.log"
trap 'rm -f "$log" "$work/out.json" "$work/literals.txt" "$work/rules.txt"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/ctriage"
python3 "$root/benches/gen_logs.py" "$log" "$size_mb"
"$bin" rules literals > "$work/literals.txt"
"$bin" rules list > "$work/rules.txt"
lit56="$root/benches/rg-literals.txt"
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null # warm the page cache for every tool

main_list=$(sed '/^[0-9]* rules$/q' "$work/rules.txt")
builtin=$(grep -vcE '^(sigma\.|id |[0-9]+ rules$)' <<< "$main_list" || true)
sigma_web=$(grep -c '^sigma\.' <<< "$main_list" || true)
sigma_proc=$(sed -n 's/^\([0-9]*\) process rules$/\1/p' "$work/rules.txt")
sigma_unused=$(sed -n 's/^\([0-9]*\) Sigma rules not used$/\1/p' "$work/rules.txt")

# run CMD... ("wall cpu rss_kb") and median.
. "$root/benches/timing.sh"

declare -A med
# name, command...: runs it ROUNDS times (tools interleaved by the caller), keeps the median.
measure_all() {
    local names=("ctriage" "ctriage -j 1" "rg -i (56 literals)" "rg (56 literals)" "rg -i (all ctriage literals)")
    local -A walls cpus rsss
    for ((r = 1; r <= rounds; r++)); do
        for n in "${names[@]}"; do
            case $n in
                ctriage) out=$(run "$bin" -j 2 logs "$log" --format json -q -o "$work/out.json") ;;
                "ctriage -j 1") out=$(run "$bin" -j 1 logs "$log" --format json -q -o "$work/out.json") ;;
                "rg -i (56 literals)") out=$(run rg -c -i -F -f "$lit56" "$log") ;;
                "rg (56 literals)") out=$(run rg -c -F -f "$lit56" "$log") ;;
                *) out=$(run rg -c -i -F -f "$work/literals.txt" "$log") ;;
            esac
            read -r w c m <<< "$out"
            walls[$n]+="$w "; cpus[$n]+="$c "; rsss[$n]+="$m "
        done
    done
    echo "| tool | median wall s | median cpu s | MB/s (wall) | peak RSS MB | ctriage / tool (wall) | ctriage / tool (cpu) |"
    echo "|---|---|---|---|---|---|---|"
    local cw cc
    cw=$(echo "${walls[ctriage]}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    cc=$(echo "${cpus[ctriage]}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    for n in "${names[@]}"; do
        local w c m
        w=$(echo "${walls[$n]}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        c=$(echo "${cpus[$n]}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        m=$(echo "${rsss[$n]}" | tr ' ' '\n' | grep . | sort -n | tail -1)
        awk -v n="$n" -v w="$w" -v c="$c" -v m="$m" -v b="$bytes" -v cw="$cw" -v cc="$cc" \
            'BEGIN { printf "| %s | %.2f | %.2f | %.0f | %.1f | %.2f | %.2f |\n", n, w, c, b / 1048576 / w, m / 1024, cw / w, cc / c }'
    done
}

echo "log: $bytes bytes, $(wc -l < "$log") lines; cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rules: $builtin built-in, $sigma_web Sigma webserver/proxy, $sigma_proc Sigma process_creation (not used by logs), $sigma_unused Sigma rules listed as unused; literals searched by ctriage: $(wc -l < "$work/literals.txt"); rg yardstick: $(wc -l < "$lit56") literals"
echo
measure_all
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/out.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["bundles"][0]
print("ctriage: %d structured hits listed, %d findings, %d IOCs" % (len(b["log_hits"]), len(b["findings"]), len(b["iocs"])))
PY
echo "rg -i (56 literals) matching lines: $(rg -c -i -F -f "$lit56" "$log")"
