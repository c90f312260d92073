//! The host checks keepalived 2.2.7 makes on an instance's `vrf IFNAME` while reading it:
//! the device must exist (unless `dynamic_interfaces`) and must not be a loopback. keepalived
//! does not check that the device is a VRF (kind `vrf`); neither do we.

use super::diag::{Diagnostic, Severity};
use super::host::Host;
use super::lower::Lower;
use super::model::{Config, VrrpInstance};

/// A loopback device named by `vrf` is refused and forgotten, as keepalived does.
pub fn reject_loopback_vrf(cfg: &mut Config, cx: &mut Lower, host: &dyn Host) {
    for inst in &mut cfg.instances {
        let Some(dev) = inst.vrf.clone() else {
            continue;
        };
        if host.is_loopback(&dev) {
            let sp = cx.spans.instance_keyword(&inst.name, "vrf");
            let msg = format!(
                "({}) cannot use a loopback interface ({dev}) for VRF - ignoring",
                inst.name
            );
            cx.push(
                Diagnostic::new(Severity::Error, sp, msg)
                    .with_hint("name the VRF device ('ip link show type vrf')")
                    .host_dependent(),
            );
            inst.vrf = None;
        }
    }
}

/// A `vrf` device that does not exist: keepalived warns, forgets it, and counts it as a
/// non-existent interface (which stops it before completion). Returns true when missing.
pub fn missing_vrf_device(
    inst: &mut VrrpInstance,
    cx: &mut Lower,
    exists: &mut dyn FnMut(&str) -> bool,
) -> bool {
    let Some(dev) = inst.vrf.clone() else {
        return false;
    };
    if exists(&dev) {
        return false;
    }
    let sp = cx.spans.instance_keyword(&inst.name, "vrf");
    let msg = format!(
        "({}) WARNING - VRF interface {dev} doesn't exist",
        inst.name
    );
    cx.push(
        Diagnostic::new(Severity::Error, sp, msg)
            .with_hint("check the name with 'ip link show type vrf'")
            .host_dependent(),
    );
    inst.vrf = None;
    true
}
