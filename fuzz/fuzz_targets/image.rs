//! Fuzz target: image manifests, indexes and configs. The first byte picks: even, a whole
//! `docker save` / OCI archive built from the rest (`ctriage::fuzzing::image_archive`); odd,
//! a config blob alone (`ctriage::fuzzing::image_config`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| match data.split_first() {
    Some((b, rest)) if b % 2 == 0 => ctriage::fuzzing::image_archive(rest),
    Some((_, rest)) => ctriage::fuzzing::image_config(rest),
    None => {}
});
