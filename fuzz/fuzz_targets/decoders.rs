//! Fuzz target: `ctriage::fuzzing::decoders` (see the function's doc).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::decoders(data));
