//! The accounts port (`AccountStore`) on PostgreSQL: accounts sealed, found by id or by a blind
//! index of their login (unique by constraint, case and surrounding spaces ignored), and
//! changes decided by the caller on the account as stored (row locked), with the patient
//! record of a patient account for a change of profile.

use teleconsult_core::account::Account;
use teleconsult_core::audit::AuditEvent;
use teleconsult_core::ids::AccountId;
use teleconsult_core::notification::Notification;
use teleconsult_core::patient::Patient;
use teleconsult_core::ports::RepositoryError;
use teleconsult_core::ports::accounts::{AccountStore, ChangeAccount, ChangeProfile};
use teleconsult_core::practitioner::Practitioner;
use teleconsult_seal::{Crypto, email_index};

use crate::error::{PgError, violated};
use crate::repo::{EMAIL, enqueue, read_patient};
use crate::sql::Cached;
use crate::{Inner, PgStore, audit, sealed};

/// The sled adapter's name for a taken login.
const LOGIN: &str = "login";

pub(crate) fn login_index(crypto: &Crypto, login: &str) -> [u8; 32] {
    crypto.blind_index("login", &login.trim().to_lowercase())
}

pub(crate) fn open_account(crypto: &Crypto, row: &tokio_postgres::Row) -> Result<Account, PgError> {
    let id: uuid::Uuid = row.try_get(0)?;
    let bytes: Vec<u8> = row.try_get(1)?;
    sealed::open(crypto, "accounts", id.as_bytes(), &bytes)
}

