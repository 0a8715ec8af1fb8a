//! Readers: a file becomes a header and a stream of rows of text cells, whatever its format.

use calamine::{Data, Reader};
use logis_domain::register::line::{COLUMNS, INFORMATIVE, REQUIRED};
use logis_domain::text::header_key;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;

/// Why a file (or one of its rows) could not be read. French, shown to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("fichier illisible : {0}")]
    Unreadable(String),
    #[error("format de fichier non pris en charge « {0} » (formats acceptés : .csv, .xlsx)")]
    UnsupportedFormat(String),
    #[error("le fichier est vide (aucune ligne d'en-tête)")]
    Empty,
    #[error("ligne {row} illisible : {message}")]
    BadRow { row: u64, message: String },
}

/// One data row: its number as the user sees it (the header is row 1) and its cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceRow {
    pub row: u64,
    pub cells: Vec<String>,
}

impl SourceRow {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A readable table: a header row, then data rows, streamed.
pub trait RowSource: Send {
    fn header(&self) -> &[String];
    /// The next data row, `None` at the end.
    fn next_row(&mut self) -> Option<Result<SourceRow, ReadError>>;
    /// The next data row into `row`, reusing its cells' memory (a file of millions of rows
    /// then allocates nothing per row); `None` at the end.
    fn next_into(&mut self, row: &mut SourceRow) -> Option<Result<(), ReadError>> {
        self.next_row().map(|r| r.map(|r| *row = r))
    }
    /// Only these cells (by index) will be read: a source may leave the others empty.
    fn only_cells(&mut self, _cells: &[usize]) {}
}

/// Largest spreadsheet accepted, in bytes (2 GiB): beyond, it is refused before reading (a CSV
/// file streams and has no limit).
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// Open a CSV or XLSX file, by extension, else by content (a ZIP signature means XLSX).
pub fn open_path(path: &Path) -> Result<Box<dyn RowSource>, ReadError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ReadError::Unreadable(format!("{} : {}", path.display(), io_fr(&e))))?;
    if meta.is_dir() {
        return Err(ReadError::Unreadable(format!(
            "{} est un dossier",
            path.display()
        )));
    }
    // A spreadsheet is read whole into memory: beyond MAX_FILE_BYTES it is refused. A CSV file
    // streams, whatever its size (the national RPLS file is 3 GB).
    let too_big = || {
        (meta.len() > MAX_FILE_BYTES).then(|| {
            ReadError::Unreadable(format!(
                "{} dépasse la taille maximale de 2 Gio pour un classeur (enregistrez-le en CSV)",
                path.display()
            ))
        })
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let file = std::fs::File::open(path)
        .map_err(|e| ReadError::Unreadable(format!("{} : {}", path.display(), io_fr(&e))))?;
    match ext.as_str() {
        "csv" | "txt" | "tsv" => Ok(Box::new(CsvSource::new(file)?)),
        "xlsx" | "xlsm" | "xls" | "ods" => {
            if let Some(e) = too_big() {
                return Err(e);
            }
            let bytes = read_all(file)?;
            open_spreadsheet(bytes)
        }
        _ => {
            let mut r = BufReader::new(file);
            let is_zip = r
                .fill_buf()
                .map(|b| b.starts_with(b"PK\x03\x04"))
                .unwrap_or(false);
            if is_zip {
                if let Some(e) = too_big() {
                    return Err(e);
                }
                open_spreadsheet(read_all(r)?)
            } else if ext.is_empty() {
                Ok(Box::new(CsvSource::new(r)?))
            } else {
                Err(ReadError::UnsupportedFormat(ext))
            }
        }
    }
}

/// Open an uploaded file held in memory (web uploads, tests).
pub fn open_bytes(bytes: Vec<u8>) -> Result<Box<dyn RowSource>, ReadError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        open_spreadsheet(bytes)
    } else {
        Ok(Box::new(CsvSource::new(Cursor::new(bytes))?))
    }
}

fn io_fr(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "fichier introuvable".into(),
        std::io::ErrorKind::PermissionDenied => "accès refusé".into(),
        _ => e.to_string(),
    }
}

