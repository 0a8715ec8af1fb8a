//! Communes, former communes, EPCIs, and the resolution of what users write in a `commune` cell.

use crate::codes::{CommuneCode, Siren};
use crate::text::{closest, name_key};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    pub code: CommuneCode,
    pub name: String,
    pub department: String,
    pub population: Option<u32>,
    pub epci: Option<Siren>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormerKind {
    /// commune associée (fusion-association)
    Associated,
    /// commune déléguée (commune nouvelle)
    Delegated,
    /// merged without keeping a name (fusion simple): known by its former code only
    Merged,
}

impl FormerKind {
    pub fn code(self) -> &'static str {
        match self {
            FormerKind::Associated => "associee",
            FormerKind::Delegated => "deleguee",
            FormerKind::Merged => "fusionnee",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "associee" => Some(FormerKind::Associated),
            "deleguee" => Some(FormerKind::Delegated),
            "fusionnee" => Some(FormerKind::Merged),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FormerKind::Associated => "commune associée",
            FormerKind::Delegated => "commune déléguée",
            FormerKind::Merged => "ancienne commune fusionnée",
        }
    }
}

/// A commune that no longer exists on its own, mapped to today's commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerCommune {
    pub code: CommuneCode,
    /// Empty for a merged commune known only by its code.
    pub name: String,
    pub kind: FormerKind,
    pub current: CommuneCode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epci {
    pub siren: Siren,
    pub name: String,
    /// CU, CA, CC, METRO
    pub kind: String,
}

/// Why a commune cell could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("commune inconnue « {text} »{}", suggest(.suggestions))]
    Unknown {
        text: String,
        suggestions: Vec<String>,
    },
    #[error("commune ambiguë « {text} » : {} — précisez le code INSEE", .candidates.join(", "))]
    Ambiguous {
        text: String,
        candidates: Vec<String>,
    },
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(" (communes proches : {})", s.join(", "))
    }
}

/// A cell as an INSEE code would be written: four digits padded (Excel drops the leading zero),
/// Corsica's letters upper-cased.
fn code_key(t: &str) -> String {
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{t}")
    } else {
        t.to_ascii_uppercase()
    }
}

/// One piece of a territory: an EPCI (by SIREN) or a department (by code: 59, 2A, 971).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TerritoryPart {
    Epci(Siren),
    Department(String),
}

/// The territory of an instance: one or more EPCIs or departments (the mining basin's eight
/// intercommunalities, the Pas-de-Calais landlords' whole department). Written
/// `245900428`, `245900428,200041960` or `dep:62` (parts separated by commas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Territory(Vec<TerritoryPart>);

impl Territory {
    /// One EPCI.
    pub fn epci(siren: Siren) -> Self {
        Territory(vec![TerritoryPart::Epci(siren)])
    }

