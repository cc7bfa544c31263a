//! Demo mode only: the media crate's fake camera and microphone ("Teleconsult Test Camera",
//! "Teleconsult Test Microphone") are registered with device discovery, so a demo booth can
//! name them in `[media] video_source` / `audio_source` like real devices — and lose them:
//! while the file `demo-camera-unplugged` exists in the storage folder, the fake camera is
//! unplugged (a running call swaps in black and reconnects once the file is gone, exactly as
//! with a USB camera pulled out). Staff see it on `GET /booth/status`. Only whoever may write
//! the daemon's storage folder can do this, and never outside demo mode.

use std::path::{Path, PathBuf};
use std::time::Duration;
use teleconsult_media::fake_devices;
use tokio_util::sync::CancellationToken;

/// The file whose presence unplugs the demo camera.
pub const UNPLUGGED_FILE: &str = "demo-camera-unplugged";
/// How often the file is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// Registers the fake devices (demo mode) and follows the camera's file until shutdown.
pub fn start(storage: &Path, shutdown: CancellationToken) -> anyhow::Result<()> {
    fake_devices::register()?;
    let flag: PathBuf = storage.join(UNPLUGGED_FILE);
    tokio::spawn(async move {
        let mut unplugged = false;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(LOOK_EVERY) => {}
            }
            let now = tokio::fs::try_exists(&flag).await.unwrap_or(false);
            if now != unplugged {
                unplugged = now;
                tokio::task::spawn_blocking(move || {
                    if now {
                        fake_devices::unplug_camera();
                    } else {
                        fake_devices::replug_camera();
                    }
                });
                tracing::info!(unplugged, "demo camera");
            }
        }
    });
    Ok(())
}
