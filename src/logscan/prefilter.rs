//! The bulk prefilter in front of the signature automaton: every automaton pattern is
//! represented by one 3-byte window (ASCII case folded), the one rarest in a sample of benign
//! log lines; a buffer is walked through a 2^21-bit table of those windows (one independent
//! lookup per byte, no state carried from byte to byte), and only where a window occurs is
//! the full automaton run, over the few bytes a pattern holding that window can span.
//! [`super::engine::Engine::next_candidate`] keeps the automaton's exact answer: see there.

use std::collections::HashMap;

/// Benign log lines of common formats (access, error, application, syslog, JSON, CRI,
/// Kubernetes, PostgreSQL): the frequency model windows are chosen by.
const BENIGN_SAMPLE: &str = include_str!("benign_sample.txt");

/// A byte case-folded to 7 bits: `b | 0x20` (ASCII letters to lower case; other bytes may
/// share a code with one other byte, which only adds false alarms) with bit 5 dropped.
const fn fold7(b: u8) -> u8 {
    let b = b | 0x20;
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

/// Table index of the window starting at `w[0]` (`w` holds at least 3 bytes).
#[inline(always)]
fn gram(w: &[u8]) -> usize {
    (FOLD[w[0] as usize] as usize) << 14 | (FOLD[w[1] as usize] as usize) << 7 | FOLD[w[2] as usize] as usize
}

const TABLE_WORDS: usize = (1 << 21) / 64;

/// Windows of the automaton's patterns, with how far a pattern holding each window extends.
#[derive(Debug)]
pub struct GramFilter {
    bits: Box<[u64]>,
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
    pub fn new(patterns: &[Vec<u8>]) -> Option<Self> {
        if patterns.iter().any(|p| p.len() < 2) {
            return None;
        }
        let mut freq: HashMap<usize, u32> = HashMap::new();
        let mut byte_freq = [0u32; 128];
        for line in BENIGN_SAMPLE.lines() {
            let b = line.as_bytes();
            for w in b.windows(3) {
                *freq.entry(gram(w)).or_default() += 1;
            }
            for &c in b {
                byte_freq[FOLD[c as usize] as usize] += 1;
            }
        }
        let mut f = GramFilter {
            bits: vec![0u64; TABLE_WORDS].into_boxed_slice(),
            spans: HashMap::new(),
            max_pre: 0,
        };
        for p in patterns {
            if p.len() == 2 {
                for c in 0..=255u8 {
                    f.add(gram(&[p[0], p[1], c]), 0, 2);
                }
                continue;
            }
            // The rarest window: fewest occurrences in the sample, then the rarest bytes.
            let k = (0..p.len() - 2)
                .min_by_key(|&k| {
                    let w = &p[k..k + 3];
                    let bytes: u32 = w.iter().map(|&c| byte_freq[FOLD[c as usize] as usize]).sum();
                    (freq.get(&gram(w)).copied().unwrap_or(0), bytes)
                })
                .unwrap_or(0);
            f.add(gram(&p[k..]), k, p.len() - k);
        }
        Some(f)
    }

    fn add(&mut self, g: usize, pre: usize, end: usize) {
        self.bits[g >> 6] |= 1 << (g & 63);
        let e = self.spans.entry(g as u32).or_insert((0, 0));
        e.0 = e.0.max(pre as u32);
        e.1 = e.1.max(end as u32);
        self.max_pre = self.max_pre.max(pre);
    }

    /// The first position at or after `from` where a window starts, with its span
    /// (bytes before, bytes from there to the end of the longest pattern holding it).
    #[inline]
    pub fn next_hit(&self, hay: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        let bits = &self.bits[..TABLE_WORDS];
        let tail = hay.get(from..)?;
        let q = tail.windows(3).position(|w| {
            let g = gram(w);
            bits[(g >> 6) & (TABLE_WORDS - 1)] >> (g & 63) & 1 != 0
        })? + from;
        let (pre, end) = self.spans[&(gram(&hay[q..]) as u32)];
        Some((q, pre as usize, end as usize))
    }
}

/// The benign sample, for the engine's tests.
#[cfg(test)]
pub fn tests_sample() -> &'static [u8] {
    BENIGN_SAMPLE.as_bytes()
}
