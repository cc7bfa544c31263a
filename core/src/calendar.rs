//! Calendar invitations (`.ics`, RFC 5545) for booking confirmations and cancellations. The text
//! carries no health data: who, when, how to join — never the reason.
//!
//! Both are iTIP `METHOD:PUBLISH` objects (RFC 5546 §3.2.1): the site publishes the event, with
//! itself as `ORGANIZER` and no `ATTENDEE` (PUBLISH must not have any). A cancellation is the same
//! event (same `UID`) published again with `STATUS:CANCELLED` and a higher `SEQUENCE`, which a
//! calendar that imported the confirmation applies as an update of it. (`METHOD:CANCEL` would
//! need the `ATTENDEE`s of a `REQUEST`, which the confirmation never was.)

use std::fmt::Write as _;

use crate::Timestamp;
use crate::appointment::Appointment;

/// Inputs of an invitation besides the appointment.
#[derive(Clone, Debug)]
pub struct Invitation<'a> {
    pub practitioner_name: &'a str,
    pub site_name: &'a str,
    /// The site's e-mail address (`[notify.email] from`): the `ORGANIZER`.
    pub organizer: &'a str,
    /// Link to the appointment page.
    pub url: &'a str,
    /// `DTSTAMP`: when the invitation is produced.
    pub now: Timestamp,
    /// Whether this announces a cancellation (`STATUS:CANCELLED`, `SEQUENCE:1`).
    pub cancelled: bool,
}

/// The iTIP method of every invitation (also the `method` parameter of its MIME type).
pub const METHOD: &str = "PUBLISH";

/// The address of a mailbox written `Name <address>` or `address`.
fn address(mailbox: &str) -> &str {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(open), Some(close)) if open < close => mailbox[open + 1..close].trim(),
        _ => mailbox.trim(),
    }
}

/// A quoted parameter value (RFC 5545 §3.1: no DQUOTE or control character inside).
fn param(value: &str) -> String {
    value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect()
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
    // The confirmation is sequence 0; its cancellation (the only later change of an
    // appointment's invitation) supersedes it with 1.
    let (status, sequence) = if invitation.cancelled {
        ("CANCELLED", 1)
    } else {
        ("CONFIRMED", 0)
    };
    let summary = text(&format!(
        "Teleconsultation — {} ({})",
        invitation.practitioner_name, invitation.site_name
    ));
    let lines: [&dyn std::fmt::Display; 17] = [
        &"BEGIN:VCALENDAR",
        &"VERSION:2.0",
        &"PRODID:-//teleconsult//booking//EN",
        &format_args!("METHOD:{METHOD}"),
        &"BEGIN:VEVENT",
        &format_args!("UID:{}@teleconsult", appointment.id),
        &format_args!("SEQUENCE:{sequence}"),
        &format_args!("DTSTAMP:{}", utc(invitation.now)),
        &format_args!("DTSTART:{}", utc(appointment.start)),
        &format_args!("DTEND:{}", utc(appointment.end)),
        &format_args!(
            "ORGANIZER;CN=\"{}\":mailto:{}",
            param(invitation.site_name),
            address(invitation.organizer)
        ),
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
            organizer: "Pharmacie de la Gare <rdv@pharmacie-gare.lu>",
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
        // Issue #18 (11): a valid iTIP cancellation of the published event — the same UID,
        // PUBLISH with STATUS:CANCELLED and a higher SEQUENCE, an ORGANIZER, no ATTENDEE.
        for ics in [&ics, &cancel] {
            assert!(ics.contains("METHOD:PUBLISH\r\n"), "{ics}");
            assert!(
                ics.contains(
                    "ORGANIZER;CN=\"Pharmacie de la Gare\":mailto:rdv@pharmacie-gare.lu\r\n"
                ),
                "{ics}"
            );
            assert!(!ics.contains("ATTENDEE"), "PUBLISH has no attendees");
            assert!(ics.contains("UID:00000000-0000-0000-0000-000000000007@teleconsult\r\n"));
        }
        assert!(ics.contains("SEQUENCE:0\r\n") && ics.contains("STATUS:CONFIRMED\r\n"));
        assert!(cancel.contains("SEQUENCE:1\r\n") && cancel.contains("STATUS:CANCELLED\r\n"));
        assert!(!cancel.contains("METHOD:CANCEL"), "{cancel}");
    }

    #[test]
    fn organizer_parameters_cannot_break_the_line() {
        let a = appointment();
        let ics = ics(
            &a,
            &Invitation {
                practitioner_name: "Dr X",
                site_name: "Evil \"site\";\r\nATTENDEE:mailto:x@y",
                organizer: "rdv@site.lu",
                url: "https://localhost/a",
                now: a.start,
                cancelled: true,
            },
        );
        assert!(!ics.contains("\r\nATTENDEE"), "{ics}");
        assert!(ics.contains("ORGANIZER;CN=\"Evil site;ATTENDEE:mailto:x@y\":mailto:rdv@site.lu"));
    }
}
