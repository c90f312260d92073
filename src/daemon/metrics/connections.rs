//! The metrics endpoint's open connections, and which of them to close when there are
//! too many.
//!
//! A cap on connections served at once (a semaphore in front of `accept`) lets 32 idle
//! clients lock every scraper out until their header deadline passes. Here every
//! connection is accepted; when the table is full, the connection that has been idle the
//! longest is closed to make room. A connection with a request in progress is never
//! chosen, and the connection just accepted is never chosen either (it has no abort handle
//! yet), so a scraper always gets in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::task::AbortHandle;

/// The table of open connections, shared by the accept loop and the connection tasks.
#[derive(Debug)]
pub struct Connections {
    cap: usize,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    open: HashMap<u64, Entry>,
}

#[derive(Debug)]
struct Entry {
    /// Requests being answered on this connection right now.
    busy: u32,
    /// When the connection was accepted or last finished a response.
    idle_since: Instant,
    /// Closes the connection; `None` until its task is spawned.
    abort: Option<AbortHandle>,
}

/// A connection's place in the table; dropping it (the task ended or was aborted)
/// removes the entry.
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    table: Arc<Connections>,
}

/// Marks a connection busy while it lives (one per request, held by the response body
/// until it has been written).
#[derive(Debug)]
pub struct Busy {
    id: u64,
    table: Arc<Connections>,
}

impl Connections {
    /// A table that keeps at most `cap` connections (plus any busy beyond it).
    pub fn new(cap: usize) -> Arc<Connections> {
        Arc::new(Connections {
            cap: cap.max(1),
            table: Mutex::new(Table::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // A panic while holding the lock leaves at worst a stale entry behind.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connections in the table.
    fn len(&self) -> usize {
        self.lock().open.len()
    }

    /// Enters a just-accepted connection, first closing the oldest idle ones until it
    /// fits under the cap. Returns its ticket and how many connections were shed.
    pub fn admit(self: &Arc<Self>, now: Instant) -> (Ticket, usize) {
        let mut shed = 0;
        while self.len() >= self.cap && self.shed_oldest_idle() {
            shed += 1;
        }
        let mut t = self.lock();
        let id = t.next_id;
        t.next_id += 1;
        t.open.insert(
            id,
            Entry {
                busy: 0,
                idle_since: now,
                abort: None,
            },
        );
        let ticket = Ticket {
            id,
            table: self.clone(),
        };
        (ticket, shed)
    }

    /// Closes the connection idle the longest; false when none is idle.
    pub fn shed_oldest_idle(&self) -> bool {
        let mut t = self.lock();
        let oldest = t
            .open
            .iter()
            .filter(|(_, e)| e.busy == 0 && e.abort.is_some())
            .min_by_key(|(id, e)| (e.idle_since, **id))
            .map(|(id, _)| *id);
        let Some(entry) = oldest.and_then(|id| t.open.remove(&id)) else {
            return false;
        };
        drop(t);
        if let Some(abort) = entry.abort {
            abort.abort();
        }
        true
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Entry)) {
        if let Some(e) = self.lock().open.get_mut(&id) {
            f(e);
        }
    }
}

impl Ticket {
    /// The handle that makes this connection closable once its task is spawned.
    pub fn attacher(&self) -> Attacher {
        Attacher {
            id: self.id,
            table: self.table.clone(),
        }
    }

    /// Marks a request in progress until the returned guard is dropped.
    pub fn busy(&self) -> Busy {
        self.table.update(self.id, |e| e.busy += 1);
        Busy {
            id: self.id,
            table: self.table.clone(),
        }
    }
}

/// Hands a connection's abort handle to the table (see [`Ticket::attacher`]).
#[derive(Debug)]
pub struct Attacher {
    id: u64,
    table: Arc<Connections>,
}

impl Attacher {
    /// Makes the connection closable by [`Connections::shed_oldest_idle`].
    pub fn attach(self, abort: AbortHandle) {
        self.table.update(self.id, |e| e.abort = Some(abort));
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.table.lock().open.remove(&self.id);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.table.update(self.id, |e| {
            e.busy = e.busy.saturating_sub(1);
            e.idle_since = Instant::now();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A task that never ends, standing in for a connection.
    fn parked() -> tokio::task::JoinHandle<()> {
        tokio::spawn(std::future::pending())
    }

    #[tokio::test]
    async fn the_oldest_idle_connection_makes_room_and_busy_ones_stay() {
        let table = Connections::new(2);
        let t0 = Instant::now();
        let (first, _) = table.admit(t0);
        let first_task = parked();
        first.attacher().attach(first_task.abort_handle());
        let (second, _) = table.admit(t0 + Duration::from_millis(1));
        let second_task = parked();
        second.attacher().attach(second_task.abort_handle());

        // The first is answering a request: the second (idle) is shed instead.
        let busy = first.busy();
        let (third, shed) = table.admit(t0 + Duration::from_millis(2));
        assert_eq!(shed, 1);
        tokio::task::yield_now().await;
        assert!(second_task.is_finished(), "the idle connection stayed open");
        assert!(!first_task.is_finished(), "a busy connection was shed");

        // All left are busy or new: the newcomer is admitted over the cap, nobody shed.
        let _busy_third = third.busy();
        let (_fourth, shed) = table.admit(t0 + Duration::from_millis(3));
        assert_eq!(shed, 0);
        assert_eq!(table.len(), 3);

        // Once its response is written the first becomes idle, hence sheddable.
        drop(busy);
        assert!(table.shed_oldest_idle());
        tokio::task::yield_now().await;
        assert!(first_task.is_finished());
        drop((first, second));
        assert_eq!(table.len(), 2);
    }
}
