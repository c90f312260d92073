//! Issue 15: a pair flooded at 1,000 invalid packets a second of each kind the receive
//! checks reject (wrong password and auth type, bad checksum, TTL, version, length,
//! address count, missing VIP, interval, packet type, truncated, garbage) makes no
//! spurious transition, and its log stays bounded with `N similar messages suppressed`
//! lines. Stock keepalived 2.2.7 runs the same flood beside it; its count is printed, not
//! asserted (it re-arms its advert timer on every packet, so a flood silences its master).
//! Needs root (network namespaces) and /usr/sbin/keepalived; panics without them.
//! The long version is `cargo bench --bench hostile_flood`.

mod flood;
mod lab;

use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_keepalived");
/// Longer than a Master_Down_Interval (3.6 s at priority 100), so a silenced master shows.
const PER_KIND: Duration = Duration::from_secs(4);
const RATE: u32 = 1_000;

#[test]
fn a_flood_of_every_invalid_kind_makes_no_spurious_transition() {
    let results = flood::run_all(BIN.as_ref(), PER_KIND, RATE);
    println!("{}", flood::table(&results, PER_KIND, RATE));
    let (_, ours) = &results[0];
    let kinds = ours.transitions.len();
    assert!(kinds >= 10, "every kind was sent: {:?}", ours.transitions);
    let expected = u64::from(RATE) * PER_KIND.as_secs() * kinds as u64;
    assert!(
        ours.packets_sent >= expected * 9 / 10,
        "the flood ran at its rate: {} of {expected}",
        ours.packets_sent
    );
    for (kind, n) in &ours.transitions {
        assert_eq!(*n, 0, "ours: {n} spurious transitions under {kind} junk");
    }
    assert!(
        ours.suppression_lines > 0,
        "flood control reported suppressed lines"
    );
    assert!(
        (ours.log_lines as u64) < ours.packets_sent / 50,
        "ours logged {} lines for {} packets",
        ours.log_lines,
        ours.packets_sent
    );
}
