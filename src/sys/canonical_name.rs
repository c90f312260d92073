//! A host's canonical name, as `getaddrinfo(3)` with `AI_CANONNAME` gives it (std's
//! resolver does not expose it). keepalived names the host this way in its e-mail alerts.

use std::ffi::{CStr, CString};

/// The canonical name of `name`; `None` when the look-up fails or gives none. Blocks on
/// the resolver.
pub fn of(name: &str) -> Option<String> {
    let c_name = CString::new(name).ok()?;
    // SAFETY: `hints` is a zeroed addrinfo with only ai_flags set, as getaddrinfo expects;
    // `res` is read only when the call succeeded, and freed exactly once.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_flags = libc::AI_CANONNAME;
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        if libc::getaddrinfo(c_name.as_ptr(), std::ptr::null(), &hints, &mut res) != 0 {
            return None;
        }
        let canon = (!res.is_null() && !(*res).ai_canonname.is_null()).then(|| {
            CStr::from_ptr((*res).ai_canonname)
                .to_string_lossy()
                .into_owned()
        });
        libc::freeaddrinfo(res);
        canon
    }
}

/// The host's name as keepalived finds it (`get_local_name`): the node name of `uname`,
/// looked up for its canonical form; the node name itself when the look-up finds nothing.
/// Looked up once per process: the views ask for it on every snapshot.
pub fn local_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let node = nix::sys::utsname::uname()
            .map(|u| u.nodename().to_string_lossy().into_owned())
            .unwrap_or_default();
        of(&node).unwrap_or(node)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn localhost_has_a_canonical_name() {
        assert!(super::of("localhost").is_some_and(|n| !n.is_empty()));
    }
}
