//! Fuzz target: `ctriage::fuzzing::data_root` (see the function's doc).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::data_root(data));
