//! The call room of an appointment: who may enter it and as what, when it is open, and what a
//! call leaves behind (chat messages, attachments, the quality record).
//!
//! Why here: the same rules answer the call endpoint, gate the signalling WebSocket and decide
//! who may download an attachment; keeping them pure lets them be tested without sockets.

use crate::Timestamp;
use crate::account::{Account, Role as AccountRole};
use crate::appointment::{Appointment, JOIN_OPENS_BEFORE_START, Policy};
use crate::ids::{AccountId, AppointmentId};
use crate::signal::Role;
use crate::site::SiteKind;
use serde::{Deserialize, Serialize};

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;
/// Quality samples kept per call (one every few seconds per side: about an hour of call).
pub const MAX_QUALITY_SAMPLES: usize = 1500;

/// The role `account` takes in the call of `appointment`, or `None` when it is no party to it.
///
/// The patient side is the patient (or the account that booked for them). On a booth site,
/// staff run the booth, which is the patient's side (the box's camera and microphone) — but
/// only of the appointments *held at the booth* ([`Appointment::at_booth`]): a patient who
/// booked from home shares nothing with the booth, and its staff are no party to their call.
/// Staff enter while the room is open, like every party ([`room_open`]), and read the files
/// only then ([`crate::access::may_read_files`]). The practitioner side is the appointment's
/// practitioner. Nobody else enters the room: not another practitioner, not clinic staff, not
/// administrators.
pub fn role_in_call(account: &Account, appointment: &Appointment, site: SiteKind) -> Option<Role> {
    match account.role {
        AccountRole::Patient
            if account.acts_for(appointment.patient) || appointment.booked_by == account.id =>
        {
            Some(Role::Patient)
        }
        AccountRole::Practitioner if account.practitioner == Some(appointment.practitioner) => {
            Some(Role::Practitioner)
        }
        AccountRole::Staff if site == SiteKind::Booth && appointment.at_booth => Some(Role::Booth),
        _ => None,
    }
}

/// Whether a party may share a file in the appointment at `now`. The patient side may from
/// booking on, until the call room closes: documents for the practitioner to read before the
/// consultation (results, letters, photos). The other parties share while the room is open,
/// as for the call itself.
pub fn may_share_file(
    role: Role,
    appointment: &Appointment,
    now: Timestamp,
    policy: &Policy,
) -> Result<(), EntryError> {
    match room_open(appointment, now, policy) {
        Err(EntryError::TooEarly { .. }) if role == Role::Patient => Ok(()),
        other => other,
    }
}

/// Why the call room cannot be entered now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("the call room opens 10 minutes before the appointment, at {opens_at}")]
    TooEarly { opens_at: Timestamp },
    #[error("the call room closed at {closed_at}, after the end of the appointment")]
    TooLate { closed_at: Timestamp },
    #[error("this appointment is {status}: its call room is closed")]
    Closed { status: &'static str },
}

/// Whether the room of `appointment` is open at `now`: from 10 minutes before the start until
/// the policy's delay after the end, and never for a finished appointment.
pub fn room_open(
    appointment: &Appointment,
    now: Timestamp,
    policy: &Policy,
) -> Result<(), EntryError> {
    if appointment.status.is_final() {
        return Err(EntryError::Closed {
            status: appointment.status.name(),
        });
    }
    let opens_at = appointment
        .start
        .saturating_sub(JOIN_OPENS_BEFORE_START)
        .unwrap_or(appointment.start);
    if now < opens_at {
        return Err(EntryError::TooEarly { opens_at });
    }
    let closed_at = appointment
        .end
        .saturating_add(policy.join_closes_after_end)
        .unwrap_or(appointment.end);
    if now > closed_at {
        return Err(EntryError::TooLate { closed_at });
    }
    Ok(())
}

