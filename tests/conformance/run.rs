//! Runs one scenario with one implementation mix in a fresh lab: starts the captures,
//! walks the timeline, and judges what a peer or client could see.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::lab::{self, Capture, Host, Lab, Prober};
pub use crate::node::Binaries;
use crate::node::Node;
use crate::scenario::{render, Action, Impl, Mix, Scenario};
use crate::wire;

/// How one run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    Fail(String),
    /// Failed, but the scenario says our daemon cannot pass it yet.
    Pending(String),
    /// Passed although marked pending: the mark can go.
    PendingPassed,
}

/// Advert frames a node sent, by key (`id=N` for IPv4, `prio=P` for IPv6).
#[derive(Debug, Clone)]
pub struct Recording {
    pub node: String,
    pub imp: Impl,
    pub label: String,
    pub frames: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct RunResult {
    pub scenario: String,
    pub mix: Mix,
    pub outcome: Outcome,
    /// (label, longest client-side gap) per `outage` step.
    pub outages: Vec<(String, Duration)>,
    pub elapsed: Duration,
    pub recordings: Vec<Recording>,
    /// How peers' adverts departed from keepalived 2.2.7's fixed fields.
    pub peer_notes: Vec<String>,
    /// For a failed run: the steps taken and the end of each node's log, printed under
    /// the run's line so that a CI log shows why without the kept artifacts.
    pub evidence: String,
}

/// Everything a run holds; dropped in field order (probe and daemons before the lab).
struct Run<'a> {
    sc: &'a Scenario,
    mix: &'a Mix,
    /// The implementation on each node now (the mix's, until a `replace` step).
    current: Vec<Impl>,
    bins: &'a Binaries,
    probe: Option<Prober>,
    daemons: HashMap<String, Node>,
    captures: Vec<Capture>,
    lab: Lab,
    marks: HashMap<String, f64>,
    /// Log length per node at each mark, for `expect_log` with `since`.
    log_marks: HashMap<(String, String), usize>,
    narrative: Vec<String>,
    outages: Vec<(String, Duration)>,
    recordings: Vec<Recording>,
    /// How peers' adverts depart from 2.2.7's fixed fields (not judged).
    peer_notes: Vec<String>,
    vip: IpAddr,
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// Polls every 20 ms (each poll runs `ip` once per node) until `cond` or `limit`.
fn poll(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if cond() {
            return Some(start.elapsed());
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn run(sc: &Scenario, mix: &Mix, bins: &Binaries) -> RunResult {
    let started = Instant::now();
    let nodes: Vec<&str> = sc.nodes.iter().map(|s| s.as_str()).collect();
    let outcome_and_parts = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let lab = Lab::with_segments(&nodes, sc.client, sc.segments);
        let mut captures = Vec::new();
        for seg in 0..sc.segments {
            let file = lab.node(&sc.nodes[0]).dir.join(format!("../br{seg}.pcap"));
            captures.push(Capture::start(&lab, &format!("br{seg}"), file));
        }
        let mut r = Run {
            sc,
            mix,
            current: mix.0.clone(),
            bins,
            probe: None,
            daemons: HashMap::new(),
            captures,
            lab,
            marks: HashMap::new(),
            log_marks: HashMap::new(),
            narrative: Vec::new(),
            outages: Vec::new(),
            recordings: Vec::new(),
            peer_notes: Vec::new(),
            vip: sc.vip.parse().expect("scenario vip is an address"),
        };
        let result = r.walk();
        let result = result.and_then(|()| r.wire_checks());
        let evidence = match &result {
            Err(why) => {
                r.keep_artifacts(why);
                r.evidence()
            }
            Ok(()) => {
                if std::env::var_os("CONFORMANCE_KEEP").is_some() {
                    r.keep_artifacts("pass");
                }
                String::new()
            }
        };
        let parts = (
            r.outages.clone(),
            r.recordings.clone(),
            r.peer_notes.clone(),
        );
        (result, parts, evidence)
    }));
    let (result, (outages, recordings, peer_notes), evidence) = match outcome_and_parts {
        Ok(parts) => parts,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            (
                Err(format!("harness panic: {msg}")),
                Default::default(),
                String::new(),
            )
        }
    };
    let pending = sc.pending_for(mix);
    let outcome = match (result, pending) {
        (Ok(()), false) => Outcome::Pass,
        (Ok(()), true) => Outcome::PendingPassed,
        (Err(e), false) => Outcome::Fail(e),
        (Err(e), true) => Outcome::Pending(e),
    };
    let evidence = match outcome {
        Outcome::Fail(_) => evidence,
        _ => String::new(),
    };
    RunResult {
        scenario: sc.name.clone(),
        mix: mix.clone(),
        outcome,
        outages,
        elapsed: started.elapsed(),
        recordings,
        peer_notes,
        evidence,
    }
}

