//! The choropleth map of the territory's communes, drawn as SVG on the server from the commune
//! contours of IGN Admin Express COG 2018 (`data/contours-59-62.json`, see data/SOURCES.md).
//! Contours of communes merged since 2018 are drawn under today's commune.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use logis_domain::{Geography, Nature, OrgKind, Permission, Stage};
use logis_store::LineFilter;
use logis_store::query::Dim;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::{Arc, LazyLock, Mutex};

#[derive(Debug, Deserialize)]
struct ContourFile {
    communes: Vec<Contour>,
}

#[derive(Debug, Deserialize)]
struct Contour {
    code: String,
    /// Rings of [longitude, latitude] in 1e-5 degree.
    rings: Vec<Vec<[i32; 2]>>,
}

/// Contours by 2018 INSEE code, read once from the embedded file.
static CONTOURS: LazyLock<HashMap<String, Vec<Vec<[i32; 2]>>>> = LazyLock::new(|| {
    let file: ContourFile =
        match serde_json::from_str(include_str!("../../../../data/contours-59-62.json")) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!("contours des communes illisibles : {e}");
                ContourFile {
                    communes: Vec::new(),
                }
            }
        };
    file.communes
        .into_iter()
        .map(|c| (c.code, c.rings))
        .collect()
});

/// Departments whose contours logis carries.
pub const DEPARTMENTS: [&str; 2] = ["59", "62"];

/// Fill colours of the classes, lightest first (the first one is "none").
pub const PALETTE: [&str; 6] = [
    "#f1f3f5", "#c8e4ea", "#8fcad6", "#4fa5b8", "#1f7a8f", "#0b4a59",
];

/// One commune on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapCommune {
    pub code: String,
    pub name: Arc<str>,
    pub value: i64,
    /// Index into [`PALETTE`].
    pub class: usize,
    /// SVG path data (shared by the maps of one list of communes).
    pub path: Arc<str>,
}

/// A legend entry: colour and the French text of its range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegendEntry {
    pub colour: &'static str,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choropleth {
    pub view_box: String,
    pub communes: Vec<MapCommune>,
    pub legend: Vec<LegendEntry>,
    /// Communes of the territory without a contour (outside Nord and Pas-de-Calais).
    pub missing: Vec<String>,
}

/// Class upper bounds for the positive values: up to 5 classes of about as many communes each.
pub fn breaks(values: &[i64]) -> Vec<i64> {
    let mut v: Vec<i64> = values.iter().copied().filter(|x| *x > 0).collect();
    v.sort_unstable();
    v.dedup();
    if v.is_empty() {
        return Vec::new();
    }
    let k = v.len().min(PALETTE.len() - 1);
    let mut out: Vec<i64> = (1..=k).map(|i| v[(i * v.len()).div_ceil(k) - 1]).collect();
    out.dedup();
    out
}

fn class_of(value: i64, breaks: &[i64]) -> usize {
    if value <= 0 {
        return 0;
    }
    breaks
        .iter()
        .position(|b| value <= *b)
        .map(|i| i + 1)
        .unwrap_or(breaks.len())
}

fn legend(breaks: &[i64]) -> Vec<LegendEntry> {
    let n = |v: i64| logis_domain::numbers::group_thousands(v);
    let mut out = vec![LegendEntry {
        colour: PALETTE[0],
        label: "aucun logement".into(),
    }];
    let mut low = 1;
    for (i, b) in breaks.iter().enumerate() {
        let label = if low == *b {
            n(*b)
        } else {
            format!("de {} à {}", n(low), n(*b))
        };
        out.push(LegendEntry {
            colour: PALETTE[i + 1],
            label,
        });
        low = b + 1;
    }
    out
}

/// The communes' outlines for one list of communes, projected: what a map does not owe to its
/// values, made once per list (the float formatting of 70,000 points is most of a map's cost).
#[derive(Debug)]
struct Outlines {
    view_box: String,
    /// (today's code, name, SVG path), by code.
    communes: Vec<(String, Arc<str>, Arc<str>)>,
    missing: Vec<String>,
    /// The projection (west edge and north edge in 1e-5 degree, the longitude's factor, the
    /// scale), and the middle of each commune's outline in its units.
    projection: Option<(i32, i32, f64, f64)>,
    middles: HashMap<String, (f64, f64)>,
}

impl Outlines {
    /// A point (degrees) in the map's units.
    fn project(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let (min_x, max_y, kx, scale) = self.projection?;
        Some((
            (lon * 100_000.0 - f64::from(min_x)) * kx * scale,
            (f64::from(max_y) - lat * 100_000.0) * scale,
        ))
    }
}

