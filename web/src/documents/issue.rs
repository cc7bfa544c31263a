//! Issuing: the next per-site number, the PDF(s) rendered with it, then one store transaction
//! with the record, the PDFs, the retrieval token, the corrected original, the notifications,
//! the outbox message and the audit. When another document took the number meanwhile, the
//! document is rendered again with the next one (numbers stay gap-free). The handlers issue
//! one document at a time (`Inner::issuing`), so within the daemon a number is not lost to a
//! parallel issue and parallel requests do not render again and again; the check in the
//! store's transaction stays the guarantee.

use super::{actor, read_patient};
use crate::auth::{AuthUser, event};
use crate::error::ApiError;
use crate::i18n::DocumentFluent;
use crate::state::Inner;
use axum::http::StatusCode;
use base64::Engine;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Role;
use teleconsult_core::appointment::{Appointment, Status};
use teleconsult_core::audit::Action;
use teleconsult_core::document::{
    Document, DocumentContent, DocumentNumber, DocumentStatus, IssuedDocument, SickLeavePart,
};
use teleconsult_core::ids::{AppointmentId, DocumentId};
use teleconsult_core::notification::Notification;
use teleconsult_core::site::Language;
use teleconsult_render::document::{Parties, layout, title};
use teleconsult_render::pdf;
use teleconsult_store::{IssueOutcome, NewDocument, Rendition};
use teleconsult_sync::message::{
    DocumentIssued, PrescribedMedication, RequestedService, document_issued,
};

/// How often a number lost to a concurrent issue is retried before giving up.
const NUMBER_ATTEMPTS: usize = 8;

/// The appointment, when the caller is its practitioner (404 for everyone else).
pub(super) fn appointment_of_issuer(
    inner: &Inner,
    user: &AuthUser,
    id: AppointmentId,
) -> Result<Appointment, ApiError> {
    if user.account.role != Role::Practitioner {
        return Err(ApiError::not_found());
    }
    let a = crate::appointments::visible(inner, user, id)?;
    if user.account.practitioner != Some(a.practitioner) {
        return Err(ApiError::not_found());
    }
    // Decision: documents are issued for any appointment that took or may still take place
    // (booked, waiting, in call, completed); not for one that was cancelled or missed.
    if matches!(a.status, Status::Cancelled { .. } | Status::NoShow) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "appointment_closed",
            "this appointment was cancelled or missed: no document can be issued for it",
        ));
    }
    Ok(a)
}

/// The PDFs of a document: one, or the three parts of a sick-leave certificate.
fn render_all(
    language: Language,
    doc: &IssuedDocument,
    parties: &Parties<'_>,
    token: Option<&str>,
    replaces: Option<&str>,
) -> Result<Vec<(Rendition, Vec<u8>)>, ApiError> {
    let fonts = pdf::Fonts::system().map_err(ApiError::internal)?;
    let texts = DocumentFluent(language);
    let parts: Vec<Option<SickLeavePart>> = match doc.content {
        DocumentContent::SickLeaveCertificate(_) => SickLeavePart::ALL.map(Some).to_vec(),
        _ => vec![None],
    };
    parts
        .into_iter()
        .map(|part| {
            let page = layout(&texts, doc, parties, part, token, replaces);
            let bytes = pdf::render(fonts, &page).map_err(ApiError::internal)?;
            let rendition = part.map_or(Rendition::Document, Rendition::SickLeave);
            Ok((rendition, bytes))
        })
        .collect()
}

