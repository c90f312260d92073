//! The process contract of `keepalived` without `-t`/`-d`: check the configuration,
//! detach, take the pid files, set up logging, then run the event loop on a
//! single-threaded tokio runtime until TERM/INT.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context};
use tokio::sync::mpsc;

use std::sync::Arc;
use std::time::SystemTime;

use super::effects::{EffectWorker, Pacing};
use super::kernel_knobs::{LocalIgmpOff, NetlinkSockets};
use super::log::{LogConfig, Logger};
use super::metrics::Endpoint;
use super::observe::{Observers, Settings};
use super::options::Options;
use super::pidfile::PidFile;
use super::plan::{self, HostInterfaces, InterfaceFacts};
use super::process_files::{self, Identity};
use super::reload_timer::ReloadTimer;
use super::run::{event_loop, Host, Inputs, Lifecycle, Loaded, PrepareFuture, Prepared, Running};
use super::sd_notify::{Readiness, SystemdNotifier};
use super::signals::{DaemonSignal, Origin, Signals};
use super::snmp::SnmpAgent;
use super::start_stop::Moment;
use super::status::{ProcessInfo, Snapshot};
use super::tracking::Tracking;
use crate::config::diag::Severity;
use crate::config::host::LocalHost;
use crate::config::model::Config;
use crate::config::source::SourceOptions;
use crate::config::{check_file, Checked};
use crate::sys::{Netlink, NetlinkWatcher};
use crate::version::version_line;
use crate::vrrp::{Router, RouterInit};

/// Exit code for start-up failures that are not about the configuration.
const EXIT_FAILURE: i32 = 1;

/// Runs the daemon; returns the process exit code.
pub fn run_daemon(opts: &Options) -> i32 {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("keepalived: the VRRP daemon must run as root (raw sockets and netlink need it)");
        return EXIT_FAILURE;
    }
    // Before any thread starts: one allocator arena for the whole process.
    crate::sys::memory::use_single_arena();
    let mut checked = load(opts);
    if let Some(code) = refuse(opts, &mut checked) {
        return code;
    }
    // Before any thread exists: a namespace entered later would hold only one thread.
    let identity = Identity::of(opts, &checked.config.global.process);
    let pid_dir = Path::new(process_files::PID_DIR);
    let pid_dir_made = identity.pid_dir && crate::sys::netns::make_pid_dir(pid_dir);
    let mut startup_notes = Vec::new();
    let mut pid_mount = None;
    if let Some(ns) = &identity.namespace {
        if let Err(e) = crate::sys::netns::enter(ns) {
            eprintln!("keepalived: {e}\nUnable to set network namespace {ns} - exiting");
            return EXIT_FAILURE;
        }
        // Read again so the host checks see the namespace's interfaces.
        checked = load(opts);
        if let Some(code) = refuse(opts, &mut checked) {
            return code;
        }
        match crate::sys::netns::PidDirMount::set_up(pid_dir, ns) {
            Ok(m) => pid_mount = Some(m),
            Err(e) => startup_notes.push(e),
        }
    }
    let umask = opts.effective_umask(checked.config.global.umask);
    if opts.should_daemonize() {
        if let Err(e) = crate::sys::daemonize::daemonize(umask) {
            eprintln!("keepalived: cannot detach: {e}");
            return EXIT_FAILURE;
        }
    } else {
        crate::sys::daemonize::set_umask(umask);
    }
    // One process does the work of keepalived's parent and VRRP child, so both pid
    // files name it: scripts that signal either keep working.
    let pid_files = match acquire_pid_files(identity.pid_files(opts)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("keepalived: {e:#}");
            return EXIT_FAILURE;
        }
    };
    let log_config = LogConfig::for_vrrp(
        opts,
        identity.namespace.as_deref(),
        identity.instance.as_deref(),
    );
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
    crate::panic_policy::install();
    log::info!("Starting {}", version_line());
    for note in opts.unsupported_notes() {
        log::info!("{note}");
    }
    log::info!("Configuration file {}", opts.config_file.display());
    if let (Some(cli), Some(conf)) = (
        &opts.namespace,
        &checked.config.global.process.net_namespace,
    ) {
        log::info!("Overriding config net_namespace '{conf}' with command line namespace '{cli}'");
    }
    for note in startup_notes {
        log::info!("{note}");
    }
    if let Some(dir) = &checked.config.global.process.config_save_dir {
        super::config_save::save_config(dir, &checked.sources);
    }
    if opts.umask.is_some() && checked.config.global.umask.is_some() {
        log::info!("umask command line option specified, ignoring config option");
    }
    log_findings(&checked);
    // The source text, syntax tree and diagnostics are not needed any more. The checked
    // configuration is scattered among them; a copy made here is laid out together, so
    // the pages the check used become free pages the allocator can give back instead of
    // pinning the peak of the check for the daemon's lifetime.
    let config = checked.config.clone();
    drop(checked);
    crate::sys::memory::release_free_memory();
    apply_scheduling(&config);
    let code = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")
        .and_then(|rt| rt.block_on(serve(opts, config, identity)))
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
    if let Some(m) = pid_mount {
        m.release();
    }
    if pid_dir_made {
        crate::sys::netns::remove_empty_dir(pid_dir);
    }
    code
}

