//! Reports as data, and their CSV and XLSX writers. A report has two shapes: the long table
//! (one row per cell, stable column names — what scripts read) and the grid (the layout of the
//! published tables: communes down, years × products across, subtotals and totals — what people
//! read). HTML is rendered by the web crate from the same grid.

use crate::write::WriteError;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Cell {
    Text(String),
    Int(i64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    /// As written in a CSV (plain digits, no grouping: machines read it).
    pub fn plain(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
    /// As shown to people (thousands grouped, "—" for empty numeric cells is left to the layout).
    pub fn display(&self) -> String {
        self.shown().to_string()
    }
    /// The same, written where it is shown (a page's template) without a text made per cell.
    pub fn shown(&self) -> CellShown<'_> {
        CellShown(self)
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Cell::Int(_))
    }
}

/// See [`Cell::shown`].
pub struct CellShown<'a>(&'a Cell);

impl std::fmt::Display for CellShown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Cell::Text(s) => f.write_str(s),
            Cell::Int(n) => logis_domain::numbers::Thousands(*n).fmt(f),
            Cell::Empty => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RowKind {
    Detail,
    Subtotal,
    Total,
}

/// A header cell spanning `span` columns, above the column headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub label: String,
    pub span: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridRow {
    pub kind: RowKind,
    pub cells: Vec<Cell>,
}

impl GridRow {
    /// CSS class of the row in HTML.
    pub fn css_class(&self) -> &'static str {
        match self.kind {
            RowKind::Detail => "detail",
            RowKind::Subtotal => "subtotal",
            RowKind::Total => "total",
        }
    }
}

/// The published layout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Grid {
    /// Optional group headers above `header` (their spans add up to the number of columns).
    pub groups: Vec<Span>,
    pub header: Vec<String>,
    /// How many leading columns are row headers.
    pub row_header_columns: usize,
    pub rows: Vec<GridRow>,
}

/// Which rows of a long grid a page shows (see [`Grid::keep_page`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GridPage {
    /// 1-based, after clamping to the pages there are.
    pub page: usize,
    pub pages: usize,
    /// 1-based numbers of the first and last body rows shown, and how many there are.
    pub first: usize,
    pub last: usize,
    pub rows: usize,
}

impl GridPage {
    /// Page `page` of `size` rows among `rows` body rows (pages count from 1; beyond the last,
    /// the last), and the range of body rows it shows.
    pub fn of(page: usize, size: usize, rows: usize) -> (GridPage, std::ops::Range<usize>) {
        let size = size.max(1);
        let pages = rows.div_ceil(size).max(1);
        let page = page.clamp(1, pages);
        let start = ((page - 1) * size).min(rows);
        let end = (start + size).min(rows);
        (
            GridPage {
                page,
                pages,
                first: if end > start { start + 1 } else { 0 },
                last: end,
                rows,
            },
            start..end,
        )
    }
}

