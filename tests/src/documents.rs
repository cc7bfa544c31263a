//! Documents in tests: booking the consultation they are issued for, a prescription to issue,
//! and reading a PDF back as text (`pdftotext`, poppler-utils) and its QR codes (`zbarimg`).

use crate::Daemon;
use crate::accounts::Login;
use anyhow::Context;
use serde_json::{Value, json};
use std::process::Command;

/// Dr Weber, the demo general practitioner (who issues documents in the tests).
pub use crate::booking::DR_WEBER;

/// Runs a tool; its standard output, or an error with its standard error.
pub fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// The PDF's text as `pdftotext` extracts it (fonts embedded: accents come back).
pub fn pdf_text(bytes: &[u8]) -> anyhow::Result<String> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, bytes)?;
    run(Command::new("pdftotext").arg(&file).arg("-"))
}

/// The QR codes on the first page, rendered at 150 dpi and decoded by `zbarimg`.
pub fn qr_codes(bytes: &[u8]) -> anyhow::Result<Vec<String>> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, bytes)?;
    let prefix = dir.path().join("page");
    run(Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-f", "1", "-l", "1"])
        .arg(&file)
        .arg(&prefix))?;
    let png = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "png"))
        .context("pdftoppm wrote no page")?;
    qr_codes_in_image(&png)
}

/// The QR codes in a PNG image (a screenshot, say), decoded by `zbarimg`.
pub fn qr_codes_in_png(png: &[u8]) -> anyhow::Result<Vec<String>> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("image.png");
    std::fs::write(&file, png)?;
    qr_codes_in_image(&file)
}

fn qr_codes_in_image(image: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(image)
        .output()
        .context("cannot run zbarimg (zbar-tools)")?;
    // zbarimg exits 4 when it finds no code: that is an answer (none), not a failure.
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Books the first free slot of Dr Weber (with the usual lead) for `patient`; returns the
/// appointment id.
pub async fn book(daemon: &Daemon, patient: &Login) -> anyhow::Result<String> {
    crate::booking::book_id_with_lead(
        daemon,
        patient,
        DR_WEBER,
        crate::booking::MIN_LEAD,
        json!({"reason": "toux persistante"}),
    )
    .await
}

/// A prescription of two medicines, with letters of every site language.
pub fn prescription() -> Value {
    json!({
        "kind": "prescription",
        "items": [
            {"medication": "Paracétamol Größe", "dose": "500 mg", "form": "comprimé",
             "posology": "1 comprimé 3 fois par jour", "duration": "5 jours", "substitution_allowed": true},
            {"medication": "Xarope São João", "dose": "100 ml", "form": "sirop",
             "posology": "10 ml le soir", "duration": "7 jours", "substitution_allowed": false}
        ]
    })
}

/// Width and height of a baseline or progressive JPEG, read from its frame header (SOF0–SOF2).
pub fn jpeg_size(bytes: &[u8]) -> anyhow::Result<(u32, u32)> {
    anyhow::ensure!(bytes.starts_with(&[0xff, 0xd8]), "not a JPEG");
    let mut at = 2;
    while at + 4 <= bytes.len() {
        anyhow::ensure!(bytes[at] == 0xff, "JPEG marker expected at {at}");
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if (0xc0..=0xc2).contains(&marker) {
            let header = bytes
                .get(at + 5..at + 9)
                .ok_or_else(|| anyhow::anyhow!("truncated frame header"))?;
            let height = u16::from_be_bytes([header[0], header[1]]);
            let width = u16::from_be_bytes([header[2], header[3]]);
            return Ok((u32::from(width), u32::from(height)));
        }
        at += 2 + length;
    }
    anyhow::bail!("no frame header in the JPEG")
}

/// A demo site where Dr Weber has an appointment with a patient, and everyone who takes part
/// in documents is logged in: the patient, another patient, the two demo doctors (Weber
/// issues), the pharmacist and staff.
pub struct DocumentSite {
    pub site: crate::site::Site,
    pub patient: Login,
    pub patient_national_id: String,
    /// The patient's name as documents show it.
    pub patient_name: String,
    pub other: Login,
    pub weber: Login,
    pub ferreira: Login,
    pub pharmacist: Login,
    pub staff: Login,
    /// Dr Weber's appointment with the patient.
    pub appointment: String,
}

impl DocumentSite {
    /// Patients `n` (the patient) and `n + 1` (another).
    pub async fn start(n: u32) -> anyhow::Result<Self> {
        use crate::site::{FERREIRA, PHARMACIST, STAFF, Site, WEBER};
        let site = Site::demo("").await?;
        let form = crate::accounts::registration(n);
        let patient = site.patient(n).await?;
        let other = site.patient(n + 1).await?;
        let appointment = book(&site, &patient).await?;
        Ok(Self {
            patient,
            patient_national_id: form["national_id"]
                .as_str()
                .context("national id")?
                .to_owned(),
            patient_name: format!("Zebulonia Quackenbush{n}"),
            other,
            weber: site.login(&WEBER).await?,
            ferreira: site.login(&FERREIRA).await?,
            pharmacist: site.login(&PHARMACIST).await?,
            staff: site.login(&STAFF).await?,
            appointment,
            site,
        })
    }

    /// Dr Weber issues `document` for the appointment; anything but 201 is an error.
    pub async fn issue(&self, document: &Value) -> anyhow::Result<Value> {
        let path = format!("/api/v1/appointments/{}/documents", self.appointment);
        let (status, issued) = self.site.post(&self.weber, &path, document).await?;
        anyhow::ensure!(status == 201, "issuing {document}: {status} {issued}");
        Ok(issued)
    }

    /// A document's PDF through the API, as `who` (it must be one).
    pub async fn pdf(&self, who: &Login, path: &str) -> anyhow::Result<Vec<u8>> {
        let request = self
            .site
            .client
            .get(self.site.url(path))
            .header("authorization", who.bearer());
        crate::pages::pdf_from(request, path).await
    }

    /// Every document endpoint answers 404 to `who` (`what` in messages) for document `id`,
    /// as for a document that does not exist, and their list does not show it.
    pub async fn no_leak(&self, who: &Login, id: &str, what: &str) -> anyhow::Result<()> {
        for path in [
            format!("/api/v1/documents/{id}"),
            format!("/api/v1/documents/{id}/pdf"),
            format!("/api/v1/documents/{id}/pdf?part=3"),
        ] {
            let (status, body) = self.site.get(who, &path).await?;
            anyhow::ensure!(status == 404, "{what} GET {path}: {status} {body}");
        }
        for path in [
            format!("/api/v1/documents/{id}/paid"),
            format!("/api/v1/documents/{id}/supersede"),
        ] {
            let (status, body) = self.site.post(who, &path, &prescription()).await?;
            anyhow::ensure!(status == 404, "{what} POST {path}: {status} {body}");
        }
        let list = self.site.get_ok(who, "/api/v1/documents").await?;
        anyhow::ensure!(list.is_array(), "{what}: {list}");
        anyhow::ensure!(
            !list.to_string().contains(id),
            "{what} sees the document in their list: {list}"
        );
        Ok(())
    }
}
