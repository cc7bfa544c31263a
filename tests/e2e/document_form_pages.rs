//! The practitioner's document forms of issue #7 that `document_pages.rs` leaves to the API
//! tests, driven as a browser without script drives them: the login pages (password, then the
//! SMS code), then forms posted with the session cookie and the session's CSRF token, redirects
//! followed. A lab request to a laboratory chosen from the directory, with a home visit; a
//! consultation report in several alphabets; a form missing what it needs answers 422 with the
//! message on its field and issues nothing; a correction through the document's "correct" form
//! supersedes the original on both pages and in the patient's list. The patient of the
//! appointment sees every document; another patient gets the 404 page.

use anyhow::Context;
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::{Login, PASSWORD, phone};
use teleconsult_tests::documents::{book, pdf_text};
use teleconsult_tests::pages::{get_page, page_login, pdf_of, post_form};
use teleconsult_tests::site::{Site, WEBER};

/// A demo site with Dr Weber, the patient of one of his appointments and another patient, all
/// logged in through the login pages.
struct Forms {
    site: Site,
    weber: Login,
    patient: Login,
    other: Login,
    /// The patient's name, as documents show it.
    patient_name: String,
    appointment: String,
}

async fn site(n: u32) -> anyhow::Result<Forms> {
    let site = Site::demo("").await?;
    site.register(n).await?;
    site.register(n + 1).await?;
    let sms = &site.sms;
    let weber = page_login(&site, sms, WEBER.login, WEBER.password, WEBER.phone).await?;
    let patient = page_login(
        &site,
        sms,
        &format!("patient{n}@example.lu"),
        PASSWORD,
        &phone(n),
    )
    .await?;
    let other = page_login(
        &site,
        sms,
        &format!("patient{}@example.lu", n + 1),
        PASSWORD,
        &phone(n + 1),
    )
    .await?;
    let appointment = book(&site, &patient).await?;
    Ok(Forms {
        site,
        weber,
        patient,
        other,
        patient_name: format!("Zebulonia Quackenbush{n}"),
        appointment,
    })
}

/// The HTML with the escapes a browser decodes, so texts compare as shown.
fn decoded(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A page's HTML, decoded; fails unless it answered `status`.
async fn page(d: &Daemon, who: &Login, path: &str, status: u16) -> anyhow::Result<String> {
    let (got, html) = get_page(d, who, path).await?;
    anyhow::ensure!(got == status, "GET {path}: {got}, not {status}:\n{html}");
    Ok(decoded(&html))
}

/// A form posted with `who`'s session: status, where it landed, decoded HTML.
async fn post(
    d: &Daemon,
    who: &Login,
    path: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, String, String)> {
    let (status, at, html) = post_form(d, who, path, fields).await?;
    Ok((status, at, decoded(&html)))
}

/// The value of the `<dt>label</dt><dd>…</dd>` fact of a document page.
fn fact(html: &str, label: &str) -> Option<String> {
    let open = format!("<dt>{label}</dt><dd>");
    let start = html.find(&open)? + open.len();
    let end = html[start..].find("</dd>")?;
    Some(html[start..start + end].to_owned())
}

/// The text of textarea `name`.
fn textarea(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("<textarea id=\"{name}\""))?;
    let start = at + html[at..].find('>')? + 1;
    let end = html[start..].find("</textarea>")?;
    Some(html[start..start + end].to_owned())
}

/// The options of select `name`: value, label and whether it is selected.
fn options(html: &str, name: &str) -> Vec<(String, String, bool)> {
    let Some(at) = html.find(&format!("<select id=\"{name}\"")) else {
        return Vec::new();
    };
    let end = html[at..].find("</select>").map_or(html.len(), |e| at + e);
    html[at..end]
        .split("<option value=\"")
        .skip(1)
        .filter_map(|o| {
            let (value, rest) = o.split_once('"')?;
            let (attributes, rest) = rest.split_once('>')?;
            let (label, _) = rest.split_once("</option>")?;
            Some((
                value.to_owned(),
                label.to_owned(),
                attributes.contains("selected"),
            ))
        })
        .collect()
}

