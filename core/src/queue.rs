//! "A doctor now": the on-demand queue of a site.
//!
//! Why: at a pharmacy booth the person at the counter wants a consultation *now*, not a slot
//! next week. Practitioners who can take patients at once switch their on-demand availability
//! on; walk-ins (entered by staff) and patients at home asking for "as soon as possible" wait in
//! one first-in-first-out line per specialty; a practitioner's "next patient" takes the oldest
//! entry they can serve. The store makes the taking atomic (one entry, one practitioner); the
//! rules of who may take what, positions and the estimated wait are here.
//!
//! Decisions:
//! - An entry asking for a language is only offered to practitioners who speak it; the
//!   entries behind it are not held up by it (a French speaker does not block a German one).
//! - The position shown to the waiting side counts the entries of the same specialty ahead of
//!   it (what they are waiting behind), whatever their language.
//! - The estimated wait is `ceil(position / available) × expected consultation length`, or
//!   none when no practitioner of the specialty is available: the waiting side is then told
//!   that nobody is available and offered the first slot.
//! - An entry not taken within [`QueuePolicy::offer_slot_after`] is not dropped: it keeps its
//!   place, and the waiting side is offered the first free slot instead (they choose).
//! - **Walk-ins waiting at the counter.** The cabin holds one person: the walk-in in it has a
//!   booth session and its entry ([`QueueEntry::session`]); the others wait at the counter as
//!   entries of origin booth without a session. Those are offered to practitioners only while
//!   the cabin is free ([`may_take_now`]): taking one opens its booth session (the person goes
//!   into the cabin), so no practitioner takes someone who cannot sit in front of the camera
//!   yet — they take a patient at home, or wait for the cabin.

use crate::Timestamp;
use crate::booth::BoothSessionId;
use crate::ids::{AccountId, PatientId, PractitionerId};
use crate::practitioner::Practitioner;
use crate::schedule::ConsultationMode;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// One waiting entry of the on-demand queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueueEntryId(pub Uuid);

impl QueueEntryId {
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for QueueEntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for QueueEntryId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Where the person waiting is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// At the site's booth, entered by staff: the consultation is held at the booth.
    Booth,
    /// At home, asked for "as soon as possible" from their own account.
    Home,
}

/// A person waiting for the first practitioner free.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub id: QueueEntryId,
    /// The person to be consulted.
    pub patient: PatientId,
    /// Who put them in the line: the staff member at the counter, or the patient's account.
    pub requested_by: AccountId,
    pub origin: Origin,
    /// Specialty code (see [`crate::practitioner::SPECIALTIES`]).
    pub specialty: String,
    /// A language the practitioner must speak, when the person asked for one.
    pub language: Option<String>,
    pub mode: ConsultationMode,
    /// Reason / symptoms (health data: sealed in the store, never logged).
    pub reason: String,
    pub enqueued_at: Timestamp,
    /// The booth session of the walk-in sitting in the cabin; `None` for a patient at home and
    /// for a walk-in waiting at the counter (their session opens when a practitioner takes
    /// them). Absent in records written before it existed.
    #[serde(default)]
    pub session: Option<BoothSessionId>,
}

impl QueueEntry {
    /// A walk-in waiting at the counter: at the booth, not in the cabin yet.
    pub fn at_the_counter(&self) -> bool {
        self.origin == Origin::Booth && self.session.is_none()
    }
}

/// Site-configurable queue knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePolicy {
    /// An entry not taken within this time gets the first free slot offered instead.
    pub offer_slot_after: SignedDuration,
    /// How long an on-demand consultation is expected to last (estimated wait; the length of
    /// the appointment created when a practitioner takes the entry).
    pub expected_consultation: SignedDuration,
}

impl Default for QueuePolicy {
    /// 15 minutes before a slot is offered (the published booth services promise a doctor
    /// "within minutes"); 15-minute consultations, as most general-practice slots.
    fn default() -> Self {
        QueuePolicy {
            offer_slot_after: SignedDuration::from_mins(15),
            expected_consultation: SignedDuration::from_mins(15),
        }
    }
}

/// Whether `practitioner` may take `entry`: same specialty, and the entry's language if it
/// asked for one.
pub fn may_take(practitioner: &Practitioner, entry: &QueueEntry) -> bool {
    practitioner.specialty == entry.specialty
        && entry
            .language
            .as_ref()
            .is_none_or(|wanted| practitioner.languages.iter().any(|l| l == wanted))
}

/// The entry `practitioner` takes with "next patient": the oldest they may take. `waiting`
/// need not be sorted; ties on the enqueue time go to the smaller id, so every caller picks the
/// same entry from the same line.
pub fn next_for<'a>(
    practitioner: &Practitioner,
    waiting: impl IntoIterator<Item = &'a QueueEntry>,
) -> Option<&'a QueueEntry> {
    waiting
        .into_iter()
        .filter(|e| may_take(practitioner, e))
        .min_by_key(|e| (e.enqueued_at, e.id))
}

