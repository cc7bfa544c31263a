//! Who reaches what of an appointment: the appointment itself (the day view), its reason (the
//! patient's symptoms) and the files shared for it.
//!
//! Why here: the JSON API, the pages and the call handlers answer the same people from the same
//! rules, and the rules are worth testing role by role without a server. Who takes part in the
//! call is [`crate::call::role_in_call`]; this module builds on it.
//!
//! | who | sees the appointment | sees its reason | reads its files |
//! |---|---|---|---|
//! | the patient, or the account that booked for them | yes | yes | yes |
//! | the appointment's practitioner | yes | yes | yes |
//! | staff, on a booth site, of an appointment held at the booth | yes | while the room is open | while the room is open |
//! | other staff, administrators (reception, support) | yes | no | no |
//! | other practitioners, other patients, pharmacists | no | no | no |

use crate::Timestamp;
use crate::account::{Account, Role as AccountRole};
use crate::appointment::{Appointment, Policy};
use crate::call::{EntryError, role_in_call, room_open};
use crate::signal::Role;
use crate::site::SiteKind;

/// Whether `account` may see that `appointment` exists and its facts (when, with whom, for whom,
/// how, where it stands): the parties, and the site's staff and administrators, who run the
/// day (reception, rescheduling, support). Anyone else is told it does not exist.
pub fn may_see(account: &Account, appointment: &Appointment) -> bool {
    match account.role {
        AccountRole::Patient => {
            account.acts_for(appointment.patient) || appointment.booked_by == account.id
        }
        AccountRole::Practitioner => account.practitioner == Some(appointment.practitioner),
        AccountRole::Staff | AccountRole::Admin => true,
        AccountRole::Pharmacist => false,
    }
}

/// Whether `account` may read the reason of `appointment` (free text from the patient: their
/// symptoms). Those who handle it medically: the patient's side and the practitioner. Staff
/// and administrators see the facts of every appointment (the day view needs no more) but
/// never the reason — except booth staff for an appointment held at their booth while its
/// room is open, when they are the patient's side of it.
pub fn sees_reason(
    account: &Account,
    appointment: &Appointment,
    site: SiteKind,
    now: Timestamp,
    policy: &Policy,
) -> bool {
    match role_in_call(account, appointment, site) {
        Some(Role::Booth) => room_open(appointment, now, policy).is_ok(),
        Some(Role::Patient | Role::Practitioner) => true,
        None => false,
    }
}

