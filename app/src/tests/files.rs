//! Files shared in an appointment (`files.rs`): who shares and reads them when, the checks,
//! and the appointment's and the day's quotas counted in the file's transaction.

use super::cancel::booked;
use super::*;
use crate::messages::Upload;
use teleconsult_core::call::Attachment;
use teleconsult_core::call::EntryError;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::quota::Quota;

fn pdf() -> Upload {
    Upload {
        declared_type: "application/pdf".into(),
        name: Some("lab results.pdf".into()),
        content: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec(),
    }
}

fn quota_of(e: &AppError) -> Option<Quota> {
    match e {
        AppError::Repository(RepositoryError::QuotaExceeded(q)) => Some(q.quota),
        _ => None,
    }
}

#[test]
fn the_patient_shares_before_the_call_the_others_in_it_and_strangers_never() {
    let s = site(SiteKind::Clinic);
    let a = booked(&s, &s.gp, 1);
    // The patient side from booking on; the practitioner only once the room opens.
    let shared = s.app.share_file(&s.patient, a.id, pdf()).unwrap();
    assert_eq!(shared.file_name, "lab results.pdf");
    assert!(matches!(
        s.app.share_file(&s.gp, a.id, pdf()),
        Err(AppError::Room(EntryError::TooEarly { .. }))
    ));
    for stranger in [&s.derm, &s.staff] {
        assert!(matches!(
            s.app.may_share_file(stranger, a.id),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            s.app.shared_files(stranger, a.id),
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            s.app.shared_file(stranger, a.id, shared.id),
            Err(AppError::NotFound)
        ));
    }
    let mut exe = pdf();
    exe.declared_type = "application/x-msdownload".into();
    assert!(matches!(
        s.app.share_file(&s.patient, a.id, exe),
        Err(AppError::UnsupportedType(_))
    ));
    let mut fake = pdf();
    fake.content = b"GIF89a".to_vec();
    assert!(matches!(
        s.app.share_file(&s.patient, a.id, fake),
        Err(AppError::Invalid(f)) if f.contains_key("file")
    ));

    // Its practitioner reads it before the call; it belongs to this appointment only.
    assert_eq!(
        s.app.shared_files(&s.gp, a.id).unwrap(),
        std::slice::from_ref(&shared)
    );
    let (file, content) = s.app.shared_file(&s.gp, a.id, shared.id).unwrap();
    assert_eq!((file, content), (shared.clone(), pdf().content));
    let other = booked(&s, &s.gp, 2);
    assert!(matches!(
        s.app.shared_file(&s.patient, other.id, shared.id),
        Err(AppError::NotFound)
    ));
}

#[test]
fn thirty_parallel_uploads_stop_at_the_day_s_and_the_appointment_s_quotas() {
    let s = site(SiteKind::Clinic);
    let a = booked(&s, &s.gp, 1);
    let app = &s.app;
    let patient = &s.patient;
    let answers: Vec<Result<Attachment, AppError>> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|_| scope.spawn(move || app.share_file(patient, a.id, pdf())))
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(answers.iter().filter(|r| r.is_ok()).count(), 3, "3 a day");
    assert!(
        answers
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| quota_of(e) == Some(Quota::UploadsPerDay)),
        "{answers:?}"
    );
    // In the call room, the practitioner adds the appointment's fourth and last file.
    s.advance(24 * 60 - 5);
    s.app.share_file(&s.gp, a.id, pdf()).unwrap();
    let refused = s.app.share_file(&s.gp, a.id, pdf()).unwrap_err();
    assert_eq!(quota_of(&refused), Some(Quota::UploadsPerAppointment));
    assert_eq!(s.app.shared_files(&s.patient, a.id).unwrap().len(), 4);
}
