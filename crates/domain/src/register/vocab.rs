//! The housing vocabulary. Each enum has a stable storage `code()`, a French `label()`, and a
//! `parse()` that accepts values as users write them ("Réhabilitation", "REHABILITATION",
//! "PLUS CD", "Palulos"), through [`crate::text::name_key`].

use crate::text::name_key;
use serde::{Deserialize, Serialize};

macro_rules! vocabulary_macro {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $variant:ident => $code:literal, $label:literal, [$($alias:literal),* $(,)?] ; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable code, used in the database and the JSON API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// French label shown to users and written in exports.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// From a stored code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// From what a user wrote; the error lists the accepted values.
            pub fn parse(s: &str) -> Result<Self, crate::codes::Invalid> {
                // Keys of every accepted spelling, computed once.
                static KEYS: std::sync::LazyLock<Vec<(String, $name)>> = std::sync::LazyLock::new(|| {
                    vec![$(
                        (name_key($code), $name::$variant),
                        (name_key($label), $name::$variant),
                        $( (name_key($alias), $name::$variant), )*
                    )+]
                });
                // (A file written with the codes themselves: no key to compute.)
                if let Some(v) = Self::from_code(s.trim()) {
                    return Ok(v);
                }
                let key = name_key(s);
                if let Some((_, v)) = KEYS.iter().find(|(k, _)| *k == key) {
                    return Ok(*v);
                }
                let accepted: Vec<&str> = Self::ALL.iter().map(|v| v.label()).collect();
                Err(crate::codes::Invalid(format!(
                    "{} inconnu(e) « {} » (valeurs acceptées : {})",
                    $what, s.trim(), accepted.join(", ")
                )))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
pub(crate) use vocabulary_macro as vocabulary;

vocabulary! {
    /// What an operation line does to the stock.
    Nature, "nature" {
        NewBuild => "new_build", "Construction neuve", ["neuf", "construction", "CN", "production neuve", "VEFA"];
        AcquisitionImprovement => "acquisition_improvement", "Acquisition-amélioration", ["AA", "acquisition amelioration", "acquisition"];
        Demolition => "demolition", "Démolition", ["demol"];
        Reconstruction => "reconstruction", "Reconstruction", ["reconstitution", "reconstitution de l'offre", "reconstruction de l'offre"];
        Rehabilitation => "rehabilitation", "Réhabilitation", ["rehab", "rehabilitation lourde", "rehabilitation legere", "renovation"];
        Residentialisation => "residentialisation", "Résidentialisation", ["residentialisations"];
        ChangeOfUse => "change_of_use", "Changement d'usage", ["changement usage", "transformation d'usage"];
        Sale => "sale", "Vente", ["vente hlm", "cession"];
    }
}

vocabulary! {
    /// Where a reconstruction is built relative to the demolished supply.
    Site, "site" {
        OnSite => "sur_site", "Sur site", ["on site"];
        OffSite => "hors_site", "Hors site", ["off site", "autres quartiers", "autre site"];
    }
}

vocabulary! {
    /// Financing product of a produced dwelling.
    Product, "produit" {
        Plai => "plai", "PLAI", ["pla i", "pla-i", "pla integration"];
        Plus => "plus", "PLUS", [];
        PlusCd => "plus_cd", "PLUS-CD", ["pluscd", "plus construction demolition"];
        Pls => "pls", "PLS", [];
        Psla => "psla", "PSLA", [];
        Brs => "brs", "BRS", ["bail reel solidaire"];
        Lli => "lli", "LLI", ["logement locatif intermediaire", "intermediaire"];
        FreeMarket => "free_market", "Libre", ["accession libre", "marche libre", "locatif libre"];
    }
}

vocabulary! {
    /// How a rehabilitation is financed.
    RehabFinancing, "financement" {
        Palulos => "palulos", "PALULOS", [];
        Pam => "pam", "PAM", ["pret amelioration"];
        EcoLoan => "eco_loan", "Éco-prêt", ["eco pret", "ecopret", "eco-pls", "ecopls", "eco pret logement social"];
    }
}

vocabulary! {
    /// One kind of source in an operation's financing plan.
    FundingKind, "source de financement" {
        OwnFunds => "own_funds", "Fonds propres", ["fonds propres"];
        Subsidy => "subsidy", "Subvention", ["subventions"];
        Loan => "loan", "Prêt", ["pret", "prets", "emprunt"];
    }
}

vocabulary! {
    /// Progress stage of an operation line, in order.
    Stage, "stade" {
        Study => "study", "Étude", ["en cours d'etude", "en cours etude", "etudes", "projet"];
        FileSubmitted => "file_submitted", "Dossier déposé", ["depose", "depot"];
        Programmed => "programmed", "Programmé", ["accord", "accord anru", "programmation", "programme"];
        Financed => "financed", "Financé", ["agrement", "agree", "finance agrement", "decision de financement"];
        WorksStarted => "works_started", "Travaux démarrés", ["os", "ordre de service", "travaux", "chantier", "mise en chantier", "demarre"];
        Delivered => "delivered", "Livré", ["livraison", "livre", "termine", "acheve"];
        Closed => "closed", "Soldé", ["solde", "clos"];
    }
}

vocabulary! {
    /// Kind of organisation sharing a logis.
    OrgKind, "type d'organisation" {
        Landlord => "bailleur", "Bailleur social", ["bailleur social", "organisme hlm", "oph", "esh"];
        Epci => "epci", "EPCI", ["intercommunalite"];
        Commune => "commune", "Commune", [];
        State => "etat", "État", ["ddtm", "prefecture"];
        Funder => "financeur", "Financeur", [];
        Ccas => "ccas", "CCAS", [];
        Conciergerie => "conciergerie", "Conciergerie", ["conciergerie de quartier", "conciergerie d immeuble"];
    }
}

vocabulary! {
    /// Kind of quartier.
    QuartierKind, "type de quartier" {
        Qpv => "qpv", "QPV", ["quartier prioritaire"];
        Anru => "anru", "Quartier ANRU", ["npnru", "pnru"];
        Sensitive => "sensible", "Quartier sensible", ["sensible"];
        Zus => "zus", "ZUS", [];
        UserDefined => "autre", "Autre", ["user defined"];
    }
}

vocabulary! {
    /// Kind of project.
    ProjectKind, "type de projet" {
        Anru => "anru", "Renouvellement urbain (ANRU)", ["pru", "npnru", "renouvellement urbain"];
        Production => "production", "Production", [];
        Rehabilitation => "rehabilitation", "Réhabilitation", [];
        MiningEstate => "cite_miniere", "Cité minière (ERBM)", ["cite miniere", "cite", "erbm"];
        Other => "autre", "Autre", [];
    }
}

impl Nature {
    /// Natures that add dwellings to the stock (a product applies).
    pub fn produces(self) -> bool {
        matches!(
            self,
            Nature::NewBuild
                | Nature::AcquisitionImprovement
                | Nature::Reconstruction
                | Nature::ChangeOfUse
        )
    }
    /// Natures financed as works on existing stock (a rehabilitation financing applies).
    pub fn is_works_on_stock(self) -> bool {
        matches!(self, Nature::Rehabilitation | Nature::Residentialisation)
    }
}

impl Product {
    /// Social products (count in the "social" share of a production target).
    pub fn is_social(self) -> bool {
        matches!(
            self,
            Product::Plai | Product::Plus | Product::PlusCd | Product::Pls
        )
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn values_as_users_write_them() {
        assert_eq!(Nature::parse("Réhabilitation"), Ok(Nature::Rehabilitation));
        assert_eq!(Nature::parse("REHABILITATION"), Ok(Nature::Rehabilitation));
        assert_eq!(Nature::parse("construction neuve"), Ok(Nature::NewBuild));
        assert_eq!(Nature::parse("Changement d'usage"), Ok(Nature::ChangeOfUse));
        assert_eq!(Product::parse("PLUS CD"), Ok(Product::PlusCd));
        assert_eq!(Product::parse("plus-cd"), Ok(Product::PlusCd));
        assert_eq!(Product::parse("Plai"), Ok(Product::Plai));
        assert_eq!(
            RehabFinancing::parse("Palulos"),
            Ok(RehabFinancing::Palulos)
        );
        assert_eq!(
            RehabFinancing::parse("éco-prêt"),
            Ok(RehabFinancing::EcoLoan)
        );
        assert_eq!(Site::parse("hors_site"), Ok(Site::OffSite));
        assert_eq!(Site::parse("Sur site"), Ok(Site::OnSite));
        assert_eq!(Stage::parse("Accord"), Ok(Stage::Programmed));
        assert_eq!(Stage::parse("OS"), Ok(Stage::WorksStarted));
        assert_eq!(OrgKind::parse("bailleur"), Ok(OrgKind::Landlord));
        assert_eq!(OrgKind::parse("etat"), Ok(OrgKind::State));
    }

    #[test]
    fn unknown_values_list_the_accepted_ones() {
        let err = Nature::parse("Rénov lourde")
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(
            err.contains("nature inconnue") || err.contains("nature inconnu"),
            "{err}"
        );
        assert!(err.contains("Démolition"), "{err}");
    }

    #[test]
    fn codes_round_trip() {
        for n in Nature::ALL {
            assert_eq!(Nature::from_code(n.code()), Some(*n));
            assert_eq!(Nature::parse(n.label()), Ok(*n));
        }
        for p in Product::ALL {
            assert_eq!(Product::from_code(p.code()), Some(*p));
            assert_eq!(Product::parse(p.label()), Ok(*p));
        }
        for s in Stage::ALL {
            assert_eq!(Stage::from_code(s.code()), Some(*s));
        }
    }

    #[test]
    fn no_alias_is_shared_between_two_values() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            names: impl Fn(T) -> Vec<String>,
        ) {
            let mut seen: Vec<(String, T)> = Vec::new();
            for v in all {
                for n in names(*v) {
                    if let Some((_, other)) = seen.iter().find(|(k, _)| *k == n) {
                        assert_eq!(other, v, "« {n} » désigne deux valeurs");
                    }
                    seen.push((n, *v));
                }
            }
        }
        check(Nature::ALL, |v| {
            vec![name_key(v.code()), name_key(v.label())]
        });
        check(Stage::ALL, |v| {
            vec![name_key(v.code()), name_key(v.label())]
        });
    }
}
