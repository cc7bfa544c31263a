//! The documents other than prescriptions, one test per kind: a lab request to a laboratory
//! of the directory (the lab told by e-mail without health data), a sick-leave certificate in
//! three parts (the employer's without diagnosis), a fee memo (totals, paid once, by its issuer), a
//! consultation report; then what each person's list shows and that nobody else reaches them.

use anyhow::Context;
use serde_json::{Value, json};
use teleconsult_tests::accounts::WAIT;
use teleconsult_tests::documents::{DocumentSite, pdf_text};

/// The text of document `id`'s PDF as `who` downloads it (`query`: e.g. `?part=3`).
async fn text(
    d: &DocumentSite,
    who: &teleconsult_tests::accounts::Login,
    id: &str,
    query: &str,
) -> anyhow::Result<String> {
    pdf_text(
        &d.pdf(who, &format!("/api/v1/documents/{id}/pdf{query}"))
            .await?,
    )
}

fn id_of(doc: &Value) -> anyhow::Result<String> {
    doc["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no id in {doc}"))
}

/// The site's calendar day (the demo site is in Luxembourg).
pub(crate) fn today() -> anyhow::Result<jiff::civil::Date> {
    let zone = jiff::tz::TimeZone::get("Europe/Luxembourg")?;
    Ok(jiff::Timestamp::now().to_zoned_datetime(zone).date())
}

fn lab_request() -> Value {
    json!({"kind": "lab_request", "laboratory_id": "labo-nord", "tests": ["Hémogramme complet", "Protéine C réactive"],
        "home_visit": true, "clinical_information": "Fièvre depuis 3 jours"})
}

pub(crate) fn sick_leave(from: &str, to: &str) -> Value {
    json!({"kind": "sick_leave_certificate", "from": from, "to": to,
        "diagnosis": "Bronchite aiguë", "outings_allowed": false})
}

fn fee_memo() -> Value {
    json!({"kind": "fee_memo", "acts": [
        {"code": "C1", "label": "Consultation de médecine générale", "amount_cents": 5230},
        {"code": "TC", "label": "Supplément téléconsultation", "amount_cents": 1000}]})
}

fn report() -> Value {
    json!({"kind": "consultation_report", "reason": "Toux et fièvre",
        "findings": "Auscultation : râles bronchiques à droite.", "conclusion": "Repos, hydratation, réévaluation à J7."})
}

#[tokio::test]
async fn a_lab_request_reaches_a_laboratory_of_the_directory_without_health_data()
-> anyhow::Result<()> {
    let d = DocumentSite::start(70).await?;
    let labs = d.site.get_ok(&d.patient, "/api/v1/laboratories").await?;
    let lab = labs
        .as_array()
        .and_then(|l| l.iter().find(|l| l["id"] == "labo-nord"))
        .context("demo laboratory")?
        .clone();
    let issue_path = format!("/api/v1/appointments/{}/documents", d.appointment);
    let nowhere = json!({"kind": "lab_request", "laboratory_id": "nowhere", "tests": ["NFS"]});
    let (status, body) = d.site.post(&d.weber, &issue_path, &nowhere).await?;
    assert_eq!(
        (status, body["fields"]["laboratory_id"].is_string()),
        (422, true),
        "{body}"
    );
    let doc = d.issue(&lab_request()).await?;
    let number = doc["number"].as_str().context("number")?.to_owned();
    let lab_text = text(&d, &d.patient, &id_of(&doc)?, "").await?;
    for expected in [
        "Laboratoire du Nord",
        "Hémogramme complet",
        "Protéine C réactive",
        "Fièvre depuis 3 jours",
        number.as_str(),
    ] {
        assert!(
            lab_text.contains(expected),
            "{expected:?} not in:\n{lab_text}"
        );
    }
    let mail = d
        .site
        .smtp
        .wait_for(lab["email"].as_str().unwrap_or_default(), &number, WAIT)
        .await?;
    assert!(mail.body.contains("oui"), "home visit: {}", mail.body);
    assert!(!mail.body.contains("Hémogramme") && !mail.body.contains("Fièvre"));
    Ok(())
}

