//! The world of the authorisation matrix: a demo site of either kind with one account per
//! role (columns of [`super::ROLES`]) and the objects the rows name — the owner's appointments
//! (one for themself, one for a relative, one held at the booth), a report and a fee memo —,
//! and the requests the matrix sends.

use super::{DR_WEBER, NOBODY};
use anyhow::Context;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use teleconsult_tests::Daemon;
use teleconsult_tests::accounts::{Login, PASSWORD};
use teleconsult_tests::booking::{MIN_LEAD, free_starts};
use teleconsult_tests::national_ids::{iso_date, luxembourg};
use teleconsult_tests::site::{ADMIN, FERREIRA, PHARMACIST, STAFF, Site, WEBER};

/// The kind of site the matrix runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Clinic,
    Booth,
}

pub(super) struct World {
    pub(super) kind: Kind,
    pub(super) site: Site,
    pub(super) who: BTreeMap<&'static str, Login>,
    /// Each role's password (forms that ask for it again: an authenticator app's set-up).
    pub(super) passwords: BTreeMap<&'static str, &'static str>,
    pub(super) appt: String,
    pub(super) relative_appt: String,
    /// The owner's third appointment, held at the booth.
    pub(super) booth_appt: String,
    /// The relative the owner booked for (a patient record the owner acts for).
    pub(super) relative: String,
    /// A consultation report Dr Weber issued for `appt`.
    pub(super) doc: String,
    /// A fee memo Dr Weber issued for `appt`, unpaid.
    pub(super) memo: String,
    /// A prescription Dr Weber issued for `booth_appt` (held at the booth, but by no booth
    /// session: staff do not print it).
    pub(super) booth_doc: String,
    /// On a booth site: a booth session waiting for the first practitioner free (it holds the
    /// cabin), and its queue entry; elsewhere nothing (`NOBODY`).
    pub(super) session: String,
    pub(super) entry: String,
}

/// How far ahead the appointment held at the booth starts: well after its room would open
/// (10 minutes before), so its rows say what parties get before that, whatever the time of day
/// the test runs.
const BOOTH_LEAD: Duration = Duration::from_secs(2 * 3600);

