//! `vrrp_script` runners with real processes: results, rise/fall, timeouts that kill the
//! whole process group, skipped runs, privilege drop, argument splitting, log lines.

mod track_support;

use std::time::Duration;

use keepalived_rs::track::{TrackerEvent, TrackerPlan};
use keepalived_rs::vrrp::TrackerStatus::{self, Down, Up};
use tokio::sync::mpsc;
use track_support::*;

/// Plans and starts `text`; returns the running trackers, the plan and the event stream.
fn start(
    text: &str,
) -> (
    keepalived_rs::track::RunningTrackers,
    TrackerPlan,
    mpsc::UnboundedReceiver<TrackerEvent>,
) {
    capture_logs();
    let cfg = config(text);
    let plan = TrackerPlan::from_config(&cfg);
    let (tx, rx) = mpsc::unbounded_channel();
    let running = plan.start(tx);
    (running, plan, rx)
}

/// A config with one script `name` tracked by one instance.
fn one_script(name: &str, body: &str) -> String {
    format!(
        "vrrp_script {name} {{\n{body}\n}}\n\
         vrrp_instance VI_{name} {{\n interface lo\n virtual_router_id 1\n priority 100\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n track_script {{\n {name}\n }}\n}}\n"
    )
}

async fn next_status(
    rx: &mut mpsc::UnboundedReceiver<TrackerEvent>,
    limit: Duration,
) -> Option<TrackerStatus> {
    tokio::time::timeout(limit, rx.recv())
        .await
        .ok()
        .flatten()
        .map(|e| e.status)
}

#[tokio::test]
async fn passing_script_reports_up_and_logs_success() {
    let dir = scratch_dir();
    let s = script(dir.path(), "ok.sh", "exit 0");
    let (_run, plan, mut rx) = start(&one_script(
        "chk_pass",
        &format!(" script \"{}\"\n interval 0.2", s.display()),
    ));
    let ev = tokio::time::timeout(Duration::from_secs(3), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.id, plan.script_id("chk_pass").unwrap());
    assert_eq!(ev.status, Up);
    assert_eq!(
        logged("VRRP_Script(chk_pass)"),
        ["INFO VRRP_Script(chk_pass) succeeded"]
    );
    // Still passing: nothing more to report.
    assert_eq!(next_status(&mut rx, Duration::from_millis(600)).await, None);
    assert!(logged("Script `chk_pass` now returning").is_empty());
}

#[tokio::test]
async fn failing_script_reports_down_with_its_status() {
    let dir = scratch_dir();
    let s = script(dir.path(), "bad.sh", "exit 3");
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_fail",
        &format!(" script \"{}\"\n interval 0.2", s.display()),
    ));
    assert_eq!(
        next_status(&mut rx, Duration::from_secs(3)).await,
        Some(Down)
    );
    assert_eq!(
        logged("Script `chk_fail` now returning"),
        ["INFO Script `chk_fail` now returning 3"]
    );
    assert_eq!(
        logged("VRRP_Script(chk_fail)"),
        ["INFO VRRP_Script(chk_fail) failed (exited with status 3)"]
    );
    // Repeated failures are reported once and logged once.
    assert_eq!(next_status(&mut rx, Duration::from_millis(600)).await, None);
    assert_eq!(logged("now returning 3").len(), 1);
}

#[tokio::test]
async fn killed_by_a_signal_is_a_failure_with_the_signal_number() {
    let dir = scratch_dir();
    let s = script(dir.path(), "sig.sh", "kill -USR1 $$");
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_sig",
        &format!(" script \"{}\"\n interval 0.2", s.display()),
    ));
    assert_eq!(
        next_status(&mut rx, Duration::from_secs(3)).await,
        Some(Down)
    );
    assert_eq!(
        logged("VRRP_Script(chk_sig)"),
        ["INFO VRRP_Script(chk_sig) failed (due to signal 10)"]
    );
}

