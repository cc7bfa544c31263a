use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("teleconsult.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const TLS: &str = "[http]\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n";

fn keys(errors: &ConfigErrors) -> Vec<&str> {
    errors.0.iter().map(|i| i.key.as_str()).collect()
}

#[test]
fn defaults_need_tls_outside_demo_and_nothing_else() {
    let errors = load(ConfigSource::None, false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["http.tls_cert"]);
}

#[test]
fn demo_flag_applies_the_demo_layer() {
    let config = load(ConfigSource::None, true, &[]).unwrap();
    assert!(config.site.demo);
    assert_eq!(config.http.listen, "127.0.0.1:8443".parse().unwrap());
    assert_eq!(config.storage.path, PathBuf::from("teleconsult-demo"));
    assert_eq!(config.media.video_source, "test");
}

#[test]
fn demo_set_in_the_file_also_applies_the_demo_layer_under_the_file() {
    let (_dir, path) = file("[site]\ndemo = true\n[storage]\npath = \"/srv/demo\"\n");
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    assert!(config.site.demo);
    assert_eq!(
        config.storage.path,
        PathBuf::from("/srv/demo"),
        "the file wins over demo defaults"
    );
    assert_eq!(config.http.listen, "127.0.0.1:8443".parse().unwrap());
}

#[test]
fn environment_wins_over_the_file_with_lists_and_text_coercion() {
    let (_dir, path) = file(&format!(
        "{TLS}[site]\nid = \"from-file\"\nlanguages = [\"fr\"]\n"
    ));
    let config = load(
        ConfigSource::Explicit(&path),
        false,
        &env(&[
            ("TELECONSULT__SITE__ID", "1234"),
            ("TELECONSULT__SITE__LANGUAGES", "de,en"),
            ("TELECONSULT__HTTP__SHUTDOWN_GRACE_S", "30"),
            (
                "TELECONSULT__NOTIFY__EMAIL__SMTP_URL",
                "smtp://127.0.0.1:2525",
            ),
            ("UNRELATED", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(
        config.site.id, "1234",
        "a number in the environment is text for a text key"
    );
    assert_eq!(config.site.languages, [Language::De, Language::En]);
    assert_eq!(config.http.shutdown_grace_s, 30);
    assert_eq!(
        config.notify.email.smtp_url.as_deref(),
        Some("smtp://127.0.0.1:2525")
    );
}

#[test]
fn every_error_is_reported_with_its_path() {
    let (_dir, path) = file(&format!(
        "{TLS}listen_twice = 1\n[site]\nkind = \"ship\"\ncountry = \"BE\"\nlanguages = [\"fr\", \"xx\"]\n\
         [platform]\nauth = \"bearer\"\n[log]\nlevel = \"=[\"\n"
    ));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    let mut found = keys(&errors);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "http.listen_twice",
            "log.level",
            "platform.token_file",
            "site.country",
            "site.kind",
            "site.languages"
        ],
        "{errors}"
    );
    let text = errors.to_string();
    assert!(
        text.starts_with("the configuration has 6 errors:"),
        "{text}"
    );
    assert!(
        text.contains("site.kind (TELECONSULT__SITE__KIND): unknown variant `ship`"),
        "{text}"
    );
}

#[test]
fn a_section_given_as_a_value_is_an_error() {
    let (_dir, path) = file(&format!("storage = \"/var/lib\"\n{TLS}"));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["storage"], "{errors}");
}

#[test]
fn tls_cert_and_key_go_together() {
    let (_dir, path) = file("[http]\ntls_cert = \"/c.pem\"\n");
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["http.tls_key"]);
}

#[test]
fn the_shipped_default_file_is_valid_and_names_the_installed_tls_files() {
    // The package's postinst (`teleconsultctl setup`) creates the certificate and key the
    // shipped file names (a self-signed placeholder) when they do not exist.
    let shipped = include_str!("../../packaging/teleconsult.toml");
    let (_dir, path) = file(&format!("{shipped}\n"));
    let config = load(ConfigSource::Explicit(&path), false, &[]);
    let config = match config {
        Ok(config) => config,
        Err(errors) => panic!("the shipped file is invalid: {errors}"),
    };
    assert_eq!(
        config.http.tls_cert.as_deref(),
        Some(Path::new("/etc/teleconsult/tls/cert.pem"))
    );
    assert_eq!(
        config.http.tls_key.as_deref(),
        Some(Path::new("/etc/teleconsult/tls/key.pem"))
    );
    assert_eq!(config.storage.path, Path::new("/var/lib/teleconsult"));
    assert!(!config.site.demo);
}

#[test]
fn national_id_systems_override_the_defaults_per_country() {
    let (_dir, path) = file(&format!(
        "{TLS}[platform]\nnational_id_systems = {{ LU = \"urn:oid:1.2.3.4\", PT = \"https://spms.min-saude.pt/sns\" }}\n"
    ));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    let systems = &config.platform.national_id_systems;
    assert_eq!(systems.get(Country::LU), Some("urn:oid:1.2.3.4"));
    assert_eq!(systems.get(Country::FR), None, "absent: the built-in one");
    assert_eq!(
        systems.configured(),
        [
            (Country::LU, "urn:oid:1.2.3.4".to_owned()),
            (Country::PT, "https://spms.min-saude.pt/sns".to_owned())
        ]
    );
    // The environment names a country in upper case too, and wins over the file.
    let config = load(
        ConfigSource::Explicit(&path),
        false,
        &env(&[(
            "TELECONSULT__PLATFORM__NATIONAL_ID_SYSTEMS__LU",
            "urn:lu:matricule",
        )]),
    )
    .unwrap();
    assert_eq!(
        config.platform.national_id_systems.get(Country::LU),
        Some("urn:lu:matricule")
    );
    assert_eq!(
        load(ConfigSource::None, true, &[])
            .unwrap()
            .platform
            .national_id_systems,
        NationalIdSystems::default()
    );
}

#[test]
fn bad_national_id_systems_and_unknown_countries_are_all_reported() {
    let (_dir, path) = file(&format!(
        "{TLS}[platform]\npoll_interval_s = 0\n\n[platform.national_id_systems]\nLU = \"\"\nFR = \"oid:1.2.250\"\n\
         PT = \"https:// spaces\"\nDE = \"urn:oid:1.2.276\"\nlu = \"urn:oid:1\"\n"
    ));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    let mut found = keys(&errors);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "platform.national_id_systems.DE",
            "platform.national_id_systems.FR",
            "platform.national_id_systems.LU",
            "platform.national_id_systems.PT",
            "platform.national_id_systems.lu",
            "platform.poll_interval_s",
        ],
        "{errors}"
    );
    let text = errors.to_string();
    assert!(
        text.contains(
            "platform.national_id_systems.DE (TELECONSULT__PLATFORM__NATIONAL_ID_SYSTEMS__DE): unknown country (LU, FR or PT)"
        ),
        "{text}"
    );
    assert!(
        text.contains("platform.national_id_systems.FR (TELECONSULT__PLATFORM__NATIONAL_ID_SYSTEMS__FR): must be an absolute URI"),
        "{text}"
    );
    // A table is required, and a value must be text.
    let (_dir, path) = file(&format!(
        "{TLS}[platform]\nnational_id_systems = \"urn:oid:1\"\n"
    ));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["platform.national_id_systems"], "{errors}");
    let (_dir, path) = file(&format!("{TLS}[platform.national_id_systems]\nFR = 12\n"));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(
        keys(&errors),
        ["platform.national_id_systems.FR"],
        "{errors}"
    );
}

