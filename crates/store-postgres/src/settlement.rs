//! The settlement observatory: written once in `logis_store::settlement` on the store's
//! transactions (`tx.rs`); nothing of its own here.

use super::*;

impl logis_store::SettlementStore for PostgresStore {}
impl logis_store::OccupancyStore for PostgresStore {}