/// Writes `account` over its stored row (locked by the caller), moving its login index.
pub(crate) async fn replace(
    tx: &deadpool_postgres::Transaction<'_>,
    crypto: &Crypto,
    account: &Account,
) -> Result<(), PgError> {
    let sealed = sealed::seal(crypto, "accounts", account.id.as_bytes(), account)?;
    let written = tx
        .exec(
            "UPDATE accounts SET login_index = $2, sealed = $3 WHERE id = $1",
            &[
                &account.id.0,
                &&login_index(crypto, &account.login)[..],
                &sealed,
            ],
        )
        .await;
    match written {
        Ok(_) => Ok(()),
        Err(e) if violated(&e) == Some("accounts_login_index") => {
            Err(RepositoryError::AlreadyExists(LOGIN).into())
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn locked_account(
    tx: &deadpool_postgres::Transaction<'_>,
    crypto: &Crypto,
    id: AccountId,
) -> Result<Account, PgError> {
    let row = tx
        .opt(
            "SELECT id, sealed FROM accounts WHERE id = $1 FOR UPDATE",
            &[&id.0],
        )
        .await?
        .ok_or(RepositoryError::NotFound("account"))?;
    open_account(crypto, &row)
}

impl AccountStore for PgStore {
    fn find_account(&self, id: AccountId) -> Result<Option<Account>, RepositoryError> {
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let row = object
                .opt("SELECT id, sealed FROM accounts WHERE id = $1", &[&id.0])
                .await?;
            row.map(|row| open_account(&inner.crypto, &row)).transpose()
        })
    }

    fn find_account_by_login(&self, login: &str) -> Result<Option<Account>, RepositoryError> {
        let index = login_index(&self.inner.crypto, login);
        self.run(move |inner| async move {
            let object = inner.client().await?;
            let row = object
                .opt(
                    "SELECT id, sealed FROM accounts WHERE login_index = $1",
                    &[&&index[..]],
                )
                .await?;
            row.map(|row| open_account(&inner.crypto, &row)).transpose()
        })
    }

    fn all_accounts(&self) -> Result<Vec<Account>, RepositoryError> {
        self.run(|inner| async move {
            let object = inner.client().await?;
            let rows = object.all("SELECT id, sealed FROM accounts", &[]).await?;
            let mut all = rows
                .iter()
                .map(|row| open_account(&inner.crypto, row))
                .collect::<Result<Vec<_>, _>>()?;
            all.sort_by(|a, b| a.login.cmp(&b.login).then(a.id.cmp(&b.id)));
            Ok(all)
        })
    }

    fn create_account_listed(
        &self,
        account: &Account,
        listing: Option<(&Practitioner, &AuditEvent)>,
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let crypto = &self.inner.crypto;
        let sealed_account = sealed::seal(crypto, "accounts", account.id.as_bytes(), account)?;
        let index = login_index(crypto, &account.login);
        let listing = listing
            .map(|(p, event)| {
                Ok::<_, PgError>((
                    p.id,
                    sealed::seal(crypto, "practitioners", p.id.as_bytes(), p)?,
                    event.clone(),
                ))
            })
            .transpose()?;
        let (id, event) = (account.id, audit.clone());
        self.run(move |inner| async move {
            let mut object = inner.client().await?;
            let tx = object.transaction().await?;
            let inserted = tx
                .exec(
                    "INSERT INTO accounts (id, login_index, sealed) VALUES ($1, $2, $3)",
                    &[&id.0, &&index[..], &sealed_account],
                )
                .await;
            if let Err(e) = inserted {
                return Err(match violated(&e) {
                    Some("accounts_login_index" | "accounts_pkey") => {
                        RepositoryError::AlreadyExists(LOGIN).into()
                    }
                    _ => e.into(),
                });
            }
            let mut events = Vec::new();
            if let Some((practitioner, sealed, listed)) = &listing {
                tx.exec(
                    "INSERT INTO practitioners (id, sealed) VALUES ($1, $2) \
                     ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed",
                    &[&practitioner.0, sealed],
                )
                .await?;
                events.push(listed);
            }
            events.push(&event);
            audit::append(&tx, &events).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn change_account_with(
        &self,
        id: AccountId,
        change: &ChangeAccount<'_>,
        notices: &[Notification],
        audit: Option<&AuditEvent>,
    ) -> Result<Option<Account>, RepositoryError> {
        let (notices, event) = (notices.to_vec(), audit.cloned());
        let inner = std::sync::Arc::clone(&self.inner);
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let current = locked_account(&tx, &inner.crypto, id).await?;
                    let Some(next) = handover.exchange(current).await? else {
                        return Ok(None);
                    };
                    replace(&tx, &inner.crypto, &next).await?;
                    // Notifications only: the time is the outbox's, unused.
                    if let Some(first) = notices.first() {
                        enqueue(&tx, &inner.crypto, &notices, &[], first.created_at).await?;
                    }
                    if let Some(event) = &event {
                        audit::append(&tx, &[event]).await?;
                    }
                    tx.commit().await?;
                    Ok(Some(next))
                })
            },
            |mut account: Account| change(&mut account).then_some(account),
        )?)
    }

    fn erase_account(
        &self,
        id: AccountId,
        notices: &[Notification],
        audit: &AuditEvent,
    ) -> Result<(), RepositoryError> {
        let (notices, event) = (notices.to_vec(), audit.clone());
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    let account = locked_account(tx, &inner.crypto, id).await?;
                    if let Some(patient) = account.patient {
                        erase_patient(tx, patient).await?;
                    }

                    // Sessions, links and confirmation codes go with the account (foreign keys).
                    tx.exec("DELETE FROM accounts WHERE id = $1", &[&id.0])
                        .await?;
                    tx.exec(
                        "DELETE FROM quota_counts WHERE key = ANY($1)",
                        &[&vec![
                            format!("uploads/day/{id}"),
                            format!("exports/hour/{id}"),
                        ]],
                    )
                    .await?;
                    if let Some(first) = notices.first() {
                        enqueue(tx, &inner.crypto, &notices, &[], first.created_at).await?;
                    }
                    Ok(())
                })
                .await
        })
    }

    fn erase_patient(
        &self,
        id: teleconsult_core::ids::PatientId,
        audit: &AuditEvent,
    ) -> Result<Option<u64>, RepositoryError> {
        let event = audit.clone();
        self.run(move |inner| async move {
            inner
                .audited(&[&event], async |tx| {
                    // The attempt is recorded even when there is no such patient.
                    let removed = erase_patient(tx, id).await?;
                    Ok(removed)
                })
                .await
        })
    }

    fn change_profile_with(
        &self,
        id: AccountId,
        change: &ChangeProfile<'_>,
        notices: &[Notification],
        audit: &AuditEvent,
    ) -> Result<Option<(Account, Option<Patient>)>, RepositoryError> {
        let (notices, event) = (notices.to_vec(), audit.clone());
        let inner = std::sync::Arc::clone(&self.inner);
        Ok(self.inner.bridge.decide(
            move |handover| {
                Box::pin(async move {
                    let mut object = inner.client().await?;
                    let tx = object.transaction().await?;
                    let current = locked_account(&tx, &inner.crypto, id).await?;
                    let patient = match current.patient {
                        Some(patient) => {
                            tx.exec(
                                "SELECT 1 FROM patients WHERE id = $1 FOR UPDATE",
                                &[&patient.0],
                            )
                            .await?;
                            Some(
                                read_patient(&tx, &inner.crypto, patient)
                                    .await?
                                    .ok_or(RepositoryError::NotFound("patient"))?,
                            )
                        }
                        None => None,
                    };
                    let Some((next, next_patient)) =
                        handover.exchange((current, patient.clone())).await?
                    else {
                        return Ok(None);
                    };
                    replace(&tx, &inner.crypto, &next).await?;
                    if let (Some(old), Some(new)) = (&patient, &next_patient) {
                        write_patient(&inner, &tx, old, new).await?;
                    }
                    enqueue(&tx, &inner.crypto, &notices, &[], event.at).await?;
                    audit::append(&tx, &[&event]).await?;
                    tx.commit().await?;
                    Ok(Some((next, next_patient)))
                })
            },
            |(mut account, mut patient): (Account, Option<Patient>)| {
                change(&mut account, patient.as_mut()).then_some((account, patient))
            },
        )?)
    }
}

