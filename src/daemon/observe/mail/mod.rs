//! The e-mail observer: keepalived 2.2.7's SMTP alerts. An instance or sync group with
//! `smtp_alert` (its own, else the global `smtp_alert_vrrp`, else the global `smtp_alert`)
//! gets one mail each time it announces MASTER, BACKUP, FAULT or STOP (and an instance
//! DELETED, with `notify_deleted`), on the same notifications the notify scripts run on;
//! never twice in a row for the same state, and never for FAULT with `no_email_faults`.
//! The wording is in [`message`], the resolved settings in [`settings`].
//!
//! Mail goes through a bounded [`Queue`] to this observer's own task, one alert after
//! the other: a slow or dead SMTP server holds up later alerts (and, once the queue is
//! full, loses them, with a warning) but never the event loop. keepalived's alerts are
//! asynchronous on its event loop too, but share it with the adverts.

mod message;
mod send;
pub mod settings;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::queue::{Queue, Refused};
use super::{Event, Notification, Observer, Subject};
use crate::config::model::Config;
use crate::vrrp::NotifyState;
use message::About;
use settings::Delivery;
pub use settings::MailSettings;

/// Alerts waiting for the worker; beyond this, alerts are dropped (and logged).
const QUEUE_DEPTH: usize = 64;

/// One alert, ready to send.
struct Job {
    delivery: Arc<Delivery>,
    subject: String,
    message: String,
}

/// Sends SMTP alerts (see the module docs).
pub struct MailAlerts {
    settings: Arc<MailSettings>,
    /// The delivery of `settings`, shared by the jobs queued with it.
    delivery: Option<Arc<Delivery>>,
    /// The state last mailed per instance (`false`) or group (`true`) and name.
    last: HashMap<(bool, String), NotifyState>,
    queue: Queue<Job>,
    worker: JoinHandle<()>,
}

impl MailAlerts {
    /// Starts the worker for `settings`. Must be called inside a tokio runtime.
    pub fn new(settings: MailSettings) -> MailAlerts {
        let (queue, worker) = Queue::spawn(QUEUE_DEPTH, work);
        let mut alerts = MailAlerts {
            settings: Arc::default(),
            delivery: None,
            last: HashMap::new(),
            queue,
            worker,
        };
        alerts.use_settings(Arc::new(settings));
        alerts
    }

    /// A reload's settings; as in keepalived, whose reload starts its instances and groups
    /// afresh, the next state of each is mailed even when it is the one last mailed.
    fn use_settings(&mut self, settings: Arc<MailSettings>) {
        self.delivery = settings.delivery.clone().map(Arc::new);
        self.settings = settings;
        self.last.clear();
    }

    /// Queues the alert `n` calls for, if any.
    fn alert(&mut self, n: &Notification) {
        let Some(delivery) = &self.delivery else {
            return;
        };
        let s = &self.settings;
        let (about, wanted) = match &n.subject {
            Subject::Instance { name, .. } => (About::Instance(name), s.instances.contains(name)),
            Subject::Group { name } => (About::Group(name), s.groups.contains(name)),
        };
        if !wanted || (s.no_email_faults && n.state == NotifyState::Fault) {
            return;
        }
        let Some((what, body)) = message::wording(about, n.state) else {
            return;
        };
        let key = (
            matches!(about, About::Group(_)),
            n.subject.name().to_string(),
        );
        if self.last.insert(key, n.state) == Some(n.state) {
            return;
        }
        let subject = message::subject(&s.router_id, about, what);
        let message = message::compose(n.at, &delivery.from, &delivery.to, &subject, body);
        let job = Job {
            delivery: delivery.clone(),
            subject,
            message,
        };
        if let Err(Refused::Full) = self.queue.offer(job) {
            log::warn!(
                "SMTP alert queue full - dropping alert for {} {} {}",
                n.subject.kind(),
                n.subject.name(),
                n.state
            );
        }
    }
}

impl Observer for MailAlerts {
    fn observe(&mut self, event: &Event) {
        match event {
            Event::Notify(n) => self.alert(n),
            Event::Reloaded(settings) => self.use_settings(settings.mail.clone()),
            Event::StateChanged(_) => {}
        }
    }

    /// Alerts still queued (the STOP ones) get up to `grace` to go out; what is left then
    /// is dropped.
    fn shutdown(self: Box<Self>, grace: Duration) -> BoxFuture<'static, ()> {
        let MailAlerts { queue, worker, .. } = *self;
        queue.close();
        Box::pin(async move {
            let mut worker = worker;
            if tokio::time::timeout(grace, &mut worker).await.is_err() {
                log::info!("SMTP alerts still unsent at shutdown are dropped");
                worker.abort();
            }
        })
    }
}

/// The worker: sends each alert in turn, logging failures as keepalived does.
async fn work(mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        match send::deliver(&job.delivery, &job.message).await {
            Ok(()) => log::debug!("SMTP alert successfully sent: {}", job.subject),
            Err(e) => log::info!("{e} - SMTP alert '{}' not sent", job.subject),
        }
    }
}

/// The [`super::OBSERVERS`] row: every daemon gets it (a reload may turn alerts on); it
/// sends nothing while the configuration asks for no alert.
pub fn start(cfg: &Config) -> Option<Box<dyn Observer>> {
    Some(Box::new(MailAlerts::new(MailSettings::of(cfg))))
}