impl Grid {
    /// Keep one page of `size` body rows (details and subtotals) and every row from the first
    /// total on (the totals always show). Pages count from 1; beyond the last, the last.
    pub fn keep_page(&mut self, page: usize, size: usize) -> GridPage {
        let body = self
            .rows
            .iter()
            .position(|r| r.kind == RowKind::Total)
            .unwrap_or(self.rows.len());
        let (kept, range) = GridPage::of(page, size, body);
        let tail = self.rows.split_off(body);
        self.rows.truncate(range.end);
        self.rows.drain(..range.start);
        self.rows.extend(tail);
        kept
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Stable name (`production`, `rehabilitation`…).
    pub name: &'static str,
    pub title: String,
    /// The filters applied, in French ("programme : PLH 2005-2010 ; années : 2005–2007").
    pub scope: String,
    /// Remarks shown under the table (what is not counted, and why).
    pub notes: Vec<String>,
    pub long_columns: Vec<&'static str>,
    pub long_rows: Vec<Vec<Cell>>,
    pub grid: Grid,
}

/// The long table as CSV for French Excel (`;`, UTF-8 with BOM).
pub fn write_csv<W: Write>(r: &Report, mut out: W) -> Result<W, WriteError> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
    w.write_record(&r.long_columns)?;
    // Each field written where it is (a number through a stack buffer), not as a text of its own.
    let mut digits = itoa::Buffer::new();
    for row in &r.long_rows {
        for cell in row {
            match cell {
                Cell::Text(s) => w.write_field(crate::write::csv_text(s).as_bytes())?,
                Cell::Int(n) => w.write_field(digits.format(*n))?,
                Cell::Empty => w.write_field("")?,
            }
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner().map_err(|e| WriteError::Io(e.into_error()))
}

/// The formats of a report's sheets.
struct Formats {
    title: Format,
    head: Format,
    body: Format,
    number: Format,
    sub: Format,
    sub_number: Format,
}

fn formats() -> Formats {
    let title = Format::new().set_bold().set_font_size(13);
    let head = Format::new()
        .set_bold()
        .set_background_color("#E8EEF4")
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    // Texts wrap (only those longer than their column's cap do: see [`column_widths`]).
    let body = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("# ##0");
    let sub = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color("#F3F5F7");
    let sub_number = sub.clone().set_num_format("# ##0");

    Formats {
        title,
        head,
        body,
        number,
        sub,
        sub_number,
    }
}

/// The report's grid on a sheet named `name` (as published: title, scope, header, rows, notes).
fn grid_sheet(wb: &mut Workbook, name: &str, r: &Report, f: &Formats) -> Result<(), WriteError> {
    let Formats {
        title,
        head,
        body,
        number,
        sub,
        sub_number,
    } = f;
    // Both sheets in "low memory" mode: each row goes to a temporary file once written (a
    // whole-register grid has millions of cells), the texts shared in one table (commune
    // names repeat). Rows are written in order, as the mode asks.
    let ws = wb.add_worksheet_with_low_memory()?;
    ws.set_name(name)?;
    // (Widths before any row: the low-memory mode writes the columns' widths first.)
    for (c, width) in column_widths(&r.grid).into_iter().enumerate() {
        ws.set_column_width(c as u16, width)?;
    }
    // The header rows: the groups' row (if any) and the columns' row, under title and scope.
    let header_last: u32 = if r.grid.groups.is_empty() { 3 } else { 4 };
    ws.set_freeze_panes(header_last + 1, r.grid.row_header_columns as u16)?;
    // Printed as a steering committee reads it: landscape A4, fitted to the page's width (as
    // many pages down as needed), the header rows on every page, title and filters in the page
    // header, page numbers in the footer.
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(3, header_last)?;
    ws.set_header(page_header(&r.title, &r.scope));
    ws.set_footer("&CPage &P / &N");
    ws.write_string_with_format(0, 0, &r.title, title)?;
    ws.write_string(1, 0, &r.scope)?;
    let mut row = 3u32;
    if !r.grid.groups.is_empty() {
        let mut col = 0u16;
        for g in &r.grid.groups {
            let span = u16::try_from(g.span.max(1)).unwrap_or(1);
            if span > 1 {
                ws.merge_range(row, col, row, col + span - 1, &g.label, head)?;
            } else {
                ws.write_string_with_format(row, col, &g.label, head)?;
            }
            col += span;
        }
        row += 1;
    }
    for (c, h) in r.grid.header.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, h, head)?;
    }
    row += 1;
    for gr in &r.grid.rows {
        let strong = gr.kind != RowKind::Detail;
        for (c, cell) in gr.cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Int(n) => ws.write_number_with_format(
                    row,
                    c,
                    *n as f64,
                    if strong { sub_number } else { number },
                )?,
                Cell::Text(s) => {
                    ws.write_string_with_format(row, c, s, if strong { sub } else { body })?
                }
                Cell::Empty => ws.write_blank(row, c, if strong { sub } else { body })?,
            };
        }
        row += 1;
    }
    for n in &r.notes {
        row += 1;
        ws.write_string(row, 0, n)?;
    }

    Ok(())
}

