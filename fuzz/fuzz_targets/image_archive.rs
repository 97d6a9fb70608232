//! Fuzz target: `ctriage::fuzzing::image_archive` (see the function's doc).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::image_archive(data));
