//! Notify scripts and FIFOs: one of the observers, in [`super::observe::notify`]. This
//! path keeps the names callers and tests know.

pub use super::observe::notify::{Notifier, NotifyScripts, QUEUE_DEPTH};