/// Whether a party of the call (its `role` from [`role_in_call`]) may list and download the
/// files shared in `appointment` at `now`. The patient's side and the practitioner may for as
/// long as the appointment exists (the practitioner reads them before the consultation, the
/// patient keeps their own); the booth only while the room is open — its staff act for the
/// patient during the consultation, not before or after it.
pub fn may_read_files(
    role: Role,
    appointment: &Appointment,
    now: Timestamp,
    policy: &Policy,
) -> Result<(), EntryError> {
    match role {
        Role::Booth => room_open(appointment, now, policy),
        Role::Patient | Role::Practitioner => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointment::Status;
    use crate::call::tests::{account, appointment};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// The appointment (10:00–10:15) seen by each kind of account, on each kind of site.
    struct Callers {
        patient: Account,
        booker: Account,
        doctor: Account,
        colleague: Account,
        staff: Account,
        pharmacist: Account,
        admin: Account,
        stranger: Account,
    }

    fn callers(a: &Appointment) -> Callers {
        let mut patient = account(AccountRole::Patient, 9);
        patient.patient = Some(a.patient);
        let mut doctor = account(AccountRole::Practitioner, 5);
        doctor.practitioner = Some(a.practitioner);
        let mut colleague = account(AccountRole::Practitioner, 10);
        colleague.practitioner = Some(crate::ids::PractitionerId::from_uuid(
            uuid::Uuid::from_u128(11),
        ));
        Callers {
            patient,
            booker: account(AccountRole::Patient, 4),
            doctor,
            colleague,
            staff: account(AccountRole::Staff, 6),
            pharmacist: account(AccountRole::Pharmacist, 7),
            admin: account(AccountRole::Admin, 8),
            stranger: account(AccountRole::Patient, 12),
        }
    }

    #[test]
    fn the_parties_staff_and_admins_see_an_appointment_nobody_else() {
        let a = appointment();
        let c = callers(&a);
        for (who, sees) in [
            (&c.patient, true),
            (&c.booker, true),
            (&c.doctor, true),
            (&c.staff, true),
            (&c.admin, true),
            (&c.colleague, false),
            (&c.pharmacist, false),
            (&c.stranger, false),
        ] {
            assert_eq!(may_see(who, &a), sees, "{:?}", who.role);
        }
    }

    #[test]
    fn staff_and_admins_never_read_the_reason_of_appointments_not_theirs() {
        let policy = Policy::default();
        let online = appointment();
        let c = callers(&online);
        let during = at("2026-03-02T10:05:00Z");
        let days_before = at("2026-02-27T08:00:00Z");
        for site in [SiteKind::Booth, SiteKind::Clinic] {
            for now in [days_before, during] {
                for (who, sees) in [
                    (&c.patient, true),
                    (&c.booker, true),
                    (&c.doctor, true),
                    (&c.staff, false),
                    (&c.admin, false),
                    (&c.colleague, false),
                    (&c.pharmacist, false),
                    (&c.stranger, false),
                ] {
                    assert_eq!(
                        sees_reason(who, &online, site, now, &policy),
                        sees,
                        "{:?} on a {site:?} site at {now}",
                        who.role
                    );
                }
            }
        }
    }

    #[test]
    fn booth_staff_read_the_reason_of_a_walk_in_only_while_its_room_is_open() {
        let policy = Policy::default();
        let walk_in = Appointment {
            at_booth: true,
            ..appointment()
        };
        let c = callers(&walk_in);
        let sees = |now: &str, site| sees_reason(&c.staff, &walk_in, site, at(now), &policy);
        assert!(!sees("2026-03-02T09:49:59Z", SiteKind::Booth), "before");
        assert!(sees("2026-03-02T09:50:00Z", SiteKind::Booth));
        assert!(sees("2026-03-02T11:15:00Z", SiteKind::Booth));
        assert!(!sees("2026-03-02T11:15:01Z", SiteKind::Booth), "after");
        assert!(!sees("2026-03-02T10:05:00Z", SiteKind::Clinic), "no booth");
        let mut done = walk_in.clone();
        done.status = Status::Completed;
        assert!(!sees_reason(
            &c.staff,
            &done,
            SiteKind::Booth,
            at("2026-03-02T10:16:00Z"),
            &policy
        ));
        // Administrators are never the booth.
        assert!(!sees_reason(
            &c.admin,
            &walk_in,
            SiteKind::Booth,
            at("2026-03-02T10:05:00Z"),
            &policy
        ));
    }

    #[test]
    fn the_booth_reads_files_only_while_the_room_is_open() {
        let policy = Policy::default();
        let a = appointment();
        let days_before = at("2026-02-27T08:00:00Z");
        let during = at("2026-03-02T10:05:00Z");
        let days_after = at("2026-03-05T08:00:00Z");
        for role in [Role::Patient, Role::Practitioner] {
            for now in [days_before, during, days_after] {
                assert_eq!(may_read_files(role, &a, now, &policy), Ok(()), "{role:?}");
            }
        }
        assert!(matches!(
            may_read_files(Role::Booth, &a, days_before, &policy),
            Err(EntryError::TooEarly { .. })
        ));
        assert_eq!(may_read_files(Role::Booth, &a, during, &policy), Ok(()));
        assert!(matches!(
            may_read_files(Role::Booth, &a, days_after, &policy),
            Err(EntryError::TooLate { .. })
        ));
        let mut done = a.clone();
        done.status = Status::Completed;
        assert!(matches!(
            may_read_files(Role::Booth, &done, during, &policy),
            Err(EntryError::Closed { .. })
        ));
    }
}
