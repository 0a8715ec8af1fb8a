//! The social housing stock (RPLS): written once in `logis_store::stock` on the store's
//! transactions (`tx.rs`); nothing of its own here.

use super::*;

impl logis_store::StockStore for SqliteStore {}
impl logis_store::MiningStore for SqliteStore {}