/// The documents a page links to (`/documents/{id}`), in page order, each once.
fn document_links(html: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for piece in html.split("href=\"/documents/").skip(1) {
        let id = piece.split('"').next().unwrap_or_default();
        if id.len() == 36 && !id.contains('/') && !ids.iter().any(|i| i == id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

/// The id in a `/documents/{id}?…` path.
fn document_id(at: &str) -> anyhow::Result<String> {
    let id = at
        .strip_prefix("/documents/")
        .and_then(|rest| rest.split('?').next())
        .filter(|id| !id.contains('/'))
        .with_context(|| format!("not a document page: {at}"))?;
    Ok(id.to_owned())
}

/// The document's PDF through the page's download link, as `who` downloads it.
async fn page_pdf(d: &Daemon, who: &Login, id: &str, html: &str) -> anyhow::Result<String> {
    let path = format!("/documents/{id}/pdf");
    anyhow::ensure!(
        html.contains(&format!("href=\"{path}\"")),
        "no download link {path}:\n{html}"
    );
    let bytes = pdf_of(d, who, &path).await?;
    pdf_text(&bytes)
}

/// The patient of the appointment finds each document in their list and opens it; the other
/// patient has none of them and gets the 404 page (and no PDF).
async fn only_their_patient(s: &Forms, ids: &[&str]) -> anyhow::Result<()> {
    let d = &s.site;
    let list = page(d, &s.patient, "/documents", 200).await?;
    let listed = document_links(&list);
    let others = page(d, &s.other, "/documents", 200).await?;
    assert!(
        document_links(&others).is_empty(),
        "the other patient's list:\n{others}"
    );
    for id in ids {
        assert!(
            listed.iter().any(|l| l == id),
            "{id} not in the patient's list:\n{list}"
        );
        let html = page(d, &s.patient, &format!("/documents/{id}"), 200).await?;
        assert!(html.contains(&s.patient_name), "{html}");
        for path in [format!("/documents/{id}"), format!("/documents/{id}/pdf")] {
            let (status, html) = get_page(d, &s.other, &path).await?;
            assert_eq!(status, 404, "other patient, {path}: {html}");
            assert!(!html.contains(&s.patient_name), "{path}: {html}");
        }
    }
    Ok(())
}

/// A browser's post of the lab-request form.
fn lab_form<'a>(
    laboratory: &'a str,
    tests: &'a str,
    home_visit: bool,
    information: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("kind", "lab_request"),
        ("laboratory_id", laboratory),
        ("tests", tests),
    ];
    if home_visit {
        fields.push(("home_visit", "on"));
    }
    fields.push(("clinical_information", information));
    fields.push(("issue", "1"));
    fields
}

const TESTS: &str = "Hémogramme complet\r\nProtéine C réactive\r\n\r\nFerritine\r\n";

/// Opens the lab-request form from the appointment page and issues it to the "Laboratoire du
/// Nord" with a home visit; returns the new document's id and its page.
async fn issue_lab_request(s: &Forms) -> anyhow::Result<(String, String)> {
    let d = &s.site;
    let appointment = &s.appointment;
    let new = format!("/appointments/{appointment}/documents/new?kind=lab_request");
    let html = page(d, &s.weber, &format!("/appointments/{appointment}"), 200).await?;
    assert!(html.contains(&format!("href=\"{new}\"")), "{html}");
    let form = page(d, &s.weber, &new, 200).await?;
    assert!(
        form.contains("Nouveau document : Prescription d'analyses de laboratoire"),
        "{form}"
    );
    assert!(form.contains(&format!("action=\"{new}\"")), "{form}");
    let labs = options(&form, "laboratory_id");
    let names: Vec<&str> = labs.iter().map(|(_, name, _)| name.as_str()).collect();
    for expected in [
        "Laboratoire d'analyses du Centre",
        "Laboratoire du Nord",
        "Bio Sud Analysen",
    ] {
        assert!(names.contains(&expected), "{expected} in {labs:?}");
    }
    assert!(
        labs.iter()
            .any(|(value, _, selected)| value.is_empty() && !selected),
        "a 'choose' option first: {labs:?}"
    );
    let nord = labs
        .iter()
        .find(|(_, name, _)| name == "Laboratoire du Nord")
        .map(|(value, _, _)| value.clone())
        .context("Laboratoire du Nord")?;
    let (status, at, html) = post(
        d,
        &s.weber,
        &new,
        &lab_form(&nord, TESTS, true, "Asthénie depuis 3 semaines"),
    )
    .await?;
    assert_eq!(status, 200, "{html}");
    let id = document_id(&at)?;
    assert_eq!(at, format!("/documents/{id}?issued=1"));
    Ok((id, html))
}

#[tokio::test]
async fn document_form_pages_lab_request_with_home_visit_and_refused_without_laboratory_or_tests()
-> anyhow::Result<()> {
    let s = site(985).await?;
    let d = &s.site;
    let new = format!(
        "/appointments/{}/documents/new?kind=lab_request",
        s.appointment
    );

    // Missing the laboratory, then the tests: 422, the message on the field, nothing issued.
    let (status, at, html) = post(d, &s.weber, &new, &lab_form("", TESTS, true, "")).await?;
    assert_eq!(status, 422, "{html}");
    assert_eq!(at, new, "the form again, where it was posted");
    assert!(
        html.contains("Veuillez corriger les points suivants"),
        "{html}"
    );
    assert!(html.contains("id=\"laboratory_id-error\""), "{html}");
    assert!(
        html.contains("Choisissez un laboratoire de la liste."),
        "{html}"
    );
    assert!(
        textarea(&html, "tests").is_some_and(|t| t.contains("Protéine C réactive")),
        "typed tests are kept: {html}"
    );
    assert!(
        html.contains("name=\"home_visit\" checked"),
        "the box stays ticked"
    );
    let nord = options(&html, "laboratory_id")
        .into_iter()
        .find(|(_, name, _)| name == "Laboratoire du Nord")
        .map(|(value, _, _)| value)
        .context("the laboratories again")?;
    let (status, _, html) = post(d, &s.weber, &new, &lab_form(&nord, " \r\n", false, "")).await?;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"tests-error\""), "{html}");
    assert!(html.contains("Indiquez au moins une analyse"), "{html}");
    assert!(
        options(&html, "laboratory_id")
            .iter()
            .any(|(value, _, selected)| *value == nord && *selected),
        "the chosen laboratory stays chosen"
    );
    for who in [&s.weber, &s.patient] {
        let list = page(d, who, "/documents", 200).await?;
        assert!(document_links(&list).is_empty(), "nothing issued: {list}");
    }

    // Issued: the document's page, then its PDF.
    let (id, html) = issue_lab_request(&s).await?;
    assert!(html.contains("Le document est émis."), "{html}");
    let number = fact(&html, "Numéro du document").context("number")?;
    assert!(
        html.contains(&format!(
            "<h1>Prescription d'analyses de laboratoire {number}</h1>"
        )),
        "{html}"
    );
    assert_eq!(
        fact(&html, "Laboratoire").as_deref(),
        Some("Laboratoire du Nord")
    );
    assert_eq!(
        fact(&html, "Prélèvement à domicile").as_deref(),
        Some("oui")
    );
    for test in ["Hémogramme complet", "Protéine C réactive", "Ferritine"] {
        assert!(html.contains(&format!("<li>{test}</li>")), "{test}: {html}");
    }
    assert!(html.contains("Asthénie depuis 3 semaines"), "{html}");
    assert_eq!(fact(&html, "État").as_deref(), Some("Émis"));
    let text = page_pdf(d, &s.weber, &id, &html).await?;
    for expected in [
        "Prescription d'analyses de laboratoire",
        number.as_str(),
        "Laboratoire du Nord",
        "Hémogramme complet",
        "Protéine C réactive",
        "Ferritine",
        "Prélèvement à domicile",
        "Asthénie depuis 3 semaines",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let home_visit = text
        .lines()
        .find(|l| l.contains("Prélèvement à domicile"))
        .unwrap_or_default();
    assert!(
        home_visit.contains("oui") && !home_visit.contains("non"),
        "home visit line: {home_visit:?} in:\n{text}"
    );
    let list = page(d, &s.weber, "/documents", 200).await?;
    assert_eq!(document_links(&list), [id.as_str()], "exactly one issued");

    only_their_patient(&s, &[&id]).await?;
    let html = page(d, &s.patient, &format!("/documents/{id}"), 200).await?;
    assert!(
        !html.contains(&format!("/documents/{id}/correct")),
        "the patient corrects nothing"
    );
    page_pdf(d, &s.patient, &id, &html).await?;
    Ok(())
}

