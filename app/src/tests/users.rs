//! The accounts an administrator creates, lists, disables and resets (`users.rs`), from the
//! admin API's side (an administrator's account) and the admin socket's (the operator).

use super::*;
use crate::users::{Administrator, NewAccount, Which};
use teleconsult_core::totp::{SECRET_BYTES, TotpSecret};

const PASSWORD: &str = "Correct-Horse-42-battery";

fn admin(s: &Site) -> Account {
    let admin = account(9, Role::Admin);
    s.store.create_account(&admin, &audit()).unwrap();
    admin
}

fn new(role: &str, login: &str) -> NewAccount {
    NewAccount {
        role: role.into(),
        login: login.into(),
        phone: "+352 621 000 777".into(),
        email: format!("{}@clinic.lu", login.trim()),
        name: Some("Dr Marie Weber".into()),
        specialty: (role == "practitioner").then(|| "general_practice".into()),
        password: PASSWORD.into(),
    }
}

/// Audit records of `object_type` about `id`.
fn audited(s: &Site, object_type: &str, id: impl ToString) -> Vec<AuditEvent> {
    let id = id.to_string();
    s.store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .filter(|e| e.object_type == object_type && e.object_id == id)
        .collect()
}

#[test]
fn a_practitioner_s_account_is_created_with_their_directory_entry_and_audited() {
    let s = site(SiteKind::Clinic);
    let admin = admin(&s);
    let listed_before = s.store.practitioners().unwrap().len();
    let created = s
        .app
        .create_account(
            Administrator::Account(&admin),
            &new("practitioner", " Weber "),
        )
        .unwrap();
    assert_eq!(created.login, "weber", "trimmed, lowercase");
    assert_eq!(created.phone, "+352621000777");
    assert_eq!(created.status, AccountStatus::Active);
    assert_ne!(created.password_hash, PASSWORD);
    let entry = created.practitioner.expect("listed");
    let listed = s.store.practitioners().unwrap();
    assert_eq!(listed.len(), listed_before + 1);
    assert!(
        listed
            .iter()
            .any(|p| p.id == entry && p.name == "Dr Marie Weber")
    );
    let by = Actor::Account(admin.id.to_string());
    assert_eq!(
        audited(&s, "account", created.id)
            .iter()
            .map(|e| (&e.actor, e.action))
            .collect::<Vec<_>>(),
        [(&by, Action::Create)]
    );
    assert_eq!(audited(&s, "practitioner", entry).len(), 1);

    // The operator at the admin socket is the actor of what it creates.
    let staff = s
        .app
        .create_account(
            Administrator::Operator("root (uid 0)"),
            &new("staff", "desk2"),
        )
        .unwrap();
    assert_eq!(staff.practitioner, None);
    assert_eq!(
        audited(&s, "account", staff.id)[0].actor,
        Actor::Admin("root (uid 0)".into())
    );
    let logins: Vec<String> = s
        .app
        .accounts(Administrator::Operator("root (uid 0)"))
        .unwrap()
        .into_iter()
        .map(|a| a.login)
        .collect();
    let mut sorted = logins.clone();
    sorted.sort();
    assert_eq!(logins, sorted, "by login");
    assert!(logins.contains(&"weber".to_owned()) && logins.contains(&"desk2".to_owned()));
}

#[test]
fn every_bad_field_is_named_at_once_and_only_administrators_may() {
    let s = site(SiteKind::Clinic);
    let admin = admin(&s);
    let bad = NewAccount {
        role: "patient".into(),
        login: "two words".into(),
        phone: "12".into(),
        email: "nope".into(),
        name: None,
        specialty: None,
        password: "short".into(),
    };
    let Err(AppError::Invalid(fields)) = s.app.create_account(Administrator::Account(&admin), &bad)
    else {
        panic!("invalid input accepted");
    };
    assert_eq!(
        fields.keys().map(String::as_str).collect::<Vec<_>>(),
        ["email", "login", "password", "phone", "role"]
    );
    let mut practitioner = new("practitioner", "nospecialty");
    practitioner.specialty = None;
    assert!(matches!(
        s.app.create_account(Administrator::Account(&admin), &practitioner),
        Err(AppError::Invalid(f)) if f.keys().eq(["specialty"])
    ));
    for someone in [&s.staff, &s.gp, &s.patient] {
        assert!(matches!(
            s.app
                .create_account(Administrator::Account(someone), &new("admin", "mine")),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            s.app.accounts(Administrator::Account(someone)),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            s.app
                .disable_account(Administrator::Account(someone), Which::Id(admin.id)),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            s.app
                .reset_authenticator(Administrator::Account(someone), Which::Id(admin.id)),
            Err(AppError::Forbidden(_))
        ));
    }
    assert_eq!(s.store.account_by_login("mine").unwrap(), None);
}

