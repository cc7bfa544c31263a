//! Router-level tests of the pages: headers, language resolution, CSRF on forms, static files,
//! translated per-field errors. The browser flows are in the e2e suite (`tests/e2e/browser.rs`).

use crate::AppState;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    /// The value of cookie `name` set by this answer.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
    }

    /// The `value` of the hidden `csrf` field of the first form.
    fn csrf_field(&self) -> String {
        let start = self.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let response: Response<Body> = crate::router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn get(path: &str) -> axum::http::request::Builder {
    Request::get(path).header(header::ACCEPT, "text/html")
}

fn post_form(path: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn pages_carry_the_csp_and_speak_the_browsers_language() {
    let (_dir, state) = crate::tests::state();
    let answer = send(
        &state,
        get("/login")
            .header(header::ACCEPT_LANGUAGE, "de-LU,de;q=0.9,en;q=0.5")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    );
    assert_eq!(answer.headers["x-frame-options"], "DENY");
    assert_eq!(answer.headers[header::REFERRER_POLICY], "no-referrer");
    assert!(
        answer
            .headers
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
    assert!(
        answer.body.contains("<html lang=\"de\">"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("Passwort vergessen?"));
    assert!(!answer.body.contains("<script>") && !answer.body.contains("style="));
    // The pre-session CSRF cookie is handed out with the page, and the form carries it.
    let token = answer.cookie("__Host-tc_csrf").expect("csrf cookie");
    assert_eq!(answer.csrf_field(), token);

    // The language cookie beats Accept-Language; the site's first language is the default.
    let answer = send(
        &state,
        get("/login")
            .header(header::ACCEPT_LANGUAGE, "de")
            .header(header::COOKIE, "tc_lang=pt")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(answer.body.contains("<html lang=\"pt\">"));
    let answer = send(&state, get("/login").body(Body::empty()).unwrap()).await;
    assert!(answer.body.contains("<html lang=\"fr\">"));

    // The API keeps its headers: no CSP on JSON.
    let api = send(
        &state,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert!(!api.headers.contains_key(header::CONTENT_SECURITY_POLICY));
}

#[tokio::test]
async fn pre_login_forms_need_the_double_submit_token() {
    let (_dir, state) = crate::tests::state();
    let page = send(&state, get("/login").body(Body::empty()).unwrap()).await;
    let token = page.cookie("__Host-tc_csrf").unwrap();
    let cookie = format!("__Host-tc_csrf={token}");
    let login = "login=nobody%40example.lu&password=wrong-password-123";

    let missing = send(&state, post_form("/login", &cookie, login)).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN, "{}", missing.body);
    let other = crate::auth::new_secret();
    let wrong = send(
        &state,
        post_form("/login", &cookie, &format!("csrf={other}&{login}")),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let no_cookie = send(
        &state,
        post_form("/login", "", &format!("csrf={token}&{login}")),
    )
    .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);

    // Field and cookie agree: the form is processed (and the login is refused generically).
    let right = send(
        &state,
        post_form("/login", &cookie, &format!("csrf={token}&{login}")),
    )
    .await;
    assert_eq!(right.status, StatusCode::UNAUTHORIZED, "{}", right.body);
    assert!(
        right
            .body
            .contains("L'identifiant ou le mot de passe est incorrect.")
    );

    // A browser saying the form comes from another site is refused even with the token.
    let mut cross = post_form("/login", &cookie, &format!("csrf={token}&{login}"));
    cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&state, cross).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn registration_errors_are_shown_per_field_in_the_users_language() {
    let (_dir, state) = crate::tests::state();
    let page = send(
        &state,
        get("/register")
            .header(header::COOKIE, "tc_lang=de")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(page.body.contains("name=\"data_processing\""));
    assert!(
        page.body
            .contains("Ich willige in die Verarbeitung meiner Daten ein")
    );
    let token = page.cookie("__Host-tc_csrf").unwrap();
    let body = format!(
        "csrf={token}&national_id=123&first_name=Anna&last_name=&birth_date=1985-07-15\
         &phone=621&email=anna%40example.lu&language=de&password=short&password_confirm=shorter\
         &data_processing=on"
    );
    let answer = send(
        &state,
        post_form(
            "/register",
            &format!("__Host-tc_csrf={token}; tc_lang=de"),
            &body,
        ),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    for (field, text) in [
        (
            "national_id",
            "Prüfen Sie Ihre nationale Identifikationsnummer",
        ),
        ("last_name", "Geben Sie Ihren Nachnamen ein."),
        ("phone", "Geben Sie eine Mobilnummer mit Ländervorwahl ein"),
        ("password", "Dieses Passwort ist nicht sicher genug"),
        // A mismatched confirmation is reported with the rest, not instead of it.
        (
            "password_confirm",
            "Die beiden Passwörter sind verschieden.",
        ),
        (
            "teleconsultation",
            "Ihre Einwilligung in Fernbehandlungen ist nötig",
        ),
    ] {
        assert!(answer.body.contains(text), "{field}: {}", answer.body);
        assert!(
            answer.body.contains(&format!("id=\"{field}-error\"")),
            "{field} error id"
        );
        assert!(
            answer
                .body
                .contains(&format!("aria-describedby=\"{field}-hint {field}-error\""))
                || answer
                    .body
                    .contains(&format!("aria-describedby=\"{field}-error\"")),
            "{field} described by its error"
        );
    }
    // Values typed are kept (never passwords); valid fields carry no error.
    assert!(answer.body.contains("value=\"anna@example.lu\""));
    assert!(!answer.body.contains("value=\"short\""));
    assert!(!answer.body.contains("id=\"email-error\""));
}

#[tokio::test]
async fn static_files_are_cached_and_unknown_pages_get_a_page() {
    let (_dir, state) = crate::tests::state();
    let home = send(&state, get("/").body(Body::empty()).unwrap()).await;
    let start = home.body.find("/static/app.css?v=").unwrap();
    let url = home.body[start..].split('"').next().unwrap().to_owned();
    let css = send(&state, Request::get(url).body(Body::empty()).unwrap()).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(
        css.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(css.body.contains(":focus-visible"));
    let missing = send(
        &state,
        Request::get("/static/nope.css")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let page = send(&state, get("/no/such/page").body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Page introuvable"), "{}", page.body);
    let api = send(&state, get("/api/v1/nothing").body(Body::empty()).unwrap()).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.body.contains("\"error\":\"not_found\""));
}

#[tokio::test]
async fn pages_for_logged_in_users_send_visitors_to_the_login() {
    let (_dir, state) = crate::tests::state();
    for path in ["/home", "/me", "/me/erase", "/me/export"] {
        let answer = send(&state, get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.headers[header::LOCATION], "/login", "{path}");
    }
    let code = send(&state, get("/login/code").body(Body::empty()).unwrap()).await;
    assert_eq!(code.headers[header::LOCATION], "/login");
}
