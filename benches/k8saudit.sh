#!/usr/bin/env bash
# Kubernetes audit log benchmark: `ctriage scan --format json` (every k8saudit rule and the
# bundled Sigma kubernetes/audit rules on every event, the SHA-256 custody hash, the story)
# on a generated audit log (JSON lines), in events per second, next to `rg -c` counting the
# same file's events (`"kind":"Event"`: the floor of reading it at all) in the same run.
# Median wall and CPU time of ROUNDS runs each.
# Usage: benches/k8saudit.sh [SIZE_MB (default 1024)] [ROUNDS (default 3)] [WORKDIR]
# Needs: cargo, python3, ripgrep, GNU time (/usr/bin/time). The log is deleted at the end.
set -euo pipefail
size_mb=${1:-1024}
rounds=${2:-3}
work=${3:-/tmp/ctriage-bench-k8s}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work/bundle"
log="$work/bundle/audit.log"
trap 'rm -rf "$work/bundle" "$work/out.json"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/ctriage"
python3 "$root/benches/gen-k8saudit.py" "$log" "$size_mb" 2> "$work/gen.txt"
events=$(cut -d' ' -f1 "$work/gen.txt")
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null # warm the page cache for every tool

# One run: prints "wall cpu rss_kb".
# run CMD... ("wall cpu rss_kb") and median.
. "$root/benches/timing.sh"

names=("ctriage scan" "rg -c")
declare -A walls cpus rsss
for ((r = 1; r <= rounds; r++)); do
    for n in "${names[@]}"; do
        case $n in
            "ctriage scan") out=$(run "$bin" -j 2 scan "$work/bundle" --format json -q -o "$work/out.json") ;;
            *) out=$(run rg -c -F '"kind":"Event"' "$log") ;;
        esac
        read -r w c m <<< "$out"
        walls[$n]+="$w "; cpus[$n]+="$c "; rsss[$n]+="$m "
    done
done

echo "audit log: $bytes bytes, $events events; cores: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tool | median wall s | median cpu s | events/s (wall) | MB/s (wall) | peak RSS MB |"
echo "|---|---|---|---|---|---|"
for n in "${names[@]}"; do
    w=$(echo "${walls[$n]}" | median)
    c=$(echo "${cpus[$n]}" | median)
    m=$(echo "${rsss[$n]}" | tr ' ' '\n' | grep . | sort -n | tail -1)
    awk -v n="$n" -v w="$w" -v c="$c" -v m="$m" -v b="$bytes" -v e="$events" \
        'BEGIN { printf "| %s | %.2f | %.2f | %.0f | %.0f | %.1f |\n", n, w, c, e / w, b / 1048576 / w, m / 1024 }'
done
python3 - "$work/out.json" <<'PY'
import json, sys, collections
b = json.load(open(sys.argv[1]))["bundles"][0]
rules = collections.Counter(r for f in b["findings"] for r in f["rules"])
print("\nctriage: %d findings (%s), %d timeline events, %d diagnostics" % (
    len(b["findings"]), ", ".join("%s x%d" % kv for kv in sorted(rules.items())), len(b["timeline"]), len(b["diagnostics"])))
PY
echo "rg -c events: $(rg -c -F '"kind":"Event"' "$log")"