fn read_all(mut r: impl Read) -> Result<Vec<u8>, ReadError> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)
        .map_err(|e| ReadError::Unreadable(io_fr(&e)))?;
    Ok(v)
}

// ---------------------------------------------------------------- CSV

/// A CSV file as French Excel saves it, or as any other tool does: the delimiter (`;`, `,`,
/// tab, `|`) is guessed from the header line; cells are UTF-8 (a BOM is dropped) or, when not
/// valid UTF-8, Windows-1252.
pub struct CsvSource<R: Read> {
    rdr: csv::Reader<BufReader<R>>,
    header: Vec<String>,
    record: csv::ByteRecord,
    /// The cells decoded ([`RowSource::only_cells`]; all when empty).
    wanted: Vec<bool>,
    /// Row number of the next record as a spreadsheet shows it: counted here, because the csv
    /// crate's line positions are off for CRLF files (what French Excel writes).
    next_line: u64,
    done: bool,
}

/// Lines a record spans (more than one when a quoted cell holds line breaks).
fn lines_spanned(rec: &csv::ByteRecord) -> u64 {
    1 + rec
        .iter()
        .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum::<u64>()
}

impl<R: Read> CsvSource<R> {
    pub fn new(inner: R) -> Result<Self, ReadError> {
        let mut buf = BufReader::with_capacity(1 << 16, inner);
        let head = buf
            .fill_buf()
            .map_err(|e| ReadError::Unreadable(io_fr(&e)))?;
        let delimiter = sniff_delimiter(head);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(buf);
        let mut record = csv::ByteRecord::new();
        let mut next_line = 1;
        let header: Vec<String> = loop {
            match rdr.read_byte_record(&mut record) {
                Ok(false) => return Err(ReadError::Empty),
                Ok(true) => {
                    let cells: Vec<String> = record.iter().map(decode_cell).collect();
                    next_line += lines_spanned(&record);
                    if cells.iter().any(|h| !h.trim().is_empty()) {
                        break cells;
                    }
                }
                Err(e) => return Err(csv_error(e)),
            }
        };
        Ok(CsvSource {
            rdr,
            header,
            record,
            wanted: Vec::new(),
            next_line,
            done: false,
        })
    }
}

fn csv_error(e: csv::Error) -> ReadError {
    let row = e.position().map(|p| p.line()).unwrap_or(0);
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => io_fr(io),
        _ => "structure CSV invalide (guillemet non fermé ?)".to_string(),
    };
    if row > 0 {
        ReadError::BadRow { row, message }
    } else {
        ReadError::Unreadable(message)
    }
}

/// The delimiter that splits the first line into the most cells, outside quotes.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let mut best = (b';', 0usize);
    for d in [b';', b',', b'\t', b'|'] {
        let mut in_quotes = false;
        let mut n = 0;
        for &b in first_line {
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == d && !in_quotes {
                n += 1;
            }
        }
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

fn decode_cell(bytes: &[u8]) -> String {
    let mut s = String::new();
    decode_cell_into(bytes, &mut s);
    s
}

/// [`decode_cell`] into `out` (cleared first).
fn decode_cell_into(bytes: &[u8], out: &mut String) {
    out.clear();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    };
    out.push_str(crate::write::csv_text_read(&text));
}

