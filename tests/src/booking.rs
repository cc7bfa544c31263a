//! Booking in tests: free slots and bookings of the demo practitioners, always with a lead.
//!
//! A slot is offered until it starts. Taking the first one offered "as is" fails near a slot
//! boundary: by the time the request arrives it starts in the past and the daemon answers 422.
//! So every test books through [`book_with_lead`]: the first free slot starting at least a
//! given lead from now, never less than [`MIN_LEAD`].

use crate::Daemon;
use crate::accounts::Login;
use anyhow::Context;
use serde_json::{Value, json};
use std::time::Duration;

/// Dr Anne Weber, the demo general practitioner.
pub const DR_WEBER: &str = "00000000-0000-0000-0000-00007c1e0001";
/// Dr João Ferreira, the other demo general practitioner.
pub const DR_FERREIRA: &str = "00000000-0000-0000-0000-00007c1e0002";

/// The least time between now and a slot's start for a test to book it: far more than a
/// request takes on a loaded machine.
pub const MIN_LEAD: Duration = Duration::from_secs(60);

/// Far enough ahead that a patient may still cancel online (the policy's deadline is an hour
/// before the start) wherever in the day the test runs.
pub const CANCELLABLE: Duration = Duration::from_secs(3 * 3600);

/// The request body booking `start` with `practitioner`: video, confirmed, no reason.
pub fn request(practitioner: &str, start: &str) -> Value {
    json!({"practitioner_id": practitioner, "start": start, "mode": "video", "confirm": true})
}

/// The starts of `practitioner`'s free slots (as `who` sees them) that begin at least `lead`
/// from now — never less than [`MIN_LEAD`] — in time order.
pub async fn free_starts(
    daemon: &Daemon,
    who: &Login,
    practitioner: &str,
    lead: Duration,
) -> anyhow::Result<Vec<String>> {
    let response = daemon
        .client
        .get(daemon.url(&format!("/api/v1/practitioners/{practitioner}/slots")))
        .header("authorization", who.bearer())
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status == 200, "slots of {practitioner}: {status} {text}");
    let slots: Value = serde_json::from_str(&text)?;
    let earliest = jiff::Timestamp::now() + jiff::SignedDuration::try_from(lead.max(MIN_LEAD))?;
    let mut starts = Vec::new();
    for slot in slots.as_array().context("slots: not a list")? {
        let start = slot["start"].as_str().context("a slot without a start")?;
        if start.parse::<jiff::Timestamp>()? >= earliest {
            starts.push(start.to_owned());
        }
    }
    Ok(starts)
}

/// Books, as `who`, the first free slot of `practitioner` starting at least `lead` from now
/// (never less than [`MIN_LEAD`]). `details` are merged into the request (`reason`, `for`,
/// `mode`…). Returns the appointment as the API answered it; anything but 201 is an error.
pub async fn book_with_lead(
    daemon: &Daemon,
    who: &Login,
    practitioner: &str,
    lead: Duration,
    details: Value,
) -> anyhow::Result<Value> {
    anyhow::ensure!(
        details.is_object() || details.is_null(),
        "booking details must be an object: {details}"
    );
    let starts = free_starts(daemon, who, practitioner, lead).await?;
    let start = starts
        .first()
        .with_context(|| format!("no free slot of {practitioner} {lead:?} ahead"))?;
    let mut body = request(practitioner, start);
    if let (Some(body), Some(details)) = (body.as_object_mut(), details.as_object()) {
        body.extend(details.clone());
    }
    let response = daemon
        .client
        .post(daemon.url("/api/v1/appointments"))
        .header("authorization", who.bearer())
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status == 201, "booking {body}: {status} {text}");
    Ok(serde_json::from_str(&text)?)
}

/// [`book_with_lead`], returning only the appointment's id.
pub async fn book_id_with_lead(
    daemon: &Daemon,
    who: &Login,
    practitioner: &str,
    lead: Duration,
    details: Value,
) -> anyhow::Result<String> {
    let booked = book_with_lead(daemon, who, practitioner, lead, details).await?;
    booked["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no id in {booked}"))
}

/// Books Dr Weber for `who` (reason "sore throat"): the first free slot at least `lead` ahead
/// (never less than [`MIN_LEAD`]); returns the appointment id.
pub async fn book_weber(daemon: &Daemon, who: &Login, lead: Duration) -> anyhow::Result<String> {
    book_id_with_lead(
        daemon,
        who,
        DR_WEBER,
        lead,
        json!({"reason": "sore throat"}),
    )
    .await
}

/// As `staff`, opens `practitioner` all day, every day (Europe/Luxembourg, 00:00–23:59) with
/// `slot_minutes`-minute slots offering `modes`, and no exceptions.
pub async fn open_all_day(
    daemon: &Daemon,
    staff: &Login,
    practitioner: &str,
    slot_minutes: u32,
    modes: &[&str],
) -> anyhow::Result<()> {
    let day = json!([{"start": "00:00", "end": "23:59"}]);
    let schedule = json!({"hours": {"time_zone": "Europe/Luxembourg", "slot_minutes": slot_minutes,
        "modes": modes, "week": {"monday": day, "tuesday": day, "wednesday": day,
        "thursday": day, "friday": day, "saturday": day, "sunday": day}}, "exceptions": []});
    let (status, body) = daemon
        .put(
            staff,
            &format!("/api/v1/practitioners/{practitioner}/schedule"),
            &schedule,
        )
        .await?;
    anyhow::ensure!(status == 200, "schedule of {practitioner}: {status} {body}");
    Ok(())
}
