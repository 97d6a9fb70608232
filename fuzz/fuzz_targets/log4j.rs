//! Fuzz target: `ctriage::fuzzing::log4j` (see the function's doc).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::log4j(data));
