//! Shared proximity management (GUSP, issue 17, first part): the themes of a site's competence
//! table and who holds each by default (seed 003, fiche 12: the EPCI for waste and roads, the
//! communes for green spaces, lighting and local facilities, the landlords for their buildings),
//! the deadline of each theme, the life of an assignment, the months of the offer for workers on
//! mobility, and the photos a report may carry (checked by their content).
//! (The store, pages and reports of the capability are to come: see ARCHITECTURE.md.)

pub mod mobility;

use crate::register::vocab::{OrgKind, vocabulary};
use crate::text::name_key;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// What a dysfunction is about, and a line of a site's competence table.
    Theme, "thème" {
        Waste => "dechets", "Déchets et encombrants", ["dechets et encombrants", "encombrants", "ordures", "ordures menageres", "proprete"];
        Roads => "voirie", "Voirie et stationnement", ["voirie et stationnement", "stationnement", "chaussee", "trottoirs"];
        GreenSpaces => "espaces_verts", "Espaces verts", ["espaces verts", "plantations"];
        Lighting => "eclairage", "Éclairage", ["eclairage public"];
        Facilities => "equipements", "Équipements de proximité", ["equipements de proximite", "aires de jeux", "mobilier urbain"];
        Buildings => "parties_communes", "Parties communes et bâti", ["parties communes", "bati", "parties communes et bati", "entretien"];
        Lifts => "ascenseurs", "Ascenseurs", ["ascenseur"];
        Safety => "securite", "Sécurité et tranquillité", ["securite et tranquillite", "tranquillite", "securite"];
        Ownership => "domanialite", "Domanialité", ["foncier", "limites de propriete"];
    }
}

impl Theme {
    /// Who holds the theme when a site's table says nothing else (seed 003's split).
    pub fn default_holder(self) -> OrgKind {
        use Theme::*;
        match self {
            Waste | Roads | Ownership => OrgKind::Epci,
            GreenSpaces | Lighting | Facilities | Safety => OrgKind::Commune,
            Buildings | Lifts => OrgKind::Landlord,
        }
    }

    /// Days an assignment of this theme has before it is overdue, unless the site's table says
    /// otherwise (a stuck lift or an unsafe place cannot wait a fortnight).
    pub fn default_deadline_days(self) -> u32 {
        use Theme::*;
        match self {
            Lifts => 2,
            Safety => 3,
            Waste | Lighting | Buildings => 7,
            Roads | GreenSpaces | Facilities => 15,
            Ownership => 30,
        }
    }
}

vocabulary! {
    /// The status of one partner's assignment of a report.
    AssignmentStatus, "statut" {
        New => "nouveau", "Nouveau", [];
        Acknowledged => "pris_en_compte", "Pris en compte", ["pris en compte", "vu"];
        InProgress => "en_cours", "En cours", ["en cours", "traitement"];
        Refused => "refuse", "Refusé", ["refus"];
        Closed => "clos", "Clos", ["cloture", "termine", "resolu"];
    }
}

impl AssignmentStatus {
    /// Whether the assignment is still the partner's to handle.
    pub fn open(self) -> bool {
        matches!(
            self,
            AssignmentStatus::New | AssignmentStatus::Acknowledged | AssignmentStatus::InProgress
        )
    }

    /// Whether a partner may move an assignment from `self` to `next`: forward while open,
    /// never out of « refusé » or « clos ».
    pub fn may_become(self, next: AssignmentStatus) -> bool {
        use AssignmentStatus::*;
        let rank = |s: AssignmentStatus| match s {
            New => 0,
            Acknowledged => 1,
            InProgress => 2,
            Refused | Closed => 3,
        };
        self.open() && rank(next) > rank(self)
    }

    /// Whether the step needs its reason (a refusal, a closure).
    pub fn needs_reason(self) -> bool {
        matches!(self, AssignmentStatus::Refused | AssignmentStatus::Closed)
    }
}

/// A month as the mobility files write it: `2026-03` (also `03/2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1950..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    pub fn parse(text: &str) -> Result<Month, String> {
        let t = text.trim();
        let bad = || format!("mois illisible « {t} » (attendu : AAAA-MM, par exemple 2026-03)");
        let (y, m) = if let Some((y, m)) = t.split_once('-') {
            (y, m)
        } else if let Some((m, y)) = t.split_once('/') {
            (y, m)
        } else {
            return Err(bad());
        };
        let (Ok(y), Ok(m)) = (y.trim().parse::<i32>(), m.trim().parse::<u32>()) else {
            return Err(bad());
        };
        Month::new(y, m).ok_or_else(bad)
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// `2026-03`.
    pub fn text(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// The kinds of photo a report may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ImageKind {
    Jpeg,
    Png,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
        }
    }
}

