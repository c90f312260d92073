//! The daemon: the thin event loop joining config, the VRRP core and `sys`, plus the
//! process contract keepalived users rely on (command line in [`crate::cli`], logging,
//! pid files, daemonizing in [`crate::sys::daemonize`]).

pub mod log;
pub mod notify;
pub mod pidfile;
