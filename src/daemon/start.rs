//! The process contract of `keepalived` without `-t`/`-d`: check the configuration,
//! detach, take the pid files, set up logging, then run the event loop on a
//! single-threaded tokio runtime until TERM/INT.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context};
use tokio::sync::mpsc;

use super::effects::{EffectWorker, LogNotifications, Pacing};
use super::log::{LogConfig, Logger};
use super::pidfile::PidFile;
use super::plan::{self, HostInterfaces, InterfaceFacts, Plan};
use super::run::{event_loop, Host, Inputs, PlanFuture, Running};
use super::signals::{DaemonSignal, Signals};
use super::wire::INBOUND_QUEUE;
use crate::cli::{version_line, Options};
use crate::config::diag::Severity;
use crate::config::host::LocalHost;
use crate::config::model::Config;
use crate::config::source::{load_file, SourceOptions};
use crate::config::{check, Checked};
use crate::sys::{Netlink, NetlinkWatcher};
use crate::vrrp::{Router, RouterInit};

/// keepalived's exit code for a configuration it cannot run.
const EXIT_CONFIG: i32 = 4;
/// Exit code for start-up failures that are not about the configuration.
const EXIT_FAILURE: i32 = 1;

/// Runs the daemon; returns the process exit code.
pub fn run_daemon(opts: &Options) -> i32 {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("keepalived: the VRRP daemon must run as root (raw sockets and netlink need it)");
        return EXIT_FAILURE;
    }
    let checked = load(opts);
    if let Some(code) = refuses_to_start(&checked) {
        let mut err = std::io::stderr().lock();
        for d in &checked.diagnostics {
            let _ = writeln!(err, "{}", d.render_pretty(&checked.sources));
        }
        let _ = writeln!(
            err,
            "keepalived: {} cannot be run; fix the errors above (check with `keepalived -t -f {}`)",
            opts.config_file.display(),
            opts.config_file.display()
        );
        return code;
    }
    if opts.should_daemonize() {
        if let Err(e) = crate::sys::daemonize::daemonize(opts.effective_umask()) {
            eprintln!("keepalived: cannot detach: {e}");
            return EXIT_FAILURE;
        }
    } else {
        crate::sys::daemonize::set_umask(opts.effective_umask());
    }
    // One process does the work of keepalived's parent and VRRP child, so both pid
    // files name it: scripts that signal either keep working.
    let pid_files = match acquire_pid_files(opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("keepalived: {e:#}");
            return EXIT_FAILURE;
        }
    };
    let log_config = LogConfig::for_vrrp(opts, opts.namespace.as_deref(), None);
    let log_handle = match Logger::new(&log_config).and_then(|(logger, handle)| {
        logger.install()?;
        Ok(handle)
    }) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("keepalived: cannot set up logging: {e}");
            return EXIT_FAILURE;
        }
    };
    log::info!("Starting {}", version_line());
    for note in opts.unsupported_notes() {
        log::info!("{note}");
    }
    log::info!("Configuration file {}", opts.config_file.display());
    for d in &checked.diagnostics {
        let line = d.render_keepalived(&checked.sources);
        match d.severity {
            Severity::Info => log::info!("{line}"),
            _ => log::warn!("{line}"),
        }
    }
    let code = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")
        .and_then(|rt| rt.block_on(serve(opts, checked.config)))
    {
        Ok(()) => 0,
        Err(e) => {
            log::error!("{e:#}");
            EXIT_FAILURE
        }
    };
    log::info!("Stopped {}", version_line());
    log_handle.flush(std::time::Duration::from_secs(2));
    drop(pid_files);
    code
}

/// Reads and checks the configuration as `-t` would.
fn load(opts: &Options) -> Checked {
    let mut so = SourceOptions::default();
    if let Some(id) = &opts.config_id {
        so.config_id = id.clone();
    }
    let pre = load_file(&opts.config_file, &so);
    let host = (!opts.skip_host_checks).then_some(&LocalHost as &dyn crate::config::host::Host);
    check(pre, host)
}

/// At start-up keepalived runs whatever it could make sense of and only stops on
/// fatal problems (exit 4) or when reading aborted; we do the same.
fn refuses_to_start(checked: &Checked) -> Option<i32> {
    let aborted = checked.diagnostics.iter().any(|d| d.aborts);
    let fatal = checked
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Fatal);
    match (aborted, fatal) {
        (true, _) => Some(checked.exit_code()),
        (false, true) => Some(EXIT_CONFIG),
        _ => None,
    }
}

/// A reload is stricter than a start: any error keeps the running configuration, so a
/// typo can never take a working cluster down.
fn refuses_reload(checked: &Checked) -> Option<String> {
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Error || d.aborts)
        .map(|d| d.render_keepalived(&checked.sources))
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

