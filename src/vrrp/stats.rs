//! Per-instance counters, as keepalived keeps them for its USR2 stats file and JSON dump.

use std::fmt;

/// The counters of keepalived's `/tmp/keepalived.stats` (field names = its JSON keys).
///
/// Some counters are never incremented by keepalived 2.2.7 either (`advert_interval_err`):
/// they exist so that dumps have the same shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    /// IPv4 adverts whose VRRP checksum is wrong (keepalived's `chk_err`: it keeps it for
    /// SNMP only, so it is in neither its stats file nor its JSON dump).
    pub chk_err: u64,
    /// Adverts of the other VRRP version (keepalived's `vers_err`, SNMP only too).
    pub vers_err: u64,
}

/// A counter of [`Stats`] that a rejected packet can move (see
/// [`crate::vrrp::validate::Rejection::counter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxErrorCounter {
    PacketLenErr,
    IpTtlErr,
    InvalidTypeRcvd,
    AddrListErr,
    InvalidAuthtype,
    AuthtypeMismatch,
    AuthFailure,
    ChkErr,
    VersErr,
}

impl RxErrorCounter {
    /// The counter's key in keepalived's JSON dump (the [`Stats`] field name).
    pub fn key(self) -> &'static str {
        match self {
            RxErrorCounter::PacketLenErr => "packet_len_err",
            RxErrorCounter::IpTtlErr => "ip_ttl_err",
            RxErrorCounter::InvalidTypeRcvd => "invalid_type_rcvd",
            RxErrorCounter::AddrListErr => "addr_list_err",
            RxErrorCounter::InvalidAuthtype => "invalid_authtype",
            RxErrorCounter::AuthtypeMismatch => "authtype_mismatch",
            RxErrorCounter::AuthFailure => "auth_failure",
            RxErrorCounter::ChkErr => "chk_err",
            RxErrorCounter::VersErr => "vers_err",
        }
    }
}

impl Stats {
    /// The field behind `counter`.
    pub fn rx_error_mut(&mut self, counter: RxErrorCounter) -> &mut u64 {
        match counter {
            RxErrorCounter::PacketLenErr => &mut self.packet_len_err,
            RxErrorCounter::IpTtlErr => &mut self.ip_ttl_err,
            RxErrorCounter::InvalidTypeRcvd => &mut self.invalid_type_rcvd,
            RxErrorCounter::AddrListErr => &mut self.addr_list_err,
            RxErrorCounter::InvalidAuthtype => &mut self.invalid_authtype,
            RxErrorCounter::AuthtypeMismatch => &mut self.authtype_mismatch,
            RxErrorCounter::AuthFailure => &mut self.auth_failure,
            RxErrorCounter::ChkErr => &mut self.chk_err,
            RxErrorCounter::VersErr => &mut self.vers_err,
        }
    }

    /// Writes the block keepalived writes for one instance in its USR2 stats file.
    pub fn write_stats_file_block(&self, name: &str, out: &mut impl fmt::Write) -> fmt::Result {
        writeln!(out, "VRRP Instance: {name}")?;
        writeln!(out, "  Advertisements:")?;
        writeln!(out, "    Received: {}", self.advert_rcvd)?;
        writeln!(out, "    Sent: {}", self.advert_sent)?;
        writeln!(out, "  Became master: {}", self.become_master)?;
        writeln!(out, "  Released master: {}", self.release_master)?;
        writeln!(out, "  Packet Errors:")?;
        writeln!(out, "    Length: {}", self.packet_len_err)?;
        writeln!(out, "    TTL: {}", self.ip_ttl_err)?;
        writeln!(out, "    Invalid Type: {}", self.invalid_type_rcvd)?;
        writeln!(
            out,
            "    Advertisement Interval: {}",
            self.advert_interval_err
        )?;
        writeln!(out, "    Address List: {}", self.addr_list_err)?;
        writeln!(out, "  Authentication Errors:")?;
        writeln!(out, "    Invalid Type: {}", self.invalid_authtype)?;
        writeln!(out, "    Type Mismatch: {}", self.authtype_mismatch)?;
        writeln!(out, "    Failure: {}", self.auth_failure)?;
        writeln!(out, "  Priority Zero:")?;
        writeln!(out, "    Received: {}", self.pri_zero_rcvd)?;
        writeln!(out, "    Sent: {}", self.pri_zero_sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_are_keepalived_names() {
        let s = Stats {
            advert_sent: 5,
            become_master: 1,
            ..Stats::default()
        };
        let v = serde_json::to_value(s).unwrap();
        for key in [
            "advert_rcvd",
            "advert_sent",
            "become_master",
            "release_master",
            "packet_len_err",
            "advert_interval_err",
            "ip_ttl_err",
            "invalid_type_rcvd",
            "addr_list_err",
            "invalid_authtype",
            "authtype_mismatch",
            "auth_failure",
            "pri_zero_rcvd",
            "pri_zero_sent",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["advert_sent"], 5);
    }

    #[test]
    fn rx_error_keys_name_the_field_they_move() {
        use RxErrorCounter::*;
        for c in [
            PacketLenErr,
            IpTtlErr,
            InvalidTypeRcvd,
            AddrListErr,
            InvalidAuthtype,
            AuthtypeMismatch,
            AuthFailure,
            ChkErr,
            VersErr,
        ] {
            let mut s = Stats::default();
            *s.rx_error_mut(c) = 7;
            assert_eq!(serde_json::to_value(s).unwrap()[c.key()], 7, "{c:?}");
        }
    }

    #[test]
    fn stats_file_block_matches_keepalived_layout() {
        let s = Stats {
            advert_sent: 4,
            become_master: 1,
            ..Stats::default()
        };
        let mut out = String::new();
        s.write_stats_file_block("VI_1", &mut out).unwrap();
        let expected = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 4\n  Became master: 1\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    TTL: 0\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 0\n  Priority Zero:\n    Received: 0\n    Sent: 0\n";
        assert_eq!(out, expected);
    }
}
