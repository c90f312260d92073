//! The keyword tables: one per block kind, each entry naming a keyword, documenting it and
//! saying how to read it into the model (`apply`) and print it back (`dump`).
//!
//! Parsing, `--check-config`, `--dump-conf` and the keyword list of `keepalived.conf(5)` are
//! all driven from these tables, so they cannot drift apart.

use super::dump::Dumper;
use super::lower::Lower;
use super::syntax::Node;
use std::collections::BTreeMap;

/// One keyword of one block kind.
pub struct Keyword<T: 'static> {
    pub name: &'static str,
    /// Other spellings keepalived accepts (deprecated names).
    pub aliases: &'static [&'static str],
    /// Argument synopsis for the man page, e.g. `1-255`.
    pub usage: &'static str,
    /// Default as keepalived applies it.
    pub default: &'static str,
    /// One-line description.
    pub doc: &'static str,
    /// Reads the node into the model.
    pub apply: fn(&mut Lower, &mut T, &Node),
    /// Prints the model's value back as configuration text.
    pub dump: fn(&T, &mut Dumper),
    /// Set on a row the daemon reads but does not act on, with the reason; reading such a
    /// row says so (see [`Inert`]). `None`: the row is a typed setting the daemon uses.
    pub inert: Option<Inert>,
}

/// Why a keyword keepalived acts on changes nothing in this build. A drop-in replacement
/// must never ignore a setting silently: each row declared with one of these announces
/// itself where it is written, as a notice in `-t` and in the daemon's start-up log
/// ("'KEYWORD' has no effect in this build: WHY"), without changing `-t`'s exit code
/// (keepalived has no such finding). The keyword walk test holds every table to it.
///
/// There is deliberately no "not implemented yet": every VRRP-side keyword keepalived
/// acts on is acted on here, and each variant names a reason the setting cannot or need
/// not apply to this build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inert {
    /// LVS, IPVS and the health-checker process: this build runs VRRP only.
    Lvs,
    /// BFD: this build runs VRRP only.
    Bfd,
    /// A setting of keepalived's parent or of the split into processes: this build is one
    /// process.
    OneProcess,
    /// Automatic real-time priority: this build's VRRP loop always runs under SCHED_RR.
    AlwaysRealTime,
    /// keepalived itself only shows it in its data dump.
    DumpOnly,
    /// keepalived 2.2.7 reads it and then never uses it.
    KeepalivedIgnores,
    /// Only matters for ipsets on Linux before 3.13.
    OldKernelIpsets,
    /// A setting of the kernel process connector socket keepalived follows processes
    /// with: this build's `vrrp_track_process` scans `/proc` instead and has no such socket.
    ProcScan,
}

impl Inert {
    /// The reason, as the notice states it.
    pub fn reason(self) -> &'static str {
        match self {
            Inert::Lvs => "LVS and the health checkers are not run by this VRRP-only build",
            Inert::Bfd => "BFD is not run by this VRRP-only build",
            Inert::OneProcess => {
                "this build is one process, without keepalived's parent and child processes"
            }
            Inert::AlwaysRealTime => {
                "this build always runs its VRRP loop under real-time scheduling (vrrp_rt_priority, default 1)"
            }
            Inert::DumpOnly => "keepalived 2.2.7 only shows it in its data dump",
            Inert::KeepalivedIgnores => {
                "keepalived 2.2.7 resets the seed before every read of the configuration, so the value never reaches ${_RANDOM} there either"
            }
            Inert::OldKernelIpsets => {
                "it only lets keepalived use ipsets in a namespace on Linux before 3.13; this build's firewall is nftables"
            }
            Inert::ProcScan => {
                "this build's vrrp_track_process scans /proc, without the process connector socket it sizes"
            }
        }
    }

    /// The notice's text for `keyword`.
    pub fn message(self, keyword: &str) -> String {
        format!("'{keyword}' has no effect in this build: {}", self.reason())
    }
}

/// Blocks with an open-ended set of keywords keepalived knows but this daemon does not act
/// on keep them here, by keyword, with their arguments as written.
pub trait OtherSettings {
    fn other(&mut self) -> &mut BTreeMap<String, Vec<String>>;
    fn other_ref(&self) -> &BTreeMap<String, Vec<String>>;
}