#[tokio::test]
async fn flapping_script_follows_rise_and_fall() {
    let dir = scratch_dir();
    let runs = dir.path().join("runs");
    // Run k takes its result from the k-th letter of the pattern (F after the end).
    let body = format!(
        "n=$(cat {r} 2>/dev/null | wc -l); echo x >> {r}\n\
         c=$(echo SFFSSFSFF | cut -c$((n+1)))\n[ \"$c\" = S ] && exit 0; exit 1",
        r = runs.display()
    );
    let s = script(dir.path(), "flap.sh", &body);
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_flap",
        &format!(
            " script \"{}\"\n interval 0.1\n rise 2\n fall 2",
            s.display()
        ),
    ));
    let mut seen = Vec::new();
    while let Some(st) = next_status(&mut rx, Duration::from_millis(800)).await {
        seen.push(st);
    }
    // rise 2 / fall 2: S(first: up) F F(down) S S(up) F S(resets fall) F F(down).
    assert_eq!(seen, [Up, Down, Up, Down]);
    let n = std::fs::read_to_string(&runs).unwrap().lines().count();
    assert!(n >= 9, "only {n} runs");
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    require_root();
    let dir = scratch_dir();
    let s = script(dir.path(), "hang.sh", "sleep 31.4159 &\nsleep 31.2718");
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_hang",
        &format!(" script \"{}\"\n interval 0.3\n timeout 0.2", s.display()),
    ));
    assert_eq!(
        next_status(&mut rx, Duration::from_secs(3)).await,
        Some(Down)
    );
    assert_eq!(
        logged("VRRP_Script(chk_hang)"),
        ["INFO VRRP_Script(chk_hang) timed_out"]
    );
    // The background sleep was in the script's group: nothing survives.
    drop(_run);
    assert!(
        wait_for(Duration::from_secs(2), || processes_with("31.4159")
            .is_empty()
            && processes_with("31.2718").is_empty())
        .await,
        "orphans left: {:?} {:?}",
        processes_with("31.4159"),
        processes_with("31.2718")
    );
}

#[tokio::test]
async fn a_script_ignoring_sigterm_is_killed_two_seconds_later() {
    let dir = scratch_dir();
    let s = script(dir.path(), "stubborn.sh", "trap '' TERM\nsleep 32.7182");
    let started = std::time::Instant::now();
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_stubborn",
        &format!(" script \"{}\"\n interval 5\n timeout 0.2", s.display()),
    ));
    assert_eq!(
        next_status(&mut rx, Duration::from_secs(5)).await,
        Some(Down)
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2100) && took < Duration::from_millis(3500),
        "SIGKILL came after {took:?}"
    );
    assert_eq!(
        logged("VRRP_Script(chk_stubborn)"),
        ["INFO VRRP_Script(chk_stubborn) timed_out"]
    );
    assert!(
        wait_for(Duration::from_secs(1), || processes_with("32.7182")
            .is_empty())
        .await
    );
}

#[tokio::test]
async fn a_run_still_going_at_the_next_interval_is_skipped() {
    let dir = scratch_dir();
    let s = script(dir.path(), "slow.sh", "sleep 0.25");
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_slow",
        &format!(" script \"{}\"\n interval 0.1\n timeout 1", s.display()),
    ));
    assert_eq!(next_status(&mut rx, Duration::from_secs(3)).await, Some(Up));
    assert!(
        !logged("Track script chk_slow is already running, expect idle - skipping run").is_empty()
    );
}

#[tokio::test]
async fn stopping_the_trackers_kills_running_scripts() {
    let dir = scratch_dir();
    let s = script(dir.path(), "long.sh", "sleep 33.1415 & sleep 33.2718");
    let (run, _plan, _rx) = start(&one_script(
        "chk_long",
        &format!(" script \"{}\"\n interval 10\n timeout 10", s.display()),
    ));
    assert!(
        wait_for(Duration::from_secs(2), || !processes_with("33.2718")
            .is_empty())
        .await
    );
    assert_eq!(run.running_script_groups().len(), 1);
    run.stop();
    assert!(
        wait_for(Duration::from_secs(2), || processes_with("33.1415")
            .is_empty()
            && processes_with("33.2718").is_empty())
        .await
    );
}

