//! The request-then-answer probes (MySQL and TCP; ICMP is a stream: `icmp::EchoStream`).
//! Each keeps what it can between probes (the MySQL connection) so a probe measures the
//! service, not our set-up cost.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use keepalived_rs::track::mysql::{credentials, session::client_host};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

use crate::args::{Args, Mode};

pub enum Prober {
    Mysql {
        opts: OptsBuilder,
        query: String,
        conn: Option<Conn>,
    },
    Tcp {
        target: String,
        port: u16,
        timeout: Duration,
    },
}

fn mysql_login(args: &Args) -> Result<(Option<String>, Option<String>), String> {
    if let Some(path) = &args.credentials {
        let c = credentials::load(std::path::Path::new(path), nix::unistd::geteuid().as_raw())
            .map_err(|e| e.to_string())?;
        return Ok((
            c.user.or(args.user.clone()),
            c.password.map(|p| p.expose().to_string()),
        ));
    }
    Ok((args.user.clone(), std::env::var("MYSQL_PWD").ok()))
}

impl Prober {
    pub fn new(args: &Args) -> Result<Prober, String> {
        Ok(match args.mode {
            Mode::Mysql => {
                let (user, pass) = mysql_login(args)?;
                let opts = OptsBuilder::new()
                    .ip_or_hostname(Some(client_host(&args.target)))
                    .tcp_port(args.port)
                    .user(user)
                    .pass(pass)
                    .prefer_socket(false)
                    .tcp_nodelay(true)
                    .tcp_connect_timeout(Some(args.timeout))
                    .read_timeout(Some(args.timeout))
                    .write_timeout(Some(args.timeout))
                    .stmt_cache_size(0);
                Prober::Mysql {
                    opts,
                    query: args.query.clone(),
                    conn: None,
                }
            }
            Mode::Tcp => Prober::Tcp {
                target: args.target.clone(),
                port: args.port,
                timeout: args.timeout,
            },
            Mode::Icmp => unreachable!("ICMP is probed as a stream (icmp::EchoStream)"),
        })
    }

    /// One probe: Ok when the service answered.
    pub fn probe(&mut self) -> Result<(), String> {
        match self {
            Prober::Mysql { opts, query, conn } => {
                if conn.is_none() {
                    *conn = Some(Conn::new(opts.clone()).map_err(|e| format!("connect: {e}"))?);
                }
                let c = conn.as_mut().expect("connected above");
                match c.query_drop(query.as_str()) {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        *conn = None;
                        Err(format!("query: {e}"))
                    }
                }
            }
            Prober::Tcp {
                target,
                port,
                timeout,
            } => {
                let addr: SocketAddr = (target.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| format!("resolve: {e}"))?
                    .next()
                    .ok_or("resolve: no address")?;
                TcpStream::connect_timeout(&addr, *timeout)
                    .map(drop)
                    .map_err(|e| format!("connect: {e}"))
            }
        }
    }
}
