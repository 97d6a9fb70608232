//! Fuzz target: the data-root readers (Docker, containers-storage JSON, containerd bbolt), `ctriage::fuzzing::data_root`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::data_root(data));
