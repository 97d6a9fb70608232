//! Fuzz target: log framing (text, json-file, CRI, journal export, local), `ctriage::fuzzing::log_stream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::log_stream(data));
