//! The site e2e tests start from: a real daemon delivering to real message sinks (SMTP and
//! SMS), and the people who use it — demo accounts and test patients — logged in through the
//! real login (password, then the code read from the SMS sink). One fixture for every file.

use crate::accounts::{Login, PASSWORD, login, phone, register_and_activate, registration};
use crate::sinks::{SmsSink, SmtpSink};
use crate::{Daemon, DaemonOptions};

/// A demo site's seeded account (see `daemon/src/demo.rs`).
#[derive(Clone, Copy, Debug)]
pub struct DemoAccount {
    pub login: &'static str,
    pub password: &'static str,
    /// Where its login codes go.
    pub phone: &'static str,
}

/// Lea Demo, the demo site's patient.
pub const DEMO_PATIENT: DemoAccount = DemoAccount {
    login: "patient@demo.invalid",
    password: "demo patient 2026",
    phone: "+352621000001",
};
/// Dr Anne Weber, general practitioner ([`crate::booking::DR_WEBER`]).
pub const WEBER: DemoAccount = DemoAccount {
    login: "dr.weber",
    password: "demo doctor 2026",
    phone: "+352621000002",
};
/// Dr João Ferreira, general practitioner ([`crate::booking::DR_FERREIRA`]).
pub const FERREIRA: DemoAccount = DemoAccount {
    login: "dr.ferreira",
    password: "demo doctor 2026",
    phone: "+352621000003",
};
pub const STAFF: DemoAccount = DemoAccount {
    login: "staff",
    password: "demo staff 2026",
    phone: "+352621000004",
};
pub const PHARMACIST: DemoAccount = DemoAccount {
    login: "pharmacist",
    password: "demo pharmacist 2026",
    phone: "+352621000005",
};
pub const ADMIN: DemoAccount = DemoAccount {
    login: "admin",
    password: "demo admin 2026",
    phone: "+352621000006",
};

/// Rate limits high enough for tests that register and log in many people from one address.
pub const LIFTED_LIMITS: &str =
    "[limits]\nregister_per_hour = 1000\nlogin_per_minute = 1000\notp_per_minute = 1000\n";

/// A daemon with its SMTP and SMS sinks.
pub struct Site {
    pub daemon: Daemon,
    pub smtp: SmtpSink,
    pub sms: SmsSink,
}

impl std::ops::Deref for Site {
    type Target = Daemon;

    fn deref(&self) -> &Daemon {
        &self.daemon
    }
}

impl std::ops::DerefMut for Site {
    fn deref_mut(&mut self) -> &mut Daemon {
        &mut self.daemon
    }
}

impl Site {
    /// A demo site (seeded practitioners, schedules and accounts) with lifted rate limits and
    /// `extra` configuration appended.
    pub async fn demo(extra: &str) -> anyhow::Result<Self> {
        Self::start(true, &format!("{LIFTED_LIMITS}\n{extra}")).await
    }

    /// A site installed for real (its own storage key and certificate, no demo data), with
    /// `extra` configuration appended (the daemon's own rate limits unless it sets them).
    pub async fn real(extra: &str) -> anyhow::Result<Self> {
        Self::start(false, extra).await
    }

    async fn start(demo: bool, extra: &str) -> anyhow::Result<Self> {
        let smtp = SmtpSink::start()?;
        let sms = SmsSink::start().await?;
        let daemon = Daemon::start(DaemonOptions {
            demo,
            extra_config: format!("{}\n{extra}", crate::accounts::sinks_config(&smtp, &sms)),
            ..Default::default()
        })
        .await?;
        Ok(Self { daemon, smtp, sms })
    }

    /// Registers and activates test patient `n` (see [`registration`]); returns their id.
    pub async fn register(&self, n: u32) -> anyhow::Result<String> {
        register_and_activate(&self.daemon, &self.smtp, &registration(n)).await
    }

    /// Registers, activates and logs in test patient `n`.
    pub async fn patient(&self, n: u32) -> anyhow::Result<Login> {
        self.register(n).await?;
        self.login_patient(n).await
    }

    /// Logs in test patient `n` (already registered).
    pub async fn login_patient(&self, n: u32) -> anyhow::Result<Login> {
        self.login_as(&format!("patient{n}@example.lu"), PASSWORD, &phone(n))
            .await
    }

    /// Logs in a demo account.
    pub async fn login(&self, account: &DemoAccount) -> anyhow::Result<Login> {
        self.login_as(account.login, account.password, account.phone)
            .await
    }

    /// Logs in with `login` and `password`, the code read from the next SMS to `phone`.
    pub async fn login_as(
        &self,
        login_name: &str,
        password: &str,
        phone: &str,
    ) -> anyhow::Result<Login> {
        let before = self.sms_count(phone);
        login(&self.daemon, &self.sms, login_name, password, phone, before).await
    }

    /// How many text messages `phone` received so far.
    pub fn sms_count(&self, phone: &str) -> usize {
        self.sms
            .messages()
            .iter()
            .filter(|m| m["to"] == phone)
            .count()
    }
}

/// A clinic demo site for the call tests (attachments limited to 1 MB) where Dr Weber is open
/// all day with one-minute slots, with staff, Dr Weber, Dr Ferreira (a practitioner of no
/// appointment) and two patients (`n`, the owner, and `n + 1`, a stranger) logged in.
pub struct Clinic {
    pub site: Site,
    pub staff: Login,
    pub weber: Login,
    pub ferreira: Login,
    pub owner: Login,
    pub stranger: Login,
}

/// The configuration of a demo site of `kind` (`clinic` or `booth`) for calls: attachments
/// limited to 1 MB.
pub fn call_site(kind: &str) -> String {
    format!("[media]\nattachment_max_mb = 1\n\n[site]\nkind = \"{kind}\"\n")
}

impl Site {
    /// A demo site of `kind` (`clinic` or `booth`) for calls ([`call_site`]) where Dr Weber is
    /// open all day with one-minute slots, and its staff logged in.
    pub async fn for_calls(kind: &str) -> anyhow::Result<(Self, Login)> {
        let site = Self::demo(&call_site(kind)).await?;
        let staff = site.login(&STAFF).await?;
        crate::booking::open_all_day(
            &site,
            &staff,
            crate::booking::DR_WEBER,
            1,
            &["video", "audio"],
        )
        .await?;
        Ok((site, staff))
    }

    /// See [`Clinic`].
    pub async fn clinic(n: u32) -> anyhow::Result<Clinic> {
        let (site, staff) = Self::for_calls("clinic").await?;
        let weber = site.login(&WEBER).await?;
        let ferreira = site.login(&FERREIRA).await?;
        let owner = site.patient(n).await?;
        let stranger = site.patient(n + 1).await?;
        Ok(Clinic {
            site,
            staff,
            weber,
            ferreira,
            owner,
            stranger,
        })
    }
}
