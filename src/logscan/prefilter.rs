//! The bulk prefilter in front of the signature automaton: every automaton pattern is
//! represented by one window (ASCII case folded): its 4 bytes rarest in benign logs of every
//! kind (the rates in `window_rates.rs`, each a window's highest rate in any one log family),
//! or the whole pattern when shorter. A buffer is walked through a 2^21-bit table of the
//! windows' first 3 bytes, hashed (one independent lookup per position, no state carried
//! from byte to byte: 64 positions per block in vector registers where the CPU has AVX-512
//! or AVX2, chosen at run time by `pulp`, eight bytes folded at once otherwise); a hit is
//! checked against a hashed table of the 4-byte windows (or the short patterns, compared
//! exactly: folding makes `*[` look like `*{`) and the window's exact prefix, and only then
//! is the full automaton run, over the few bytes a pattern holding that window can span.
//! [`super::engine::Engine::next_candidate`] keeps the automaton's exact answer: see there.

use std::collections::HashMap;

use super::window_rates::{BYTES, QUADS, TRIPLES};

/// Longest literal a rule may give the automaton (keeps the automaton and the chunk overlap
/// small): rule files are checked against it, Sigma anchors longer are not used.
pub(crate) const MAX_LITERAL: usize = 256;

/// Benign log lines of common formats (access, error, application, syslog, JSON, CRI,
/// Kubernetes, PostgreSQL): one of the families `window_rates.rs` is learnt from, and the
/// engine tests' benign text.
#[cfg(test)]
const BENIGN_SAMPLE: &str = include_str!("benign_sample.txt");

/// A byte case-folded to 7 bits, as the window rates (`window_rates.rs`) and the 4-byte
/// window table key windows: `b | 0x20` (ASCII letters to lower case; other bytes may share a
/// code with one other byte, which only adds false alarms) with bit 5 dropped. A control byte
/// is first moved to 0x80-0x9f, sharing its code with UTF-8 continuation bytes rather than
/// with punctuation (`\n{` must not look like `*{`). The scan itself folds with [`fold8`].
const fn fold7(b: u8) -> u8 {
    let b = if b < 0x20 { b | 0x80 } else { b } | 0x20;
    ((b & 0xc0) >> 1) | (b & 0x1f)
}

const FOLD: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = fold7(i as u8);
        i += 1;
    }
    t
};

/// Key of the window prefix starting at `w[0]` (`w` holds at least 3 bytes): the bytes
/// folded by [`fold7`] in little-endian order, 7 bits each (`window_rates.rs` keys, spans).
#[inline(always)]
fn gram(w: &[u8]) -> usize {
    FOLD[w[0] as usize] as usize | (FOLD[w[1] as usize] as usize) << 7 | (FOLD[w[2] as usize] as usize) << 14
}

/// The scan's fold of eight bytes at once (little-endian): bit 5 set in every byte whose bit 6
/// is, so an ASCII letter reads as its lower case (and `@[\\]^_` as `` `{|}~ ``, a UTF-8 lead
/// byte as another); control bytes and punctuation stay apart (`\n{` is not `*{`).
#[inline(always)]
fn fold8(w: u64) -> u64 {
    w | ((w & 0x4040_4040_4040_4040) >> 1)
}

/// [`fold8`] of one byte.
const fn fold1(b: u8) -> u8 {
    b | ((b & 0x40) >> 1)
}

/// Table slot of a window prefix: its three bytes as [`fold8`] leaves them, little-endian in
/// the low 24 bits of `x` (higher bits ignored), hashed to 21 bits: multiplying by an odd
/// number permutes the 24-bit values (higher bits of `x` only reach the product's bits 24 and
/// up), and the slot is the product's bits 3-23, 8 values to a slot. Two prefixes may share a
/// slot, which only adds checks.
#[inline(always)]
fn slot(x: u64) -> usize {
    ((x as u32).wrapping_mul(0x9e37_79b1) >> 3) as usize & ((1 << 21) - 1)
}

