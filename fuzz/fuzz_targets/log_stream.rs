//! Fuzz target: `ctriage::fuzzing::log_stream` (see the function's doc).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::log_stream(data));
