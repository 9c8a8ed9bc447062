//! Gives back the executable's pages that only start-up needed, so that an idle `lameduck run`
//! holds little memory even as the full `lameduck` binary (lab, load generator, checker).
//!
//! An idle supervisor's resident set is mostly its own executable: the pages of code and
//! read-only data that start-up touched (clap building the whole command tree, config and
//! php-fpm config parsing), each fault mapping 64 KiB around it. Its heap is a few hundred KiB.
//! After start-up, lameduck drops those pages from its mappings with `MADV_DONTNEED`. They
//! stay in the page cache and come back with a minor fault if ever run again.
//!
//! Only read-only mappings of the executable file with no private (copy-on-write) page are
//! dropped: for those the file is the whole truth. RELRO (relocated, then made read-only) and
//! data mappings hold private pages and are left alone.
use std::path::Path;

/// One mapping from `/proc/self/smaps`.
#[derive(Debug, PartialEq, Eq)]
struct Mapping {
    start: usize,
    end: usize,
    writable: bool,
    path: String,
    anonymous_kib: u64,
}

/// Drops the executable's clean read-only pages from this process's mappings; returns the
/// number of bytes of address space advised. Failures change nothing and are ignored: this is
/// an optimisation only.
pub fn release_startup_pages() -> usize {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else { return 0 };
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return 0 };
    let mut released = 0;
    for mapping in droppable(&parse_smaps(&smaps), &exe) {
        let length = mapping.end - mapping.start;
        // SAFETY: the range is a whole read-only, file-backed mapping of our own executable
        // without private pages; MADV_DONTNEED only unmaps its pages, which the next access
        // maps again from the unchanged file.
        let result = unsafe {
            libc::madvise(mapping.start as *mut libc::c_void, length, libc::MADV_DONTNEED)
        };
        if result == 0 {
            released += length;
        }
    }
    released
}

fn droppable<'a>(mappings: &'a [Mapping], exe: &Path) -> impl Iterator<Item = &'a Mapping> {
    let exe = exe.to_string_lossy().into_owned();
    mappings.iter().filter(move |m| m.path == exe && !m.writable && m.anonymous_kib == 0)
}

/// Parses `/proc/PID/smaps`: a header line per mapping, then `Key: value kB` lines.
fn parse_smaps(text: &str) -> Vec<Mapping> {
    let mut mappings: Vec<Mapping> = Vec::new();
    for line in text.lines() {
        if let Some(mapping) = parse_header(line) {
            mappings.push(mapping);
        } else if let Some(value) = line.strip_prefix("Anonymous:") {
            if let Some(last) = mappings.last_mut() {
                last.anonymous_kib =
                    value.trim().trim_end_matches("kB").trim().parse().unwrap_or(u64::MAX);
            }
        }
    }
    mappings
}

/// `00200000-0033a000 r--p 00000000 fe:00 10010674   /usr/local/bin/lameduck`.
fn parse_header(line: &str) -> Option<Mapping> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?;
    if perms.len() != 4 {
        return None;
    }
    let (_offset, _device, _inode) = (fields.next()?, fields.next()?, fields.next()?);
    Some(Mapping {
        start: usize::from_str_radix(start, 16).ok()?,
        end: usize::from_str_radix(end, 16).ok()?,
        writable: perms.as_bytes()[1] == b'w',
        path: fields.next().unwrap_or_default().trim().to_string(),
        // Unknown until its `Anonymous:` line: assume private pages, never drop.
        anonymous_kib: u64::MAX,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
00200000-0033a000 r--p 00000000 fe:00 10010674                           /bin/lameduck
Rss:                 796 kB
Anonymous:             0 kB
0033a000-006cd000 r-xp 00139000 fe:00 10010674                           /bin/lameduck
Anonymous:             0 kB
006cd000-006d2000 r--p 004cb000 fe:00 10010674                           /bin/lameduck
Anonymous:            20 kB
006d2000-006d6000 rw-p 004cf000 fe:00 10010674                           /bin/lameduck
Anonymous:            16 kB
278c3000-278e5000 rw-p 00000000 00:00 0                                  [heap]
Anonymous:           136 kB
7f0000000000-7f0000001000 r--p 00000000 fe:00 42                         /lib/other.so
Anonymous:             0 kB
";

    #[test]
    fn only_clean_read_only_mappings_of_the_executable_are_dropped() {
        let mappings = parse_smaps(SMAPS);
        assert_eq!(mappings.len(), 6);
        let dropped: Vec<usize> =
            droppable(&mappings, Path::new("/bin/lameduck")).map(|m| m.start).collect();
        // Not the RELRO mapping (private pages), the data, the heap or another file.
        assert_eq!(dropped, vec![0x200000, 0x33a000]);
    }

    #[test]
    fn a_mapping_without_its_anonymous_line_is_kept() {
        let mappings = parse_smaps("00200000-0033a000 r--p 00000000 fe:00 1 /bin/lameduck\n");
        assert_eq!(droppable(&mappings, Path::new("/bin/lameduck")).count(), 0);
    }

    #[test]
    fn the_process_keeps_running_after_its_pages_are_released() {
        let released = release_startup_pages();
        assert!(released > 0, "no read-only mapping of the test executable was found");
        // Code, read-only data and relocated pointers still work.
        let words: Vec<String> = "a b c".split(' ').map(str::to_uppercase).collect();
        assert_eq!(words.join(","), format!("{},{},{}", "A", "B", "C"));
        assert!(release_startup_pages() > 0);
    }
}