#[test]
fn identifier_systems_must_be_absolute_uris() {
    for good in [
        "urn:oid:1.2.250.1.213.1.4.8",
        "urn:teleconsult:LU",
        "https://cns.lu/matricule",
        "http://example.org",
    ] {
        assert!(is_identifier_system(good), "{good}");
    }
    for bad in [
        "",
        "urn:",
        "urn:oid",
        "urn::x",
        "urn:oid:",
        "oid:1.2.3",
        "https://",
        "https:///path",
        "http:/x",
        "urn:oid:1.2 3",
        "cns.lu/matricule",
    ] {
        assert!(!is_identifier_system(bad), "{bad:?}");
    }
}

#[test]
fn the_site_id_must_fit_in_document_numbers() {
    for (id, ok) in [
        ("lux-gare", true),
        ("a", true),
        ("sixteen-chars-ok", true),
        ("seventeen-chars-x", false),
        ("-gare", false),
        ("gare-", false),
        ("Gare", false),
        ("", false),
    ] {
        let (_dir, path) = file(&format!("{TLS}[site]\nid = \"{id}\"\n"));
        let result = load(ConfigSource::Explicit(&path), false, &[]);
        match result {
            Ok(_) => assert!(ok, "{id:?} accepted"),
            Err(errors) => {
                assert!(!ok, "{id:?} refused: {errors:?}");
                assert_eq!(keys(&errors), ["site.id"], "{id:?}");
            }
        }
    }
}

