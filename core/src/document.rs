//! Documents a practitioner issues after a consultation, their numbering and their life cycle.
//!
//! Why here: the number printed on a document is a legal reference (pharmacists and insurers
//! quote it), so it must be unique per site, gap-free in practice, and computed identically by
//! every adapter; and which part of a sick-leave certificate shows what is a data-protection
//! rule, not a template detail.

use crate::Timestamp;
use crate::ids::{AppointmentId, DocumentId, PatientId, PractitionerId};
use crate::site::{SiteError, normalise_site_code};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub mod content;
pub mod issued;

pub use content::{
    ConsultationReport, DocumentContent, FeeAct, FeeMemo, FieldErrors, LabRequest, Laboratory,
    Prescription, PrescriptionItem, SickLeave,
};
pub use issued::{DispenseError, Dispensed, IssuedDocument, PaidBy, Payment, PaymentError};

/// What was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Medicines (*ordonnance*).
    Prescription,
    /// Laboratory tests (*demande d'analyses*).
    LabRequest,
    /// Sick-leave certificate (*certificat d'incapacité de travail*, *arrêt de travail*).
    SickLeaveCertificate,
    /// Fee memo (*mémoire d'honoraires*): what the patient paid, for reimbursement.
    FeeMemo,
    /// Consultation report for the patient's file or their regular doctor.
    ConsultationReport,
}

/// The copies of a sick-leave certificate; each goes to a different reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SickLeavePart {
    /// Copy for the health insurer (CNS, CPAM, ...), which pays the sick pay and controls it.
    Insurer,
    /// The patient's own copy.
    Patient,
    /// Copy for the employer: proves the absence, tells nothing about health.
    Employer,
}

/// A piece of information printed on a sick-leave certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SickLeaveField {
    PatientName,
    PatientNationalId,
    /// First and last day of incapacity.
    IncapacityPeriod,
    /// Medical reason. Health data: never on the employer's copy.
    Diagnosis,
    /// Whether and when the patient may leave home (used by the insurer's controls).
    OutingsAllowed,
    PractitionerIdentity,
    IssueDate,
    DocumentNumber,
}

impl SickLeavePart {
    pub const ALL: [SickLeavePart; 3] = [
        SickLeavePart::Insurer,
        SickLeavePart::Patient,
        SickLeavePart::Employer,
    ];

    /// The fields this part may show.
    ///
    /// Decision (data minimisation, GDPR art. 5(1)(c)): the employer's copy shows only what
    /// proves the absence — who, when, certified by whom — and never the diagnosis or the
    /// outings regime, which only the insurer needs. Insurer and patient copies show everything.
    pub const fn fields(self) -> &'static [SickLeaveField] {
        use SickLeaveField::*;
        match self {
            SickLeavePart::Insurer | SickLeavePart::Patient => &[
                PatientName,
                PatientNationalId,
                IncapacityPeriod,
                Diagnosis,
                OutingsAllowed,
                PractitionerIdentity,
                IssueDate,
                DocumentNumber,
            ],
            SickLeavePart::Employer => &[
                PatientName,
                PatientNationalId,
                IncapacityPeriod,
                PractitionerIdentity,
                IssueDate,
                DocumentNumber,
            ],
        }
    }

    /// Whether this part may show `field`.
    pub fn shows(self, field: SickLeaveField) -> bool {
        self.fields().contains(&field)
    }

    /// The part's number on the paper form (*volet* 1, 2, 3).
    pub const fn number(self) -> u8 {
        match self {
            SickLeavePart::Insurer => 1,
            SickLeavePart::Patient => 2,
            SickLeavePart::Employer => 3,
        }
    }

    /// The snake_case name used in URLs and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            SickLeavePart::Insurer => "insurer",
            SickLeavePart::Patient => "patient",
            SickLeavePart::Employer => "employer",
        }
    }
}

/// The text is neither a part number nor a part name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown part {0:?}: expected 1 (insurer), 2 (patient) or 3 (employer)")]
pub struct UnknownPart(pub String);

impl FromStr for SickLeavePart {
    type Err = UnknownPart;

    /// `1`/`insurer`, `2`/`patient`, `3`/`employer`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        SickLeavePart::ALL
            .into_iter()
            .find(|p| p.name() == wanted || p.number().to_string() == wanted)
            .ok_or_else(|| UnknownPart(s.to_owned()))
    }
}

