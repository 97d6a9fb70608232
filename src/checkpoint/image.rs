//! One CRIU image file: its magic numbers (`images/magic.h`: the common or service magic,
//! then the image's own; the inventory has its own only), then entries, each a little-endian
//! u32 size and that many bytes of protobuf. A cut entry or a size past the end stops the
//! read with what came before kept.

/// `IMG_COMMON_MAGIC`: the head of every image but the inventory and service files.
pub(crate) const COMMON: u32 = 0x5456_4319;
/// `IMG_SERVICE_MAGIC`: the head of the stats files.
pub(crate) const SERVICE: u32 = 0x5510_5940;
pub(crate) const INVENTORY: u32 = 0x5831_3116;

/// Entries read per image at most (a process has at most a few hundred thousand mappings).
const MAX_ENTRIES: usize = 1 << 20;

/// The magic an image named `file` (base name) must carry after the common magic, when
/// CRIU gives it one ctriage knows.
pub(crate) fn expected_magic(file: &str) -> Option<u32> {
    let stem = file.strip_suffix(".img").unwrap_or(file);
    let kind =
        stem.rsplit_once('-').filter(|(_, n)| n.bytes().all(|b| b.is_ascii_digit())).map_or(stem, |(k, _)| k);
    Some(match kind {
        "inventory" => INVENTORY,
        "pstree" => 0x5027_3030,
        "fdinfo" => 0x5621_3732,
        "pagemap" => 0x5608_4025,
        "core" => 0x5505_3847,
        "ids" => 0x5443_2030,
        "mm" => 0x5749_2820,
        "fs" => 0x5140_3912,
        "files" => 0x5630_3138,
        "reg-files" => 0x5036_3636,
        "inetsk" => 0x5644_3851,
        "unixsk" => 0x5437_3943,
        "pipes" => 0x5651_3555,
        "tty-info" => 0x5945_3036,
        "tty" => 0x5943_3025,
        "eventfd" => 0x4452_3722,
        "remap-fpath" => 0x5913_3954,
        "ghost-file" => 0x5258_3605,
        "seccomp" => 0x6441_3049,
        "cgroup" => 0x5938_3330,
        "timens" => 0x4311_4433,
        "stats-dump" | "stats-restore" => 0x5709_3306,
        _ => return None,
    })
}

/// The kind of an image by its name: `core-1.img` -> `core`, `stats-dump` -> `stats-dump`.
pub(crate) fn kind_of(file: &str) -> &str {
    let stem = file.strip_suffix(".img").unwrap_or(file);
    stem.rsplit_once('-')
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(stem, |(k, _)| k)
}

/// An image's entries as read.
#[derive(Debug, Default)]
pub(crate) struct Image<'a> {
    pub entries: Vec<&'a [u8]>,
    /// Why the read stopped before the end, if it did.
    pub error: Option<String>,
    /// Bytes after the last entry read (image payloads such as ghost file contents).
    pub rest: usize,
}

/// Read the image `file` (its base name) from `b`. Err when it is no CRIU image at all
/// (too short, unknown head, a magic that is not this image's).
pub(crate) fn parse<'a>(b: &'a [u8], file: &str) -> Result<Image<'a>, String> {
    let word = |at: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)) };
    let first = word(0).ok_or("shorter than a CRIU image head (4 bytes)")?;
    let (magic, mut at) = match first {
        INVENTORY => (INVENTORY, 4),
        COMMON | SERVICE => (word(4).ok_or("cut inside the image head")?, 8),
        other => return Err(format!("not a CRIU image (head {other:#010x})")),
    };
    if let Some(want) = expected_magic(file) {
        if want != magic {
            return Err(format!("magic {magic:#010x} is not that of a {file} image ({want:#010x})"));
        }
    }
    let mut img = Image::default();
    while at < b.len() {
        if img.entries.len() >= MAX_ENTRIES {
            img.error = Some(format!("more than {MAX_ENTRIES} entries: the rest is not read"));
            break;
        }
        let Some(size) = word(at) else {
            img.error = Some(format!("cut inside an entry size at byte {at}"));
            break;
        };
        let start = at + 4;
        let Some(entry) = start.checked_add(size as usize).and_then(|end| b.get(start..end)) else {
            img.error = Some(format!(
                "entry at byte {at} says {size} bytes, {} are left",
                b.len().saturating_sub(start)
            ));
            break;
        };
        img.entries.push(entry);
        at = start + entry.len();
    }
    img.rest = b.len().saturating_sub(at);
    Ok(img)
}

/// The first entry of image `file` and the bytes after it (images that carry a payload
/// after their entry: a ghost file's content).
pub(crate) fn head_and_payload<'a>(b: &'a [u8], file: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    // The head alone: its magics checked, no entry read.
    parse(b.get(..b.len().min(8)).unwrap_or_default(), file)?;
    let at = if b.get(..4) == Some(&INVENTORY.to_le_bytes()[..]) { 4 } else { 8 };
    let size = b
        .get(at..at + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map(u32::from_le_bytes)
        .ok_or("cut before its first entry")?;
    let end = (at + 4).checked_add(size as usize).filter(|e| *e <= b.len()).ok_or_else(|| {
        format!("first entry says {size} bytes, {} are left", b.len().saturating_sub(at + 4))
    })?;
    Ok((b.get(at + 4..end).unwrap_or_default(), b.get(end..).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(head: &[u32], entries: &[&[u8]]) -> Vec<u8> {
        let mut v: Vec<u8> = head.iter().flat_map(|m| m.to_le_bytes()).collect();
        for e in entries {
            v.extend((e.len() as u32).to_le_bytes());
            v.extend(*e);
        }
        v
    }

    #[test]
    fn entries_and_hostile_sizes() {
        let b = img(&[COMMON, 0x5027_3030], &[&[8, 1], &[]]);
        let i = parse(&b, "pstree.img").unwrap();
        assert_eq!(i.entries, vec![&[8u8, 1][..], &[][..]]);
        assert!(i.error.is_none());
        // A size larger than the file: kept what came before, said why.
        let mut b = img(&[COMMON, 0x5027_3030], &[&[8, 1]]);
        b.extend(1000u32.to_le_bytes());
        b.extend([1, 2]);
        let i = parse(&b, "pstree.img").unwrap();
        assert_eq!(i.entries.len(), 1);
        assert!(i.error.unwrap().contains("says 1000 bytes, 2 are left"));
        // Cut inside the size word.
        let i = parse(&b[..b.len() - 4], "pstree.img").unwrap();
        assert!(i.error.unwrap().contains("cut inside an entry size"));
        // Wrong magics.
        assert!(parse(&img(&[COMMON, 0x5505_3847], &[]), "pstree.img").unwrap_err().contains("not that of"));
        assert!(parse(b"\x7fELF\x02\x01\x01\x00", "core-1.img").unwrap_err().contains("not a CRIU image"));
        assert!(parse(b"\x19C", "core-1.img").is_err());
        // Unknown images are read by their head alone.
        assert!(parse(&img(&[COMMON, 0x1234_5678], &[]), "new-thing.img").is_ok());
    }
}