/// A call quality sample: a browser's getStats summary (the `stats` frame) or the booth
/// pipeline's own measurement. Every field is optional: clients report what they know.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallQuality {
    pub rtt_ms: Option<f64>,
    /// Loss on what we receive, percent over the sampling interval.
    pub loss_pct: Option<f64>,
    /// Loss the peer reports on what we send (RTCP receiver reports), percent.
    pub remote_loss_pct: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub send_kbps: Option<f64>,
    pub recv_kbps: Option<f64>,
    pub send_fps: Option<f64>,
    pub recv_fps: Option<f64>,
    pub send_width: Option<u32>,
    pub send_height: Option<u32>,
    pub recv_width: Option<u32>,
    pub recv_height: Option<u32>,
    /// Running totals (not rates): frames decoded from the peer, audio buffers from the peer.
    pub recv_frames_total: Option<u64>,
    pub recv_audio_buffers_total: Option<u64>,
    /// Peak level of the peer's audio, dBFS (booth only).
    pub recv_audio_peak_db: Option<f64>,
    /// The sender's bandwidth estimate for the whole call, kbit/s (booth only: transport-cc
    /// feedback through Google Congestion Control).
    pub estimate_kbps: Option<f64>,
    /// The video encoder's target bitrate that estimate gives, kbit/s (booth only).
    pub target_kbps: Option<f64>,
    /// What the booth's video gives up because that target is too low for the camera's full
    /// picture (booth only; absent at the full picture). The sample's time says when, the
    /// target says why, `send_width`/`send_height`/`send_fps` say how far.
    pub degradation: Option<VideoDegradation>,
}

/// What a sender's video gives up to fit its bandwidth estimate (the site's
/// `media.degradation` choice; docs/media.md "Degradation").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoDegradation {
    /// A smaller picture, the frame rate kept.
    Resolution,
    /// Fewer frames a second, the resolution kept.
    FrameRate,
}

impl CallQuality {
    /// Drops values no real measurement gives (negative, not finite, absurdly large), so a
    /// misbehaving client cannot poison the record.
    pub fn sanitized(mut self) -> Self {
        fn keep(v: &mut Option<f64>, max: f64) {
            if v.is_some_and(|x| !x.is_finite() || !(0.0..=max).contains(&x)) {
                *v = None;
            }
        }
        keep(&mut self.rtt_ms, 600_000.0);
        keep(&mut self.loss_pct, 100.0);
        keep(&mut self.remote_loss_pct, 100.0);
        keep(&mut self.jitter_ms, 600_000.0);
        keep(&mut self.send_kbps, 10_000_000.0);
        keep(&mut self.recv_kbps, 10_000_000.0);
        keep(&mut self.estimate_kbps, 10_000_000.0);
        keep(&mut self.target_kbps, 10_000_000.0);
        keep(&mut self.send_fps, 1000.0);
        keep(&mut self.recv_fps, 1000.0);
        // dBFS: from silence (-200 and below is "nothing") up to full scale, 0.
        if self
            .recv_audio_peak_db
            .is_some_and(|x| !x.is_finite() || !(-200.0..=0.0).contains(&x))
        {
            self.recv_audio_peak_db = None;
        }
        self
    }
}

/// One sample in the quality record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualitySample {
    pub at: Timestamp,
    /// Which side measured it.
    pub role: Role,
    pub quality: CallQuality,
}

/// The per-call quality record (DESIGN §7): samples from both sides, bounded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityRecord {
    pub appointment: AppointmentId,
    pub first_sample_at: Timestamp,
    pub last_sample_at: Timestamp,
    /// Samples received in total (older ones are dropped beyond [`MAX_QUALITY_SAMPLES`]).
    pub sample_count: u64,
    pub samples: Vec<QualitySample>,
}

impl QualityRecord {
    pub fn new(appointment: AppointmentId, at: Timestamp) -> Self {
        Self {
            appointment,
            first_sample_at: at,
            last_sample_at: at,
            sample_count: 0,
            samples: Vec::new(),
        }
    }

    /// Adds samples, keeping the newest [`MAX_QUALITY_SAMPLES`].
    pub fn extend(&mut self, samples: impl IntoIterator<Item = QualitySample>) {
        for sample in samples {
            self.last_sample_at = self.last_sample_at.max(sample.at);
            self.first_sample_at = self.first_sample_at.min(sample.at);
            self.sample_count += 1;
            self.samples.push(sample);
        }
        if self.samples.len() > MAX_QUALITY_SAMPLES {
            let excess = self.samples.len() - MAX_QUALITY_SAMPLES;
            self.samples.drain(..excess);
        }
    }

