//! Static track groups (`track_group NAME { group { … } }`): which interfaces each
//! instance tracks because a static address, route or rule names its group.
//!
//! keepalived 2.2.7 (`static_track_group_init`) resolves each group's instance names
//! once at start-up, logging the unknown ones and dropping a group left without
//! instances, then makes every member instance track the interface of each static line
//! naming the group with weight 0: while that interface is down the instance is in
//! FAULT. An address's interface is its `dev` (else the default interface), a route's
//! its `dev`, a rule's its `iif`; a `no_track` line tracks nothing. Such an entry wins
//! over a weighted `track_interface` of the same interface (keepalived overwrites the
//! weight with 0).

use std::collections::BTreeMap;

use crate::config::model::Config;

/// Instance name → the interfaces its static track groups make it track, in order of
/// the static lines. Logs keepalived's start-up lines when `log`.
pub fn tracked_interfaces(cfg: &Config, log: bool) -> BTreeMap<String, Vec<String>> {
    let note = |line: String| {
        if log {
            log::info!("{line}");
        }
    };
    let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in &cfg.track_groups {
        let name = &g.name;
        if g.group.is_empty() {
            note(format!(
                "Static track group {name} has no virtual router(s)"
            ));
            note(format!("Static track group {name} init fails - removing"));
            continue;
        }
        let mut known = Vec::new();
        for i in &g.group {
            if cfg.instances.iter().any(|x| &x.name == i) {
                known.push(i.as_str());
            } else {
                note(format!(
                    "vrrp instance {i} specified in track group {name} doesn't exist - ignoring"
                ));
            }
        }
        if known.is_empty() {
            note(format!("Static track group {name} has no VRRP instance(s)"));
            note(format!("Static track group {name} init fails - removing"));
            continue;
        }
        members.insert(name, known);
    }
    let default = cfg.global.default_interface.as_deref().unwrap_or("eth0");
    let addresses = cfg.static_ipaddress.iter().map(|a| {
        let dev = a.dev.as_deref().unwrap_or(default);
        ("address", &a.track_group, a.no_track, Some(dev))
    });
    let routes = cfg
        .static_routes
        .iter()
        .map(|r| ("route", &r.track_group, r.no_track, r.dev.as_deref()));
    let rules = cfg
        .static_rules
        .iter()
        .map(|r| ("rule", &r.track_group, r.no_track, r.iif.as_deref()));
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (what, group, no_track, dev) in addresses.chain(routes).chain(rules) {
        let Some(group) = group else {
            continue;
        };
        if no_track {
            note(format!(
                "Static {what} has both track_group and no_track set - not tracking"
            ));
            continue;
        }
        let (Some(instances), Some(dev)) = (members.get(group.as_str()), dev) else {
            continue;
        };
        for i in instances {
            let list = out.entry((*i).to_owned()).or_default();
            if !list.iter().any(|d| d == dev) {
                list.push(dev.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_track_the_interfaces_of_the_lines_naming_their_group() {
        let text = "track_group TG {\n group {\n VI_1\n VI_NOPE\n }\n}\n\
            track_group EMPTY {\n}\n\
            static_ipaddress {\n 198.18.5.1/24 dev eth1 track_group TG\n 198.18.5.2/24 dev eth3 track_group TG no_track\n}\n\
            static_routes {\n 198.18.6.0/24 dev eth2 track_group TG\n}\n\
            static_rules {\n from 198.18.9.0/24 table 100 iif eth1 track_group TG\n}\n\
            vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n 198.18.0.100\n }\n}\n\
            vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n priority 100\n virtual_ipaddress {\n 198.18.0.101\n }\n}\n";
        let checked = crate::config::check_text(text);
        let got = tracked_interfaces(&checked.config, false);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got["VI_1"], vec!["eth1", "eth2"]);
    }
}
