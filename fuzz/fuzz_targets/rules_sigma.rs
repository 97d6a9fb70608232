//! Fuzz target: the first byte picks the rule-file parser (even, `ctriage::fuzzing::rules`)
//! or the Sigma loader (odd, `ctriage::fuzzing::sigma`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| match data.split_first() {
    Some((b, rest)) if b % 2 == 0 => ctriage::fuzzing::rules(rest),
    Some((_, rest)) => ctriage::fuzzing::sigma(rest),
    None => {}
});
