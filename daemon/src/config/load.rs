//! Loading the configuration: the layers (defaults, demo defaults, the file, the
//! environment) merged, unknown keys and invalid values collected — all of them, each with its
//! key path and environment variable.

use super::*;

/// Where to read the file from.
#[derive(Clone, Debug)]
pub enum ConfigSource<'a> {
    /// `--config PATH`: the file must exist.
    Explicit(&'a Path),
    /// The default path, used when it exists.
    Default,
    /// No file at all (tests).
    None,
}

/// What the command line says besides `--config`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--demo`.
    pub demo: bool,
    /// `--demo-on-network`: the operator accepts that the demo (fixed passwords, login codes on
    /// `/demo/outbox`) is reachable from other machines. Never set by a file or the
    /// environment: it has to be asked for at each start.
    pub demo_on_network: bool,
}

/// Loads and validates the configuration from all layers. `demo` is `--demo` on the command line.
pub fn load(
    source: ConfigSource<'_>,
    demo: bool,
    env: &[(String, String)],
) -> Result<Config, ConfigErrors> {
    load_with(
        source,
        Flags {
            demo,
            demo_on_network: false,
        },
        env,
    )
}

/// [`load`] with every command-line flag.
pub fn load_with(
    source: ConfigSource<'_>,
    flags: Flags,
    env: &[(String, String)],
) -> Result<Config, ConfigErrors> {
    let first = load_layers(&source, flags, env)?;
    if first.site.demo && !flags.demo {
        // `site.demo = true` in the file or environment: apply the demo defaults under it too.
        return load_layers(
            &source,
            Flags {
                demo: true,
                ..flags
            },
            env,
        );
    }
    Ok(first)
}

/// The demo layer: a self-contained site under the current directory, loopback only.
pub(super) fn demo_defaults() -> Value {
    serde_json::json!({
        "site": { "demo": true, "name": "Pharmacie de démonstration", "id": "demo" },
        "http": { "listen": "127.0.0.1:8443" },
        "storage": { "path": "teleconsult-demo", "key_file": "teleconsult-demo/storage.key" },
        "media": { "video_source": "test", "audio_source": "test" },
        "admin": { "socket": "teleconsult-demo/admin.sock" },
    })
}

pub(super) fn load_layers(
    source: &ConfigSource<'_>,
    flags: Flags,
    env: &[(String, String)],
) -> Result<Config, ConfigErrors> {
    let mut issues = Vec::new();
    let mut merged =
        serde_json::to_value(Config::default()).map_err(|e| single("", e.to_string()))?;
    let known = merged.clone();
    if flags.demo {
        merge(&mut merged, demo_defaults());
    }
    if let Some(file) = read_file(source).map_err(|m| single("", m))? {
        merge(&mut merged, file);
    }
    let mut env_value = env_layer(env);
    upper_case_country_keys(&mut env_value);
    merge(&mut merged, env_value);

    find_unknown(&known, &mut merged, "", &mut issues);
    coerce_scalars(&known, &mut merged);
    let config = deserialize_collecting(merged, &mut issues);
    validate(&config, &mut issues);
    safety::validate(&config, flags, &mut issues);
    if issues.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(issues))
    }
}

pub(super) fn single(key: &str, message: String) -> ConfigErrors {
    ConfigErrors(vec![ConfigIssue {
        key: key.into(),
        message,
    }])
}