pub(super) async fn world(kind: Kind) -> anyhow::Result<World> {
    let site_kind = match kind {
        Kind::Clinic => "clinic",
        Kind::Booth => "booth",
    };
    let mut site = Site::demo(&format!("[site]\nkind = \"{site_kind}\"\n")).await?;
    let (mut who, mut passwords) = (BTreeMap::new(), BTreeMap::new());
    for (role, n) in [("owner", 80), ("patient", 81)] {
        who.insert(role, site.patient(n).await?);
        passwords.insert(role, PASSWORD);
    }
    for (role, account) in [
        ("doctor", WEBER),
        ("colleague", FERREIRA),
        ("staff", STAFF),
        ("pharmacist", PHARMACIST),
        ("admin", ADMIN),
    ] {
        who.insert(role, site.login(&account).await?);
        passwords.insert(role, account.password);
    }
    let owner = &who["owner"];
    let slots = free_starts(&site, owner, DR_WEBER, MIN_LEAD).await?;
    let [first, second, later @ ..] = &slots[..] else {
        anyhow::bail!("two free slots needed: {slots:?}");
    };
    let booth_from = jiff::Timestamp::now() + jiff::SignedDuration::try_from(BOOTH_LEAD)?;
    let third = later
        .iter()
        .find(|s| s.parse::<jiff::Timestamp>().is_ok_and(|t| t > booth_from))
        .with_context(|| format!("a free slot {BOOTH_LEAD:?} ahead: {slots:?}"))?;
    let book = |start: &str, relative: Option<Value>| {
        let mut body = json!({"practitioner_id": DR_WEBER, "start": start, "mode": "video",
                              "reason": "sore throat", "confirm": true});
        if let Some(r) = relative {
            body["for"] = r;
        }
        body
    };
    let (status, mine) = send(
        &site,
        Some(owner),
        "POST",
        "/api/v1/appointments",
        Some(book(first, None)),
    )
    .await?;
    anyhow::ensure!(status == 201, "{mine}");
    let relative = json!({"relationship": "parent", "national_id": luxembourg("20160402", 82),
        "first_name": "Mia", "last_name": "Quackenbush80", "birth_date": iso_date("20160402")});
    let (status, theirs) = send(
        &site,
        Some(owner),
        "POST",
        "/api/v1/appointments",
        Some(book(second, Some(relative))),
    )
    .await?;
    anyhow::ensure!(status == 201, "{theirs}");
    let (status, at_booth) = send(
        &site,
        Some(owner),
        "POST",
        "/api/v1/appointments",
        Some(book(third, None)),
    )
    .await?;
    anyhow::ensure!(status == 201, "{at_booth}");
    let appt = mine["id"].as_str().context("id")?.to_owned();
    let mut docs = Vec::new();
    for request in [
        json!({"kind": "consultation_report", "reason": "sore throat", "findings": "red pharynx"}),
        json!({"kind": "fee_memo", "acts": [{"code": "C1", "label": "Consultation", "amount_cents": 5230}]}),
    ] {
        let (status, doc) = send(
            &site,
            Some(&who["doctor"]),
            "POST",
            &format!("/api/v1/appointments/{appt}/documents"),
            Some(request),
        )
        .await?;
        anyhow::ensure!(status == 201, "{doc}");
        docs.push(doc["id"].as_str().context("document id")?.to_owned());
    }
    let booth_appt = at_booth["id"].as_str().context("id")?.to_owned();
    let (status, booth_doc) = send(
        &site,
        Some(&who["doctor"]),
        "POST",
        &format!("/api/v1/appointments/{booth_appt}/documents"),
        Some(
            json!({"kind": "prescription", "items": [{"medication": "Paracétamol",
            "dose": "500 mg", "form": "comprimé", "posology": "1 x 3/j", "duration": "3 jours"}]}),
        ),
    )
    .await?;
    anyhow::ensure!(status == 201, "{booth_doc}");
    let booth_doc = booth_doc["id"].as_str().context("document id")?.to_owned();
    crate::booth_privilege::hold_at_the_booth(&mut site, &[&booth_appt]).await?;
    let (session, entry) = match kind {
        Kind::Clinic => (NOBODY.to_owned(), NOBODY.to_owned()),
        Kind::Booth => {
            // The logins survive the restart; the session is started afterwards.
            let walk_in = json!({"national_id": luxembourg("19900101", 83), "first_name": "Rui",
                "last_name": "Costa", "birth_date": "1990-01-01"});
            let (status, s) = send(
                &site,
                Some(&who["staff"]),
                "POST",
                "/api/v1/booth/sessions",
                Some(
                    json!({"patient": walk_in, "specialty": "general_practice", "reason": "fever"}),
                ),
            )
            .await?;
            anyhow::ensure!(status == 201, "{s}");
            (
                s["id"].as_str().context("session")?.to_owned(),
                s["queue_entry_id"].as_str().context("entry")?.to_owned(),
            )
        }
    };
    let [doc, memo] =
        <[String; 2]>::try_from(docs).map_err(|_| anyhow::anyhow!("two documents"))?;
    Ok(World {
        kind,
        site,
        who,
        passwords,
        appt,
        relative_appt: theirs["id"].as_str().context("id")?.to_owned(),
        booth_appt,
        relative: theirs["patient_id"]
            .as_str()
            .context("patient id")?
            .to_owned(),
        doc,
        memo,
        booth_doc,
        session,
        entry,
    })
}

/// One API request as `who` (or nobody), the rows' way: method as text, body by value.
pub(super) async fn send(
    daemon: &Daemon,
    who: Option<&Login>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    daemon.send(who, method.parse()?, path, body.as_ref()).await
}

/// One page request with the session cookie (forms carry the session's CSRF token and the
/// row's fields, `{password}` filled with `password`); redirects are not followed, so the
/// status is the page's own.
pub(super) async fn page(
    daemon: &Daemon,
    who: Option<&Login>,
    method: &str,
    path: &str,
    (fields, password): (&[(&str, &str)], &str),
) -> anyhow::Result<u16> {
    let mut request = daemon
        .client_without_redirects()?
        .request(method.parse()?, daemon.url(path))
        .header("accept", "text/html");
    if let Some(who) = who {
        request = request.header("cookie", format!("tc_session={}", who.token));
    }
    if method == "POST" {
        let csrf = who.map_or("", |w| w.csrf.as_str());
        let mut form = vec![("csrf", csrf), ("reason", "x")];
        form.extend(fields.iter().map(|&(name, value)| {
            (
                name,
                if value == "{password}" {
                    password
                } else {
                    value
                },
            )
        }));
        request = request.form(&form);
    }
    Ok(request.send().await?.status().as_u16())
}

pub(super) fn fill(path: &str, w: &World) -> String {
    path.replace("{appt}", &w.appt)
        .replace("{relative_appt}", &w.relative_appt)
        .replace("{booth_appt}", &w.booth_appt)
        .replace("{memo}", &w.memo)
        .replace("{relative}", &w.relative)
        .replace("{weber}", DR_WEBER)
        .replace("{doc}", &w.doc)
        .replace("{booth_doc}", &w.booth_doc)
        .replace("{kind}", "teleconsultation")
        .replace("{session}", &w.session)
        .replace("{entry}", &w.entry)
        .replace("{national_id}", &luxembourg("19900101", 83))
        .replace("{nobody}", NOBODY)
}
