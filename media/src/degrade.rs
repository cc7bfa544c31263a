//! The degradation order (issue #22 item 2, docs/media.md "Degradation"): when the bandwidth
//! estimate leaves the video encoder too few bits for the camera's full picture, the booth
//! sends a smaller picture or fewer frames, the way a browser does, rather than a smeared
//! 720p30. What it gives up first is the site's choice ([`Degradation`]): a conversation keeps
//! its frame rate and loses resolution; a dermatology or otoscope booth keeps its resolution
//! and loses frames.
//!
//! Pure: [`Degrader::decide`] takes the video encoder's target (kbit/s, from the estimate) and
//! the time since the call started, and says which [`Rung`] of the [`Ladder`] to send. The booth
//! applies it once a second (`booth/adapt.rs`) by changing the caps of a `videoscale !
//! videorate ! capsfilter` in front of the encoder — what gst-plugins-rs's `webrtcsink` does
//! with its estimate; the encoder renegotiates and starts the new size on a keyframe.
//!
//! Hysteresis: the booth steps down as soon as the target falls below a rung's floor (after at
//! least [`DOWN_HOLD`] since the previous change, the time the encoder and the estimate need to
//! show the effect of a change), possibly several rungs at once; it steps back up one rung at a
//! time, only when the target clears that rung's floor by [`UP_MARGIN`], and only [`UP_HOLD`]
//! after a step down ([`NEXT_UP_HOLD`] after a step up). A down-and-up cycle therefore never
//! takes less than `UP_HOLD`.

use crate::settings::VideoFormat;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the booth gives up first when the path cannot carry its full picture
/// (`media.degradation`; the names of WebRTC's `RTCDegradationPreference`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Degradation {
    /// A conversation: smaller pictures, 30 frames a second kept (lips and expressions).
    #[default]
    MaintainFramerate,
    /// Dermatology, otoscope, a wound: the full resolution kept, fewer frames a second.
    MaintainResolution,
}

impl Degradation {
    /// The config spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "maintain_framerate" => Some(Self::MaintainFramerate),
            "maintain_resolution" => Some(Self::MaintainResolution),
            _ => None,
        }
    }
}

/// Picture heights the booth steps down through, with the least video target (kbit/s) each
/// needs to look better than the next one down. From libwebrtc's VP8/H.264 bitrate limits per
/// resolution (540p from about 550 kbit/s, 360p from about 300) and webrtcsink's thresholds
/// (720p from 1 Mbit/s); the lowest rung takes whatever is left.
const HEIGHTS: [(u32, u32); 5] = [(1080, 1800), (720, 900), (540, 550), (360, 300), (270, 0)];
/// Frame-rate divisors (of the camera's rate) with the least target each needs: 30 fps from
/// 600 kbit/s, 15 from 300, 10 below (a still picture that moves is still a picture).
const DIVISORS: [(u32, u32); 3] = [(1, 600), (2, 300), (3, 0)];

/// Stepping up needs the target this much above the rung's floor (20 %): GCC's estimate moves
/// by about 8 % a second, so a target that merely touches a floor would step up and down again.
pub const UP_MARGIN: f64 = 1.2;
/// The least time between a step down and the next step up: a picture that goes down and back
/// up more often than this is worse than a steady smaller one.
pub const UP_HOLD: Duration = Duration::from_secs(8);
/// The least time between two steps up: once the line has held a step up this long, the next
/// one may follow (a climb is no oscillation, and a smaller picture may not use all of a
/// rising estimate, which slows the estimate's own climb).
pub const NEXT_UP_HOLD: Duration = Duration::from_secs(4);
/// The least time between a change and a step down (one adaptation period plus the encoder's
/// rate buffer): a target that fell further right after a change waits to see its effect.
pub const DOWN_HOLD: Duration = Duration::from_secs(2);

/// One rung: what the encoder gets, and the least target (kbit/s) that rung needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rung {
    pub format: VideoFormat,
    pub floor_kbps: u32,
}

