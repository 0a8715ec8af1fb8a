//! SIAP's operations as its API answers them (`OperationApiIntDTO`, issue 23): one operation or
//! an array of them, read into what the register keeps — the operation's number (its reference),
//! its owner's SIREN, its commune's INSEE code, its nature (from `sansTravaux` and
//! `sousNatureOperation`: CNE a new build, AAM an acquisition-improvement, AST an acquisition
//! without works), its year (the number's first four digits: SIAP numbers operations by the year
//! they are filed), one line per aid with its dwellings, surface and rents, and its financing
//! plan. Tolerant of what the contract and SIAP's own example disagree on (`plansFinancement`, an
//! array, or `planFinancement`, an object): which form was read is said. Every problem names the
//! operation's number and the field, in French; no panic on any input.

use logis_domain::register::vocab::{FundingKind, Nature, Product, Stage};
use serde_json::Value;

/// One line of an operation: an aid with its dwellings.
#[derive(Debug, Clone, PartialEq)]
pub struct SiapLine {
    pub product: Product,
    pub dwellings: u32,
    /// Habitable surface of its dwellings, m² (rounded), when SIAP gives it.
    pub surface_m2: Option<u32>,
    /// The practised (else regulatory) rent per m² of each rent row, as SIAP gives it.
    pub rents: Vec<(String, f64)>,
}

/// One item of the financing plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiapFunding {
    pub kind: FundingKind,
    /// The subsidy's or loan's type as SIAP writes it (« PLUS », « CDC PLUS foncier »…).
    pub label: String,
    pub amount_cents: i64,
}

/// Which form of the financing plan an operation carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanForm {
    /// `plansFinancement`, an array (the contract).
    Contract,
    /// `planFinancement`, an object (SIAP's example).
    Example,
    None,
}

impl PlanForm {
    pub fn describe(self) -> &'static str {
        match self {
            PlanForm::Contract => "plansFinancement (tableau, le contrat d'API)",
            PlanForm::Example => "planFinancement (objet, l'exemple de SIAP)",
            PlanForm::None => "aucun plan de financement",
        }
    }
}

/// An operation of SIAP, valid by construction (its commune and owner still to be found).
#[derive(Debug, Clone, PartialEq)]
pub struct SiapOperation {
    pub number: String,
    pub name: String,
    pub owner_siren: String,
    pub owner_name: String,
    pub commune: String,
    pub nature: Nature,
    pub year: i32,
    pub stage: Option<Stage>,
    pub lines: Vec<SiapLine>,
    pub financing: Vec<SiapFunding>,
    pub plan_form: PlanForm,
}

/// A problem: the operation (its number, or its place in the batch) and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiapProblem {
    pub operation: String,
    pub field: String,
    pub message: String,
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut at = v;
    for p in path {
        at = at.get(p)?;
    }
    at.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn float(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64).filter(|x| x.is_finite())
}

fn count(v: Option<&Value>) -> Result<u32, String> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(x) => x
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= 100_000)
            .ok_or_else(|| format!("« {x} » : un nombre de logements entier attendu")),
    }
}

fn euros(x: f64) -> Option<i64> {
    let cents = (x * 100.0).round();
    (cents.is_finite() && cents.abs() < 1e15).then_some(cents as i64)
}