impl<R: Read + Send> RowSource for CsvSource<R> {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<Result<SourceRow, ReadError>> {
        if self.done {
            return None;
        }
        match self.rdr.read_byte_record(&mut self.record) {
            Ok(true) => {
                let row = self.next_line;
                self.next_line += lines_spanned(&self.record);
                Some(Ok(SourceRow {
                    row,
                    cells: self.record.iter().map(decode_cell).collect(),
                }))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                // A broken structure (e.g. an unclosed quote) makes the rest unreliable: stop.
                self.done = true;
                Some(Err(csv_error(e)))
            }
        }
    }
    fn only_cells(&mut self, cells: &[usize]) {
        let n = cells.iter().max().map_or(0, |m| m + 1);
        self.wanted = vec![false; n];
        for &i in cells {
            if let Some(w) = self.wanted.get_mut(i) {
                *w = true;
            }
        }
    }
    fn next_into(&mut self, out: &mut SourceRow) -> Option<Result<(), ReadError>> {
        if self.done {
            return None;
        }
        match self.rdr.read_byte_record(&mut self.record) {
            Ok(true) => {
                out.row = self.next_line;
                self.next_line += lines_spanned(&self.record);
                let n = self.record.len();
                out.cells.truncate(n);
                out.cells.resize_with(n, String::new);
                for (i, (cell, bytes)) in out.cells.iter_mut().zip(self.record.iter()).enumerate() {
                    if self.wanted.is_empty() || self.wanted.get(i).copied().unwrap_or(false) {
                        decode_cell_into(bytes, cell);
                    } else {
                        cell.clear();
                    }
                }
                Some(Ok(()))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(csv_error(e)))
            }
        }
    }
}

// ---------------------------------------------------------------- XLSX

/// The first worksheet of a spreadsheet. calamine reads it whole; a malformed file that makes
/// the parser fail (or even panic) is reported as unreadable, never as a crash.
pub struct SheetSource {
    header: Vec<String>,
    rows: std::vec::IntoIter<SourceRow>,
}

fn open_spreadsheet(bytes: Vec<u8>) -> Result<Box<dyn RowSource>, ReadError> {
    let parsed = std::panic::catch_unwind(move || -> Result<(u64, Vec<Vec<String>>), ReadError> {
        let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(|e| ReadError::Unreadable(format!("classeur illisible ({e})")))?;
        let range = wb
            .worksheet_range_at(0)
            .ok_or_else(|| ReadError::Unreadable("le classeur ne contient aucune feuille".into()))?
            .map_err(|e| ReadError::Unreadable(format!("feuille illisible ({e})")))?;
        let first_row = range.start().map(|(r, _)| u64::from(r) + 1).unwrap_or(1);
        let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let rows = range
            .rows()
            .map(|r| {
                let mut v: Vec<String> = std::iter::repeat_n(String::new(), first_col).collect();
                v.extend(r.iter().map(cell_text));
                v
            })
            .collect();
        Ok((first_row, rows))
    });
    let (first_row, rows) = match parsed {
        Ok(r) => r?,
        Err(_) => return Err(ReadError::Unreadable("classeur XLSX malformé".into())),
    };
    let mut it = rows.into_iter().enumerate().map(|(i, cells)| SourceRow {
        row: first_row + i as u64,
        cells,
    });
    let header = loop {
        match it.next() {
            None => return Err(ReadError::Empty),
            Some(r) if r.is_blank() => continue,
            Some(r) => break r.cells,
        }
    };
    let rest: Vec<SourceRow> = it.collect();
    Ok(Box::new(SheetSource {
        header,
        rows: rest.into_iter(),
    }))
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => if *b { "VRAI" } else { "FAUX" }.to_string(),
        Data::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e}"),
    }
}

impl RowSource for SheetSource {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<Result<SourceRow, ReadError>> {
        self.rows.next().map(Ok)
    }
}

// ---------------------------------------------------------------- header mapping

/// Other names users give to exchange-format columns (as header keys).
const ALIASES: &[(&str, &str)] = &[
    ("ref", "reference"),
    ("reference_operation", "reference"),
    ("id_operation", "reference"),
    ("organisme", "bailleur"),
    ("maitre_d_ouvrage", "bailleur"),
    ("maitre_ouvrage", "bailleur"),
    ("siren_bailleur", "bailleur"),
    ("code_insee", "commune"),
    ("insee", "commune"),
    ("ville", "commune"),
    ("projet_anru", "projet"),
    ("operation", "libelle"),
    ("intitule", "libelle"),
    ("nb_logements", "logements"),
    ("nombre_de_logements", "logements"),
    ("nombre_logements", "logements"),
    ("logts", "logements"),
    ("annee_de_programmation", "annee"),
    ("annee_programmation", "annee"),
    ("year", "annee"),
    ("stade_d_avancement", "stade"),
    ("stade_avancement", "stade"),
    ("produit_de_financement", "produit"),
    ("financement_rehabilitation", "financement"),
    ("prix_de_revient", "cout"),
    ("cout_total", "cout"),
    ("cout_eur", "cout"),
    ("date", "date_stade"),
    ("surface_habitable", "surface"),
    ("surface_m2", "surface"),
    ("shab", "surface"),
];

