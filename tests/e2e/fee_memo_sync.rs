//! Fee memos (*mémoires d'honoraires*) reach the insurer through the national platform (the
//! real FHIR peer, validating what it stores): issuing one creates an `Invoice` (one line per
//! act, its total), marking it paid makes that Invoice `balanced`, correcting an unpaid one
//! cancels the original's Invoice. Answers lost after the peer stored the change, and a
//! `kill -9` with the payment still queued, replay the same messages: the peer still holds one
//! Invoice per memo.

use serde_json::{Value, json};
use std::time::Duration;
use teleconsult_tests::fhir_peer::FhirPeer;
use teleconsult_tests::platform::PlatformSite;
use teleconsult_tests::poll_until;
use teleconsult_tests::site::WEBER;

const SYNC_WAIT: Duration = Duration::from_secs(60);
/// The demo site's id (`[site] id` in demo mode): its identifier systems.
const DOCUMENT_SYSTEM: &str = "urn:teleconsult:DEMO:document";

/// The Invoices the peer holds for document `id`.
async fn invoices_of(peer: &FhirPeer, id: &str) -> anyhow::Result<Vec<Value>> {
    Ok(peer
        .resources("Invoice")
        .await?
        .into_iter()
        .filter(|i| {
            teleconsult_tests::fhir_peer::count_with_identifier(
                std::slice::from_ref(i),
                DOCUMENT_SYSTEM,
                id,
            ) == 1
        })
        .collect())
}

/// Waits until the peer holds an Invoice for document `id` in `status`.
async fn invoice_in(peer: &FhirPeer, id: &str, status: &str) -> anyhow::Result<Value> {
    poll_until(&format!("invoice {status}"), SYNC_WAIT, || async {
        invoices_of(peer, id)
            .await
            .ok()?
            .into_iter()
            .find(|i| i["status"] == status)
    })
    .await
}

fn fee_memo(amounts: [u64; 2]) -> Value {
    json!({"kind": "fee_memo", "acts": [
        {"code": "C1", "label": "Consultation de médecine générale", "amount_cents": amounts[0]},
        {"code": "TC", "label": "Supplément téléconsultation", "amount_cents": amounts[1]}]})
}

