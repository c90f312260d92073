//! `interface_up_down_delays`: a link that goes down (or up) is acted on only once it has
//! stayed so for the interface's delay, and a change reverted within the delay is never
//! acted on at all (keepalived 2.2.7's interface debounce timers).
//!
//! keepalived's rules, reproduced here on netlink link messages (`ifi_flags`):
//!
//! * A link counts as up when both `IFF_UP` and `IFF_RUNNING` are set.
//! * A message carrying exactly the flags last acted on cancels a pending change without
//!   a word (the usual end of a short flap).
//! * While a change is pending, a message in the same direction only updates the flags
//!   it will apply; one in the other direction cancels it ("Delay timer for IF
//!   cancelled"), and is then itself judged against the flags last acted on.
//! * A change of direction is delayed by the down or up delay, logged as "IF: Adding
//!   flags change from 0xOLD to 0xNEW delay by MICROSECONDS", unless the delay is 0 or
//!   the link has never been seen up (a new link's first up is immediate); when it is
//!   due, it is acted on as if netlink had just reported it.
//! * A deleted link is acted on at once, and its next first up is immediate again.
//! * Polled link state (`linkbeat_use_polling`) bypasses the delays in keepalived.
//! * Each delay must be shorter than `(down_timer_adverts - 1)` adverts of every
//!   instance on the interface (else the backup would take over before the master
//!   noticed): a longer one is cut to that less 1/256 advert, with a log line; with
//!   `down_timer_adverts 1` the delays are dropped. A VMAC takes its base's delays.
//!
//! [`LinkDelays`] is clock-free: every call gets `now`; the event loop sleeps until
//! [`LinkDelays::next_due`] and then applies [`LinkDelays::due`].

use super::plan::Plan;
use crate::config::model::Config;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const IFF_UP: u32 = 0x1;
const IFF_RUNNING: u32 = 0x40;

/// keepalived's test of a link being up: administratively up and running.
fn flags_up(flags: u32) -> bool {
    flags & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING
}

/// The delays of one interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delays {
    pub down: Duration,
    pub up: Duration,
}

impl Delays {
    fn is_zero(self) -> bool {
        self.down.is_zero() && self.up.is_zero()
    }
}

/// A change waiting for its delay.
#[derive(Clone, Copy, Debug)]
struct Pending {
    flags: u32,
    due: Instant,
}

/// One delayed interface.
#[derive(Clone, Debug)]
struct Link {
    delays: Delays,
    /// The flags last acted on (keepalived's `ifi_flags`).
    applied: u32,
    seen_up: bool,
    pending: Option<Pending>,
}

/// What a link message comes to.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    /// Act on the message now (as without delays).
    pub act: bool,
    /// keepalived's log line about it, if any.
    pub note: Option<String>,
}

impl Step {
    fn held(note: Option<String>) -> Step {
        Step { act: false, note }
    }
}

/// The delayed interfaces of the running configuration.
#[derive(Clone, Debug, Default)]
pub struct LinkDelays {
    links: HashMap<String, Link>,
}

impl LinkDelays {
    /// `delays` per interface, each link starting from its current `flags` (0 when the
    /// link does not exist yet).
    pub fn new(delays: Vec<(String, Delays)>, flags: &HashMap<String, u32>) -> LinkDelays {
        let links = delays
            .into_iter()
            .filter(|(_, d)| !d.is_zero())
            .map(|(name, delays)| {
                let applied = flags.get(&name).copied().unwrap_or(0);
                let link = Link {
                    delays,
                    applied,
                    seen_up: flags_up(applied),
                    pending: None,
                };
                (name, link)
            })
            .collect();
        LinkDelays { links }
    }

    /// After a reload: links delayed before and now keep what they had seen and any
    /// pending change (as keepalived's interfaces outlive a reload).
    pub fn carry_over(&mut self, old: &LinkDelays) {
        for (name, link) in &mut self.links {
            if let Some(o) = old.links.get(name) {
                link.applied = o.applied;
                link.seen_up = o.seen_up;
                link.pending = o.pending;
            }
        }
    }

