//! Secure messaging outside consultations (issue #7): once they have an appointment together,
//! the patient side and the practitioner write to each other, with files, through the API and
//! the pages; the other side is told by e-mail without the content; reads are marked; nobody
//! else reads or writes; bad input is a clear 4xx.

use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::booking::book_weber;
use teleconsult_tests::pages::{get_page, post_form};
use teleconsult_tests::site::{Clinic, Site};

use teleconsult_tests::booking::DR_WEBER;
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const WAIT: Duration = Duration::from_secs(20);

/// A file posted through the conversation page's multipart form (`csrf`, `text`, `file`);
/// redirects followed. Returns the status, where it landed and the HTML.
async fn post_message_form(
    site: &Site,
    who: &teleconsult_tests::accounts::Login,
    path: &str,
    csrf: &str,
    text: &str,
    file: Option<(&str, &str, Vec<u8>)>,
) -> anyhow::Result<(u16, String, String)> {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("text", text.to_owned());
    if let Some((name, content_type, content)) = file {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(content)
                .file_name(name.to_owned())
                .mime_str(content_type)?,
        );
    }
    let r = site
        .client
        .post(site.url(path))
        .header("cookie", format!("tc_session={}", who.token))
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    let url = r.url().clone();
    let at = format!(
        "{}{}",
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    Ok((status, at, r.text().await?))
}