#[tokio::test]
async fn scripts_run_as_their_user_with_only_its_group() {
    require_root();
    let dir = scratch_dir();
    let out = tempfile::Builder::new()
        .prefix("ka-out-")
        .tempdir_in("/var/tmp")
        .unwrap();
    std::fs::set_permissions(
        out.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let s = script(
        dir.path(),
        "who.sh",
        &format!("echo $(id -u) $(id -G) > {}/who", out.path().display()),
    );
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_user",
        &format!(" script \"{}\"\n interval 0.2\n user nobody", s.display()),
    ));
    assert_eq!(next_status(&mut rx, Duration::from_secs(3)).await, Some(Up));
    let who = std::fs::read_to_string(out.path().join("who")).unwrap();
    assert_eq!(who.trim(), "65534 65534");
}

#[tokio::test]
async fn arguments_are_split_with_keepalived_quoting() {
    let dir = scratch_dir();
    let out = dir.path().join("args");
    let s = script(
        dir.path(),
        "args.sh",
        &format!("printf '%s|' \"$#\" \"$@\" > {}", out.display()),
    );
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_args",
        &format!(" script \"{} 'a b' c'd e'f\"\n interval 0.2", s.display()),
    ));
    assert_eq!(next_status(&mut rx, Duration::from_secs(3)).await, Some(Up));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "2|a b|cd ef|");
}

#[tokio::test]
async fn a_script_without_shebang_runs_through_the_shell() {
    let dir = scratch_dir();
    let p = dir.path().join("noshebang.sh");
    std::fs::write(&p, "exit 4\n").unwrap();
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (_run, _plan, mut rx) = start(&one_script(
        "chk_nosb",
        &format!(" script \"{}\"\n interval 0.2", p.display()),
    ));
    assert_eq!(
        next_status(&mut rx, Duration::from_secs(3)).await,
        Some(Down)
    );
    assert_eq!(
        logged(&format!(
            "Please add a #! shebang to script {}",
            p.display()
        ))
        .len(),
        1
    );
    assert_eq!(
        logged("VRRP_Script(chk_nosb)"),
        ["INFO VRRP_Script(chk_nosb) failed (exited with status 4)"]
    );
}

#[tokio::test]
async fn a_bare_program_name_is_found_on_path_with_a_warning() {
    let (_run, _plan, mut rx) = start(&one_script("chk_path", " script \"true\"\n interval 0.2"));
    assert_eq!(next_status(&mut rx, Duration::from_secs(3)).await, Some(Up));
    let w = logged("WARNING - script `true` resolved by path search to");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].ends_with("/true`. Please specify full path."), "{w:?}");
}

#[tokio::test]
async fn init_fail_starts_down_and_rises_on_success() {
    let dir = scratch_dir();
    let s = script(dir.path(), "ok2.sh", "exit 0");
    let (_run, plan, mut rx) = start(&one_script(
        "chk_initfail",
        &format!(
            " script \"{}\"\n interval 0.1\n rise 2\n init_fail",
            s.display()
        ),
    ));
    let id = plan.script_id("chk_initfail").unwrap();
    assert_eq!(plan.initial_status().get(&id), Some(&Down));
    let t0 = std::time::Instant::now();
    assert_eq!(next_status(&mut rx, Duration::from_secs(3)).await, Some(Up));
    // rise 2 from the failed state: the second run (≈ one interval later) reports.
    assert!(
        t0.elapsed() >= Duration::from_millis(80),
        "{:?}",
        t0.elapsed()
    );
}
