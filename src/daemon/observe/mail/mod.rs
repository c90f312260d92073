//! The e-mail observer: keepalived 2.2.7's SMTP alerts. An instance or sync group with
//! `smtp_alert` (its own, else the global `smtp_alert_vrrp`, else the global `smtp_alert`)
//! gets one mail each time it announces MASTER, BACKUP, FAULT or STOP (and an instance
//! DELETED, with `notify_deleted`), on the same notifications the notify scripts run on;
//! never twice in a row for the same state, and never for FAULT with `no_email_faults`.
//! The wording is in [`message`], the resolved settings in [`settings`].
//!
//! Mail goes through a bounded [`Queue`] to this observer's own task, which sends each
//! alert on a connection of its own, several at once: a slow or dead SMTP server holds
//! up alerts (and, once [`IN_FLIGHT`] are stuck and the queue is full, loses new ones,
//! with a warning) but never the event loop. keepalived's alerts are asynchronous too,
//! but run on the event loop that also sends its adverts.

mod message;
mod send;
pub mod settings;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::queue::{Queue, Refused};
use super::{Event, Notification, Observer, Subject};
use crate::config::model::Config;
use crate::vrrp::NotifyState;
use message::About;
use settings::Delivery;
pub use settings::MailSettings;

/// Alerts waiting for the worker; beyond this, alerts are dropped (and logged).
const QUEUE_DEPTH: usize = 64;

/// Alerts being sent at once (keepalived has no limit but its file descriptors).
const IN_FLIGHT: usize = 32;

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
        let Some(job) = self.alert_for(n) else {
            return;
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

    /// The alert `n` calls for: none unless alerts are delivered, its instance or group
    /// has `smtp_alert`, the state is one keepalived mails (FAULT not with
    /// `no_email_faults`) and is not the one last mailed for it.
    fn alert_for(&mut self, n: &Notification) -> Option<Job> {
        let delivery = self.delivery.as_ref()?;
        let s = &self.settings;
        let (about, wanted) = match &n.subject {
            Subject::Instance { name, .. } => (About::Instance(name), s.instances.contains(name)),
            Subject::Group { name } => (About::Group(name), s.groups.contains(name)),
        };
        if !wanted || (s.no_email_faults && n.state == NotifyState::Fault) {
            return None;
        }
        let (what, body) = message::wording(about, n.state)?;
        let key = (
            matches!(about, About::Group(_)),
            n.subject.name().to_string(),
        );
        if self.last.insert(key, n.state) == Some(n.state) {
            return None;
        }
        let subject = message::subject(&s.router_id, about, what);
        let message = message::compose(n.at, &delivery.from, &delivery.to, &subject, body);
        Some(Job {
            delivery: delivery.clone(),
            subject,
            message,
        })
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

/// The worker: sends up to [`IN_FLIGHT`] alerts at once, each on its own connection as
/// keepalived does (so one alert stuck on a slow server does not hold up the next),
/// logging failures as keepalived does.
async fn work(mut rx: mpsc::Receiver<Job>) {
    let mut flying = JoinSet::new();
    loop {
        tokio::select! {
            job = rx.recv(), if flying.len() < IN_FLIGHT => match job {
                Some(job) => {
                    flying.spawn(send_one(job));
                }
                None => break,
            },
            Some(_) = flying.join_next(), if !flying.is_empty() => {}
        }
    }
    while flying.join_next().await.is_some() {}
}

async fn send_one(job: Job) {
    match send::deliver(&job.delivery, &job.message).await {
        Ok(()) => log::debug!("SMTP alert successfully sent: {}", job.subject),
        Err(e) => log::info!("{e} - SMTP alert '{}' not sent", job.subject),
    }
}

/// The [`super::OBSERVERS`] row: every daemon gets it (a reload may turn alerts on); it
/// sends nothing while the configuration asks for no alert.
pub fn start(cfg: &Config) -> Option<Box<dyn Observer>> {
    Some(Box::new(MailAlerts::new(MailSettings::of(cfg))))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::SystemTime;

    use super::*;
    use crate::daemon::observe::Cause;

    fn settings(no_email_faults: bool) -> MailSettings {
        MailSettings {
            delivery: Some(Delivery {
                host: "127.0.0.1".into(),
                port: 9,
                timeout: Duration::from_secs(1),
                helo: "h".into(),
                from: "k@example.com".into(),
                to: vec!["a@example.com".into()],
            }),
            router_id: "lb1".into(),
            no_email_faults,
            instances: HashSet::from(["VI_1".to_string()]),
            groups: HashSet::from(["G1".to_string()]),
        }
    }

    fn subjects(alerts: &mut MailAlerts, seq: &[(&str, NotifyState)]) -> Vec<String> {
        seq.iter()
            .filter_map(|(name, state)| {
                let subject = match *name {
                    "G1" => Subject::Group { name: "G1".into() },
                    _ => Subject::Instance {
                        name: name.to_string(),
                        vrid: 1,
                    },
                };
                let n = Notification {
                    subject,
                    state: *state,
                    priority: 100,
                    cause: Cause::Protocol,
                    at: SystemTime::now(),
                };
                alerts.alert_for(&n).map(|j| j.subject)
            })
            .collect()
    }

    #[tokio::test]
    async fn each_state_is_mailed_once_and_only_for_those_asking() {
        use NotifyState::*;
        let mut alerts = MailAlerts::new(settings(false));
        let got = subjects(
            &mut alerts,
            &[
                ("VI_1", Backup),
                ("VI_1", BackupPriority),
                ("VI_1", Backup),
                ("VI_2", Master),
                ("G1", Master),
                ("VI_1", MasterRxLowerPri),
                ("VI_1", Fault),
                ("VI_1", Master),
            ],
        );
        assert_eq!(
            got,
            [
                "[lb1] VRRP Instance VI_1 - Entering BACKUP state",
                "[lb1] VRRP Group G1 - Entering MASTER state",
                "[lb1] VRRP Instance VI_1 - Entering FAULT state",
                "[lb1] VRRP Instance VI_1 - Entering MASTER state",
            ]
        );
        // A reload starts afresh: the same state is mailed again.
        alerts.use_settings(Arc::new(settings(false)));
        assert_eq!(subjects(&mut alerts, &[("VI_1", Master)]).len(), 1);
    }

    #[tokio::test]
    async fn no_email_faults_skips_fault_and_does_not_count_it_as_mailed() {
        use NotifyState::*;
        let mut alerts = MailAlerts::new(settings(true));
        let got = subjects(
            &mut alerts,
            &[("VI_1", Master), ("VI_1", Fault), ("G1", Fault)],
        );
        assert_eq!(got, ["[lb1] VRRP Instance VI_1 - Entering MASTER state"]);
        // MASTER was the last state mailed, so MASTER after the unmailed FAULT is not
        // mailed again (keepalived compares with the last state it mailed).
        assert!(subjects(&mut alerts, &[("VI_1", Master)]).is_empty());
    }
}
