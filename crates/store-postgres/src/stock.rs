//! The social housing stock (RPLS): written once in `logis_store::stock` on the store's
//! transactions (`tx.rs`; its dwellings sent by `COPY`, `insert_many`); nothing of its own here.

use super::*;

impl logis_store::StockStore for PostgresStore {}
impl logis_store::MiningStore for PostgresStore {}
