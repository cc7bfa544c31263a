//! `[auth]` (DESIGN §3): the second factors a login may use and how long an unused session
//! lasts.

use serde::{Deserialize, Serialize};
use teleconsult_core::site::SiteKind;
use teleconsult_core::totp::Factor;

/// Second factors and sessions (DESIGN §3 `[auth]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The second factors of a login: `"sms"` (a code sent to the account's phone) and
    /// `"totp"` (the code of an authenticator app, RFC 6238, which works without the WAN). An
    /// account with a confirmed app logs in with it when `"totp"` is listed; every other
    /// account gets an SMS code, so `"sms"` must be listed (see `docs/security.md`).
    pub second_factors: Vec<Factor>,
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

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            second_factors: vec![Factor::Sms, Factor::Totp],
            idle_timeout_min: None,
        }
    }
}

impl AuthConfig {
    /// Whether accounts may set up and log in with an authenticator app.
    pub fn totp_offered(&self) -> bool {
        self.second_factors.contains(&Factor::Totp)
    }

    /// Rules serde cannot check: `(key, message)` for each problem.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let key = "auth.second_factors";
        if !self.second_factors.contains(&Factor::Sms) {
            problems.push((
                key,
                "must include \"sms\": accounts without a confirmed authenticator app (patients who \
                 have not set one up, new accounts, an app reset by an administrator) log in with \
                 an SMS code; accounts with one never get an SMS at login anyway"
                    .to_owned(),
            ));
        }
        for factor in Factor::ALL {
            if self.second_factors.iter().filter(|f| **f == factor).count() > 1 {
                problems.push((key, format!("{:?} is listed twice", factor.code())));
            }
        }
        problems
    }

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

#[cfg(test)]
mod tests {
    use crate::config::{ConfigSource, load};

    const TLS: &str = "[http]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n";

    fn file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("teleconsult.toml");
        std::fs::write(&path, format!("{TLS}{text}")).unwrap();
        (dir, path)
    }

    #[test]
    fn second_factors_are_sms_and_totp_unless_set_and_sms_stays() {
        let config = load(ConfigSource::None, true, &[]).unwrap();
        assert!(config.auth.totp_offered(), "both by default");
        let (_dir, path) = file("[auth]\nsecond_factors = [\"sms\"]\n");
        let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
        assert!(!config.auth.totp_offered());
        let vars = [(
            "TELECONSULT__AUTH__SECOND_FACTORS".to_owned(),
            "sms".to_owned(),
        )];
        let config = load(ConfigSource::None, true, &vars).unwrap();
        assert!(!config.auth.totp_offered(), "a list from the environment");
        for (bad, says) in [
            ("[\"totp\"]", "must include \"sms\""),
            ("[]", "must include \"sms\""),
            ("[\"sms\", \"sms\", \"totp\"]", "listed twice"),
            ("[\"sms\", \"webauthn\"]", "unknown variant"),
        ] {
            let (_dir, path) = file(&format!("[auth]\nsecond_factors = {bad}\n"));
            let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
            let all = errors.to_string();
            assert!(all.contains("auth.second_factors"), "{bad}: {all}");
            assert!(all.contains(says), "{bad}: {all}");
        }
    }
}