/// [`slot`] of the prefix at `w[0]` (`w` holds at least 3 bytes).
#[inline(always)]
fn prefix_slot(w: &[u8]) -> usize {
    slot(fold1(w[0]) as u64 | (fold1(w[1]) as u64) << 8 | (fold1(w[2]) as u64) << 16)
}

/// Table index of the 4-byte window at `w[0]`: its folded bytes hashed to 21 bits.
#[inline(always)]
fn quad(w: &[u8]) -> usize {
    let x = gram(w) as u32 | (FOLD[w[3] as usize] as u32) << 21;
    (x.wrapping_mul(0x9e37_79b1) >> 11) as usize
}

/// The key of a window of 3 or 4 bytes in `window_rates.rs`: its folded bytes packed.
fn rate_key(w: &[u8]) -> u32 {
    w.iter().enumerate().fold(0, |k, (i, &c)| k | (FOLD[c as usize] as u32) << (7 * i))
}

/// How common the window `w` (3 or 4 bytes) is in benign logs: the bucket of its highest
/// rate per MiB in any log family (0: rarer than the table holds).
fn window_rate(w: &[u8]) -> u32 {
    let table: &[u32] = if w.len() == 4 { &QUADS } else { &TRIPLES };
    let key = rate_key(w);
    table.binary_search_by_key(&key, |e| e >> 4).map_or(0, |i| table[i] & 15)
}

/// What a 4-byte window costs per MiB of benign log, in prefix checks: its first 3 bytes'
/// rate (each occurrence is checked) plus 12 times its own (each runs the automaton). A
/// bucket stands for the rate's bit length; a window missing from the table (rarer than 4 per
/// MiB) counts 1.
fn window_cost(w: &[u8]) -> u64 {
    let rate = |bucket: u32| 1u64 << bucket;
    rate(window_rate(&w[..3])) + 12 * rate(window_rate(w))
}

/// Where the window of a pattern of 4 bytes or more starts: the window costing least in
/// benign logs of every kind (its first 3 bytes are checked against the windows wherever they
/// occur, and where the window itself occurs the automaton runs, about 12 times a check);
/// then the rarest bytes.
fn window_start(p: &[u8]) -> usize {
    (0..p.len().saturating_sub(3))
        .min_by_key(|&k| {
            let w = &p[k..k + 4];
            let bytes: u64 = w.iter().map(|&c| BYTES[FOLD[c as usize] as usize] as u64).sum();
            (window_cost(w), bytes)
        })
        .unwrap_or(0)
}

/// The first 3 bytes of `pattern`'s window (a 2-byte pattern: its 2 bytes), folded, as the
/// census counts them: what `rules cost --windows` names.
pub(crate) fn window_prefix(pattern: &[u8]) -> Vec<u8> {
    let start = if pattern.len() >= 4 { window_start(pattern) } else { 0 };
    pattern[start..].iter().take(3).map(|b| b.to_ascii_lowercase()).collect()
}

/// Counts of what the prefilter did while a stream was scanned (`rules cost` shows them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterStats {
    /// Positions whose first 3 bytes are a window's (checked against the 4-byte windows).
    pub prefix_hits: u64,
    /// Positions where a window starts: the automaton runs over the bytes around them.
    pub window_hits: u64,
    /// Automaton matches (literal or decode anchor): records evaluated rule by rule.
    pub candidates: u64,
}

impl FilterStats {
    /// Add `other`'s counts.
    pub(crate) fn add(&mut self, other: &FilterStats) {
        self.prefix_hits += other.prefix_hits;
        self.window_hits += other.window_hits;
        self.candidates += other.candidates;
    }
}

/// Index of two bytes, ASCII lower-cased, in a 2^16-bit table.
fn pair(w: &[u8]) -> usize {
    (w[0].to_ascii_lowercase() as usize) << 8 | w[1].to_ascii_lowercase() as usize
}

fn set(t: &mut [u64], g: usize) {
    t[g >> 6] |= 1 << (g & 63);
}

#[inline(always)]
fn get(t: &[u64], g: usize) -> bool {
    t[(g >> 6) & (TABLE_WORDS - 1)] >> (g & 63) & 1 != 0
}