/// Prints why the configuration cannot run, if it cannot; returns keepalived's exit code.
fn refuse(opts: &Options, checked: &mut Checked) -> Option<i32> {
    let refusal = checked.refusal()?;
    let spans = checked.diagnostics.iter().filter_map(|d| d.span);
    checked.sources.preload_lines(spans);
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
    Some(refusal.exit_code)
}

/// Real-time scheduling of the event-loop thread (see [`crate::sys::sched`]):
/// `vrrp_rt_priority` (default 1) and `vrrp_rlimit_rttime` (µs, default 1 s); the nice
/// value (`vrrp_priority`) and CPUs (`vrrp_cpu_affinity`) of the process; and
/// `vrrp_no_swap` (lock the process in memory).
fn apply_scheduling(config: &Config) {
    let global = &config.global;
    let priority = global.scheduling.vrrp_rt_priority.unwrap_or(1).clamp(1, 99) as i32;
    let limit = global.scheduling.vrrp_rlimit_rttime.unwrap_or(1_000_000);
    match crate::sys::sched::set_realtime(priority, std::time::Duration::from_micros(limit)) {
        Ok(()) => log::debug!("VRRP timers run under SCHED_RR priority {priority}"),
        Err(e) => log::info!("Cannot use real-time scheduling ({e}); running at normal priority"),
    }
    // keepalived sets the nice value only when real-time scheduling is not configured.
    if let (Some(nice), None) = (
        global.scheduling.vrrp_priority,
        global.scheduling.vrrp_rt_priority,
    ) {
        if let Err(e) = crate::sys::sched::set_nice(nice.into()) {
            log::info!("Unable to set process priority to {nice} - {e}");
        }
    }
    let cpus = &global.scheduling.vrrp_cpu_affinity;
    if !cpus.is_empty() {
        if let Err(e) = crate::sys::sched::set_cpu_affinity(cpus) {
            log::warn!("unable to set cpu affinity to vrrp process ({e})");
        }
    }
    if global.scheduling.vrrp_no_swap {
        match crate::sys::memory::lock_all() {
            Ok(()) => log::debug!("VRRP process locked in memory (vrrp_no_swap)"),
            Err(e) => log::warn!("Unable to lock VRRP process in memory - {e}"),
        }
    }
}

/// Reads and checks the configuration named by the command line (`-f`, `-i`), with host
/// checks unless `--skip-host-checks`, and applies `-x`/`-A`: what `-t`, `-d` and the
/// daemon (at start-up and on each reload) all start from.
pub fn load(opts: &Options) -> Checked {
    let mut so = SourceOptions::default();
    if let Some(id) = &opts.config_id {
        so.config_id = id.clone();
    }
    let host = (!opts.skip_host_checks).then_some(&LocalHost as &dyn crate::config::host::Host);
    let mut checked = check_file(&opts.config_file, &so, host);
    opts.apply_snmp_options(&mut checked);
    checked
}

