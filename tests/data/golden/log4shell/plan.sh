#!/bin/sh
# Response plan written by ctriage 0.1.0 from 1 bundle(s), report time 2025-12-01T00:00:00Z.
# ctriage ran none of this. Review each step, then run it as root on the host that runs the
# containers, in an empty directory: evidence files are written there. No step asks anything;
# a step that fails does not stop the next (some steps are the fallback of the one before).

# One date for every file of this response, even past midnight.
DATE=$(date -u +%Y%m%d)
export DATE

# Bundle samples/log4shell: 10 step(s).

# 1. Record the host-side network interface of log4shell-app (before pausing)
# Why: asked of the kernel in the container's network namespace (nsenter -n ip: netlink, nothing read from the container's files, nothing run inside it): its eth0's index and its peer's, the host ifindex of its veth, saved to log4shell-app.ifindex and log4shell-app.iflink and read back to cut it off later; answers exposure.runtime-socket, file.log4j.rce, file.webshell.jsp, log.log4j.jndi-class-loaded and 12 more
nsenter -t "$(docker inspect -f '{{.State.Pid}}' log4shell-app)" -n ip -o link show eth0 > log4shell-app.link
cut -d: -f1 log4shell-app.link > log4shell-app.ifindex
sed -n 's/^[0-9]*: [^:@]*@if\([0-9]*\):.*/\1/p' log4shell-app.link > log4shell-app.iflink
cat log4shell-app.link

# 2. Freeze log4shell-app
# Why: pause stops every process in it (cgroup freezer) without losing memory, open connections or files; answers exposure.runtime-socket, file.log4j.rce, file.webshell.jsp, log.log4j.jndi-class-loaded and 12 more
docker pause log4shell-app

# 3. Preserve log4shell-app as an evidence image
# Why: commit keeps the container's changed files (its top layer) as an image, so the scene survives the kill; answers exposure.runtime-socket, file.log4j.rce, file.webshell.jsp, log.log4j.jndi-class-loaded and 12 more
docker commit 69cb52f58d006ada2397cbc40585f1ccf3231ed5d5cfb688d5699bbc081e7721 "ctriage-evidence/log4shell-app:${DATE}"
docker save "ctriage-evidence/log4shell-app:${DATE}" -o "log4shell-app-${DATE}.image.tar"
sha256sum "log4shell-app-${DATE}.image.tar"

# 4. Disconnect log4shell-app from its networks
# Why: cuts the attacker's channel and any lateral movement; answers exposure.runtime-socket, file.log4j.rce, file.webshell.jsp, log.log4j.jndi-class-loaded and 12 more
docker network disconnect bridge log4shell-app

# 5. Take log4shell-app's host-side veth down
# Why: if the disconnect fails or the runtime does not answer, the veth recorded in the first step still cuts the container off at the host; only a veth whose peer is the container's eth0 (ip -d says veth, its peer index is the container's eth0, its peer is in another namespace) is taken down, anything else is refused (a macvlan or ipvlan container's eth0 names the host's own interface); the bundle holds no `ip link` capture of the host: the index is checked only when the step runs
# shellcheck disable=SC2016 # the $ is for the runtime's template, awk or sed, not the shell
ip -d -o link | awk -F': ' -v n="$(cat log4shell-app.iflink)" '$1 == n'
# shellcheck disable=SC2016 # the $ is for the runtime's template, awk or sed, not the shell
VETH=$(ip -d -o link | awk -F': ' -v n="$(cat log4shell-app.iflink)" -v m="$(cat log4shell-app.ifindex)" '$1 == n && $2 ~ ("@if" m "$") && / veth / && / link-netns(id)? / {sub(/@.*/, "", $2); print $2}'); if [ -n "$VETH" ]; then ip link set dev "$VETH" down && ip -o link show dev "$VETH"; else printf '%s\n' 'log4shell-app: refused: the host interface with the recorded index is not a veth whose peer is the container'\''s eth0 (see the line above); nothing was taken down' >&2; fi

# 6. Check the host and every other container: an escape is likely
# Why: log4shell-app could reach the host (exposure.runtime-socket); assume the host and its other containers are compromised until shown otherwise
docker ps -a --no-trunc
docker events --since 72h --until "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
docker images --digests --no-trunc
ls -la /etc/cron.d /var/spool/cron /root/.ssh /etc/systemd/system /etc/ld.so.preload
find / -xdev -newer /etc/hostname -type f \( -perm -4000 -o -path '/tmp/*' -o -path '/dev/shm/*' \) -ls 2>/dev/null
last -Faiw | head -50

# 7. Rotate the secrets in log4shell-app's environment: ORDERS_DB_PASSWORD, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
# Why: exposure.env-secrets: every process in the container (and the attacker) could read them; change them where they are issued and check their use since the compromise
# No command: this step is done elsewhere (where the secret, account or proxy is managed).

# 8. Block the attacker's addresses
# Why: only what the attack used and that worked: a sender whose attempt succeeded, the hosts a payload or process called back to, payload servers and mining pools (never the container's own addresses, the servers the requests named, loopback, a private or relaying address, --trusted-net): 203.0.113.66: is the callback of Log4Shell JNDI lookup (CVE-2021-44228) (it succeeded); sent webshell requests: Request to a script with a command parameter (web shell use) (it succeeded); named by Reverse shell (callback); named by Executable in a hidde…
iptables -I DOCKER-USER -d 203.0.113.66 -j DROP
iptables -I DOCKER-USER -s 203.0.113.66 -j DROP

# 9. Hunt for the same indicators on other hosts and containers
# Why: the same exploit is usually sprayed at every exposed host, and the same infrastructure serves every victim; not blocked: 198.51.100.23 (its attempts did not get in: sent Log4Shell JNDI lookup (CVE-2021-44228) (it failed))
grep -rIlF -e 198.51.100.23 -e 203.0.113.66 /var/lib/docker/containers /var/log

# 10. Kill log4shell-app once its evidence is saved
# Why: last: killing ends the attacker's processes but also loses memory and process state
docker kill -s KILL log4shell-app