#[test]
fn printing_is_off_by_default_and_for_booths_only() {
    let config = load(ConfigSource::None, true, &[]).unwrap();
    assert_eq!(config.print, PrintConfig::default());
    assert!(!config.print.enabled);
    let (_dir, path) = file(&format!(
        "{TLS}[site]\nkind = \"booth\"\n[print]\nenabled = true\nprinter = \"booth-a4\"\n\
         server = \"127.0.0.1:631\"\n"
    ));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    assert!(config.print.enabled);
    assert_eq!(config.print.command, "lp");
    assert_eq!(config.print.server, "127.0.0.1:631");
    let (_dir, path) = file(&format!("{TLS}[print]\nenabled = true\n"));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["print.enabled"], "{errors}");
}

#[test]
fn every_print_mistake_is_reported_at_once() {
    let (_dir, path) = file(&format!(
        "{TLS}[print]\ncommand = \"lp -d x\"\nprinter = \"my printer\"\nserver = \"host:http\"\n\
         timeout_s = 0\npaper = \"A4\"\n"
    ));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    let mut found = keys(&errors);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "print.command",
            "print.paper",
            "print.printer",
            "print.server",
            "print.timeout_s"
        ],
        "{errors}"
    );
    for (server, ok) in [
        ("/run/cups/cups.sock", true),
        ("print.example.lu", true),
        ("[::1]:631", true),
        ("127.0.0.1:0", false),
        ("-h", false),
        ("/", false),
    ] {
        assert_eq!(is_cups_server(server), ok, "{server}");
    }
    let relative = PrintConfig {
        command: "bin/lp".into(),
        ..PrintConfig::default()
    };
    let mut issues = Vec::new();
    validate_print(&relative, SiteKind::Booth, &mut |k: &str, _: &str| {
        issues.push(k.to_owned())
    });
    assert_eq!(issues, ["print.command"]);
}

#[test]
fn demo_mode_listens_on_loopback_unless_started_with_demo_on_network() {
    let listen = |addr: &str| env(&[("TELECONSULT__HTTP__LISTEN", addr)]);
    for addr in ["0.0.0.0:8443", "[::]:8443", "192.0.2.7:8443"] {
        let errors = load(ConfigSource::None, true, &listen(addr)).unwrap_err();
        assert_eq!(keys(&errors), ["http.listen"], "{addr}");
        assert!(errors.to_string().contains("--demo-on-network"));
        let flags = Flags {
            demo: true,
            demo_on_network: true,
        };
        let config = load_with(ConfigSource::None, flags, &listen(addr)).unwrap();
        assert_eq!(warnings(&config, flags)[0].key, "http.listen");
    }
    for addr in [
        "127.0.0.1:8443",
        "127.3.2.1:0",
        "[::1]:8443",
        "[::ffff:127.0.0.1]:8443",
    ] {
        load(ConfigSource::None, true, &listen(addr)).unwrap();
    }
    // Demo mode from the file: the same rule, the demo's loopback default still applies.
    let (_dir, path) = file("[site]\ndemo = true\n[http]\nlisten = \"0.0.0.0:8443\"\n");
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["http.listen"]);
    // Outside demo mode the flag changes nothing (and says so).
    let (_dir, path) = file(&format!("{TLS}listen = \"0.0.0.0:8443\"\n"));
    let flags = Flags {
        demo: false,
        demo_on_network: true,
    };
    let config = load_with(ConfigSource::Explicit(&path), flags, &[]).unwrap();
    assert_eq!(warnings(&config, flags)[0].key, "site.demo");
}

