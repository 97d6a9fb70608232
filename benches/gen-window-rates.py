#!/usr/bin/env python3
"""Regenerate src/logscan/window_rates.rs: how often byte windows occur in benign logs, the
model the log prefilter chooses each pattern's window by (src/logscan/prefilter.rs).

Usage: benches/gen-window-rates.py [--check CTRIAGE_BIN [LOG...]]

Families learnt from (each one on its own, so that no family's volume drowns another's):
every file of at least MIN_FAMILY bytes under ../shared/corpus/benign (Apache access and the 15
loghub families: Hadoop, Spark, Zookeeper, OpenSSH, Linux syslog, Mac, Windows, Android,
HDFS, BGL, HPC, Thunderbird, Proxifier, HealthApp, Apache error), src/logscan/benign_sample.txt,
and 4 MiB of each generated mix with its attack lines left out and another seed than the
benches use (benches/gen-mixes.py java-json, access, cri --benign; benches/gen_logs.py's own
bench log, seed changed). A window's rate is the HIGHEST rate (occurrences per MiB) it has in
any one family: a window is rare only when it is rare in every kind of log, not on average.
Smaller files are left out: a rate per MiB from a few KB is noise (l4sd_tests_negative.jsonl,
3 KB of test strings made to look like attacks, made attack words look common).

Output: Rust statics QUADS (4-byte windows) and TRIPLES (3 bytes), each entry KEY << 4 | BUCKET,
and BYTES (1 byte, rate per MiB); KEY is the bytes ASCII-case-folded to 7 bits and packed
little-endian, 7 bits each (prefilter.rs `fold7`/`gram`); BUCKET the bit length (at most 15) of
the highest rate per MiB, rounded up, over the families that hold the window at least MIN_COUNT
times; windows rarer than that (or than MIN_RATE per MiB) everywhere are left out (read as 0).
Deterministic.

--check BIN: also print, per family, how many window hits per MiB (the automaton runs behind
the prefilter) and prefix checks per MiB (positions holding a window's first 3 bytes) with
windows chosen by the old model (benign_sample.txt alone, window hits only) and by this
table, each family once with the table learnt WITHOUT that family (leave-one-out: a family
the table has never seen) and once with all, then the same for each LOG (never learnt from);
BIN gives the patterns (`BIN rules literals`). `ctriage rules cost LOG` measures the real scan.
"""
import glob
import os
import subprocess
import sys
import tempfile
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
OUT = os.path.join(ROOT, "src", "logscan", "window_rates.rs")
MIN_RATE = 4
MIN_COUNT = 3
MIN_FAMILY = 16 << 10
GEN_MIB = 4


def fold7(b):
    if b < 0x20:
        b |= 0x80  # control bytes share codes with UTF-8 continuation bytes, not punctuation
    b |= 0x20
    return ((b & 0xC0) >> 1) | (b & 0x1F)


FOLD = bytes(fold7(i) for i in range(256))


def pack(w):
    v = 0
    for k, c in enumerate(w):
        v |= c << (7 * k)
    return v


def families():
    fams = []
    for f in sorted(glob.glob(os.path.join(SHARED, "corpus", "benign", "**", "*"), recursive=True)):
        if os.path.isfile(f) and not f.endswith("README.md") and os.path.getsize(f) >= MIN_FAMILY:
            fams.append((os.path.relpath(f, SHARED), open(f, "rb").read()))
    if not fams:
        sys.exit("no ../shared/corpus/benign: the table needs it")
    fams.append(("benign_sample.txt", open(os.path.join(ROOT, "src", "logscan", "benign_sample.txt"), "rb").read()))
    with tempfile.TemporaryDirectory() as d:
        for mix in ["java-json", "access", "cri"]:
            p = os.path.join(d, mix)
            subprocess.run([sys.executable, os.path.join(ROOT, "benches", "gen-mixes.py"), mix, p, str(GEN_MIB),
                            "--benign", "--seed", "7"], check=True, stderr=subprocess.DEVNULL)
            fams.append(("gen:" + mix, open(p, "rb").read()))
        p = os.path.join(d, "own")
        # gen_logs.py writes an attack line every ATTACK_EVERY lines: none in 4 MiB at 10**9.
        subprocess.run([sys.executable, os.path.join(ROOT, "benches", "gen_logs.py"), p, str(GEN_MIB), str(10**9)],
                       check=True, stdout=subprocess.DEVNULL)
        fams.append(("gen:own", open(p, "rb").read()))
    return fams


