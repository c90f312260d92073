//! Netlink look-ups, address/route/rule changes and the event watcher, inside network
//! namespaces created by the test, checked against `ip`'s own view. Needs root; panics
//! (never skips) without it.

mod sys_support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use keepalived_rs::sys::{
    virtual_router_mac, AddressSpec, Change, NetEvent, Netlink, NetlinkError, NetlinkWatcher,
    RouteKind, RouteSpec, RuleSpec,
};
use sys_support::{runtime, VethPair};

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn interface_lookup_reports_index_mac_state_and_addresses() {
    let pair = VethPair::create(Some("02:00:5e:10:00:01"));
    let ip_index: u32 = pair
        .a
        .ip(&["-o", "link", "show", "va"])
        .split(':')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    runtime().block_on(async {
        pair.a.enter();
        let netlink = Netlink::connect().unwrap();
        let va = netlink.interface("va").await.unwrap();
        assert_eq!(va.index, ip_index);
        assert_eq!(va.name, "va");
        assert_eq!(va.mac, Some([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]));
        assert!(va.up && va.running && va.is_operational());
        assert_eq!(va.primary_ipv4, Some(Ipv4Addr::new(198, 18, 0, 1)));
        // EUI-64 link-local from the MAC.
        let link_local: Ipv6Addr = "fe80::5eff:fe10:1".parse().unwrap();
        assert_eq!(va.ipv6_link_local, Some(link_local));
        assert_eq!(netlink.interface_by_index(va.index).await.unwrap(), va);
        assert!(netlink
            .interfaces()
            .await
            .unwrap()
            .iter()
            .any(|i| i.name == "lo"));

        match netlink.interface("krs-nope0").await {
            Err(NetlinkError::NoSuchInterface(name)) => assert_eq!(name, "krs-nope0"),
            other => panic!("expected NoSuchInterface, got {other:?}"),
        }

        pair.a.ip(&["link", "set", "va", "down"]);
        let down = netlink.interface("va").await.unwrap();
        assert!(!down.up && !down.is_operational());
    });
}

#[test]
fn address_with_label_and_broadcast_is_added_once_and_removed_once() {
    let pair = VethPair::create(None);
    runtime().block_on(async {
        pair.a.enter();
        let netlink = Netlink::connect().unwrap();
        let va = netlink.interface("va").await.unwrap();
        let vip = AddressSpec {
            broadcast: Some(Ipv4Addr::new(198, 18, 0, 255)),
            label: Some("va:1".into()),
            ..AddressSpec::new(va.index, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 103)), 24)
        };
        assert_eq!(netlink.add(&vip).await.unwrap(), Change::Applied);
        assert_eq!(netlink.add(&vip).await.unwrap(), Change::AlreadyPresent);

        let shown = pair.a.ip(&["-o", "addr", "show", "dev", "va"]);
        assert!(
            shown.contains("inet 198.18.0.103/24 brd 198.18.0.255 scope global secondary va:1"),
            "{shown}"
        );
        let ours = netlink.addresses(va.index).await.unwrap();
        let added = ours
            .iter()
            .find(|a| a.address == vip.address)
            .expect("own lookup sees the VIP");
        assert_eq!(added.label.as_deref(), Some("va:1"));
        assert_eq!(added.broadcast, Some(Ipv4Addr::new(198, 18, 0, 255)));
        assert!(added.secondary);
        // The VIP being secondary, the primary address is unchanged.
        let again = netlink.interface("va").await.unwrap();
        assert_eq!(again.primary_ipv4, Some(Ipv4Addr::new(198, 18, 0, 1)));

        assert_eq!(netlink.delete(&vip).await.unwrap(), Change::Applied);
        assert_eq!(netlink.delete(&vip).await.unwrap(), Change::AlreadyAbsent);
        let shown = pair.a.ip(&["-o", "addr", "show", "dev", "va"]);
        assert!(!shown.contains("198.18.0.103"), "{shown}");

        // IPv6 VIPs are added without DAD, so they are usable (not tentative) at once.
        let vip6 = AddressSpec::new(va.index, "2001:db8::103".parse().unwrap(), 64);
        assert_eq!(netlink.add(&vip6).await.unwrap(), Change::Applied);
        let shown = pair.a.ip(&["-6", "-o", "addr", "show", "dev", "va"]);
        assert!(
            shown.contains("inet6 2001:db8::103/64 scope global nodad"),
            "{shown}"
        );
        assert!(!shown.contains("tentative"), "{shown}");
        assert_eq!(netlink.delete(&vip6).await.unwrap(), Change::Applied);

        // An interface that vanished: a kernel error naming what we tried.
        let gone = AddressSpec::new(99_999, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 104)), 32);
        let err = netlink.add(&gone).await.unwrap_err();
        assert!(matches!(err, NetlinkError::Kernel { .. }), "{err}");
        assert!(err.to_string().contains("198.18.0.104/32"), "{err}");
        assert!(err.to_string().contains("no such interface"), "{err}");
    });
}