/// Largest photo accepted (5 MiB) and how many a report carries at most.
pub const MAX_PHOTO_BYTES: usize = 5 << 20;
pub const MAX_PHOTOS: usize = 3;

/// What a photo is, by its content (not its name): a JPEG (starts with a start-of-image marker,
/// ends with an end-of-image one) or a PNG (its signature, then its header chunk); at most
/// [`MAX_PHOTO_BYTES`]. The French refusal says what was found.
pub fn photo_kind(bytes: &[u8]) -> Result<ImageKind, String> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(format!(
            "photo trop lourde ({:.1} Mio ; 5 Mio au plus)",
            bytes.len() as f64 / 1_048_576.0
        ));
    }
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if bytes.ends_with(&[0xFF, 0xD9]) {
            return Ok(ImageKind::Jpeg);
        }
        return Err("photo JPEG incomplète (le fichier est tronqué)".into());
    }
    if bytes.starts_with(PNG) {
        if bytes.get(12..16) == Some(b"IHDR") {
            return Ok(ImageKind::Png);
        }
        return Err("photo PNG illisible (en-tête absent)".into());
    }
    Err("ce fichier n'est pas une photo JPEG ou PNG (son contenu ne l'est pas, quel que soit son nom)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_split_and_deadlines() {
        assert_eq!(Theme::Waste.default_holder(), OrgKind::Epci);
        assert_eq!(Theme::GreenSpaces.default_holder(), OrgKind::Commune);
        assert_eq!(Theme::Buildings.default_holder(), OrgKind::Landlord);
        assert_eq!(Theme::parse("Encombrants"), Ok(Theme::Waste));
        assert_eq!(Theme::parse("éclairage public"), Ok(Theme::Lighting));
        assert!(Theme::Lifts.default_deadline_days() < Theme::Roads.default_deadline_days());
    }

    #[test]
    fn an_assignment_moves_forward_until_refused_or_closed() {
        use AssignmentStatus::*;
        assert!(New.may_become(InProgress));
        assert!(InProgress.may_become(Closed));
        assert!(New.may_become(Refused));
        assert!(!Closed.may_become(InProgress));
        assert!(!Refused.may_become(Closed));
        assert!(!InProgress.may_become(New));
        assert!(Closed.needs_reason() && Refused.needs_reason() && !InProgress.needs_reason());
    }

    #[test]
    fn months() {
        assert_eq!(
            Month::parse("2026-03").map(Month::text),
            Ok("2026-03".into())
        );
        assert_eq!(
            Month::parse("03/2026").map(Month::text),
            Ok("2026-03".into())
        );
        assert_eq!(
            Month::parse("2026-12").map(|m| m.next().text()),
            Ok("2027-01".into())
        );
        for bad in ["2026-13", "mars", "2026", "", "1900-01"] {
            assert!(
                Month::parse(bad).is_err_and(|e| e.starts_with("mois illisible")),
                "{bad}"
            );
        }
    }

    #[test]
    fn photos_by_their_content() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0xFF, 0xD9];
        assert_eq!(photo_kind(&jpeg), Ok(ImageKind::Jpeg));
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend([0; 13]);
        assert_eq!(photo_kind(&png), Ok(ImageKind::Png));
        assert!(photo_kind(b"%PDF-1.7").is_err_and(|e| e.contains("pas une photo")));
        assert!(photo_kind(&jpeg[..6]).is_err_and(|e| e.contains("tronqué")));
        let big = vec![0xFF; MAX_PHOTO_BYTES + 1];
        assert!(photo_kind(&big).is_err_and(|e| e.contains("trop lourde")));
    }
}

/// The columns of a competence table's file (`logis import gusp-competences`).
pub const COMPETENCE_COLUMNS: &[&str] = &[
    "site",
    "commune",
    "quartier",
    "theme",
    "partenaire",
    "delai_jours",
];
pub const COMPETENCE_REQUIRED: &[&str] = &["site", "commune", "theme", "partenaire"];

/// The columns of a reports' file (`logis import signalements`).
pub const REPORT_COLUMNS: &[&str] = &[
    "signalement",
    "site",
    "theme",
    "date",
    "description",
    "organisation",
    "adresse",
];
pub const REPORT_REQUIRED: &[&str] = &[
    "signalement",
    "site",
    "theme",
    "date",
    "description",
    "organisation",
];

/// Longest description of a report.
pub const MAX_DESCRIPTION: usize = 2000;

/// One line of a site's competence table: who answers for `theme` on `site`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetenceDraft {
    pub site: String,
    pub commune: crate::codes::CommuneCode,
    pub quartier: Option<String>,
    pub theme: Theme,
    /// The organisation responsible (EPCI, commune, landlord, conciergerie).
    pub partner: i64,
    /// Days before an assignment is overdue (the theme's default when not given).
    pub deadline_days: u32,
}

