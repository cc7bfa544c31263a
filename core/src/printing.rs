//! Who prints a document on the cabin's printer, and when (`docs/booth.md` rule 7).
//!
//! The printer stands in the booth's cabin: paper with health data comes out where the person
//! being consulted sits — or, printed at the wrong time, where the next person sits. So:
//!
//! | who | prints | refused |
//! |---|---|---|
//! | the patient's side (the patient, or an account acting for them) | any of the patient's documents while a booth session of that patient holds the cabin (they sit in it) | otherwise `NotAtTheBooth` (they are at home) |
//! | staff, on a booth site | documents of an appointment held at the booth, while its booth session is open or until [`STAFF_PRINT_WINDOW`] after it ended — the cabin empty | after that `WindowClosed`; the next person in the cabin `CabinInUse`; any other document `NotFound` |
//! | practitioners (remote), pharmacists, administrators, anyone else | nothing | `NotFound` (not theirs) |
//!
//! The window after the end is for the pharmacist handing over what the practitioner issued
//! once the call ended (a prescription signed off after hanging up, a jammed printer): an hour
//! covers that, and is short enough that a later visitor's documents never print in someone
//! else's session. The patient's side has no window: once the session ended they left the
//! cabin, and they download their documents instead.

use crate::Timestamp;
use crate::account::{Account, Role};
use crate::appointment::Appointment;
use crate::booth::{BoothSession, BoothState};
use crate::document::Document;
use crate::site::SiteKind;
use jiff::SignedDuration;

/// How long after its booth session ended staff still print a session's documents.
pub const STAFF_PRINT_WINDOW: SignedDuration = SignedDuration::from_hours(1);

/// Whether staff still print the documents of `session` at `now`: while it is open, and until
/// [`STAFF_PRINT_WINDOW`] after it ended (the same limit [`may_print`] applies; the staff
/// console lists such sessions' documents).
pub fn in_staff_window(session: &BoothSession, now: Timestamp) -> bool {
    match session.state {
        BoothState::Ended { at, .. } => now <= at.saturating_add(STAFF_PRINT_WINDOW).unwrap_or(at),
        BoothState::Queued { .. } | BoothState::Booked { .. } => true,
    }
}

/// The earliest end of a session whose documents staff still print at `now`.
pub fn staff_window_start(now: Timestamp) -> Timestamp {
    now.saturating_sub(STAFF_PRINT_WINDOW).unwrap_or(now)
}

/// Why a document is not printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrintRefusal {
    /// Not the caller's to print: answered as a document that does not exist.
    #[error("no such document")]
    NotFound,
    /// The patient's side, and no session of theirs holds the cabin: they are not at the booth.
    #[error(
        "documents print in the booth's cabin only while you are in it: download the PDF instead"
    )]
    NotAtTheBooth,
    /// Staff, after the booth session ended, while the next person's session holds the cabin:
    /// the paper would come out in front of them.
    #[error(
        "someone else is in the cabin now: print this session's documents once they have left, \
         or the patient downloads them from their account"
    )]
    CabinInUse,
    /// Staff, more than [`STAFF_PRINT_WINDOW`] after the booth session ended.
    #[error(
        "this booth session ended more than an hour ago: its documents no longer print here; \
         the patient downloads them from their account"
    )]
    WindowClosed,
}

/// What the booth knows about a document's printing, read from storage by the caller.
#[derive(Clone, Copy, Debug)]
pub struct Booth<'a> {
    pub site: SiteKind,
    /// The document's appointment (`None`: not found).
    pub appointment: Option<&'a Appointment>,
    /// The booth session that held the document's appointment, open or ended, if any.
    pub session: Option<&'a BoothSession>,
    /// The open session holding the cabin, if any.
    pub cabin: Option<&'a BoothSession>,
}

/// Whether `account` may print `document` on the cabin's printer at `now`.
pub fn may_print(
    account: &Account,
    document: &Document,
    booth: &Booth<'_>,
    now: Timestamp,
) -> Result<(), PrintRefusal> {
    match account.role {
        Role::Patient => {
            if !account.acts_for(document.patient) {
                return Err(PrintRefusal::NotFound);
            }
            let in_the_cabin = booth.site == SiteKind::Booth
                && booth
                    .cabin
                    .is_some_and(|s| s.is_open() && s.patient == document.patient);
            if in_the_cabin {
                Ok(())
            } else {
                Err(PrintRefusal::NotAtTheBooth)
            }
        }
        Role::Staff => staff_may_print(document, booth, now),
        Role::Practitioner | Role::Pharmacist | Role::Admin => Err(PrintRefusal::NotFound),
    }
}

