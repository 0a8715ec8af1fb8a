//! The logis domain: value types that cannot be built invalid, the French housing vocabulary and
//! its parsers, geography resolution, and the typed operation line an import produces.
//! Pure: no IO, no async, no SQL. Every fallible constructor returns a French message.

pub mod access;
pub mod codes;
pub mod geography;
pub mod line;
pub mod numbers;
pub mod reconcile;
pub mod targets;
pub mod text;
pub mod vocab;

pub use access::{LineScope, Permission, Principal, Role};
pub use codes::{CommuneCode, Euros, Siren, UnitCount, Year};
pub use geography::{Commune, Epci, FormerCommune, FormerKind, Geography, ResolveError};
pub use line::{LineDraft, OperationAttrs};
pub use vocab::{
    FundingKind, Nature, OrgKind, Product, ProjectKind, QuartierKind, RehabFinancing, Site, Stage,
};
