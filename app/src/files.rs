//! The files shared in an appointment (`POST`/`GET /appointments/{id}/attachments`, the
//! appointment's files page): who may share one and when — the patient side from booking on,
//! the others while the call room is open (core `call.rs`) —, who may read them (the parties
//! of its call; the booth only while the room is open, core `access.rs`). A file is checked
//! against its declared type, sealed, and counted against the appointment's files and its
//! uploader's files of the day in its transaction. Every access is audited.

use crate::error::AppError;
use crate::messages::Upload;
use crate::{App, actor_of, event, new_id};
use teleconsult_core::access::may_read_files;
use teleconsult_core::account::Account;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::audit::Action;
use teleconsult_core::call::{Attachment, check_attachment, clean_file_name, role_in_call};
use teleconsult_core::ids::AppointmentId;
use teleconsult_core::signal::Role;

impl App {
    /// Whether `actor` may share a file in appointment `id` now (the door asks before it
    /// reads the file): [`AppError::NotFound`] for anyone who is no party to its call,
    /// [`AppError::Room`] when the room is not (or no longer) open to them.
    pub fn may_share_file(&self, actor: &Account, id: AppointmentId) -> Result<(), AppError> {
        let (appointment, role) = self.party(actor, id)?;
        teleconsult_core::call::may_share_file(
            role,
            &appointment,
            self.now(),
            &self.settings.appointments,
        )
        .map_err(AppError::Room)
    }

    /// Shares `upload` in appointment `id` (see [`App::may_share_file`]): its content checked
    /// against its declared type (415 for a type not shared, 422 on `file` otherwise), its
    /// name cleaned; 409 `too_many_files` / 429 once the appointment's or the day's quota is
    /// reached. Returns the file's record.
    pub fn share_file(
        &self,
        actor: &Account,
        id: AppointmentId,
        upload: Upload,
    ) -> Result<Attachment, AppError> {
        self.may_share_file(actor, id)?;
        let content_type = check_attachment(&upload.declared_type, &upload.content)
            .map_err(crate::messages::attachment_refused)?;
        let now = self.now();
        let attachment = Attachment {
            id: new_id(),
            appointment: id,
            uploaded_by: actor.id,
            uploaded_at: now,
            content_type: content_type.to_owned(),
            file_name: clean_file_name(upload.name.as_deref().unwrap_or_default(), content_type),
            size: upload.content.len() as u64,
        };
        let audit = event(
            now,
            &actor_of(actor),
            Action::Create,
            "attachment",
            attachment.id,
        );
        self.store.save_shared_file(
            &attachment,
            &upload.content,
            self.settings.uploads_per_appointment,
            self.settings.uploads_per_day,
            &audit,
        )?;
        Ok(attachment)
    }

    /// The files shared in appointment `id`, oldest first, for the parties of its call who may
    /// read them now; the appointment's read audited.
    pub fn shared_files(
        &self,
        actor: &Account,
        id: AppointmentId,
    ) -> Result<Vec<Attachment>, AppError> {
        let appointment = self.appointment(actor, id)?;
        self.shared_files_of(actor, &appointment)
    }

    /// The files shared in `appointment` (already loaded, its read audited by the caller),
    /// oldest first, for the parties of its call who may read them now: 404 for anyone else,
    /// [`AppError::Room`] for the booth outside the room's opening.
    pub fn shared_files_of(
        &self,
        actor: &Account,
        appointment: &Appointment,
    ) -> Result<Vec<Attachment>, AppError> {
        self.reader(actor, appointment)?;
        let read = event(
            self.now(),
            &actor_of(actor),
            Action::Read,
            "attachments",
            appointment.id,
        );
        Ok(self
            .store
            .attachments_of_appointment(appointment.id, &read)?)
    }

    /// File `file` of appointment `id` and its content, for the parties of its call who may
    /// read its files now (see [`App::shared_files_of`]); [`AppError::NotFound`] when the
    /// appointment has no such file.
    pub fn shared_file(
        &self,
        actor: &Account,
        id: AppointmentId,
        file: uuid::Uuid,
    ) -> Result<(Attachment, Vec<u8>), AppError> {
        let appointment = self.appointment(actor, id)?;
        self.reader(actor, &appointment)?;
        let read = event(
            self.now(),
            &actor_of(actor),
            Action::Read,
            "attachment",
            file,
        );
        match self.store.shared_file(file, &read)? {
            Some((attachment, content)) if attachment.appointment == id => {
                Ok((attachment, content))
            }
            _ => Err(AppError::NotFound),
        }
    }

    /// 404 unless `actor` is a party of `appointment`'s call; [`AppError::Room`] when they may
    /// not read its files now (the booth outside the room's opening).
    fn reader(&self, actor: &Account, appointment: &Appointment) -> Result<(), AppError> {
        let role =
            role_in_call(actor, appointment, self.settings.site_kind).ok_or(AppError::NotFound)?;
        may_read_files(role, appointment, self.now(), &self.settings.appointments)
            .map_err(AppError::Room)
    }

    /// The appointment and `actor`'s role in its call (404 for anyone who is no party).
    fn party(&self, actor: &Account, id: AppointmentId) -> Result<(Appointment, Role), AppError> {
        let appointment = self.appointment(actor, id)?;
        let role =
            role_in_call(actor, &appointment, self.settings.site_kind).ok_or(AppError::NotFound)?;
        Ok((appointment, role))
    }
}
