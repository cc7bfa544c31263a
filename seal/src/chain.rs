//! The audit chain's link format, the same in every storage adapter:
//! `hash = SHA-256(prev_hash (32 raw bytes) || canonical JSON of the event || seq (u64 BE))`, the
//! first record chaining to [`GENESIS_HASH`]. Canonical JSON = no whitespace, object keys sorted
//! by their bytes, computed from the stored JSON value so fields added to the event later do not
//! change the hash of older records.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One record of the chain as stored (JSON), with the event kept as a JSON value so that
/// verification hashes exactly what was written, whatever the event type has become since.
#[derive(Debug, Serialize, Deserialize)]
pub struct Link {
    pub seq: u64,
    pub event: serde_json::Value,
    /// Hex SHA-256 of the previous record (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this record.
    pub hash: String,
}

/// Where the chain ends while appending: the last record's number and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct End {
    pub seq: u64,
    pub hash: [u8; 32],
}

impl End {
    /// The end of an empty chain.
    pub const GENESIS: End = End {
        seq: 0,
        hash: GENESIS_HASH,
    };

    /// Appends `event`: the new record's number and its stored bytes; the end moves on.
    pub fn append(
        &mut self,
        event: serde_json::Value,
    ) -> Result<(u64, Vec<u8>), serde_json::Error> {
        let seq = self.seq + 1;
        let hash = chain_hash(&self.hash, &event, seq);
        let link = Link {
            seq,
            event,
            prev_hash: hex::encode(self.hash),
            hash: hex::encode(hash),
        };
        let bytes = serde_json::to_vec(&link)?;
        *self = End { seq, hash };
        Ok((seq, bytes))
    }

    /// Checks that `stored` is the record right after this end (number, link, hash of its
    /// content) and moves on to it; says what is wrong otherwise.
    pub fn follow(&mut self, stored: &[u8]) -> Result<&mut Self, String> {
        let expected = self.seq + 1;
        let link: Link =
            serde_json::from_slice(stored).map_err(|_| "record does not decode".to_owned())?;
        if link.seq != expected {
            return Err(format!("record says seq {}", link.seq));
        }
        if decode_hash(&link.prev_hash) != Some(self.hash) {
            return Err("prev_hash does not match the previous record".to_owned());
        }
        let computed = chain_hash(&self.hash, &link.event, expected);
        if decode_hash(&link.hash) != Some(computed) {
            return Err("hash does not match the content (edited)".to_owned());
        }
        *self = End {
            seq: expected,
            hash: computed,
        };
        Ok(self)
    }
}

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
    fn appended_records_follow_and_an_edited_one_does_not() {
        let mut writer = End::GENESIS;
        let (_, first) = writer.append(serde_json::json!({"a": 1})).unwrap();
        let (seq, second) = writer.append(serde_json::json!({"b": 2})).unwrap();
        assert_eq!(seq, 2);
        let mut reader = End::GENESIS;
        reader.follow(&first).unwrap().follow(&second).unwrap();
        assert_eq!(reader, writer);
        let edited = String::from_utf8(first.clone())
            .unwrap()
            .replace("\"a\":1", "\"a\":7");
        let mut fresh = End::GENESIS;
        assert!(
            fresh
                .follow(edited.as_bytes())
                .unwrap_err()
                .contains("edited")
        );
        let mut fresh = End::GENESIS;
        assert!(fresh.follow(&second).is_err(), "out of order");
    }

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
