//! The accounts, agenda, booking, booth, call, document, medical-record and messaging ports of
//! `teleconsult-core` for [`Store`]: thin wrappers over the store's own operations
//! (`accounts.rs`, `booking.rs`, `booth.rs`, `queue.rs`, `call.rs`, `documents.rs`,
//! `medical_records.rs`, `messages.rs`), errors mapped to the port's; the outbox port, with
//! the leases it adds, in `ports/outbox.rs`.

use std::collections::BTreeSet;
use teleconsult_core::Timestamp;
use teleconsult_core::account::Account;
use teleconsult_core::appointment::{Appointment, TransitionError};
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::booth::{BoothSession, BoothSessionId};
use teleconsult_core::call::{Attachment, ChatMessage, QualitySample};
use teleconsult_core::document::{IssuedDocument, SickLeavePart};
use teleconsult_core::ids::AccountId;
use teleconsult_core::ids::{AppointmentId, DocumentId, PatientId, PractitionerId};
use teleconsult_core::medical_record::MedicalRecord;
use teleconsult_core::message::Message;
use teleconsult_core::national_id::Country;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::accounts::{AccountStore, ChangeAccount, ChangeProfile};
use teleconsult_core::ports::agenda::{AgendaStore, ChangeListing};
use teleconsult_core::ports::booking::{BookingStore, BookingWrite, Outcome};
use teleconsult_core::ports::booth::{
    BoothStore, CounterConsents, DecideEnd, KnownEvent, SessionEnd, Take, Taken, WalkIn,
};
use teleconsult_core::ports::call::{CallStore, DecideChange};
use teleconsult_core::ports::documents::DocumentStore;
use teleconsult_core::ports::medical_records::MedicalRecordStore;
use teleconsult_core::ports::messages::MessageStore;
use teleconsult_core::practitioner::Practitioner;
use teleconsult_core::queue::{Availability, QueueEntry, QueueEntryId};
use teleconsult_core::schedule::Schedule;

mod outbox;
mod sessions;

pub(crate) use outbox::lease_key;

use crate::Rendition;
use crate::store::Store;

type Result<T> = std::result::Result<T, RepositoryError>;

impl AccountStore for Store {
    fn find_account(&self, id: AccountId) -> Result<Option<Account>> {
        Ok(self.account(id)?)
    }

    fn find_account_by_login(&self, login: &str) -> Result<Option<Account>> {
        Ok(self.account_by_login(login)?)
    }

    fn all_accounts(&self) -> Result<Vec<Account>> {
        Ok(self.accounts()?)
    }

    fn create_account_listed(
        &self,
        account: &Account,
        listing: Option<(&Practitioner, &AuditEvent)>,
        audit: &AuditEvent,
    ) -> Result<()> {
        Ok(Store::create_account_listed(self, account, listing, audit)?)
    }

    fn change_account_with(
        &self,
        id: AccountId,
        change: &ChangeAccount<'_>,
        notices: &[Notification],
        audit: Option<&AuditEvent>,
    ) -> Result<Option<Account>> {
        let changed = self.change_account_noticed(
            id,
            |account| if change(account) { Ok(()) } else { Err(()) },
            notices,
            audit,
        )?;
        Ok(changed.ok().map(|(account, ())| account))
    }

    fn change_profile_with(
        &self,
        id: AccountId,
        change: &ChangeProfile<'_>,
        notices: &[Notification],
        audit: &AuditEvent,
    ) -> Result<Option<(Account, Option<Patient>)>> {
        let changed = self.change_profile(
            id,
            |account, patient| {
                if change(account, patient) {
                    Ok(())
                } else {
                    Err(())
                }
            },
            notices,
            audit,
        )?;
        Ok(changed
            .ok()
            .map(|(account, patient, ())| (account, patient)))
    }

    fn erase_account(
        &self,
        id: AccountId,
        notices: &[Notification],
        audit: &AuditEvent,
    ) -> Result<()> {
        Ok(Store::erase_account(self, id, notices, audit)?)
    }

    fn erase_patient(&self, id: PatientId, audit: &AuditEvent) -> Result<Option<u64>> {
        Ok(Store::erase_patient(self, id, audit)?.map(|erased| erased.removed_records))
    }
}

impl BookingStore for Store {
    fn find_practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>> {
        Ok(self.practitioner(id)?)
    }

    fn find_schedule(&self, practitioner: PractitionerId) -> Result<Option<Schedule>> {
        Ok(self.schedule(practitioner)?)
    }

