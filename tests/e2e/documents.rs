//! Documents issued after a consultation, end to end on the demo site: the practitioner issues
//! through the API; the PDF's text (`pdftotext`) holds the fields; the prescription's QR code,
//! decoded from the rendered page (`pdftoppm` + `zbarimg`), retrieves exactly that prescription
//! for a pharmacist and for nobody else; partial then double dispensing; corrections supersede;
//! the sick-leave employer part has no diagnosis; everyone but the patient and the issuer gets
//! 404 on every document endpoint.

use anyhow::Context;
use serde_json::{Value, json};
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::{
    Login, PASSWORD, WAIT, login, phone, register_and_activate, registration,
};
use teleconsult_tests::documents::{pdf_text, prescription, qr_codes};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};

struct Site {
    daemon: Daemon,
    smtp: SmtpSink,
    sms: SmsSink,
}

/// Everyone who takes part: the patient, another patient, the two demo doctors (Weber issues),
/// the pharmacist and staff.
struct People {
    patient: Login,
    patient_national_id: String,
    other: Login,
    weber: Login,
    ferreira: Login,
    pharmacist: Login,
    staff: Login,
}

async fn demo_site() -> anyhow::Result<Site> {
    let (daemon, smtp, sms) = teleconsult_tests::accounts::demo_with_sinks("").await?;
    Ok(Site { daemon, smtp, sms })
}

async fn demo_login(
    site: &Site,
    login_name: &str,
    password: &str,
    phone: &str,
) -> anyhow::Result<Login> {
    login(&site.daemon, &site.sms, login_name, password, phone, 0).await
}

async fn people(site: &Site, n: u32) -> anyhow::Result<People> {
    let form = registration(n);
    register_and_activate(&site.daemon, &site.smtp, &form).await?;
    register_and_activate(&site.daemon, &site.smtp, &registration(n + 1)).await?;
    let patient_login = |k: u32| format!("patient{k}@example.lu");
    Ok(People {
        patient: login(
            &site.daemon,
            &site.sms,
            &patient_login(n),
            PASSWORD,
            &phone(n),
            0,
        )
        .await?,
        patient_national_id: form["national_id"]
            .as_str()
            .context("national id")?
            .to_owned(),
        other: login(
            &site.daemon,
            &site.sms,
            &patient_login(n + 1),
            PASSWORD,
            &phone(n + 1),
            0,
        )
        .await?,
        weber: demo_login(site, "dr.weber", "demo doctor 2026", "+352621000002").await?,
        ferreira: demo_login(site, "dr.ferreira", "demo doctor 2026", "+352621000003").await?,
        pharmacist: demo_login(site, "pharmacist", "demo pharmacist 2026", "+352621000005").await?,
        staff: demo_login(site, "staff", "demo staff 2026", "+352621000004").await?,
    })
}