macro_rules! keyword {
    ($name:literal, $usage:expr, $default:literal, $doc:literal, $apply:expr, $dump:expr) => {
        keyword!(@inert None, $name, $usage, $default, $doc, $apply, $dump)
    };
    (@inert $inert:expr, $name:literal, $usage:expr, $default:literal, $doc:literal, $apply:expr, $dump:expr) => {
        $crate::config::keywords::Keyword {
            name: $name,
            aliases: &[],
            usage: $usage,
            default: $default,
            doc: $doc,
            apply: $apply,
            dump: $dump,
            inert: $inert,
        }
    };
}

/// A boolean keyword (bare = on).
macro_rules! flag {
    ($name:literal, $($field:ident).+, $doc:literal) => {
        keyword!($name, "[on|off]", "off", $doc,
            |c, t, n| t.$($field).+ = c.boolean(n),
            |t, d| if t.$($field).+ { d.line::<&str>($name, &[]) })
    };
}

/// A boolean keyword whose absence means "inherit" (`Option<bool>`, bare = on); dumped
/// only when written, as `on` or `off`.
macro_rules! tristate {
    ($name:literal, $($field:ident).+, $default:literal, $doc:literal) => {
        keyword!($name, "[on|off]", $default, $doc,
            |c, t, n| t.$($field).+ = Some(c.boolean(n)),
            |t, d| if let Some(v) = t.$($field).+ { d.kv($name, if v { "on" } else { "off" }) })
    };
}

/// A keyword taking one free-form word into an `Option<String>` (default `unset` unless
/// named).
macro_rules! word {
    ($name:literal, $usage:literal, $default:literal, $($field:ident).+, $doc:literal) => {
        keyword!($name, $usage, $default, $doc,
            |c, t, n| if let Some(a) = c.arg(n, 0) { t.$($field).+ = Some(a.text.to_string()) },
            |t, d| if let Some(v) = &t.$($field).+ { d.kv($name, v) })
    };
    ($name:literal, $usage:literal, $($field:ident).+, $doc:literal) => {
        word!($name, $usage, "unset", $($field).+, $doc)
    };
}

/// An integer keyword with keepalived's range check.
macro_rules! int {
    ($name:literal, $($field:ident).+, $min:expr, $max:expr, $default:literal, $doc:literal) => {
        keyword!($name, concat!(stringify!($min), "-", stringify!($max)), $default, $doc,
            |c, t, n| if let Some(v) = c.int_arg(n, 0, $min, $max) { t.$($field).+ = v as _ },
            |t, d| d.kv($name, t.$($field).+))
    };
}

/// An integer keyword with keepalived's range check whose absence means "unset"
/// (`Option<_>`); dumped only when written.
macro_rules! opt_int {
    ($name:literal, $usage:literal, $($field:ident).+, $min:expr, $max:expr, $default:literal, $doc:literal) => {
        keyword!($name, $usage, $default, $doc,
            |c, t, n| if let Some(v) = c.int_arg(n, 0, $min, $max) { t.$($field).+ = Some(v as _) },
            |t, d| if let Some(v) = t.$($field).+ { d.kv($name, v) })
    };
}

/// A number of seconds (decimals allowed) into a `Duration`.
macro_rules! secs {
    ($name:literal, $($field:ident).+, $min_us:expr, $max_us:expr, $default:literal, $doc:literal) => {
        keyword!($name, "SECONDS", $default, $doc,
            |c, t, n| if let Some(v) = $crate::config::keywords::secs_arg(c, n, $min_us, $max_us) { t.$($field).+ = v },
            |t, d| d.kv($name, $crate::config::lower::fmt_decimal_secs(t.$($field).+, false)))
    };
}

/// A number of seconds into an `Option<Duration>` whose absence means "unset" (or a
/// default taken from elsewhere); dumped only when written.
macro_rules! opt_secs {
    ($name:literal, $($field:ident).+, $min_us:expr, $max_us:expr, $default:literal, $doc:literal) => {
        keyword!($name, "SECONDS", $default, $doc,
            |c, t, n| if let Some(v) = $crate::config::keywords::secs_arg(c, n, $min_us, $max_us) { t.$($field).+ = Some(v) },
            |t, d| if let Some(v) = t.$($field).+ { d.kv($name, $crate::config::lower::fmt_decimal_secs(v, false)) })
    };
}

