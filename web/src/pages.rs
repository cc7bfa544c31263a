//! Server-rendered pages. The full patient/practitioner UI (with Fluent translations) comes with
//! the accounts issue; this is the landing page a newcomer sees after `cargo xtask run`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use teleconsult_core::ports::Repository;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(index))
}

async fn index(State(state): State<AppState>) -> Result<Markup, ApiError> {
    let practitioners = state
        .blocking(|inner| inner.store.practitioners().map_err(ApiError::from))
        .await?;
    let settings = &state.settings;
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (settings.site_name) " — teleconsult" }
                style { (STYLE) }
            }
            body {
                @if settings.demo {
                    p.demo { "Demo mode: test data only, do not enter real patient data." }
                }
                h1 { (settings.site_name) }
                p { "Teleconsultation service — status: "
                    strong { @if state.is_ready() { "ready" } @else { "starting" } } }
                h2 { "Practitioners" }
                @if practitioners.is_empty() {
                    p { "No practitioner is registered at this site yet." }
                } @else {
                    ul.practitioners {
                        @for p in &practitioners {
                            li { strong { (p.name) } " — " (p.specialty) " — " (p.languages.join(", ")) }
                        }
                    }
                }
                footer {
                    a href="/api/v1/openapi.json" { "API (OpenAPI)" } " · "
                    a href="/healthz" { "health" } " · "
                    a href="/readyz" { "readiness" }
                }
            }
        }
    })
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;\
line-height:1.5}.demo{background:#fff3cd;border:1px solid #e0c060;padding:.5rem 1rem}\
footer{margin-top:3rem;font-size:.9rem;color:#555}";
