//! What the booth gives up when the path is too slow for its capture format (issue #22, item 2):
//! a pure policy. Given the video encoder's target bitrate ([`crate::congestion`]) it picks the
//! picture to send — the capture size and frame rate, or a smaller size, or fewer frames — so
//! every pixel sent keeps enough bits. Which one goes first is the use's choice
//! ([`Preference`]): a conversation keeps its frame rate (lips and gestures), a dermatology or
//! otoscope picture keeps its resolution (detail).
//!
//! The rule: a picture needs [`BITS_PER_PIXEL`] bits per pixel and frame. Steps are the capture
//! size divided by 1, 2 or 3, and the capture rate divided by 1, 2 or 3; the preferred quality
//! is lowered first, the other only once the first is at its last step. Stepping down is
//! immediate; stepping back up needs [`STEP_UP_MARGIN`] more than the better step needs, so an
//! estimate oscillating around a threshold does not flip the picture back and forth.

use crate::settings::VideoFormat;
use serde::{Deserialize, Serialize};

/// Bits per pixel and frame below which H.264/VP8 at real-time presets turns to blocks
/// (about 900 kbit/s for 720p30, 230 kbit/s for 360p30).
pub const BITS_PER_PIXEL: f64 = 0.033;
/// Stepping back up needs this much more than the better step needs.
pub const STEP_UP_MARGIN: f64 = 1.2;
/// Divisors of the capture size and frame rate, best first.
const DIVISORS: [u32; 3] = [1, 2, 3];

/// What a use keeps when the bitrate is short.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preference {
    /// A conversation: lower the resolution first.
    #[default]
    KeepFrameRate,
    /// Dermatology, otoscope: lower the frame rate first.
    KeepResolution,
}

impl Preference {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "keep_frame_rate" => Some(Self::KeepFrameRate),
            "keep_resolution" => Some(Self::KeepResolution),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeepFrameRate => "keep_frame_rate",
            Self::KeepResolution => "keep_resolution",
        }
    }
}

/// One picture the booth may send: the capture size divided by `size_div`, the capture rate
/// divided by `rate_div`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub size_div: u32,
    pub rate_div: u32,
}

impl Step {
    pub const FULL: Self = Self {
        size_div: 1,
        rate_div: 1,
    };

    /// The picture this step sends from `capture` (even sizes, at least 1 fps).
    pub fn format(self, capture: VideoFormat) -> VideoFormat {
        let even = |v: u32| ((v / self.size_div.max(1)) & !1).max(2);
        VideoFormat {
            width: even(capture.width),
            height: even(capture.height),
            fps: (capture.fps / self.rate_div.max(1)).max(1),
        }
    }

    /// kbit/s this step needs.
    fn needs_kbps(self, capture: VideoFormat) -> f64 {
        let f = self.format(capture);
        f64::from(f.width) * f64::from(f.height) * f64::from(f.fps) * BITS_PER_PIXEL / 1000.0
    }
}

/// The steps from best to worst for `preference`: the other quality is lowered only once the
/// preferred one has nothing left to give.
fn ladder(preference: Preference) -> impl Iterator<Item = Step> {
    let (outer, inner) = (DIVISORS, DIVISORS);
    outer.into_iter().flat_map(move |o| {
        inner.into_iter().map(move |i| match preference {
            Preference::KeepFrameRate => Step {
                size_div: i,
                rate_div: o,
            },
            Preference::KeepResolution => Step {
                size_div: o,
                rate_div: i,
            },
        })
    })
}

/// The step for a video target of `target_kbps`, coming from `current`.
pub fn decide(
    preference: Preference,
    capture: VideoFormat,
    target_kbps: u32,
    current: Step,
) -> Step {
    let target = f64::from(target_kbps);
    let steps: Vec<Step> = ladder(preference).collect();
    let position = steps.iter().position(|s| *s == current).unwrap_or(0);
    // The best step the target affords; a step better than the current one needs the margin.
    steps
        .iter()
        .enumerate()
        .find(|(i, s)| {
            let needs = s.needs_kbps(capture);
            if *i < position {
                target >= needs * STEP_UP_MARGIN
            } else {
                target >= needs
            }
        })
        .map_or(steps[steps.len() - 1], |(_, s)| *s)
}

