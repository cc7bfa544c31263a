//! The document pages of issue #7 without a browser (the browser journey is in `browser.rs`):
//! requests with the session cookie and forms with the session's CSRF token, as a browser
//! sends them, one test per step. The appointment page offers the practitioner one form per
//! kind; a sick-leave certificate (a bad period first: the error is on its field) gets its
//! three part links; a fee memo in euros with a blank line is paid from the patient's page,
//! then refused a second time; the pharmacist finds a prescription by its QR text or the
//! patient's national id, dispenses an item, and is told in words when trying again.

use anyhow::Context;
use serde_json::json;
use teleconsult_tests::accounts::Login;
use teleconsult_tests::documents::{DocumentSite, qr_codes};
use teleconsult_tests::pages::{get_page, pdf_of, post_form};

/// A form posted as `who` (owned fields, for building them in place).
async fn post(
    d: &DocumentSite,
    who: &Login,
    path: &str,
    fields: &[(&str, String)],
) -> anyhow::Result<(u16, String, String)> {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_form(&d.site, who, path, &fields).await
}

/// A page as `who`, which must answer 200.
async fn page(d: &DocumentSite, who: &Login, path: &str) -> anyhow::Result<String> {
    let (status, html) = get_page(&d.site, who, path).await?;
    anyhow::ensure!(status == 200, "{path}: {status}\n{html}");
    Ok(html)
}

/// The id in a `/documents/{id}?…` path.
fn document_id(at: &str) -> anyhow::Result<String> {
    let id = at
        .strip_prefix("/documents/")
        .and_then(|rest| rest.split('?').next())
        .with_context(|| format!("not a document page: {at}"))?;
    Ok(id.to_owned())
}

fn new_document(d: &DocumentSite) -> String {
    format!("/appointments/{}/documents/new", d.appointment)
}

/// The site's calendar day (the demo site is in Luxembourg).
fn today() -> anyhow::Result<jiff::civil::Date> {
    let zone = jiff::tz::TimeZone::get("Europe/Luxembourg")?;
    Ok(jiff::Timestamp::now().to_zoned_datetime(zone).date())
}

#[tokio::test]
async fn the_appointment_page_offers_its_practitioner_one_form_per_kind_and_the_patient_none()
-> anyhow::Result<()> {
    let d = DocumentSite::start(980).await?;
    let appointment_page = format!("/appointments/{}", d.appointment);
    let html = page(&d, &d.weber, &appointment_page).await?;
    let new = new_document(&d);
    for kind in [
        "prescription",
        "lab_request",
        "sick_leave_certificate",
        "fee_memo",
        "consultation_report",
    ] {
        assert!(html.contains(&format!("{new}?kind={kind}")), "{kind}");
    }
    assert!(
        html.contains("Aucun document n&#39;a encore été émis")
            || html.contains("Aucun document n'a encore été émis"),
        "{html}"
    );
    let html = page(&d, &d.patient, &appointment_page).await?;
    assert!(!html.contains(&new), "the patient issues nothing");
    let (status, _) = get_page(&d.site, &d.patient, &format!("{new}?kind=fee_memo")).await?;
    assert_eq!(status, 404, "nor through the form");
    Ok(())
}

