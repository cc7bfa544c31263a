//! Files for the consultation (issue #7, pre-consultation upload): the patient side sends
//! documents to the practitioner from booking on, through the API and the appointment page;
//! the practitioner reads them before the call; nobody else sees them.

use serde_json::json;
use std::time::Duration;
use teleconsult_tests::booking::book_weber;
use teleconsult_tests::pages::{get_page, post_file};
use teleconsult_tests::site::{Clinic, Site};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
/// The 8-byte PNG signature and an IHDR chunk header: enough for the content check.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00";

#[tokio::test]
async fn the_patient_sends_files_before_the_consultation_and_only_the_parties_see_them()
-> anyhow::Result<()> {
    let Clinic {
        site,
        staff,
        weber,
        ferreira,
        owner,
        stranger,
    } = Site::clinic(81).await?;
    // Two days ahead: the call room opens ten minutes before the start.
    let id = book_weber(&site, &owner, Duration::from_secs(2 * 24 * 3600)).await?;
    let files = format!("/api/v1/appointments/{id}/attachments");

    // The patient sends a PDF through the API long before the room opens; the practitioner
    // cannot share anything yet (their files belong to the call).
    let (status, sent) = site
        .upload_attachment(&owner, &id, "application/pdf", "results.pdf", PDF.to_vec())
        .await?;
    assert_eq!(status, 201, "{sent}");
    let (status, body) = site
        .upload_attachment(&weber, &id, "application/pdf", "x.pdf", PDF.to_vec())
        .await?;
    assert_eq!((status, body["error"].as_str()), (403, Some("too_early")));
    // Checked against the content, as in the call.
    let (status, _) = site
        .upload_attachment(
            &owner,
            &id,
            "application/pdf",
            "fake.pdf",
            b"hello".to_vec(),
        )
        .await?;
    assert_eq!(status, 422);
    let (status, _) = site
        .upload_attachment(&owner, &id, "text/plain", "notes.txt", b"hello".to_vec())
        .await?;
    assert_eq!(status, 415);

    // Through the appointment page: the form is the patient's, the CSRF token required.
    let page_path = format!("/appointments/{id}");
    let (status, html) = get_page(&site, &owner, &page_path).await?;
    assert_eq!(status, 200);
    assert!(html.contains("results.pdf"), "the list shows the file");
    assert!(
        html.contains(&format!("action=\"/appointments/{id}/files\"")),
        "the patient has the form"
    );
    let post = format!("/appointments/{id}/files");
    let (status, at) = post_file(
        &site,
        &owner,
        &post,
        &owner.csrf,
        ("rash.png", "image/png", PNG.to_vec()),
    )
    .await?;
    assert_eq!(
        (status, at.as_str()),
        (200, format!("/appointments/{id}?file=sent").as_str())
    );
    let (status, at) = post_file(
        &site,
        &owner,
        &post,
        &owner.csrf,
        ("notes.txt", "text/plain", b"hi".to_vec()),
    )
    .await?;
    assert_eq!(
        (status, at.as_str()),
        (200, format!("/appointments/{id}?file=type").as_str())
    );
    let (status, _) = post_file(
        &site,
        &owner,
        &post,
        "forged",
        ("other.png", "image/png", PNG.to_vec()),
    )
    .await?;
    assert_eq!(status, 403, "no CSRF token, no file");
    let (status, _) = post_file(
        &site,
        &stranger,
        &post,
        &stranger.csrf,
        ("other.png", "image/png", PNG.to_vec()),
    )
    .await?;
    assert_eq!(
        status, 404,
        "not a party: the appointment does not exist for them"
    );

    // The practitioner reads both before the consultation, in the API and on the page.
    let (status, list) = site.get(&weber, &files).await?;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["file_name"].as_str())
        .collect();
    assert_eq!(names, ["results.pdf", "rash.png"]);
    let url = list[1]["url"].as_str().unwrap_or_default();
    let r = site
        .client
        .get(site.url(url))
        .header("authorization", weber.bearer())
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await?.as_ref(), PNG, "the same bytes come back");
    let (status, html) = get_page(&site, &weber, &page_path).await?;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("rash.png") && html.contains("results.pdf"));
    assert!(
        !html.contains(&format!("action=\"/appointments/{id}/files\"")),
        "the form is the patient side's"
    );

    // Nobody else: another patient, another practitioner, staff of a clinic.
    for who in [&stranger, &ferreira, &staff] {
        let (status, body) = site.get(who, &files).await?;
        assert_eq!(status, 404, "{body}");
        let r = site
            .client
            .get(site.url(url))
            .header("authorization", who.bearer())
            .send()
            .await?;
        assert_eq!(r.status(), 404);
    }

    // Once cancelled, nothing more is sent.
    let r = site
        .client
        .post(site.url(&format!("/api/v1/appointments/{id}/cancel")))
        .header("authorization", owner.bearer())
        .json(&json!({}))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let (status, body) = site
        .upload_attachment(&owner, &id, "application/pdf", "late.pdf", PDF.to_vec())
        .await?;
    assert_eq!((status, body["error"].as_str()), (409, Some("call_closed")));
    let (status, html) = get_page(&site, &owner, &page_path).await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        !html.contains(&format!("action=\"/appointments/{id}/files\"")),
        "no form once cancelled"
    );
    Ok(())
}
