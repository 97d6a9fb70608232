//! Fuzz target: `docker inspect` JSON, `ctriage::fuzzing::inspect`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::inspect(data));
