//! An issued document as stored: its metadata, its content (immutable once issued) and the
//! little state that may still change — items dispensed by pharmacists, payment of a fee memo,
//! replacement by a corrected version — with the rules for each change and for who may see it.

use super::content::DocumentContent;
use super::{Document, DocumentKind, DocumentStatus, SupersedeError, supersede};
use crate::Timestamp;
use crate::account::{Account, Role};
use crate::ids::{AccountId, DocumentId};
use serde::{Deserialize, Serialize};

/// One prescription item handed out by a pharmacist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispensed {
    pub at: Timestamp,
    /// The pharmacist's account.
    pub by: AccountId,
}

/// Who recorded the payment of a fee memo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaidBy {
    /// Recorded by the patient's side. No longer possible (a patient saying "paid" is no
    /// proof of payment, and the balance goes to the insurer); kept so that payments recorded
    /// so before still read back and sync as they were.
    Patient,
    /// The issuing practitioner, who received the payment.
    Practitioner,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub at: Timestamp,
    pub by: PaidBy,
    /// The account that recorded it.
    pub account: AccountId,
}

/// A document with its content and state, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDocument {
    pub document: Document,
    pub content: DocumentContent,
    /// The document this one corrects.
    #[serde(default)]
    pub replaces: Option<DocumentId>,
    /// Per prescription item, in order: whether and when it was dispensed (empty otherwise).
    #[serde(default)]
    pub dispensed: Vec<Option<Dispensed>>,
    /// Fee memo only.
    #[serde(default)]
    pub payment: Option<Payment>,
}

/// The content does not match the document's kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {content:?} content cannot make a {kind:?} document")]
pub struct KindMismatch {
    pub kind: DocumentKind,
    pub content: DocumentKind,
}

/// Why items cannot be dispensed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispenseError {
    #[error("only prescriptions are dispensed")]
    NotAPrescription,
    #[error("this prescription was replaced by a corrected version: dispense that one")]
    Superseded,
    #[error("name at least one item to dispense")]
    NoItems,
    #[error("item {0} is not on this prescription")]
    UnknownItem(usize),
    #[error("item {0} is listed twice")]
    DuplicateItem(usize),
    /// Nothing is left to dispense (every item was handed out before).
    #[error("this prescription has already been dispensed")]
    AlreadyDispensed,
    #[error("item {0} has already been dispensed")]
    ItemAlreadyDispensed(usize),
}

/// Why a fee memo cannot be marked paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// Only the practitioner who issued the fee memo records its payment (the HTTP layer
    /// answers as for a document that does not exist).
    #[error("only the practitioner who issued this fee memo records its payment")]
    NotTheIssuer,
    #[error("only fee memos are paid")]
    NotAFeeMemo,
    #[error("this fee memo was replaced by a corrected version: pay that one")]
    Superseded,
    #[error("this fee memo is already marked paid")]
    AlreadyPaid,
}

impl IssuedDocument {
    /// A freshly issued document (nothing dispensed, not paid).
    pub fn new(
        document: Document,
        content: DocumentContent,
        replaces: Option<DocumentId>,
    ) -> Result<Self, KindMismatch> {
        if document.kind != content.kind() {
            return Err(KindMismatch {
                kind: document.kind,
                content: content.kind(),
            });
        }
        let dispensed = match &content {
            DocumentContent::Prescription(p) => vec![None; p.items.len()],
            _ => Vec::new(),
        };
        Ok(Self {
            document,
            content,
            replaces,
            dispensed,
            payment: None,
        })
    }

    pub fn id(&self) -> DocumentId {
        self.document.id
    }

    pub fn is_current(&self) -> bool {
        self.document.status == DocumentStatus::Issued
    }

    /// Every item of a prescription has been handed out.
    pub fn fully_dispensed(&self) -> bool {
        !self.dispensed.is_empty() && self.dispensed.iter().all(Option::is_some)
    }

    /// Some item of a prescription has been handed out.
    pub fn partly_dispensed(&self) -> bool {
        self.dispensed.iter().any(Option::is_some)
    }

