//! The authorisation matrix (issue #4): every role against every endpoint that names an object
//! (`{id}` in its path) with an object that is someone else's, through the API and the pages.
//! "Not yours" must look exactly like "does not exist" (404, same body), role limits are 403,
//! and no one is let in without a session (401 / the login page).
//!
//! The matrix must cover every `{…}` path of the OpenAPI document: a new object endpoint
//! fails this test until its row says who may reach it.
//!
//! It runs on a clinic site and on a booth site (issue #18): on a booth site, staff are the
//! patient's side of appointments *held at the booth* only (`{booth_appt}`, marked so through
//! the store until booth sessions create them), and only while the room is open — here it is
//! not open yet, so they get 403 `too_early` where the parties of a call do; of an appointment
//! booked from home (`{appt}`) they reach nothing but its facts, as on a clinic site. Staff and
//! administrators never read the reason of an appointment they do not handle, and only the
//! issuing practitioner records the payment of a fee memo (`{memo}`).

mod world;

use anyhow::Context;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use teleconsult_tests::booking::DR_WEBER;
use teleconsult_tests::site::{ADMIN, Site};
use world::{Kind, fill, page, send, world};

const NOBODY: &str = "00000000-0000-4000-8000-00000000dead";

/// The callers, in the order of the expectation columns.
const ROLES: [&str; 7] = [
    "owner",      // the patient who booked (for themself and for a relative)
    "patient",    // another patient
    "doctor",     // the appointments' practitioner
    "colleague",  // another practitioner
    "staff",      //
    "pharmacist", //
    "admin",      //
];

/// One endpoint and the status each role gets (same order as [`ROLES`]).
struct Row {
    method: &'static str,
    /// `{appt}`, `{relative_appt}`, `{booth_appt}`, `{relative}`, `{weber}`, `{doc}`,
    /// `{booth_doc}`, `{memo}` are replaced by the objects.
    path: &'static str,
    body: Option<Value>,
    /// A page form's fields besides the CSRF token; `{password}` is the caller's own.
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 7],
    /// What changes on a booth site (else `expect`).
    on_booth: Option<[u16; 7]>,
}

fn row(method: &'static str, path: &'static str, expect: [u16; 7]) -> Row {
    Row {
        method,
        path,
        body: None,
        form: &[],
        expect,
        on_booth: None,
    }
}

impl Row {
    /// The statuses on a booth site.
    fn booth(self, on_booth: [u16; 7]) -> Self {
        Self {
            on_booth: Some(on_booth),
            ..self
        }
    }

    fn expected(&self, site: Kind) -> [u16; 7] {
        match (site, self.on_booth) {
            (Kind::Booth, Some(on_booth)) => on_booth,
            _ => self.expect,
        }
    }
}

#[tokio::test]
async fn every_role_against_every_object_endpoint() -> anyhow::Result<()> {
    matrix(Kind::Clinic).await
}

/// The same on a booth site (issue #18): the booth's staff reach the appointments held at the
/// booth only, and only while their room is open.
#[tokio::test]
async fn every_role_against_every_object_endpoint_on_a_booth_site() -> anyhow::Result<()> {
    matrix(Kind::Booth).await
}

