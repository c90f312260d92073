//! Invariants checked after every simulation step.
//!
//! 1. Once the segment has been healthy (no loss, no partition, small delay) and nothing
//!    changed for `settle` (largest Master_Down_Interval + one advert + delays), there
//!    is exactly one master, and it has the highest effective priority among live,
//!    non-FAULT routers. Among equal top priorities any one may be master: the address
//!    tie-break only decides between two masters (RFC 3768 §6.4.3); a backup never
//!    preempts an equal-priority master (checklist item 12).
//! 2. No state changes while healthy and settled.
//! 3. A settled master's crash is repaired within the best backup's Master_Down_Interval;
//!    a settled master's shutdown (priority-0 advert) within its Skew_Time.
//! 4. After a settled partition heals with two masters, the surviving master
//!    re-announces its VIPs (GARP) after the heal.

use std::time::Duration;

use keepalived_rs::vrrp::{State, Version};

use super::network::Conditions;
use super::world::{Event, Node};

pub struct Checker {
    pub settle: Duration,
    pub version: Version,
    pub interval: Duration,
    quiet_since: Option<Duration>,
    partitioned: bool,
    repairs: Vec<(Duration, String)>,
    heal: Option<Duration>,
    error: Option<String>,
    pub checks: u64,
    pub repairs_checked: u64,
    pub heals_checked: u64,
}

fn eligible(nodes: &[Node]) -> impl Iterator<Item = (usize, &Node)> {
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.state(), Some(State::Backup | State::Master)))
}

fn masters(nodes: &[Node]) -> Vec<usize> {
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.state() == Some(State::Master))
        .map(|(i, _)| i)
        .collect()
}

impl Checker {
    pub fn new(settle: Duration, version: Version, interval: Duration) -> Self {
        Checker {
            settle,
            version,
            interval,
            quiet_since: Some(Duration::ZERO),
            partitioned: false,
            repairs: Vec::new(),
            heal: None,
            error: None,
            checks: 0,
            repairs_checked: 0,
            heals_checked: 0,
        }
    }

    /// Skew_Time = (256 − priority) / 256 × interval (v2: the interval is 1 s here).
    fn skew(&self, priority: u8) -> Duration {
        let _ = self.version;
        Duration::from_micros((256 - u64::from(priority)) * self.interval.as_micros() as u64 / 256)
    }

    /// The earliest pending deadline, so that the world steps exactly there.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.repairs.iter().map(|r| r.0).min()
    }

    fn settled(&self, now: Duration) -> bool {
        self.quiet_since.is_some_and(|q| now >= q + self.settle)
    }

    pub fn before_event(
        &mut self,
        now: Duration,
        nodes: &[Node],
        cond: &Conditions,
        _side: &[u8],
        ev: &Event,
    ) {
        self.repairs.clear();
        self.heal = None;
        let settled = self.settled(now);
        match ev {
            Event::Crash(i) | Event::Stop(i)
                if settled && !self.partitioned && nodes[*i].state() == Some(State::Master) =>
            {
                let best = eligible(nodes)
                    .filter(|(j, _)| j != i)
                    .map(|(_, n)| n.priority())
                    .max();
                if let Some(p) = best {
                    let slack = cond.max_delay() * 2 + Duration::from_millis(1);
                    // Independent of the library's timer code: RFC 3768 §6.1 / RFC 5798 §6.1.
                    let skew = self.skew(p);
                    let (bound, what) = match ev {
                        Event::Crash(_) => (self.interval * 3 + skew, "Master_Down_Interval"),
                        _ => (skew, "Skew_Time after priority 0"),
                    };
                    self.repairs.push((
                        now + bound + slack,
                        format!("master loss at {now:?} not repaired within {what} {bound:?}"),
                    ));
                }
            }
            Event::Heal if settled && masters(nodes).len() >= 2 => self.heal = Some(now),
            _ => {}
        }
        self.quiet_since = None;
    }

    pub fn after_event(&mut self, now: Duration, _nodes: &[Node], cond: &Conditions) {
        self.partitioned = cond.partitioned;
        let healthy = Conditions {
            partitioned: false,
            ..*cond
        }
        .healthy();
        self.quiet_since = healthy.then_some(now);
    }

    pub fn state_changed(&mut self, now: Duration, i: usize, from: State, to: State) {
        if !self.partitioned && self.settled(now) && self.error.is_none() {
            self.error = Some(format!(
                "node {i} changed {from:?} -> {to:?} at {now:?} while healthy and settled"
            ));
        }
    }

    pub fn check(
        &mut self,
        now: Duration,
        nodes: &[Node],
        _cond: &Conditions,
    ) -> Result<(), String> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut failed = None;
        let mut done = 0;
        self.repairs.retain(|(deadline, what)| {
            if now >= *deadline {
                done += 1;
                if masters(nodes).is_empty() {
                    failed = Some(what.clone());
                }
                false
            } else {
                true
            }
        });
        self.repairs_checked += done;
        if let Some(e) = failed {
            return Err(e);
        }
        if self.partitioned || !self.settled(now) {
            return Ok(());
        }
        self.checks += 1;
        let m = masters(nodes);
        let best = eligible(nodes).map(|(_, n)| n.priority()).max();
        match (best, m.as_slice()) {
            (None, []) => {}
            (None, _) => return Err(format!("{now:?}: masters {m:?} but no eligible router")),
            (Some(_), [one]) => {
                let p = nodes[*one].priority();
                if Some(p) != best {
                    return Err(format!(
                        "{now:?}: master node {one} has priority {p}, best is {best:?}"
                    ));
                }
            }
            (Some(_), _) => {
                return Err(format!("{now:?}: {} masters {m:?} after settling", m.len()))
            }
        }
        if let Some(h) = self.heal {
            if now >= h + self.settle {
                self.heal = None;
                self.heals_checked += 1;
                let winner = m[0];
                if nodes[winner].last_garp.is_none_or(|g| g < h) {
                    return Err(format!(
                        "node {winner} survived the partition healed at {h:?} but sent no GARP"
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn finish(
        &mut self,
        now: Duration,
        nodes: &[Node],
        cond: &Conditions,
    ) -> Result<(), String> {
        self.check(now, nodes, cond)?;
        if !self.settled(now) || self.partitioned {
            return Err(format!("scenario ended unsettled at {now:?}"));
        }
        Ok(())
    }
}
