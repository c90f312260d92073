//! keepalived-rs: a drop-in replacement for keepalived's VRRP daemon.
//!
//! Layers, in the direction data flows (`ARCHITECTURE.md` at the top of the repository
//! draws them and lists the rules each keeps):
//!
//! * [`config`] reads `keepalived.conf` (source → syntax → typed model) and diagnoses it;
//! * [`vrrp`] is the pure protocol core: wire codec and state machines, no I/O, no clock;
//! * [`sys`] is the only place that talks to Linux (raw sockets, netlink, ARP);
//! * [`daemon`] is the thin event loop that joins them.
#![deny(unsafe_code)]

pub mod cli;
pub mod config;
pub mod daemon;
pub mod panic_policy;
pub mod sys;
pub mod track;
pub mod version;
pub mod vrrp;
