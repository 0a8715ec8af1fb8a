//! Operations: the list with its filters, search, sort and pages (state in the address), its
//! CSV/XLSX export, the operation page with its lines, financing plan and history.

use crate::accounts::auth::Authed;
use crate::{AppState, Chrome, PAGE_SIZE, PageError, blocking, local_time, n, render};
use askama::Template;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use logis_domain::numbers::group_thousands;
use logis_domain::{Nature, OrgKind, Permission};
use logis_io::write::ExportFormat;
use logis_store::LineFilter;
use serde::Deserialize;

/// The filters of the operations list, as they appear in its address (so that a filtered list
/// can be bookmarked and shared). Every field is the text the user typed or chose.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub(crate) struct LineQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    programme: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    bailleur: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    commune: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    quartier: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    nature: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    produit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    stade: String,
    /// One year (kept for links written before the range existed).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    annee: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    annee_min: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    annee_max: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    tri: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    ordre: String,
    #[serde(default, skip_serializing)]
    page: String,
    #[serde(default, skip_serializing)]
    format: String,
}

/// A French message about one field of the filter form (`field` is the input's id).
#[derive(Debug, Clone)]
pub(crate) struct FieldMessage {
    pub field: &'static str,
    pub label: &'static str,
    pub message: String,
}

pub(crate) fn year_param(
    v: &str,
    field: &'static str,
    label: &'static str,
    errors: &mut Vec<FieldMessage>,
) -> Option<i32> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v
        .parse::<i64>()
        .ok()
        .and_then(|y| logis_domain::Year::new(y).ok())
    {
        Some(y) => Some(y.get()),
        None => {
            errors.push(FieldMessage {
                field,
                label,
                message: format!("« {v} » n'est pas une année (par exemple 2026)"),
            });
            None
        }
    }
}

pub(crate) fn id_param(
    v: &str,
    field: &'static str,
    label: &'static str,
    errors: &mut Vec<FieldMessage>,
) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(FieldMessage {
                field,
                label,
                message: format!("valeur inattendue « {v} » : choisissez dans la liste"),
            });
            None
        }
    }
}

pub(crate) fn vocab_param<T>(
    v: &str,
    field: &'static str,
    label: &'static str,
    parse: fn(&str) -> Result<T, logis_domain::codes::Invalid>,
    errors: &mut Vec<FieldMessage>,
) -> Option<T> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match parse(v) {
        Ok(x) => Some(x),
        Err(e) => {
            errors.push(FieldMessage {
                field,
                label,
                message: e.0,
            });
            None
        }
    }
}

impl LineQuery {
    /// The filter, and a French message for each parameter that could not be read (that
    /// parameter is then ignored). The commune may be an INSEE code or a name.
    pub(crate) fn filter(
        &self,
        geo: &logis_domain::Geography,
        territory: Option<&logis_domain::Territory>,
    ) -> (LineFilter, Vec<FieldMessage>) {
        let mut e = Vec::new();
        let mut f = LineFilter {
            programme_id: id_param(&self.programme, "programme", "Programme", &mut e),
            landlord_id: id_param(&self.bailleur, "bailleur", "Bailleur", &mut e),
            quartier_id: id_param(&self.quartier, "quartier", "Quartier", &mut e),
            nature: vocab_param(&self.nature, "nature", "Nature", Nature::parse, &mut e),
            product: vocab_param(
                &self.produit,
                "produit",
                "Produit",
                logis_domain::Product::parse,
                &mut e,
            ),
            stage: vocab_param(
                &self.stade,
                "stade",
                "Stade",
                logis_domain::Stage::parse,
                &mut e,
            ),
            ..Default::default()
        };
        let commune = self.commune.trim();
        if !commune.is_empty() {
            match geo.resolve(commune, territory) {
                Ok(c) => f.commune = Some(c.code.clone()),
                Err(err) => e.push(FieldMessage {
                    field: "commune",
                    label: "Commune",
                    message: err.to_string(),
                }),
            }
        }
        if let Some(y) = year_param(&self.annee, "annee_min", "Année", &mut e) {
            f.year_from = Some(y);
            f.year_to = Some(y);
        }
        if let Some(y) = year_param(&self.annee_min, "annee_min", "Année, de", &mut e) {
            f.year_from = Some(y);
        }
        if let Some(y) = year_param(&self.annee_max, "annee_max", "Année, à", &mut e) {
            f.year_to = Some(y);
        }
        if let (Some(a), Some(b)) = (f.year_from, f.year_to)
            && a > b
        {
            e.push(FieldMessage {
                field: "annee_max",
                label: "Année, à",
                message: format!("l'année de fin ({b}) précède l'année de début ({a})"),
            });
            f.year_to = None;
        }
        let text: String = self.q.chars().take(200).collect();
        let key = logis_domain::text::name_key(&text);
        if !key.is_empty() {
            f.text = Some(key);
        }
        if !self.tri.is_empty() {
            match logis_store::LineSort::from_code(&self.tri) {
                Some(sort) => f.sort = sort,
                None => e.push(FieldMessage {
                    field: "tri",
                    label: "Trier par",
                    message: format!("tri inconnu « {} »", self.tri),
                }),
            }
        }
        f.descending = self.ordre == "desc";
        (f, e)
    }

