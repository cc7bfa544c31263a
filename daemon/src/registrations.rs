//! The sweeper of registrations never activated: once the activation link's lifetime (48
//! hours) is over, the account, its patient record and their national-id, e-mail and login
//! index entries go, each registration in one transaction (`Store::expire_registrations`), and
//! so do e-mailed tokens past their validity. A registration that meets an expired one frees it
//! on the spot too; this keeps what nobody claims from lingering (data minimisation).

use std::sync::Arc;
use std::time::Duration;
use teleconsult_core::account::LoginPolicy;
use teleconsult_core::audit::{Action, Actor, AuditEvent};
use teleconsult_core::ports::Clock;
use teleconsult_store::Store;
use tokio_util::sync::CancellationToken;

/// How often the sweeper looks (the first look is at start-up).
const EVERY: Duration = Duration::from_secs(15 * 60);

pub async fn run(store: Store, clock: Arc<dyn Clock>, shutdown: CancellationToken) {
    loop {
        let (s, c) = (store.clone(), clock.clone());
        match tokio::task::spawn_blocking(move || sweep(&s, c.as_ref())).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "expired registrations removed"),
            Ok(Err(e)) => tracing::error!(error = %e, "registration sweeper failed"),
            Err(e) => tracing::error!(error = %e, "registration sweeper task failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Removes what expired now; returns how many registrations.
pub fn sweep(store: &Store, clock: &dyn Clock) -> Result<usize, teleconsult_store::StoreError> {
    let now = clock.now();
    store.expire_registrations(now, &LoginPolicy::default(), |account| AuditEvent {
        at: now,
        actor: Actor::System("registrations".into()),
        action: Action::Delete,
        object_type: "account".into(),
        object_id: account.id.to_string(),
    })
}
