use super::*;
use jiff::civil::date;

const LUX: &str = "Europe/Luxembourg";

fn t(h: i8, m: i8) -> Time {
    Time::constant(h, m, 0, 0)
}

fn r(h1: i8, m1: i8, h2: i8, m2: i8) -> TimeRange {
    TimeRange::new(t(h1, m1), t(h2, m2)).unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hours(week: Week, slot_minutes: u32) -> WeeklyHours {
    WeeklyHours {
        time_zone: LUX.into(),
        slot_minutes,
        modes: vec![ConsultationMode::Video, ConsultationMode::Audio],
        week,
    }
}

fn schedule(week: Week, slot_minutes: u32, exceptions: Vec<Exception>) -> Schedule {
    Schedule::new(hours(week, slot_minutes), exceptions).unwrap()
}

/// Local start times "HH:MM" of the slots.
fn local_starts(s: &Schedule, slots: &[Slot]) -> Vec<String> {
    slots
        .iter()
        .map(|slot| {
            let time = s.time_zone().to_datetime(slot.start).time();
            format!("{:02}:{:02}", time.hour(), time.minute())
        })
        .collect()
}

fn assert_back_to_back_or_apart(slots: &[Slot], minutes: i64) {
    for slot in slots {
        assert_eq!(
            slot.end.duration_since(slot.start),
            SignedDuration::from_mins(minutes)
        );
    }
    for pair in slots.windows(2) {
        assert!(pair[0].end <= pair[1].start, "overlap: {pair:?}");
    }
}

/// The whole local day `d` in Luxembourg as a [from, to) window.
fn day(d: Date) -> (Timestamp, Timestamp) {
    let tz = TimeZone::get(LUX).unwrap();
    let from = tz.to_timestamp(d.to_datetime(Time::midnight())).unwrap();
    let to = tz
        .to_timestamp(d.tomorrow().unwrap().to_datetime(Time::midnight()))
        .unwrap();
    (from, to)
}

fn mondays(ranges: Vec<TimeRange>) -> Week {
    Week {
        monday: ranges,
        ..Week::default()
    }
}

fn sundays(ranges: Vec<TimeRange>) -> Week {
    Week {
        sunday: ranges,
        ..Week::default()
    }
}

#[test]
fn winter_and_summer_offsets_are_applied() {
    let s = schedule(mondays(vec![r(9, 0, 12, 0)]), 30, vec![]);
    // 2026-01-05 is a Monday in CET (+01).
    let (from, to) = day(date(2026, 1, 5));
    let winter = slots(&s, from, to);
    assert_eq!(winter.len(), 6);
    assert_eq!(winter[0].start, ts("2026-01-05T08:00:00Z"));
    assert_eq!(winter[5].end, ts("2026-01-05T11:00:00Z"));
    assert_back_to_back_or_apart(&winter, 30);
    // 2026-07-06 is a Monday in CEST (+02).
    let (from, to) = day(date(2026, 7, 6));
    let summer = slots(&s, from, to);
    assert_eq!(summer[0].start, ts("2026-07-06T07:00:00Z"));
    assert_eq!(
        local_starts(&s, &summer),
        ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    );
}

#[test]
fn only_configured_weekdays_produce_slots_and_window_is_respected() {
    let s = schedule(mondays(vec![r(9, 0, 10, 0)]), 30, vec![]);
    // Monday 5 to Sunday 11 January 2026: one Monday.
    let week = slots(&s, ts("2026-01-05T00:00:00Z"), ts("2026-01-12T00:00:00Z"));
    assert_eq!(week.len(), 2);
    // A window starting mid-slot excludes that slot; ending mid-slot excludes that one too.
    let part = slots(&s, ts("2026-01-05T08:10:00Z"), ts("2026-01-05T08:50:00Z"));
    assert!(part.is_empty());
    let part = slots(&s, ts("2026-01-05T08:00:00Z"), ts("2026-01-05T08:30:00Z"));
    assert_eq!(part.len(), 1);
    assert_eq!(part[0].start, ts("2026-01-05T08:00:00Z"));
    // Empty or reversed windows.
    assert!(slots(&s, ts("2026-01-05T09:00:00Z"), ts("2026-01-05T09:00:00Z")).is_empty());
    assert!(slots(&s, ts("2026-01-06T00:00:00Z"), ts("2026-01-05T00:00:00Z")).is_empty());
}

#[test]
fn window_is_capped() {
    let s = schedule(mondays(vec![r(9, 0, 10, 0)]), 60, vec![]);
    let all = slots(&s, ts("2026-01-01T00:00:00Z"), ts("2036-01-01T00:00:00Z"));
    // 366 days contain 52 or 53 Mondays, never ten years of them.
    assert!((52..=53).contains(&all.len()), "{}", all.len());
}

#[test]
fn last_slot_must_fit_in_the_range() {
    let s = schedule(mondays(vec![r(9, 0, 10, 0)]), 45, vec![]);
    let (from, to) = day(date(2026, 1, 5));
    assert_eq!(local_starts(&s, &slots(&s, from, to)), ["09:00"]);
}

#[test]
fn spring_forward_never_yields_a_nonexistent_slot() {
    // 2026-03-29 (Sunday): clocks jump from 02:00 CET to 03:00 CEST.
    let d = date(2026, 3, 29);
    let (from, to) = day(d);
    let s = schedule(sundays(vec![r(0, 0, 6, 0)]), 60, vec![]);
    let got = slots(&s, from, to);
    // Five real hours between local midnight and 06:00.
    assert_eq!(
        local_starts(&s, &got),
        ["00:00", "01:00", "03:00", "04:00", "05:00"]
    );
    assert_eq!(got[2].start, ts("2026-03-29T01:00:00Z"));
    assert_back_to_back_or_apart(&got, 60);
    let tz = s.time_zone();
    for slot in &got {
        // Every slot start is a local time that exists and round-trips.
        let local = tz.to_datetime(slot.start);
        assert_ne!(local.hour(), 2);
        assert_eq!(tz.to_timestamp(local).unwrap(), slot.start);
    }
}

#[test]
fn spring_forward_ranges_starting_or_lying_in_the_gap() {
    let d = date(2026, 3, 29);
    let (from, to) = day(d);
    // Opening "at 02:30" means when the clock shows 03:00.
    let s = schedule(sundays(vec![r(2, 30, 5, 0)]), 60, vec![]);
    let got = slots(&s, from, to);
    assert_eq!(local_starts(&s, &got), ["03:00", "04:00"]);
    assert_eq!(got[0].start, ts("2026-03-29T01:00:00Z"));
    // A range wholly inside the gap does not exist.
    let s = schedule(sundays(vec![r(2, 0, 2, 45)]), 15, vec![]);
    assert!(slots(&s, from, to).is_empty());
    // A range ending in the gap ends at the jump.
    let s = schedule(sundays(vec![r(1, 0, 2, 30)]), 30, vec![]);
    assert_eq!(local_starts(&s, &slots(&s, from, to)), ["01:00", "01:30"]);
}

#[test]
fn fall_back_has_no_duplicated_or_overlapping_slots() {
    // 2026-10-25 (Sunday): clocks go back from 03:00 CEST to 02:00 CET.
    let d = date(2026, 10, 25);
    let (from, to) = day(d);
    let s = schedule(sundays(vec![r(0, 0, 6, 0)]), 60, vec![]);
    let got = slots(&s, from, to);
    // Seven real hours; 02:00 appears twice as a local time but as two distinct instants.
    assert_eq!(
        local_starts(&s, &got),
        [
            "00:00", "01:00", "02:00", "02:00", "03:00", "04:00", "05:00"
        ]
    );
    assert_eq!(got[2].start, ts("2026-10-25T00:00:00Z"));
    assert_eq!(got[3].start, ts("2026-10-25T01:00:00Z"));
    assert_back_to_back_or_apart(&got, 60);
    let mut starts: Vec<_> = got.iter().map(|s| s.start).collect();
    starts.dedup();
    assert_eq!(starts.len(), got.len());
}

#[test]
fn fall_back_with_boundaries_inside_the_fold_never_overlaps() {
    let d = date(2026, 10, 25);
    let (from, to) = day(d);
    // Both boundaries inside the repeated hour: mapped to its first occurrence, so the two
    // ranges stay apart as instants.
    let s = schedule(sundays(vec![r(1, 0, 2, 15), r(2, 45, 4, 0)]), 15, vec![]);
    let got = slots(&s, from, to);
    assert_back_to_back_or_apart(&got, 15);
    // First range: 01:00 CEST .. 02:15 CEST = 5 slots; second: 02:45 CEST .. 04:00 CET = 2h15.
    assert_eq!(got.len(), 5 + 9);
    assert_eq!(got[0].start, ts("2026-10-24T23:00:00Z"));
    assert_eq!(got[5].start, ts("2026-10-25T00:45:00Z"));
    assert_eq!(got.last().unwrap().end, ts("2026-10-25T03:00:00Z"));
}

#[test]
fn ordinary_hours_on_dst_days_keep_their_local_times() {
    let week = Week {
        sunday: vec![r(9, 0, 11, 0)],
        ..Week::default()
    };
    let s = schedule(week, 30, vec![]);
    for (d, first_utc) in [
        (date(2026, 3, 22), "2026-03-22T08:00:00Z"),
        (date(2026, 3, 29), "2026-03-29T07:00:00Z"),
        (date(2026, 10, 25), "2026-10-25T08:00:00Z"),
    ] {
        let (from, to) = day(d);
        let got = slots(&s, from, to);
        assert_eq!(local_starts(&s, &got), ["09:00", "09:30", "10:00", "10:30"]);
        assert_eq!(got[0].start, ts(first_utc));
    }
}

#[test]
fn overlapping_and_touching_rules_are_merged() {
    let (from, to) = day(date(2026, 1, 5));
    let s = schedule(mondays(vec![r(10, 0, 12, 0), r(9, 0, 11, 0)]), 30, vec![]);
    let got = slots(&s, from, to);
    assert_eq!(
        local_starts(&s, &got),
        ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    );
    // Touching ranges form one continuous range: 45-minute slots run across the seam.
    let s = schedule(mondays(vec![r(9, 0, 10, 0), r(10, 0, 11, 0)]), 45, vec![]);
    assert_eq!(local_starts(&s, &slots(&s, from, to)), ["09:00", "09:45"]);
    // A range contained in another adds nothing.
    let s = schedule(mondays(vec![r(9, 0, 12, 0), r(10, 0, 10, 30)]), 60, vec![]);
    assert_eq!(
        local_starts(&s, &slots(&s, from, to)),
        ["09:00", "10:00", "11:00"]
    );
    // Separate ranges each start their own slot sequence.
    let s = schedule(mondays(vec![r(14, 0, 15, 0), r(9, 0, 10, 0)]), 60, vec![]);
    assert_eq!(local_starts(&s, &slots(&s, from, to)), ["09:00", "14:00"]);
}

#[test]
fn closed_periods_are_inclusive_and_win_over_extra_hours() {
    let week = Week {
        monday: vec![r(9, 0, 10, 0)],
        tuesday: vec![r(9, 0, 10, 0)],
        wednesday: vec![r(9, 0, 10, 0)],
        ..Week::default()
    };
    let exceptions = vec![
        Exception::Closed {
            from: date(2026, 1, 5),
            to: date(2026, 1, 6),
        },
        Exception::ExtraHours {
            date: date(2026, 1, 6),
            range: r(14, 0, 15, 0),
        },
    ];
    let s = schedule(week, 60, exceptions);
    let got = slots(&s, ts("2026-01-05T00:00:00Z"), ts("2026-01-08T00:00:00Z"));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].start, ts("2026-01-07T08:00:00Z"));
}