/// Where each exchange-format column sits in a file's header.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// (exchange column, cell index)
    pub columns: Vec<(&'static str, usize)>,
    /// Header cells that matched no column (reported, not imported).
    pub ignored: Vec<String>,
}

/// A problem with the header itself (row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderProblem {
    pub column: String,
    pub message: String,
}

/// The columns a kind of file has: every one, those required, those only informative (read
/// and ignored), and the other names users give them (as header keys).
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub columns: &'static [&'static str],
    pub required: &'static [&'static str],
    pub informative: &'static [&'static str],
    pub aliases: &'static [(&'static str, &'static str)],
}

/// The operations' exchange format.
pub const OPERATIONS: Layout = Layout {
    columns: COLUMNS,
    required: REQUIRED,
    informative: INFORMATIVE,
    aliases: ALIASES,
};

/// A land bank's file (`logis import foncier`).
pub const SITES: Layout = Layout {
    columns: logis_domain::land::SITE_COLUMNS,
    required: logis_domain::land::SITE_REQUIRED,
    informative: &[],
    aliases: logis_domain::land::SITE_ALIASES,
};

/// A grouped tenders' file (`logis import appels-offres`).
pub const TENDERS: Layout = Layout {
    columns: logis_domain::land::tenders::TENDER_COLUMNS,
    required: logis_domain::land::tenders::TENDER_REQUIRED,
    informative: &[],
    aliases: logis_domain::land::tenders::TENDER_ALIASES,
};

/// A site competence table's file (`logis import gusp-competences`).
pub const COMPETENCES: Layout = Layout {
    columns: logis_domain::proximity::COMPETENCE_COLUMNS,
    required: logis_domain::proximity::COMPETENCE_REQUIRED,
    informative: &[],
    aliases: &[
        ("partenaire_responsable", "partenaire"),
        ("responsable", "partenaire"),
        ("delai", "delai_jours"),
    ],
};

/// A reports' file (`logis import signalements`).
pub const REPORTS: Layout = Layout {
    columns: logis_domain::proximity::REPORT_COLUMNS,
    required: logis_domain::proximity::REPORT_REQUIRED,
    informative: &[],
    aliases: &[
        ("reference", "signalement"),
        ("lieu", "adresse"),
        ("signale_par", "organisation"),
    ],
};

/// The mobility offer's files (`logis import mobilite-offre|mobilite-besoins|mobilite-occupation`).
pub const MOBILITY_OFFERS: Layout = Layout {
    columns: logis_domain::proximity::mobility::OFFER_COLUMNS,
    required: logis_domain::proximity::mobility::OFFER_REQUIRED,
    informative: &[],
    aliases: &[
        ("lits_disponibles", "lits"),
        ("prix", "prix_mensuel"),
        ("loyer_mensuel", "prix_mensuel"),
    ],
};
pub const MOBILITY_DEMAND: Layout = Layout {
    columns: logis_domain::proximity::mobility::DEMAND_COLUMNS,
    required: logis_domain::proximity::mobility::DEMAND_REQUIRED,
    informative: &[],
    aliases: &[
        ("siret", "employeur_siret"),
        ("nombre_salaries", "salaries"),
        ("budget", "budget_mensuel"),
    ],
};
pub const MOBILITY_OCCUPANCY: Layout = Layout {
    columns: logis_domain::proximity::mobility::OCCUPANCY_COLUMNS,
    required: logis_domain::proximity::mobility::OCCUPANCY_REQUIRED,
    informative: &[],
    aliases: &[("siret", "employeur_siret")],
};

