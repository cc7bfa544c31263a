//! The OpenAPI 3 document, generated from the handlers' annotations (`utoipa`), served at
//! `/api/v1/openapi.json`. Every route is registered through [`api_router`], so a route cannot
//! exist without being documented.

use crate::documents::{self, laboratories, pharmacy};
use crate::state::AppState;
use crate::{
    agenda, appointments, auth, booth, booth_status, health, me, medical_record, messages,
    patients, queue,
};
use crate::{call, call_attachments, signal};
use crate::{me_confirm, sync_status, totp, users};
use axum::Json;
use std::sync::OnceLock;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "teleconsult",
        description = "On-premise teleconsultation appliance API. Errors are always \
            `{\"error\":\"<snake_case_code>\",\"message\":\"<human text>\"}` with a fitting status. \
            Any endpoint may answer 503 `storage_full` (the site's storage is full: nothing is \
            saved, and health data is not shown because its access cannot be recorded) or 503 \
            `store_rolled_back` (the site's data went back to an earlier state and is served to \
            nobody until it is restored); the message says whom to call.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "patients", description = "Patient registration and data"),
        (name = "auth", description = "Login (password, then an SMS code or an authenticator app's code), sessions, activation, password reset"),
        (name = "me", description = "The caller's own data: read, rectify, export, erase, consents; the caller's authenticator app (TOTP)"),
        (name = "agenda", description = "Practitioners, schedules and free slots"),
        (name = "appointments", description = "Booking, listing and cancelling appointments"),
        (name = "booth", description = "Booth sessions run by the staff of a booth site: the person at the counter identified (or registered as a walk-in), the first practitioner free or a chosen slot, the cabin reset"),
        (name = "queue", description = "The on-demand queue (\"a doctor now\"): practitioners' availability, next patient, waiting from home or at the booth's counter"),
        (name = "call", description = "The call of an appointment: joining, signalling WebSocket, chat attachments, quality record"),
        (name = "messages", description = "Secure messaging between a patient and a practitioner outside consultations, with files"),
        (name = "documents", description = "Documents issued after a consultation (prescriptions, lab requests, sick-leave certificates, fee memos, reports), their PDFs, pharmacy look-up and dispensing, the laboratory directory"),
        (name = "sync", description = "National platform synchronisation"),
        (name = "users", description = "Accounts of practitioners, staff, pharmacists and administrators (administrators only)"),
        (name = "meta", description = "This document")
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

/// Declares how clients authenticate: the session token as a bearer token, or the cookie.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Session cookie; requests with side effects must also send X-CSRF-Token",
            ))),
        );
    }
}

/// The API routes and their OpenAPI description, together.
pub fn api_router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(patients::register_patient))
        .routes(routes!(auth::activate))
        .routes(routes!(auth::login))
        .routes(routes!(auth::otp))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::password_reset))
        .routes(routes!(auth::password_reset_confirm))
        .routes(routes!(me::get_me, me::patch_me, me::delete_me))
        .routes(routes!(me::export_me))
        .routes(routes!(me_confirm::confirmation_code))
        .routes(routes!(totp::get_totp, totp::post_totp, totp::delete_totp))
        .routes(routes!(totp::confirm_totp))
        .routes(routes!(me::withdraw_consent))
        .routes(routes!(
            medical_record::get_medical_record,
            medical_record::put_medical_record
        ))
        .routes(routes!(medical_record::appointment_medical_record))
        .routes(routes!(messages::list_conversations))
        .routes(routes!(messages::get_conversation))
        .routes(routes!(messages::post_message))
        .routes(routes!(messages::post_file))
        .routes(routes!(messages::message_file))
        .routes(routes!(agenda::list_practitioners))
        .routes(routes!(agenda::first_available))
        .routes(routes!(agenda::slots))
        .routes(routes!(agenda::get_schedule, agenda::put_schedule))
        .routes(routes!(agenda::put_practitioner))
        .routes(routes!(appointments::book, appointments::list))
        .routes(routes!(appointments::get))
        .routes(routes!(appointments::cancel))
        .routes(routes!(booth::start_session))
        .routes(routes!(booth::get_session))
        .routes(routes!(booth::end_session))
        .routes(routes!(booth::find_patient))
        .routes(routes!(booth_status::booth_status))
        .routes(routes!(booth_status::booth_check))
        .routes(routes!(queue::put_availability))
        .routes(routes!(queue::get_queue))
        .routes(routes!(queue::next))
        .routes(routes!(queue::ask_asap, queue::own_entry))
        .routes(routes!(queue::add_walk_in))
        .routes(routes!(queue::get_entry, queue::withdraw))
        .routes(routes!(queue::book_instead))
        .routes(routes!(call::call_info))
        .routes(routes!(call::quality))
        .routes(routes!(signal::signal))
        .routes(routes!(signal::signal_ticket))
        .routes(routes!(call_attachments::upload, call_attachments::list))
        .routes(routes!(call_attachments::download))
        .routes(routes!(documents::issue_document))
        .routes(routes!(documents::list_documents))
        .routes(routes!(documents::get_document))
        .routes(routes!(documents::document_pdf))
        .routes(routes!(documents::supersede_document))
        .routes(routes!(documents::mark_paid))
        .routes(routes!(documents::print::print_document))
        .routes(routes!(pharmacy::lookup))
        .routes(routes!(pharmacy::dispense))
        .routes(routes!(laboratories::list_laboratories))
        .routes(routes!(laboratories::put_laboratory))
        .routes(routes!(sync_status::sync_status))
        .routes(routes!(sync_status::sync_conflicts))
        .routes(routes!(sync_status::parked))
        .routes(routes!(sync_status::retry_parked))
        .routes(routes!(sync_status::discard_parked))
        .routes(routes!(users::list_users, users::add_user))
        .routes(routes!(users::disable))
        .routes(routes!(totp::reset_user_totp))
        .routes(routes!(openapi_json));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .nest("/api/v1", v1)
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    Json(
        DOCUMENT
            .get_or_init(|| api_router().split_for_parts().1)
            .clone(),
    )
}