    /// Whether `account` may read this document (anyone else is told it does not exist).
    ///
    /// Decision: the patient (or the account acting for them) and the issuing practitioner
    /// only. Other practitioners, staff and admins run the site but have no medical reason to
    /// read it; pharmacists reach prescriptions only through the retrieval token or the
    /// patient's national id ([`IssuedDocument::open_for_pharmacy`]).
    pub fn visible_to(&self, account: &Account) -> bool {
        match account.role {
            Role::Patient => account.acts_for(self.document.patient),
            Role::Practitioner => account.practitioner == Some(self.document.practitioner),
            Role::Staff | Role::Admin | Role::Pharmacist => false,
        }
    }

    /// A current prescription with items left to dispense: what a pharmacist looking a
    /// patient up by national id is shown.
    pub fn open_for_pharmacy(&self) -> bool {
        matches!(self.content, DocumentContent::Prescription(_))
            && self.is_current()
            && !self.fully_dispensed()
    }

    /// Hands out `items` (indexes into the prescription) at `at`. Partial dispensing is
    /// allowed; an item is never dispensed twice.
    pub fn dispense(
        &self,
        items: &[usize],
        by: AccountId,
        at: Timestamp,
    ) -> Result<Self, DispenseError> {
        if !matches!(self.content, DocumentContent::Prescription(_)) {
            return Err(DispenseError::NotAPrescription);
        }
        if !self.is_current() {
            return Err(DispenseError::Superseded);
        }
        if self.fully_dispensed() {
            return Err(DispenseError::AlreadyDispensed);
        }
        if items.is_empty() {
            return Err(DispenseError::NoItems);
        }
        let mut next = self.clone();
        for (n, &i) in items.iter().enumerate() {
            if items[..n].contains(&i) {
                return Err(DispenseError::DuplicateItem(i));
            }
            match next.dispensed.get_mut(i) {
                None => return Err(DispenseError::UnknownItem(i)),
                Some(Some(_)) => return Err(DispenseError::ItemAlreadyDispensed(i)),
                Some(slot) => *slot = Some(Dispensed { at, by }),
            }
        }
        Ok(next)
    }

    /// Whether `account` records payments of this document: the practitioner who issued it,
    /// who was paid. Not the patient — their word is no proof of payment, and a payment
    /// recorded here balances the insurer's invoice on the national platform —, nor staff,
    /// administrators or pharmacists. (A payment provider, later, will record its own.)
    pub fn records_payment(&self, account: &Account) -> bool {
        account.role == Role::Practitioner
            && account.practitioner == Some(self.document.practitioner)
    }

    /// Records the payment of a fee memo by `account` (see [`Self::records_payment`]).
    pub fn mark_paid(&self, account: &Account, at: Timestamp) -> Result<Self, PaymentError> {
        if !self.records_payment(account) {
            return Err(PaymentError::NotTheIssuer);
        }
        if !matches!(self.content, DocumentContent::FeeMemo(_)) {
            return Err(PaymentError::NotAFeeMemo);
        }
        if !self.is_current() {
            return Err(PaymentError::Superseded);
        }
        if self.payment.is_some() {
            return Err(PaymentError::AlreadyPaid);
        }
        Ok(Self {
            payment: Some(Payment {
                at,
                by: PaidBy::Practitioner,
                account: account.id,
            }),
            ..self.clone()
        })
    }