#[tokio::test]
async fn a_sick_leave_form_reports_a_bad_period_on_its_field_then_links_its_three_parts()
-> anyhow::Result<()> {
    let d = DocumentSite::start(982).await?;
    let new = new_document(&d);
    let today = today()?;
    let until = today.checked_add(jiff::Span::new().days(6))?;
    let before = today.checked_sub(jiff::Span::new().days(1))?;
    let leave_form = |to: String| {
        vec![
            ("kind", "sick_leave_certificate".to_owned()),
            ("from", today.to_string()),
            ("to", to),
            ("diagnosis", "Lombalgie aiguë".to_owned()),
        ]
    };
    let (status, _, html) = post(&d, &d.weber, &new, &leave_form(before.to_string())).await?;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Veuillez corriger les points suivants"),
        "{html}"
    );
    assert!(html.contains("id=\"to-error\""), "{html}");
    assert!(html.contains("Indiquez le dernier jour"), "{html}");
    assert!(html.contains("Lombalgie aiguë"), "typed values are kept");

    let (status, at, html) = post(&d, &d.weber, &new, &leave_form(until.to_string())).await?;
    assert_eq!(status, 200, "{html}");
    let leave = document_id(&at)?;
    assert!(html.contains("Le document est émis."), "{html}");
    for (part, label) in [
        ("1", "Volet 1 : pour la caisse de maladie (PDF)"),
        ("2", "Volet 2 : pour le patient (PDF)"),
        ("3", "Volet 3 : pour l&#39;employeur (PDF)"),
    ] {
        let link = format!("/documents/{leave}/pdf?part={part}");
        assert!(
            html.contains(&format!("href=\"{link}\"")),
            "{link} in {html}"
        );
        assert!(
            html.contains(label) || html.contains(&label.replace("&#39;", "'")),
            "{label}"
        );
        pdf_of(&d.site, &d.patient, &link).await?;
    }
    // Nobody else downloads it.
    let (status, _) = get_page(
        &d.site,
        &d.pharmacist,
        &format!("/documents/{leave}/pdf?part=3"),
    )
    .await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn a_fee_memo_in_euros_is_paid_once_from_the_patients_page_and_listed_on_home()
-> anyhow::Result<()> {
    let d = DocumentSite::start(984).await?;
    let new = new_document(&d);
    // An earlier document, for the order on the home page.
    let earlier = d
        .issue(&json!({"kind": "consultation_report", "reason": "Lombalgie", "findings": "Contracture"}))
        .await?;
    let earlier = earlier["id"].as_str().context("id")?.to_owned();
    // Amounts typed in euros, a blank line left out.
    let fields = [
        ("kind", "fee_memo"),
        ("acts[0].code", "C1"),
        ("acts[0].label", "Consultation"),
        ("acts[0].amount", "52,30"),
        ("acts[1].code", ""),
        ("acts[2].code", "TLM"),
        ("acts[2].label", "Supplément télémédecine"),
        ("acts[2].amount", "7.5"),
    ]
    .map(|(k, v)| (k, v.to_owned()));
    let (status, at, html) = post(&d, &d.weber, &new, &fields).await?;
    assert_eq!(status, 200, "{html}");
    let memo = document_id(&at)?;
    assert!(html.contains("59.80"), "the total: {html}");
    let view = d
        .site
        .get_ok(&d.weber, &format!("/api/v1/documents/{memo}"))
        .await?;
    assert_eq!(view["total_cents"], 5980, "{view}");
    assert_eq!(view["content"]["acts"].as_array().map(Vec::len), Some(2));

    // The patient sees what is due; the payment is recorded by the issuer only (issue #18).
    let paid = format!("/documents/{memo}/paid");
    let html = page(&d, &d.patient, &format!("/documents/{memo}")).await?;
    assert!(!html.contains(&format!("action=\"{paid}\"")), "{html}");
    assert!(html.contains("À payer"));
    let (status, _, _) = post(&d, &d.patient, &paid, &[]).await?;
    assert_eq!(status, 404, "not the patient's to record");
    let html = page(&d, &d.weber, &format!("/documents/{memo}")).await?;
    assert!(html.contains(&format!("action=\"{paid}\"")), "{html}");
    let (status, at, html) = post(&d, &d.weber, &paid, &[]).await?;
    assert_eq!(
        (status, at.as_str()),
        (200, format!("/documents/{memo}?paid=1").as_str())
    );
    assert!(html.contains("Payé le"), "{html}");
    assert!(
        !html.contains(&format!("action=\"{paid}\"")),
        "no second button"
    );
    let view = d
        .site
        .get_ok(&d.patient, &format!("/api/v1/documents/{memo}"))
        .await?;
    assert_eq!(view["payment"]["paid_by"], "practitioner", "{view}");
    let (status, _, html) = post(&d, &d.weber, &paid, &[]).await?;
    assert_eq!(status, 409);
    assert!(html.contains("déjà marqué comme payé"), "{html}");
    let (status, _, _) = post(&d, &d.pharmacist, &paid, &[]).await?;
    assert_eq!(status, 404, "not the pharmacist's");

    // The patient's home page and list show both documents, newest first.
    let home = page(&d, &d.patient, "/home").await?;
    let (memo_at, earlier_at) = (
        home.find(&format!("/documents/{memo}")),
        home.find(&format!("/documents/{earlier}")),
    );
    assert!(
        memo_at.is_some() && earlier_at.is_some() && memo_at < earlier_at,
        "{home}"
    );
    assert!(!home.contains("Vous n&#39;avez pas encore de document"));
    let list = page(&d, &d.patient, "/documents").await?;
    assert!(list.contains(&format!("/documents/{memo}")));
    Ok(())
}

