//! The audit chain's link format, the same in every storage adapter:
//! `hash = SHA-256(prev_hash (32 raw bytes) || canonical JSON of the event || seq (u64 BE))`, the
//! first record chaining to [`GENESIS_HASH`]. Canonical JSON = no whitespace, object keys sorted
//! by their bytes, computed from the stored JSON value so fields added to the event later do not
//! change the hash of older records.

use sha2::{Digest, Sha256};

/// What the first record chains to.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The hash of record `seq` holding `event`, after the record whose hash is `prev`.
pub fn chain_hash(prev: &[u8; 32], event: &serde_json::Value, seq: u64) -> [u8; 32] {
    let mut canonical = Vec::with_capacity(256);
    write_canonical(event, &mut canonical);
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(&canonical);
    hasher.update(seq.to_be_bytes());
    hasher.finalize().into()
}

/// Compact JSON with object keys sorted, independent of serde_json's map feature flags.
pub fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(key.clone()), out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(value: &serde_json::Value, out: &mut Vec<u8>) {
    // Writing a scalar JSON value to a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
}

/// A hex hash as stored, back to bytes (`None` unless 64 hex digits).
pub fn decode_hash(text: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_has_no_spaces() {
        let value = json!({"b": 1, "a": {"z": [true, null, "x\"y"], "c": -2.5}});
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":{"c":-2.5,"z":[true,null,"x\"y"]},"b":1}"#
        );
    }

    #[test]
    fn hash_depends_on_previous_event_and_seq() {
        let event = json!({"a": 1});
        let base = chain_hash(&GENESIS_HASH, &event, 1);
        assert_ne!(base, chain_hash(&[1; 32], &event, 1));
        assert_ne!(base, chain_hash(&GENESIS_HASH, &json!({"a": 2}), 1));
        assert_ne!(base, chain_hash(&GENESIS_HASH, &event, 2));
    }
}
