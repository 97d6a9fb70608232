//! Integration tests: run the `ctriage` binary on `samples/` and on evidence built in code.
//! One module per area; each says what belongs in it.

mod util;

/// Evidence discovery, sniffing, custody hashes, hostile input, exit codes.
mod evidence;

/// Log scanning: signature families, engine invariants, json-file, logs in tars, commands.
mod logs;