    /// A link message with `flags` for `name`, judged by keepalived's rules.
    pub fn step(&mut self, now: Instant, name: &str, flags: u32) -> Step {
        let Some(link) = self.links.get_mut(name) else {
            return Step {
                act: true,
                note: None,
            };
        };
        if flags == link.applied {
            link.pending = None;
            return Step::held(None);
        }
        let now_up = flags_up(flags);
        let mut note = None;
        if let Some(p) = &mut link.pending {
            if flags_up(p.flags) == now_up {
                p.flags = flags;
                return Step::held(None);
            }
            link.pending = None;
            note = Some(format!("Delay timer for {name} cancelled"));
        }
        if flags_up(link.applied) == now_up {
            return Step::held(note);
        }
        let delay = if now_up {
            link.delays.up
        } else {
            link.delays.down
        };
        if link.seen_up && !delay.is_zero() {
            link.pending = Some(Pending {
                flags,
                due: now + delay,
            });
            let note = format!(
                "{name}: Adding flags change from 0x{:x} to 0x{flags:x} delay by {}",
                link.applied,
                delay.as_micros()
            );
            return Step::held(Some(note));
        }
        link.applied = flags;
        link.seen_up |= now_up;
        Step { act: true, note }
    }

    /// [`Self::step`], its log line written: whether to act on the message now.
    pub fn changed(&mut self, now: Instant, name: &str, flags: u32) -> bool {
        let step = self.step(now, name, flags);
        if let Some(note) = step.note {
            log::info!("{note}");
        }
        step.act
    }

    /// `name` was deleted: acted on at once, without delay.
    pub fn removed(&mut self, name: &str) {
        if let Some(link) = self.links.get_mut(name) {
            link.pending = None;
            link.applied = 0;
            link.seen_up = false;
        }
    }

    /// When the next pending change is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.links
            .values()
            .filter_map(|l| l.pending.map(|p| p.due))
            .min()
    }

    /// The changes due at `now`, each as (interface, up), now taken as acted on.
    pub fn due(&mut self, now: Instant) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for (name, link) in &mut self.links {
            let Some(p) = link.pending.filter(|p| p.due <= now) else {
                continue;
            };
            link.pending = None;
            link.applied = p.flags;
            let up = flags_up(p.flags);
            link.seen_up |= up;
            out.push((name.clone(), up));
        }
        out.sort();
        out
    }
}

