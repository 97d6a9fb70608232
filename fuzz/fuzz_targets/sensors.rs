//! Fuzz target: runtime sensor exports (`ctriage::fuzzing::sensors`): the first byte picks
//! Tetragon, Falco alerts, Sysmon for Linux or the audit log; the rest is the export.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ctriage::fuzzing::sensors(data));
