//! The `ctriage` binary: parse arguments, run, exit with the documented code.

use clap::Parser;

fn main() {
    let code = match ctriage::commands::Cli::try_parse() {
        Ok(cli) => ctriage::commands::run(cli),
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => {
            println!("ctriage {}", ctriage::commands::long_version());
            0
        }
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                ctriage::exit::EXIT_USAGE
            } else {
                0
            }
        }
    };
    std::process::exit(code);
}