/// The `document.issued` outbox message: the PDF the platform keeps (a sick-leave
/// certificate's insurer part), and the structured lines of prescriptions and lab requests.
fn outbox_message(
    doc: &IssuedDocument,
    title: String,
    pdfs: &[(Rendition, Vec<u8>)],
) -> Result<teleconsult_core::outbox::OutboxMessage, ApiError> {
    let for_platform = pdfs
        .iter()
        .find(|(r, _)| {
            matches!(
                r,
                Rendition::Document | Rendition::SickLeave(SickLeavePart::Insurer)
            )
        })
        .map(|(_, bytes)| bytes.as_slice())
        .unwrap_or_default();
    let (medications, services) = match &doc.content {
        DocumentContent::Prescription(p) => (
            p.items
                .iter()
                .map(|i| PrescribedMedication {
                    medication: format!("{} {} {}", i.medication, i.dose, i.form),
                    dosage: format!("{}, {}", i.posology, i.duration),
                })
                .collect(),
            Vec::new(),
        ),
        DocumentContent::LabRequest(r) => (
            Vec::new(),
            r.tests
                .iter()
                .map(|t| RequestedService {
                    service: t.clone(),
                    note: (!r.clinical_information.is_empty())
                        .then(|| r.clinical_information.clone()),
                })
                .collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    document_issued(&DocumentIssued {
        document: doc.document.clone(),
        title,
        content_type: "application/pdf".into(),
        data_base64: base64::engine::general_purpose::STANDARD.encode(for_platform),
        replaces: doc.replaces,
        medications,
        services,
        acts: match &doc.content {
            DocumentContent::FeeMemo(m) => m.acts.clone(),
            _ => Vec::new(),
        },
    })
    .map_err(ApiError::internal)
}

/// The e-mails: "a new document is available" to the account that booked (no health data),
/// and for a lab request, the announcement to the laboratory.
fn notifications(
    inner: &Inner,
    doc: &IssuedDocument,
    a: &Appointment,
    now: Timestamp,
) -> Result<Vec<Notification>, ApiError> {
    let site = inner.settings.site_name.as_str();
    let mut out = Vec::new();
    if let Some(booker) = inner.store.account(a.booked_by)?
        && !booker.email.is_empty()
    {
        let link = format!("{}/documents", inner.settings.public_url);
        let args = [
            ("site", site),
            ("name", booker.name.as_str()),
            ("link", link.as_str()),
        ];
        let l = booker.language;
        out.push(Notification::email(
            booker.email.clone(),
            crate::i18n::text(l, "email-document-subject", &args),
            crate::i18n::text(l, "email-document-body", &args),
            now,
        ));
    }
    if let DocumentContent::LabRequest(r) = &doc.content {
        let l = inner
            .settings
            .languages
            .first()
            .copied()
            .unwrap_or(Language::Fr);
        let number = doc.document.number.to_string();
        let home = crate::i18n::text(l, if r.home_visit { "doc-yes" } else { "doc-no" }, &[]);
        let args = [
            ("site", site),
            ("number", number.as_str()),
            ("home", home.as_str()),
        ];
        out.push(Notification::email(
            r.laboratory.email.clone(),
            crate::i18n::text(l, "email-lab-request-subject", &args),
            crate::i18n::text(l, "email-lab-request-body", &args),
            now,
        ));
    }
    Ok(out)
}

/// Issues `content` (validated here) for appointment `a`, correcting `original` when given.
/// Returns the document and its patient's name.
pub(super) fn issue(
    inner: &Inner,
    user: &AuthUser,
    a: &Appointment,
    content: DocumentContent,
    original: Option<IssuedDocument>,
) -> Result<(IssuedDocument, String), ApiError> {
    let now = inner.clock.now();
    let zone =
        jiff::tz::TimeZone::get(&inner.settings.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = now.to_zoned_datetime(zone);
    let content = content.validated(local.date())?;
    let patient = read_patient(inner, user, a.patient)?;
    let practitioner = inner
        .store
        .practitioner(a.practitioner)?
        .ok_or_else(ApiError::not_found)?;
    let language = patient
        .language
        .parse::<Language>()
        .ok()
        .or_else(|| inner.settings.languages.first().copied())
        .unwrap_or(Language::Fr);
    let patient_name = format!("{} {}", patient.first_name, patient.last_name);
    let parties = Parties {
        site: &inner.settings.site_name,
        time_zone: &inner.settings.time_zone,
        patient_name: &patient_name,
        patient_national_id: &patient.national_id,
        patient_birth_date: patient.birth_date.to_string(),
        practitioner_name: &practitioner.name,
        practitioner_specialty: &practitioner.specialty,
    };
    // The QR code carries a random retrieval token, never the prescription itself.
    let token = matches!(content, DocumentContent::Prescription(_)).then(crate::auth::new_secret);
    let id = DocumentId::from_uuid(uuid::Uuid::new_v4());
    let replaces_number = original.as_ref().map(|o| o.document.number.to_string());
    let created = event(now, actor(user), Action::Create, "document", id.to_string());
    let original_event = original.as_ref().map(|o| {
        event(
            now,
            actor(user),
            Action::Update,
            "document",
            o.id().to_string(),
        )
    });
    for _ in 0..NUMBER_ATTEMPTS {
        let previous = inner.store.last_document_number()?;
        let number = DocumentNumber::next(&inner.settings.site_id, local.year(), previous.as_ref())
            .map_err(|e| ApiError::internal(format!("document number: {e}")))?;
        let document = Document {
            id,
            number,
            kind: content.kind(),
            appointment: a.id,
            patient: a.patient,
            practitioner: a.practitioner,
            issued_at: now,
            status: DocumentStatus::Issued,
        };
        let record =
            IssuedDocument::new(document, content.clone(), original.as_ref().map(|o| o.id()))
                .map_err(ApiError::internal)?;
        let marked = original
            .as_ref()
            .map(|o| o.superseded_by(&record, now))
            .transpose()?;
        let pdfs = render_all(
            language,
            &record,
            &parties,
            token.as_deref(),
            replaces_number.as_deref(),
        )?;
        let doc_title = format!(
            "{} {}",
            title(&DocumentFluent(language), &record.content),
            record.document.number
        );
        let outbox = [outbox_message(&record, doc_title, &pdfs)?];
        let messages = notifications(inner, &record, a, now)?;
        let new = NewDocument {
            record: &record,
            pdfs: &pdfs,
            retrieval_token: token.as_deref(),
            supersedes: original.as_ref().zip(marked.as_ref()),
            notifications: &messages,
            outbox: &outbox,
        };
        match inner.store.issue_document(
            new,
            previous.as_ref(),
            &created,
            original_event.as_ref(),
        )? {
            IssueOutcome::Issued => return Ok((record, patient_name)),
            IssueOutcome::NumberTaken => continue,
            IssueOutcome::OriginalChanged => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "the document changed meanwhile (corrected or dispensed): reload it",
                ));
            }
        }
    }
    Err(ApiError::unavailable(
        "many documents are being issued at this moment: try again",
    ))
}
