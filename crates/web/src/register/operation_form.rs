//! The operation form: create (`/operations/nouvelle`) and change (`/operations/{id}/modifier`).
//! The fields go through `logis_app::register::edit::save_operation` — the import's checks — and each
//! problem comes back next to its field, with a summary at the top of the page.

use crate::accounts::auth::{Authed, forbidden};
use crate::register::operations::visible_operation;
use crate::{AppState, Chrome, PageError, blocking, render};
use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use logis_app::register::edit::{FormProblem, LineFields, OperationFields, save_operation};
use logis_domain::{Nature, OrgKind, Permission, Product, RehabFinancing, Site, Stage};
use logis_store::LineFilter;

/// Blank lines offered below the filled ones.
const BLANK_LINES: usize = 2;
/// Most lines a form may carry.
const MAX_LINES: usize = 200;

/// An option of a select: (value, label).
type Opt = (String, String);

fn opts<T: Copy>(all: &[T], code: fn(T) -> &'static str, label: fn(T) -> &'static str) -> Vec<Opt> {
    all.iter()
        .map(|x| (code(*x).to_string(), label(*x).to_string()))
        .collect()
}

/// A line of the form with its problems, per column.
struct LineView {
    n: usize,
    f: LineFields,
    /// True for a stored line: its identifying fields are shown, not edited.
    stored: bool,
    errors: Vec<(String, String)>,
}

impl LineView {
    fn error(&self, column: &str) -> String {
        self.errors
            .iter()
            .filter(|(c, _)| c == column)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

fn label_of(options: &[Opt], value: &str) -> String {
    options
        .iter()
        .find(|(v, _)| v == value)
        .map(|(_, l)| l.clone())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "register/operation_form.html")]
struct FormPage {
    chrome: Chrome,
    /// None: a new operation.
    id: Option<i64>,
    f: OperationFields,
    landlords: Vec<Opt>,
    landlord_name: String,
    landlord_value: String,
    programme_value: String,
    programmes: Vec<Opt>,
    natures: Vec<Opt>,
    sites: Vec<Opt>,
    products: Vec<Opt>,
    financings: Vec<Opt>,
    stages: Vec<Opt>,
    lines: Vec<LineView>,
    /// (field id, message) for the summary at the top.
    summary: Vec<(String, String)>,
    op_errors: Vec<(String, String)>,
}

impl FormPage {
    fn error(&self, column: &str) -> String {
        self.op_errors
            .iter()
            .filter(|(c, _)| c == column)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" ; ")
    }
    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/operations/{id}/modifier"),
            None => "/operations/nouvelle".into(),
        }
    }
}

/// The form's field id of an exchange-format column (on the operation or one line).
fn field_id(line: Option<usize>, column: &str) -> String {
    let col = if column.is_empty() {
        "reference"
    } else {
        column
    };
    match line {
        Some(i) => format!("l{i}-{col}"),
        None => col.to_string(),
    }
}

/// Column names as the form shows them.
fn column_label(column: &str) -> &str {
    match column {
        "reference" => "Référence",
        "bailleur" => "Bailleur",
        "commune" => "Commune",
        "libelle" => "Libellé",
        "programme" => "Programme",
        "projet" => "Projet",
        "quartier" => "Quartier",
        "nature" => "Nature",
        "site" => "Site",
        "produit" => "Produit",
        "financement" => "Financement",
        "logements" => "Logements",
        "annee" => "Année",
        "stade" => "Stade",
        "date_stade" => "Date du stade",
        "cout" => "Coût",
        "" => "Opération",
        other => other,
    }
}

struct Lists {
    landlords: Vec<Opt>,
    programmes: Vec<Opt>,
}

async fn lists(s: &AppState, a: &Authed) -> Result<Lists, PageError> {
    let store = s.store.clone();
    let (orgs, programmes) =
        blocking(move || Ok((store.organisations()?, store.programmes()?))).await?;
    Ok(Lists {
        landlords: orgs
            .into_iter()
            .filter(|o| o.kind == OrgKind::Landlord && a.principal.may_write_landlord(o.id))
            .map(|o| (o.id.to_string(), o.name))
            .collect(),
        programmes: programmes
            .into_iter()
            .map(|p| (p.id.to_string(), p.name))
            .collect(),
    })
}