#[test]
fn closed_hours_cut_the_day() {
    let exceptions = vec![Exception::ClosedHours {
        date: date(2026, 1, 5),
        range: r(10, 0, 10, 30),
    }];
    let s = schedule(mondays(vec![r(9, 0, 12, 0)]), 30, exceptions);
    let got = slots(&s, ts("2026-01-05T00:00:00Z"), ts("2026-01-13T00:00:00Z"));
    let starts = local_starts(&s, &got);
    // 5 January loses 10:00; 12 January is untouched.
    assert_eq!(starts[..5], ["09:00", "09:30", "10:30", "11:00", "11:30"]);
    assert_eq!(got.len(), 5 + 6);
    // Cutting the whole range or its ends.
    assert!(subtract(vec![r(9, 0, 10, 0)], r(8, 0, 11, 0)).is_empty());
    assert_eq!(
        subtract(vec![r(9, 0, 10, 0)], r(8, 0, 9, 30)),
        [r(9, 30, 10, 0)]
    );
    assert_eq!(
        subtract(vec![r(9, 0, 10, 0)], r(10, 0, 11, 0)),
        [r(9, 0, 10, 0)]
    );
}

#[test]
fn extra_hours_add_to_the_day_and_merge_with_weekly_hours() {
    let exceptions = vec![
        // Saturday 10 January: normally closed.
        Exception::ExtraHours {
            date: date(2026, 1, 10),
            range: r(10, 0, 11, 0),
        },
        // Monday 5 January: extends 9-10 to 9-11.
        Exception::ExtraHours {
            date: date(2026, 1, 5),
            range: r(9, 30, 11, 0),
        },
    ];
    let s = schedule(mondays(vec![r(9, 0, 10, 0)]), 60, exceptions);
    let got = slots(&s, ts("2026-01-05T00:00:00Z"), ts("2026-01-11T00:00:00Z"));
    assert_eq!(local_starts(&s, &got), ["09:00", "10:00", "10:00"]);
    assert_eq!(got[2].start, ts("2026-01-10T09:00:00Z"));
}