#[test]
fn turn_with_a_secret_takes_no_static_pair_and_a_bounded_ttl() {
    let (_dir, path) = file(&format!(
        "{TLS}[media]\nturn_servers = [\"turn://alice:pw@turn.example.lu:3478\"]\nturn_secret_file = \"/etc/teleconsult/turn.secret\"\nturn_ttl_s = 30\n"
    ));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["media.turn_ttl_s", "media.turn_servers"]);
    // Without a secret the static pair still works, with a deprecation warning.
    let (_dir, path) = file(&format!(
        "{TLS}[media]\nturn_servers = [\"turn://alice:pw@turn.example.lu:3478\"]\n"
    ));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    let warned = warnings(&config, Flags::default());
    assert_eq!(warned[0].key, "media.turn_servers");
    assert!(warned[0].message.contains("deprecated"));
    assert_eq!(config.media.turn_ttl_s, DEFAULT_TURN_TTL_S);
}

#[test]
fn the_idle_timeout_is_15_minutes_5_on_booths_unless_set() {
    let minutes = |c: &Config| c.auth.idle_timeout(c.site.kind).as_secs();
    let config = load(ConfigSource::None, true, &[]).unwrap();
    assert_eq!(minutes(&config), 15 * 60);
    let (_dir, path) = file(&format!("{TLS}[site]\nkind = \"booth\"\n"));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    assert_eq!(minutes(&config), 5 * 60);
    let (_dir, path) = file(&format!(
        "{TLS}[site]\nkind = \"booth\"\n[auth]\nidle_timeout_min = 30\n"
    ));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    assert_eq!(minutes(&config), 30 * 60);
    let vars = env(&[("TELECONSULT__AUTH__IDLE_TIMEOUT_MIN", "0.5")]);
    let config = load(ConfigSource::None, true, &vars).unwrap();
    assert_eq!(minutes(&config), 30);
    for bad in ["0", "481", "\"soon\""] {
        let (_dir, path) = file(&format!("{TLS}[auth]\nidle_timeout_min = {bad}\n"));
        let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
        assert_eq!(keys(&errors), ["auth.idle_timeout_min"], "{bad}: {errors}");
    }
    let (_dir, path) = file(&format!("{TLS}[auth]\nsecond_factor = true\n"));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(
        keys(&errors),
        ["auth.second_factor"],
        "unknown keys are errors"
    );
}

#[test]
fn quotas_have_defaults_and_every_bad_one_is_reported_at_once() {
    let (_dir, path) = file(TLS);
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    let quotas = config.limits.quotas();
    assert_eq!(
        (
            quotas.open_appointments,
            quotas.uploads_per_appointment,
            quotas.uploads_per_day,
            quotas.exports_per_hour
        ),
        (5, 20, 50, 5)
    );
    assert!(quotas.hashing_concurrency >= 1, "the number of cores");

    let (_dir, path) = file(&format!(
        "{TLS}[limits]\nopen_appointments_per_account = 0\nuploads_per_appointment = 0\n\
         uploads_per_day = 0\nexports_per_hour = 0\npassword_hashing_concurrency = 65\n"
    ));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    let mut found = keys(&errors);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "limits.exports_per_hour",
            "limits.open_appointments_per_account",
            "limits.password_hashing_concurrency",
            "limits.uploads_per_appointment",
            "limits.uploads_per_day"
        ],
        "{errors}"
    );

    let config = load(
        ConfigSource::Explicit(&file(TLS).1),
        false,
        &env(&[
            ("TELECONSULT__LIMITS__PASSWORD_HASHING_CONCURRENCY", "3"),
            ("TELECONSULT__LIMITS__OPEN_APPOINTMENTS_PER_ACCOUNT", "12"),
        ]),
    );
    let quotas = config.unwrap().limits.quotas();
    assert_eq!(
        (quotas.hashing_concurrency, quotas.open_appointments),
        (3, 12)
    );
}