    /// This query as an address query string (without the page), for links and exports.
    pub(crate) fn to_query(&self) -> String {
        let mut q = self.clone();
        if !q.annee.is_empty() && q.annee_min.is_empty() && q.annee_max.is_empty() {
            q.annee_min = std::mem::take(&mut q.annee);
            q.annee_max = q.annee_min.clone();
        }
        q.annee.clear();
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }

    /// The same query sorted by `sort`: ascending, or descending when it is already ascending.
    fn sorted_by(&self, sort: logis_store::LineSort) -> String {
        let mut q = self.clone();
        let same = logis_store::LineSort::from_code(&self.tri).unwrap_or_default() == sort;
        q.ordre = if same && self.ordre != "desc" {
            "desc".into()
        } else {
            String::new()
        };
        q.tri = if sort == logis_store::LineSort::Operation {
            String::new()
        } else {
            sort.code().into()
        };
        q.to_query()
    }
}

struct LineRow {
    operation_id: i64,
    landlord: String,
    reference: String,
    label: String,
    commune: String,
    project: String,
    nature: &'static str,
    product: &'static str,
    dwellings: String,
    year: i32,
    stage: &'static str,
}

/// A sortable column header: its label, the address that sorts by it, and `aria-sort`.
struct SortHeader {
    label: &'static str,
    href: String,
    aria_sort: &'static str,
    num: bool,
}

/// An option of a select: (value, label, selected).
type Choice = (String, String, bool);

fn choices<T>(
    items: impl IntoIterator<Item = T>,
    value: impl Fn(&T) -> (String, String),
    current: &str,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|x| {
            let (v, l) = value(&x);
            let sel = v == current;
            (v, l, sel)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "register/operations.html")]
struct OperationsPage {
    chrome: Chrome,
    q: LineQuery,
    programmes: Vec<Choice>,
    landlords: Vec<Choice>,
    quartiers: Vec<Choice>,
    natures: Vec<Choice>,
    products: Vec<Choice>,
    stages: Vec<Choice>,
    year_min: String,
    errors: Vec<FieldMessage>,
    total: String,
    dwellings: String,
    page: u64,
    pages: u64,
    query: String,
    headers: Vec<SortHeader>,
    items: Vec<LineRow>,
    can_create: bool,
}

impl OperationsPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

/// One page of the operations' list: the count and dwellings of every line the filter keeps,
/// the page shown (the last one when asked beyond), the number of pages and the page's lines.
pub(crate) struct ListPage {
    total: u64,
    dwellings: i64,
    page: u64,
    pages: u64,
    lines: Vec<logis_store::LineRecord>,
}