/// The nature from `sansTravaux` and `sousNatureOperation`.
fn nature(op: &Value) -> Result<Nature, String> {
    let data = op.get("donneesOperation");
    if data
        .and_then(|d| d.get("sansTravaux"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        return Ok(Nature::AcquisitionImprovement);
    }
    match data.and_then(|d| text(d, &["sousNatureOperation"])) {
        Some("CNE") => Ok(Nature::NewBuild),
        Some("AAM" | "AST") => Ok(Nature::AcquisitionImprovement),
        Some(other) => Err(format!(
            "« {other} » inconnu (CNE construction neuve, AAM acquisition-amélioration, AST acquisition sans travaux)"
        )),
        None => Err("valeur obligatoire manquante".into()),
    }
}

fn funding(
    items: Option<&Value>,
    kind: FundingKind,
    field: &str,
    out: &mut Vec<SiapFunding>,
    problems: &mut Vec<(String, String)>,
) {
    let Some(items) = items.and_then(Value::as_array) else {
        return;
    };
    for (i, it) in items.iter().enumerate() {
        let label = text(it, &["type"]).unwrap_or("").to_string();
        match it.get("montant") {
            None | Some(Value::Null) => {}
            Some(m) => match float(Some(m)).and_then(euros) {
                Some(c) if c > 0 => out.push(SiapFunding {
                    kind,
                    label: if label.is_empty() {
                        kind.label().to_string()
                    } else {
                        label
                    },
                    amount_cents: c,
                }),
                Some(0) => {}
                _ => problems.push((
                    format!("{field}[{i}].montant"),
                    format!("montant « {m} » : un nombre positif d'euros attendu"),
                )),
            },
        }
    }
}

/// One operation from its JSON; its problems as (field, message).
fn operation(op: &Value) -> Result<SiapOperation, (String, Vec<(String, String)>)> {
    let mut p: Vec<(String, String)> = Vec::new();
    let number = text(op, &["donneesOperation", "numeroOperation"]).map(str::to_string);
    let mut need = |path: &[&str], field: &str| {
        let v = text(op, path).map(str::to_string);
        if v.is_none() {
            p.push((field.into(), "valeur obligatoire manquante".into()));
        }
        v
    };
    let siren = need(&["donneesMo", "siren"], "donneesMo.siren");
    let commune = need(
        &["donneesLocalisation", "commune", "codeInsee"],
        "donneesLocalisation.commune.codeInsee",
    );
    if number.is_none() {
        p.push((
            "donneesOperation.numeroOperation".into(),
            "valeur obligatoire manquante".into(),
        ));
    }
    if let Some(s) = &siren
        && !(s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()))
    {
        p.push((
            "donneesMo.siren".into(),
            format!("« {s} » : un SIREN de 9 chiffres attendu"),
        ));
    }
    let year = number.as_deref().and_then(|n| {
        n.get(..4)
            .and_then(|y| y.parse::<i32>().ok())
            .filter(|y| (2000..=2100).contains(y))
    });
    if let (Some(n), None) = (&number, year) {
        p.push((
            "donneesOperation.numeroOperation".into(),
            format!(
                "« {n} » : l'année de l'opération (ses quatre premiers chiffres) est illisible"
            ),
        ));
    }
    let nature = nature(op)
        .map_err(|m| p.push(("donneesOperation.sousNatureOperation".into(), m)))
        .ok();
    let stage =
        text(op, &["donneesOperation", "statutOperation"]).and_then(|s| Stage::parse(s).ok());
    // Lines: one per aid.
    let mut lines: Vec<SiapLine> = Vec::new();
    match op.get("detailsOperation") {
        None | Some(Value::Null) => {}
        Some(Value::Array(details)) => {
            for (i, d) in details.iter().enumerate() {
                let field = |f: &str| format!("detailsOperation[{i}].{f}");
                let code = text(d, &["aide", "code"]);
                let product = match code.map(Product::parse) {
                    Some(Ok(pr)) => Some(pr),
                    Some(Err(e)) => {
                        p.push((field("aide.code"), e.0));
                        None
                    }
                    None => {
                        p.push((field("aide.code"), "valeur obligatoire manquante".into()));
                        None
                    }
                };
                let logement = d.get("logement");
                let mut dwellings = 0u32;
                for k in ["nbLogementsIndividuels", "nbLogementsCollectifs"] {
                    match count(logement.and_then(|l| l.get(k))) {
                        Ok(n) => dwellings = dwellings.saturating_add(n),
                        Err(m) => p.push((field(&format!("logement.{k}")), m)),
                    }
                }
                let types = d.get("detailsTypeLogement").and_then(Value::as_array);
                let mut by_type = 0u32;
                let mut surface = 0f64;
                for (j, t) in types.into_iter().flatten().enumerate() {
                    match count(t.get("nbLogements")) {
                        Ok(n) => by_type = by_type.saturating_add(n),
                        Err(m) => {
                            p.push((field(&format!("detailsTypeLogement[{j}].nbLogements")), m))
                        }
                    }
                    if let Some(s) = float(t.get("surfaceHabitable")) {
                        if s < 0.0 {
                            p.push((
                                field(&format!("detailsTypeLogement[{j}].surfaceHabitable")),
                                format!("surface « {s} » négative"),
                            ));
                        } else {
                            surface += s;
                        }
                    }
                }
                if dwellings == 0 {
                    dwellings = by_type;
                }
                let rents = d
                    .get("loyers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|l| {
                        let value = float(l.get("loyerPratique"))
                            .filter(|x| *x > 0.0)
                            .or_else(|| float(l.get("loyerReglementaire")).filter(|x| *x > 0.0))?;
                        Some((text(l, &["type"]).unwrap_or("").to_string(), value))
                    })
                    .collect();
                if dwellings == 0 && product.is_some() {
                    p.push((
                        field("logement"),
                        format!("aucun logement pour l'aide {}", code.unwrap_or("")),
                    ));
                }
                if let Some(product) = product {
                    if lines.iter().any(|l| l.product == product) {
                        p.push((
                            field("aide.code"),
                            format!("l'aide {} est donnée deux fois", product.label()),
                        ));
                    }
                    lines.push(SiapLine {
                        product,
                        dwellings,
                        surface_m2: (surface > 0.0 && surface < 1e9)
                            .then(|| surface.round() as u32),
                        rents,
                    });
                }
            }
        }
        Some(_) => p.push(("detailsOperation".into(), "un tableau attendu".into())),
    }
    if lines.is_empty() && !p.iter().any(|(f, _)| f.starts_with("detailsOperation")) {
        p.push((
            "detailsOperation".into(),
            "aucune aide (PLAI, PLUS, PLS…) avec ses logements".into(),
        ));
    }
    // The financing plan, in either form.
    let mut financing = Vec::new();
    let mut fp = Vec::new();
    let plan_form = match (op.get("plansFinancement"), op.get("planFinancement")) {
        (Some(Value::Array(plans)), _) => {
            for (i, plan) in plans.iter().enumerate() {
                let f = format!("plansFinancement[{i}]");
                read_plan(plan, &f, &mut financing, &mut fp);
            }
            PlanForm::Contract
        }
        (_, Some(plan @ Value::Object(_))) => {
            read_plan(plan, "planFinancement", &mut financing, &mut fp);
            PlanForm::Example
        }
        (Some(Value::Null) | None, Some(Value::Null) | None) => PlanForm::None,
        _ => {
            fp.push((
                "plansFinancement".into(),
                "un tableau (plansFinancement) ou un objet (planFinancement) attendu".into(),
            ));
            PlanForm::None
        }
    };
    p.extend(fp);
    match (number, siren, commune, nature, year) {
        (Some(number), Some(siren), Some(commune), Some(nature), Some(year)) if p.is_empty() => {
            Ok(SiapOperation {
                name: text(op, &["donneesOperation", "nomOperation"])
                    .unwrap_or(&number)
                    .chars()
                    .take(300)
                    .collect(),
                number,
                owner_siren: siren,
                owner_name: text(op, &["donneesMo", "nom"]).unwrap_or("").to_string(),
                commune,
                nature,
                year,
                stage,
                lines,
                financing,
                plan_form,
            })
        }
        (number, ..) => Err((number.unwrap_or_default(), p)),
    }
}

