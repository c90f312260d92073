//! The credentials file of a `mysql_check`: who we log in as, kept out of keepalived.conf
//! (which is often world-readable and copied into bug reports).
//!
//! Format: one `key=value` per line (spaces around `=` allowed, value optionally in single
//! or double quotes), `#`/`;` comments, blank lines, and `[section]` headers ignored, so a
//! my.cnf-style `[client]` file works too. Keys: `user`, `password`. The file must be a
//! regular file owned by the user running the daemon (root) and neither group- nor
//! world-accessible; anything else is refused, naming the path and the offending bits.
//! The password never appears in `Debug` output, logs or error messages.

use std::fmt;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A password that does not print itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(p: impl Into<String>) -> Self {
        Password(p.into())
    }

    /// The secret itself, for handing to the client library only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Login of a check.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Credentials {
    pub user: Option<String>,
    pub password: Option<Password>,
}

/// Why a credentials file was refused. Messages name the file and never its contents.
#[derive(Debug, Error)]
pub enum CredentialsError {
    #[error("cannot read MySQL credentials file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("MySQL credentials file {path} is not a regular file")]
    NotRegularFile { path: PathBuf },
    #[error(
        "MySQL credentials file {path} has unsafe permissions {mode:04o}: it is {who}; \
         it must be readable only by its owner (chmod 600 {path})"
    )]
    UnsafePermissions {
        path: PathBuf,
        mode: u32,
        /// e.g. "group-readable, world-readable".
        who: String,
    },
    #[error(
        "MySQL credentials file {path} is owned by uid {owner}, not by uid {expected} \
         (the user running keepalived); chown it to that user"
    )]
    WrongOwner {
        path: PathBuf,
        owner: u32,
        expected: u32,
    },
    #[error("MySQL credentials file {path} line {line}: {problem}")]
    Syntax {
        path: PathBuf,
        line: usize,
        problem: &'static str,
    },
}

/// Names the group/other permission bits set in `mode`, or `None` if there are none.
pub fn unsafe_bits(mode: u32) -> Option<String> {
    let names = [
        (0o040, "group-readable"),
        (0o020, "group-writable"),
        (0o010, "group-executable"),
        (0o004, "world-readable"),
        (0o002, "world-writable"),
        (0o001, "world-executable"),
    ];
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| mode & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    (!set.is_empty()).then(|| set.join(", "))
}

/// Reads and checks a credentials file; the owner must be `expected_owner` (the daemon's
/// effective uid).
pub fn load(path: &Path, expected_owner: u32) -> Result<Credentials, CredentialsError> {
    let io = |source| CredentialsError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Checked on the opened file so a swap between check and read cannot slip through.
    let file = fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(CredentialsError::NotRegularFile {
            path: path.to_path_buf(),
        });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if let Some(who) = unsafe_bits(mode) {
        return Err(CredentialsError::UnsafePermissions {
            path: path.to_path_buf(),
            mode,
            who,
        });
    }
    if meta.uid() != expected_owner {
        return Err(CredentialsError::WrongOwner {
            path: path.to_path_buf(),
            owner: meta.uid(),
            expected: expected_owner,
        });
    }
    let text = std::io::read_to_string(file).map_err(io)?;
    parse(&text).map_err(|(line, problem)| CredentialsError::Syntax {
        path: path.to_path_buf(),
        line,
        problem,
    })
}

/// Parses the file text; errors are (1-based line, what is wrong) and never quote the line.
pub fn parse(text: &str) -> Result<Credentials, (usize, &'static str)> {
    let mut creds = Credentials::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((i + 1, "expected key=value"));
        };
        let value = unquote(value.trim());
        match key.trim().to_ascii_lowercase().as_str() {
            "user" => creds.user = Some(value.to_string()),
            "password" => creds.password = Some(Password::new(value)),
            // Other my.cnf client options (host, port, …) belong in keepalived.conf.
            _ => return Err((i + 1, "unknown key (expected user or password)")),
        }
    }
    Ok(creds)
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn parses_plain_and_mycnf_style() {
        let c = parse("# comment\n[client]\nuser = monitor\npassword=\"s3 cret\"\n").unwrap();
        assert_eq!(c.user.as_deref(), Some("monitor"));
        assert_eq!(c.password.unwrap().expose(), "s3 cret");
    }

    #[test]
    fn syntax_errors_do_not_quote_the_line() {
        let e = parse("user=a\nhunter2\n").unwrap_err();
        assert_eq!(e.0, 2);
        let msg = CredentialsError::Syntax {
            path: "/x".into(),
            line: e.0,
            problem: e.1,
        }
        .to_string();
        assert!(!msg.contains("hunter2"), "{msg}");
        assert_eq!(parse("host=x\n").unwrap_err().0, 1);
    }

    #[test]
    fn debug_redacts_the_password() {
        let c = parse("user=u\npassword=hunter2\n").unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("hunter2") && d.contains("redacted"), "{d}");
    }

    #[test]
    fn names_each_unsafe_bit() {
        assert_eq!(unsafe_bits(0o600), None);
        assert_eq!(unsafe_bits(0o400), None);
        assert_eq!(unsafe_bits(0o640).as_deref(), Some("group-readable"));
        assert_eq!(unsafe_bits(0o604).as_deref(), Some("world-readable"));
        assert_eq!(
            unsafe_bits(0o666).as_deref(),
            Some("group-readable, group-writable, world-readable, world-writable")
        );
    }

    fn file_with_mode(mode: u32) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"user=u\npassword=p\n").unwrap();
        fs::set_permissions(f.path(), fs::Permissions::from_mode(mode)).unwrap();
        f
    }

    #[test]
    fn load_refuses_group_and_world_readable_files() {
        let uid = nix::unistd::geteuid().as_raw();
        let ok = file_with_mode(0o600);
        assert_eq!(load(ok.path(), uid).unwrap().user.as_deref(), Some("u"));
        for mode in [0o640, 0o604, 0o644] {
            let f = file_with_mode(mode);
            let err = load(f.path(), uid).unwrap_err();
            assert!(
                matches!(err, CredentialsError::UnsafePermissions { .. }),
                "{err}"
            );
            let msg = err.to_string();
            assert!(msg.contains(&f.path().display().to_string()), "{msg}");
            assert!(msg.contains(&format!("{mode:04o}")), "{msg}");
        }
        let err = load(ok.path(), uid.wrapping_add(1)).unwrap_err();
        assert!(matches!(err, CredentialsError::WrongOwner { .. }), "{err}");
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), uid).unwrap_err(),
            CredentialsError::NotRegularFile { .. }
        ));
        assert!(matches!(
            load(&dir.path().join("missing"), uid).unwrap_err(),
            CredentialsError::Io { .. }
        ));
    }
}
