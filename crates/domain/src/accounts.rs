//! Who may do what: roles, the principal a request acts as, and the one place that decides.
//! Every page, API route and command asks [`Principal::may`] or [`Principal::line_scope`];
//! nothing else decides access.

use crate::codes::CommuneCode;
use crate::register::vocab::OrgKind;
use crate::text::name_key;
use serde::{Deserialize, Serialize};

crate::register::vocab::vocabulary! {
    /// A user's role. The organisation it belongs to narrows what landlord and commune roles see.
    Role, "rôle" {
        Admin => "admin_epci", "Administrateur EPCI", ["administrateur", "admin"];
        Agent => "agent_epci", "Agent EPCI", ["agent"];
        LandlordEditor => "bailleur_editeur", "Bailleur (saisie)", ["editeur bailleur", "bailleur saisie"];
        LandlordReader => "bailleur_lecteur", "Bailleur (lecture)", ["lecteur bailleur", "bailleur lecture"];
        CommuneReader => "commune_lecteur", "Commune (lecture)", ["commune", "lecteur commune"];
        StateReader => "etat_lecteur", "État ou financeur (lecture)", ["etat", "financeur", "lecteur etat"];
        Observer => "observateur", "Observateur (rapports agrégés)", ["observatoire", "analyste"];
        ConciergerieAgent => "agent_conciergerie", "Agent de conciergerie", ["conciergerie", "agent conciergerie"];
        RelocationOfficer => "charge_relogement", "Chargé(e) de relogement (EPCI)", ["charge de relogement", "chargee de relogement", "relogement"];
        CcasAgent => "agent_ccas", "Agent de CCAS (accompagnement social)", ["ccas", "agent ccas"];
    }
}

/// Something a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Aggregated reports and the dashboard's totals.
    ReadReports,
    /// Operations and their lines, one by one (lists, detail, export, history), within the
    /// principal's [`LineScope`].
    ReadOperations,
    /// Create or change operations (import, forms), for the landlords the principal may edit.
    WriteOperations,
    /// Communes, EPCIs, programmes, projects, quartiers, organisations' names.
    ReadReference,
    /// Programmes, targets, quartiers, projects, reference data.
    EditReference,
    /// Users, organisations, password resets.
    ManageUsers,
    /// Financing plans (cost price, sources): private to the landlord and the EPCI.
    ReadFinancing,
    /// The land bank's sites one by one (those proposed to the partnership; the EPCI's own
    /// sites, only identified, are seen by the EPCI: [`Principal::sees_every_site`]).
    ReadLand,
    /// Identify, propose, allocate, withdraw and abandon sites: the EPCI.
    ManageLand,
    /// Express interest for a proposed site, and rattach the landlord's operations to the sites
    /// it holds: a landlord's editor, for its own organisation only.
    ExpressInterest,
    /// Proximity management's sites, competence tables and committees' report (the reports one
    /// by one are narrowed by [`Principal::sees_every_report`]).
    ReadProximity,
    /// Report a dysfunction for one's organisation, and act on the assignments given to it:
    /// the agents of the partners (EPCI, landlords' editors, communes, conciergeries).
    ActOnProximity,
    /// Competence tables, conciergeries' sites and cost shares, giving any report to a partner,
    /// committees: the EPCI.
    ManageProximity,
    /// Declare the offer for workers on mobility and its occupancy: the EPCI (every landlord's,
    /// and the employers' demand) and a landlord's editor (its own offers).
    DeclareMobility,
    /// Households to relocate one by one (personal data), narrowed by
    /// [`Principal::sees_household`]: the EPCI's relocation officer, the CCAS users, the
    /// landlords' users. Everyone else, the EPCI's administrator included, reads aggregates.
    ReadHouseholds,
    /// Run the matching and record proposals and relocations: the relocation officer.
    ManageRelocation,
    /// Declare households and vacancies: the relocation officer, a landlord's editor (its own).
    DeclareRelocation,
}