const TABLE_WORDS: usize = (1 << 21) / 64;

/// The window-prefix table in 32-bit words (what a vector gather loads).
const PREFIX_WORDS: usize = (1 << 21) / 32;

/// Positions tested per block by [`prefix_mask`].
const BLOCK: usize = 64;

/// Windows of the automaton's patterns, with how far a pattern holding each window extends.
#[derive(Debug)]
pub(crate) struct GramFilter {
    /// First 3 bytes of every window (a 2-byte pattern: itself and any byte), by [`slot`].
    bits: Box<[u32; PREFIX_WORDS]>,
    /// The vector instructions this CPU has (detected at run time): with AVX2 or AVX-512
    /// the prefix table is read 64 positions at a time ([`Blocks`]), without them eight
    /// bytes at a time.
    arch: pulp::Arch,
    /// Windows of 3 bytes or less (whole short patterns), by [`slot`].
    short: Box<[u64; TABLE_WORDS]>,
    /// The short patterns themselves (ASCII lower case), to rule out folding's false
    /// alarms: 2-byte ones as a 2^16-bit table, 3-byte ones sorted.
    short2: Box<[u64]>,
    short3: Vec<[u8; 3]>,
    /// 4-byte windows, hashed.
    quad: Box<[u64]>,
    /// Per window: (most bytes a pattern starts before it, most bytes from its start to a
    /// pattern's end).
    spans: HashMap<u32, (u32, u32)>,
    /// The most bytes any pattern starts before its window.
    pub max_pre: usize,
}

impl GramFilter {
    /// Windows for `patterns` (each at least 2 bytes; None otherwise). A 2-byte pattern is
    /// represented by every window it starts (itself followed by any byte); a pattern at the
    /// very end of a buffer, where no window starts, is the caller's business.
    pub(crate) fn new(patterns: &[Vec<u8>]) -> Option<Self> {
        if patterns.iter().any(|p| p.len() < 2) {
            return None;
        }
        let table = || vec![0u64; TABLE_WORDS].into_boxed_slice();
        let slots = || Box::new([0u64; TABLE_WORDS]);
        let mut f = GramFilter {
            bits: Box::new([0u32; PREFIX_WORDS]),
            arch: pulp::Arch::new(),
            short: slots(),
            short2: vec![0u64; (1 << 16) / 64].into_boxed_slice(),
            short3: Vec::new(),
            quad: table(),
            spans: HashMap::new(),
            max_pre: 0,
        };
        for p in patterns {
            match p.len() {
                2 => {
                    set(&mut f.short2, pair(p));
                    for c in 0..=255u8 {
                        let w = [p[0], p[1], c];
                        set(&mut f.short[..], prefix_slot(&w));
                        f.add(&w, 0, 2);
                    }
                }
                3 => {
                    f.short3.push([p[0], p[1], p[2]].map(|c| c.to_ascii_lowercase()));
                    set(&mut f.short[..], prefix_slot(p));
                    f.add(p, 0, 3);
                }
                n => {
                    let k = window_start(p);
                    set(&mut f.quad, quad(&p[k..]));
                    f.add(&p[k..], k, n - k);
                }
            }
        }
        f.short3.sort_unstable();
        f.short3.dedup();
        Some(f)
    }

    /// Add the window starting at `w[0]`: `pre` bytes of its pattern before it, `end` from
    /// its start to the pattern's end.
    fn add(&mut self, w: &[u8], pre: usize, end: usize) {
        let g = prefix_slot(w);
        self.bits[g >> 5] |= 1 << (g & 31);
        let e = self.spans.entry(gram(w) as u32).or_insert((0, 0));
        e.0 = e.0.max(pre as u32);
        e.1 = e.1.max(end as u32);
        self.max_pre = self.max_pre.max(pre);
    }

