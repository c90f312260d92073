//! What SNMP reports about an instance beyond its counters: RFC 6527's master and
//! protocol-error reasons, and which rejected packets RFC 2787 / RFC 6527 notify about.
//! The core keeps the reasons as keepalived 2.2.7 does; the SNMP subagent reads them.

use super::validate::Rejection;

/// RFC 6527 `vrrpv3StatisticsMasterTransitions` reason codes (`vrrpv3StatisticsNewMasterReason`).
pub mod master_reason {
    pub const NOT_MASTER: u8 = 0;
    /// Became master after a priority-0 advert.
    pub const PRIORITY: u8 = 1;
    /// Lower-priority adverts were heard (or we own the addresses).
    pub const PREEMPTED: u8 = 2;
    /// No advert within Master_Down_Interval.
    pub const MASTER_NO_RESPONSE: u8 = 3;
}

/// RFC 6527 `vrrpv3StatisticsProtoErrReason` codes.
pub mod proto_error {
    pub const IP_TTL: u8 = 1;
    pub const VERSION: u8 = 2;
    pub const CHECKSUM: u8 = 3;
}

/// The reasons kept per instance. `next_master` is the reason the next move to MASTER
/// will carry (keepalived decides it when the cause is seen, and copies it on entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnmpReasons {
    pub master: u8,
    pub next_master: u8,
    /// The last protocol error (0: none yet).
    pub proto_error: u8,
}

impl Default for SnmpReasons {
    fn default() -> Self {
        SnmpReasons {
            master: master_reason::NOT_MASTER,
            next_master: master_reason::MASTER_NO_RESPONSE,
            proto_error: 0,
        }
    }
}

impl Rejection {
    /// RFC 2787 `vrrpTrapAuthErrorType` of a rejection that sends `vrrpTrapAuthFailure`:
    /// invalidAuthType(1), authTypeMismatch(2), authFailure(3).
    pub fn auth_error_type(&self) -> Option<u8> {
        use Rejection::*;
        match self {
            AuthTypeUnknown { .. } => Some(1),
            AhUnexpected | AhMissing | AuthTypeMismatch { .. } => Some(2),
            Password | AhIcv | AhSpi { .. } | AhReplay { .. } => Some(3),
            _ => None,
        }
    }

    /// RFC 6527 protocol error of a rejection that sends `vrrpv3NotificationProtoError`.
    pub fn proto_error(&self) -> Option<u8> {
        use Rejection::*;
        match self {
            Ttl { .. } | PeerTtl { .. } => Some(proto_error::IP_TTL),
            Version { .. } => Some(proto_error::VERSION),
            Checksum { .. } => Some(proto_error::CHECKSUM),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_notified_rejection_has_its_rfc_code() {
        assert_eq!(Rejection::Password.auth_error_type(), Some(3));
        assert_eq!(
            Rejection::AuthTypeUnknown { received: 7 }.auth_error_type(),
            Some(1)
        );
        assert_eq!(Rejection::AhMissing.auth_error_type(), Some(2));
        assert_eq!(Rejection::Ttl { received: 9 }.proto_error(), Some(1));
        assert_eq!(
            Rejection::Version {
                received: 2,
                expected: 3
            }
            .proto_error(),
            Some(2)
        );
        assert_eq!(Rejection::Password.proto_error(), None);
        assert_eq!(
            Rejection::Ttl { received: 9 }.auth_error_type(),
            None,
            "a TTL error is no auth failure"
        );
    }
}
