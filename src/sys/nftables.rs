//! Running the `nft` program (Debian package `nftables`) to change the nf_tables rule set
//! of the daemon's network namespace.
//!
//! Why the program and not netlink: keepalived talks nf_tables netlink through libnftnl,
//! message by message. Doing the same here would mean writing and maintaining the
//! nf_tables expression encoding (payload offsets, lookups, verdicts, set element keys
//! with interface concatenations) by hand, for a handful of batches per state change. `nft
//! -f -` applies a whole script as one atomic transaction, produces the same kernel
//! objects (`nft list ruleset` shows them identically), and its changes run on the effect
//! worker, never on the advert path. The cost is a dependency on the package: where `nft`
//! is missing, [`NftError::Missing`] says so and names it.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Why an `nft` run failed.
#[derive(Debug, thiserror::Error)]
pub enum NftError {
    #[error("the nft program is not installed (Debian package nftables): cannot manage the nftables firewall")]
    Missing,
    #[error("cannot run nft: {0}")]
    Io(#[from] std::io::Error),
    #[error("nft failed: {0}")]
    Failed(String),
}

/// Where `nft` is: on `PATH`, else in the sbin directories a daemon's `PATH` may lack.
pub fn nft_program() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join("nft"))
        .find(|p| p.is_file())
}

async fn nft(args: &[&str], stdin: Option<&str>) -> Result<String, NftError> {
    let program = nft_program().ok_or(NftError::Missing)?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        return Err(NftError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Applies `script` (nft commands, one a line) as one transaction: all or nothing.
pub async fn apply(script: &str) -> Result<(), NftError> {
    nft(&["-f", "-"], Some(script)).await.map(drop)
}

/// The families (`ip`, `ip6`) that have a table named `table` now.
pub async fn families_with_table(table: &str) -> Result<Vec<&'static str>, NftError> {
    let listed = nft(&["list", "tables"], None).await?;
    Ok(["ip", "ip6"]
        .into_iter()
        .filter(|family| {
            listed
                .lines()
                .any(|l| l.split_whitespace().eq(["table", family, table]))
        })
        .collect())
}
