//! TURN credentials per call, as the TURN REST API (draft-uberti-behave-turn-rest) defines them
//! and coturn checks them with `use-auth-secret` / `static-auth-secret`: the username is
//! `<expiry as Unix seconds>:<who>`, the password `base64(HMAC-SHA1(secret, username))`. The
//! TURN server needs no user database and refuses the credentials once the expiry has passed,
//! so what a participant's browser receives stops working after the call instead of being a
//! site-wide password for ever (the deprecated static `turn://user:password@host` pair).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use std::sync::Arc;
use std::time::Duration;
use teleconsult_core::Timestamp;
use zeroize::Zeroizing;

/// The TURN server's shared secret (`[media] turn_secret_file`). Never printed.
#[derive(Clone)]
pub struct TurnSecret(Arc<Zeroizing<Vec<u8>>>);

impl TurnSecret {
    /// The secret as written in the file, surrounding white space removed (coturn takes the
    /// `static-auth-secret` value as text). `None` when empty.
    pub fn from_file_contents(contents: &[u8]) -> Option<Self> {
        let text = contents.trim_ascii();
        (!text.is_empty()).then(|| Self(Arc::new(Zeroizing::new(text.to_vec()))))
    }
}

impl std::fmt::Debug for TurnSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TurnSecret(…)")
    }
}

/// How credentials are made: the secret and how long they last.
#[derive(Clone, Debug)]
pub struct TurnAuth {
    pub secret: TurnSecret,
    /// `[media] turn_ttl_s`.
    pub ttl: Duration,
}

/// One participant's TURN username and password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnCredentials {
    pub username: String,
    pub credential: String,
}

impl TurnAuth {
    /// Credentials for `who` (an opaque identifier: an account id, `booth`), valid from `now`
    /// for the configured time. `who` must not contain `:` (the username's separator).
    pub fn credentials(&self, now: Timestamp, who: &str) -> TurnCredentials {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let expiry = now.as_second().saturating_add(ttl);
        credentials(&self.secret.0, expiry, &who.replace(':', "-"))
    }
}

/// `expiry:who` and its HMAC-SHA1 under `secret`, base64 (standard alphabet, padded).
fn credentials(secret: &[u8], expiry: i64, who: &str) -> TurnCredentials {
    let username = format!("{expiry}:{who}");
    // HMAC accepts keys of any length: this cannot fail.
    let credential = match Hmac::<sha1::Sha1>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(username.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    TurnCredentials {
        username,
        credential,
    }
}

/// A configured TURN URI (`turn:host:port`, `turns://host:port?transport=tcp`, possibly with a
/// static `user:password@`) split into scheme, static user info and the rest.
pub struct TurnUri<'a> {
    pub scheme: &'a str,
    pub userinfo: Option<&'a str>,
    /// `host:port` and any query.
    pub address: &'a str,
}

impl<'a> TurnUri<'a> {
    pub fn parse(uri: &'a str) -> Option<Self> {
        let (scheme, rest) = match uri.split_once("://") {
            Some(split) => split,
            None => uri.split_once(':')?,
        };
        let (userinfo, address) = match rest.rsplit_once('@') {
            Some((user, address)) => (Some(user), address),
            None => (None, rest),
        };
        Some(Self {
            scheme,
            userinfo,
            address,
        })
    }

    /// The URI as browsers take it (`turn:host:port`), without user info.
    pub fn browser_url(&self) -> String {
        format!("{}:{}", self.scheme, self.address)
    }

    /// The URI as GStreamer's webrtcbin takes it (`turn://user:password@host:port`), user
    /// and password percent-encoded (webrtcbin decodes them; the username holds a `:`).
    pub fn with_credentials(&self, c: &TurnCredentials) -> String {
        format!(
            "{}://{}:{}@{}",
            self.scheme,
            percent_encode(&c.username),
            percent_encode(&c.credential),
            self.address
        )
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(value: &str) -> String {
    value.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_the_turn_rest_api_ones() {
        // Reference values computed independently (Python: hmac.new(b"north-secret",
        // b"1800003600:alice", hashlib.sha1), base64), i.e. what coturn computes from its
        // static-auth-secret to check them.
        let c = credentials(b"north-secret", 1_800_003_600, "alice");
        assert_eq!(c.username, "1800003600:alice");
        assert_eq!(c.credential, "ERbGROgPO96Ue8GY9xOaOOqmnZI=");
    }

    #[test]
    fn expiry_is_now_plus_the_ttl_and_the_secret_file_is_trimmed() {
        let secret = TurnSecret::from_file_contents(b"  north-secret\n").unwrap();
        let auth = TurnAuth {
            secret,
            ttl: Duration::from_secs(3600),
        };
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let c = auth.credentials(now, "alice");
        assert_eq!(c, credentials(b"north-secret", 1_800_003_600, "alice"));
        // The username separator cannot be smuggled in through `who`.
        assert_eq!(auth.credentials(now, "a:b").username, "1800003600:a-b");
        assert!(TurnSecret::from_file_contents(b" \n").is_none());
        assert_eq!(format!("{:?}", auth.secret), "TurnSecret(…)");
    }

    #[test]
    fn uris_for_browsers_and_for_webrtcbin() {
        let uri = TurnUri::parse("turn:turn.example.lu:3478?transport=udp").unwrap();
        assert_eq!(uri.browser_url(), "turn:turn.example.lu:3478?transport=udp");
        let c = TurnCredentials {
            username: "1800003600:booth".into(),
            credential: "a+b/c=".into(),
        };
        assert_eq!(
            uri.with_credentials(&c),
            "turn://1800003600%3Abooth:a%2Bb%2Fc%3D@turn.example.lu:3478?transport=udp"
        );
        let stat = TurnUri::parse("turns://alice:s3cret@turn.example.lu:5349").unwrap();
        assert_eq!(stat.userinfo, Some("alice:s3cret"));
        assert_eq!(stat.browser_url(), "turns:turn.example.lu:5349");
        assert!(TurnUri::parse("nonsense").is_none());
    }
}
