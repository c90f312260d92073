//! The endpoint's own thread: a single-threaded tokio runtime that runs the listener and
//! every connection, away from the VRRP loop.
//!
//! Serving on the loop's runtime would put the rendering of every scrape and the
//! bookkeeping of every idle connection between two adverts. On its own thread the
//! loop's only part is publishing a snapshot (a `watch` send), and the thread runs under
//! normal scheduling (the loop's `SCHED_RR` is not inherited, see
//! [`crate::sys::sched`]), so a flood of clients competes with other processes, not with
//! VRRP. The thread is [`supervised`](crate::panic_policy::supervised): a panic while
//! serving loses that connection (or the accept loop, which [`super::Endpoint`] then
//! rebinds), never the daemon.

use std::future::Future;

use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The running endpoint thread; dropping it stops the thread and every task on it.
#[derive(Debug)]
pub struct MetricsThread {
    runtime: Handle,
    _stop: oneshot::Sender<()>,
}

impl MetricsThread {
    /// Starts the thread with its runtime.
    pub fn start() -> std::io::Result<MetricsThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                // Only tasks can panic here, and tokio catches those; supervision makes
                // the panic hook log them instead of stopping the process.
                let _ = crate::panic_policy::supervised(|| {
                    runtime.block_on(async {
                        let _ = stopped.await;
                    })
                });
            })?;
        Ok(MetricsThread {
            runtime: handle,
            _stop: stop,
        })
    }

    /// Runs `task` on the endpoint's thread.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        self.runtime.spawn(task)
    }
}
