//! QR codes as a square of modules, for whoever draws them: the PDF writer (vector squares)
//! and the web layer's pages (an inline SVG). Error correction level M, as scanners and
//! authenticator apps expect; the quiet zone (four modules) is the drawer's.

/// Why a QR code could not be made (the text is too long for any QR version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("QR code: {0}")]
pub struct QrError(String);

/// A QR code: `width` × `width` modules, dark or light.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qr {
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    /// The QR code of `text` at error correction level M.
    pub fn new(text: &str) -> Result<Self, QrError> {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
            .map_err(|e| QrError(e.to_string()))?;
        Ok(Self {
            width: code.width(),
            dark: code
                .to_colors()
                .iter()
                .map(|c| *c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The dark modules as `(row, column)`, row by row from the top left.
    pub fn dark_modules(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let width = self.width.max(1);
        self.dark
            .iter()
            .enumerate()
            .filter(|(_, dark)| **dark)
            .map(move |(i, _)| (i / width, i % width))
    }
}