/// A reload is refused only where keepalived could not run the file either, or, with
/// `reload_check_config` in the running configuration, when `-t` would not pass it
/// (keepalived's opt-in stricter reload: `-t`'s report goes to the file that keyword
/// names). See [`Checked::reload_refusal`]. Anything else is applied, as keepalived
/// applies it; its findings are logged as at start-up.
fn refuses_reload(checked: &Checked, check_log: Option<&std::path::Path>) -> Option<String> {
    let refusal = checked.reload_refusal(check_log.is_some())?;
    if let (Some(log), None) = (check_log, checked.refusal()) {
        let report: String = checked
            .diagnostics
            .iter()
            .map(|d| d.render_keepalived(&checked.sources) + "\n")
            .collect();
        if let Err(e) = std::fs::write(log, report) {
            log::warn!(
                "cannot write the configuration check to {}: {e}",
                log.display()
            );
        }
        return Some(format!(
            "New config failed validation, see {} for details",
            log.display()
        ));
    }
    Some(refusal.summary(checked))
}

/// Logs what checking the configuration found, as keepalived logs it.
fn log_findings(checked: &Checked) {
    for d in &checked.diagnostics {
        let line = d.render_keepalived(&checked.sources);
        match d.severity {
            Severity::Info => log::info!("{line}"),
            _ => log::warn!("{line}"),
        }
    }
}

fn acquire_pid_files((main, vrrp): (PathBuf, PathBuf)) -> anyhow::Result<Vec<PidFile>> {
    let mut files = vec![PidFile::acquire(&main)?];
    if vrrp != main {
        files.push(PidFile::acquire(&vrrp)?);
    }
    Ok(files)
}

/// Interface facts for the plan, every address of the host and every link's flags, from
/// netlink.
async fn host_interfaces(
    netlink: &Netlink,
) -> anyhow::Result<(
    HostInterfaces,
    std::collections::HashSet<std::net::IpAddr>,
    std::collections::HashMap<String, u32>,
)> {
    let all = netlink
        .interfaces()
        .await
        .context("cannot list interfaces")?;
    let addresses = all
        .iter()
        .flat_map(|i| i.addresses.iter().map(|a| a.address))
        .collect();
    let flags = all.iter().map(|i| (i.name.clone(), i.flags)).collect();
    let facts = all
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
                    mtu: i.mtu,
                },
            )
        })
        .collect();
    Ok((facts, addresses, flags))
}

/// Plans `config` on this host: trackers (carrying results from `previous`), the
/// core configuration, and the router's initial conditions.
async fn prepare(
    netlink: &Netlink,
    config: &Config,
    previous: Option<&Tracking>,
    saved_sysctls: &mut Vec<(String, String)>,
) -> anyhow::Result<Prepared> {
    let (host, addresses, link_flags) = host_interfaces(netlink).await?;
    let mut tracking = Tracking::plan(config);
    if let Some(previous) = previous {
        tracking.carry_results(previous);
    }
    let mut plan = plan::build(config, &host, |inst| tracking.instance_refs(inst))?;
    for w in &plan.warnings {
        log::warn!("{w}");
    }
    // An instance whose link could not be made stays in FAULT, as in keepalived.
    let failed = create_vmacs(netlink, &plan.vmacs, &host, saved_sysctls).await;
    plan.interfaces_down.extend(failed);
    // keepalived.conf(5): "if the configured src_ip doesn't exist or is removed put the
    // instance into fault state".
    let sources_missing = plan
        .instances
        .iter()
        .filter(|i| i.track_source && !addresses.contains(&i.source_addr))
        .map(|i| i.source_addr)
        .collect();
    let init = RouterInit {
        tracker_status: tracking.initial_status(),
        interfaces_down: plan.interfaces_down.clone(),
        sources_missing,
    };
    let (delays, notes) = super::link_delay::effective(config, &plan);
    notes.iter().for_each(|n| log::info!("{n}"));
    Ok(Prepared {
        link_delays: super::link_delay::LinkDelays::new(delays, &link_flags),
        plan,
        init,
        tracking,
    })
}