fn page(
    a: &Authed,
    id: Option<i64>,
    f: OperationFields,
    stored_lines: usize,
    problems: &[FormProblem],
    lists: Lists,
) -> FormPage {
    let mut lines: Vec<LineView> = f
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineView {
            n: i,
            f: l.clone(),
            stored: i < stored_lines,
            errors: problems
                .iter()
                .filter(|p| p.line == Some(i))
                .map(|p| (p.column.clone(), p.message.clone()))
                .collect(),
        })
        .collect();
    let blanks = lines.iter().rev().take_while(|l| l.f.is_blank()).count();
    for _ in blanks..BLANK_LINES {
        let n = lines.len();
        if n >= MAX_LINES {
            break;
        }
        lines.push(LineView {
            n,
            f: LineFields::default(),
            stored: false,
            errors: Vec::new(),
        });
    }
    let landlord_name = f
        .landlord_id
        .and_then(|id| lists.landlords.iter().find(|(v, _)| *v == id.to_string()))
        .map(|(_, l)| l.clone())
        .unwrap_or_default();
    FormPage {
        chrome: a.chrome("operations"),
        id,
        landlord_name,
        landlord_value: f.landlord_id.map(|x| x.to_string()).unwrap_or_default(),
        programme_value: f.programme_id.map(|x| x.to_string()).unwrap_or_default(),
        landlords: lists.landlords,
        programmes: lists.programmes,
        natures: opts(Nature::ALL, Nature::code, Nature::label),
        sites: opts(Site::ALL, Site::code, Site::label),
        products: opts(Product::ALL, Product::code, Product::label),
        financings: opts(
            RehabFinancing::ALL,
            RehabFinancing::code,
            RehabFinancing::label,
        ),
        stages: opts(Stage::ALL, Stage::code, Stage::label),
        lines,
        summary: problems
            .iter()
            .map(|p| {
                let place = match p.line {
                    Some(i) => format!("Ligne {}, {}", i + 1, column_label(&p.column)),
                    None => column_label(&p.column).to_string(),
                };
                (
                    field_id(p.line, &p.column),
                    format!("{place} : {}", p.message),
                )
            })
            .collect(),
        op_errors: problems
            .iter()
            .filter(|p| p.line.is_none())
            .map(|p| (p.column.clone(), p.message.clone()))
            .collect(),
        f,
    }
}

pub(crate) async fn new_form(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
) -> Result<Response, PageError> {
    a.require(Permission::WriteOperations)?;
    let lists = lists(&s, &a).await?;
    let mut f = OperationFields::default();
    // A landlord editor has one landlord: chosen for them.
    if lists.landlords.len() == 1 {
        f.landlord_id = lists.landlords[0].0.parse().ok();
    }
    f.lines = vec![LineFields::default(); 3];
    Ok(render(&page(&a, None, f, 0, &[], lists)))
}

/// The operation's fields as stored, and how many lines it has.
async fn stored(s: &AppState, a: &Authed, id: i64) -> Result<(OperationFields, usize), PageError> {
    let head = visible_operation(s, a, id).await?;
    if !a.principal.may_write_landlord(head.landlord_id) {
        return Err(forbidden());
    }
    let store = s.store.clone();
    let (lines, programmes) = blocking(move || {
        let f = LineFilter {
            operation_id: Some(id),
            ..Default::default()
        };
        Ok((
            logis_store::collect_lines(store.as_ref(), &f)?,
            store.programmes()?,
        ))
    })
    .await?;
    let programme_id = head
        .programme
        .as_ref()
        .and_then(|name| programmes.iter().find(|p| &p.name == name))
        .map(|p| p.id);
    let n = lines.len();
    Ok((OperationFields::of(&head, programme_id, &lines), n))
}