/// A report of a dysfunction as a file row gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDraft {
    /// The reporter's identifier of the report (importing it again updates it).
    pub reference: String,
    pub site: String,
    pub theme: Theme,
    pub date: chrono::NaiveDate,
    pub description: String,
    /// The reporter's organisation.
    pub organisation: i64,
    pub address: String,
}

pub use crate::cells::Cells;
pub(crate) use crate::cells::{Errors, field, required, text};

fn organisation(
    cells: &Cells<'_>,
    column: &'static str,
    orgs: &crate::register::line::OrgIndex,
    errors: &mut Errors,
) -> Option<i64> {
    let v = required(cells, column, errors)?;
    let found = orgs.find(v);
    if found.is_none() {
        let s = orgs.suggestions(v);
        let hint = if s.is_empty() {
            String::new()
        } else {
            format!(" (organisations proches : {})", s.join(", "))
        };
        errors.push(field(
            column,
            format!("organisation inconnue « {v} »{hint}"),
        ));
    }
    found
}

/// A competence table's row, checked: the commune resolved, the theme known, the partner an
/// organisation of the partnership.
pub fn parse_competence(
    cells: &Cells<'_>,
    geography: &crate::reference::Geography,
    territory: Option<&crate::reference::Territory>,
    partners: &crate::register::line::OrgIndex,
) -> Result<CompetenceDraft, Errors> {
    let mut errors = Vec::new();
    let site = required(cells, "site", &mut errors).map(str::to_string);
    let commune = required(cells, "commune", &mut errors).and_then(|c| {
        geography
            .resolve(c, territory)
            .map(|c| c.code.clone())
            .map_err(|e| errors.push(field("commune", e.to_string())))
            .ok()
    });
    let theme = required(cells, "theme", &mut errors).and_then(|t| {
        Theme::parse(t)
            .map_err(|e| errors.push(field("theme", e.0)))
            .ok()
    });
    let partner = organisation(cells, "partenaire", partners, &mut errors);
    let deadline = cells
        .get("delai_jours")
        .and_then(|d| match crate::numbers::parse_integer(d) {
            Some(n) if (1..=365).contains(&n) => Some(n as u32),
            _ => {
                errors.push(field(
                    "delai_jours",
                    format!("« {d} » : un délai est un nombre de jours entre 1 et 365"),
                ));
                None
            }
        });
    let quartier = text(
        cells,
        "quartier",
        crate::register::line::MAX_TEXT,
        &mut errors,
    );
    match (site, commune, theme, partner) {
        (Some(site), Some(commune), Some(theme), Some(partner)) if errors.is_empty() => {
            Ok(CompetenceDraft {
                site,
                commune,
                quartier: (!quartier.is_empty()).then_some(quartier),
                theme,
                partner,
                deadline_days: deadline.unwrap_or_else(|| theme.default_deadline_days()),
            })
        }
        _ => Err(errors),
    }
}

