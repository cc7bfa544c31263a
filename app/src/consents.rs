//! A patient's consents (`/me/consents/{kind}/withdraw` and the "my data" page): withdrawing
//! one, on the record as stored at that moment — a rectification or another withdrawal in
//! parallel is never undone —, audited as an update of the patient record. Booking needs
//! both consents (`teleconsult_core::consent`).

use crate::error::AppError;
use crate::{App, actor_of, event};
use teleconsult_core::account::Account;
use teleconsult_core::audit::Action;
use teleconsult_core::consent::{self, Consent, ConsentKind};
use teleconsult_core::ports::RepositoryError;

impl App {
    /// Withdraws `actor`'s consent `kind` (every one of that kind still active); returns the
    /// consents now. [`AppError::NotFound`] for an account without a patient record.
    pub fn withdraw_consent(
        &self,
        actor: &Account,
        kind: ConsentKind,
    ) -> Result<Vec<Consent>, AppError> {
        let Some(patient) = actor.patient else {
            return Err(AppError::NotFound);
        };
        let now = self.now();
        let audit = event(now, &actor_of(actor), Action::Update, "patient", patient);
        // The session's account is not written back: only the stored record changes.
        let withdraw =
            |_: &mut Account, record: Option<&mut teleconsult_core::patient::Patient>| {
                record.is_some_and(|record| {
                    consent::withdraw(&mut record.consents, kind, now);
                    true
                })
            };
        match self
            .store
            .change_profile_with(actor.id, &withdraw, &[], &audit)
        {
            Ok(Some((_, record))) => Ok(record.map(|r| r.consents).unwrap_or_default()),
            Ok(None) | Err(RepositoryError::NotFound(_)) => Err(AppError::NotFound),
            Err(other) => Err(other.into()),
        }
    }
}