/// Whether `practitioner` may take `entry` now: [`may_take`], and a walk-in waiting at the
/// counter only while the cabin is free (`cabin_free`), since taking them puts them in it.
pub fn may_take_now(practitioner: &Practitioner, entry: &QueueEntry, cabin_free: bool) -> bool {
    may_take(practitioner, entry) && (cabin_free || !entry.at_the_counter())
}

/// [`next_for`] among the entries [`may_take_now`] allows.
pub fn next_takeable<'a>(
    practitioner: &Practitioner,
    waiting: impl IntoIterator<Item = &'a QueueEntry>,
    cabin_free: bool,
) -> Option<&'a QueueEntry> {
    next_for(
        practitioner,
        waiting
            .into_iter()
            .filter(|e| cabin_free || !e.at_the_counter()),
    )
}

/// Why a request to wait for the first practitioner free was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{0}")]
    Specialty(String),
    #[error("a language is a 2- or 3-letter code such as fr, de, en, pt, lb")]
    Language,
}

/// The specialty code and the optional language code of a request, checked and normalised.
pub fn validate_request(
    specialty: &str,
    language: Option<&str>,
) -> Result<(String, Option<String>), RequestError> {
    let specialty = crate::practitioner::validate_specialty(specialty)
        .map_err(|e| RequestError::Specialty(e.to_string()))?;
    let language = match language.map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(code) => crate::practitioner::validate_languages(&[code])
            .map_err(|_| RequestError::Language)?
            .pop(),
    };
    Ok((specialty, language))
}

/// 1-based place of entry `id` in its specialty's line, or `None` when not waiting.
pub fn position<'a>(
    id: QueueEntryId,
    waiting: impl IntoIterator<Item = &'a QueueEntry> + Clone,
) -> Option<usize> {
    let entry = waiting.clone().into_iter().find(|e| e.id == id)?;
    let key = (entry.enqueued_at, entry.id);
    Some(
        waiting
            .into_iter()
            .filter(|e| e.specialty == entry.specialty && (e.enqueued_at, e.id) < key)
            .count()
            + 1,
    )
}

/// Estimated wait for the entry at `position` when `available` practitioners of its specialty
/// take on-demand patients; `None` when nobody is available.
pub fn estimated_wait(
    position: usize,
    available: usize,
    policy: &QueuePolicy,
) -> Option<SignedDuration> {
    if available == 0 || position == 0 {
        return None;
    }
    let rounds = position.div_ceil(available);
    let rounds = i32::try_from(rounds).unwrap_or(i32::MAX);
    Some(policy.expected_consultation.saturating_mul(rounds))
}

/// Whether the entry has waited long enough to be offered the first free slot instead.
pub fn slot_offer_due(entry: &QueueEntry, now: Timestamp, policy: &QueuePolicy) -> bool {
    now.duration_since(entry.enqueued_at) >= policy.offer_slot_after
}

