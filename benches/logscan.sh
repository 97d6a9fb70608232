#!/usr/bin/env bash
# Log scanning benchmark: ctriage vs `rg -c -i -F -f <the same literals>` on a generated log.
# Usage: benches/logscan.sh [SIZE_MB (default 1024)] [WORKDIR (default /tmp/ctriage-bench)]
# Needs: cargo, python3, ripgrep (apt-get install -y ripgrep), GNU time (/usr/bin/time).
# The generated log is deleted at the end. Results are printed as a Markdown table.
set -euo pipefail
size_mb=${1:-1024}
work=${2:-/tmp/ctriage-bench}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
log="$work/bench.log"
trap 'rm -f "$log" "$work/out.json" "$work/literals.txt"' EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/ctriage"
python3 "$root/benches/gen_logs.py" "$log" "$size_mb"
"$bin" rules literals > "$work/literals.txt"
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null # warm the page cache for both tools

measure() { # name, command...
    local name=$1; shift
    local t
    # GNU time prints its line last on stderr, also when the command exits non-zero
    # (ctriage exits 1 when it finds something at --fail-on or above).
    t=$( { /usr/bin/time -f "%e %U %S %M" "$@" > /dev/null; } 2>&1 | tail -1 ) || true
    read -r wall user sys rss <<< "$t"
    awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v b="$bytes" \
        'BEGIN { printf "| %s | %.2f | %.2f | %.0f | %.1f |\n", n, w, u + s, b / 1048576 / w, r / 1024 }'
}

echo "log: $bytes bytes, $(wc -l < "$log") lines; literals: $(wc -l < "$work/literals.txt"); cores: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tool | wall s | cpu s | MB/s (wall) | peak RSS MB |"
echo "|---|---|---|---|---|"
for round in 1 2; do
    measure "rg -c -i -F -f literals (round $round)" rg -c -i -F -f "$work/literals.txt" "$log"
    measure "ctriage -j 2 logs --format json (round $round)" "$bin" -j 2 logs "$log" --format json -q -o "$work/out.json"
done
python3 - "$work/out.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["bundles"][0]
print()
print("ctriage: %d structured hits listed, %d findings, %d IOCs" % (len(b["log_hits"]), len(b["findings"]), len(b["iocs"])))
PY
echo "rg matching lines: $(rg -c -i -F -f "$work/literals.txt" "$log")"
