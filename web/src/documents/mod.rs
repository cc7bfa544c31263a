//! Documents issued after a consultation (DESIGN §4): prescriptions, lab requests, sick-leave
//! certificates, fee memos, consultation reports. The practitioner of an appointment issues
//! them; the patient (or whoever acts for them) and the issuer read them; pharmacists reach
//! prescriptions only through `pharmacy` (QR token or national id). Anyone else gets 404.
//!
//! Every document is rendered to PDF when issued (`teleconsult-render`: document → layout →
//! PDF, its texts from this crate's Fluent bundle) and the bytes are stored
//! sealed: what the patient downloads later is exactly what was signed off. Corrections are new
//! documents that supersede the original.

mod issue;
pub mod laboratories;
pub mod pharmacy;
pub mod print;

use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::{AppState, Inner};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use teleconsult_core::account::Role;
use teleconsult_core::audit::{Action, Actor};
use teleconsult_core::document::{
    ConsultationReport, DocumentContent, DocumentStatus, FeeAct, FeeMemo, IssuedDocument,
    LabRequest, PaidBy, Prescription, PrescriptionItem, SickLeave, SickLeavePart,
};
use teleconsult_core::ids::DocumentId;
use teleconsult_store::{DocumentChange, Rendition};
use utoipa::{IntoParams, ToSchema};

/// One medicine, as the practitioner writes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionItemInput {
    pub medication: String,
    /// Strength, e.g. `500 mg`.
    pub dose: String,
    /// Pharmaceutical form, e.g. `comprimé`.
    pub form: String,
    pub posology: String,
    pub duration: String,
    /// Whether a generic may be substituted (default false).
    #[serde(default)]
    pub substitution_allowed: bool,
}

/// One act of a fee memo.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeActInput {
    /// Nomenclature code, e.g. `C1`.
    pub code: String,
    pub label: String,
    /// Fee in euro cents (integer: no rounding).
    pub amount_cents: u64,
}

/// A document to issue; `kind` says which.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DocumentRequest {
    Prescription {
        items: Vec<PrescriptionItemInput>,
    },
    LabRequest {
        /// A laboratory of `GET /laboratories`, chosen by the patient.
        laboratory_id: String,
        tests: Vec<String>,
        #[serde(default)]
        home_visit: bool,
        #[serde(default)]
        clinical_information: String,
    },
    SickLeaveCertificate {
        /// First day of incapacity, `YYYY-MM-DD`.
        from: String,
        /// Last day (inclusive), `YYYY-MM-DD`.
        to: String,
        diagnosis: String,
        #[serde(default)]
        outings_allowed: bool,
    },
    FeeMemo {
        acts: Vec<FeeActInput>,
    },
    ConsultationReport {
        #[serde(default)]
        reason: String,
        findings: String,
        #[serde(default)]
        conclusion: String,
    },
}

fn field_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_fields(BTreeMap::from([(field.to_owned(), message.into())]))
}

impl DocumentRequest {
    /// The domain content (not yet validated), the laboratory taken from the directory.
    fn into_content(self, inner: &Inner) -> Result<DocumentContent, ApiError> {
        Ok(match self {
            DocumentRequest::Prescription { items } => {
                DocumentContent::Prescription(Prescription {
                    items: items
                        .into_iter()
                        .map(|i| PrescriptionItem {
                            medication: i.medication,
                            dose: i.dose,
                            form: i.form,
                            posology: i.posology,
                            duration: i.duration,
                            substitution_allowed: i.substitution_allowed,
                        })
                        .collect(),
                })
            }
            DocumentRequest::LabRequest {
                laboratory_id,
                tests,
                home_visit,
                clinical_information,
            } => {
                let laboratory =
                    inner
                        .store
                        .laboratory(laboratory_id.trim())?
                        .ok_or_else(|| {
                            field_error("laboratory_id", "no such laboratory in the directory")
                        })?;
                DocumentContent::LabRequest(LabRequest {
                    laboratory,
                    tests,
                    home_visit,
                    clinical_information,
                })
            }
            DocumentRequest::SickLeaveCertificate {
                from,
                to,
                diagnosis,
                outings_allowed,
            } => {
                let mut errors = BTreeMap::new();
                let mut date = |field: &str, raw: &str| {
                    raw.trim()
                        .parse::<jiff::civil::Date>()
                        .map_err(|_| errors.insert(field.to_owned(), "expected YYYY-MM-DD".into()))
                        .ok()
                };
                let (from, to) = (date("from", &from), date("to", &to));
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(ApiError::invalid_fields(errors));
                };
                DocumentContent::SickLeaveCertificate(SickLeave {
                    from,
                    to,
                    diagnosis,
                    outings_allowed,
                })
            }
            DocumentRequest::FeeMemo { acts } => DocumentContent::FeeMemo(FeeMemo {
                acts: acts
                    .into_iter()
                    .map(|a| FeeAct {
                        code: a.code,
                        label: a.label,
                        amount_cents: a.amount_cents,
                    })
                    .collect(),
            }),
            DocumentRequest::ConsultationReport {
                reason,
                findings,
                conclusion,
            } => DocumentContent::ConsultationReport(ConsultationReport {
                reason,
                findings,
                conclusion,
            }),
        })
    }
}