    /// The first position at or after `from` where a window starts, with its span
    /// (bytes before, bytes from there to the end of the longest pattern holding it).
    #[inline]
    pub(crate) fn next_hit(
        &self,
        hay: &[u8],
        from: usize,
        stats: &mut FilterStats,
    ) -> Option<(usize, usize, usize)> {
        let (q, (pre, end)) = self.first_window(hay, from, stats)?;
        stats.window_hits += 1;
        Some((q, pre as usize, end as usize))
    }

    /// Whether a window's prefix has slot `g` (< 2^21): 1 or 0.
    #[inline(always)]
    fn test(&self, g: usize) -> u32 {
        self.bits[g >> 5] >> (g & 31) & 1
    }

    /// The span of the window starting at `q` (where the table found a window's prefix), if
    /// one does: a short pattern, a 4-byte window, or too close to the end for the fourth
    /// byte; and the first 3 bytes are a window's (the table's slot may be another prefix's).
    #[inline]
    fn window_at(&self, hay: &[u8], q: usize) -> Option<(u32, u32)> {
        let window = (get(&self.short[..], prefix_slot(&hay[q..])) && self.short_at(hay, q))
            || hay.get(q..q + 4).is_none_or(|w| get(&self.quad, quad(w)));
        window.then(|| self.spans.get(&(gram(&hay[q..]) as u32)).copied()).flatten()
    }

    /// The last two bytes of `hay` (at or after `from`) as a span, when they are a 2-byte
    /// pattern (ASCII case ignored): there no window starts, so the windows cannot find it.
    pub(crate) fn short_tail(&self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        let tail = hay.len().saturating_sub(2).max(from);
        let w = hay.get(tail..).unwrap_or_default();
        (w.len() == 2 && get(&self.short2, pair(w))).then_some((tail, hay.len()))
    }

    /// Whether a short pattern itself (ASCII case ignored) starts at `q` (`q + 3 <= len`).
    fn short_at(&self, hay: &[u8], q: usize) -> bool {
        let w = [hay[q], hay[q + 1], hay[q + 2]].map(|c| c.to_ascii_lowercase());
        get(&self.short2, pair(&w)) || self.short3.binary_search(&w).is_ok()
    }

    /// Per window prefix (first 3 bytes, as the table holds them), how many positions of
    /// `hay` hold it and how many of those start a window: where a log's prefilter cost goes.
    pub(crate) fn census(&self, hay: &[u8], counts: &mut HashMap<Vec<u8>, (u64, u64)>) {
        for q in 0..hay.len().saturating_sub(2) {
            if self.test(prefix_slot(&hay[q..])) != 0 {
                // Named by the bytes as written, lower-cased (the table folds a little more).
                let key = hay[q..q + 3].iter().map(|b| b.to_ascii_lowercase()).collect();
                let c = counts.entry(key).or_default();
                c.0 += 1;
                c.1 += self.window_at(hay, q).is_some() as u64;
            }
        }
    }

    /// The first window among the prefix hits `hit` (bit j: position `at + j`), each counted.
    #[inline(always)]
    fn first_in_mask(
        &self,
        hay: &[u8],
        at: usize,
        mut hit: u64,
        stats: &mut FilterStats,
    ) -> Option<(usize, (u32, u32))> {
        while hit != 0 {
            let q = at + hit.trailing_zeros() as usize;
            stats.prefix_hits += 1;
            if let Some(span) = self.window_at(hay, q) {
                return Some((q, span));
            }
            hit &= hit - 1;
        }
        None
    }

    /// The first window at or after `from`: 64 positions at a time in vector registers
    /// ([`Blocks`]) or, without them, eight bytes at a time (six windows' first 3 bytes per
    /// load, tested without a branch), then byte by byte for the last windows.
    fn first_window(&self, hay: &[u8], from: usize, stats: &mut FilterStats) -> Option<(usize, (u32, u32))> {
        if !matches!(self.arch, pulp::Arch::Scalar) {
            return self.arch.dispatch(Blocks { filter: self, hay, from, stats });
        }
        let mut i = from;
        while let Some(chunk) = hay.get(i..i + 8) {
            let f = fold8(u64::from_le_bytes(chunk.try_into().ok()?));
            let hit = self.test(slot(f))
                | self.test(slot(f >> 8)) << 1
                | self.test(slot(f >> 16)) << 2
                | self.test(slot(f >> 24)) << 3
                | self.test(slot(f >> 32)) << 4
                | self.test(slot(f >> 40)) << 5;
            if let Some(found) = self.first_in_mask(hay, i, hit as u64, stats) {
                return Some(found);
            }
            i += 6;
        }
        let tail = hay.get(i..)?;
        (0..tail.len().saturating_sub(2)).map(|k| k + i).find_map(|q| {
            if self.test(prefix_slot(&hay[q..])) == 0 {
                return None;
            }
            stats.prefix_hits += 1;
            self.window_at(hay, q).map(|span| (q, span))
        })
    }
}

