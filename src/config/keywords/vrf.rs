//! The instance keyword `vrf IFNAME`, read as keepalived 2.2.7's parser reads it.
//!
//! keepalived binds a unicast instance's sockets to the VRF device only when the instance
//! has no `interface`; yet 2.2.7 refuses every instance without an interface before it
//! looks at unicast ("Unknown interface!", `config::complete`), and clears the VRF of one
//! with an interface. So in 2.2.7 the keyword only ever produces its messages: the checks
//! of the line here, the device checks in `config::host_vrf`, the clearing in completion.
//! This build gives the same messages with the same outcome, and has nothing to bind.

use crate::config::diag::Diagnostic;
use crate::config::dump::Dumper;
use crate::config::lower::Lower;
use crate::config::model::VrrpInstance;
use crate::config::syntax::Node;

/// The row's apply: the checks keepalived makes on the line itself, in its order (name
/// length, an interface given before, a VRF given before).
pub(super) fn apply(cx: &mut Lower, t: &mut VrrpInstance, n: &Node) {
    let Some(a) = cx.arg(n, 0) else { return };
    let a = a.clone();
    let name = &t.name;
    let refusal = if a.text.len() >= 16 {
        Some((
            format!(
                "({name}) VRF interface name '{}' too long - ignoring",
                a.text
            ),
            "Linux interface names have at most 15 characters",
        ))
    } else if t.interface.is_some() {
        Some((
            format!("({name}) Cannot specify VRF interface and interface - ignoring"),
            "keepalived binds to a VRF only an instance without 'interface' (and 2.2.7 refuses those)",
        ))
    } else {
        t.vrf.as_ref().map(|v| {
            (
                format!("({name}) VRF interface already specified as '{v}' - ignoring"),
                "write 'vrf' once per instance",
            )
        })
    };
    match refusal {
        Some((msg, hint)) => cx.push(Diagnostic::error(a.span, msg).with_hint(hint)),
        None => {
            t.vrf = Some(a.text.to_string());
            super::instance::seen(cx, t, n);
        }
    }
}

/// The row's dump.
pub(super) fn dump(t: &VrrpInstance, d: &mut Dumper) {
    if let Some(v) = &t.vrf {
        d.kv("vrf", v)
    }
}
