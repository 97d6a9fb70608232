# Shared by the capture harness scripts (sourced, POSIX sh): messages, the lab rootfs, and
# the facts the host itself can tell about a container (its processes from /proc, its files
# from the storage driver's upper directory).

say() { printf 'capture: %s\n' "$*" >&2; }
die() { printf 'capture: FAILED: %s\n' "$*" >&2; exit 1; }

# need PROGRAM...: every program exists (a path or a name on PATH).
need() {
  for n in "$@"; do
    command -v "$n" > /dev/null 2>&1 || die "$n not found (install the packages .ci/run installs)"
  done
}

# wait_for WHAT TENTHS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
  w_what=$1
  w_max=$2
  shift 2
  w_i=0
  until "$@" > /dev/null 2>&1; do
    w_i=$((w_i + 1))
    [ "$w_i" -gt "$w_max" ] && die "$w_what did not come up"
    sleep 0.1
  done
}

# note_created PATH...: remember which of these system paths do not exist yet, so that
# remove_created can take away what the runtime left there (dockerd and containerd's shims
# make /run/docker and /run/containerd/s whatever their roots; podman keeps its image blob
# cache in /var/lib/containers/cache). Paths that existed before are never touched.
CREATED=
note_created() {
  for n in "$@"; do
    [ -e "$n" ] || CREATED="$CREATED $n"
  done
}
remove_created() {
  for n in $CREATED; do
    rm -rf -- "$n"
  done
  CREATED=
}

# listening PID PORT: a TCP socket in LISTEN state on PORT in PID's network namespace.
listening() {
  l_port=$(printf ':%04X ' "$2")
  awk -v p="$l_port" 'index($2 " ", p) && $4 == "0A" { found = 1 } END { exit !found }' \
    "/proc/$1/net/tcp" "/proc/$1/net/tcp6"
}

# unmount_under DIR: whatever a killed daemon left mounted below DIR, deepest first.
unmount_under() {
  awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || true
  done
}

# The fixed time every file of the lab rootfs gets (2026-11-20T09:00:00Z): the layer is the
# same bytes on every run.
ROOTFS_TIME=202611200900.00

# build_rootfs DIR [web|jvm]: busybox-static with its applet links, a root and a www-data
# account, root's shell history, and for `web` (the default) the web root with the ping CGI,
# for `jvm` a JRE (jlink of Debian's OpenJDK 17: java.base + jdk.httpserver, with the host's
# glibc, libstdc++, libgcc and zlib it links) in /opt/java and the OrderService app in /app,
# compiled with javac.
build_rootfs() {
  r=$1
  kind=${2:-web}
  mkdir -p "$r/bin" "$r/etc" "$r/root" "$r/tmp" "$r/www" "$r/var/spool/cron" "$r/var/log" \
    "$r/dev" "$r/proc" "$r/sys"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/www:/bin/false\n' > "$r/etc/passwd"
  printf 'root:x:0:\nwww-data:x:33:\n' > "$r/etc/group"
  printf 'ls /www\nvi /www/cgi-bin/ping\nhttpd -f -v -p 8080 -h /www\n' > "$r/root/.ash_history"
  chmod 600 "$r/root/.ash_history"
  chmod 700 "$r/root"
  chmod 1777 "$r/tmp"
  case $kind in
    web)
      cp -R "$HERE/web/www/." "$r/www/"
      chmod 755 "$r/www/cgi-bin/ping"
      ;;
    jvm)
      rmdir "$r/www"
      JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
      mkdir -p "$r/opt" "$r/app" "$r/lib64" "$r/lib/x86_64-linux-gnu"
      "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.httpserver --strip-debug --no-header-files \
        --no-man-pages --compress=2 --output "$r/opt/java"
      "$JAVA_HOME/bin/javac" --release 17 -d "$r/app" "$HERE/jvm/OrderService.java"
      for l in $(ldd "$r/opt/java/bin/java" "$r/opt/java/lib/server/libjvm.so" "$r"/opt/java/lib/*.so 2> /dev/null |
        awk '$2 == "=>" && $3 ~ /^\/lib/ { print $3 }' | sort -u); do
        cp -L "$l" "$r/lib/x86_64-linux-gnu/"
      done
      cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"
      ;;
  esac
  find "$r" -exec touch -h -t "$ROOTFS_TIME" {} +
}

# tar_rootfs DIR TAR: the rootfs as a deterministic tar (sorted, numeric root owner).
tar_rootfs() {
  tar --sort=name --numeric-owner --owner=0 --group=0 -C "$1" -cf "$2" .
}

# container_processes PID: one `process PID PPID ARGS NSPID` line (tab-separated) for every
# process in the same PID namespace as PID, read from the host's /proc.
container_processes() {
  c_ns=$(readlink "/proc/$1/ns/pid")
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2> /dev/null)" = "$c_ns" ] || continue
    c_pid=${p#/proc/}
    c_ppid=$(awk '$1 == "PPid:" { print $2 }' "$p/status" 2> /dev/null) || continue
    c_args=$(tr '\000' ' ' < "$p/cmdline" 2> /dev/null | sed 's/ $//') || continue
    # the PID as the container's own namespace numbers it (last NSpid field)
    c_nspid=$(awk '$1 == "NSpid:" { print $NF }' "$p/status" 2> /dev/null) || continue
    [ -n "$c_args" ] && printf 'process\t%s\t%s\t%s\t%s\n' "$c_pid" "$c_ppid" "$c_args" "$c_nspid"
  done
  return 0
}

# file_fact added|deleted PATH: the change as the upper directory ($UPPER) holds it: its
# mtime (for a deletion, the whiteout device's, i.e. when it was deleted) and for a
# deletion the device numbers (0:0 is overlayfs's whiteout).
file_fact() {
  f=$UPPER/$2
  case $1 in
    added)
      [ -f "$f" ] || die "no $2 in the upper dir"
      printf 'added\t/%s\t%s\t%s\n' "$2" "$(stat -c %Y "$f")" "$(sha256sum < "$f" | cut -d ' ' -f 1)"
      ;;
    deleted)
      if ! [ -c "$f" ] || [ "$(stat -c %t:%T "$f")" != 0:0 ]; then
        die "no whiteout for $2 in the upper dir"
      fi
      printf 'deleted\t/%s\t%s\twhiteout\n' "$2" "$(stat -c %Y "$f")"
      ;;
  esac
}
