//! No input makes the readers panic: arbitrary bytes, and valid CSV / XLSX files with bytes
//! flipped, cut or inserted, are read to the end (rows or French errors, never a panic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use logis_io::read::HeaderMap;
use proptest::prelude::*;

/// Read everything the source gives, as the importer does; returns how many items were seen.
fn drain(bytes: Vec<u8>) -> usize {
    let mut n = 0;
    if let Ok(mut src) = logis_io::open_bytes(bytes) {
        let header = HeaderMap::new(src.header());
        while let Some(row) = src.next_row() {
            if let (Ok(row), Ok(h)) = (&row, &header) {
                n += h.cells(row).count();
            }
            n += 1;
            if n > 1_000_000 {
                break;
            }
        }
    }
    n
}

/// The real geography, built once for the tests that resolve communes.
static GEOGRAPHY: std::sync::LazyLock<logis_domain::Geography> = std::sync::LazyLock::new(|| {
    let data = logis_io::reference::embedded().unwrap();
    logis_domain::Geography::new(data.communes, data.former, data.epcis)
});

fn valid_csv() -> Vec<u8> {
    "reference;bailleur;commune;nature;logements;annee;libelle;cout\r\nA;Vilogia;Dunkerque;Démolition;12;2026;« Résidence » \"x\";1 200,50\r\n;;;;;;Total;12\r\n"
        .as_bytes()
        .to_vec()
}

fn valid_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in [
        "reference",
        "bailleur",
        "commune",
        "nature",
        "logements",
        "annee",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "A").unwrap();
    ws.write_string(1, 1, "Vilogia").unwrap();
    ws.write_number(1, 2, 59183.0).unwrap();
    ws.write_string(1, 3, "Réhabilitation").unwrap();
    ws.write_number(1, 4, 12.0).unwrap();
    ws.write_number(1, 5, 2026.0).unwrap();
    wb.save_to_buffer().unwrap()
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Flip(i, b) => {
                if !bytes.is_empty() {
                    let i = i % len;
                    bytes[i] ^= b;
                }
            }
            Edit::Cut(i) => bytes.truncate(i % len),
            Edit::Insert(i, data) => {
                let i = (i % len).min(bytes.len());
                bytes.splice(i..i, data.iter().copied());
            }
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), 1u8..).prop_map(|(i, b)| Edit::Flip(i, b)),
            any::<usize>().prop_map(Edit::Cut),
            (any::<usize>(), prop::collection::vec(any::<u8>(), 0..16))
                .prop_map(|(i, d)| Edit::Insert(i, d)),
        ],
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        drain(bytes);
    }

    #[test]
    fn arbitrary_text(text in "[;,\t|\"\r\n a-zé0-9€]{0,400}") {
        drain(text.into_bytes());
    }

    /// Parcel references of the land bank as typed, and anything else: read (and written back
    /// the same) or refused in French, never a panic.
    #[test]
    fn parcels_of_any_text(text in "([0-9]{0,4} ?[A-Za-z0-9]{0,3} ?[0-9]{0,6} ?[|]? ?){0,3}|\\PC{0,30}") {
        if let Ok(parcels) = logis_domain::land::parse_parcels(&text) {
            for p in parcels {
                prop_assert_eq!(logis_domain::land::Parcel::parse(&p.text()).ok(), Some(p));
            }
        }
    }

    /// A territory as typed (`245900428,dep:62`) and anything else: read or refused in French,
    /// never a panic; what it reads is written back the same.
    #[test]
    fn territories_of_any_text(text in "((dep:|DEP:|departement:)?[0-9AB]{0,10}[,; ]{0,2}){0,4}|\\PC{0,40}") {
        if let Ok(t) = logis_domain::Territory::parse(&text) {
            prop_assert_eq!(logis_domain::Territory::parse(&t.to_text()).ok(), Some(t));
        }
    }

    /// Total labels as the seeds write them, and anything else, in any column: recognising a
    /// total, summing valid rows and naming the refused ones in a total's scope never panic.
    #[test]
    fn declared_totals_of_any_text(
        label in "(([Ss]ous-)?[Tt][Oo][Tt][Aa][Ll]|CUD|Total|[a-zé0-9 -]{0,12}){0,4}",
        cells in prop::collection::vec("[a-zA-Zé0-9 ,.-]{0,10}", 7),
        refused in any::<bool>(),
    ) {
        use logis_domain::register::line::{RawRow, names_a_total};
        use logis_domain::register::reconcile::{DetailSums, TOTAL_COLUMNS};
        let _ = names_a_total(&label);
        let mut raw = RawRow::default();
        raw.set("libelle", Some(&label));
        raw.set("logements", cells.first().map(String::as_str));
        for (c, v) in TOTAL_COLUMNS.iter().zip(&cells) {
            raw.set(c, Some(v));
        }
        let _ = raw.is_declared_total();
        let mut sums = DetailSums::default();
        if refused { sums.refuse(2, &raw) } else { sums.add(&raw) }
        let filters: Vec<(String, String)> = TOTAL_COLUMNS
            .iter()
            .zip(&cells)
            .map(|(c, v)| (c.to_string(), v.clone()))
            .collect();
        let _ = sums.sum_matching(&filters);
        let found = sums.refused_matching(&filters);
        prop_assert_eq!(found.len(), usize::from(refused));
    }

    #[test]
    fn damaged_csv(e in edits()) {
        drain(apply(valid_csv(), &e));
    }

    #[test]
    fn damaged_xlsx(e in edits()) {
        drain(apply(valid_xlsx(), &e));
    }

    #[test]
    fn zip_signature_then_garbage(tail in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(tail);
        drain(bytes);
    }
}

