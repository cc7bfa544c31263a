//! # The storage conformance suite: one set of checks, both adapters
//!
//! Every check in `checks.rs` runs against the sled adapter (`teleconsult-store`, in a temporary
//! folder) and the PostgreSQL adapter (`teleconsult-store-postgres`, on a real server started
//! for the test, see `teleconsult_tests::postgres`), through the ports of `teleconsult-core`
//! only: what the application may rely on is what both do. `postgres_only.rs` holds what only a
//! shared database has (several daemons, a key check, migrations).
//!
//! Issue #20 grows the ports one aggregate at a time; so far: `Repository` (patients,
//! practitioners, audit, outbox count), `BookingStore` (booking, one per slot, the open
//! appointments limit, the cabin taken once), schedules, `AccountStore`, `AgendaStore`,
//! `MedicalRecordStore`, `MessageStore`, `CallStore`, `SessionStore` (login challenges,
//! sessions, single-use tokens: `sessions.rs`) and the outbox (`outbox.rs`).

#![allow(clippy::unwrap_used)]

mod accounts;
mod bench;
mod calls;
mod checks;
mod erasure;
mod fixtures;
mod outbox;
mod postgres_only;
mod sessions;

use std::sync::Arc;

use fixtures::Backend;

/// A store under test and what keeps it alive (its folder or its server).
pub struct Under {
    pub store: Arc<dyn Backend>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

fn sled() -> Under {
    let dir = tempfile::tempdir().unwrap();
    let store = teleconsult_store::Store::open(dir.path(), fixtures::key()).unwrap();
    Under {
        store: Arc::new(store),
        _keep: Box::new(dir),
    }
}

fn postgres(test: &str) -> anyhow::Result<Option<Under>> {
    let Some(server) = teleconsult_tests::postgres::Postgres::start(test)? else {
        return Ok(None);
    };
    let url = server.create_database("site")?;
    let store = teleconsult_store_postgres::PgStore::open(
        &teleconsult_store_postgres::PgOptions::new(url),
        &fixtures::key(),
    )?;
    Ok(Some(Under {
        store: Arc::new(store),
        _keep: Box::new(server),
    }))
}

/// Each named check of `checks.rs`, once per adapter.
macro_rules! both_adapters {
    ($($check:ident),* $(,)?) => {
        mod sled {
            $(
                #[test]
                fn $check() {
                    super::checks::$check(&super::sled());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $check() -> anyhow::Result<()> {
                    let Some(under) = super::postgres(concat!("postgres::", stringify!($check)))?
                    else {
                        return Ok(());
                    };
                    super::checks::$check(&under);
                    Ok(())
                }
            )*
        }
    };
}

both_adapters!(
    patients_are_unique_by_national_id_and_by_email,
    a_patient_read_is_recorded_found_or_not,
    practitioners_and_schedules_read_back_as_written,
    a_taken_slot_is_refused_and_only_the_reads_are_recorded,
    forty_threads_booking_one_slot_book_it_once,
    two_hundred_queued_bookings_over_twenty_slots_book_twenty,
    thirty_bookings_by_one_account_stop_at_its_open_limit,
    thirty_sessions_opening_at_the_booth_take_the_cabin_once,
    thirty_creations_of_one_login_create_one_account,
    a_practitioner_account_is_created_with_its_listing_or_not_at_all,
    thirty_changes_of_one_account_lose_none,
    thirty_cancellations_of_one_appointment_cancel_it_once_and_free_its_slot,
    thirty_listing_changes_lose_none,
    a_medical_record_is_sealed_read_audited_and_kept_with_its_patient,
    thirty_messages_with_files_stop_at_the_days_upload_quota,
    thirty_chat_messages_and_quality_samples_at_once_lose_none,
    thirty_shared_files_stop_at_the_appointments_quota,
    thirty_wrong_codes_count_three_on_the_challenge_then_it_is_void,
    thirty_right_codes_open_one_session_found_by_its_token,
    a_challenge_refused_or_for_a_missing_account_writes_nothing,
    thirty_redemptions_of_one_token_redeem_it_once,
    thirty_registrations_of_one_e_mail_or_one_national_id_create_one,
    an_expired_registration_frees_its_e_mail_and_national_id,
    confirmation_codes_are_bound_counted_and_used_once,
    thirty_code_requests_send_five_and_thirty_wrong_codes_count_three,
    an_erasure_removes_the_person_and_their_traces_and_keeps_appointments,
    thirty_erasures_at_once_erase_once,
    a_walk_in_without_account_is_erased_once_and_every_attempt_recorded,
);
