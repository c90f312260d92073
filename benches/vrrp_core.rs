//! Protocol-core costs: one received advert (decode + validate + BACKUP state step) and
//! one advert-timer tick of 1,000 MASTER instances (encode + queue 1,000 adverts).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keepalived_rs::vrrp::advert::{self, AdvertFields};
use keepalived_rs::vrrp::{InstanceConfig, ReceivedPacket, Router, State};

fn cfg(name: String, vrid: u8, prio: u8, src: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new(name, vrid, IpAddr::V4(Ipv4Addr::new(198, 18, 0, src)));
    c.base_priority = prio;
    c.vips = vec![
        Ipv4Addr::new(198, 18, 0, 102).into(),
        Ipv4Addr::new(198, 18, 0, 103).into(),
    ];
    c
}

fn rx_advert(c: &mut Criterion) {
    let now = Instant::now();
    let peer = cfg("VI_1".into(), 51, 150, 1);
    let dst = peer.multicast_group();
    let pkt = advert::encode(
        &peer,
        &AdvertFields {
            priority: 150,
            ip_id: 1,
            ah_seq: 0,
            dst,
            checksum_dst: dst,
            ttl: 255,
        },
    );
    let mut router = Router::new(vec![cfg("VI_1".into(), 51, 100, 2)], vec![], now);
    while router.poll_action().is_some() {}
    c.bench_function("rx advert: decode+validate+backup step", |b| {
        b.iter(|| {
            router.handle_packet(
                now,
                ReceivedPacket::Ipv4 {
                    packet: black_box(&pkt),
                    interface: None,
                },
            );
            while let Some(a) = router.poll_action() {
                black_box(a);
            }
        })
    });
    assert_eq!(router.instances().next().unwrap().state, State::Backup);
}

fn tick_1000(c: &mut Criterion) {
    let mut now = Instant::now();
    let instances = (0..1000)
        .map(|i| {
            let mut c = cfg(format!("VI_{i}"), (i % 255 + 1) as u8, 100, 1);
            c.interface = format!("eth{}", i / 255);
            c.advert.garp.master_delay = Duration::ZERO;
            c
        })
        .collect();
    let mut router = Router::new(instances, vec![], now);
    // Everyone becomes master (nobody else on the segment).
    now += Duration::from_secs(4);
    router.handle_timeout(now);
    while router.poll_action().is_some() {}
    assert!(router.instances().all(|i| i.state == State::Master));
    c.bench_function("timer tick: 1000 master instances send adverts", |b| {
        b.iter(|| {
            now += Duration::from_secs(1);
            router.handle_timeout(now);
            let mut n = 0;
            while let Some(a) = router.poll_action() {
                black_box(a);
                n += 1;
            }
            assert_eq!(n, 1000);
        })
    });
}

criterion_group!(benches, rx_advert, tick_1000);
criterion_main!(benches);
