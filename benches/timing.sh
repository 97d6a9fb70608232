# Timing helpers sourced by the bench scripts (logmix.sh, logscan.sh, k8saudit.sh).

# run CMD...: run once, print "wall_s cpu_s peak_rss_kb" (cpu = user + sys). GNU time prints
# its line last on stderr, also when the command exits non-zero (ctriage exits 1 when it
# finds something at --fail-on or above).
run() {
    local t
    t=$( { /usr/bin/time -f "%e %U %S %M" "$@" > /dev/null; } 2>&1 | tail -1 ) || true
    read -r wall user sys rss <<< "$t"
    awk -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN { printf "%s %.2f %s\n", w, u + s, r }'
}

# median: the median of the space-separated numbers on stdin.
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
