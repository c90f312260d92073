//! The daemon: the thin event loop joining config, the VRRP core and `sys`, plus the
//! process contract keepalived users rely on (command line in [`crate::cli`], logging,
//! pid files, daemonizing in [`crate::sys::daemonize`]).
//!
//! * [`start`]: check the configuration, detach, pid files, logging, runtime;
//!   [`start_stop`]: `startup_script` before VRRP starts, `shutdown_script` after it stops;
//! * [`plan`]: configuration + host interfaces → core configuration and sockets;
//! * [`replan`]: interfaces the configuration waits for (`dynamic_interfaces`);
//! * [`run`]: the event loop; [`wire`]: VRRP sockets; [`effects`]: VIPs, GARP and
//!   notifications off the advert path; [`signals`]: keepalived's signals; [`requests`]:
//!   the same asked from inside (D-Bus methods);
//! * [`status`]: one state model behind [`dump`] (signal dump files) and [`metrics`]
//!   (Prometheus / JSON endpoint); [`observe`]: everything that reacts to state
//!   changes (notify scripts and FIFOs, the status feed, …), fed from one place;
//!   [`sd_notify`]: systemd readiness.

mod coalesce;
mod config_save;
pub mod dump;
pub mod effects;
pub mod firewall;
mod kernel_knobs;
mod leftovers;
pub mod link_delay;
pub mod linkbeat;
pub mod log;
pub mod metrics;
pub mod observe;
pub mod options;
pub mod pidfile;
pub mod plan;
pub mod process_files;
pub mod reload_timer;
pub mod replan;
pub mod requests;
pub mod routing;
pub mod run;
pub mod rx_buffers;
pub mod sd_notify;
pub mod signals;
pub mod snmp;
pub mod start;
pub mod start_stop;
mod static_reinstate;
pub mod status;
pub mod tracking;
pub mod wire;

pub use start::run_daemon;