pub(super) fn read_file(source: &ConfigSource<'_>) -> Result<Option<Value>, String> {
    let path = match source {
        ConfigSource::Explicit(p) => *p,
        ConfigSource::Default if Path::new(DEFAULT_CONFIG_PATH).exists() => {
            Path::new(DEFAULT_CONFIG_PATH)
        }
        ConfigSource::Default | ConfigSource::None => return Ok(None),
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // Parsed with `toml` directly (not through `config`) for its line/column error messages.
    toml::from_str::<Value>(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `TELECONSULT__SECTION__KEY=value` pairs, parsed by the `config` crate (numbers and booleans
/// recognised, lists comma-separated).
pub(super) fn env_layer(env: &[(String, String)]) -> Value {
    let source = config::Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .with_list_parse_key("site.languages")
        .with_list_parse_key("media.stun_servers")
        .with_list_parse_key("media.turn_servers")
        .with_list_parse_key("booking.reminder_offsets")
        .with_list_parse_key("auth.second_factors")
        .source(Some(env.iter().cloned().collect()));
    config::Config::builder()
        .add_source(source)
        .build()
        .and_then(|c| c.try_deserialize::<Value>())
        .unwrap_or(Value::Object(serde_json::Map::new()))
}

/// Environment keys arrive lower-cased (`…__NATIONAL_ID_SYSTEMS__LU` → `lu`); country codes are
/// upper case in the file and the defaults.
pub(super) fn upper_case_country_keys(value: &mut Value) {
    if let Some(Value::Object(systems)) = value
        .get_mut("platform")
        .and_then(|p| p.get_mut("national_id_systems"))
    {
        *systems = std::mem::take(systems)
            .into_iter()
            .map(|(k, v)| (k.to_uppercase(), v))
            .collect();
    }
}

pub(super) fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Reports and removes keys that the defaults do not have, and sections given as plain values
/// (their defaults then apply, so each problem is reported once).
pub(super) fn find_unknown(
    known: &Value,
    value: &mut Value,
    prefix: &str,
    issues: &mut Vec<ConfigIssue>,
) {
    let (Value::Object(known), Value::Object(map)) = (known, value) else {
        return;
    };
    let mut remove = Vec::new();
    for (k, v) in map.iter_mut() {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match known.get(k) {
            None => remove.push((
                k.clone(),
                ConfigIssue {
                    key: path,
                    message: if prefix == NATIONAL_ID_SYSTEMS {
                        "unknown country (LU, FR or PT)".into()
                    } else {
                        "unknown key".into()
                    },
                },
            )),
            Some(kv @ Value::Object(_)) if v.is_object() => find_unknown(kv, v, &path, issues),
            Some(Value::Object(_)) => remove.push((
                k.clone(),
                ConfigIssue {
                    key: path,
                    message: "expected a table (a [section])".into(),
                },
            )),
            Some(_) => {}
        }
    }
    for (k, issue) in remove {
        map.remove(&k);
        issues.push(issue);
    }
}

/// Environment values arrive typed by guesswork (`8443` is a number); where the key holds text,
/// turn numbers and booleans back into text.
pub(super) fn coerce_scalars(known: &Value, value: &mut Value) {
    match (known, value) {
        (Value::Object(k), Value::Object(v)) => {
            for (key, val) in v.iter_mut() {
                if let Some(kv) = k.get(key) {
                    coerce_scalars(kv, val);
                }
            }
        }
        (Value::String(_) | Value::Null, v @ (Value::Number(_) | Value::Bool(_))) => {
            *v = Value::String(v.to_string())
        }
        (Value::Array(_), Value::Array(items)) => {
            for item in items {
                if matches!(item, Value::Number(_) | Value::Bool(_)) {
                    *item = Value::String(item.to_string());
                }
            }
        }
        _ => {}
    }
}

/// Deserializes, and on each error records it with its path, removes the bad value (its default
/// applies for the rest of the check) and tries again, so every bad value is reported.
pub(super) fn deserialize_collecting(mut value: Value, issues: &mut Vec<ConfigIssue>) -> Config {
    // Each round removes one key, so there are at most as many rounds as keys.
    for _ in 0..256 {
        match serde_path_to_error::deserialize::<_, Config>(&value) {
            Ok(config) => return config,
            Err(err) => {
                let segments: Vec<String> = err
                    .path()
                    .iter()
                    .filter_map(|s| match s {
                        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                        _ => None,
                    })
                    .collect();
                issues.push(ConfigIssue {
                    key: segments.join("."),
                    message: err.inner().to_string(),
                });
                if segments.is_empty() || !remove_path(&mut value, &segments) {
                    break;
                }
            }
        }
    }
    Config::default()
}

pub(super) fn remove_path(value: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut node = value;
    for p in parents {
        match node.get_mut(p) {
            Some(next) => node = next,
            None => return false,
        }
    }
    node.as_object_mut()
        .is_some_and(|m| m.remove(last).is_some())
}
