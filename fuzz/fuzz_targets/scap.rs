//! Fuzz target: a sysdig / Falco capture (libscap savefile), `ctriage::fuzzing::scap`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::scap(data));
