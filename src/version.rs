//! `-v` / `--version`.
//!
//! The first line is keepalived's, `Keepalived v2.2.7 (01/16,2022)`, followed by
//! `, keepalived-rs X.Y.Z`. Scripts and configuration-management tools read the version from
//! that first line (`head -1 | awk '{print $2}'`, `Keepalived v\K[0-9.]+`, comparisons
//! against 2.0.4 to decide whether `-t` exists…); they must see the keepalived release whose
//! behaviour we reproduce, or they would switch features off. keepalived itself appends
//! `, git commit …` after the date on git builds, so a `, …` suffix is a shape those parsers
//! already cope with, and it still tells a human which implementation is running.
//! Like keepalived, the text goes to stderr.

/// The keepalived release whose command line, configuration and wire behaviour we match.
pub const KEEPALIVED_VERSION: &str = "2.2.7";
/// That release's date, in keepalived's own `MM/DD,YYYY` notation.
pub const KEEPALIVED_DATE: &str = "01/16,2022";

/// The first line of `-v`, also used in the startup log line ("Starting …").
pub fn version_line() -> String {
    format!(
        "Keepalived v{KEEPALIVED_VERSION} ({KEEPALIVED_DATE}), keepalived-rs {}",
        env!("CARGO_PKG_VERSION")
    )
}

/// The whole `-v` text, laid out like keepalived's.
pub(crate) fn version_text() -> String {
    let mut out = version_line();
    out.push_str("\n\n");
    out.push_str(&format!(
        "keepalived-rs {}: a drop-in replacement for keepalived's VRRP daemon\n\n",
        env!("CARGO_PKG_VERSION")
    ));
    let kernel = |name: &str| {
        std::fs::read_to_string(format!("/proc/sys/kernel/{name}"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    out.push_str(&format!(
        "Running on {} {} {}\n",
        kernel("ostype"),
        kernel("osrelease"),
        kernel("version")
    ));
    if let Some(distro) = distro_name() {
        out.push_str(&format!("Distro: {distro}\n"));
    }
    out.push('\n');
    out.push_str(&options_lines());
    out
}

/// One capability of this build, named as keepalived's `-v` names it.
struct Feature {
    /// The word on keepalived's `Config options:` line.
    option: &'static str,
    /// The keepalived `configure` switch that builds it in, for the features keepalived
    /// only has when asked for (the others are on by default).
    configure: Option<&'static str>,
}

/// What this build does, in keepalived's words. Tools decide from these lines what they
/// may ask of the daemon: keepalived-exporter's JSON mode starts only if `--enable-json`
/// is on the `configure options:` line. Only what the daemon really does belongs here:
/// claiming a feature makes tools use it.
const FEATURES: &[Feature] = &[
    Feature {
        option: "VRRP",
        configure: None,
    },
    Feature {
        option: "VRRP_AUTH",
        configure: None,
    },
    Feature {
        option: "VRRP_VMAC",
        configure: None,
    },
    Feature {
        option: "JSON",
        configure: Some("--enable-json"),
    },
    Feature {
        option: "OLD_CHKSUM_COMPAT",
        configure: None,
    },
    Feature {
        option: "SYSTEMD_NOTIFY",
        configure: None,
    },
];

/// The `configure options:` and `Config options:` lines. keepalived-rs is built by cargo,
/// not by keepalived's `configure`: the first line lists the keepalived switches that
/// would give a keepalived build these features, so that tools reading it see the truth.
fn options_lines() -> String {
    let configure: Vec<&str> = FEATURES.iter().filter_map(|f| f.configure).collect();
    let options: Vec<&str> = FEATURES.iter().map(|f| f.option).collect();
    format!(
        "configure options: {}\n\nConfig options:  {}\n",
        configure.join(" "),
        options.join(" ")
    )
}

fn distro_name() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    let value = text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME="))?;
    Some(value.trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_parses_as_keepalived_version() {
        let text = version_text();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("Keepalived v2.2.7 (01/16,2022)"),
            "{first}"
        );
        // The classic `awk '{print $2}'` sees keepalived's version.
        assert_eq!(first.split_whitespace().nth(1), Some("v2.2.7"));
        assert!(first.ends_with(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn exporter_sees_json_support() {
        // keepalived-exporter's JSON mode looks for this switch in the whole `-v` text.
        let text = version_text();
        let configure = text
            .lines()
            .find(|l| l.starts_with("configure options: "))
            .expect("configure line");
        assert!(configure.contains("--enable-json"), "{configure}");
        let options = text
            .lines()
            .find(|l| l.starts_with("Config options:  "))
            .expect("Config options line");
        assert!(options.split_whitespace().any(|w| w == "JSON"), "{options}");
    }
}