/// The grid on a first sheet (as published), the long table on a second.
pub fn write_xlsx(r: &Report) -> Result<Vec<u8>, WriteError> {
    let mut wb = Workbook::new();
    let f = formats();
    grid_sheet(&mut wb, "Tableau", r, &f)?;
    let head = &f.head;
    let data = wb.add_worksheet_with_low_memory()?;
    data.set_name("Données")?;
    for (c, h) in r.long_columns.iter().enumerate() {
        data.write_string_with_format(0, c as u16, *h, head)?;
    }
    for (i, cells) in r.long_rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let (rr, cc) = (i as u32 + 1, c as u16);
            match cell {
                Cell::Int(n) => data.write_number(rr, cc, *n as f64)?,
                Cell::Text(s) => data.write_string(rr, cc, s)?,
                Cell::Empty => data,
            };
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// Several reports in one workbook, one sheet each (named as given: at most 31 characters, no
/// `[]:*?/\\`), each laid out as [`write_xlsx`]'s first sheet. An empty list: one sheet saying so.
pub fn write_xlsx_book(sheets: &[(&str, &Report)]) -> Result<Vec<u8>, WriteError> {
    let mut wb = Workbook::new();
    let f = formats();
    for (name, r) in sheets {
        let name: String = name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        grid_sheet(&mut wb, &name, r, &f)?;
    }
    if sheets.is_empty() {
        wb.add_worksheet()
            .set_name("Vide")?
            .write_string(0, 0, "Aucune ligne.")?;
    }
    Ok(wb.save_to_buffer()?)
}

/// The widest a column opens, in characters: longer texts wrap inside it.
const MAX_COLUMN_WIDTH: usize = 45;

/// Each column's width for the grid (characters): as wide as its longest text or figure (a
/// figure with its thousands' spaces), capped at [`MAX_COLUMN_WIDTH`]; never narrower than its
/// header's longest word, so that no header is cut inside a word.
pub fn column_widths(grid: &Grid) -> Vec<f64> {
    let columns = grid
        .rows
        .iter()
        .map(|r| r.cells.len())
        .chain([grid.header.len()])
        .max()
        .unwrap_or(0);
    let mut widest = vec![0usize; columns];
    for (w, h) in widest.iter_mut().zip(&grid.header) {
        *w = h
            .split_whitespace()
            .map(|x| x.chars().count())
            .max()
            .unwrap_or(0);
    }
    for row in &grid.rows {
        for (w, cell) in widest.iter_mut().zip(&row.cells) {
            let n = match cell {
                Cell::Int(n) => {
                    let digits = n.unsigned_abs().to_string().len();
                    digits + (digits.saturating_sub(1)) / 3 + usize::from(*n < 0)
                }
                Cell::Text(s) => s.chars().count(),
                Cell::Empty => 0,
            };
            *w = (*w).max(n);
        }
    }
    widest
        .into_iter()
        .map(|n| (n.clamp(4, MAX_COLUMN_WIDTH) + 2) as f64)
        .collect()
}

/// The printed page's header: the title on the left, the filters on the right (a page header
/// holds 255 characters; `&` is its escape character).
fn page_header(title: &str, scope: &str) -> String {
    let esc = |s: &str, max: usize| -> String {
        let s: String = s.chars().take(max).collect();
        s.replace('&', "&&")
    };
    format!("&L&\"-,Bold\"{}&R{}", esc(title, 90), esc(scope, 140))
}

#[cfg(test)]
mod print_tests;

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn grid(details: usize) -> Grid {
        let mut rows: Vec<GridRow> = (0..details)
            .map(|i| GridRow {
                kind: RowKind::Detail,
                cells: vec![Cell::Int(i as i64)],
            })
            .collect();
        rows.push(GridRow {
            kind: RowKind::Total,
            cells: vec![Cell::text("Total")],
        });
        rows.push(GridRow {
            kind: RowKind::Subtotal,
            cells: vec![Cell::text("dont")],
        });
        Grid {
            rows,
            ..Grid::default()
        }
    }

    #[test]
    fn a_page_keeps_its_rows_and_every_total() {
        let mut g = grid(25);
        let p = g.keep_page(2, 10);
        assert_eq!(
            (p.page, p.pages, p.first, p.last, p.rows),
            (2, 3, 11, 20, 25)
        );
        assert_eq!(g.rows.len(), 12);
        assert_eq!(g.rows[0].cells, vec![Cell::Int(10)]);
        assert_eq!(g.rows[9].cells, vec![Cell::Int(19)]);
        assert_eq!(g.rows[10].kind, RowKind::Total);
        assert_eq!(g.rows[11].cells, vec![Cell::text("dont")]);
        // Beyond the last page: the last; the last page is short.
        let mut g = grid(25);
        let p = g.keep_page(9, 10);
        assert_eq!((p.page, p.first, p.last), (3, 21, 25));
        assert_eq!(g.rows.len(), 7);
        // Nothing but totals.
        let mut g = grid(0);
        let p = g.keep_page(1, 10);
        assert_eq!((p.page, p.pages, p.first, p.last, p.rows), (1, 1, 0, 0, 0));
        assert_eq!(g.rows.len(), 2);
    }
}
