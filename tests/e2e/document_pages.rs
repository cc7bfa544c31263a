//! The document pages of issue #7 without a browser (the browser journey is in `browser.rs`):
//! requests with the session cookie and forms with the session's CSRF token, as a browser
//! sends them. The practitioner issues a sick-leave certificate (a bad period first: the error
//! is on its field) and gets the three part links; a fee memo in euros with a blank line, paid
//! from the patient's page, then refused a second time; the pharmacist finds a prescription by
//! the patient's national id, dispenses an item, and is told in words when trying again.

use anyhow::Context;
use serde_json::{Value, json};
use teleconsult_tests::accounts::{
    Login, PASSWORD, login, phone, register_and_activate, registration, sinks_config,
};
use teleconsult_tests::pages::{get_page, post_form};
use teleconsult_tests::sinks::{SmsSink, SmtpSink};
use teleconsult_tests::{Daemon, DaemonOptions};

const DR_WEBER: &str = "00000000-0000-0000-0000-00007c1e0001";

async fn api(
    daemon: &Daemon,
    who: &Login,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, Value)> {
    let request = match body {
        Some(body) => daemon.client.post(daemon.url(path)).json(body),
        None => daemon.client.get(daemon.url(path)),
    };
    let r = request.header("authorization", who.bearer()).send().await?;
    Ok((r.status().as_u16(), r.json().await.unwrap_or(Value::Null)))
}

/// The id in a `/documents/{id}?…` path.
fn document_id(at: &str) -> anyhow::Result<String> {
    let id = at
        .strip_prefix("/documents/")
        .and_then(|rest| rest.split('?').next())
        .with_context(|| format!("not a document page: {at}"))?;
    Ok(id.to_owned())
}

/// A page link answers a PDF to `who`.
async fn is_pdf(daemon: &Daemon, who: &Login, path: &str) -> anyhow::Result<()> {
    teleconsult_tests::pages::pdf_of(daemon, who, path)
        .await
        .map(drop)
}

