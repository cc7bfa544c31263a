//! The storage key: 32 secret bytes read from `[storage] key_file`, never logged, wiped on drop.
//! Sub-keys for encryption and blind indexes are derived from it (see [`crate::Crypto`]).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::Rng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Why the storage key could not be loaded or created. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "storage key file {path} does not exist; create one with: \
         install -m 600 /dev/null {path} && head -c 32 /dev/urandom > {path}"
    )]
    KeyFileMissing { path: PathBuf },

    #[error(
        "storage key file {path} is readable by group or others (mode {mode:04o}); \
         restrict it with: chmod 600 {path}"
    )]
    KeyFilePermissions { path: PathBuf, mode: u32 },

    #[error(
        "storage key file {path} is not a valid key ({reason}); it must hold 32 random bytes \
         or 64 hex characters"
    )]
    KeyFileInvalid { path: PathBuf, reason: String },

    #[error("storage key file {path} already exists; refusing to overwrite a key")]
    KeyFileExists { path: PathBuf },

    #[error("storage key file {path}: {source}")]
    KeyFileIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Length of the storage key in bytes.
pub const KEY_LEN: usize = 32;

/// The master key of the store. `Debug` prints nothing secret; the bytes are zeroed on drop.
#[derive(Clone)]
pub struct StorageKey {
    bytes: [u8; KEY_LEN],
}

impl Drop for StorageKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for StorageKey {}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageKey(<secret>)")
    }
}