/// A script keyword (`notify_master`, …): a command line (quoted or not) into an
/// `Option<Script>`.
macro_rules! script {
    ($name:literal, $($field:ident).+, $doc:literal) => {
        keyword!($name, "COMMAND", "none", $doc,
            |c, t, n| t.$($field).+ = $crate::config::keywords::address::script_value(c, n),
            |t, d| $crate::config::keywords::address::dump_script(d, $name, &t.$($field).+))
    };
}

/// A block of tracked objects (`track_script { NAME [weight W] … }`), appended to a list.
macro_rules! tracks {
    ($name:literal, $usage:literal, $($field:ident).+, $min:expr, $max:expr, $doc:literal) => {
        keyword!($name, $usage, "none", $doc,
            |c, t, n| {
                let v = $crate::config::keywords::address::track_block(c, n, $min, $max);
                t.$($field).+.extend(v)
            },
            |t, d| $crate::config::keywords::address::dump_tracks(d, $name, &t.$($field).+))
    };
}

/// A keyword keepalived acts on and this build does not, declared with its reason
/// ([`Inert`]): read, kept as written (in `other`, so `-d` prints it back), and announced
/// with a notice wherever it is written. `inert!(WHY "name" => "doc")` keeps it in the
/// table's own block; `inert!(global WHY "name" => "doc")` (top level only) with the global
/// settings, where keepalived reads a process-wide setting outside `global_defs`. `WHY` is
/// an [`Inert`] variant.
macro_rules! inert {
    ($why:ident $name:literal => $doc:literal) => {
        keyword!(
            @inert Some($crate::config::keywords::Inert::$why),
            $name,
            "…",
            "",
            $doc,
            |c, t, n| {
                $crate::config::keywords::announce_inert(c, n, $crate::config::keywords::Inert::$why);
                $crate::config::keywords::keep_other(t, $name, n)
            },
            |t, d| $crate::config::keywords::dump_other(t, $name, d)
        )
    };
    (global $why:ident $name:literal => $doc:literal) => {
        keyword!(
            @inert Some($crate::config::keywords::Inert::$why),
            $name,
            "…",
            "",
            $doc,
            |c, t, n| {
                $crate::config::keywords::announce_inert(c, n, $crate::config::keywords::Inert::$why);
                $crate::config::keywords::keep_other(&mut t.global, $name, n)
            },
            |t, d| $crate::config::keywords::dump_other(&t.global, $name, d)
        )
    };
}

pub mod address;
mod apply;
#[macro_use]
mod buffers;
pub mod global;
pub mod instance;
pub mod linkbeat;
pub mod lvs;
pub mod nexthop;
pub mod objects;
mod process;
mod process_contract;
pub mod route;
pub mod routing_words;
pub mod rule;
pub mod top;
pub mod track_group;
pub mod up_down_delays;
mod vmac;
mod vrf;

pub use top::TOP;

/// The VRRP version a range-checked `version` / `vrrp_version` number names.
fn version_of(number: i64) -> Option<crate::vrrp::Version> {
    match number {
        2 => Some(crate::vrrp::Version::V2),
        3 => Some(crate::vrrp::Version::V3),
        _ => None,
    }
}

/// The first argument as seconds (decimals allowed) within `min_us..=max_us` microseconds.
fn secs_arg(cx: &mut Lower, n: &Node, min_us: u64, max_us: u64) -> Option<std::time::Duration> {
    let tok = cx.arg(n, 0)?.clone();
    cx.secs(
        &tok,
        std::time::Duration::from_micros(min_us),
        std::time::Duration::from_micros(max_us),
    )
}

/// The notice an [`Inert`] row gives where it is written (see [`Inert`]).
pub fn announce_inert(cx: &mut Lower, n: &Node, why: Inert) {
    cx.push(
        super::diag::Diagnostic::new(
            super::diag::Severity::Notice,
            Some(n.keyword.span),
            why.message(&n.keyword.text),
        )
        .with_hint("remove it, or run stock keepalived where it matters"),
    );
}

/// `inert!`'s apply: the arguments as written, under the keyword.
fn keep_other<T: OtherSettings>(t: &mut T, name: &str, n: &Node) {
    t.other().insert(
        name.to_string(),
        n.args.iter().map(|a| a.text.to_string()).collect(),
    );
}

