//! A received advert, as BACKUP (RFC 3768 §6.4.2, keepalived `vrrp_state_backup`) or
//! MASTER (§6.4.3, `vrrp_state_master_rx`).

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::{Instance, MasterRx, Received};
use crate::vrrp::action::{Action, LogLevel, NotifyState, NotifyTarget, State};
use crate::vrrp::family::{Family, Version};
use crate::vrrp::snmp_reasons::master_reason;
use crate::vrrp::validate::{self, Accepted, Rejection, RxPacket};

/// keepalived's `addr_cmp`: the advert's source against ours, as numbers.
fn addr_cmp(rx: IpAddr, ours: IpAddr) -> Ordering {
    match (rx, ours) {
        (IpAddr::V4(a), IpAddr::V4(b)) => u32::from(a).cmp(&u32::from(b)),
        (IpAddr::V6(a), IpAddr::V6(b)) => u128::from(a).cmp(&u128::from(b)),
        _ => Ordering::Equal,
    }
}

impl Instance {
    /// A packet for this instance, which is BACKUP or MASTER.
    pub fn receive(
        &mut self,
        now: Instant,
        rx: &RxPacket<'_>,
        out: &mut VecDeque<Action>,
    ) -> Received {
        if self.cfg.family == Family::Ipv6 && rx.is_multicast() == self.cfg.is_unicast() {
            let (m, u) = if rx.is_multicast() {
                ("mult", "un")
            } else {
                ("un", "mult")
            };
            let text = format!(
                "({}) discarding {m}icast packet on {u}icast instance",
                self.cfg.name
            );
            self.log(out, LogLevel::Detail, text);
            return Received::Discarded;
        }
        let check_addr = self.status.state != State::Backup
            || !self.cfg.advert.skip_check_adv_addr
            || self.status.master_addr != Some(rx.src);
        let Some(adv) = self.check(now, rx, check_addr, out) else {
            return Received::Rejected;
        };
        if self.status.state == State::Backup {
            self.backup_rx(now, &adv, out);
            Received::AsBackup
        } else {
            Received::AsMaster(self.master_rx(now, adv, out))
        }
    }

    /// The timer after a received packet: re-armed, except for a MASTER with
    /// `lower_prio_no_advert` (its advert timer keeps running).
    pub fn rearm_after_rx(&mut self, now: Instant) {
        if self.status.state != State::Master || !self.cfg.advert.lower_prio_no_advert {
            self.init_sands(now);
        }
    }

    /// Runs the checks (`check_vip_addr` per keepalived's BACKUP/MASTER rules), then logs
    /// and counts the outcome as keepalived does. The receive state (AH sequence, checksum
    /// form) changes only when the packet is accepted: keepalived lets a packet that fails a
    /// later check switch our checksum form, which lets forged junk change what we send.
    fn check(
        &mut self,
        now: Instant,
        rx: &RxPacket<'_>,
        check_vip_addr: bool,
        out: &mut VecDeque<Action>,
    ) -> Option<Accepted> {
        let is_backup = self.status.state == State::Backup;
        let compat = self.rx.checksum_compat;
        let mut next = self.rx;
        let outcome = validate::check_packet(&self.cfg, is_backup, rx, check_vip_addr, &mut next);
        if outcome.is_ok() {
            self.rx = next;
        }
        if self.rx.checksum_compat != compat {
            // keepalived logs the switch during the checksum check, before any later
            // check's rejection.
            let text = format!(
                "({}) Setting unicast VRRPv3 checksum to old version",
                self.cfg.name
            );
            self.log(out, LogLevel::Info, text);
        }
        match outcome {
            Ok(adv) => {
                adv.count(&mut self.status.stats);
                Some(adv)
            }
            Err(rejection) => {
                let name = self.cfg.name.clone();
                self.log_limited(out, rejection.label(), now, || rejection.log_text(&name));
                rejection.count(&mut self.status.stats);
                self.report_rejection(rx.src, rejection, out);
                None
            }
        }
    }

