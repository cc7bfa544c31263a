//! The accounts port and the cancellation of a booked appointment, on both adapters.

use std::sync::Arc;

use teleconsult_core::account::Role;
use teleconsult_core::audit::Action;
use teleconsult_core::ports::RepositoryError;

use crate::Under;
use crate::fixtures::{account, appointment, booking, cancel, event, practitioner};

pub fn thirty_creations_of_one_login_create_one_account(under: &Under) {
    let audit = event(Action::Create, "account", "x");
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u128)
            .map(|n| {
                let (store, audit) = (Arc::clone(&under.store), audit.clone());
                scope.spawn(move || {
                    // Thirty accounts, one login written thirty ways.
                    let mut a = account(n, Role::Staff);
                    a.login = if n % 2 == 0 {
                        " Desk@Pharmacie.lu ".into()
                    } else {
                        "desk@pharmacie.lu".into()
                    };
                    store.create_account_listed(&a, None, &audit)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (created, refused) =
        crate::fixtures::tally(outcomes, |e| *e == RepositoryError::AlreadyExists("login"));
    assert_eq!((created, refused), (1, 29));
    let store = &under.store;
    let found = store
        .find_account_by_login("DESK@pharmacie.lu")
        .unwrap()
        .unwrap();
    assert_eq!(store.find_account(found.id).unwrap(), Some(found));
    assert_eq!(
        store.find_account_by_login("other@pharmacie.lu").unwrap(),
        None
    );
}

pub fn a_practitioner_account_is_created_with_its_listing_or_not_at_all(under: &Under) {
    let store = &under.store;
    let audit = event(Action::Create, "account", "x");
    let listed = event(Action::Update, "practitioner", "1");
    let mut doctor = account(1, Role::Practitioner);
    doctor.practitioner = Some(practitioner(1, "Dr Weber").id);
    store
        .create_account_listed(
            &doctor,
            Some((&practitioner(1, "Dr Weber"), &listed)),
            &audit,
        )
        .unwrap();
    // The same login again: refused, and its listing is not written either.
    let mut again = account(2, Role::Practitioner);
    again.login = doctor.login.to_uppercase();
    assert_eq!(
        store.create_account_listed(
            &again,
            Some((&practitioner(2, "Dr Other"), &listed)),
            &audit
        ),
        Err(RepositoryError::AlreadyExists("login"))
    );
    let names: Vec<String> = store
        .practitioners()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Dr Weber"]);
    store
        .create_account_listed(&account(3, Role::Admin), None, &audit)
        .unwrap();
    let logins: Vec<String> = store
        .all_accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.login)
        .collect();
    assert_eq!(logins, ["account1", "account3"]);
}

pub fn thirty_changes_of_one_account_lose_none(under: &Under) {
    let store = &under.store;
    let audit = event(Action::Update, "account", "5");
    store
        .create_account_listed(&account(5, Role::Patient), None, &audit)
        .unwrap();
    let id = account(5, Role::Patient).id;
    std::thread::scope(|scope| {
        for _ in 0..30 {
            let (store, audit) = (Arc::clone(&under.store), audit.clone());
            scope.spawn(move || {
                let changed = store
                    .change_account_with(
                        id,
                        &|a| {
                            a.failed_attempts += 1;
                            true
                        },
                        &[],
                        Some(&audit),
                    )
                    .unwrap();
                assert!(changed.is_some());
            });
        }
    });
    assert_eq!(store.find_account(id).unwrap().unwrap().failed_attempts, 30);
    // A change that leaves the account writes nothing and says so.
    let before = store.audit_records();
    assert_eq!(
        store
            .change_account_with(id, &|_| false, &[], Some(&audit))
            .unwrap(),
        None
    );
    assert_eq!(store.audit_records(), before);
    assert_eq!(
        store.change_account_with(account(6, Role::Patient).id, &|_| true, &[], Some(&audit)),
        Err(RepositoryError::NotFound("account"))
    );
    // A login taken by another account is refused.
    store
        .create_account_listed(&account(7, Role::Patient), None, &audit)
        .unwrap();
    assert_eq!(
        store.change_account_with(
            id,
            &|a| {
                a.login = "ACCOUNT7".into();
                true
            },
            &[],
            Some(&audit)
        ),
        Err(RepositoryError::AlreadyExists("login"))
    );
}

pub fn thirty_cancellations_of_one_appointment_cancel_it_once_and_free_its_slot(under: &Under) {
    let store = &under.store;
    let a = appointment(1, 4, 1);
    store.write_booking(booking(&a)).unwrap();
    let before = store.audit_records();
    let write = event(Action::Update, "appointment", a.id.to_string());
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                let (store, write) = (Arc::clone(&under.store), write.clone());
                scope.spawn(move || store.change_booked(a.id, &cancel, &write).unwrap())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let cancelled = outcomes.iter().filter(|o| matches!(o, Ok(Some(_)))).count();
    let refused = outcomes.iter().filter(|o| o.is_err()).count();
    assert_eq!((cancelled, refused), (1, 29));
    assert_eq!(
        store.audit_records(),
        before + 1,
        "one cancellation recorded"
    );
    assert_eq!(
        store.outbox_pending().unwrap(),
        2,
        "the booking's message and the cancellation's"
    );
    // The slot is free again.
    store.write_booking(booking(&appointment(2, 4, 2))).unwrap();
    assert_eq!(
        store.change_booked(appointment(99, 9, 9).id, &cancel, &write),
        Err(RepositoryError::NotFound("appointment"))
    );
}

pub fn thirty_listing_changes_lose_none(under: &Under) {
    let store = &under.store;
    let audit = event(Action::Update, "practitioner", "1");
    store
        .upsert_practitioner(&practitioner(1, "Dr Weber"), &audit)
        .unwrap();
    let id = practitioner(1, "Dr Weber").id;
    std::thread::scope(|scope| {
        for n in 0..30 {
            let (store, audit) = (Arc::clone(&under.store), audit.clone());
            scope.spawn(move || {
                store
                    .change_listing(id, &|p| p.languages.push(format!("l{n}")), &audit)
                    .unwrap();
            });
        }
    });
    let listed = store.find_practitioner(id).unwrap().unwrap();
    // The two it had, and the thirty added in parallel.
    assert_eq!(listed.languages.len(), 32, "{:?}", listed.languages);
    assert_eq!(
        store.change_listing(practitioner(2, "x").id, &|_| {}, &audit),
        Err(RepositoryError::NotFound("practitioner"))
    );
}

pub fn a_medical_record_is_sealed_read_audited_and_kept_with_its_patient(under: &Under) {
    use teleconsult_core::medical_record::MedicalRecord;
    let store = &under.store;
    let created = event(Action::Create, "patient", "3");
    store
        .create_patient(&crate::fixtures::patient(3), &created, &[])
        .unwrap();
    let patient = crate::fixtures::patient(3).id;
    let read = event(Action::Read, "medical_record", patient.to_string());
    let before = store.audit_records();
    assert_eq!(store.find_medical_record(patient, &read).unwrap(), None);
    assert_eq!(
        store.audit_records(),
        before + 1,
        "a read of nothing is recorded too"
    );
    let record = |n: u32| MedicalRecord {
        patient,
        history: format!("Appendicectomie {n}"),
        allergies: "Pénicilline".into(),
        treatments: "Aucun".into(),
        updated_at: crate::fixtures::ts(i64::from(n)),
        updated_by: account(3, Role::Patient).id,
    };
    let saved = event(Action::Update, "medical_record", patient.to_string());
    std::thread::scope(|scope| {
        for n in 0..30 {
            let (store, saved) = (Arc::clone(&under.store), saved.clone());
            scope.spawn(move || store.save_medical_record(&record(n), &saved).unwrap());
        }
    });
    let stored = store.find_medical_record(patient, &read).unwrap().unwrap();
    assert!(
        stored.history.starts_with("Appendicectomie "),
        "one whole record wins"
    );
    assert_eq!(store.audit_records(), before + 32);
    let mut stranger = record(0);
    stranger.patient = crate::fixtures::patient(4).id;
    assert_eq!(
        store.save_medical_record(&stranger, &saved),
        Err(RepositoryError::NotFound("patient"))
    );
}

pub fn thirty_messages_with_files_stop_at_the_days_upload_quota(under: &Under) {
    use teleconsult_core::ids::MessageId;
    use teleconsult_core::message::{Message, MessageFile, Side};
    let store = &under.store;
    let a = appointment(1, 2, 1);
    let (patient, practitioner_id) = (a.patient, a.practitioner);
    assert!(
        !store
            .conversation_started(patient, practitioner_id)
            .unwrap()
    );
    store.write_booking(booking(&a)).unwrap();
    let read = event(Action::Read, "appointment", "together");
    let together = store
        .appointments_together(patient, practitioner_id, &read)
        .unwrap();
    assert_eq!(together.iter().map(|x| x.id).collect::<Vec<_>>(), [a.id]);
    let message = |n: u128, file: bool| Message {
        id: MessageId::from_uuid(uuid::Uuid::from_u128(0xE000 + n)),
        patient,
        practitioner: practitioner_id,
        from: Side::Patient,
        author: a.booked_by,
        at: crate::fixtures::ts(100),
        text: format!("Bonjour docteur, message {n}"),
        file: file.then(|| MessageFile {
            content_type: "application/pdf".into(),
            file_name: format!("analyse{n}.pdf"),
            size: 9,
        }),
        read_at: None,
    };
    let sent = event(Action::Create, "message", "x");
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u128)
            .map(|n| {
                let (store, sent, m) = (Arc::clone(&under.store), sent.clone(), message(n, true));
                scope.spawn(move || {
                    store.append_message_with(&m, Some((b"%PDF-1.7\n", 5)), &[], &sent)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (with_files, refused) = crate::fixtures::tally(
        outcomes,
        |e| matches!(e, RepositoryError::QuotaExceeded(q) if q.limit == 5 && q.retry_after_s.is_some()),
    );
    assert_eq!((with_files, refused), (5, 25));
    // Words alone are not uploads.
    store
        .append_message_with(&message(100, false), None, &[], &sent)
        .unwrap();
    assert!(
        store
            .conversation_started(patient, practitioner_id)
            .unwrap()
    );
    assert_eq!(
        store.append_message_with(&message(100, false), None, &[], &sent),
        Err(RepositoryError::AlreadyExists("message"))
    );
}
