#!/bin/sh
# Run every fuzz target (or those named) for SECS seconds each (default 600), JOBS at a time
# (default 2), at the lowest CPU priority; logs in fuzz/logs/<target>.log, crashes in
# fuzz/artifacts/<target>/. Needs `cargo +nightly fuzz build -O` first (and ./seeds.sh).
set -u
cd "$(dirname "$0")"
SECS=${SECS:-600}
JOBS=${JOBS:-2}
TARGETS=${*:-$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v ctriage-fuzz)}
mkdir -p logs
run_one() {
  t=$1
  mkdir -p "corpus/$t" "artifacts/$t"
  nice -n 19 "target/x86_64-unknown-linux-gnu/release/$t" "corpus/$t" \
    -max_total_time="$SECS" -print_final_stats=1 -rss_limit_mb=4096 -max_len=65536 \
    -artifact_prefix="artifacts/$t/" > "logs/$t.log" 2>&1
  echo "$t exit $?" >> logs/summary.txt
}
set -- $TARGETS
while [ $# -gt 0 ]; do
  i=0
  while [ $i -lt "$JOBS" ] && [ $# -gt 0 ]; do
    run_one "$1" &
    shift
    i=$((i + 1))
  done
  wait
done