    fn booked_starts_of(
        &self,
        practitioner: PractitionerId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BTreeSet<Timestamp>> {
        Ok(self.booked_starts(practitioner, from, to)?)
    }

    fn patient_unaudited(&self, id: PatientId) -> Result<Option<Patient>> {
        Ok(self.patient_unrecorded(id)?)
    }

    fn reads_kept_for_booking(&self, practitioner: PractitionerId, patient: PatientId) -> bool {
        self.booking_reads_kept(practitioner, patient)
    }

    fn write_booking(&self, write: BookingWrite) -> Result<()> {
        Ok(self.write_now(write)?)
    }

    fn queue_booking(&self, write: BookingWrite) -> Result<Outcome> {
        let pending = self.queue_write(write)?;
        Ok(Box::pin(async move { Ok(pending.outcome().await?) }))
    }

    fn change_booked(
        &self,
        id: AppointmentId,
        decide: &DecideChange<'_>,
        write: &AuditEvent,
    ) -> Result<std::result::Result<Option<Appointment>, TransitionError>> {
        Ok(self.change_appointment(id, decide, None, write)?)
    }
}

impl BoothStore for Store {
    fn patient_by_national_id(
        &self,
        country: Country,
        national_id: &str,
        audit: &AuditEvent,
    ) -> Result<Option<Patient>> {
        Ok(Store::patient_by_national_id(
            self,
            country,
            national_id,
            audit,
        )?)
    }

    fn register_walk_in(
        &self,
        walk_in: &Patient,
        counter_consents: &CounterConsents<'_>,
        created: &AuditEvent,
        known: &KnownEvent<'_>,
    ) -> Result<WalkIn> {
        Ok(Store::register_walk_in(
            self,
            walk_in,
            counter_consents,
            created,
            known,
        )?)
    }

    fn cabin(&self) -> Result<Option<BoothSessionId>> {
        Ok(Store::cabin(self)?)
    }

    fn booth_session(&self, id: BoothSessionId) -> Result<Option<BoothSession>> {
        Ok(Store::booth_session(self, id)?)
    }

    fn start_waiting(
        &self,
        session: &BoothSession,
        entry: &QueueEntry,
        audit: &AuditEvent,
    ) -> Result<()> {
        Ok(Store::start_waiting(self, session, entry, audit)?)
    }

    fn enqueue(&self, entry: &QueueEntry, audit: &AuditEvent) -> Result<()> {
        Ok(Store::enqueue(self, entry, audit)?)
    }

    fn waiting(&self) -> Result<Vec<QueueEntry>> {
        Ok(Store::waiting(self)?)
    }

    fn waiting_entry(&self, id: QueueEntryId) -> Result<Option<QueueEntry>> {
        Ok(Store::waiting_entry(self, id)?)
    }

    fn waiting_entry_of(&self, patient: PatientId) -> Result<Option<QueueEntry>> {
        Ok(Store::waiting_entry_of(self, patient)?)
    }

    fn withdraw(&self, id: QueueEntryId, audit: &AuditEvent) -> Result<Option<QueueEntry>> {
        Ok(Store::withdraw(self, id, audit)?)
    }

    fn take(&self, take: &Take) -> Result<Taken> {
        Ok(Store::take(self, take)?)
    }

    fn end_session(
        &self,
        id: BoothSessionId,
        decide: &DecideEnd<'_>,
        audit: &AuditEvent,
    ) -> Result<Option<SessionEnd>> {
        Ok(Store::end_session(self, id, decide, audit)?)
    }

    fn booth_sessions_ended_since(&self, since: Timestamp) -> Result<Vec<BoothSession>> {
        Ok(Store::booth_sessions_ended_since(self, since)?)
    }

    fn booth_session_of_appointment(
        &self,
        patient: PatientId,
        appointment: AppointmentId,
    ) -> Result<Option<BoothSession>> {
        Ok(self
            .booth_sessions_of(patient)?
            .into_iter()
            .find(|s| s.appointment() == Some(appointment)))
    }

    fn set_on_demand(&self, availability: &Availability, audit: &AuditEvent) -> Result<()> {
        Ok(Store::set_on_demand(self, availability, audit)?)
    }

    fn on_demand(&self) -> Result<Vec<Availability>> {
        Ok(Store::on_demand(self)?)
    }

    fn appointment_record(
        &self,
        id: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Option<Appointment>> {
        Ok(self.appointment(id, audit)?)
    }

    fn account_record(
        &self,
        id: teleconsult_core::ids::AccountId,
    ) -> Result<Option<teleconsult_core::account::Account>> {
        Ok(self.account(id)?)
    }

    fn touch_session(&self, id: BoothSessionId, at: Timestamp) -> Result<()> {
        Ok(self.touch_booth_session(id, at)?)
    }
}

impl DocumentStore for Store {
    fn document_record(
        &self,
        id: DocumentId,
        audit: &AuditEvent,
    ) -> Result<Option<IssuedDocument>> {
        Ok(self.document(id, audit)?)
    }

