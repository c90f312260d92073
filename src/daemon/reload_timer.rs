//! `reload_time_file` / `reload_repeat`: a reload at a time written in a file, as
//! keepalived 2.2.7's reload monitor does it.
//!
//! The file's first line is `hh:mm:ss`, `YY-MM-DD hh:mm:ss` or `YYYY-MM-DD hh:mm:ss`,
//! local time, or UTC with a trailing `Z`. A time without a date that has passed today
//! means tomorrow; a date and time in the past is refused. Writing the file schedules (or
//! moves) the reload, removing or emptying it cancels it, each with keepalived's log line.
//! When the time comes the file is removed (kept with `reload_repeat` and no date, so the
//! same time comes back every day) and the daemon reloads as on SIGHUP: it signals itself.
//!
//! keepalived learns of changes through inotify; this watcher reads the file once a
//! second from a thread of its own, which sees the same writes a second later at most
//! and never touches the event loop.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// How often the file is read.
const POLL: Duration = Duration::from_secs(1);

/// A reload time read from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    pub at: Timestamp,
    /// The file named a date (such a reload never repeats).
    pub date_specified: bool,
}

/// The reload scheduled now, for the data dump's "Reload scheduled for" line.
static SCHEDULED: Mutex<Option<Scheduled>> = Mutex::new(None);

/// The reload currently scheduled, if any.
pub fn scheduled() -> Option<Scheduled> {
    *SCHEDULED.lock().unwrap_or_else(|e| e.into_inner())
}

fn set_scheduled(s: Option<Scheduled>) {
    *SCHEDULED.lock().unwrap_or_else(|e| e.into_inner()) = s;
}