/// Which of the 64 positions of `b` start a window's prefix (bit j: position j), by the
/// table `bits`: each position's 3 bytes folded ([`fold8`]'s fold, per byte), [`slot`]ted
/// and looked up. Written as three plain loops over arrays so that the compiler, given
/// AVX-512 ([`Blocks`]), turns them into vector multiplies and gathers, 16 positions per
/// instruction; with AVX2 it still computes the slots in vectors.
#[inline(always)]
fn prefix_mask(bits: &[u32; PREFIX_WORDS], b: &[u8; BLOCK + 2]) -> u64 {
    let mut folded = [0u32; BLOCK];
    for (j, x) in folded.iter_mut().enumerate() {
        *x = fold1(b[j]) as u32 | (fold1(b[j + 1]) as u32) << 8 | (fold1(b[j + 2]) as u32) << 16;
    }
    let mut words = [0u32; BLOCK];
    for (w, &x) in words.iter_mut().zip(&folded) {
        let s = slot(x as u64);
        *w = bits[s >> 5] >> (s & 31);
    }
    let mut mask = 0u64;
    for (j, &w) in words.iter().enumerate() {
        mask |= ((w & 1 != 0) as u64) << j;
    }
    mask
}

/// [`GramFilter::first_window`] 64 positions at a time, run by `pulp` with the widest vector
/// instructions the CPU has.
struct Blocks<'a> {
    filter: &'a GramFilter,
    hay: &'a [u8],
    from: usize,
    stats: &'a mut FilterStats,
}

impl pulp::WithSimd for Blocks<'_> {
    type Output = Option<(usize, (u32, u32))>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        let Blocks { filter, hay, from, stats } = self;
        let mut i = from;
        let mut padded = [0u8; BLOCK + 2];
        // Every position with 3 bytes from it: the last block is the tail copied into
        // zeros, the positions reaching past the end left out of its mask.
        while i + 2 < hay.len() {
            let rest = &hay[i..];
            let (block, valid) = match rest.first_chunk::<{ BLOCK + 2 }>() {
                Some(block) => (block, u64::MAX),
                None => {
                    padded[..rest.len()].copy_from_slice(rest);
                    (&padded, (1u64 << (rest.len() - 2)) - 1)
                }
            };
            let hit = prefix_mask(&filter.bits, block) & valid;
            if let Some(found) = filter.first_in_mask(hay, i, hit, stats) {
                return Some(found);
            }
            i += BLOCK;
        }
        None
    }
}