/// A map of points over the communes' outlines: each point is placed where its coordinates say,
/// else in the middle of its commune.
#[derive(Debug, Clone)]
pub struct PointMap {
    pub view_box: String,
    /// (code, name, SVG path)
    pub communes: Vec<(String, Arc<str>, Arc<str>)>,
    /// (x, y, placed by its own coordinates) for each point asked, in order; `None`: neither its
    /// coordinates nor its commune are on the map.
    pub points: Vec<Option<(f64, f64, bool)>>,
}

/// The map of `communes` with `points`: (today's commune code, optional longitude and latitude).
pub fn point_map(
    geo: &Arc<Geography>,
    communes: &[String],
    points: &[(String, Option<(f64, f64)>)],
) -> PointMap {
    let shapes = outlines(geo, communes);
    let points = points
        .iter()
        .map(
            |(commune, at)| match at.and_then(|(lon, lat)| shapes.project(lon, lat)) {
                Some((x, y)) => Some((x, y, true)),
                None => shapes.middles.get(commune).map(|(x, y)| (*x, *y, false)),
            },
        )
        .collect();
    PointMap {
        view_box: shapes.view_box.clone(),
        communes: shapes.communes.clone(),
        points,
    }
}

/// The outlines last made, by geography and list of communes (a few lists: the territory's, the
/// territory's and the communes of the operations outside it).
#[allow(clippy::type_complexity)]
static OUTLINES: LazyLock<Mutex<Vec<(Arc<Geography>, Vec<String>, Arc<Outlines>)>>> =
    LazyLock::new(|| Mutex::new(Vec::new()));

fn outlines(geo: &Arc<Geography>, communes: &[String]) -> Arc<Outlines> {
    {
        let held = OUTLINES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, o)) = held
            .iter()
            .find(|(g, list, _)| Arc::ptr_eq(g, geo) && list == communes)
        {
            return Arc::clone(o);
        }
    }
    let made = Arc::new(make_outlines(geo, communes));
    let mut held = OUTLINES.lock().unwrap_or_else(|e| e.into_inner());
    if held.len() >= 8 {
        held.remove(0);
    }
    held.push((Arc::clone(geo), communes.to_vec(), Arc::clone(&made)));
    made
}