    /// Averages and extremes per side, for people reading the record.
    pub fn summary(&self) -> Vec<QualitySummary> {
        let mut out = Vec::new();
        for role in [Role::Patient, Role::Booth, Role::Practitioner] {
            let mine: Vec<&CallQuality> = self
                .samples
                .iter()
                .filter(|s| s.role == role)
                .map(|s| &s.quality)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let avg = |f: fn(&CallQuality) -> Option<f64>| {
                let values: Vec<f64> = mine.iter().filter_map(|q| f(q)).collect();
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
            };
            let max = |f: fn(&CallQuality) -> Option<f64>| {
                mine.iter().filter_map(|q| f(q)).reduce(f64::max)
            };
            let last_recv = mine
                .iter()
                .rev()
                .find_map(|q| Some((q.recv_width?, q.recv_height?)));
            out.push(QualitySummary {
                role,
                samples: mine.len(),
                rtt_ms_avg: avg(|q| q.rtt_ms),
                rtt_ms_max: max(|q| q.rtt_ms),
                loss_pct_avg: avg(|q| q.loss_pct),
                loss_pct_max: max(|q| q.loss_pct),
                jitter_ms_avg: avg(|q| q.jitter_ms),
                send_kbps_avg: avg(|q| q.send_kbps),
                recv_kbps_avg: avg(|q| q.recv_kbps),
                recv_fps_avg: avg(|q| q.recv_fps),
                recv_width: last_recv.map(|(w, _)| w),
                recv_height: last_recv.map(|(_, h)| h),
            });
        }
        out
    }
}

/// Averages of one side's samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualitySummary {
    pub role: Role,
    pub samples: usize,
    pub rtt_ms_avg: Option<f64>,
    pub rtt_ms_max: Option<f64>,
    pub loss_pct_avg: Option<f64>,
    pub loss_pct_max: Option<f64>,
    pub jitter_ms_avg: Option<f64>,
    pub send_kbps_avg: Option<f64>,
    pub recv_kbps_avg: Option<f64>,
    pub recv_fps_avg: Option<f64>,
    /// Last resolution received.
    pub recv_width: Option<u32>,
    pub recv_height: Option<u32>,
}

/// A chat message of a call (health data: stored encrypted, never logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub appointment: AppointmentId,
    pub at: Timestamp,
    pub role: Role,
    pub author: AccountId,
    pub text: String,
    pub attachment: Option<uuid::Uuid>,
}

/// Why a chat message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is too long: at most {MAX_CHAT_CHARS} characters")]
    TooLong,
}

/// The trimmed text of a chat message; empty text is allowed only with an attachment.
pub fn chat_text(text: &str, has_attachment: bool) -> Result<String, ChatError> {
    let text = text.trim();
    if text.chars().count() > MAX_CHAT_CHARS {
        return Err(ChatError::TooLong);
    }
    if text.is_empty() && !has_attachment {
        return Err(ChatError::Empty);
    }
    Ok(text.to_owned())
}

/// Content types accepted as attachments: documents a patient or practitioner shares during a
/// call (a previous prescription, a photo of a rash, a lab result).
pub const ATTACHMENT_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// A file shared in a call (health data: content and name stored encrypted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: uuid::Uuid,
    pub appointment: AppointmentId,
    pub uploaded_by: AccountId,
    pub uploaded_at: Timestamp,
    pub content_type: String,
    pub file_name: String,
    pub size: u64,
}

/// Why an attachment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("files of type {0:?} cannot be shared: send a PDF, JPEG or PNG")]
    Type(String),
    #[error("the content does not look like a {0} file")]
    Content(&'static str),
    #[error("the file is empty")]
    Empty,
}

/// The canonical content type of an upload, checked against the file's first bytes (a file
/// named `.pdf` that is not a PDF is refused: the other side's browser would open it).
pub fn check_attachment(
    content_type: &str,
    content: &[u8],
) -> Result<&'static str, AttachmentError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (canonical, magic): (&'static str, &[u8]) = match essence.as_str() {
        "application/pdf" => ("application/pdf", b"%PDF-"),
        "image/jpeg" | "image/jpg" => ("image/jpeg", &[0xff, 0xd8, 0xff]),
        "image/png" => ("image/png", b"\x89PNG\r\n\x1a\n"),
        _ => return Err(AttachmentError::Type(essence)),
    };
    if content.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if !content.starts_with(magic) {
        return Err(AttachmentError::Content(canonical));
    }
    Ok(canonical)
}

