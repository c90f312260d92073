//! The part of the configuration the running daemon keeps for its views.
//!
//! The protocol core keeps what it runs with. The configuration model's instance entries
//! are mostly empty lists and unset options (notify scripts, routes, rules, track lists,
//! address options…), about 1 KB per instance; the views show only a few settings of
//! them. So once the core is built, each instance keeps just those, ready to show.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::config::model::{Config, IpAddress, Rule, VrrpInstance};
use crate::vrrp::{InstanceConfig, Router};

use super::{format_address, quoted_command, NotifyView};

/// The configuration as the views show it: global settings, sync groups, scripts and
/// checks as configured, and per instance an `InstanceShown`.
#[derive(Debug, Clone)]
pub struct ShownConfig {
    /// Everything but the instances (`config.instances` is empty).
    pub(super) config: Config,
    /// By instance id (the core's order).
    instances: Vec<InstanceShown>,
}

impl ShownConfig {
    /// Keeps of `config` what the views show of `router`'s instances (which were built
    /// from it).
    pub fn of(mut config: Config, router: &Router) -> ShownConfig {
        let by_groups = crate::track::static_group::tracked_interfaces(&config, false);
        let models = std::mem::take(&mut config.instances);
        let mut by_name: HashMap<&str, &VrrpInstance> = HashMap::new();
        for m in &models {
            by_name.entry(m.name.as_str()).or_insert(m);
        }
        // The core's instances are one list: an id indexes both.
        let instances = router
            .instances()
            .filter_map(|st| {
                let core = router.instance_config(st.id)?;
                let mut shown = match by_name.get(core.name.as_str()) {
                    Some(model) => InstanceShown::of(model, core, st.vrid),
                    None => InstanceShown::of(&VrrpInstance::new(&core.name), core, st.vrid),
                };
                let own = by_name.get(core.name.as_str()).copied();
                shown.note_group_interfaces(&config, own, by_groups.get(&core.name));
                Some(shown)
            })
            .collect();
        ShownConfig { config, instances }
    }

    /// What the configuration says of instance `id` beyond the core's settings.
    pub(super) fn instance(&self, id: usize) -> Option<&InstanceShown> {
        self.instances.get(id)
    }

    /// Whether instance `id` lists `address` as a `no_track` VIP (one the daemon leaves
    /// alone when something else removes it).
    /// The running configuration without its instances (sync groups, scripts, static
    /// addresses…), which the snapshot's instance views stand in for.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `global_defs` of the running configuration.
    pub fn global(&self) -> &crate::config::model::GlobalDefs {
        &self.config.global
    }

    pub fn no_track(&self, id: usize, address: IpAddr) -> bool {
        self.instances
            .get(id)
            .is_some_and(|i| i.rare().no_track.contains(&address))
    }
}

/// What the views show of one instance that only its configuration says: addresses as
/// written, scripts, and settings the core does not use.
#[derive(Debug, Clone)]
pub(super) struct InstanceShown {
    pub source_from_config: bool,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub accept: bool,
    pub promote_secondaries: bool,
    pub skip_check_adv_addr: bool,
    pub strict_mode: bool,
    pub smtp_alert: bool,
    pub use_vmac_addr: bool,
    pub vips: Vec<String>,
    /// The rarely configured rest, boxed only when some of it is set: most instances
    /// have none of it, and seven empty lists per instance add up at 1,000 instances.
    rare: Option<Box<RareShown>>,
}

/// The parts of an [`InstanceShown`] most instances do not configure.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct RareShown {
    /// The configured interface, kept only when the core has none.
    pub interface: Option<String>,
    pub evips: Vec<String>,
    pub vroutes: Vec<String>,
    pub vrules: Vec<String>,
    /// The same rules typed (KEEPALIVED-MIB's rule table shows what the words leave out,
    /// such as a preference keepalived assigned).
    pub rules: Vec<Rule>,
    pub vmac_ifname: Option<String>,
    pub notify: Vec<NotifyView>,
    /// VIPs and eVIPs marked `no_track`.
    no_track: Vec<IpAddr>,
    /// Interfaces tracked only because a static track group says so: keepalived lists
    /// an instance's `track_interface` entries in its dumps, not these.
    pub group_interfaces: Vec<String>,
}

static NONE_RARE: RareShown = RareShown {
    interface: None,
    evips: Vec::new(),
    vroutes: Vec::new(),
    vrules: Vec::new(),
    rules: Vec::new(),
    vmac_ifname: None,
    notify: Vec::new(),
    no_track: Vec::new(),
    group_interfaces: Vec::new(),
};