/// The rungs for one camera format and preference, best first; the last one's floor is 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    rungs: Vec<Rung>,
    what: Degradation,
}

impl Ladder {
    pub fn new(capture: VideoFormat, what: Degradation) -> Self {
        let mut rungs: Vec<Rung> = Vec::new();
        match what {
            Degradation::MaintainFramerate => {
                // The camera's own size first, with the floor of the largest standard height
                // it reaches; then every standard height below that one.
                let mut below = HEIGHTS.iter().skip_while(|(h, _)| *h > capture.height);
                if let Some(&(_, floor)) = below.next() {
                    rungs.push(Rung {
                        format: capture,
                        floor_kbps: floor,
                    });
                    rungs.extend(below.map(|&(height, floor)| Rung {
                        format: scaled(capture, height),
                        floor_kbps: floor,
                    }));
                }
            }
            Degradation::MaintainResolution => {
                for (divisor, floor) in DIVISORS {
                    let fps = capture.fps / divisor;
                    if fps == 0 || rungs.last().is_some_and(|r| r.format.fps == fps) {
                        continue;
                    }
                    rungs.push(Rung {
                        format: VideoFormat { fps, ..capture },
                        floor_kbps: floor,
                    });
                }
            }
        }
        if rungs.is_empty() {
            rungs.push(Rung {
                format: capture,
                floor_kbps: 0,
            });
        }
        if let Some(last) = rungs.last_mut() {
            last.floor_kbps = 0;
        }
        Self { rungs, what }
    }

    pub fn rungs(&self) -> &[Rung] {
        &self.rungs
    }

    pub fn preference(&self) -> Degradation {
        self.what
    }

    /// The best rung whose floor `target_kbps` reaches.
    fn fitting(&self, target_kbps: u32) -> usize {
        self.rungs
            .iter()
            .position(|r| target_kbps >= r.floor_kbps)
            .unwrap_or(self.rungs.len() - 1)
    }
}

/// `capture` scaled to `height` lines, same aspect ratio, even width and height (4:2:0).
fn scaled(capture: VideoFormat, height: u32) -> VideoFormat {
    let width = u64::from(capture.width) * u64::from(height) / u64::from(capture.height.max(1));
    let even = |v: u64| u32::try_from(v & !1).unwrap_or(u32::MAX).max(2);
    VideoFormat {
        width: even(width),
        height: even(u64::from(height)),
        fps: capture.fps,
    }
}

/// What the booth's video currently gives up, for the call-quality record.
pub use teleconsult_core::call::VideoDegradation;

/// The current rung and when it was set.
#[derive(Clone, Debug)]
pub struct Degrader {
    ladder: Ladder,
    level: usize,
    /// When the level last changed, and whether that change was a step up.
    changed_at: Option<(Duration, bool)>,
}

impl Degrader {
    /// Starts at the full picture.
    pub fn new(ladder: Ladder) -> Self {
        Self {
            ladder,
            level: 0,
            changed_at: None,
        }
    }

    pub fn level(&self) -> usize {
        self.level
    }

    pub fn rung(&self) -> Rung {
        self.ladder.rungs[self.level]
    }

    /// What is given up now (`None` at the full picture).
    pub fn degradation(&self) -> Option<VideoDegradation> {
        (self.level > 0).then_some(match self.ladder.what {
            Degradation::MaintainFramerate => VideoDegradation::Resolution,
            Degradation::MaintainResolution => VideoDegradation::FrameRate,
        })
    }

