//! Calendar invitations (`.ics`, RFC 5545) for booking confirmations. The text carries no health
//! data: who, when, how to join — never the reason.

use std::fmt::Write as _;

use crate::Timestamp;
use crate::appointment::Appointment;

/// Inputs of an invitation besides the appointment.
#[derive(Clone, Debug)]
pub struct Invitation<'a> {
    pub practitioner_name: &'a str,
    pub site_name: &'a str,
    /// Link to the appointment page.
    pub url: &'a str,
    /// `DTSTAMP`: when the invitation is produced.
    pub now: Timestamp,
    /// Whether this announces a cancellation (`METHOD:CANCEL`).
    pub cancelled: bool,
}

fn utc(ts: Timestamp) -> impl std::fmt::Display {
    ts.strftime("%Y%m%dT%H%M%SZ")
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
fn text(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).fold(
        String::with_capacity(value.len()),
        |mut out, c| {
            match c {
                '\\' | ';' | ',' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            out
        },
    )
}

/// Appends `line` to `out`, folded at 75 octets (RFC 5545 §3.1) — never inside a UTF-8
/// character — and ended by CRLF.
fn push_folded(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// The `.ics` document for `appointment`.
pub fn ics(appointment: &Appointment, invitation: &Invitation<'_>) -> String {
    let (method, status, sequence) = if invitation.cancelled {
        ("CANCEL", "CANCELLED", 1)
    } else {
        ("PUBLISH", "CONFIRMED", 0)
    };
    let summary = text(&format!(
        "Teleconsultation — {} ({})",
        invitation.practitioner_name, invitation.site_name
    ));
    let lines: [&dyn std::fmt::Display; 16] = [
        &"BEGIN:VCALENDAR",
        &"VERSION:2.0",
        &"PRODID:-//teleconsult//booking//EN",
        &format_args!("METHOD:{method}"),
        &"BEGIN:VEVENT",
        &format_args!("UID:{}@teleconsult", appointment.id),
        &format_args!("SEQUENCE:{sequence}"),
        &format_args!("DTSTAMP:{}", utc(invitation.now)),
        &format_args!("DTSTART:{}", utc(appointment.start)),
        &format_args!("DTEND:{}", utc(appointment.end)),
        &format_args!("SUMMARY:{summary}"),
        &format_args!("URL:{}", invitation.url),
        &format_args!("DESCRIPTION:{}", text(invitation.url)),
        &format_args!("STATUS:{status}"),
        &"END:VEVENT",
        &"END:VCALENDAR",
    ];
    // One buffer for the document, one for the line being folded into it.
    let (mut out, mut line) = (String::with_capacity(640), String::with_capacity(160));
    for l in lines {
        line.clear();
        // Writing to a String cannot fail.
        let _ = write!(line, "{l}");
        push_folded(&mut out, &line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointment::Status;
    use crate::ids::{AccountId, AppointmentId, PatientId, PractitionerId};
    use crate::schedule::ConsultationMode;
    use uuid::Uuid;

    fn appointment() -> Appointment {
        let start = Timestamp::from_second(1_800_000_000).unwrap();
        Appointment {
            id: AppointmentId::from_uuid(Uuid::from_u128(7)),
            practitioner: PractitionerId::from_uuid(Uuid::from_u128(1)),
            patient: PatientId::from_uuid(Uuid::from_u128(2)),
            booked_by: AccountId::from_uuid(Uuid::from_u128(3)),
            for_relative: None,
            start,
            end: Timestamp::from_second(1_800_000_900).unwrap(),
            mode: ConsultationMode::Video,
            reason: "chest pain".into(),
            status: Status::Booked,
            created_at: start,
            patient_joined_at: None,
            practitioner_joined_at: None,
            call_started_at: None,
            call_ended_at: None,
            at_booth: false,
        }
    }

    #[test]
    fn invitation_is_valid_rfc5545_without_the_reason() {
        let a = appointment();
        let inv = Invitation {
            practitioner_name: "Dr Anne Weber, généraliste; Luxembourg",
            site_name: "Pharmacie de la Gare",
            url: "https://localhost:8443/appointments/00000000-0000-0000-0000-000000000007",
            now: a.start,
            cancelled: false,
        };
        let ics = ics(&a, &inv);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART:20270115T080000Z\r\n"), "{ics}");
        assert!(ics.contains("DTEND:20270115T081500Z\r\n"));
        assert!(ics.contains("UID:00000000-0000-0000-0000-000000000007@teleconsult\r\n"));
        assert!(ics.contains("généraliste\\; Luxembourg"), "escaped: {ics}");
        assert!(!ics.contains("chest pain"), "no health data in invitations");
        assert!(ics.split("\r\n").all(|l| l.len() <= 75), "folded: {ics}");
        let cancel = super::ics(
            &a,
            &Invitation {
                cancelled: true,
                ..inv
            },
        );
        assert!(cancel.contains("METHOD:CANCEL\r\n") && cancel.contains("STATUS:CANCELLED\r\n"));
    }
}
