//! The numbers of libscap's format this reader uses: block types, the event types it decodes
//! (the PPM event table of falcosecurity/libs, `driver/ppm_events_public.h`) with the most
//! parameters each has had, and the flag bits it reads.

// Block types (`scap_savefile.h`); the `_INT` numbers predate the library's release.
pub(crate) const SHB: u32 = 0x0A0D_0D0A;
pub(crate) const SHB_MAGIC: u32 = 0x1A2B_3C4D;
pub(crate) const MI: &[u32] = &[0x201, 0x8002_ABCD];
pub(crate) const FDL: &[u32] = &[0x203, 0x8001_ABCD, 0x218];
pub(crate) const FDL_V2: u32 = 0x218;
pub(crate) const IL: &[u32] = &[0x205, 0x8011_ABCD, 0x219];
pub(crate) const UL: &[u32] = &[0x206, 0x8012_ABCD, 0x220];
pub(crate) const UL_V2: u32 = 0x220;

/// The process list block's version (1-9), None for other blocks.
pub(crate) fn proclist_version(kind: u32) -> Option<u8> {
    Some(match kind {
        0x202 | 0x8000_ABCD => 1,
        0x207 | 0x8013_ABCD => 2,
        0x209 | 0x8014_ABCD => 3,
        0x210 => 4,
        0x211 => 5,
        0x212 => 6,
        0x213 => 7,
        0x214 => 8,
        0x215 => 9,
        _ => return None,
    })
}

/// How an event block lays out its event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EventLayout {
    /// 32 bits of flags after the CPU id (EVF blocks).
    pub(crate) flags: bool,
    /// The header has a parameter count (version 2 blocks).
    pub(crate) counted: bool,
    /// Parameter lengths are 32-bit (large payload blocks).
    pub(crate) large: bool,
}

pub(crate) fn event_layout(kind: u32) -> Option<EventLayout> {
    let (flags, counted, large) = match kind {
        0x204 | 0x8010_ABCD => (false, false, false),
        0x208 => (true, false, false),
        0x216 => (false, true, false),
        0x217 => (true, true, false),
        0x221 => (false, true, true),
        0x222 => (true, true, true),
        _ => return None,
    };
    Some(EventLayout { flags, counted, large })
}

/// One past the highest event type this table knows (`PPM_EVENT_MAX`); captures of newer
/// drivers may hold types beyond it.
pub(crate) const EVENT_MAX: u16 = 426;

// Event types decoded (E: syscall enter, X: exit).
pub(crate) const OPEN_X: u16 = 3;
pub(crate) const WRITE_E: u16 = 8;
pub(crate) const CLONE_11_X: u16 = 15;
pub(crate) const SOCKET_E: u16 = 18;
pub(crate) const SOCKET_X: u16 = 19;
pub(crate) const CONNECT_E: u16 = 22;
pub(crate) const CONNECT_X: u16 = 23;
pub(crate) const ACCEPT_X: u16 = 27;
pub(crate) const SENDTO_E: u16 = 30;
pub(crate) const SENDTO_X: u16 = 31;
pub(crate) const RECVFROM_X: u16 = 35;
pub(crate) const SENDMSG_E: u16 = 48;
pub(crate) const SENDMSG_X: u16 = 49;
pub(crate) const ACCEPT4_X: u16 = 57;
pub(crate) const CREAT_X: u16 = 59;
pub(crate) const OPENAT_E: u16 = 102;
pub(crate) const OPENAT_X: u16 = 103;
pub(crate) const UNLINK_E: u16 = 108;
pub(crate) const UNLINK_X: u16 = 109;
pub(crate) const UNLINKAT_E: u16 = 110;
pub(crate) const UNLINKAT_X: u16 = 111;
pub(crate) const PWRITE_E: u16 = 114;
pub(crate) const WRITEV_E: u16 = 118;
pub(crate) const PWRITEV_E: u16 = 122;
pub(crate) const DROP_E: u16 = 148;
pub(crate) const DROP_X: u16 = 149;
pub(crate) const CLONE_16_X: u16 = 157;
pub(crate) const PTRACE_E: u16 = 168;
pub(crate) const PTRACE_X: u16 = 169;
pub(crate) const RENAME_X: u16 = 175;
pub(crate) const RENAMEAT_X: u16 = 177;
pub(crate) const FORK_X: u16 = 183;
pub(crate) const VFORK_X: u16 = 185;
pub(crate) const PROCEXIT_1_E: u16 = 186;
pub(crate) const SETRESUID_E: u16 = 192;
pub(crate) const SETRESUID_X: u16 = 193;
pub(crate) const SETUID_E: u16 = 198;
pub(crate) const SETUID_X: u16 = 199;
pub(crate) const CLONE_17_X: u16 = 217;
pub(crate) const FORK_17_X: u16 = 219;
pub(crate) const VFORK_17_X: u16 = 221;
pub(crate) const CLONE_20_X: u16 = 223;
pub(crate) const FORK_20_X: u16 = 225;
pub(crate) const VFORK_20_X: u16 = 227;
pub(crate) const CONTAINER_E: u16 = 228;
pub(crate) const ACCEPT_5_X: u16 = 247;
pub(crate) const ACCEPT4_5_X: u16 = 249;
pub(crate) const MOUNT_X: u16 = 257;
pub(crate) const CONTAINER_JSON_E: u16 = 272;
pub(crate) const EXECVE_18_E: u16 = 288;
pub(crate) const EXECVE_19_E: u16 = 292;
pub(crate) const UNLINK_2_X: u16 = 301;
pub(crate) const UNLINKAT_2_X: u16 = 303;
pub(crate) const OPENAT_2_X: u16 = 307;
pub(crate) const RENAMEAT2_X: u16 = 319;
pub(crate) const CONTAINER_JSON_2_E: u16 = 324;
pub(crate) const OPENAT2_X: u16 = 327;
pub(crate) const EXECVEAT_E: u16 = 330;
pub(crate) const CLONE3_X: u16 = 335;
pub(crate) const OPEN_BY_HANDLE_AT_X: u16 = 337;
pub(crate) const ACCEPT4_6_X: u16 = 389;

