//! The console's panel of the cabin's devices (issue #19, `docs/booth.md` "The pages"), on a
//! demo booth site with the test camera and microphone: the console shows the status the API
//! gives (the camera works), a camera unplugged shows as missing on the next copy of the page
//! (what the console's 10 s refresh reads), and the "Check the devices" button runs the device
//! check and shows what it measured; a second check while one runs is refused in words (409).

use crate::booth_sessions::{booth, eventually};
use teleconsult_tests::pages::{get_page, post_form};

/// The state the console shows for the camera (the status' first part).
fn camera_state(html: &str) -> Option<&str> {
    let start = html.find("id=\"device_status\"")?;
    let rest = &html[start..];
    let at = rest.find("data-part-state=\"")? + "data-part-state=\"".len();
    rest[at..].split('"').next()
}

/// What the check measured for `part`, as the page says it.
fn checked<'a>(html: &'a str, part: &str) -> Option<&'a str> {
    let marker = format!("data-check=\"{part}\">");
    let at = html.find(&marker)? + marker.len();
    html[at..].split("</dd>").next()
}

#[tokio::test]
async fn the_console_shows_the_cabins_devices_and_runs_the_device_check() -> anyhow::Result<()> {
    let b = booth("[media]\nvideo_source = \"Teleconsult Test Camera\"\n").await?;
    let (site, staff) = (&b.site, &b.staff);

    let html = eventually("the console shows the camera working", || async {
        let (status, html) = get_page(site, staff, "/booth").await?;
        anyhow::ensure!(status == 200, "{status} {html}");
        Ok((camera_state(&html) == Some("ok")).then_some(html))
    })
    .await?;
    assert!(html.contains("data-refresh=\"/booth\""), "{html}");
    assert!(html.contains("data-cabin-view=\"welcome\""), "{html}");
    assert!(html.contains("action=\"/booth/check\""), "{html}");
    assert!(html.contains("Teleconsult Test Camera"), "{html}");

    // The camera's cable is pulled: the next copy of the console (what its refresh reads)
    // shows it missing, then working again once plugged back.
    let unplugged = site.daemon.storage_path().join("demo-camera-unplugged");
    std::fs::write(&unplugged, b"")?;
    let html = eventually("the console shows the camera missing", || async {
        let (_, html) = get_page(site, staff, "/booth").await?;
        Ok((camera_state(&html) == Some("missing")).then_some(html))
    })
    .await?;
    // In words, in the site's language (the demo site speaks French first).
    assert!(html.contains("<strong>absent</strong>"), "{html}");
    std::fs::remove_file(&unplugged)?;
    eventually("the console shows the camera back", || async {
        let (_, html) = get_page(site, staff, "/booth").await?;
        Ok((camera_state(&html) == Some("ok")).then_some(()))
    })
    .await?;

    // The button: the check measures the test devices and the page says what it measured.
    let (status, _, html) = post_form(site, staff, "/booth/check", &[]).await?;
    assert_eq!(status, 200, "{html}");
    let camera = checked(&html, "camera").unwrap_or_default();
    assert!(
        camera.contains("<strong>fonctionne</strong>") && camera.contains(" images en "),
        "{html}"
    );
    let microphone = checked(&html, "microphone").unwrap_or_default();
    assert!(microphone.contains("dBFS"), "{html}");
    let speaker = checked(&html, "speaker").unwrap_or_default();
    assert!(!speaker.is_empty(), "{html}");
    assert!(html.contains("id=\"device_status\""), "{html}");

    // Two at once: one measures, the other is refused in words while it runs.
    let (a, b) = tokio::join!(
        post_form(site, staff, "/booth/check", &[]),
        post_form(site, staff, "/booth/check", &[]),
    );
    let (a, b) = (a?, b?);
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.2, b.2);
    let refused = if a.0 == 409 { &a.2 } else { &b.2 };
    assert!(
        refused.contains("Une vérification des appareils est déjà en cours"),
        "{refused}"
    );
    // Without the session's token the check does not run.
    let mut forged = staff.clone();
    forged.csrf = "forged".into();
    let (status, _, _) = post_form(site, &forged, "/booth/check", &[]).await?;
    assert_eq!(status, 403);
    Ok(())
}
