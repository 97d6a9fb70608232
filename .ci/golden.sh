#!/usr/bin/env bash
# Golden reports: every output of every command on every sample, fixture and corpus file,
# written by one ctriage binary into one folder, so that a refactoring can prove "same report
# bytes before and after": run it with the binary before the change and with the binary after,
# then `diff -r BEFORE AFTER` must print nothing.
#   .ci/golden.sh BIN DEST
# BIN must be named `ctriage` (usage errors print its name). Build it with `CTRIAGE_COMMIT=golden cargo build` (the commit is in every report); the run
# time is pinned with SOURCE_DATE_EPOCH; every command runs from the same working folder with
# the same arguments, so reports differ only where behaviour does. Several checkouts can run
# it at once (each writes under its own target/). Needs ../shared. Not part
# of `.ci/run` (it needs the binary from before a change); ARCHITECTURE.md says when to run it.
set -uo pipefail
bin=$(realpath "$1")
dest=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
work=target/golden-out # relative: the same arguments from every checkout
export SOURCE_DATE_EPOCH=1765000000 NO_COLOR=1
cd "$root" || exit 1
rm -rf "$work" "$dest"
mkdir -p "$work" "$dest"

# name INPUT: a file name for an input path.
name() { sed 's#^\.\./shared/##; s#/#__#g' <<< "$1"; }

# one NAME CMD...: run a command, keep its stdout, stderr and exit code under DEST/NAME.
one() {
    local n=$1
    shift
    "$bin" "$@" > "$dest/$n.out" 2> "$dest/$n.err"
    echo $? > "$dest/$n.rc"
}

inputs=(samples/dvwa samples/log4shell samples/real/docker samples/real/podman)
while IFS= read -r f; do inputs+=("$f"); done < <(
    cd "$root" && find ../shared/fixtures ../shared/corpus -type f ! -name README.md | sort
    find ../shared/fixtures -mindepth 2 -type d | sort
)

for input in "${inputs[@]}"; do
    n=$(name "$input")
    rm -rf "$work/out"
    one "scan.$n" scan -q "$input" --out "$work/out"
    [ -d "$work/out" ] && mv "$work/out" "$dest/scan.$n.d"
    if [ -f "$input" ]; then
        one "logs.$n" logs -q --format json "$input"
        one "layers.$n" layers -q --format json "$input"
    fi
done

for s in samples/dvwa samples/log4shell; do
    n=$(name "$s")
    one "diff.$n" diff -q "$s/export.tar" --image "$s/image.tar" --format json
    one "layers-tree.$n" layers -q "$s/image.tar" --tree --at 2
    one "plan.$n" plan -q "$s"
    one "scan-text.$n" scan -q "$s" --color never
done
one rules-list rules list
one rules-json rules list --format json
one rules-literals rules literals
echo "golden: $(find "$dest" -type f | wc -l) files in $dest"
