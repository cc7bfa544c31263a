//! PDF rendering of issued documents: a [`Layout`] (plain strings, already translated) → PDF
//! bytes, with DejaVu fonts embedded (subset) so every accent prints and copies back as text,
//! and an optional QR code drawn as vector squares from its modules ([`crate::qr`]).
//!
//! Layout in, bytes out. The bytes are stored at issue time, so a document never changes
//! afterwards. They are not a pure function of the layout: printpdf names the embedded font
//! subsets and the file's `/ID` from a counter of its own that every rendering in the process
//! advances (same text and drawing, different names).

use crate::qr::{Qr, QrError};
use printpdf::{
    Color, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};
use std::path::Path;
use std::sync::OnceLock;

/// Where Debian's `fonts-dejavu-core` puts the fonts (a dependency of the package).
pub const DEJAVU_DIR: &str = "/usr/share/fonts/truetype/dejavu";

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 20.0;
const BODY_PT: f32 = 10.0;
const QR_MODULE_MM: f32 = 1.0;

/// Why a PDF could not be made (a server fault: fonts missing or unreadable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("cannot read font {path}: {reason} (install the Debian package fonts-dejavu-core)")]
    Font { path: String, reason: String },
    #[error(transparent)]
    Qr(#[from] QrError),
}

/// The two faces documents use.
pub struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

impl Fonts {
    /// Loads DejaVu Sans and DejaVu Sans Bold from `dir`.
    pub fn load(dir: &Path) -> Result<Self, PdfError> {
        let face = |name: &str| {
            let path = dir.join(name);
            let failed = |reason: String| PdfError::Font {
                path: path.display().to_string(),
                reason,
            };
            let bytes = std::fs::read(&path).map_err(|e| failed(e.to_string()))?;
            ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
                .ok_or_else(|| failed("not a TrueType font".into()))
        };
        Ok(Self {
            regular: face("DejaVuSans.ttf")?,
            bold: face("DejaVuSans-Bold.ttf")?,
        })
    }

    /// The system fonts, loaded once per process.
    pub fn system() -> Result<&'static Fonts, PdfError> {
        static FONTS: OnceLock<Result<Fonts, PdfError>> = OnceLock::new();
        FONTS
            .get_or_init(|| Fonts::load(Path::new(DEJAVU_DIR)))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Width of `text` in points at `size`, from the font's advance widths.
    fn width(&self, bold: bool, text: &str, size: f32) -> f32 {
        let font = if bold { &self.bold } else { &self.regular };
        let per_em = f32::from(font.pdf_font_metrics.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(|c| {
                font.lookup_glyph_index(u32::from(c))
                    .map_or(u32::from(font.pdf_font_metrics.units_per_em) / 2, |g| {
                        u32::from(font.get_horizontal_advance(g))
                    })
            })
            .sum();
        units as f32 / per_em * size
    }
}

/// One piece of a document, top to bottom.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Large bold line (the document's title).
    Title(String),
    /// Bold section heading.
    Heading(String),
    /// `label: value` on one line (the value wraps under itself).
    Field { label: String, value: String },
    /// Running text, wrapped.
    Paragraph(String),
    /// A table: header row in bold, then rows; `widths` are fractions of the text width.
    Table {
        header: Vec<String>,
        widths: Vec<f32>,
        rows: Vec<Vec<String>>,
    },
    /// A QR code of `payload` with a caption to its right.
    Qr { payload: String, caption: String },
    /// Vertical space.
    Gap,
}

/// A whole document.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// PDF metadata title.
    pub title: String,
    /// Small lines at the top of every page (site, document number).
    pub header: Vec<String>,
    pub blocks: Vec<Block>,
    /// Small line at the bottom of every page.
    pub footer: String,
}

/// Lays pages out from top to bottom, starting a new page when one is full.
struct Writer<'a> {
    fonts: &'a Fonts,
    regular: PdfFontHandle,
    bold: PdfFontHandle,
    layout: &'a Layout,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Current baseline, mm from the bottom.
    y: f32,
}

fn mm(v: f32) -> Pt {
    Mm(v).into_pt()
}

fn black() -> Color {
    Color::Rgb(Rgb {
        r: 0.0,
        g: 0.0,
        b: 0.0,
        icc_profile: None,
    })
}

