//! Prescriptions end to end on the demo site, one test per step: the practitioner issues
//! through the API (only the appointment's practitioner; every bad field named; the patient
//! told without health data); the PDF's text (`pdftotext`) holds the fields and its QR code,
//! decoded from the rendered page (`pdftoppm` + `zbarimg`), carries a random token; that token
//! retrieves exactly this prescription for a pharmacist and for nobody else; partial then
//! double dispensing; a correction supersedes. The other kinds are in `documents_kinds.rs`.

use anyhow::Context;
use serde_json::{Value, json};
use teleconsult_tests::accounts::WAIT;
use teleconsult_tests::documents::{DocumentSite, pdf_text, prescription, qr_codes};

const LOOKUP: &str = "/api/v1/prescriptions/lookup";

/// The prescription issued on a fresh site, with its id, number, PDF and QR token.
struct Issued {
    d: DocumentSite,
    id: String,
    number: String,
    pdf: Vec<u8>,
    token: String,
}

async fn issued(n: u32) -> anyhow::Result<Issued> {
    let d = DocumentSite::start(n).await?;
    let doc = d.issue(&prescription()).await?;
    let id = doc["id"].as_str().context("id")?.to_owned();
    let number = doc["number"].as_str().context("number")?.to_owned();
    let pdf = d
        .pdf(&d.patient, &format!("/api/v1/documents/{id}/pdf"))
        .await?;
    let mut codes = qr_codes(&pdf)?;
    anyhow::ensure!(codes.len() == 1, "one QR code: {codes:?}");
    let token = codes.pop().context("no QR code")?;
    Ok(Issued {
        d,
        id,
        number,
        pdf,
        token,
    })
}

#[tokio::test]
async fn only_the_appointments_practitioner_issues_and_the_patient_is_told_without_health_data()
-> anyhow::Result<()> {
    let d = DocumentSite::start(60).await?;
    let site = &d.site;
    let pending = |status: Value| status["pending"].as_u64();
    let before = pending(site.get_ok(&d.staff, "/api/v1/sync/status").await?);
    let issue_path = format!("/api/v1/appointments/{}/documents", d.appointment);
    for (who, name) in [
        (&d.patient, "patient"),
        (&d.other, "other patient"),
        (&d.ferreira, "other practitioner"),
        (&d.pharmacist, "pharmacist"),
        (&d.staff, "staff"),
    ] {
        let (status, body) = site.post(who, &issue_path, &prescription()).await?;
        assert_eq!(status, 404, "{name} issuing: {body}");
    }
    let mut bad = prescription();
    bad["items"][1]["posology"] = json!("  ");
    bad["items"][0]["dose"] = json!("");
    let (status, body) = site.post(&d.weber, &issue_path, &bad).await?;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["fields"]
            .as_object()
            .map(|f| f.keys().cloned().collect::<Vec<_>>()),
        Some(vec![
            "items[0].dose".to_owned(),
            "items[1].posology".to_owned()
        ]),
        "{body}"
    );
    let unknown = json!({"kind": "prescription", "items": [], "colour": "red"});
    let (status, body) = site.post(&d.weber, &issue_path, &unknown).await?;
    assert_eq!(status, 422, "unknown field: {body}");

    let doc = d.issue(&prescription()).await?;
    let number = doc["number"].as_str().context("number")?.to_owned();
    assert!(
        number.starts_with("DEMO-") && number.ends_with("-000001"),
        "{number}"
    );
    assert_eq!(doc["kind"], "prescription");
    assert_eq!(doc["status"], "issued");
    assert_eq!(doc["dispensed"], json!([null, null]));
    let after = pending(site.get_ok(&d.staff, "/api/v1/sync/status").await?);
    assert_eq!(
        after,
        before.map(|n| n + 1),
        "the document waits in the outbox for the platform"
    );
    let mail = site
        .smtp
        .wait_for("patient60@example.lu", "nouveau document", WAIT)
        .await?;
    for secret in ["Paracétamol", "comprimé", "toux", &number] {
        assert!(!mail.body.contains(secret), "{secret} in {}", mail.body);
        assert!(!mail.subject.contains(secret));
    }
    Ok(())
}

