//! Giving memory back to the kernel.
//!
//! Reading a large configuration allocates far more (source text, tokens, syntax tree,
//! diagnostics) than the running daemon keeps. glibc's allocator keeps freed memory in
//! the process, so without a trim the daemon's resident size would stay at the peak of
//! the configuration check for its whole life.

/// Returns the allocator's free memory to the kernel (glibc `malloc_trim(0)`).
/// Returns whether anything was released.
pub fn release_free_memory() -> bool {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: malloc_trim only walks and shrinks the allocator's own free lists; it
        // has no preconditions and is thread-safe.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(target_env = "gnu"))]
    {
        false
    }
}