/// The delays each interface runs with under `plan`, and keepalived's log lines for the
/// delays its instances' advert timers made it cut (in instance order).
pub fn effective(config: &Config, plan: &Plan) -> (Vec<(String, Delays)>, Vec<String>) {
    let mut by_name: Vec<(String, Delays)> = config
        .up_down_delays
        .iter()
        .map(|e| {
            let d = Delays {
                down: e.down,
                up: e.up,
            };
            (e.interface.clone(), d)
        })
        .collect();
    let mut notes = Vec::new();
    for (inst, core) in config.instances.iter().zip(&plan.instances) {
        let base = inst
            .interface
            .as_ref()
            .or(config.global.default_interface.as_ref());
        let Some((_, d)) = by_name.iter_mut().find(|(n, _)| Some(n) == base) else {
            continue;
        };
        let adverts = core.advert.down_timer_adverts;
        if adverts <= 1 {
            if !d.is_zero() {
                notes.push(format!(
                    "{}: cannot use debounce timers with down_timer_adverts = 1 - resetting",
                    inst.name
                ));
                *d = Delays::default();
            }
            continue;
        }
        let advert = core.advert_int;
        let limit = advert * (adverts - 1);
        if d.up >= limit || d.down >= limit {
            let cut = limit - Duration::from_micros(advert.as_micros() as u64 / 256);
            for v in [&mut d.up, &mut d.down] {
                if *v >= limit {
                    *v = cut;
                }
            }
            notes.push(format!(
                "{}: interface {} debounce timer(s) not less that {} * advert_int - resetting",
                inst.name,
                core.interface,
                adverts - 1
            ));
        }
    }
    for v in &plan.vmacs {
        if let Some(d) = by_name.iter().find(|(n, _)| *n == v.base).map(|e| e.1) {
            by_name.push((v.name.clone(), d));
        }
    }
    (by_name, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: u32 = 0x11043;
    const DOWN: u32 = 0x1002;
    const UP_NO_CARRIER: u32 = 0x1003;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn lab(flags: u32) -> (LinkDelays, Instant) {
        let delays = vec![(
            "veth0".to_string(),
            Delays {
                down: secs(2),
                up: secs(3),
            },
        )];
        let flags = HashMap::from([("veth0".to_string(), flags)]);
        (LinkDelays::new(delays, &flags), Instant::now())
    }

    #[test]
    fn a_link_going_down_is_acted_on_after_the_down_delay() {
        let (mut d, t0) = lab(UP);
        let step = d.step(t0, "veth0", DOWN);
        assert_eq!(
            step,
            Step::held(Some(
                "veth0: Adding flags change from 0x11043 to 0x1002 delay by 2000000".into()
            ))
        );
        assert_eq!(d.next_due(), Some(t0 + secs(2)));
        assert!(d.due(t0 + Duration::from_millis(1999)).is_empty());
        assert_eq!(d.due(t0 + secs(2)), [("veth0".to_string(), false)]);
        assert_eq!(d.next_due(), None);
        // Back up: the up delay.
        let step = d.step(t0 + secs(5), "veth0", UP);
        assert!(!step.act);
        assert_eq!(d.next_due(), Some(t0 + secs(8)));
        assert_eq!(d.due(t0 + secs(8)), [("veth0".to_string(), true)]);
    }

    #[test]
    fn a_flap_shorter_than_the_delay_is_never_acted_on() {
        let (mut d, t0) = lab(UP);
        assert!(!d.step(t0, "veth0", DOWN).act);
        // `ip link set up`: first up without carrier (same direction: still pending),
        // then the original flags, which cancel without a word.
        assert_eq!(
            d.step(t0 + secs(1), "veth0", UP_NO_CARRIER),
            Step::held(None)
        );
        assert_eq!(d.step(t0 + secs(1), "veth0", UP), Step::held(None));
        assert_eq!(d.next_due(), None);
        assert!(d.due(t0 + secs(10)).is_empty());
    }

    #[test]
    fn a_reversal_with_other_flags_cancels_with_a_log_line() {
        let (mut d, t0) = lab(UP);
        d.step(t0, "veth0", DOWN);
        let step = d.step(t0 + secs(1), "veth0", UP | 0x80);
        assert_eq!(
            step,
            Step::held(Some("Delay timer for veth0 cancelled".into()))
        );
        assert_eq!(d.next_due(), None);
    }

    #[test]
    fn a_link_never_seen_up_comes_up_at_once_and_others_pass_through() {
        let (mut d, t0) = lab(DOWN);
        assert!(d.step(t0, "veth0", UP).act);
        assert!(!d.step(t0, "veth0", DOWN).act);
        d.removed("veth0");
        assert!(d.step(t0, "veth0", UP).act);
        assert!(d.step(t0, "eth7", DOWN).act);
    }

    #[test]
    fn delays_too_long_for_the_advert_timers_are_cut_as_keepalived_cuts_them() {
        let text = "interface_up_down_delays {\n veth0 2 3\n}\nvrrp_instance A {\n interface veth0\n virtual_router_id 1\n}\n";
        let c = crate::config::check_text(text);
        let host = HashMap::from([(
            "veth0".to_string(),
            crate::daemon::plan::InterfaceFacts {
                index: 2,
                mac: None,
                operational: true,
                primary_ipv4: Some("198.18.0.1".parse().unwrap()),
                ipv6_link_local: None,
                mtu: 1500,
            },
        )]);
        let plan = crate::daemon::plan::build(&c.config, &host, |_| Vec::new()).unwrap();
        let (delays, notes) = effective(&c.config, &plan);
        let cut = Duration::from_micros(1_996_094);
        assert_eq!(
            delays,
            [("veth0".to_string(), Delays { down: cut, up: cut })]
        );
        assert_eq!(
            notes,
            ["A: interface veth0 debounce timer(s) not less that 2 * advert_int - resetting"]
        );
    }
}
