//! The bounded queue between an observer and its own task: the side that feeds it never
//! waits, so a slow script start, a stalled SMTP server or a hung D-Bus peer can fill the
//! queue but never delay an advert. A full queue drops the job; the observer says what
//! was dropped, in its own words.

use std::future::Future;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The feeding end of an observer's work queue.
#[derive(Debug)]
pub struct Queue<T> {
    tx: mpsc::Sender<T>,
}

/// A job the queue did not take.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// `depth` jobs are waiting already: this one is dropped.
    Full,
    /// The worker has ended (the daemon is stopping).
    Closed,
}

impl<T: Send + 'static> Queue<T> {
    /// Spawns `worker` on the runtime, fed by a queue of `depth` jobs; the worker ends
    /// once the queue is closed ([`Queue::close`]) and drained, and its result is what
    /// the returned handle yields.
    pub fn spawn<W, F, R>(depth: usize, worker: W) -> (Queue<T>, JoinHandle<R>)
    where
        W: FnOnce(mpsc::Receiver<T>) -> F,
        F: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = mpsc::channel(depth);
        (Queue { tx }, tokio::spawn(worker(rx)))
    }

    /// Queues `job` without waiting.
    pub fn offer(&self, job: T) -> Result<(), Refused> {
        self.tx.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Refused::Full,
            mpsc::error::TrySendError::Closed(_) => Refused::Closed,
        })
    }

    /// No more jobs: the worker finishes those queued, then ends.
    pub fn close(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_and_the_worker_drains_what_it_took() {
        let (queue, worker) = Queue::spawn(2, |mut rx: mpsc::Receiver<u32>| async move {
            let mut got = Vec::new();
            while let Some(n) = rx.recv().await {
                got.push(n);
            }
            got
        });
        assert_eq!(queue.offer(1), Ok(()));
        assert_eq!(queue.offer(2), Ok(()));
        assert_eq!(queue.offer(3), Err(Refused::Full));
        queue.close();
        assert_eq!(worker.await.unwrap(), [1, 2]);
    }
}