impl InstanceShown {
    /// `mc` shown for the core's instance `core` with VRID `vrid`.
    pub fn of(mc: &VrrpInstance, core: &InstanceConfig, vrid: u8) -> InstanceShown {
        let interface = match core.interface.as_str() {
            "" => mc.interface.clone().unwrap_or_default(),
            name => name.to_owned(),
        };
        let format = |a: &IpAddress| format_address(a, &interface);
        let rare = RareShown {
            interface: core
                .interface
                .is_empty()
                .then(|| mc.interface.clone())
                .flatten(),
            evips: mc
                .virtuals
                .virtual_ipaddress_excluded
                .iter()
                .map(format)
                .collect(),
            vroutes: mc
                .virtuals
                .virtual_routes
                .iter()
                .map(|r| crate::config::keywords::route::route_words(r).join(" "))
                .collect(),
            vrules: mc
                .virtuals
                .virtual_rules
                .iter()
                .map(|r| crate::config::keywords::rule::rule_words(r).join(" "))
                .collect(),
            rules: mc.virtuals.virtual_rules.clone(),
            vmac_ifname: mc
                .use_vmac
                .as_ref()
                .map(|v| v.name.clone().unwrap_or_else(|| format!("vrrp.{vrid}"))),
            notify: notify_views(mc),
            no_track: mc
                .virtuals
                .virtual_ipaddress
                .iter()
                .chain(&mc.virtuals.virtual_ipaddress_excluded)
                .filter(|a| a.no_track)
                .map(|a| a.addr)
                .collect(),
            group_interfaces: Vec::new(),
        };
        InstanceShown {
            source_from_config: mc.addressing.mcast_src_ip.is_some()
                || mc.addressing.unicast_src_ip.is_some(),
            lower_prio_no_advert: mc.advert.lower_prio_no_advert,
            higher_prio_send_advert: mc.advert.higher_prio_send_advert,
            // keepalived 2.2.7 accepts packets to VIPs unless strict mode or no_accept says
            // otherwise; the address owner always does.
            accept: mc.accepts(),
            promote_secondaries: mc.promote_secondaries,
            skip_check_adv_addr: mc.advert.skip_check_adv_addr,
            strict_mode: mc.strict_mode,
            smtp_alert: mc.smtp_alert.unwrap_or(false),
            use_vmac_addr: mc.use_vmac_addr,
            vips: mc.virtuals.virtual_ipaddress.iter().map(format).collect(),
            rare: (rare != RareShown::default()).then(|| Box::new(rare)),
        }
    }

    /// Notes the interfaces a static track group makes the instance track (`by_groups`)
    /// that neither its own `track_interface` (`model`) nor its sync group's names.
    fn note_group_interfaces(
        &mut self,
        config: &Config,
        model: Option<&VrrpInstance>,
        by_groups: Option<&Vec<String>>,
    ) {
        let Some(by_groups) = by_groups else {
            return;
        };
        let name = model.map(|m| m.name.as_str()).unwrap_or_default();
        let named = |dev: &String| {
            let own = model.is_some_and(|m| m.track.interface.iter().any(|t| &t.name == dev));
            own || config.sync_groups.iter().any(|g| {
                g.group.iter().any(|m| m == name)
                    && g.track_interface.iter().any(|t| &t.name == dev)
            })
        };
        let hidden: Vec<String> = by_groups.iter().filter(|d| !named(d)).cloned().collect();
        if !hidden.is_empty() {
            let mut rare = self.rare.take().map(|r| *r).unwrap_or_default();
            rare.group_interfaces = hidden;
            self.rare = Some(Box::new(rare));
        }
    }

    /// The rarely configured parts (all empty when none is set).
    pub fn rare(&self) -> &RareShown {
        self.rare.as_deref().unwrap_or(&NONE_RARE)
    }
}

fn notify_views(mc: &VrrpInstance) -> Vec<NotifyView> {
    [
        ("backup", &mc.scripts.notify_backup),
        ("master", &mc.scripts.notify_master),
        ("fault", &mc.scripts.notify_fault),
        ("stop", &mc.scripts.notify_stop),
        ("deleted", &mc.scripts.notify_deleted),
        ("generic", &mc.scripts.notify),
        (
            "master_rx_lower_pri",
            &mc.scripts.notify_master_rx_lower_pri,
        ),
    ]
    .into_iter()
    .filter_map(|(event, s)| {
        s.as_ref().map(|s| NotifyView {
            event,
            command: quoted_command(s),
        })
    })
    .collect()
}