impl StorageKey {
    /// Wraps key bytes obtained elsewhere (tests, restore tooling).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self { bytes }
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Self { bytes }
    }

    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// Reads a key file holding 32 raw bytes or 64 hex characters (optionally followed by a
    /// newline). Refuses a file that group or others may read: the key protects health data.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let io_err = |source| KeyError::KeyFileIo {
            path: path.to_owned(),
            source,
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(KeyError::KeyFileMissing {
                    path: path.to_owned(),
                });
            }
            Err(e) => return Err(io_err(e)),
        };
        // Checked on the open handle, so the file inspected is the file read.
        let metadata = file.metadata().map_err(io_err)?;
        if !metadata.is_file() {
            return Err(invalid(path, "not a regular file"));
        }
        let mode = metadata.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeyError::KeyFilePermissions {
                path: path.to_owned(),
                mode,
            });
        }
        let mut contents = Zeroizing::new(Vec::with_capacity(80));
        // Read at most a little more than the longest valid form, so a wrong file stays cheap.
        (&mut file)
            .take(128)
            .read_to_end(&mut contents)
            .map_err(io_err)?;
        let bytes = parse_key(&contents).map_err(|reason| invalid(path, reason))?;
        if bytes.iter().all(|&b| b == 0) {
            return Err(invalid(path, "all bytes are zero"));
        }
        Ok(Self { bytes })
    }

    /// Writes a new random key to `path` as 64 hex characters, mode 0600, and makes it durable
    /// (file and directory synced). Fails if the file exists: a key is never overwritten.
    pub fn create(path: &Path) -> Result<Self, KeyError> {
        let io_err = |source| KeyError::KeyFileIo {
            path: path.to_owned(),
            source,
        };
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(io_err)?;
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return Err(KeyError::KeyFileExists {
                    path: path.to_owned(),
                });
            }
            Err(e) => return Err(io_err(e)),
        };
        // The umask may only have removed bits, but be explicit about the final mode.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_err)?;
        let key = Self::generate();
        let mut text = Zeroizing::new(hex::encode(key.bytes));
        text.push('\n');
        file.write_all(text.as_bytes()).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(io_err)?;
        tracing::info!(path = %path.display(), "created a new storage key");
        Ok(key)
    }

    /// Loads the key, creating it first if the file does not exist (demo mode only: a
    /// production box gets its key at installation, so a missing key there is an error).
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        match Self::load(path) {
            Err(KeyError::KeyFileMissing { .. }) => match Self::create(path) {
                // Another process created it between our two calls: use theirs.
                Err(KeyError::KeyFileExists { .. }) => Self::load(path),
                other => other,
            },
            other => other,
        }
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> KeyError {
    KeyError::KeyFileInvalid {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Exactly 32 bytes are taken as raw key material; otherwise 64 hex characters with at most one
/// trailing line end.
fn parse_key(contents: &[u8]) -> Result<[u8; KEY_LEN], String> {
    let mut bytes = [0u8; KEY_LEN];
    if contents.len() == KEY_LEN {
        bytes.copy_from_slice(contents);
        return Ok(bytes);
    }
    let text = contents
        .strip_suffix(b"\r\n")
        .or_else(|| contents.strip_suffix(b"\n"))
        .unwrap_or(contents);
    if text.len() != 2 * KEY_LEN {
        return Err(format!(
            "found {} bytes, expected 32 raw bytes or 64 hex characters",
            contents.len()
        ));
    }
    hex::decode_to_slice(text, &mut bytes).map_err(|_| "not hexadecimal".to_owned())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn write_key(dir: &Path, name: &str, contents: &[u8], mode: u32) -> std::path::PathBuf {
        let path = dir.join(name);
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn hex_and_raw_key_files_are_accepted_and_equal() {
        let dir = tempfile::tempdir().unwrap();
        let raw: [u8; 32] = std::array::from_fn(|i| i as u8 + 1);
        let hex_text = format!("{}\n", hex::encode(raw));
        let raw_path = write_key(dir.path(), "raw.key", &raw, 0o600);
        let hex_path = write_key(dir.path(), "hex.key", hex_text.as_bytes(), 0o400);
        let bare_hex = write_key(dir.path(), "bare.key", hex::encode(raw).as_bytes(), 0o600);
        assert_eq!(StorageKey::load(&raw_path).unwrap().expose(), &raw);
        assert_eq!(StorageKey::load(&hex_path).unwrap().expose(), &raw);
        assert_eq!(StorageKey::load(&bare_hex).unwrap().expose(), &raw);
    }

    #[test]
    fn key_file_readable_by_others_is_refused_with_the_chmod_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key(dir.path(), "storage.key", &[7u8; 32], 0o644);
        let err = StorageKey::load(&path).unwrap_err();
        assert!(matches!(
            err,
            KeyError::KeyFilePermissions { mode: 0o644, .. }
        ));
        let message = err.to_string();
        assert!(
            message.contains(&format!("chmod 600 {}", path.display())),
            "{message}"
        );
        let group = write_key(dir.path(), "group.key", &[7u8; 32], 0o640);
        assert!(matches!(
            StorageKey::load(&group),
            Err(KeyError::KeyFilePermissions { .. })
        ));
    }

    #[test]
    fn missing_key_file_says_how_to_create_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.key");
        let message = StorageKey::load(&path).unwrap_err().to_string();
        assert!(message.contains("head -c 32 /dev/urandom"), "{message}");
        assert!(message.contains("install -m 600 /dev/null"), "{message}");
    }

    #[test]
    fn malformed_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (name, contents) in [
            ("short", b"abcdef".as_slice()),
            ("nothex", [b'z'; 64].as_slice()),
            ("zero", [0u8; 32].as_slice()),
        ] {
            let path = write_key(dir.path(), name, contents, 0o600);
            assert!(
                matches!(
                    StorageKey::load(&path),
                    Err(KeyError::KeyFileInvalid { .. })
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn create_writes_a_private_hex_key_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/storage.key");
        let created = StorageKey::create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read(&path).unwrap().len(), 65);
        assert_eq!(StorageKey::load(&path).unwrap().expose(), created.expose());
        assert!(matches!(
            StorageKey::create(&path),
            Err(KeyError::KeyFileExists { .. })
        ));
        let again = StorageKey::load_or_create(&path).unwrap();
        assert_eq!(again.expose(), created.expose());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = StorageKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert!(!shown.contains("ab") && !shown.contains("171"), "{shown}");
    }
}
