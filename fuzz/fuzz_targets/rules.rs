//! Fuzz target: `ctriage::fuzzing::rules` (see the function's doc).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::rules(data));