/// keepalived's `%Y-%m-%d %H:%M:%S` in local time.
pub fn format_local(t: Timestamp) -> String {
    t.to_zoned_datetime(super::log::time::local_zone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Why a reload time was refused: keepalived's log lines, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub Vec<String>);

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Splits `hh:mm:ss` / `[YY]YY-MM-DD hh:mm:ss` into numbers (year `None` without a date).
fn fields(body: &str) -> Option<(Option<i64>, i64, i64, [i64; 3])> {
    let (date, time) = match body.len() {
        8 => (None, body),
        17 | 19 => {
            let (d, t) = body.split_once(' ')?;
            (Some(d), t)
        }
        _ => return None,
    };
    let hms: Vec<i64> = time.split(':').map(digits).collect::<Option<_>>()?;
    let [h, m, s] = <[i64; 3]>::try_from(hms).ok()?;
    let Some(date) = date else {
        return Some((None, 0, 0, [h, m, s]));
    };
    let ymd: Vec<&str> = date.split('-').collect();
    let [y, mo, d] = <[&str; 3]>::try_from(ymd).ok()?;
    let year = match (y.len(), digits(y)?) {
        // strptime's %y: 69-99 are 19xx, 00-68 20xx.
        (2, v) if v >= 69 => 1900 + v,
        (2, v) => 2000 + v,
        (_, v) => v,
    };
    Some((Some(year), digits(mo)?, digits(d)?, [h, m, s]))
}

/// Reads a reload time (keepalived's `parse_datetime`) relative to `now` in `zone`.
pub fn parse(text: &str, now: Timestamp, zone: &TimeZone) -> Result<Scheduled, Refused> {
    let (body, utc) = match text.strip_suffix('Z') {
        Some(b) => (b, true),
        None => (text, false),
    };
    let zone = if utc { TimeZone::UTC } else { zone.clone() };
    // An unreadable time is reported twice, as keepalived does.
    let bad = |first: String| {
        Refused(vec![
            first,
            format!("Invalid reload time '{text}' specified - ignoring"),
        ])
    };
    if ![8, 17, 19].contains(&body.len()) {
        return Err(bad(format!(
            "Reload time {text} format is incorrect - ignoring"
        )));
    }
    let invalid = || bad(format!("Reload date/time {text} invalid - ignoring"));
    let (year, month, day, [h, m, s]) = fields(body).ok_or_else(invalid)?;
    let in_range = (0..=23).contains(&h) && (0..=59).contains(&m) && (0..=61).contains(&s);
    let today = zone.to_datetime(now).date();
    let date_ok = year.is_none() || ((1..=12).contains(&month) && (1..=31).contains(&day));
    if !in_range || !date_ok {
        return Err(invalid());
    }
    let not_valid = || bad(format!("Reload time {text} is not valid - ignoring"));
    let (y, mo, d) = match year {
        Some(y) => (y, month, day),
        None => (
            today.year().into(),
            today.month().into(),
            today.day().into(),
        ),
    };
    let n = |v: i64| i8::try_from(v).map_err(|_| not_valid());
    let y = i16::try_from(y).map_err(|_| not_valid())?;
    let dt = DateTime::new(y, n(mo)?, n(d)?, n(h)?, n(m)?, n(s)?, 0).map_err(|_| not_valid())?;
    let at_local = |dt: DateTime| -> Result<Timestamp, Refused> {
        let z = zone.to_zoned_datetime(dt).map_err(|_| not_valid())?;
        // A time the clocks skip (DST) comes back shifted: keepalived refuses it.
        if z.datetime() != dt {
            return Err(not_valid());
        }
        Ok(z.timestamp())
    };
    let mut at = at_local(dt)?;
    if at <= now {
        if year.is_some() {
            return Err(Refused(vec![
                format!("Reload time {text} is in the past - ignoring"),
                "Reload date/time is in the past - ignoring".into(),
            ]));
        }
        at = at_local(dt.tomorrow().map_err(|_| not_valid())?)?;
    }
    Ok(Scheduled {
        at,
        date_specified: year.is_some(),
    })
}

/// The first line of the file (at most 20 characters, as keepalived reads), `None` when
/// it is missing or empty.
fn first_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?;
    let line: String = line.chars().take(20).collect();
    (!line.is_empty()).then_some(line)
}

/// The watcher thread of one running configuration; stopped when dropped.
pub struct ReloadTimer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReloadTimer {
    /// Starts watching `file` (`reload_repeat` = `repeat`).
    pub fn start(file: PathBuf, repeat: bool) -> std::io::Result<ReloadTimer> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("reload-timer".into())
            .spawn(move || watch(&file, repeat, &stopped))?;
        Ok(ReloadTimer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for ReloadTimer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        set_scheduled(None);
    }
}

/// Takes in what the file says now (keepalived's `read_file`), logging as keepalived.
fn take_in(line: Option<&str>, current: Option<Scheduled>) -> Option<Scheduled> {
    let cancel = |current: Option<Scheduled>| {
        if let Some(c) = current {
            log::info!("Cancelling reload scheduled for {}", format_local(c.at));
        }
        None
    };
    let Some(line) = line else {
        return cancel(current);
    };
    match parse(line, Timestamp::now(), &super::log::time::local_zone()) {
        Err(Refused(lines)) => {
            for l in lines {
                log::info!("{l}");
            }
            cancel(current)
        }
        Ok(new) if Some(new.at) == current.map(|c| c.at) => Some(new),
        Ok(new) => {
            match current {
                Some(old) => log::info!(
                    "Reload time updated from {} to {}",
                    format_local(old.at),
                    format_local(new.at)
                ),
                None => log::info!("Scheduling reload for {}", format_local(new.at)),
            }
            Some(new)
        }
    }
}

fn watch(file: &Path, repeat: bool, stopped: &mpsc::Receiver<()>) {
    let mut seen: Option<Option<String>> = None;
    let mut current: Option<Scheduled> = None;
    loop {
        let line = first_line(file);
        if seen.as_ref() != Some(&line) {
            current = take_in(line.as_deref(), current);
            set_scheduled(current);
            seen = Some(line);
        }
        let mut wait = POLL;
        if let Some(c) = current {
            let left = c.at.duration_since(Timestamp::now());
            if left.is_negative() || left.is_zero() {
                if !repeat || c.date_specified {
                    let _ = std::fs::remove_file(file);
                }
                current = None;
                set_scheduled(None);
                // Read again after the reload (a repeated time means tomorrow then).
                seen = None;
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGHUP);
            } else {
                wait = wait.min(left.unsigned_abs());
            }
        }
        match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn times_dates_and_utc() {
        let now = at("2026-03-10T12:00:00Z");
        let utc = TimeZone::UTC;
        let p = |t: &str| parse(t, now, &utc);
        assert_eq!(p("13:00:00").unwrap().at, at("2026-03-10T13:00:00Z"));
        // Passed today: tomorrow.
        assert_eq!(p("11:00:00").unwrap().at, at("2026-03-11T11:00:00Z"));
        assert!(!p("11:00:00").unwrap().date_specified);
        let dated = p("26-03-12 08:30:00").unwrap();
        assert_eq!(dated.at, at("2026-03-12T08:30:00Z"));
        assert!(dated.date_specified);
        assert_eq!(
            p("2026-03-12 08:30:00Z").unwrap().at,
            at("2026-03-12T08:30:00Z")
        );
    }

    #[test]
    fn refusals_use_keepalived_words() {
        let now = at("2026-03-10T12:00:00Z");
        let first = |t: &str| parse(t, now, &TimeZone::UTC).unwrap_err().0[0].clone();
        assert_eq!(
            first("1:00"),
            "Reload time 1:00 format is incorrect - ignoring"
        );
        assert_eq!(
            first("25:00:00"),
            "Reload date/time 25:00:00 invalid - ignoring"
        );
        assert_eq!(
            first("2026-02-30 10:00:00"),
            "Reload time 2026-02-30 10:00:00 is not valid - ignoring"
        );
        assert_eq!(
            first("2026-03-01 10:00:00"),
            "Reload time 2026-03-01 10:00:00 is in the past - ignoring"
        );
    }
}