pub(crate) async fn list(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<LineQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadOperations)?;
    let state = s.clone();
    let (geo, territory, orgs, programmes, quartiers) = blocking(move || {
        let st = state.store.as_ref();
        Ok((
            state.geography()?,
            logis_app::reference::territory(st).map_err(crate::app_to_store)?,
            st.organisations()?,
            st.programmes()?,
            st.quartiers()?,
        ))
    })
    .await?;
    let (mut filter, errors) = q.filter(&geo, territory.as_ref());
    filter.scope = a.principal.line_scope();
    let wanted = q.page.trim().parse::<u64>().unwrap_or(1).max(1);
    let store = s.store.clone();
    let f2 = filter.clone();
    // One aggregate gives the count and the dwellings (from the pre-aggregated sums when the
    // filter allows it), then the page asked for (the last one if beyond).
    // (Served again while nothing is written: the key is the whole filter, scope included.)
    let lists = s.lists.clone();
    let listed = blocking(move || {
        let key = format!("{wanted}|{f2:?}");
        lists
            .get_kept(store.as_ref(), key, move |store| {
                // A text search is narrowed to its operations once, for the count and the page.
                let mut f2 = store
                    .text_search_in_memory(&f2)?
                    .unwrap_or_else(|| f2.clone());
                let (total, dwellings) = store
                    .aggregate(&f2, &[])?
                    .first()
                    .map(|r| (r.lines.max(0) as u64, r.dwellings))
                    .unwrap_or((0, 0));
                let pages = total.div_ceil(PAGE_SIZE).max(1);
                let page = wanted.min(pages);
                f2.limit = Some(PAGE_SIZE);
                f2.offset = Some((page - 1) * PAGE_SIZE);
                let lines = logis_store::collect_lines(store, &f2)?;
                Ok(ListPage {
                    total,
                    dwellings,
                    page,
                    pages,
                    lines,
                })
            })
            .map_err(crate::app_to_store)
    })
    .await?;
    let ListPage {
        total,
        dwellings,
        page,
        pages,
        ref lines,
    } = *listed;
    let items = lines
        .iter()
        .cloned()
        .map(|l| LineRow {
            operation_id: l.operation_id,
            landlord: l.landlord,
            reference: l.reference,
            label: l.label.unwrap_or_default(),
            commune: l.commune_name,
            project: l.project.unwrap_or_default(),
            nature: l.nature.label(),
            product: l
                .product
                .map(|p| p.label())
                .or(l.financing.map(|f| f.label()))
                .unwrap_or(""),
            dwellings: group_thousands(i64::from(l.dwellings)),
            year: l.year,
            stage: l.stage.map(|s| s.label()).unwrap_or(""),
        })
        .collect();
    use logis_store::LineSort;
    let headers = [
        (LineSort::Landlord, false),
        (LineSort::Reference, false),
        (LineSort::Commune, false),
        (LineSort::Dwellings, true),
        (LineSort::Year, true),
        (LineSort::Stage, false),
    ]
    .into_iter()
    .map(|(sort, num)| SortHeader {
        label: sort_label(sort),
        href: format!("/operations?{}", q.sorted_by(sort)),
        aria_sort: if filter.sort == sort {
            if filter.descending {
                "descending"
            } else {
                "ascending"
            }
        } else {
            ""
        },
        num,
    })
    .collect();
    // A landlord user sees only its own landlord in the list of landlords.
    let own = match a.principal.line_scope() {
        Some(logis_domain::LineScope::Landlord(id)) => Some(id),
        _ => None,
    };
    let landlords = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Landlord && own.is_none_or(|id| id == o.id));
    Ok(render(&OperationsPage {
        chrome: a.chrome("operations"),
        programmes: choices(
            &programmes,
            |p| (p.id.to_string(), p.name.clone()),
            &q.programme,
        ),
        landlords: choices(
            landlords,
            |o| (o.id.to_string(), o.name.clone()),
            &q.bailleur,
        ),
        quartiers: choices(
            &quartiers,
            |x| {
                let commune = geo
                    .commune(x.commune.as_str())
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                (x.id.to_string(), format!("{} ({commune})", x.name))
            },
            &q.quartier,
        ),
        natures: choices(
            Nature::ALL,
            |x| (x.code().into(), x.label().into()),
            filter.nature.map(|x| x.code()).unwrap_or(""),
        ),
        products: choices(
            logis_domain::Product::ALL,
            |x| (x.code().into(), x.label().into()),
            filter.product.map(|x| x.code()).unwrap_or(""),
        ),
        stages: choices(
            logis_domain::Stage::ALL,
            |x| (x.code().into(), x.label().into()),
            filter.stage.map(|x| x.code()).unwrap_or(""),
        ),
        year_min: if q.annee_min.is_empty() {
            q.annee.clone()
        } else {
            q.annee_min.clone()
        },
        errors,
        total: n(total),
        dwellings: group_thousands(dwellings),
        page,
        pages,
        query: q.to_query(),
        headers,
        items,
        can_create: a.principal.may(Permission::WriteOperations),
        q,
    }))
}

