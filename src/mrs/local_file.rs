//! Reading a small local file that a setting names (a CA bundle, KooCLI's shared config, an OIDC
//! token file), treated as hostile: only a regular file, never more than a cap, never blocking.
//!
//! A path from configuration can name `/dev/zero`, `/dev/urandom` or a FIFO. `std::fs::read` would
//! then grow until the kernel kills the provider, or block on the FIFO until a writer appears and
//! leave the plan hanging. Checking the type first, opening without blocking and reading through a
//! `take` bound keep every such path to a quick, named error.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest CA bundle read (a system bundle is about 200 KiB).
pub const CA_BUNDLE_CAP: u64 = 4 * 1024 * 1024;
/// The largest KooCLI shared config file read.
pub const SHARED_CONFIG_CAP: u64 = 1024 * 1024;
/// The largest OIDC ID token file read (JWTs are a few KiB).
pub const ID_TOKEN_CAP: u64 = 64 * 1024;

/// Why a local file could not be read.
#[derive(Debug)]
pub enum LocalFileError {
    /// Nothing exists at the path.
    NotFound(PathBuf),
    /// The path is a directory, device, FIFO or socket.
    NotARegularFile {
        /// The path.
        path: PathBuf,
        /// What it is instead, in words.
        kind: &'static str,
    },
    /// The file is larger than the cap.
    TooLarge {
        /// The path.
        path: PathBuf,
        /// The cap in bytes.
        cap: u64,
    },
    /// Another I/O error (permissions, …), or the content is not UTF-8 where text was asked for.
    Unreadable {
        /// The path.
        path: PathBuf,
        /// The operating system's or decoder's words.
        reason: String,
    },
}

impl fmt::Display for LocalFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(path) => write!(f, "{} does not exist", path.display()),
            Self::NotARegularFile { path, kind } => write!(
                f,
                "{} is {kind}, not a regular file; name a file that holds the content",
                path.display()
            ),
            Self::TooLarge { path, cap } => write!(
                f,
                "{} is larger than {} KiB, the most this setting reads",
                path.display(),
                cap / 1024
            ),
            Self::Unreadable { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for LocalFileError {}

fn kind_of(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The bytes of the regular file at `path`, refusing anything else and anything above `cap`.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, LocalFileError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let unreadable = |e: std::io::Error| LocalFileError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LocalFileError::NotFound(path.to_owned()));
        }
        Err(e) => return Err(unreadable(e)),
    };
    let not_regular = |file_type| LocalFileError::NotARegularFile {
        path: path.to_owned(),
        kind: kind_of(file_type),
    };
    if !metadata.is_file() {
        return Err(not_regular(metadata.file_type()));
    }
    if metadata.len() > cap {
        return Err(LocalFileError::TooLarge {
            path: path.to_owned(),
            cap,
        });
    }
    // The path may have been swapped for a FIFO since the check: open without blocking and look
    // at what was opened, not at what the path named a moment ago.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(unreadable)?;
    let opened = file.metadata().map_err(unreadable)?;
    if !opened.is_file() {
        return Err(not_regular(opened.file_type()));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > cap {
        return Err(LocalFileError::TooLarge {
            path: path.to_owned(),
            cap,
        });
    }
    Ok(bytes)
}

/// The text of the regular file at `path`, as [`read_capped`], which must be UTF-8.
pub fn read_capped_text(path: &Path, cap: u64) -> Result<String, LocalFileError> {
    String::from_utf8(read_capped(path, cap)?).map_err(|e| LocalFileError::Unreadable {
        path: path.to_owned(),
        reason: format!("not UTF-8 text ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_regular_file_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.pem");
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(read_capped_text(&path, 5).unwrap(), "hello");
    }

    #[test]
    fn a_file_above_the_cap_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, "123456").unwrap();
        let error = read_capped(&path, 5).unwrap_err();
        assert!(
            matches!(error, LocalFileError::TooLarge { cap: 5, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("larger than"), "{error}");
    }

    #[test]
    fn devices_are_refused_by_type() {
        for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            let error = read_capped(Path::new(device), CA_BUNDLE_CAP).unwrap_err();
            assert!(
                matches!(
                    error,
                    LocalFileError::NotARegularFile {
                        kind: "a device",
                        ..
                    }
                ),
                "{device}: {error}"
            );
        }
    }

    #[test]
    fn a_directory_and_a_missing_path_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let error = read_capped(dir.path(), 10).unwrap_err();
        assert!(error.to_string().contains("a directory"), "{error}");
        let missing = dir.path().join("nope");
        assert!(matches!(
            read_capped(&missing, 10),
            Err(LocalFileError::NotFound(_))
        ));
    }

    #[test]
    fn a_fifo_is_refused_at_once_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let error = read_capped(&path, 10).unwrap_err();
        assert!(error.to_string().contains("FIFO"), "{error}");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bin");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(
            read_capped_text(&path, 10)
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }
}