impl Run<'_> {
    fn imp(&self, node: &str) -> Impl {
        let i = self.sc.nodes.iter().position(|n| n == node).expect("node");
        self.current[i]
    }

    fn host(&self, node: &str) -> &Host {
        self.lab.node(node)
    }

    fn number(&self, node: &str) -> u8 {
        self.host(node).addr.octets()[3]
    }

    fn note(&mut self, line: String) {
        self.narrative.push(line);
    }

    /// Every step whose `when` matches this mix, in order; stops at the first failure.
    fn walk(&mut self) -> Result<(), String> {
        let t0 = Instant::now();
        for (i, step) in self.sc.steps.iter().enumerate() {
            let applies = step.when.iter().all(|(node, imp)| self.imp(node).is(imp));
            if !applies {
                continue;
            }
            let at = t0.elapsed().as_secs_f64();
            let res = self.step(&step.action);
            match res {
                Ok(detail) => self.note(format!(
                    "{at:7.2}s step {:2} {:?}: ok {detail}",
                    i + 1,
                    step.action
                )),
                Err(e) => {
                    self.note(format!(
                        "{at:7.2}s step {:2} {:?}: FAILED {e}",
                        i + 1,
                        step.action
                    ));
                    return Err(format!(
                        "step {} ({}): {e}",
                        i + 1,
                        action_name(&step.action)
                    ));
                }
            }
        }
        Ok(())
    }

    fn vars(&self, node: &str) -> BTreeMap<String, String> {
        let host = self.host(node);
        let n = self.number(node);
        let mut v = BTreeMap::new();
        v.insert("node".into(), node.to_string());
        v.insert("n".into(), n.to_string());
        v.insert("addr".into(), host.addr.to_string());
        v.insert("addr6".into(), link_local(n));
        v.insert("dir".into(), host.dir.display().to_string());
        v.insert(
            "notify".into(),
            host.dir.join("notify.sh").display().to_string(),
        );
        let others: Vec<&String> = self.sc.nodes.iter().filter(|o| *o != node).collect();
        v.insert(
            "peers".into(),
            others
                .iter()
                .map(|o| self.host(o).addr.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        v.insert(
            "peers6".into(),
            others
                .iter()
                .map(|o| link_local(self.number(o)))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        if let Some(extra) = self.sc.vars.get(node) {
            v.extend(extra.clone());
        }
        v
    }

    fn render_for(&self, node: &str, template: &str) -> Result<String, String> {
        render(template, &self.vars(node)).map_err(|e| format!("config of {node}: {e}"))
    }

    fn start(&mut self, node: &str) -> Result<(), String> {
        let template = self
            .sc
            .configs
            .get(self.imp(node).short())
            .unwrap_or(&self.sc.config)
            .clone();
        let config = self.render_for(node, &template)?;
        let host = self.host(node);
        let notify = host.dir.join("notify.sh");
        std::fs::write(
            &notify,
            format!(
                "#!/bin/sh\necho \"$@\" >> {}/notify.log\n",
                host.dir.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let d = Node::start(host, self.imp(node), self.bins, &config);
        self.daemons.insert(node.to_string(), d);
        Ok(())
    }

    /// An upgrade in place: stop the node's daemon (it must exit 0), start `with` on
    /// the same configuration.
    fn replace(&mut self, node: &str, with: &str) -> Result<String, String> {
        let code = self.daemon(node)?.stop(Duration::from_secs(8));
        self.daemons.remove(node);
        if code != Some(0) {
            return Err(format!("{node} did not exit 0 on SIGTERM: {code:?}"));
        }
        let i = self.sc.nodes.iter().position(|n| n == node).expect("node");
        self.current[i] = Impl::parse(with);
        self.start(node)?;
        Ok(format!("now {with}"))
    }

    fn daemon(&mut self, node: &str) -> Result<&mut Node, String> {
        self.daemons
            .get_mut(node)
            .ok_or_else(|| format!("{node} has no daemon running"))
    }

    /// Which node(s) hold `addr` on `dev`.
    fn holders(&self, addr: IpAddr, dev: &str) -> Vec<String> {
        self.sc
            .nodes
            .iter()
            .filter(|n| match self.imp(n) {
                Impl::Frr => crate::frr::holds(self.host(n), addr),
                _ => self.host(n).has_address_on(dev, addr),
            })
            .cloned()
            .collect()
    }

    fn log_of(&self, node: &str) -> String {
        std::fs::read_to_string(self.host(node).dir.join("daemon.log")).unwrap_or_default()
    }

    fn node_macs(&self, node: &str) -> Vec<[u8; 6]> {
        let n = self.number(node);
        (0..self.sc.segments)
            .map(|seg| [0x02, 0x4b, 0x52, 0x00, seg, n])
            .collect()
    }

    fn capture(&self) -> wire::Capture {
        // tcpdump -U writes each packet as it comes; give the last one a moment.
        std::thread::sleep(Duration::from_millis(150));
        let mut all = wire::Capture::default();
        for c in &self.captures {
            let one = wire::read(&c.file);
            all.adverts.extend(one.adverts);
            all.announcements.extend(one.announcements);
        }
        all.adverts.sort_by(|a, b| a.time.total_cmp(&b.time));
        all.announcements.sort_by(|a, b| a.time.total_cmp(&b.time));
        all
    }

    fn mark(&self, name: &str) -> f64 {
        self.marks[name]
    }

    fn step(&mut self, action: &Action) -> Result<String, String> {
        match action {
            Action::Start { nodes } => {
                let list = nodes.clone().unwrap_or_else(|| self.sc.nodes.clone());
                for n in &list {
                    self.start(n)?;
                }
                Ok(String::new())
            }
            Action::Stop { node } => {
                let code = self.daemon(node)?.stop(Duration::from_secs(8));
                self.daemons.remove(node);
                match code {
                    Some(0) => Ok("exit 0".into()),
                    other => Err(format!("{node} did not exit 0 on SIGTERM: {other:?}")),
                }
            }
            Action::Replace { node, with } => self.replace(node, with),
            Action::Kill { node, remove } => {
                self.daemon(node)?.kill_hard();
                self.daemons.remove(node);
                let addrs: Vec<IpAddr> = if remove.is_empty() {
                    vec![self.vip]
                } else {
                    remove
                        .iter()
                        .map(|a| a.parse().map_err(|_| format!("bad address {a}")))
                        .collect::<Result<_, _>>()?
                };
                for a in addrs {
                    remove_address(self.host(node), a);
                }
                Ok(String::new())
            }
            Action::Cut { node, segment } => {
                self.lab
                    .set_segment_cable(self.lab.node(node), *segment, false);
                Ok(String::new())
            }
            Action::Restore { node, segment } => {
                self.lab
                    .set_segment_cable(self.lab.node(node), *segment, true);
                Ok(String::new())
            }
            Action::Isolate { nodes } => {
                for n in nodes {
                    self.lab.set_isolated(self.lab.node(n), true);
                }
                Ok(String::new())
            }
            Action::Heal {} => {
                for n in &self.sc.nodes {
                    self.lab.set_isolated(self.lab.node(n), false);
                }
                Ok(String::new())
            }
            Action::Hup { node } => {
                self.daemon(node)?.signal(nix::sys::signal::Signal::SIGHUP);
                Ok(String::new())
            }
            Action::Reconfigure { node, template } => {
                let text = self.render_for(node, &self.sc.templates[template].clone())?;
                std::fs::write(self.host(node).dir.join("keepalived.conf"), text)
                    .map_err(|e| e.to_string())?;
                Ok(String::new())
            }
            Action::Sh { node, cmd } => {
                let out = std::process::Command::new("ip")
                    .args(["netns", "exec", &self.host(node).ns, "sh", "-c", cmd])
                    .current_dir(&self.host(node).dir)
                    .output()
                    .map_err(|e| e.to_string())?;
                if out.status.success() {
                    Ok(String::new())
                } else {
                    Err(format!(
                        "`{cmd}` failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ))
                }
            }
            Action::Wait { secs } => {
                std::thread::sleep(Duration::from_secs_f64(*secs));
                Ok(String::new())
            }
            Action::Mark { name } => {
                self.marks.insert(name.clone(), now_epoch());
                for n in self.sc.nodes.clone() {
                    let len = self.log_of(&n).len();
                    self.log_marks.insert((name.clone(), n), len);
                }
                Ok(String::new())
            }
            Action::Probe {} => {
                let client = self.lab.client.as_ref().ok_or("scenario has no client")?;
                self.probe = Some(Prober::start_ip(client, self.vip));
                std::thread::sleep(Duration::from_millis(300));
                Ok(String::new())
            }
            Action::Outage { max, label } => {
                let probe = self.probe.take().ok_or("no probe running")?;
                let (gap, replies) = probe.stop();
                self.outages.push((label.clone(), gap));
                if replies == 0 {
                    return Err("the client never reached the VIP".into());
                }
                if gap.as_secs_f64() > *max {
                    return Err(format!(
                        "client outage {:.3}s > {max}s ({label})",
                        gap.as_secs_f64()
                    ));
                }
                Ok(format!(
                    "outage {:.3}s over {replies} replies",
                    gap.as_secs_f64()
                ))
            }
            Action::ExpectVip {
                on,
                addr,
                dev,
                within,
                not_before,
            } => {
                let addr: IpAddr = match addr {
                    Some(a) => a.parse().map_err(|_| format!("bad address {a}"))?,
                    None => self.vip,
                };
                let dev = dev.clone().unwrap_or_else(|| "eth0".into());
                let want: Vec<String> = on
                    .iter()
                    .flat_map(|o| o.split(','))
                    .map(str::to_owned)
                    .collect();
                let took = poll(Duration::from_secs_f64(*within), || {
                    self.holders(addr, &dev) == want
                });
                match took {
                    Some(t) if t.as_secs_f64() < *not_before => Err(format!(
                        "{addr} on {want:?} after {:.3}s, sooner than {not_before}s",
                        t.as_secs_f64()
                    )),
                    Some(t) => Ok(format!("after {:.3}s", t.as_secs_f64())),
                    None => Err(format!(
                        "{addr} not on {want:?} within {within}s (on {:?})",
                        self.holders(addr, &dev)
                    )),
                }
            }
            Action::HoldVip { on, secs, addr } => {
                let addr: IpAddr = match addr {
                    Some(a) => a.parse().map_err(|_| format!("bad address {a}"))?,
                    None => self.vip,
                };
                let start = Instant::now();
                let want = vec![on.clone()];
                while start.elapsed().as_secs_f64() < *secs {
                    let now = self.holders(addr, "eth0");
                    if now != want {
                        return Err(format!(
                            "{addr} on {now:?} after {:.3}s, expected on {on} throughout",
                            start.elapsed().as_secs_f64()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(String::new())
            }
            Action::ExpectLog {
                node,
                text,
                within,
                absent,
                count,
                since,
            } => {
                let need = count.unwrap_or(1);
                let from = since
                    .as_ref()
                    .map(|m| self.log_marks[&(m.clone(), node.clone())])
                    .unwrap_or(0);
                let tail = |r: &Self| r.log_of(node).get(from..).unwrap_or("").to_string();
                let found = |r: &Self| tail(r).matches(text.as_str()).count() >= need;
                if *absent {
                    std::thread::sleep(Duration::from_secs_f64(*within));
                    if tail(self).contains(text.as_str()) {
                        return Err(format!("{node} logged {text:?}"));
                    }
                    return Ok(String::new());
                }
                match poll(Duration::from_secs_f64(*within), || found(self)) {
                    Some(t) => Ok(format!("after {:.3}s", t.as_secs_f64())),
                    None => Err(format!(
                        "{node} ({}) did not log {text:?}{} within {within}s",
                        self.imp(node).short(),
                        if need > 1 {
                            format!(" {need} times")
                        } else {
                            String::new()
                        }
                    )),
                }
            }
            Action::ExpectNotify { node, text, within } => {
                let file = self.host(node).dir.join("notify.log");
                let took = poll(Duration::from_secs_f64(*within), || {
                    std::fs::read_to_string(&file).is_ok_and(|t| t.contains(text.as_str()))
                });
                match took {
                    Some(t) => Ok(format!("after {:.3}s", t.as_secs_f64())),
                    None => Err(format!(
                        "{node} notify log has no {text:?}: {:?}",
                        std::fs::read_to_string(&file).unwrap_or_default()
                    )),
                }
            }
            Action::ExpectArp { points_at, mac } => {
                let client = self.lab.client.as_ref().ok_or("scenario has no client")?;
                let (mac, points_at) = match (points_at, mac) {
                    (Some(node), _) => (lab::fixed_mac(0, self.number(node)), node.clone()),
                    (None, Some(mac)) => (mac.to_ascii_lowercase(), "the virtual MAC".into()),
                    (None, None) => return Err("expect_arp without points_at or mac".into()),
                };
                let vip = self.vip.to_string();
                let took = poll(Duration::from_secs(2), || {
                    let _ = std::process::Command::new("ip")
                        .args([
                            "netns", "exec", &client.ns, "ping", "-c", "1", "-W", "1", &vip,
                        ])
                        .output();
                    client.ip(&["neigh", "show", &vip]).contains(&mac)
                });
                match took {
                    Some(_) => Ok(String::new()),
                    None => Err(format!(
                        "client neighbour entry {:?} does not point at {points_at} ({mac})",
                        client.ip(&["neigh", "show", &vip]).trim()
                    )),
                }
            }
            Action::ExpectAdverts {
                from,
                since,
                priority,
                vrid,
                min,
                max,
            } => {
                let t = self.mark(since);
                let macs = self.node_macs(from);
                let cap = self.capture();
                let n = cap
                    .adverts
                    .iter()
                    .filter(|a| a.time >= t && macs.contains(&a.src_mac))
                    .filter(|a| priority.is_none_or(|p| a.priority == p))
                    .filter(|a| vrid.is_none_or(|v| a.vrid == v))
                    .count();
                if n < *min || max.is_some_and(|m| n > m) {
                    return Err(format!(
                        "{n} adverts from {from} (priority {priority:?}) since {since}, expected {min}..={max:?}"
                    ));
                }
                Ok(format!("{n} adverts"))
            }
            Action::ExpectGarp {
                from,
                since,
                bursts,
                gap,
                addr,
                window,
            } => {
                let t = self.mark(since);
                let end = t + window.unwrap_or(f64::MAX);
                let due = (t + gap * (bursts.len().saturating_sub(1)) as f64 + 1.5).min(end + 0.2);
                let wait = due - now_epoch();
                if wait > 0.0 {
                    std::thread::sleep(Duration::from_secs_f64(wait));
                }
                let addr: IpAddr = match addr {
                    Some(a) => a.parse().map_err(|_| format!("bad address {a}"))?,
                    None => self.vip,
                };
                let macs = self.node_macs(from);
                let cap = self.capture();
                let times: Vec<f64> = cap
                    .announcements
                    .iter()
                    .filter(|a| a.time >= t && a.time <= end)
                    .filter(|a| a.addr == addr && macs.contains(&a.src_mac))
                    .map(|a| a.time)
                    .collect();
                let seen = wire::bursts(&times);
                let sizes: Vec<usize> = seen.iter().map(|b| b.1).collect();
                let gaps: Vec<f64> = seen.windows(2).map(|w| w[1].0 - w[0].0).collect();
                let desc = format!(
                    "bursts {sizes:?}, gaps {:?}",
                    gaps.iter().map(|g| format!("{g:.2}s")).collect::<Vec<_>>()
                );
                if &sizes != bursts || gaps.iter().any(|g| (g - gap).abs() > 0.6) {
                    return Err(format!(
                        "announcements of {addr} from {from}: {desc}; expected {bursts:?} {gap}s apart"
                    ));
                }
                Ok(desc)
            }
            Action::RecordAdverts { node, since, label } => {
                let t = self.mark(since);
                let macs = self.node_macs(node);
                let cap = self.capture();
                let mut frames = BTreeMap::new();
                for a in cap
                    .adverts
                    .iter()
                    .filter(|a| a.time >= t && macs.contains(&a.src_mac))
                {
                    let key = match (a.ident, a.ah_seq) {
                        (Some(id), Some(seq)) => format!("id={id},seq={seq}"),
                        (Some(id), None) => format!("id={id}"),
                        (None, _) => format!("prio={}", a.priority),
                    };
                    frames.entry(key).or_insert_with(|| a.frame.clone());
                    if frames.len() >= 6 {
                        break;
                    }
                }
                if frames.is_empty() {
                    return Err(format!("no adverts from {node} since {since} to record"));
                }
                let n = frames.len();
                self.recordings.push(Recording {
                    node: node.clone(),
                    imp: self.imp(node),
                    label: label.clone(),
                    frames,
                });
                Ok(format!("{n} frames"))
            }
        }
    }

    /// Every advert and announcement of the run against keepalived's fixed fields.
    fn wire_checks(&mut self) -> Result<(), String> {
        if !self.sc.wire_checks {
            return Ok(());
        }
        let mut cap = self.capture();
        // The fixed fields are keepalived 2.2.7's: they judge ours and 2.2.7. What other
        // peers (1.x, FRR) send differently is a fact about them, noted for the report.
        let (checked, peers): (Vec<_>, Vec<_>) = std::mem::take(&mut cap.adverts)
            .into_iter()
            .partition(|a| !self.sent_by_peer(&a.src_mac));
        cap.adverts = checked;
        let mut peer_notes: Vec<String> = peers
            .iter()
            .flat_map(|a| {
                let who = self.peer_name(&a.src_mac);
                a.problems.iter().map(move |p| format!("{who}: {p}"))
            })
            .collect();
        peer_notes.sort();
        peer_notes.dedup();
        for n in &peer_notes {
            self.note(format!("wire (peer, not judged): {n}"));
        }
        self.peer_notes = peer_notes;
        let mut problems: Vec<String> = Vec::new();
        for a in &cap.adverts {
            for p in &a.problems {
                problems.push(format!(
                    "advert from {} VRID {}: {p}",
                    who(self, &a.src_mac),
                    a.vrid
                ));
            }
        }
        for a in cap
            .announcements
            .iter()
            .filter(|a| !self.sent_by_peer(&a.src_mac))
        {
            for p in &a.problems {
                problems.push(format!("announcement from {}: {p}", who(self, &a.src_mac)));
            }
        }
        problems.extend(wire::ident_problems(&cap.adverts));
        problems.dedup();
        if problems.is_empty() {
            self.note(format!(
                "wire: {} adverts, {} announcements conform",
                cap.adverts.len(),
                cap.announcements.len()
            ));
            Ok(())
        } else {
            problems.truncate(8);
            Err(format!("wire: {}", problems.join("; ")))
        }
    }

    /// Whether a frame from `mac` was sent by a peer that is neither ours nor 2.2.7: a
    /// node running 1.x or FRR, or a virtual router MAC when FRR (which sends from its
    /// macvlan) is in the mix.
    fn sent_by_peer(&self, mac: &[u8; 6]) -> bool {
        let judged = |i: Impl| matches!(i, Impl::Ours | Impl::Keepalived);
        match self
            .sc
            .nodes
            .iter()
            .find(|n| self.node_macs(n).contains(mac))
        {
            Some(n) => !judged(self.imp(n)),
            None => mac[..4] == [0, 0, 0x5e, 0] && self.mix.0.contains(&Impl::Frr),
        }
    }

    /// The implementation a peer's frame came from (a virtual MAC: FRR's macvlan).
    fn peer_name(&self, mac: &[u8; 6]) -> &'static str {
        self.sc
            .nodes
            .iter()
            .find(|n| self.node_macs(n).contains(mac))
            .map_or("frr", |n| self.imp(n).short())
    }

    /// On failure (or always, with `CONFORMANCE_KEEP`): the narrative, daemon logs and captures go to
    /// `$CARGO_TARGET_TMPDIR/conformance/<scenario>/<mix>/` for a post-mortem.
    /// The narrative of the steps and the last lines of each node's daemon log.
    fn evidence(&self) -> String {
        const LOG_LINES: usize = 15;
        let mut text = self.narrative.join("\n");
        for n in &self.sc.nodes {
            let log =
                std::fs::read_to_string(self.host(n).dir.join("daemon.log")).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_LINES)..];
            text.push_str(&format!(
                "\n{n} ({}) daemon.log, last {} lines:",
                self.imp(n).short(),
                tail.len()
            ));
            for l in tail {
                text.push_str("\n  ");
                text.push_str(l);
            }
        }
        text
    }

    fn keep_artifacts(&self, why: &str) {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("conformance")
            .join(&self.sc.name)
            .join(self.mix.id());
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let mut text = format!("{why}\n\n");
        text.push_str(&self.narrative.join("\n"));
        let _ = std::fs::write(dir.join("narrative.txt"), text);
        for n in &self.sc.nodes {
            let h = self.host(n);
            for f in ["daemon.log", "keepalived.conf", "notify.log"] {
                let _ = std::fs::copy(
                    h.dir.join(f),
                    dir.join(format!("{n}-{}-{f}", self.imp(n).short())),
                );
            }
        }
        if let Some(client) = &self.lab.client {
            for entry in std::fs::read_dir(&client.dir)
                .into_iter()
                .flatten()
                .flatten()
            {
                let _ = std::fs::copy(
                    entry.path(),
                    dir.join(format!("client-{}", entry.file_name().to_string_lossy())),
                );
            }
        }
        for (i, c) in self.captures.iter().enumerate() {
            let _ = std::fs::copy(&c.file, dir.join(format!("br{i}.pcap")));
        }
    }
}

fn who(r: &Run, mac: &[u8; 6]) -> String {
    r.sc.nodes
        .iter()
        .find(|n| r.node_macs(n).contains(mac))
        .map(|n| format!("{n} ({})", r.imp(n).short()))
        .unwrap_or_else(|| wire::mac_string(mac))
}

fn action_name(a: &Action) -> String {
    let dbg = format!("{a:?}");
    dbg.split([' ', '{']).next().unwrap_or("").to_string()
}

/// The IPv6 link-local address of node `n`'s eth0 (from its fixed MAC).
fn link_local(n: u8) -> String {
    format!("fe80::4b:52ff:fe00:{n:x}")
}

/// Removes `addr` from whichever interface of `host` holds it, with its prefix.
fn remove_address(host: &Host, addr: IpAddr) {
    let out = host.ip(&["-o", "addr", "show"]);
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(pos) = words.iter().position(|w| *w == "inet" || *w == "inet6") else {
            continue;
        };
        let Some(with_prefix) = words.get(pos + 1) else {
            continue;
        };
        if with_prefix.split('/').next() == Some(addr.to_string().as_str()) {
            host.ip(&[
                "addr",
                "del",
                with_prefix,
                "dev",
                words[1].trim_end_matches(':'),
            ]);
        }
    }
}