#[test]
fn routes_and_rules_are_added_and_removed_idempotently() {
    let pair = VethPair::create(None);
    runtime().block_on(async {
        pair.a.enter();
        let netlink = Netlink::connect().unwrap();
        let va = netlink.interface("va").await.unwrap();

        let via = RouteSpec {
            via: Some("198.18.0.2".parse().unwrap()),
            ifindex: Some(va.index),
            source: Some("198.18.0.1".parse().unwrap()),
            table: 100,
            metric: Some(10),
            ..RouteSpec::new("198.19.5.0".parse().unwrap(), 24)
        };
        let blackhole = RouteSpec {
            kind: RouteKind::Blackhole,
            table: 100,
            ..RouteSpec::new("198.19.6.0".parse().unwrap(), 24)
        };
        let on_link = RouteSpec {
            ifindex: Some(va.index),
            ..RouteSpec::new("198.19.7.0".parse().unwrap(), 24)
        };
        for route in [&via, &blackhole, &on_link] {
            assert_eq!(netlink.add(route).await.unwrap(), Change::Applied);
            assert_eq!(netlink.add(route).await.unwrap(), Change::AlreadyPresent);
        }
        let table = pair.a.ip(&["route", "show", "table", "100"]);
        assert!(
            table.contains("198.19.5.0/24 via 198.18.0.2 dev va src 198.18.0.1 metric 10"),
            "{table}"
        );
        assert!(table.contains("blackhole 198.19.6.0/24"), "{table}");
        let main = pair.a.ip(&["route", "show"]);
        assert!(main.contains("198.19.7.0/24 dev va scope link"), "{main}");

        let rule = RuleSpec {
            from: Some(("198.18.0.103".parse().unwrap(), 32)),
            priority: Some(1000),
            ..RuleSpec::to_table(false, 100)
        };
        assert_eq!(netlink.add(&rule).await.unwrap(), Change::Applied);
        assert_eq!(netlink.add(&rule).await.unwrap(), Change::AlreadyPresent);
        let rules = pair.a.ip(&["rule", "show"]);
        assert!(
            rules.contains("1000:\tfrom 198.18.0.103 lookup 100"),
            "{rules}"
        );

        for route in [&via, &blackhole, &on_link] {
            assert_eq!(netlink.delete(route).await.unwrap(), Change::Applied);
            assert_eq!(netlink.delete(route).await.unwrap(), Change::AlreadyAbsent);
        }
        assert_eq!(netlink.delete(&rule).await.unwrap(), Change::Applied);
        assert_eq!(netlink.delete(&rule).await.unwrap(), Change::AlreadyAbsent);
        assert!(pair.a.ip(&["route", "show", "table", "100"]).is_empty());
        assert!(!pair.a.ip(&["rule", "show"]).contains("1000:"));
        assert!(!pair.a.ip(&["route", "show"]).contains("198.19.7.0"));
    });
}

/// Waits for the first event `wanted` accepts, skipping the rest.
async fn wait_for(watcher: &mut NetlinkWatcher, wanted: impl Fn(&NetEvent) -> bool) -> NetEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = watcher.next_event().await.expect("watcher stream open");
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
    .expect("event reported")
}

#[test]
fn watcher_reports_address_deleted_behind_our_back_and_link_going_down() {
    let pair = VethPair::create(None);
    runtime().block_on(async {
        pair.a.enter();
        let netlink = Netlink::connect().unwrap();
        let va = netlink.interface("va").await.unwrap();
        let mut watcher = NetlinkWatcher::open().unwrap();

        let vip = AddressSpec {
            label: Some("va:vip".into()),
            ..AddressSpec::new(va.index, IpAddr::V4(Ipv4Addr::new(198, 18, 0, 102)), 32)
        };
        netlink.add(&vip).await.unwrap();
        let added = wait_for(&mut watcher, |e| matches!(e, NetEvent::AddressAdded { .. })).await;
        assert_eq!(
            added,
            NetEvent::AddressAdded {
                index: va.index,
                address: vip.address,
                prefix_len: 32,
                label: Some("va:vip".into()),
            }
        );

        pair.a.ip(&["addr", "del", "198.18.0.102/32", "dev", "va"]);
        let removed = wait_for(&mut watcher, |e| {
            matches!(e, NetEvent::AddressRemoved { .. })
        })
        .await;
        assert_eq!(
            removed,
            NetEvent::AddressRemoved {
                index: va.index,
                address: vip.address,
                prefix_len: 32,
                label: Some("va:vip".into()),
            }
        );

        pair.a.ip(&["link", "set", "va", "down"]);
        let down = wait_for(&mut watcher, |e| {
            matches!(e, NetEvent::LinkChanged { up: false, .. })
        })
        .await;
        assert!(
            matches!(
                &down,
                NetEvent::LinkChanged {
                    index,
                    name,
                    up: false,
                    running: false,
                    flags,
                } if *index == va.index && name == "va" && flags & 1 == 0
            ),
            "{down:?}"
        );

        // Carrier loss on the peer side: va stays up but stops running.
        pair.a.ip(&["link", "set", "va", "up"]);
        wait_for(&mut watcher, |e| {
            matches!(
                e,
                NetEvent::LinkChanged {
                    up: true,
                    running: true,
                    ..
                }
            )
        })
        .await;
        pair.b.ip(&["link", "set", "vb", "down"]);
        let no_carrier = wait_for(
            &mut watcher,
            |e| matches!(e, NetEvent::LinkChanged { name, running: false, .. } if name == "va"),
        )
        .await;
        assert!(matches!(no_carrier, NetEvent::LinkChanged { up: true, .. }));
    });
}