/// Which operation lines a principal reads one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineScope {
    All,
    /// The operations of this landlord (organisation id).
    Landlord(i64),
    /// The operations located in this commune.
    Commune(CommuneCode),
}

/// The user a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub login: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    /// For a commune reader: the commune of its organisation.
    pub commune: Option<CommuneCode>,
}

/// Why a role cannot be given to a user of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMismatch(pub String);

impl Role {
    /// The organisation kinds a user of this role may belong to (empty: none needed).
    pub fn organisation_kinds(self) -> &'static [OrgKind] {
        match self {
            Role::Admin | Role::Agent => &[OrgKind::Epci],
            Role::LandlordEditor | Role::LandlordReader => &[OrgKind::Landlord],
            Role::CommuneReader => &[OrgKind::Commune],
            Role::StateReader => &[OrgKind::State, OrgKind::Funder],
            Role::Observer => &[],
            Role::ConciergerieAgent => &[OrgKind::Conciergerie],
            Role::RelocationOfficer => &[OrgKind::Epci],
            Role::CcasAgent => &[OrgKind::Ccas],
        }
    }

    /// Whether the role needs an organisation (landlord and commune roles do: it scopes them).
    pub fn needs_organisation(self) -> bool {
        matches!(
            self,
            Role::LandlordEditor
                | Role::LandlordReader
                | Role::CommuneReader
                | Role::ConciergerieAgent
                | Role::RelocationOfficer
                | Role::CcasAgent
        )
    }

    /// Check that a user of this role may belong to an organisation of `kind` (or none).
    pub fn check_organisation(
        self,
        kind: Option<OrgKind>,
        has_commune: bool,
    ) -> Result<(), RoleMismatch> {
        match kind {
            None if self.needs_organisation() => Err(RoleMismatch(format!(
                "le rôle « {} » demande une organisation ({})",
                self.label(),
                kinds_fr(self.organisation_kinds())
            ))),
            None => Ok(()),
            Some(k) => {
                let allowed = self.organisation_kinds();
                if !allowed.is_empty() && !allowed.contains(&k) {
                    return Err(RoleMismatch(format!(
                        "le rôle « {} » ne convient pas à une organisation de type « {} » (attendu : {})",
                        self.label(),
                        k.label(),
                        kinds_fr(allowed)
                    )));
                }
                if self == Role::CommuneReader && !has_commune {
                    return Err(RoleMismatch(
                        "l'organisation de ce lecteur n'a pas de commune : donnez-lui son code INSEE".into(),
                    ));
                }
                Ok(())
            }
        }
    }
}

fn kinds_fr(kinds: &[OrgKind]) -> String {
    kinds
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(" ou ")
}

