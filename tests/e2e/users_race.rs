//! Accounts created in parallel (`POST /users`): thirty requests for the same practitioner's
//! login — two administrators pressing at once, a retried request — create one account and one
//! directory entry. Each other request is told the login exists; no practitioner is listed
//! (and bookable) without an account behind it.

use serde_json::{Value, json};
use teleconsult_tests::site::{ADMIN, STAFF, Site};

#[tokio::test]
async fn thirty_parallel_creations_of_one_practitioner_make_one_account_and_one_listing()
-> anyhow::Result<()> {
    let site = Site::demo("").await?;
    let admin = site.login(&ADMIN).await?;
    let new = json!({"role": "practitioner", "login": "dr.racine", "phone": "+352 621 555 030",
        "email": "racine@example.lu", "name": "Dr Jeanne Racine", "specialty": "dermatology",
        "password": "a long and unguessable passphrase"});
    let answers = futures_util::future::join_all(
        (0..30).map(|_| async { site.post(&admin, "/api/v1/users", &new).await }),
    )
    .await;
    let mut created = 0;
    for answer in answers {
        let (status, body) = answer?;
        match (status, body["error"].as_str()) {
            (201, _) => created += 1,
            (409, Some("already_exists")) => {}
            // The hashing queue may turn a burst away: a clear 429, never a fault.
            (429, Some("busy")) => {}
            other => anyhow::bail!("unexpected answer {other:?}: {body}"),
        }
    }
    assert_eq!(created, 1, "one account");
    let users = site.get_ok(&admin, "/api/v1/users").await?;
    let accounts = users
        .as_array()
        .into_iter()
        .flatten()
        .filter(|u| u["login"] == "dr.racine")
        .count();
    assert_eq!(accounts, 1, "{users}");
    let staff = site.login(&STAFF).await?;
    let listed = site
        .get_ok(&staff, "/api/v1/practitioners?q=jeanne%20racine")
        .await?;
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "one directory entry, the account's: {listed}"
    );
    let _: &Value = &listed[0];
    Ok(())
}