def rates(data):
    """Per-MiB rates of the folded 4-, 3- and 1-byte windows of one family."""
    f = data.translate(FOLD)
    scale = (1 << 20) / max(len(f), 1)
    out = {}
    for n in (4, 3, 1):
        c = Counter(f[i:i + n] for i in range(len(f) - n + 1))
        # A window seen fewer than MIN_COUNT times in a family is noise there (a single
        # occurrence in a 100 KB file is not a rate of 10 per MiB).
        out[n] = {k: v * scale for k, v in c.items() if v >= MIN_COUNT or n == 1}
    return out


def table(fam_rates, skip=None):
    """Highest rate of every window over the families (but `skip`)."""
    t = {4: {}, 3: {}, 1: {}}
    for name, r in fam_rates.items():
        if name == skip:
            continue
        for n in (4, 3, 1):
            tn = t[n]
            for k, v in r[n].items():
                if v > tn.get(k, 0):
                    tn[k] = v
    return t


def bucket(rate):
    """A rate per MiB as the table holds it: 0 when left out, else its bit length (1..15)."""
    r = int(-(-rate // 1))
    return min(15, r.bit_length()) if rate >= MIN_RATE else 0


def write(t):
    """The table as Rust statics sorted by key (binary-searched; nothing parsed at start)."""
    out = ["//! Generated by benches/gen-window-rates.py (do not edit; rerun it to change): how often",
           "//! ASCII-case-folded byte windows occur in benign logs, the model the prefilter chooses each",
           "//! pattern's window by. A window's rate is its highest rate per MiB in any one log family;",
           "//! windows missing are rarer than %d per MiB (or than %d occurrences) in every family." % (MIN_RATE, MIN_COUNT),
           ""]
    counts = {}
    for n, name in ((4, "QUADS"), (3, "TRIPLES")):
        e = sorted((pack(k) << 4) | bucket(r) for k, r in t[n].items() if bucket(r))
        counts[n] = len(e)
        out.append("/// %d-byte windows, sorted: the folded bytes packed little-endian 7 bits each, shifted" % n)
        out.append("/// left by 4, or'ed with the rate's bucket (the bit length of its rate per MiB, at most 15).")
        out.append("#[rustfmt::skip]")
        out.append("pub(super) static %s: [u32; %d] = [" % (name, len(e)))
        for i in range(0, len(e), 10):
            out.append("    " + " ".join("0x%x," % x for x in e[i:i + 10]))
        out.append("];")
        out.append("")
    b = [int(-(-t[1].get(bytes([c]), 0) // 1)) for c in range(128)]
    out.append("/// Single folded bytes: the highest rate per MiB, by folded code.")
    out.append("#[rustfmt::skip]")
    out.append("pub(super) static BYTES: [u32; 128] = [")
    for i in range(0, 128, 16):
        out.append("    " + " ".join("%d," % x for x in b[i:i + 16]))
    out.append("];")
    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")
    print("%s: %d 4-byte and %d 3-byte windows" % (OUT, counts[4], counts[3]), file=sys.stderr)


def cost(q3, q4):
    """prefilter.rs window_cost: checks of the first 3 bytes plus 12 times the automaton runs
    (q3, q4 as bucket-like exponents)."""
    return (1 << q3) + 12 * (1 << q4)


def windows(patterns, q, costed=True):
    """The prefilter's windows (prefilter.rs GramFilter::new), each pattern's 4 bytes with the
    least (cost(q(first 3), q(4 bytes)), sum of q(byte)); q(window, n) says how common a window
    is. Returns (4-byte windows, 3-byte ones), folded."""
    quads, shorts = set(), set()
    for p in patterns:
        f = p.translate(FOLD)
        if len(f) == 2:
            for c in range(128):
                shorts.add(f + bytes([c]))
        elif len(f) == 3:
            shorts.add(f)
        else:
            def key(k):
                q3, q4 = q(f[k:k + 3], 3), q(f[k:k + 4], 4)
                first = (cost(q3, q4),) if costed else (q4, q3)
                return first + (sum(q(f[j:j + 1], 1) for j in range(k, k + 4)),)
            k = min(range(len(f) - 3), key=key)
            quads.add(f[k:k + 4])
    return quads, shorts


def choose(patterns, t):
    """The windows chosen by the table `t`, as the Rust statics hold it."""
    def q(w, n):
        r = t[n].get(w, 0)
        return int(-(-r // 1)) if n == 1 else bucket(r)
    return windows(patterns, q)


def choose_old(patterns, sample):
    """The old model: counts in benign_sample.txt alone (line by line), rarest window first."""
    c = {4: Counter(), 3: Counter(), 1: Counter()}
    for line in sample.split(b"\n"):
        f = line.translate(FOLD)
        for n in (4, 3, 1):
            c[n].update(f[i:i + n] for i in range(len(f) - n + 1))
    return windows(patterns, lambda w, n: c[n][w], costed=False)


def hits(data, quads, shorts, exact=None):
    """Window hits per MiB of `data`: positions where a chosen window starts (a short pattern
    compared exactly, ASCII case ignored, when `exact` lists them, as prefilter.rs does now)."""
    f = data.translate(FOLD)
    low = data.lower()
    scale = (1 << 20) / max(len(f), 1)

    def short(i):
        return f[i:i + 3] in shorts and (exact is None or low[i:i + 2] in exact or low[i:i + 3] in exact)
    n = sum(1 for i in range(len(f) - 2) if short(i) or f[i:i + 4] in quads)
    return n * scale


def checks(data, quads, shorts):
    """Prefix checks per MiB of `data`: positions whose first 3 bytes are a window's (each is
    checked against the 4-byte windows and the short patterns)."""
    f = data.translate(FOLD)
    firsts = shorts | {q[:3] for q in quads}
    return sum(1 for i in range(len(f) - 2) if f[i:i + 3] in firsts) * (1 << 20) / max(len(f), 1)


def main():
    fams = families()
    fam_rates = {name: rates(data) for name, data in fams}
    full = table(fam_rates)
    write(full)
    if len(sys.argv) >= 3 and sys.argv[1] == "--check":
        pats = subprocess.run([sys.argv[2], "rules", "literals"], check=True, capture_output=True).stdout
        patterns = [l for l in pats.split(b"\n") if l]
        sample = open(os.path.join(ROOT, "src", "logscan", "benign_sample.txt"), "rb").read()
        old = choose_old(patterns, sample)
        new = choose(patterns, full)
        exact = {p.lower() for p in patterns if len(p) <= 3}
        print("| family | MiB | window hits/MiB: old | new, family left out | new, all families "
              "| prefix checks/MiB: new, family left out | new, all families |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, data in fams:
            loo = choose(patterns, table(fam_rates, skip=name))
            print("| %s | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f |" % (
                name, len(data) / 2**20, hits(data, *old), hits(data, *loo, exact), hits(data, *new, exact),
                checks(data, *loo), checks(data, *new)))
        for f in sys.argv[3:]:
            # Files the table never saw (their first 16 MiB).
            data = open(f, "rb").read(16 << 20)
            print("| %s (not learnt) | %.2f | %.0f | | %.0f | | %.0f |" % (
                os.path.basename(f), len(data) / 2**20, hits(data, *old), hits(data, *new, exact),
                checks(data, *new)))


if __name__ == "__main__":
    main()
