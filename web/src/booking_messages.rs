//! The messages of the booking life cycle (confirmation, reminder, cancellation), in the
//! booker's language: SMS and e-mail, the confirmation with an `.ics` invitation. They name the
//! practitioner and the time, never the reason.

use teleconsult_app::Contact;
use teleconsult_core::Timestamp;
use teleconsult_core::appointment::Appointment;
use teleconsult_core::calendar::{Invitation, ics};
use teleconsult_core::notification::{Attachment, Notification};
use teleconsult_core::schedule::ConsultationMode;

/// What the messages need to know of the site.
#[derive(Clone, Copy, Debug)]
pub struct Site<'a> {
    pub name: &'a str,
    pub time_zone: &'a str,
    /// The site's e-mail address, organizer of the calendar invitations.
    pub organizer: &'a str,
}

impl<'a> From<&'a crate::state::Inner> for Site<'a> {
    fn from(inner: &'a crate::state::Inner) -> Self {
        Self {
            name: &inner.settings.site_name,
            time_zone: &inner.settings.time_zone,
            organizer: &inner.settings.organizer,
        }
    }
}

fn when(site: Site<'_>, t: Timestamp) -> String {
    let zone = jiff::tz::TimeZone::get(site.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned_datetime(zone)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The SMS and the e-mail of one life-cycle step (`booked`, `reminder`, `cancelled`).
fn pair(
    site: Site<'_>,
    to: &Contact,
    step: &str,
    a: &Appointment,
    practitioner: &str,
    link: &str,
    now: Timestamp,
) -> Vec<Notification> {
    let l = to.language;
    let mode_id = match a.mode {
        ConsultationMode::Video => "mode-video",
        ConsultationMode::Audio => "mode-audio",
    };
    let mode = crate::i18n::text(l, mode_id, &[]);
    let when = when(site, a.start);
    let args = crate::i18n::Args::new(&[
        ("site", site.name),
        ("name", to.name.as_str()),
        ("practitioner", practitioner),
        ("when", when.as_str()),
        ("link", link),
        ("mode", mode.as_str()),
    ]);
    let mut out = Vec::new();
    if !to.phone.is_empty() {
        out.push(Notification::sms(
            to.phone.clone(),
            crate::i18n::text_with(l, &format!("sms-{step}"), &args),
            now,
        ));
    }
    if !to.email.is_empty() {
        out.push(Notification::email(
            to.email.clone(),
            crate::i18n::text_with(l, &format!("email-{step}-subject"), &args),
            crate::i18n::text_with(l, &format!("email-{step}-body"), &args),
            now,
        ));
    }
    out
}

fn with_invitation(
    mut messages: Vec<Notification>,
    site: Site<'_>,
    a: &Appointment,
    practitioner: &str,
    link: &str,
    now: Timestamp,
    cancelled: bool,
) -> Vec<Notification> {
    let invitation = Invitation {
        practitioner_name: practitioner,
        site_name: site.name,
        organizer: site.organizer,
        url: link,
        now,
        cancelled,
    };
    let attachment = Attachment {
        filename: "teleconsultation.ics".into(),
        // RFC 6047 (iMIP): the iTIP method is also a parameter of the MIME type.
        content_type: format!(
            "text/calendar; method={}; charset=utf-8",
            teleconsult_core::calendar::METHOD
        ),
        content: ics(a, &invitation),
    };
    for m in &mut messages {
        if m.channel == teleconsult_core::notification::Channel::Email {
            m.attachments.push(attachment.clone());
        }
    }
    messages
}

/// Confirmation of a booking (with the invitation).
pub fn booked<'a>(
    site: impl Into<Site<'a>>,
    to: &Contact,
    a: &Appointment,
    practitioner: &str,
    link: &str,
    now: Timestamp,
) -> Vec<Notification> {
    let site = site.into();
    with_invitation(
        pair(site, to, "booked", a, practitioner, link, now),
        site,
        a,
        practitioner,
        link,
        now,
        false,
    )
}

/// A reminder before the start.
pub fn reminder<'a>(
    site: impl Into<Site<'a>>,
    to: &Contact,
    a: &Appointment,
    practitioner: &str,
    link: &str,
    now: Timestamp,
) -> Vec<Notification> {
    pair(site.into(), to, "reminder", a, practitioner, link, now)
}

/// Notice of a cancellation (with the cancelling invitation).
pub fn cancelled<'a>(
    site: impl Into<Site<'a>>,
    to: &Contact,
    a: &Appointment,
    practitioner: &str,
    link: &str,
    now: Timestamp,
) -> Vec<Notification> {
    let site = site.into();
    with_invitation(
        pair(site, to, "cancelled", a, practitioner, link, now),
        site,
        a,
        practitioner,
        link,
        now,
        true,
    )
}

/// A practitioner took the patient waiting at home: join now (SMS and e-mail, no reason).
pub fn ready<'a>(
    site: impl Into<Site<'a>>,
    to: &Contact,
    a: &Appointment,
    practitioner: &str,
    link: &str,
    now: Timestamp,
) -> Vec<Notification> {
    pair(site.into(), to, "queue-ready", a, practitioner, link, now)
}

/// The texts of the application's messages ([`teleconsult_app::Texts`]), from this crate's
/// translations: the same messages as the API's own, links to the appointment's page.
#[derive(Clone, Debug)]
pub struct WebTexts {
    pub site_name: String,
    pub time_zone: String,
    pub organizer: String,
    /// Base of the links (`https://host:port`).
    pub public_url: String,
}

