//! A reload keeps what a matched instance was doing (see [`crate::vrrp::Router::reload`]).

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Instant;

use super::Instance;
use crate::vrrp::action::{Action, State};

impl Instance {
    /// Takes over the run-time state of `previous` (the same virtual router under the old
    /// configuration): state, statistics, AH sequence, installed VIPs. A master then
    /// changes only the addresses that differ (new ones announced with a GARP burst) and
    /// advertises at once; any other state re-arms its timer.
    pub fn carry_over_from(
        &mut self,
        previous: Instance,
        now: Instant,
        out: &mut VecDeque<Action>,
    ) {
        let old_addrs: Vec<IpAddr> = previous.all_addrs().collect();
        let was = previous.status;
        self.status.state = was.state;
        self.status.wantstate = was.wantstate;
        self.status.master_addr = was.master_addr;
        self.status.master_priority = was.master_priority;
        self.status.vips_set = was.vips_set;
        self.status.stats = was.stats;
        self.status.last_transition = was.last_transition;
        if self.cfg.version == previous.cfg.version
            && self.cfg.advert_int == previous.cfg.advert_int
        {
            self.status.master_adver_int = was.master_adver_int;
        }
        self.ip_id = previous.ip_id;
        self.rx = previous.rx;
        self.notifies_sent = previous.notifies_sent;
        self.preempt_until = previous.preempt_until;
        self.garp_refresh_at = previous.garp_refresh_at;
        if self.cfg.extra_if_garp.is_on() {
            self.extra_if_garp_at = previous.extra_if_garp_at;
        }
        self.fault_count = previous.fault_count;
        self.status.effective_priority = was.effective_priority;

        if self.state() == State::Master && self.status.vips_set {
            self.update_vips(&old_addrs, out);
            // keepalived: a master that survives a reload advertises at once.
            self.deadline = Some(now);
        } else {
            self.restart_down_timer(now);
        }
    }

    /// Removes the addresses no longer configured and adds (and announces) new ones.
    fn update_vips(&self, old_addrs: &[IpAddr], out: &mut VecDeque<Action>) {
        let gone: Vec<IpAddr> = old_addrs
            .iter()
            .filter(|a| !self.all_addrs().any(|x| x == **a))
            .copied()
            .collect();
        let added: Vec<IpAddr> = self
            .all_addrs()
            .filter(|a| !old_addrs.contains(a))
            .collect();
        if !gone.is_empty() {
            out.push_back(Action::RemoveVips {
                instance: self.id(),
                addrs: gone,
            });
        }
        if added.is_empty() {
            return;
        }
        out.push_back(Action::AddVips {
            instance: self.id(),
            addrs: added.clone(),
        });
        for _ in 0..self.cfg.advert.garp.master_repeat {
            for &addr in &added {
                out.push_back(Action::SendGarp {
                    instance: self.id(),
                    addr,
                });
            }
        }
    }
}