/// Creates the `use_vmac` macvlans (existing ones are kept) and makes the base
/// interfaces answer and announce ARP only for their own addresses, so the VIPs on the
/// VMAC are announced with the virtual router MAC alone.
/// The previous value of every sysctl changed is appended to `saved` (once per path), to
/// be put back at exit.
async fn create_vmacs(
    netlink: &Netlink,
    vmacs: &[plan::VmacSpec],
    host: &HostInterfaces,
    saved: &mut Vec<(String, String)>,
) -> Vec<String> {
    let mut failed = Vec::new();
    for v in vmacs {
        let Some(base) = host.get(&v.base) else {
            log::error!("use_vmac {}: interface {} does not exist", v.name, v.base);
            continue;
        };
        if let plan::LinkKind::Ipvlan { flags, address } = v.kind {
            if !create_ipvlan(netlink, base.index, v, flags, address).await {
                failed.push(v.name.clone());
            }
            continue;
        }
        match netlink.add_vmac(base.index, &v.name, v.mac, v.ipv6).await {
            Ok(crate::sys::Change::Applied) => {
                log::info!("Created VMAC interface {} on {}", v.name, v.base)
            }
            Ok(_) => {}
            Err(e) => log::error!("use_vmac: cannot create {}: {e}", v.name),
        }
        // arp_ignore 1: answer only for addresses on the receiving interface;
        // arp_announce 2: never put a VIP in the base interface's own ARP requests.
        for (knob, value) in [("arp_ignore", "1"), ("arp_announce", "2")] {
            let sysctl = format!("/proc/sys/net/ipv4/conf/{}/{knob}", v.base);
            if !saved.iter().any(|(p, _)| *p == sysctl) {
                if let Ok(old) = std::fs::read_to_string(&sysctl) {
                    saved.push((sysctl.clone(), old.trim().to_owned()));
                }
            }
            if let Err(e) = std::fs::write(&sysctl, value) {
                log::warn!("cannot set {sysctl}: {e}");
            }
        }
    }
    failed
}

/// `use_ipvlan`: the L2 ipvlan, up, with its address (keepalived touches no ARP
/// settings for an ipvlan: it answers with the base interface's own MAC).
async fn create_ipvlan(
    netlink: &Netlink,
    base_index: u32,
    v: &plan::VmacSpec,
    flags: crate::sys::IpvlanFlagsWord,
    address: Option<(std::net::IpAddr, u8)>,
) -> bool {
    match netlink.add_ipvlan(base_index, &v.name, flags).await {
        Ok(crate::sys::Change::Applied) => {
            log::info!("Created ipvlan interface {} on {}", v.name, v.base)
        }
        Ok(_) => {}
        Err(e) => {
            log::info!("Netlink: error: {e}");
            log::info!(
                "({}): Unable to create ipvlan interface {}",
                v.instance,
                v.name
            );
            return false;
        }
    }
    let (Some((addr, prefix)), Ok(link)) = (address, netlink.interface(&v.name).await) else {
        return true;
    };
    let spec = crate::sys::AddressSpec::new(link.index, addr, prefix);
    if let Err(e) = netlink.add(&spec).await {
        log::info!(
            "{}: Failed to add interface address to {}: {e}",
            v.instance,
            v.name
        );
    }
    true
}

