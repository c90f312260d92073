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
}

/// Blocks with an open-ended set of keywords keepalived knows but this daemon does not act
/// on keep them here, by keyword, with their arguments as written.
pub trait OtherSettings {
    fn other(&mut self) -> &mut BTreeMap<String, Vec<String>>;
    fn other_ref(&self) -> &BTreeMap<String, Vec<String>>;
}

macro_rules! keyword {
    ($name:literal, $usage:expr, $default:literal, $doc:literal, $apply:expr, $dump:expr) => {
        $crate::config::keywords::Keyword {
            name: $name,
            aliases: &[],
            usage: $usage,
            default: $default,
            doc: $doc,
            apply: $apply,
            dump: $dump,
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

/// A keyword taking one free-form word into an `Option<String>`.
macro_rules! word {
    ($name:literal, $usage:literal, $($field:ident).+, $doc:literal) => {
        keyword!($name, $usage, "unset", $doc,
            |c, t, n| if let Some(a) = c.arg(n, 0) { t.$($field).+ = Some(a.text.to_string()) },
            |t, d| if let Some(v) = &t.$($field).+ { d.kv($name, v) })
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

/// A number of seconds (decimals allowed) into a `Duration`.
macro_rules! secs {
    ($name:literal, $($field:ident).+, $min_us:expr, $max_us:expr, $default:literal, $doc:literal) => {
        keyword!($name, "SECONDS", $default, $doc,
            |c, t, n| {
                if let Some(tok) = c.arg(n, 0).cloned() {
                    if let Some(v) = c.secs(&tok, std::time::Duration::from_micros($min_us), std::time::Duration::from_micros($max_us)) {
                        t.$($field).+ = v;
                    }
                }
            },
            |t, d| d.kv($name, $crate::config::lower::fmt_decimal_secs(t.$($field).+, false)))
    };
}

/// A keyword accepted and kept as written (in `other`), which this daemon does not act on.
macro_rules! kept {
    ($name:literal, $doc:literal) => {
        keyword!(
            $name,
            "…",
            "",
            $doc,
            |_c, t, n| {
                $crate::config::keywords::OtherSettings::other(t).insert(
                    $name.to_string(),
                    n.args.iter().map(|a| a.text.to_string()).collect(),
                );
            },
            |t, d| if let Some(v) = $crate::config::keywords::OtherSettings::other_ref(t).get($name)
            {
                d.line($name, v)
            }
        )
    };
}

pub mod address;
mod apply;
pub mod global;
pub mod instance;
pub mod objects;
pub mod top;

pub use top::TOP;

/// The VRRP version a range-checked `version` / `vrrp_version` number names.
fn version_of(number: i64) -> Option<crate::vrrp::Version> {
    match number {
        2 => Some(crate::vrrp::Version::V2),
        3 => Some(crate::vrrp::Version::V3),
        _ => None,
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
        section("track_file", objects::TRACK_FILE),
        section("vrrp_track_process", objects::TRACK_PROCESS),
        section("mysql_check (extension)", objects::MYSQL_CHECK),
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