#[tokio::test]
async fn the_pharmacist_finds_a_prescription_by_qr_text_or_national_id_and_dispenses_once()
-> anyhow::Result<()> {
    let d = DocumentSite::start(986).await?;
    let rx = d
        .issue(&json!({"kind": "prescription", "items": [
            {"medication": "Ibuprofène", "dose": "400 mg", "form": "comprimé",
             "posology": "1 comprimé 3 fois par jour", "duration": "5 jours"},
            {"medication": "Thiocolchicoside", "dose": "4 mg", "form": "gélule",
             "posology": "2 par jour", "duration": "5 jours"}]}))
        .await?;
    let rx = rx["id"].as_str().context("id")?.to_owned();
    let (status, _) = get_page(&d.site, &d.patient, "/pharmacy").await?;
    assert_eq!(status, 404, "patients have no pharmacy page");
    let html = page(&d, &d.pharmacist, "/home").await?;
    assert!(html.contains("href=\"/pharmacy\""), "{html}");
    let html = page(&d, &d.pharmacist, "/pharmacy").await?;
    assert!(html.contains("name=\"token\""), "{html}");

    let unknown = [("token", "not-a-real-token".to_owned())];
    let (status, _, html) = post(&d, &d.pharmacist, "/pharmacy", &unknown).await?;
    assert_eq!(status, 404);
    assert!(
        html.contains("Aucune ordonnance ne porte ce code"),
        "{html}"
    );
    // The QR code's text, as a USB scanner types it into the look-up field, finds that
    // prescription (and the look-up is a POST: the token never lands in a URL).
    let pdf = d
        .pdf(&d.patient, &format!("/api/v1/documents/{rx}/pdf"))
        .await?;
    let token = qr_codes(&pdf)?
        .pop()
        .context("no QR code on the prescription")?;
    let (status, at, html) = post(&d, &d.pharmacist, "/pharmacy", &[("token", token)]).await?;
    assert_eq!((status, at.as_str()), (200, "/pharmacy"), "{html}");
    assert!(
        html.contains(&format!("action=\"/pharmacy/{rx}/dispense\"")),
        "{html}"
    );
    assert!(html.contains("Thiocolchicoside"), "{html}");

    let national_id = d.patient_national_id.clone();
    let by_id = [("national_id", national_id.clone())];
    let (status, _, html) = post(&d, &d.pharmacist, "/pharmacy", &by_id).await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("action=\"/pharmacy/{rx}/dispense\"")),
        "{html}"
    );
    assert!(html.contains("Ibuprofène") && html.contains(&d.patient_name));
    let dispense = format!("/pharmacy/{rx}/dispense");
    let once = [("item", "0".to_owned()), ("national_id", national_id)];
    let (status, _, html) = post(&d, &d.pharmacist, &dispense, &once).await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Enregistré : les lignes cochées sont délivrées."),
        "{html}"
    );
    assert!(html.contains("Délivré le"), "{html}");
    let (status, _, html) = post(&d, &d.pharmacist, &dispense, &once).await?;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("Rien n&#39;a été enregistré : ces lignes ont déjà été délivrées.")
            || html.contains("Rien n'a été enregistré : ces lignes ont déjà été délivrées."),
        "{html}"
    );
    let (status, _, html) = post(&d, &d.pharmacist, &dispense, &by_id).await?;
    assert_eq!(status, 422);
    assert!(html.contains("Cochez au moins une ligne"), "{html}");
    let view = d
        .site
        .get_ok(&d.weber, &format!("/api/v1/documents/{rx}"))
        .await?;
    assert!(
        view["dispensed"][0].is_string() && view["dispensed"][1].is_null(),
        "{view}"
    );
    Ok(())
}