/// Everything from the first netlink query to the end of the graceful stop.
async fn serve(opts: &Options, config: Config, identity: Identity) -> anyhow::Result<()> {
    super::start_stop::run(Moment::Startup, &config.global).await;
    let netlink = Netlink::connect().context("cannot open netlink")?;
    let mut saved_sysctls = Vec::new();
    let prepared = prepare(&netlink, &config, None, &mut saved_sysctls).await?;
    let running_vmacs: Vec<String> = prepared.plan.vmacs.iter().map(|v| v.name.clone()).collect();
    let signals = Signals::install().context("cannot install signal handlers")?;
    let watcher = match NetlinkWatcher::open() {
        Ok(w) => Some(w),
        Err(e) => {
            log::warn!("link monitoring unavailable, interface faults will not be seen: {e}");
            None
        }
    };
    let pacing = Pacing::of(&config);
    // Before the observers start: the D-Bus service asks the loop through it.
    let requests = super::requests::install();
    let effects_netlink = Netlink::connect().context("cannot open netlink")?;
    let netlink_sockets = netlink_sockets(&netlink, &effects_netlink, watcher.as_ref());
    netlink_sockets.apply(&config.global);
    // Before the VRRP sockets join their groups, or the kernel reports the joins.
    let local_igmp_off = LocalIgmpOff::apply(&config.global);
    let effects = EffectWorker::new(effects_netlink, pacing, Observers::start(&config)).spawn();
    let (tracker_tx, trackers) = mpsc::unbounded_channel();
    let delay = config.global.vrrp_startup_delay;
    if !delay.is_zero() {
        log::info!("Delaying startup for {} seconds", delay.as_secs_f64());
    }
    let started = Instant::now();
    let mut router = Router::with_init(
        prepared.plan.instances.clone(),
        prepared.plan.groups.clone(),
        prepared.init.clone(),
        started,
    );
    if !delay.is_zero() {
        router.delay_start(started + delay, started);
    }
    router.set_dont_release_vrrp(opts.release.dont_release_vrrp);
    router.set_log_unknown_vrids(config.global.log_unknown_vrids);
    let umask_at_start = opts.effective_umask(config.global.umask);
    let running = Running::start(config, prepared, router, effects, tracker_tx)
        .map_err(|e| anyhow!("{e}"))?;
    let vmacs: Vec<String> = running_vmacs.clone();
    let mut host = DaemonHost {
        opts: opts.clone(),
        vmacs,
        saved_sysctls,
        netlink,
        netlink_sockets,
        process: ProcessInfo {
            identity,
            umask_at_start: Some(umask_at_start),
            ..ProcessInfo::current(&opts.config_file)
        },
        reload_timer: None,
        metrics: None,
        snmp: None,
        reload_check: running.shown.global().reload_check_config.clone(),
        global: running.shown.global().clone(),
        systemd: match SystemdNotifier::from_env() {
            Ok(n) => n,
            Err(e) => {
                log::warn!("cannot reach systemd's notify socket: {e}");
                None
            }
        },
    };
    let mut metrics = Endpoint::new(Arc::new(host.snapshot(&running)));
    metrics.configure(running.shown.global().metrics_listen, Instant::now());
    host.metrics = Some(metrics);
    let mut snmp = SnmpAgent::new(Arc::new(host.snapshot(&running)));
    snmp.configure(running.shown.config());
    host.snmp = Some(snmp);
    host.restart_reload_timer();
    log::info!("Startup complete");
    host.lifecycle(Lifecycle::Ready);
    crate::sys::memory::release_free_memory();
    crate::sys::memory::release_file_pages();
    event_loop(
        running,
        Inputs {
            trackers,
            netlink: watcher,
            signals,
            requests,
        },
        &mut host,
    )
    .await;
    drop(host.reload_timer.take());
    if let Some(snmp) = host.snmp.take() {
        snmp.shutdown().await;
    }
    // The VMAC interfaces are ours: remove them and put the base interfaces' ARP
    // settings back, as keepalived does.
    for name in &host.vmacs {
        if let Err(e) = host.netlink.delete_link(name).await {
            log::warn!("cannot remove VMAC interface {name}: {e}");
        }
    }
    for (path, old) in &host.saved_sysctls {
        if let Err(e) = std::fs::write(path, old) {
            log::warn!("cannot restore {path}: {e}");
        }
    }
    if let Some(off) = local_igmp_off {
        off.restore();
    }
    super::start_stop::run(Moment::Shutdown, &host.global).await;
    Ok(())
}

