//! Command line of `vip-probe`.

use std::net::IpAddr;
use std::time::Duration;

pub const USAGE: &str = "\
usage: vip-probe [OPTIONS] TARGET

Probes TARGET (a VIP: IP address or host name) every few milliseconds and reports each
outage window (from the last answer before it to the first answer after it) and a summary.

  --mode mysql|tcp|icmp  what a probe is (default mysql):
                           mysql: `SELECT 1` on one persistent connection, remade after
                                  a failure; tcp: a TCP connect; icmp: an echo request,
                                  sent every interval whether or not earlier ones were
                                  answered
  --port N               TCP port for mysql/tcp (default 3306)
  --interval MS          time between probe starts (default 5)
  --timeout MS           a probe without an answer after this fails (default 200)
  --duration SECS        stop after this long (default: until SIGINT/SIGTERM)
  --credentials FILE     mysql login: user=/password= lines, owner-only permissions
  --user NAME            mysql user (password from MYSQL_PWD if set)
  --query SQL            mysql query (default SELECT 1)
  --json                 print the report as JSON on stdout
  --quiet                no progress line or live outage lines on stderr
  -h, --help             this text
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Mysql,
    Tcp,
    Icmp,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Mysql => "mysql",
            Mode::Tcp => "tcp",
            Mode::Icmp => "icmp",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Args {
    pub mode: Mode,
    pub target: String,
    pub port: u16,
    pub interval: Duration,
    pub timeout: Duration,
    pub duration: Option<Duration>,
    pub credentials: Option<String>,
    pub user: Option<String>,
    pub query: String,
    pub json: bool,
    pub quiet: bool,
}

/// `Ok(None)` means help was asked for.
pub fn parse(argv: &[String]) -> Result<Option<Args>, String> {
    let mut a = Args {
        mode: Mode::Mysql,
        target: String::new(),
        port: 3306,
        interval: Duration::from_millis(5),
        timeout: Duration::from_millis(200),
        duration: None,
        credentials: None,
        user: None,
        query: "SELECT 1".into(),
        json: false,
        quiet: false,
    };
    let mut it = argv.iter();
    let mut target = None;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--mode" => {
                a.mode = match value("--mode")?.as_str() {
                    "mysql" => Mode::Mysql,
                    "tcp" => Mode::Tcp,
                    "icmp" => Mode::Icmp,
                    m => return Err(format!("unknown --mode {m} (mysql, tcp or icmp)")),
                }
            }
            "--port" => {
                a.port = value("--port")?
                    .parse()
                    .map_err(|_| "--port needs a number 1-65535".to_string())?
            }
            "--interval" => a.interval = millis("--interval", &value("--interval")?)?,
            "--timeout" => a.timeout = millis("--timeout", &value("--timeout")?)?,
            "--duration" => {
                let v = value("--duration")?;
                let s: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| format!("--duration {v}: expected seconds > 0"))?;
                a.duration = Some(Duration::from_secs_f64(s));
            }
            "--credentials" => a.credentials = Some(value("--credentials")?),
            "--user" => a.user = Some(value("--user")?),
            "--query" => a.query = value("--query")?,
            "--json" => a.json = true,
            "--quiet" => a.quiet = true,
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => {
                if target.replace(s.to_string()).is_some() {
                    return Err("only one TARGET".into());
                }
            }
        }
    }
    a.target = target.ok_or("missing TARGET")?;
    if a.mode == Mode::Icmp && a.target.parse::<IpAddr>().is_err() {
        return Err("--mode icmp needs an IP address as TARGET".into());
    }
    Ok(Some(a))
}

fn millis(name: &str, v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|m| m.is_finite() && *m > 0.0 && *m <= 3_600_000.0)
        .map(|m| Duration::from_secs_f64(m / 1000.0))
        .ok_or_else(|| format!("{name} {v}: expected milliseconds > 0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Option<Args>, String> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_fit_a_failover_measurement() {
        let a = p("198.18.0.100").unwrap().unwrap();
        assert_eq!((a.mode, a.port), (Mode::Mysql, 3306));
        assert_eq!(a.interval, Duration::from_millis(5));
        assert_eq!(a.duration, None);
    }

    #[test]
    fn options_parse_and_bad_values_are_refused() {
        let a = p("--mode tcp --port 80 --interval 0.5 --duration 2.5 --json 127.0.0.1")
            .unwrap()
            .unwrap();
        assert_eq!((a.mode, a.port, a.json), (Mode::Tcp, 80, true));
        assert_eq!(a.interval, Duration::from_micros(500));
        assert_eq!(a.duration, Some(Duration::from_millis(2500)));
        assert!(p("--interval 0 x").is_err());
        assert!(p("--mode udp x").is_err());
        assert!(p("--mode icmp vip.example").is_err());
        assert!(p("--port").is_err());
        assert!(p("").is_err());
        assert!(p("a b").is_err());
        assert!(p("--help").unwrap().is_none());
    }
}
