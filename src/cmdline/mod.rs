//! What a command line or a script says: reverse shells (with their callback), downloads
//! piped into a shell, base64-wrapped commands (decoded), miners (by name, options and
//! arguments: pools, wallets), loops that relaunch a shell or a callback, programs run from
//! writable or hidden directories. Pure functions over text, below both their users: the
//! process rules (`analyze::process`) and the dropped-script rules (`image::rules`, fed while
//! a layer streams).

mod actions;
mod loops;
mod miner;

pub(crate) use actions::{
    base64_payloads, download_exec, endpoint_iocs, executed_paths, hidden_dir, in_writable_dir, miner,
    normalize, reverse_shell, tty_upgrade,
};
pub(crate) use loops::{relaunch_loops, Relaunch, Relaunched};
pub(crate) use miner::{miner_args, MinerArgs};