    /// Records an RFC 6527 protocol error, and queues the rejections SNMP notifies about.
    fn report_rejection(&mut self, src: IpAddr, rejection: Rejection, out: &mut VecDeque<Action>) {
        if let Some(reason) = rejection.proto_error() {
            self.status.snmp_reasons.proto_error = reason;
        }
        if rejection.proto_error().is_some() || rejection.auth_error_type().is_some() {
            out.push_back(Action::PacketRejected {
                instance: self.id(),
                src,
                rejection,
            });
        }
    }

    /// v3: adopt the master's interval (RFC 5798 §6.4.2 "Master_Adver_Interval").
    fn adopt_interval(&mut self, adv: &Accepted, out: &mut VecDeque<Action>) {
        if self.cfg.version == Version::V3 && self.status.master_adver_int != adv.interval {
            let text = format!(
                "({}) advertisement interval updated from {}ms to {}ms by master",
                self.cfg.name,
                self.status.master_adver_int.as_millis(),
                adv.interval.as_millis()
            );
            self.log(out, LogLevel::Detail, text);
            self.status.master_adver_int = adv.interval;
        }
    }

    /// BACKUP receiving a valid advert. Lower-priority adverts leave the running down
    /// timer untouched.
    fn backup_rx(&mut self, now: Instant, adv: &Accepted, out: &mut VecDeque<Action>) {
        if !self.backup_obey(now, adv, out) {
            // Keep the running timer: re-arming afterwards restores the same deadline.
            let left = self
                .deadline
                .map_or(Duration::ZERO, |d| d.saturating_duration_since(now));
            self.ms_down_timer = left;
        }
    }

    /// A valid advert heard as BACKUP; false when it is discarded as lower priority.
    fn backup_obey(&mut self, now: Instant, adv: &Accepted, out: &mut VecDeque<Action>) -> bool {
        let eff = self.status.effective_priority;
        let preempt_running =
            !self.cfg.preempt_delay.is_zero() && self.preempt_until.is_none_or(|t| t > now);
        if adv.priority == 0 {
            // RFC 3768 §6.4.2: a priority-0 advert means take over after Skew_Time.
            let text = format!(
                "({}) Backup received priority 0 advertisement",
                self.cfg.name
            );
            self.log(out, LogLevel::Detail, text);
            self.set_ms_down_timer(self.skew());
            self.status.snmp_reasons.next_master = master_reason::PRIORITY;
            return true;
        }
        if !(self.cfg.nopreempt || adv.priority >= eff || preempt_running) {
            let name = self.cfg.name.clone();
            self.log_limited(out, "lower_priority", now, || {
                Some(format!(
                    "({name}) received lower priority ({}) advert from {} - discarding",
                    adv.priority, adv.src
                ))
            });
            self.status.master_addr = Some(adv.src);
            self.status.snmp_reasons.next_master = master_reason::PREEMPTED;
            return false;
        }
        self.adopt_interval(adv, out);
        self.set_ms_down_timer(self.master_down());
        self.status.master_addr = Some(adv.src);
        self.status.master_priority = adv.priority;
        self.status.snmp_reasons.next_master = master_reason::MASTER_NO_RESPONSE;
        if !self.cfg.preempt_delay.is_zero() {
            self.track_preempt_delay(now, adv.priority >= eff, out);
        }
        self.status.wantstate = State::Backup;
        true
    }

    /// `preempt_delay`: started by a lower-priority master we obey anyway, stopped by one
    /// at least as high as us.
    fn track_preempt_delay(&mut self, now: Instant, not_lower: bool, out: &mut VecDeque<Action>) {
        if not_lower {
            if self.preempt_until.take().is_some() {
                let text = format!("({}) stop preempt delay", self.cfg.name);
                self.log(out, LogLevel::Detail, text);
            }
        } else if self.preempt_until.is_none() {
            let d = self.cfg.preempt_delay;
            let text = format!(
                "({}) start preempt delay ({}.{:06})",
                self.cfg.name,
                d.as_secs(),
                d.subsec_micros()
            );
            self.log(out, LogLevel::Detail, text);
            self.preempt_until = Some(now + d);
        }
    }