impl WebTexts {
    fn site(&self) -> Site<'_> {
        Site {
            name: &self.site_name,
            time_zone: &self.time_zone,
            organizer: &self.organizer,
        }
    }

    fn link(&self, a: &Appointment) -> String {
        format!("{}/appointments/{}", self.public_url, a.id)
    }
}

impl teleconsult_app::Texts for WebTexts {
    fn booked(
        &self,
        to: &Contact,
        a: &Appointment,
        practitioner: &str,
        now: Timestamp,
    ) -> Vec<Notification> {
        booked(self.site(), to, a, practitioner, &self.link(a), now)
    }

    fn cancelled(
        &self,
        to: &Contact,
        a: &Appointment,
        practitioner: &str,
        now: Timestamp,
    ) -> Vec<Notification> {
        cancelled(self.site(), to, a, practitioner, &self.link(a), now)
    }

    fn ready(
        &self,
        to: &Contact,
        a: &Appointment,
        practitioner: &str,
        now: Timestamp,
    ) -> Vec<Notification> {
        ready(self.site(), to, a, practitioner, &self.link(a), now)
    }

    fn message_waiting(
        &self,
        to: &Contact,
        patient: teleconsult_core::ids::PatientId,
        practitioner: teleconsult_core::ids::PractitionerId,
        now: Timestamp,
    ) -> Vec<Notification> {
        let link = format!("{}/messages/{patient}/{practitioner}", self.public_url);
        let args = [
            ("site", self.site_name.as_str()),
            ("name", to.name.as_str()),
            ("link", link.as_str()),
        ];
        vec![Notification::email(
            to.email.clone(),
            crate::i18n::text(to.language, "email-message-subject", &args),
            crate::i18n::text(to.language, "email-message-body", &args),
            now,
        )]
    }

    fn registration(
        &self,
        to: &Contact,
        message: teleconsult_app::registration::RegistrationMessage<'_>,
        now: Timestamp,
    ) -> Notification {
        use teleconsult_app::registration::RegistrationMessage as M;
        let site = self.site_name.as_str();
        let reset_link = format!("{}/password-reset", self.public_url);
        let (subject, body, link) = match message {
            M::Activation { token } => (
                "email-activation-subject",
                "email-activation-body",
                format!("{}/activate?token={token}", self.public_url),
            ),
            M::EmailTaken => (
                "email-registration-taken-subject",
                "email-registration-taken-body",
                reset_link,
            ),
            M::NotCompleted => (
                "email-registration-incomplete-subject",
                "email-registration-incomplete-body",
                String::new(),
            ),
            M::NationalIdTried => (
                "email-national-id-tried-subject",
                "email-national-id-tried-body",
                reset_link,
            ),
        };
        let args = [("site", site), ("name", to.name.as_str()), ("link", &link)];
        Notification::email(
            to.email.clone(),
            crate::i18n::text(to.language, subject, &[("site", site)]),
            crate::i18n::text(to.language, body, &args),
            now,
        )
    }

    fn confirmation_code(
        &self,
        to: &Contact,
        purpose: teleconsult_core::account::ConfirmationPurpose,
        code: &str,
        now: Timestamp,
    ) -> Notification {
        let text_id = match purpose {
            teleconsult_core::account::ConfirmationPurpose::ContactChange => {
                "sms-confirm-contact-change"
            }
            teleconsult_core::account::ConfirmationPurpose::Erasure => "sms-confirm-erasure",
        };
        let text = crate::i18n::text(
            to.language,
            text_id,
            &[("site", &self.site_name), ("code", code)],
        );
        Notification::sms(to.phone.clone(), text, now)
    }

    fn contact_changed(
        &self,
        to: &Contact,
        new_phone: Option<&str>,
        new_email: Option<&str>,
        now: Timestamp,
    ) -> Vec<Notification> {
        crate::me_confirm::change_notices(&self.site_name, to, new_phone, new_email, now)
    }

    fn erased(&self, to: &Contact, now: Timestamp) -> Notification {
        crate::me_confirm::erasure_notice(&self.site_name, to, now)
    }

    fn login_code(&self, to: &Contact, code: &str, now: Timestamp) -> Notification {
        let text = crate::i18n::text(
            to.language,
            "sms-login-code",
            &[("site", &self.site_name), ("code", code)],
        );
        Notification::sms(to.phone.clone(), text, now)
    }

    fn password_reset_link(&self, to: &Contact, token: &str, now: Timestamp) -> Notification {
        let link = format!("{}/password-reset?token={token}", self.public_url);
        let site = self.site_name.as_str();
        Notification::email(
            to.email.clone(),
            crate::i18n::text(to.language, "email-reset-subject", &[("site", site)]),
            crate::i18n::text(
                to.language,
                "email-reset-body",
                &[("site", site), ("name", &to.name), ("link", &link)],
            ),
            now,
        )
    }

    fn authenticator_changed(
        &self,
        to: &Contact,
        change: teleconsult_app::authenticator::AuthenticatorChange,
        now: Timestamp,
    ) -> Notification {
        let body = match change {
            teleconsult_app::authenticator::AuthenticatorChange::SetUp => {
                "email-totp-enrolled-body"
            }
            teleconsult_app::authenticator::AuthenticatorChange::Removed => {
                "email-totp-removed-body"
            }
        };
        crate::totp::notice(&self.site_name, to, body, now)
    }

    fn authenticator_reset(&self, to: &Contact, now: Timestamp) -> Vec<Notification> {
        vec![crate::totp::reset_notice(&self.site_name, to, now)]
    }

    fn left_the_booth(&self, language: teleconsult_core::site::Language) -> String {
        crate::i18n::text(language, "queue-left-the-booth", &[])
    }
}
