//! Fuzz target: the small captures. The first byte picks: 3, `docker top` / `ps`
//! (`ctriage::fuzzing::top`); otherwise stats, diff or ps listings by its value mod 3
//! (`ctriage::fuzzing::captures`, which reads the same byte).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| match data.split_first() {
    Some((3, rest)) => ctriage::fuzzing::top(rest),
    Some(_) => ctriage::fuzzing::captures(data),
    None => {}
});