#[tokio::test]
async fn a_paid_fee_memo_reaches_the_insurer_once_as_a_balanced_invoice() -> anyhow::Result<()> {
    teleconsult_tests::init_crypto();
    let peer = FhirPeer::start(true).await?;
    let mut site = PlatformSite::start(&peer, "", 76).await?;
    let weber = site.login(&WEBER).await?;
    let appointment = site.book().await?;
    let issue_path = format!("/api/v1/appointments/{appointment}/documents");

    // Issued: the answers of the next requests are lost after the peer stored them, so the
    // worker sends them again.
    peer.fault(json!({"lose": 3})).await?;
    let (status, memo) = site
        .post(&weber, &issue_path, &fee_memo([5230, 1000]))
        .await?;
    assert_eq!(status, 201, "{memo}");
    let id = memo["id"].as_str().unwrap_or_default().to_owned();
    let number = memo["number"].as_str().unwrap_or_default().to_owned();
    let invoice = invoice_in(&peer, &id, "issued").await?;
    assert_eq!(
        invoice["totalGross"],
        json!({"value": 62.3, "currency": "EUR"})
    );
    let codes: Vec<&str> = invoice["lineItem"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l["chargeItemCodeableConcept"]["coding"][0]["code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(codes, ["C1", "TC"]);
    assert!(
        invoice["identifier"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|i| i["value"] == number.as_str())),
        "the number printed on the memo: {invoice}"
    );
    let patients = peer.resources("Patient").await?;
    assert_eq!(
        invoice["subject"]["reference"],
        format!(
            "Patient/{}",
            patients
                .iter()
                .find(|p| p["identifier"].to_string().contains(&site.national_id))
                .and_then(|p| p["id"].as_str())
                .unwrap_or("missing")
        )
    );

    // Paid (recorded by the practitioner: the patient cannot say so) while the platform is
    // down; the daemon is killed with the payment still queued; after the restart its answers
    // are lost once more.
    peer.outage(true).await?;
    let paid_path = format!("/api/v1/documents/{id}/paid");
    let (status, _) = site.post(&site.patient, &paid_path, &json!({})).await?;
    assert_eq!(status, 404, "the patient does not record payments");
    let (status, paid) = site.post(&weber, &paid_path, &json!({})).await?;
    assert_eq!(
        (status, &paid["payment"]["status"]),
        (200, &json!("paid")),
        "{paid}"
    );
    let (status, again) = site.post(&weber, &paid_path, &json!({})).await?;
    assert_eq!(
        (status, again["error"].as_str()),
        (409, Some("already_paid"))
    );
    site.daemon.kill9().await?;
    peer.outage(false).await?;
    peer.fault(json!({"lose": 2})).await?;
    site.daemon.spawn().await?;
    let balanced = invoice_in(&peer, &id, "balanced").await?;
    assert_eq!(balanced["totalGross"], invoice["totalGross"]);
    assert_eq!(
        balanced["note"].as_array().map(Vec::len),
        Some(1),
        "{balanced}"
    );
    assert!(
        balanced["note"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("recorded by the practitioner")),
        "{balanced}"
    );

    // A second memo, corrected before it is paid: the original's Invoice is cancelled, the
    // correction's issued; paid by the practitioner, it is balanced.
    let (status, wrong) = site
        .post(&weber, &issue_path, &fee_memo([5000, 900]))
        .await?;
    assert_eq!(status, 201, "{wrong}");
    let wrong_id = wrong["id"].as_str().unwrap_or_default().to_owned();
    invoice_in(&peer, &wrong_id, "issued").await?;
    let (status, fixed) = site
        .post(
            &weber,
            &format!("/api/v1/documents/{wrong_id}/supersede"),
            &fee_memo([5230, 900]),
        )
        .await?;
    assert_eq!(status, 201, "{fixed}");
    let fixed_id = fixed["id"].as_str().unwrap_or_default().to_owned();
    let cancelled = invoice_in(&peer, &wrong_id, "cancelled").await?;
    assert!(
        cancelled["cancelledReason"]
            .as_str()
            .is_some_and(|r| r.contains(fixed["number"].as_str().unwrap_or("?"))),
        "{cancelled}"
    );
    let (status, _) = site
        .post(
            &weber,
            &format!("/api/v1/documents/{fixed_id}/paid"),
            &json!({}),
        )
        .await?;
    assert_eq!(status, 200);
    let fixed_invoice = invoice_in(&peer, &fixed_id, "balanced").await?;
    assert_eq!(fixed_invoice["totalGross"]["value"], 61.3);

    // Everything delivered, nothing parked, and exactly one Invoice per memo.
    poll_until("the outbox to drain", SYNC_WAIT, || async {
        let status = site.sync_status().await.ok()?;
        (status["pending"] == 0).then_some(status)
    })
    .await?;
    let status = site.sync_status().await?;
    assert_eq!(status["parked"], 0, "{status}");
    assert_eq!(peer.resources("Invoice").await?.len(), 3);
    for memo in [&id, &wrong_id, &fixed_id] {
        assert_eq!(invoices_of(&peer, memo).await?.len(), 1, "memo {memo}");
    }
    assert_eq!(
        peer.resources("DocumentReference").await?.len(),
        3,
        "one DocumentReference per memo"
    );

    // A crash after the platform took the payment but before the outbox entry was removed:
    // the same `document.paid` is sent again after the restart. It reads the Invoice, finds it
    // balanced, and writes nothing.
    site.daemon.terminate(Duration::from_secs(20)).await?;
    replay_payment(&site, &id)?;
    let (searches, updates) = invoice_requests(&peer).await?;
    site.daemon.spawn().await?;
    poll_until("the replayed payment", SYNC_WAIT, || async {
        let (now_searches, _) = invoice_requests(&peer).await.ok()?;
        let status = site.sync_status().await.ok()?;
        (now_searches > searches && status["pending"] == 0).then_some(())
    })
    .await?;
    assert_eq!(
        invoice_requests(&peer).await?.1,
        updates,
        "no Invoice written again"
    );
    assert_eq!(peer.resources("Invoice").await?.len(), 3);
    assert_eq!(invoices_of(&peer, &id).await?[0]["meta"], balanced["meta"]);
    peer.stop().await
}

/// How many Invoice searches and Invoice updates the peer answered so far.
async fn invoice_requests(peer: &FhirPeer) -> anyhow::Result<(usize, usize)> {
    let stats = peer.stats().await?;
    let log = stats["log"].as_array().cloned().unwrap_or_default();
    let count = |method: &str, path: fn(&str) -> bool| {
        log.iter()
            .filter(|r| r["method"] == method && r["path"].as_str().is_some_and(path))
            .count()
    };
    Ok((
        count("GET", |p| p == "/fhir/Invoice"),
        count("PUT", |p| p.starts_with("/fhir/Invoice/")),
    ))
}

/// Queues the `document.paid` of memo `id` again, as if its delivery had not been recorded
/// (the daemon is stopped: the test opens its store).
fn replay_payment(site: &PlatformSite, id: &str) -> anyhow::Result<()> {
    use teleconsult_core::audit::{Action, Actor, AuditEvent};
    use teleconsult_core::document::DocumentContent;
    use teleconsult_sync::message::{DocumentPaid, document_paid};
    let store = teleconsult_tests::daemon::open_store(&site.daemon)?;
    let now = teleconsult_core::Timestamp::now();
    let audit = AuditEvent {
        at: now,
        actor: Actor::System("test".into()),
        action: Action::Read,
        object_type: "document".into(),
        object_id: id.to_owned(),
    };
    let memo = store
        .document(id.parse()?, &audit)?
        .ok_or_else(|| anyhow::anyhow!("memo {id} not stored"))?;
    let (DocumentContent::FeeMemo(content), Some(payment)) = (&memo.content, &memo.payment) else {
        anyhow::bail!("memo {id} is not a paid fee memo");
    };
    let message = document_paid(&DocumentPaid {
        document: memo.document.clone(),
        acts: content.acts.clone(),
        paid_at: payment.at,
        paid_by: payment.by,
    })?;
    teleconsult_tests::fhir_peer::workload::enqueue(&store, 900, &[message], now)?;
    Ok(())
}
