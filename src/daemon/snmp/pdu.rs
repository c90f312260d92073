//! The AgentX wire format (RFC 2741 §5–6): the 20-byte header, object identifiers with the
//! `1.3.6.1.X` prefix compression, varbinds, search ranges, and the few PDUs a read-only
//! subagent sends or answers.
//!
//! Written here rather than taken from the `agentx` crate because that crate's OCTET
//! STRING wraps a Rust `String`: it cannot carry the binary values VRRP-MIB needs
//! (`vrrpOperVirtualMacAddr` is six raw bytes). The codec is small, pure and unit-tested
//! against byte layouts written out from the RFC.

use thiserror::Error;

/// An object identifier, one `u32` per sub-identifier.
pub type Oid = Vec<u32>;

pub const HEADER_LEN: usize = 20;
const VERSION: u8 = 1;
/// `h.flags` bit: multi-byte fields are big-endian.
pub const FLAG_NETWORK_BYTE_ORDER: u8 = 0x10;
/// `h.flags` bit: a context octet string precedes the payload.
const FLAG_NON_DEFAULT_CONTEXT: u8 = 0x08;
/// The `internet` prefix that `n_subid`/`prefix` compress.
const INTERNET: [u32; 4] = [1, 3, 6, 1];

/// PDU types (RFC 2741 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PduType {
    Open = 1,
    Close = 2,
    Register = 3,
    Get = 5,
    GetNext = 6,
    GetBulk = 7,
    TestSet = 8,
    CommitSet = 9,
    UndoSet = 10,
    CleanupSet = 11,
    Notify = 12,
    Ping = 13,
    Response = 18,
}

impl PduType {
    fn from_u8(v: u8) -> Option<PduType> {
        use PduType::*;
        Some(match v {
            1 => Open,
            2 => Close,
            3 => Register,
            5 => Get,
            6 => GetNext,
            7 => GetBulk,
            8 => TestSet,
            9 => CommitSet,
            10 => UndoSet,
            11 => CleanupSet,
            13 => Ping,
            18 => Response,
            _ => return None,
        })
    }
}

/// `res.error` values used here (RFC 2741 §6.2.16).
pub mod error {
    pub const NO_ERROR: u16 = 0;
    pub const NOT_WRITABLE: u16 = 17;
    pub const COMMIT_FAILED: u16 = 14;
    pub const UNDO_FAILED: u16 = 15;
}

/// `close.reason` values (RFC 2741 §6.2.2).
pub mod close_reason {
    pub const SHUTDOWN: u8 = 5;
}

/// A varbind's value (RFC 2741 §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Integer(i32),
    OctetString(Vec<u8>),
    Null,
    ObjectId(Oid),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl Value {
    fn type_code(&self) -> u16 {
        match self {
            Value::Integer(_) => 2,
            Value::OctetString(_) => 4,
            Value::Null => 5,
            Value::ObjectId(_) => 6,
            Value::IpAddress(_) => 64,
            Value::Counter32(_) => 65,
            Value::Gauge32(_) => 66,
            Value::TimeTicks(_) => 67,
            Value::Counter64(_) => 70,
            Value::NoSuchObject => 128,
            Value::NoSuchInstance => 129,
            Value::EndOfMibView => 130,
        }
    }
}

/// One `name = value` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarBind {
    pub name: Oid,
    pub value: Value,
}

/// A Get/GetNext/GetBulk search range: from `start` (itself included when `include`) up
/// to `end` (excluded; empty = no bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRange {
    pub start: Oid,
    pub include: bool,
    pub end: Oid,
}

/// The header fields a request carries and its response echoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ids {
    pub session: u32,
    pub transaction: u32,
    pub packet: u32,
}

/// A decoded PDU from the master agent (only the kinds a subagent receives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Response {
        ids: Ids,
        error: u16,
    },
    Get {
        ids: Ids,
        ranges: Vec<SearchRange>,
    },
    GetNext {
        ids: Ids,
        ranges: Vec<SearchRange>,
    },
    GetBulk {
        ids: Ids,
        non_repeaters: u16,
        max_repetitions: u16,
        ranges: Vec<SearchRange>,
    },
    /// A Set phase: TestSet/CommitSet/UndoSet/CleanupSet (all refused: read-only).
    Set {
        ids: Ids,
        kind: PduType,
    },
    Close {
        ids: Ids,
    },
    /// A PDU type a subagent never expects (ignored).
    Other {
        ids: Ids,
    },
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PduError {
    #[error("AgentX PDU truncated")]
    Truncated,
    #[error("AgentX version {0} is not 1")]
    Version(u8),
    #[error("AgentX object identifier with {0} sub-identifiers is too long")]
    OidTooLong(u8),
}

