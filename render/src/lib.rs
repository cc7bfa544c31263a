//! # teleconsult-render — documents on paper
//!
//! What an issued document looks like and how it reaches paper (ARCHITECTURE.md):
//!
//! - [`document`]: an issued document and the names it refers to → a [`pdf::Layout`], with
//!   its words coming through [`document::DocumentTexts`] (the web layer implements it with its
//!   Fluent bundle, which pages and e-mails share; this crate holds no translations);
//! - [`pdf`]: a layout → PDF bytes on A4 pages, DejaVu fonts embedded (subset);
//! - [`qr`]: QR codes as dark modules, drawn by the PDF writer and by the web layer's pages;
//! - [`print`]: the CUPS adapter of the application's [`teleconsult_app::print::Printer`] port
//!   (`lp`, no shell, the PDF on its standard input, under a time limit).
//!
//! It must not know HTTP (no axum, no status codes), storage (no sled, no SQL) or the
//! translations' format (no Fluent): layout in, bytes out; a PDF in, a CUPS job id out. Who may
//! issue or print what, and the audit, are the application's (`teleconsult-app`).

pub mod document;
pub mod pdf;
pub mod print;
pub mod qr;

#[cfg(test)]
mod tests;