/// What a practitioner's on-demand switch says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub practitioner: PractitionerId,
    /// Takes on-demand patients now.
    pub on_demand: bool,
    /// When the switch last changed.
    pub since: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minute * 60).unwrap()
    }

    fn entry(n: u128, specialty: &str, language: Option<&str>, minute: i64) -> QueueEntry {
        QueueEntry {
            id: QueueEntryId(Uuid::from_u128(n)),
            patient: PatientId::from_uuid(Uuid::from_u128(1000 + n)),
            requested_by: AccountId::from_uuid(Uuid::from_u128(2000)),
            origin: Origin::Booth,
            specialty: specialty.into(),
            language: language.map(Into::into),
            mode: ConsultationMode::Video,
            reason: String::new(),
            enqueued_at: at(minute),
            session: Some(crate::booth::BoothSessionId(Uuid::from_u128(5000 + n))),
        }
    }

    fn doctor(specialty: &str, languages: &[&str]) -> Practitioner {
        Practitioner {
            id: PractitionerId::from_uuid(Uuid::from_u128(7)),
            name: "Dr Test".into(),
            specialty: specialty.into(),
            languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn the_oldest_entry_of_the_specialty_is_taken_first() {
        let line = [
            entry(3, "general_practice", None, 5),
            entry(1, "dermatology", None, 0),
            entry(2, "general_practice", None, 2),
        ];
        let gp = doctor("general_practice", &["fr"]);
        assert_eq!(next_for(&gp, &line).map(|e| e.id.0.as_u128()), Some(2));
        let derm = doctor("dermatology", &["fr"]);
        assert_eq!(next_for(&derm, &line).map(|e| e.id.0.as_u128()), Some(1));
        assert!(next_for(&doctor("dentistry", &["fr"]), &line).is_none());
    }

    #[test]
    fn a_language_request_is_served_only_by_speakers_and_holds_nobody_up() {
        let line = [
            entry(1, "general_practice", Some("de"), 0),
            entry(2, "general_practice", None, 1),
        ];
        let french = doctor("general_practice", &["fr", "en"]);
        assert_eq!(next_for(&french, &line).map(|e| e.id.0.as_u128()), Some(2));
        let german = doctor("general_practice", &["de"]);
        assert_eq!(next_for(&german, &line).map(|e| e.id.0.as_u128()), Some(1));
    }

    #[test]
    fn same_time_entries_are_ordered_by_id_for_everyone() {
        let line = [
            entry(9, "general_practice", None, 0),
            entry(4, "general_practice", None, 0),
        ];
        let reversed = [line[1].clone(), line[0].clone()];
        let gp = doctor("general_practice", &["fr"]);
        assert_eq!(next_for(&gp, &line).map(|e| e.id.0.as_u128()), Some(4));
        assert_eq!(next_for(&gp, &reversed).map(|e| e.id.0.as_u128()), Some(4));
    }

    #[test]
    fn positions_count_the_same_specialty_ahead() {
        let line = [
            entry(1, "general_practice", Some("de"), 0),
            entry(2, "dermatology", None, 1),
            entry(3, "general_practice", None, 2),
            entry(4, "general_practice", None, 3),
        ];
        assert_eq!(position(QueueEntryId(Uuid::from_u128(1)), &line), Some(1));
        assert_eq!(position(QueueEntryId(Uuid::from_u128(2)), &line), Some(1));
        assert_eq!(position(QueueEntryId(Uuid::from_u128(4)), &line), Some(3));
        assert_eq!(position(QueueEntryId(Uuid::from_u128(99)), &line), None);
    }

    #[test]
    fn the_wait_grows_with_the_position_and_shrinks_with_practitioners() {
        let policy = QueuePolicy::default();
        let minutes = |p, a| estimated_wait(p, a, &policy).map(|d| d.as_mins());
        assert_eq!(minutes(1, 1), Some(15));
        assert_eq!(minutes(3, 1), Some(45));
        assert_eq!(minutes(3, 2), Some(30));
        assert_eq!(minutes(4, 4), Some(15));
        assert_eq!(minutes(2, 0), None);
    }

    #[test]
    fn a_slot_is_offered_once_the_entry_waited_long_enough() {
        let policy = QueuePolicy::default();
        let e = entry(1, "general_practice", None, 0);
        assert!(!slot_offer_due(&e, at(14), &policy));
        assert!(slot_offer_due(&e, at(15), &policy));
    }

    #[test]
    fn walk_ins_at_the_counter_wait_for_the_cabin_others_do_not() {
        let mut counter = entry(1, "general_practice", None, 0);
        counter.session = None;
        let mut home = entry(2, "general_practice", None, 1);
        home.origin = Origin::Home;
        home.session = None;
        let in_cabin = entry(3, "general_practice", None, 2);
        assert!(counter.at_the_counter() && !home.at_the_counter() && !in_cabin.at_the_counter());
        let gp = doctor("general_practice", &["fr"]);
        let line = [counter.clone(), home.clone(), in_cabin.clone()];
        let next = |free| next_takeable(&gp, &line, free).map(|e| e.id.0.as_u128());
        assert_eq!(
            next(true),
            Some(1),
            "the cabin is free: the oldest, at the counter"
        );
        assert_eq!(
            next(false),
            Some(2),
            "the cabin is busy: the patient at home"
        );
        assert!(may_take_now(&gp, &in_cabin, false));
        assert!(!may_take_now(&gp, &counter, false));
        assert!(may_take_now(&gp, &counter, true));
        // Positions still count everyone ahead, at the counter or not.
        assert_eq!(position(home.id, &line), Some(2));
    }

    #[test]
    fn requests_name_a_known_specialty_and_at_most_one_language() {
        assert_eq!(
            validate_request(" dermatology ", Some("DE")),
            Ok(("dermatology".to_owned(), Some("de".to_owned())))
        );
        assert_eq!(
            validate_request("general_practice", Some(" ")),
            Ok(("general_practice".to_owned(), None))
        );
        assert!(matches!(
            validate_request("astrology", None),
            Err(RequestError::Specialty(_))
        ));
        assert_eq!(
            validate_request("dermatology", Some("german")),
            Err(RequestError::Language)
        );
    }

    #[test]
    fn entries_written_before_sessions_existed_still_read() {
        let mut e = entry(1, "general_practice", None, 0);
        e.session = None;
        let mut json = serde_json::to_value(&e).unwrap();
        json.as_object_mut().unwrap().remove("session");
        assert_eq!(serde_json::from_value::<QueueEntry>(json).unwrap(), e);
    }
}
