"""Checks a booking confirmation and its cancellation (.ics files) as iTIP (RFC 5546), parsed
with an independent iCalendar library (icalendar, from PyPI).

Usage: itip_check.py CONFIRMATION.ics CANCELLATION.ics
Prints "ok" and exits 0, or prints every problem found and exits 1.

A cancellation may take either form iTIP allows for an event the organizer published:
- METHOD:PUBLISH again, same UID, STATUS:CANCELLED, a higher SEQUENCE (§3.2.1: ORGANIZER
  required, no ATTENDEE);
- METHOD:CANCEL, same UID, a higher SEQUENCE, ORGANIZER and at least one ATTENDEE (§3.2.5).
"""

import sys

from icalendar import Calendar

problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def load(path):
    with open(path, "rb") as f:
        calendar = Calendar.from_ical(f.read())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    check(len(events) == 1, f"{path}: {len(events)} VEVENTs, expected 1")
    check(str(calendar.get("VERSION", "")) == "2.0", f"{path}: VERSION is not 2.0")
    check("PRODID" in calendar, f"{path}: no PRODID")
    return calendar, (events[0] if events else None)


def sequence(event):
    return int(event.get("SEQUENCE", 0))


def organizer_ok(path, event):
    organizer = event.get("ORGANIZER")
    check(organizer is not None, f"{path}: no ORGANIZER")
    if organizer is not None:
        check(str(organizer).lower().startswith("mailto:"), f"{path}: ORGANIZER {organizer!r} is not a mailto: address")


def common(path, event):
    for prop in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
        check(prop in event, f"{path}: VEVENT without {prop}")
    organizer_ok(path, event)


def main():
    confirmation_path, cancellation_path = sys.argv[1], sys.argv[2]
    confirmation, booked = load(confirmation_path)
    cancellation, cancelled = load(cancellation_path)
    if booked is None or cancelled is None:
        return finish()
    common(confirmation_path, booked)
    common(cancellation_path, cancelled)

    method = str(confirmation.get("METHOD", ""))
    check(method == "PUBLISH", f"{confirmation_path}: METHOD {method!r}, expected PUBLISH")
    check("ATTENDEE" not in booked, f"{confirmation_path}: PUBLISH must not have ATTENDEE")
    check(str(booked.get("STATUS", "CONFIRMED")) == "CONFIRMED", f"{confirmation_path}: not CONFIRMED")

    check(str(cancelled.get("UID")) == str(booked.get("UID")), "the cancellation has another UID")
    check(
        sequence(cancelled) > sequence(booked),
        f"the cancellation's SEQUENCE {sequence(cancelled)} is not higher than {sequence(booked)}",
    )
    check(
        cancelled.decoded("DTSTAMP") >= booked.decoded("DTSTAMP"),
        "the cancellation's DTSTAMP is earlier than the confirmation's",
    )
    cancel_method = str(cancellation.get("METHOD", ""))
    if cancel_method == "PUBLISH":
        check(str(cancelled.get("STATUS", "")) == "CANCELLED", f"{cancellation_path}: PUBLISH without STATUS:CANCELLED")
        check("ATTENDEE" not in cancelled, f"{cancellation_path}: PUBLISH must not have ATTENDEE")
    elif cancel_method == "CANCEL":
        attendees = cancelled.get("ATTENDEE")
        check(attendees is not None, f"{cancellation_path}: CANCEL without ATTENDEE")
    else:
        problems.append(f"{cancellation_path}: METHOD {cancel_method!r}, expected PUBLISH or CANCEL")
    return finish()


def finish():
    if problems:
        print("\n".join(problems))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
