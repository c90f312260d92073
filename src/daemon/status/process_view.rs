//! The process-contract settings as the data dump shows them (keepalived's global
//! section: namespace, instance name, saved configurations, timed reloads).

use std::path::PathBuf;

use crate::config::model::ProcessSettings;
use crate::daemon::process_files::Identity;
use crate::daemon::reload_timer;

/// What the data dump says about namespace, instance and reload files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityView {
    /// The namespace the daemon runs in (`-s` or `net_namespace`).
    pub namespace: Option<String>,
    pub instance: Option<String>,
    pub config_save_dir: Option<PathBuf>,
    pub reload_time_file: Option<PathBuf>,
    pub reload_repeat: bool,
    /// The reload scheduled now, in local time, and whether the file named a date.
    pub reload_scheduled: Option<(String, bool)>,
    /// `reload_file` with keepalived's default resolved.
    pub reload_file: Option<PathBuf>,
    pub data_use_instance: bool,
}

impl IdentityView {
    pub fn capture(settings: &ProcessSettings, identity: &Identity) -> Self {
        let reload_scheduled = settings.reload_time_file.as_ref().and_then(|_| {
            reload_timer::scheduled().map(|s| (reload_timer::format_local(s.at), s.date_specified))
        });
        IdentityView {
            namespace: identity.namespace.clone(),
            instance: identity.instance.clone(),
            config_save_dir: settings.config_save_dir.clone(),
            reload_time_file: settings.reload_time_file.clone(),
            reload_repeat: settings.reload_repeat,
            reload_scheduled,
            reload_file: identity.reload_file(settings.reload_file.as_ref()),
            data_use_instance: settings.data_use_instance,
        }
    }
}