impl Principal {
    /// The decision table. Reads of operation lines are further narrowed by [`Self::line_scope`].
    pub fn may(&self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ReadReports | ReadReference => true,
            ReadOperations => self.line_scope().is_some(),
            WriteOperations => matches!(self.role, Admin | LandlordEditor),
            EditReference => matches!(self.role, Admin | Agent),
            ManageUsers => self.role == Admin,
            ReadFinancing => matches!(
                self.role,
                Admin | Agent | StateReader | LandlordEditor | LandlordReader
            ),
            ReadLand => !matches!(
                self.role,
                Observer | ConciergerieAgent | RelocationOfficer | CcasAgent
            ),
            ManageLand => matches!(self.role, Admin | Agent),
            ExpressInterest => self.role == LandlordEditor && self.organisation_id.is_some(),
            ReadProximity => !matches!(self.role, Observer | RelocationOfficer | CcasAgent),
            ActOnProximity => {
                matches!(
                    self.role,
                    Admin | Agent | LandlordEditor | CommuneReader | ConciergerieAgent
                ) && self.organisation_id.is_some()
            }
            ManageProximity => matches!(self.role, Admin | Agent),
            DeclareMobility => {
                matches!(self.role, Admin | Agent)
                    || (self.role == LandlordEditor && self.organisation_id.is_some())
            }
            ReadHouseholds => {
                matches!(
                    self.role,
                    RelocationOfficer | CcasAgent | LandlordEditor | LandlordReader
                ) && self.organisation_id.is_some()
            }
            ManageRelocation => self.role == RelocationOfficer && self.organisation_id.is_some(),
            DeclareRelocation => {
                matches!(self.role, RelocationOfficer | LandlordEditor)
                    && self.organisation_id.is_some()
            }
        }
    }

    /// Whether this principal reads the RPLS dwellings one by one (the complete file's rents,
    /// occupancy and reservations): the EPCI every landlord's, a landlord's users their own
    /// (`None`: this principal reads none, only the aggregates; `Some(None)`: every one;
    /// `Some(Some(id))`: the landlord organisation `id`'s).
    pub fn stock_dwellings(&self) -> Option<Option<i64>> {
        match self.role {
            Role::Admin | Role::Agent => Some(None),
            Role::LandlordEditor | Role::LandlordReader => self.organisation_id.map(Some),
            _ => None,
        }
    }

    /// Whether this principal sees the sites the EPCI has only identified (not yet proposed).
    pub fn sees_every_site(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Agent)
    }

    /// Whether this principal reads every report of dysfunction one by one (the EPCI); the
    /// others read those their organisation made or was given.
    pub fn sees_every_report(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Agent)
    }

    /// Whether this principal reads every household one by one (the relocation officer): it
    /// gets the relocation's indicators with their exact counts; everyone else through
    /// [`crate::secrecy`].
    pub fn sees_every_household(&self) -> bool {
        self.role == Role::RelocationOfficer && self.may(Permission::ReadHouseholds)
    }

    /// Whether this principal reads the record of a household of `landlord`, followed by the CCAS
    /// `ccas` (origin and destination): the relocation officer every one, a CCAS user those its
    /// CCAS follows, a landlord's users their landlord's; nobody else (aggregates only).
    pub fn sees_household(&self, landlord: i64, ccas: [Option<i64>; 2]) -> bool {
        if !self.may(Permission::ReadHouseholds) {
            return false;
        }
        match self.role {
            Role::RelocationOfficer => true,
            Role::CcasAgent => ccas
                .iter()
                .any(|c| c.is_some() && *c == self.organisation_id),
            Role::LandlordEditor | Role::LandlordReader => self.organisation_id == Some(landlord),
            _ => false,
        }
    }

    /// Which operations this principal reads one by one; `None`: aggregates only.
    pub fn line_scope(&self) -> Option<LineScope> {
        match self.role {
            Role::Admin | Role::Agent | Role::StateReader => Some(LineScope::All),
            Role::LandlordEditor | Role::LandlordReader => {
                self.organisation_id.map(LineScope::Landlord)
            }
            Role::CommuneReader => self.commune.clone().map(LineScope::Commune),
            Role::Observer
            | Role::ConciergerieAgent
            | Role::RelocationOfficer
            | Role::CcasAgent => None,
        }
    }

    /// Whether this principal may change the operations of `landlord_id`.
    pub fn may_write_landlord(&self, landlord_id: i64) -> bool {
        match self.role {
            Role::Admin => true,
            Role::LandlordEditor => self.organisation_id == Some(landlord_id),
            _ => false,
        }
    }

    /// Whether an operation of `landlord_id` in `commune` is within this principal's reading.
    pub fn sees_operation(&self, landlord_id: i64, commune: &CommuneCode) -> bool {
        match self.line_scope() {
            Some(LineScope::All) => true,
            Some(LineScope::Landlord(id)) => id == landlord_id,
            Some(LineScope::Commune(c)) => &c == commune,
            None => false,
        }
    }
}

