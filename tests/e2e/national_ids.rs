//! Real people register with their national id: ids whose check digits an implementation apart
//! from ours computed (python-stdnum, in core's test data) are accepted through the API. The
//! fixture ids of the other tests are completed by our own validator, so they could never show a
//! mistake in its tables (one in the Verhoeff table refused about three Luxembourg ids in ten).

use serde_json::Value;
use teleconsult_tests::accounts::registration;
use teleconsult_tests::{Daemon, DaemonOptions};

const LU_IDS: &str = include_str!("../../core/src/national_id/testdata/lu_python_stdnum.txt");

#[tokio::test]
async fn people_register_with_luxembourg_ids_computed_elsewhere() -> anyhow::Result<()> {
    let daemon = Daemon::start(DaemonOptions {
        extra_config: "[limits]\nregister_per_hour = 1000\n".into(),
        ..Default::default()
    })
    .await?;
    // Born on a real day (month and day known): the 30 first of the file.
    let ids: Vec<&str> = LU_IDS
        .lines()
        .filter(|l| !l.starts_with('#') && &l[4..6] != "00" && &l[6..8] != "00")
        .take(30)
        .collect();
    assert_eq!(ids.len(), 30);
    let mut refused = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let mut form = registration(900 + u32::try_from(n)?);
        form["national_id"] = Value::from(*id);
        form["birth_date"] = Value::from(format!("{}-{}-{}", &id[0..4], &id[4..6], &id[6..8]));
        let response = daemon
            .client
            .post(daemon.url("/api/v1/patients"))
            .json(&form)
            .send()
            .await?;
        let status = response.status().as_u16();
        if status != 201 {
            refused.push(format!("{id}: {status} {}", response.text().await?));
        }
    }
    assert!(
        refused.is_empty(),
        "valid ids refused:\n{}",
        refused.join("\n")
    );
    Ok(())
}
