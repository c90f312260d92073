//! The simulated Ethernet segment: multicast delivery to every live node on the sender's
//! side of any partition, with loss, delay, jitter (hence reordering) and duplication.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;

/// Link conditions; `healthy()` means a perfect segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    pub loss: f64,
    pub dup: f64,
    pub base_delay: Duration,
    pub jitter: Duration,
    /// Partition: nodes with `side[i] == side[j]` can talk.
    pub partitioned: bool,
}

impl Conditions {
    pub fn perfect() -> Self {
        Conditions {
            loss: 0.0,
            dup: 0.0,
            base_delay: Duration::from_micros(100),
            jitter: Duration::ZERO,
            partitioned: false,
        }
    }
    /// Conditions under which the protocol's guarantees apply (duplicates are harmless).
    pub fn healthy(&self) -> bool {
        self.loss == 0.0
            && !self.partitioned
            && self.jitter <= Duration::from_millis(1)
            && self.base_delay <= Duration::from_millis(5)
    }
    pub fn max_delay(&self) -> Duration {
        self.base_delay + self.jitter
    }
}

/// A packet on the wire, ordered by delivery time then sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InFlight {
    pub at: Duration,
    pub seq: u64,
    pub to: usize,
    /// Incarnation of the receiver when sent (a crash drops packets in flight to it).
    pub incarnation: u32,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
pub struct Segment {
    queue: BinaryHeap<Reverse<InFlight>>,
    seq: u64,
}

impl Segment {
    /// Queues copies of `bytes` from `from` to every reachable node.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        rng: &mut StdRng,
        now: Duration,
        cond: &Conditions,
        side: &[u8],
        alive: &[bool],
        incarnation: &[u32],
        from: usize,
        bytes: &[u8],
    ) {
        for to in 0..alive.len() {
            if to == from || !alive[to] || (cond.partitioned && side[to] != side[from]) {
                continue;
            }
            let copies = if cond.dup > 0.0 && rng.gen_bool(cond.dup) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                if cond.loss > 0.0 && rng.gen_bool(cond.loss) {
                    continue;
                }
                let jitter = if cond.jitter.is_zero() {
                    Duration::ZERO
                } else {
                    Duration::from_micros(rng.gen_range(0..=cond.jitter.as_micros() as u64))
                };
                self.seq += 1;
                self.queue.push(Reverse(InFlight {
                    at: now + cond.base_delay + jitter,
                    seq: self.seq,
                    to,
                    incarnation: incarnation[to],
                    bytes: bytes.to_vec(),
                }));
            }
        }
    }

    pub fn next_at(&self) -> Option<Duration> {
        self.queue.peek().map(|r| r.0.at)
    }

    pub fn pop_due(&mut self, now: Duration) -> Option<InFlight> {
        if self.queue.peek().is_some_and(|r| r.0.at <= now) {
            self.queue.pop().map(|r| r.0)
        } else {
            None
        }
    }
}