/// Highest sequence number in a year: six digits keep numbers sortable as text.
pub const MAX_SEQUENCE: u32 = 999_999;

/// A document number, unique per site: `SITE-2026-000123` (site code, year of issue, sequence
/// restarting at 1 every year).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentNumber {
    site: String,
    year: i16,
    sequence: u32,
}

/// Why a document number could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentNumberError {
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error("year {0} is not a four-digit year")]
    Year(i16),
    #[error("sequence {0} is out of range: it must be between 1 and {MAX_SEQUENCE}")]
    Sequence(u32),
    #[error(
        "the site has issued {MAX_SEQUENCE} documents this year: no number is left (contact support)"
    )]
    Exhausted,
    #[error("the last number issued is from {last_year}, after {year}: is the system clock wrong?")]
    YearWentBackwards { year: i16, last_year: i16 },
    #[error("the last number belongs to site {other}, not {site}")]
    OtherSite { site: String, other: String },
    #[error("{0:?} is not a document number of the form SITE-YYYY-NNNNNN")]
    Malformed(String),
}

impl DocumentNumber {
    /// A number from its parts; the site code is upper-cased.
    pub fn new(site: &str, year: i16, sequence: u32) -> Result<Self, DocumentNumberError> {
        let site = normalise_site_code(site)?;
        if !(1000..=9999).contains(&year) {
            return Err(DocumentNumberError::Year(year));
        }
        if !(1..=MAX_SEQUENCE).contains(&sequence) {
            return Err(DocumentNumberError::Sequence(sequence));
        }
        Ok(DocumentNumber {
            site,
            year,
            sequence,
        })
    }

    /// The number to issue next at `site` in `year`, given the last one issued there (if any):
    /// the next sequence in the same year, 1 in a new year.
    pub fn next(
        site: &str,
        year: i16,
        last: Option<&DocumentNumber>,
    ) -> Result<Self, DocumentNumberError> {
        let site = normalise_site_code(site)?;
        let sequence = match last {
            None => 1,
            Some(last) if last.site != site => {
                return Err(DocumentNumberError::OtherSite {
                    site,
                    other: last.site.clone(),
                });
            }
            Some(last) if last.year > year => {
                return Err(DocumentNumberError::YearWentBackwards {
                    year,
                    last_year: last.year,
                });
            }
            Some(last) if last.year < year => 1,
            Some(last) if last.sequence >= MAX_SEQUENCE => {
                return Err(DocumentNumberError::Exhausted);
            }
            Some(last) => last.sequence + 1,
        };
        DocumentNumber::new(&site, year, sequence)
    }

    pub fn site(&self) -> &str {
        &self.site
    }

    pub fn year(&self) -> i16 {
        self.year
    }

    pub fn sequence(&self) -> u32 {
        self.sequence
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.site, self.year, self.sequence)
    }
}

impl FromStr for DocumentNumber {
    type Err = DocumentNumberError;

    /// Parses `SITE-YYYY-NNNNNN` (the site code may itself contain dashes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || DocumentNumberError::Malformed(s.to_owned());
        let mut parts = s.rsplitn(3, '-');
        let (Some(sequence), Some(year), Some(site)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(sequence, 6) || !digits(year, 4) {
            return Err(malformed());
        }
        let year = year.parse().map_err(|_| malformed())?;
        let sequence = sequence.parse().map_err(|_| malformed())?;
        DocumentNumber::new(site, year, sequence)
    }
}

impl TryFrom<String> for DocumentNumber {
    type Error = DocumentNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DocumentNumber> for String {
    fn from(n: DocumentNumber) -> Self {
        n.to_string()
    }
}

/// Whether a document is the current version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DocumentStatus {
    Issued,
    /// Replaced by a corrected document; kept, never deleted (it may have been used already).
    Superseded {
        by: DocumentId,
        at: Timestamp,
    },
}

/// An issued document (the PDF itself is stored separately).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub number: DocumentNumber,
    pub kind: DocumentKind,
    pub appointment: AppointmentId,
    pub patient: PatientId,
    pub practitioner: PractitionerId,
    pub issued_at: Timestamp,
    pub status: DocumentStatus,
}