async fn get(site: &Site, who: &Login, path: &str) -> anyhow::Result<(u16, Value)> {
    let r = site
        .daemon
        .client
        .get(site.daemon.url(path))
        .header("authorization", who.bearer())
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

async fn post(site: &Site, who: &Login, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
    let r = site
        .daemon
        .client
        .post(site.daemon.url(path))
        .header("authorization", who.bearer())
        .json(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

/// Downloads a PDF through the API; fails unless it is one.
async fn pdf(site: &Site, who: &Login, path: &str) -> anyhow::Result<Vec<u8>> {
    let request = site
        .daemon
        .client
        .get(site.daemon.url(path))
        .header("authorization", who.bearer());
    teleconsult_tests::pages::pdf_from(request, path).await
}

async fn outbox_pending(site: &Site, staff: &Login) -> anyhow::Result<u64> {
    let (status, sync) = get(site, staff, "/api/v1/sync/status").await?;
    anyhow::ensure!(status == 200, "sync status: {status}");
    sync["pending"].as_u64().context("no pending count")
}

/// Every document endpoint answers 404 to `who`, as for a document that does not exist.
async fn no_leak(site: &Site, who: &Login, id: &str, what: &str) -> anyhow::Result<()> {
    for path in [
        format!("/api/v1/documents/{id}"),
        format!("/api/v1/documents/{id}/pdf"),
        format!("/api/v1/documents/{id}/pdf?part=3"),
    ] {
        let (status, body) = get(site, who, &path).await?;
        assert_eq!(status, 404, "{what} GET {path}: {body}");
    }
    for path in [
        format!("/api/v1/documents/{id}/paid"),
        format!("/api/v1/documents/{id}/supersede"),
    ] {
        let (status, body) = post(site, who, &path, &prescription()).await?;
        assert_eq!(status, 404, "{what} POST {path}: {body}");
    }
    let (status, list) = get(site, who, "/api/v1/documents").await?;
    assert_eq!(status, 200, "{what} GET /api/v1/documents: {list}");
    assert!(list.is_array(), "{what}: {list}");
    assert!(
        !list.to_string().contains(id),
        "{what} sees the document in their list: {list}"
    );
    Ok(())
}

#[tokio::test]
async fn prescription_qr_retrieves_it_for_a_pharmacist_only_dispensed_once_and_corrected()
-> anyhow::Result<()> {
    let site = demo_site().await?;
    let p = people(&site, 60).await?;
    let appointment = teleconsult_tests::documents::book(&site.daemon, &p.patient).await?;
    let pending_before = outbox_pending(&site, &p.staff).await?;
    let issue_path = format!("/api/v1/appointments/{appointment}/documents");

    // Only the appointment's practitioner issues; bad fields are named one by one.
    for (who, name) in [
        (&p.patient, "patient"),
        (&p.other, "other patient"),
        (&p.ferreira, "other practitioner"),
        (&p.pharmacist, "pharmacist"),
        (&p.staff, "staff"),
    ] {
        let (status, _) = post(&site, who, &issue_path, &prescription()).await?;
        assert_eq!(status, 404, "{name} issuing");
    }
    let mut bad = prescription();
    bad["items"][1]["posology"] = json!("  ");
    bad["items"][0]["dose"] = json!("");
    let (status, body) = post(&site, &p.weber, &issue_path, &bad).await?;
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
    let (status, body) = post(
        &site,
        &p.weber,
        &issue_path,
        &json!({"kind": "prescription", "items": [], "colour": "red"}),
    )
    .await?;
    assert_eq!(status, 422, "unknown field: {body}");

    let (status, doc) = post(&site, &p.weber, &issue_path, &prescription()).await?;
    assert_eq!(status, 201, "{doc}");
    let id = doc["id"].as_str().context("id")?.to_owned();
    let number = doc["number"].as_str().context("number")?.to_owned();
    assert!(
        number.starts_with("DEMO-") && number.ends_with("-000001"),
        "{number}"
    );
    assert_eq!(doc["kind"], "prescription");
    assert_eq!(doc["status"], "issued");
    assert_eq!(doc["dispensed"], json!([null, null]));
    assert_eq!(
        outbox_pending(&site, &p.staff).await?,
        pending_before + 1,
        "the document waits in the outbox for the platform"
    );

    // The patient is told by e-mail, without any health data.
    let mail = site
        .smtp
        .wait_for("patient60@example.lu", "nouveau document", WAIT)
        .await?;
    for secret in ["Paracétamol", "comprimé", "toux", &number] {
        assert!(!mail.body.contains(secret), "{secret} in {}", mail.body);
        assert!(!mail.subject.contains(secret));
    }

    // The PDF holds the fields, accents and all, and the QR code carries a token.
    let bytes = pdf(&site, &p.patient, &format!("/api/v1/documents/{id}/pdf")).await?;
    let text = pdf_text(&bytes)?;
    for expected in [
        "Ordonnance médicale",
        number.as_str(),
        "Zebulonia Quackenbush60",
        &p.patient_national_id,
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
    let codes = qr_codes(&bytes)?;
    assert_eq!(codes.len(), 1, "{codes:?}");
    let token = codes[0].clone();
    assert!(
        token.len() >= 32,
        "a random token, not the content: {token}"
    );
    assert!(!token.contains("Paracétamol") && !token.contains(&number));
    // The issuer reads the same stored PDF.
    assert_eq!(
        pdf(&site, &p.weber, &format!("/api/v1/documents/{id}/pdf")).await?,
        bytes
    );

    // The token retrieves exactly this prescription, for a pharmacist and nobody else.
    let lookup = json!({"token": token});
    let (status, found) = post(
        &site,
        &p.pharmacist,
        "/api/v1/prescriptions/lookup",
        &lookup,
    )
    .await?;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["number"], number.as_str());
    assert_eq!(found[0]["items"][1]["medication"], "Xarope São João");
    assert_eq!(found[0]["patient_name"], "Zebulonia Quackenbush60");
    for (who, name) in [
        (&p.patient, "patient"),
        (&p.other, "other patient"),
        (&p.weber, "issuer"),
        (&p.ferreira, "other practitioner"),
        (&p.staff, "staff"),
    ] {
        let (status, _) = post(&site, who, "/api/v1/prescriptions/lookup", &lookup).await?;
        assert_eq!(status, 404, "{name} using the token");
        let (status, _) = post(
            &site,
            who,
            &format!("/api/v1/prescriptions/{id}/dispense"),
            &json!({"items": [0]}),
        )
        .await?;
        assert_eq!(status, 404, "{name} dispensing");
    }
    let (status, _) = post(
        &site,
        &p.pharmacist,
        "/api/v1/prescriptions/lookup",
        &json!({"token": format!("{token}x")}),
    )
    .await?;
    assert_eq!(status, 404, "a wrong token finds nothing");
    let (status, by_id) = post(
        &site,
        &p.pharmacist,
        "/api/v1/prescriptions/lookup",
        &json!({"national_id": p.patient_national_id}),
    )
    .await?;
    assert_eq!(status, 200);
    assert_eq!(by_id.as_array().map(Vec::len), Some(1), "{by_id}");
    assert_eq!(by_id[0]["id"], id.as_str());

    // Who is neither the patient nor the issuer learns nothing of the document.
    no_leak(&site, &p.other, &id, "other patient").await?;
    no_leak(&site, &p.ferreira, &id, "other practitioner").await?;
    no_leak(&site, &p.pharmacist, &id, "pharmacist").await?;
    no_leak(&site, &p.staff, &id, "staff").await?;
    let (status, _) = get(&site, &p.patient, &format!("/api/v1/documents/{id}")).await?;
    assert_eq!(status, 200);

    // Partial dispensing, then never twice.
    let dispense = format!("/api/v1/prescriptions/{id}/dispense");
    let (status, once) = post(&site, &p.pharmacist, &dispense, &json!({"items": [0]})).await?;
    assert_eq!(status, 200, "{once}");
    assert!(
        once["items"][0]["dispensed_at"].is_string() && once["items"][1]["dispensed_at"].is_null()
    );
    assert_eq!(once["fully_dispensed"], false);
    let (status, body) = post(&site, &p.pharmacist, &dispense, &json!({"items": [0]})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_dispensed"))
    );
    let (status, _) = post(&site, &p.pharmacist, &dispense, &json!({"items": [5]})).await?;
    assert_eq!(status, 422);
    let (status, all) = post(&site, &p.pharmacist, &dispense, &json!({"items": [1]})).await?;
    assert_eq!(
        (status, all["fully_dispensed"].as_bool()),
        (200, Some(true))
    );
    let (status, body) = post(&site, &p.pharmacist, &dispense, &json!({"items": [1]})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_dispensed"))
    );
    let (_, open) = post(
        &site,
        &p.pharmacist,
        "/api/v1/prescriptions/lookup",
        &json!({"national_id": p.patient_national_id}),
    )
    .await?;
    assert_eq!(open, json!([]), "nothing left to dispense for this patient");
    let (_, seen) = get(&site, &p.patient, &format!("/api/v1/documents/{id}")).await?;
    assert!(
        seen["dispensed"][0].is_string() && seen["dispensed"][1].is_string(),
        "{seen}"
    );
    // A prescription the pharmacy acted on can no longer be corrected.
    let (status, body) = post(
        &site,
        &p.weber,
        &format!("/api/v1/documents/{id}/supersede"),
        &prescription(),
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_dispensed"))
    );

    // A second prescription, corrected: the original is kept, shown superseded, and can no
    // longer be dispensed; the correction has the next number and its own token.
    let (_, second) = post(&site, &p.weber, &issue_path, &prescription()).await?;
    let second_id = second["id"].as_str().context("id")?.to_owned();
    assert!(
        second["number"]
            .as_str()
            .is_some_and(|n| n.ends_with("-000002")),
        "{second}"
    );
    let second_pdf = pdf(
        &site,
        &p.patient,
        &format!("/api/v1/documents/{second_id}/pdf"),
    )
    .await?;
    let second_token = qr_codes(&second_pdf)?.pop().context("no QR")?;
    assert_ne!(second_token, token);
    let mut corrected = prescription();
    corrected["items"][0]["posology"] = json!("1 comprimé 2 fois par jour");
    let (status, fixed) = post(
        &site,
        &p.weber,
        &format!("/api/v1/documents/{second_id}/supersede"),
        &corrected,
    )
    .await?;
    assert_eq!(status, 201, "{fixed}");
    let fixed_id = fixed["id"].as_str().context("id")?.to_owned();
    assert_eq!(fixed["replaces"], second_id.as_str());
    assert!(
        fixed["number"]
            .as_str()
            .is_some_and(|n| n.ends_with("-000003"))
    );
    let (_, old) = get(&site, &p.patient, &format!("/api/v1/documents/{second_id}")).await?;
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["superseded_by"], fixed_id.as_str());
    let (_, list) = get(&site, &p.patient, "/api/v1/documents").await?;
    let states: Vec<(String, String)> = list
        .as_array()
        .context("list")?
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap_or_default().to_owned(),
                d["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (fixed_id.clone(), "issued".to_owned()),
            (second_id.clone(), "superseded".to_owned()),
            (id.clone(), "issued".to_owned())
        ],
        "newest first, the superseded version visible as such"
    );
    let (status, old_found) = post(
        &site,
        &p.pharmacist,
        "/api/v1/prescriptions/lookup",
        &json!({"token": second_token}),
    )
    .await?;
    assert_eq!(
        (status, old_found[0]["status"].as_str()),
        (200, Some("superseded"))
    );
    let (status, body) = post(
        &site,
        &p.pharmacist,
        &format!("/api/v1/prescriptions/{second_id}/dispense"),
        &json!({"items": [0]}),
    )
    .await?;
    assert_eq!((status, body["error"].as_str()), (409, Some("superseded")));
    let (status, body) = post(
        &site,
        &p.weber,
        &format!("/api/v1/documents/{second_id}/supersede"),
        &corrected,
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_superseded"))
    );
    let fixed_text = pdf_text(
        &pdf(
            &site,
            &p.patient,
            &format!("/api/v1/documents/{fixed_id}/pdf"),
        )
        .await?,
    )?;
    assert!(
        fixed_text.contains("1 comprimé 2 fois par jour"),
        "{fixed_text}"
    );
    assert!(
        fixed_text.contains(second["number"].as_str().unwrap_or("?")),
        "names the version it corrects"
    );
    Ok(())
}

#[tokio::test]
async fn lab_request_sick_leave_fee_memo_and_report() -> anyhow::Result<()> {
    let site = demo_site().await?;
    let p = people(&site, 70).await?;
    let appointment = teleconsult_tests::documents::book(&site.daemon, &p.patient).await?;
    let issue_path = format!("/api/v1/appointments/{appointment}/documents");

    // Lab request to a laboratory of the directory: the lab is told by e-mail (no health data).
    let (status, labs) = get(&site, &p.patient, "/api/v1/laboratories").await?;
    assert_eq!(status, 200);
    let lab = labs
        .as_array()
        .and_then(|l| l.iter().find(|l| l["id"] == "labo-nord"))
        .context("demo laboratory")?
        .clone();
    let (status, body) = post(
        &site,
        &p.weber,
        &issue_path,
        &json!({"kind": "lab_request", "laboratory_id": "nowhere", "tests": ["NFS"]}),
    )
    .await?;
    assert_eq!(
        (status, body["fields"]["laboratory_id"].is_string()),
        (422, true),
        "{body}"
    );
    let (status, lab_doc) = post(
        &site,
        &p.weber,
        &issue_path,
        &json!({"kind": "lab_request", "laboratory_id": "labo-nord", "tests": ["Hémogramme complet", "Protéine C réactive"],
                "home_visit": true, "clinical_information": "Fièvre depuis 3 jours"}),
    )
    .await?;
    assert_eq!(status, 201, "{lab_doc}");
    let lab_number = lab_doc["number"].as_str().context("number")?.to_owned();
    let lab_text = pdf_text(
        &pdf(
            &site,
            &p.patient,
            &format!(
                "/api/v1/documents/{}/pdf",
                lab_doc["id"].as_str().unwrap_or_default()
            ),
        )
        .await?,
    )?;
    for expected in [
        "Laboratoire du Nord",
        "Hémogramme complet",
        "Protéine C réactive",
        "Fièvre depuis 3 jours",
        lab_number.as_str(),
    ] {
        assert!(
            lab_text.contains(expected),
            "{expected:?} not in:\n{lab_text}"
        );
    }
    let lab_mail = site
        .smtp
        .wait_for(lab["email"].as_str().unwrap_or_default(), &lab_number, WAIT)
        .await?;
    assert!(
        lab_mail.body.contains("oui"),
        "home visit: {}",
        lab_mail.body
    );
    assert!(!lab_mail.body.contains("Hémogramme") && !lab_mail.body.contains("Fièvre"));

    // Sick leave: three parts, the employer's without diagnosis or outings.
    // The site's calendar day (the demo site is in Luxembourg).
    let zone = jiff::tz::TimeZone::get("Europe/Luxembourg")?;
    let today = jiff::Timestamp::now().to_zoned_datetime(zone).date();
    let until = today.checked_add(jiff::Span::new().days(6))?;
    let (status, leave) = post(
        &site,
        &p.weber,
        &issue_path,
        &json!({"kind": "sick_leave_certificate", "from": today.to_string(), "to": until.to_string(),
                "diagnosis": "Bronchite aiguë", "outings_allowed": false}),
    )
    .await?;
    assert_eq!(status, 201, "{leave}");
    let leave_id = leave["id"].as_str().context("id")?.to_owned();
    assert_eq!(leave["pdf"].as_array().map(Vec::len), Some(3));
    for (part, title, diagnosis) in [
        ("1", "Volet 1 sur 3 : pour la caisse de maladie", true),
        ("2", "Volet 2 sur 3 : pour le patient", true),
        ("patient", "Volet 2 sur 3 : pour le patient", true),
        ("3", "Volet 3 sur 3 : pour l'employeur", false),
        ("employer", "Volet 3 sur 3 : pour l'employeur", false),
    ] {
        let text = pdf_text(
            &pdf(
                &site,
                &p.patient,
                &format!("/api/v1/documents/{leave_id}/pdf?part={part}"),
            )
            .await?,
        )?;
        assert!(text.contains(title), "part {part}:\n{text}");
        assert!(
            text.contains("Zebulonia Quackenbush70")
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
    let (status, _) = get(
        &site,
        &p.patient,
        &format!("/api/v1/documents/{leave_id}/pdf?part=4"),
    )
    .await?;
    assert_eq!(status, 422);
    let (status, body) = post(
        &site,
        &p.weber,
        &issue_path,
        &json!({"kind": "sick_leave_certificate", "from": "2020-01-01", "to": "someday", "diagnosis": ""}),
    )
    .await?;
    assert_eq!(
        (status, body["fields"]["to"].is_string()),
        (422, true),
        "{body}"
    );

    // Fee memo: totals, paid once (by the patient), then the practitioner cannot pay again.
    let (status, memo) = post(
        &site,
        &p.weber,
        &issue_path,
        &json!({"kind": "fee_memo", "acts": [
            {"code": "C1", "label": "Consultation de médecine générale", "amount_cents": 5230},
            {"code": "TC", "label": "Supplément téléconsultation", "amount_cents": 1000}]}),
    )
    .await?;
    assert_eq!(status, 201, "{memo}");
    assert_eq!(memo["total_cents"], 6230);
    assert_eq!(memo["payment"]["status"], "unpaid");
    let memo_id = memo["id"].as_str().context("id")?.to_owned();
    let memo_text = pdf_text(
        &pdf(
            &site,
            &p.patient,
            &format!("/api/v1/documents/{memo_id}/pdf"),
        )
        .await?,
    )?;
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
    let paid_path = format!("/api/v1/documents/{memo_id}/paid");
    no_leak(&site, &p.other, &memo_id, "other patient").await?;
    let (status, paid) = post(&site, &p.patient, &paid_path, &json!({})).await?;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["payment"]["status"], "paid");
    assert_eq!(paid["payment"]["paid_by"], "patient");
    let (status, body) = post(&site, &p.weber, &paid_path, &json!({})).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("already_paid"))
    );

    // Consultation report.
    let (status, report) = post(
        &site,
        &p.weber,
        &issue_path,
        &json!({"kind": "consultation_report", "reason": "Toux et fièvre",
                "findings": "Auscultation : râles bronchiques à droite.", "conclusion": "Repos, hydratation, réévaluation à J7."}),
    )
    .await?;
    assert_eq!(status, 201, "{report}");
    let report_text = pdf_text(
        &pdf(
            &site,
            &p.weber,
            &format!(
                "/api/v1/documents/{}/pdf",
                report["id"].as_str().unwrap_or_default()
            ),
        )
        .await?,
    )?;
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
    let (status, _) = get(
        &site,
        &p.patient,
        &format!(
            "/api/v1/documents/{}/pdf?part=1",
            report["id"].as_str().unwrap_or_default()
        ),
    )
    .await?;
    assert_eq!(status, 422, "only sick-leave certificates have parts");

    // Numbers follow each other per site; every kind is in the patient's list, none in others'.
    let (_, list) = get(&site, &p.patient, "/api/v1/documents").await?;
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
    for who in [&p.other, &p.ferreira, &p.pharmacist, &p.staff] {
        assert_eq!(get(&site, who, "/api/v1/documents").await?.1, json!([]));
    }
    for id in [&leave_id, &memo_id] {
        no_leak(&site, &p.ferreira, id, "other practitioner").await?;
        no_leak(&site, &p.pharmacist, id, "pharmacist").await?;
        no_leak(&site, &p.staff, id, "staff").await?;
    }
    // Pharmacists reach prescriptions only: a fee memo's id gets them nothing.
    let (status, _) = post(
        &site,
        &p.pharmacist,
        &format!("/api/v1/prescriptions/{memo_id}/dispense"),
        &json!({"items": [0]}),
    )
    .await?;
    assert_eq!(status, 404);
    Ok(())
}
