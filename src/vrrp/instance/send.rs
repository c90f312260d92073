//! What an instance puts on the wire: adverts and GARP / unsolicited NA bursts.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Instant;

use super::Instance;
use crate::vrrp::action::{Action, LogLevel};
use crate::vrrp::advert::{self, AdvertFields};
use crate::vrrp::auth::AuthConfig;
use crate::vrrp::family::{Family, Version};
use crate::vrrp::packet::MCAST_GROUP_V4;
use crate::vrrp::validate::ChecksumCompat;

impl Instance {
    /// Sends one advert (a copy per unicast peer) with `priority` (RFC 3768 §6.4.3).
    pub(super) fn send_advert(&mut self, priority: u8, out: &mut VecDeque<Action>) {
        // The kernel fills in an IP ID of 0, so keepalived skips it.
        self.ip_id = self.ip_id.wrapping_add(1);
        if self.ip_id == 0 {
            self.ip_id = 1;
        }
        if self.cfg.version == Version::V2 && matches!(self.cfg.auth, AuthConfig::Ah(_)) {
            if self.rx.ah_seq > 0xFFFF_FFFD {
                self.rx.ah_cycle = true;
            } else {
                self.rx.ah_seq += 1;
            }
        }
        let mut fields = AdvertFields {
            priority,
            ip_id: self.ip_id,
            ah_seq: self.rx.ah_seq,
            dst: self.cfg.multicast_group(),
            checksum_dst: self.cfg.multicast_group(),
            ttl: 255,
        };
        let id = self.id();
        if self.cfg.is_unicast() {
            fields.ttl = self.cfg.unicast_ttl;
            let old_form = self.cfg.family == Family::Ipv4
                && self.cfg.version == Version::V3
                && self.rx.checksum_compat == ChecksumCompat::Old;
            for peer in &self.cfg.unicast_peers {
                fields.dst = peer.addr;
                fields.checksum_dst = if old_form {
                    MCAST_GROUP_V4.into()
                } else {
                    peer.addr
                };
                let packet = advert::encode(&self.cfg, &fields);
                out.push_back(Action::SendAdvert {
                    instance: id,
                    packet,
                    dst: peer.addr,
                    ttl: fields.ttl,
                });
            }
        } else {
            let packet = advert::encode(&self.cfg, &fields);
            out.push_back(Action::SendAdvert {
                instance: id,
                packet,
                dst: fields.dst,
                ttl: 255,
            });
        }
        self.status.stats.advert_sent += 1;
    }

    /// `repeat` rounds of one GARP/NA per VIP and eVIP, only while the VIPs are set.
    pub(super) fn send_link_update(&mut self, repeat: u32, out: &mut VecDeque<Action>) {
        if !self.status.vips_set {
            return;
        }
        for round in 0..repeat {
            for addr in self.all_addrs() {
                if round == 0 {
                    let what = match addr {
                        IpAddr::V4(_) => "gratuitous ARPs",
                        IpAddr::V6(_) => "Unsolicited Neighbour Adverts",
                    };
                    let text = format!(
                        "({}) Sending/queueing {what} on {} for {addr}",
                        self.cfg.name, self.cfg.interface
                    );
                    self.log(out, LogLevel::Detail, text);
                }
                out.push_back(Action::SendGarp {
                    instance: self.id(),
                    addr,
                });
            }
        }
    }

    /// One round of `garp_extra_if`: a single GARP / NA for each VIP the plan picked,
    /// one per other interface (keepalived's `vrrp_send_vmac_update`).
    pub(super) fn send_extra_if_update(&mut self, out: &mut VecDeque<Action>) {
        if !self.status.vips_set {
            return;
        }
        for i in 0..self.cfg.extra_if_garp.addrs.len() {
            let (addr, interface) = &self.cfg.extra_if_garp.addrs[i];
            let what = match addr {
                IpAddr::V4(_) => "gratuitous ARPs",
                IpAddr::V6(_) => "Unsolicited Neighbour Adverts",
            };
            let addr = *addr;
            let text = format!(
                "({}) Sending/queueing {what} on {interface} for {addr}",
                self.cfg.name
            );
            self.log(out, LogLevel::Detail, text);
            out.push_back(Action::SendGarp {
                instance: self.id(),
                addr,
            });
        }
    }

    /// GARPs after a lower-priority advert: a burst now and one after the delay.
    pub fn lower_prio_garps(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        let g = self.cfg.advert.garp;
        if g.lower_prio_repeat > 0 {
            self.send_link_update(g.lower_prio_repeat, out);
            if !g.lower_prio_delay.is_zero() && self.status.vips_set {
                self.garp_lower_prio_at = Some(now + g.lower_prio_delay);
            }
        }
    }

    /// Fires the delayed GARP bursts that are due.
    pub fn fire_garp_timers(&mut self, now: Instant, out: &mut VecDeque<Action>) {
        if self.garp_delayed_at.is_some_and(|t| t <= now) {
            self.garp_delayed_at = None;
            self.send_link_update(self.cfg.advert.garp.master_repeat, out);
        }
        if self.garp_lower_prio_at.is_some_and(|t| t <= now) {
            self.garp_lower_prio_at = None;
            self.send_link_update(self.cfg.advert.garp.lower_prio_repeat, out);
        }
    }

    /// After coming out of FAULT, a unicast instance sends a GARP / NA for its own
    /// address, so the master's neighbour cache is fresh and its adverts reach us at once.
    pub fn announce_source(&mut self, out: &mut VecDeque<Action>) {
        if !self.cfg.is_unicast() {
            return;
        }
        let kind = if self.cfg.source_addr.is_ipv4() {
            "ARP"
        } else {
            "NA"
        };
        let text = format!(
            "{}: sending gratuitous {kind} for {}",
            self.cfg.name, self.cfg.source_addr
        );
        self.log(out, LogLevel::Detail, text);
        out.push_back(Action::SendGarp {
            instance: self.id(),
            addr: self.cfg.source_addr,
        });
    }
}
