#!/usr/bin/env bash
# Log scanning benchmark on the project's own generated log (benches/gen_logs.py): since
# issue 19, benches/logmix.sh's `own` mix with two more rows, ctriage on one thread (-j 1,
# how well the scan and the hash split over cores) and case-sensitive `rg -c -F -f` with the
# 56-literal yardstick. Same columns as logmix.sh (median of ROUNDS interleaved runs, wall and
# CPU time, peak RSS, load average). The generated log is deleted at the end.
# Usage: benches/logscan.sh [SIZE_MB (default 512)] [ROUNDS (default 3)] [WORKDIR]
# Needs: cargo, python3, ripgrep (apt-get install -y ripgrep), GNU time (/usr/bin/time).
set -euo pipefail
MIXES=own EXTRA=1 exec "$(dirname "$0")/logmix.sh" "${1:-512}" "${2:-3}" "${3:-/tmp/ctriage-bench}"