/// The payload length announced by a header (to know how much more to read).
pub fn payload_len(header: &[u8; HEADER_LEN]) -> usize {
    let b = [header[16], header[17], header[18], header[19]];
    if header[2] & FLAG_NETWORK_BYTE_ORDER != 0 {
        u32::from_be_bytes(b) as usize
    } else {
        u32::from_le_bytes(b) as usize
    }
}

/// Builds PDUs in network byte order.
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn new(kind: PduType, flags: u8, ids: Ids) -> Writer {
        let mut buf = vec![VERSION, kind as u8, flags | FLAG_NETWORK_BYTE_ORDER, 0];
        for v in [ids.session, ids.transaction, ids.packet, 0] {
            buf.extend_from_slice(&v.to_be_bytes());
        }
        Writer { buf }
    }

    fn u8s(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn oid(&mut self, oid: &[u32], include: bool) {
        let (prefix, rest) = match oid {
            [1, 3, 6, 1, p, rest @ ..] if *p > 0 && *p <= 255 => (*p as u8, rest),
            _ => (0, oid),
        };
        self.u8s(&[rest.len() as u8, prefix, include as u8, 0]);
        for s in rest {
            self.u32(*s);
        }
    }

    fn octets(&mut self, s: &[u8]) {
        self.u32(s.len() as u32);
        self.u8s(s);
        self.u8s(&[0; 3][..(4 - s.len() % 4) % 4]);
    }

    fn varbind(&mut self, vb: &VarBind) {
        self.u16(vb.value.type_code());
        self.u16(0);
        self.oid(&vb.name, false);
        match &vb.value {
            Value::Integer(v) => self.u32(*v as u32),
            Value::OctetString(s) => self.octets(s),
            Value::ObjectId(o) => self.oid(o, false),
            Value::IpAddress(a) => self.octets(a),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => self.u32(*v),
            Value::Counter64(v) => self.buf.extend_from_slice(&v.to_be_bytes()),
            Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {}
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let len = (self.buf.len() - HEADER_LEN) as u32;
        self.buf[16..20].copy_from_slice(&len.to_be_bytes());
        self.buf
    }
}

/// The Open-PDU: `timeout` seconds (0 = the master's default), our identity and name.
pub fn open(ids: Ids, timeout: u8, id: &[u32], descr: &str) -> Vec<u8> {
    let mut w = Writer::new(PduType::Open, 0, ids);
    w.u8s(&[timeout, 0, 0, 0]);
    w.oid(id, false);
    w.octets(descr.as_bytes());
    w.finish()
}

/// The Register-PDU for a whole subtree at the default priority (127).
pub fn register(ids: Ids, subtree: &[u32]) -> Vec<u8> {
    let mut w = Writer::new(PduType::Register, 0, ids);
    w.u8s(&[0, 127, 0, 0]);
    w.oid(subtree, false);
    w.finish()
}

/// The Close-PDU.
pub fn close(ids: Ids, reason: u8) -> Vec<u8> {
    let mut w = Writer::new(PduType::Close, 0, ids);
    w.u8s(&[reason, 0, 0, 0]);
    w.finish()
}

/// A Notify-PDU (RFC 2741 §6.2.10): `varbinds` starts with sysUpTime.0 (optional) and
/// snmpTrapOID.0.
pub fn notify(ids: Ids, varbinds: &[VarBind]) -> Vec<u8> {
    let mut w = Writer::new(PduType::Notify, 0, ids);
    for vb in varbinds {
        w.varbind(vb);
    }
    w.finish()
}

/// A Response-PDU echoing `ids`.
pub fn response(ids: Ids, error: u16, index: u16, varbinds: &[VarBind]) -> Vec<u8> {
    let mut w = Writer::new(PduType::Response, 0, ids);
    w.u32(0); // sysUpTime: only meaningful in responses from the master.
    w.u16(error);
    w.u16(index);
    for vb in varbinds {
        w.varbind(vb);
    }
    w.finish()
}

/// Reads fields in the byte order the header's flag names.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    big: bool,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], PduError> {
        let end = self.pos.checked_add(n).ok_or(PduError::Truncated)?;
        let s = self.data.get(self.pos..end).ok_or(PduError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, PduError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, PduError> {
        let b: [u8; 2] = self.take(2)?.try_into().unwrap();
        Ok(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&mut self) -> Result<u32, PduError> {
        let b: [u8; 4] = self.take(4)?.try_into().unwrap();
        Ok(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn oid(&mut self) -> Result<(Oid, bool), PduError> {
        let n = self.u8()?;
        let prefix = self.u8()?;
        let include = self.u8()? != 0;
        self.u8()?;
        if n > 128 {
            return Err(PduError::OidTooLong(n));
        }
        let mut oid = Vec::with_capacity(n as usize + 5);
        if prefix != 0 {
            oid.extend_from_slice(&INTERNET);
            oid.push(prefix as u32);
        }
        for _ in 0..n {
            oid.push(self.u32()?);
        }
        Ok((oid, include))
    }

    fn octets(&mut self) -> Result<Vec<u8>, PduError> {
        let len = self.u32()? as usize;
        let s = self.take(len)?.to_vec();
        self.take((4 - len % 4) % 4)?;
        Ok(s)
    }

    fn ranges(&mut self) -> Result<Vec<SearchRange>, PduError> {
        let mut ranges = Vec::new();
        while self.pos < self.data.len() {
            let (start, include) = self.oid()?;
            let (end, _) = self.oid()?;
            ranges.push(SearchRange {
                start,
                include,
                end,
            });
        }
        Ok(ranges)
    }
}

/// Decodes one whole PDU (header and payload).
pub fn decode(pdu: &[u8]) -> Result<Incoming, PduError> {
    let header: &[u8; HEADER_LEN] = pdu
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(PduError::Truncated)?;
    if header[0] != VERSION {
        return Err(PduError::Version(header[0]));
    }
    let flags = header[2];
    let end = HEADER_LEN + payload_len(header);
    let mut r = Reader {
        data: pdu.get(..end).ok_or(PduError::Truncated)?,
        pos: 4,
        big: flags & FLAG_NETWORK_BYTE_ORDER != 0,
    };
    let ids = Ids {
        session: r.u32()?,
        transaction: r.u32()?,
        packet: r.u32()?,
    };
    r.u32()?;
    if flags & FLAG_NON_DEFAULT_CONTEXT != 0 && header[1] != PduType::Response as u8 {
        r.octets()?; // One context is served: every context reads the same values.
    }
    Ok(match PduType::from_u8(header[1]) {
        Some(PduType::Response) => {
            r.u32()?;
            Incoming::Response {
                ids,
                error: r.u16()?,
            }
        }
        Some(PduType::Get) => Incoming::Get {
            ids,
            ranges: r.ranges()?,
        },
        Some(PduType::GetNext) => Incoming::GetNext {
            ids,
            ranges: r.ranges()?,
        },
        Some(PduType::GetBulk) => Incoming::GetBulk {
            ids,
            non_repeaters: r.u16()?,
            max_repetitions: r.u16()?,
            ranges: r.ranges()?,
        },
        Some(
            kind @ (PduType::TestSet | PduType::CommitSet | PduType::UndoSet | PduType::CleanupSet),
        ) => Incoming::Set { ids, kind },
        Some(PduType::Close) => Incoming::Close { ids },
        _ => Incoming::Other { ids },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: Ids = Ids {
        session: 7,
        transaction: 9,
        packet: 11,
    };

    #[test]
    fn header_is_twenty_bytes_in_network_order_with_the_payload_length() {
        let pdu = close(IDS, close_reason::SHUTDOWN);
        assert_eq!(
            pdu,
            [1, 2, 0x10, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0, 11, 0, 0, 0, 4, 5, 0, 0, 0]
        );
        assert_eq!(payload_len(pdu[..20].try_into().unwrap()), 4);
    }

    #[test]
    fn internet_oids_are_compressed_to_a_prefix_byte() {
        let pdu = register(IDS, &[1, 3, 6, 1, 2, 1, 68]);
        assert_eq!(&pdu[20..24], &[0, 127, 0, 0]);
        assert_eq!(&pdu[24..28], &[2, 2, 0, 0], "n_subid 2, prefix 2 (mib-2)");
        assert_eq!(&pdu[28..], &[0, 0, 0, 1, 0, 0, 0, 68]);
        // Not compressible: stays whole.
        let mut w = Writer::new(PduType::Get, 0, IDS);
        w.oid(&[1, 3, 6, 1, 300, 1], false);
        assert_eq!(&w.buf[20..24], &[6, 0, 0, 0]);
        let mut w = Writer::new(PduType::Get, 0, IDS);
        w.oid(&[], false);
        assert_eq!(&w.buf[20..], &[0, 0, 0, 0], "the null OID");
    }

    #[test]
    fn octet_strings_carry_binary_bytes_padded_to_four() {
        let vb = VarBind {
            name: vec![1, 3, 6, 1, 2, 1, 68, 1, 3, 1, 2, 3, 51],
            value: Value::OctetString(vec![0x00, 0x00, 0x5e, 0x00, 0x01, 0xff]),
        };
        let pdu = response(IDS, 0, 0, &[vb]);
        let body = &pdu[28..];
        assert_eq!(&body[..4], &[0, 4, 0, 0], "type OCTET STRING");
        let data = &body[4 + 4 + 8 * 4..];
        assert_eq!(data, &[0, 0, 0, 6, 0, 0, 0x5e, 0, 1, 0xff, 0, 0]);
    }

    #[test]
    fn every_value_type_has_its_rfc_code_and_layout() {
        let cases: Vec<(Value, u16, Vec<u8>)> = vec![
            (Value::Integer(-2), 2, vec![0xff, 0xff, 0xff, 0xfe]),
            (Value::Null, 5, vec![]),
            (
                Value::ObjectId(vec![1, 3, 6, 1, 4, 1]),
                6,
                vec![1, 4, 0, 0, 0, 0, 0, 1],
            ),
            (
                Value::IpAddress([198, 18, 9, 1]),
                64,
                vec![0, 0, 0, 4, 198, 18, 9, 1],
            ),
            (Value::Counter32(5), 65, vec![0, 0, 0, 5]),
            (Value::Gauge32(6), 66, vec![0, 0, 0, 6]),
            (Value::TimeTicks(7), 67, vec![0, 0, 0, 7]),
            (Value::Counter64(1 << 33), 70, vec![0, 0, 0, 2, 0, 0, 0, 0]),
            (Value::NoSuchObject, 128, vec![]),
            (Value::NoSuchInstance, 129, vec![]),
            (Value::EndOfMibView, 130, vec![]),
        ];
        for (value, code, data) in cases {
            let pdu = response(
                IDS,
                0,
                0,
                &[VarBind {
                    name: vec![],
                    value,
                }],
            );
            assert_eq!(&pdu[28..30], &code.to_be_bytes());
            assert_eq!(&pdu[36..], &data[..], "type {code}");
        }
    }

    /// A GetNext as net-snmp's master sends it on x86: little-endian, no byte-order flag.
    #[test]
    fn little_endian_requests_decode() {
        let mut p = vec![1, 6, 0, 0];
        for v in [3u32, 4, 5, 0] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        let payload_start = p.len();
        p.extend_from_slice(&[2, 2, 1, 0]);
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&68u32.to_le_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        let len = (p.len() - payload_start) as u32;
        p[16..20].copy_from_slice(&len.to_le_bytes());
        assert_eq!(
            decode(&p).unwrap(),
            Incoming::GetNext {
                ids: Ids {
                    session: 3,
                    transaction: 4,
                    packet: 5
                },
                ranges: vec![SearchRange {
                    start: vec![1, 3, 6, 1, 2, 1, 68],
                    include: true,
                    end: vec![],
                }],
            }
        );
    }

    #[test]
    fn getbulk_and_responses_decode_in_network_order() {
        let mut w = Writer::new(PduType::GetBulk, 0, IDS);
        w.u16(1);
        w.u16(10);
        w.oid(&[1, 3, 6, 1, 2, 1, 68, 1, 1], false);
        w.oid(&[], false);
        let bulk = w.finish();
        assert_eq!(
            decode(&bulk).unwrap(),
            Incoming::GetBulk {
                ids: IDS,
                non_repeaters: 1,
                max_repetitions: 10,
                ranges: vec![SearchRange {
                    start: vec![1, 3, 6, 1, 2, 1, 68, 1, 1],
                    include: false,
                    end: vec![],
                }],
            }
        );
        let resp = response(IDS, error::NOT_WRITABLE, 1, &[]);
        assert_eq!(
            decode(&resp).unwrap(),
            Incoming::Response {
                ids: IDS,
                error: error::NOT_WRITABLE
            }
        );
        assert_eq!(decode(&resp[..10]), Err(PduError::Truncated));
        assert_eq!(decode(&resp[..resp.len() - 1]), Err(PduError::Truncated));
    }

    #[test]
    fn notify_carries_its_varbinds_only() {
        let vb = VarBind {
            name: vec![1, 3, 6, 1, 2, 1, 1, 3, 0],
            value: Value::TimeTicks(5),
        };
        let pdu = notify(IDS, &[vb]);
        assert_eq!(pdu[1], 12);
        assert_eq!(
            &pdu[20..24],
            &[0, 67, 0, 0],
            "straight to the first varbind"
        );
    }

    #[test]
    fn open_carries_the_timeout_identity_and_description() {
        let pdu = open(IDS, 5, &[1, 3, 6, 1, 4, 1, 9586], "keepalived");
        assert_eq!(pdu[1], PduType::Open as u8);
        assert_eq!(&pdu[20..24], &[5, 0, 0, 0]);
        assert_eq!(&pdu[24..28], &[2, 4, 0, 0]);
        assert_eq!(&pdu[36..40], &[0, 0, 0, 10]);
        assert_eq!(&pdu[40..], b"keepalived\0\0");
    }
}
