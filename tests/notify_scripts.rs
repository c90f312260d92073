//! Notifications with real processes and FIFOs: script arguments, group notifies,
//! MASTER_RX_LOWER_PRI, FIFO lines and FIFO scripts, never blocking, shutdown.

mod track_support;

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use keepalived_rs::daemon::observe::notify::Notifier;
use keepalived_rs::vrrp::{NotifyState, NotifyTarget};
use track_support::*;

fn recorder(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let out = dir.join(format!("{name}.out"));
    let s = script(
        dir,
        &format!("{name}.sh"),
        &format!("echo \"$#:$*\" >> {}", out.display()),
    );
    (s, out)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn inst(name: &str) -> NotifyTarget {
    NotifyTarget::Instance(name.into())
}

#[tokio::test]
async fn instance_scripts_get_keepalived_arguments() {
    let dir = scratch_dir();
    let (master, master_out) = recorder(dir.path(), "master");
    let (generic, generic_out) = recorder(dir.path(), "generic");
    let (lower, lower_out) = recorder(dir.path(), "lower");
    let cfg = config(&format!(
        "vrrp_instance VI_1 {{\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n notify_master \"{} extra 'two words'\"\n \
         notify \"{}\"\n notify_master_rx_lower_pri {}\n}}\n",
        master.display(),
        generic.display(),
        lower.display()
    ));
    let mut n = Notifier::new(&cfg);
    n.notify(&inst("VI_1"), NotifyState::Master, 100);
    n.notify(&inst("VI_1"), NotifyState::Backup, 90);
    // notify_priority_changes events go to the FIFOs only, never to scripts.
    n.notify(&inst("VI_1"), NotifyState::MasterPriority, 80);
    n.notify(&inst("VI_1"), NotifyState::MasterRxLowerPri, 100);
    assert!(
        wait_for(Duration::from_secs(3), || read(&generic_out)
            .lines()
            .count()
            == 2
            && !read(&lower_out).is_empty())
        .await
    );
    n.shutdown(Duration::from_secs(1)).await;
    assert_eq!(read(&master_out), "2:extra two words\n");
    let mut g: Vec<String> = read(&generic_out).lines().map(String::from).collect();
    g.sort();
    assert_eq!(
        g,
        ["4:INSTANCE VI_1 BACKUP 90", "4:INSTANCE VI_1 MASTER 100"]
    );
    assert_eq!(read(&lower_out), "0:\n");
}

#[tokio::test]
async fn group_notifies_report_priority_zero() {
    let dir = scratch_dir();
    let (fault, fault_out) = recorder(dir.path(), "gfault");
    let (generic, generic_out) = recorder(dir.path(), "ggeneric");
    let cfg = config(&format!(
        "vrrp_instance VI_1 {{\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n}}\n\
         vrrp_sync_group G1 {{\n group {{\n VI_1\n }}\n notify_fault {}\n notify {}\n}}\n",
        fault.display(),
        generic.display()
    ));
    let mut n = Notifier::new(&cfg);
    n.notify(&NotifyTarget::Group("G1".into()), NotifyState::Fault, 77);
    assert!(
        wait_for(Duration::from_secs(3), || !read(&generic_out).is_empty()
            && !read(&fault_out).is_empty())
        .await
    );
    n.shutdown(Duration::from_secs(1)).await;
    assert_eq!(read(&generic_out), "4:GROUP G1 FAULT 0\n");
    assert_eq!(read(&fault_out), "0:\n");
}

#[tokio::test]
async fn fifo_lines_and_fifo_script() {
    let dir = scratch_dir();
    let fifo = dir.path().join("notify.fifo");
    let vfifo = dir.path().join("vrrp.fifo");
    let args_out = dir.path().join("fifo_args");
    let lines_out = dir.path().join("fifo_lines");
    let reader = script(
        dir.path(),
        "reader.sh",
        &format!(
            "echo \"$#:$*\" > {}\nwhile read -r line; do echo \"$line\" >> {}; done < \"$1\"",
            args_out.display(),
            lines_out.display()
        ),
    );
    let cfg = config(&format!(
        "global_defs {{\n notify_fifo {}\n notify_fifo_script {}\n vrrp_notify_fifo {}\n}}\n\
         vrrp_instance VI_1 {{\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n}}\n\
         vrrp_sync_group G1 {{\n group {{\n VI_1\n }}\n}}\n",
        fifo.display(),
        reader.display(),
        vfifo.display()
    ));
    let mut n = Notifier::new(&cfg);
    for p in [&fifo, &vfifo] {
        let meta = std::fs::metadata(p).unwrap();
        assert!(meta.file_type().is_fifo());
        assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    }
    let mut vreader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&vfifo)
        .unwrap();
    n.notify(&inst("VI_1"), NotifyState::Master, 100);
    n.notify(&NotifyTarget::Group("G1".into()), NotifyState::Backup, 100);
    n.notify(&inst("VI_1"), NotifyState::MasterRxLowerPri, 100);
    n.notify(&inst("VI_1"), NotifyState::MasterPriority, 90);
    n.notify(&inst("VI_1"), NotifyState::BackupPriority, 80);
    let expected = "INSTANCE \"VI_1\" MASTER 100\nGROUP \"G1\" BACKUP 0\n\
                    INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100\n\
                    INSTANCE \"VI_1\" MASTER_PRIORITY 90\n\
                    INSTANCE \"VI_1\" BACKUP_PRIORITY 80\n";
    assert!(
        wait_for(Duration::from_secs(3), || read(&lines_out) == expected).await,
        "{:?}",
        read(&lines_out)
    );
    assert_eq!(read(&args_out), format!("1:{}\n", fifo.display()));
    let mut got = String::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while got != expected && Instant::now() < deadline {
        let mut buf = [0u8; 512];
        if let Ok(k) = vreader.read(&mut buf) {
            got.push_str(std::str::from_utf8(&buf[..k]).unwrap());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(got, expected);
    n.shutdown(Duration::from_secs(1)).await;
    // Created FIFOs are removed; the reader script was stopped.
    assert!(!fifo.exists() && !vfifo.exists());
    assert!(processes_with(&reader.display().to_string()).is_empty());
}

#[tokio::test]
async fn an_existing_fifo_is_kept() {
    let dir = scratch_dir();
    let fifo = dir.path().join("mine.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let cfg = config(&format!(
        "global_defs {{\n vrrp_notify_fifo {}\n}}\n\
         vrrp_instance VI_1 {{\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n}}\n",
        fifo.display()
    ));
    let n = Notifier::new(&cfg);
    n.shutdown(Duration::from_millis(100)).await;
    assert!(fifo.exists());
    assert_eq!(
        std::fs::metadata(&fifo).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn slow_scripts_and_unread_fifos_never_block_the_caller() {
    let dir = scratch_dir();
    let fifo = dir.path().join("unread.fifo");
    let slow = script(dir.path(), "slow.sh", "sleep 34.5678");
    let cfg = config(&format!(
        "global_defs {{\n vrrp_notify_fifo {}\n}}\n\
         vrrp_instance VI_1 {{\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n notify_backup {}\n}}\n",
        fifo.display(),
        slow.display()
    ));
    let mut n = Notifier::new(&cfg);
    n.notify(&inst("VI_1"), NotifyState::Backup, 100);
    // 64 KiB of pipe fills after ~2500 lines; nobody reads it.
    let t0 = Instant::now();
    for i in 0..5000u32 {
        n.notify(&inst("VI_1"), NotifyState::Master, (i % 250) as u8);
        if i % 100 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let took = t0.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "5000 notifies took {took:?}"
    );
    assert!(
        wait_for(Duration::from_secs(2), || !processes_with("34.5678")
            .is_empty())
        .await
    );
    // The slow BACKUP script is still running; shutdown kills it after the grace time.
    let t1 = Instant::now();
    n.shutdown(Duration::from_millis(300)).await;
    assert!(t1.elapsed() < Duration::from_secs(2));
    assert!(
        wait_for(Duration::from_secs(2), || processes_with("34.5678")
            .is_empty())
        .await
    );
}

#[tokio::test]
async fn a_full_queue_drops_notifications_with_a_warning() {
    capture_logs();
    let cfg = config(
        "vrrp_instance VI_Q {\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {\n 198.18.0.1\n }\n}\n",
    );
    let mut n = Notifier::new(&cfg);
    // The worker cannot run while this task does not yield.
    for _ in 0..(keepalived_rs::daemon::observe::notify::QUEUE_DEPTH + 5) {
        n.notify(&inst("VI_Q"), NotifyState::Fault, 1);
    }
    assert_eq!(
        logged("Notify queue full - dropping INSTANCE VI_Q FAULT notification").len(),
        5
    );
    n.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn stop_scripts_get_the_grace_time_to_finish() {
    let dir = scratch_dir();
    let out = dir.path().join("stopped");
    let stop = script(
        dir.path(),
        "stop.sh",
        &format!("sleep 0.2; echo done > {}", out.display()),
    );
    let cfg = config(&format!(
        "vrrp_instance VI_1 {{\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n notify_stop {}\n}}\n",
        stop.display()
    ));
    let mut n = Notifier::new(&cfg);
    n.notify(&inst("VI_1"), NotifyState::Stop, 100);
    n.shutdown(Duration::from_secs(1)).await;
    assert_eq!(read(&out), "done\n");
}

/// A reload removes VI_1 (it has `notify_deleted SCRIPT`: DELETED, its own script) and
/// adds VI_2: the removed one is notified with the scripts it had, the new one with the
/// reloaded configuration's.
#[tokio::test]
async fn a_reload_keeps_the_removed_instance_s_scripts_and_brings_the_new_ones() {
    use keepalived_rs::daemon::observe::notify::NotifyScripts;
    let dir = scratch_dir();
    let (deleted, deleted_out) = recorder(dir.path(), "deleted");
    let (generic, generic_out) = recorder(dir.path(), "generic");
    let (master2, master2_out) = recorder(dir.path(), "master2");
    let before = config(&format!(
        "vrrp_instance VI_1 {{\n interface ka_if0\n virtual_router_id 1\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n notify_deleted {}\n notify {}\n}}\n",
        deleted.display(),
        generic.display()
    ));
    let after = config(&format!(
        "vrrp_instance VI_2 {{\n interface ka_if0\n virtual_router_id 2\n \
         virtual_ipaddress {{\n 198.18.0.2\n }}\n notify_master {}\n}}\n",
        master2.display()
    ));
    let mut n = Notifier::new(&before);
    n.notify(&inst("VI_1"), NotifyState::Deleted, 0);
    n.replace_scripts(NotifyScripts::of(&after));
    n.notify(&inst("VI_2"), NotifyState::Master, 100);
    // Scripts of the old configuration are gone for later notifications.
    n.notify(&inst("VI_1"), NotifyState::Deleted, 0);
    assert!(
        wait_for(Duration::from_secs(3), || !read(&deleted_out).is_empty()
            && !read(&generic_out).is_empty()
            && !read(&master2_out).is_empty())
        .await
    );
    n.shutdown(Duration::from_secs(1)).await;
    assert_eq!(read(&deleted_out), "0:\n");
    assert_eq!(read(&generic_out), "4:INSTANCE VI_1 DELETED 0\n");
    assert_eq!(read(&master2_out), "0:\n");
}

/// The notifier as an observer: events give the same arguments and FIFO lines as
/// [`Notifier::notify`] (groups report priority 0), and a reload's settings bring the new
/// scripts.
#[tokio::test]
async fn observer_events_run_the_same_scripts_and_lines() {
    use keepalived_rs::daemon::observe::{Cause, Event, Notification, Observer, Settings, Subject};
    use std::sync::Arc;
    let dir = scratch_dir();
    let (generic, generic_out) = recorder(dir.path(), "generic");
    let (backup, backup_out) = recorder(dir.path(), "backup");
    let fifo = dir.path().join("observe.fifo");
    let lines_out = dir.path().join("fifo_lines");
    let reader = script(
        dir.path(),
        "reader.sh",
        &format!(
            "while read -r line; do echo \"$line\" >> {}; done < \"$1\"",
            lines_out.display()
        ),
    );
    let instance = "vrrp_instance VI_1 {\n interface ka_if0\n virtual_router_id 1\n \
                    virtual_ipaddress {\n 198.18.0.1\n }\n";
    let before = config(&format!(
        "global_defs {{\n vrrp_notify_fifo {}\n vrrp_notify_fifo_script {}\n}}\n\
         {instance} notify {}\n}}\n\
         vrrp_sync_group G1 {{\n group {{\n VI_1\n }}\n}}\n",
        fifo.display(),
        reader.display(),
        generic.display()
    ));
    let after = config(&format!(
        "{instance} notify_backup {}\n}}\n",
        backup.display()
    ));
    let event = |subject: Subject, state, priority| {
        Event::Notify(Notification {
            subject,
            state,
            priority,
            cause: Cause::Protocol,
            at: std::time::SystemTime::now(),
        })
    };
    let vi_1 = || Subject::Instance {
        name: "VI_1".into(),
        vrid: 1,
    };
    let mut n: Box<dyn Observer> = Box::new(Notifier::new(&before));
    n.observe(&event(vi_1(), NotifyState::Master, 100));
    n.observe(&event(
        Subject::Group { name: "G1".into() },
        NotifyState::Fault,
        9,
    ));
    n.observe(&Event::Reloaded(Arc::new(Settings::of(&after))));
    n.observe(&event(vi_1(), NotifyState::Backup, 90));
    let expected = "INSTANCE \"VI_1\" MASTER 100\nGROUP \"G1\" FAULT 0\n\
                    INSTANCE \"VI_1\" BACKUP 90\n";
    assert!(
        wait_for(Duration::from_secs(3), || read(&lines_out) == expected
            && !read(&backup_out).is_empty())
        .await,
        "{:?}",
        read(&lines_out)
    );
    n.shutdown(Duration::from_secs(1)).await;
    assert_eq!(read(&generic_out), "4:INSTANCE VI_1 MASTER 100\n");
    assert_eq!(read(&backup_out), "0:\n");
}
