//! The registration port (`RegistrationStore`) on PostgreSQL. Registrations are decided one at
//! a time, under an advisory lock of their own: two with the same e-mail at once, one is
//! created and the other's owner told — as on sled. The holders of the e-mail, login and
//! national id are read locked; a registration never activated whose link expired is removed
//! (its account, sessions and links by foreign key, its patient record) and frees what it held.
//! A patient created at the same moment by another door (staff at the counter) is still kept
//! unique by the constraints: that registration then fails as `AlreadyExists`.

use std::sync::Arc;

use teleconsult_core::Timestamp;
use teleconsult_core::account::{Account, LoginPolicy};
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::registration::{
    NewRegistration, Registered, RegistrationRefusal, RegistrationStore,
};
use teleconsult_seal::{Crypto, email_index};

use crate::accounts::{login_index, open_account};
use crate::error::{PgError, violated};
use crate::repo::{SealedPatient, enqueue, insert_patient};
use crate::sql::Cached;
use crate::{PgStore, audit, sealed};

/// `pg_advisory_xact_lock` key of registrations.
const REGISTRATION_LOCK: i64 = 0x7465_6c65_636f_0003;

type Tx<'a> = deadpool_postgres::Transaction<'a>;

fn open_patient(crypto: &Crypto, row: &tokio_postgres::Row) -> Result<Patient, PgError> {
    let id: uuid::Uuid = row.try_get(0)?;
    let bytes: Vec<u8> = row.try_get(1)?;
    sealed::open(crypto, "patients", id.as_bytes(), &bytes)
}

/// Removes `account` when it is a registration that expired at `now` (see
/// `Account::registration_expired`), with its patient record. Whether it did.
async fn purge_if_expired(
    tx: &Tx<'_>,
    account: &Account,
    now: Timestamp,
    policy: &LoginPolicy,
) -> Result<bool, PgError> {
    if !account.registration_expired(now, policy) {
        return Ok(false);
    }
    tx.exec("DELETE FROM accounts WHERE id = $1", &[&account.id.0])
        .await?;
    if let Some(patient) = account.patient {
        tx.exec("DELETE FROM patients WHERE id = $1", &[&patient.0])
            .await?;
    }
    Ok(true)
}

/// The patient whose index `column` is `index`, unless theirs is a registration that expired
/// (then removed).
async fn patient_holder(
    tx: &Tx<'_>,
    crypto: &Crypto,
    by_national_id: bool,
    index: &[u8],
    now: Timestamp,
    policy: &LoginPolicy,
) -> Result<Option<Patient>, PgError> {
    let query = if by_national_id {
        "SELECT id, sealed FROM patients WHERE national_id_index = $1 FOR UPDATE"
    } else {
        "SELECT id, sealed FROM patients WHERE email_index = $1 FOR UPDATE"
    };
    let Some(row) = tx.opt(query, &[&index]).await? else {
        return Ok(None);
    };
    let patient = open_patient(crypto, &row)?;
    // A self-registered patient's login is their e-mail address.
    let login = login_index(crypto, &patient.email);
    let account = tx
        .opt(
            "SELECT id, sealed FROM accounts WHERE login_index = $1 FOR UPDATE",
            &[&&login[..]],
        )
        .await?
        .map(|row| open_account(crypto, &row))
        .transpose()?;
    if let Some(account) = account.filter(|a| a.patient == Some(patient.id))
        && purge_if_expired(tx, &account, now, policy).await?
    {
        return Ok(None);
    }
    Ok(Some(patient))
}

impl RegistrationStore for PgStore {
    fn register_or_notify(
        &self,
        new: &NewRegistration<'_>,
        refusal: &RegistrationRefusal<'_>,
        now: Timestamp,
        policy: &LoginPolicy,
    ) -> Result<Registered, RepositoryError> {
        let crypto = &self.inner.crypto;
        let patient = SealedPatient::new(crypto, new.patient, true)?;
        let account = new.account.clone();
        let sealed_account = sealed::seal(crypto, "accounts", account.id.as_bytes(), &account)?;
        let login = login_index(crypto, &account.login);
        let email = email_index(crypto, &new.patient.email);
        let token_key = crypto.blind_index("token", new.activation_token).to_vec();
        let sealed_token = sealed::seal(crypto, "tokens", &token_key, new.activation)?;
        let notices = (
            new.activation_email.clone(),
            refusal.email_taken.clone(),
            refusal.not_completed.clone(),
        );
        let (created, refused) = (new.created.clone(), refusal.refused.clone());
        let (policy, inner) = (*policy, Arc::clone(&self.inner));
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let crypto = &inner.crypto;
                    let (activation_email, email_taken, not_completed) = notices;
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    tx.exec("SELECT pg_advisory_xact_lock($1)", &[&REGISTRATION_LOCK])
                        .await?;
                    let email_holder =
                        patient_holder(&tx, crypto, false, &email, now, &policy).await?;
                    let login_holder = match tx
                        .opt(
                            "SELECT id, sealed FROM accounts WHERE login_index = $1 FOR UPDATE",
                            &[&&login[..]],
                        )
                        .await?
                    {
                        None => None,
                        Some(row) => {
                            let holder = open_account(crypto, &row)?;
                            (!purge_if_expired(&tx, &holder, now, &policy).await?).then_some(holder)
                        }
                    };
                    if email_holder.is_some() || login_holder.is_some() {
                        enqueue(&tx, crypto, &[email_taken], &[], now).await?;
                        audit::append(&tx, &[&refused]).await?;
                        tx.commit().await?;
                        return Ok(Registered::EmailTaken);
                    }
                    let id_holder =
                        patient_holder(&tx, crypto, true, &patient.national_id, now, &policy)
                            .await?;
                    if let Some(owner) = id_holder {
                        let told: Notification = handover.exchange(owner).await?;
                        enqueue(&tx, crypto, &[not_completed, told], &[], now).await?;
                        audit::append(&tx, &[&refused]).await?;
                        tx.commit().await?;
                        return Ok(Registered::NationalIdTaken);
                    }
                    insert_patient(&tx, &patient).await?;
                    let inserted = tx
                        .exec(
                            "INSERT INTO accounts (id, login_index, sealed) VALUES ($1, $2, $3)",
                            &[&account.id.0, &&login[..], &sealed_account],
                        )
                        .await;
                    if let Err(e) = inserted {
                        return Err(match violated(&e) {
                            Some("accounts_login_index" | "accounts_pkey") => {
                                RepositoryError::AlreadyExists("login").into()
                            }
                            _ => e.into(),
                        });
                    }
                    tx.exec(
                        "INSERT INTO tokens (key, account, sealed) VALUES ($1, $2, $3)",
                        &[&token_key, &account.id.0, &sealed_token],
                    )
                    .await?;
                    enqueue(&tx, crypto, &[activation_email], &[], now).await?;
                    audit::append(&tx, &[&created]).await?;
                    tx.commit().await?;
                    Ok(Registered::Created)
                })
            },
            |owner: Patient| (refusal.national_id_owner)(&owner),
        )?)
    }
}