#[test]
fn slots_carry_the_offered_modes() {
    let mut h = hours(mondays(vec![r(9, 0, 10, 0)]), 60);
    h.modes = vec![
        ConsultationMode::Audio,
        ConsultationMode::Video,
        ConsultationMode::Audio,
    ];
    let s = Schedule::new(h, vec![]).unwrap();
    assert_eq!(
        s.hours().modes,
        [ConsultationMode::Video, ConsultationMode::Audio]
    );
    let got = slots(&s, ts("2026-01-05T00:00:00Z"), ts("2026-01-06T00:00:00Z"));
    assert_eq!(
        serde_json::to_value(&got[0]).unwrap(),
        serde_json::json!({
            "start": "2026-01-05T08:00:00Z",
            "end": "2026-01-05T09:00:00Z",
            "modes": ["video", "audio"],
        })
    );
}

#[test]
fn validation_errors() {
    assert_eq!(
        TimeRange::new(t(10, 0), t(10, 0)),
        Err(ScheduleError::EmptyRange {
            start: t(10, 0),
            end: t(10, 0)
        })
    );
    assert_eq!(
        TimeRange::new(t(10, 0), t(9, 0)),
        Err(ScheduleError::EmptyRange {
            start: t(10, 0),
            end: t(9, 0)
        })
    );
    let ok = hours(mondays(vec![r(9, 0, 10, 0)]), 30);
    for minutes in [0, MAX_SLOT_MINUTES + 1] {
        let h = WeeklyHours {
            slot_minutes: minutes,
            ..ok.clone()
        };
        assert_eq!(
            Schedule::new(h, vec![]),
            Err(ScheduleError::SlotLength { minutes })
        );
    }
    let h = WeeklyHours {
        slot_minutes: MAX_SLOT_MINUTES,
        ..ok.clone()
    };
    assert!(Schedule::new(h, vec![]).is_ok());
    let h = WeeklyHours {
        time_zone: "Europe/Atlantis".into(),
        ..ok.clone()
    };
    let err = Schedule::new(h, vec![]).unwrap_err();
    assert_eq!(
        err,
        ScheduleError::UnknownTimeZone {
            name: "Europe/Atlantis".into()
        }
    );
    assert!(err.to_string().contains("IANA"));
    let h = WeeklyHours {
        modes: vec![],
        ..ok.clone()
    };
    assert_eq!(Schedule::new(h, vec![]), Err(ScheduleError::NoModes));
    // A reversed range smuggled in through a struct literal is still caught.
    let bad = TimeRange {
        start: t(12, 0),
        end: t(11, 0),
    };
    let h = WeeklyHours {
        week: Week {
            friday: vec![bad],
            ..Week::default()
        },
        ..ok.clone()
    };
    assert!(matches!(
        Schedule::new(h, vec![]),
        Err(ScheduleError::EmptyRange { .. })
    ));
    let closed = Exception::Closed {
        from: date(2026, 2, 2),
        to: date(2026, 2, 1),
    };
    assert!(matches!(
        Schedule::new(ok.clone(), vec![closed]),
        Err(ScheduleError::ReversedPeriod { .. })
    ));
    let extra = Exception::ExtraHours {
        date: date(2026, 2, 1),
        range: bad,
    };
    assert!(matches!(
        Schedule::new(ok, vec![extra]),
        Err(ScheduleError::EmptyRange { .. })
    ));
}

