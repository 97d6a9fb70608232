//! Integration tests: run the `ctriage` binary on `samples/` and on evidence built in code.
//! One module per area; each says what belongs in it.

mod util;

/// Evidence discovery, sniffing, custody hashes, hostile input, exit codes.
mod evidence;

/// Builders for layer tars and image archives used by the image tests.
mod image_build;

/// Layer edge cases on archives built in code.
mod image_layers;

/// The container's own changes, suspicious-file rules and the file timeline.
mod image_container;
