//! Fuzz target: the Log4j lookup evaluator (`ctriage::fuzzing::log4j`) and the decoders,
//! HTTP request parser and IOC extractor (`ctriage::fuzzing::decoders`), on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ctriage::fuzzing::log4j(data);
    ctriage::fuzzing::decoders(data);
});