    fn document_pdf(
        &self,
        id: DocumentId,
        part: Option<SickLeavePart>,
        audit: &AuditEvent,
    ) -> Result<Option<Vec<u8>>> {
        let rendition = part.map_or(Rendition::Document, Rendition::SickLeave);
        Ok(Store::document_pdf(self, id, rendition, audit)?)
    }

    fn documents_of_appointments(
        &self,
        appointments: &[AppointmentId],
        audit: &[AuditEvent],
    ) -> Result<Vec<IssuedDocument>> {
        Ok(self.documents_read_as(|d| appointments.contains(&d.document.appointment), audit)?)
    }
}

impl CallStore for Store {
    fn change_for_call(
        &self,
        id: AppointmentId,
        decide: &DecideChange<'_>,
        read: &AuditEvent,
        write: &AuditEvent,
    ) -> Result<std::result::Result<Option<Appointment>, TransitionError>> {
        Ok(self.change_appointment(id, decide, Some(read), write)?)
    }

    fn chat(&self, appointment: AppointmentId, audit: &AuditEvent) -> Result<Vec<ChatMessage>> {
        Ok(Store::chat(self, appointment, audit)?)
    }

    fn append_chat(&self, message: &ChatMessage, audit: &AuditEvent) -> Result<()> {
        Ok(Store::append_chat(self, message, audit)?)
    }

    fn attachment_appointment(
        &self,
        id: uuid::Uuid,
        audit: &AuditEvent,
    ) -> Result<Option<AppointmentId>> {
        Ok(self
            .attachment_description(id, audit)?
            .map(|a| a.appointment))
    }

    fn add_quality_samples(
        &self,
        appointment: AppointmentId,
        samples: &[QualitySample],
        audit: &AuditEvent,
    ) -> Result<()> {
        Ok(Store::add_quality_samples(
            self,
            appointment,
            samples,
            audit,
        )?)
    }

    fn attachments_of_appointment(
        &self,
        appointment: AppointmentId,
        audit: &AuditEvent,
    ) -> Result<Vec<Attachment>> {
        Ok(self.attachments_of(appointment, audit)?)
    }

    fn save_shared_file(
        &self,
        attachment: &Attachment,
        content: &[u8],
        per_appointment: u32,
        per_day: u32,
        audit: &AuditEvent,
    ) -> Result<()> {
        let quota = crate::UploadQuota {
            account: attachment.uploaded_by,
            appointment: Some((attachment.appointment, per_appointment)),
            per_day,
            at: attachment.uploaded_at,
        };
        Ok(self.save_attachment(attachment, content, Some(&quota), audit)?)
    }

    fn shared_file(
        &self,
        id: uuid::Uuid,
        audit: &AuditEvent,
    ) -> Result<Option<(Attachment, Vec<u8>)>> {
        Ok(self
            .attachment(id, audit)?
            .map(|(attachment, content)| (attachment, content.to_vec())))
    }
}

impl MessageStore for Store {
    fn conversation_started(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        Ok(self.has_messages(patient, practitioner)?)
    }

    fn appointments_together(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
        audit: &AuditEvent,
    ) -> Result<Vec<Appointment>> {
        Ok(self.appointments(
            |a| a.patient == patient && a.practitioner == practitioner,
            audit,
        )?)
    }

    fn append_message_with(
        &self,
        message: &Message,
        file: Option<(&[u8], u32)>,
        notifications: &[Notification],
        audit: &AuditEvent,
    ) -> Result<()> {
        let quota = file.map(|(_, per_day)| crate::UploadQuota {
            account: message.author,
            appointment: None,
            per_day,
            at: message.at,
        });
        let content = file.map(|(content, _)| (content, quota.as_ref()));
        Ok(self.append_message(message, content, notifications, audit)?)
    }
}

impl MedicalRecordStore for Store {
    fn find_medical_record(
        &self,
        patient: PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<MedicalRecord>> {
        Ok(self.medical_record(patient, audit)?)
    }

    fn save_medical_record(&self, record: &MedicalRecord, audit: &AuditEvent) -> Result<()> {
        Ok(self.put_medical_record(record, audit)?)
    }
}

impl AgendaStore for Store {
    fn replace_schedule(
        &self,
        practitioner: PractitionerId,
        schedule: &Schedule,
        audit: &AuditEvent,
    ) -> Result<()> {
        Ok(self.set_schedule(practitioner, schedule, audit)?)
    }

    fn change_listing(
        &self,
        practitioner: PractitionerId,
        change: &ChangeListing<'_>,
        audit: &AuditEvent,
    ) -> Result<Practitioner> {
        Ok(self.change_practitioner(practitioner, change, audit)?)
    }
}