fn read_plan(
    plan: &Value,
    field: &str,
    out: &mut Vec<SiapFunding>,
    problems: &mut Vec<(String, String)>,
) {
    funding(
        plan.get("subventions"),
        FundingKind::Subsidy,
        &format!("{field}.subventions"),
        out,
        problems,
    );
    funding(
        plan.get("prets"),
        FundingKind::Loan,
        &format!("{field}.prets"),
        out,
        problems,
    );
    match plan.get("fondsPropres") {
        None | Some(Value::Null) => {}
        Some(v) => match float(Some(v)).and_then(euros) {
            Some(0) => {}
            Some(c) if c > 0 => out.push(SiapFunding {
                kind: FundingKind::OwnFunds,
                label: "Fonds propres".into(),
                amount_cents: c,
            }),
            _ => problems.push((
                format!("{field}.fondsPropres"),
                format!("montant « {v} » : un nombre positif d'euros attendu"),
            )),
        },
    }
}

/// Read one operation or an array of operations (JSON as SIAP answers it): every operation, or
/// every problem of every operation.
pub fn read_operations(bytes: &[u8]) -> Result<Vec<SiapOperation>, Vec<SiapProblem>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![SiapProblem {
            operation: String::new(),
            field: String::new(),
            message: format!("JSON illisible : {e}"),
        }]
    })?;
    let items: Vec<&Value> = match &value {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![&value],
        _ => {
            return Err(vec![SiapProblem {
                operation: String::new(),
                field: String::new(),
                message: "une opération (objet) ou un tableau d'opérations attendu".into(),
            }]);
        }
    };
    let mut ops = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            problems.push(SiapProblem {
                operation: format!("n° {} du lot", i + 1),
                field: String::new(),
                message: "un objet attendu".into(),
            });
            continue;
        }
        match operation(item) {
            Ok(op) => {
                if ops.iter().any(|o: &SiapOperation| o.number == op.number) {
                    problems.push(SiapProblem {
                        operation: op.number.clone(),
                        field: "donneesOperation.numeroOperation".into(),
                        message: "opération donnée deux fois dans le lot".into(),
                    });
                }
                ops.push(op);
            }
            Err((number, ps)) => {
                let operation = if number.is_empty() {
                    format!("n° {} du lot", i + 1)
                } else {
                    number
                };
                problems.extend(ps.into_iter().map(|(field, message)| SiapProblem {
                    operation: operation.clone(),
                    field,
                    message,
                }));
            }
        }
    }
    if problems.is_empty() {
        Ok(ops)
    } else {
        Err(problems)
    }
}

