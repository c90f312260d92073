//! Support for tests/package_swap.rs: a throw-away Debian root ([`root`]), the machine
//! around it with its daemon and VIP checks ([`machine`]) and the on-disk checks
//! ([`registration`]), and the same machine booted with systemd ([`container`]).
#![allow(dead_code)]

pub mod container;
#[path = "../lab/mod.rs"]
mod lab;
pub mod machine;
pub mod registration;
pub mod root;

pub use container::Container;
pub use machine::{Flavor, Machine, OUR_DEB, SECOND_VIP, VIP};
