//! Giving memory back to the kernel.
//!
//! Reading a large configuration allocates far more (source text, tokens, syntax tree,
//! diagnostics) than the running daemon keeps. glibc's allocator keeps freed memory in
//! the process, so without a trim the daemon's resident size would stay at the peak of
//! the configuration check for its whole life.

use std::sync::atomic::{AtomicBool, Ordering};

/// Returns the allocator's free memory to the kernel (glibc `malloc_trim(0)`).
/// Returns whether anything was released.
pub fn release_free_memory() -> bool {
    #[cfg(target_env = "gnu")]
    {
        flush_thread_cache();
        // SAFETY: malloc_trim only walks and shrinks the allocator's own free lists; it
        // has no preconditions and is thread-safe.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(target_env = "gnu"))]
    {
        false
    }
}

/// Size classes of glibc's per-thread cache (chunks of 32 to 1,040 bytes, 16 apart).
#[cfg(target_env = "gnu")]
const THREAD_CACHE_BINS: usize = 64;
/// Free chunks the per-thread cache keeps of each size.
#[cfg(target_env = "gnu")]
const THREAD_CACHE_COUNT: usize = 7;

/// Hands the calling thread's allocator cache back to the arena.
///
/// glibc keeps up to seven freed chunks of each small size in a per-thread cache, and
/// `malloc_trim` cannot see them: to the arena they are still in use. After start-up
/// that cache holds several hundred KiB of chunks scattered over pages that would
/// otherwise be free. Taking every cached chunk out (allocating seven of each size) and
/// freeing them on a short-lived thread puts them in that thread's cache, which glibc
/// empties into the arena when the thread ends; the trim that follows can then release
/// the pages around them.
#[cfg(target_env = "gnu")]
fn flush_thread_cache() {
    let mut chunks = Vec::with_capacity(THREAD_CACHE_BINS * THREAD_CACHE_COUNT);
    for bin in 0..THREAD_CACHE_BINS {
        // A request of 24 + 16·bin bytes is served from cache bin `bin`.
        let size = 24 + 16 * bin;
        for _ in 0..THREAD_CACHE_COUNT {
            // SAFETY: a plain allocation, freed below (null is skipped there).
            chunks.push(unsafe { libc::malloc(size) } as usize);
        }
    }
    let freeing = std::thread::Builder::new()
        .name("cache-flush".into())
        .spawn(move || {
            for chunk in chunks {
                // SAFETY: each address came from malloc above and is freed once.
                unsafe { libc::free(chunk as *mut libc::c_void) };
            }
        });
    if let Ok(thread) = freeing {
        let _ = thread.join();
    }
}

/// Makes every thread allocate from the main allocator arena (glibc `M_ARENA_MAX` 1).
///
/// glibc gives threads arenas of their own (up to eight per core): separate heaps whose
/// partly used pages stay resident however little of them is live. The daemon's threads
/// (log writer, reload reader, MySQL checks) allocate too little and too rarely for
/// that to pay: with a single arena, 1,000 instances keep about 350 KiB less resident.
/// Must run before the first thread is started.
pub fn use_single_arena() {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: mallopt only changes an allocator tunable; M_ARENA_MAX has no other
        // effect than capping the number of arenas created from now on.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

/// Set once [`lock_all`] succeeded.
static LOCKED: AtomicBool = AtomicBool::new(false);

/// keepalived's `vrrp_no_swap`: locks every page of the process in memory, now and in
/// the future (`mlockall(MCL_CURRENT | MCL_FUTURE)`), so no page the failover path needs
/// can be paged out — and [`release_file_pages`] then releases nothing.
pub fn lock_all() -> nix::Result<()> {
    use nix::sys::mman::{mlockall, MlockAllFlags};
    mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE)?;
    LOCKED.store(true, Ordering::Relaxed);
    Ok(())
}

/// Unmaps the pages of read-only file mappings this process has faulted in — code and
/// read-only data of its own binary and of the shared libraries — keeping them in the page
/// cache. Returns the bytes of mappings advised.
///
/// Start-up touches code and data the running daemon never needs again (the
/// configuration reader, netlink and socket set-up, the runtime's initialisation, the
/// dynamic loader's relocation tables), and the kernel maps file pages in 64 KiB windows
/// around each fault, so by the time the event loop runs almost the whole binary and libc
/// are resident. Like the kernel freeing its `__init` sections, this lets that go: pages
/// the loop uses come back at once as minor faults (the page cache still holds them, so
/// no disk read is involved); the rest stay out of the daemon's footprint.
///
/// Only mappings that cannot have been changed are touched: private, not writable, and
/// with no copied-on-write page (`Anonymous: 0 kB` — which rules out the relocated
/// read-only-after-relocation segments). Dropping their pages loses nothing: the next
/// access reads the same file contents again.
pub fn release_file_pages() -> usize {
    if LOCKED.load(Ordering::Relaxed) {
        // Everything is locked in memory on purpose (`vrrp_no_swap`).
        return 0;
    }
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    let mut released = 0;
    for (start, len) in unchanged_file_mappings(&smaps) {
        let Some(addr) = std::ptr::NonNull::new(start as *mut libc::c_void) else {
            continue;
        };
        // SAFETY: the range is a whole mapping of this process, read from
        // /proc/self/smaps just now: a private, non-writable file mapping none of whose
        // pages was ever copied on write. MADV_DONTNEED only drops page-table entries that
        // the next access repopulates from the same file contents; code running here (this
        // function included) simply faults its page back in.
        let advised = unsafe {
            nix::sys::mman::madvise(addr, len, nix::sys::mman::MmapAdvise::MADV_DONTNEED)
        };
        if advised.is_ok() {
            released += len;
        }
    }
    released
}

/// `(start, length)` of every mapping in `smaps` text that is private, not writable,
/// backed by a file (not `[vdso]` and the like) and has no anonymous (copied) page.
fn unchanged_file_mappings(smaps: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        if let Some(m) = mapping_header(line) {
            current = m;
            continue;
        }
        if let (Some(m), Some(anon)) = (current, line.strip_prefix("Anonymous:")) {
            if anon.trim() == "0 kB" {
                out.push(m);
            }
            current = None;
        }
    }
    out
}

