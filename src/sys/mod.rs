//! The only place that talks to Linux. `unsafe` is allowed here, each block with a
//! `// SAFETY:` line.
#![allow(unsafe_code)]

pub mod daemonize;
