//! Identifier systems and code systems: which namespace each identifier the site sends lives in.
//!
//! National identifier systems differ per country and are set by each national platform, so
//! they are configuration with defaults; the site's own identifiers (appointments, outbox keys,
//! practitioners) live under one base URI per site, so two sites never collide.

use std::collections::BTreeMap;
use teleconsult_core::document::DocumentKind;
use teleconsult_core::national_id::Country;

/// LOINC, for document types.
pub const LOINC: &str = "http://loinc.org";
/// BCP 47 language tags.
pub const BCP47: &str = "urn:ietf:bcp:47";
/// HL7 v3 ParticipationMode (`VIDEOCONF`, `PHONE`): how a consultation is held.
pub const PARTICIPATION_MODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode";
/// HL7 participant types (`PPRF` primary performer, `SBJ` subject... ).
pub const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
/// IETF media type, for `DocumentReference.content.format` fall-back.
pub const MEDIA_TYPE_PDF: &str = "application/pdf";

/// Where each identifier the site sends comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentifierSystems {
    /// Patient national identifier system per issuing country.
    pub national_id: BTreeMap<Country, String>,
    /// Base of the site's own identifier systems, e.g. `urn:teleconsult:LUX-GARE`; systems
    /// are `<base>:outbox`, `<base>:appointment`, `<base>:practitioner`, ...
    pub site_base: String,
}

impl IdentifierSystems {
    /// Defaults for site `site` (its code, as in `[site] id`).
    ///
    /// National systems: France's INS-NIR OID is official; the Luxembourg and Portugal values are
    /// placeholders until the national platforms publish theirs — override them in configuration.
    pub fn for_site(site: &str) -> Self {
        let national_id = BTreeMap::from([
            (Country::LU, "urn:oid:1.3.182.4.4".to_owned()),
            (Country::FR, "urn:oid:1.2.250.1.213.1.4.8".to_owned()),
            (Country::PT, "urn:oid:2.16.620.1.101.10.1".to_owned()),
        ]);
        IdentifierSystems {
            national_id,
            site_base: format!("urn:teleconsult:{}", site.to_ascii_uppercase()),
        }
    }

    /// These defaults with the national identifier systems the site configured
    /// (`[platform] national_id_systems`) put in place of the built-in ones.
    ///
    /// Patients are matched on the platform by `system|value`: changing a country's system on a
    /// site that already synced makes its patients new ones there.
    pub fn with_national_systems(
        mut self,
        configured: impl IntoIterator<Item = (Country, String)>,
    ) -> Self {
        self.national_id.extend(configured);
        self
    }

    pub fn national(&self, country: Country) -> String {
        self.national_id
            .get(&country)
            .cloned()
            .unwrap_or_else(|| format!("{}:national-id:{}", self.site_base, country.code()))
    }

    /// The namespace of outbox idempotency keys: every resource created from a message carries
    /// `outbox|<idempotency key>`, which is what `If-None-Exist` matches on.
    pub fn outbox(&self) -> String {
        format!("{}:outbox", self.site_base)
    }

    pub fn local(&self, kind: &str) -> String {
        format!("{}:{kind}", self.site_base)
    }
}

/// `DocumentReference.type` for a document kind: LOINC where a code fits, else the site's own
/// system.
pub fn document_type(
    kind: DocumentKind,
    systems: &IdentifierSystems,
) -> (String, &'static str, &'static str) {
    match kind {
        DocumentKind::Prescription => (LOINC.to_owned(), "57833-6", "Prescription for medication"),
        DocumentKind::LabRequest => (
            LOINC.to_owned(),
            "57832-8",
            "Prescription for diagnostic or specialist care",
        ),
        DocumentKind::ConsultationReport => (LOINC.to_owned(), "11488-4", "Consult note"),
        DocumentKind::SickLeaveCertificate => (
            systems.local("document-kind"),
            "sick_leave_certificate",
            "Sick-leave certificate",
        ),
        DocumentKind::FeeMemo => (systems.local("document-kind"), "fee_memo", "Fee memo"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_systems_are_namespaced_by_site() {
        let a = IdentifierSystems::for_site("lux-gare");
        let b = IdentifierSystems::for_site("LUX-KIRCHBERG");
        assert_eq!(a.outbox(), "urn:teleconsult:LUX-GARE:outbox");
        assert_ne!(a.local("appointment"), b.local("appointment"));
        assert_eq!(a.national(Country::FR), "urn:oid:1.2.250.1.213.1.4.8");
    }

    #[test]
    fn configured_national_systems_replace_only_their_country() {
        let s = IdentifierSystems::for_site("x")
            .with_national_systems([(Country::LU, "urn:oid:1.2.3.4".to_owned())]);
        assert_eq!(s.national(Country::LU), "urn:oid:1.2.3.4");
        assert_eq!(s.national(Country::FR), "urn:oid:1.2.250.1.213.1.4.8");
        assert_eq!(s.national(Country::PT), "urn:oid:2.16.620.1.101.10.1");
    }

    #[test]
    fn national_systems_are_configurable() {
        let mut s = IdentifierSystems::for_site("x");
        s.national_id
            .insert(Country::LU, "https://cns.lu/matricule".into());
        assert_eq!(s.national(Country::LU), "https://cns.lu/matricule");
        s.national_id.clear();
        assert_eq!(s.national(Country::PT), "urn:teleconsult:X:national-id:PT");
    }
}