fn acquire_pid_files(opts: &Options) -> anyhow::Result<Vec<PidFile>> {
    let mut files = vec![PidFile::acquire(&opts.pid_file)?];
    if opts.vrrp_pid_file != opts.pid_file {
        files.push(PidFile::acquire(&opts.vrrp_pid_file)?);
    }
    Ok(files)
}

/// Interface facts for the plan, from netlink.
async fn host_interfaces(netlink: &Netlink) -> anyhow::Result<HostInterfaces> {
    let all = netlink
        .interfaces()
        .await
        .context("cannot list interfaces")?;
    Ok(all
        .into_iter()
        .map(|i| {
            (
                i.name.clone(),
                InterfaceFacts {
                    index: i.index,
                    mac: i.mac,
                    operational: i.is_operational(),
                    primary_ipv4: i.primary_ipv4,
                    ipv6_link_local: i.ipv6_link_local,
                },
            )
        })
        .collect())
}

/// Builds the plan and the router's initial conditions on this host.
async fn plan_for(netlink: &Netlink, config: &Config) -> anyhow::Result<(Plan, RouterInit)> {
    let host = host_interfaces(netlink).await?;
    let plan = plan::build(config, &host, |_| Vec::new())?;
    for w in &plan.warnings {
        log::warn!("{w}");
    }
    let init = RouterInit {
        tracker_status: Vec::new(),
        interfaces_down: plan.interfaces_down.clone(),
    };
    Ok((plan, init))
}

/// Everything from the first netlink query to the end of the graceful stop.
async fn serve(opts: &Options, config: Config) -> anyhow::Result<()> {
    let netlink = Netlink::connect().context("cannot open netlink")?;
    let (plan, init) = plan_for(&netlink, &config).await?;
    let signals = Signals::install().context("cannot install signal handlers")?;
    let watcher = match NetlinkWatcher::open() {
        Ok(w) => Some(w),
        Err(e) => {
            log::warn!("link monitoring unavailable, interface faults will not be seen: {e}");
            None
        }
    };
    let pacing = Pacing {
        garp_interval: config.global.vrrp_garp_interval,
        gna_interval: config.global.vrrp_gna_interval,
    };
    let effects = EffectWorker::new(
        Netlink::connect().context("cannot open netlink")?,
        pacing,
        Box::new(LogNotifications),
    )
    .spawn();
    let (inbound_tx, inbound) = mpsc::channel(INBOUND_QUEUE);
    let (_tracker_tx, trackers) = mpsc::unbounded_channel();
    let mut router = Router::with_init(
        plan.instances.clone(),
        plan.groups.clone(),
        init,
        Instant::now(),
    );
    router.set_dont_release_vrrp(opts.dont_release_vrrp);
    router.set_log_unknown_vrids(config.global.log_unknown_vrids);
    let running = Running::start(config, plan, router, inbound_tx.clone(), effects)
        .map_err(|e| anyhow!("{e}"))?;
    log::info!("Startup complete");
    let mut host = DaemonHost {
        opts: opts.clone(),
        netlink,
    };
    event_loop(
        running,
        Inputs {
            inbound,
            inbound_tx,
            trackers,
            netlink: watcher,
            signals,
        },
        &mut host,
    )
    .await;
    Ok(())
}

/// The daemon's side of reloads and dumps.
struct DaemonHost {
    opts: Options,
    netlink: Netlink,
}

impl Host for DaemonHost {
    fn load_config(&self) -> Box<dyn FnOnce() -> Result<Config, String> + Send> {
        let opts = self.opts.clone();
        Box::new(move || {
            let checked = load(&opts);
            match refuses_reload(&checked) {
                Some(why) => Err(why),
                None => Ok(checked.config),
            }
        })
    }

    fn plan(&mut self, config: &Config) -> PlanFuture<'_> {
        let config = config.clone();
        Box::pin(async move {
            plan_for(&self.netlink, &config)
                .await
                .map_err(|e| format!("{e:#}"))
        })
    }

    fn dump(&mut self, signal: DaemonSignal, _config: &Config, router: &mut Router) {
        match signal {
            DaemonSignal::DumpStats => {
                log::info!(
                    "Printing VRRP stats for process({}) on signal",
                    std::process::id()
                );
                write_dump(&dump_path("keepalived.stats"), &router.stats_file());
            }
            DaemonSignal::ClearStats => {
                log::info!(
                    "Clearing VRRP stats for process({}) on signal",
                    std::process::id()
                );
                router.clear_stats();
            }
            other => log::info!("{other:?}: this dump is not available yet"),
        }
    }

    fn state_changed(&mut self, _config: &Config, _router: &Router) {}
}

/// keepalived writes its dumps to `$TMPDIR` or `/tmp`.
fn dump_path(name: &str) -> PathBuf {
    let dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    dir.join(name)
}

fn write_dump(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        log::error!("cannot write {}: {e}", path.display());
    }
}