    /// This document marked as replaced by `replacement` (which must name it in `replaces`).
    /// A prescription of which anything was dispensed cannot be corrected: the pharmacy acted
    /// on it, a correction would allow dispensing twice.
    pub fn superseded_by(
        &self,
        replacement: &IssuedDocument,
        at: Timestamp,
    ) -> Result<Self, SupersedeError> {
        if self.partly_dispensed() {
            return Err(SupersedeError::AlreadyDispensed);
        }
        if replacement.replaces != Some(self.id()) {
            return Err(SupersedeError::NotLinked);
        }
        Ok(Self {
            document: supersede(&self.document, &replacement.document, at)?,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountStatus;
    use crate::document::content::{FeeAct, FeeMemo, Prescription, PrescriptionItem};
    use crate::document::{DocumentNumber, SupersedeError};
    use crate::ids::{AppointmentId, PatientId, PractitionerId};
    use crate::site::Language;
    use uuid::Uuid;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn item(name: &str) -> PrescriptionItem {
        PrescriptionItem {
            medication: name.into(),
            dose: "1 g".into(),
            form: "comprimé".into(),
            posology: "1/j".into(),
            duration: "3 j".into(),
            substitution_allowed: false,
        }
    }

    fn doc(id: u128, content: DocumentContent, replaces: Option<u128>) -> IssuedDocument {
        IssuedDocument::new(
            Document {
                id: DocumentId::from_uuid(Uuid::from_u128(id)),
                number: DocumentNumber::new("SITE", 2026, u32::try_from(id).unwrap()).unwrap(),
                kind: content.kind(),
                appointment: AppointmentId::from_uuid(Uuid::from_u128(100)),
                patient: PatientId::from_uuid(Uuid::from_u128(7)),
                practitioner: PractitionerId::from_uuid(Uuid::from_u128(200)),
                issued_at: at("2026-03-02T10:00:00Z"),
                status: DocumentStatus::Issued,
            },
            content,
            replaces.map(|r| DocumentId::from_uuid(Uuid::from_u128(r))),
        )
        .unwrap()
    }

    fn prescription(id: u128, replaces: Option<u128>) -> IssuedDocument {
        doc(
            id,
            DocumentContent::Prescription(Prescription {
                items: vec![item("A"), item("B"), item("C")],
            }),
            replaces,
        )
    }

    fn fee_memo(id: u128) -> IssuedDocument {
        doc(
            id,
            DocumentContent::FeeMemo(FeeMemo {
                acts: vec![FeeAct {
                    code: "C1".into(),
                    label: "Consultation".into(),
                    amount_cents: 5230,
                }],
            }),
            None,
        )
    }

    fn pharmacist() -> AccountId {
        AccountId::from_uuid(Uuid::from_u128(900))
    }

    #[test]
    fn partial_dispensing_then_never_twice() {
        let p = prescription(1, None);
        assert!(p.open_for_pharmacy());
        let t = at("2026-03-03T09:00:00Z");
        let once = p.dispense(&[0, 2], pharmacist(), t).unwrap();
        assert!(once.partly_dispensed() && !once.fully_dispensed());
        assert!(once.open_for_pharmacy(), "item B is still to be handed out");
        assert_eq!(
            once.dispense(&[2], pharmacist(), t),
            Err(DispenseError::ItemAlreadyDispensed(2))
        );
        let all = once.dispense(&[1], pharmacist(), t).unwrap();
        assert!(all.fully_dispensed() && !all.open_for_pharmacy());
        assert_eq!(
            all.dispense(&[1], pharmacist(), t),
            Err(DispenseError::AlreadyDispensed)
        );
        assert_eq!(
            p.dispense(&[], pharmacist(), t),
            Err(DispenseError::NoItems)
        );
        assert_eq!(
            p.dispense(&[3], pharmacist(), t),
            Err(DispenseError::UnknownItem(3))
        );
        assert_eq!(
            p.dispense(&[1, 1], pharmacist(), t),
            Err(DispenseError::DuplicateItem(1))
        );
        assert_eq!(
            fee_memo(2).dispense(&[0], pharmacist(), t),
            Err(DispenseError::NotAPrescription)
        );
    }

    #[test]
    fn superseded_documents_are_neither_dispensed_nor_paid() {
        let t = at("2026-03-02T11:00:00Z");
        let p = prescription(1, None);
        let fixed = prescription(2, Some(1));
        let old = p.superseded_by(&fixed, t).unwrap();
        assert!(!old.is_current() && !old.open_for_pharmacy());
        assert_eq!(
            old.dispense(&[0], pharmacist(), t),
            Err(DispenseError::Superseded)
        );
        assert_eq!(
            p.superseded_by(&prescription(3, None), t),
            Err(SupersedeError::NotLinked)
        );
        let used = p.dispense(&[0], pharmacist(), t).unwrap();
        assert_eq!(
            used.superseded_by(&fixed, t),
            Err(SupersedeError::AlreadyDispensed)
        );
        let memo = fee_memo(4);
        let mut fixed_memo = fee_memo(5);
        fixed_memo.replaces = Some(memo.id());
        let old_memo = memo.superseded_by(&fixed_memo, t).unwrap();
        assert_eq!(
            old_memo.mark_paid(&issuer(), t),
            Err(PaymentError::Superseded)
        );
    }

    /// The practitioner who issued the test documents.
    fn issuer() -> Account {
        account(Role::Practitioner, None, Some(200))
    }

    #[test]
    fn a_fee_memo_is_paid_once() {
        let t = at("2026-03-02T12:00:00Z");
        let memo = fee_memo(4);
        let paid = memo.mark_paid(&issuer(), t).unwrap();
        assert_eq!(
            paid.payment,
            Some(Payment {
                at: t,
                by: PaidBy::Practitioner,
                account: issuer().id
            })
        );
        assert_eq!(paid.mark_paid(&issuer(), t), Err(PaymentError::AlreadyPaid));
        assert_eq!(
            prescription(1, None).mark_paid(&issuer(), t),
            Err(PaymentError::NotAFeeMemo)
        );
    }

    #[test]
    fn only_the_issuing_practitioner_records_a_payment() {
        let t = at("2026-03-02T12:00:00Z");
        let memo = fee_memo(4);
        // The patient sees the memo but does not say it is paid: the insurer would be told.
        let patient = account(Role::Patient, Some(7), None);
        assert!(memo.visible_to(&patient));
        assert!(!memo.records_payment(&patient));
        assert_eq!(memo.mark_paid(&patient, t), Err(PaymentError::NotTheIssuer));
        let colleague = account(Role::Practitioner, None, Some(201));
        assert_eq!(
            memo.mark_paid(&colleague, t),
            Err(PaymentError::NotTheIssuer)
        );
        // Whatever else the account is linked to, only the role and the practitioner count.
        for role in [Role::Patient, Role::Staff, Role::Admin, Role::Pharmacist] {
            assert_eq!(
                memo.mark_paid(&account(role, Some(7), Some(200)), t),
                Err(PaymentError::NotTheIssuer),
                "{role:?}"
            );
        }
        // Refused before anything else is said about the document.
        assert_eq!(
            prescription(1, None).mark_paid(&patient, t),
            Err(PaymentError::NotTheIssuer)
        );
        assert!(memo.mark_paid(&issuer(), t).is_ok());
    }

    #[test]
    fn content_must_match_the_kind() {
        let p = prescription(1, None);
        let mut document = p.document.clone();
        document.kind = DocumentKind::FeeMemo;
        assert_eq!(
            IssuedDocument::new(document, p.content.clone(), None).map(|_| ()),
            Err(KindMismatch {
                kind: DocumentKind::FeeMemo,
                content: DocumentKind::Prescription,
            })
        );
    }

    fn account(role: Role, patient: Option<u128>, practitioner: Option<u128>) -> Account {
        Account {
            id: AccountId::from_uuid(Uuid::from_u128(50)),
            login: "x".into(),
            role,
            name: "X".into(),
            email: "x@example.lu".into(),
            phone: String::new(),
            language: Language::Fr,
            password_hash: String::new(),
            status: AccountStatus::Active,
            patient: patient.map(|p| PatientId::from_uuid(Uuid::from_u128(p))),
            practitioner: practitioner.map(|p| PractitionerId::from_uuid(Uuid::from_u128(p))),
            failed_attempts: 0,
            locked_until: None,
            created_at: at("2026-01-01T00:00:00Z"),
            sessions_not_before: None,
            relatives: Vec::new(),
            totp: None,
        }
    }

    #[test]
    fn only_the_patient_and_the_issuer_see_a_document() {
        let p = prescription(1, None);
        assert!(p.visible_to(&account(Role::Patient, Some(7), None)));
        let mut proxy = account(Role::Patient, Some(8), None);
        assert!(!p.visible_to(&proxy));
        proxy
            .relatives
            .push(PatientId::from_uuid(Uuid::from_u128(7)));
        assert!(
            p.visible_to(&proxy),
            "a parent sees their child's documents"
        );
        assert!(p.visible_to(&account(Role::Practitioner, None, Some(200))));
        assert!(!p.visible_to(&account(Role::Practitioner, None, Some(201))));
        for role in [Role::Staff, Role::Admin, Role::Pharmacist] {
            assert!(
                !p.visible_to(&account(role, Some(7), Some(200))),
                "{role:?}"
            );
        }
    }
}