/// execve exit events of every version (and execveat).
pub(crate) const EXECVE_X: &[u16] = &[13, 155, 173, 215, 231, 283, 289, 293, 331];

/// clone / fork / vfork exit events of every version (and clone3).
pub(crate) const CLONE_X: &[u16] = &[
    CLONE_11_X, CLONE_16_X, FORK_X, VFORK_X, CLONE_17_X, FORK_17_X, VFORK_17_X, CLONE_20_X, FORK_20_X,
    VFORK_20_X, CLONE3_X,
];

/// The most parameters a decoded event type has had (None: not decoded). Version 1 event
/// blocks carry no count: it is found by trying this many and fewer, as libscap does.
pub(crate) fn max_params(etype: u16) -> Option<u32> {
    Some(match etype {
        OPEN_X => 6,
        WRITE_E | WRITEV_E => 2,
        PWRITE_E | PWRITEV_E => 3,
        SOCKET_E => 3,
        SOCKET_X => 1,
        CONNECT_E => 3,
        CONNECT_X => 3,
        ACCEPT_X | ACCEPT4_X => 3,
        ACCEPT_5_X | ACCEPT4_5_X | ACCEPT4_6_X => 5,
        SENDTO_E | SENDMSG_E => 3,
        SENDTO_X | SENDMSG_X | RECVFROM_X => 5,
        CREAT_X => 6,
        OPENAT_E => 4,
        OPENAT_X => 1,
        UNLINK_E | UNLINK_X | UNLINKAT_X | SETUID_E => 1,
        UNLINKAT_E => 2,
        DROP_E | DROP_X => 1,
        PTRACE_E => 2,
        PTRACE_X => 3,
        RENAME_X => 3,
        RENAMEAT_X => 5,
        RENAMEAT2_X => 6,
        PROCEXIT_1_E => 5,
        SETRESUID_E => 3,
        SETRESUID_X => 4,
        SETUID_X => 2,
        CONTAINER_E => 4,
        MOUNT_X => 5,
        CONTAINER_JSON_E | CONTAINER_JSON_2_E | EXECVE_18_E | EXECVE_19_E => 1,
        EXECVEAT_E => 3,
        UNLINK_2_X => 2,
        UNLINKAT_2_X => 4,
        OPENAT_2_X => 7,
        OPENAT2_X => 8,
        OPEN_BY_HANDLE_AT_X => 6,
        13 => 8,
        155 => 13,
        173 => 14,
        215 => 15,
        231 => 16,
        283 | 289 => 17,
        293 | 331 => 30,
        CLONE_11_X => 11,
        CLONE_16_X | FORK_X | VFORK_X => 16,
        CLONE_17_X | FORK_17_X | VFORK_17_X => 17,
        CLONE_20_X | FORK_20_X | VFORK_20_X | CLONE3_X => 21,
        _ => return None,
    })
}

// Open flags (`PPM_O_*`).
pub(crate) const O_WRONLY: u32 = 1 << 1;
pub(crate) const O_CREAT: u32 = 1 << 2;
pub(crate) const O_APPEND: u32 = 1 << 3;
pub(crate) const O_TRUNC: u32 = 1 << 8;
/// Flags that make an open one for writing.
pub(crate) const O_WRITING: u32 = O_WRONLY | O_CREAT | O_APPEND | O_TRUNC;

/// `PPM_CL_CLONE_THREAD`: the clone made a thread of the same process.
pub(crate) const CL_CLONE_THREAD: u32 = 1 << 13;

/// `PPM_AT_FDCWD`: an `*at()` call relative to the working directory.
pub(crate) const AT_FDCWD: i64 = -100;

/// The name of a `PPM_PTRACE_*` request that reads or changes another process (None for the
/// rest: TRACEME, CONT, DETACH, option and query requests).
pub(crate) fn ptrace_request(request: u64) -> Option<&'static str> {
    Some(match request {
        5 => "POKETEXT",
        6 => "POKEDATA",
        7 => "POKEUSR",
        11 => "ATTACH",
        19 => "SETREGSET",
        20 => "SEIZE",
        27 => "SETREGS",
        29 => "SETFPREGS",
        _ => return None,
    })
}