#[test]
fn the_valid_files_do_read() {
    assert!(drain(valid_csv()) >= 2);
    assert!(drain(valid_xlsx()) >= 1);
}

proptest! {
    // (Each case resolves against the whole French geography, suggestions included.)
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any commune cell, with or without a territory of several parts: today's commune and the
    /// former one as written, or a French refusal; never a panic.
    #[test]
    fn communes_as_written_of_any_text(text in "(Saint[ -]Pol[ -]sur[ -]mer|Fort-Mardyck|59248|5954|[a-zA-Zé' -]{0,20}|[0-9AB]{0,6})") {
        let geo = &*GEOGRAPHY;
        let wide = logis_domain::Territory::parse("245900428,dep:62").ok();
        for t in [None, wide.as_ref()] {
            if let Ok((today, Some(former))) = geo.resolve_written(&text, t) {
                prop_assert_eq!(&former.current, &today.code);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any land bank row: a site or French refusals naming their columns; never a panic.
    #[test]
    fn land_rows_of_any_cells(cells in prop::collection::vec("(.{0,12}|[0-9 ,.-]{0,10}|Dunkerque|AB 12|attribué|EPCI|Vilogia)", logis_domain::land::SITE_COLUMNS.len())) {
        let geo = &*GEOGRAPHY;
        let territory = logis_domain::Territory::parse("245900428").ok();
        let landlords = logis_domain::register::line::OrgIndex::new([(1, "Vilogia", None)]);
        let mut raw = logis_domain::land::SiteRow::default();
        for (c, v) in logis_domain::land::SITE_COLUMNS.iter().zip(&cells) {
            raw.set(c, Some(v));
        }
        let ctx = logis_domain::land::SiteContext { geography: geo, territory: territory.as_ref(), landlords: &landlords };
        if let Err(errors) = raw.parse(&ctx) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(logis_domain::land::SITE_COLUMNS.contains(&e.column), "{}", e.column);
            }
        }
    }

    /// Any grouped tender row, any SIRET, any coordinates: a value or a French refusal.
    #[test]
    fn tender_rows_of_any_cells(cells in prop::collection::vec("(.{0,12}|[0-9 ,.-]{0,14}|Vilogia|chauffage|Lot 1)", logis_domain::land::tenders::TENDER_COLUMNS.len()), x in any::<f64>(), y in any::<f64>()) {
        let landlords = logis_domain::register::line::OrgIndex::new([(1, "Vilogia", None)]);
        let mut raw = logis_domain::land::tenders::TenderRow::default();
        for (c, v) in logis_domain::land::tenders::TENDER_COLUMNS.iter().zip(&cells) {
            raw.set(c, Some(v));
        }
        if let Err(errors) = raw.parse(&landlords) {
            prop_assert!(!errors.is_empty());
        }
        for v in &cells {
            let _ = logis_domain::Siret::parse(v);
        }
        let _ = logis_domain::land::Point::from_xy(x, y);
        let _ = logis_domain::land::lambert93_to_wgs84(x, y);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any proximity or mobility row, any photo bytes, any month: a value or French refusals
    /// naming their columns; never a panic.
    #[test]
    fn proximity_rows_of_any_cells(
        cells in prop::collection::vec("(.{0,12}|[0-9 ,./-]{0,14}|Dunkerque|encombrants|Vilogia|2026-03|oui)", 12),
        bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        use logis_domain::proximity::{self, Cells, mobility};
        let geo = &*GEOGRAPHY;
        let orgs = logis_domain::register::line::OrgIndex::new([(1, "Vilogia", None)]);
        let columns: Vec<&str> = proximity::COMPETENCE_COLUMNS
            .iter()
            .chain(proximity::REPORT_COLUMNS)
            .chain(mobility::OFFER_COLUMNS)
            .chain(mobility::DEMAND_COLUMNS)
            .chain(mobility::OCCUPANCY_COLUMNS)
            .copied()
            .collect();
        let mut row = Cells::default();
        for (c, v) in columns.iter().zip(cells.iter().cycle()) {
            row.set(c, Some(v));
        }
        let _ = proximity::parse_competence(&row, geo, None, &orgs);
        let _ = proximity::parse_report(&row, &orgs);
        let _ = mobility::parse_offer(&row, geo, None, &orgs);
        let _ = mobility::parse_demand(&row, geo, None);
        let _ = mobility::parse_occupancy(&row);
        let _ = proximity::photo_kind(&bytes);
        for v in &cells {
            let _ = proximity::Month::parse(v);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any household or vacancy row: a value or French refusals naming their columns, never a
    /// panic; a household read back fits any vacancy read back or not, never a panic either.
    #[test]
    fn relocation_rows_of_any_cells(
        cells in prop::collection::vec("(.{0,12}|[0-9 ,./-]{0,14}|Dunkerque|59183\\|Grande-Synthe|Vilogia|CCAS|oui|non|à reloger|proposition|reponse|relogement|refusée|définitif|01/02/2026)", 16),
    ) {
        use logis_domain::relocation::{self, CostRules, HOUSEHOLD_COLUMNS, VACANCY_COLUMNS};
        use logis_domain::proximity::Cells;
        let geo = &*GEOGRAPHY;
        let landlords = logis_domain::register::line::OrgIndex::new([(1, "Vilogia", None)]);
        let ccas = logis_domain::register::line::OrgIndex::new([(2, "CCAS", None)]);
        let mut h = Cells::default();
        for (c, v) in HOUSEHOLD_COLUMNS.iter().zip(cells.iter()) {
            h.set(c, Some(v));
        }
        let mut v = Cells::default();
        for (c, x) in VACANCY_COLUMNS.iter().zip(cells.iter().rev()) {
            v.set(c, Some(x));
        }
        let household = relocation::parse_household(&h, geo, None, &landlords, &ccas);
        let vacancy = relocation::parse_vacancy(&v, geo, None, &landlords, Some(1));
        for e in household.as_ref().err().into_iter().flatten().chain(vacancy.as_ref().err().into_iter().flatten()) {
            prop_assert!(!e.message.is_empty());
            prop_assert!(HOUSEHOLD_COLUMNS.contains(&e.column) || VACANCY_COLUMNS.contains(&e.column), "{}", e.column);
        }
        let mut f = Cells::default();
        for (c, x) in relocation::FOLLOW_UP_COLUMNS.iter().zip(cells.iter().skip(2)) {
            f.set(c, Some(x));
        }
        if let Err(errors) = relocation::parse_follow_up(&f, &landlords, Some(1)) {
            for e in errors {
                prop_assert!(!e.message.is_empty());
                prop_assert!(relocation::FOLLOW_UP_COLUMNS.contains(&e.column), "{}", e.column);
            }
        }
        if let (Ok(h), Ok(v)) = (household, vacancy) {
            let _ = relocation::fit(&h, &v, &CostRules::default());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any RPLS row of any vintage's cells: a dwelling (its sums added) or French refusals
    /// naming their columns; never a panic.
    #[test]
    fn rpls_rows_of_any_cells(cells in prop::collection::vec("(.{0,12}|[0-9 ,./-]{0,10}|59183|QN05901M|[A-Ha-h]|9999|01/1900)", logis_domain::stock::RPLS_COLUMNS.len()), vintage in 2000i32..2100) {
        use logis_domain::stock::{RPLS_COLUMNS, StockSums, parse_dwelling};
        let geo = &*GEOGRAPHY;
        let row = RPLS_COLUMNS.iter().copied().zip(cells.iter().map(|c| Some(c.as_str())));
        match parse_dwelling(row, geo) {
            Ok(d) => {
                let mut s = StockSums::default();
                s.add(&d, vintage);
                prop_assert_eq!(s.dwellings, 1);
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for (c, m) in errors {
                    prop_assert!(RPLS_COLUMNS.contains(&c) && !m.is_empty(), "{}", c);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any lease, household, SNE row or charter form of any cells: a draft (counted) or French
    /// refusals naming their columns; any text as packed occupancy sums: sums or `None`; never
    /// a panic.
    #[test]
    fn settlement_rows_of_any_cells(
        cells in prop::collection::vec("(.{0,12}|[0-9 ,./-]{0,10}|59183|Dunkerque|QN05904M|oui|non|Vilogia|etat|monoparentale|[0-9]{1,3})", 13),
        packed in "([0-9,;/]{0,40}|\\PC{0,20})",
    ) {
        use logis_domain::cells::Cells;
        use logis_domain::settlement::{LEASE_COLUMNS, TargetSums, first_quartile, parse_lease};
        use logis_domain::settlement::charter::{CharterForm, parse_charter};
        use logis_domain::settlement::occupancy::{DEMAND_COLUMNS, OCCUPANCY_COLUMNS, OccupancySums, parse_demand, parse_household};
        let geo = &*GEOGRAPHY;
        let landlords = logis_domain::register::line::OrgIndex::new([(7, "Vilogia", None)]);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let cells_of = |columns: &[&'static str]| {
            let mut c = Cells::default();
            for (k, v) in columns.iter().zip(&cells) {
                c.set(k, Some(v.as_str()));
            }
            c
        };
        match parse_lease(&cells_of(LEASE_COLUMNS), geo, &landlords, today, None) {
            Ok(l) => {
                let mut s = TargetSums::default();
                s.add(&l, first_quartile(&l, Some(1_000_000)).unwrap_or(None));
                prop_assert_eq!(s.leases, 1);
            }
            Err(e) => prop_assert!(e.iter().all(|f| LEASE_COLUMNS.contains(&f.column) && !f.message.is_empty())),
        }
        let known = std::collections::HashSet::from(["QN05904M".to_string()]);
        match parse_household(&cells_of(OCCUPANCY_COLUMNS), geo, &landlords, &known) {
            Ok(h) => {
                let mut s = OccupancySums::default();
                s.add(&h);
                prop_assert_eq!(OccupancySums::unpack(&s.pack()), Some(s));
            }
            Err(e) => prop_assert!(e.iter().all(|f| OCCUPANCY_COLUMNS.contains(&f.column) && !f.message.is_empty())),
        }
        match parse_demand(&cells_of(DEMAND_COLUMNS), geo, 2026) {
            Ok(d) => prop_assert!(d.pressure().is_none_or(|p| p >= 0.0)),
            Err(e) => prop_assert!(e.iter().all(|f| DEMAND_COLUMNS.contains(&f.column) && !f.message.is_empty())),
        }
        let form = CharterForm {
            commune: &cells[0],
            quartier: &cells[1],
            title: &cells[2],
            partners: &cells[3],
            status: &cells[4],
            signed: &cells[5],
            objectives: &cells[6],
            indicators: cells[7..].iter().map(String::as_str).collect(),
        };
        if let Err(e) = parse_charter(&form, geo, today) {
            prop_assert!(!e.is_empty() && e.iter().all(|(_, m)| !m.is_empty()));
        }
        let _ = OccupancySums::unpack(&packed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any PSP row of any cells: a residence (its exposure computed) or French refusals naming
    /// their columns; never a panic.
    #[test]
    fn psp_rows_of_any_cells(cells in prop::collection::vec("(.{0,12}|[0-9 ,.|-]{0,10}|Lens|62498|demolir|rehabiliter|[A-Ga-g]|[0-9]{4})", logis_domain::plans::PSP_COLUMNS.len())) {
        use logis_domain::cells::Cells;
        use logis_domain::plans::{PSP_COLUMNS, exposed_from, overlaps, parse_residence};
        let mut c = Cells::default();
        for (k, v) in PSP_COLUMNS.iter().zip(&cells) {
            c.set(k, Some(v.as_str()));
        }
        match parse_residence(&c, &GEOGRAPHY) {
            Ok(r) => {
                let _ = exposed_from(&r);
                let one = [r.clone()];
                let two = [r];
                prop_assert!(overlaps(&[(1, &one), (2, &two)]).len() <= 1);
            }
            Err(e) => prop_assert!(e.iter().all(|f| PSP_COLUMNS.contains(&f.column) && !f.message.is_empty())),
        }
    }

    /// Any action or committee decision form: an action (proposée unless said) or French
    /// refusals naming their fields; never a panic.
    #[test]
    fn action_forms_of_any_text(cells in prop::collection::vec("(.{0,12}|[0-9/]{0,10}|etude|vente|validee|abandonnee|20[0-9]{2})", 9)) {
        use logis_domain::plans::actions::{ActionForm, ActionStatus, parse_action, parse_decision};
        let form = ActionForm {
            title: &cells[0],
            kind: &cells[1],
            status: &cells[2],
            first_year: &cells[3],
            last_year: &cells[4],
            detail: &cells[5],
        };
        match parse_action(&form) {
            Ok(a) => prop_assert!(a.first_year.zip(a.last_year).is_none_or(|(x, y)| x <= y)),
            Err(e) => prop_assert!(!e.is_empty() && e.iter().all(|(_, m)| !m.is_empty())),
        }
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        for current in ActionStatus::ALL {
            if let Err(e) = parse_decision(&cells[6], &cells[7], &cells[8], *current, today) {
                prop_assert!(!e.is_empty() && e.iter().all(|(_, m)| !m.is_empty()));
            }
        }
    }

    /// Any bytes, and any JSON in SIAP's shape with its values replaced: operations or French
    /// problems naming their operation; never a panic.
    #[test]
    fn siap_batches_of_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200), values in prop::collection::vec("(.{0,8}|-?[0-9]{1,12}(\\.[0-9]{1,3})?|null|true|\\[\\]|\\{\\})", 12)) {
        let _ = logis_io::siap::read_operations(&bytes);
        let _ = logis_io::siap::read_numbers(&bytes);
        let template = include_str!("data/siap-operation.json");
        let mut text = template.to_string();
        for (i, key) in ["\"475480802\"", "\"59271\"", "\"CNE\"", "\"20250590012\"", "\"PLAI\"", "\"nbLogementsCollectifs\": 8", "\"nbLogements\": 4", "196.0", "120000", "2100000", "450000", "false"].iter().enumerate() {
            let v = &values[i];
            let json = if serde_json::from_str::<serde_json::Value>(v).is_ok() { v.clone() } else { serde_json::to_string(v).unwrap() };
            let with = match key.split_once(": ") {
                Some((k, _)) => format!("{k}: {json}"),
                None => json,
            };
            text = text.replacen(key, &with, 1);
        }
        match logis_io::siap::read_operations(text.as_bytes()) {
            Ok(ops) => prop_assert!(ops.iter().all(|o| !o.number.is_empty() && !o.lines.is_empty() && o.lines.iter().all(|l| l.dwellings > 0))),
            Err(problems) => prop_assert!(problems.iter().all(|p| !p.message.is_empty())),
        }
    }
}