#[tokio::test]
async fn document_form_pages_consultation_report_keeps_accents_and_requires_findings()
-> anyhow::Result<()> {
    let s = site(987).await?;
    let d = &s.site;
    let new = format!(
        "/appointments/{}/documents/new?kind=consultation_report",
        s.appointment
    );
    let form = page(d, &s.weber, &new, 200).await?;
    assert!(
        form.contains("Nouveau document : Compte rendu de consultation"),
        "{form}"
    );
    for field in ["reason", "findings", "conclusion"] {
        assert_eq!(textarea(&form, field).as_deref(), Some(""), "{field}");
    }
    let reason = "Maux de tête — Kopfschmerzen, dor de cabeça";
    let findings = "Céphalées, Übelkeit, ação";
    let conclusion = "Repos ; réévaluation à J7 (Größe, São João).";
    let report = |findings: &'static str| {
        vec![
            ("kind", "consultation_report"),
            ("reason", reason),
            ("findings", findings),
            ("conclusion", conclusion),
            ("issue", "1"),
        ]
    };

    // Without findings: 422 on that field, the rest kept, nothing issued.
    let (status, _, html) = post(d, &s.weber, &new, &report("  ")).await?;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("Veuillez corriger les points suivants"),
        "{html}"
    );
    assert!(html.contains("id=\"findings-error\""), "{html}");
    assert!(html.contains("Indiquez les constatations"), "{html}");
    assert_eq!(textarea(&html, "reason").as_deref(), Some(reason));
    assert_eq!(textarea(&html, "conclusion").as_deref(), Some(conclusion));
    for who in [&s.weber, &s.patient] {
        let list = page(d, who, "/documents", 200).await?;
        assert!(document_links(&list).is_empty(), "nothing issued: {list}");
    }

    let (status, at, html) = post(d, &s.weber, &new, &report(findings)).await?;
    assert_eq!(status, 200, "{html}");
    let id = document_id(&at)?;
    assert_eq!(at, format!("/documents/{id}?issued=1"));
    assert!(html.contains("Le document est émis."), "{html}");
    let number = fact(&html, "Numéro du document").context("number")?;
    assert!(
        html.contains(&format!("<h1>Compte rendu de consultation {number}</h1>")),
        "{html}"
    );
    for (label, value) in [
        ("Motif de consultation", reason),
        ("Constatations", findings),
        ("Conclusion", conclusion),
    ] {
        assert!(
            html.contains(&format!("<dt>{label}</dt><dd class=\"text\">{value}</dd>")),
            "{label}: {html}"
        );
    }
    let text = page_pdf(d, &s.weber, &id, &html).await?;
    for expected in [
        "Compte rendu de consultation",
        number.as_str(),
        "Céphalées, Übelkeit, ação",
        "Kopfschmerzen, dor de cabeça",
        "réévaluation à J7 (Größe, São João).",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let list = page(d, &s.weber, "/documents", 200).await?;
    assert_eq!(document_links(&list), [id.as_str()], "exactly one issued");

    only_their_patient(&s, &[&id]).await?;
    let html = page(d, &s.patient, &format!("/documents/{id}"), 200).await?;
    assert!(html.contains(findings), "{html}");
    let text = page_pdf(d, &s.patient, &id, &html).await?;
    assert!(text.contains(findings), "{text}");
    Ok(())
}

