//! Tests: a report's XLSX as a steering committee prints it, checked on the written file: text
//! columns as wide as their longest value (capped, wrapping beyond), headers never cut inside a
//! word, header rows repeated on every page, panes frozen under them, landscape, fitted to the
//! page's width, title and filters in the page header.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::{Cell, Grid, GridRow, Report, RowKind, Span, write_xlsx};
use std::io::Read;

fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The `width` of column `n` (1-based) in the sheet's `<cols>`.
fn width(sheet: &str, n: usize) -> f64 {
    let col = sheet
        .split("<col ")
        .skip(1)
        .find(|c| c.contains(&format!("min=\"{n}\"")))
        .unwrap_or_else(|| panic!("colonne {n} sans largeur : {sheet:.600}"));
    let w = col.split("width=\"").nth(1).unwrap();
    w[..w.find('"').unwrap()].parse().unwrap()
}

#[test]
fn report_xlsx_prints_as_published() {
    let long_label =
        "Rue de l'égalité, résidence des Acacias, bâtiments A à F et parkings souterrains";
    let report = Report {
        name: "rehabilitation",
        title: "Programmation des réhabilitations & résidentialisations".into(),
        scope: "programme : PLH 2005-2010 ; années : 2005–2007".into(),
        notes: vec![],
        long_columns: vec![],
        long_rows: vec![],
        grid: Grid {
            groups: vec![
                Span {
                    label: String::new(),
                    span: 3,
                },
                Span {
                    label: "2005".into(),
                    span: 1,
                },
            ],
            header: vec![
                "Commune".into(),
                "Opération".into(),
                "Bailleur".into(),
                "PALULOS".into(),
            ],
            row_header_columns: 3,
            rows: vec![
                GridRow {
                    kind: RowKind::Detail,
                    cells: vec![
                        Cell::text("Cappelle-la-Grande"),
                        Cell::text("Rue de l'égalité"),
                        Cell::text("Habitat du Nord"),
                        Cell::Int(120),
                    ],
                },
                GridRow {
                    kind: RowKind::Detail,
                    cells: vec![
                        Cell::text("Dunkerque"),
                        Cell::text(long_label),
                        Cell::text("Maison Flamande"),
                        Cell::Int(1_234_567),
                    ],
                },
                GridRow {
                    kind: RowKind::Total,
                    cells: vec![
                        Cell::text("Total"),
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Int(1_234_687),
                    ],
                },
            ],
        },
    };
    let xlsx = write_xlsx(&report).unwrap();
    let sheet = part(&xlsx, "xl/worksheets/sheet1.xml");
    // Widths: the longest commune (18) and landlord (15) fit; the long label is capped and wraps;
    // the figure 1 234 567 (9 characters) fits.
    assert!(width(&sheet, 1) >= 18.0, "{sheet:.800}");
    assert!(width(&sheet, 3) >= 15.0);
    let capped = width(&sheet, 2);
    assert!((40.0..=50.0).contains(&capped), "{capped}");
    assert!((long_label.chars().count() as f64) > capped);
    assert!(sheet.contains("wrapText") || part(&xlsx, "xl/styles.xml").contains("wrapText=\"1\""));
    assert!(width(&sheet, 4) >= 9.0);
    // Panes frozen below the two header rows (rows 4 and 5) and right of the row headers.
    assert!(
        sheet.contains("ySplit=\"5\"") && sheet.contains("xSplit=\"3\""),
        "{sheet:.1200}"
    );
    // Landscape A4, fitted to one page wide and as many down as needed.
    assert!(
        sheet.contains("<fitToPage/>") || sheet.contains("fitToPage=\"1\""),
        "{sheet}"
    );
    let setup = sheet.split("<pageSetup").nth(1).unwrap();
    assert!(
        setup.contains("orientation=\"landscape\"") && setup.contains("paperSize=\"9\""),
        "{setup}"
    );
    assert!(setup.contains("fitToHeight=\"0\""), "{setup}");
    // Title (its & escaped) and filters in the page header; page numbers in the footer.
    assert!(
        sheet.contains("<oddHeader>&amp;L&amp;\"-,Bold\"Programmation des réhabilitations &amp;&amp; résidentialisations&amp;Rprogramme : PLH 2005-2010 ; années : 2005–2007</oddHeader>"),
        "{sheet}"
    );
    assert!(sheet.contains("<oddFooter>&amp;CPage &amp;P / &amp;N</oddFooter>"));
    // The header rows repeated on every printed page.
    let workbook = part(&xlsx, "xl/workbook.xml");
    assert!(
        workbook.contains("_xlnm.Print_Titles") && workbook.contains("Tableau!$4:$5"),
        "{workbook}"
    );
}