#[tokio::test]
async fn the_pdf_holds_the_fields_and_a_random_token_in_its_qr_code() -> anyhow::Result<()> {
    let Issued {
        d,
        id,
        number,
        pdf,
        token,
    } = issued(62).await?;
    let text = pdf_text(&pdf)?;
    for expected in [
        "Ordonnance médicale",
        number.as_str(),
        d.patient_name.as_str(),
        &d.patient_national_id,
        "Dr Anne Weber",
        "Paracétamol Größe",
        "Xarope São João",
        "500 mg",
        "10 ml le soir",
        "7 jours",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in PDF text:\n{text}"
        );
    }
    assert!(
        token.len() >= 32,
        "a random token, not the content: {token}"
    );
    assert!(!token.contains("Paracétamol") && !token.contains(&number));
    // The issuer reads the same stored PDF.
    assert_eq!(
        d.pdf(&d.weber, &format!("/api/v1/documents/{id}/pdf"))
            .await?,
        pdf
    );
    Ok(())
}

#[tokio::test]
async fn the_token_finds_exactly_this_prescription_for_a_pharmacist_and_nobody_else()
-> anyhow::Result<()> {
    let Issued {
        d,
        id,
        number,
        token,
        ..
    } = issued(64).await?;
    let site = &d.site;
    let lookup = json!({"token": token});
    let (status, found) = site.post(&d.pharmacist, LOOKUP, &lookup).await?;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["number"], number.as_str());
    assert_eq!(found[0]["items"][1]["medication"], "Xarope São João");
    assert_eq!(found[0]["patient_name"], d.patient_name.as_str());
    for (who, name) in [
        (&d.patient, "patient"),
        (&d.other, "other patient"),
        (&d.weber, "issuer"),
        (&d.ferreira, "other practitioner"),
        (&d.staff, "staff"),
    ] {
        let (status, _) = site.post(who, LOOKUP, &lookup).await?;
        assert_eq!(status, 404, "{name} using the token");
        let dispense = format!("/api/v1/prescriptions/{id}/dispense");
        let (status, _) = site.post(who, &dispense, &json!({"items": [0]})).await?;
        assert_eq!(status, 404, "{name} dispensing");
    }
    let wrong = json!({"token": format!("{token}x")});
    let (status, _) = site.post(&d.pharmacist, LOOKUP, &wrong).await?;
    assert_eq!(status, 404, "a wrong token finds nothing");
    let by_id = json!({"national_id": d.patient_national_id});
    let (status, found) = site.post(&d.pharmacist, LOOKUP, &by_id).await?;
    assert_eq!(status, 200);
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["id"], id.as_str());

    // Who is neither the patient nor the issuer learns nothing of the document.
    d.no_leak(&d.other, &id, "other patient").await?;
    d.no_leak(&d.ferreira, &id, "other practitioner").await?;
    d.no_leak(&d.pharmacist, &id, "pharmacist").await?;
    d.no_leak(&d.staff, &id, "staff").await?;
    assert_eq!(
        site.get(&d.patient, &format!("/api/v1/documents/{id}"))
            .await?
            .0,
        200
    );
    Ok(())
}

