//! The registration port: a patient registering themself, in a way that says nothing about what
//! is registered (docs/security.md, "Registration"). One transaction either creates the patient,
//! their account (pending activation) and the activation link and e-mail, or — when the e-mail
//! address or the national id is registered — creates nothing and queues the notices instead.
//! A registration never activated whose link expired frees its e-mail and national id first,
//! in the same transaction.

use crate::Timestamp;
use crate::account::{Account, LoginPolicy, OneTimeToken};
use crate::audit::AuditEvent;
use crate::notification::Notification;
use crate::patient::Patient;
use crate::ports::RepositoryError;

/// What a registration creates.
pub struct NewRegistration<'a> {
    /// The account, pending activation; its login is the patient's e-mail address.
    pub account: &'a Account,
    pub patient: &'a Patient,
    /// The activation link's secret (stored as a keyed hash) and record.
    pub activation_token: &'a str,
    pub activation: &'a OneTimeToken,
    pub activation_email: &'a Notification,
    /// Audited with the creation.
    pub created: &'a AuditEvent,
}

/// What a refused registration sends and records instead (the same amount of writing).
pub struct RegistrationRefusal<'a> {
    /// To the owner of a registered e-mail address.
    pub email_taken: &'a Notification,
    /// To the address given, when the national id is registered.
    pub not_completed: &'a Notification,
    /// To the patient who holds the national id (their address and language).
    pub national_id_owner: &'a dyn Fn(&Patient) -> Notification,
    /// Audited instead of the creation.
    pub refused: &'a AuditEvent,
}

/// What a registration did (the caller's answer is the same whatever it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registered {
    /// The account, pending activation, and the activation e-mail.
    Created,
    /// The e-mail (or login) is registered: its owner was told, nothing was created.
    EmailTaken,
    /// The national id is registered (the e-mail is not): the address given was told that the
    /// registration could not be completed, the national id's owner that someone tried.
    NationalIdTaken,
}

/// Storage of self-registrations.
pub trait RegistrationStore: Send + Sync {
    /// Registers `new`, or queues `refusal`'s notices when its e-mail, login or national id is
    /// taken — by anything but a registration that expired at `now` under `policy`, which is
    /// removed first. One transaction; registrations in parallel are decided one after the
    /// other (two with the same e-mail: one is created, the other told).
    fn register_or_notify(
        &self,
        new: &NewRegistration<'_>,
        refusal: &RegistrationRefusal<'_>,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Result<Registered, RepositoryError>;
}
