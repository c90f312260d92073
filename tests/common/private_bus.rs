//! A private `dbus-daemon` for the D-Bus tests and benchmark: a system-type bus on a
//! socket in a directory of the caller's, allowing everyone everything (the daemons
//! under test own `org.keepalived.Vrrp1` and clients monitor everything), stopped by
//! pid when dropped.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running bus; killed when dropped.
pub struct PrivateBus {
    pub child: Child,
    /// Its address (`unix:path=…`), for `DBUS_SYSTEM_BUS_ADDRESS` and `busctl --address`.
    pub address: String,
}

impl PrivateBus {
    /// Starts one with its socket and configuration in `dir`; panics without
    /// `dbus-daemon` (Debian package dbus-daemon).
    pub fn start(dir: &Path) -> PrivateBus {
        let socket = dir.join("bus.sock");
        let conf = dir.join("bus.conf");
        let allow: String = ["method_call", "signal", "method_return", "error"]
            .iter()
            .flat_map(|t| {
                [
                    format!("<allow send_type=\"{t}\"/>\n"),
                    format!("<allow receive_type=\"{t}\"/>\n"),
                ]
            })
            .collect();
        std::fs::write(
            &conf,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig>\n\
                 <type>system</type>\n<listen>unix:path={}</listen>\n<auth>EXTERNAL</auth>\n\
                 <policy context=\"default\">\n<allow user=\"*\"/>\n<allow own=\"*\"/>\n\
                 {allow}<allow eavesdrop=\"true\"/>\n</policy>\n</busconfig>\n",
                socket.display()
            ),
        )
        .expect("write the bus configuration");
        let child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian package dbus-daemon) is needed");
        let bus = PrivateBus {
            child,
            address: format!("unix:path={}", socket.display()),
        };
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "dbus-daemon did not open {}",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        bus
    }

    /// Its pid (to stop and continue it).
    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.child.id() as i32)
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(self.pid(), nix::sys::signal::Signal::SIGCONT);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
