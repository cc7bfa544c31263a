//! The call port on both adapters: the chat, the files shared in a call and their quotas (the
//! day's count shared with message files), the quality record.

use std::sync::Arc;

use teleconsult_core::audit::Action;
use teleconsult_core::call::{Attachment, ChatMessage, QualitySample};
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::quota::Quota;

use crate::Under;
use crate::fixtures::{appointment, booking, event, tally, ts};

pub fn thirty_chat_messages_and_quality_samples_at_once_lose_none(under: &Under) {
    let store = &under.store;
    let a = appointment(1, 3, 1);
    store.write_booking(booking(&a)).unwrap();
    let said = event(Action::Create, "chat", a.id.to_string());
    std::thread::scope(|scope| {
        for n in 0..30i64 {
            let (store, said) = (Arc::clone(&under.store), said.clone());
            scope.spawn(move || {
                let message = ChatMessage {
                    appointment: a.id,
                    at: ts(n),
                    role: teleconsult_core::signal::Role::Patient,
                    author: a.booked_by,
                    text: format!("J'ai de la fièvre {n}"),
                    attachment: None,
                };
                store.append_chat(&message, &said).unwrap();
                let sample = QualitySample {
                    at: ts(n),
                    role: teleconsult_core::signal::Role::Patient,
                    quality: teleconsult_core::call::CallQuality::default(),
                };
                store.add_quality_samples(a.id, &[sample], &said).unwrap();
            });
        }
    });
    let read = event(Action::Read, "chat", a.id.to_string());
    let chat = store.chat(a.id, &read).unwrap();
    assert_eq!(chat.len(), 30);
    assert!(chat.iter().all(|m| m.appointment == a.id));
    assert_eq!(store.quality_samples(a.id), 30);
    assert!(
        store
            .chat(appointment(2, 4, 2).id, &read)
            .unwrap()
            .is_empty()
    );
}

pub fn thirty_shared_files_stop_at_the_appointments_quota(under: &Under) {
    let store = &under.store;
    let a = appointment(1, 3, 1);
    store.write_booking(booking(&a)).unwrap();
    let shared = event(Action::Create, "attachment", a.id.to_string());
    let file = |n: u128| Attachment {
        id: uuid::Uuid::from_u128(0xA000 + n),
        appointment: a.id,
        uploaded_by: a.booked_by,
        uploaded_at: ts(100),
        content_type: "image/png".into(),
        file_name: format!("eruption{n}.png"),
        size: 8,
    };
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..30u128)
            .map(|n| {
                let (store, shared, f) = (Arc::clone(&under.store), shared.clone(), file(n));
                scope.spawn(move || store.save_shared_file(&f, b"\x89PNG....", 10, 100, &shared))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (saved, refused) = tally(
        outcomes,
        |e| matches!(e, RepositoryError::QuotaExceeded(q) if q.quota == Quota::UploadsPerAppointment && q.limit == 10),
    );
    assert_eq!((saved, refused), (10, 20));
    let read = event(Action::Read, "attachment", a.id.to_string());
    let listed = store.attachments_of_appointment(a.id, &read).unwrap();
    assert_eq!(listed.len(), 10);
    let first = listed[0].id;
    let (description, content) = store.shared_file(first, &read).unwrap().unwrap();
    assert_eq!(
        (description.appointment, content.as_slice()),
        (a.id, &b"\x89PNG...."[..])
    );
    assert_eq!(
        store.attachment_appointment(first, &read).unwrap(),
        Some(a.id)
    );
    assert_eq!(
        store.shared_file(uuid::Uuid::from_u128(1), &read).unwrap(),
        None
    );
    // The uploader's day counts every file: ten already, a limit of ten refuses the next.
    let another = appointment(2, 5, 1);
    store.write_booking(booking(&another)).unwrap();
    let mut eleventh = file(100);
    eleventh.appointment = another.id;
    assert!(matches!(
        store.save_shared_file(&eleventh, b"x", 10, 10, &shared),
        Err(RepositoryError::QuotaExceeded(q)) if q.quota == Quota::UploadsPerDay
    ));
}