/// `inert!`'s dump: the arguments as they were written, when the keyword was.
fn dump_other<T: OtherSettings>(t: &T, name: &str, d: &mut Dumper) {
    if let Some(v) = t.other_ref().get(name) {
        d.line(name, v)
    }
}

/// Every keyword of every table, for "exists, but not in this block" hints.
pub fn all_keyword_names() -> impl Iterator<Item = &'static str> {
    top::TOP
        .iter()
        .map(|k| k.name)
        .chain(global::GLOBAL.iter().map(|k| k.name))
        .chain(instance::INSTANCE.iter().map(|k| k.name))
        .chain(objects::SCRIPT.iter().map(|k| k.name))
        .chain(objects::SYNC_GROUP.iter().map(|k| k.name))
        .chain(objects::TRACK_FILE.iter().map(|k| k.name))
        .chain(objects::TRACK_PROCESS.iter().map(|k| k.name))
        .chain(objects::MYSQL_CHECK.iter().map(|k| k.name))
        .chain(track_group::TRACK_GROUP.iter().map(|k| k.name))
}

/// The table's own `&'static str` for a keyword written in a file (any block, aliases
/// included), so spans can be recorded by keyword without allocating.
pub fn static_keyword_name(word: &str) -> Option<&'static str> {
    static NAMES: std::sync::OnceLock<rustc_hash::FxHashSet<&'static str>> =
        std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let aliases = instance::INSTANCE
            .iter()
            .flat_map(|k| k.aliases.iter().copied());
        all_keyword_names()
            .chain(aliases)
            .chain(["auth_type", "auth_pass"])
            .collect()
    });
    names.get(word).copied()
}

/// One section of the keyword reference (for the man page and `--help-keywords`).
pub struct Section {
    pub block: &'static str,
    pub entries: Vec<(&'static str, &'static str, &'static str, &'static str)>,
}

fn section<T>(block: &'static str, table: &[Keyword<T>]) -> Section {
    Section {
        block,
        entries: table
            .iter()
            .map(|k| (k.name, k.usage, k.default, k.doc))
            .collect(),
    }
}

/// The whole keyword reference, block by block.
pub fn reference() -> Vec<Section> {
    vec![
        section("top level", top::TOP),
        section("global_defs", global::GLOBAL),
        section("vrrp_instance", instance::INSTANCE),
        section("vrrp_script", objects::SCRIPT),
        section("vrrp_sync_group", objects::SYNC_GROUP),
        section("track_group", track_group::TRACK_GROUP),
        section("track_file", objects::TRACK_FILE),
        section("vrrp_track_process", objects::TRACK_PROCESS),
        section("mysql_check (extension)", objects::MYSQL_CHECK),
        section(
            "virtual_server (checked, not run)",
            lvs::server::VIRTUAL_SERVER,
        ),
        section("real_server (checked, not run)", lvs::server::REAL_SERVER),
        section(
            "checker connection keywords (checked, not run)",
            lvs::checkers::CONNECTION,
        ),
        section(
            "checker timing keywords (checked, not run)",
            lvs::checkers::TIMING,
        ),
        section("HTTP_GET / SSL_GET (checked, not run)", lvs::checkers::HTTP),
        section("url (checked, not run)", lvs::checkers::HTTP_URL),
        section("SMTP_CHECK (checked, not run)", lvs::checkers::SMTP),
        section("MISC_CHECK (checked, not run)", lvs::checkers::MISC),
        section("DNS_CHECK (checked, not run)", lvs::checkers::DNS),
        section("UDP_CHECK (checked, not run)", lvs::checkers::UDP),
        section("FILE_CHECK (checked, not run)", lvs::checkers::FILE),
        section("BFD_CHECK (checked, not run)", lvs::checkers::BFD),
        section("bfd_instance (checked, not run)", lvs::bfd::BFD_INSTANCE),
    ]
}

/// `--dump-conf`: a whole configuration printed back through each keyword's `dump`, so
/// the output parses back to an equal model (a property test holds us to that).
pub fn dump_config(cfg: &super::model::Config) -> String {
    let mut d = Dumper::new();
    for k in TOP {
        (k.dump)(cfg, &mut d);
    }
    d.finish()
}