/// A file name safe to show and to put in `Content-Disposition`: no path, no control or quote
/// characters, at most 100 characters; a default when nothing is left.
pub fn clean_file_name(raw: &str, content_type: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | ';'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        let ext = match content_type {
            "application/pdf" => "pdf",
            "image/jpeg" => "jpg",
            _ => "png",
        };
        format!("attachment.{ext}")
    } else {
        cleaned
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::appointment::Status;
    use crate::ids::{PatientId, PractitionerId};
    use crate::schedule::ConsultationMode;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    pub(crate) fn appointment() -> Appointment {
        Appointment {
            id: AppointmentId::from_uuid(uuid::Uuid::from_u128(1)),
            practitioner: PractitionerId::from_uuid(uuid::Uuid::from_u128(2)),
            patient: PatientId::from_uuid(uuid::Uuid::from_u128(3)),
            booked_by: AccountId::from_uuid(uuid::Uuid::from_u128(4)),
            for_relative: None,
            start: at("2026-03-02T10:00:00Z"),
            end: at("2026-03-02T10:15:00Z"),
            mode: ConsultationMode::Video,
            reason: String::new(),
            status: Status::Booked,
            created_at: at("2026-03-01T10:00:00Z"),
            patient_joined_at: None,
            practitioner_joined_at: None,
            call_started_at: None,
            call_ended_at: None,
            at_booth: false,
        }
    }

    pub(crate) fn account(role: AccountRole, id: u128) -> Account {
        let json = serde_json::json!({
            "id": uuid::Uuid::from_u128(id), "login": "x", "role": role, "name": "x",
            "email": "", "phone": "", "language": "fr", "password_hash": "",
            "status": "active", "patient": null, "practitioner": null,
            "failed_attempts": 0, "locked_until": null, "created_at": "2026-01-01T00:00:00Z",
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn only_the_parties_enter_the_room() {
        let a = appointment();
        let mut patient = account(AccountRole::Patient, 9);
        assert_eq!(role_in_call(&patient, &a, SiteKind::Clinic), None);
        patient.patient = Some(a.patient);
        assert_eq!(
            role_in_call(&patient, &a, SiteKind::Clinic),
            Some(Role::Patient)
        );
        let booker = account(AccountRole::Patient, 4);
        assert_eq!(
            role_in_call(&booker, &a, SiteKind::Clinic),
            Some(Role::Patient)
        );
        let mut doctor = account(AccountRole::Practitioner, 5);
        assert_eq!(role_in_call(&doctor, &a, SiteKind::Clinic), None);
        doctor.practitioner = Some(a.practitioner);
        assert_eq!(
            role_in_call(&doctor, &a, SiteKind::Clinic),
            Some(Role::Practitioner)
        );
        let admin = account(AccountRole::Admin, 7);
        assert_eq!(role_in_call(&admin, &a, SiteKind::Booth), None);
    }

    #[test]
    fn booth_staff_are_the_patient_side_only_of_appointments_held_at_the_booth() {
        let staff = account(AccountRole::Staff, 6);
        // Booked by the patient from home: nothing ties it to the booth.
        let online = appointment();
        assert_eq!(role_in_call(&staff, &online, SiteKind::Booth), None);
        assert_eq!(role_in_call(&staff, &online, SiteKind::Clinic), None);
        let walk_in = Appointment {
            at_booth: true,
            ..appointment()
        };
        assert_eq!(
            role_in_call(&staff, &walk_in, SiteKind::Booth),
            Some(Role::Booth)
        );
        // A clinic has no booth, whatever the record says.
        assert_eq!(role_in_call(&staff, &walk_in, SiteKind::Clinic), None);
        // The booth is no door for the other roles.
        for role in [
            AccountRole::Admin,
            AccountRole::Pharmacist,
            AccountRole::Practitioner,
            AccountRole::Patient,
        ] {
            assert_eq!(
                role_in_call(&account(role, 8), &walk_in, SiteKind::Booth),
                None,
                "{role:?}"
            );
        }
    }

    #[test]
    fn the_room_opens_ten_minutes_before_and_closes_after_the_end() {
        let a = appointment();
        let policy = Policy::default();
        assert!(matches!(
            room_open(&a, at("2026-03-02T09:49:59Z"), &policy),
            Err(EntryError::TooEarly { .. })
        ));
        assert_eq!(room_open(&a, at("2026-03-02T09:50:00Z"), &policy), Ok(()));
        assert_eq!(room_open(&a, at("2026-03-02T11:15:00Z"), &policy), Ok(()));
        assert!(matches!(
            room_open(&a, at("2026-03-02T11:15:01Z"), &policy),
            Err(EntryError::TooLate { .. })
        ));
        let mut done = a.clone();
        done.status = Status::Completed;
        assert_eq!(
            room_open(&done, at("2026-03-02T10:00:00Z"), &policy),
            Err(EntryError::Closed {
                status: "completed"
            })
        );
    }

    #[test]
    fn the_patient_side_shares_files_before_the_room_opens_the_others_only_in_it() {
        let a = appointment();
        let policy = Policy::default();
        let days_before = at("2026-02-27T08:00:00Z");
        assert_eq!(
            may_share_file(Role::Patient, &a, days_before, &policy),
            Ok(())
        );
        for role in [Role::Practitioner, Role::Booth] {
            assert!(matches!(
                may_share_file(role, &a, days_before, &policy),
                Err(EntryError::TooEarly { .. })
            ));
            assert_eq!(
                may_share_file(role, &a, at("2026-03-02T10:05:00Z"), &policy),
                Ok(())
            );
        }
        // Nobody once the room has closed or the appointment is over.
        assert!(matches!(
            may_share_file(Role::Patient, &a, at("2026-03-02T11:15:01Z"), &policy),
            Err(EntryError::TooLate { .. })
        ));
        let mut done = a.clone();
        done.status = Status::Completed;
        assert!(matches!(
            may_share_file(Role::Patient, &done, days_before, &policy),
            Err(EntryError::Closed { .. })
        ));
    }

    #[test]
    fn the_quality_record_is_bounded_and_summarised() {
        let id = appointment().id;
        let t = at("2026-03-02T10:00:00Z");
        let mut record = QualityRecord::new(id, t);
        let sample = |rtt: f64| QualitySample {
            at: t,
            role: Role::Practitioner,
            quality: CallQuality {
                rtt_ms: Some(rtt),
                recv_width: Some(640),
                recv_height: Some(480),
                ..CallQuality::default()
            },
        };
        record.extend((0..MAX_QUALITY_SAMPLES + 10).map(|i| sample(i as f64)));
        assert_eq!(record.samples.len(), MAX_QUALITY_SAMPLES);
        assert_eq!(record.sample_count, (MAX_QUALITY_SAMPLES + 10) as u64);
        let summary = record.summary();
        assert_eq!(summary.len(), 1);
        assert_eq!(
            summary[0].rtt_ms_max,
            Some((MAX_QUALITY_SAMPLES + 9) as f64)
        );
        assert_eq!(summary[0].recv_width, Some(640));
        let odd = CallQuality {
            rtt_ms: Some(f64::NAN),
            loss_pct: Some(140.0),
            jitter_ms: Some(3.0),
            ..CallQuality::default()
        }
        .sanitized();
        assert_eq!(
            (odd.rtt_ms, odd.loss_pct, odd.jitter_ms),
            (None, None, Some(3.0))
        );
    }

    #[test]
    fn attachments_must_be_what_they_claim() {
        assert_eq!(
            check_attachment("application/pdf", b"%PDF-1.7 ..."),
            Ok("application/pdf")
        );
        assert_eq!(
            check_attachment("image/png", b"\x89PNG\r\n\x1a\n...."),
            Ok("image/png")
        );
        assert_eq!(
            check_attachment("IMAGE/JPEG; x=y", &[0xff, 0xd8, 0xff, 0xe0]),
            Ok("image/jpeg")
        );
        assert_eq!(
            check_attachment("application/pdf", b"<html>"),
            Err(AttachmentError::Content("application/pdf"))
        );
        assert!(matches!(
            check_attachment("text/html", b"<html>"),
            Err(AttachmentError::Type(_))
        ));
        assert_eq!(
            check_attachment("image/png", b""),
            Err(AttachmentError::Empty)
        );
        assert_eq!(
            clean_file_name("../../etc/\"passwd\".pdf", "application/pdf"),
            "passwd.pdf"
        );
        assert_eq!(clean_file_name("", "image/png"), "attachment.png");
        assert_eq!(chat_text("  hi ", false), Ok("hi".into()));
        assert_eq!(chat_text(" ", false), Err(ChatError::Empty));
        assert_eq!(chat_text("", true), Ok(String::new()));
    }
}