    /// MASTER receiving a valid advert.
    fn master_rx(&mut self, now: Instant, adv: Accepted, out: &mut VecDeque<Action>) -> MasterRx {
        let name = self.cfg.name.clone();
        let cmp = addr_cmp(adv.src, self.cfg.source_addr);
        let eff = self.status.effective_priority;
        let higher = adv.priority > eff || (adv.priority == eff && cmp == Ordering::Greater);
        if adv.priority == 0 || (self.cfg.advert.higher_prio_send_advert && higher) {
            self.send_advert(eff, out);
            if adv.priority == 0 {
                let text = format!("({name}) Master received priority 0 message");
                self.log(out, LogLevel::Detail, text);
                return MasterRx::Stay;
            }
        }
        if adv.priority == eff {
            self.master_rx_equal_priority(&name, cmp, out);
        }
        let eff = self.status.effective_priority;
        if adv.priority < eff || (adv.priority == eff && cmp == Ordering::Less) {
            self.master_rx_lower(now, &adv, out);
            return MasterRx::StayLowerPriority;
        }
        if adv.priority > eff || (adv.priority == eff && cmp == Ordering::Greater) {
            let text = if adv.priority > eff {
                format!(
                    "({name}) Master received advert from {} with higher priority {}, ours {eff}",
                    adv.src, adv.priority
                )
            } else {
                format!(
                    "({name}) Master received advert from {} with same priority {} but higher IP address than ours",
                    adv.src, adv.priority
                )
            };
            self.log(out, LogLevel::Info, text);
            self.rx.ah_cycle = false;
            self.adopt_interval(&adv, out);
            self.set_ms_down_timer(self.master_down());
            self.status.master_priority = adv.priority;
            self.status.wantstate = State::Backup;
            return MasterRx::Yield;
        }
        MasterRx::Stay
    }

    /// An advert with our own priority: our own address echoed, or a second owner.
    fn master_rx_equal_priority(&mut self, name: &str, cmp: Ordering, out: &mut VecDeque<Action>) {
        if cmp == Ordering::Equal {
            let text = format!(
                "({name}) WARNING - equal priority advert received from remote host with our IP address."
            );
            self.log(out, LogLevel::Info, text);
        } else if self.status.effective_priority == 255 {
            let text = format!("({name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority");
            self.log(out, LogLevel::Info, text);
            self.status.effective_priority = 254;
            self.status.base_priority = 254;
        }
    }

    /// A lower-priority advert heard as MASTER: answered with an advert (unless
    /// `lower_prio_no_advert`) and GARPs, and notified `MASTER_RX_LOWER_PRI`.
    fn master_rx_lower(&mut self, now: Instant, adv: &Accepted, out: &mut VecDeque<Action>) {
        let name = &self.cfg.name;
        let eff = self.status.effective_priority;
        let suffix = if self.cfg.advert.lower_prio_no_advert {
            ""
        } else {
            ", forcing new election"
        };
        let text = format!(
            "({name}) Received advert from {} with lower priority {}, ours {eff}{suffix}",
            adv.src, adv.priority
        );
        self.log(out, LogLevel::Info, text);
        if let Some(seq) = adv.ah_seq {
            let text = format!("({name}) IPSEC-AH : Syncing seq_num - Increment seq");
            self.log(out, LogLevel::Info, text);
            self.rx.ah_seq = seq.wrapping_add(1);
            self.rx.ah_cycle = false;
        }
        if !self.cfg.advert.lower_prio_no_advert {
            self.send_advert(eff, out);
        }
        self.lower_prio_garps(now, out);
        out.push_back(Action::Notify {
            target: NotifyTarget::Instance(self.cfg.name.clone()),
            state: NotifyState::MasterRxLowerPri,
            priority: eff,
        });
    }
}