/// Payment state of a fee memo.
#[derive(Serialize, ToSchema)]
pub struct PaymentView {
    /// `unpaid` or `paid`.
    pub status: String,
    pub paid_at: Option<String>,
    /// `patient` or `practitioner`: who recorded the payment.
    pub paid_by: Option<String>,
}

/// A document as its patient and its issuer see it.
#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    /// Per-site number, e.g. `DEMO-2026-000012`.
    pub number: String,
    /// `prescription`, `lab_request`, `sick_leave_certificate`, `fee_memo`,
    /// `consultation_report`.
    pub kind: String,
    pub appointment_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub issued_at: String,
    /// `issued` (current) or `superseded` (replaced by a corrected version).
    pub status: String,
    pub superseded_by: Option<String>,
    pub superseded_at: Option<String>,
    /// The document this one corrects.
    pub replaces: Option<String>,
    /// What the document says, by kind (the request's fields, the laboratory expanded).
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    /// Fee memos: sum of the acts in cents.
    pub total_cents: Option<u64>,
    /// Prescriptions: per item, when it was dispensed (null: not yet).
    pub dispensed: Option<Vec<Option<String>>>,
    /// Fee memos only.
    pub payment: Option<PaymentView>,
    /// Where to download the PDF(s): one URL, or for sick-leave certificates one per part
    /// (`?part=1|2|3`, also `insurer|patient|employer`).
    pub pdf: Vec<String>,
}

fn status_name(status: &DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Issued => "issued",
        DocumentStatus::Superseded { .. } => "superseded",
    }
}