/// For a mapping header line: `Some(Some(range))` for a candidate mapping, `Some(None)`
/// for any other mapping; `None` for a field line.
fn mapping_header(line: &str) -> Option<Option<(usize, usize)>> {
    let mut fields = line.split_ascii_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    let perms = fields.next()?.as_bytes();
    if perms.len() != 4 {
        return None;
    }
    let path = fields.nth(3).unwrap_or("");
    let candidate = perms[0] == b'r' && perms[1] == b'-' && perms[3] == b'p';
    Some((candidate && path.starts_with('/') && end > start).then_some((start, end - start)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unchanged_read_only_file_mappings_are_released() {
        let smaps = "\
55c9b8cea000-55c9b8f14000 r--p 00000000 fe:00 5755054    /usr/sbin/keepalived
Rss:                1032 kB
Anonymous:             0 kB
55c9b8f14000-55c9b93a9000 r-xp 00229000 fe:00 5755054    /usr/sbin/keepalived
Rss:                3604 kB
Anonymous:             0 kB
55c9b93a9000-55c9b9412000 r--p 006bd000 fe:00 5755054    /usr/sbin/keepalived
Rss:                 420 kB
Anonymous:           420 kB
55c9b9412000-55c9b9413000 rw-p 00725000 fe:00 5755054    /usr/sbin/keepalived
Anonymous:             4 kB
55c9ba000000-55c9ba100000 rw-p 00000000 00:00 0          [heap]
Anonymous:          1024 kB
7f0000000000-7f0000001000 r-xs 00000000 00:05 12         /dev/shm/x
Anonymous:             0 kB
7ffc01f5b000-7ffc01f5d000 r-xp 00000000 00:00 0          [vdso]
Anonymous:             0 kB
";
        assert_eq!(
            unchanged_file_mappings(smaps),
            [
                (0x55c9b8cea000, 0x55c9b8f14000 - 0x55c9b8cea000),
                (0x55c9b8f14000, 0x55c9b93a9000 - 0x55c9b8f14000),
            ]
        );
    }

    #[test]
    fn released_pages_come_back_on_use() {
        static TABLE: [u64; 4] = [1, 1, 2, 3];
        let released = release_file_pages();
        assert!(released > 0, "this test binary has read-only file mappings");
        // Code and read-only data of this very test are used again after the release.
        assert_eq!(format!("{}", TABLE.iter().sum::<u64>() * 6), "42");
    }
}