/// Handles on the daemon's netlink sockets by keepalived's two kinds: queries and changes
/// (the planning connection and the effect worker's), and link events. A socket that
/// cannot be duplicated keeps the kernel's default size (logged).
fn netlink_sockets(
    planning: &Netlink,
    effects: &Netlink,
    watcher: Option<&NetlinkWatcher>,
) -> NetlinkSockets {
    let mut sockets = NetlinkSockets::default();
    for netlink in [planning, effects] {
        match netlink.socket_handles() {
            Ok(h) => sockets.cmd.extend(h),
            Err(e) => log::warn!("cannot size a netlink socket: {e}"),
        }
    }
    match watcher.map(NetlinkWatcher::socket_handles) {
        Some(Ok(h)) => sockets.monitor = h,
        Some(Err(e)) => log::warn!("cannot size the netlink event socket: {e}"),
        None => {}
    }
    sockets
}

/// The daemon's side of reloads, dumps, metrics and systemd.
struct DaemonHost {
    opts: Options,
    /// `use_vmac` interfaces created so far (removed at exit).
    vmacs: Vec<String>,
    /// Sysctls changed for them, with their previous values (restored at exit).
    saved_sysctls: Vec<(String, String)>,
    netlink: Netlink,
    /// Every netlink socket, sized again at each reload.
    netlink_sockets: NetlinkSockets,
    process: ProcessInfo,
    /// The `reload_time_file` watcher of the running configuration.
    reload_timer: Option<ReloadTimer>,
    /// The metrics endpoint (`metrics_listen`), once the first snapshot exists.
    metrics: Option<Endpoint>,
    /// The SNMP subagent (`enable_snmp_rfcv2` or `-x`), fed the same snapshots.
    snmp: Option<SnmpAgent>,
    /// `reload_check_config` of the running configuration.
    reload_check: Option<std::path::PathBuf>,
    /// The running configuration's global settings: its `shutdown_script` runs at exit.
    global: crate::config::model::GlobalDefs,
    systemd: Option<SystemdNotifier>,
}

impl DaemonHost {
    /// Watches the running configuration's `reload_time_file` (the previous watcher
    /// stops first).
    fn restart_reload_timer(&mut self) {
        drop(self.reload_timer.take());
        let p = &self.global.process;
        if let Some(file) = &p.reload_time_file {
            match ReloadTimer::start(file.clone(), p.reload_repeat) {
                Ok(t) => self.reload_timer = Some(t),
                Err(e) => log::warn!("cannot watch {}: {e}", file.display()),
            }
        }
    }

    /// `reload_file`: present while a reload is in progress (mode 0644).
    fn mark_reloading(&self, reloading: bool) {
        let p = &self.global.process;
        let Some(file) = self.process.identity.reload_file(p.reload_file.as_ref()) else {
            return;
        };
        if !reloading {
            let _ = std::fs::remove_file(&file);
            return;
        }
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&file);
        if let Err(e) = created {
            log::info!(
                "Failed to create reload file ({}) {} - {e}",
                file.display(),
                e.raw_os_error().unwrap_or(0)
            );
        }
    }

    fn snapshot(&self, running: &Running) -> Snapshot {
        Snapshot::capture(
            &running.shown,
            &running.router,
            Instant::now(),
            SystemTime::now(),
            &running.tracking.views(),
            &self.process,
        )
    }
}

impl Host for DaemonHost {
    fn load_config(&self) -> Box<dyn FnOnce() -> Result<Loaded, String> + Send> {
        let opts = self.opts.clone();
        let check_log = self.reload_check.clone();
        // Supervised: a panic while reading the new file refuses the reload and keeps
        // the running configuration (see crate::panic_policy).
        Box::new(move || {
            crate::panic_policy::supervised(|| {
                let checked = load(&opts);
                log_findings(&checked);
                if let Some(dir) = &checked.config.global.process.config_save_dir {
                    super::config_save::save_config(dir, &checked.sources);
                }
                match refuses_reload(&checked, check_log.as_deref()) {
                    Some(why) => Err(why),
                    None => Ok(Loaded {
                        observers: Settings::of(&checked.config),
                        config: checked.config,
                    }),
                }
            })
            .unwrap_or_else(|_| Err("internal error while reading the configuration".into()))
        })
    }

