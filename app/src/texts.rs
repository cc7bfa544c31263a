//! The messages the use cases send, and to whom. The texts themselves (translations, calendar
//! invitations) come through the [`Texts`] port, which the web crate implements with its
//! Fluent bundles: the application decides *that* and *to whom* a message goes, not its words.

use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::site::Language;

/// Where a person is reached: name (greeting), language, phone (SMS), e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub language: Language,
    /// E.164 number; empty: no SMS.
    pub phone: String,
    /// Empty: no e-mail.
    pub email: String,
}

impl From<&Account> for Contact {
    fn from(account: &Account) -> Self {
        Self {
            name: account.name.clone(),
            language: account.language,
            phone: account.phone.clone(),
            email: account.email.clone(),
        }
    }
}

impl Contact {
    /// A patient reached through their own record (a walk-in: a phone at most).
    pub fn of_patient(patient: &Patient, default: Language) -> Self {
        Self {
            name: format!("{} {}", patient.first_name, patient.last_name),
            language: patient.language.parse().unwrap_or(default),
            phone: patient.phone.clone(),
            email: patient.email.clone(),
        }
    }

    /// Whether there is any way to reach them.
    pub fn reachable(&self) -> bool {
        !self.phone.is_empty() || !self.email.is_empty()
    }
}

/// Who receives the patient side's messages of an appointment (confirmation, reminders,
/// cancellation), `at_booth` or not ([`Appointment::at_booth`]):
/// the account that booked it — except for an appointment held at the booth, booked by staff
/// for the person in the cabin: then the patient themself, through their record (a walk-in's
/// phone, if they gave one), never the staff account. `None`: nobody to tell.
pub fn patient_side(
    at_booth: bool,
    booker: Option<&Account>,
    patient: Option<&Patient>,
    default: Language,
) -> Option<Contact> {
    let contact = if at_booth {
        Contact::of_patient(patient?, default)
    } else {
        Contact::from(booker?)
    };
    contact.reachable().then_some(contact)
}

/// The words of the messages (implemented by the web crate's translations).
pub trait Texts: Send + Sync {
    /// Confirmation of a booking, with its calendar invitation.
    fn booked(
        &self,
        to: &Contact,
        a: &Appointment,
        practitioner: &str,
        now: Timestamp,
    ) -> Vec<Notification>;

    /// Notice of a cancellation.
    fn cancelled(
        &self,
        to: &Contact,
        a: &Appointment,
        practitioner: &str,
        now: Timestamp,
    ) -> Vec<Notification>;

    /// A practitioner took a patient waiting at home: join the call now.
    fn ready(
        &self,
        to: &Contact,
        a: &Appointment,
        practitioner: &str,
        now: Timestamp,
    ) -> Vec<Notification>;

    /// A message of the other side waits in the conversation of `patient` and `practitioner`
    /// (a link, never its text).
    fn message_waiting(
        &self,
        to: &Contact,
        patient: teleconsult_core::ids::PatientId,
        practitioner: teleconsult_core::ids::PractitionerId,
        now: Timestamp,
    ) -> Vec<Notification>;

    /// A message of a self-registration (the activation link, or what prevented it).
    fn registration(
        &self,
        to: &Contact,
        message: crate::registration::RegistrationMessage<'_>,
        now: Timestamp,
    ) -> Notification;

    /// The SMS carrying a confirmation code for `purpose`.
    fn confirmation_code(
        &self,
        to: &Contact,
        purpose: teleconsult_core::account::ConfirmationPurpose,
        code: &str,
        now: Timestamp,
    ) -> Notification;

    /// The notices of a new phone or e-mail address, to the old ones (`to` as before).
    fn contact_changed(
        &self,
        to: &Contact,
        new_phone: Option<&str>,
        new_email: Option<&str>,
        now: Timestamp,
    ) -> Vec<Notification>;

    /// To the address of an erased account: it is done.
    fn erased(&self, to: &Contact, now: Timestamp) -> Notification;

    /// The SMS carrying a login code.
    fn login_code(&self, to: &Contact, code: &str, now: Timestamp) -> Notification;

    /// The e-mail carrying a password-reset link with `token`.
    fn password_reset_link(&self, to: &Contact, token: &str, now: Timestamp) -> Notification;

    /// The owner set up or removed their authenticator app: told by e-mail.
    fn authenticator_changed(
        &self,
        to: &Contact,
        change: crate::authenticator::AuthenticatorChange,
        now: Timestamp,
    ) -> Notification;

    /// An administrator removed the account's authenticator app (a lost phone): its next
    /// login gets an SMS code. Told by e-mail.
    fn authenticator_reset(&self, to: &Contact, now: Timestamp) -> Vec<Notification>;

    /// The reason given when an appointment is cancelled because the person left the booth
    /// before the consultation (the session ended).
    fn left_the_booth(&self, language: Language) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleconsult_core::appointment::Status;
    use teleconsult_core::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
    use teleconsult_core::schedule::ConsultationMode;
    use uuid::Uuid;

    fn appointment(at_booth: bool) -> Appointment {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        Appointment {
            id: AppointmentId::from_uuid(Uuid::from_u128(1)),
            practitioner: PractitionerId::from_uuid(Uuid::from_u128(2)),
            patient: PatientId::from_uuid(Uuid::from_u128(3)),
            booked_by: AccountId::from_uuid(Uuid::from_u128(4)),
            for_relative: None,
            start: t,
            end: t,
            mode: ConsultationMode::Video,
            reason: String::new(),
            status: Status::Booked,
            created_at: t,
            patient_joined_at: None,
            practitioner_joined_at: None,
            call_started_at: None,
            call_ended_at: None,
            at_booth,
        }
    }

    fn staff() -> Account {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::from_u128(4), "login": "staff", "role": "staff", "name": "Desk",
            "email": "desk@pharmacy.lu", "phone": "+352621000004", "language": "fr",
            "password_hash": "x", "status": "active", "patient": null, "practitioner": null,
            "failed_attempts": 0, "locked_until": null, "created_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    fn walk_in(phone: &str) -> Patient {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::from_u128(3), "national_id": "1985071512345", "country": "LU",
            "first_name": "Ana", "last_name": "Silva", "birth_date": "1985-07-15",
            "phone": phone, "email": "", "language": "pt",
            "created_at": "2026-01-01T00:00:00Z", "consents": []
        }))
        .unwrap()
    }

    #[test]
    fn the_booth_s_patient_is_told_never_the_staff_who_booked() {
        let staff = staff();
        let with_phone = walk_in("+352621999999");
        let at_booth = appointment(true);
        let told = patient_side(
            at_booth.at_booth,
            Some(&staff),
            Some(&with_phone),
            Language::Fr,
        );
        let told = told.unwrap();
        assert_eq!(
            (told.phone.as_str(), told.email.as_str(), told.language),
            ("+352621999999", "", Language::Pt)
        );
        // No phone given at the counter: nobody is told, least of all the staff member.
        assert_eq!(
            patient_side(
                at_booth.at_booth,
                Some(&staff),
                Some(&walk_in("")),
                Language::Fr
            ),
            None
        );
        // Booked online: the booking account, as always.
        let online = appointment(false);
        assert_eq!(
            patient_side(
                online.at_booth,
                Some(&staff),
                Some(&with_phone),
                Language::Fr
            )
            .map(|c| c.email),
            Some("desk@pharmacy.lu".to_owned())
        );
    }
}
