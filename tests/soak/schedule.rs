//! The seeded fault schedule. One seed gives one sequence of faults, drawn without
//! looking at the cluster, so the mixed cluster and the all-keepalived cluster live
//! through exactly the same faults in the same order, and a failure replays from its
//! seed alone.

use std::fmt;
use std::time::Duration;

/// splitmix64: tiny, good enough for picking faults, and the same on every machine
/// (no dependency whose algorithm could change between versions and break a replay).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// What a tracked script does while a `Script` fault lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptMode {
    /// Fails every time (exit 1).
    Fail,
    /// Succeeds and fails on alternate seconds.
    Flap,
    /// Never returns (its child sleeps), so the daemon's timeout must kill it.
    Hang,
    /// Exits 255.
    Exit255,
}

impl ScriptMode {
    /// The word the check script reads from its `mode` file.
    pub fn word(self) -> &'static str {
        match self {
            ScriptMode::Fail => "fail",
            ScriptMode::Flap => "flap",
            ScriptMode::Hang => "hang",
            ScriptMode::Exit255 => "e255",
        }
    }
}

/// What a broken file looks like in a `HupStorm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenFile {
    /// The valid file cut at a random byte.
    Truncated(u64),
    /// Bytes that are not a configuration at all.
    Garbage,
    /// An empty file.
    Empty,
}

/// One fault: what is done to which node (an index into the cluster's nodes, taken
/// modulo the node count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL to the daemon (every process of it), restarted after the hold.
    Kill9,
    /// SIGTERM, wait for the exit, restarted after the hold.
    Term,
    /// The node's bridge port goes down (carrier lost), then up.
    LinkDown,
    /// The node's port leaves the bridge (the node is alone: split brain; carrier
    /// stays up), then joins it again.
    Detach,
    /// Frames from the node are dropped with this probability (percent) at the bridge.
    Loss(u8),
    /// Frames from the node are duplicated with this probability (percent).
    Duplicate(u8),
    /// The VIP is deleted from whichever node holds it, behind its daemon's back.
    VipDeleted,
    /// The node's eth1 (the sync group's second interface) is deleted, then created
    /// again with the same name, MAC and address.
    InterfaceRecreated,
    /// Several reloads in quick succession alternating broken and valid files; the
    /// last one is valid.
    HupStorm { rounds: u8, broken: BrokenFile },
    /// The node's tracked script misbehaves.
    Script(ScriptMode),
    /// The database every node's second script checks is killed, then restarted.
    MysqlKilled,
}

impl Fault {
    /// The name a report counts faults under.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Kill9 => "kill -9 + restart",
            Fault::Term => "SIGTERM + restart",
            Fault::LinkDown => "link down/up",
            Fault::Detach => "port detached (split brain)",
            Fault::Loss(_) => "packet loss",
            Fault::Duplicate(_) => "packet duplication",
            Fault::VipDeleted => "VIP deleted",
            Fault::InterfaceRecreated => "interface deleted + re-created",
            Fault::HupStorm { .. } => "HUP storm (valid/broken)",
            Fault::Script(ScriptMode::Fail) => "script fails",
            Fault::Script(ScriptMode::Flap) => "script flaps",
            Fault::Script(ScriptMode::Hang) => "script hangs",
            Fault::Script(ScriptMode::Exit255) => "script exits 255",
            Fault::MysqlKilled => "mysqld killed + restarted",
        }
    }

    /// Every kind, in report order.
    pub fn all_kinds() -> [&'static str; 14] {
        [
            "kill -9 + restart",
            "SIGTERM + restart",
            "link down/up",
            "port detached (split brain)",
            "packet loss",
            "packet duplication",
            "VIP deleted",
            "interface deleted + re-created",
            "HUP storm (valid/broken)",
            "script fails",
            "script flaps",
            "script hangs",
            "script exits 255",
            "mysqld killed + restarted",
        ]
    }

    /// How long after the fault is undone the cluster may take to settle: the
    /// protocol's bound (Master_Down_Interval 3.6 s at advert_int 1, a start-up's
    /// down timer, a preemption after it, the scripts' interval and timeout), with
    /// room for a loaded CI machine.
    pub fn settle_bound(&self) -> Duration {
        match self {
            // A restart: start-up, its down timer (3.6 s), then a preemption.
            Fault::Kill9 | Fault::Term | Fault::HupStorm { .. } => Duration::from_secs(15),
            // The scripts run every 1–2 s and need a success to recover.
            Fault::Script(_) | Fault::MysqlKilled => Duration::from_secs(15),
            _ => Duration::from_secs(12),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Loss(p) | Fault::Duplicate(p) => write!(f, "{} {p}%", self.kind()),
            Fault::HupStorm { rounds, broken } => {
                write!(f, "{} ×{rounds} {broken:?}", self.kind())
            }
            _ => f.write_str(self.kind()),
        }
    }
}

/// One step of the schedule.
#[derive(Debug, Clone, Copy)]
pub struct Episode {
    pub fault: Fault,
    /// Which node (modulo the node count).
    pub node: usize,
    /// How long the fault lasts before it is undone.
    pub hold: Duration,
}

/// Draws the next episode. The draws never depend on the cluster's state.
pub fn next_episode(rng: &mut Rng) -> Episode {
    let fault = match rng.below(14) {
        0 => Fault::Kill9,
        1 => Fault::Term,
        2 => Fault::LinkDown,
        3 => Fault::Detach,
        4 => Fault::Loss(20 + rng.below(61) as u8),
        5 => Fault::Duplicate(20 + rng.below(80) as u8),
        6 => Fault::VipDeleted,
        7 => Fault::InterfaceRecreated,
        8 => Fault::HupStorm {
            rounds: 2 + rng.below(4) as u8,
            broken: match rng.below(3) {
                0 => BrokenFile::Truncated(rng.next_u64()),
                1 => BrokenFile::Garbage,
                _ => BrokenFile::Empty,
            },
        },
        9 => Fault::Script(ScriptMode::Fail),
        10 => Fault::Script(ScriptMode::Flap),
        11 => Fault::Script(ScriptMode::Hang),
        12 => Fault::Script(ScriptMode::Exit255),
        _ => Fault::MysqlKilled,
    };
    Episode {
        fault,
        node: rng.below(3) as usize,
        hold: Duration::from_millis(1500 + rng.below(3500)),
    }
}