/// What erasure removes of patient `patient` (see `AccountStore::erase_account`): their
/// record (its short medical record by foreign key), their messages (their files by foreign
/// key), the chat, shared files, quality records and upload counts of their appointments, and
/// the queue entry they wait with. Their appointments stay. How many rows went (`None`: no
/// such patient, nothing removed).
async fn erase_patient(
    tx: &deadpool_postgres::Transaction<'_>,
    patient: teleconsult_core::ids::PatientId,
) -> Result<Option<u64>, PgError> {
    let found = tx
        .exec(
            "SELECT 1 FROM patients WHERE id = $1 FOR UPDATE",
            &[&patient.0],
        )
        .await?;
    if found == 0 {
        return Ok(None);
    }
    let rows = tx
        .all(
            "SELECT id FROM appointments WHERE patient = $1",
            &[&patient.0],
        )
        .await?;
    let appointments = rows
        .iter()
        .map(|row| row.try_get::<_, uuid::Uuid>(0))
        .collect::<Result<Vec<_>, _>>()?;
    let counts: Vec<String> = appointments
        .iter()
        .map(|a| format!("uploads/appointment/{a}"))
        .collect();
    let mut removed = 0;
    for statement in [
        "DELETE FROM chat_messages WHERE appointment = ANY($1)",
        "DELETE FROM attachments WHERE appointment = ANY($1)",
        "DELETE FROM call_quality WHERE appointment = ANY($1)",
    ] {
        removed += tx.exec(statement, &[&appointments]).await?;
    }
    tx.exec("DELETE FROM quota_counts WHERE key = ANY($1)", &[&counts])
        .await?;
    // The medical record and the message files go by foreign key: counted first.
    for statement in [
        "SELECT 1 FROM medical_records WHERE patient = $1",
        "SELECT 1 FROM message_files f JOIN messages m ON m.id = f.message WHERE m.patient = $1",
        "DELETE FROM messages WHERE patient = $1",
        "DELETE FROM queue_entries WHERE patient = $1",
        "DELETE FROM patients WHERE id = $1",
    ] {
        removed += tx.exec(statement, &[&patient.0]).await?;
    }
    Ok(Some(removed))
}

/// Writes a patient's changed record (locked by the caller), moving its e-mail index.
async fn write_patient(
    inner: &Inner,
    tx: &deadpool_postgres::Transaction<'_>,
    old: &Patient,
    new: &Patient,
) -> Result<(), PgError> {
    let sealed = sealed::seal(&inner.crypto, "patients", new.id.as_bytes(), new)?;
    let email = (!old.email.eq_ignore_ascii_case(&new.email))
        .then(|| email_index(&inner.crypto, &new.email));
    let written = tx
        .exec(
            "UPDATE patients SET sealed = $2, email_index = coalesce($3, email_index) WHERE id = $1",
            &[&new.id.0, &sealed, &email.as_ref().map(|e| &e[..])],
        )
        .await;
    match written {
        Ok(_) => Ok(()),
        Err(e) if violated(&e) == Some("patients_email_index_key") => {
            Err(RepositoryError::AlreadyExists(EMAIL).into())
        }
        Err(e) => Err(e.into()),
    }
}