fn staff_may_print(
    document: &Document,
    booth: &Booth<'_>,
    now: Timestamp,
) -> Result<(), PrintRefusal> {
    if booth.site != SiteKind::Booth {
        return Err(PrintRefusal::NotFound);
    }
    let held_here = booth
        .appointment
        .is_some_and(|a| a.id == document.appointment && a.at_booth);
    let Some(session) = booth
        .session
        .filter(|s| held_here && s.patient == document.patient)
        .filter(|s| s.appointment() == Some(document.appointment))
    else {
        return Err(PrintRefusal::NotFound);
    };
    match session.state {
        BoothState::Ended { at, .. } => {
            let closes = at.saturating_add(STAFF_PRINT_WINDOW).unwrap_or(at);
            if now > closes {
                Err(PrintRefusal::WindowClosed)
            } else if booth
                .cabin
                .is_some_and(|c| c.is_open() && c.id != session.id)
            {
                Err(PrintRefusal::CabinInUse)
            } else {
                Ok(())
            }
        }
        BoothState::Queued { .. } | BoothState::Booked { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booth::{BoothSessionId, EndReason};
    use crate::call::tests::{account, appointment};
    use crate::document::{DocumentKind, DocumentNumber, DocumentStatus};
    use crate::ids::{AccountId, DocumentId, PatientId, PractitionerId};
    use crate::queue::QueueEntryId;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// An appointment held at the booth (10:00–10:15 on 2 March 2026).
    fn held_at_the_booth() -> Appointment {
        Appointment {
            at_booth: true,
            ..appointment()
        }
    }

    fn document_of(a: &Appointment) -> Document {
        Document {
            id: DocumentId::from_uuid(uuid::Uuid::from_u128(20)),
            number: "LUX-2026-000001".parse::<DocumentNumber>().unwrap(),
            kind: DocumentKind::Prescription,
            appointment: a.id,
            patient: a.patient,
            practitioner: a.practitioner,
            issued_at: at("2026-03-02T10:14:00Z"),
            status: DocumentStatus::Issued,
        }
    }

    fn session_of(a: &Appointment) -> BoothSession {
        BoothSession::booked(
            BoothSessionId::from_uuid(uuid::Uuid::from_u128(30)),
            a.patient,
            AccountId::from_uuid(uuid::Uuid::from_u128(6)),
            at("2026-03-02T09:55:00Z"),
            a.id,
        )
    }

    fn ended(s: &BoothSession, when: &str) -> BoothSession {
        s.end(at(when), EndReason::Staff).unwrap()
    }

    fn patient_of(a: &Appointment) -> Account {
        let mut p = account(Role::Patient, 9);
        p.patient = Some(a.patient);
        p
    }

    fn booth<'a>(
        a: &'a Appointment,
        session: Option<&'a BoothSession>,
        cabin: Option<&'a BoothSession>,
    ) -> Booth<'a> {
        Booth {
            site: SiteKind::Booth,
            appointment: Some(a),
            session,
            cabin,
        }
    }

    const DURING: &str = "2026-03-02T10:10:00Z";

    #[test]
    fn staff_print_a_booth_session_s_documents_while_it_is_open_and_an_hour_after() {
        let a = held_at_the_booth();
        let d = document_of(&a);
        let staff = account(Role::Staff, 6);
        let open = session_of(&a);
        assert_eq!(
            may_print(&staff, &d, &booth(&a, Some(&open), Some(&open)), at(DURING)),
            Ok(())
        );
        let over = ended(&open, "2026-03-02T10:20:00Z");
        // The next person sits in the cabin: the paper would come out in front of them.
        let mut next = session_of(&a);
        next.id = BoothSessionId::from_uuid(uuid::Uuid::from_u128(32));
        next.patient = PatientId::from_uuid(uuid::Uuid::from_u128(78));
        assert_eq!(
            may_print(
                &staff,
                &d,
                &booth(&a, Some(&over), Some(&next)),
                at("2026-03-02T10:30:00Z")
            ),
            Err(PrintRefusal::CabinInUse)
        );
        for (now, expected) in [
            ("2026-03-02T10:20:00Z", Ok(())),
            ("2026-03-02T10:50:00Z", Ok(())),
            ("2026-03-02T11:20:00Z", Ok(())),
            ("2026-03-02T11:20:01Z", Err(PrintRefusal::WindowClosed)),
            ("2026-03-03T10:00:00Z", Err(PrintRefusal::WindowClosed)),
        ] {
            assert_eq!(
                may_print(&staff, &d, &booth(&a, Some(&over), None), at(now)),
                expected,
                "{now}"
            );
        }
    }

    #[test]
    fn the_console_s_window_is_the_rule_s_window() {
        let a = held_at_the_booth();
        let d = document_of(&a);
        let staff = account(Role::Staff, 6);
        let open = session_of(&a);
        assert!(in_staff_window(&open, at("2026-03-09T10:00:00Z")));
        let over = ended(&open, "2026-03-02T10:20:00Z");
        for now in [
            "2026-03-02T10:20:00Z",
            "2026-03-02T11:20:00Z",
            "2026-03-02T11:20:01Z",
            "2026-03-03T10:00:00Z",
        ] {
            let now = at(now);
            assert_eq!(
                in_staff_window(&over, now),
                may_print(&staff, &d, &booth(&a, Some(&over), None), now).is_ok(),
                "{now}"
            );
            // An ended session is listed when it ended at or after the window's start.
            let BoothState::Ended { at: end, .. } = over.state else {
                unreachable!()
            };
            assert_eq!(in_staff_window(&over, now), end >= staff_window_start(now));
        }
    }

    #[test]
    fn staff_never_print_what_was_not_held_at_their_booth() {
        let staff = account(Role::Staff, 6);
        let now = at(DURING);
        // An appointment booked from home: not theirs, even with a session of the same patient
        // holding the cabin.
        let home = appointment();
        let d = document_of(&home);
        let someone_elses = session_of(&held_at_the_booth());
        assert_eq!(
            may_print(&staff, &d, &booth(&home, None, Some(&someone_elses)), now),
            Err(PrintRefusal::NotFound)
        );
        // Held at the booth, but the session found is not this appointment's.
        let a = held_at_the_booth();
        let d = document_of(&a);
        let mut other = session_of(&a);
        other.state = BoothState::Booked {
            appointment: crate::ids::AppointmentId::from_uuid(uuid::Uuid::from_u128(99)),
        };
        assert_eq!(
            may_print(&staff, &d, &booth(&a, Some(&other), Some(&other)), now),
            Err(PrintRefusal::NotFound)
        );
        // No session at all, or the appointment not found.
        assert_eq!(
            may_print(&staff, &d, &booth(&a, None, None), now),
            Err(PrintRefusal::NotFound)
        );
        let open = session_of(&a);
        let mut unknown = booth(&a, Some(&open), Some(&open));
        unknown.appointment = None;
        assert_eq!(
            may_print(&staff, &d, &unknown, now),
            Err(PrintRefusal::NotFound)
        );
        // A clinic has no booth.
        let mut clinic = booth(&a, Some(&open), Some(&open));
        clinic.site = SiteKind::Clinic;
        assert_eq!(
            may_print(&staff, &d, &clinic, now),
            Err(PrintRefusal::NotFound)
        );
    }

    #[test]
    fn the_patient_s_side_prints_only_while_in_the_cabin() {
        let a = held_at_the_booth();
        let d = document_of(&a);
        let patient = patient_of(&a);
        let mut parent = account(Role::Patient, 14);
        parent.relatives = vec![a.patient];
        let open = session_of(&a);
        let now = at(DURING);
        for who in [&patient, &parent] {
            assert_eq!(
                may_print(who, &d, &booth(&a, Some(&open), Some(&open)), now),
                Ok(())
            );
            // The session ended: they left the cabin (no window for them).
            let over = ended(&open, "2026-03-02T10:09:00Z");
            assert_eq!(
                may_print(who, &d, &booth(&a, Some(&over), None), now),
                Err(PrintRefusal::NotAtTheBooth)
            );
            // Someone else sits in the cabin.
            let mut next = session_of(&a);
            next.patient = PatientId::from_uuid(uuid::Uuid::from_u128(77));
            assert_eq!(
                may_print(who, &d, &booth(&a, Some(&over), Some(&next)), now),
                Err(PrintRefusal::NotAtTheBooth)
            );
        }
        // In the cabin (a new visit, waiting for a practitioner), a document of an earlier
        // consultation from home prints too: they are at the booth.
        let home = appointment();
        let earlier = document_of(&home);
        let waiting = BoothSession::queued(
            BoothSessionId::from_uuid(uuid::Uuid::from_u128(31)),
            a.patient,
            AccountId::from_uuid(uuid::Uuid::from_u128(6)),
            now,
            QueueEntryId::from_uuid(uuid::Uuid::from_u128(40)),
        );
        assert_eq!(
            may_print(&patient, &earlier, &booth(&home, None, Some(&waiting)), now),
            Ok(())
        );
        // At home: never.
        assert_eq!(
            may_print(&patient, &earlier, &booth(&home, None, None), now),
            Err(PrintRefusal::NotAtTheBooth)
        );
        // A site without a booth has no cabin to be in.
        let mut clinic = booth(&a, Some(&open), Some(&open));
        clinic.site = SiteKind::Clinic;
        assert_eq!(
            may_print(&patient, &d, &clinic, now),
            Err(PrintRefusal::NotAtTheBooth)
        );
    }

    #[test]
    fn nobody_else_prints_and_is_told_it_does_not_exist() {
        let a = held_at_the_booth();
        let d = document_of(&a);
        let open = session_of(&a);
        let now = at(DURING);
        let mut issuer = account(Role::Practitioner, 5);
        issuer.practitioner = Some(a.practitioner);
        let mut colleague = account(Role::Practitioner, 10);
        colleague.practitioner = Some(PractitionerId::from_uuid(uuid::Uuid::from_u128(11)));
        let stranger = account(Role::Patient, 12);
        for who in [
            issuer,
            colleague,
            stranger,
            account(Role::Pharmacist, 7),
            account(Role::Admin, 8),
        ] {
            assert_eq!(
                may_print(&who, &d, &booth(&a, Some(&open), Some(&open)), now),
                Err(PrintRefusal::NotFound),
                "{:?}",
                who.role
            );
        }
    }
}
