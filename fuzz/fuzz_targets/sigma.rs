//! Fuzz target: `ctriage::fuzzing::sigma` (see the function's doc).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::sigma(data));
