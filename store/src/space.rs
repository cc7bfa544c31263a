//! Free space on the storage filesystem, and the reserve kept for what must not fail.
//!
//! Booth boxes have small disks that fill up (logs, call files, backups). Files — shared in a
//! call, sent with a message — are the big writes and can wait: they are refused while the free
//! space is below the reserve, so bookings, documents and audit records keep room. The reserve
//! is the larger of a share of the filesystem and a floor (`[storage] reserve_percent`,
//! `reserve_mb`: 5 % and 200 MB by default).

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::store::Store;

const MB: u64 = 1024 * 1024;

/// What a file may briefly cost on disk, in multiples of its size. sled 0.34 keeps up to 17
/// values in a leaf of its tree and, when it consolidates a leaf, writes it again whole as one
/// blob (the old blob goes later): a file shares its leaf with up to 16 others (of similar
/// size, files being files), so writing it may need room for 17 of them for a while. Measured:
/// 512 KB files on a tmpfs cost 516 KB each, and every eighth or so 5 to 9 MB at once.
pub const FILE_WRITE_AMPLIFICATION: u64 = 17;

/// Size and free space of the filesystem holding the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpace {
    /// Size of the filesystem.
    pub capacity_bytes: u64,
    /// Free space the daemon may use (not counting blocks kept for root).
    pub available_bytes: u64,
}

impl DiskSpace {
    /// Size and free space of the filesystem holding `path` (one `statvfs`).
    pub fn of(path: &std::path::Path) -> std::io::Result<DiskSpace> {
        nix::sys::statvfs::statvfs(path)
            .map(|stats| space_of(&stats))
            .map_err(std::io::Error::from)
    }

    /// Share of the filesystem in use, as the daemon sees it (0–100).
    pub fn used_percent(&self) -> u8 {
        if self.capacity_bytes == 0 {
            return 100;
        }
        let free = self.available_bytes.min(self.capacity_bytes);
        let used = (self.capacity_bytes - free) as u128 * 100 / self.capacity_bytes as u128;
        u8::try_from(used).unwrap_or(100)
    }
}

/// The free space files may not eat into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserve {
    /// The floor, in bytes.
    pub min_bytes: u64,
    /// The share of the filesystem, in percent (0–50).
    pub percent: u8,
}

impl Default for Reserve {
    fn default() -> Self {
        Reserve {
            min_bytes: 200 * MB,
            percent: 5,
        }
    }
}

impl Reserve {
    /// No reserve: what a store has until [`Store::set_reserve`] (the daemon sets its
    /// configured one at start).
    pub const NONE: Reserve = Reserve {
        min_bytes: 0,
        percent: 0,
    };

    /// The reserve on a filesystem of `capacity` bytes.
    pub fn bytes(&self, capacity: u64) -> u64 {
        let share = (capacity as u128 * u128::from(self.percent) / 100) as u64;
        share.max(self.min_bytes)
    }
}

impl Store {
    /// Size and free space of the filesystem holding the store (one `statvfs`); remembered in
    /// the store's condition.
    pub fn disk_space(&self) -> Result<DiskSpace, StoreError> {
        let space = DiskSpace::of(self.path()).map_err(|source| StoreError::DirIo {
            path: self.path().to_owned(),
            source,
        })?;
        self.shared().health.set_disk(space);
        Ok(space)
    }

    /// Sets the reserve files may not eat into (the daemon's `[storage]` settings).
    pub fn set_reserve(&self, reserve: Reserve) {
        *self
            .shared()
            .reserve
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = reserve;
    }

    /// The reserve files may not eat into.
    pub fn reserve(&self) -> Reserve {
        *self
            .shared()
            .reserve
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Refuses a file of `incoming` bytes when the free space left after writing it (counting
    /// what the storage engine may briefly need, [`FILE_WRITE_AMPLIFICATION`]) could fall below
    /// the reserve.
    pub(crate) fn check_room(&self, incoming: u64) -> Result<(), StoreError> {
        let space = self.disk_space()?;
        let reserve = self.reserve().bytes(space.capacity_bytes);
        let needed = incoming.saturating_mul(FILE_WRITE_AMPLIFICATION);
        if space.available_bytes < reserve.saturating_add(needed) {
            return Err(StoreError::ReserveReached {
                available_mb: space.available_bytes / MB,
                reserve_mb: reserve.div_ceil(MB),
            });
        }
        Ok(())
    }
}

/// Whether the filesystem of `path` has less than a few megabytes free (or cannot be measured):
/// the likely cause of a write that did not complete.
pub(crate) fn nearly_full(path: &std::path::Path) -> bool {
    DiskSpace::of(path).map_or(true, |space| space.available_bytes < 8 * MB)
}

// The field types of `statvfs` differ between platforms (u32 or u64).
#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
fn space_of(stats: &nix::sys::statvfs::Statvfs) -> DiskSpace {
    let unit = stats.fragment_size() as u64;
    DiskSpace {
        capacity_bytes: (stats.blocks() as u64).saturating_mul(unit),
        available_bytes: (stats.blocks_available() as u64).saturating_mul(unit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_the_larger_of_the_share_and_the_floor() {
        let reserve = Reserve::default();
        assert_eq!(reserve.bytes(1024 * MB), 200 * MB);
        assert_eq!(reserve.bytes(10_000 * MB), 500 * MB);
        let small = Reserve {
            min_bytes: MB,
            percent: 10,
        };
        assert_eq!(small.bytes(5 * MB), MB);
        assert_eq!(small.bytes(100 * MB), 10 * MB);
    }

    #[test]
    fn used_percent_counts_what_the_daemon_cannot_use() {
        let space = DiskSpace {
            capacity_bytes: 1000,
            available_bytes: 95,
        };
        assert_eq!(space.used_percent(), 90);
        let empty = DiskSpace {
            capacity_bytes: 0,
            available_bytes: 0,
        };
        assert_eq!(empty.used_percent(), 100);
    }
}