    /// The rung to switch to for a video target of `target_kbps` at `now` (time since the call
    /// started, never going back), or `None` to keep the current one.
    pub fn decide(&mut self, target_kbps: u32, now: Duration) -> Option<Rung> {
        let since = self.changed_at.map(|(t, _)| now.saturating_sub(t));
        let held = |hold: Duration| since.is_none_or(|s| s >= hold);
        let fitting = self.ladder.fitting(target_kbps);
        let next = if fitting > self.level {
            // Down, as far as needed at once.
            held(DOWN_HOLD).then_some(fitting)
        } else if self.level > 0 {
            // Up, one rung, with a margin.
            let up = self.level - 1;
            let floor = f64::from(self.ladder.rungs[up].floor_kbps) * UP_MARGIN;
            let hold = match self.changed_at {
                Some((_, true)) => NEXT_UP_HOLD,
                _ => UP_HOLD,
            };
            (f64::from(target_kbps) >= floor && held(hold)).then_some(up)
        } else {
            None
        }?;
        self.changed_at = Some((now, next < self.level));
        self.level = next;
        Some(self.ladder.rungs[next])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HD: VideoFormat = VideoFormat {
        width: 1280,
        height: 720,
        fps: 30,
    };

    fn sizes(l: &Ladder) -> Vec<(u32, u32, u32, u32)> {
        l.rungs()
            .iter()
            .map(|r| (r.format.width, r.format.height, r.format.fps, r.floor_kbps))
            .collect()
    }

    #[test]
    fn a_conversation_loses_resolution_and_keeps_its_frame_rate() {
        let l = Ladder::new(HD, Degradation::MaintainFramerate);
        assert_eq!(
            sizes(&l),
            [
                (1280, 720, 30, 900),
                (960, 540, 30, 550),
                (640, 360, 30, 300),
                (480, 270, 30, 0)
            ]
        );
        // A 1080p camera starts one rung higher; a small one has fewer rungs.
        let full_hd = VideoFormat {
            width: 1920,
            height: 1080,
            fps: 30,
        };
        let l = Ladder::new(full_hd, Degradation::MaintainFramerate);
        assert_eq!(l.rungs()[0].format, full_hd);
        assert_eq!(l.rungs()[1].format.height, 720);
        let small = VideoFormat {
            width: 640,
            height: 480,
            fps: 30,
        };
        assert_eq!(
            sizes(&Ladder::new(small, Degradation::MaintainFramerate)),
            [(640, 480, 30, 300), (360, 270, 30, 0)]
        );
        let tiny = VideoFormat {
            width: 320,
            height: 240,
            fps: 15,
        };
        assert_eq!(
            sizes(&Ladder::new(tiny, Degradation::MaintainFramerate)),
            [(320, 240, 15, 0)]
        );
    }

    #[test]
    fn a_dermatology_booth_keeps_its_resolution_and_loses_frames() {
        let l = Ladder::new(HD, Degradation::MaintainResolution);
        assert_eq!(
            sizes(&l),
            [
                (1280, 720, 30, 600),
                (1280, 720, 15, 300),
                (1280, 720, 10, 0)
            ]
        );
        let slow = VideoFormat { fps: 2, ..HD };
        assert_eq!(
            sizes(&Ladder::new(slow, Degradation::MaintainResolution)),
            [(1280, 720, 2, 600), (1280, 720, 1, 0)]
        );
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn it_steps_down_at_once_and_back_up_one_rung_at_a_time_after_the_hold() {
        let mut d = Degrader::new(Ladder::new(HD, Degradation::MaintainFramerate));
        assert_eq!(d.decide(2000, secs(1)), None);
        assert_eq!(d.degradation(), None);
        // The estimate collapses: straight to 360p.
        assert_eq!(d.decide(400, secs(2)).map(|r| r.format.height), Some(360));
        assert_eq!(d.degradation(), Some(VideoDegradation::Resolution));
        // Further down only after DOWN_HOLD.
        assert_eq!(d.decide(200, secs(3)), None);
        assert_eq!(d.decide(200, secs(4)).map(|r| r.format.height), Some(270));
        // Back up: not before UP_HOLD, not without the margin, one rung at a time.
        assert_eq!(d.decide(2000, secs(11)), None);
        assert_eq!(d.decide(340, secs(12)), None, "300 × 1.2 = 360 needed");
        assert_eq!(d.decide(2000, secs(12)).map(|r| r.format.height), Some(360));
        // The climb goes on sooner: NEXT_UP_HOLD after a step up.
        assert_eq!(d.decide(2000, secs(15)), None);
        assert_eq!(d.decide(2000, secs(16)).map(|r| r.format.height), Some(540));
        // A fall right after a step up: down after DOWN_HOLD, then up only after UP_HOLD.
        assert_eq!(d.decide(400, secs(18)).map(|r| r.format.height), Some(360));
        assert_eq!(d.decide(2000, secs(25)), None);
        assert_eq!(d.decide(2000, secs(26)).map(|r| r.format.height), Some(540));
        assert_eq!(d.decide(2000, secs(30)).map(|r| r.format.height), Some(720));
        assert_eq!(d.decide(2000, secs(60)), None);
        assert_eq!(d.degradation(), None);
    }

    #[test]
    fn a_target_wavering_around_a_floor_does_not_flap() {
        let mut d = Degrader::new(Ladder::new(HD, Degradation::MaintainResolution));
        let mut changes = 0;
        for s in 0..120 {
            // 570–630 kbit/s around the 600 kbit/s floor of 30 fps.
            let target = if s % 2 == 0 { 570 } else { 630 };
            if d.decide(target, secs(s)).is_some() {
                changes += 1;
            }
        }
        assert_eq!(changes, 1, "one step down to 15 fps, then it holds");
        assert_eq!(d.rung().format.fps, 15);
        assert_eq!(d.degradation(), Some(VideoDegradation::FrameRate));
    }

    proptest! {
        /// Over any sequence of targets: the level moves down only toward what fits, up one
        /// rung at a time with the margin; no change within DOWN_HOLD of the previous one, no
        /// step up within UP_HOLD of a step down (NEXT_UP_HOLD of a step up) — so the picture
        /// never goes down and back up faster than UP_HOLD.
        #[test]
        fn no_change_comes_faster_than_its_hold(
            keep_resolution in any::<bool>(),
            steps in prop::collection::vec((0u32..3000, 100u64..3000), 1..200),
        ) {
            let what = if keep_resolution {
                Degradation::MaintainResolution
            } else {
                Degradation::MaintainFramerate
            };
            let ladder = Ladder::new(HD, what);
            let mut d = Degrader::new(ladder.clone());
            let mut now = Duration::ZERO;
            // When the level last changed, and whether it went up.
            let mut last: Option<(Duration, bool)> = None;
            for (target, step_ms) in steps {
                now += Duration::from_millis(step_ms);
                let before = d.level();
                let changed = d.decide(target, now);
                let after = d.level();
                prop_assert_eq!(changed.is_some(), before != after);
                if let Some(rung) = changed {
                    prop_assert_eq!(rung, ladder.rungs()[after]);
                    if let Some((at, went_up)) = last {
                        prop_assert!(now - at >= DOWN_HOLD, "changes {:?} apart", now - at);
                        if after < before {
                            let hold = if went_up { NEXT_UP_HOLD } else { UP_HOLD };
                            prop_assert!(now - at >= hold, "up {:?} after a change", now - at);
                        }
                    }
                    if after < before {
                        prop_assert_eq!(after + 1, before, "one rung up at a time");
                        let floor = f64::from(ladder.rungs()[after].floor_kbps) * UP_MARGIN;
                        prop_assert!(f64::from(target) >= floor);
                    } else {
                        prop_assert!(target < ladder.rungs()[before].floor_kbps);
                        prop_assert!(target >= ladder.rungs()[after].floor_kbps);
                    }
                    last = Some((now, after < before));
                }
                // Never stuck above what the target allows once the hold is over.
                if target < ladder.rungs()[d.level()].floor_kbps {
                    prop_assert!(last.is_some_and(|(at, _)| now - at < DOWN_HOLD));
                }
            }
        }
    }
}
