//! Fuzz target: the tar / layer walk (plain, gzip, zstd), `ctriage::fuzzing::layer`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::layer(data));