/// Login throttling, decided from the recent failures (the caller counts them over
/// [`THROTTLE_WINDOW_SECS`]). Returns the French reason to refuse, if any.
pub fn throttle(failures_for_login: u64, failures_from_address: u64) -> Option<&'static str> {
    if failures_for_login >= MAX_FAILURES_PER_LOGIN {
        Some(
            "trop d'essais infructueux pour cet identifiant : réessayez dans 15 minutes ou demandez une réinitialisation à l'administrateur",
        )
    } else if failures_from_address >= MAX_FAILURES_PER_ADDRESS {
        Some("trop d'essais infructueux depuis cette adresse : réessayez dans 15 minutes")
    } else {
        None
    }
}

/// Failures counted for throttling are those of the last 15 minutes.
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
pub const MAX_FAILURES_PER_LOGIN: u64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;

/// A password users may choose: long enough, not only spaces.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < 12 {
        return Err(format!(
            "le mot de passe doit compter au moins 12 caractères (il en a {n})"
        ));
    }
    if n > 256 {
        return Err("le mot de passe ne doit pas dépasser 256 caractères".into());
    }
    if password.trim().is_empty() {
        return Err("le mot de passe ne peut pas être fait que d'espaces".into());
    }
    Ok(())
}

/// A login: 2 to 64 characters among lower-case letters, digits, '.', '-', '_', '@'.
/// Upper case is folded.
pub fn normalise_login(login: &str) -> Result<String, String> {
    let l = login.trim().to_lowercase();
    let ok = (2..=64).contains(&l.chars().count())
        && l.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(l)
    } else {
        Err(format!(
            "identifiant invalide « {} » : 2 à 64 caractères parmi lettres sans accent, chiffres, « . », « - », « _ », « @ »",
            login.trim()
        ))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn p(role: Role, org: Option<i64>, commune: Option<&str>) -> Principal {
        Principal {
            user_id: 1,
            login: "x".into(),
            role,
            organisation_id: org,
            commune: commune.and_then(|c| CommuneCode::parse(c).ok()),
        }
    }

    #[test]
    fn decision_table() {
        use Permission::*;
        let admin = p(Role::Admin, None, None);
        let agent = p(Role::Agent, None, None);
        let editor = p(Role::LandlordEditor, Some(7), None);
        let reader = p(Role::LandlordReader, Some(7), None);
        let commune = p(Role::CommuneReader, Some(9), Some("59183"));
        let state = p(Role::StateReader, Some(3), None);
        let observer = p(Role::Observer, None, None);
        let all = [
            &admin, &agent, &editor, &reader, &commune, &state, &observer,
        ];
        // (permission, who may, in the order above)
        let table: &[(Permission, [bool; 7])] = &[
            (ReadReports, [true, true, true, true, true, true, true]),
            (ReadReference, [true, true, true, true, true, true, true]),
            (ReadOperations, [true, true, true, true, true, true, false]),
            (
                WriteOperations,
                [true, false, true, false, false, false, false],
            ),
            (
                EditReference,
                [true, true, false, false, false, false, false],
            ),
            (
                ManageUsers,
                [true, false, false, false, false, false, false],
            ),
            (ReadFinancing, [true, true, true, true, false, true, false]),
            (ReadLand, [true, true, true, true, true, true, false]),
            (ManageLand, [true, true, false, false, false, false, false]),
            (
                ExpressInterest,
                [false, false, true, false, false, false, false],
            ),
        ];
        for (perm, expected) in table {
            for (who, exp) in all.iter().zip(expected) {
                assert_eq!(who.may(*perm), *exp, "{:?} {perm:?}", who.role);
            }
        }
        assert_eq!(editor.line_scope(), Some(LineScope::Landlord(7)));
        assert!(editor.may_write_landlord(7));
        assert!(!editor.may_write_landlord(8));
        assert!(!reader.may_write_landlord(7));
        assert!(admin.may_write_landlord(8));
        let dk = CommuneCode::parse("59183").ok();
        let other = CommuneCode::parse("59350").ok();
        if let (Some(dk), Some(other)) = (dk, other) {
            assert!(commune.sees_operation(1, &dk));
            assert!(!commune.sees_operation(1, &other));
            assert!(reader.sees_operation(7, &other));
            assert!(!reader.sees_operation(8, &dk));
            assert!(!observer.sees_operation(7, &dk));
        }
    }

    #[test]
    fn a_household_is_read_by_the_officer_its_ccas_and_its_landlord_only() {
        let officer = p(Role::RelocationOfficer, Some(1), None);
        let ccas = p(Role::CcasAgent, Some(20), None);
        let landlord = p(Role::LandlordReader, Some(7), None);
        let admin = p(Role::Admin, Some(1), None);
        let agent = p(Role::Agent, Some(1), None);
        let state = p(Role::StateReader, Some(3), None);
        for (who, sees) in [
            (&officer, true),
            (&ccas, true),
            (&landlord, true),
            (&admin, false),
            (&agent, false),
            (&state, false),
        ] {
            assert_eq!(
                who.sees_household(7, [None, Some(20)]),
                sees,
                "{:?}",
                who.role
            );
        }
        assert!(!ccas.sees_household(7, [Some(21), None]), "another CCAS's");
        assert!(
            !landlord.sees_household(8, [None, None]),
            "another landlord's"
        );
        assert!(
            officer.may(Permission::ManageRelocation) && !admin.may(Permission::ManageRelocation)
        );
        assert!(p(Role::LandlordEditor, Some(7), None).may(Permission::DeclareRelocation));
        assert!(!landlord.may(Permission::DeclareRelocation));
        // Aggregates only for everything else.
        assert_eq!(officer.line_scope(), None);
        assert!(!ccas.may(Permission::ReadLand) && !ccas.may(Permission::ReadProximity));
        assert!(
            Role::CcasAgent
                .check_organisation(Some(OrgKind::Ccas), false)
                .is_ok()
        );
        assert!(
            Role::RelocationOfficer
                .check_organisation(Some(OrgKind::Landlord), false)
                .is_err()
        );
    }

    #[test]
    fn a_landlord_role_without_organisation_reads_nothing() {
        let orphan = p(Role::LandlordReader, None, None);
        assert_eq!(orphan.line_scope(), None);
        assert!(!orphan.may(Permission::ReadOperations));
    }

    #[test]
    fn roles_fit_organisations() {
        assert!(
            Role::LandlordEditor
                .check_organisation(Some(OrgKind::Landlord), false)
                .is_ok()
        );
        assert!(
            Role::LandlordEditor
                .check_organisation(Some(OrgKind::Epci), false)
                .is_err()
        );
        assert!(
            Role::LandlordEditor
                .check_organisation(None, false)
                .is_err()
        );
        assert!(
            Role::CommuneReader
                .check_organisation(Some(OrgKind::Commune), false)
                .is_err()
        );
        assert!(
            Role::CommuneReader
                .check_organisation(Some(OrgKind::Commune), true)
                .is_ok()
        );
        assert!(
            Role::Observer
                .check_organisation(Some(OrgKind::Ccas), false)
                .is_ok()
        );
        assert!(Role::Admin.check_organisation(None, false).is_ok());
    }

    #[test]
    fn throttling_and_passwords() {
        assert_eq!(throttle(0, 0), None);
        assert!(throttle(MAX_FAILURES_PER_LOGIN, 0).is_some());
        assert!(throttle(0, MAX_FAILURES_PER_ADDRESS).is_some());
        assert!(check_password("court").is_err());
        assert!(check_password("            ").is_err());
        assert!(check_password("un mot de passe assez long").is_ok());
        assert_eq!(
            normalise_login(" Marie.Dupont ").as_deref(),
            Ok("marie.dupont")
        );
        assert!(normalise_login("é").is_err());
        assert!(normalise_login("a b").is_err());
    }
}
