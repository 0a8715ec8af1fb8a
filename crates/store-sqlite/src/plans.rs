//! The landlords' strategic plans: written once in `logis_store::plans` on the store's
//! transactions (`tx.rs`); nothing of its own here.

use super::*;

impl logis_store::PlanStore for SqliteStore {}
impl logis_store::ActionStore for SqliteStore {}
