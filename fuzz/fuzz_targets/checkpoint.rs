//! Fuzz target: CRIU images and container checkpoint archives, `ctriage::fuzzing::criu_image`
//! (the first byte picks the image kind) and `ctriage::fuzzing::checkpoint`.
#![no_main]

const KINDS: &[&str] = &[
    "inventory.img", "pstree.img", "core-1.img", "ids-1.img", "mm-1.img", "pagemap-1.img", "fdinfo-1.img",
    "files.img", "fs-1.img", "tty-info.img", "seccomp.img", "timens-0.img", "stats-dump", "cgroup.img",
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((pick, rest)) = data.split_first() {
        let _ = ctriage::fuzzing::criu_image(KINDS[*pick as usize % KINDS.len()], rest);
    }
    ctriage::fuzzing::checkpoint(data);
});