    fn prepare<'a>(
        &'a mut self,
        config: &'a Config,
        previous: Option<&'a Tracking>,
    ) -> PrepareFuture<'a> {
        Box::pin(async move {
            let prepared = prepare(&self.netlink, config, previous, &mut self.saved_sysctls)
                .await
                .map_err(|e| format!("{e:#}"))?;
            for v in &prepared.plan.vmacs {
                if !self.vmacs.contains(&v.name) {
                    self.vmacs.push(v.name.clone());
                }
            }
            Ok(prepared)
        })
    }

    fn dump(&mut self, signal: DaemonSignal, origin: Origin, running: &mut Running) {
        let tmp = super::dump::tmp_dir(std::env::var_os("TMPDIR").as_deref());
        let paths = (self.process.identity).dump_paths(self.global.process.data_use_instance, &tmp);
        let snap = self.snapshot(running);
        // keepalived's words: "... for process(PID) on signal" / "... on DBus request".
        let asked = match origin {
            Origin::Signal => format!("for process({}) on signal", std::process::id()),
            Origin::Dbus => "on DBus request".to_owned(),
        };
        let written = match signal {
            DaemonSignal::DumpData => {
                log::info!("Printing VRRP data {asked}");
                paths.write_data(&snap)
            }
            DaemonSignal::DumpStats => {
                log::info!("Printing VRRP stats {asked}");
                paths.write_stats(&snap)
            }
            DaemonSignal::ClearStats => {
                log::info!("Printing and clearing VRRP stats {asked}");
                let written = paths.write_stats(&snap);
                running.router.clear_stats();
                written
            }
            DaemonSignal::DumpJson => {
                log::info!("Printing VRRP as json {asked}");
                paths.write_json(&snap)
            }
            DaemonSignal::Stop | DaemonSignal::Reload => Ok(()),
        };
        if let Err(e) = written {
            log::error!("{e}");
        }
    }

    fn refresh(&mut self, running: &Running) {
        let metrics = self.metrics.as_ref().filter(|m| m.is_serving());
        let snmp = self.snmp.as_ref().filter(|s| s.is_running());
        if metrics.is_none() && snmp.is_none() {
            return;
        }
        let snap = Arc::new(self.snapshot(running));
        if let Some(metrics) = metrics {
            metrics.publish(snap.clone());
        }
        if let Some(snmp) = snmp {
            snmp.publish(snap);
        }
    }

    fn tick(&mut self, _running: &Running) {
        if let Some(metrics) = &mut self.metrics {
            metrics.bind_if_due(Instant::now());
        }
    }

    fn reload_starting(&mut self, running: &Running) {
        if let Some(dir) = &self.global.process.config_save_dir {
            let data = super::dump::render_data(&self.snapshot(running));
            super::config_save::save_dump(dir, false, &data);
        }
    }

    fn reloaded(&mut self, running: &Running) {
        self.reload_check = running.shown.global().reload_check_config.clone();
        super::kernel_knobs::note_reload(&self.global, running.shown.global());
        self.global = running.shown.global().clone();
        if let Some(dir) = &self.global.process.config_save_dir {
            let data = super::dump::render_data(&self.snapshot(running));
            super::config_save::save_dump(dir, true, &data);
        }
        self.netlink_sockets.apply(&self.global);
        self.restart_reload_timer();
        if let Some(metrics) = &mut self.metrics {
            metrics.configure(running.shown.global().metrics_listen, Instant::now());
        }
        if let Some(snmp) = &mut self.snmp {
            snmp.configure(running.shown.config());
        }
        self.refresh(running);
    }

    fn lifecycle(&mut self, event: Lifecycle) {
        match event {
            Lifecycle::Reloading => self.mark_reloading(true),
            Lifecycle::Ready => self.mark_reloading(false),
            Lifecycle::Stopping => {}
        }
        let Some(systemd) = &self.systemd else {
            return;
        };
        let states = match event {
            Lifecycle::Ready => vec![Readiness::Ready, Readiness::Status("VRRP running".into())],
            Lifecycle::Reloading => vec![Readiness::Reloading],
            Lifecycle::Stopping => vec![Readiness::Stopping],
        };
        if let Err(e) = systemd.notify(&states) {
            log::warn!("sd_notify: {e}");
        }
    }
}