async fn matrix(kind: Kind) -> anyhow::Result<()> {
    let w = world(kind).await?;
    let schedule = send(
        &w.site,
        Some(&w.who["doctor"]),
        "GET",
        &format!("/api/v1/practitioners/{DR_WEBER}/schedule"),
        None,
    )
    .await?
    .1;
    let api = api_rows(schedule);
    let pages = page_rows();

    let mut wrong = Vec::new();
    for r in &api {
        let path = fill(r.path, &w);
        for (role, &expected) in ROLES.iter().zip(&r.expected(w.kind)) {
            if expected == 0 {
                continue;
            }
            let (status, body) =
                send(&w.site, Some(&w.who[role]), r.method, &path, r.body.clone()).await?;
            if status != expected {
                wrong.push(format!(
                    "{role}: {} {} → {status} {body}, expected {expected}",
                    r.method, r.path
                ));
            }
            if status == 404 {
                // Not yours looks exactly like nothing there.
                let absent = path
                    .replace(&w.doc, NOBODY)
                    .replace(&w.booth_doc, NOBODY)
                    .replace(&w.memo, NOBODY)
                    .replace(&w.appt, NOBODY)
                    .replace(&w.relative_appt, NOBODY)
                    .replace(&w.booth_appt, NOBODY)
                    .replace(&w.session, NOBODY)
                    .replace(&w.entry, NOBODY);
                let (_, nothing) = send(
                    &w.site,
                    Some(&w.who[role]),
                    r.method,
                    &absent,
                    r.body.clone(),
                )
                .await?;
                if nothing != body {
                    wrong.push(format!(
                        "{role}: {} {}: 404 body {body} differs from an absent object's {nothing}",
                        r.method, r.path
                    ));
                }
            }
        }
        let (anonymous, _) = send(&w.site, None, r.method, &path, r.body.clone()).await?;
        if anonymous != 401 {
            wrong.push(format!(
                "anonymous: {} {} → {anonymous}, expected 401",
                r.method, r.path
            ));
        }
    }
    for r in &pages {
        let path = fill(r.path, &w);
        for (role, &expected) in ROLES.iter().zip(&r.expected(w.kind)) {
            if expected == 0 {
                continue;
            }
            let form = (r.form, w.passwords[role]);
            let status = page(&w.site, Some(&w.who[role]), r.method, &path, form).await?;
            if status != expected {
                wrong.push(format!(
                    "{role}: page {} {} → {status}, expected {expected}",
                    r.method, r.path
                ));
            }
        }
        // Without a session: the login page (GET) or a refused form (POST).
        // (Someone who knows a password but holds no session.)
        let form = (r.form, w.passwords["owner"]);
        let anonymous = page(&w.site, None, r.method, &path, form).await?;
        let expected = if r.method == "GET" { 303 } else { 403 };
        if anonymous != expected {
            wrong.push(format!(
                "anonymous: page {} {} → {anonymous}, expected {expected}",
                r.method, r.path
            ));
        }
    }

    // Lists show only what each may see.
    for (role, sees) in [
        ("owner", true),
        ("patient", false),
        ("doctor", true),
        ("colleague", false),
        ("staff", true),
        ("admin", true),
    ] {
        let (_, list) = send(
            &w.site,
            Some(&w.who[role]),
            "GET",
            "/api/v1/appointments",
            None,
        )
        .await?;
        let ids: BTreeSet<&str> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["id"].as_str())
            .collect();
        for id in [&w.appt, &w.relative_appt, &w.booth_appt] {
            if ids.contains(id.as_str()) != sees {
                wrong.push(format!(
                    "{role}: GET /api/v1/appointments lists {id}: {}",
                    !sees
                ));
            }
        }
    }

    // The reason (symptoms) only for those who handle the appointment: the patient's side and
    // its practitioner; never staff or administrators (the booth's room is not open yet).
    for (role, handles) in [
        ("owner", true),
        ("doctor", true),
        ("staff", false),
        ("admin", false),
    ] {
        let (_, list) = send(
            &w.site,
            Some(&w.who[role]),
            "GET",
            "/api/v1/appointments",
            None,
        )
        .await?;
        let mut seen: Vec<Value> = list.as_array().cloned().unwrap_or_default();
        for id in [&w.appt, &w.relative_appt, &w.booth_appt] {
            let (_, one) = send(
                &w.site,
                Some(&w.who[role]),
                "GET",
                &format!("/api/v1/appointments/{id}"),
                None,
            )
            .await?;
            seen.push(one);
        }
        for a in seen.iter().filter(|a| {
            [&w.appt, &w.relative_appt, &w.booth_appt]
                .iter()
                .any(|id| a["id"] == id.as_str())
        }) {
            if a.get("reason").is_some() != handles {
                wrong.push(format!("{role} sees the reason of {}: {a}", a["id"]));
            }
        }
    }

    // Every object endpoint of the API is in the matrix.
    let (_, openapi) = send(&w.site, None, "GET", "/api/v1/openapi.json", None).await?;
    let covered: BTreeSet<String> = api.iter().map(|r| template(r.path)).collect();
    for (path, item) in openapi["paths"].as_object().into_iter().flatten() {
        if !path.contains('{') {
            continue;
        }
        for method in item
            .as_object()
            .into_iter()
            .flatten()
            .map(|(m, _)| m.to_uppercase())
        {
            let tried = api
                .iter()
                .any(|r| template(r.path) == template(path) && r.method == method);
            if !tried && !covered.is_empty() {
                wrong.push(format!(
                    "{method} {path} is not in the authorisation matrix"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} problems:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    Ok(())
}

/// The API rows: every endpoint naming an object (see [`ROLES`] for the columns; 0 = not
/// tried).
#[rustfmt::skip]
fn api_rows(schedule: Value) -> Vec<Row> {
    vec![
        //                                                         owner patient doctor colleague staff pharmacist admin
        row("GET", "/api/v1/appointments/{appt}",                  [200, 404, 200, 404, 200, 404, 200]),
        row("GET", "/api/v1/appointments/{relative_appt}",         [200, 404, 200, 404, 200, 404, 200]),
        // Cancelling someone else's: only those who may not are tried (a success would change
        // the object under the other rows); allowed cancellations are tested elsewhere.
        Row { body: Some(json!({"reason": "not mine"})),
          ..row("POST", "/api/v1/appointments/{appt}/cancel",      [0, 404, 0, 404, 0, 404, 0]) },
        // The call: only its parties (whether the room is open yet depends on the clock, so
        // the parties are tried in call.rs); staff are no party of an appointment booked from
        // home, on a clinic or a booth site alike.
        row("GET", "/api/v1/appointments/{appt}/call",             [0, 404, 0, 404, 404, 404, 404]),
        row("GET", "/api/v1/appointments/{appt}/signal",           [0, 404, 0, 404, 404, 404, 404]),
        row("POST", "/api/v1/appointments/{appt}/signal-ticket",   [0, 404, 0, 404, 404, 404, 404]),
        Row { body: Some(json!({"not": "a file"})),
          ..row("POST", "/api/v1/appointments/{appt}/attachments", [0, 404, 0, 404, 404, 404, 404]) },
        row("GET", "/api/v1/appointments/{appt}/attachments",      [200, 404, 200, 404, 404, 404, 404]),
        row("GET", "/api/v1/appointments/{appt}/attachments/{nobody}", [404; 7]),
        row("GET", "/api/v1/appointments/{appt}/call/quality",     [404; 7]),
        // Held at the booth: on a booth site its staff are the patient's side while the room
        // is open (not yet: 403 `too_early`, as for the other parties); on a clinic site,
        // nothing. Administrators are never the booth.
        row("GET", "/api/v1/appointments/{booth_appt}",            [200, 404, 200, 404, 200, 404, 200]),
        row("GET", "/api/v1/appointments/{booth_appt}/call",       [403, 404, 403, 404, 404, 404, 404])
            .booth(                                                [403, 404, 403, 404, 403, 404, 404]),
        row("GET", "/api/v1/appointments/{booth_appt}/signal",     [403, 404, 403, 404, 404, 404, 404])
            .booth(                                                [403, 404, 403, 404, 403, 404, 404]),
        Row { body: Some(json!({"not": "a file"})),
          ..row("POST", "/api/v1/appointments/{booth_appt}/attachments", [0, 404, 403, 404, 404, 404, 404])
            .booth(                                                [0, 404, 403, 404, 403, 404, 404]) },
        row("GET", "/api/v1/appointments/{booth_appt}/attachments", [200, 404, 200, 404, 404, 404, 404])
            .booth(                                                [200, 404, 200, 404, 403, 404, 404]),
        row("GET", "/api/v1/appointments/{booth_appt}/attachments/{nobody}", [404; 7])
            .booth(                                                [404, 404, 404, 404, 403, 404, 404]),
        row("GET", "/api/v1/appointments/{booth_appt}/medical-record", [200, 404, 200, 404, 404, 404, 404]),
        // The short medical record: the patient side edits it; the appointment's practitioner
        // reads it through the appointment; nobody else, staff and admins included.
        row("GET", "/api/v1/patients/{relative}/medical-record",   [200, 404, 404, 404, 404, 404, 404]),
        Row { body: Some(json!({"allergies": "pollen"})),
          ..row("PUT", "/api/v1/patients/{relative}/medical-record", [200, 404, 404, 404, 404, 404, 404]) },
        row("GET", "/api/v1/appointments/{appt}/medical-record",   [200, 404, 200, 404, 404, 404, 404]),
        row("GET", "/api/v1/appointments/{relative_appt}/medical-record", [200, 404, 200, 404, 404, 404, 404]),
        // Messages: the patient side (here for the relative) and the practitioner they have
        // an appointment with; nobody else.
        row("GET", "/api/v1/conversations/{relative}/{weber}",     [200, 404, 200, 404, 404, 404, 404]),
        Row { body: Some(json!({"text": "matrix"})),
          ..row("POST", "/api/v1/conversations/{relative}/{weber}/messages", [201, 404, 201, 404, 404, 404, 404]) },
        Row { body: Some(json!({"not": "a file"})),
          ..row("POST", "/api/v1/conversations/{relative}/{weber}/files", [0, 404, 0, 404, 404, 404, 404]) },
        row("GET", "/api/v1/messages/{nobody}/file",               [404; 7]),
        row("GET", "/api/v1/practitioners/{weber}/slots",          [200; 7]),
        row("GET", "/api/v1/practitioners/{weber}/schedule",       [200; 7]),
        Row { body: Some(schedule),
          ..row("PUT", "/api/v1/practitioners/{weber}/schedule",   [403, 403, 200, 403, 200, 403, 200]) },
        Row { body: Some(json!({"specialty": "general_practice", "languages": ["fr", "de", "lb", "en"]})),
          ..row("PUT", "/api/v1/practitioners/{weber}",            [403, 403, 200, 403, 200, 403, 200]) },
        row("GET", "/api/v1/sync/conflicts",                       [403, 403, 200, 200, 200, 403, 200]),
        row("GET", "/api/v1/sync/status",                          [403, 403, 200, 200, 200, 200, 200]),
        row("GET", "/api/v1/appointments",                         [200, 200, 200, 200, 200, 403, 200]),
        // Documents: the patient and the issuing practitioner, nobody else (staff and admins
        // run the site; they have no medical reason to read documents).
        Row { body: Some(json!({"kind": "consultation_report", "reason": "x", "findings": "y"})),
          ..row("POST", "/api/v1/appointments/{appt}/documents",   [404, 404, 0, 404, 404, 404, 404]) },
        row("GET", "/api/v1/documents/{doc}",                      [200, 404, 200, 404, 404, 404, 404]),
        row("GET", "/api/v1/documents/{doc}/pdf",                  [200, 404, 200, 404, 404, 404, 404]),
        Row { body: Some(json!({"kind": "consultation_report", "reason": "x", "findings": "y"})),
          ..row("POST", "/api/v1/documents/{doc}/supersede",       [404, 404, 0, 404, 404, 404, 404]) },
        // Paid: the issuer only — not the patient, who sees the memo (issue #18).
        row("POST", "/api/v1/documents/{doc}/paid",                [404, 404, 409, 404, 404, 404, 404]),
        row("GET", "/api/v1/documents/{memo}",                     [200, 404, 200, 404, 404, 404, 404]),
        row("POST", "/api/v1/documents/{memo}/paid",               [404, 404, 200, 404, 404, 404, 404]),
        // Printing (docs/booth.md rule 7): the patient's side while in the cabin, booth staff
        // the documents of a booth session; this site has no printer, so whoever may print is
        // told `printing_unavailable` (409). Staff never print a document of an appointment
        // booked from home, nor of one no booth session held.
        row("POST", "/api/v1/documents/{doc}/print",               [409, 404, 404, 404, 404, 404, 404]),
        row("POST", "/api/v1/documents/{booth_doc}/print",         [409, 404, 404, 404, 404, 404, 404]),
        Row { body: Some(json!({"items": [0]})),
          ..row("POST", "/api/v1/prescriptions/{doc}/dispense",    [404; 7]) },
        Row { body: Some(json!({"name": "Labo", "email": "labo@example.lu"})),
          ..row("PUT", "/api/v1/laboratories/{nobody}",            [403, 403, 403, 403, 403, 403, 0]) },
        row("GET", "/api/v1/sync/parked",                          [403, 403, 403, 403, 200, 403, 200]),
        row("POST", "/api/v1/sync/parked/{nobody}/retry",          [403, 403, 403, 403, 404, 403, 404]),
        row("POST", "/api/v1/sync/parked/{nobody}/discard",        [403, 403, 403, 403, 404, 403, 404]),
        row("GET", "/api/v1/users",                                [403, 403, 403, 403, 403, 403, 200]),
        Row { body: Some(json!({"role": "staff", "login": "matrix.staff", "phone": "+352 621 555 001",
                                "email": "matrix.staff@example.lu", "password": "a long enough passphrase"})),
          ..row("POST", "/api/v1/users",                           [403, 403, 403, 403, 403, 403, 201]) },
        row("POST", "/api/v1/users/{nobody}/disable",              [403, 403, 403, 403, 403, 403, 404]),
        // An account's authenticator app: administrators reset one (a lost phone); everyone
        // else only ever reaches their own, with their password (here a wrong one, counted).
        row("POST", "/api/v1/users/{nobody}/reset-totp",           [403, 403, 403, 403, 403, 403, 404]),
        row("GET", "/api/v1/me/totp",                              [200; 7]),
        Row { body: Some(json!({"password": "not the password"})),
          ..row("POST", "/api/v1/me/totp",                         [403; 7]) },
        Row { body: Some(json!({"code": "000000"})),
          ..row("POST", "/api/v1/me/totp/confirm",                 [409; 7]) },
        Row { body: Some(json!({"password": "not the password", "code": "000000"})),
          ..row("DELETE", "/api/v1/me/totp",                       [403; 7]) },
        // The booth (issue #19): staff of a booth site only; on a clinic site the doors do not
        // exist for staff (404); every other role is refused (403). A session waits on the
        // booth site (`{session}`, its queue entry `{entry}`): it holds the cabin, so another
        // start is `cabin_busy`. An attacker's tries: a patient reading the queue or someone's
        // entry, a practitioner switching a colleague's availability or taking patients while
        // off, staff of a clinic starting sessions, staff withdrawing a walk-in in the cabin.
        Row { body: Some(json!({"patient": {"patient_id": NOBODY}, "specialty": "general_practice"})),
          ..row("POST", "/api/v1/booth/sessions",                  [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 409, 403, 403]) },
        row("GET", "/api/v1/booth/sessions/{session}",             [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 200, 403, 403]),
        row("POST", "/api/v1/booth/sessions/{nobody}/end",         [403, 403, 403, 403, 404, 403, 403]),
        row("GET", "/api/v1/booth/patients?national_id={national_id}", [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 200, 403, 403]),
        // The cabin (its devices, the check): booth staff; administrators read the status.
        row("GET", "/api/v1/booth/status",                         [403, 403, 403, 403, 404, 403, 404])
            .booth(                                                [403, 403, 403, 403, 200, 403, 200]),
        row("POST", "/api/v1/booth/check",                         [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 200, 403, 403]),
        Row { body: Some(json!({"patient": {"patient_id": NOBODY}, "specialty": "general_practice"})),
          ..row("POST", "/api/v1/queue/walk-ins",                  [403, 403, 403, 403, 404, 403, 403]) },
        Row { body: Some(json!({"on_demand": false})),
          ..row("PUT", "/api/v1/practitioners/{weber}/availability", [403, 403, 200, 404, 403, 403, 403]) },
        row("GET", "/api/v1/queue",                                [403, 403, 200, 200, 200, 403, 403]),
        row("POST", "/api/v1/queue/next",                          [403, 403, 409, 409, 403, 403, 403]),
        Row { body: Some(json!({"specialty": "astrology"})),
          ..row("POST", "/api/v1/queue/asap",                      [422, 422, 403, 403, 403, 403, 403]) },
        row("GET", "/api/v1/queue/asap",                           [404, 404, 403, 403, 403, 403, 403]),
        row("GET", "/api/v1/queue/entries/{entry}",                [404, 404, 403, 403, 404, 403, 403])
            .booth(                                                [404, 404, 403, 403, 200, 403, 403]),
        row("DELETE", "/api/v1/queue/entries/{entry}",             [404, 404, 403, 403, 404, 403, 403])
            .booth(                                                [404, 404, 403, 403, 409, 403, 403]),
        Row { body: Some(json!({"practitioner_id": DR_WEBER, "start": "2000-01-03T10:00:00Z"})),
          ..row("POST", "/api/v1/queue/entries/{entry}/book",      [404, 404, 403, 403, 404, 403, 403])
            .booth(                                                [404, 404, 403, 403, 422, 403, 403]) },
        // Always the caller's own consent (last: it withdraws the patients' consents).
        row("POST", "/api/v1/me/consents/{kind}/withdraw",         [200, 200, 404, 404, 404, 404, 404]),
    ]
}

/// The page rows, the same way.
#[rustfmt::skip]
fn page_rows() -> Vec<Row> {
    vec![
        row("GET", "/appointments/{appt}",                         [200, 404, 200, 404, 200, 404, 200]),
        row("GET", "/appointments/{relative_appt}",                [200, 404, 200, 404, 200, 404, 200]),
        row("POST", "/appointments/{appt}/cancel",                 [0, 404, 0, 404, 0, 404, 0]),
        row("POST", "/documents/{doc}/print",                      [409, 404, 404, 404, 404, 404, 404]),
        row("POST", "/documents/{booth_doc}/print",                [409, 404, 404, 404, 404, 404, 404]),
        row("GET", "/patients/{relative}/medical-record",          [200, 404, 404, 404, 404, 404, 404]),
        row("GET", "/messages/{relative}/{weber}",                 [200, 404, 200, 404, 404, 404, 404]),
        row("POST", "/patients/{relative}/medical-record",         [303, 404, 404, 404, 404, 404, 404]),
        row("GET", "/appointments/{appt}/call",                    [0, 404, 0, 404, 404, 404, 404]),
        row("GET", "/appointments/{booth_appt}",                   [200, 404, 200, 404, 200, 404, 200]),
        row("GET", "/appointments/{booth_appt}/call",              [403, 404, 403, 404, 404, 404, 404])
            .booth(                                                [403, 404, 403, 404, 403, 404, 404]),
        row("POST", "/documents/{memo}/paid",                      [404, 404, 0, 404, 404, 404, 404]),
        row("GET", "/schedule/{weber}",                            [403, 403, 200, 403, 200, 403, 200]),
        row("POST", "/schedule/{weber}",                           [403, 403, 0, 403, 0, 403, 0]),
        row("GET", "/admin/users",                                 [403, 403, 403, 403, 403, 403, 200]),
        row("GET", "/sync",                                        [403, 403, 200, 200, 200, 403, 200]),
        row("POST", "/sync/parked/{nobody}/retry",                 [403, 403, 403, 403, 404, 403, 404]),
        row("POST", "/admin/users/{nobody}/disable",               [403, 403, 403, 403, 403, 403, 404]),
        row("POST", "/admin/users/{nobody}/reset-totp",            [403, 403, 403, 403, 403, 403, 404]),
        row("GET", "/account/totp",                                [200; 7]),
        row("POST", "/account/totp/confirm",                       [409; 7]),
        // One's own authenticator app, the forms filled with the caller's own password: every
        // role may set one up (`[auth] second_factors` has "totp" by default): set-up started,
        // back to `/account/totp` (303); removing checks the password, finds no app, back to
        // `/account/totp` (303). A wrong or missing password is 403 on its field: not this.
        Row { form: &[("password", "{password}")],
          ..row("POST", "/account/totp/start",                     [303; 7]) },
        Row { form: &[("password", "{password}"), ("code", "000000")],
          ..row("POST", "/account/totp/remove",                    [303; 7]) },
        // The booth in pages (issue #19), as its API doors: the console for staff of a booth
        // site (a clinic's staff: 404); forms posted empty are refused on their fields (422)
        // or as unreadable (400); someone else's or no session or entry: 404.
        row("GET", "/booth",                                       [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 200, 403, 403]),
        row("POST", "/booth/find",                                 [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 422, 403, 403]),
        row("POST", "/booth/start",                                [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 422, 403, 403]),
        // The device check's button runs the check (3 s) as `POST /api/v1/booth/check`.
        row("POST", "/booth/check",                                [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 200, 403, 403]),
        row("POST", "/booth/sessions/{nobody}/end",                [403, 403, 403, 403, 404, 403, 403]),
        row("POST", "/booth/entries/{nobody}/withdraw",            [403, 403, 403, 403, 404, 403, 403]),
        // Printing from the console: a document of the session named only (here the waiting
        // session has no appointment, the document is of another: 404 on the console).
        row("POST", "/booth/sessions/{session}/documents/{booth_doc}/print", [403, 403, 403, 403, 404, 403, 403]),
        row("POST", "/booth/sessions/{nobody}/documents/{doc}/print", [403, 403, 403, 403, 404, 403, 403]),
        row("POST", "/booth/entries/{entry}/book",                 [403, 403, 403, 403, 404, 403, 403])
            .booth(                                                [403, 403, 403, 403, 400, 403, 403]),
        // The practitioner's queue page: practitioners only; "next" while off is 409.
        row("GET", "/queue",                                       [403, 403, 200, 200, 403, 403, 403]),
        row("POST", "/queue/availability",                         [403, 403, 400, 400, 403, 403, 403]),
        row("POST", "/queue/next",                                 [403, 403, 409, 409, 403, 403, 403]),
        // "As soon as possible" from home: patients only, their own entry (none in a URL).
        row("GET", "/book/asap",                                   [200, 200, 403, 403, 403, 403, 403]),
        row("POST", "/book/asap",                                  [422, 422, 403, 403, 403, 403, 403]),
        row("GET", "/book/waiting",                                [200, 200, 403, 403, 403, 403, 403]),
        row("POST", "/book/waiting/leave",                         [303, 303, 403, 403, 403, 403, 403]),
        row("POST", "/book/waiting/book",                          [400, 400, 403, 403, 403, 403, 403]),
    ]
}

/// A path with every `{…}` placeholder made the same (and the API prefix the document omits
/// or not), for comparing the matrix with the OpenAPI document.
fn template(path: &str) -> String {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// Issue #4's admin page: an administrator creates a staff account (mistakes reported on their
/// fields first), the new member logs in, then the administrator disables the account, which
/// ends its open session and refuses new logins; no administrator can disable themself.
#[tokio::test]
async fn an_administrator_creates_and_disables_accounts_in_the_page() -> anyhow::Result<()> {
    use teleconsult_tests::pages::{get_page, post_form};
    let site = Site::demo("").await?;
    let admin = site.login(&ADMIN).await?;
    let (status, html) = get_page(&site, &admin, "/admin/users").await?;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("dr.weber") && html.contains("pharmacist"),
        "{html}"
    );

    let mut fields = vec![
        ("role", "practitioner"),
        ("login", "front.desk"),
        ("name", "Front Desk"),
        ("email", "front.desk@example.lu"),
        ("phone", "621 555"),
        ("specialty", ""),
        ("password", "a long enough passphrase"),
    ];
    let (status, _, html) = post_form(&site, &admin, "/admin/users", &fields).await?;
    assert_eq!(status, 422, "{html}");
    for field in ["phone-error", "specialty-error"] {
        assert!(html.contains(field), "{field} missing: {html}");
    }
    fields[0] = ("role", "staff");
    fields[4] = ("phone", "+352 621 555 100");
    let (status, at, html) = post_form(&site, &admin, "/admin/users", &fields).await?;
    assert_eq!(
        (status, at.as_str()),
        (200, "/admin/users?added=1"),
        "{html}"
    );
    assert!(html.contains("front.desk"), "{html}");
    let (status, _, html) = post_form(&site, &admin, "/admin/users", &fields).await?;
    assert_eq!(status, 409, "the login is taken: {html}");

    let desk = site
        .login_as("front.desk", "a long enough passphrase", "+352621555100")
        .await?;
    assert_eq!(desk.role, "staff");
    let (_, users) = send(&site, Some(&admin), "GET", "/api/v1/users", None).await?;
    let id = users
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["login"] == "front.desk")
        .and_then(|u| u["id"].as_str())
        .context("front.desk listed")?
        .to_owned();
    let (status, at, _) =
        post_form(&site, &admin, &format!("/admin/users/{id}/disable"), &[]).await?;
    assert_eq!((status, at.as_str()), (200, "/admin/users?disabled=1"));
    let (status, _) = send(&site, Some(&desk), "GET", "/api/v1/me", None).await?;
    assert_eq!(status, 401, "the open session ended");
    let (status, _) = send(
        &site,
        None,
        "POST",
        "/api/v1/auth/login",
        Some(json!({"login": "front.desk", "password": "a long enough passphrase"})),
    )
    .await?;
    assert_eq!(status, 401, "a disabled account cannot log in");

    let (_, me) = send(&site, Some(&admin), "GET", "/api/v1/me", None).await?;
    let own = me["id"].as_str().context("own id")?;
    let (status, body) = send(
        &site,
        Some(&admin),
        "POST",
        &format!("/api/v1/users/{own}/disable"),
        None,
    )
    .await?;
    assert_eq!((status, body["error"].as_str()), (409, Some("own_account")));
    Ok(())
}