#[tokio::test]
async fn a_sick_leave_certificate_has_three_parts_the_employers_without_diagnosis()
-> anyhow::Result<()> {
    let d = DocumentSite::start(72).await?;
    let today = today()?;
    let until = today.checked_add(jiff::Span::new().days(6))?;
    let leave = d
        .issue(&sick_leave(&today.to_string(), &until.to_string()))
        .await?;
    let leave_id = id_of(&leave)?;
    assert_eq!(leave["pdf"].as_array().map(Vec::len), Some(3), "{leave}");
    for (part, title, diagnosis) in [
        ("1", "Volet 1 sur 3 : pour la caisse de maladie", true),
        ("2", "Volet 2 sur 3 : pour le patient", true),
        ("patient", "Volet 2 sur 3 : pour le patient", true),
        ("3", "Volet 3 sur 3 : pour l'employeur", false),
        ("employer", "Volet 3 sur 3 : pour l'employeur", false),
    ] {
        let text = text(&d, &d.patient, &leave_id, &format!("?part={part}")).await?;
        assert!(text.contains(title), "part {part}:\n{text}");
        assert!(
            text.contains(&d.patient_name)
                && text.contains(&today.to_string())
                && text.contains(&until.to_string()),
            "part {part}:\n{text}"
        );
        assert_eq!(
            text.contains("Bronchite aiguë"),
            diagnosis,
            "part {part} diagnosis:\n{text}"
        );
        assert_eq!(text.contains("Diagnostic"), diagnosis, "part {part}");
        assert_eq!(
            text.contains("Sorties autorisées"),
            diagnosis,
            "part {part}"
        );
    }
    let (status, _) = d
        .site
        .get(
            &d.patient,
            &format!("/api/v1/documents/{leave_id}/pdf?part=4"),
        )
        .await?;
    assert_eq!(status, 422);
    let issue_path = format!("/api/v1/appointments/{}/documents", d.appointment);
    let bad = json!({"kind": "sick_leave_certificate", "from": "2020-01-01", "to": "someday", "diagnosis": ""});
    let (status, body) = d.site.post(&d.weber, &issue_path, &bad).await?;
    assert_eq!(
        (status, body["fields"]["to"].is_string()),
        (422, true),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn a_fee_memo_adds_up_and_is_paid_once() -> anyhow::Result<()> {
    let d = DocumentSite::start(74).await?;
    let memo = d.issue(&fee_memo()).await?;
    assert_eq!(memo["total_cents"], 6230, "{memo}");
    assert_eq!(memo["payment"]["status"], "unpaid", "{memo}");
    let memo_id = id_of(&memo)?;
    let memo_text = text(&d, &d.patient, &memo_id, "").await?;
    for expected in [
        "Mémoire d'honoraires",
        "C1",
        "Consultation de médecine générale",
        "52.30",
        "10.00",
        "62.30",
    ] {
        assert!(
            memo_text.contains(expected),
            "{expected:?} not in:\n{memo_text}"
        );
    }
    d.no_leak(&d.other, &memo_id, "other patient").await?;
    let paid_path = format!("/api/v1/documents/{memo_id}/paid");
    // The patient does not record the payment (issue #18): only the issuer does.
    let (status, body) = d.site.post(&d.patient, &paid_path, &json!({})).await?;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, paid) = d.site.post(&d.weber, &paid_path, &json!({})).await?;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["payment"]["status"], "paid");
    assert_eq!(paid["payment"]["paid_by"], "practitioner");
    let (status, body) = d.site.post(&d.weber, &paid_path, &json!({})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_paid"))
    );
    // Pharmacists reach prescriptions only: a fee memo's id gets them nothing.
    let (status, _) = d
        .site
        .post(
            &d.pharmacist,
            &format!("/api/v1/prescriptions/{memo_id}/dispense"),
            &json!({"items": [0]}),
        )
        .await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn a_consultation_report_keeps_its_text_and_has_no_parts() -> anyhow::Result<()> {
    let d = DocumentSite::start(76).await?;
    let report = d.issue(&report()).await?;
    let report_id = id_of(&report)?;
    let report_text = text(&d, &d.weber, &report_id, "").await?;
    for expected in [
        "Compte rendu de consultation",
        "râles bronchiques",
        "réévaluation à J7",
    ] {
        assert!(
            report_text.contains(expected),
            "{expected:?} not in:\n{report_text}"
        );
    }
    let (status, _) = d
        .site
        .get(
            &d.patient,
            &format!("/api/v1/documents/{report_id}/pdf?part=1"),
        )
        .await?;
    assert_eq!(status, 422, "only sick-leave certificates have parts");
    Ok(())
}

/// Every kind is in the patient's list with numbers that follow each other; nobody else lists
/// or reaches any of them.
#[tokio::test]
async fn each_kind_is_in_the_patients_list_and_in_nobody_elses() -> anyhow::Result<()> {
    let d = DocumentSite::start(78).await?;
    let today = today()?.to_string();
    let mut ids = Vec::new();
    for document in [
        lab_request(),
        sick_leave(&today, &today),
        fee_memo(),
        report(),
    ] {
        let issued = d.issue(&document).await?;
        ids.push((id_of(&issued)?, issued["number"].clone()));
    }
    for (k, (_, number)) in ids.iter().enumerate() {
        let suffix = format!("-{:06}", k + 1);
        assert!(
            number.as_str().is_some_and(|n| n.ends_with(&suffix)),
            "document {k}: {number}"
        );
    }
    let list = d.site.get_ok(&d.patient, "/api/v1/documents").await?;
    let mut kinds: Vec<&str> = list
        .as_array()
        .context("list")?
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "consultation_report",
            "fee_memo",
            "lab_request",
            "sick_leave_certificate"
        ]
    );
    for who in [&d.other, &d.ferreira, &d.pharmacist, &d.staff] {
        assert_eq!(d.site.get_ok(who, "/api/v1/documents").await?, json!([]));
    }
    for (id, _) in &ids {
        d.no_leak(&d.other, id, "other patient").await?;
        d.no_leak(&d.ferreira, id, "other practitioner").await?;
        d.no_leak(&d.pharmacist, id, "pharmacist").await?;
        d.no_leak(&d.staff, id, "staff").await?;
    }
    Ok(())
}