/// The benign sample, for the engine's tests.
#[cfg(test)]
pub(crate) fn tests_sample() -> &'static [u8] {
    BENIGN_SAMPLE.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_words_give_the_byte_by_byte_slots() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).chain(*b"${JNDI:ldap://x/}").collect();
        for i in 0..data.len() - 8 {
            let f = fold8(u64::from_le_bytes(data[i..i + 8].try_into().unwrap()));
            for j in 0..6 {
                assert_eq!(slot(f >> (8 * j)), prefix_slot(&data[i + j..]), "{i} {j}");
            }
        }
        assert_eq!(prefix_slot(b"JnD"), prefix_slot(b"jnd"));
        assert!(prefix_slot(b"JnD") < 1 << 21);
        // Letters fold to lower case; control bytes, digits and punctuation stay themselves.
        for b in 0..=255u8 {
            let want = if b.is_ascii_alphabetic() { b.to_ascii_lowercase() } else { fold1(b) };
            assert_eq!(fold1(b), want, "{b:#x}");
            assert!(b & 0x40 != 0 || fold1(b) == b, "{b:#x}");
        }
    }

    #[test]
    fn a_prefix_sharing_a_windows_slot_is_not_taken_for_it() {
        // The 24-bit values sharing the slot of `jnd` (the only window of `jndi`): the slot
        // is bits 3-23 of value x K, so they are (slot << 3 | r) / K modulo 2^24.
        let k: u32 = 0x9e37_79b1;
        let inv = (0..5).fold(k, |y, _| y.wrapping_mul(2u32.wrapping_sub(k.wrapping_mul(y))));
        assert_eq!(k.wrapping_mul(inv), 1);
        let s = prefix_slot(b"jnd");
        let twins: Vec<[u8; 3]> = (0..8u32)
            .map(|r| ((s as u32) << 3 | r).wrapping_mul(inv) & 0x00ff_ffff)
            .map(|x| [x as u8, (x >> 8) as u8, (x >> 16) as u8])
            .filter(|w| w.iter().all(|&b| fold1(b) == b) && gram(w) != gram(b"jnd"))
            .collect();
        assert!(!twins.is_empty());
        let f = GramFilter::new(&[b"jndi".to_vec()]).unwrap();
        for w in twins {
            assert_eq!(prefix_slot(&w), s);
            // At the end of a buffer a prefix is a window without its fourth byte: the
            // prefix itself must be a window's.
            for hay in [[&b"xx"[..], &w].concat(), [&w[..], b"i", b"xx"].concat()] {
                let mut st = FilterStats::default();
                assert_eq!(f.next_hit(&hay, 0, &mut st), None, "{hay:?}");
                assert_eq!(st.prefix_hits, 1);
            }
        }
    }

    #[test]
    fn short_patterns_are_compared_exactly_not_folded() {
        let pats: Vec<Vec<u8>> = [&b"*{"[..], b"%2f", b"jndi:"].iter().map(|p| p.to_vec()).collect();
        let f = GramFilter::new(&pats).unwrap();
        let mut st = FilterStats::default();
        // `*[` folds like `*{`: a prefix hit, no window. A line's `\n{` does not (control
        // bytes fold apart from punctuation): the start of every JSON line is not checked.
        let hay = b"{\"log\":\"a\"}\n{\"log\":\"*[x %2o\"}\n{\"log\":\"b\"}\n";
        assert_eq!(f.next_hit(hay, 0, &mut st), None);
        assert!(st.prefix_hits == 1 && st.window_hits == 0, "{st:?}");
        let mut json = FilterStats::default();
        assert_eq!(f.next_hit(&b"{\"log\":\"a\"}\n".repeat(10), 0, &mut json), None);
        assert_eq!(json.prefix_hits, 0, "{json:?}");
        for (hay, at) in [(&b"xx*{yy"[..], 2), (b"a *{ ", 2), (b"GET /%2F..", 5), (b"x JNDI:y", 2)] {
            // Where the pattern holding the window found starts.
            let start = f.next_hit(hay, 0, &mut st).map(|(q, pre, _)| q - pre);
            assert_eq!(start, Some(at), "{:?}", String::from_utf8_lossy(hay));
        }
        assert_eq!(st.window_hits, 4);
        assert_ne!(fold1(b'\n'), fold1(b'*'));
        assert_ne!(fold7(b'\n'), fold7(b'*'));
    }

    /// The instruction sets this CPU has, as `pulp` dispatches them: plain code first.
    fn arches() -> Vec<pulp::Arch> {
        #[allow(unused_mut)]
        let mut arches = vec![pulp::Arch::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            arches.extend(pulp::x86::V3::try_new().map(pulp::Arch::V3));
            arches.extend(pulp::x86::V4::try_new().map(pulp::Arch::V4));
        }
        arches
    }

    #[test]
    fn a_block_mask_is_the_table_read_at_each_position() {
        let lits = crate::logscan::engine::Engine::with_rule_files(&[]).unwrap().literals().to_vec();
        let f = GramFilter::new(&lits).unwrap();
        let mut rng = crate::test_rng::Rng(0x2545_f491_4f6c_dd1d);
        let benign = tests_sample();
        for round in 0..2000 {
            // Random bytes of every value, benign text, and window prefixes in random case.
            let mut b = [0u8; BLOCK + 2];
            for (j, c) in b.iter_mut().enumerate() {
                *c = match round % 3 {
                    0 => rng.below(256) as u8,
                    1 => benign[(round * 61 + j) % benign.len()],
                    _ => {
                        let l = &lits[rng.below(lits.len())];
                        let c = l[rng.below(l.len())];
                        if rng.below(2) == 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    }
                };
            }
            let want = (0..BLOCK).fold(0u64, |m, j| m | (f.test(prefix_slot(&b[j..])) as u64) << j);
            assert_eq!(prefix_mask(&f.bits, &b), want, "round {round}: {b:?}");
        }
    }

    #[test]
    fn every_instruction_set_finds_the_same_windows() {
        let lits = crate::logscan::engine::Engine::with_rule_files(&[]).unwrap().literals().to_vec();
        let filters: Vec<GramFilter> =
            arches().into_iter().map(|arch| GramFilter { arch, ..GramFilter::new(&lits).unwrap() }).collect();
        assert!(matches!(filters[0].arch, pulp::Arch::Scalar));
        let benign = tests_sample();
        let mut rng = crate::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..40 {
            // Lengths around the block size and its multiples, so that windows fall on block
            // edges and in the tail the blocks leave.
            let len = [1, 3, 65, 66, 67, 130, 131, 200 + 37 * round][round % 8];
            let hay: Vec<u8> = (0..len)
                .map(|j| match rng.below(4) {
                    0 => rng.below(256) as u8,
                    1 => {
                        let l = &lits[rng.below(lits.len())];
                        l[rng.below(l.len())].to_ascii_uppercase()
                    }
                    _ => benign[(round * 997 + j) % benign.len()],
                })
                .collect();
            for from in 0..=hay.len() {
                let runs: Vec<_> = filters
                    .iter()
                    .map(|f| {
                        let mut st = FilterStats::default();
                        (f.next_hit(&hay, from, &mut st), st)
                    })
                    .collect();
                assert!(runs.iter().all(|r| *r == runs[0]), "round {round} from {from}: {runs:?}");
            }
        }
    }

    #[test]
    fn window_rates_are_sorted_and_read_by_their_key() {
        for t in [&QUADS[..], &TRIPLES[..]] {
            assert!(t.windows(2).all(|w| w[0] >> 4 < w[1] >> 4));
            assert!(t.iter().all(|e| e & 15 != 0));
        }
        // The key packs the folded bytes as `gram` and `quad` read them.
        assert_eq!(rate_key(b"Get") as usize, gram(b"gEt"));
        // Words of every log are common, attack words are not.
        for common in [&b"http"[..], b" GET", b"INFO", b"0000", b"tion"] {
            assert!(window_rate(common) >= 8, "{:?}", String::from_utf8_lossy(common));
        }
        for rare in [&b"jndi"[..], b"${jn", b"mkfi", b"xmri", b"/tcp"] {
            assert_eq!(window_rate(&rare[..4]), 0, "{:?}", String::from_utf8_lossy(rare));
        }
        assert!(BYTES[FOLD[b'e' as usize] as usize] > BYTES[FOLD[b'{' as usize] as usize]);
        // A window is chosen by what it costs: `getr` is a rare window, but `get` starts half
        // the words of a web log and would be checked at each.
        let f = GramFilter::new(&[b"getruntime".to_vec()]).unwrap();
        assert!(f.spans.len() == 1 && !f.spans.contains_key(&(gram(b"get") as u32)));
        assert!(
            window_cost(b"getr") > window_cost(b"runt"),
            "{} {}",
            window_cost(b"getr"),
            window_cost(b"runt")
        );
    }
}
