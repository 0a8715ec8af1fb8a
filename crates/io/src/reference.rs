//! The reference geography embedded in the binary, derived from the pinned npm package
//! `@etalab/decoupage-administratif@6.0.0` by `scripts/refresh-data.sh` (see data/SOURCES.md).

use logis_domain::{Commune, CommuneCode, Epci, FormerCommune, FormerKind, Siren};
use logis_store::ReferenceData;

/// Which package the embedded data was derived from (stored at `init`, to refresh when it changes).
pub const VERSION: &str = "@etalab/decoupage-administratif@6.0.0";

const COMMUNES: &str = include_str!("../../../data/communes.csv");
const FORMER: &str = include_str!("../../../data/communes_anciennes.csv");
const EPCIS: &str = include_str!("../../../data/epci.csv");
const DEPARTMENTS: &str = include_str!("../../../data/departements.csv");
const REGIONS: &str = include_str!("../../../data/regions.csv");

/// The regions (code, name), for the reports at the regional scale.
pub fn regions() -> Result<Vec<(String, String)>, ReferenceError> {
    let mut out = Vec::new();
    for r in records("regions.csv", REGIONS) {
        let (line, rec) = r?;
        let f = |i| field("regions.csv", line, &rec, i).map(str::to_string);
        out.push((f(0)?, f(1)?));
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
#[error("données de référence embarquées invalides ({file}, ligne {line}) : {message}")]
pub struct ReferenceError {
    pub file: &'static str,
    pub line: u64,
    pub message: String,
}

fn records(
    file: &'static str,
    text: &'static str,
) -> impl Iterator<Item = Result<(u64, csv::StringRecord), ReferenceError>> {
    csv::Reader::from_reader(text.as_bytes())
        .into_records()
        .map(move |r| {
            r.map(|rec| (rec.position().map(|p| p.line()).unwrap_or(0), rec))
                .map_err(|e| ReferenceError {
                    file,
                    line: 0,
                    message: e.to_string(),
                })
        })
}

fn field<'a>(
    file: &'static str,
    line: u64,
    rec: &'a csv::StringRecord,
    i: usize,
) -> Result<&'a str, ReferenceError> {
    rec.get(i).ok_or_else(|| ReferenceError {
        file,
        line,
        message: format!("colonne {i} absente"),
    })
}

/// Parse the embedded reference tables.
pub fn embedded() -> Result<ReferenceData, ReferenceError> {
    let bad = |file: &'static str, line: u64| {
        move |e: logis_domain::codes::Invalid| ReferenceError {
            file,
            line,
            message: e.0,
        }
    };
    let mut data = ReferenceData::default();
    for r in records("departements.csv", DEPARTMENTS) {
        let (line, rec) = r?;
        let f = |i| field("departements.csv", line, &rec, i).map(str::to_string);
        data.departments.push((f(0)?, f(1)?, f(2)?));
    }
    for r in records("epci.csv", EPCIS) {
        let (line, rec) = r?;
        let f = |i| field("epci.csv", line, &rec, i);
        data.epcis.push(Epci {
            siren: Siren::parse(f(0)?).map_err(bad("epci.csv", line))?,
            name: f(1)?.to_string(),
            kind: f(2)?.to_string(),
        });
    }
    for r in records("communes.csv", COMMUNES) {
        let (line, rec) = r?;
        let f = |i| field("communes.csv", line, &rec, i);
        let epci = f(4)?;
        data.communes.push(Commune {
            code: CommuneCode::parse(f(0)?).map_err(bad("communes.csv", line))?,
            name: f(1)?.to_string(),
            department: f(2)?.to_string(),
            population: f(3)?.parse().ok(),
            epci: if epci.is_empty() {
                None
            } else {
                Some(Siren::parse(epci).map_err(bad("communes.csv", line))?)
            },
        });
    }
    for r in records("communes_anciennes.csv", FORMER) {
        let (line, rec) = r?;
        let f = |i| field("communes_anciennes.csv", line, &rec, i);
        let kind = f(2)?;
        data.former.push(FormerCommune {
            code: CommuneCode::parse(f(0)?).map_err(bad("communes_anciennes.csv", line))?,
            name: f(1)?.to_string(),
            kind: FormerKind::from_code(kind).ok_or_else(|| ReferenceError {
                file: "communes_anciennes.csv",
                line,
                message: format!("type inconnu {kind}"),
            })?,
            current: CommuneCode::parse(f(3)?).map_err(bad("communes_anciennes.csv", line))?,
        });
    }
    Ok(data)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    #[test]
    fn embedded_geography_is_complete() {
        let d = super::embedded().unwrap_or_else(|e| unreachable!("{e}"));
        assert!(d.communes.len() > 34_000, "{}", d.communes.len());
        assert!(d.epcis.len() > 1_200);
        let cud = d
            .epcis
            .iter()
            .find(|e| e.siren.as_str() == "245900428")
            .map(|e| e.name.clone());
        assert_eq!(cud.as_deref(), Some("CU de Dunkerque"));
        let members = d
            .communes
            .iter()
            .filter(|c| c.epci.as_ref().map(|s| s.as_str()) == Some("245900428"))
            .count();
        assert_eq!(members, 17);
        assert!(
            d.former
                .iter()
                .any(|f| f.name == "Saint-Pol-sur-Mer" && f.current.as_str() == "59183")
        );
        assert!(
            d.former
                .iter()
                .any(|f| f.name == "Fort-Mardyck" && f.current.as_str() == "59183")
        );
    }
}
