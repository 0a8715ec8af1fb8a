//! logis files: the exchange format for operations read from CSV (French Excel: `;`, Windows-1252
//! or UTF-8 with BOM, decimal comma) or XLSX, and written back; the embedded reference data.
//! No database here: readers yield rows of text cells, writers take [`logis_store::LineRecord`]s.
#![deny(clippy::indexing_slicing)]

pub mod read;
pub mod reference;
pub mod report;
pub mod siap;
pub mod write;

pub use read::{HeaderMap, ReadError, RowSource, SourceRow, open_bytes, open_path};
pub use write::{ExportFormat, LineWriter};
