//! A classic BPF socket filter that lets only the VRIDs we run through to user space.
//!
//! On a segment shared with other clusters every advert of every VRID reaches every raw
//! VRRP socket; without a filter each costs a wake-up, a copy and a classification only
//! to be ignored. With it the kernel drops them before they are queued.
//!
//! What the filter does *not* drop, so that behaviour stays keepalived's:
//! * packets too short to hold a VRID: the core logs them ("packet too short");
//! * our VRIDs with any version: a version mismatch on one of our VRIDs is a
//!   configuration error the core logs ("wrong version"), not traffic of another cluster.
//!
//! With `log_unknown_vrids` no filter is attached: those packets are what it logs.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

// Classic BPF opcodes (linux/filter.h, fixed by the kernel ABI).
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const W: u16 = 0x00;
const B: u16 = 0x10;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const LEN: u16 = 0x80;
const MSH: u16 = 0xa0;
const ADD: u16 = 0x00;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const K: u16 = 0x00;
const X: u16 = 0x08;
const TAX: u16 = 0x00;
const TXA: u16 = 0x80;

/// What a filter returns to keep a packet whole.
pub const ACCEPT: u32 = u32::MAX;
/// What a filter returns to drop a packet.
pub const DROP: u32 = 0;

/// Where the VRRP header starts in what the filter sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VrrpAt {
    /// IPv4 raw sockets see the IP header: VRRP follows it, after `extra` bytes (the
    /// 24-byte AH header of `auth_type AH`, else 0).
    AfterIpv4Header { extra: u8 },
    /// IPv6 raw sockets see the payload: VRRP is at offset 0.
    Payload,
}

fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// `vrids` as sorted ranges of consecutive values.
fn ranges(vrids: &[u8]) -> Vec<(u8, u8)> {
    let mut sorted = vrids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(u8, u8)> = Vec::new();
    for v in sorted {
        match out.last_mut() {
            Some((_, hi)) if u16::from(*hi) + 1 == u16::from(v) => *hi = v,
            _ => out.push((v, v)),
        }
    }
    out
}

/// The program: accept packets too short to hold a VRID and packets whose VRID is in
/// `vrids`; drop the rest. Every jump is local (at most 2 ahead), so any set of VRIDs
/// fits the 8-bit jump offsets.
pub fn vrid_filter(vrids: &[u8], at: VrrpAt) -> Vec<libc::sock_filter> {
    let mut prog = match at {
        VrrpAt::AfterIpv4Header { extra } => {
            let vrid_at = u32::from(extra) + 1;
            vec![
                // X = IPv4 header length; A = bytes needed to read the VRID.
                op(LDX | B | MSH, 0, 0, 0),
                op(MISC | TXA, 0, 0, 0),
                op(ALU | ADD | K, 0, 0, vrid_at + 1),
                op(MISC | TAX, 0, 0, 0),
                op(LD | W | LEN, 0, 0, 0),
                op(JMP | JGE | X, 1, 0, 0),
                op(RET | K, 0, 0, ACCEPT),
                op(LDX | B | MSH, 0, 0, 0),
                op(LD | B | IND, 0, 0, vrid_at),
            ]
        }
        VrrpAt::Payload => vec![
            op(LD | W | LEN, 0, 0, 0),
            op(JMP | JGE | K, 1, 0, 2),
            op(RET | K, 0, 0, ACCEPT),
            op(LD | B | ABS, 0, 0, 1),
        ],
    };
    for (lo, hi) in ranges(vrids) {
        prog.push(op(JMP | JGE | K, 0, 2, u32::from(lo)));
        prog.push(op(JMP | JGT | K, 1, 0, u32::from(hi)));
        prog.push(op(RET | K, 0, 0, ACCEPT));
    }
    prog.push(op(RET | K, 0, 0, DROP));
    prog
}