#[test]
fn the_storage_reserve_check_interval_and_contact_are_checked_together() {
    let config = load(ConfigSource::None, true, &[]).unwrap();
    let reserve = config.storage.reserve();
    assert_eq!((reserve.min_bytes, reserve.percent), (200 * 1024 * 1024, 5));
    assert_eq!(config.storage.check_interval_h, 24);
    assert_eq!(config.admin.contact, None);
    let (_dir, path) = file(&format!(
        "{TLS}[storage]\nreserve_mb = 16\nreserve_percent = 0\ncheck_interval_h = 0\n\
         [admin]\ncontact = \"IT desk, +352 12 34 56\"\n"
    ));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    assert_eq!(config.storage.reserve().min_bytes, 16 * 1024 * 1024);
    assert_eq!(
        config.admin.contact.as_deref(),
        Some("IT desk, +352 12 34 56")
    );
    let errors = load(
        ConfigSource::Explicit(&path),
        false,
        &env(&[
            ("TELECONSULT__STORAGE__RESERVE_PERCENT", "60"),
            ("TELECONSULT__STORAGE__CHECK_INTERVAL_H", "721"),
            ("TELECONSULT__ADMIN__CONTACT", "line one\nline two"),
        ]),
    )
    .unwrap_err();
    assert_eq!(
        keys(&errors),
        [
            "storage.reserve_percent",
            "storage.check_interval_h",
            "admin.contact"
        ]
    );
}

#[test]
fn the_video_bitrate_range_is_checked_min_against_max() {
    let config = load(ConfigSource::None, true, &[]).unwrap();
    assert_eq!(
        (config.media.min_bitrate_kbps, config.media.max_bitrate_kbps),
        (150, 2500)
    );
    for (min, max) in [(20, 2500), (900, 800)] {
        let (_dir, path) = file(&format!(
            "{TLS}[media]\nmin_bitrate_kbps = {min}\nmax_bitrate_kbps = {max}\n"
        ));
        let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
        assert_eq!(keys(&errors), ["media.min_bitrate_kbps"], "{min} {max}");
    }
    // A bad maximum is reported alone: the minimum is not judged against it.
    let (_dir, path) = file(&format!("{TLS}[media]\nmax_bitrate_kbps = 5\n"));
    let errors = load(ConfigSource::Explicit(&path), false, &[]).unwrap_err();
    assert_eq!(keys(&errors), ["media.max_bitrate_kbps"]);
    let (_dir, path) = file(&format!(
        "{TLS}[media]\nmin_bitrate_kbps = 300\nmax_bitrate_kbps = 1200\n"
    ));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    let settings = crate::booth::media_settings(&config);
    assert_eq!(
        (settings.min_bitrate_kbps, settings.max_bitrate_kbps),
        (300, 1200)
    );
}

#[test]
fn the_degradation_order_is_a_site_choice_and_a_typo_is_refused() {
    let config = load(ConfigSource::None, true, &[]).unwrap();
    assert_eq!(
        crate::booth::media_settings(&config).degradation,
        Some(teleconsult_media::Degradation::MaintainFramerate)
    );
    let (_dir, path) = file(&format!(
        "{TLS}[media]\ndegradation = \"maintain_resolution\"\n"
    ));
    let config = load(ConfigSource::Explicit(&path), false, &[]).unwrap();
    assert_eq!(
        crate::booth::media_settings(&config).degradation,
        Some(teleconsult_media::Degradation::MaintainResolution)
    );
    let (_dir, path) = file(&format!("{TLS}[media]\ndegradation = \"sharp\"\n"));
    assert!(load(ConfigSource::Explicit(&path), false, &[]).is_err());
}