/// The operations' numbers of SIAP's list (`OperationSuccinteApiIntDTO`: an array of objects with
/// `numeroOperation`).
pub fn read_numbers(bytes: &[u8]) -> Result<Vec<String>, String> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("liste des opérations illisible : {e}"))?;
    let Value::Array(items) = value else {
        return Err("liste des opérations : un tableau attendu".into());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            text(it, &["numeroOperation"])
                .map(str::to_string)
                .filter(|n| {
                    n.len() <= 40 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
                .ok_or_else(|| {
                    format!(
                        "liste des opérations, n° {} : numeroOperation manquant ou illisible",
                        i + 1
                    )
                })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// An invented operation in the shape of SIAP's answer (`planFinancement`, the example's form).
    const OPERATION: &str = include_str!("../tests/data/siap-operation.json");

    #[test]
    fn an_operation_reads_as_one_line_per_aid_with_its_plan_form_said() {
        let ops = read_operations(OPERATION.as_bytes()).unwrap();
        let op = &ops[0];
        assert_eq!(
            (
                op.number.as_str(),
                op.owner_siren.as_str(),
                op.commune.as_str(),
                op.year
            ),
            ("20250590012", "475480802", "59271", 2025)
        );
        assert_eq!(op.nature, Nature::NewBuild);
        let lines: Vec<(Product, u32, Option<u32>)> = op
            .lines
            .iter()
            .map(|l| (l.product, l.dwellings, l.surface_m2))
            .collect();
        assert_eq!(
            lines,
            [
                (Product::Plai, 8, Some(461)),
                (Product::Plus, 20, Some(1448))
            ]
        );
        assert_eq!(op.plan_form, PlanForm::Example);
        assert_eq!(op.financing.len(), 5);
        let contract = OPERATION
            .replace("\"planFinancement\": {", "\"plansFinancement\": [{")
            .replace(
                "\"fondsPropres\": 450000\n  }",
                "\"fondsPropres\": 450000\n  }]",
            );
        let ops = read_operations(format!("[{contract}]").as_bytes()).unwrap();
        assert_eq!(
            (ops[0].plan_form, ops[0].financing.len()),
            (PlanForm::Contract, 5)
        );
    }

    #[test]
    fn problems_name_the_operation_and_the_field() {
        let bad = OPERATION
            .replace("\"475480802\"", "\"47548\"")
            .replace("\"CNE\"", "\"XYZ\"")
            .replace(
                "\"code\": \"PLAI\", \"libelle\": \"PLAI\" },\n      \"logement\"",
                "\"code\": \"PALU\", \"libelle\": \"PLAI\" },\n      \"logement\"",
            );
        let e = read_operations(format!("[{bad}]").as_bytes()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "donneesMo.siren",
                "donneesOperation.sousNatureOperation",
                "detailsOperation[0].aide.code"
            ],
            "{e:?}"
        );
        assert!(e.iter().all(|p| p.operation == "20250590012"), "{e:?}");
        assert!(read_operations(b"{").is_err());
        assert!(read_operations(b"42").is_err());
        assert_eq!(
            read_numbers(b"[{\"numeroOperation\": \"2025\"}]").unwrap(),
            ["2025"]
        );
    }
}