#[test]
fn vmac_macvlan_is_created_with_the_virtual_router_mac_and_deleted() {
    let pair = VethPair::create(None);
    runtime().block_on(async {
        pair.a.enter();
        let netlink = Netlink::connect().unwrap();
        let va = netlink.interface("va").await.unwrap();
        let name = keepalived_rs::sys::vmac_interface_name(51);
        assert_eq!(
            netlink
                .add_vmac(va.index, &name, virtual_router_mac(51, false), false)
                .await
                .unwrap(),
            Change::Applied
        );
        assert_eq!(
            netlink
                .add_vmac(va.index, &name, virtual_router_mac(51, false), false)
                .await
                .unwrap(),
            Change::AlreadyPresent
        );
        let shown = pair.a.ip(&["-d", "-o", "link", "show", "vrrp.51"]);
        assert!(shown.contains("vrrp.51@va"), "{shown}");
        assert!(shown.contains("link/ether 00:00:5e:00:01:33"), "{shown}");
        assert!(shown.contains("macvlan mode private"), "{shown}");
        let vmac = netlink.interface("vrrp.51").await.unwrap();
        assert_eq!(vmac.mac, Some([0, 0, 0x5e, 0, 1, 51]));
        assert!(vmac.up);

        assert_eq!(netlink.delete_link(&name).await.unwrap(), Change::Applied);
        assert_eq!(
            netlink.delete_link(&name).await.unwrap(),
            Change::AlreadyAbsent
        );
        assert!(matches!(
            netlink.interface("vrrp.51").await,
            Err(NetlinkError::NoSuchInterface(_))
        ));
    });
}

/// keepalived's forms: protocol 18, an explicit scope with a source address in another
/// table, and rules with input interfaces, inversion, non-table actions and a protocol.
#[test]
fn keepalived_route_and_rule_forms_are_installed_and_removed() {
    let pair = VethPair::create(None);
    runtime().block_on(async {
        pair.a.enter();
        let netlink = Netlink::connect().unwrap();
        let va = netlink.interface("va").await.unwrap();
        pair.a.ip(&["addr", "add", "198.18.0.100/24", "dev", "va"]);
        let sourced = RouteSpec {
            ifindex: Some(va.index),
            source: Some("198.18.0.100".parse().unwrap()),
            table: 100,
            scope: Some(keepalived_rs::sys::Scope::Link),
            protocol: 18,
            ..RouteSpec::new("198.19.12.0".parse().unwrap(), 24)
        };
        assert_eq!(netlink.add(&sourced).await.unwrap(), Change::Applied);
        let table = pair.a.ip(&["route", "show", "table", "100"]);
        assert!(
            table.contains("198.19.12.0/24 dev va proto keepalived scope link src 198.18.0.100"),
            "{table}"
        );
        let rules = [
            RuleSpec {
                to: Some(("198.19.14.0".parse().unwrap(), 24)),
                iif: Some("va".into()),
                priority: Some(2001),
                protocol: Some(18),
                ..RuleSpec::to_table(false, 100)
            },
            RuleSpec {
                from: Some(("198.19.15.0".parse().unwrap(), 24)),
                invert: true,
                target: keepalived_rs::sys::RuleTarget::Blackhole,
                priority: Some(2002),
                ..RuleSpec::to_table(false, 100)
            },
            RuleSpec {
                target: keepalived_rs::sys::RuleTarget::Goto(2005),
                priority: Some(2003),
                ..RuleSpec::to_table(false, 100)
            },
        ];
        for rule in &rules {
            assert_eq!(
                netlink.add(rule).await.unwrap(),
                Change::Applied,
                "{rule:?}"
            );
        }
        let shown = pair.a.ip(&["rule", "show"]);
        for expected in [
            "2001:\tfrom all to 198.19.14.0/24 iif va lookup 100 proto keepalived",
            "2002:\tnot from 198.19.15.0/24 blackhole",
            "2003:\tfrom all goto 2005",
        ] {
            assert!(shown.contains(expected), "{expected:?} in\n{shown}");
        }
        for rule in &rules {
            assert_eq!(netlink.delete(rule).await.unwrap(), Change::Applied);
        }
        assert_eq!(netlink.delete(&sourced).await.unwrap(), Change::Applied);
        assert!(!pair.a.ip(&["rule", "show"]).contains("200"));
    });
}