/// Relocation's files (`logis relogement import menages|logements`).
pub const HOUSEHOLDS: Layout = Layout {
    columns: logis_domain::relocation::HOUSEHOLD_COLUMNS,
    required: logis_domain::relocation::HOUSEHOLD_REQUIRED,
    informative: &[],
    aliases: &[
        ("identifiant", "menage"),
        ("nb_personnes", "personnes"),
        ("apl", "aide_logement"),
        ("souhaits", "communes_souhaitees"),
    ],
};
pub const VACANCIES: Layout = Layout {
    columns: logis_domain::relocation::VACANCY_COLUMNS,
    required: logis_domain::relocation::VACANCY_REQUIRED,
    informative: &[],
    aliases: &[
        ("nb_pieces", "pieces"),
        ("typologie", "pieces"),
        ("neuf", "neuf_ou_recent"),
    ],
};

pub const FOLLOW_UPS: Layout = Layout {
    columns: logis_domain::relocation::FOLLOW_UP_COLUMNS,
    required: logis_domain::relocation::FOLLOW_UP_REQUIRED,
    informative: &[],
    aliases: &[
        ("identifiant", "menage"),
        ("evenement_type", "evenement"),
        ("apl", "aide_logement"),
        ("motif_refus", "motif"),
    ],
};

impl HeaderMap {
    /// Map header cells to the operations' columns (see [`HeaderMap::of`]).
    pub fn new(header: &[String]) -> Result<Self, Vec<HeaderProblem>> {
        Self::of(header, &OPERATIONS)
    }

    /// Map header cells to `layout`'s columns, ignoring case and accents; missing required
    /// columns and columns given twice are problems.
    pub fn of(header: &[String], layout: &Layout) -> Result<Self, Vec<HeaderProblem>> {
        let Layout {
            columns: all_columns,
            required,
            informative,
            aliases,
        } = *layout;
        let mut columns: Vec<(&'static str, usize)> = Vec::new();
        let mut ignored = Vec::new();
        let mut problems = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let key = header_key(h);
            if key.is_empty() {
                continue;
            }
            let target = all_columns
                .iter()
                .find(|c| **c == key)
                .copied()
                .or_else(|| aliases.iter().find(|(a, _)| *a == key).map(|(_, c)| *c));
            match target {
                Some(c) if informative.contains(&c) => {}
                Some(c) => {
                    if columns.iter().any(|(k, _)| *k == c) {
                        problems.push(HeaderProblem {
                            column: c.to_string(),
                            message: format!(
                                "la colonne « {c} » apparaît deux fois (« {} »)",
                                h.trim()
                            ),
                        });
                    } else {
                        columns.push((c, i));
                    }
                }
                None => ignored.push(h.trim().to_string()),
            }
        }
        for r in required {
            if !columns.iter().any(|(k, _)| k == r) {
                problems.push(HeaderProblem {
                    column: (*r).to_string(),
                    message: format!("colonne obligatoire « {r} » absente de l'en-tête"),
                });
            }
        }
        if problems.is_empty() {
            Ok(HeaderMap { columns, ignored })
        } else {
            Err(problems)
        }
    }

