//! Start-up removal of the addresses a previous run may have left behind.
//!
//! A daemon killed while MASTER (`kill -9`, a crash, or a stop with `--dont-release-vrrp`)
//! leaves its VIPs and eVIPs on the interfaces. Its successor starts as BACKUP (or as an
//! address owner that takes MASTER a moment later), so unless the leftovers go, two nodes
//! answer for the same address. keepalived 2.2.7 therefore releases, at start-up only
//! (never on a reload, which must keep a master's addresses without a flap), every
//! instance's addresses on every interface that exists, whatever state the instance
//! will start in: an address owner removes them too and adds them back when it becomes
//! MASTER. Its log says "(VI_1) removing VIPs." / "(VI_1) removing E-VIPs." (detail
//! level) before the instance's "Entering … STATE (init)". The routes and rules are
//! released the same way by [`super::run::Running::start`].

use tokio::sync::mpsc::UnboundedSender;

use super::effects::Effect;
use super::plan::VipSpec;
use crate::sys::InterfaceId;
use crate::vrrp::{InstanceId, Router};

/// Queues the removal of each instance's VIPs and eVIPs (`vips`: per instance, VIPs
/// then eVIPs, as the plan lists them). Addresses on an interface that does not exist
/// are skipped: there is nothing to remove there, and the removal would only log an
/// error. Addresses already absent are not an error for the effects worker.
pub(super) fn release(router: &Router, vips: &[Vec<VipSpec>], effects: &UnboundedSender<Effect>) {
    for (i, specs) in vips.iter().enumerate() {
        let Some(cfg) = router.instance_config(InstanceId(i)) else {
            continue;
        };
        if !cfg.vips.is_empty() {
            log::debug!("({}) removing VIPs.", cfg.name);
        }
        if !cfg.evips.is_empty() {
            log::debug!("({}) removing E-VIPs.", cfg.name);
        }
        let present: Vec<VipSpec> = specs
            .iter()
            .filter(|s| InterfaceId::by_name(&s.interface).is_ok())
            .cloned()
            .collect();
        if present.is_empty() {
            continue;
        }
        let _ = effects.send(Effect::RemoveVips {
            instance: cfg.name.clone(),
            vips: present,
            read_only: None,
        });
    }
}
