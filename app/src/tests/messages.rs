//! Secure messaging (`messages.rs`): whose a conversation is, what a message may carry, who is
//! told, and the sender's uploads of the day counted in the message's transaction.

use super::cancel::booked;
use super::*;
use crate::messages::{SendMessage, Upload};
use teleconsult_core::message::{Message, Side};
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::quota::Quota;

fn to_gp(s: &Site, text: &str, file: Option<Upload>) -> SendMessage {
    SendMessage {
        patient: s.patient.patient.unwrap(),
        practitioner: s.gp.practitioner.unwrap(),
        text: text.into(),
        file,
    }
}

fn pdf(name: &str) -> Upload {
    Upload {
        declared_type: "application/pdf".into(),
        name: Some(name.into()),
        content: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec(),
    }
}

fn stored(s: &Site) -> Vec<Message> {
    s.store
        .conversation(
            s.patient.patient.unwrap(),
            s.gp.practitioner.unwrap(),
            None,
            s.now(),
            &audit(),
        )
        .unwrap()
}

#[test]
fn a_conversation_opens_with_an_appointment_and_only_to_its_parties() {
    let s = site(SiteKind::Clinic);
    let (patient, gp) = (s.patient.patient.unwrap(), s.gp.practitioner.unwrap());
    // Nothing together yet: no such conversation, for either of them.
    assert!(matches!(
        s.app.conversation_side(&s.patient, patient, gp),
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        s.app.send_message(&s.gp, to_gp(&s, "hello", None)),
        Err(AppError::NotFound)
    ));
    booked(&s, &s.gp, 1);
    assert_eq!(
        s.app.conversation_side(&s.patient, patient, gp).unwrap(),
        Side::Patient
    );
    assert_eq!(
        s.app.conversation_side(&s.gp, patient, gp).unwrap(),
        Side::Practitioner
    );
    // Another practitioner, staff: never a party.
    for outsider in [&s.derm, &s.staff] {
        assert!(matches!(
            s.app.send_message(outsider, to_gp(&s, "hello", None)),
            Err(AppError::NotFound)
        ));
    }

    let sent = s
        .app
        .send_message(&s.patient, to_gp(&s, "  The rash is back.  ", None))
        .unwrap();
    assert_eq!(sent.text, "The rash is back.");
    assert_eq!(sent.from, Side::Patient);
    assert_eq!(stored(&s), std::slice::from_ref(&sent));
    // The practitioner is told (not what it says); the sender is not.
    let told: Vec<_> = s
        .texts
        .sent()
        .into_iter()
        .filter(|(kind, _)| *kind == "message_waiting")
        .collect();
    assert_eq!(told, [("message_waiting", s.gp.phone.clone())]);
    let audited = s
        .store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .filter(|r| r.event.object_type == "message" && r.event.object_id == sent.id.to_string())
        .count();
    assert_eq!(audited, 1);
}

#[test]
fn a_message_s_text_and_file_are_checked() {
    let s = site(SiteKind::Clinic);
    booked(&s, &s.gp, 1);
    for text in ["", "   ", &"x".repeat(4001)] {
        assert!(matches!(
            s.app.send_message(&s.patient, to_gp(&s, text, None)),
            Err(AppError::Invalid(f)) if f.contains_key("text")
        ));
    }
    let mut exe = pdf("tool.exe");
    exe.declared_type = "application/x-msdownload".into();
    assert!(matches!(
        s.app.send_message(&s.patient, to_gp(&s, "", Some(exe))),
        Err(AppError::UnsupportedType(_))
    ));
    let mut fake = pdf("scan.pdf");
    fake.content = b"MZ not a pdf".to_vec();
    assert!(matches!(
        s.app.send_message(&s.patient, to_gp(&s, "", Some(fake))),
        Err(AppError::Invalid(f)) if f.contains_key("file")
    ));
    assert!(stored(&s).is_empty(), "nothing written");
    // A file alone is a message; its name is cleaned.
    let sent = s
        .app
        .send_message(&s.patient, to_gp(&s, "", Some(pdf("../../results.pdf"))))
        .unwrap();
    let file = sent.file.unwrap();
    assert_eq!(
        (file.file_name.as_str(), file.content_type.as_str()),
        ("results.pdf", "application/pdf")
    );
}

#[test]
fn thirty_parallel_files_stop_at_the_senders_uploads_of_the_day() {
    let s = site(SiteKind::Clinic);
    booked(&s, &s.gp, 1);
    let app = &s.app;
    let request = to_gp(&s, "scan", Some(pdf("scan.pdf")));
    let answers: Vec<Result<Message, AppError>> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| {
                let request = request.clone();
                let patient = &s.patient;
                scope.spawn(move || app.send_message(patient, request))
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let sent = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(sent, 3, "uploads_per_day = 3");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert!(
            matches!(
                refused,
                AppError::Repository(RepositoryError::QuotaExceeded(q))
                    if q.quota == Quota::UploadsPerDay
            ),
            "{refused:?}"
        );
    }
    assert_eq!(stored(&s).len(), 3, "no message without its file counted");
    // Texts are not uploads.
    s.app
        .send_message(&s.patient, to_gp(&s, "and a text", None))
        .unwrap();
}
