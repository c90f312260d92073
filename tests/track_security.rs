//! Script security at run time: with `enable_script_security`, scripts that run as root
//! from a path a non-root user could change are refused, naming the path and the
//! offending permission; without it they run and are logged.

mod track_support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use keepalived_rs::track::TrackerPlan;
use tokio::sync::mpsc;
use track_support::*;

fn conf(script: &std::path::Path, security: bool, name: &str) -> String {
    format!(
        "global_defs {{\n script_user root\n{}\n}}\n\
         vrrp_script {name} {{\n script \"{}\"\n interval 0.1\n}}\n\
         vrrp_instance VI_{name} {{\n interface ka_if0\n virtual_router_id 1\n priority 100\n \
         virtual_ipaddress {{\n 198.18.0.1\n }}\n track_script {{\n {name}\n }}\n}}\n",
        if security {
            " enable_script_security"
        } else {
            ""
        },
        script.display()
    )
}

/// Plans `text`, starts it for 400 ms, and says whether the script's marker appeared.
async fn runs(text: &str, marker: &std::path::Path) -> (bool, usize) {
    let cfg = config(text);
    let plan = TrackerPlan::from_config(&cfg);
    let tracked = plan.instance_trackers(&cfg.instances[0]).len();
    let (tx, _rx) = mpsc::unbounded_channel();
    let _run = plan.start(tx);
    tokio::time::sleep(Duration::from_millis(400)).await;
    (marker.exists(), tracked)
}

#[tokio::test]
async fn a_world_writable_script_is_refused() {
    require_root();
    capture_logs();
    let dir = scratch_dir();
    let marker = dir.path().join("ran");
    let s = script(dir.path(), "ww.sh", &format!("touch {}", marker.display()));
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (ran, tracked) = runs(&conf(&s, true, "sec_ww"), &marker).await;
    assert!(!ran, "an insecure script ran");
    assert_eq!(tracked, 0);
    assert_eq!(
        logged(&format!(
            "Unsafe permissions found for script '{}'",
            s.display()
        )),
        [format!(
            "INFO Unsafe permissions found for script '{}' - disabling.",
            s.display()
        )]
    );
    let why = logged(&format!("Script '{}':", s.display()));
    assert!(why[0].contains("world-writable (mode 777)"), "{why:?}");
    assert!(!logged("Disabling track script sec_ww due to insecure").is_empty());
}

#[tokio::test]
async fn a_script_in_a_writable_directory_is_refused() {
    require_root();
    capture_logs();
    let dir = scratch_dir();
    let sub = dir.path().join("open");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o777)).unwrap();
    let marker = dir.path().join("ran");
    let s = script(&sub, "chk.sh", &format!("touch {}", marker.display()));
    let (ran, tracked) = runs(&conf(&s, true, "sec_dir"), &marker).await;
    assert!(!ran);
    assert_eq!(tracked, 0);
    let why = logged(&format!("Script '{}':", s.display()));
    assert!(
        why[0].contains(&format!("{} is world-writable", sub.display())),
        "{why:?}"
    );
}

#[tokio::test]
async fn a_script_owned_by_another_user_is_refused() {
    require_root();
    capture_logs();
    let user = format!("karst{}", std::process::id() % 100000);
    let ok = std::process::Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            &user,
        ])
        .status()
        .expect("useradd");
    assert!(ok.success(), "useradd {user} failed");
    let dir = scratch_dir();
    let marker = dir.path().join("ran");
    let s = script(
        dir.path(),
        "owned.sh",
        &format!("touch {}", marker.display()),
    );
    let uid = nix::unistd::User::from_name(&user).unwrap().unwrap().uid;
    nix::unistd::chown(&s, Some(uid), None).unwrap();
    let (ran, tracked) = runs(&conf(&s, true, "sec_owner"), &marker).await;
    let _ = std::process::Command::new("userdel").arg(&user).status();
    assert!(!ran);
    assert_eq!(tracked, 0);
    let why = logged(&format!("Script '{}':", s.display()));
    assert!(
        why[0].contains(&format!("is owned by uid {uid}, not root")),
        "{why:?}"
    );
}

#[tokio::test]
async fn without_script_security_insecure_scripts_run_and_are_logged() {
    require_root();
    capture_logs();
    let dir = scratch_dir();
    let marker = dir.path().join("ran");
    let s = script(dir.path(), "ww2.sh", &format!("touch {}", marker.display()));
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (ran, tracked) = runs(&conf(&s, false, "sec_off"), &marker).await;
    assert!(ran);
    assert_eq!(tracked, 1);
    assert_eq!(
        logged(&format!(
            "Unsafe permissions found for script '{}'",
            s.display()
        )),
        [format!(
            "INFO Unsafe permissions found for script '{}'.",
            s.display()
        )]
    );
}

#[tokio::test]
async fn a_secure_script_runs_with_script_security() {
    require_root();
    let dir = scratch_dir();
    let marker = dir.path().join("ran");
    let s = script(
        dir.path(),
        "fine.sh",
        &format!("touch {}", marker.display()),
    );
    let (ran, tracked) = runs(&conf(&s, true, "sec_fine"), &marker).await;
    assert!(ran);
    assert_eq!(tracked, 1);
}

#[tokio::test]
async fn an_unprivileged_script_needs_no_protection() {
    require_root();
    capture_logs();
    let dir = scratch_dir();
    let out = tempfile::Builder::new()
        .prefix("ka-out-")
        .tempdir_in("/var/tmp")
        .unwrap();
    std::fs::set_permissions(out.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let marker = out.path().join("ran");
    let s = script(
        dir.path(),
        "nobody.sh",
        &format!("touch {}", marker.display()),
    );
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o777)).unwrap();
    let text = conf(&s, true, "sec_nobody").replace("script_user root", "script_user nobody");
    let (ran, _) = runs(&text, &marker).await;
    assert!(ran, "a script run as nobody is not checked");
    assert!(logged(&format!(
        "Unsafe permissions found for script '{}'",
        s.display()
    ))
    .is_empty());
}
