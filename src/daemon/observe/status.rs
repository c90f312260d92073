//! The status observer: the feed of the one state model behind the metrics endpoint and
//! the dump files ([`crate::daemon::status`]). That model is a snapshot of the router's
//! state and counters, which live on the event loop, so this observer runs there: it
//! only remembers that an instance changed state, and the loop publishes a fresh
//! snapshot to the metrics endpoint after the batch of actions (besides its once-a-second
//! refresh). The dumps capture their snapshot when signalled and need no other feed.

use std::time::Duration;

use futures::future::BoxFuture;

use super::{Event, Observer};

/// Whether the published status is behind the router's.
#[derive(Debug, Default)]
pub struct StatusFeed {
    stale: bool,
}

impl StatusFeed {
    /// Whether an instance changed state since the last call.
    pub fn take_stale(&mut self) -> bool {
        std::mem::take(&mut self.stale)
    }
}

impl Observer for StatusFeed {
    fn observe(&mut self, event: &Event) {
        if let Event::StateChanged(_) = event {
            self.stale = true;
        }
    }

    fn shutdown(self: Box<Self>, _grace: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}
