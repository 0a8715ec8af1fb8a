//! The logis domain: value types that cannot be built invalid, the French housing vocabulary and
//! its parsers, geography resolution, and the typed operation line an import produces.
//! Pure: no IO, no async, no SQL. Every fallible constructor returns a French message.
//!
//! A capability is a module here as in every layer: `register` (its vocabulary, lines,
//! reconciliation, targets), `reference` (the geography), `accounts` (roles, permissions and
//! what each one sees), `land` (the land bank and grouped tenders), `proximity` (GUSP themes,
//! assignments, months, photos; started); `codes`,
//! `numbers` and `text` are the value types and text rules they share.
#![deny(clippy::indexing_slicing)]

pub mod accounts;
pub mod cells;
pub mod codes;
pub mod land;
pub mod numbers;
pub mod plans;
pub mod proximity;
pub mod reference;
pub mod register;
pub mod relocation;
pub mod secrecy;
pub mod settlement;
pub mod stock;
pub mod text;

pub use accounts::{LineScope, Permission, Principal, Role};
pub use codes::{CommuneCode, Euros, Siren, Siret, UnitCount, Year};
pub use reference::{
    Commune, Epci, FormerCommune, FormerKind, Geography, ResolveError, Territory, TerritoryPart,
};
pub use register::line::{LineDraft, OperationAttrs};
pub use register::vocab::{
    FundingKind, Nature, OrgKind, Product, ProjectKind, QuartierKind, RehabFinancing, Site, Stage,
};