pub(crate) async fn edit_form(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    a.require(Permission::WriteOperations)?;
    let (f, n) = stored(&s, &a, id).await?;
    let lists = lists(&s, &a).await?;
    Ok(render(&page(&a, Some(id), f, n, &[], lists)))
}

/// The form's fields from the posted pairs (`l{n}-{column}` for lines).
fn read_form(pairs: &[(String, String)]) -> (OperationFields, bool) {
    let mut f = OperationFields::default();
    let mut add_line = false;
    for (k, v) in pairs {
        let v = v.clone();
        match k.as_str() {
            "bailleur" => f.landlord_id = v.trim().parse().ok(),
            "reference" => f.reference = v,
            "libelle" => f.label = v,
            "commune" => f.commune = v,
            "programme" => f.programme_id = v.trim().parse().ok(),
            "projet" => f.project = v,
            "quartier" => f.quartier = v,
            "action" => add_line = v == "ajouter",
            other => {
                let Some((n, col)) = other
                    .strip_prefix('l')
                    .and_then(|r| r.split_once('-'))
                    .and_then(|(n, c)| n.parse::<usize>().ok().map(|n| (n, c)))
                else {
                    continue;
                };
                if n >= MAX_LINES {
                    continue;
                }
                if f.lines.len() <= n {
                    f.lines.resize(n + 1, LineFields::default());
                }
                let l = &mut f.lines[n];
                match col {
                    "nature" => l.nature = v,
                    "site" => l.site = v,
                    "produit" => l.produit = v,
                    "financement" => l.financement = v,
                    "logements" => l.logements = v,
                    "annee" => l.annee = v,
                    "stade" => l.stade = v,
                    "date_stade" => l.date_stade = v,
                    "cout" => l.cout = v,
                    _ => {}
                }
            }
        }
    }
    (f, add_line)
}

async fn submit(
    s: AppState,
    a: Authed,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    a.require(Permission::WriteOperations)?;
    let (mut f, add_line) = read_form(&pairs);
    let stored_lines = match id {
        Some(id) => {
            // The reference and landlord of a stored operation do not change here.
            let (before, n) = stored(&s, &a, id).await?;
            f.reference = before.reference;
            f.landlord_id = before.landlord_id;
            n
        }
        None => 0,
    };
    let lists = lists(&s, &a).await?;
    if add_line {
        if f.lines.len() < MAX_LINES {
            f.lines.push(LineFields::default());
        }
        return Ok(render(&page(&a, id, f, stored_lines, &[], lists)));
    }
    let only = match a.principal.role {
        logis_domain::Role::Admin => None,
        _ => a.principal.organisation_id,
    };
    if let Some(l) = f.landlord_id
        && !a.principal.may_write_landlord(l)
    {
        return Err(forbidden());
    }
    let store = s.store.clone();
    let actor = a.actor();
    let form = f.clone();
    let out = blocking(move || {
        save_operation(store.as_ref(), &actor, &form, only).map_err(crate::app_to_store)
    })
    .await?;
    match out.operation_id {
        Some(saved) if out.problems.is_empty() => Ok((
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/operations/{saved}?enregistree=1"),
            )],
        )
            .into_response()),
        _ => {
            let mut res = render(&page(&a, id, f, stored_lines, &out.problems, lists));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit(s, a, None, pairs).await
}

pub(crate) async fn update(
    State(s): State<AppState>,
    Extension(a): Extension<Authed>,
    Path(id): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit(s, a, Some(id), pairs).await
}

/// Whether the line's `col` holds `value` (for `selected`).
fn matches(l: &LineView, col: &str, value: &str) -> bool {
    let v = match col {
        "nature" => &l.f.nature,
        "site" => &l.f.site,
        "produit" => &l.f.produit,
        "financement" => &l.f.financement,
        "stade" => &l.f.stade,
        _ => return false,
    };
    // Codes, or what a user typed (a label) when the form comes back.
    v == value
}