#[tokio::test]
async fn document_pages_sick_leave_parts_fee_memo_paid_and_pharmacy_dispensing()
-> anyhow::Result<()> {
    let smtp = SmtpSink::start()?;
    let sms = SmsSink::start().await?;
    let daemon = Daemon::start(DaemonOptions {
        demo: true,
        extra_config: sinks_config(&smtp, &sms),
        ..Default::default()
    })
    .await?;
    let d = &daemon;
    let form = registration(980);
    register_and_activate(d, &smtp, &form).await?;
    let national_id = form["national_id"].as_str().unwrap_or_default().to_owned();
    let patient = login(d, &sms, "patient980@example.lu", PASSWORD, &phone(980), 0).await?;
    let weber = login(d, &sms, "dr.weber", "demo doctor 2026", "+352621000002", 0).await?;
    let pharmacist = login(
        d,
        &sms,
        "pharmacist",
        "demo pharmacist 2026",
        "+352621000005",
        0,
    )
    .await?;
    let appointment = teleconsult_tests::booking::book_id_with_lead(
        d,
        &patient,
        DR_WEBER,
        teleconsult_tests::booking::MIN_LEAD,
        json!({"reason": "lombalgie"}),
    )
    .await?;

    // The appointment page offers the practitioner one form per kind; not the patient.
    let (status, html) = get_page(d, &weber, &format!("/appointments/{appointment}")).await?;
    assert_eq!(status, 200);
    let new = format!("/appointments/{appointment}/documents/new");
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
    let (status, html) = get_page(d, &patient, &format!("/appointments/{appointment}")).await?;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains(&new), "the patient issues nothing");
    let (status, _) = get_page(d, &patient, &format!("{new}?kind=fee_memo")).await?;
    assert_eq!(status, 404, "nor through the form");

    // Sick leave: a period ending before it starts is refused on the "to" field.
    let zone = jiff::tz::TimeZone::get("Europe/Luxembourg")?;
    let today = jiff::Timestamp::now().to_zoned_datetime(zone).date();
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
    let post = |who: &Login, path: String, fields: Vec<(&'static str, String)>| {
        let who = who.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(d, &who, &path, &fields).await
        }
    };
    let (status, _, html) = post(&weber, new.clone(), leave_form(before.to_string())).await?;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Veuillez corriger les points suivants"),
        "{html}"
    );
    assert!(html.contains("id=\"to-error\""), "{html}");
    assert!(html.contains("Indiquez le dernier jour"), "{html}");
    assert!(html.contains("Lombalgie aiguë"), "typed values are kept");

    let (status, at, html) = post(&weber, new.clone(), leave_form(until.to_string())).await?;
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
        is_pdf(d, &patient, &link).await?;
    }
    // Nobody else downloads it.
    let r = d
        .client
        .get(d.url(&format!("/documents/{leave}/pdf?part=3")))
        .header("cookie", format!("tc_session={}", pharmacist.token))
        .header("accept", "text/html")
        .send()
        .await?;
    assert_eq!(r.status(), 404);

    // Fee memo: amounts typed in euros, a blank line left out; no "mark as paid" twice.
    let (status, at, html) = post(
        &weber,
        new.clone(),
        vec![
            ("kind", "fee_memo".to_owned()),
            ("acts[0].code", "C1".to_owned()),
            ("acts[0].label", "Consultation".to_owned()),
            ("acts[0].amount", "52,30".to_owned()),
            ("acts[1].code", String::new()),
            ("acts[2].code", "TLM".to_owned()),
            ("acts[2].label", "Supplément télémédecine".to_owned()),
            ("acts[2].amount", "7.5".to_owned()),
        ],
    )
    .await?;
    assert_eq!(status, 200, "{html}");
    let memo = document_id(&at)?;
    assert!(html.contains("59.80"), "the total: {html}");
    let (_, view) = api(d, &weber, &format!("/api/v1/documents/{memo}"), None).await?;
    assert_eq!(view["total_cents"], 5980, "{view}");
    assert_eq!(view["content"]["acts"].as_array().map(Vec::len), Some(2));

    let (_, html) = get_page(d, &patient, &format!("/documents/{memo}")).await?;
    assert!(
        html.contains(&format!("action=\"/documents/{memo}/paid\"")),
        "{html}"
    );
    assert!(html.contains("À payer"));
    let paid = format!("/documents/{memo}/paid");
    let (status, at, html) = post(&patient, paid.clone(), Vec::new()).await?;
    assert_eq!(
        (status, at.as_str()),
        (200, format!("/documents/{memo}?paid=1").as_str())
    );
    assert!(html.contains("Payé le"), "{html}");
    assert!(
        !html.contains(&format!("action=\"{paid}\"")),
        "no second button"
    );
    let (_, view) = api(d, &patient, &format!("/api/v1/documents/{memo}"), None).await?;
    assert_eq!(view["payment"]["paid_by"], "patient", "{view}");
    let (status, _, html) = post(&weber, paid.clone(), Vec::new()).await?;
    assert_eq!(status, 409);
    assert!(html.contains("déjà marqué comme payé"), "{html}");
    let (status, _, _) = post(&pharmacist, paid, Vec::new()).await?;
    assert_eq!(status, 404, "not the pharmacist's");

    // The patient's home page and list show both documents, newest first.
    let (_, home) = get_page(d, &patient, "/home").await?;
    let (memo_at, leave_at) = (
        home.find(&format!("/documents/{memo}")),
        home.find(&format!("/documents/{leave}")),
    );
    assert!(
        memo_at.is_some() && leave_at.is_some() && memo_at < leave_at,
        "{home}"
    );
    assert!(!home.contains("Vous n&#39;avez pas encore de document"));
    let (status, list) = get_page(d, &patient, "/documents").await?;
    assert_eq!(status, 200);
    assert!(list.contains(&format!("/documents/{memo}")));

    // Pharmacy: a prescription issued by the API, found by national id, dispensed once.
    let (status, rx) = api(
        d,
        &weber,
        &format!("/api/v1/appointments/{appointment}/documents"),
        Some(&json!({"kind": "prescription", "items": [
            {"medication": "Ibuprofène", "dose": "400 mg", "form": "comprimé",
             "posology": "1 comprimé 3 fois par jour", "duration": "5 jours"},
            {"medication": "Thiocolchicoside", "dose": "4 mg", "form": "gélule",
             "posology": "2 par jour", "duration": "5 jours"}]})),
    )
    .await?;
    assert_eq!(status, 201, "{rx}");
    let rx = rx["id"].as_str().context("id")?.to_owned();
    let (status, _) = get_page(d, &patient, "/pharmacy").await?;
    assert_eq!(status, 404, "patients have no pharmacy page");
    let (status, html) = get_page(d, &pharmacist, "/home").await?;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/pharmacy\""), "{html}");
    let (status, html) = get_page(d, &pharmacist, "/pharmacy").await?;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"token\""), "{html}");

    let (status, _, html) = post(
        &pharmacist,
        "/pharmacy".to_owned(),
        vec![("token", "not-a-real-token".to_owned())],
    )
    .await?;
    assert_eq!(status, 404);
    assert!(
        html.contains("Aucune ordonnance ne porte ce code"),
        "{html}"
    );
    // The QR code's text, as a USB scanner types it into the look-up field, finds that
    // prescription (and the look-up is a POST: the token never lands in a URL).
    let pdf = d
        .client
        .get(d.url(&format!("/api/v1/documents/{rx}/pdf")))
        .header("authorization", patient.bearer())
        .send()
        .await?
        .bytes()
        .await?;
    let token = teleconsult_tests::documents::qr_codes(&pdf)?
        .pop()
        .context("no QR code on the prescription")?;
    let (status, at, html) =
        post(&pharmacist, "/pharmacy".to_owned(), vec![("token", token)]).await?;
    assert_eq!((status, at.as_str()), (200, "/pharmacy"), "{html}");
    assert!(
        html.contains(&format!("action=\"/pharmacy/{rx}/dispense\"")),
        "{html}"
    );
    assert!(html.contains("Thiocolchicoside"), "{html}");

    let (status, _, html) = post(
        &pharmacist,
        "/pharmacy".to_owned(),
        vec![("national_id", national_id.clone())],
    )
    .await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("action=\"/pharmacy/{rx}/dispense\"")),
        "{html}"
    );
    assert!(html.contains("Ibuprofène") && html.contains("Zebulonia Quackenbush980"));
    let dispense = format!("/pharmacy/{rx}/dispense");
    let once = vec![
        ("item", "0".to_owned()),
        ("national_id", national_id.clone()),
    ];
    let (status, _, html) = post(&pharmacist, dispense.clone(), once.clone()).await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Enregistré : les lignes cochées sont délivrées."),
        "{html}"
    );
    assert!(html.contains("Délivré le"), "{html}");
    let (status, _, html) = post(&pharmacist, dispense.clone(), once).await?;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("Rien n&#39;a été enregistré : ces lignes ont déjà été délivrées.")
            || html.contains("Rien n'a été enregistré : ces lignes ont déjà été délivrées."),
        "{html}"
    );
    let (status, _, html) = post(
        &pharmacist,
        dispense,
        vec![("national_id", national_id.clone())],
    )
    .await?;
    assert_eq!(status, 422);
    assert!(html.contains("Cochez au moins une ligne"), "{html}");
    let (_, view) = api(d, &weber, &format!("/api/v1/documents/{rx}"), None).await?;
    assert!(
        view["dispensed"][0].is_string() && view["dispensed"][1].is_null(),
        "{view}"
    );
    Ok(())
}
