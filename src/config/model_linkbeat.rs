//! Link polling: which interfaces the daemon reads the link state of itself, every
//! second, instead of following netlink's link events, and how (`linkbeat_use_polling`
//! at the top level and in `vrrp_instance`, `linkbeat_interfaces { … }`).
//!
//! Some drivers never tell the kernel (and so netlink) that their cable lost its link;
//! polling asks the driver. keepalived 2.2.7 polls an interface when a
//! `linkbeat_interfaces` line names it, or when it is the interface of an instance that
//! has `linkbeat_use_polling` (deprecated there) or the top-level `linkbeat_use_polling`
//! is set. A line's method only says which probe to try first: one the driver does not
//! answer falls back (MII ⇄ ETHTOOL, then the interface flags).

use super::model::Config;
use std::collections::BTreeMap;

/// The top-level settings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Linkbeat {
    /// Top-level `linkbeat_use_polling`: every instance's interface is polled.
    pub use_polling: bool,
    /// The lines of `linkbeat_interfaces` blocks, in order (an interface the host does
    /// not have is dropped by the host checks, as keepalived drops it).
    pub interfaces: Vec<LinkbeatInterface>,
}

/// One `linkbeat_interfaces` line: `IFNAME [MII|ETHTOOL|IOCTL]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkbeatInterface {
    pub name: String,
    /// The probe to try first; `None`: MII, then ETHTOOL, then the flags.
    pub method: Option<LinkMethod>,
}

/// How a polled interface's link is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkMethod {
    /// The PHY's Basic Mode Status Register over `SIOCGMIIREG`.
    Mii,
    /// The driver's `ETHTOOL_GLINK`.
    Ethtool,
    /// Only `SIOCGIFFLAGS` (`IFF_UP` and `IFF_RUNNING`).
    Ioctl,
}

impl LinkMethod {
    /// keepalived's word for it, in `linkbeat_interfaces` and in its log lines.
    pub fn word(self) -> &'static str {
        match self {
            LinkMethod::Mii => "MII",
            LinkMethod::Ethtool => "ETHTOOL",
            LinkMethod::Ioctl => "IOCTL",
        }
    }

    /// The method a configuration word names (case matters, as in keepalived).
    pub fn from_word(word: &str) -> Option<LinkMethod> {
        [LinkMethod::Mii, LinkMethod::Ethtool, LinkMethod::Ioctl]
            .into_iter()
            .find(|m| m.word() == word)
    }
}

/// An interface to poll, with the method configured for it (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolledInterface {
    pub name: String,
    pub method: Option<LinkMethod>,
}

impl Config {
    /// Every interface the configuration asks to poll, by name: the `linkbeat_interfaces`
    /// lines (a later line for the same interface sets its method again), then the
    /// interfaces of instances with `linkbeat_use_polling` (theirs or the top-level one),
    /// which keep a method a line gave them. Whether each is then polled depends on the
    /// running daemon (an interface no instance uses is not: see the daemon's poller).
    pub fn polled_interfaces(&self) -> Vec<PolledInterface> {
        let mut polled: BTreeMap<&str, Option<LinkMethod>> = BTreeMap::new();
        for line in &self.linkbeat.interfaces {
            polled.insert(&line.name, line.method);
        }
        for inst in &self.instances {
            if !(inst.linkbeat_use_polling || self.linkbeat.use_polling) {
                continue;
            }
            let interface = inst
                .interface
                .as_ref()
                .or(self.global.default_interface.as_ref());
            if let Some(name) = interface {
                polled.entry(name).or_insert(None);
            }
        }
        polled
            .into_iter()
            .map(|(name, method)| PolledInterface {
                name: name.to_owned(),
                method,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::check_text;

    fn polled(text: &str) -> Vec<(String, Option<LinkMethod>)> {
        let checked = check_text(text);
        checked
            .config
            .polled_interfaces()
            .into_iter()
            .map(|p| (p.name, p.method))
            .collect()
    }

    const INSTANCE: &str = "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n\
        vrrp_instance B {\n interface eth1\n virtual_router_id 2\n}\n";

    #[test]
    fn nothing_is_polled_unless_asked() {
        assert!(polled(INSTANCE).is_empty());
    }

    #[test]
    fn the_top_level_keyword_polls_every_instance_interface() {
        let text = format!("linkbeat_use_polling\n{INSTANCE}");
        assert_eq!(
            polled(&text),
            [("eth0".into(), None), ("eth1".into(), None)]
        );
    }

    #[test]
    fn a_block_line_names_the_method_and_the_instance_keyword_keeps_it() {
        let text = "linkbeat_interfaces {\n eth0 IOCTL\n eth2\n eth0 MII\n}\n\
            vrrp_instance A {\n interface eth0\n virtual_router_id 1\n linkbeat_use_polling\n}\n";
        assert_eq!(
            polled(text),
            [
                ("eth0".into(), Some(LinkMethod::Mii)),
                ("eth2".into(), None)
            ]
        );
    }
}