/// Why a document cannot be superseded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupersedeError {
    #[error("this document was already replaced by document {by}: correct that one instead")]
    AlreadySuperseded { by: DocumentId },
    #[error("a document cannot replace itself")]
    SameDocument,
    #[error("a {replacement:?} cannot replace a {original:?}: issue it as a new document")]
    KindMismatch {
        original: DocumentKind,
        replacement: DocumentKind,
    },
    #[error("the replacement is for another patient")]
    PatientMismatch,
    #[error("items of this prescription were dispensed already: it can no longer be corrected")]
    AlreadyDispensed,
    #[error("the replacement does not name the document it corrects")]
    NotLinked,
}

/// Marks `original` as replaced by `replacement` at `at`.
pub fn supersede(
    original: &Document,
    replacement: &Document,
    at: Timestamp,
) -> Result<Document, SupersedeError> {
    if let DocumentStatus::Superseded { by, .. } = original.status {
        return Err(SupersedeError::AlreadySuperseded { by });
    }
    if original.id == replacement.id {
        return Err(SupersedeError::SameDocument);
    }
    if original.kind != replacement.kind {
        return Err(SupersedeError::KindMismatch {
            original: original.kind,
            replacement: replacement.kind,
        });
    }
    if original.patient != replacement.patient {
        return Err(SupersedeError::PatientMismatch);
    }
    Ok(Document {
        status: DocumentStatus::Superseded {
            by: replacement.id,
            at,
        },
        ..original.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn kinds_serialise_in_snake_case() {
        for (kind, json) in [
            (DocumentKind::Prescription, "\"prescription\""),
            (DocumentKind::LabRequest, "\"lab_request\""),
            (
                DocumentKind::SickLeaveCertificate,
                "\"sick_leave_certificate\"",
            ),
            (DocumentKind::FeeMemo, "\"fee_memo\""),
            (DocumentKind::ConsultationReport, "\"consultation_report\""),
        ] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), json);
            assert_eq!(serde_json::from_str::<DocumentKind>(json).unwrap(), kind);
        }
    }

    #[test]
    fn employer_part_never_shows_the_diagnosis() {
        assert!(!SickLeavePart::Employer.shows(SickLeaveField::Diagnosis));
        assert!(!SickLeavePart::Employer.shows(SickLeaveField::OutingsAllowed));
        assert!(SickLeavePart::Employer.shows(SickLeaveField::IncapacityPeriod));
        assert!(SickLeavePart::Insurer.shows(SickLeaveField::Diagnosis));
        assert!(SickLeavePart::Patient.shows(SickLeaveField::Diagnosis));
        // Every part identifies the patient, the period and the document.
        for part in SickLeavePart::ALL {
            for field in [
                SickLeaveField::PatientName,
                SickLeaveField::IncapacityPeriod,
                SickLeaveField::PractitionerIdentity,
                SickLeaveField::IssueDate,
                SickLeaveField::DocumentNumber,
            ] {
                assert!(part.shows(field), "{part:?} {field:?}");
            }
        }
        // The insurer sees everything any other part sees.
        for part in SickLeavePart::ALL {
            for field in part.fields() {
                assert!(SickLeavePart::Insurer.shows(*field));
            }
        }
    }

    #[test]
    fn parts_by_number_or_name() {
        for part in SickLeavePart::ALL {
            assert_eq!(part.number().to_string().parse::<SickLeavePart>(), Ok(part));
            assert_eq!(part.name().parse::<SickLeavePart>(), Ok(part));
            assert_eq!(
                serde_json::to_value(part).unwrap(),
                serde_json::Value::String(part.name().into())
            );
        }
        assert_eq!(" Employer ".parse(), Ok(SickLeavePart::Employer));
        assert!("4".parse::<SickLeavePart>().is_err());
        assert!("".parse::<SickLeavePart>().is_err());
    }

    #[test]
    fn number_format_and_parse() {
        let n = DocumentNumber::new("lux-gare", 2026, 123).unwrap();
        assert_eq!(n.to_string(), "LUX-GARE-2026-000123");
        assert_eq!("LUX-GARE-2026-000123".parse::<DocumentNumber>().unwrap(), n);
        assert_eq!(
            DocumentNumber::new("SITE", 2026, MAX_SEQUENCE)
                .unwrap()
                .to_string(),
            "SITE-2026-999999"
        );
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            "\"LUX-GARE-2026-000123\""
        );
        assert_eq!(
            serde_json::from_str::<DocumentNumber>("\"LUX-GARE-2026-000123\"").unwrap(),
            n
        );
        for bad in [
            "",
            "SITE",
            "SITE-2026",
            "SITE-2026-123",
            "SITE-26-000123",
            "SITE-2026-0001234",
            "-2026-000123",
            "SITE-2026-00012a",
            "SITE-2026-000000",
            "SI TE-2026-000001",
        ] {
            assert!(bad.parse::<DocumentNumber>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<DocumentNumber>("\"nope\"").is_err());
    }

    #[test]
    fn number_parts_are_validated() {
        assert_eq!(
            DocumentNumber::new("S", 999, 1),
            Err(DocumentNumberError::Year(999))
        );
        assert_eq!(
            DocumentNumber::new("S", 2026, 0),
            Err(DocumentNumberError::Sequence(0))
        );
        assert_eq!(
            DocumentNumber::new("S", 2026, MAX_SEQUENCE + 1),
            Err(DocumentNumberError::Sequence(MAX_SEQUENCE + 1))
        );
        assert!(matches!(
            DocumentNumber::new("", 2026, 1),
            Err(DocumentNumberError::Site(_))
        ));
    }

    #[test]
    fn numbering_continues_within_a_year_and_restarts_each_year() {
        let first = DocumentNumber::next("site", 2026, None).unwrap();
        assert_eq!(first.to_string(), "SITE-2026-000001");
        let second = DocumentNumber::next("SITE", 2026, Some(&first)).unwrap();
        assert_eq!(second.to_string(), "SITE-2026-000002");
        let new_year = DocumentNumber::next("SITE", 2027, Some(&second)).unwrap();
        assert_eq!(new_year.to_string(), "SITE-2027-000001");
        assert_eq!(
            DocumentNumber::next("SITE", 2026, Some(&new_year)),
            Err(DocumentNumberError::YearWentBackwards {
                year: 2026,
                last_year: 2027
            })
        );
        let last = DocumentNumber::new("SITE", 2026, MAX_SEQUENCE).unwrap();
        assert_eq!(
            DocumentNumber::next("SITE", 2026, Some(&last)),
            Err(DocumentNumberError::Exhausted)
        );
        assert!(matches!(
            DocumentNumber::next("OTHER", 2026, Some(&first)),
            Err(DocumentNumberError::OtherSite { .. })
        ));
        // Text order is numeric order within a site and year.
        assert!(first.to_string() < second.to_string());
        assert!(first < second);
    }

    fn document(id: u128, kind: DocumentKind, patient: u128) -> Document {
        Document {
            id: DocumentId::from_uuid(Uuid::from_u128(id)),
            number: DocumentNumber::new("SITE", 2026, u32::try_from(id).unwrap()).unwrap(),
            kind,
            appointment: AppointmentId::from_uuid(Uuid::from_u128(100)),
            patient: PatientId::from_uuid(Uuid::from_u128(patient)),
            practitioner: PractitionerId::from_uuid(Uuid::from_u128(200)),
            issued_at: "2026-03-02T10:00:00Z".parse().unwrap(),
            status: DocumentStatus::Issued,
        }
    }

    #[test]
    fn superseding_rules() {
        let at: Timestamp = "2026-03-02T11:00:00Z".parse().unwrap();
        let original = document(1, DocumentKind::Prescription, 7);
        let fixed = document(2, DocumentKind::Prescription, 7);
        let replaced = supersede(&original, &fixed, at).unwrap();
        assert_eq!(
            replaced.status,
            DocumentStatus::Superseded { by: fixed.id, at }
        );
        assert_eq!(replaced.number, original.number);
        let again = document(3, DocumentKind::Prescription, 7);
        assert_eq!(
            supersede(&replaced, &again, at),
            Err(SupersedeError::AlreadySuperseded { by: fixed.id })
        );
        assert_eq!(
            supersede(&original, &original, at),
            Err(SupersedeError::SameDocument)
        );
        assert!(matches!(
            supersede(&original, &document(4, DocumentKind::FeeMemo, 7), at),
            Err(SupersedeError::KindMismatch { .. })
        ));
        assert_eq!(
            supersede(&original, &document(5, DocumentKind::Prescription, 8), at),
            Err(SupersedeError::PatientMismatch)
        );
        assert_eq!(
            serde_json::to_value(&replaced.status).unwrap()["state"],
            "superseded"
        );
    }
}