fn kind_name(doc: &IssuedDocument) -> String {
    serde_json::to_value(doc.document.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn view(inner: &Inner, doc: &IssuedDocument, patient_name: String) -> DocumentView {
    let d = &doc.document;
    let practitioner_name = inner
        .store
        .practitioner(d.practitioner)
        .ok()
        .flatten()
        .map(|p| p.name)
        .unwrap_or_default();
    let (superseded_by, superseded_at) = match &d.status {
        DocumentStatus::Issued => (None, None),
        DocumentStatus::Superseded { by, at } => (Some(by.to_string()), Some(at.to_string())),
    };
    let base = format!("/api/v1/documents/{}/pdf", d.id);
    let pdf = match doc.content {
        DocumentContent::SickLeaveCertificate(_) => SickLeavePart::ALL
            .iter()
            .map(|p| format!("{base}?part={}", p.number()))
            .collect(),
        _ => vec![base],
    };
    DocumentView {
        id: d.id.to_string(),
        number: d.number.to_string(),
        kind: kind_name(doc),
        appointment_id: d.appointment.to_string(),
        patient_id: d.patient.to_string(),
        patient_name,
        practitioner_id: d.practitioner.to_string(),
        practitioner_name,
        issued_at: d.issued_at.to_string(),
        status: status_name(&d.status).to_owned(),
        superseded_by,
        superseded_at,
        replaces: doc.replaces.map(|r| r.to_string()),
        content: serde_json::to_value(&doc.content).unwrap_or_default(),
        total_cents: match &doc.content {
            DocumentContent::FeeMemo(m) => Some(m.total_cents()),
            _ => None,
        },
        dispensed: matches!(doc.content, DocumentContent::Prescription(_)).then(|| {
            doc.dispensed
                .iter()
                .map(|d| d.as_ref().map(|d| d.at.to_string()))
                .collect()
        }),
        payment: matches!(doc.content, DocumentContent::FeeMemo(_)).then(|| PaymentView {
            status: if doc.payment.is_some() {
                "paid"
            } else {
                "unpaid"
            }
            .to_owned(),
            paid_at: doc.payment.as_ref().map(|p| p.at.to_string()),
            paid_by: doc.payment.as_ref().map(|p| {
                match p.by {
                    PaidBy::Patient => "patient",
                    PaidBy::Practitioner => "practitioner",
                }
                .to_owned()
            }),
        }),
        pdf,
    }
}

pub(crate) fn actor(user: &AuthUser) -> Actor {
    Actor::Account(user.account.id.to_string())
}

pub(crate) use crate::appointments::read_patient;

fn patient_name(inner: &Inner, user: &AuthUser, doc: &IssuedDocument) -> Result<String, ApiError> {
    crate::appointments::patient_name(inner, user, doc.document.patient)
}

pub(crate) fn document_id(raw: &str) -> Result<DocumentId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Loads a document the caller may read (404 otherwise, whether it exists or not).
pub(crate) fn visible(
    inner: &Inner,
    user: &AuthUser,
    id: DocumentId,
    object_type: &str,
) -> Result<IssuedDocument, ApiError> {
    let audit = event(
        inner.clock.now(),
        actor(user),
        Action::Read,
        object_type,
        id.to_string(),
    );
    match inner.store.document(id, &audit)? {
        Some(d) if d.visible_to(&user.account) => Ok(d),
        _ => Err(ApiError::not_found()),
    }
}

/// Issues a document for an appointment: its practitioner only. 201 with the document; the
/// patient is told by e-mail (no health data in it), the platform through the outbox (a
/// sick-leave certificate's part 1 for the insurer), a lab request's laboratory by e-mail.
#[utoipa::path(post, path = "/appointments/{id}/documents", tag = "documents",
    params(("id" = String, Path, description = "Appointment id")),
    request_body = DocumentRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Issued", body = DocumentView),
        (status = 404, description = "No such appointment, or not this practitioner's", body = crate::error::ErrorBody),
        (status = 409, description = "`appointment_closed`: cancelled or no-show", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields, one message per field", body = crate::error::ErrorBody)))]
pub async fn issue_document(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DocumentRequest>,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let appointment = id.parse().map_err(|_| ApiError::not_found())?;
    // One issue at a time: each renders for the number it will get (see `issue.rs`).
    let _issuing = state.issuing.lock().await;
    let view = state
        .blocking(move |inner| {
            let a = issue::appointment_of_issuer(inner, &user, appointment)?;
            let content = request.into_content(inner)?;
            let (doc, name) = issue::issue(inner, &user, &a, content, None)?;
            Ok(view(inner, &doc, name))
        })
        .await?;
    state.wake_workers();
    Ok((StatusCode::CREATED, Json(view)))
}

/// Issues a corrected version of a document (same kind, same appointment): the original is
/// kept, marked superseded by the new one. The issuing practitioner only.
#[utoipa::path(post, path = "/documents/{id}/supersede", tag = "documents",
    params(("id" = String, Path)), request_body = DocumentRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "The new version", body = DocumentView),
        (status = 404, description = "No such document, or not the caller's to correct", body = crate::error::ErrorBody),
        (status = 409, description = "`already_superseded`, `already_dispensed` (a prescription the pharmacy acted on), `conflict`", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields, or another kind than the original", body = crate::error::ErrorBody)))]
pub async fn supersede_document(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DocumentRequest>,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let id = document_id(&id)?;
    let _issuing = state.issuing.lock().await;
    let view = state
        .blocking(move |inner| {
            let original = visible(inner, &user, id, "document")?;
            if user.account.role != Role::Practitioner {
                return Err(ApiError::not_found());
            }
            let a = issue::appointment_of_issuer(inner, &user, original.document.appointment)?;
            let content = request.into_content(inner)?;
            if content.kind() != original.document.kind {
                return Err(field_error(
                    "kind",
                    "a correction has the kind of the original; issue other kinds as new documents",
                ));
            }
            let (doc, name) = issue::issue(inner, &user, &a, content, Some(original))?;
            Ok(view(inner, &doc, name))
        })
        .await?;
    state.wake_workers();
    Ok((StatusCode::CREATED, Json(view)))
}

/// The caller's documents, newest first: a patient's own and their relatives', a
/// practitioner's issued ones. Other roles have none.
#[utoipa::path(get, path = "/documents", tag = "documents", security(("bearer" = [])),
    responses((status = 200, description = "Documents", body = [DocumentView])))]
pub async fn list_documents(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<DocumentView>>, ApiError> {
    state
        .blocking(move |inner| {
            let audit = event(
                inner.clock.now(),
                actor(&user),
                Action::Read,
                "document_list",
                user.account.id.to_string(),
            );
            let account = user.account.clone();
            let docs = inner.store.documents(|d| d.visible_to(&account), &audit)?;
            let mut names = BTreeMap::new();
            let mut out = Vec::with_capacity(docs.len());
            for d in &docs {
                let name = match names.get(&d.document.patient) {
                    Some(n) => String::clone(n),
                    None => {
                        let n = patient_name(inner, &user, d)?;
                        names.insert(d.document.patient, n.clone());
                        n
                    }
                };
                out.push(view(inner, d, name));
            }
            Ok(Json(out))
        })
        .await
}

/// One document.
#[utoipa::path(get, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        (status = 404, description = "No such document, or not yours", body = crate::error::ErrorBody)))]
pub async fn get_document(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    let id = document_id(&id)?;
    state
        .blocking(move |inner| {
            let d = visible(inner, &user, id, "document")?;
            let name = patient_name(inner, &user, &d)?;
            Ok(Json(view(inner, &d, name)))
        })
        .await
}

#[derive(Deserialize, IntoParams)]
pub struct PdfQuery {
    /// Sick-leave certificates: `1` (insurer), `2` (patient, the default) or `3` (employer,
    /// without diagnosis); also by name. Other kinds have no parts.
    pub part: Option<String>,
}

/// Which stored PDF `part` names: a sick-leave certificate's part (the patient's by default),
/// else the document itself (422 for a part of a document that has none).
fn rendition(d: &IssuedDocument, part: Option<&str>) -> Result<Rendition, ApiError> {
    match (&d.content, part) {
        (DocumentContent::SickLeaveCertificate(_), part) => Ok(Rendition::SickLeave(
            part.map(str::parse::<SickLeavePart>)
                .transpose()
                .map_err(|e| field_error("part", e.to_string()))?
                .unwrap_or(SickLeavePart::Patient),
        )),
        (_, None) => Ok(Rendition::Document),
        (_, Some(_)) => Err(field_error(
            "part",
            "only sick-leave certificates have parts",
        )),
    }
}

/// The PDF as issued (stored at issue time, never re-rendered).
#[utoipa::path(get, path = "/documents/{id}/pdf", tag = "documents",
    params(("id" = String, Path), PdfQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "No such document, or not yours", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown part, or a part of a document that has none", body = crate::error::ErrorBody)))]
pub async fn document_pdf(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<PdfQuery>,
) -> Result<Response, ApiError> {
    let id = document_id(&id)?;
    let (bytes, filename) = state
        .blocking(move |inner| {
            let d = visible(inner, &user, id, "document")?;
            let rendition = rendition(&d, query.part.as_deref())?;
            let audit = event(
                inner.clock.now(),
                actor(&user),
                Action::Read,
                "document_pdf",
                id.to_string(),
            );
            let bytes = inner
                .store
                .document_pdf(id, rendition, &audit)?
                .ok_or_else(|| ApiError::internal(format!("document {id} has no stored PDF")))?;
            let suffix = match rendition {
                Rendition::Document => String::new(),
                Rendition::SickLeave(p) => format!("-part{}", p.number()),
            };
            Ok((bytes, format!("{}{suffix}.pdf", d.document.number)))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The `document.paid` outbox message of a fee memo just marked paid: the insurer learns it
/// through the platform (its Invoice becomes `balanced`).
fn payment_message(
    paid: &IssuedDocument,
) -> Result<teleconsult_core::outbox::OutboxMessage, ApiError> {
    let (DocumentContent::FeeMemo(memo), Some(payment)) = (&paid.content, &paid.payment) else {
        return Err(ApiError::internal(
            "a paid document without fee memo or payment",
        ));
    };
    teleconsult_sync::message::document_paid(&teleconsult_sync::message::DocumentPaid {
        document: paid.document.clone(),
        acts: memo.acts.clone(),
        paid_at: payment.at,
        paid_by: payment.by,
    })
    .map_err(ApiError::internal)
}

/// Marks a fee memo paid: the issuing practitioner only, who received the payment. The
/// payment is queued for the national platform (`document.paid`: the insurer's invoice is
/// balanced) in the same transaction. Anyone else — the patient included, who sees the memo —
/// is answered as for a document that does not exist.
#[utoipa::path(post, path = "/documents/{id}/paid", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Marked paid", body = DocumentView),
        (status = 404, description = "No such document, or not the caller's to mark paid (only its issuer records a payment)", body = crate::error::ErrorBody),
        (status = 409, description = "`already_paid`, `superseded`, `not_a_fee_memo`", body = crate::error::ErrorBody)))]
pub async fn mark_paid(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    let id = document_id(&id)?;
    let view = state
        .blocking(move |inner| {
            let d = visible(inner, &user, id, "document")?;
            let now = inner.clock.now();
            let audit = event(
                now,
                actor(&user),
                Action::Update,
                "document",
                id.to_string(),
            );
            // Decided on the document as stored at the moment of writing: a second request
            // marking it paid at the same time gets `already_paid`.
            let paid = inner
                .store
                .change_document(
                    d.id(),
                    |stored| {
                        let paid = stored.mark_paid(&user.account, now)?;
                        let outbox = vec![payment_message(&paid)?];
                        Ok::<_, ApiError>(DocumentChange {
                            next: paid,
                            notifications: Vec::new(),
                            outbox,
                        })
                    },
                    None,
                    &audit,
                )?
                .ok_or_else(ApiError::not_found)??;
            let name = patient_name(inner, &user, &paid)?;
            Ok(Json(view(inner, &paid, name)))
        })
        .await?;
    state.wake_workers();
    Ok(view)
}
