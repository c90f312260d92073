//! The process-contract settings of keepalived's configuration: which network namespace
//! the daemon runs in, the name that tells several keepalived instances on one host apart
//! (pid files, syslog ident, dump files), timed reloads and where copies of the
//! configuration go. All of them act on the process, none on the VRRP protocol.

use std::path::PathBuf;

/// `net_namespace`, `instance`, `use_pid_dir`, `reload_time_file`, `reload_repeat`,
/// `reload_file`, `config_save_dir`, `include_check` and `data_use_instance`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSettings {
    /// `net_namespace NAME` (top level): the daemon runs in `/var/run/netns/NAME`, and its
    /// pid files live in `/run/keepalived/NAME` (a private bind mount over
    /// `/run/keepalived`). The command line's `-s` overrides it.
    pub net_namespace: Option<String>,
    /// `instance NAME` (top level): pid files `/run/keepalived/keepalived_NAME.pid` and
    /// `vrrp_NAME.pid`, syslog ident `Keepalived_vrrp_NAME`. Read at start only, as
    /// keepalived ignores it on reload.
    pub instance: Option<String>,
    /// `use_pid_dir` (top level): pid files under `/run/keepalived/`. `net_namespace` and
    /// `instance` imply it ([`ProcessSettings::pid_dir_in_use`]).
    pub use_pid_dir: bool,
    /// `reload_time_file FILE`: the daemon reloads at the date and time written in FILE.
    pub reload_time_file: Option<PathBuf>,
    /// `reload_repeat`: a time without a date in the reload time file reloads every day
    /// (the file is kept after the reload instead of being removed).
    pub reload_repeat: bool,
    /// `reload_file [FILE]`: a file that exists while a reload is in progress.
    pub reload_file: Option<ReloadFile>,
    /// `config_save_dir DIR`: every configuration read is copied into DIR.
    pub config_save_dir: Option<PathBuf>,
    /// `include_check [+|-]TYPE…` as written: applied by the reader (`config::source`) to
    /// every later `include`; kept here so `-d` prints it back.
    pub include_check: Option<Vec<String>>,
    /// `data_use_instance [BOOL]`: dump file names carry the namespace and instance name
    /// (`keepalived.NS_NAME.data`).
    pub data_use_instance: bool,
}

/// Where `reload_file` puts its marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadFile {
    /// `reload_file` without a name: keepalived's default, derived from the pid file
    /// directory and the instance name.
    Default,
    Path(PathBuf),
}

impl ProcessSettings {
    /// keepalived puts its pid files in `/run/keepalived/` when asked to, and whenever an
    /// instance name or a network namespace is configured.
    pub fn pid_dir_in_use(&self) -> bool {
        self.use_pid_dir || self.instance.is_some() || self.net_namespace.is_some()
    }
}