    /// Read `245900428,200041960` or `dep:62` (French error naming the bad part).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        for raw in text
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let lower = raw.to_ascii_lowercase();
            let part = if let Some(dep) = lower
                .strip_prefix("dep:")
                .or_else(|| lower.strip_prefix("departement:"))
            {
                let dep = dep.trim().to_ascii_uppercase();
                let ok = matches!(dep.len(), 2 | 3)
                    && dep
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'A' || b == b'B');
                if !ok {
                    return Err(format!(
                        "département illisible « {raw} » (attendu : dep:62, dep:2A, dep:971)"
                    ));
                }
                TerritoryPart::Department(dep)
            } else {
                TerritoryPart::Epci(Siren::parse(raw).map_err(|e| {
                    format!("territoire : « {raw} » n'est ni un SIREN d'EPCI ni un département (dep:62) — {}", e.0)
                })?)
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        if parts.is_empty() {
            return Err("territoire vide : donnez un ou plusieurs SIREN d'EPCI, ou dep:62".into());
        }
        Ok(Territory(parts))
    }

    pub fn parts(&self) -> &[TerritoryPart] {
        &self.0
    }

    /// As [`Self::parse`] reads it back.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                TerritoryPart::Epci(s) => s.as_str().to_string(),
                TerritoryPart::Department(d) => format!("dep:{d}"),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether a commune lies in it.
    pub fn contains(&self, c: &Commune) -> bool {
        self.0.iter().any(|p| match p {
            TerritoryPart::Epci(s) => c.epci.as_ref() == Some(s),
            TerritoryPart::Department(d) => c.department == *d,
        })
    }

    /// Its EPCIs given by SIREN (a department's are not listed).
    pub fn epcis(&self) -> impl Iterator<Item = &Siren> {
        self.0.iter().filter_map(|p| match p {
            TerritoryPart::Epci(s) => Some(s),
            TerritoryPart::Department(_) => None,
        })
    }

    /// Every part is known to the reference: else the French reason.
    pub fn check(&self, geo: &Geography) -> Result<(), String> {
        for p in &self.0 {
            match p {
                TerritoryPart::Epci(s) if geo.epci(s.as_str()).is_none() => {
                    return Err(format!("aucun EPCI de SIREN {s} dans le référentiel"));
                }
                TerritoryPart::Department(d)
                    if !geo.communes().iter().any(|c| c.department == *d) =>
                {
                    return Err(format!("aucun département {d} dans le référentiel"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Its parts named in French: « CU de Dunkerque », « département 62 ».
    pub fn describe(&self, geo: &Geography) -> String {
        self.0
            .iter()
            .map(|p| match p {
                TerritoryPart::Epci(s) => geo
                    .epci(s.as_str())
                    .map(|e| e.name.clone())
                    .unwrap_or_else(|| format!("EPCI {s}")),
                TerritoryPart::Department(d) => format!("département {d}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The French geography, indexed for resolution. Built once per import from the reference tables.
#[derive(Debug, Default)]
pub struct Geography {
    communes: Vec<Commune>,
    by_code: HashMap<String, usize>,
    former_by_code: HashMap<String, usize>,
    /// name key → current commune indices (from current names and former names)
    by_name: HashMap<String, Vec<usize>>,
    epcis: Vec<Epci>,
    epci_by_siren: HashMap<String, usize>,
    /// Former communes whose commune of today is known, by their code.
    former: HashMap<String, FormerCommune>,
    /// The codes of the named former communes of each commune of today.
    former_of: HashMap<String, Vec<String>>,
}

impl Geography {
    pub fn new(communes: Vec<Commune>, former: Vec<FormerCommune>, epcis: Vec<Epci>) -> Self {
        let mut g = Geography {
            communes,
            epcis,
            ..Default::default()
        };
        for (i, e) in g.epcis.iter().enumerate() {
            g.epci_by_siren.insert(e.siren.as_str().to_string(), i);
        }
        for (i, c) in g.communes.iter().enumerate() {
            g.by_code.insert(c.code.as_str().to_string(), i);
            g.by_name.entry(name_key(&c.name)).or_default().push(i);
        }
        for f in &former {
            let Some(&i) = g.by_code.get(f.current.as_str()) else {
                continue;
            };
            if !g.by_code.contains_key(f.code.as_str()) {
                g.former_by_code.insert(f.code.as_str().to_string(), i);
                g.former.insert(f.code.as_str().to_string(), f.clone());
                if !f.name.is_empty() {
                    g.former_of
                        .entry(f.current.as_str().to_string())
                        .or_default()
                        .push(f.code.as_str().to_string());
                }
            }
            if !f.name.is_empty() {
                let v = g.by_name.entry(name_key(&f.name)).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            }
        }
        g
    }

    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }
    pub fn epcis(&self) -> &[Epci] {
        &self.epcis
    }
    pub fn is_empty(&self) -> bool {
        self.communes.is_empty()
    }
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.by_code.get(code).and_then(|&i| self.communes.get(i))
    }
    /// Today's commune for a code: the commune itself, or the one a former commune (merged,
    /// associated, delegated) belongs to now.
    pub fn current(&self, code: &str) -> Option<&Commune> {
        self.by_code
            .get(code)
            .or_else(|| self.former_by_code.get(code))
            .and_then(|&i| self.communes.get(i))
    }
    pub fn epci(&self, siren: &str) -> Option<&Epci> {
        self.epci_by_siren
            .get(siren)
            .and_then(|&i| self.epcis.get(i))
    }
    /// The member communes of an EPCI.
    pub fn members(&self, epci: &Siren) -> impl Iterator<Item = &Commune> {
        self.communes
            .iter()
            .filter(move |c| c.epci.as_ref() == Some(epci))
    }

    /// The communes of a territory.
    pub fn territory_members<'a>(&'a self, t: &'a Territory) -> impl Iterator<Item = &'a Commune> {
        self.communes.iter().filter(move |c| t.contains(c))
    }

    /// Resolve a `commune` cell: an INSEE code (current or former; 4 digits are padded, as Excel
    /// drops the leading zero) or a name (current or former, ignoring case, accents, hyphens and
    /// spaces). An ambiguous name is decided by the territory (its EPCIs and departments) when exactly one
    /// candidate lies in it, else reported with its candidates.
    pub fn resolve(
        &self,
        text: &str,
        territory: Option<&Territory>,
    ) -> Result<&Commune, ResolveError> {
        let t = text.trim();
        if !t.is_empty()
            && t.len() <= 5
            && t.bytes().all(|b| b.is_ascii_alphanumeric())
            && t.bytes().filter(u8::is_ascii_digit).count() >= 3
        {
            let code = code_key(t);
            if let Some(c) = self
                .by_code
                .get(&code)
                .or_else(|| self.former_by_code.get(&code))
                .and_then(|&i| self.communes.get(i))
            {
                return Ok(c);
            }
            return Err(ResolveError::Unknown {
                text: t.to_string(),
                suggestions: Vec::new(),
            });
        }
        let key = name_key(t);
        let Some(cands) = self.by_name.get(&key).filter(|v| !v.is_empty()) else {
            return Err(ResolveError::Unknown {
                text: t.to_string(),
                suggestions: self.suggest(t, territory),
            });
        };
        if let [only] = cands.as_slice()
            && let Some(c) = self.communes.get(*only)
        {
            return Ok(c);
        }
        if let Some(terr) = territory {
            let inside: Vec<usize> = cands
                .iter()
                .copied()
                .filter(|&i| self.communes.get(i).is_some_and(|c| terr.contains(c)))
                .collect();
            if let [only] = inside.as_slice()
                && let Some(c) = self.communes.get(*only)
            {
                return Ok(c);
            }
        }
        let mut candidates: Vec<String> = cands
            .iter()
            .filter_map(|&i| self.communes.get(i))
            .map(|c| format!("{} {} ({})", c.code, c.name, c.department))
            .collect();
        candidates.sort();
        Err(ResolveError::Ambiguous {
            text: t.to_string(),
            candidates,
        })
    }

    /// A former commune by its code.
    pub fn former(&self, code: &str) -> Option<&FormerCommune> {
        self.former.get(code)
    }

    /// Resolve a `commune` cell as [`Self::resolve`] does, and say which former commune it
    /// names when it names one (« Saint Pol sur mer », 59540 → Dunkerque today, written as
    /// Saint-Pol-sur-Mer), so that the commune as the source wrote it is kept.
    pub fn resolve_written(
        &self,
        text: &str,
        territory: Option<&Territory>,
    ) -> Result<(&Commune, Option<&FormerCommune>), ResolveError> {
        let today = self.resolve(text, territory)?;
        let t = text.trim();
        if let Some(f) = self.former.get(&code_key(t)) {
            return Ok((today, Some(f)));
        }
        // (Most cells are today's code or today's name: nothing more to look for.)
        let Some(codes) = self.former_of.get(today.code.as_str()) else {
            return Ok((today, None));
        };
        let key = name_key(t);
        if key == name_key(&today.name) {
            return Ok((today, None));
        }
        let former = codes
            .iter()
            .filter_map(|c| self.former.get(c))
            .find(|f| name_key(&f.name) == key);
        Ok((today, former))
    }

    fn suggest(&self, text: &str, territory: Option<&Territory>) -> Vec<String> {
        // Suggest inside the territory first (short list, relevant), then anywhere.
        let pool: Vec<&str> = match territory {
            Some(terr) => self
                .territory_members(terr)
                .map(|c| c.name.as_str())
                .collect(),
            None => Vec::new(),
        };
        let near = closest(text, pool, 3);
        if !near.is_empty() {
            return near;
        }
        let key = name_key(text);
        let first = key.chars().next();
        closest(
            text,
            self.communes
                .iter()
                .filter(|c| name_key(&c.name).chars().next() == first)
                .map(|c| c.name.as_str()),
            3,
        )
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn code(s: &str) -> CommuneCode {
        CommuneCode::parse(s).unwrap_or_else(|_| unreachable!())
    }
    fn siren(s: &str) -> Siren {
        Siren::parse(s).unwrap_or_else(|_| unreachable!())
    }

    fn sample() -> Geography {
        let cud = siren("245900428");
        let c = |k: &str, n: &str, d: &str, e: Option<&Siren>| Commune {
            code: code(k),
            name: n.into(),
            department: d.into(),
            population: None,
            epci: e.cloned(),
        };
        Geography::new(
            vec![
                c("59183", "Dunkerque", "59", Some(&cud)),
                c("59271", "Grande-Synthe", "59", Some(&cud)),
                c("59540", "Saint-Georges-sur-l'Aa", "59", Some(&cud)),
                c("62001", "Saint-Georges", "62", None),
                c("01001", "L'Abergement-Clémenciat", "01", None),
                c("15001", "Saint-Georges", "15", None),
            ],
            vec![
                FormerCommune {
                    code: code("59248"),
                    name: "Fort-Mardyck".into(),
                    kind: FormerKind::Associated,
                    current: code("59183"),
                },
                FormerCommune {
                    code: code("59999"),
                    name: "Saint-Pol-sur-Mer".into(),
                    kind: FormerKind::Associated,
                    current: code("59183"),
                },
            ],
            vec![Epci {
                siren: cud,
                name: "CU de Dunkerque".into(),
                kind: "CU".into(),
            }],
        )
    }

    #[test]
    fn former_communes_are_kept_as_written() {
        let g = sample();
        let written = |t: &str| match g.resolve_written(t, None) {
            Ok((today, former)) => (
                today.code.as_str().to_string(),
                former.map(|f| f.code.as_str().to_string()),
            ),
            Err(e) => (e.to_string(), None),
        };
        assert_eq!(
            written("Saint Pol sur mer"),
            ("59183".into(), Some("59999".into()))
        );
        assert_eq!(
            written("FORT-MARDYCK"),
            ("59183".into(), Some("59248".into()))
        );
        assert_eq!(written("59248"), ("59183".into(), Some("59248".into())));
        assert_eq!(written("Dunkerque"), ("59183".into(), None));
        assert_eq!(written("59183"), ("59183".into(), None));
        assert_eq!(
            g.former("59248").map(|f| f.name.as_str()),
            Some("Fort-Mardyck")
        );
        assert!(g.resolve_written("Nulle-Part", None).is_err());
    }

    #[test]
    fn resolves_names_codes_and_former_communes() {
        let g = sample();
        assert_eq!(
            g.resolve("GrandeSynthe", None).map(|c| c.code.as_str()),
            Ok("59271")
        );
        assert_eq!(
            g.resolve("GRANDE SYNTHE", None).map(|c| c.code.as_str()),
            Ok("59271")
        );
        assert_eq!(
            g.resolve("Saint Pol sur mer", None)
                .map(|c| c.code.as_str()),
            Ok("59183")
        );
        assert_eq!(
            g.resolve("Fort-Mardyck", None).map(|c| c.code.as_str()),
            Ok("59183")
        );
        assert_eq!(
            g.resolve("59248", None).map(|c| c.code.as_str()),
            Ok("59183")
        );
        assert_eq!(
            g.resolve("1001", None).map(|c| c.code.as_str()),
            Ok("01001")
        );
    }

    #[test]
    fn ambiguous_names_use_the_territory_or_list_candidates() {
        let g = sample();
        match g.resolve("saint georges", None) {
            Err(ResolveError::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
            other => unreachable!("{other:?}"),
        }
        let msg = g
            .resolve("Saint-Georges", None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("62001") && msg.contains("15001"), "{msg}");
        // A territory of departments decides: 62 holds one Saint-Georges.
        let pas_de_calais = Territory::parse("dep:62").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(
            g.resolve("Saint-Georges", Some(&pas_de_calais))
                .map(|c| c.code.as_str()),
            Ok("62001")
        );
    }

    #[test]
    fn territories_of_several_epcis_or_departments() {
        let g = sample();
        let t = |s: &str| Territory::parse(s);
        let two = t("245900428, dep:15").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(two.to_text(), "245900428,dep:15");
        assert_eq!(Territory::parse(&two.to_text()).ok(), Some(two.clone()));
        let codes: Vec<&str> = g.territory_members(&two).map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["59183", "59271", "59540", "15001"]);
        assert_eq!(two.describe(&g), "CU de Dunkerque, département 15");
        assert!(two.check(&g).is_ok());
        assert_eq!(
            t("dep:75").and_then(|x| x.check(&g)),
            Err("aucun département 75 dans le référentiel".into())
        );
        assert!(t("dep:6").is_err_and(|e| e.contains("département illisible")));
        assert!(t("12345").is_err_and(|e| e.contains("ni un SIREN")));
        assert!(t(" , ").is_err_and(|e| e.contains("territoire vide")));
        assert_eq!(t("245900428,245900428").map(|x| x.parts().len()), Ok(1));
    }

    #[test]
    fn unknown_names_get_suggestions() {
        let g = sample();
        let cud = Territory::epci(siren("245900428"));
        match g.resolve("Dunkerk", Some(&cud)) {
            Err(ResolveError::Unknown { suggestions, .. }) => {
                assert_eq!(suggestions, vec!["Dunkerque".to_string()])
            }
            other => unreachable!("{other:?}"),
        }
        assert!(g.resolve("99999", None).is_err());
    }
}