fn make_outlines(geo: &Geography, communes: &[String]) -> Outlines {
    // Today's code → its 2018 contours.
    let wanted: std::collections::HashSet<&str> = communes.iter().map(String::as_str).collect();
    let mut shapes: BTreeMap<&str, Vec<&Vec<[i32; 2]>>> = BTreeMap::new();
    for (code2018, rings) in CONTOURS.iter() {
        let today = geo
            .current(code2018)
            .map(|c| c.code.as_str())
            .unwrap_or(code2018.as_str());
        if wanted.contains(today) {
            shapes.entry(today).or_default().extend(rings.iter());
        }
    }
    let missing = communes
        .iter()
        .filter(|c| !shapes.contains_key(c.as_str()))
        .cloned()
        .collect();
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for rings in shapes.values() {
        for p in rings.iter().flat_map(|r| r.iter()) {
            min_x = min_x.min(p[0]);
            max_x = max_x.max(p[0]);
            min_y = min_y.min(p[1]);
            max_y = max_y.max(p[1]);
        }
    }
    if shapes.is_empty() {
        return Outlines {
            view_box: "0 0 100 100".into(),
            communes: Vec::new(),
            missing,
            projection: None,
            middles: HashMap::new(),
        };
    }
    let mid_lat = f64::from(min_y + max_y) / 2.0 / 100_000.0;
    let kx = mid_lat.to_radians().cos();
    // 1000 units across the wider side.
    let w = f64::from(max_x - min_x) * kx;
    let h = f64::from(max_y - min_y);
    let scale = 1000.0 / w.max(h).max(1.0);
    let project = |p: &[i32; 2]| {
        (
            f64::from(p[0] - min_x) * kx * scale,
            f64::from(max_y - p[1]) * scale,
        )
    };
    let middles = shapes
        .iter()
        .map(|(code, rings)| {
            let (mut lo_x, mut lo_y, mut hi_x, mut hi_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for p in rings.iter().flat_map(|r| r.iter()) {
                let (x, y) = project(p);
                lo_x = lo_x.min(x);
                hi_x = hi_x.max(x);
                lo_y = lo_y.min(y);
                hi_y = hi_y.max(y);
            }
            (code.to_string(), ((lo_x + hi_x) / 2.0, (lo_y + hi_y) / 2.0))
        })
        .collect();
    let communes = shapes
        .iter()
        .map(|(code, rings)| {
            let mut d = String::new();
            for ring in rings {
                for (i, p) in ring.iter().enumerate() {
                    let (x, y) = project(p);
                    let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
            let name = geo
                .commune(code)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| code.to_string());
            (code.to_string(), Arc::from(name), Arc::from(d))
        })
        .collect();
    Outlines {
        view_box: format!("-5 -5 {:.0} {:.0}", w * scale + 10.0, h * scale + 10.0),
        communes,
        missing,
        projection: Some((min_x, max_y, kx, scale)),
        middles,
    }
}

/// The map of `communes` (today's codes) with their `values`. Contours are projected with an
/// equirectangular projection at the territory's mean latitude (enough at this scale).
pub fn choropleth(
    geo: &Arc<Geography>,
    communes: &[String],
    values: &HashMap<String, i64>,
) -> Choropleth {
    let shapes = outlines(geo, communes);
    let all: Vec<i64> = shapes
        .communes
        .iter()
        .map(|(c, _, _)| values.get(c).copied().unwrap_or(0))
        .collect();
    let br = breaks(&all);
    Choropleth {
        view_box: shapes.view_box.clone(),
        communes: shapes
            .communes
            .iter()
            .zip(all)
            .map(|((code, name, path), value)| MapCommune {
                code: code.clone(),
                name: Arc::clone(name),
                value,
                class: class_of(value, &br),
                path: Arc::clone(path),
            })
            .collect(),
        legend: legend(&br),
        missing: shapes.missing.clone(),
    }
}

/// What the map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    Production,
    Demolition,
    Reconstruction,
    Rehabilitation,
}

impl Indicator {
    pub const ALL: [Indicator; 4] = [
        Indicator::Production,
        Indicator::Demolition,
        Indicator::Reconstruction,
        Indicator::Rehabilitation,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Indicator::Production => "production",
            Indicator::Demolition => "demolitions",
            Indicator::Reconstruction => "reconstructions",
            Indicator::Rehabilitation => "rehabilitations",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Indicator::Production => {
                "Logements produits (construction neuve, acquisition-amélioration, reconstruction)"
            }
            Indicator::Demolition => "Logements démolis",
            Indicator::Reconstruction => "Logements reconstruits",
            Indicator::Rehabilitation => "Logements réhabilités",
        }
    }
    pub fn natures(self) -> Vec<Nature> {
        match self {
            Indicator::Production => logis_store::query::producing_natures(),
            Indicator::Demolition => vec![Nature::Demolition],
            Indicator::Reconstruction => vec![Nature::Reconstruction],
            Indicator::Rehabilitation => vec![Nature::Rehabilitation],
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct MapQuery {
    #[serde(default)]
    indicateur: String,
    #[serde(default)]
    stade: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    bailleur: String,
    #[serde(default)]
    annee_min: String,
    #[serde(default)]
    annee_max: String,
}

#[derive(Template)]
#[template(path = "register/map.html")]
struct MapPage<'a> {
    chrome: Chrome,
    territory: &'a str,
    indicators: Vec<(&'static str, &'static str, bool)>,
    stages: Vec<(&'static str, &'static str, bool)>,
    programmes: Vec<(String, String, bool)>,
    landlords: Vec<(String, String, bool)>,
    q: MapQuery,
    title: String,
    map: &'a Choropleth,
    palette: [&'static str; 6],
    /// (commune, value) by decreasing value.
    table: &'a [(String, String)],
    total: &'a str,
    errors: Vec<String>,
}

/// What a map shows for one filter (computed once per state of the register, see
/// [`crate::AppState`]'s `maps`).
pub(crate) struct MapData {
    territory: String,
    map: Choropleth,
    table: Vec<(String, String)>,
    total: String,
}

/// The map of `filter`'s values on the territory's communes (and any commune with a value).
fn map_data(
    store: &dyn logis_store::Store,
    filter: &LineFilter,
) -> Result<MapData, logis_store::StoreError> {
    let geo = store.geography()?;
    let territory = logis_app::reference::territory(store).map_err(crate::app_to_store)?;
    let rows = store.aggregate(filter, &[Dim::CommuneCode])?;
    let values: HashMap<String, i64> = rows
        .iter()
        .map(|r| (r.key(0).to_string(), r.dwellings))
        .collect();
    // The territory's communes, plus any commune with a value (an operation outside it).
    let mut communes: Vec<String> = match &territory {
        Some(t) => geo
            .territory_members(t)
            .map(|c| c.code.as_str().to_string())
            .collect(),
        None => Vec::new(),
    };
    let listed: std::collections::HashSet<String> = communes.iter().cloned().collect();
    let mut outside: Vec<&String> = values.keys().filter(|k| !listed.contains(*k)).collect();
    outside.sort();
    communes.extend(outside.into_iter().cloned());
    let map = choropleth(&geo, &communes, &values);
    let mut table: Vec<(i64, Arc<str>)> = map
        .communes
        .iter()
        .map(|c| (c.value, c.name.clone()))
        .collect();
    table.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let total: i64 = map.communes.iter().map(|c| c.value).sum();
    let n = logis_domain::numbers::group_thousands;
    Ok(MapData {
        territory: territory
            .as_ref()
            .map(|t| t.describe(&geo))
            .unwrap_or_default(),
        map,
        table: table
            .into_iter()
            .map(|(v, c)| (c.to_string(), n(v)))
            .collect(),
        total: n(total),
    })
}

pub(crate) async fn page(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<MapQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadReports)?;
    use crate::register::operations::{id_param, vocab_param, year_param};
    let indicator = Indicator::ALL
        .into_iter()
        .find(|i| i.code() == q.indicateur)
        .unwrap_or(Indicator::Production);
    let mut e = Vec::new();
    let filter = LineFilter {
        natures: indicator.natures(),
        stage: vocab_param(&q.stade, "stade", "Stade", Stage::parse, &mut e),
        programme_id: id_param(&q.programme, "programme", "Programme", &mut e),
        landlord_id: id_param(&q.bailleur, "bailleur", "Bailleur", &mut e),
        year_from: year_param(&q.annee_min, "annee_min", "Année, de", &mut e),
        year_to: year_param(&q.annee_max, "annee_max", "Année, à", &mut e),
        ..Default::default()
    };
    let errors: Vec<String> = e
        .into_iter()
        .map(|m| format!("{} : {}", m.label, m.message))
        .collect();
    let state = s.clone();
    let f2 = filter.clone();
    let (data, orgs, programmes) = blocking(move || {
        let st = state.store.as_ref();
        let key = format!("{f2:?}");
        let data = state
            .maps
            .get_kept(st, key, move |st| Ok(map_data(st, &f2)?))
            .map_err(crate::app_to_store)?;
        Ok((data, st.organisations()?, st.programmes()?))
    })
    .await?;
    Ok(render(&MapPage {
        chrome: a.chrome("carte"),
        territory: &data.territory,
        indicators: Indicator::ALL
            .iter()
            .map(|i| (i.code(), i.label(), *i == indicator))
            .collect(),
        stages: Stage::ALL
            .iter()
            .map(|x| (x.code(), x.label(), filter.stage == Some(*x)))
            .collect(),
        programmes: programmes
            .iter()
            .map(|p| {
                (
                    p.id.to_string(),
                    p.name.clone(),
                    filter.programme_id == Some(p.id),
                )
            })
            .collect(),
        landlords: orgs
            .iter()
            .filter(|o| o.kind == OrgKind::Landlord)
            .map(|o| {
                (
                    o.id.to_string(),
                    o.name.clone(),
                    filter.landlord_id == Some(o.id),
                )
            })
            .collect(),
        title: indicator.label().to_string(),
        table: &data.table,
        total: &data.total,
        palette: PALETTE,
        map: &data.map,
        errors,
        q,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn breaks_split_positive_values_into_at_most_five_classes() {
        assert_eq!(breaks(&[0, 0]), Vec::<i64>::new());
        assert_eq!(breaks(&[5, 0, 5]), vec![5]);
        assert_eq!(breaks(&[1, 2, 3]), vec![1, 2, 3]);
        assert_eq!(
            breaks(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            vec![2, 4, 6, 8, 10]
        );
        let b = breaks(&[10, 20, 30, 40, 50, 60, 70]);
        assert_eq!(b.len(), 5);
        assert_eq!(*b.last().unwrap(), 70);
        assert_eq!(class_of(0, &b), 0);
        assert_eq!(class_of(10, &b), 1);
        assert_eq!(class_of(70, &b), 5);
    }

    #[test]
    fn legend_reads_in_french() {
        let l = legend(&[3, 1500]);
        let labels: Vec<&str> = l.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(
            labels,
            vec!["aucun logement", "de 1 à 3", "de 4 à 1\u{202f}500"]
        );
    }

    #[test]
    fn contours_cover_nord_and_pas_de_calais() {
        assert_eq!(CONTOURS.len(), 1539);
        assert!(CONTOURS.contains_key("59183"));
        assert!(CONTOURS.contains_key("62041"));
    }
}