#[test]
fn serde_round_trip_and_validation_on_deserialise() {
    let json = serde_json::json!({
        "hours": {
            "time_zone": "Europe/Luxembourg",
            "slot_minutes": 20,
            "modes": ["video"],
            "week": { "monday": [{ "start": "09:00", "end": "12:00" }] }
        },
        "exceptions": [
            { "kind": "closed", "from": "2026-08-01", "to": "2026-08-15" },
            { "kind": "extra_hours", "date": "2026-08-22",
              "range": { "start": "10:00", "end": "11:00" } }
        ]
    });
    let s: Schedule = serde_json::from_value(json).unwrap();
    assert_eq!(s.hours().week.monday, [r(9, 0, 12, 0)]);
    assert_eq!(s.exceptions().len(), 2);
    let again: Schedule = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(again, s);

    let bad_zone = serde_json::json!({
        "hours": { "time_zone": "Mars/Olympus", "slot_minutes": 20, "modes": ["audio"], "week": {} }
    });
    let err = serde_json::from_value::<Schedule>(bad_zone).unwrap_err();
    assert!(err.to_string().contains("unknown time zone"), "{err}");
    let unknown_day = serde_json::json!({
        "hours": { "time_zone": "UTC", "slot_minutes": 20, "modes": ["audio"],
                   "week": { "funday": [] } }
    });
    assert!(serde_json::from_value::<Schedule>(unknown_day).is_err());
    assert_eq!(
        serde_json::to_string(&ConsultationMode::Audio).unwrap(),
        "\"audio\""
    );
}