#[tokio::test]
async fn patient_and_practitioner_write_to_each_other_and_nobody_else_reads_it()
-> anyhow::Result<()> {
    let Clinic {
        site,
        staff,
        weber,
        ferreira,
        owner,
        stranger,
    } = Site::clinic(85).await?;
    let (_, me) = site.get(&owner, "/api/v1/me").await?;
    let own = me["patient"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no patient id in {me}"))?
        .to_owned();
    let conversation = format!("/api/v1/conversations/{own}/{DR_WEBER}");
    let write = format!("{conversation}/messages");
    let post = |who, body: Value| {
        let write = write.clone();
        let site = &site;
        async move {
            site.send(Some(who), reqwest::Method::POST, &write, Some(&body))
                .await
        }
    };

    // No appointment together yet: no conversation (404, as for what does not exist).
    let (status, _) = post(&owner, json!({"text": "Bonjour"})).await?;
    assert_eq!(status, 404);
    let (status, list) = site.get(&owner, "/api/v1/conversations").await?;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(0)));

    // Booked: the practitioner is listed, nothing written yet.
    let appointment = book_weber(&site, &owner, Duration::from_secs(3 * 24 * 3600)).await?;
    let (_, list) = site.get(&owner, "/api/v1/conversations").await?;
    assert_eq!(list[0]["practitioner_id"], DR_WEBER, "{list}");
    assert_eq!(
        (list[0]["messages"].as_u64(), &list[0]["last_at"]),
        (Some(0), &Value::Null)
    );

    // The patient writes; the practitioner is told by e-mail, without the content.
    let question = "Bonjour Docteure,\nputs-je continuer l'Ibuprofène avant la consultation ?";
    let (status, sent) = post(&owner, json!({"text": question})).await?;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(
        (sent["from"].as_str(), &sent["read_at"]),
        (Some("patient"), &Value::Null)
    );
    let mail = site
        .smtp
        .wait_for("dr.weber@demo.invalid", "nouveau message", WAIT)
        .await?;
    assert!(
        !mail.body.contains("Ibuprof")
            && mail.body.contains(&format!("/messages/{own}/{DR_WEBER}")),
        "the mail links to the conversation, without its content:\n{}",
        mail.body
    );

    // A file with a note, through the API: type and content checked as in the call.
    let files = format!("{conversation}/files?name=r%C3%A9sultats.pdf&text=Mes%20r%C3%A9sultats");
    let (status, with_file) = site
        .post_bytes(&owner, &files, "application/pdf", PDF.to_vec())
        .await?;
    assert_eq!(status, 201, "{with_file}");
    assert_eq!(with_file["file"]["file_name"], "résultats.pdf");
    let (status, _) = site
        .post_bytes(&owner, &files, "text/plain", b"hello".to_vec())
        .await?;
    assert_eq!(status, 415);
    let (status, body) = site
        .post_bytes(&owner, &files, "application/pdf", b"hello".to_vec())
        .await?;
    assert_eq!(
        (status, body["fields"]["file"].is_string()),
        (422, true),
        "{body}"
    );

    // Bad texts: a clear 422 on `text`, or 400/422 for a malformed body.
    for bad in [
        json!({"text": "   "}),
        json!({"text": "x".repeat(4001)}),
        json!({"text": "a\u{1}b"}),
    ] {
        let (status, body) = post(&owner, bad).await?;
        assert_eq!(
            (status, body["fields"]["text"].is_string()),
            (422, true),
            "{body}"
        );
    }
    let (status, _) = post(&owner, json!({"txt": "typo"})).await?;
    assert!(matches!(status, 400 | 422), "{status}");

    // The practitioner sees two unread, reads them (marked read), answers.
    let (_, list) = site.get(&weber, "/api/v1/conversations").await?;
    assert_eq!(
        (list[0]["patient_id"].as_str(), list[0]["unread"].as_u64()),
        (Some(own.as_str()), Some(2)),
        "{list}"
    );
    let (status, thread) = site.get(&weber, &conversation).await?;
    assert_eq!(status, 200, "{thread}");
    let texts: Vec<&str> = thread["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, [question, "Mes résultats"]);
    let (_, list) = site.get(&weber, "/api/v1/conversations").await?;
    assert_eq!(list[0]["unread"].as_u64(), Some(0));
    let (status, answer) = post(
        &weber,
        json!({"text": "Oui, 400 mg au plus trois fois par jour."}),
    )
    .await?;
    assert_eq!(
        (status, answer["from"].as_str()),
        (201, Some("practitioner"))
    );
    site.smtp
        .wait_for("patient85@example.lu", "nouveau message", WAIT)
        .await?;
    let (_, thread) = site.get(&owner, &conversation).await?;
    assert!(
        thread["messages"][0]["read_at"].is_string(),
        "the patient sees it was read"
    );
    assert_eq!(thread["side"], "patient");

    // The file: the parties download it, nobody else.
    let url = with_file["file"]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = site
        .client
        .get(site.url(&url))
        .header("authorization", weber.bearer())
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await?.as_ref(), PDF);
    for who in [&stranger, &ferreira, &staff] {
        assert_eq!(site.get(who, &url).await?.0, 404);
        assert_eq!(site.get(who, &conversation).await?.0, 404);
        let (status, _) = site
            .send(
                Some(who),
                reqwest::Method::POST,
                &write,
                Some(&json!({"text": "x"})),
            )
            .await?;
        assert_eq!(status, 404);
    }
    assert_eq!(site.get(&staff, "/api/v1/conversations").await?.0, 403);

    // Pages: the list, the conversation, the form with a file; forged and wrong requests.
    let (status, html) = get_page(&site, &owner, "/messages").await?;
    assert_eq!(status, 200);
    assert!(html.contains("Dr Anne Weber"));
    let page = format!("/messages/{own}/{DR_WEBER}");
    let (status, html) = get_page(&site, &owner, &page).await?;
    assert_eq!(status, 200);
    assert!(html.contains("400 mg au plus"), "the answer shows");
    assert!(
        html.contains("Ibuprofène avant"),
        "line breaks and accents kept"
    );
    let (status, at, _) = post_message_form(
        &site,
        &owner,
        &page,
        &owner.csrf,
        "Voici la photo demandée.",
        Some(("photo.pdf", "application/pdf", PDF.to_vec())),
    )
    .await?;
    assert_eq!(
        (status, at.as_str()),
        (200, format!("{page}?sent=1").as_str())
    );
    let (status, _, html) = post_message_form(
        &site,
        &owner,
        &page,
        &owner.csrf,
        "Et ceci",
        Some(("notes.txt", "text/plain", b"hello".to_vec())),
    )
    .await?;
    assert_eq!(status, 415);
    assert!(html.contains("Et ceci"), "the text typed is kept");
    let (status, _, _) = post_message_form(&site, &owner, &page, "forged", "x", None).await?;
    assert_eq!(status, 403, "no CSRF token, no message");
    let (status, _, _) =
        post_message_form(&site, &stranger, &page, &stranger.csrf, "x", None).await?;
    assert_eq!(status, 404);
    let (status, _, _) = post_form(&site, &owner, &page, &[("text", "url-encoded")]).await?;
    assert!(
        matches!(status, 400 | 415 | 422),
        "not a multipart form: {status}"
    );
    let (_, thread) = site.get(&weber, &conversation).await?;
    assert_eq!(
        thread["messages"].as_array().map(Vec::len),
        Some(4),
        "{thread}"
    );

    // The appointment page leads to the conversation for both parties.
    for who in [&owner, &weber] {
        let (_, html) = get_page(&site, who, &format!("/appointments/{appointment}")).await?;
        assert!(html.contains(&format!("href=\"{page}\"")));
    }

    // A conversation with messages stays open after the appointment is cancelled.
    let (status, _) = site
        .send(
            Some(&owner),
            reqwest::Method::POST,
            &format!("/api/v1/appointments/{appointment}/cancel"),
            None,
        )
        .await?;
    assert_eq!(status, 200);
    let (status, _) = post(&weber, json!({"text": "Bien reçu."})).await?;
    assert_eq!(status, 201);

    // In the patient's GDPR export.
    let (_, export) = site.get(&owner, "/api/v1/me/export").await?;
    let exported = export["conversations"][0]["messages"]
        .as_array()
        .map(Vec::len);
    assert_eq!(exported, Some(5), "{}", export["conversations"]);
    // Exporting is not reading: the practitioner's last message is still unread.
    let (_, thread) = site.get(&weber, &conversation).await?;
    assert_eq!(thread["messages"][4]["text"], "Bien reçu.");
    assert_eq!(thread["messages"][4]["read_at"], Value::Null, "{thread}");
    Ok(())
}
