use super::*;
use proptest::prelude::*;

/// RFC 6238's secret for SHA-1: the ASCII digits "12345678901234567890".
const RFC_SECRET: &[u8; 20] = b"12345678901234567890";

fn ts(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

/// A second implementation (RFC 4226 §5.3, written from the RFC, on other versions of the hmac
/// and sha1 crates than the library's): the code of `step` with `digits` digits.
fn reference_code(secret: &[u8], step: u64, digits: u32) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    )
}

#[test]
fn rfc_6238_appendix_b_sha1_vectors() {
    // (time, 8-digit TOTP) from RFC 6238 appendix B, mode SHA1. Six digits are the last six.
    let vectors = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    let secret = TotpSecret::from_bytes(*RFC_SECRET);
    for (time, eight) in vectors {
        let step = step_of(ts(time)).unwrap();
        assert_eq!(
            reference_code(RFC_SECRET, step, 8),
            eight,
            "reference at {time}"
        );
        assert_eq!(secret.code_at_step(step), eight[2..], "daemon at {time}");
        let mut enrolment = TotpEnrolment::pending(secret.clone(), ts(time));
        assert_eq!(enrolment.accept(&eight[2..], ts(time)), Ok(step));
    }
}

proptest! {
    #[test]
    fn codes_match_an_independent_implementation(bytes in any::<[u8; 20]>(), step in 0u64..1_000_000_000) {
        let secret = TotpSecret::from_bytes(bytes);
        prop_assert_eq!(secret.code_at_step(step), reference_code(&bytes, step, 6));
    }
}

#[test]
fn a_code_is_accepted_one_step_either_side_and_no_further() {
    let secret = TotpSecret::from_bytes([7; 20]);
    let now = ts(1_700_000_000);
    let step = step_of(now).unwrap();
    for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
        let mut enrolment = TotpEnrolment::pending(secret.clone(), now);
        let code = secret.code_at_step(step.checked_add_signed(offset).unwrap());
        assert_eq!(
            enrolment.accept(&code, now).is_ok(),
            accepted,
            "offset {offset}"
        );
    }
}

#[test]
fn each_step_is_used_once_and_earlier_steps_never_again() {
    let secret = TotpSecret::from_bytes([9; 20]);
    let now = ts(1_700_000_015);
    let step = step_of(now).unwrap();
    let mut enrolment = TotpEnrolment::pending(secret.clone(), now);
    let current = secret.code_at_step(step);
    assert_eq!(enrolment.accept(&current, now), Ok(step));
    assert_eq!(enrolment.accept(&current, now), Err(TotpError::WrongCode));
    let before = secret.code_at_step(step - 1);
    assert_eq!(enrolment.accept(&before, now), Err(TotpError::WrongCode));
    // The next step's code (a clock a little ahead) still works, once.
    let next = secret.code_at_step(step + 1);
    assert_eq!(enrolment.accept(&next, now), Ok(step + 1));
    assert_eq!(enrolment.last_step, Some(step + 1));
    assert_eq!(
        enrolment.accept(&next, ts(1_700_000_045)),
        Err(TotpError::WrongCode)
    );
}

#[test]
fn spaces_are_ignored_and_anything_but_six_digits_is_wrong() {
    let secret = TotpSecret::from_bytes([3; 20]);
    let now = ts(1_700_000_000);
    let code = secret.code_at_step(step_of(now).unwrap());
    let spaced = format!(" {} {} ", &code[..3], &code[3..]);
    assert!(
        TotpEnrolment::pending(secret.clone(), now)
            .accept(&spaced, now)
            .is_ok()
    );
    for typed in ["", "12345", "1234567", "12345a", "+12345", "１２３４５６"] {
        let mut enrolment = TotpEnrolment::pending(secret.clone(), now);
        assert_eq!(
            enrolment.accept(typed, now),
            Err(TotpError::WrongCode),
            "{typed:?}"
        );
        assert_eq!(enrolment.last_step, None);
    }
}

#[test]
fn a_pending_enrolment_expires() {
    let now = ts(1_700_000_000);
    let enrolment = TotpEnrolment::pending(TotpSecret::from_bytes([1; 20]), now);
    assert!(
        !enrolment.pending_expired(
            now.checked_add(PENDING_TTL - SignedDuration::from_secs(1))
                .unwrap()
        )
    );
    assert!(enrolment.pending_expired(now.checked_add(PENDING_TTL).unwrap()));
    let confirmed = TotpEnrolment {
        confirmed_at: Some(now),
        ..enrolment
    };
    assert!(!confirmed.pending_expired(now.checked_add(PENDING_TTL).unwrap()));
}

#[test]
fn the_secret_is_never_in_debug_output_and_round_trips_as_base32() {
    let secret = TotpSecret::from_bytes(*RFC_SECRET);
    let enrolment = TotpEnrolment::pending(secret.clone(), ts(0));
    let debug = format!("{enrolment:?}");
    assert!(!debug.contains(&secret.base32()), "{debug}");
    assert!(debug.contains("redacted"));
    // RFC 4648 base32 of the RFC secret.
    assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    let json = serde_json::to_string(&enrolment).unwrap();
    let back: TotpEnrolment = serde_json::from_str(&json).unwrap();
    assert_eq!(back, enrolment);
    assert!(serde_json::from_str::<TotpSecret>("\"not base32!\"").is_err());
    assert!(serde_json::from_str::<TotpSecret>("\"GEZDGNBV\"").is_err());
}

#[test]
fn the_otpauth_uri_names_the_site_the_login_and_every_parameter() {
    let secret = TotpSecret::from_bytes(*RFC_SECRET);
    let uri = otpauth_uri(
        "Pharmacie du Parc: Esch",
        "marie.dupont@example.lu",
        &secret,
    );
    assert_eq!(
        uri,
        "otpauth://totp/Pharmacie%20du%20Parc%20%20Esch:marie%2Edupont%40example%2Elu\
         ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Pharmacie%20du%20Parc%20%20Esch\
         &algorithm=SHA1&digits=6&period=30"
    );
}

#[test]
fn factors_have_their_config_names() {
    for factor in Factor::ALL {
        assert_eq!(factor.code().parse::<Factor>(), Ok(factor));
    }
    assert!("email".parse::<Factor>().is_err());
    assert_eq!(Factor::default(), Factor::Sms);
}
