//! What the mail observer needs from a configuration, resolved the way keepalived 2.2.7
//! resolves it when it reads `global_defs`: the host's canonical name stands in for an
//! unset `router_id`, `smtp_helo_name` and the user part of `notification_email_from`, and
//! each instance's and sync group's `smtp_alert` falls back to `smtp_alert_vrrp`, then to
//! the global `smtp_alert`, then to off.

use std::collections::HashSet;
use std::time::Duration;

use crate::config::model::Config;

/// keepalived's default `smtp_connect_timeout`, in seconds.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// keepalived's default SMTP port.
const DEFAULT_PORT: u16 = 25;

/// Where and how alerts are delivered: the same for every alert of one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub host: String,
    pub port: u16,
    /// `smtp_connect_timeout`: the limit of the connection and of each reply awaited.
    pub timeout: Duration,
    pub helo: String,
    pub from: String,
    pub to: Vec<String>,
}

/// The mail settings of one configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailSettings {
    /// `None` when no alert is sent: no `smtp_server`, no `notification_email`, or no
    /// instance or group with `smtp_alert` (then nothing else here is filled in either).
    pub delivery: Option<Delivery>,
    /// The name subjects start with (`[router_id]`).
    pub router_id: String,
    pub no_email_faults: bool,
    /// Instances whose state changes are mailed.
    pub instances: HashSet<String>,
    /// Sync groups whose state changes are mailed.
    pub groups: HashSet<String>,
}

impl MailSettings {
    /// Resolves `cfg`'s mail settings. When alerts are on and `router_id` or an SMTP
    /// default needs the host's canonical name, this blocks on its look-up: call it off
    /// the event loop.
    pub fn of(cfg: &Config) -> MailSettings {
        let email = &cfg.global.email;
        let default = email.smtp_alert_vrrp.or(email.smtp_alert).unwrap_or(false);
        let instances: HashSet<String> = cfg
            .instances
            .iter()
            .filter(|i| i.smtp_alert.unwrap_or(default))
            .map(|i| i.name.clone())
            .collect();
        let groups: HashSet<String> = cfg
            .sync_groups
            .iter()
            .filter(|g| g.smtp_alert.unwrap_or(default))
            .map(|g| g.name.clone())
            .collect();
        let (Some(server), false) = (&email.smtp_server, email.notification_email.is_empty())
        else {
            return MailSettings::default();
        };
        if instances.is_empty() && groups.is_empty() {
            return MailSettings::default();
        }
        let needs_name = cfg.global.router_id.is_none()
            || email.smtp_helo_name.is_none()
            || email.notification_email_from.is_none();
        let local = needs_name.then(local_name);
        let local = local.as_deref().unwrap_or("localhost");
        let mut words = server.split(' ');
        let host = words.next().unwrap_or_default().to_string();
        let port = words.next().and_then(|p| p.parse().ok());
        let delivery = Some(Delivery {
            host,
            port: port.unwrap_or(DEFAULT_PORT),
            timeout: Duration::from_secs(
                email
                    .smtp_connect_timeout
                    .map_or(DEFAULT_TIMEOUT_SECS, u64::from),
            ),
            helo: email.smtp_helo_name.clone().unwrap_or(local.to_string()),
            from: email
                .notification_email_from
                .clone()
                .unwrap_or_else(|| format!("{}@{local}", user_name())),
            to: email.notification_email.clone(),
        });
        MailSettings {
            delivery,
            router_id: cfg.global.router_id.clone().unwrap_or(local.to_string()),
            no_email_faults: email.no_email_faults,
            instances,
            groups,
        }
    }
}

/// The host's canonical name as keepalived finds it.
fn local_name() -> String {
    crate::sys::canonical_name::local_name()
}

/// The name of the user the daemon runs as (the default sender is `user@host`).
fn user_name() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map_or_else(|| "root".to_string(), |u| u.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::check_text;

    /// A configuration with one instance in one sync group; `global`, `instance` and
    /// `group` are extra lines of each block.
    fn settings(global: &str, instance: &str, group: &str) -> MailSettings {
        let text = format!(
            "global_defs {{\n router_id lb1\n notification_email {{\n  a@example.com\n }}\n \
             notification_email_from k@example.com\n smtp_server 198.18.0.25 2525\n \
             smtp_helo_name lb1.example.com\n{global}}}\n\
             vrrp_sync_group G1 {{\n group {{\n  VI_1\n }}\n{group}}}\n\
             vrrp_instance VI_1 {{\n interface lo\n virtual_router_id 1\n priority 100\n\
             {instance}}}\n"
        );
        let checked = check_text(&text);
        MailSettings::of(&checked.config)
    }

    #[test]
    fn smtp_alert_vrrp_outranks_smtp_alert_and_the_instance_outranks_both() {
        let s = settings(" smtp_alert\n", "", "");
        assert!(s.instances.contains("VI_1") && s.groups.contains("G1"));
        let s = settings(" smtp_alert\n smtp_alert_vrrp off\n", "", " smtp_alert\n");
        assert!(s.instances.is_empty());
        assert!(s.groups.contains("G1"));
        let s = settings(" no_email_faults\n", " smtp_alert\n", "");
        assert!(s.instances.contains("VI_1") && s.groups.is_empty());
        assert!(s.no_email_faults);
        assert_eq!(s.router_id, "lb1");
        assert_eq!(
            s.delivery,
            Some(Delivery {
                host: "198.18.0.25".into(),
                port: 2525,
                timeout: Duration::from_secs(30),
                helo: "lb1.example.com".into(),
                from: "k@example.com".into(),
                to: vec!["a@example.com".into()],
            })
        );
    }

    #[test]
    fn nothing_is_delivered_without_alerts() {
        assert_eq!(settings("", "", "").delivery, None);
    }
}
