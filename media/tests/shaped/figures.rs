//! The figures of the shaped-path benchmark (`shaped.rs`): samples, percentiles, the time to
//! adapt after a cap change, and the verdict against the goal of issue #22.

/// The goal's latency allowance: booth p95 ≤ this × Chromium's.
pub const P95_ALLOWANCE: f64 = 1.1;
/// Adapted: this many consecutive one-second samples meet the condition.
pub const HOLD_SAMPLES: usize = 5;

/// One sample of the receiving page (cumulative counters) and the sender's rate.
pub struct Sample {
    pub t: f64,
    pub frames: f64,
    pub bytes: f64,
    pub audio_received: f64,
    pub audio_lost: f64,
    pub sent_kbps: f64,
}

/// What one sender achieved on one path.
pub struct Outcome {
    pub fps: f64,
    /// The window the figures cover, seconds.
    pub secs: f64,
    pub freezes: f64,
    pub max_gap_ms: f64,
    pub p50: f64,
    pub p95: f64,
    pub latency_samples: usize,
    pub audio_loss_pct: f64,
    pub received_kbps: f64,
    pub sent_kbps: f64,
    pub size: String,
    /// Seconds from each cap change to adaptation; `None`: not within the phase.
    pub adapt: Vec<(u32, Option<f64>)>,
    pub bulk_kbps: Option<f64>,
    /// Per second: (sent kbit/s, received kbit/s, fps).
    pub trace: Vec<(f64, f64, f64)>,
}

pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i.min(v.len() - 1)]
}

/// Seconds from `at` (a sample time) until `HOLD_SAMPLES` consecutive later samples before
/// `until` meet `ok(sent kbit/s, fps)`; the time of the first of them.
pub fn adapted(
    samples: &[Sample],
    at: f64,
    until: f64,
    ok: impl Fn(f64, f64) -> bool,
) -> Option<f64> {
    let mut run_start = None;
    let mut run = 0;
    for w in samples.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if b.t <= at + 0.01 || b.t > until + 0.01 {
            continue;
        }
        let fps = (b.frames - a.frames) / (b.t - a.t);
        if ok(b.sent_kbps, fps) {
            run_start.get_or_insert(b.t);
            run += 1;
            if run >= HOLD_SAMPLES {
                return run_start.map(|s| s - at);
            }
        } else {
            run_start = None;
            run = 0;
        }
    }
    None
}

/// Mean fps and sent kbit/s over the samples in (`from`, `to`].
pub fn means(samples: &[Sample], from: f64, to: f64) -> (f64, f64) {
    let inside: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.t >= from - 0.01 && s.t <= to + 0.01)
        .collect();
    let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
        return (f64::NAN, f64::NAN);
    };
    let fps = (last.frames - first.frames) / (last.t - first.t);
    let sent: Vec<f64> = inside
        .iter()
        .skip(1)
        .map(|s| s.sent_kbps)
        .filter(|k| k.is_finite())
        .collect();
    (fps, sent.iter().sum::<f64>() / sent.len().max(1) as f64)
}

pub fn verdict(booth: &Outcome, chromium: &Outcome) -> (bool, String) {
    // Frame counts are read once a second over WebDriver: a window can gain or lose a frame at
    // each end, so fps are equal within two frames over the window.
    let resolution = 2.0 / booth.secs.min(chromium.secs);
    let fps_ok = booth.fps >= chromium.fps - resolution;
    let freezes_ok = booth.freezes <= chromium.freezes;
    let p95_ok = booth.p95 <= P95_ALLOWANCE * chromium.p95;
    let mut misses = Vec::new();
    if !fps_ok {
        misses.push(format!("fps {:.2} < {:.2}", booth.fps, chromium.fps));
    }
    if !freezes_ok {
        misses.push(format!("freezes {} > {}", booth.freezes, chromium.freezes));
    }
    if !p95_ok {
        misses.push(format!(
            "p95 {:.0} ms > {P95_ALLOWANCE}× {:.0} ms",
            booth.p95, chromium.p95
        ));
    }
    let pass = misses.is_empty();
    (
        pass,
        if pass {
            "PASS".into()
        } else {
            format!("FAIL ({})", misses.join(", "))
        },
    )
}

pub fn describe(who: &str, o: &Outcome) -> String {
    let adapt = o
        .adapt
        .iter()
        .map(|(to, took)| match took {
            Some(s) => format!("to {to} kbit/s in {s:.0} s"),
            None => format!("to {to} kbit/s: not within the phase"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{who}: {:.1} fps at {}, {} freezes (longest gap {:.0} ms), latency p50 {:.0} / p95 {:.0} ms ({} stamps), \
         audio loss {:.2} %, sent {:.0} kbit/s, received {:.0} kbit/s{}{}",
        o.fps,
        o.size,
        o.freezes,
        o.max_gap_ms,
        o.p50,
        o.p95,
        o.latency_samples,
        o.audio_loss_pct,
        o.sent_kbps,
        o.received_kbps,
        if adapt.is_empty() {
            String::new()
        } else {
            format!(", adapted {adapt}")
        },
        o.bulk_kbps
            .map_or(String::new(), |k| format!(", bulk TCP got {k:.0} kbit/s")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: f64, fps: f64, sent_kbps: f64, frames_before: f64) -> Sample {
        Sample {
            t,
            frames: frames_before + fps,
            bytes: 0.0,
            audio_received: 0.0,
            audio_lost: 0.0,
            sent_kbps,
        }
    }

    /// One sample a second from `t0`: (sent kbit/s, fps) per second.
    fn series(t0: f64, seconds: &[(f64, f64)]) -> Vec<Sample> {
        let mut frames = 0.0;
        let mut out = vec![at(t0, 0.0, f64::NAN, 0.0)];
        for (i, (sent, fps)) in seconds.iter().enumerate() {
            out.push(at(t0 + i as f64 + 1.0, *fps, *sent, frames));
            frames += fps;
        }
        out
    }

    #[test]
    fn adaptation_is_the_first_of_five_good_seconds_in_a_row() {
        // Step at t = 0: over the cap for 2 s, under for 3, over once more, then under.
        let samples = series(
            0.0,
            &[
                (900.0, 30.0),
                (700.0, 30.0),
                (500.0, 30.0),
                (500.0, 30.0),
                (500.0, 30.0),
                (650.0, 30.0),
                (500.0, 30.0),
                (500.0, 30.0),
                (500.0, 30.0),
                (500.0, 30.0),
                (500.0, 30.0),
            ],
        );
        let took = adapted(&samples, 0.0, 20.0, |sent, fps| sent < 600.0 && fps >= 27.0);
        assert_eq!(took, Some(7.0));
        // A frame rate that does not come back is not adapted, whatever the rate.
        let slow = series(0.0, &[(500.0, 10.0); 10]);
        assert_eq!(
            adapted(&slow, 0.0, 20.0, |sent, fps| sent < 600.0 && fps >= 27.0),
            None
        );
        // Nothing after the phase's end counts.
        assert_eq!(
            adapted(&samples, 0.0, 9.0, |sent, fps| sent < 600.0 && fps >= 27.0),
            None
        );
    }

    #[test]
    fn percentiles_of_latency_samples() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 51.0);
        assert_eq!(percentile(&values, 0.95), 95.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
