//! Integration tests: run the `ctriage` binary on `samples/` and on evidence built in code.
//! One module per area; each says what belongs in it.

mod util;

/// Evidence discovery, sniffing, custody hashes, hostile input, exit codes.
mod evidence;

/// Process captures (docker top / ps formats), process trees, lineage findings, exit codes.
mod processes;