#[tokio::test]
async fn items_are_dispensed_once_and_a_dispensed_prescription_is_not_corrected()
-> anyhow::Result<()> {
    let Issued { d, id, .. } = issued(66).await?;
    let site = &d.site;
    let dispense = format!("/api/v1/prescriptions/{id}/dispense");
    let (status, once) = site
        .post(&d.pharmacist, &dispense, &json!({"items": [0]}))
        .await?;
    assert_eq!(status, 200, "{once}");
    assert!(
        once["items"][0]["dispensed_at"].is_string() && once["items"][1]["dispensed_at"].is_null(),
        "{once}"
    );
    assert_eq!(once["fully_dispensed"], false);
    let (status, body) = site
        .post(&d.pharmacist, &dispense, &json!({"items": [0]}))
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_dispensed"))
    );
    let (status, _) = site
        .post(&d.pharmacist, &dispense, &json!({"items": [5]}))
        .await?;
    assert_eq!(status, 422);
    let (status, all) = site
        .post(&d.pharmacist, &dispense, &json!({"items": [1]}))
        .await?;
    assert_eq!(
        (status, all["fully_dispensed"].as_bool()),
        (200, Some(true)),
        "{all}"
    );
    let (status, body) = site
        .post(&d.pharmacist, &dispense, &json!({"items": [1]}))
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_dispensed"))
    );
    let by_id = json!({"national_id": d.patient_national_id});
    let (status, open) = site.post(&d.pharmacist, LOOKUP, &by_id).await?;
    assert_eq!(
        (status, open),
        (200, json!([])),
        "nothing left to dispense for this patient"
    );
    let seen = site
        .get_ok(&d.patient, &format!("/api/v1/documents/{id}"))
        .await?;
    assert!(
        seen["dispensed"][0].is_string() && seen["dispensed"][1].is_string(),
        "{seen}"
    );
    // A prescription the pharmacy acted on can no longer be corrected.
    let (status, body) = site
        .post(
            &d.weber,
            &format!("/api/v1/documents/{id}/supersede"),
            &prescription(),
        )
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_dispensed"))
    );
    Ok(())
}

/// A correction: the original is kept, shown superseded, can no longer be dispensed nor
/// corrected again; the correction has the next number, its own token, and names the version
/// it corrects.
#[tokio::test]
async fn a_correction_supersedes_the_original_which_stays_visible_as_such() -> anyhow::Result<()> {
    let Issued {
        d,
        id,
        number,
        token,
        ..
    } = issued(68).await?;
    let site = &d.site;
    let mut corrected = prescription();
    corrected["items"][0]["posology"] = json!("1 comprimé 2 fois par jour");
    let supersede = format!("/api/v1/documents/{id}/supersede");
    let (status, fixed) = site.post(&d.weber, &supersede, &corrected).await?;
    assert_eq!(status, 201, "{fixed}");
    let fixed_id = fixed["id"].as_str().context("id")?.to_owned();
    assert_eq!(fixed["replaces"], id.as_str());
    assert!(
        fixed["number"]
            .as_str()
            .is_some_and(|n| n.ends_with("-000002")),
        "{fixed}"
    );
    let old = site
        .get_ok(&d.patient, &format!("/api/v1/documents/{id}"))
        .await?;
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded_by"], fixed_id.as_str());
    let list = site.get_ok(&d.patient, "/api/v1/documents").await?;
    let states: Vec<(&str, &str)> = list
        .as_array()
        .context("list")?
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap_or_default(),
                d["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [(fixed_id.as_str(), "issued"), (id.as_str(), "superseded")],
        "newest first, the superseded version visible as such"
    );
    let fixed_pdf = d
        .pdf(&d.patient, &format!("/api/v1/documents/{fixed_id}/pdf"))
        .await?;
    let fixed_token = qr_codes(&fixed_pdf)?.pop().context("no QR")?;
    assert_ne!(fixed_token, token);
    let (status, old_found) = site
        .post(&d.pharmacist, LOOKUP, &json!({"token": token}))
        .await?;
    assert_eq!(
        (status, old_found[0]["status"].as_str()),
        (200, Some("superseded")),
        "{old_found}"
    );
    let (status, body) = site
        .post(
            &d.pharmacist,
            &format!("/api/v1/prescriptions/{id}/dispense"),
            &json!({"items": [0]}),
        )
        .await?;
    assert_eq!((status, body["error"].as_str()), (409, Some("superseded")));
    let (status, body) = site.post(&d.weber, &supersede, &corrected).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_superseded"))
    );
    let fixed_text = pdf_text(&fixed_pdf)?;
    assert!(
        fixed_text.contains("1 comprimé 2 fois par jour"),
        "{fixed_text}"
    );
    assert!(
        fixed_text.contains(&number),
        "names the version it corrects"
    );
    Ok(())
}