#[test]
fn thirty_administrators_creating_the_same_login_make_one_account_and_one_listing() {
    let s = site(SiteKind::Clinic);
    let admin = admin(&s);
    let listed_before = s.store.practitioners().unwrap().len();
    let answers: Vec<Result<Account, AppError>> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| {
                scope.spawn(|| {
                    s.app.create_account(
                        Administrator::Account(&admin),
                        &new("practitioner", "dupont"),
                    )
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let created: Vec<&Account> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert!(
            matches!(
                refused,
                AppError::Conflict {
                    code: "already_exists",
                    ..
                }
            ),
            "{refused:?}"
        );
    }
    let dupont = s.store.account_by_login("dupont").unwrap().unwrap();
    assert_eq!(dupont.id, created[0].id);
    let listed = s.store.practitioners().unwrap();
    assert_eq!(
        listed.len(),
        listed_before + 1,
        "no entry without its account"
    );
    assert!(listed.iter().any(|p| Some(p.id) == dupont.practitioner));
}

#[test]
fn disabling_ends_sessions_never_one_s_own_account_and_unknown_ones_are_not_found() {
    let s = site(SiteKind::Clinic);
    let admin = admin(&s);
    let later = at("2026-03-02T11:00:00Z");
    *s.clock.0.lock().unwrap() = later;
    let by = Administrator::Account(&admin);
    assert!(matches!(
        s.app.disable_account(by, Which::Id(admin.id)),
        Err(AppError::Conflict {
            code: "own_account",
            ..
        })
    ));
    assert_eq!(
        s.store.account(admin.id).unwrap().unwrap().status,
        AccountStatus::Active
    );
    let disabled = s.app.disable_account(by, Which::Id(s.staff.id)).unwrap();
    assert_eq!(disabled.status, AccountStatus::Disabled);
    assert_eq!(disabled.sessions_not_before, Some(later));
    assert_eq!(s.store.account(s.staff.id).unwrap().unwrap(), disabled);
    assert_eq!(audited(&s, "account", s.staff.id).len(), 1);
    // The operator names accounts by login; an administrator may be disabled by them.
    let operator = Administrator::Operator("root (uid 0)");
    let admin_now = s
        .app
        .disable_account(operator, Which::Login("ACCOUNT9"))
        .unwrap();
    assert_eq!(admin_now.id, admin.id);
    assert!(matches!(
        s.app.disable_account(operator, Which::Login("nobody")),
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        s.app
            .disable_account(operator, Which::Id(AccountId::from_uuid(Uuid::new_v4()))),
        Err(AppError::NotFound)
    ));
}

#[test]
fn thirty_resets_of_an_authenticator_tell_its_owner_once() {
    let s = site(SiteKind::Clinic);
    let admin = admin(&s);
    let by = Administrator::Account(&admin);
    // No app: nothing changes, nobody is told.
    let pending = s.store.notifications_pending().unwrap();
    assert_eq!(
        s.app.reset_authenticator(by, Which::Id(s.gp.id)).unwrap(),
        None
    );
    assert_eq!(s.store.notifications_pending().unwrap(), pending);
    assert!(audited(&s, "totp", s.gp.id).is_empty());

    s.store
        .change_account(
            s.gp.id,
            |a| a.start_totp(TotpSecret::from_bytes([3; SECRET_BYTES]), at(T0)),
            None,
        )
        .unwrap()
        .unwrap();
    let answers: Vec<Option<Account>> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(|| s.app.reset_authenticator(by, Which::Id(s.gp.id)).unwrap()))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(answers.iter().flatten().count(), 1, "{answers:?}");
    assert_eq!(s.store.account(s.gp.id).unwrap().unwrap().totp, None);
    assert_eq!(s.store.notifications_pending().unwrap(), pending + 1);
    let told = audited(&s, "totp", s.gp.id);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].actor, Actor::Account(admin.id.to_string()));
    assert!(matches!(
        s.app.reset_authenticator(by, Which::Login("nobody")),
        Err(AppError::NotFound)
    ));
}