/// The decision as the quality record shows it: what is sent and why.
pub fn describe(
    preference: Preference,
    capture: VideoFormat,
    step: Step,
    target_kbps: u32,
) -> String {
    let f = step.format(capture);
    if step == Step::FULL {
        format!("{}x{}@{} as captured", f.width, f.height, f.fps)
    } else {
        format!(
            "{}x{}@{} ({}: {target_kbps} kbit/s is too little for {}x{}@{})",
            f.width,
            f.height,
            f.fps,
            preference.as_str(),
            capture.width,
            capture.height,
            capture.fps
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HD: VideoFormat = VideoFormat {
        width: 1280,
        height: 720,
        fps: 30,
    };

    fn format_at(preference: Preference, kbps: u32) -> VideoFormat {
        decide(preference, HD, kbps, Step::FULL).format(HD)
    }

    #[test]
    fn enough_bitrate_sends_the_capture_as_it_is() {
        for p in [Preference::KeepFrameRate, Preference::KeepResolution] {
            assert_eq!(format_at(p, 2500), HD);
            assert_eq!(format_at(p, 913), HD);
        }
    }

    #[test]
    fn a_conversation_keeps_its_frame_rate_and_gives_up_size() {
        let p = Preference::KeepFrameRate;
        assert_eq!((format_at(p, 900).width, format_at(p, 900).fps), (640, 30));
        assert_eq!((format_at(p, 230).width, format_at(p, 230).fps), (640, 30));
        assert_eq!((format_at(p, 200).width, format_at(p, 200).fps), (426, 30));
        // Only when the smallest size is not affordable does the frame rate go.
        assert_eq!((format_at(p, 90).width, format_at(p, 90).fps), (426, 15));
    }

    #[test]
    fn a_skin_or_ear_picture_keeps_its_resolution_and_gives_up_frames() {
        let p = Preference::KeepResolution;
        assert_eq!((format_at(p, 900).width, format_at(p, 900).fps), (1280, 15));
        assert_eq!((format_at(p, 310).width, format_at(p, 310).fps), (1280, 10));
        // Below what 720p at 10 fps needs, the size goes too, at the best rate it allows.
        assert_eq!((format_at(p, 250).width, format_at(p, 250).fps), (640, 30));
    }

    #[test]
    fn the_worst_step_is_the_floor() {
        for p in [Preference::KeepFrameRate, Preference::KeepResolution] {
            let f = format_at(p, 0);
            assert_eq!((f.width, f.height, f.fps), (426, 240, 10));
        }
    }

    #[test]
    fn stepping_down_is_immediate_and_stepping_up_needs_a_margin() {
        let p = Preference::KeepFrameRate;
        let half = decide(p, HD, 800, Step::FULL);
        assert_eq!(half.size_div, 2);
        // 950 kbit/s affords the full picture (913), but not with the margin: stay.
        assert_eq!(decide(p, HD, 950, half), half);
        assert_eq!(decide(p, HD, 1100, half), Step::FULL);
        // From the full picture, 950 keeps it.
        assert_eq!(decide(p, HD, 950, Step::FULL), Step::FULL);
    }

    #[test]
    fn the_record_says_what_is_sent_and_why() {
        let p = Preference::KeepResolution;
        let step = decide(p, HD, 600, Step::FULL);
        assert_eq!(
            describe(p, HD, step, 600),
            "1280x720@15 (keep_resolution: 600 kbit/s is too little for 1280x720@30)"
        );
        assert_eq!(describe(p, HD, Step::FULL, 2000), "1280x720@30 as captured");
        assert_eq!(
            Preference::parse("keep_frame_rate"),
            Some(Preference::KeepFrameRate)
        );
        assert_eq!(Preference::parse("sometimes"), None);
    }
}
