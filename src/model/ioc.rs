//! Indicators an observation carries: kind, value and the role they play there.

use serde::Serialize;

/// Kind of indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IocKind {
    Ip,
    Domain,
    Url,
    Port,
    /// `host:port` (`[v6]:port` for IPv6): where a callback, download or pool connects.
    Endpoint,
    /// A cryptocurrency wallet address (Monero; Bitcoin and Ethereum next to miner words).
    Wallet,
    /// An SSH public key: `SHA256:<fingerprint> <comment>` as `ssh-keygen -l` prints it.
    SshKey,
    /// The SHA-256 of a file the attacker left.
    Sha256,
}

impl IocKind {
    /// The name used in reports: `ip`, `domain`, `url`, `port`, `endpoint`, `wallet`,
    /// `ssh-key`, `sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            IocKind::Ip => "ip",
            IocKind::Domain => "domain",
            IocKind::Url => "url",
            IocKind::Port => "port",
            IocKind::Endpoint => "endpoint",
            IocKind::Wallet => "wallet",
            IocKind::SshKey => "ssh-key",
            IocKind::Sha256 => "sha256",
        }
    }
}

impl std::fmt::Display for IocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The roles an indicator plays (one word each, the `role` of [`IocRef`]).
pub mod role {
    /// The client address of a logged request.
    pub const REQUEST_SOURCE: &str = "request-source";
    /// Where a lookup, reverse shell or implant connects back to.
    pub const CALLBACK: &str = "callback";
    /// Where a payload is downloaded from.
    pub const PAYLOAD_SERVER: &str = "payload-server";
    /// A miner's pool.
    pub const MINING_POOL: &str = "mining-pool";
    /// A miner's payout address.
    pub const WALLET: &str = "wallet";
    /// A public key that opens a login.
    pub const SSH_KEY: &str = "ssh-key";
    /// A file the attacker left.
    pub const DROPPED_FILE: &str = "dropped-file";
    /// The client address of a Kubernetes API request (an audit event's `sourceIPs`).
    pub const API_CLIENT: &str = "api-client";
    /// Named without saying what it does (an address in a record or a command).
    pub const MENTIONED: &str = "mentioned";

    /// Whether a host in this role did something for the attacker (a callback, a payload
    /// server, a pool), as opposed to being named or sending a request.
    pub fn is_active(role: &str) -> bool {
        matches!(role, CALLBACK | PAYLOAD_SERVER | MINING_POOL)
    }

    /// Rank for picking the one role an indicator is listed under (lower first).
    pub fn rank(role: &str) -> u8 {
        match role {
            SSH_KEY => 0,
            WALLET => 1,
            DROPPED_FILE => 2,
            MINING_POOL => 3,
            CALLBACK => 4,
            PAYLOAD_SERVER => 5,
            REQUEST_SOURCE | API_CLIENT => 6,
            MENTIONED => 8,
            _ => 7,
        }
    }
}

/// One indicator seen in one observation, with the role it plays there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IocRef {
    #[serde(rename = "type")]
    pub kind: IocKind,
    pub value: String,
    /// One of [`role`]: `request-source`, `api-client`, `callback`, `payload-server`, `mining-pool`,
    /// `wallet`, `ssh-key`, `mentioned`.
    pub role: &'static str,
}