/// `slot_starting_at` answers exactly what a search through `slots` would, minute by minute
/// through ordinary days, DST days (gap and fold, boundaries inside them) and exceptions.
#[test]
fn slot_starting_at_agrees_with_the_generated_slots() {
    let extra = Exception::ExtraHours {
        date: date(2026, 3, 22),
        range: r(18, 0, 19, 30),
    };
    let closed = Exception::Closed {
        from: date(2026, 1, 11),
        to: date(2026, 1, 11),
    };
    let schedules = [
        schedule(sundays(vec![r(0, 0, 6, 0)]), 60, vec![]),
        schedule(sundays(vec![r(2, 30, 5, 0), r(8, 0, 9, 0)]), 60, vec![]),
        schedule(sundays(vec![r(1, 0, 2, 30)]), 30, vec![]),
        schedule(sundays(vec![r(1, 0, 2, 15), r(2, 45, 4, 0)]), 15, vec![]),
        schedule(
            sundays(vec![r(9, 0, 12, 0), r(10, 0, 11, 0), r(14, 10, 17, 0)]),
            20,
            vec![extra, closed],
        ),
        schedule(sundays(vec![r(0, 0, 23, 59)]), 1, vec![]),
    ];
    let days = [
        date(2026, 1, 11),
        date(2026, 3, 22),
        date(2026, 3, 29),
        date(2026, 10, 25),
    ];
    for (i, s) in schedules.iter().enumerate() {
        for d in days {
            let (from, to) = day(d);
            let mut at = from;
            let mut found = 0;
            while at < to {
                let window = at.checked_add(SignedDuration::from_hours(9)).unwrap();
                let expected = slots(s, at, window).into_iter().find(|x| x.start == at);
                found += usize::from(expected.is_some());
                assert_eq!(slot_starting_at(s, at), expected, "{d} at {at}");
                at = at.checked_add(SignedDuration::from_mins(1)).unwrap();
            }
            // Not vacuous: every day offers slots, but the one the fifth schedule is closed.
            assert_eq!(found > 0, !(i == 4 && d == date(2026, 1, 11)), "{i}: {d}");
        }
    }
}
