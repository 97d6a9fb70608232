#!/bin/sh
# Response plan written by ctriage 0.1.0 from 1 bundle(s), report time 2025-12-01T00:00:00Z.
# ctriage ran none of this. Review each step, then run it as root on the host that runs the
# containers, in an empty directory: evidence files are written there. No step asks anything;
# a step that fails does not stop the next (some steps are the fallback of the one before).

# One date for every file of this response, even past midnight.
DATE=$(date -u +%Y%m%d)
export DATE

# Bundle samples/dvwa: 9 step(s).

# 1. Record the host-side network interface of dvwa (before pausing)
# Why: asked of the kernel in the container's network namespace (nsenter -n ip: netlink, nothing read from the container's files, nothing run inside it): its eth0's index and its peer's, the host ifindex of its veth, saved to dvwa.ifindex and dvwa.iflink and read back to cut it off later; answers file.account.uid0, file.webshell.php, proc.revshell, file.antiforensics.history and 10 more
nsenter -t "$(docker inspect -f '{{.State.Pid}}' dvwa)" -n ip -o link show eth0 > dvwa.link
cut -d: -f1 dvwa.link > dvwa.ifindex
sed -n 's/^[0-9]*: [^:@]*@if\([0-9]*\):.*/\1/p' dvwa.link > dvwa.iflink
cat dvwa.link

# 2. Freeze dvwa
# Why: pause stops every process in it (cgroup freezer) without losing memory, open connections or files; answers file.account.uid0, file.webshell.php, proc.revshell, file.antiforensics.history and 10 more
docker pause dvwa

# 3. Preserve dvwa as an evidence image
# Why: commit keeps the container's changed files (its top layer) as an image, so the scene survives the kill; answers file.account.uid0, file.webshell.php, proc.revshell, file.antiforensics.history and 10 more
docker commit c2c63d6a99a06d39ec112d229fbdebd4cc600f80ffc4b986400b76b61f5db560 "ctriage-evidence/dvwa:${DATE}"
docker save "ctriage-evidence/dvwa:${DATE}" -o "dvwa-${DATE}.image.tar"
sha256sum "dvwa-${DATE}.image.tar"

# 4. Disconnect dvwa from its networks
# Why: cuts the attacker's channel and any lateral movement; answers file.account.uid0, file.webshell.php, proc.revshell, file.antiforensics.history and 10 more
docker network disconnect bridge dvwa

# 5. Take dvwa's host-side veth down
# Why: if the disconnect fails or the runtime does not answer, the veth recorded in the first step still cuts the container off at the host; only a veth whose peer is the container's eth0 (ip -d says veth, its peer index is the container's eth0, its peer is in another namespace) is taken down, anything else is refused (a macvlan or ipvlan container's eth0 names the host's own interface); the bundle holds no `ip link` capture of the host: the index is checked only when the step runs
# shellcheck disable=SC2016 # the $ is for the runtime's template, awk or sed, not the shell
ip -d -o link | awk -F': ' -v n="$(cat dvwa.iflink)" '$1 == n'
# shellcheck disable=SC2016 # the $ is for the runtime's template, awk or sed, not the shell
VETH=$(ip -d -o link | awk -F': ' -v n="$(cat dvwa.iflink)" -v m="$(cat dvwa.ifindex)" '$1 == n && $2 ~ ("@if" m "$") && / veth / && / link-netns(id)? / {sub(/@.*/, "", $2); print $2}'); if [ -n "$VETH" ]; then ip link set dev "$VETH" down && ip -o link show dev "$VETH"; else printf '%s\n' 'dvwa: refused: the host interface with the recorded index is not a veth whose peer is the container'\''s eth0 (see the line above); nothing was taken down' >&2; fi

# 6. Rotate the secrets in dvwa's environment: MYSQL_ROOT_PASSWORD
# Why: exposure.env-secrets: every process in the container (and the attacker) could read them; change them where they are issued and check their use since the compromise
# No command: this step is done elsewhere (where the secret, account or proxy is managed).

# 7. Block the attacker's addresses
# Why: only what the attack used and that worked: a sender whose attempt succeeded, the hosts a payload or process called back to, payload servers and mining pools (never the container's own addresses, the servers the requests named, loopback, a private or relaying address, --trusted-net): 203.0.113.66: sent webshell requests: Request for a known web shell file name (web shell probing or use) (it succeeded); named by Reverse shell (callback); named by Cryptocurrency miner: /tmp/kdevtmpfsi and 1 more (payload-server); named by Cron job adde…; xmr.pool-minexmr.example: named by Cryptocurrency miner: /tmp/kdevtmpfsi and 1 more (mining-pool); block these host names at the DNS resolver or egress proxy: xmr.pool-minexmr.example
iptables -I DOCKER-USER -d 203.0.113.66 -j DROP
iptables -I DOCKER-USER -s 203.0.113.66 -j DROP

# 8. Hunt for the same indicators on other hosts and containers
# Why: the same exploit is usually sprayed at every exposed host, and the same infrastructure serves every victim; not blocked: 198.51.100.23 (its attempts did not get in: sent Log4Shell JNDI lookup (CVE-2021-44228) (it failed))
grep -rIlF -e 198.51.100.23 -e 203.0.113.66 -e xmr.pool-minexmr.example /var/lib/docker/containers /var/log

# 9. Kill dvwa once its evidence is saved
# Why: last: killing ends the attacker's processes but also loses memory and process state
docker kill -s KILL dvwa
