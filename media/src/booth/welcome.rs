//! The booth screen between calls: the neutral welcome view — the site's name on a plain
//! background, nothing of anyone —, a pipeline of its own drawn into the same display sink as
//! the call's screen. It runs only while no call pipeline does (one pipeline holds the display
//! at a time: `kmssink` cannot share it), at one frame per second.

use super::pipeline::el;
use super::screen::display_sink;
use crate::MediaError;
use crate::settings::{DisplaySink, MediaSettings};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_video as gst_video;

/// A dark blue background.
const BACKGROUND: u32 = 0xff1e_3a5f;

/// The welcome view on the booth screen; stops when dropped.
#[derive(Debug)]
pub struct WelcomeScreen {
    pipeline: gst::Pipeline,
    title: String,
}

impl WelcomeScreen {
    /// Shows `title` (the site's name) full screen. Blocking (state change): call from a
    /// blocking thread. `None` with [`DisplaySink::None`] (a box without a screen). Without the
    /// `textoverlay` element (GStreamer's pango plugin) the background is shown alone.
    pub fn show(settings: &MediaSettings, title: &str) -> Result<Option<Self>, MediaError> {
        crate::init()?;
        if settings.display == DisplaySink::None {
            return Ok(None);
        }
        let pipeline = gst::Pipeline::with_name("welcome");
        let src = el("videotestsrc", "welcomesrc")?;
        src.set_property("is-live", true);
        src.set_property_from_str("pattern", "solid-color");
        src.set_property("foreground-color", BACKGROUND);
        let caps = el("capsfilter", "welcomecaps")?;
        caps.set_property(
            "caps",
            gst_video::VideoCapsBuilder::new()
                .width(settings.display_size.0 as i32)
                .height(settings.display_size.1 as i32)
                .framerate(gst::Fraction::new(1, 1))
                .build(),
        );
        let convert = el("videoconvert", "welcomeconvert")?;
        let sink = display_sink(settings)?;
        let mut chain = vec![src, caps];
        match el("textoverlay", "welcometext") {
            Ok(text) => {
                text.set_property("text", title);
                text.set_property_from_str("valignment", "center");
                text.set_property_from_str("halignment", "center");
                text.set_property("font-desc", "Sans Bold 40");
                text.set_property("shaded-background", false);
                chain.push(text);
            }
            Err(e) => tracing::warn!(error = %e, "the welcome view is drawn without its text"),
        }
        chain.push(convert);
        chain.push(sink);
        pipeline.add_many(&chain)?;
        gst::Element::link_many(&chain)?;
        pipeline.set_state(gst::State::Playing)?;
        Ok(Some(Self {
            pipeline,
            title: title.to_owned(),
        }))
    }

    /// What it shows.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Whether it runs (reached or is reaching `Playing`).
    pub fn is_playing(&self) -> bool {
        let (_, current, pending) = self.pipeline.state(gst::ClockTime::from_mseconds(0));
        current == gst::State::Playing || pending == gst::State::Playing
    }
}

impl Drop for WelcomeScreen {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_welcome_view_shows_the_site_name_and_nothing_without_a_screen() {
        let settings = MediaSettings {
            display: DisplaySink::Fake,
            display_size: (320, 180),
            ..MediaSettings::default()
        };
        let shown = WelcomeScreen::show(&settings, "Pharmacie du Parc")
            .unwrap()
            .unwrap();
        assert_eq!(shown.title(), "Pharmacie du Parc");
        assert!(shown.is_playing());
        drop(shown);
        let headless = MediaSettings {
            display: DisplaySink::None,
            ..settings
        };
        assert!(WelcomeScreen::show(&headless, "x").unwrap().is_none());
    }
}
