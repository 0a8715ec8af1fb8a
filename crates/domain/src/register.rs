//! The operations register's types and rules: the housing vocabulary (`vocab`), the typed
//! operation line an import row becomes (`line`), declared totals reconciled with their detail
//! (`reconcile`), programme targets and progress (`targets`).

pub mod line;
pub mod reconcile;
pub mod targets;
pub mod vocab;