/// Stream the export: the store writes on a blocking thread into a channel the response reads.
pub(crate) async fn export(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Query(q): Query<LineQuery>,
) -> Result<Response, PageError> {
    a.require(Permission::ReadOperations)?;
    let state = s.clone();
    let (geo, territory) = blocking(move || {
        Ok((
            state.geography()?,
            logis_app::reference::territory(state.store.as_ref()).map_err(crate::app_to_store)?,
        ))
    })
    .await?;
    let (mut filter, errors) = q.filter(&geo, territory.as_ref());
    if let Some(e) = errors.first() {
        return Err(PageError {
            status: StatusCode::BAD_REQUEST,
            message: format!("{} : {}", e.label, e.message),
        });
    }
    filter.scope = a.principal.line_scope();
    let format = match q.format.as_str() {
        "" => ExportFormat::Csv,
        f => ExportFormat::parse(f).ok_or_else(|| PageError {
            status: StatusCode::BAD_REQUEST,
            message: format!("format d'export inconnu « {f} » (csv ou xlsx)"),
        })?,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(8);
    let costs = if a.principal.may(Permission::ReadFinancing) {
        logis_io::write::Costs::Included
    } else {
        logis_io::write::Costs::Withheld
    };
    let store = s.store.clone();
    tokio::task::spawn_blocking(move || {
        let sink = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(64 * 1024),
        };
        let result = logis_app::register::export::export_operations(
            store.as_ref(),
            &filter,
            format,
            costs,
            sink,
        )
        .and_then(|(mut w, _)| {
            w.flush_now()
                .map_err(|e| logis_app::AppError::Invalid(e.to_string()))?;
            Ok(())
        });
        if let Err(e) = result {
            tracing::error!("export interrompu : {e}");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let name = format!("logis-operations.{}", format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A `Write` that sends 64 KiB chunks to the response body.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn flush_now(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(64 * 1024));
            self.tx
                .blocking_send(Ok(chunk))
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client parti"))?;
        }
        Ok(())
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush_now()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_now()
    }
}

/// The head, lines, financing plan and history of an operation the user may read; another
/// organisation's operation answers 404, as an unknown one does.
pub(crate) async fn visible_operation(
    s: &AppState,
    a: &Authed,
    id: i64,
) -> Result<logis_store::OperationRecord, PageError> {
    a.require(Permission::ReadOperations)?;
    let store = s.store.clone();
    let head = blocking(move || store.operation(id)).await?;
    head.filter(|h| a.principal.sees_operation(h.landlord_id, &h.commune))
        .ok_or_else(|| PageError {
            status: StatusCode::NOT_FOUND,
            message: "Cette opération n'existe pas ou n'est pas visible avec votre compte.".into(),
        })
}

/// The French heading of a sortable column.
fn sort_label(sort: logis_store::LineSort) -> &'static str {
    use logis_store::LineSort;
    match sort {
        LineSort::Operation => "Ordre d'enregistrement",
        LineSort::Reference => "Référence",
        LineSort::Landlord => "Bailleur",
        LineSort::Commune => "Commune",
        LineSort::Year => "Année",
        LineSort::Dwellings => "Logements",
        LineSort::Stage => "Stade",
    }
}

fn fr_datetime(ts: i64) -> String {
    local_time(ts, "%d/%m/%Y %H:%M:%S")
}

/// A line on the operation's page: nature, site, product or financing, dwellings, year, stage,
/// stage date, cost (empty for those who may not read financing).
type OperationLineRow = (
    &'static str,
    &'static str,
    &'static str,
    String,
    i32,
    &'static str,
    String,
    String,
);

#[derive(Template)]
#[template(path = "register/operation.html")]
struct OperationPage {
    chrome: Chrome,
    id: i64,
    reference: String,
    label: String,
    landlord: String,
    commune: String,
    programme: String,
    project: String,
    quartier: String,
    lines: Vec<OperationLineRow>,
    show_plan: bool,
    saved: bool,
    can_edit: bool,
    /// The dated stages of the lines, oldest first: (date, stage, line).
    timeline: Vec<(String, &'static str, String)>,
    plan: Vec<(&'static str, String, String, String)>,
    history: Vec<logis_app::register::history::Entry>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct OperationQuery {
    #[serde(default)]
    enregistree: String,
}

pub(crate) async fn operation(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Query(q): Query<OperationQuery>,
) -> Result<Response, PageError> {
    let head = visible_operation(&s, &a, id).await?;
    let can_edit = a.principal.may(Permission::WriteOperations)
        && a.principal.may_write_landlord(head.landlord_id);
    let store = s.store.clone();
    let show_plan = a.principal.may(Permission::ReadFinancing);
    let (lines, events, plan, history, orgs) = blocking(move || {
        use logis_app::register::history;
        let f = LineFilter {
            operation_id: Some(id),
            ..Default::default()
        };
        let lines = logis_store::collect_lines(store.as_ref(), &f)?;
        let mut events = Vec::new();
        for l in &lines {
            for (stage, date) in store.stage_events(l.line_id)? {
                events.push((date, stage, line_name(l)));
            }
        }
        events.sort();
        let history = {
            let entries = history::for_reader(
                store.audit(&logis_store::AuditFilter {
                    operation_id: Some(id),
                    limit: Some(500),
                    ..Default::default()
                })?,
                show_plan,
            );
            let mut names = history::Names::load(store.as_ref()).map_err(crate::app_to_store)?;
            names.lines = lines
                .iter()
                .map(|l| (l.line_id.to_string(), line_name(l)))
                .collect();
            history::readable(&entries, &names)
        };
        Ok((
            lines,
            events,
            if show_plan {
                store.financing_plan(id)?
            } else {
                Vec::new()
            },
            history,
            store.organisations()?,
        ))
    })
    .await?;
    Ok(render(&OperationPage {
        chrome: a.chrome("operations"),
        id,
        reference: head.reference,
        label: head.label.unwrap_or_default(),
        landlord: head.landlord,
        commune: format!("{} ({})", head.commune_name, head.commune),
        programme: head.programme.unwrap_or_else(|| "—".into()),
        project: head.project.unwrap_or_else(|| "—".into()),
        quartier: head.quartier.unwrap_or_else(|| "—".into()),
        lines: lines
            .into_iter()
            .map(|l| {
                (
                    l.nature.label(),
                    l.site.map(|s| s.label()).unwrap_or(""),
                    l.product
                        .map(|p| p.label())
                        .or(l.financing.map(|f| f.label()))
                        .unwrap_or(""),
                    group_thousands(i64::from(l.dwellings)),
                    l.year,
                    l.stage.map(|s| s.label()).unwrap_or(""),
                    l.stage_date
                        .map(|d| d.format("%d/%m/%Y").to_string())
                        .unwrap_or_default(),
                    l.cost_cents
                        .filter(|_| show_plan)
                        .map(logis_domain::numbers::format_euros_cents)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        show_plan,
        saved: q.enregistree == "1",
        can_edit,
        timeline: events
            .into_iter()
            .map(|(d, stage, line)| (d.format("%d/%m/%Y").to_string(), stage.label(), line))
            .collect(),
        plan: plan
            .into_iter()
            .map(|p| {
                (
                    p.kind.label(),
                    p.source_id
                        .and_then(|id| orgs.iter().find(|o| o.id == id))
                        .map(|o| o.name.clone())
                        .unwrap_or_default(),
                    p.label,
                    logis_domain::numbers::format_euros_cents(p.amount_cents),
                )
            })
            .collect(),
        history,
    }))
}

/// A line as a phrase: "Construction neuve PLUS 2027, 30 logements".
fn line_name(l: &logis_store::LineRecord) -> String {
    let mut parts = vec![l.nature.label().to_string()];
    if let Some(s) = l.site {
        parts.push(s.label().to_lowercase());
    }
    if let Some(p) = l.product {
        parts.push(p.label().to_string());
    }
    if let Some(f) = l.financing {
        parts.push(f.label().to_string());
    }
    parts.push(l.year.to_string());
    format!(
        "{}, {} logement(s)",
        parts.join(" "),
        group_thousands(i64::from(l.dwellings))
    )
}

/// The history of an operation as CSV (French Excel: `;`, UTF-8 with BOM).
pub(crate) async fn history_csv(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, PageError> {
    visible_operation(&s, &a, id).await?;
    let store = s.store.clone();
    let costs = a.principal.may(Permission::ReadFinancing);
    let rows = blocking(move || {
        let rows = store.audit(&logis_store::AuditFilter {
            operation_id: Some(id),
            ..Default::default()
        })?;
        Ok(logis_app::register::history::for_reader(rows, costs))
    })
    .await?;
    let mut out =
        String::from("\u{feff}date;utilisateur;via;element;identifiant;action;avant;apres\r\n");
    // Quoted cells; a leading formula character is neutralised for spreadsheets.
    let cell = |v: &str| format!("\"{}\"", logis_io::write::csv_text(v).replace('"', "\"\""));
    for h in rows {
        out.push_str(
            &[
                cell(&fr_datetime(h.at)),
                cell(&h.user_name),
                cell(&h.via),
                cell(&h.entity),
                cell(&h.entity_id),
                cell(&h.action),
                cell(h.before.as_deref().unwrap_or("")),
                cell(h.after.as_deref().unwrap_or("")),
            ]
            .join(";"),
        );
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"logis-operation-{id}-historique.csv\""),
            ),
        ],
        out,
    )
        .into_response())
}