#[tokio::test]
async fn document_form_pages_correction_supersedes_the_original_on_pages_and_lists()
-> anyhow::Result<()> {
    let s = site(989).await?;
    let d = &s.site;
    let (original, html) = issue_lab_request(&s).await?;
    let original_number = fact(&html, "Numéro du document").context("number")?;
    let correct = format!("/documents/{original}/correct");
    assert!(html.contains(&format!("href=\"{correct}\"")), "{html}");

    // The correction form holds what the document says.
    let form = page(d, &s.weber, &correct, 200).await?;
    assert!(
        form.contains("Corriger : Prescription d'analyses de laboratoire"),
        "{form}"
    );
    assert!(
        form.contains(&format!("Vous corrigez le document {original_number}.")),
        "{form}"
    );
    assert!(form.contains(&format!("action=\"{correct}\"")), "{form}");
    assert!(form.contains("Émettre la version corrigée"), "{form}");
    assert_eq!(
        textarea(&form, "tests").as_deref(),
        Some("Hémogramme complet\nProtéine C réactive\nFerritine")
    );
    assert_eq!(
        textarea(&form, "clinical_information").as_deref(),
        Some("Asthénie depuis 3 semaines")
    );
    assert!(form.contains("name=\"home_visit\" checked"), "{form}");
    let labs = options(&form, "laboratory_id");
    let selected: Vec<&str> = labs
        .iter()
        .filter(|(_, _, selected)| *selected)
        .map(|(_, name, _)| name.as_str())
        .collect();
    assert_eq!(selected, ["Laboratoire du Nord"], "{labs:?}");
    let centre = labs
        .iter()
        .find(|(_, name, _)| name == "Laboratoire d'analyses du Centre")
        .map(|(value, _, _)| value.clone())
        .context("Laboratoire d'analyses du Centre")?;

    // A correction missing its tests is refused like a new document, nothing issued.
    let (status, at, html) = post(d, &s.weber, &correct, &lab_form(&centre, "", false, "")).await?;
    assert_eq!(status, 422, "{html}");
    assert_eq!(at, correct);
    assert!(html.contains("Indiquez au moins une analyse"), "{html}");
    assert_eq!(
        document_links(&page(d, &s.weber, "/documents", 200).await?),
        [original.as_str()]
    );

    // Another laboratory, a test more, no home visit.
    let tests = "Hémogramme complet\r\nProtéine C réactive\r\nFerritine\r\nTSH ultrasensible";
    let (status, at, html) = post(
        d,
        &s.weber,
        &correct,
        &lab_form(&centre, tests, false, "Asthénie depuis 3 semaines"),
    )
    .await?;
    assert_eq!(status, 200, "{html}");
    let corrected = document_id(&at)?;
    assert_eq!(at, format!("/documents/{corrected}?corrected=1"));
    assert_ne!(corrected, original);
    assert!(
        html.contains("La version corrigée est émise"),
        "the notice: {html}"
    );
    let number = fact(&html, "Numéro du document").context("number")?;
    assert_ne!(number, original_number);
    assert_eq!(
        fact(&html, "Remplace le document"),
        Some(format!(
            "<a href=\"/documents/{original}\">{original_number}</a>"
        )),
        "the new version names the original: {html}"
    );
    assert_eq!(fact(&html, "État").as_deref(), Some("Émis"));
    assert_eq!(
        fact(&html, "Laboratoire").as_deref(),
        Some("Laboratoire d'analyses du Centre")
    );
    assert_eq!(
        fact(&html, "Prélèvement à domicile").as_deref(),
        Some("non")
    );
    assert!(html.contains("<li>TSH ultrasensible</li>"), "{html}");
    assert!(
        html.contains(&format!("href=\"/documents/{corrected}/correct\"")),
        "the new version can be corrected in turn"
    );
    let text = page_pdf(d, &s.weber, &corrected, &html).await?;
    for expected in [
        "Remplace le document",
        original_number.as_str(),
        number.as_str(),
        "Laboratoire d'analyses du Centre",
        "TSH ultrasensible",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(!text.contains("Laboratoire du Nord"), "{text}");

    // The original says it is superseded, by which, and offers no second correction.
    let html = page(d, &s.weber, &format!("/documents/{original}"), 200).await?;
    let state = fact(&html, "État").context("state")?;
    assert!(
        state.starts_with(&format!("Remplacé par {number}"))
            && state.contains(&format!(
                "<a href=\"/documents/{corrected}\">voir la version corrigée</a>"
            )),
        "original's state: {state}"
    );
    assert!(!html.contains(&format!("href=\"{correct}\"")), "{html}");
    assert_eq!(
        fact(&html, "Laboratoire").as_deref(),
        Some("Laboratoire du Nord"),
        "the original is kept as it was"
    );
    // Its correction form now leads to its page, which says why, and posting it issues
    // nothing.
    let (status, at, html) = post(
        d,
        &s.weber,
        &correct,
        &lab_form(&centre, "Glycémie", false, ""),
    )
    .await?;
    assert_eq!(
        (status, at.as_str()),
        (
            200,
            format!("/documents/{original}?already_corrected=1").as_str()
        )
    );
    assert!(
        html.contains("Ce document a déjà été corrigé"),
        "the page says why nothing was issued"
    );
    let list = page(d, &s.weber, "/documents", 200).await?;
    assert_eq!(
        document_links(&list),
        [corrected.clone(), original.clone()],
        "two versions, newest first: {list}"
    );

    // The patient sees both versions, the original marked as replaced.
    only_their_patient(&s, &[&original, &corrected]).await?;
    let list = page(d, &s.patient, "/documents", 200).await?;
    assert_eq!(
        document_links(&list),
        [corrected.clone(), original.clone()],
        "{list}"
    );
    let original_item = list
        .split("<li")
        .find(|item| item.contains(&format!("href=\"/documents/{original}\"")))
        .context("the original in the list")?;
    assert!(
        original_item.contains("superseded") && original_item.contains("— Remplacé"),
        "{original_item}"
    );
    let corrected_item = list
        .split("<li")
        .find(|item| item.contains(&format!("href=\"/documents/{corrected}\"")))
        .context("the correction in the list")?;
    assert!(
        corrected_item.contains(&format!("Prescription d'analyses de laboratoire {number}"))
            && !corrected_item.contains("Remplacé"),
        "{corrected_item}"
    );
    let html = page(d, &s.patient, &format!("/documents/{original}"), 200).await?;
    assert!(
        fact(&html, "État")
            .is_some_and(|state| state.starts_with(&format!("Remplacé par {number}"))),
        "{html}"
    );
    let html = page(d, &s.patient, &format!("/documents/{corrected}"), 200).await?;
    assert!(
        fact(&html, "Remplace le document").is_some_and(|o| o.contains(&original_number)),
        "{html}"
    );
    let (status, _, _) = post(
        d,
        &s.patient,
        &format!("/documents/{corrected}/correct"),
        &lab_form(&centre, "Glycémie", false, ""),
    )
    .await?;
    assert_eq!(status, 404, "patients correct nothing");
    Ok(())
}
