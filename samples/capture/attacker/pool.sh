#!/bin/sh
# One connection to the attacker's fake mining pool (run by `nc -ll -p 3333 -e`, the socket
# on standard input and output): read the miner's stratum login, log it, answer it, and hold
# the connection open as a pool does.
read -r login
printf 'pool: %s\n' "$login" >&2
printf '{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"1","job":{"blob":"00","job_id":"1","target":"ffffffff"},"status":"OK"}}\n'
exec sleep 100000
