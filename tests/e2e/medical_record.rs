//! The short medical record (issue #7): the patient side fills it in (API and page), the
//! appointment's practitioner finds it on the appointment before the call, nobody else reads
//! it, bad input is a 422 naming each bad part, and it is part of the GDPR export.

use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::booking::book_weber;
use teleconsult_tests::pages::{get_page, post_form};
use teleconsult_tests::site::{Clinic, Site};

#[tokio::test]
async fn the_patient_fills_in_the_record_and_the_practitioner_reads_it_before_the_call()
-> anyhow::Result<()> {
    let Clinic {
        site,
        staff,
        weber,
        ferreira,
        owner,
        stranger,
    } = Site::clinic(83).await?;
    let id = book_weber(&site, &owner, Duration::from_secs(2 * 24 * 3600)).await?;
    let (_, me) = site.get(&owner, "/api/v1/me").await?;
    let own = me["patient_id"]
        .as_str()
        .or_else(|| me["patient"]["id"].as_str())
        .ok_or_else(|| anyhow::anyhow!("no patient id in {me}"))?
        .to_owned();
    let mine = format!("/api/v1/patients/{own}/medical-record");
    let through_appointment = format!("/api/v1/appointments/{id}/medical-record");

    // Never filled in: empty parts, no date, for the patient and the practitioner alike.
    let (status, empty) = site.get(&owner, &mine).await?;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(
        (empty["allergies"].as_str(), &empty["updated_at"]),
        (Some(""), &Value::Null)
    );
    let (status, seen) = site.get(&weber, &through_appointment).await?;
    assert_eq!((status, &seen["updated_at"]), (200, &Value::Null));

    // Saved through the API (accents and line breaks kept, surrounding blanks trimmed).
    let record = json!({
        "history": "  Appendicectomie en 2009\nAsthme léger  ",
        "allergies": "Pénicilline : urticaire",
        "treatments": "Salbutamol 100 µg au besoin"
    });
    let (status, saved) = site
        .send(Some(&owner), reqwest::Method::PUT, &mine, Some(&record))
        .await?;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved["history"].as_str(),
        Some("Appendicectomie en 2009\nAsthme léger")
    );
    assert!(saved["updated_at"].is_string());

    // The practitioner reads it through the appointment, as the patient wrote it.
    let (status, seen) = site.get(&weber, &through_appointment).await?;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["allergies"], saved["allergies"]);
    assert_eq!(seen["history"], saved["history"]);
    // Nobody else: another practitioner, a stranger, staff (404, as for what does not exist).
    for who in [&ferreira, &stranger, &staff] {
        assert_eq!(site.get(who, &through_appointment).await?.0, 404);
        assert_eq!(site.get(who, &mine).await?.0, 404);
    }
    // The practitioner does not write the patient's declaration.
    let (status, _) = site
        .send(Some(&weber), reqwest::Method::PUT, &mine, Some(&record))
        .await?;
    assert_eq!(status, 404);

    // Bad input: every bad part named at once, nothing saved.
    let bad = json!({"history": "x".repeat(4001), "allergies": "bell\u{7}", "treatments": "ok"});
    let (status, body) = site
        .send(Some(&owner), reqwest::Method::PUT, &mine, Some(&bad))
        .await?;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&String> = body["fields"]
        .as_object()
        .map(|f| f.keys().collect())
        .unwrap_or_default();
    assert_eq!(fields, ["allergies", "history"], "{body}");
    let (status, body) = site
        .send(
            Some(&owner),
            reqwest::Method::PUT,
            &mine,
            Some(&json!({"allergy": "typo"})),
        )
        .await?;
    assert!(
        matches!(status, 400 | 422),
        "unknown field: {status} {body}"
    );
    assert_eq!(
        site.get(&owner, &mine).await?.1["allergies"],
        saved["allergies"]
    );

    // Pages: the practitioner's appointment page shows the record; staff's does not; the
    // patient's links to the form.
    let appointment_page = format!("/appointments/{id}");
    let (status, html) = get_page(&site, &weber, &appointment_page).await?;
    assert_eq!(status, 200);
    assert!(
        html.contains("Pénicilline : urticaire"),
        "practitioner sees the allergies"
    );
    assert!(
        html.contains("Appendicectomie en 2009<br>Asthme léger"),
        "line breaks kept"
    );
    let (status, html) = get_page(&site, &staff, &appointment_page).await?;
    assert_eq!(status, 200);
    assert!(!html.contains("Pénicilline"), "staff do not see it");
    let form = format!("/patients/{own}/medical-record");
    let (_, html) = get_page(&site, &owner, &appointment_page).await?;
    assert!(
        html.contains(&format!("href=\"{form}\"")),
        "the patient is shown the form"
    );

    // The form: shows what is saved, saves what is posted, re-shows a bad part with its error.
    let (status, html) = get_page(&site, &owner, &form).await?;
    assert_eq!(status, 200);
    assert!(html.contains("Salbutamol 100 µg au besoin"));
    let (status, at, _) = post_form(
        &site,
        &owner,
        &form,
        &[
            ("history", "Asthme léger"),
            ("allergies", "Aucune connue"),
            ("treatments", ""),
        ],
    )
    .await?;
    assert_eq!(
        (status, at.as_str()),
        (200, format!("{form}?saved=1").as_str())
    );
    let (_, seen) = site.get(&weber, &through_appointment).await?;
    assert_eq!(
        (seen["allergies"].as_str(), seen["treatments"].as_str()),
        (Some("Aucune connue"), Some(""))
    );
    let too_long = "y".repeat(4001);
    let (status, _, html) = post_form(
        &site,
        &owner,
        &form,
        &[
            ("history", &too_long),
            ("allergies", "Latex"),
            ("treatments", ""),
        ],
    )
    .await?;
    assert_eq!(status, 422);
    assert!(html.contains("Latex"), "what was typed is shown again");
    assert!(html.contains("history-error"), "the bad part is marked");
    let (status, _, _) = post_form(&site, &stranger, &form, &[("allergies", "x")]).await?;
    assert_eq!(status, 404);

    // In the GDPR export.
    let (status, export) = site.get(&owner, "/api/v1/me/export").await?;
    assert_eq!(status, 200);
    let records = export["medical_records"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no medical_records in the export"))?;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["allergies"], "Aucune connue");

    // Once the appointment is cancelled the practitioner has no reason to read it.
    let (status, body) = site
        .send(
            Some(&owner),
            reqwest::Method::POST,
            &format!("/api/v1/appointments/{id}/cancel"),
            None,
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(site.get(&weber, &through_appointment).await?.0, 404);
    Ok(())
}
