//! Relocation of households: written once in `logis_store::relocation` on the store's
//! transactions (`tx.rs`); nothing of its own here.

use super::*;

impl logis_store::RelocationStore for PostgresStore {}