/// Attaches `prog` to `fd` (`SO_ATTACH_FILTER`), replacing any earlier filter.
pub(crate) fn attach(fd: BorrowedFd<'_>, prog: &[libc::sock_filter]) -> io::Result<()> {
    let fprog = libc::sock_fprog {
        len: u16::try_from(prog.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?,
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: `fprog` points at `prog`, alive for the call; the kernel copies it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&fprog as *const libc::sock_fprog).cast(),
            mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the opcodes [`vrid_filter`] uses, as the kernel does (an out-of-bounds load
    /// drops the packet).
    fn run(prog: &[libc::sock_filter], pkt: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        loop {
            let i = prog[pc];
            pc += 1;
            let k = i.k as usize;
            match i.code {
                c if c == LDX | B | MSH => match pkt.get(k) {
                    Some(b) => x = u32::from(b & 0x0f) * 4,
                    None => return DROP,
                },
                c if c == LD | B | IND => match pkt.get(x as usize + k) {
                    Some(b) => a = u32::from(*b),
                    None => return DROP,
                },
                c if c == LD | B | ABS => match pkt.get(k) {
                    Some(b) => a = u32::from(*b),
                    None => return DROP,
                },
                c if c == LD | W | LEN => a = pkt.len() as u32,
                c if c == MISC | TXA => a = x,
                c if c == MISC | TAX => x = a,
                c if c == ALU | ADD | K => a += i.k,
                c if c == RET | K => return i.k,
                c if c & 0x07 == JMP => {
                    let operand = if c & X != 0 { x } else { i.k };
                    let taken = match c & 0xf0 {
                        JGE => a >= operand,
                        JGT => a > operand,
                        other => panic!("jump {other:#x} not used"),
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                other => panic!("opcode {other:#x} not used"),
            }
        }
    }

    /// An IPv4 packet with a header of `ihl` words, `extra` bytes before VRRP, VRID `vrid`.
    fn ipv4(ihl: u8, extra: usize, vrid: u8) -> Vec<u8> {
        let mut p = vec![0u8; usize::from(ihl) * 4 + extra + 8];
        p[0] = 0x40 | ihl;
        p[usize::from(ihl) * 4 + extra] = 0x31;
        p[usize::from(ihl) * 4 + extra + 1] = vrid;
        p
    }

    #[test]
    fn ipv4_accepts_exactly_our_vrids_with_or_without_ip_options() {
        let ours = [1u8, 2, 3, 7, 200, 255];
        let prog = vrid_filter(&ours, VrrpAt::AfterIpv4Header { extra: 0 });
        for ihl in [5u8, 6, 15] {
            for vrid in 0..=255u8 {
                let verdict = run(&prog, &ipv4(ihl, 0, vrid));
                assert_eq!(
                    verdict == ACCEPT,
                    ours.contains(&vrid),
                    "ihl {ihl} vrid {vrid}"
                );
            }
        }
    }

    #[test]
    fn ipv4_ah_reads_the_vrid_after_the_ah_header() {
        let prog = vrid_filter(&[9], VrrpAt::AfterIpv4Header { extra: 24 });
        assert_eq!(run(&prog, &ipv4(5, 24, 9)), ACCEPT);
        assert_eq!(run(&prog, &ipv4(5, 24, 10)), DROP);
    }

    #[test]
    fn packets_too_short_for_a_vrid_reach_user_space_to_be_logged() {
        let prog = vrid_filter(&[1], VrrpAt::AfterIpv4Header { extra: 0 });
        let mut p = ipv4(5, 0, 9);
        p.truncate(21);
        assert_eq!(run(&prog, &p), ACCEPT);
        let prog6 = vrid_filter(&[1], VrrpAt::Payload);
        assert_eq!(run(&prog6, &[0x31]), ACCEPT);
        assert_eq!(run(&prog6, &[]), ACCEPT);
    }

    #[test]
    fn ipv6_payload_filter_and_every_vrid_set_fits() {
        let prog = vrid_filter(&[5, 6], VrrpAt::Payload);
        assert_eq!(run(&prog, &[0x31, 5, 0, 0]), ACCEPT);
        assert_eq!(run(&prog, &[0x31, 4, 0, 0]), DROP);
        // Every other VRID: the most ranges there can be; all jumps stay local.
        let odd: Vec<u8> = (1..=255u8).step_by(2).collect();
        let prog = vrid_filter(&odd, VrrpAt::Payload);
        assert!(prog.len() < 4096);
        for vrid in 0..=255u8 {
            assert_eq!(run(&prog, &[0x31, vrid]) == ACCEPT, vrid % 2 == 1);
        }
        assert_eq!(ranges(&[3, 1, 2, 2, 9]), vec![(1, 3), (9, 9)]);
    }
}
