//! The table of tracker kinds: one row per kind. Its own module, apart from the shape
//! ([`super::kind`]) that every kind's file implements, so that the kinds depend on the
//! shape and the table on the kinds, never the other way round.

use super::kind::{TrackedKind, TrackerKind};
use super::{file, interface, mysql, process, script};

/// Every kind, in id allocation order (`vrrp_script`s, `track_file`s,
/// `vrrp_track_process`es, `mysql_check`s, then tracked interfaces): the same
/// configuration always yields the same ids.
pub static KINDS: &[(TrackerKind, &dyn TrackedKind)] = &[
    (TrackerKind::Script, &script::Scripts),
    (TrackerKind::File, &file::Files),
    (TrackerKind::Process, &process::Processes),
    (TrackerKind::Mysql, &mysql::MysqlChecks),
    (TrackerKind::Interface, &interface::Interfaces),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_exactly_one_row() {
        use TrackerKind::*;
        // Exhaustive on purpose: a new variant does not compile until it is listed here.
        let listed = |k: TrackerKind| match k {
            Script | File | Process | Interface | Mysql => k,
        };
        for kind in [Script, File, Process, Interface, Mysql].map(listed) {
            let rows = KINDS.iter().filter(|(k, _)| *k == kind).count();
            assert_eq!(rows, 1, "{} has {rows} rows in KINDS", kind.as_str());
        }
    }
}
