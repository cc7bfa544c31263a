//! `[auth]` (DESIGN §3): how long an unused session lasts. (`second_factors` arrives with the
//! booth issue.)

use serde::{Deserialize, Serialize};
use teleconsult_core::site::SiteKind;

/// Sessions (DESIGN §3 `[auth]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A session unused this many minutes ends (fractions allowed: `0.5` is 30 s). Absent: 15,
    /// or 5 on booth sites (`site.kind = "booth"`), where the next patient sits at the same
    /// screen. The 8-hour absolute limit applies too.
    #[serde(deserialize_with = "optional_minutes")]
    pub idle_timeout_min: Option<f64>,
}

/// A number of minutes, also as text: a key whose default is absent has no known type, so
/// environment values and file values reach it as text (see `coerce_scalars`).
fn optional_minutes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Minutes {
        Number(f64),
        Text(String),
    }
    match Option::<Minutes>::deserialize(d)? {
        None => Ok(None),
        Some(Minutes::Number(n)) => Ok(Some(n)),
        Some(Minutes::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{t:?} is not a number of minutes"))),
    }
}

impl AuthConfig {
    /// The idle timeout in force on a site of `kind`.
    pub fn idle_timeout(&self, kind: SiteKind) -> jiff::SignedDuration {
        let minutes = self.idle_timeout_min.unwrap_or(match kind {
            SiteKind::Booth => 5.0,
            SiteKind::Clinic => 15.0,
        });
        jiff::SignedDuration::try_from_secs_f64(minutes * 60.0)
            .unwrap_or(jiff::SignedDuration::from_mins(15))
    }
}