impl Writer<'_> {
    fn text_width_mm(&self) -> f32 {
        PAGE_W - 2.0 * MARGIN
    }

    fn start_page(&mut self) {
        if !self.ops.is_empty() {
            let done = std::mem::take(&mut self.ops);
            self.pages.push(done);
        }
        self.y = PAGE_H - MARGIN;
        let header = self.layout.header.clone();
        for line in &header {
            self.text_at(MARGIN, self.y, line, false, 8.0);
            self.y -= 4.0;
        }
        let footer = self.wrap(&self.layout.footer, false, 7.0, self.text_width_mm());
        let h = Self::line_height(7.0);
        for (i, line) in footer.iter().enumerate() {
            let y = MARGIN / 2.0 + h * (footer.len() - 1 - i) as f32;
            self.text_at(MARGIN, y, line, false, 7.0);
        }
        self.y -= 4.0;
    }

    /// Makes room for `height` mm, starting a page if needed.
    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.start_page();
        }
    }

    fn text_at(&mut self, x: f32, y: f32, text: &str, bold: bool, size: f32) {
        let font = if bold { &self.bold } else { &self.regular };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: black() },
            Op::SetFont {
                font: font.clone(),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point { x: mm(x), y: mm(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// Splits `text` into lines no wider than `width` mm (words longer than a line are cut).
    fn wrap(&self, text: &str, bold: bool, size: f32, width: f32) -> Vec<String> {
        let max = Mm(width).into_pt().0;
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.fonts.width(bold, &candidate, size) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line: cut it.
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.fonts.width(bold, &piece, size) > max {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(c);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    fn line_height(size: f32) -> f32 {
        size * 0.3528 * 1.35
    }

    fn lines(&mut self, x: f32, lines: &[String], bold: bool, size: f32) {
        let h = Self::line_height(size);
        for line in lines {
            self.need(h);
            self.y -= h;
            self.text_at(x, self.y, line, bold, size);
        }
    }

    fn block(&mut self, block: &Block) -> Result<(), PdfError> {
        let width = self.text_width_mm();
        match block {
            Block::Title(t) => {
                let lines = self.wrap(t, true, 16.0, width);
                self.need(12.0);
                self.y -= 2.0;
                self.lines(MARGIN, &lines, true, 16.0);
                self.y -= 3.0;
            }
            Block::Heading(t) => {
                let lines = self.wrap(t, true, 11.0, width);
                self.need(10.0);
                self.y -= 2.0;
                self.lines(MARGIN, &lines, true, 11.0);
            }
            Block::Field { label, value } => {
                let label = format!("{label}:");
                let label_w = (Mm::from(Pt(self.fonts.width(true, &label, BODY_PT))).0 + 2.0)
                    .min(width / 2.0);
                let values = self.wrap(value, false, BODY_PT, width - label_w);
                let h = Self::line_height(BODY_PT);
                self.need(h);
                self.y -= h;
                self.text_at(MARGIN, self.y, &label, true, BODY_PT);
                if let Some((first, rest)) = values.split_first() {
                    self.text_at(MARGIN + label_w, self.y, first, false, BODY_PT);
                    self.lines(MARGIN + label_w, rest, false, BODY_PT);
                }
            }
            Block::Paragraph(t) => {
                let lines = self.wrap(t, false, BODY_PT, width);
                self.lines(MARGIN, &lines, false, BODY_PT);
            }
            Block::Table {
                header,
                widths,
                rows,
            } => {
                let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
                let cols: Vec<f32> = widths.iter().map(|w| w / total * width).collect();
                self.y -= 1.0;
                self.row(header, &cols, true);
                for row in rows {
                    self.row(row, &cols, false);
                }
            }
            Block::Qr { payload, caption } => self.qr(payload, caption)?,
            Block::Gap => self.y -= 4.0,
        }
        Ok(())
    }

    fn row(&mut self, cells: &[String], cols: &[f32], bold: bool) {
        let size = BODY_PT - 1.0;
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(cols)
            .map(|(c, w)| self.wrap(c, bold, size, (w - 2.0).max(5.0)))
            .collect();
        let count = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let h = Self::line_height(size);
        self.need(h * count as f32);
        let top = self.y;
        for i in 0..count {
            self.y -= h;
            let mut x = MARGIN;
            for (cell, w) in wrapped.iter().zip(cols) {
                if let Some(line) = cell.get(i) {
                    self.text_at(x, self.y, line, bold, size);
                }
                x += w;
            }
        }
        self.y = top - h * count as f32 - 1.0;
    }

    fn qr(&mut self, payload: &str, caption: &str) -> Result<(), PdfError> {
        let code = Qr::new(payload)?;
        let n = code.width();
        // Four modules of quiet zone around the code, as scanners expect.
        let side = (n + 8) as f32 * QR_MODULE_MM;
        self.need(side + 2.0);
        let left = MARGIN;
        let top = self.y - 1.0;
        let mut rings = Vec::new();
        for (row, col) in code.dark_modules() {
            let x0 = left + (col + 4) as f32 * QR_MODULE_MM;
            let y1 = top - (row + 4) as f32 * QR_MODULE_MM;
            let y0 = y1 - QR_MODULE_MM;
            let x1 = x0 + QR_MODULE_MM;
            let p = |x: f32, y: f32| LinePoint {
                p: Point { x: mm(x), y: mm(y) },
                bezier: false,
            };
            rings.push(PolygonRing {
                points: vec![p(x0, y0), p(x1, y0), p(x1, y1), p(x0, y1)],
            });
        }
        self.ops.extend([
            Op::SetFillColor { col: black() },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings,
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
        let caption_x = left + side + 4.0;
        let lines = self.wrap(caption, false, BODY_PT - 1.0, PAGE_W - MARGIN - caption_x);
        let saved = self.y;
        self.y = top - 4.0 * QR_MODULE_MM;
        for line in &lines {
            self.y -= Self::line_height(BODY_PT - 1.0);
            self.text_at(caption_x, self.y, line, false, BODY_PT - 1.0);
        }
        self.y = saved - side - 2.0;
        Ok(())
    }
}

/// Renders `layout` on A4 pages.
pub fn render(fonts: &Fonts, layout: &Layout) -> Result<Vec<u8>, PdfError> {
    let mut doc = PdfDocument::new(&layout.title);
    let regular = PdfFontHandle::External(doc.add_font(&fonts.regular));
    let bold = PdfFontHandle::External(doc.add_font(&fonts.bold));
    let mut writer = Writer {
        fonts,
        regular,
        bold,
        layout,
        pages: Vec::new(),
        ops: Vec::new(),
        y: 0.0,
    };
    writer.start_page();
    for block in &layout.blocks {
        writer.block(block)?;
    }
    let last = std::mem::take(&mut writer.ops);
    writer.pages.push(last);
    let pages = writer
        .pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops))
        .collect();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new()))
}
