#!/usr/bin/env bash
# Instructions per log mix (issue 19 item 1): callgrind's instruction count of
# `ctriage -j 1 logs --format json` on the first SIZE_MB of each mix, with SHA-256 shown apart
# (valgrind hides SHA-NI, so the custody hash runs in software there and would dominate).
# Deterministic, so it sees changes of a few percent that timing on a shared machine cannot;
# it does not see cache misses (a change with fewer instructions may take the same time:
# confirm with benches/logmix.sh). With BASE, each mix is also run by BASE and the two JSON
# reports must be the same (the run's time and commit aside).
#
# Usage: benches/instructions.sh [SIZE_MB (default 16)] [WORKDIR (default /tmp/ctriage-instr)]
#   BIN=path (default target/release/ctriage, built unless SKIP_BUILD=1)  BASE=path
#   MIXES="own reference java-json access cri"
# Needs: valgrind, python3, ../shared (the reference mix). Slow: about a minute per mix and binary.
set -euo pipefail
size_mb=${1:-16}
work=${2:-/tmp/ctriage-instr}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/target/release/ctriage}
base=${BASE:-}
mixes=${MIXES:-"own reference java-json access cri"}
mkdir -p "$work"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"

# count BIN LOG OUT: "total sha" instructions of one run, its report in OUT.
count() {
    local cg="$work/cg.out"
    valgrind --tool=callgrind --callgrind-out-file="$cg" "$1" -j 1 logs --format json "$2" > "$3" 2> /dev/null || true
    local total sha
    total=$(callgrind_annotate "$cg" 2> /dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
    sha=$(callgrind_annotate --inclusive=yes "$cg" 2> /dev/null | awk '/sha2::sha256::compress256/ { gsub(",", "", $1); print $1; exit }')
    rm -f "$cg"
    echo "${total:-0} ${sha:-0}"
}
report() { grep -v '"time": "\|"commit": ' "$1"; }

echo "$("$bin" --version | head -1); first $size_mb MB of each mix; instructions in millions"
echo
echo "| mix | total | SHA-256 | without SHA-256 |${base:+ BASE without SHA-256 | change | same report |}"
echo "|---|---:|---:|---:|${base:+---:|---:|---|}"
for mix in $mixes; do
    log="$work/$mix.log"
    if [ ! -s "$log" ]; then
        case $mix in
            own) python3 "$root/benches/gen_logs.py" "$log" "$size_mb" > /dev/null ;;
            *) python3 "$root/benches/gen-mixes.py" "$mix" "$log" "$size_mb" 2> /dev/null ;;
        esac
    fi
    read -r t s <<< "$(count "$bin" "$log" "$work/new.json")"
    row="| $mix | $((t / 1000000)) | $((s / 1000000)) | $(((t - s) / 1000000)) |"
    if [ -n "$base" ]; then
        read -r bt bs <<< "$(count "$base" "$log" "$work/base.json")"
        same=no
        cmp -s <(report "$work/new.json") <(report "$work/base.json") && same=yes
        row+=" $(((bt - bs) / 1000000)) | $(awk -v n=$((t - s)) -v b=$((bt - bs)) 'BEGIN { printf "%+.1f %%", (n - b) * 100 / b }') | $same |"
    fi
    echo "$row"
done
rm -f "$work"/*.json
