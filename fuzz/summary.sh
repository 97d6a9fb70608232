#!/bin/sh
# Per target: seconds, executions and crashes of the last run (from fuzz/logs/<target>.log).
cd "$(dirname "$0")"
printf '| target | minutes | executions | crashes |\n|---|---:|---:|---:|\n'
for f in logs/*.log; do
  t=$(basename "$f" .log)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$f" | grep -o '[0-9]*$' | tail -1)
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$f" | grep -o '[0-9]* second' | grep -o '[0-9]*' | tail -1)
  crashes=$(ls "artifacts/$t" 2>/dev/null | grep -c '^crash-\|^oom-\|^timeout-\|^leak-')
  printf '| %s | %s | %s | %s |\n' "$t" "$(( ${secs:-0} / 60 ))" "${execs:-?}" "$crashes"
done