    /// The cell of `row` for each mapped column.
    pub fn cells<'a>(
        &'a self,
        row: &'a SourceRow,
    ) -> impl Iterator<Item = (&'static str, Option<&'a str>)> + 'a {
        self.columns
            .iter()
            .map(move |(c, i)| (*c, row.cells.get(*i).map(String::as_str)))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn rows(src: &mut dyn RowSource) -> Vec<SourceRow> {
        let mut v = Vec::new();
        while let Some(r) = src.next_row() {
            v.push(r.unwrap_or_default());
        }
        v
    }

    #[test]
    fn french_excel_csv_windows_1252_semicolon() {
        // "Réhabilitation" and "Année" in Windows-1252.
        let bytes = b"R\xe9f\xe9rence;Bailleur;Commune;Nature;Logements;Ann\xe9e\r\nA1;Partenord;Dunkerque;R\xe9habilitation;1 200;2005\r\n".to_vec();
        let mut src = open_bytes(bytes).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(src.header()[0], "Référence");
        let r = rows(src.as_mut());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].row, 2, "{r:?}");
        assert_eq!(r[0].cells[3], "Réhabilitation");
        assert_eq!(r[0].cells[4], "1 200");
    }

    #[test]
    fn utf8_bom_and_comma_delimiter() {
        let bytes = "\u{feff}reference,bailleur,commune\n\"A,1\",Vilogia,59183\n"
            .as_bytes()
            .to_vec();
        let mut src = open_bytes(bytes).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(src.header(), &["reference", "bailleur", "commune"]);
        assert_eq!(rows(src.as_mut())[0].cells[0], "A,1");
        // CRLF, a quoted cell spanning two lines: row numbers stay those a spreadsheet shows.
        let bytes = b"a;b\r\nx;1\r\n\"y\r\nz\";2\r\nw;3\r\n".to_vec();
        let mut src = open_bytes(bytes).unwrap_or_else(|e| unreachable!("{e}"));
        let nums: Vec<u64> = rows(src.as_mut()).iter().map(|r| r.row).collect();
        assert_eq!(nums, vec![2, 3, 5]);
    }

    #[test]
    fn header_mapping_reports_missing_and_duplicate_columns() {
        let h: Vec<String> = [
            "Référence",
            "Bailleur",
            "Commune",
            "Nature",
            "Année",
            "Annee",
            "Remarque",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let problems = HeaderMap::new(&h).err().unwrap_or_default();
        let msgs: Vec<&str> = problems.iter().map(|p| p.column.as_str()).collect();
        assert_eq!(msgs, vec!["annee", "logements"]);
        let h: Vec<String> = [
            "ref",
            "organisme",
            "code insee",
            "nature",
            "nb logements",
            "année",
            "Remarque",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = HeaderMap::new(&h).unwrap_or_else(|_| unreachable!());
        assert_eq!(m.columns.len(), 6);
        assert_eq!(m.ignored, vec!["Remarque".to_string()]);
    }

    /// A cell a spreadsheet would run as a formula is written with a leading `'` and read back
    /// as it was; other cells are untouched.
    #[test]
    fn formula_cells_are_neutralised_in_csv_and_read_back_as_written() {
        use crate::write::{csv_text, csv_text_read};
        for text in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "Rue de l'Église",
            "'cité'",
            "",
        ] {
            let written = csv_text(text);
            assert_eq!(csv_text_read(&written), text);
            assert!(!written.starts_with(['=', '+', '-', '@']), "{written}");
        }
        let csv = "reference;libelle\nOP-1;'=HYPERLINK(\"http://x\")\nOP-2;'cité'\n";
        let got = rows(
            open_bytes(csv.as_bytes().to_vec())
                .unwrap_or_else(|e| unreachable!("{e}"))
                .as_mut(),
        );
        let labels: Vec<&str> = got
            .iter()
            .map(|r| r.cells.get(1).map_or("", String::as_str))
            .collect();
        assert_eq!(labels, ["=HYPERLINK(\"http://x\")", "'cité'"]);
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        assert!(matches!(
            open_bytes(Vec::new()).err(),
            Some(ReadError::Empty)
        ));
        assert!(open_bytes(b"PK\x03\x04garbage".to_vec()).is_err());
        let mut src =
            open_bytes(b"a;b\n\"unclosed;x\n".to_vec()).unwrap_or_else(|e| unreachable!("{e}"));
        let _ = rows(src.as_mut());
    }
}

/// Rows already in memory (a web form's lines), read like a file: row numbers start at 2, as
/// if a header line came first.
#[derive(Debug, Clone)]
pub struct MemorySource {
    header: Vec<String>,
    rows: std::collections::VecDeque<SourceRow>,
}

impl MemorySource {
    pub fn new(header: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        MemorySource {
            header,
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, cells)| SourceRow {
                    row: i as u64 + 2,
                    cells,
                })
                .collect(),
        }
    }
}

impl RowSource for MemorySource {
    fn header(&self) -> &[String] {
        &self.header
    }
    fn next_row(&mut self) -> Option<Result<SourceRow, ReadError>> {
        self.rows.pop_front().map(Ok)
    }
}
