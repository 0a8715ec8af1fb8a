//! Writers of the exchange format: CSV for French Excel (`;`, UTF-8 with BOM, decimal comma)
//! and XLSX (typed cells: numbers, dates). The CSV re-imports to the same register.

use chrono::Datelike;
use logis_domain::Euros;
use logis_domain::numbers::format_date_fr;
use logis_domain::register::line::COLUMNS;
use logis_store::LineRecord;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::io::Write;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("écriture impossible : {0}")]
    Io(#[from] std::io::Error),
    #[error("écriture CSV impossible : {0}")]
    Csv(#[from] csv::Error),
    #[error("écriture XLSX impossible : {0}")]
    Xlsx(#[from] XlsxError),
}

/// A text as every CSV logis writes holds it: a text starting with `=`, `+`, `-` or `@`, which a
/// spreadsheet would run as a formula, gets a leading `'` (the CSV reader takes it off again, so
/// an export re-imports to the same register).
pub fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A table of texts as a CSV for French Excel (`;`, UTF-8 with BOM), each cell through
/// [`csv_text`].
pub fn csv_table<R, C>(header: &[&str], rows: R) -> Result<Vec<u8>, WriteError>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = String>,
{
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(header)?;
    for row in rows {
        for cell in row {
            w.write_field(csv_text(&cell).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner().map_err(|e| WriteError::Io(e.into_error()))
}

/// What [`csv_text`] wrote, read back: the leading `'` before a formula character taken off.
pub fn csv_text_read(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => s,
    }
}

/// The text cells of a line, in [`COLUMNS`] order.
pub fn line_cells(l: &LineRecord) -> [String; 24] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        l.reference.clone(),
        l.landlord.clone(),
        l.commune.to_string(),
        l.commune_name.clone(),
        // The former commune as written: its name (its code when it is known by its code only).
        l.written_commune_name
            .clone()
            .or_else(|| l.written_commune.as_ref().map(|c| c.as_str().to_string()))
            .unwrap_or_default(),
        opt(&l.project),
        opt(&l.programme),
        opt(&l.quartier),
        opt(&l.label),
        l.nature.label().to_string(),
        l.site.map(|s| s.code().to_string()).unwrap_or_default(),
        l.product.map(|p| p.label().to_string()).unwrap_or_default(),
        l.financing
            .map(|f| f.label().to_string())
            .unwrap_or_default(),
        l.dwellings.to_string(),
        l.year.to_string(),
        l.stage.map(|s| s.label().to_string()).unwrap_or_default(),
        l.stage_date.map(format_date_fr).unwrap_or_default(),
        l.surface_m2.map(|m| m.to_string()).unwrap_or_default(),
        l.energy
            .before
            .map(|x| x.code().to_string())
            .unwrap_or_default(),
        l.energy
            .after
            .map(|x| x.code().to_string())
            .unwrap_or_default(),
        l.energy
            .cep_before
            .map(|n| n.to_string())
            .unwrap_or_default(),
        l.energy
            .cep_after
            .map(|n| n.to_string())
            .unwrap_or_default(),
        l.rpls_ids.clone().unwrap_or_default(),
        l.cost_cents
            .and_then(|c| Euros::from_cents(c).ok())
            .map(Euros::to_plain_fr)
            .unwrap_or_default(),
    ]
}

/// Whether an export carries the cost price (its last column, `cout`): only for those who may
/// read financing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Costs {
    Included,
    Withheld,
}

impl Costs {
    /// How many of [`COLUMNS`] an export of this kind writes (`cout` is the last).
    fn columns(self) -> usize {
        match self {
            Costs::Included => COLUMNS.len(),
            Costs::Withheld => COLUMNS.len() - 1,
        }
    }
}

/// Streams lines into a CSV or an XLSX (constant memory: rows go to a temporary file).
pub enum LineWriter<W: Write> {
    Csv {
        w: csv::Writer<W>,
        columns: usize,
    },
    Xlsx {
        columns: usize,
        workbook: Box<Workbook>,
        row: u32,
        out: W,
        date: Format,
        money: Format,
    },
}

impl<W: Write> LineWriter<W> {
    pub fn new(format: ExportFormat, costs: Costs, mut out: W) -> Result<Self, WriteError> {
        let columns = costs.columns();
        let header = COLUMNS.get(..columns).unwrap_or(COLUMNS);
        match format {
            ExportFormat::Csv => {
                out.write_all(b"\xEF\xBB\xBF")?;
                let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
                w.write_record(header)?;
                Ok(LineWriter::Csv { w, columns })
            }
            ExportFormat::Xlsx => {
                let mut workbook = Box::new(Workbook::new());
                let bold = Format::new().set_bold();
                let ws = workbook.add_worksheet_with_constant_memory()?;
                ws.set_name("Opérations")?;
                for (i, c) in header.iter().enumerate() {
                    ws.write_string_with_format(0, i as u16, *c, &bold)?;
                }
                ws.set_freeze_panes(1, 0)?;
                let date = Format::new().set_num_format("dd/mm/yyyy");
                let money = Format::new().set_num_format("#,##0.00");
                Ok(LineWriter::Xlsx {
                    columns,
                    workbook,
                    row: 0,
                    out,
                    date,
                    money,
                })
            }
        }
    }

    pub fn write(&mut self, l: &LineRecord) -> Result<(), WriteError> {
        match self {
            LineWriter::Csv { w, columns } => {
                for cell in line_cells(l).iter().take(*columns) {
                    w.write_field(csv_text(cell).as_bytes())?;
                }
                w.write_record(None::<&[u8]>)?;
                Ok(())
            }
            LineWriter::Xlsx {
                columns,
                workbook,
                row,
                date,
                money,
                ..
            } => {
                *row += 1;
                let r = *row;
                let ws = workbook.worksheet_from_index(0)?;
                let cells = line_cells(l);
                for (i, (cell, column)) in cells.iter().zip(COLUMNS).take(*columns).enumerate() {
                    let col = i as u16;
                    match *column {
                        "logements" => {
                            ws.write_number(r, col, f64::from(l.dwellings))?;
                        }
                        "annee" => {
                            ws.write_number(r, col, f64::from(l.year))?;
                        }
                        "date_stade" => {
                            if let Some(d) = l.stage_date {
                                let dt = ExcelDateTime::from_ymd(
                                    d.year() as u16,
                                    d.month() as u8,
                                    d.day() as u8,
                                )?;
                                ws.write_datetime_with_format(r, col, &dt, date)?;
                            }
                        }
                        "surface" => {
                            if let Some(m) = l.surface_m2 {
                                ws.write_number(r, col, f64::from(m))?;
                            }
                        }
                        "cout" => {
                            if let Some(c) = l.cost_cents {
                                ws.write_number_with_format(r, col, c as f64 / 100.0, money)?;
                            }
                        }
                        _ if !cell.is_empty() => {
                            ws.write_string(r, col, cell)?;
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
        }
    }

    /// Flush everything to the output.
    pub fn finish(self) -> Result<W, WriteError> {
        match self {
            LineWriter::Csv { w, .. } => w.into_inner().map_err(|e| WriteError::Io(e.into_error())),
            LineWriter::Xlsx {
                mut workbook,
                mut out,
                ..
            } => {
                let bytes = workbook.save_to_buffer()?;
                out.write_all(&bytes)?;
                Ok(out)
            }
        }
    }
}

/// Write a whole XLSX straight to a file (no buffer of the file in memory).
pub fn save_xlsx_to(writer: LineWriter<std::io::Sink>, path: &Path) -> Result<(), WriteError> {
    match writer {
        LineWriter::Xlsx { mut workbook, .. } => Ok(workbook.save(path)?),
        LineWriter::Csv { .. } => Err(WriteError::Io(std::io::Error::other(
            "format CSV attendu ici",
        ))),
    }
}