/// A report's row, checked (the site and its competence table are the store's to check).
pub fn parse_report(
    cells: &Cells<'_>,
    organisations: &crate::register::line::OrgIndex,
) -> Result<ReportDraft, Errors> {
    let mut errors = Vec::new();
    let reference = required(cells, "signalement", &mut errors).map(str::to_string);
    let site = required(cells, "site", &mut errors).map(str::to_string);
    let theme = required(cells, "theme", &mut errors).and_then(|t| {
        Theme::parse(t)
            .map_err(|e| errors.push(field("theme", e.0)))
            .ok()
    });
    let date = required(cells, "date", &mut errors).and_then(|d| {
        let v = crate::numbers::parse_date(d);
        if v.is_none() {
            errors.push(field(
                "date",
                format!("date illisible « {d} » (attendu : jj/mm/aaaa)"),
            ));
        }
        v
    });
    if cells.get("description").is_none() {
        errors.push(field("description", "valeur obligatoire manquante"));
    }
    let description = text(cells, "description", MAX_DESCRIPTION, &mut errors);
    let organisation = organisation(cells, "organisation", organisations, &mut errors);
    let address = text(
        cells,
        "adresse",
        crate::register::line::MAX_TEXT,
        &mut errors,
    );
    match (reference, site, theme, date, organisation) {
        (Some(reference), Some(site), Some(theme), Some(date), Some(organisation))
            if errors.is_empty() =>
        {
            Ok(ReportDraft {
                reference,
                site,
                theme,
                date,
                description,
                organisation,
                address,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod row_tests {
    use super::*;
    use crate::register::line::OrgIndex;

    #[test]
    fn a_report_row_names_each_problem() {
        let orgs = OrgIndex::new([(1, "Conciergerie du Banc Vert", None), (2, "Vilogia", None)]);
        let mut cells = Cells::default();
        for (c, v) in [
            ("signalement", "S-1"),
            ("site", "Banc Vert"),
            ("theme", "poubelles qui débordent"),
            ("date", "31/02/2026"),
            ("organisation", "Conciergerie du Banc"),
        ] {
            cells.set(c, Some(v));
        }
        let errors = parse_report(&cells, &orgs).err().unwrap_or_default();
        let columns: Vec<&str> = errors.iter().map(|e| e.column).collect();
        assert_eq!(
            columns,
            ["theme", "date", "description", "organisation"],
            "{errors:?}"
        );
        let mut cells = Cells::default();
        for (c, v) in [
            ("signalement", "S-1"),
            ("site", "Banc Vert"),
            ("theme", "encombrants"),
            ("date", "02/03/2026"),
            ("description", "Matelas devant le hall B"),
            ("organisation", "conciergerie du banc vert"),
        ] {
            cells.set(c, Some(v));
        }
        let d = parse_report(&cells, &orgs).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!((d.theme, d.organisation), (Theme::Waste, 1));
    }
}

/// What a committee reads of one assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentFact {
    pub partner: i64,
    pub theme: Theme,
    pub opened_on: chrono::NaiveDate,
    pub due_on: chrono::NaiveDate,
    pub status: AssignmentStatus,
    /// When it was closed or refused.
    pub ended_on: Option<chrono::NaiveDate>,
}

impl AssignmentFact {
    /// Still open after its deadline, seen on `today`.
    pub fn overdue(&self, today: chrono::NaiveDate) -> bool {
        self.status.open() && today > self.due_on
    }
}

/// One line of a committee's table: a partner and a theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeRow {
    pub partner: i64,
    pub theme: Theme,
    pub opened: u64,
    pub closed: u64,
    pub overdue: u64,
    /// Median days from opening to closing, over the closed ones.
    pub median_days: Option<i64>,
}

/// The committee's table over `facts` (one site and period, or the agglomeration), seen on
/// `today`, by partner then theme.
pub fn committee(facts: &[AssignmentFact], today: chrono::NaiveDate) -> Vec<CommitteeRow> {
    use std::collections::BTreeMap;
    let mut by: BTreeMap<(i64, Theme), (CommitteeRow, Vec<i64>)> = BTreeMap::new();
    for f in facts {
        let (r, days) = by.entry((f.partner, f.theme)).or_insert_with(|| {
            (
                CommitteeRow {
                    partner: f.partner,
                    theme: f.theme,
                    opened: 0,
                    closed: 0,
                    overdue: 0,
                    median_days: None,
                },
                Vec::new(),
            )
        });
        r.opened += 1;
        if f.status == AssignmentStatus::Closed {
            r.closed += 1;
            if let Some(end) = f.ended_on {
                days.push((end - f.opened_on).num_days().max(0));
            }
        }
        if f.overdue(today) {
            r.overdue += 1;
        }
    }
    by.into_values()
        .map(|(mut r, mut days)| {
            days.sort_unstable();
            let n = days.len();
            r.median_days = match n {
                0 => None,
                _ if n % 2 == 1 => days.get(n / 2).copied(),
                _ => Some(
                    (days.get(n / 2 - 1).copied().unwrap_or(0)
                        + days.get(n / 2).copied().unwrap_or(0))
                        / 2,
                ),
            };
            r
        })
        .collect()
}

#[cfg(test)]
mod committee_tests {
    use super::*;

    fn d(m: u32, day: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    #[test]
    fn opened_closed_overdue_and_median() {
        let fact = |status, opened, ended, _place: &str| AssignmentFact {
            partner: 7,
            theme: Theme::Waste,
            opened_on: opened,
            due_on: opened + chrono::Days::new(7),
            status,
            ended_on: ended,
        };
        let facts = [
            fact(
                AssignmentStatus::Closed,
                d(3, 1),
                Some(d(3, 3)),
                "12 rue du Port",
            ),
            fact(
                AssignmentStatus::Closed,
                d(3, 1),
                Some(d(3, 11)),
                "12 Rue du port",
            ),
            fact(
                AssignmentStatus::InProgress,
                d(3, 1),
                None,
                "12 rue du Port ",
            ),
            fact(AssignmentStatus::New, d(3, 20), None, "place Jean Bart"),
        ];
        let rows = committee(&facts, d(3, 22));
        assert_eq!(rows.len(), 1);
        let r = rows
            .first()
            .map(|r| (r.opened, r.closed, r.overdue, r.median_days));
        assert_eq!(r, Some((4, 2, 1, Some(6))));
    }
}
