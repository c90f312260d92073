//! keepalived's accept-mode firewall: while an instance that does not accept packets to
//! its VIPs (strict mode, `no_accept`; never the address owner) is master, nftables drops
//! traffic to and from its addresses, so a VIP answers no ping, as RFC 3768 wants of a
//! non-owner. The drop rule goes in before the VIPs and comes out after them, on the
//! effect worker ([`super::effects`]), and the tables are deleted when the daemon stops.
//!
//! [`ruleset`] builds the commands (pure); [`Guard`] keeps what is installed and runs them
//! through [`crate::sys::nftables`].

pub mod ruleset;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use self::ruleset::{Element, SetUp, Settings, VmacRule};
use super::plan::{VipSpec, VmacSpec};
use crate::config::model::Config;
use crate::sys::nftables;

/// Which instances the firewall guards and how, from one configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// `None` when no instance needs the firewall.
    pub settings: Option<Settings>,
    /// Guarded instances by name: their link-local VIPs keyed by interface name
    /// (`dont_track_primary` without `nftables_ifindex`, for VIPs on the instance's
    /// interface or marked `no_track`).
    pub instances: HashMap<String, HashSet<IpAddr>>,
    /// The VMACs whose IGMP / MLD reports leave through their base interface.
    pub vmacs: Vec<VmacRule>,
}

impl Plan {
    /// The firewall of `cfg`, whose VMACs are `vmacs` (created before the plan is used:
    /// the map's elements name them by interface index).
    pub fn of(cfg: &Config, vmacs: &[VmacSpec]) -> Plan {
        let nft = &cfg.global.nftables;
        let mut instances = HashMap::new();
        for inst in cfg.instances.iter().filter(|i| !i.accepts()) {
            let interface = inst.interface.as_deref().unwrap_or_default();
            let by_name = inst
                .virtuals
                .virtual_ipaddress
                .iter()
                .chain(&inst.virtuals.virtual_ipaddress_excluded)
                .filter(|a| {
                    !nft.ifindex
                        && inst.dont_track_primary
                        && (a.dev.as_deref().is_none_or(|d| d == interface) || a.no_track)
                })
                .map(|a| a.addr)
                .collect();
            instances.insert(inst.name.clone(), by_name);
        }
        // keepalived redirects the reports of its macvlans only, not of its ipvlans; with
        // disable_local_igmp an IPv4 VMAC sends no reports to redirect: no rules for it.
        let vmacs: Vec<VmacRule> = vmacs
            .iter()
            .filter(|v| v.kind == super::plan::LinkKind::Macvlan)
            .filter(|v| v.ipv6 || !cfg.global.disable_local_igmp)
            .map(|v| VmacRule {
                vmac: v.name.clone(),
                base: v.base.clone(),
                ipv4: !v.ipv6 || v.other_family,
                ipv6: v.ipv6 || v.other_family,
            })
            .collect();
        let settings = match (&nft.table, instances.is_empty() && vmacs.is_empty()) {
            (Some(table), false) => Some(Settings {
                table: table.clone(),
                priority: nft.priority,
                counters: nft.counters,
            }),
            _ => None,
        };
        Plan {
            settings,
            instances,
            vmacs,
        }
    }
}

/// The firewall as installed, on the effect worker.
#[derive(Debug, Default)]
pub struct Guard {
    plan: Plan,
    /// The settings the tables were made with: keepalived does not change them on reload.
    settings: Option<Settings>,
    done: SetUp,
    installed: HashSet<Element>,
    vmacs_installed: Vec<VmacRule>,
    /// `nft` is missing: said once.
    missing_reported: bool,
}

impl Guard {
    /// A new configuration: which instances are guarded changes, the table does not.
    /// VMACs that went away leave the map, new ones enter it.
    pub async fn replan(&mut self, plan: Plan) {
        if self.settings.is_none() {
            self.settings = plan.settings.clone();
            if self.settings.is_some() && nftables::nft_program().is_none() {
                log::error!("{}", nftables::NftError::Missing);
                self.missing_reported = true;
            }
        }
        let gone: Vec<VmacRule> = self
            .vmacs_installed
            .iter()
            .filter(|v| !plan.vmacs.contains(v))
            .cloned()
            .collect();
        let new: Vec<VmacRule> = plan
            .vmacs
            .iter()
            .filter(|v| !self.vmacs_installed.contains(v))
            .cloned()
            .collect();
        self.plan = plan;
        for (vmacs, add) in [(gone, false), (new, true)] {
            if !vmacs.is_empty() && self.apply("VMAC", Batch::Vmacs(&vmacs), add).await {
                self.vmacs_installed.retain(|v| !vmacs.contains(v));
                if add {
                    self.vmacs_installed.extend(vmacs);
                }
            }
        }
    }

    /// Before `instance`'s VIPs go in (`add`) or after they came out: adds or removes
    /// their drop rule elements, if the instance is guarded.
    pub async fn change(&mut self, instance: &str, vips: &[VipSpec], add: bool) {
        let Some(by_name) = self.plan.instances.get(instance).cloned() else {
            return;
        };
        log::debug!(
            "({instance}) {}ing firewall drop rule",
            if add { "sett" } else { "remov" }
        );
        let elements: Vec<Element> = vips
            .iter()
            .map(|v| Element::new(v.addr, Arc::clone(&v.interface), by_name.contains(&v.addr)))
            .filter(|e| self.installed.contains(e) != add)
            .collect();
        if !elements.is_empty() && self.apply(instance, Batch::Vips(&elements), add).await {
            for e in elements {
                if add {
                    self.installed.insert(e);
                } else {
                    self.installed.remove(&e);
                }
            }
        }
    }

    /// Builds and applies one batch; whether it went in. `who` names it in errors.
    async fn apply(&mut self, who: &str, batch: Batch<'_>, add: bool) -> bool {
        let Some(settings) = &self.settings else {
            return false;
        };
        let stale = if add && !self.done.any() {
            nftables::families_with_table(&settings.table)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        for family in &stale {
            log::info!("Deleting old {family} {} table", settings.table);
        }
        let mut done = self.done.clone();
        let script = match batch {
            Batch::Vips(elements) => ruleset::change(settings, &mut done, &stale, elements, add),
            Batch::Vmacs(vmacs) => ruleset::vmac_change(settings, &mut done, &stale, vmacs, add),
        };
        match nftables::apply(&script).await {
            Ok(()) => {
                self.done = done;
                true
            }
            Err(nftables::NftError::Missing) if self.missing_reported => false,
            Err(e) => {
                self.missing_reported |= matches!(e, nftables::NftError::Missing);
                let verb = if add { "set" } else { "remove" };
                log::error!("({who}) cannot {verb} firewall drop rule: {e}");
                false
            }
        }
    }

    /// At shutdown: deletes the tables this daemon made.
    pub async fn shutdown(&mut self) {
        let Some(settings) = &self.settings else {
            return;
        };
        if let Some(script) = ruleset::teardown(settings, &mut self.done) {
            if let Err(e) = nftables::apply(&script).await {
                log::error!("cannot delete nftables table {}: {e}", settings.table);
            }
        }
        self.installed.clear();
        self.vmacs_installed.clear();
    }
}

/// What one `nft` transaction changes.
enum Batch<'a> {
    Vips(&'a [Element]),
    Vmacs(&'a [VmacRule]),
}
